"""A bounded map, least recently used out first: the store's caches (chart results, kept answers,
Parquet footers) are each one of these."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


def _one(_: object) -> int:
    return 1


class Lru(Generic[V]):
    """Values by key, bounded by the sum of ``weigh(value)`` (each counts 1 unless ``weigh`` says
    otherwise, e.g. its bytes); the least recently used go first. A value heavier than ``bound`` is
    not kept. Thread-safe."""

    def __init__(self, bound: int, weigh: Callable[[V], int] = _one):
        self.bound = bound
        self._weigh = weigh
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
            return hit

    def put(self, key: Hashable, value: V) -> None:
        weight = self._weigh(value)
        if weight > self.bound:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._weight -= self._weigh(old)
            self._items[key] = value
            self._weight += weight
            while self._weight > self.bound and self._items:
                _, dropped = self._items.popitem(last=False)
                self._weight -= self._weigh(dropped)

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._weight = 0
