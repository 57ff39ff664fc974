"""The store's core: its settings, folders, catalog, per-dataset locks and locked DuckDB connections.

The jobs of :class:`~.store.DatasetStore` build on :class:`StoreCore`: reading datasets
and versions (:mod:`.versions`), changing them (:mod:`.changes`) and querying them
(:mod:`.queries`).
"""

from __future__ import annotations

import os
import re
import threading
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from .catalog import Catalog, DatasetRow
from .charts.pool import ConnectionPool
from .errors import BadInput
from .files import remove_quietly, unique_name
from .filters import MAX_FILTER_VALUES
from .ingest import IngestLimits
from .ingest.engine import restrict_files
from .models.spec import ModelLimits
from .pages import HOLD_SHARE, HeldRows, ParquetMetaCache, RowOrders, memory_bytes
from .sql import quote_literal
from .textsearch import index_owner

#: Called inside a change's catalog transaction, with the session and the dataset row,
#: so a host's authorization check and activity record commit (or fail) with the change.
InTransaction = Callable[[Any, DatasetRow], None]

NAME_MAX = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_label(value: str, noun: str, reason: str, slash: str) -> str:
    """``value`` trimmed, if it is 1 to 200 printable characters (any script) but ``/``.

    The rule of dataset names and document titles, so that ``owner/name`` always names one
    (see :mod:`.names`); ``noun`` starts each message ("A dataset name"), ``slash`` says why
    ``/`` is refused.
    """
    value = unicodedata.normalize("NFC", value).strip()
    if not value:
        raise BadInput(f"{noun} cannot be empty", reason)
    if len(value) > NAME_MAX:
        raise BadInput(f"{noun} has at most {NAME_MAX} characters, not {len(value)}", reason)
    if _CONTROL.search(value):
        raise BadInput(f"{noun} cannot contain control characters", reason)
    if "/" in value:
        raise BadInput(f"{noun} cannot contain '/': {slash}", reason)
    return value


def check_name(name: str | None) -> str:
    """A dataset name: 1 to 200 printable characters (any script) but ``/``, trimmed."""
    if name is None:
        raise BadInput("A dataset needs a name: pass ?name=...", "Missing name")
    return check_label(name, "A dataset name", "Bad name", "owner/name names another user's dataset")


@dataclass
class StoreConfig:
    root: Path
    catalog_url: str | None = None
    ingest: IngestLimits = field(default_factory=IngestLimits)
    #: DuckDB settings of the store's own queries
    duckdb_threads: int = 2
    duckdb_memory_limit: str = "1GB"
    #: disk a query may spill to
    duckdb_temp_limit: str = "4GB"
    query_timeout_ms: int = 60_000
    #: the most values a query's filters may hold, summed over every condition
    max_filter_values: int = MAX_FILTER_VALUES
    #: the store's chart engine (``DatasetStore.charts``): the mark budget, the bytes of
    #: results it keeps (0 keeps none: each query is run again) and its idle connections
    chart_max_marks: int = 5000
    chart_cache_bytes: int = 0
    chart_idle_connections: int = 4
    #: sorted and filtered pages: the disk kept for row orders (8 bytes a row of each
    #: sort or filter in use) and the last row a top-N query serves while one is built
    page_order_bytes: int = 1 << 30
    page_top_window: int = 10_000
    #: users' SQL queries (:mod:`.sqlquery`): DuckDB's threads and memory in each query's worker,
    #: and the most rows a whole result may have
    sql_threads: int = 2
    sql_memory_limit: str = "1GB"
    sql_max_rows: int = 1_000_000
    #: models fitted on datasets (:mod:`.models`): rows, time, features and memory of one fit
    models: ModelLimits = field(default_factory=ModelLimits)


