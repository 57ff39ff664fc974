"""The DuckDB connection an ingest runs on, its watchdog, and error mapping."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from ..errors import BadInput, Cancelled, StoreError, TooLarge
from .limits import Guard

MEMORY_LIMIT = "1GB"
THREADS = 2


def sql_str(value: str) -> str:
    """A SQL string literal (DuckDB doubles single quotes; nothing else is special)."""
    return "'" + value.replace("'", "''") + "'"


def sql_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def connect(temp_dir: Path, guard: Guard) -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB with capped memory, threads and time, and no extension loading."""
    remaining_ms = max(1000, math.ceil(guard.remaining() * 1000))
    con = duckdb.connect(
        ":memory:",
        config={
            "threads": THREADS,
            "memory_limit": MEMORY_LIMIT,
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
    con.execute("SET max_temp_directory_size = '8GB'")
    return con


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
