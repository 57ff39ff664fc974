"""Run a chart spec: resolve the dataset, compile, execute in DuckDB, keep within the mark budget.

The budget (``max_marks``) bounds the rows of every result. Aggregated charts
past it keep the largest groups (``top_n``); lines of raw points are
downsampled with tsdownsample (M4 by default, LTTB or MinMaxLTTB on request),
dense scatter plots and point maps become a 2-D grid of counts (``bin2d``),
tables come a page at a time, and anything else is sampled.
"""

from __future__ import annotations

import math
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import BadInput
from ..schema import ColumnInfo
from ..sql import quote_ident, quote_literal
from . import compile as C
from .result import ChartResult
from .spec import NUMERIC, TEMPORAL, ChartSpec, FieldRef, check_shape, validate_spec
from .spec import bad as spec_error

if TYPE_CHECKING:
    from ..store import DatasetStore

DEFAULT_MAX_MARKS = 5000
DEFAULT_PAGE = 100


@dataclass
class EngineConfig:
    """DuckDB settings of chart queries."""

    threads: int = 2
    memory_limit: str = "1GB"
    timeout_ms: int = 60_000
    #: the most a query may spill to disk
    temp_limit: str = "4GB"

    @classmethod
    def of(cls, store: DatasetStore) -> EngineConfig:
        c = store.config
        return cls(c.duckdb_threads, c.duckdb_memory_limit, c.query_timeout_ms)


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


# ---------------------------------------------------------------------------- public entry points


def run_chart(
    store: DatasetStore,
    spec: Any,
    *,
    max_marks: int = DEFAULT_MAX_MARKS,
    cache: ChartCache | None = None,
    user: str | None = None,
    pool: ConnectionPool | None = None,
) -> ChartResult:
    """Answer ``spec`` over a dataset of ``store`` (a ``{"name"}`` dataset is ``user``'s own)."""
    spec = check_shape(spec)
    ref = spec["dataset"]
    dataset_id = ref["id"] if "id" in ref else store.find(ref["name"], owner=user)["id"]
    version = store.version(dataset_id, ref.get("version"))
    path = store.version_file(dataset_id, version["version"])
    columns = [ColumnInfo.from_json(c) for c in version["columns"]]
    return run_chart_file(
        path,
        columns,
        spec,
        max_marks=max_marks,
        rows=version["rows"],
        dataset={"id": dataset_id, "version": version["version"]},
        config=EngineConfig.of(store),
        cache=cache,
        pool=pool,
    )


def run_chart_file(
    path: Path | str,
    columns: Sequence[ColumnInfo],
    spec: Any,
    *,
    max_marks: int = DEFAULT_MAX_MARKS,
    rows: int | None = None,
    dataset: dict[str, Any] | None = None,
    config: EngineConfig | None = None,
    cache: ChartCache | None = None,
    pool: ConnectionPool | None = None,
) -> ChartResult:
    """Answer ``spec`` over one Parquet file with these ``columns`` (the spec's dataset is not looked up).

    ``rows`` is the file's row count when known; ``dataset`` (``{"id", "version"}``)
    names the data in the result and in the cache key. With a ``pool``, locked
    connections to the file are reused; without, each query opens its own.
    """
    cs = validate_spec(spec, columns)
    budget = max(1, min(max_marks, cs.max_marks or max_marks))
    dataset = dataset or {"id": None, "version": None}
    key = (dataset.get("id") or str(path), dataset.get("version"), cs.key(), budget)
    if cache is not None and dataset.get("id") is not None:
        hit = cache.get(key)
        if hit is not None:
            return hit.as_cached()
    run = _Run(Path(path), list(columns), cs, budget, rows, config or EngineConfig(), pool)
    try:
        result = run.execute(dataset)
    except duckdb.Error as e:
        text = (str(e).splitlines() or [type(e).__name__])[0][:500]
        raise BadInput(f"The chart query failed: {text}", reason="Bad query") from e
    if cache is not None and dataset.get("id") is not None:
        cache.put(key, result)
    return result


