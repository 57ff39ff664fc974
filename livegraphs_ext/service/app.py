"""The livegraphs hub service: the one process that holds the catalog and the datasets' files.

Run by JupyterHub as a managed service (``python -m livegraphs_ext.service``); it reads
where to listen and how to reach the hub from the ``JUPYTERHUB_*`` environment the hub
sets, and its settings from ``--LiveGraphsService.<name>=`` options or a config file.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import orjson
from jupyterhub.services.auth import HubOAuth, HubOAuthCallbackHandler
from jupyterhub.utils import url_path_join
from tornado import web
from tornado.httpserver import HTTPServer
from tornado.log import enable_pretty_logging
from tornado.web import HTTPError
from traitlets import Int, Unicode, default
from traitlets.config import Application

from ..store import DatasetStore, GuardedStore, StoreConfig, default_root
from ..store.ingest import IngestLimits
from .admin import admin_routes
from .auth import ADMIN_SCOPE, HubIdentified, authorized, principal_of
from .handlers import API_ROUTES
from .metrics import ServiceMetrics

GiB = 1 << 30
MiB = 1 << 20


class OAuthCallbackHandler(HubOAuthCallbackHandler):
    """Finishes the hub's OAuth login for browsers and sets the service's cookie."""

    def initialize(self, **kwargs: Any) -> None:
        self.hub_auth = self.settings["hub_auth"]


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


class LiveGraphsService(Application):
    """Datasets for every user of a JupyterHub, with owners, shares and an activity log."""

    name = "livegraphs-service"
    description = "The livegraphs JupyterHub service"

    config_file = Unicode(
        "", config=True, help="A Python config file to load (c.LiveGraphsService.<name> = ...)."
    )
    data_dir = Unicode(
        "",
        config=True,
        help="""Folder of the catalog (when SQLite), the Parquet files and upload staging; only this
        service should be able to read it.
        Empty means $LIVEGRAPHS_DATA_DIR, else <Jupyter data dir>/livegraphs.""",
    )
    catalog_url = Unicode(
        "",
        config=True,
        help="""SQLAlchemy URL of the catalog, e.g. postgresql+psycopg://livegraphs@db/livegraphs.
        Empty means a SQLite file, catalog.sqlite, inside data_dir.""",
    )
    max_upload_bytes = Int(10 * GiB, config=True, help="Largest upload accepted, in bytes. Default 10 GiB.")
    max_decompressed_bytes = Int(
        20 * GiB, config=True, help="Largest size a compressed upload may expand to."
    )
    max_columns = Int(2000, config=True, help="Most columns a dataset may have. Default 2000.")
    max_line_bytes = Int(16 * MiB, config=True, help="Longest CSV line or JSON Lines record, in bytes.")
    ingest_time_limit = Int(1800, config=True, help="Seconds an upload's parsing may take. Default 1800.")
    max_problems = Int(100, config=True, help="Most validation problems listed in an upload's report.")
    query_time_limit = Int(
        60, config=True, help="Seconds a page query, change or export may run. Default 60."
    )
    duckdb_memory_limit = Unicode("1GB", config=True, help="DuckDB memory limit of the store's queries.")
    heavy_workers = Int(2, config=True, help="Threads for uploads, changes and exports. Default 2.")
    light_workers = Int(4, config=True, help="Threads for reads. Default 4.")
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
        root = Path(self.data_dir or default_root())
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.root = root
        self.store = DatasetStore(
            StoreConfig(
                root=root,
                catalog_url=self.catalog_url or None,
                ingest=IngestLimits(
                    max_decompressed_bytes=self.max_decompressed_bytes,
                    max_columns=self.max_columns,
                    max_line_bytes=self.max_line_bytes,
                    time_limit=float(self.ingest_time_limit),
                    max_problems=self.max_problems,
                ),
                duckdb_memory_limit=self.duckdb_memory_limit,
                query_timeout_ms=self.query_time_limit * 1000,
            )
        )
        self.guarded = GuardedStore(self.store)
        self.metrics = ServiceMetrics(self.guarded)
        self.heavy_pool = ThreadPoolExecutor(self.heavy_workers, thread_name_prefix="livegraphs-heavy")
        self.light_pool = ThreadPoolExecutor(self.light_workers, thread_name_prefix="livegraphs-light")
        self.hub_auth = HubOAuth(cache_max_age=self.identity_cache_seconds, base_url=self.prefix)
        self.log.info("livegraphs service: store at %s, catalog %s", root, self.catalog_url or "SQLite")

    def make_app(self) -> web.Application:
        api_prefix = url_path_join(self.prefix, "api")
        handlers: list[Any] = [
            (url_path_join(self.prefix, "oauth_callback"), OAuthCallbackHandler),
            (url_path_join(self.prefix, "metrics"), MetricsHandler),
            (self.prefix.rstrip("/") + "/?", HomeHandler),
        ]
        handlers += [(url_path_join(api_prefix, path), handler) for path, handler in API_ROUTES]
        admin_handlers, admin_settings = admin_routes(self.prefix, self.guarded, self.root)
        handlers += admin_handlers
        return web.Application(
            handlers,
            **admin_settings,
            hub_auth=self.hub_auth,
            guarded=self.guarded,
            metrics=self.metrics,
            admin_scope=self.admin_scope,
            api_prefix=api_prefix,
            max_upload_bytes=self.max_upload_bytes,
            heavy_pool=self.heavy_pool,
            light_pool=self.light_pool,
            cookie_secret=os.environ.get("LIVEGRAPHS_COOKIE_SECRET") or secrets.token_bytes(32),
            xsrf_cookies=True,
            login_url=self.hub_auth.login_url,
        )

    async def serve(self) -> None:
        enable_pretty_logging()
        parsed = urlparse(self.url)
        server = HTTPServer(self.make_app(), xheaders=True, max_body_size=self.max_upload_bytes)
        server.listen(parsed.port or 80, parsed.hostname or "127.0.0.1")
        self.log.info("livegraphs service listening on %s%s", self.url, self.prefix)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        server.stop()
        self.heavy_pool.shutdown(wait=False, cancel_futures=True)
        self.light_pool.shutdown(wait=False, cancel_futures=True)
        self.store.close()

    def start(self) -> None:
        asyncio.run(self.serve())


def main(argv: Any = None) -> None:
    app = LiveGraphsService()
    app.initialize(argv)
    app.start()
