"""Answers computed once: bytes by key, bounded, and one computation for concurrent askers.

What a published snapshot shows never changes (its specs and dataset versions are frozen), so the
bytes of a chart's answer can be kept and sent again as they are. When many viewers open the same
dashboard at once, they all ask the same charts before any answer is kept: the first asker of a
key computes it and the others wait for that computation instead of running their own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future

from .lru import Lru


class SharedAnswers:
    """Bytes by key, least recently used out first, bounded by their size (``max_bytes`` 0 keeps
    nothing, but concurrent askers still share one computation).

    A failed computation is not kept: its waiters compute again (the failure may be the first
    asker's own, e.g. its time limit or its closed connection).
    """

    def __init__(self, max_bytes: int = 32 << 20):
        self._items: Lru[bytes] = Lru(max_bytes, len)
        self._pending: dict[Hashable, Future[bytes]] = {}
        self._lock = threading.Lock()
        #: how many times an answer was computed (tests and benches read it)
        self.computed = 0

    @property
    def max_bytes(self) -> int:
        return self._items.bound

    def kept(self, key: Hashable) -> bytes | None:
        """The answer of ``key`` if it is kept, else None (nothing is computed)."""
        return self._items.get(key)

    def get(self, key: Hashable, compute: Callable[[], bytes]) -> bytes:
        """The answer of ``key``: kept, being computed by another caller (waited for), or computed."""
        while True:
            with self._lock:
                hit = self._items.get(key)
                if hit is not None:
                    return hit
                pending = self._pending.get(key)
                if pending is None:
                    pending = self._pending[key] = Future()
                    self.computed += 1
                    break
            try:
                return pending.result()
            except Exception:  # noqa: S112 (the computing caller's failure: try again)
                continue
        try:
            value = compute()
        except BaseException as e:
            with self._lock:
                del self._pending[key]
            pending.set_exception(e)
            raise
        with self._lock:
            del self._pending[key]
            self._items.put(key, value)
        pending.set_result(value)
        return value

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        self._items.clear()
