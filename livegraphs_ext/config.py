"""The settings of the dataset store, shared by both hosts.

``StoreSettings`` is a traitlets configurable that the laptop extension (``LiveGraphsApp``)
and the hub service (``LiveGraphsService``) both inherit, so every store setting is declared
once and is set under either app's name: ``c.LiveGraphsApp.<name>`` on a laptop,
``--LiveGraphsService.<name>`` on a hub.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from traitlets import Float, Int, Unicode, default
from traitlets.config import Configurable

from .documents.rooms import Rooms
from .rest import QueryGate, RateLimit
from .store import DatasetStore, StoreConfig, default_root
from .store.charts import ChartEngine
from .store.documents import DocumentStore
from .store.ingest import IngestLimits
from .store.models import ModelLimits
from .store.sqlquery.engine import warm_up as sql_warm_up

GiB = 1 << 30
MiB = 1 << 20


class StoreSettings(Configurable):
    """Where the store keeps its data, its limits, DuckDB's limits, its worker pools and its charts."""

    data_dir = Unicode(
        "",
        config=True,
        help="""Folder that holds the catalog, the datasets' Parquet files and upload staging
        (on a hub, only the service should be able to read it).
        Empty means $LIVEGRAPHS_DATA_DIR if set, else <Jupyter data dir>/livegraphs (the default).""",
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
        help="""Seconds a chart, profile or page query may run; past it DuckDB is interrupted and
        the answer is 408 (Query Timeout). Also the most each DuckDB statement of a change or
        export may run. Default 60.""",
    )
    max_filter_values = Int(
        10_000,
        config=True,
        help="""Most values the filters of one chart or page query may hold, summed over every
        condition (a list of values counts its length, any other condition one). Default 10,000;
        past it, 400 (Too many filter values). A filter has at most 1,000 conditions.""",
    )
    max_query_bytes = Int(
        1 * MiB,
        config=True,
        help="""Largest body of a chart query, in bytes. Default 1 MiB; larger bodies get 413
        before they are read when Content-Length is sent.""",
    )
    user_queries = Int(
        2,
        config=True,
        help="""Chart, profile and page queries one user may run at once. More wait their turn
        for up to user_queue_seconds, then get 429 with Retry-After. Default 2; 0 is no limit.""",
    )
    user_queue_seconds = Int(
        15,
        config=True,
        help="Seconds a query past a user's user_queries waits for its turn before 429. Default 15.",
    )
    public_requests_per_minute = Int(
        600,
        config=True,
        help="""Requests a minute one client (its IP address) may send through one public link
        (the viewer page, its charts and filter values), in bursts of up to as many; more get 429
        with Retry-After. A page asks once for itself, once for the dashboard, then once per chart and
        filter, and again for every chart a filter change redraws. Default 600; 0 is no limit.""",
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
        dataset, version and spec (on a hub shared by all users, each query authorized first).
        Default 64 MiB; 0 turns the cache off.""",
    )

    page_order_bytes = Int(
        1024 * MiB,
        config=True,
        help="""Disk kept for the row orders (8 bytes a row) and sorted copies of sorted and filtered
        grid pages, per version, sort and filter in use; least recently used dropped first.
        Default 1 GiB.""",
    )

    sql_memory_limit = Unicode(
        "1GB",
        config=True,
        help="""DuckDB memory limit of each SQL query (e.g. '1GB'), which runs in a process of its own;
        the process may use twice this and 256 MiB more before any allocation fails (Linux).
        Past it the query stops with 413 (Query Too Large). Default 1GB.""",
    )
    sql_threads = Int(
        2,
        config=True,
        help="DuckDB threads of each SQL query. Default 2. A query also takes one of its user's turns "
        "(user_queries).",
    )
    sql_max_rows = Int(
        1_000_000,
        config=True,
        help="""Most rows the whole result of a SQL query may have when it is fetched at once
        (lg.sql, or an Arrow answer of sql/query). Default 1,000,000; past it, 413. Pages of a
        result and results saved as datasets are not bound by it.""",
    )

    model_max_rows = Int(
        200_000,
        config=True,
        help="""Most rows a model (POST datasets/{id}/models) is fitted and evaluated on; above it a
        seeded sample of this many rows is used, and the report says so. Default 200,000.""",
    )
    model_time_limit = Float(
        120.0,
        config=True,
        help="""Seconds one model fit may take (every split, the final fit and the importance), in a
        process of its own; past it the process is killed and the answer is 408 (Training Timeout).
        Default 120; 0 is no limit.""",
    )
    model_max_features = Int(
        50,
        config=True,
        help="""Most features one model may use; more is 400. Default 50.""",
    )
    model_memory_limit = Int(
        2 * GiB,
        config=True,
        help="""Bytes a model's fitting process may grow by (resident memory, Linux); past it the process is
        killed and the answer is 413 (Training Too Large). Default 2 GiB; 0 is no limit.""",
    )

    room_max_clients = Int(
        100,
        config=True,
        help="""Most connections one document's room holds at once; past it, 429 before the
        WebSocket upgrade. Default 100.""",
    )
    room_max_message_bytes = Int(
        8 * MiB,
        config=True,
        help="""Largest WebSocket message a document room accepts, in bytes; a larger one closes
        the connection (1009). Default 8 MiB.""",
    )
    room_versions_every = Int(
        500,
        config=True,
        help="""A document's stored updates become a version after this many (and when its room's
        last client leaves). Default 500.""",
    )

    @default("data_dir")
    def _default_data_dir(self) -> str:
        return str(default_root())

    def store_root(self) -> Path:
        return Path(self.data_dir or default_root())

    def make_store(self) -> DatasetStore:
        """The dataset store these settings describe (its SQL queries' fork server starting)."""
        sql_warm_up()
        limits = IngestLimits(
            max_decompressed_bytes=self.max_decompressed_bytes,
            max_columns=self.max_columns,
            max_line_bytes=self.max_line_bytes,
            time_limit=float(self.ingest_time_limit),
            max_problems=self.max_problems,
        )
        return DatasetStore(
            StoreConfig(
                root=self.store_root(),
                catalog_url=self.catalog_url or None,
                ingest=limits,
                duckdb_memory_limit=self.duckdb_memory_limit,
                duckdb_temp_limit=self.duckdb_temp_limit,
                query_timeout_ms=self.query_time_limit * 1000,
                max_filter_values=self.max_filter_values,
                chart_max_marks=self.max_marks,
                chart_cache_bytes=self.chart_cache_bytes,
                page_order_bytes=self.page_order_bytes,
                sql_memory_limit=self.sql_memory_limit,
                sql_threads=self.sql_threads,
                sql_max_rows=self.sql_max_rows,
                models=self.model_limits(),
            )
        )

    def model_limits(self) -> ModelLimits:
        """The limits of one model fit (the ``model_*`` settings)."""
        return ModelLimits(
            max_rows=self.model_max_rows,
            time_limit=float(self.model_time_limit),
            max_features=self.model_max_features,
            memory=self.model_memory_limit,
        )

    def make_rooms(self, documents: DocumentStore) -> Rooms:
        """The rooms of ``documents`` in this process, under the room settings."""
        return Rooms(documents, max_clients=self.room_max_clients, compact_every=self.room_versions_every)

    def make_charts(self, store: DatasetStore) -> ChartEngine:
        """The chart engine of ``store``: the store's own, so every chart query shares its pool and cache."""
        return store.charts

    def make_query_gate(self) -> QueryGate:
        """The per-user turns of chart, profile and page queries."""
        return QueryGate(self.user_queries, float(self.user_queue_seconds))

    def make_public_limit(self) -> RateLimit:
        """The rate limit of public links' requests, per link and client."""
        return RateLimit(self.public_requests_per_minute)

    def make_pools(self) -> tuple[ThreadPoolExecutor, ThreadPoolExecutor]:
        """(heavy, light): the pools of store work; heavy work (ingest, changes, export) has its own."""
        return (
            ThreadPoolExecutor(self.heavy_workers, thread_name_prefix="livegraphs-heavy"),
            ThreadPoolExecutor(self.light_workers, thread_name_prefix="livegraphs-light"),
        )
