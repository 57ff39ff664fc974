"""Reading pages of rows from a version's Parquet file.

An unsorted, unfiltered page is read from the one or two row groups that hold
it, so the cost does not grow with the offset (the store writes row groups of
about 122,880 rows). Sorted or filtered pages go through DuckDB.
"""

from __future__ import annotations

import bisect
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq


class ParquetMetaCache:
    """A small LRU of Parquet footers, so a page costs one row-group read."""

    def __init__(self, size: int = 64):
        self._size = size
        self._items: OrderedDict[str, tuple[pq.FileMetaData, list[int]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, path: Path) -> tuple[pq.FileMetaData, list[int]]:
        key = str(path)
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit
        meta = pq.read_metadata(path)
        starts = [0]
        for i in range(meta.num_row_groups):
            starts.append(starts[-1] + meta.row_group(i).num_rows)
        with self._lock:
            self._items[key] = (meta, starts)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return meta, starts


def read_slice(path: Path, offset: int, limit: int, cache: ParquetMetaCache) -> pa.Table:
    """Rows ``[offset, offset + limit)`` of the file, reading only the row groups that hold them."""
    meta, starts = cache.get(path)
    total = starts[-1]
    if offset >= total or limit <= 0:
        return meta.schema.to_arrow_schema().empty_table()
    end = min(total, offset + limit)
    first = bisect.bisect_right(starts, offset) - 1
    last = bisect.bisect_right(starts, end - 1) - 1
    table = pq.ParquetFile(path, metadata=meta).read_row_groups(list(range(first, last + 1)))
    return table.slice(offset - starts[first], end - offset)


def table_rows(table: pa.Table) -> list[list[Any]]:
    """Rows as lists of JSON-ready Python values (dates and times stay objects for orjson)."""
    cols = [col.to_pylist() for col in table.columns]
    return [list(r) for r in zip(*cols, strict=False)] if cols else []
