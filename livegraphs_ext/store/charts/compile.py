"""Spec → parameterised DuckDB SQL over one version's Parquet file.

Every query reads the view ``src`` (the version's file). Column names are
quoted identifiers checked against the schema; filter values are ``?``
parameters; the only other text in the SQL is ours (keywords, time-unit names
from a fixed list, and bin steps we computed as floats). The bin steps and the
cells of a 2-D grid are chosen here too (:func:`nice_step`, :func:`grid_axis`).

The grouped shape (``d0``… are the grouping keys, ``m0``… the measures' inputs)::

    WITH base AS NOT MATERIALIZED (SELECT <key exprs> AS d0.., <columns> AS m0.. FROM src WHERE <filters>)
    SELECT base.d0 AS x, agg(base.m0) AS y, .. FROM base GROUP BY base.d0 ORDER BY .. LIMIT ..
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ..filters import filter_sql
from ..formula import Frag, fmt
from ..schema import ColumnInfo
from ..sql import quote_ident
from .spec import TEMPORAL, ChartSpec, FieldRef

INTERVAL = {
    "year": "INTERVAL 1 YEAR",
    "quarter": "INTERVAL 3 MONTH",
    "month": "INTERVAL 1 MONTH",
    "week": "INTERVAL 7 DAY",
    "day": "INTERVAL 1 DAY",
    "hour": "INTERVAL 1 HOUR",
    "minute": "INTERVAL 1 MINUTE",
}


def q(name: str) -> str:
    return quote_ident(name)


@dataclass
class Query:
    sql: str
    params: list[Any] = field(default_factory=list)


def where_frag(spec: ChartSpec, columns: Sequence[ColumnInfo], extra: Sequence[str] = ()) -> Frag:
    """`` WHERE ...`` for the spec's filters and our own conditions (empty when there are none).

    A row whose binned column is null is in no bin: it is left out, as in a
    numpy or pandas histogram (never counted in the last bin, nor a bin of its own).
    """
    parts: list[Frag] = []
    if spec.filters:
        sql, params = filter_sql(spec.filters, columns)
        parts.append(Frag(sql, list(params)))
    parts.extend(Frag(e) for e in [*binned_not_null(spec), *extra])
    if not parts:
        return Frag("")
    return fmt(" WHERE " + " AND ".join(f"({{{i}}})" for i in range(len(parts))), *parts)


def binned_not_null(spec: ChartSpec) -> list[str]:
    """``<column> IS NOT NULL`` for each binned column of the spec."""
    cols = dict.fromkeys(str(f.column) for f in spec.fields if f.bin is not None and f.column is not None)
    return [f"{q(c)} IS NOT NULL" for c in cols]


def num_literal(x: float) -> str:
    """A finite float as DuckDB DOUBLE text (``repr`` round-trips exactly)."""
    if not math.isfinite(x):
        raise ValueError("not a finite number")
    return f"CAST({float(x)!r} AS DOUBLE)"


#: Bin steps by result column name: (step, start of the last bin or None when unknown)
Bins = dict[str, tuple[float, float | None]]


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


def last_bin_number(lo: float, hi: float, step: float) -> int:
    """The last bin's number: a maximum exactly on an edge falls into the bin below it."""
    top = bin_number(hi, step)
    return top - 1 if hi == bin_edge(top, step) and hi > lo else top