class StoreCore:
    """Folders, catalog and locks of a store, and the private DuckDB connections its queries use."""

    def __init__(self, config: StoreConfig, *, sweep: bool = True):
        self.config = config
        self.root = Path(config.root)
        self.datasets_dir = self.root / "datasets"
        self.staging_dir = self.root / "staging"
        self.work_dir = self.root / "work"
        #: what can be made again from the datasets (the row orders and sorted copies of pages)
        self.cache_dir = self.root / "cache"
        for d in (self.datasets_dir, self.staging_dir, self.work_dir, self.cache_dir):
            d.mkdir(parents=True, exist_ok=True)
        url = config.catalog_url or f"sqlite:///{self.root / 'catalog.sqlite'}"
        self.catalog = Catalog(url)
        self._meta = ParquetMetaCache()
        self._page_pool = ConnectionPool(4)
        self._orders = RowOrders(self.cache_dir / unique_name("-orders"), config.page_order_bytes)
        self._held = HeldRows((memory_bytes(config.duckdb_memory_limit) or 0) // HOLD_SHARE)
        # One writer per dataset in this process; the catalog's version check covers other processes.
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        if sweep:
            self.sweep()

    # ------------------------------------------------------------------ housekeeping

    def sweep(self) -> dict[str, int]:
        """Remove what an interrupted upload, change or delete left behind, and earlier caches.

        Safe only while no other process writes to this store (hosts call it at start-up).
        """
        removed = {"staging": 0, "orphans": 0}
        for d in (self.staging_dir, self.work_dir, self.cache_dir):
            for p in d.iterdir():
                remove_quietly(p)
                removed["staging"] += 1
        known = self.catalog.all_files()
        with self.catalog.transaction() as s:
            ids = {row[0] for row in s.query(DatasetRow.id).all()}
        for ds_dir in self.datasets_dir.iterdir():
            if ds_dir.name not in ids:
                remove_quietly(ds_dir)
                removed["orphans"] += 1
                continue
            for f in ds_dir.iterdir():
                # a search index is kept while its version file is
                owner = index_owner(f.name) or f.name
                if f"datasets/{ds_dir.name}/{owner}" not in known:
                    remove_quietly(f)
                    removed["orphans"] += 1
        return removed

    def close(self) -> None:
        self._orders.close()
        self._page_pool.close()
        self.catalog.dispose()

    @contextmanager
    def _dataset_lock(self, dataset_id: str) -> Iterator[None]:
        with self._locks_guard:
            lock = self._locks.setdefault(dataset_id, threading.Lock())
        with lock:
            yield

    def staging_path(self, suffix: str = ".upload") -> Path:
        """A fresh path under staging/ for a host to stream an upload into."""
        return self.staging_dir / unique_name(suffix)

    @contextmanager
    def _scratch(self) -> Iterator[Path]:
        d = self.work_dir / unique_name()
        d.mkdir()
        try:
            yield d
        finally:
            remove_quietly(d)

    def _connect(
        self,
        scratch: Path,
        read: Sequence[Path] = (),
        *,
        threads: int | None = None,
        memory_limit: str | None = None,
        timeout_ms: int | None = None,
    ) -> duckdb.DuckDBPyConnection:
        """A private in-memory DuckDB for one query, locked before any query runs.

        It reads only the files in ``read`` (every dataset file when empty), writes only
        under ``scratch`` and ``staging/`` (spill files, a step's or an export's output),
        loads no extension, and no statement can change its settings afterwards.
        """
        con = duckdb.connect(
            ":memory:",
            config={
                "threads": threads or self.config.duckdb_threads,
                "memory_limit": memory_limit or self.config.duckdb_memory_limit,
                "temp_directory": str(scratch / "spill"),
                "autoinstall_known_extensions": False,
                "autoload_known_extensions": False,
                "allow_community_extensions": False,
                "allow_unsigned_extensions": False,
                "allow_persistent_secrets": False,
                "max_execution_time": timeout_ms or self.config.query_timeout_ms,
            },
        )
        try:
            con.execute("SET enable_progress_bar = false")
            # via SET: an open-time value is reported but not enforced
            con.execute(f"SET max_temp_directory_size = {quote_literal(self.config.duckdb_temp_limit)}")
            folders = [scratch, self.staging_dir] + ([] if read else [self.datasets_dir])
            restrict_files(con, files=read, folders=folders)
            con.execute("SET lock_configuration = true")
        except BaseException:
            con.close()
            raise
        return con

    @staticmethod
    def _src_view(con: duckdb.DuckDBPyConnection, path: Path) -> None:
        """The view ``src``: the file's rows with ``__row``, their 1-based place in the file."""
        con.execute(
            "CREATE OR REPLACE VIEW src AS SELECT * EXCLUDE (file_row_number), "
            'file_row_number + 1 AS "__row" '
            f"FROM read_parquet({quote_literal(str(path))}, file_row_number = true)"
        )


def duck_message(e: BaseException) -> str:
    """The first line of a DuckDB error, for a message to the user."""
    text = str(e).splitlines()[0] if str(e) else type(e).__name__
    return text[:500]


def default_root() -> Path:
    """``$LIVEGRAPHS_DATA_DIR``, else ``<jupyter data dir>/livegraphs``."""
    env = os.environ.get("LIVEGRAPHS_DATA_DIR")
    if env:
        return Path(env)
    from jupyter_core.paths import jupyter_data_dir

    return Path(jupyter_data_dir()) / "livegraphs"
