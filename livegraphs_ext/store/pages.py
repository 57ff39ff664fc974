"""Reading pages of rows from a version's Parquet file.

An unsorted, unfiltered page is read from the one or two row groups that hold
it, so the cost does not grow with the offset (the store writes row groups of
about 122,880 rows).

A sorted or filtered page is found through a row order (:class:`RowOrders`): the
file row numbers of the whole result in page order, computed once by DuckDB and
kept on disk, followed by a sorted copy of the rows. A page is read from the copy
like an unsorted page; before the copy is written, it is a slice of the order and
those rows, taken from the version held in memory while the copy is written
(:class:`HeldRows`, when it fits) or fetched by row number. Until the order is
built, the first pages come from a top-N query over the sort keys alone.

Beside an order, its ranks (each file row's place in the order) let a few rows,
such as a search's matches, be sorted and filtered the same way without reading
the file.
"""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import hashlib
import json
import logging
import re
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .lru import Lru

log = logging.getLogger(__name__)


class ParquetMetaCache:
    """A small LRU of Parquet footers, so a page costs one row-group read."""

    def __init__(self, size: int = 64):
        self._items: Lru[tuple[pq.FileMetaData, list[int]]] = Lru(size)

    def get(self, path: Path) -> tuple[pq.FileMetaData, list[int]]:
        key = str(path)
        hit = self._items.get(key)
        if hit is not None:
            return hit
        meta = pq.read_metadata(path)
        starts = [0]
        for i in range(meta.num_row_groups):
            starts.append(starts[-1] + meta.row_group(i).num_rows)
        self._items.put(key, (meta, starts))
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


def row_groups(path: Path, rownums: list[int], cache: ParquetMetaCache) -> int:
    """How many of the file's row groups hold these 0-based row numbers."""
    _, starts = cache.get(path)
    return len({bisect.bisect_right(starts, r) - 1 for r in rownums})


def read_rows(path: Path, rownums: list[int], cache: ParquetMetaCache) -> pa.Table:
    """The rows with these 0-based file row numbers, in the order given, reading only the row
    groups that hold them (a search's page of matches: its row numbers come from the index)."""
    meta, starts = cache.get(path)
    if not rownums:
        return meta.schema.to_arrow_schema().empty_table()
    group_of = [bisect.bisect_right(starts, r) - 1 for r in rownums]
    groups = sorted(set(group_of))
    # where each group's rows start in the table of the groups read
    at, read = {}, 0
    for g in groups:
        at[g] = read
        read += starts[g + 1] - starts[g]
    table = pq.ParquetFile(path, metadata=meta).read_row_groups(groups)
    take = [at[g] + r - starts[g] for r, g in zip(rownums, group_of, strict=True)]
    return table.take(pa.array(take, pa.int64()))


def column_values(column: pa.ChunkedArray | pa.Array) -> list[Any]:
    """A column's values as Python objects. A date or time Python cannot hold (a year outside
    1 to 9999, which DuckDB's SQL and date arithmetic can make) is its text as Arrow writes it."""
    try:
        return column.to_pylist()
    except (OverflowError, ValueError):
        if not pa.types.is_temporal(column.type):
            raise
    texts = column.cast(pa.string()).to_pylist()
    values: list[Any] = []
    for value, text in zip(column, texts, strict=True):
        try:
            values.append(value.as_py())
        except (OverflowError, ValueError):
            values.append(text)
    return values


def table_rows(table: pa.Table) -> list[list[Any]]:
    """Rows as lists of JSON-ready Python values (dates and times stay objects for orjson)."""
    cols = [column_values(col) for col in table.columns]
    return [list(r) for r in zip(*cols, strict=False)] if cols else []


# ---------------------------------------------------------------------- sorted and filtered pages


