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

import base64
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

import orjson
from jupyter_server.auth.decorator import allow_unauthenticated, authorized
from jupyter_server.base.handlers import JupyterHandler
from tornado import web
from tornado.escape import xhtml_escape

from ..rest import RetryLater
from ..store import Principal
from ..store.errors import StoreError
from ..store.publications import Preload, token_hash
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
    """The asset (the script is 2.7 MB, half of it Plotly; gzipped, about a third), read, compressed
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


def styles(static: str) -> str:
    """The pages' styles as an element of their head: the built styles themselves, or a link to
    them when they are not built (or would end the element early)."""
    try:
        css = asset_file("viewer.css").plain.decode()
    except OSError:
        css = ""
    if not css or "</style" in css.lower():
        return f"<link rel='stylesheet' href='{xhtml_escape(asset_url(static, 'viewer.css'))}'>"
    return f"<style>{css}</style>"


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
        """Send the page's HTML (:meth:`shell_html`)."""
        self.finish_typed(self.shell_html(title, **data), "text/html; charset=utf-8")

    def shell_html(self, title: str, **data: str) -> bytes:
        """The page's HTML: its data as attributes the script reads, its title as text, and its
        styles in the page (one request fewer; the policy allows inline styles for Plotly's)."""
        attrs = " ".join(f'data-lg-{k}="{xhtml_escape(v)}"' for k, v in data.items())
        static = pages_url(self.host, "static")
        html = (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{xhtml_escape(title)} · livegraphs</title>{styles(static)}</head>"
            f"<body class='lg-Viewer' {attrs}><div id='lg-viewer'></div>"
            f"<script src='{xhtml_escape(asset_url(static, 'viewer.js'))}'></script></body></html>"
        )
        return html.encode()

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


def preloaded(pre: Preload) -> dict[str, str]:
    """A link page's data for its script: the dashboard (JSON), the kept answers of its charts
    with no extra conditions (JSON of base64 Arrow bytes by chart id) and the kept values of its
    dropdown filters (JSON: each filter's answer by its id)."""
    answers = {chart: base64.b64encode(body).decode() for chart, body in pre.answers.items()}
    values = {f: orjson.Fragment(body) for f, body in pre.values.items()}
    return {
        "dashboard": orjson.dumps(pre.view).decode(),
        "answers": orjson.dumps(answers).decode(),
        "values": orjson.dumps(values).decode(),
    }


class SnapshotPageBase(PageBase):
    """A link's page: it carries the snapshot and the kept answers of its charts, so that its
    script asks only for the rest (and for what the viewer's filters narrow)."""

    async def preload(self, token: str, viewer: Principal | None) -> Preload:
        pubs, engine = self.guarded.publications, self.host.charts
        # a link read less than a second ago is checked in memory, with no thread
        pre = pubs.preload(token, engine, viewer, read=False)
        if pre is None:
            pre = await self.run(pubs.preload, token, engine, viewer)
        assert pre is not None
        return pre


class SignedInLinkPageHandler(SnapshotPageBase):
    """``links/{token}``: what a "signed in with the link" link shows."""

    @web.authenticated
    @authorized
    async def get(self, token: str) -> None:
        pre = await self.preload(token, self.principal)
        xsrf = self.xsrf_token.decode()
        self.shell(
            pre.view["title"], mode="link", api=self.api_root(), token=token, xsrf=xsrf, **preloaded(pre)
        )


class PublicPageHandler(SnapshotPageBase, PublicLinkBase):
    """``public/{token}``: what a public link shows, for anyone (limited as its data routes).

    The page is the same for everyone who opens the link, so once it carries every chart's
    answer it is kept as sent, plain and gzipped (:attr:`Publications.pages`), under the link and
    what it depends on: the snapshot (a new one, or a deleted dataset, is another page), the
    budget and the script's and styles' versions. The link itself is checked on every request,
    before anything is sent.
    """

    @allow_unauthenticated
    async def get(self, token: str) -> None:
        pre = await self.preload(token, None)
        static = pages_url(self.host, "static")
        api = self.api_root()
        key = (
            token_hash(token),
            pre.key,
            api,
            asset_url(static, "viewer.js"),
            asset_url(static, "viewer.css"),
        )
        pages = self.guarded.publications.pages
        kept = pages.get(key)
        if kept is None:
            page = self.shell_html(pre.view["title"], mode="public", api=api, token=token, **preloaded(pre))
            if not pre.complete:
                self.finish_typed(page, "text/html; charset=utf-8")
                return
            kept = (page, gzip.compress(page, compresslevel=6, mtime=0))
            pages.put(key, kept)
        self.set_header("Vary", "Accept-Encoding")
        page = kept[0]
        if "gzip" in self.request.headers.get("Accept-Encoding", ""):
            self.set_header("Content-Encoding", "gzip")
            page = kept[1]
        self.finish_typed(page, "text/html; charset=utf-8")


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
