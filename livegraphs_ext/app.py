"""The jupyter-server extension: hosts the dataset store on a laptop."""

from __future__ import annotations

import getpass
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from jupyter_server.extension.application import ExtensionApp
from jupyter_server.utils import url_path_join
from tornado.simple_httpclient import SimpleAsyncHTTPClient
from traitlets import Any, Enum, Int, Unicode, default

from .handlers import ROUTES, STATIC_ROUTES
from .handlers.forward import FORWARD_ROUTES, make_forward_client
from .store import DatasetStore, StoreConfig, default_root
from .store.ingest import IngestLimits

GiB = 1 << 30
MiB = 1 << 20


class LiveGraphsApp(ExtensionApp):
    """Datasets, charts and dashboards inside JupyterLab."""

    name = "livegraphs_ext"
    #: the API lives under {base_url}livegraphs/api/
    api_prefix = "livegraphs/api"

    data_dir = Unicode(
        "",
        config=True,
        help="""Folder that holds the catalog, the datasets' Parquet files and upload staging.
        Empty (the default) means $LIVEGRAPHS_DATA_DIR if set, else <Jupyter data dir>/livegraphs.""",
    )
    catalog_url = Unicode(
        "",
        config=True,
        help="""SQLAlchemy URL of the catalog database, e.g. postgresql+psycopg://user@host/db.
        Empty (the default) means a SQLite file, catalog.sqlite, inside data_dir.""",
    )
    max_upload_bytes = Int(
        10 * GiB,
        config=True,
        help="""Largest upload accepted, in bytes, as sent (compressed or not). Default 10 GiB.
        Larger uploads get 413 before any byte is stored when Content-Length is sent.""",
    )
    max_decompressed_bytes = Int(
        20 * GiB,
        config=True,
        help="Largest size, in bytes, a compressed upload may expand to. Default 20 GiB; past it, 413.",
    )
    max_columns = Int(2000, config=True, help="Most columns a dataset may have. Default 2000; past it, 400.")
    max_line_bytes = Int(
        16 * MiB,
        config=True,
        help="Longest line (CSV) or record (JSON Lines) accepted, in bytes. Default 16 MiB; past it, 413.",
    )
    ingest_time_limit = Int(
        1800,
        config=True,
        help="Seconds an upload's parsing and conversion may take. Default 1800; past it, 408.",
    )
    max_problems = Int(
        100,
        config=True,
        help="""Most validation problems ({row, column, value, expected}) listed in an upload's report.
        Default 100; the report also gives the total count.""",
    )
    query_time_limit = Int(
        60,
        config=True,
        help="Seconds a page query, change or export may run in DuckDB. Default 60.",
    )
    duckdb_memory_limit = Unicode(
        "1GB",
        config=True,
        help="DuckDB memory limit for the store's queries and ingests (e.g. '1GB'); DuckDB spills past it.",
    )
    duckdb_temp_limit = Unicode(
        "4GB",
        config=True,
        help="Most disk one store query may spill to under data_dir (e.g. '4GB'); past it the query fails.",
    )
    heavy_workers = Int(
        2,
        config=True,
        help="Threads for uploads, changes and exports. Default 2; reads have their own pool.",
    )
    local_user = Unicode(
        config=True,
        help="""Owner of the datasets made on a laptop, where every token user is the one local user.
        Default: the operating system's user name. Ignored when an identity provider
        (JupyterHub's) names users.""",
    )
    light_workers = Int(4, config=True, help="Threads for reads (lists, pages, versions). Default 4.")
    max_marks = Int(
        5000,
        config=True,
        help="""Most marks (bars, points, cells, rows) a chart query returns. Default 5000.
        Past it the engine keeps the largest groups, downsamples lines, bins dense scatter plots
        or pages tables, and says so in the result's `reduction`.
        A spec's own max_marks can only lower it.""",
    )
    chart_cache_bytes = Int(
        64 * MiB,
        config=True,
        help="""Bytes of chart results kept in memory (least recently used dropped first), keyed by
        dataset, version and spec. Default 64 MiB; 0 turns the cache off.""",
    )
    backend = Enum(
        ["auto", "local", "hub"],
        "auto",
        config=True,
        help="""Where datasets live. "local": in this server (a laptop). "hub": in the livegraphs
        JupyterHub service; this server forwards the REST API to it with its $JUPYTERHUB_API_TOKEN
        and keeps no data. "auto" (the default): "hub" when running under JupyterHub
        ($JUPYTERHUB_API_TOKEN set) and service_url or $LIVEGRAPHS_SERVICE_URL names the service,
        else "local".""",
    )
    service_url = Unicode(
        "",
        config=True,
        help="""URL of the livegraphs hub service as this server and its kernels reach it, e.g.
        http://127.0.0.1:10101/services/livegraphs/. Empty (the default) means $LIVEGRAPHS_SERVICE_URL;
        with backend "hub", else $JUPYTERHUB_PUBLIC_URL + services/livegraphs/ (through the proxy).""",
    )
    _forward_client = Any(None, allow_none=True)

    @default("local_user")
    def _default_local_user(self) -> str:
        return getpass.getuser()

    @default("data_dir")
    def _default_data_dir(self) -> str:
        return str(default_root())

    def resolved_service_url(self) -> str:
        url = self.service_url or os.environ.get("LIVEGRAPHS_SERVICE_URL", "")
        if not url and self.backend == "hub" and os.environ.get("JUPYTERHUB_PUBLIC_URL"):
            url = url_path_join(os.environ["JUPYTERHUB_PUBLIC_URL"], "services", "livegraphs")
        return url.rstrip("/") + "/" if url else ""

    @property
    def uses_hub(self) -> bool:
        if self.backend == "auto":
            return bool(os.environ.get("JUPYTERHUB_API_TOKEN") and self.resolved_service_url())
        return self.backend == "hub"

    @property
    def hub_api_token(self) -> str:
        return os.environ.get("JUPYTERHUB_API_TOKEN", "")

    def service_api_url(self) -> str:
        return url_path_join(self.resolved_service_url(), "api")

    def service_prefix_path(self) -> str:
        from urllib.parse import urlparse

        return urlparse(self.resolved_service_url()).path or "/"

    def forward_client(self) -> SimpleAsyncHTTPClient:
        if self._forward_client is None:
            self._forward_client = make_forward_client()
        return self._forward_client

    def initialize_settings(self) -> None:
        if self.uses_hub:
            if not self.resolved_service_url() or not self.hub_api_token:
                raise ValueError(
                    "livegraphs backend 'hub' needs $JUPYTERHUB_API_TOKEN and a service_url "
                    "(c.LiveGraphsApp.service_url or $LIVEGRAPHS_SERVICE_URL)"
                )
            # Kernels started by this server read datasets from the service too (lg.load).
            os.environ["LIVEGRAPHS_SERVICE_URL"] = self.resolved_service_url()
            self.log.info("livegraphs: datasets live in the hub service at %s", self.resolved_service_url())
            return
        root = Path(self.data_dir or default_root())
        limits = IngestLimits(
            max_decompressed_bytes=self.max_decompressed_bytes,
            max_columns=self.max_columns,
            max_line_bytes=self.max_line_bytes,
            time_limit=float(self.ingest_time_limit),
            max_problems=self.max_problems,
        )
        self.store = DatasetStore(
            StoreConfig(
                root=root,
                catalog_url=self.catalog_url or None,
                ingest=limits,
                duckdb_memory_limit=self.duckdb_memory_limit,
                duckdb_temp_limit=self.duckdb_temp_limit,
                query_timeout_ms=self.query_time_limit * 1000,
                chart_max_marks=self.max_marks,
                chart_cache_bytes=self.chart_cache_bytes,
            )
        )
        self.charts = self.store.charts
        self.heavy_pool = ThreadPoolExecutor(self.heavy_workers, thread_name_prefix="livegraphs-heavy")
        self.light_pool = ThreadPoolExecutor(self.light_workers, thread_name_prefix="livegraphs-light")
        # Kernels started by this server inherit these, so lg.load() reads the same store.
        os.environ["LIVEGRAPHS_DATA_DIR"] = str(root)
        if self.catalog_url:
            os.environ["LIVEGRAPHS_CATALOG_URL"] = self.catalog_url
        self.log.info("livegraphs: dataset store at %s", root)
        self._register_events()

    def _register_events(self) -> None:
        """Dataset change notifications, sent to front ends over jupyter-server's event stream."""
        logger = getattr(self.serverapp, "event_logger", None)
        if logger is not None:
            logger.register_event_schema(Path(__file__).parent / "events" / "dataset.yaml")

    def initialize_handlers(self) -> None:
        # ExtensionApp puts base_url in front of every pattern itself.
        routes = FORWARD_ROUTES if self.uses_hub else ROUTES
        self.handlers.extend((url_path_join(self.api_prefix, path), handler) for path, handler in routes)
        self.handlers.extend(STATIC_ROUTES)

    def api_url(self, *parts: str) -> str:
        base = self.serverapp.base_url if self.serverapp else "/"
        return url_path_join(base, self.api_prefix, *parts)

    async def stop_extension(self) -> None:
        for pool in (getattr(self, "heavy_pool", None), getattr(self, "light_pool", None)):
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
        charts = getattr(self, "charts", None)
        if charts is not None:
            charts.close()
        store = getattr(self, "store", None)
        if store is not None:
            store.close()
        if self._forward_client is not None:
            self._forward_client.close()
