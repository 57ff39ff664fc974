"""Connections of chart queries: locked DuckDB instances that read one Parquet file, kept for reuse."""

from __future__ import annotations

import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from ..errors import BadInput
from ..filters import MAX_FILTER_VALUES
from ..sql import quote_literal

if TYPE_CHECKING:
    from ..store import DatasetStore


@dataclass
class EngineConfig:
    """DuckDB settings of chart queries."""

    threads: int = 2
    memory_limit: str = "1GB"
    timeout_ms: int = 60_000
    #: the most a query may spill to disk
    temp_limit: str = "4GB"
    #: the most values a spec's filters may hold, summed over every condition
    max_filter_values: int = MAX_FILTER_VALUES

    @classmethod
    def of(cls, store: DatasetStore) -> EngineConfig:
        c = store.config
        return cls(
            threads=c.duckdb_threads,
            memory_limit=c.duckdb_memory_limit,
            timeout_ms=c.query_timeout_ms,
            temp_limit=c.duckdb_temp_limit,
            max_filter_values=c.max_filter_values,
        )


class LockedConnection:
    """A DuckDB instance that can read one Parquet file (as the view ``src``) and nothing else.

    The recipe of the project's threat notes: extensions neither installed nor
    loaded, memory, threads, spill folder and spill size capped, the view created,
    then ``allowed_paths`` set to that one file, ``enable_external_access`` off and
    the configuration locked. After that no SQL run here can read or write
    another file, attach a database, load an extension or change a setting
    (``SET``/``RESET``/``PRAGMA`` fail); the one file stays readable.
    """

    def __init__(self, path: Path, config: EngineConfig, *, row_numbers: bool = False):
        self.path, self.config, self.row_numbers = path, config, row_numbers
        self._spill = tempfile.TemporaryDirectory(prefix="livegraphs-chart-")
        try:
            self.con = duckdb.connect(
                ":memory:",
                config={
                    "threads": config.threads,
                    "memory_limit": config.memory_limit,
                    "temp_directory": self._spill.name,
                    "autoinstall_known_extensions": False,
                    "autoload_known_extensions": False,
                    "allow_community_extensions": False,
                    "allow_unsigned_extensions": False,
                    "allow_persistent_secrets": False,
                    "max_execution_time": config.timeout_ms,
                    # results without ORDER BY keep the file's order (a sorted copy's pages)
                    "preserve_insertion_order": True,
                },
            )
        except BaseException:
            self._spill.cleanup()
            raise
        try:
            # enforced only when SET after start-up, not as a connect option
            self.con.execute(f"SET max_temp_directory_size = {quote_literal(config.temp_limit)}")
            # raw rows keep the file's order among equal sort keys
            extra = ", file_row_number = true" if row_numbers else ""
            file = quote_literal(str(path))
            self.con.execute(f"CREATE VIEW src AS SELECT * FROM read_parquet({file}{extra})")
            self.con.execute(f"SET allowed_paths = [{file}]")
            self.con.execute("SET enable_external_access = false")
            self.con.execute("SET lock_configuration = true")
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        try:
            self.con.close()
        finally:
            self._spill.cleanup()


class ConnectionPool:
    """Idle :class:`LockedConnection` s kept for the next query on the same file.

    A locked connection can read only the file it was opened for (it cannot be
    pointed at another: ``allowed_paths`` and the view are fixed by the lock), so
    connections are kept per file, never shared between files: a dashboard's
    charts over one dataset version reuse them; a query on another file opens
    its own. A connection serves one query at a time (taken out while in use),
    runs only single SELECTs, so nothing a query does outlives it but DuckDB's
    caches of that same file. At most ``max_idle`` are kept, the least
    recently used closed first; a connection whose query failed is closed.
    """

    def __init__(self, max_idle: int = 4):
        self.max_idle = max_idle
        self._idle: OrderedDict[int, tuple[tuple[Any, ...], LockedConnection]] = OrderedDict()
        self._lock = threading.Lock()
        self.opened = 0

    @staticmethod
    def _key(path: Path, config: EngineConfig, row_numbers: bool) -> tuple[Any, ...]:
        return (
            str(path),
            row_numbers,
            config.threads,
            config.memory_limit,
            config.timeout_ms,
            config.temp_limit,
        )

    def take(self, path: Path, config: EngineConfig, row_numbers: bool) -> LockedConnection:
        key = self._key(path, config, row_numbers)
        with self._lock:
            for ident, (k, conn) in reversed(self._idle.items()):
                if k == key:
                    del self._idle[ident]
                    return conn
            self.opened += 1
        return LockedConnection(path, config, row_numbers=row_numbers)

    def give(self, conn: LockedConnection, *, ok: bool) -> None:
        if not ok or self.max_idle <= 0:
            conn.close()
            return
        key = self._key(conn.path, conn.config, conn.row_numbers)
        dropped: list[LockedConnection] = []
        with self._lock:
            self._idle[id(conn)] = (key, conn)
            while len(self._idle) > self.max_idle:
                dropped.append(self._idle.popitem(last=False)[1][1])
        for c in dropped:
            c.close()

    def __len__(self) -> int:
        return len(self._idle)

    def close(self) -> None:
        with self._lock:
            idle = [c for _, c in self._idle.values()]
            self._idle.clear()
        for c in idle:
            c.close()


@contextmanager
def connection(
    pool: ConnectionPool | None, path: Path, config: EngineConfig, *, row_numbers: bool
) -> Iterator[LockedConnection]:
    """A locked connection to ``path`` for one query: from ``pool`` and back to it, else opened and closed.

    A connection whose query failed is closed rather than kept.
    """
    if pool is not None:
        conn = pool.take(path, config, row_numbers)
    else:
        conn = LockedConnection(path, config, row_numbers=row_numbers)
    ok = False
    try:
        yield conn
        ok = True
    finally:
        if pool is not None:
            pool.give(conn, ok=ok)
        else:
            conn.close()


def one_select(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    """``sql`` when it is exactly one SELECT statement; anything else is refused before it runs.

    The compiler only ever builds one SELECT; this is the second line of defence
    should a name or value ever end a statement and start another (DuckDB's
    Python ``execute`` runs every statement it is given).
    """
    statements = con.extract_statements(sql)
    if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
        raise BadInput("The chart query is not a single SELECT", reason="Bad query")
    return sql