@dataclass(frozen=True)
class RowOrder:
    """A stored row order: the 0-based file row numbers of one (file, sort, filter), in page order.

    ``copy``, once built, is the result's rows themselves in that order (Parquet), so a page
    of it costs what an unsorted page costs. ``ranks`` (NumPy), when built, is every file
    row's place in the order, ``rows`` for a row the filter leaves out.
    """

    path: Path
    rows: int
    size: int
    copy: Path | None = None
    #: its copy was written and found too big to keep (it is not written again)
    copy_refused: bool = False
    ranks: Path | None = None
    #: the bytes of ``ranks`` (part of ``size``)
    ranks_bytes: int = 0
    #: its ranks were found too big to keep (they are not written again)
    ranks_refused: bool = False

    def files(self) -> list[Path]:
        return [self.path] + [f for f in (self.ranks, self.copy) if f is not None]

    def first_rows(self, k: int) -> list[int] | None:
        """The first ``k`` row numbers (None when the file is gone)."""
        return self.slice(0, k)

    def ranks_of(self, rownums: np.ndarray) -> np.ndarray | None:
        """The places in the order of these file rows (``rows`` for one left out by the filter);
        None when there are no ranks or their file is gone (then build again)."""
        if self.ranks is None:
            return None
        try:
            ranks = np.load(self.ranks, mmap_mode="r")
        except FileNotFoundError:
            return None
        return np.asarray(ranks[rownums])

    def slice(self, offset: int, limit: int) -> list[int] | None:
        """Row numbers ``[offset, offset + limit)``, or None when the file is gone (then build again)."""
        try:
            with pa.memory_map(str(self.path)) as source:
                column = pa.ipc.open_file(source).read_all().column(0)
                return column.slice(offset, limit).to_pylist()
        except FileNotFoundError:
            return None