def last_bin_start(lo: float, hi: float, step: float) -> float:
    """The start of the last bin (:func:`last_bin_number`), as its step writes it."""
    return bin_edge(last_bin_number(lo, hi, step), step)


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

    Numbers get a step of 1, 2 or 5 * 10^k (:func:`nice_step`) with edges on its multiples, so a
    cell reads "-30 to -20", never "-27.568 to -17.132". Dates and times (in microseconds) get a
    readable step (6 hours, 2 weeks) with edges on its multiples (weeks from Mondays). Either way
    no more than ``cells`` cells.
    """
    if f.ctype not in TEMPORAL:
        step = nice_step(lo, hi, cells)
        return bin_edge(bin_number(lo, step), step), step, bin_count(lo, hi, step), {"step": step}
    span = hi - lo
    us, unit, count = nice_time_step(span, max(1, cells - 1))
    anchor = _MONDAY_US if unit == "week" else 0
    origin = math.floor((lo - anchor) / us) * us + anchor
    n = min(cells, int((hi - origin) // us) + 1)
    return float(origin), float(us), max(1, n), {"step": count, "unit": unit}


#: Digits kept after a bin step's leading digit when the step itself has more (a step a user gave)
EDGE_DIGITS = 11


def edge_decimals(step: float) -> int:
    """The decimals that write every multiple of ``step``: as many as its shortest form has
    (0.2: one; 50: none), at most :data:`EDGE_DIGITS` past its leading digit."""
    step = abs(float(step))
    if not math.isfinite(step) or step == 0:
        return 0
    shown = -int(Decimal(repr(step)).normalize().as_tuple().exponent)
    lead = math.floor(math.log10(step))
    return max(0, min(shown, EDGE_DIGITS - lead, 22))  # 10^22 is the last exact power of ten


def tidy_edge(value: float, decimals: int) -> float:
    """``value`` rounded to ``decimals`` exactly as DuckDB's ``round(value, decimals)`` does
    (scaled, rounded half away from zero, scaled back), so Python and SQL agree on every edge:
    -139 * 0.2 is -27.800000000000004 in doubles and -27.8 here."""
    scale = 10.0**decimals
    scaled = value * scale
    if not math.isfinite(scaled):
        return value
    out = float(Decimal(scaled).to_integral_value(ROUND_HALF_UP)) / scale
    return out if math.isfinite(out) else value


def bin_edge(n: float, step: float) -> float:
    """The start of bin ``n`` of ``step``: n * step as its step writes it (see :func:`edge_sql`)."""
    return tidy_edge(n * step, edge_decimals(step))


def bin_number(v: float, step: float) -> int:
    """The bin of ``step`` that holds ``v``: its edges are :func:`bin_edge`, so a value written on
    an edge (-27.6 with a step of 0.2) is in the bin it starts, whatever ``v / step`` rounds to."""
    n = math.floor(v / step)
    if v < bin_edge(n, step):
        return n - 1
    if v >= bin_edge(n + 1, step):
        return n + 1
    return n


def edge_sql(number: str, step: float) -> str:
    """SQL of :func:`bin_edge` for the bin number ``number`` (a DOUBLE expression)."""
    return f"round(({number}) * {num_literal(step)}, {edge_decimals(step)})"


#: How far (in steps) a value may be from an edge and still be placed by ``floor(value / step)``
#: alone; nearer, the edges themselves decide (:func:`bin_number_sql`).
EDGE_MARGIN = 1e-9
#: Past this many steps from zero, ``value / step`` may be off by more than :data:`EDGE_MARGIN`
BIN_NUMBER_RANGE = 1e6


def bin_number_sql(value: str, step: float) -> str:
    """SQL of :func:`bin_number` for the DOUBLE expression ``value``.

    ``floor(value / step)`` places nearly every value; only a value within a billionth of a
    step of an edge is compared with the edges themselves, so the costly rounding runs for few
    rows (DuckDB evaluates a CASE branch only for the rows that reach it).
    """
    s = num_literal(step)
    ratio = f"({value} / {s})"
    n = f"floor({ratio})"
    return (
        f"(CASE WHEN abs({ratio}) < {BIN_NUMBER_RANGE!r} AND {ratio} - {n} BETWEEN {EDGE_MARGIN!r} "
        f"AND {1 - EDGE_MARGIN!r} THEN {n} "
        f"WHEN {value} < {edge_sql(n, step)} THEN {n} - 1 "
        f"WHEN {value} >= {edge_sql(f'{n} + 1', step)} THEN {n} + 1 ELSE {n} END)"
    )


def bin_label_sql(f: FieldRef, steps: Bins, key: str, offset: int = 0) -> str:
    """A dimension's value from its key (:func:`key_expr`): a bin's number becomes the start of
    that bin (``offset`` 1: its end), as its step writes it; other keys are their own value."""
    if f.bin is None:
        return key
    step = steps[f.name][0]
    return edge_sql(f"{key} + {offset}" if offset else key, step)


def bin_count(lo: float, hi: float, step: float) -> int:
    """How many bins of ``step`` cover [lo, hi] (a maximum on an edge closes the bin below)."""
    return last_bin_number(lo, hi, step) - bin_number(lo, step) + 1


def key_expr(f: FieldRef, steps: Bins) -> str:
    """A dimension's key: the column, truncated to a time unit, or the number of its bin (rows are
    grouped by it; :func:`bin_label_sql` turns it into the bin's start once per group).

    A maximum that falls exactly on a bin edge joins the last bin (``least``), as
    in Vega-Lite and Tableau: 0 to 100 in steps of 10 is ten bins, not eleven.
    DuckDB's ``least`` skips nulls (``least(NULL, 90)`` is 90), so every query
    leaves rows with a null binned column out (:func:`binned_not_null`).
    """
    assert f.column is not None
    col = q(f.column)
    if f.time_unit:
        trunc = f"date_trunc('{f.time_unit}', {col})"
        return f"CAST({trunc} AS DATE)" if f.ctype == "date" else trunc
    if f.bin is not None:
        step, last = steps[f.name]
        n = bin_number_sql(f"CAST({col} AS DOUBLE)", step)
        if last is not None:
            n = f"least({n}, {round(last / step)})"
        return n
    return col


def agg_expr(aggregate: str, ctype: str | None, arg: str | None) -> str:
    """SQL of ``aggregate`` over ``arg`` (a column of type ``ctype``; None for count(*))."""
    if arg is None:
        return "count(*)"
    if aggregate == "count":
        return f"count({arg})"
    if aggregate == "distinct":
        return f"count(DISTINCT {arg})"
    if ctype == "boolean" and aggregate in ("sum", "mean"):
        arg = f"CAST({arg} AS INTEGER)"
    if aggregate == "sum":
        return f"sum({arg})" if ctype == "float" else f"CAST(sum({arg}) AS BIGINT)"
    if aggregate == "mean":
        return f"avg(CAST({arg} AS DOUBLE))"
    if aggregate == "median":
        return f"CAST(median({arg}) AS DOUBLE)"
    return f"{aggregate}({arg})"


class Grouped:
    """The pieces of an aggregated chart's query; see :meth:`query`."""

    def __init__(self, spec: ChartSpec, columns: Sequence[ColumnInfo], steps: Bins):
        self.spec, self.columns, self.steps = spec, columns, steps
        self.dims = spec.dims
        self.inputs = [f for f in spec.measures if f.column is not None]
        self.sort = spec.sort

    def _m(self, f: FieldRef) -> str | None:
        return f"base.{q(f'm{self.inputs.index(f)}')}" if f.column is not None else None

    def _measure(self, f: FieldRef) -> str:
        assert f.aggregate is not None
        return agg_expr(f.aggregate, f.ctype, self._m(f))

    def base(self, extra_where: Sequence[str] = ()) -> Frag:
        sel = [f"{key_expr(f, self.steps)} AS {q(f'd{i}')}" for i, f in enumerate(self.dims)]
        sel += [f"{q(str(f.column))} AS {q(f'm{i}')}" for i, f in enumerate(self.inputs)]
        if self.sort and "column" in self.sort:
            sel.append(f"{q(self.sort['column'])} AS __s")
        where = where_frag(self.spec, self.columns, extra_where)
        return fmt(f"base AS NOT MATERIALIZED (SELECT {', '.join(sel) or '1 AS __one'} FROM src{{0}})", where)

    def items(self) -> list[str]:
        out: list[str] = []
        for f in self.spec.fields:
            if f.is_measure:
                out.append(f"{self._measure(f)} AS {q(f.name)}")
                continue
            d = f"base.{q(f'd{self.dims.index(f)}')}"
            out.append(f"{bin_label_sql(f, self.steps, d)} AS {q(f.name)}")
            if f.bin is not None:
                out.append(f"{bin_label_sql(f, self.steps, d, 1)} AS {q(f.name + '_end')}")
        if self.sort and "column" in self.sort:
            out.append(f"{agg_expr(self.sort['aggregate'], self.sort['type'], 'base.__s')} AS __sort")
        return out

    def _ranked(self) -> bool:
        return len(self.dims) > 1 and (self.sort is not None or self.spec.limit is not None)

    def _top_key(self) -> str:
        """What the first dimension's categories rank by (for sorted or top-N multi-key charts)."""
        s = self.sort
        if s is None:
            m = self.spec.measures[0] if self.spec.measures else None
            return self._measure(m) if m else "count(*)"
        if "column" in s:
            return agg_expr(s["aggregate"], s["type"], "base.__s")
        f = next(x for x in self.spec.fields if x.name == s["channel"])
        if f.is_measure:
            return self._measure(f)
        i = self.dims.index(f)
        d = f"base.{q(f'd{i}')}"
        return d if i == 0 else f"min({d})"

    def _top_direction(self) -> str:
        s = self.sort
        return "ASC" if s is not None and s["order"] != "descending" else "DESC"

    def order(self) -> list[str]:
        """ORDER BY items, all in terms of the result's own column names."""
        dims = [f"{q(f.name)} ASC NULLS LAST" for f in self.dims]
        if self._ranked():
            return ["__rank", *dims[1:]]
        s = self.sort
        if s is None:
            return dims
        direction = "DESC" if s["order"] == "descending" else "ASC"
        key = "__sort" if "column" in s else q(s["channel"])
        return [f"{key} {direction} NULLS LAST", *dims]

    def query(self, cap: int | None, *, largest_first: bool = False) -> Query:
        """The grouped query, with ``__rows`` (source rows) and ``__groups`` (groups in all).

        ``cap`` bounds the rows returned (after the spec's own top-N). With
        ``largest_first`` the rows kept are those with the largest first measure,
        then shown in the usual order.
        """
        if self._ranked():
            return self._ranked_query(cap, largest_first=largest_first)
        items = self.items()
        group_keys = [f"base.{q(f'd{i}')}" for i in range(len(self.dims))]
        items += ["sum(count(*)) OVER () AS __rows", "count(*) OVER () AS __groups"]
        group = f" GROUP BY {', '.join(group_keys)}" if group_keys else ""
        select = f"SELECT {', '.join(items)} FROM base{group}"
        limit = self.spec.limit
        if limit is not None:
            cap = limit if cap is None else min(cap, limit)
        return self._finish([self.base()], select, self.order(), cap, largest_first)

    def _ranked_query(self, cap: int | None, *, largest_first: bool) -> Query:
        """A multi-key chart whose first key's categories are ranked (sorted or top-N), in one scan.

        One ``GROUPING SETS`` pass gives both the groups of every key and, per
        category of the first key, the value it ranks by (level 1); the
        categories are ranked over those few rows and the groups of the kept ones
        taken with a join on the ranking. Every aggregate is computed from the
        rows themselves, so any aggregate (median, distinct) ranks exactly.
        ``__rows`` counts every filtered row, kept categories or not.
        """
        d0 = f"base.{q('d0')}"
        keys = [f"base.{q(f'd{i}')}" for i in range(len(self.dims))]
        rest = ", ".join(keys[1:])
        names = [q(f.name) for f in self.dims]
        gs_items = [
            *self.items(),
            f"{self._top_key()} AS __key",
            "count(*) AS __n",
            f"GROUPING({rest}) AS __lvl",
        ]
        gs = Frag(
            f"gs AS MATERIALIZED (SELECT {', '.join(gs_items)} FROM base "
            f"GROUP BY GROUPING SETS (({', '.join(keys)}), ({d0})))"
        )
        direction = self._top_direction()
        first = names[0]
        limit = self.spec.limit
        top_filter = f" QUALIFY __rank <= {int(limit)}" if limit is not None else ""
        top = Frag(
            f"top AS (SELECT {first} AS k, row_number() OVER (ORDER BY __key {direction} NULLS LAST, "
            f"{first} ASC NULLS LAST) AS __rank FROM gs WHERE __lvl <> 0{top_filter})"
        )
        out = [f"gs.{q(f['name'])}" for f in self._item_names()]
        select = (
            f"SELECT {', '.join(out)}, top.__rank AS __rank, "
            "(SELECT sum(__n) FROM gs WHERE __lvl <> 0) AS __rows, count(*) OVER () AS __groups "
            f"FROM gs JOIN top ON gs.{first} IS NOT DISTINCT FROM top.k WHERE gs.__lvl = 0"
        )
        return self._finish([self.base(), gs, top], select, self.order(), cap, largest_first)

    def _item_names(self) -> list[dict[str, str]]:
        """The output columns of :meth:`items`, in order."""
        out: list[dict[str, str]] = []
        for f in self.spec.fields:
            out.append({"name": f.name})
            if not f.is_measure and f.bin is not None:
                out.append({"name": f.name + "_end"})
        if self.sort and "column" in self.sort:
            out.append({"name": "__sort"})
        return out

    def _finish(
        self, ctes: list[Frag], select: str, order: list[str], cap: int | None, largest_first: bool
    ) -> Query:
        if cap is not None and largest_first and self.spec.measures and self.dims:
            m = q(self.spec.measures[0].name)
            inner = f"{select} ORDER BY {m} DESC NULLS LAST, {', '.join(order)} LIMIT {int(cap)}"
            body = f"SELECT * FROM ({inner}) ORDER BY {', '.join(order)}"
        else:
            body = select + (f" ORDER BY {', '.join(order)}" if order else "")
            if cap is not None:
                body += f" LIMIT {int(cap)}"
        frag = fmt("WITH " + ", ".join(f"{{{i}}}" for i in range(len(ctes))) + " " + body, *ctes)
        return Query(frag.sql, frag.params)

    def delta_query(self) -> Query:
        """KPI with a delta: the last period's value and the one a period before it."""
        x, y = self.spec.get("x"), self.spec.get("y")
        assert x is not None and y is not None and x.time_unit
        base = self.base(extra_where=[f"{q(str(x.column))} IS NOT NULL"])
        iv = INTERVAL[x.time_unit]
        d0 = q("d0")
        prev = f"(SELECT v FROM g WHERE g.p = cur.p - {iv})"
        if y.aggregate in ("count", "distinct"):
            # a period with no rows counts 0 (other aggregates of no rows have no value)
            prev = f"CASE WHEN cur.p IS NULL THEN NULL ELSE coalesce({prev}, 0) END"
        body = (
            f", g AS (SELECT base.{d0} AS p, {self._measure(y)} AS v, count(*) AS n"
            f" FROM base GROUP BY base.{d0}),"
            f" cur AS (SELECT max(p) AS p FROM g)"
            f" SELECT cur.p AS {q('x')}, (SELECT v FROM g WHERE g.p = cur.p) AS {q('y')},"
            f" {prev} AS y_previous,"
            f" (SELECT sum(n) FROM g) AS __rows FROM cur"
        )
        frag = fmt("WITH {0}" + body, base)
        return Query(frag.sql, frag.params)


