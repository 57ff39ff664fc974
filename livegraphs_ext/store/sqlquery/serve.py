"""A worker process's main: say it is ready, then run queries one at a time as they come.

Started by :class:`~.engine.WorkerPool` as ``python -m livegraphs_ext.store.sqlquery.serve IN OUT``
with two pipe ends (file descriptors). Once its imports are done (DuckDB, pyarrow) it says
``("ready",)`` on ``OUT``; then each :class:`~.worker.Job` that arrives on ``IN`` is run on a DuckDB
of its own and answered on ``OUT`` (see :func:`.worker.main`). Before each job the process caps its
address space to what it has then and the job's ``address_space`` more. It serves at most
:data:`JOBS` queries, and ends when ``IN`` closes; the host kills it to stop a query.
"""

from __future__ import annotations

import os
import sys
from multiprocessing.connection import Connection
from pathlib import Path

from . import worker

#: the most queries one process runs before it ends (its allocator's leftovers go with it)
JOBS = 50

try:
    import resource
except ImportError:  # not on this platform: no address space cap
    resource = None  # type: ignore[assignment]


def _address_space() -> int:
    """Bytes of address space this process has now (Linux; 0 elsewhere)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[0])
    except (OSError, ValueError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


def _cap(extra: int) -> None:
    """Let allocations fail past the address space this process has now and ``extra`` bytes more."""
    if resource is None:
        return
    now = _address_space()
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    soft = now + extra if extra and now else resource.RLIM_INFINITY
    if hard != resource.RLIM_INFINITY:
        soft = hard if soft == resource.RLIM_INFINITY else min(soft, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def main(argv: list[str]) -> None:
    jobs = Connection(int(argv[1]), writable=False)
    answers = Connection(int(argv[2]), readable=False)
    try:
        answers.send(("ready",))
        for _ in range(JOBS):
            try:
                job = jobs.recv()
            except EOFError:  # the host went away, or no longer needs this worker
                return
            _cap(0)
            _cap(job.address_space)
            worker.main(answers, job)
    finally:
        jobs.close()
        answers.close()


if __name__ == "__main__":
    main(sys.argv)