class RowOrders:
    """Row orders computed once per (file, sort, filter) and kept on disk, least recently used out.

    An order is an Arrow IPC file of one int64 column (8 bytes a row), read through a
    memory map, so a page costs a slice of it whatever its offset. Orders are built one at
    a time on one worker thread (a build sorts only the sort keys and the row numbers);
    after an order, a second worker writes the sorted copy of the rows, one at a time too,
    so that at most two sorts run at once whatever the number of readers. The key holds
    the version's file, which never changes: a new version has a new file and so new
    orders; an order whose files are gone is built again.
    """

    def __init__(self, folder: Path, max_bytes: int, max_entries: int = 64):
        self._folder = folder
        self._max_bytes = max_bytes
        self._max_entries = max_entries
        self._items: OrderedDict[str, RowOrder] = OrderedDict()
        self._building: dict[str, Future[RowOrder]] = {}
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._copy_pool: ThreadPoolExecutor | None = None

    @staticmethod
    def key(path: Path, order: str, where: str, params: Sequence[Any]) -> str:
        text = json.dumps([str(path), order, where, [repr(p) for p in params]])
        return hashlib.sha256(text.encode()).hexdigest()

    def get(self, key: str) -> RowOrder | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
            return hit

    def drop(self, key: str, path: Path | None = None) -> None:
        """Forget order ``key`` and remove its files (only the order of file ``path``, if given)."""
        with self._lock:
            current = self._items.get(key)
            gone = self._items.pop(key) if current is not None and path in (None, current.path) else None
        if gone is not None:
            for f in gone.files():
                _unlink(f)

    def build(
        self, key: str, write: Callable[[Path], int], copy: Callable[[Path], None] | None = None
    ) -> Future[RowOrder]:
        """The build of ``key`` under way, or a new one; ``write(dest)`` writes the file, returns its rows."""
        with self._lock:
            running = self._building.get(key)
            if running is not None:
                return running
            future = self._orders_pool().submit(self._run, key, write, copy)
            self._building[key] = future
            return future

    def rank(self, key: str, file_rows: int) -> None:
        """Write the ranks of order ``key`` (of a file of ``file_rows`` rows) on the side, once the
        order is built (the order's worker takes the jobs in turn); nothing when it has them."""
        with self._lock:
            self._orders_pool().submit(self._run_ranks, key, file_rows)

    def _orders_pool(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="livegraphs-orders")
        return self._pool

    def _run(self, key: str, write: Callable[[Path], int], copy: Callable[[Path], None] | None) -> RowOrder:
        try:
            hit = self.get(key)
            if hit is not None and all(f.exists() for f in hit.files()):
                return hit
            self._folder.mkdir(parents=True, exist_ok=True)
            # a new name each time: what goes with an order it replaces never takes this one
            dest = self._folder / f"{key}.{uuid.uuid4().hex}.arrow"
            tmp = self._folder / f"{key}.{threading.get_ident()}.tmp"
            try:
                rows = write(tmp)
                tmp.replace(dest)
            except BaseException:
                _unlink(tmp)
                raise
            entry = RowOrder(dest, rows, dest.stat().st_size)

            def replaced(current: RowOrder | None) -> RowOrder:
                # an order whose files went in part: what is left of it goes
                for f in current.files() if current is not None else []:
                    _unlink(f)
                return entry

            self._update(key, None, replaced)
            if copy is not None:
                with self._lock:
                    if self._copy_pool is None:
                        self._copy_pool = ThreadPoolExecutor(
                            max_workers=1, thread_name_prefix="livegraphs-copies"
                        )
                    self._copy_pool.submit(self._run_copy, key, copy)
            return entry
        finally:
            with self._lock:
                self._building.pop(key, None)

    def _run_ranks(self, key: str, file_rows: int) -> None:
        entry = self.get(key)
        if entry is None or entry.ranks_refused or (entry.ranks is not None and entry.ranks.exists()):
            return
        dest = self._folder / f"{key}.{uuid.uuid4().hex}.ranks.npy"
        tmp = self._folder / f"{key}.{threading.get_ident()}.ranks.tmp"
        try:
            write_ranks(entry.path, tmp, file_rows)
            tmp.replace(dest)
        except FileNotFoundError:
            # its order's file went: built again when next asked for
            _unlink(tmp)
            self.drop(key, entry.path)
            return
        except BaseException:
            _unlink(tmp)
            raise
        size = dest.stat().st_size
        kept = False

        def ranked(current: RowOrder) -> RowOrder:
            nonlocal kept
            # ranks written again replace those whose file went
            if current.ranks is not None:
                _unlink(current.ranks)
            rest = current.size - current.ranks_bytes
            if rest + size > self._max_bytes:
                return dataclasses.replace(current, ranks=None, ranks_bytes=0, size=rest, ranks_refused=True)
            kept = True
            return dataclasses.replace(current, ranks=dest, ranks_bytes=size, size=rest + size)

        if not self._update(key, entry.path, ranked) or not kept:
            _unlink(dest)

    def _run_copy(self, key: str, copy: Callable[[Path], None]) -> None:
        entry = self.get(key)
        if entry is None or entry.copy is not None:
            return
        # a new name each time: readers cache a Parquet footer by path
        dest = self._folder / f"{key}.{uuid.uuid4().hex}.parquet"
        tmp = self._folder / f"{key}.{threading.get_ident()}.copy.tmp"
        try:
            copy(tmp)
            tmp.replace(dest)
        except BaseException:
            _unlink(tmp)
            # pages go on from the row order alone
            log.warning("The sorted copy of a row order could not be written", exc_info=True)
            raise
        size = dest.stat().st_size
        kept = False

        def copied(current: RowOrder) -> RowOrder:
            nonlocal kept
            if current.size + size > self._max_bytes:
                return dataclasses.replace(current, copy_refused=True)
            kept = True
            return dataclasses.replace(current, size=current.size + size, copy=dest)

        if not self._update(key, entry.path, copied) or not kept:
            _unlink(dest)

    def _update(self, key: str, path: Path | None, change: Callable[[RowOrder], RowOrder]) -> bool:
        """Set entry ``key`` to ``change(current)`` (any current one when ``path`` is None, else only
        the current order of that file: not one built again meanwhile); False when not set. The
        least recently used entries then go while the whole is over its bounds."""
        evicted: list[RowOrder] = []
        with self._lock:
            current = self._items.get(key)
            if path is not None and (current is None or current.path != path):
                return False
            entry = change(current)  # type: ignore[arg-type]
            self._items[key] = entry
            self._items.move_to_end(key)
            total = sum(e.size for e in self._items.values())
            while len(self._items) > 1 and (total > self._max_bytes or len(self._items) > self._max_entries):
                _, old = self._items.popitem(last=False)
                total -= old.size
                evicted.append(old)
        for old in evicted:
            for f in old.files():
                _unlink(f)
        return True

    def settle(self) -> None:
        """Wait for the builds started so far, orders and then their copies (one worker each, in turn)."""
        for attr in ("_pool", "_copy_pool"):
            with self._lock:
                pool = getattr(self, attr)
            if pool is not None:
                pool.submit(lambda: None).result()

    def stats(self) -> dict[str, int]:
        with self._lock:
            items = self._items.values()
            return {
                "entries": len(items),
                "bytes": sum(e.size for e in items),
                "copies": sum(e.copy is not None for e in items),
            }

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            copies, self._copy_pool = self._copy_pool, None
        if copies is not None:
            copies.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            items = list(self._items.values())
            self._items.clear()
        for e in items:
            for f in e.files():
                _unlink(f)


#: a version is held in memory while a sorted copy of it is written (:class:`HeldRows`) when its
#: rows take at most this share of ``duckdb_memory_limit``
HOLD_SHARE = 8