def stats_query(
    spec: ChartSpec, columns: Sequence[ColumnInfo], cols: Sequence[FieldRef], not_null: Sequence[str] = ()
) -> Query:
    """Row count and min/max of each field in ``cols`` (as DOUBLE), over the filtered rows."""
    items = ["count(*) AS n"]
    for i, f in enumerate(cols):
        v = _as_double(f)
        items += [f"min({v}) AS lo{i}", f"max({v}) AS hi{i}"]
    where = where_frag(spec, columns, [f"{q(c)} IS NOT NULL" for c in not_null])
    frag = fmt(f"SELECT {', '.join(items)} FROM src{{0}}", where)
    return Query(frag.sql, frag.params)


def _as_double(f: FieldRef) -> str:
    col = q(str(f.column))
    if f.ctype == "datetime":
        return f"CAST(epoch_us({col}) AS DOUBLE)"
    if f.ctype == "date":
        return f"CAST(epoch_us(CAST({col} AS TIMESTAMP)) AS DOUBLE)"
    return f"CAST({col} AS DOUBLE)"


def raw_query(
    spec: ChartSpec,
    columns: Sequence[ColumnInfo],
    steps: Bins,
    *,
    not_null: Sequence[str] = (),
    limit: int | None = None,
    offset: int = 0,
    order: Sequence[str] = (),
    sample: int | None = None,
) -> Query:
    """One row per source row: each field's value (time units and bins applied)."""
    items: list[str] = []
    for f in spec.fields:
        key = key_expr(f, steps)
        items.append(f"{bin_label_sql(f, steps, key)} AS {q(f.name)}")
        if f.bin is not None:
            items.append(f"{bin_label_sql(f, steps, key, 1)} AS {q(f.name + '_end')}")
    where = where_frag(spec, columns, [f"{q(c)} IS NOT NULL" for c in not_null])
    tail = ""
    if sample is not None:
        tail += f" USING SAMPLE reservoir({int(sample)} ROWS) REPEATABLE (42)"
    if order:
        tail += f" ORDER BY {', '.join(order)}"
    if limit is not None:
        tail += f" LIMIT {int(limit)}"
    if offset:
        tail += f" OFFSET {int(offset)}"
    frag = fmt(f"SELECT {', '.join(items)} FROM src{{0}}{tail}", where)
    return Query(frag.sql, frag.params)


