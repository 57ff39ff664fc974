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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import BadInput
from ..formula_ast import quote_ident
from ..ingest.engine import sql_str as quote_literal
from ..schema import ColumnInfo
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
) -> ChartResult:
    """Answer ``spec`` over one Parquet file with these ``columns`` (the spec's dataset is not looked up).

    ``rows`` is the file's row count when known; ``dataset`` (``{"id", "version"}``)
    names the data in the result and in the cache key.
    """
    cs = validate_spec(spec, columns)
    budget = max(1, min(max_marks, cs.max_marks or max_marks))
    dataset = dataset or {"id": None, "version": None}
    key = (dataset.get("id") or str(path), dataset.get("version"), cs.key(), budget)
    if cache is not None and dataset.get("id") is not None:
        hit = cache.get(key)
        if hit is not None:
            return hit.as_cached()
    run = _Run(Path(path), list(columns), cs, budget, rows, config or EngineConfig())
    try:
        result = run.execute(dataset)
    except duckdb.Error as e:
        text = (str(e).splitlines() or [type(e).__name__])[0][:500]
        raise BadInput(f"The chart query failed: {text}", reason="Bad query") from e
    if cache is not None and dataset.get("id") is not None:
        cache.put(key, result)
    return result


class ChartEngine:
    """What a host keeps: the store, the budget setting and the result cache."""

    def __init__(
        self, store: DatasetStore, *, max_marks: int = DEFAULT_MAX_MARKS, cache_bytes: int = 64 << 20
    ):
        self.store = store
        self.max_marks = max_marks
        self.cache = ChartCache(cache_bytes)

    def run(self, spec: Any, *, user: str | None = None) -> ChartResult:
        return run_chart(self.store, spec, max_marks=self.max_marks, cache=self.cache, user=user)


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


def bin_count(lo: float, hi: float, step: float) -> int:
    return round((last_bin_start(lo, hi, step) - math.floor(lo / step) * step) / step) + 1


@contextmanager
def _connect(config: EngineConfig) -> Iterator[duckdb.DuckDBPyConnection]:
    with tempfile.TemporaryDirectory(prefix="livegraphs-chart-") as spill:
        con = duckdb.connect(
            ":memory:",
            config={
                "threads": config.threads,
                "memory_limit": config.memory_limit,
                "temp_directory": spill,
                "autoinstall_known_extensions": False,
                "autoload_known_extensions": False,
                "max_execution_time": config.timeout_ms,
            },
        )
        try:
            yield con
        finally:
            con.close()


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
    ):
        self.path, self.columns, self.spec, self.budget, self.rows = path, columns, spec, budget, rows
        self.config = config
        self.steps: C.Bins = {}
        self.con: duckdb.DuckDBPyConnection

    def fetch(self, query: C.Query) -> pa.Table:
        return self.con.sql(query.sql, params=query.params or None).to_arrow_table()

    def execute(self, dataset: dict[str, Any]) -> ChartResult:
        with _connect(self.config) as con:
            self.con = con
            row_number = ", file_row_number = true" if self.spec.mark == "table" else ""
            con.execute(
                f"CREATE VIEW src AS SELECT * FROM read_parquet({quote_literal(str(self.path))}{row_number})"
            )
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
        table, fields, source_rows, reduction, extra = out
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
                d["bin"] = {"step": self.steps[f.name][0]}
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
                self.con.execute(
                    f"SELECT count(*) FROM (SELECT DISTINCT * FROM ({distinct.sql}))", distinct.params
                ).fetchall()[0][0]
            )
        if n_groups * 4 > self.budget:
            return self._sampled(n, not_null, extra)
        g = max(2, math.isqrt(self.budget // n_groups))
        xs = (x1 - x0) / g or 1.0
        ys = (y1 - y0) / g or 1.0
        table = self.fetch(C.bin2d_query(s, self.columns, xf, yf, (x0, xs, y0, ys, g), groups, means))
        fields = self._bin2d_fields(xf, yf, xs, ys, groups, means)
        reduction = {
            "kind": "binned",
            "method": "bin2d",
            "message": f"{_fmt(table.num_rows)} cells of a {g} by {g} grid from {_fmt(n)} points, binned",
        }
        return self._select(table, fields), fields, n, reduction, extra

    def _bin2d_fields(
        self,
        xf: FieldRef,
        yf: FieldRef,
        xs: float,
        ys: float,
        groups: Sequence[FieldRef],
        means: Sequence[FieldRef],
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for f, step in ((xf, xs), (yf, ys)):
            t = "datetime" if f.ctype in TEMPORAL else "float"
            # steps of dates and times are in microseconds
            d = {**f.describe(), "type": t, "bin": {"step": step}}
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
            return []
        direction = "DESC" if s["order"] == "descending" else "ASC"
        key = quote_ident(s["column"]) if "column" in s else quote_ident(s["channel"])
        return [f"{key} {direction} NULLS LAST"]

    def _raw_rows(self) -> tuple[pa.Table, list[dict[str, Any]], int, dict[str, Any] | None, dict[str, Any]]:
        s = self.spec
        n = self._count()
        if n > self.budget and not (s.limit is not None and s.limit <= self.budget):
            return self._sampled(n, (), {})
        fields = self._fields(s.fields)
        table = self.fetch(C.raw_query(s, self.columns, self.steps, order=self._raw_order(), limit=s.limit))
        return self._select(table, fields), fields, n, None, {}

    # ------------------------------------------------------------------ tables, boxes, KPIs

    def _table(self) -> tuple[pa.Table, list[dict[str, Any]], int, dict[str, Any] | None, dict[str, Any]]:
        s = self.spec
        if not s.fields:
            s.fields = [FieldRef("cell", f"c{i}", c.name, c.type) for i, c in enumerate(self.columns)]
        total = self._count()
        size = min(s.limit or DEFAULT_PAGE, self.budget)
        offset = int(s.options.get("offset") or 0)
        order = [*self._raw_order(), "file_row_number"]
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
        table = self.fetch(C.box_query(s, self.columns, self.budget))
        groups = [f for f in s.dims if f.channel != "y"]
        fields = self._fields(groups)
        for stat in ("min", "q1", "median", "q3", "max", "lower", "upper", "mean", "count", "outliers"):
            t = "integer" if stat in ("count", "outliers") else "float"
            fields.append(
                {"name": f"{y.name}_{stat}", "channel": "y", "column": y.column, "type": t, "stat": stat}
                | ({"title": y.title} if y.title else {})
            )
        source = int(table.column("__rows")[0].as_py()) if table.num_rows else 0
        available = int(table.column("__groups")[0].as_py()) if table.num_rows else 0
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