class HeldRows:
    """Versions held in memory while a sorted copy of their rows is written.

    Until an order's copy exists, a page of it is a slice of the order and those rows picked
    out of the file. They lie spread over every row group, and picking them decodes them all
    (80 to 100 ms a page at 1M rows, against 10 for an unsorted page). While the copy is
    written, a version whose rows take at most ``max_bytes`` in memory is held (read once,
    on the copy's worker; while its row groups are joined into one table, twice that for a
    moment), and such pages take their rows from it: a slice of the order and an Arrow
    ``take``. Copies are written one at a time, so at most one version is held
    whatever the number of readers; it is let go once the copy is written or has failed.
    """

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._tables: dict[Path, tuple[pa.Table, int]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def estimate(meta: pq.FileMetaData) -> int:
        """The bytes a file's rows take in memory, about: half as much again as their Parquet
        pages before compression (Arrow's offsets and validity bitmaps)."""
        return sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups)) * 3 // 2

    @contextlib.contextmanager
    def holding(self, path: Path, cache: ParquetMetaCache) -> Iterator[None]:
        """Hold the rows of ``path`` within the block when they fit in ``max_bytes``."""
        with self._lock:
            held = self._tables.get(path)
            if held is not None:
                self._tables[path] = (held[0], held[1] + 1)
        if held is None:
            table = self._read(path, cache)
            if table is None:
                yield
                return
            with self._lock:
                current = self._tables.get(path)
                self._tables[path] = (current[0], current[1] + 1) if current else (table, 1)
        try:
            yield
        finally:
            with self._lock:
                table, holders = self._tables[path]
                if holders > 1:
                    self._tables[path] = (table, holders - 1)
                else:
                    del self._tables[path]

    def _read(self, path: Path, cache: ParquetMetaCache) -> pa.Table | None:
        """The rows of ``path`` as one table, or None when they take more than ``max_bytes``.

        A row group at a time (one thread: the copy's DuckDB and the pages share the other
        core), so that rows which decode much bigger than they are stored (long values
        repeated: a small dictionary in Parquet) are given up after one row group too many.
        """
        meta, _ = cache.get(path)
        if self.estimate(meta) > self.max_bytes:
            return None
        source = pq.ParquetFile(path, metadata=meta)
        parts: list[pa.Table] = []
        size = 0
        for i in range(meta.num_row_groups):
            parts.append(source.read_row_group(i, use_threads=False))
            size += parts[-1].nbytes
            if size > self.max_bytes:
                return None
        if not parts:
            return meta.schema.to_arrow_schema().empty_table()
        # one chunk a column: a take from row groups as chunks costs a hundred times more
        return pa.concat_tables(parts).combine_chunks()

    def take(self, path: Path, rownums: Sequence[int]) -> pa.Table | None:
        """The rows of ``path`` with these 0-based file row numbers, in that order; None when
        the file is not held."""
        with self._lock:
            held = self._tables.get(path)
        if held is None:
            return None
        return held[0].take(pa.array(rownums, pa.int64()))

    def held(self) -> list[Path]:
        with self._lock:
            return list(self._tables)


def write_row_order(reader: pa.RecordBatchReader, dest: Path) -> int:
    """Stream one column of row numbers into an Arrow IPC file; the number of rows."""
    rows = 0
    schema = pa.schema([pa.field("row", pa.int64())])
    with pa.OSFile(str(dest), "wb") as sink, pa.ipc.new_file(sink, schema) as writer:
        for batch in reader:
            column = batch.column(0).cast(pa.int64())
            writer.write_batch(pa.record_batch([column], schema=schema))
            rows += len(column)
    return rows


def write_ranks(order: Path, dest: Path, file_rows: int) -> None:
    """Write the ranks of the row order in the Arrow IPC file ``order`` (of a file of
    ``file_rows`` rows) as a NumPy file: each row's place in the order, the order's length for a
    row it leaves out."""
    with pa.memory_map(str(order)) as source:
        rownums = pa.ipc.open_file(source).read_all().column(0).to_numpy()
        kind = np.int32 if file_rows < 2**31 else np.int64
        ranks = np.full(file_rows, len(rownums), dtype=kind)
        ranks[rownums] = np.arange(len(rownums), dtype=kind)
    with open(dest, "wb") as out:
        np.save(out, ranks)


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def memory_bytes(limit: str) -> int | None:
    """The bytes of a DuckDB memory limit such as ``"1GB"`` or ``"512MiB"`` (None if unreadable)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(i?)B\s*", limit, re.IGNORECASE)
    if not m:
        return None
    base = 1024 if m.group(3) else 1000
    power = " KMGT".index(m.group(2).upper() or " ")
    return int(float(m.group(1)) * base**power)


def half_memory(limit: str) -> str:
    """Half of a DuckDB memory limit such as ``"1GB"`` or ``"512MiB"`` (the limit itself if unreadable)."""
    size = memory_bytes(limit)
    if size is None:
        return limit
    return f"{max(1, int(size / 2 / 2**20))}MiB"
