"""The viewer page: a dashboard drawn standalone, with no JupyterLab and no kernel.

- ``view/{document_id}``: the dashboard as it is now, for its readers (signed in); the page follows
  edits through the document's room (``documents/{id}/room``, read-only), so its policy also names
  this origin's WebSocket URL;
- ``links/{token}``: what a "signed in with the link" link shows;
- ``public/{token}``: what a public link shows, for anyone. An unknown or revoked link is a plain
  404 page, an expired one a plain 410 page.

Beside the API: ``{base_url}livegraphs/...`` on a laptop, ``/services/livegraphs/...`` on a hub.
Each page is one HTML shell whose script (``static/viewer.js``, bundled from ``js/viewer/``) reads
the data routes and draws with the extension's ``ChartView``; every user string is written as
text. Every page carries a Content-Security-Policy that runs scripts from this origin only.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import posixpath
import re
from dataclasses import dataclass
from http.client import responses
from importlib.resources import files
from pathlib import Path
from typing import Any

from jupyter_server.auth.decorator import allow_unauthenticated, authorized
from jupyter_server.base.handlers import JupyterHandler
from tornado import web
from tornado.escape import xhtml_escape

from ..rest import RetryLater
from ..store.errors import StoreError
from .base import LiveGraphsHandler
from .documents import DOC_ID
from .publish import TOKEN_PATH, PublicLinkBase, pages_url

PAGE_CSP = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self' data: blob:; "
    # Plotly adds one <style> element for its own rules.
    "style-src 'self' 'unsafe-inline'; font-src 'self' data:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'self'"
)
#: A Host header fit to be named in a policy: a name or an IPv4/[IPv6] address, and a port.
_HOST = re.compile(r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")


def page_csp(connect: str = "") -> str:
    """The pages' policy; ``connect`` (one origin) is added to ``connect-src``."""
    if not connect:
        return PAGE_CSP
    return PAGE_CSP.replace("connect-src 'self';", f"connect-src 'self' {connect};", 1)


def websocket_origin(protocol: str, host: str) -> str:
    """The page's own origin in its WebSocket scheme (``ws://host``, ``wss://host``), or "" when
    the Host header is not a plain host (it is then left out of the policy).

    CSP Level 3 counts ``ws:``/``wss:`` of the page's own host as ``'self'``; browsers older than
    that (Safari before 15.4) do not, so the live page names its origin as well.
    """
    if not _HOST.fullmatch(host):
        return ""
    return f"{'wss' if protocol == 'https' else 'ws'}://{host}"


ASSETS = {"viewer.js": "text/javascript; charset=utf-8", "viewer.css": "text/css; charset=utf-8"}
ASSET = r"(?P<asset>viewer\.(?:js|css))"


def asset_path(name: str) -> Path:
    return Path(str(files("livegraphs_ext").joinpath("static", "viewer", name)))


@dataclass(frozen=True)
class Asset:
    """A viewer asset as it is and gzipped, and the hash of its content (its version)."""

    plain: bytes
    gzipped: bytes
    version: str


@functools.lru_cache(maxsize=8)
def _read(name: str, mtime_ns: int, size: int) -> Asset:
    data = asset_path(name).read_bytes()
    version = hashlib.sha256(data).hexdigest()[:20]
    return Asset(data, gzip.compress(data, compresslevel=6, mtime=0), version)


def asset_file(name: str) -> Asset:
    """The asset (the script is 6 MiB, mostly Plotly; gzipped, about a quarter), read, compressed
    and hashed once per version of the file."""
    st = asset_path(name).stat()
    return _read(name, st.st_mtime_ns, st.st_size)


def asset_url(static: str, name: str) -> str:
    """The asset's URL with its version (``?v=``): a browser keeps it for good, and a new build is
    a new URL. Without a built asset, its plain URL."""
    try:
        return f"{static}/{name}?v={asset_file(name).version}"
    except OSError:
        return f"{static}/{name}"