def count_query(spec: ChartSpec, columns: Sequence[ColumnInfo], not_null: Sequence[str] = ()) -> Query:
    frag = fmt(
        "SELECT count(*) FROM src{0}", where_frag(spec, columns, [f"{q(c)} IS NOT NULL" for c in not_null])
    )
    return Query(frag.sql, frag.params)


def bin2d_query(
    spec: ChartSpec,
    columns: Sequence[ColumnInfo],
    xf: FieldRef,
    yf: FieldRef,
    xgrid: tuple[float, float, int],
    ygrid: tuple[float, float, int],
    groups: Sequence[FieldRef],
    means: Sequence[FieldRef],
) -> Query:
    """Dense points → a grid of cells: count per cell (and per group), means of numeric channels.

    Each axis is (origin, step, cells); a value on the top edge joins the last cell.
    """
    sel = [f"{_cell(xf, xgrid)} AS ix", f"{_cell(yf, ygrid)} AS iy"]
    sel += [f"{q(str(f.column))} AS {q('g_' + f.name)}" for f in groups]
    sel += [f"CAST({q(str(f.column))} AS DOUBLE) AS {q('v_' + f.name)}" for f in means]
    where = where_frag(
        spec, columns, [f"{q(str(xf.column))} IS NOT NULL", f"{q(str(yf.column))} IS NOT NULL"]
    )
    keys = ["ix", "iy", *(q("g_" + f.name) for f in groups)]
    out = [
        f"{_cell_edge(xf, xgrid, 'ix')} AS {q(xf.name)}",
        f"{_cell_edge(xf, xgrid, 'ix + 1')} AS {q(xf.name + '_end')}",
        f"{_cell_edge(yf, ygrid, 'iy')} AS {q(yf.name)}",
        f"{_cell_edge(yf, ygrid, 'iy + 1')} AS {q(yf.name + '_end')}",
        "count(*) AS count",
    ]
    out += [f"{q('g_' + f.name)} AS {q(f.name)}" for f in groups]
    out += [f"avg({q('v_' + f.name)}) AS {q(f.name)}" for f in means]
    frag = fmt(
        f"WITH cells AS NOT MATERIALIZED (SELECT {', '.join(sel)} FROM src{{0}}) "
        f"SELECT {', '.join(out)} FROM cells GROUP BY {', '.join(keys)} "
        f"ORDER BY {', '.join(f'{k} ASC NULLS LAST' for k in keys)}",
        where,
    )
    return Query(frag.sql, frag.params)


