"""A worker process: Python running one of our modules, spoken to over two pipes, and stopped by
killing it.

Neither DuckDB's native work nor a scikit-learn fit can be interrupted from Python everywhere,
so a process is the unit of stopping for SQL queries (:mod:`.sqlquery.engine`) and model fits
(:mod:`.models.runner`): past its time limit, past its memory, or when the caller's
:class:`~.stopping.QueryControl` stops it (the caller went away), it is killed, which frees all
it held. This module starts such a process and waits for its answer under those limits; what a
job and an answer are is its user's business.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

#: the environment variables a worker process gets from its host
ENVIRONMENT = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ", "SYSTEMROOT")
#: seconds between two looks at a worker that has not answered yet
POLL = 0.05
#: whether Linux's ``/proc`` tells a process's memory (else memory is not watched)
PROC = os.path.exists("/proc/self/statm")
#: what :func:`wait` gives when it killed a worker that held more memory than it may
TOO_MUCH = ("memory",)
#: what :func:`wait` gives when the worker ran past its deadline (it is killed)
PAST_DEADLINE = ("timeout",)


class WorkerProcess:
    """``python -m MODULE JOB_FD ANSWER_FD``: its pipes are :attr:`jobs` and :attr:`answers`.

    :meth:`interrupt` kills it (from any thread), so it serves as a
    :func:`~.stopping.watched` connection.
    """

    def __init__(self, module: str, environment: tuple[str, ...] = ENVIRONMENT) -> None:
        job_r, job_w = os.pipe()
        ans_r, ans_w = os.pipe()
        package_root = str(Path(__file__).resolve().parents[2])
        # nothing of the host's environment (its tokens, its settings) but what Python needs
        env = {k: v for k in environment if (v := os.environ.get(k)) is not None}
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH", "")) if p)
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", module, str(job_r), str(ans_w)],
                pass_fds=(job_r, ans_w),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                env=env,
                close_fds=True,
            )
        finally:
            os.close(job_r)
            os.close(ans_w)
        self.jobs = Connection(job_w, readable=False)
        self.answers = Connection(ans_r, writable=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    def is_alive(self) -> bool:
        return self.process.poll() is None

    def interrupt(self) -> None:
        if self.is_alive():
            self.process.kill()

    def close(self) -> None:
        self.interrupt()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(10)
        self.jobs.close()
        self.answers.close()


def statm(pid: int | str) -> tuple[int, int]:
    """(address space, resident) bytes of a process, from Linux's ``/proc``."""
    size, resident = Path(f"/proc/{pid}/statm").read_text().split()[:2]
    page = os.sysconf("SC_PAGE_SIZE")
    return int(size) * page, int(resident) * page


def wait(worker: WorkerProcess, deadline: float | None, memory: int) -> tuple[Any, ...] | None:
    """The worker's answer (a tuple); None when it ended without one.

    :data:`PAST_DEADLINE` when it ran past ``deadline`` (a :func:`time.monotonic` time; None: no
    deadline), :data:`TOO_MUCH` when it came to hold ``memory`` bytes more than it did at first
    (0: not watched); in both cases it is killed.
    """
    start: int | None = None
    receive = worker.answers
    while True:
        if receive.poll(POLL):
            try:
                return tuple(receive.recv())
            except (EOFError, OSError):
                return None
        if not worker.is_alive() and not receive.poll(0):
            return None
        if deadline is not None and time.monotonic() >= deadline:
            worker.interrupt()
            return PAST_DEADLINE
        if PROC and memory > 0:
            try:
                resident = statm(worker.pid)[1]
            except (OSError, ValueError):
                continue
            start = resident if start is None else start
            if resident - start > memory:
                worker.interrupt()
                return TOO_MUCH