class ChartEngine:
    """What a host keeps: the store, the budget setting, the result cache and idle locked connections."""

    def __init__(
        self,
        store: DatasetStore,
        *,
        max_marks: int = DEFAULT_MAX_MARKS,
        cache_bytes: int = 64 << 20,
        idle_connections: int = 4,
    ):
        self.store = store
        self.max_marks = max_marks
        self.cache = ChartCache(cache_bytes)
        self.pool = ConnectionPool(idle_connections)

    def run(self, spec: Any, *, user: str | None = None) -> ChartResult:
        return run_chart(
            self.store, spec, max_marks=self.max_marks, cache=self.cache, user=user, pool=self.pool
        )

    def close(self) -> None:
        self.pool.close()


# ---------------------------------------------------------------------------- execution


def nice_step(lo: float, hi: float, maxbins: int) -> float:
    """The smallest 1, 2 or 5 times 10^k step that covers [lo, hi] in at most ``maxbins`` bins."""
    span = hi - lo
    if not (math.isfinite(span) and span > 0):
        span = abs(lo) or 1.0
    raw = span / maxbins
    mag = 10.0 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10, 20, 50, 100):
        step = m * mag
        if bin_count(lo, hi, step) <= maxbins:
            return step
    return 100 * mag


def last_bin_start(lo: float, hi: float, step: float) -> float:
    """The start of the last bin: a maximum exactly on an edge falls into the bin below it."""
    top = math.floor(hi / step) * step
    return top - step if top == hi and hi > lo else top


#: Time units of a grid's date and time steps, in microseconds, with the counts a step may take
TIME_STEPS: list[tuple[str, int, tuple[int, ...]]] = [
    ("microsecond", 1, (1, 2, 5, 10, 20, 50, 100, 200, 500)),
    ("millisecond", 1_000, (1, 2, 5, 10, 20, 50, 100, 200, 500)),
    ("second", 1_000_000, (1, 2, 5, 10, 15, 30)),
    ("minute", 60_000_000, (1, 2, 5, 10, 15, 30)),
    ("hour", 3_600_000_000, (1, 2, 3, 6, 12)),
    ("day", 86_400_000_000, (1, 2, 3)),
    ("week", 604_800_000_000, (1, 2, 4, 8, 13, 26, 52)),
]
#: 1970-01-05, a Monday: weeks start on Mondays, as the week time unit does
_MONDAY_US = 4 * 86_400_000_000


def nice_time_step(span_us: float, cells: int) -> tuple[int, str, int]:
    """The smallest readable step that covers ``span_us`` in ``cells``: (microseconds, unit, count)."""
    want = max(span_us, 1.0) / max(1, cells)
    for unit, us, counts in TIME_STEPS:
        for c in counts:
            if c * us >= want:
                return c * us, unit, c
    weeks = want / TIME_STEPS[-1][1]
    c = 52
    mag = 10 ** math.floor(math.log10(weeks))
    for m in (1, 2, 5, 10):
        if m * mag >= weeks:
            c = int(m * mag)
            break
    return c * TIME_STEPS[-1][1], "week", c


