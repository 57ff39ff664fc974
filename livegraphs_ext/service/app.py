"""The livegraphs hub service: the one process that holds the catalog and the datasets' files.

Run by JupyterHub as a managed service (``python -m livegraphs_ext.service``); it reads
where to listen and how to reach the hub from the ``JUPYTERHUB_*`` environment the hub
sets, and its settings from ``--LiveGraphsService.<name>=`` options or a config file.
"""

from __future__ import annotations

import asyncio
import functools
import os
import secrets
import signal
from concurrent.futures import Executor
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import orjson
from jupyter_server.auth.decorator import allow_unauthenticated
from jupyterhub.services.auth import HubOAuth, HubOAuthCallbackHandler
from jupyterhub.utils import url_path_join
from tornado import web
from tornado.httpserver import HTTPServer
from tornado.httputil import HTTPHeaders
from tornado.ioloop import PeriodicCallback
from tornado.log import enable_pretty_logging
from tornado.web import HTTPError, OutputTransform, RequestHandler
from traitlets import Int, Unicode, default
from traitlets.config import Application

from ..config import StoreSettings
from ..handlers import PAGE_ROUTES
from ..handlers.base import HOST_SETTING
from ..rest import QueryGate, RateLimit
from ..store import Accounts, DatasetStore, GuardedStore, Principal
from ..store.charts import ChartEngine
from .admin import admin_routes
from .auth import (
    ADMIN_SCOPE,
    HubAuthorizer,
    HubIdentified,
    HubIdentity,
    authorized,
    forget_token,
    principal_of,
)
from .directory import HubDirectory
from .handlers import API_ROUTES
from .metrics import ServiceMetrics

#: Options of the service's cookies (its login and its _xsrf): not sent on requests that other
#: sites start, only on top-level navigations to the service.
COOKIE_OPTIONS = {"samesite": "Lax"}

#: The policy of every answer but an HTML page: JSON, text and files load and frame nothing.
API_CSP = "default-src 'none'; frame-ancestors 'none'"


class SecurityHeaders(OutputTransform):
    """``nosniff`` on every answer of the service, and :data:`API_CSP` on all but HTML pages.

    Applied as the answer is sent, so error answers (which start from cleared headers) get them
    too. A handler that sets its own policy (the admin pages) keeps it.
    """

    def transform_first_chunk(
        self, status_code: int, headers: HTTPHeaders, chunk: bytes, finishing: bool
    ) -> tuple[int, HTTPHeaders, bytes]:
        if "X-Content-Type-Options" not in headers:
            headers["X-Content-Type-Options"] = "nosniff"
        html = headers.get("Content-Type", "").startswith("text/html")
        if not html and "Content-Security-Policy" not in headers:
            headers["Content-Security-Policy"] = API_CSP
        return status_code, headers, chunk


class OAuthCallbackHandler(HubOAuthCallbackHandler):
    """Finishes the hub's OAuth login for browsers and sets the service's cookie."""

    def initialize(self, **kwargs: Any) -> None:
        self.hub_auth = self.settings["hub_auth"]


class LogoutHandler(RequestHandler):
    """``/services/livegraphs/logout``: where the hub's logout sends the browser.

    The hub has revoked the token in the service's cookie; the service forgets what it cached about
    that token (so a copy of the cookie stops working now, not when the cache expires), clears the
    cookie and sends the browser to the hub's login page.
    """

    @allow_unauthenticated  # the hub revoked the caller's token just before sending them here
    def get(self) -> None:
        hub_auth: HubOAuth = self.settings["hub_auth"]
        token = hub_auth._get_token_cookie(self)
        if token:
            forget_token(hub_auth, token)
        hub_auth.clear_cookie(self)
        self.redirect(hub_auth.hub_host + url_path_join(hub_auth.hub_prefix, "login"))


