"""The DuckDB connection an ingest runs on, its watchdog, and error mapping."""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from ..errors import BadInput, Cancelled, StoreError, TooLarge
from ..sql import quote_literal
from .limits import Guard, IngestLimits

THREADS = 2
TEMP_LIMIT = "8GB"


def _spellings(path: Path) -> set[str]:
    return {os.path.abspath(path), str(Path(path).resolve())}


def restrict_files(
    con: duckdb.DuckDBPyConnection, *, files: Iterable[Path] = (), folders: Iterable[Path] = ()
) -> None:
    """Let ``con`` touch only ``files`` and what lies under ``folders``; nothing else on disk."""
    # both the path as given and the real one (the root may sit behind a symlink)
    dirs = sorted({p.rstrip("/") + "/" for d in folders for p in _spellings(d)})
    paths = sorted({p for f in files for p in _spellings(f)})
    if dirs:
        con.execute(f"SET allowed_directories = [{', '.join(quote_literal(d) for d in dirs)}]")
    if paths:
        con.execute(f"SET allowed_paths = [{', '.join(quote_literal(p) for p in paths)}]")
    con.execute("SET enable_external_access = false")


def connect(temp_dir: Path, guard: Guard, limits: IngestLimits | None = None) -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB with capped memory, threads and time, and no extension loading."""
    limits = limits or IngestLimits()
    remaining_ms = max(1000, math.ceil(guard.remaining() * 1000))
    con = duckdb.connect(
        ":memory:",
        config={
            "threads": THREADS,
            "memory_limit": memory(limits.working_memory),
            # rows stay in file order: pages and row numbers depend on it
            "preserve_insertion_order": True,
            "temp_directory": str(temp_dir),
            "max_execution_time": remaining_ms,
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "allow_community_extensions": False,
            "allow_unsigned_extensions": False,
            "allow_persistent_secrets": False,
        },
    )
    # Values without an offset that land in a zoned column are read as UTC, not the host's zone.
    con.execute("SET TimeZone = 'UTC'")
    # Via SET, not config: a config value is reported but not enforced.
    con.execute(f"SET max_temp_directory_size = {quote_literal(TEMP_LIMIT)}")
    con.execute("SET enable_progress_bar = false")
    return con


def memory(size: int) -> str:
    """A DuckDB memory setting for ``size`` bytes."""
    return f"{max(1, size // 2**20)}MiB"


def set_budget(con: duckdb.DuckDBPyConnection, size: int) -> None:
    con.execute(f"SET memory_limit = {quote_literal(memory(size))}")


def run_copy(
    con: duckdb.DuckDBPyConnection, sql: str, dest: Path, budget: int, limits: IngestLimits
) -> tuple[Any, ...] | None:
    """Run one COPY within ``budget`` bytes; once more with the most memory allowed if that ran out."""
    set_budget(con, budget)
    try:
        return con.execute(sql).fetchone()
    except duckdb.OutOfMemoryException:
        if budget >= limits.max_memory:
            raise
    set_budget(con, limits.max_memory)
    con.execute("DROP TABLE IF EXISTS reject_errors")
    con.execute("DROP TABLE IF EXISTS reject_scans")
    dest.unlink(missing_ok=True)
    return con.execute(sql).fetchone()


@contextmanager
def watched(con: duckdb.DuckDBPyConnection, guard: Guard) -> Iterator[None]:
    """Interrupt the connection's running query as soon as the caller cancels or time runs out."""
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.05):
            if guard.cancelled() or guard.expired():
                con.interrupt()
                return

    thread = threading.Thread(target=watch, name="ingest-watchdog", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else "the file could not be read"


def map_duckdb_error(exc: duckdb.Error, guard: Guard) -> StoreError:
    """Turn a DuckDB error raised while reading user data into the store error it stands for."""
    if guard.cancelled():
        return Cancelled("the upload was cancelled")
    text = str(exc)
    if isinstance(exc, duckdb.InterruptException) or "maximum execution time" in text:
        return guard.timed_out()
    if isinstance(exc, duckdb.OutOfMemoryException):
        return TooLarge(
            "the file needs more memory to read than the store allows (too many or too wide columns?)"
        )
    return BadInput(f"the file could not be read: {first_line(text)}")


def null_counts(con: duckdb.DuckDBPyConnection, dest: Path, width: int) -> list[int]:
    """Null counts from the Parquet footer's statistics: no data is read again."""
    nulls = [0] * width
    for column_id, count in con.execute(
        f"SELECT column_id, sum(stats_null_count) FROM parquet_metadata({quote_literal(str(dest))}) "
        "GROUP BY column_id"
    ).fetchall():
        if column_id < width and count is not None:
            nulls[column_id] = int(count)
    return nulls
