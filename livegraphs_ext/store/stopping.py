"""Stopping a running query: past its time limit, or when whoever asked for it has gone.

A host runs a read (a chart, a profile, a page) inside :meth:`QueryControl.running`; every
DuckDB connection the store opens meanwhile is watched (:func:`watched`), so
:meth:`QueryControl.stop` interrupts what DuckDB is doing at once (``interrupt()`` on the
connection), and a connection opened after the stop refuses to start. The store turns the
interrupted query into :class:`~.errors.TimedOut` (408) or :class:`~.errors.Cancelled`.
Nothing here knows about HTTP.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Protocol, TypeVar

import duckdb

from .errors import Cancelled, StoreError, TimedOut

T = TypeVar("T")
W = TypeVar("W", bound="Interruptible")

#: seconds between two interrupts of a statement that has not stopped yet
REPEAT_INTERRUPT = 0.05

TIMEOUT = "timeout"
GONE = "gone"

_current: ContextVar[QueryControl | None] = ContextVar("livegraphs_query_control", default=None)


def timed_out(seconds: float | None) -> TimedOut:
    limit = f" of {seconds:g} s" if seconds else ""
    return TimedOut(
        f"The query ran past its time limit{limit} and was stopped: filter the data, "
        "ask for fewer groups or values, or try a smaller chart",
        "Query Timeout",
    )


class Interruptible(Protocol):
    """What a control can stop: a DuckDB connection, or a worker process running a query."""

    def interrupt(self) -> None: ...


class QueryControl:
    """One read's stop button: :meth:`stop` interrupts its DuckDB work, from any thread."""

    def __init__(self, time_limit: float | None = None):
        self.time_limit = time_limit
        self.why: str | None = None
        self._lock = threading.Lock()
        self._connections: set[Interruptible] = set()
        #: how many DuckDB queries were interrupted (for tests and metrics)
        self.interrupted = 0

    def stop(self, why: str) -> None:
        """Stop the work (``why``: :data:`TIMEOUT` or :data:`GONE`); a second stop changes nothing."""
        with self._lock:
            if self.why is not None:
                return
            self.why = why
            running = list(self._connections)
        for con in running:
            con.interrupt()
            self.interrupted += 1
        if running:
            # DuckDB forgets an interrupt that comes while a statement is still being planned
            # (the flag is reset as it starts to run): keep interrupting until the work lets go
            threading.Thread(target=self._keep_interrupting, daemon=True).start()

    def _keep_interrupting(self) -> None:
        while True:
            time.sleep(REPEAT_INTERRUPT)
            with self._lock:
                running = list(self._connections)
            if not running:
                return
            for con in running:
                con.interrupt()

    def error(self) -> StoreError | None:
        """What to raise now that the work was stopped (None while it is not)."""
        if self.why == TIMEOUT:
            return timed_out(self.time_limit)
        if self.why == GONE:
            return Cancelled("The caller went away; the query was stopped")
        return None

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` under this control (in the thread that runs the work)."""
        with self.running():
            return fn(*args, **kwargs)

    @contextmanager
    def running(self) -> Iterator[None]:
        token = _current.set(self)
        try:
            yield
        finally:
            _current.reset(token)

    def _attach(self, con: Interruptible) -> None:
        with self._lock:
            error = self.error()
            if error is None:
                self._connections.add(con)
        if error is not None:
            raise error

    def _detach(self, con: Interruptible) -> None:
        with self._lock:
            self._connections.discard(con)


@contextmanager
def watched(con: W) -> Iterator[W]:
    """While inside, the current :class:`QueryControl` (if any) can interrupt ``con``.

    Raises the control's error at once when it was stopped already.
    """
    control = _current.get()
    if control is None:
        yield con
        return
    control._attach(con)
    try:
        yield con
    finally:
        control._detach(con)


def check_stopped() -> None:
    """Raise the current control's error when its work was stopped (call between statements)."""
    control = _current.get()
    if control is not None:
        error = control.error()
        if error is not None:
            raise error


def stopped_error(e: BaseException, time_limit: float | None = None) -> StoreError | None:
    """The error to raise for DuckDB error ``e`` when it means the query was stopped, else None.

    A stop by the current control gives its error; DuckDB's own ``max_execution_time``
    (the store's per-statement limit) gives :func:`timed_out`.
    """
    control = _current.get()
    if control is not None and control.why is not None:
        return control.error()
    if isinstance(e, duckdb.InterruptException) and "execution time" in str(e):
        return timed_out(time_limit)
    return None