class HomeHandler(HubIdentified):
    """``/services/livegraphs/``: a browser lands here (logging in through the hub first)."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.set_header("Content-Type", "application/json")
        me = principal_of(self.current_user or {}, self.settings["admin_scope"]).to_json()
        self.finish(
            orjson.dumps({"user": me, "api": url_path_join(self.settings["api_prefix"], "openapi.yaml")})
        )


class MetricsHandler(HubIdentified):
    """``/services/livegraphs/metrics``: Prometheus text.

    For tokens with ``read:metrics`` (a Prometheus scraper's service token) and livegraphs admins.
    """

    allow_services = True

    def get_login_url(self) -> str:
        raise HTTPError(403, "Send a token with the read:metrics scope")

    def check_hub_user(self, model: dict[str, Any]) -> dict[str, Any]:
        from jupyterhub.services.auth import UserNotAllowed

        scopes = set(model.get("scopes") or ())
        if "read:metrics" in scopes or (model.get("kind") == "user" and principal_of(model).is_admin):
            return model
        raise UserNotAllowed(model)

    @web.authenticated
    @authorized
    async def get(self) -> None:
        metrics: ServiceMetrics = self.settings["metrics"]
        body = await asyncio.get_running_loop().run_in_executor(
            self.settings["light_pool"], metrics.exposition
        )
        self.set_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        self.finish(body)


class LiveGraphsService(StoreSettings, Application):
    """Datasets for every user of a JupyterHub, with owners, shares and an activity log.

    It is the host (``Host`` in ``livegraphs_ext.rest``) of the same API handlers as the laptop
    extension, with the hub's identity; its store settings are :class:`StoreSettings`.
    """

    store: DatasetStore
    guarded: GuardedStore
    accounts: Accounts
    charts: ChartEngine
    heavy_pool: Executor
    light_pool: Executor
    identity: HubIdentity
    chart_view_every: float | None
    document_view_every: float | None
    view_reports: RateLimit
    query_gate: QueryGate
    public_limit: RateLimit

    name = "livegraphs-service"
    description = "The livegraphs JupyterHub service"

    config_file = Unicode(
        "", config=True, help="A Python config file to load (c.LiveGraphsService.<name> = ...)."
    )
    chart_view_seconds = Int(
        300,
        config=True,
        help="""A chart query logs a chart_view event at most once per this many seconds per user
        and dataset, so building a chart counts as one view. Default 300; 0 logs every query.""",
    )
    document_view_seconds = Int(
        1800,
        config=True,
        help="""Opening a dashboard or chart document (its room or its content) logs a dashboard_view
        or chart_view event at most once per this many seconds per user and document, so reconnects
        and reloads within a sitting count as one view. Default 1800 (30 minutes, the usual length
        of a visit); 0 logs every opening.""",
    )
    view_reports_per_minute = Int(
        60,
        config=True,
        help="""How many chart or dashboard views (POST events) each user may report a minute, in
        bursts of up to as many; more are refused (429 with Retry-After). Default 60; 0 is no limit.""",
    )
    hub_events_seconds = Int(
        30,
        config=True,
        help="""Seconds between two imports of the hub's events file ($LIVEGRAPHS_HUB_EVENTS): logins,
        server starts and stops, and deleted users, whose datasets are then archived and the shares
        made to them removed. The admin pages import it too when opened. Default 30; 0: only they do.""",
    )
    admin_scope = Unicode(
        ADMIN_SCOPE,
        config=True,
        help="""Hub scope that makes its holder a livegraphs admin (sees, changes and deletes every
        dataset, reads the activity log). Hub admins are livegraphs admins too.""",
    )
    identity_cache_seconds = Int(
        60,
        config=True,
        help="""Seconds the hub's answer about a token (user, groups, admin, scopes) is reused.
        Group changes take up to this long to reach the service. Default 60.""",
    )
    url = Unicode(
        config=True, help="Where to listen. Default $JUPYTERHUB_SERVICE_URL, else http://127.0.0.1:10101."
    )
    prefix = Unicode(
        config=True,
        help="URL prefix of the service. Default $JUPYTERHUB_SERVICE_PREFIX, else /services/livegraphs/.",
    )

    @default("url")
    def _default_url(self) -> str:
        return os.environ.get("JUPYTERHUB_SERVICE_URL") or "http://127.0.0.1:10101"

    @default("prefix")
    def _default_prefix(self) -> str:
        return os.environ.get("JUPYTERHUB_SERVICE_PREFIX") or "/services/livegraphs/"

    def initialize(self, argv: Any = None) -> None:
        self.parse_command_line(argv)
        if self.config_file:
            self.load_config_file(self.config_file)
            self.parse_command_line(argv)  # the command line wins over the file
        root = self.store_root()
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.root = root
        self.store = self.make_store()
        self.guarded = GuardedStore(self.store)
        self.accounts = Accounts(self.store.catalog, self.guarded.documents)
        self.metrics = ServiceMetrics(self.guarded)
        self.charts = self.make_charts(self.store)
        self.heavy_pool, self.light_pool = self.make_pools()
        self.query_gate = self.make_query_gate()
        self.public_limit = self.make_public_limit()
        self.hub_auth = HubOAuth(cache_max_age=self.identity_cache_seconds, base_url=self.prefix)
        # SameSite=Lax unless the hub says otherwise ($JUPYTERHUB_COOKIE_OPTIONS)
        self.hub_auth.cookie_options = {**COOKIE_OPTIONS, **self.hub_auth.cookie_options}
        self.identity = HubIdentity(self.hub_auth, self.admin_scope)
        self.chart_view_every = float(self.chart_view_seconds)
        self.document_view_every = float(self.document_view_seconds)
        self.view_reports = RateLimit(self.view_reports_per_minute)
        self.log.info("livegraphs service: store at %s, catalog %s", root, self.catalog_url or "SQLite")

    # -- the host of the shared handlers ---------------------------------------------------------

    @property
    def api_prefix(self) -> str:
        return url_path_join(self.prefix, "api")

    def principal(self, handler: RequestHandler) -> Principal:
        return self.identity.principal(handler)

    def api_url(self, *parts: str) -> str:
        return "/".join([self.api_prefix.rstrip("/"), *parts])

    def notify(self, handler: RequestHandler, action: str, dataset: dict[str, Any] | str) -> None:
        pass  # front ends on a hub ask again; there is no event stream to them

    def uploaded(self, size: int) -> None:
        self.metrics.upload(size)

    async def import_file(self, handler: RequestHandler, body: dict[str, Any]) -> tuple[Path, str | None]:
        raise HTTPError(
            400,
            "datasets/import copies a file of your Jupyter server: call it on your server "
            "(livegraphs/api/datasets/import), or upload the file with POST datasets?name=",
            reason="Bad Request",
        )

    def request_done(self, handler: RequestHandler) -> None:
        self.metrics.observe_request(handler)

    async def files_using(
        self, handler: RequestHandler, dataset: dict[str, Any], columns: list[str]
    ) -> dict[str, Any] | None:
        return None  # users' files are theirs: the service cannot read them

    _directory: HubDirectory | None = None

    async def directory(self, handler: RequestHandler, prefix: str, limit: int) -> dict[str, list[str]]:
        """The hub's users and groups whose names start with ``prefix`` (its answers kept briefly)."""
        hub_api = handler.settings["hub_api"]
        if self._directory is None or self._directory.hub_api is not hub_api:
            self._directory = HubDirectory(hub_api)
        return await self._directory.find(prefix, limit)

    def make_app(self) -> web.Application:
        api_prefix = self.api_prefix
        handlers: list[Any] = [
            (url_path_join(self.prefix, "oauth_callback"), OAuthCallbackHandler),
            (url_path_join(self.prefix, "logout"), LogoutHandler),
            (url_path_join(self.prefix, "metrics"), MetricsHandler),
            (self.prefix.rstrip("/") + "/?", HomeHandler),
        ]
        handlers += [(url_path_join(api_prefix, path), handler) for path, handler in API_ROUTES]
        handlers += [(url_path_join(self.prefix, path), handler) for path, handler in PAGE_ROUTES]
        admin_handlers, admin_settings = admin_routes(self.prefix, self.guarded, self.root, self.accounts)
        handlers += admin_handlers
        settings: dict[str, Any] = {
            **admin_settings,
            HOST_SETTING: self,
            "hub_auth": self.hub_auth,
            "authorizer": HubAuthorizer(),
            "metrics": self.metrics,
            "admin_scope": self.admin_scope,
            "api_prefix": api_prefix,
            "light_pool": self.light_pool,
            "cookie_secret": os.environ.get("LIVEGRAPHS_COOKIE_SECRET") or secrets.token_bytes(32),
            "xsrf_cookies": True,
            "xsrf_cookie_kwargs": {"samesite": self.hub_auth.cookie_options.get("samesite", "Lax")},
            "login_url": self.hub_auth.login_url,
        }
        return web.Application(handlers, transforms=[SecurityHeaders], **settings)

    async def serve(self) -> None:
        enable_pretty_logging()
        parsed = urlparse(self.url)
        app = self.make_app()
        server = HTTPServer(app, xheaders=True, max_body_size=self.max_upload_bytes)
        server.listen(parsed.port or 80, parsed.hostname or "127.0.0.1")
        importer = app.settings.get("hub_events")
        if importer is not None and self.hub_events_seconds > 0:
            PeriodicCallback(
                functools.partial(self._import_hub_events, importer), self.hub_events_seconds * 1000
            ).start()
        self.log.info("livegraphs service listening on %s%s", self.url, self.prefix)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        server.stop()
        rooms = getattr(self, "rooms", None)
        if rooms is not None:
            await rooms.close()  # open documents' rooms save a version
        self.heavy_pool.shutdown(wait=False, cancel_futures=True)
        self.light_pool.shutdown(wait=False, cancel_futures=True)
        self.charts.close()
        self.store.close()

    async def _import_hub_events(self, importer: Any) -> None:
        try:
            await asyncio.get_running_loop().run_in_executor(self.light_pool, importer.run)
        except Exception:
            self.log.exception("livegraphs: could not import the hub's events")

    def start(self) -> None:
        asyncio.run(self.serve())


def main(argv: Any = None) -> None:
    app = LiveGraphsService()
    app.initialize(argv)
    app.start()
