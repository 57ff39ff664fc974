"""Limits of one ingest and the guard that enforces its clock and cancel flag."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from ..errors import Cancelled, TimedOut


@dataclass
class IngestLimits:
    """Caps applied to one upload; each one is enforced before the work it bounds."""

    #: bytes of text after gunzip
    max_decompressed_bytes: int = 20 * 2**30
    max_columns: int = 2000
    #: longest physical line (CSV, JSON Lines) or record (JSON array element)
    max_line_bytes: int = 16 * 2**20
    #: seconds for the whole ingest
    time_limit: float = 600.0
    #: problems listed in the report (``problem_count`` still counts them all)
    max_problems: int = 100
    #: DuckDB memory (bytes) for the streaming COPY, before the allowance for wide rows below.
    #: Order-preserving Parquet writing buffers whatever it is given, so a smaller budget
    #: mostly means a smaller peak at about the same speed, until it runs short.
    working_memory: int = 256 * 2**20
    #: plus room for this many row groups of raw text (estimated from the sample's rows):
    #: wide rows need it, and short of it DuckDB spills to disk or runs out
    row_groups_in_memory: int = 4
    #: the COPY runs once more with this much when its budget did not suffice
    max_memory: int = 2**30


class Guard:
    """Answers "may the work go on?" for the Python phases of an ingest."""

    def __init__(self, time_limit: float, cancel: threading.Event | None) -> None:
        self.started = time.monotonic()
        self.deadline = self.started + max(0.0, time_limit)
        self.time_limit = time_limit
        self.cancel = cancel

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()

    def expired(self) -> bool:
        return time.monotonic() >= self.deadline

    def check(self) -> None:
        """Raise Cancelled or TimedOut when the work must stop now."""
        if self.cancelled():
            raise Cancelled("the upload was cancelled")
        if self.expired():
            raise self.timed_out()

    def timed_out(self) -> TimedOut:
        return TimedOut(f"reading the file took longer than the limit of {self.time_limit:g} s")