def grid_axis(f: FieldRef, lo: float, hi: float, cells: int) -> tuple[float, float, int, dict[str, Any]]:
    """A grid axis: (origin, step, number of cells, the field's ``bin``), all in the axis' own units.

    Numbers get ``cells`` equal steps from the minimum. Dates and times (in
    microseconds) get a readable step (6 hours, 2 weeks) with edges on its
    multiples (weeks from Mondays), and no more than ``cells`` cells.
    """
    if f.ctype not in TEMPORAL:
        step = (hi - lo) / cells or 1.0
        return lo, step, cells, {"step": step}
    span = hi - lo
    us, unit, count = nice_time_step(span, max(1, cells - 1))
    anchor = _MONDAY_US if unit == "week" else 0
    origin = math.floor((lo - anchor) / us) * us + anchor
    n = min(cells, int((hi - origin) // us) + 1)
    return float(origin), float(us), max(1, n), {"step": count, "unit": unit}


def bin_count(lo: float, hi: float, step: float) -> int:
    return round((last_bin_start(lo, hi, step) - math.floor(lo / step) * step) / step) + 1


class LockedConnection:
    """A DuckDB instance that can read one Parquet file (as the view ``src``) and nothing else.

    The recipe of the project's threat notes: extensions neither installed nor
    loaded, memory, threads, spill folder and spill size capped, the view created,
    then ``allowed_paths`` set to that one file, ``enable_external_access`` off and
    the configuration locked. After that no SQL run here can read or write
    another file, attach a database, load an extension or change a setting
    (``SET``/``RESET``/``PRAGMA`` fail); the one file stays readable.
    """

    def __init__(self, path: Path, config: EngineConfig, *, row_numbers: bool = False):
        self.path, self.config, self.row_numbers = path, config, row_numbers
        self._spill = tempfile.TemporaryDirectory(prefix="livegraphs-chart-")
        try:
            self.con = duckdb.connect(
                ":memory:",
                config={
                    "threads": config.threads,
                    "memory_limit": config.memory_limit,
                    "temp_directory": self._spill.name,
                    "autoinstall_known_extensions": False,
                    "autoload_known_extensions": False,
                    "allow_community_extensions": False,
                    "allow_unsigned_extensions": False,
                    "allow_persistent_secrets": False,
                    "max_execution_time": config.timeout_ms,
                },
            )
        except BaseException:
            self._spill.cleanup()
            raise
        try:
            # enforced only when SET after start-up, not as a connect option
            self.con.execute(f"SET max_temp_directory_size = {quote_literal(config.temp_limit)}")
            # raw rows keep the file's order among equal sort keys
            extra = ", file_row_number = true" if row_numbers else ""
            file = quote_literal(str(path))
            self.con.execute(f"CREATE VIEW src AS SELECT * FROM read_parquet({file}{extra})")
            self.con.execute(f"SET allowed_paths = [{file}]")
            self.con.execute("SET enable_external_access = false")
            self.con.execute("SET lock_configuration = true")
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        try:
            self.con.close()
        finally:
            self._spill.cleanup()


class ConnectionPool:
    """Idle :class:`LockedConnection` s kept for the next query on the same file.

    A locked connection can read only the file it was opened for (it cannot be
    pointed at another: ``allowed_paths`` and the view are fixed by the lock), so
    connections are kept per file, never shared between files: a dashboard's
    charts over one dataset version reuse them; a query on another file opens
    its own. A connection serves one query at a time (taken out while in use),
    runs only single SELECTs, so nothing a query does outlives it but DuckDB's
    caches of that same file. At most ``max_idle`` are kept, the least
    recently used closed first; a connection whose query failed is closed.
    """

    def __init__(self, max_idle: int = 4):
        self.max_idle = max_idle
        self._idle: OrderedDict[int, tuple[tuple[Any, ...], LockedConnection]] = OrderedDict()
        self._lock = threading.Lock()
        self.opened = 0

    @staticmethod
    def _key(path: Path, config: EngineConfig, row_numbers: bool) -> tuple[Any, ...]:
        return (
            str(path),
            row_numbers,
            config.threads,
            config.memory_limit,
            config.timeout_ms,
            config.temp_limit,
        )

    def take(self, path: Path, config: EngineConfig, row_numbers: bool) -> LockedConnection:
        key = self._key(path, config, row_numbers)
        with self._lock:
            for ident, (k, conn) in reversed(self._idle.items()):
                if k == key:
                    del self._idle[ident]
                    return conn
            self.opened += 1
        return LockedConnection(path, config, row_numbers=row_numbers)

    def give(self, conn: LockedConnection, *, ok: bool) -> None:
        if not ok or self.max_idle <= 0:
            conn.close()
            return
        key = self._key(conn.path, conn.config, conn.row_numbers)
        dropped: list[LockedConnection] = []
        with self._lock:
            self._idle[id(conn)] = (key, conn)
            while len(self._idle) > self.max_idle:
                dropped.append(self._idle.popitem(last=False)[1][1])
        for c in dropped:
            c.close()

    def __len__(self) -> int:
        return len(self._idle)

    def close(self) -> None:
        with self._lock:
            idle = [c for _, c in self._idle.values()]
            self._idle.clear()
        for c in idle:
            c.close()


def one_select(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    """``sql`` when it is exactly one SELECT statement; anything else is refused before it runs.

    The compiler only ever builds one SELECT; this is the second line of defence
    should a name or value ever end a statement and start another (DuckDB's
    Python ``execute`` runs every statement it is given).
    """
    statements = con.extract_statements(sql)
    if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
        raise BadInput("The chart query is not a single SELECT", reason="Bad query")
    return sql


def _fmt(n: int) -> str:
    return f"{n:,}"


class _Run:
    """One chart query: the connection, the spec and what was learnt along the way."""

    def __init__(
        self,
        path: Path,
        columns: list[ColumnInfo],
        spec: ChartSpec,
        budget: int,
        rows: int | None,
        config: EngineConfig,
        pool: ConnectionPool | None = None,
    ):
        self.path, self.columns, self.spec, self.budget, self.rows = path, columns, spec, budget, rows
        self.config, self.pool = config, pool
        self.steps: C.Bins = {}
        self.con: duckdb.DuckDBPyConnection

    def fetch(self, query: C.Query) -> pa.Table:
        return self.con.sql(one_select(self.con, query.sql), params=query.params or None).to_arrow_table()

    def execute(self, dataset: dict[str, Any]) -> ChartResult:
        row_numbers = not self.spec.aggregated
        if self.pool is not None:
            locked = self.pool.take(self.path, self.config, row_numbers)
        else:
            locked = LockedConnection(self.path, self.config, row_numbers=row_numbers)
        ok = False
        try:
            self.con = locked.con
            self._bin_steps()
            s = self.spec
            if s.mark == "table" and not s.aggregated:
                out = self._table()
            elif s.mark == "box":
                out = self._box()
            elif s.mark == "kpi" and s.options.get("delta"):
                out = self._kpi_delta()
            elif s.aggregated:
                out = self._aggregated()
            elif s.mark in ("line", "area"):
                out = self._raw_line()
            elif s.mark == "scatter" or (s.mark == "map" and s.options["map"]["kind"] == "points"):
                out = self._raw_points()
            else:
                out = self._raw_rows()
            ok = True
        finally:
            if self.pool is not None:
                self.pool.give(locked, ok=ok)
            else:
                locked.close()
        table, fields, source_rows, reduction, extra = out
        if s.mark == "map":
            extra = {**extra, "map": s.options["map"]}
        return ChartResult(
            dataset=dataset,
            fields=fields,
            table=table,
            marks=table.num_rows,
            source_rows=int(source_rows),
            reduction=reduction,
            options=extra or None,
        )

    # ------------------------------------------------------------------ helpers

    def _bin_steps(self) -> None:
        binned = [f for f in self.spec.fields if f.bin is not None]
        need = [f for f in binned if "maxbins" in f.bin]  # type: ignore[operator]
        for f in binned:
            if "step" in f.bin:  # type: ignore[operator]
                step = float(f.bin["step"])  # type: ignore[index]
                if not math.isfinite(step) or step <= 0:
                    raise spec_error(f"encoding.{f.channel}.bin.step", "the step must be a positive number")
                self.steps[f.name] = (step, None)
        if not need:
            return
        row = self.fetch(C.stats_query(self.spec, self.columns, need)).to_pylist()[0]
        values = list(row.values())
        for i, f in enumerate(need):
            lo, hi = values[1 + 2 * i], values[2 + 2 * i]
            if lo is None:
                self.steps[f.name] = (1.0, None)
                continue
            step = nice_step(lo, hi, int(f.bin["maxbins"]))  # type: ignore[index]
            self.steps[f.name] = (step, last_bin_start(lo, hi, step))

    def _fields(self, fields: Sequence[FieldRef]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for f in fields:
            d = f.describe()
            if f.bin is not None:
                step, last = self.steps[f.name]
                # ``last``: the start of the last bin, which also holds its end edge
                d["bin"] = {"step": step} if last is None else {"step": step, "last": last}
                out.append(d)
                out.append({**d, "name": f.name + "_end", "stat": "bin_end"})
            else:
                out.append(d)
        return out

    def _select(self, table: pa.Table, fields: list[dict[str, Any]]) -> pa.Table:
        return table.select([f["name"] for f in fields])

    def _count(self, not_null: Sequence[str] = ()) -> int:
        if not self.spec.filters and not not_null and self.rows is not None:
            return self.rows
        return int(self.fetch(C.count_query(self.spec, self.columns, not_null)).column(0)[0].as_py())

    # ------------------------------------------------------------------ aggregated charts

    def _aggregated(
        self,
    ) -> tuple[pa.Table, list[dict[str, Any]], int, dict[str, Any] | None, dict[str, Any]]:
        s = self.spec
        g = C.Grouped(s, self.columns, self.steps)
        fields = self._fields(s.fields)
        x = s.get("x")
        continuous = (
            s.mark in ("line", "area")
            and x is not None
            and not x.is_measure
            and (x.ctype in NUMERIC + TEMPORAL)
            and s.sort is None
        )
        reduction = None
        if continuous:
            table = self.fetch(g.query(None))
            source = int(table.column("__rows")[0].as_py()) if table.num_rows else 0
            if table.num_rows > self.budget:
                y = next(f for f in s.fields if f.channel == "y")
                series = [f.name for f in s.dims if f.channel != "x"]
                table, note = self._downsample(table, "x", y.name, series)
                reduction = {
                    "kind": "downsampled",
                    "method": self._method(),
                    "message": self._down_message(table.num_rows, note),
                }
            return self._select(table, fields), fields, source, reduction, {}
        table = self.fetch(g.query(self.budget))
        source = int(table.column("__rows")[0].as_py()) if table.num_rows else 0
        groups = int(table.column("__groups")[0].as_py()) if table.num_rows else 0
        ranked = len(s.dims) > 1 and (s.sort is not None or s.limit is not None)
        available = groups if ranked or s.limit is None else min(groups, s.limit)
        if available > self.budget:
            if s.sort is None and s.measures and s.dims:
                table = self.fetch(g.query(self.budget, largest_first=True))
            by = f" by {s.sort.get('channel') or s.sort.get('column')}" if s.sort else ""
            if s.sort is None and s.measures:
                by = f", the largest by {s.measures[0].label()}"
            reduction = {
                "kind": "top_n",
                "method": "top_n",
                "message": f"{_fmt(table.num_rows)} of {_fmt(available)} {self._noun()}{by}",
            }
        return self._select(table, fields), fields, source, reduction, {}

    def _noun(self) -> str:
        return {"bar": "bars", "pie": "slices", "heatmap": "cells", "table": "rows", "map": "regions"}.get(
            self.spec.mark, "groups"
        )

    # ------------------------------------------------------------------ lines

    def _method(self) -> str:
        return str(self.spec.options.get("downsample") or "m4")

    def _down_message(self, kept: int, dropped_series: int) -> str:
        total = self._line_points
        extra = f"; {dropped_series} smaller lines left out" if dropped_series else ""
        label = {"m4": "M4", "lttb": "LTTB", "minmaxlttb": "MinMaxLTTB"}[self._method()]
        return f"{_fmt(kept)} of {_fmt(total)} points, downsampled ({label}){extra}"

    def _downsample(self, table: pa.Table, x: str, y: str, series: Sequence[str]) -> tuple[pa.Table, int]:
        """At most the budget of points, shared by the lines; also says how many lines were left out."""
        from tsdownsample import LTTBDownsampler, M4Downsampler, MinMaxLTTBDownsampler

        table = table.filter(pc.is_valid(table.column(y)))
        self._line_points = table.num_rows
        xs = _as_numeric(table.column(x))
        ys = table.column(y).cast(pa.float64()).to_numpy()
        if series:
            codes = _codes(table, series)
            order = np.argsort(codes, kind="stable")
            bounds = np.flatnonzero(np.diff(codes[order])) + 1
            segments = np.split(order, bounds)
        else:
            segments = [np.arange(table.num_rows)]
        segments.sort(key=len, reverse=True)
        method = self._method()
        minimum = 4 if method == "m4" else 3
        per = self.budget // max(1, len(segments))
        dropped = 0
        if per < minimum:
            keep = max(1, self.budget // minimum)
            dropped = len(segments) - keep
            segments = segments[:keep]
            per = self.budget // len(segments)
        if method == "m4":
            per -= per % 4
        down = {"m4": M4Downsampler, "lttb": LTTBDownsampler, "minmaxlttb": MinMaxLTTBDownsampler}[method]()
        picked: list[np.ndarray] = []
        for seg in segments:
            sx = xs[seg]
            if len(sx) > 1 and not bool(np.all(sx[1:] >= sx[:-1])):
                seg = seg[np.argsort(sx, kind="stable")]
                sx = xs[seg]
            if len(seg) <= per:
                picked.append(seg)
                continue
            kw: dict[str, Any] = {"n_out": per}
            if method == "minmaxlttb":
                kw["minmax_ratio"] = 4
            idx = down.downsample(sx, ys[seg], **kw)
            picked.append(seg[np.asarray(idx, dtype=np.int64)])
        take = np.concatenate(picked) if picked else np.zeros(0, dtype=np.int64)
        out = table.take(pa.array(take))
        return out, dropped

    def _raw_line(self) -> tuple[pa.Table, list[dict[str, Any]], int, dict[str, Any] | None, dict[str, Any]]:
        s = self.spec
        x, y = s.get("x"), s.get("y")
        assert x is not None and y is not None
        fields = self._fields(s.fields)
        table = self.fetch(C.raw_query(s, self.columns, self.steps, not_null=[str(x.column), str(y.column)]))
        series = [f.name for f in s.fields if f.channel in ("color", "row", "column")]
        n = table.num_rows
        if n <= self.budget:
            keys = [(name, "ascending") for name in series] + [("x", "ascending")]
            return self._select(table.sort_by(keys), fields), fields, n, None, {}
        out, dropped = self._downsample(table, "x", y.name, series)
        reduction = {
            "kind": "downsampled",
            "method": self._method(),
            "message": self._down_message(out.num_rows, dropped),
        }
        return self._select(out, fields), fields, n, reduction, {}

    # ------------------------------------------------------------------ points

    def _raw_points(
        self,
    ) -> tuple[pa.Table, list[dict[str, Any]], int, dict[str, Any] | None, dict[str, Any]]:
        s = self.spec
        is_map = s.mark == "map"
        xf = s.get("longitude" if is_map else "x")
        yf = s.get("latitude" if is_map else "y")
        assert xf is not None and yf is not None
        not_null = [str(xf.column), str(yf.column)]
        stats = self.fetch(C.stats_query(s, self.columns, [xf, yf], not_null=not_null)).to_pylist()[0]
        n, x0, x1, y0, y1 = list(stats.values())
        extra = {"map": s.options["map"]} if is_map else {}
        if n <= self.budget or (s.limit is not None and s.limit <= self.budget):
            fields = self._fields(s.fields)
            table = self.fetch(
                C.raw_query(
                    s, self.columns, self.steps, not_null=not_null, order=self._raw_order(), limit=s.limit
                )
            )
            return self._select(table, fields), fields, n, None, extra
        others = [
            f for f in s.fields if f not in (xf, yf) and f.channel in ("color", "size", "row", "column")
        ]
        groups = [f for f in others if f.ctype not in NUMERIC or f.channel in ("row", "column")]
        means = [f for f in others if f not in groups]
        n_groups = 1
        if groups:
            distinct = C.raw_query(
                ChartSpec(s.mark, groups, s.filters, None, None, {}, None),
                self.columns,
                {},
                not_null=not_null,
            )
            n_groups = int(
                self.fetch(
                    C.Query(
                        f"SELECT count(*) FROM (SELECT DISTINCT * FROM ({distinct.sql}))", distinct.params
                    )
                )
                .column(0)[0]
                .as_py()
            )
        if n_groups * 4 > self.budget:
            return self._sampled(n, not_null, extra)
        g = max(2, math.isqrt(self.budget // n_groups))
        xa, ya = grid_axis(xf, x0, x1, g), grid_axis(yf, y0, y1, g)
        table = self.fetch(C.bin2d_query(s, self.columns, xf, yf, xa[:3], ya[:3], groups, means))
        fields = self._bin2d_fields(xf, yf, xa[3], ya[3], groups, means)
        reduction = {
            "kind": "binned",
            "method": "bin2d",
            "message": (
                f"{_fmt(table.num_rows)} cells of a {xa[2]} by {ya[2]} grid from {_fmt(n)} points, binned"
            ),
        }
        return self._select(table, fields), fields, n, reduction, extra

    def _bin2d_fields(
        self,
        xf: FieldRef,
        yf: FieldRef,
        xbin: dict[str, Any],
        ybin: dict[str, Any],
        groups: Sequence[FieldRef],
        means: Sequence[FieldRef],
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for f, b in ((xf, xbin), (yf, ybin)):
            t = "datetime" if f.ctype in TEMPORAL else "float"
            d = {**f.describe(), "type": t, "bin": b}
            out += [d, {**d, "name": f.name + "_end", "stat": "bin_end"}]
        out.append(
            {"name": "count", "channel": "count", "column": None, "type": "integer", "aggregate": "count"}
        )
        out += [f.describe() for f in groups]
        out += [{**f.describe(), "type": "float", "aggregate": "mean"} for f in means]
        return out

    def _sampled(
        self, n: int, not_null: Sequence[str], extra: dict[str, Any]
    ) -> tuple[pa.Table, list[dict[str, Any]], int, dict[str, Any] | None, dict[str, Any]]:
        s = self.spec
        fields = self._fields(s.fields)
        table = self.fetch(
            C.raw_query(
                s, self.columns, self.steps, not_null=not_null, sample=self.budget, order=self._raw_order()
            )
        )
        reduction = {
            "kind": "sampled",
            "method": "reservoir",
            "message": f"{_fmt(table.num_rows)} of {_fmt(n)} rows, a random sample",
        }
        return self._select(table, fields), fields, n, reduction, extra

    def _raw_order(self) -> list[str]:
        s = self.spec.sort
        if not s:
            return ["file_row_number"]
        direction = "DESC" if s["order"] == "descending" else "ASC"
        key = quote_ident(s["column"]) if "column" in s else quote_ident(s["channel"])
        return [f"{key} {direction} NULLS LAST", "file_row_number"]

    def _raw_rows(self) -> tuple[pa.Table, list[dict[str, Any]], int, dict[str, Any] | None, dict[str, Any]]:
        s = self.spec
        n = self._count()
        if n > self.budget and not (s.limit is not None and s.limit <= self.budget):
            summed = self._summed_fields()
            if summed is None:
                return self._sampled(n, (), {})
            return self._summed(summed, n)
        fields = self._fields(s.fields)
        table = self.fetch(C.raw_query(s, self.columns, self.steps, order=self._raw_order(), limit=s.limit))
        return self._select(table, fields), fields, n, None, {}

    def _summed_fields(self) -> list[FieldRef] | None:
        """A raw bar, pie, histogram or choropleth as Tableau sums it: numbers summed, the rest grouping.

        The value channel (y; a bar with text on y sums x; a choropleth's color)
        must hold numbers; numbers on size, label and tooltips are summed too.
        None when there is no numeric value channel.
        """
        s = self.spec

        def raw_number(f: FieldRef | None) -> bool:
            return f is not None and f.ctype in NUMERIC and f.bin is None and not f.is_measure

        if s.mark == "map":
            value = "color"
        elif s.mark == "bar" and not raw_number(s.get("y")) and raw_number(s.get("x")):
            value = "x"
        else:
            value = "y"
        if not raw_number(s.get(value)):
            return None
        channels = (value, "size", "label", "tooltip")
        return [
            replace(f, aggregate="sum") if f.channel in channels and raw_number(f) else f for f in s.fields
        ]

    def _summed(
        self, fields: list[FieldRef], n: int
    ) -> tuple[pa.Table, list[dict[str, Any]], int, dict[str, Any] | None, dict[str, Any]]:
        raw = self.spec
        self.spec = replace(raw, fields=fields)
        try:
            table, described, source, inner, extra = self._aggregated()
        finally:
            self.spec = raw
        sums = ", ".join(f.label() for f in fields if f.is_measure)
        groups = [f.label() for f in fields if not f.is_measure]
        per = f" per {', '.join(groups)}" if groups else ""
        message = f"{_fmt(n)} rows aggregated: {sums}{per}"
        if inner is not None:
            message += f"; {inner['message']}"
        reduction = {"kind": "aggregated", "method": "sum", "message": message}
        return table, described, source, reduction, extra

    # ------------------------------------------------------------------ tables, boxes, KPIs

    def _table(self) -> tuple[pa.Table, list[dict[str, Any]], int, dict[str, Any] | None, dict[str, Any]]:
        s = self.spec
        if not s.fields:
            s.fields = [FieldRef("cell", f"c{i}", c.name, c.type) for i, c in enumerate(self.columns)]
        total = self._count()
        size = min(s.limit or DEFAULT_PAGE, self.budget)
        offset = int(s.options.get("offset") or 0)
        order = self._raw_order()
        fields = self._fields(s.fields)
        table = self.fetch(C.raw_query(s, self.columns, self.steps, order=order, limit=size, offset=offset))
        reduction = None
        if total > table.num_rows:
            first = offset + 1 if table.num_rows else offset
            reduction = {
                "kind": "paged",
                "method": "page",
                "message": f"rows {_fmt(first)} to {_fmt(offset + table.num_rows)} of {_fmt(total)}",
            }
        extra = {"page": {"offset": offset, "limit": size, "total": total}}
        return self._select(table, fields), fields, total, reduction, extra

    def _box(self) -> tuple[pa.Table, list[dict[str, Any]], int, dict[str, Any] | None, dict[str, Any]]:
        s = self.spec
        y = s.get("y")
        assert y is not None
        table = self.fetch(C.box_query(s, self.columns, self.steps, self.budget))
        groups = [f for f in s.dims if f.channel != "y"]
        fields = self._fields(groups)
        for stat in ("min", "q1", "median", "q3", "max", "lower", "upper", "mean", "count", "outliers"):
            t = "integer" if stat in ("count", "outliers") else "float"
            fields.append(
                {"name": f"{y.name}_{stat}", "channel": "y", "column": y.column, "type": t, "stat": stat}
                | ({"title": y.title} if y.title else {})
            )
        source = int(table.column("__rows")[0].as_py() or 0) if table.num_rows else 0
        available = int(table.column("__groups")[0].as_py() or 0) if table.num_rows else 0
        if s.limit is not None:
            available = min(available, s.limit)
        reduction = None
        if available > table.num_rows:
            reduction = {
                "kind": "top_n",
                "method": "top_n",
                "message": f"{_fmt(table.num_rows)} of {_fmt(available)} boxes",
            }
        return self._select(table, fields), fields, source, reduction, {}

    def _kpi_delta(self) -> tuple[pa.Table, list[dict[str, Any]], int, dict[str, Any] | None, dict[str, Any]]:
        s = self.spec
        x, y = s.get("x"), s.get("y")
        assert x is not None and y is not None
        g = C.Grouped(s, self.columns, self.steps)
        row = self.fetch(g.delta_query()).to_pylist()[0]
        cur, prev = row["y"], row["y_previous"]
        delta = cur - prev if cur is not None and prev is not None else None
        ratio = delta / abs(prev) if delta is not None and prev else None
        fields = self._fields([x, y])
        yt = fields[-1]["type"]
        fields += [
            {"name": "y_previous", "channel": "y", "column": y.column, "type": yt, "stat": "previous"},
            {"name": "delta", "channel": "y", "column": y.column, "type": yt, "stat": "delta"},
            {
                "name": "delta_ratio",
                "channel": "y",
                "column": y.column,
                "type": "float",
                "stat": "delta_ratio",
            },
        ]
        t = self.fetch(C.Query("SELECT ? AS x", [row["x"]])) if row["x"] is not None else None
        xcol = t.column(0) if t is not None else pa.chunked_array([pa.array([None], pa.timestamp("us"))])
        ytype = pa.int64() if yt == "integer" else pa.float64()
        table = pa.table(
            {
                "x": xcol,
                "y": pa.array([cur], ytype),
                "y_previous": pa.array([prev], ytype),
                "delta": pa.array([delta], ytype),
                "delta_ratio": pa.array([ratio], pa.float64()),
            }
        )
        return table, fields, int(row["__rows"] or 0), None, {}


def _as_numeric(col: pa.ChunkedArray) -> np.ndarray:
    t = col.type
    if pa.types.is_timestamp(t):
        return col.cast(pa.int64()).to_numpy()
    if pa.types.is_date32(t):
        return col.cast(pa.int32()).cast(pa.int64()).to_numpy()
    if pa.types.is_date64(t):
        return col.cast(pa.int64()).to_numpy()
    if pa.types.is_integer(t):
        return col.cast(pa.int64()).to_numpy()
    return col.cast(pa.float64()).to_numpy()


def _codes(table: pa.Table, names: Sequence[str]) -> np.ndarray:
    """One int64 per row naming its combination of the ``names`` columns."""
    code = np.zeros(table.num_rows, dtype=np.int64)
    for name in names:
        enc = pc.dictionary_encode(table.column(name).combine_chunks())
        idx = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64) + 1
        code = code * (len(enc.dictionary) + 1) + idx
    return code
