"""Run a chart spec: resolve the dataset, compile, execute in DuckDB, keep within the mark budget.

The budget (``max_marks``) bounds the rows of every result. Aggregated charts
past it keep the largest groups (``top_n``); lines of raw points are
downsampled with tsdownsample (M4 by default, LTTB or MinMaxLTTB on request),
dense scatter plots and point maps become a 2-D grid of counts (``bin2d``),
tables come a page at a time, and anything else is sampled.

Every query takes one path: the spec's shape is checked once at the entry
(:func:`~.spec.check_shape`), the checked spec is passed down, and the SQL runs
on a pooled locked connection (:mod:`.pool`); results are kept in a
:class:`~.cache.ChartCache` where the caller has one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from ..errors import BadInput
from ..schema import ColumnInfo
from ..sql import quote_ident
from ..stopping import check_stopped, stopped_error, watched
from . import compile as C
from .cache import ChartCache
from .downsample import METHODS, downsample
from .pool import ConnectionPool, EngineConfig, connection, one_select
from .result import ChartResult
from .spec import NUMERIC, TEMPORAL, ChartSpec, FieldRef, check_shape, validate_spec
from .spec import bad as spec_error

if TYPE_CHECKING:
    from ..store import DatasetStore

DEFAULT_MAX_MARKS = 5000
DEFAULT_PAGE = 100


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
    """Answer ``spec`` over a dataset of ``store`` (a ``{"name"}`` dataset is ``user``'s own).

    The query runs on ``pool``'s connections; by default on those of the store's own
    engine (:attr:`DatasetStore.charts`), so repeated queries on a version reuse them.
    """
    spec = check_shape(spec)
    if spec.sql is not None:
        # a query is bound to datasets for a caller, by the guarded store, at every run
        raise spec_error("dataset.sql", "a chart of a query runs for a caller (GuardedStore.chart)")
    dataset_id, number, path, columns, rows = store.chart_source(spec["dataset"], owner=user)
    return run_chart_file(
        path,
        columns,
        spec,
        max_marks=max_marks,
        rows=rows,
        dataset={"id": dataset_id, "version": number},
        config=EngineConfig.of(store),
        cache=cache,
        pool=store.charts.pool if pool is None else pool,
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
    config = config or EngineConfig()
    cs = validate_spec(spec, columns, max_filter_values=config.max_filter_values)
    budget = _budget(max_marks, cs)
    dataset = dataset or {"id": None, "version": None}
    key = ChartCache.key(dataset, path, cs, budget)
    if cache is not None and dataset.get("id") is not None:
        hit = cache.get(key)
        if hit is not None:
            return hit.as_cached()
    run = _Run(Path(path), list(columns), cs, budget, rows, config, pool)
    try:
        result = run.execute(dataset)
    except duckdb.Error as e:
        stopped = stopped_error(e, config.timeout_ms / 1000)
        if stopped is not None:
            raise stopped from e
        text = (str(e).splitlines() or [type(e).__name__])[0][:500]
        raise BadInput(f"The chart query failed: {text}", reason="Bad query") from e
    if cache is not None and dataset.get("id") is not None:
        cache.put(key, result)
    return result


def run_chart_over(
    con: duckdb.DuckDBPyConnection,
    source: Callable[[bool], str],
    columns: Sequence[ColumnInfo],
    spec: Any,
    *,
    max_marks: int = DEFAULT_MAX_MARKS,
    dataset: dict[str, Any] | None = None,
    config: EngineConfig | None = None,
) -> ChartResult:
    """Answer ``spec`` over the rows of a SELECT on ``con``, a connection the caller opened and locked.

    ``source(row_numbers)`` is the SELECT's text, with the columns ``columns`` (and, when
    ``row_numbers``, a ``file_row_number`` that orders raw rows). Each of the chart's queries reads
    it as the CTE ``src``, where a file's charts read the view ``src``: this is how a SQL query is
    charted without being saved (:mod:`..sqlquery.worker`, in the query's worker process).
    DuckDB errors are left to the caller, who knows the query they come from.
    """
    config = config or EngineConfig()
    cs = validate_spec(spec, columns, max_filter_values=config.max_filter_values)
    run = _Run(Path(), list(columns), cs, _budget(max_marks, cs), None, config)
    run.con, run.source = con, source(not cs.aggregated)
    return run.answer(dataset or {"id": None, "version": None})


def _budget(max_marks: int, spec: ChartSpec) -> int:
    """The most marks a result may hold: the caller's budget, or the spec's own when it is less."""
    return max(1, min(max_marks, spec.max_marks or max_marks))


_WITH = re.compile(r"\s*WITH\s", re.IGNORECASE)


def with_source(source: str, sql: str) -> str:
    """``sql`` (one of the compiler's SELECTs, which read ``src``) reading ``source`` as ``src``."""
    head = f"WITH src AS NOT MATERIALIZED (\n{source}\n)"
    m = _WITH.match(sql)
    return f"{head}, {sql[m.end() :]}" if m else f"{head}\n{sql}"


class ChartEngine:
    """The chart queries of one store: the budget setting, the result cache and idle locked connections.

    Every store has one for in-process callers such as notebook kernels
    (:attr:`DatasetStore.charts`); a host may keep its own with other settings.
    ``cache_bytes=0`` keeps no results.
    """

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

    def run(self, spec: Any, *, user: str | None = None, max_marks: int | None = None) -> ChartResult:
        """Answer ``spec`` (see :func:`run_chart`); ``max_marks`` overrides the engine's budget."""
        budget = self.max_marks if max_marks is None else max_marks
        return run_chart(self.store, spec, max_marks=budget, cache=self.cache, user=user, pool=self.pool)

    def close(self) -> None:
        self.pool.close()


# ---------------------------------------------------------------------------- execution


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
        #: a SELECT read as ``src`` (see :func:`run_chart_over`); None: the connection's view
        self.source: str | None = None

    def fetch(self, query: C.Query) -> pa.Table:
        check_stopped()
        sql = query.sql if self.source is None else with_source(self.source, query.sql)
        with watched(self.con):
            sql = one_select(self.con, sql)
            return self.con.sql(sql, params=query.params or None).to_arrow_table()

    def execute(self, dataset: dict[str, Any]) -> ChartResult:
        row_numbers = not self.spec.aggregated
        with connection(self.pool, self.path, self.config, row_numbers=row_numbers) as locked:
            self.con = locked.con
            return self.answer(dataset)

    def answer(self, dataset: dict[str, Any]) -> ChartResult:
        """The chart, on the connection already open (``self.con``)."""
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
        overlays = None
        if s.overlays:
            # pandas and statsmodels: imported by the first chart with a trend or a forecast
            from .overlays import compute_overlays

            overlays = compute_overlays(self)
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
            overlays=overlays,
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
            step = C.nice_step(lo, hi, int(f.bin["maxbins"]))  # type: ignore[index]
            self.steps[f.name] = (step, C.last_bin_start(lo, hi, step))

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
        # the file's row count holds when nothing is left out (filters, nulls of a needed or binned column)
        if (
            not self.spec.filters
            and not not_null
            and not C.binned_not_null(self.spec)
            and self.rows is not None
        ):
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
        label = METHODS[self._method()]
        return f"{_fmt(kept)} of {_fmt(total)} points, downsampled ({label}){extra}"

    def _downsample(self, table: pa.Table, x: str, y: str, series: Sequence[str]) -> tuple[pa.Table, int]:
        """At most the budget of points, shared by the lines; also says how many lines were left out."""
        out, self._line_points, dropped = downsample(table, x, y, series, self.budget, self._method())
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
        xa, ya = C.grid_axis(xf, x0, x1, g), C.grid_axis(yf, y0, y1, g)
        table = self.fetch(C.bin2d_query(s, self.columns, xf, yf, xa[:3], ya[:3], groups, means))
        fields = self._bin2d_fields(xf, yf, xa, ya, groups, means)
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
        xaxis: tuple[float, float, int, dict[str, Any]],
        yaxis: tuple[float, float, int, dict[str, Any]],
        groups: Sequence[FieldRef],
        means: Sequence[FieldRef],
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for f, (origin, step, cells, b) in ((xf, xaxis), (yf, yaxis)):
            t = "datetime" if f.ctype in TEMPORAL else "float"
            # the grid in the axis' own units (microseconds for dates), which says exactly
            # which values each cell holds (what drilling to a cell's rows needs)
            grid = {"origin": origin, "step": step, "cells": cells}
            d = {**f.describe(), "type": t, "bin": b, "grid": grid}
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
