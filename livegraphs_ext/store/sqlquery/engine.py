"""Run a checked query in a worker process and turn what it answers into a result or a store error.

A query runs in a worker process (:mod:`.serve`) on a DuckDB of its own, one query at a time per
process. Workers are kept ready (DuckDB and pyarrow imported, so a query starts at once); one that
answered normally serves again, up to :data:`~.serve.JOBS` queries and while it holds little. The
process is the unit of stopping: past the time limit, past its memory, when the caller goes away
(the current :class:`~..stopping.QueryControl` stops it), it is killed, which frees all it held
however DuckDB allocated it, and another takes its place.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import BadInput, StoreError, TimedOut, TooLarge
from ..stopping import check_stopped, watched
from ..workerproc import PAST_DEADLINE, POLL, PROC, TOO_MUCH, WorkerProcess, statm, wait
from .checked import Checked, SqlRefused
from .worker import Job

log = logging.getLogger(__name__)

#: seconds the worker may run past DuckDB's own time limit before it is killed
GRACE = 5.0
#: seconds a worker may take to start (import DuckDB and pyarrow) before it is given up
START_TIMEOUT = 120.0
#: a worker holding more than this after a query is not kept for another
KEEP_RESIDENT = 512 << 20


class _Worker(WorkerProcess):
    """A SQL worker process; it says ``("ready",)`` first, once DuckDB and pyarrow are imported."""

    def __init__(self) -> None:
        super().__init__("livegraphs_ext.store.sqlquery.serve")
        self.ready = False

    def wait_ready(self, timeout: float) -> bool:
        """Whether the worker has its imports done (it says so first), waiting up to ``timeout`` s."""
        if not self.ready and self.answers.poll(timeout):
            try:
                self.ready = tuple(self.answers.recv()) == ("ready",)
            except (EOFError, OSError):
                return False
        return self.ready


class WorkerPool:
    """Worker processes kept ready for the next queries: ``ready`` of them, started in the background."""

    def __init__(self, ready: int = 2):
        self.ready = ready
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self._starting = 0

    def take(self) -> _Worker:
        """A ready worker, else one still starting, else one started now; another starts in its place."""
        with self._lock:
            for w in [w for w in self._idle if not w.is_alive()]:
                self._idle.remove(w)
                w.close()
            ready = [w for w in self._idle if w.wait_ready(0)]
            found = (ready or self._idle)[:1]
            for w in found:
                self._idle.remove(w)
        self.fill()
        return found[0] if found else _Worker()

    def fill(self) -> None:
        """Start workers in the background until ``ready`` are ready or starting."""
        with self._lock:
            missing = self.ready - len(self._idle) - self._starting
            self._starting += max(0, missing)
        for _ in range(max(0, missing)):
            threading.Thread(target=self._start_one, name="livegraphs-sql-start", daemon=True).start()

    def wait_until_ready(self, timeout: float) -> bool:
        """Whether a worker is ready for a query within ``timeout`` seconds (starting them if none is)."""
        self.fill()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if any(w.wait_ready(0) for w in self._idle):
                    return True
            time.sleep(POLL)
        return False

    def _start_one(self) -> None:
        try:
            w = _Worker()
        except OSError:
            with self._lock:
                self._starting -= 1
            return
        with self._lock:
            self._starting -= 1
            self._idle.append(w)

    def give(self, w: _Worker) -> None:
        """Take back a worker that answered normally, unless it holds much memory or the pool is full."""
        keep = w.is_alive() and not w.answers.poll(0)
        if keep and PROC:
            try:
                keep = statm(w.pid)[1] < KEEP_RESIDENT
            except (OSError, ValueError):
                keep = False
        with self._lock:
            if keep and len(self._idle) < self.ready:
                self._idle.insert(0, w)
                return
        w.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for w in idle:
            w.close()


_pool_lock = threading.Lock()
_pool: WorkerPool | None = None


def worker_pool() -> WorkerPool:
    """This process's pool of ready workers (shared by its stores), made on first use."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = WorkerPool()
            atexit.register(_pool.close)
        return _pool


def warm_up() -> None:
    """Start the ready workers in the background, so that the first query does not wait for one."""
    worker_pool().fill()


def timed_out(seconds: float | None) -> TimedOut:
    limit = f" of {seconds:g} s" if seconds else ""
    return TimedOut(
        f"The query ran past its time limit{limit} and was stopped: filter or aggregate earlier, "
        "or add a LIMIT",
        "Query Timeout",
    )