def _cell(f: FieldRef, grid: tuple[float, float, int]) -> str:
    """SQL of a value's cell on a grid axis (origin, step, cells); the top edge joins the last cell.

    Numbers are numbered by their bins' edges (:func:`bin_number_sql`), as histograms are; dates
    and times count whole steps of microseconds from the origin.
    """
    origin, step, cells = grid
    if f.ctype in TEMPORAL:
        index = f"floor(({_as_double(f)} - {num_literal(origin)}) / {num_literal(step)})"
    else:
        index = f"{bin_number_sql(_as_double(f), step)} - {round(origin / step)}"
    return f"least(CAST({index} AS BIGINT), {int(cells) - 1})"


def _cell_edge(f: FieldRef, grid: tuple[float, float, int], index: str) -> str:
    """SQL of the edge of cell ``index`` on a grid axis (a number as its step writes it)."""
    origin, step, _ = grid
    if f.ctype in TEMPORAL:
        return _back(f, f"{num_literal(origin)} + ({index}) * {num_literal(step)}")
    return edge_sql(f"{round(origin / step)} + {index}", step)


def _back(f: FieldRef, expr: str) -> str:
    """A bin edge computed as DOUBLE (microseconds for dates and times), back as a timestamp."""
    if f.ctype in ("date", "datetime"):
        return f"make_timestamp(CAST(round({expr}) AS BIGINT))"
    return expr