class PageBase(LiveGraphsHandler):
    """An HTML page: its own policy, and errors as a plain page rather than JSON."""

    def set_default_headers(self) -> None:
        super().set_default_headers()
        self.set_header("Content-Security-Policy", PAGE_CSP)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "no-referrer")
        self.set_header("Cache-Control", "no-store")

    def get_login_url(self) -> str:
        # a page sends a browser to log in; the API answers 403 (APIHandler's rule)
        identity = self.host.identity
        if identity is None:
            return JupyterHandler.get_login_url(self)
        return identity.page_login_url(self)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        messages = {
            404: "This dashboard link does not exist, or it was revoked.",
            410: "This dashboard link has expired. Ask whoever shared it for a new one.",
        }
        message = messages.get(status_code) or (
            exc.message if isinstance(exc, StoreError) else responses.get(status_code, "Error")
        )
        if isinstance(exc, RetryLater):
            self.set_header("Retry-After", str(exc.retry_after))
        title = xhtml_escape(responses.get(status_code, "Error"))
        page = (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{title} · livegraphs</title></head><body><main><h1>{title}</h1>"
            f"<p>{xhtml_escape(message)}</p></main></body></html>"
        )
        self.finish_typed(page.encode(), "text/html; charset=utf-8")

    def _handle_request_exception(self, e: BaseException) -> None:
        if isinstance(e, StoreError):  # the page's plain text, not the API's JSON
            self.send_error(e.status if e.status in responses else 400, exc_info=(type(e), e, None))
            return
        super()._handle_request_exception(e)

    def shell(self, title: str, **data: str) -> None:
        """The page's HTML: its data as attributes the script reads, its title as text."""
        attrs = " ".join(f'data-lg-{k}="{xhtml_escape(v)}"' for k, v in data.items())
        static = pages_url(self.host, "static")
        html = (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{xhtml_escape(title)} · livegraphs</title>"
            f"<link rel='stylesheet' href='{xhtml_escape(asset_url(static, 'viewer.css'))}'></head>"
            f"<body class='lg-Viewer' {attrs}><div id='lg-viewer'></div>"
            f"<script src='{xhtml_escape(asset_url(static, 'viewer.js'))}'></script></body></html>"
        )
        self.finish_typed(html.encode(), "text/html; charset=utf-8")

    def api_root(self) -> str:
        return posixpath.dirname(self.host.api_url("x"))


class DocumentPageHandler(PageBase):
    """``view/{document_id}``: the dashboard as it is now, for anyone who may read it."""

    @web.authenticated
    @authorized
    async def get(self, document_id: str) -> None:
        doc = await self.run(self.guarded.documents.get, self.principal, document_id)
        if doc["kind"] != "dashboard":
            raise web.HTTPError(404)
        xsrf = self.xsrf_token.decode()  # sets the _xsrf cookie its POSTs echo
        # the page follows the document's room over a WebSocket of this origin
        origin = websocket_origin(self.request.protocol, self.request.host)
        self.set_header("Content-Security-Policy", page_csp(origin))
        self.shell(doc["title"], mode="live", api=self.api_root(), document=document_id, xsrf=xsrf)


class SignedInLinkPageHandler(PageBase):
    """``links/{token}``: what a "signed in with the link" link shows."""

    @web.authenticated
    @authorized
    async def get(self, token: str) -> None:
        view = await self.run(self.guarded.publications.view, token, self.principal)
        xsrf = self.xsrf_token.decode()
        self.shell(view["title"], mode="link", api=self.api_root(), token=token, xsrf=xsrf)


class PublicPageHandler(PageBase, PublicLinkBase):
    """``public/{token}``: what a public link shows, for anyone (limited as its data routes)."""

    @allow_unauthenticated
    async def get(self, token: str) -> None:
        view = await self.run(self.guarded.publications.view, token, None)
        self.shell(view["title"], mode="public", api=self.api_root(), token=token)


class ViewerAssetHandler(LiveGraphsHandler):
    """``static/viewer.js``, ``static/viewer.css``: the viewer page's script and styles, the same
    for everyone (public pages need them before any account)."""

    public = True

    def check_xsrf_cookie(self) -> None:
        return

    _etag = ""

    def compute_etag(self) -> str | None:
        # the content's hash, computed once per build (tornado would hash every answer's body)
        return self._etag or None

    @allow_unauthenticated
    async def get(self, asset: str) -> None:
        try:
            found = asset_file(asset)
        except OSError:
            raise web.HTTPError(404, "The viewer is not built.", reason="Not Found") from None
        if self.get_argument("v", None) == found.version:  # a versioned URL never changes
            self.set_header("Cache-Control", "public, max-age=31536000, immutable")
        else:
            self.set_header("Cache-Control", "no-cache")
        self.set_header("Vary", "Accept-Encoding")
        data, self._etag = found.plain, f'"{found.version}"'
        if "gzip" in self.request.headers.get("Accept-Encoding", ""):
            self.set_header("Content-Encoding", "gzip")
            data, self._etag = found.gzipped, f'"{found.version}-gzip"'
        self.finish_typed(data, ASSETS[asset])


#: The page handlers open to callers with no account (the auth tests check there are no others).
PUBLIC_PAGES: frozenset[type] = frozenset({PublicPageHandler, ViewerAssetHandler})

#: (path beside the API, handler): ``livegraphs/<path>`` on a laptop, ``<service prefix><path>`` on a hub.
PAGE_ROUTES: list[tuple[str, type]] = [
    (rf"view/{DOC_ID}", DocumentPageHandler),
    (rf"links/{TOKEN_PATH}", SignedInLinkPageHandler),
    (rf"public/{TOKEN_PATH}", PublicPageHandler),
    (rf"static/{ASSET}", ViewerAssetHandler),
]