def size_bytes(limit: str) -> int | None:
    """Bytes of a DuckDB size such as ``"1GB"`` or ``"512MiB"`` (None if unreadable)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(i?)B\s*", limit, re.IGNORECASE)
    if not m:
        return None
    base = 1024 if m.group(3) else 1000
    power = " KMGT".index(m.group(2).upper() or " ")
    return int(float(m.group(1)) * base**power)


@dataclass
class SqlLimits:
    """The caps of every user query (see the ``sql_*`` settings)."""

    threads: int = 2
    memory_limit: str = "1GB"
    timeout_ms: int = 60_000
    spill_limit: str = "4GB"
    #: the most rows a whole result (``lg.sql``) may have
    max_rows: int = 1_000_000
    #: the most bytes a result saved as a dataset may take
    max_bytes: int = 20 << 30
    #: bytes of memory a worker may add to what it holds when it starts (None: see below)
    process_memory: int | None = None

    def worker_memory(self) -> int:
        """Bytes of memory (resident) a worker may add to what it holds when it starts.

        By default twice DuckDB's memory limit and 256 MiB more: DuckDB keeps its buffers within
        the limit, but allocates some results outside it.
        """
        if self.process_memory is not None:
            return self.process_memory
        limit = size_bytes(self.memory_limit) or (1 << 30)
        return 2 * limit + (256 << 20)

    def address_space(self) -> int:
        """Bytes of address space a worker may add to what it has when it starts: its memory and
        1 GiB that DuckDB reserves without using (its allocator's arenas, its threads' stacks)."""
        return self.worker_memory() + (1 << 30)


def run_job(job: Job, limits: SqlLimits, scratch: Path) -> Any:
    """Run ``job`` in a fresh worker and return its message; a store error when it gave none.

    ``scratch`` is a folder of the caller's that the worker may spill to. Two caps hold the
    worker's memory: its address space (``RLIMIT_AS``: an allocation past it fails at once) and
    what it holds, watched here as it runs (past it, the worker is killed).
    """
    try:
        return _run_job(job, limits, scratch)
    except TimedOut:
        # the caller's time limit (its control) or the worker's: said the SQL way
        raise timed_out(limits.timeout_ms / 1000 if limits.timeout_ms > 0 else None) from None


def _run_job(job: Job, limits: SqlLimits, scratch: Path) -> Any:
    check_stopped()
    job.threads, job.memory_limit, job.timeout_ms = limits.threads, limits.memory_limit, limits.timeout_ms
    job.spill_limit, job.spill_dir = limits.spill_limit, str(scratch)
    job.max_rows, job.max_bytes = limits.max_rows, limits.max_bytes
    job.address_space = limits.address_space() if PROC else 0
    pool = worker_pool()
    worker = pool.take()
    message: tuple[Any, ...] | None = None
    seconds = limits.timeout_ms / 1000 if limits.timeout_ms > 0 else None
    deadline: float | None = None
    try:
        with watched(worker):
            # a worker's start is not the query's time (the caller's control still bounds it)
            if not worker.wait_ready(START_TIMEOUT):
                check_stopped()
                raise BadInput("No worker could be started to run the query", "Query Failed")
            deadline = time.monotonic() + seconds + GRACE if seconds else None
            # a worker that died before the job came gives no answer, as below
            with contextlib.suppress(OSError):
                worker.jobs.send(job)
            message = wait(worker, deadline, limits.worker_memory())
            if message == PAST_DEADLINE:
                message = None
    finally:
        if _reusable(message):
            pool.give(worker)
        else:
            worker.close()
    if message == TOO_MUCH:
        return (
            "duckdb",
            "OutOfMemoryException",
            "Out of Memory Error: the worker held too much memory",
            None,
        )
    if message is None:
        check_stopped()
        if deadline is not None and time.monotonic() >= deadline:
            raise timed_out(seconds)
        raise BadInput(
            f"The query stopped the worker that ran it (exit code {worker.process.returncode}); "
            "nothing was kept",
            "Query Failed",
        )
    return message


def _reusable(message: tuple[Any, ...] | None) -> bool:
    """Whether a worker that gave ``message`` may serve another query (it was not stopped or starved)."""
    if message is None or message == TOO_MUCH:
        return False
    return not (message[0] == "duckdb" and message[1] in ("OutOfMemoryException", "InterruptException"))


def answer(checked: Checked, message: tuple[Any, ...], limits: SqlLimits) -> Any:
    """The worker's result, or the store error its message means."""
    kind = message[0]
    if kind == "ok":
        return message[1]
    sql = checked.body
    if kind == "refused":
        _, text, where, value = message
        raise SqlRefused(text, checked.sql, where, value, "a part of a SELECT query", reason="Not Allowed")
    if kind == "result":
        _, status, text, reason = message
        if status == 413:
            raise TooLarge(text, reason)
        raise BadInput(text, reason)
    if kind == "fault":
        log.error("A SQL query's worker failed:\n%s", message[1])
        raise RuntimeError("the query's worker failed; the server's log says where")
    _, duck_type, text, where = message
    raise duck_error(sql, duck_type, text, where, limits)


def duck_error(sql: str, duck_type: str, text: str, where: int | None, limits: SqlLimits) -> StoreError:
    """The store error of a DuckDB error the worker reported."""
    if duck_type == "InterruptException":
        with contextlib.suppress(TimedOut):
            check_stopped()  # stopped by the caller's control: its error
        return timed_out(limits.timeout_ms / 1000)
    if duck_type == "OutOfMemoryException" or "Out of Memory" in text:
        first = text.splitlines()[0] if text else duck_type
        return TooLarge(
            f"The query needs more memory than the {limits.memory_limit} it may use: filter or "
            f"aggregate before joining, or add a LIMIT ({first})",
            "Query Too Large",
        )
    if duck_type == "PermissionException":
        return SqlRefused("The query tried to reach a file or the network, which it may not", sql, where)
    return SqlRefused(text, sql, where, None, "a query DuckDB can run", reason="Bad SQL")


__all__ = ["SqlLimits", "WorkerPool", "answer", "run_job", "size_bytes", "warm_up", "worker_pool"]