def box_query(spec: ChartSpec, columns: Sequence[ColumnInfo], steps: Bins, cap: int) -> Query:
    """Five-number summaries per group (Tukey whiskers: the furthest values within 1.5 IQR of the box)."""
    y = spec.get("y")
    assert y is not None and y.column is not None
    groups = [f for f in spec.dims if f.channel != "y"]
    sel = [f"{key_expr(f, steps)} AS {q(f'd{i}')}" for i, f in enumerate(groups)]
    sel.append(f"CAST({q(y.column)} AS DOUBLE) AS v")
    where = where_frag(spec, columns, [f"{q(y.column)} IS NOT NULL"])
    keys = [q(f"d{i}") for i in range(len(groups))]
    gb = f" GROUP BY {', '.join(keys)}" if keys else ""
    on = " AND ".join(f"b.{k} IS NOT DISTINCT FROM s.{k}" for k in keys) or "TRUE"
    stats = (
        f"SELECT {''.join(k + ', ' for k in keys)}quantile_cont(v, 0.25) AS q1, median(v) AS med, "
        f"quantile_cont(v, 0.75) AS q3, min(v) AS mn, max(v) AS mx, avg(v) AS mean, count(*) AS n "
        f"FROM base{gb}"
    )
    skeys = [f"s.{k}" for k in keys]
    whisk = (
        f"SELECT {''.join(k + ', ' for k in skeys)}any_value(s.q1) AS q1, any_value(s.med) AS med, "
        "any_value(s.q3) AS q3, any_value(s.mn) AS mn, any_value(s.mx) AS mx, any_value(s.mean) AS mean, "
        "any_value(s.n) AS n, "
        "min(b.v) FILTER (WHERE b.v >= s.q1 - 1.5 * (s.q3 - s.q1)) AS lo, "
        "max(b.v) FILTER (WHERE b.v <= s.q3 + 1.5 * (s.q3 - s.q1)) AS hi, "
        "count(*) FILTER (WHERE b.v < s.q1 - 1.5 * (s.q3 - s.q1) "
        "OR b.v > s.q3 + 1.5 * (s.q3 - s.q1)) AS outliers "
        f"FROM base b JOIN stats s ON {on}" + (f" GROUP BY {', '.join(skeys)}" if skeys else "")
    )
    out = []
    for i, f in enumerate(groups):
        out.append(f"{bin_label_sql(f, steps, q(f'd{i}'))} AS {q(f.name)}")
        if f.bin is not None:
            out.append(f"{bin_label_sql(f, steps, q(f'd{i}'), 1)} AS {q(f.name + '_end')}")
    out += [
        f"mn AS {q(y.name + '_min')}",
        f"q1 AS {q(y.name + '_q1')}",
        f"med AS {q(y.name + '_median')}",
        f"q3 AS {q(y.name + '_q3')}",
        f"mx AS {q(y.name + '_max')}",
        f"lo AS {q(y.name + '_lower')}",
        f"hi AS {q(y.name + '_upper')}",
        f"mean AS {q(y.name + '_mean')}",
        f"n AS {q(y.name + '_count')}",
        f"outliers AS {q(y.name + '_outliers')}",
        "sum(n) OVER () AS __rows",
        "count(*) OVER () AS __groups",
    ]
    s = spec.sort
    order = [f"{q(f.name)} ASC NULLS LAST" for f in groups]
    if s and "channel" in s:
        key = q(y.name + "_median") if s["channel"] == y.name else q(s["channel"])
        order.insert(0, f"{key} {'DESC' if s['order'] == 'descending' else 'ASC'} NULLS LAST")
    lim = min(cap, spec.limit) if spec.limit else cap
    frag = fmt(
        f"WITH base AS NOT MATERIALIZED (SELECT {', '.join(sel)} FROM src{{0}}), stats AS ({stats}), "
        f"w AS ({whisk}) SELECT {', '.join(out)} FROM w WHERE n > 0"
        + (f" ORDER BY {', '.join(order)}" if order else "")
        + f" LIMIT {int(lim)}",
        where,
    )
    return Query(frag.sql, frag.params)
