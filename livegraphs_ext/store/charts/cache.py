"""The result cache of chart queries: results by dataset, version, normalised spec and budget."""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from .result import ChartResult
from .spec import ChartSpec


class ChartCache:
    """Results by (dataset id, version, normalised spec, budget); least recently used out first.

    Bounded by the bytes of the results' data; ``max_bytes=0`` keeps nothing.
    """

    def __init__(self, max_bytes: int = 64 << 20):
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple[Any, ...], ChartResult] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(dataset: dict[str, Any], path: Path | str, spec: ChartSpec, budget: int) -> tuple[Any, ...]:
        """The key of a result: the dataset's id (else the file) and version, the spec and the budget."""
        return (dataset.get("id") or str(path), dataset.get("version"), spec.key(), budget)

    def get(self, key: tuple[Any, ...]) -> ChartResult | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return hit

    def put(self, key: tuple[Any, ...], result: ChartResult) -> None:
        size = result.nbytes
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._size -= old.nbytes
            self._items[key] = result
            self._size += size
            while self._size > self.max_bytes and self._items:
                _, dropped = self._items.popitem(last=False)
                self._size -= dropped.nbytes

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._size = 0
