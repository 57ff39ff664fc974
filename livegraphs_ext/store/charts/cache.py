"""The result cache of chart queries: results by dataset, version, normalised spec and budget."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..lru import Lru
from .result import ChartResult
from .spec import ChartSpec


class ChartCache:
    """Results by (dataset id, version, normalised spec, budget); least recently used out first.

    Bounded by the bytes of the results' data; ``max_bytes=0`` keeps nothing.
    """

    def __init__(self, max_bytes: int = 64 << 20):
        self._items: Lru[ChartResult] = Lru(max_bytes, lambda r: r.nbytes)
        self.hits = 0
        self.misses = 0

    @property
    def max_bytes(self) -> int:
        return self._items.bound

    @staticmethod
    def key(dataset: dict[str, Any], path: Path | str, spec: ChartSpec, budget: int) -> tuple[Any, ...]:
        """The key of a result: the dataset's id (else the file) and version, the spec and the budget."""
        return (dataset.get("id") or str(path), dataset.get("version"), spec.key(), budget)

    def get(self, key: tuple[Any, ...]) -> ChartResult | None:
        hit = self._items.get(key)
        if hit is None:
            self.misses += 1
        else:
            self.hits += 1
        return hit

    def put(self, key: tuple[Any, ...], result: ChartResult) -> None:
        self._items.put(key, result)

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        self._items.clear()
