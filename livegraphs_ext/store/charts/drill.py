"""The rows behind one mark of a chart: conditions that hold for exactly the rows the mark stands for.

A mark is one row of the chart's result. Its conditions come from the result's fields, which say
how the engine grouped the rows (:mod:`.compile`):

- a group key is ``eq`` its value, the null group ``is_null``;
- a time unit's period is ``[start, next start)``;
- a bin is ``[start, end)`` and the last bin ``>= start`` (it holds the maximum on its edge);
- a cell of a dense scatter plot's grid is a range on each axis;
- a mark drawn from one source row (a point, a raw bar, a row of a table) is named by every field
  it draws, so it gives its own row, and the rows that draw exactly as it does.

Measures (aggregates) and statistics (a box's quartiles) name no rows. A box also needs its value
(rows without one are in no box); a KPI's period must exist.

The bounds of a range are where the engine's own key expression changes value, found by bisection
over the doubles with the same IEEE arithmetic: a value that rounding puts in the next bin is
drilled from the bin that counts it, never from the one its decimal digits suggest.
"""

from __future__ import annotations

import datetime as dt
import math
import struct
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import BadInput, NotFound
from ..schema import ColumnInfo
from .compile import bin_edge, bin_number
from .result import ChartResult
from .spec import ChartSpec

_MAX = 1.7976931348623157e308
_EPOCH = dt.datetime(1970, 1, 1)
_DAY_US = 86_400_000_000
_MONTHS = {"year": 12, "quarter": 3, "month": 1}
_STEP = {
    "week": dt.timedelta(days=7),
    "day": dt.timedelta(days=1),
    "hour": dt.timedelta(hours=1),
    "minute": dt.timedelta(minutes=1),
}


# ---------------------------------------------------------------------------- which mark


def identity_fields(result: ChartResult) -> list[dict[str, Any]]:
    """The fields that name a mark's rows: every field of a column that is no measure and no statistic."""
    return [f for f in result.fields if f.get("column") and not f.get("aggregate") and not f.get("stat")]


def find_mark(result: ChartResult, mark: Any, index: Any = None) -> dict[str, Any]:
    """The result's row that ``mark`` (its values by field name, as the client holds them) names.

    The client's values may have lost precision on the way (a browser keeps datetimes to the
    millisecond), so the row's own values are taken from the result. ``index`` (the row's
    position) picks among rows that look alike to the client. NotFound when no row matches.
    """
    if not isinstance(mark, dict):
        raise BadInput("'mark' must be an object: the mark's values by field name", "Bad mark")
    names = {f["name"] for f in result.fields}
    unknown = sorted(k for k in mark if k not in names)
    if unknown:
        raise BadInput(f"mark: unknown field(s) {unknown[:10]}; the chart's are {sorted(names)}", "Bad mark")
    keys = identity_fields(result)
    missing = [f["name"] for f in keys if f["name"] not in mark]
    if missing:
        raise BadInput(f"mark: give the value of {missing}", "Bad mark")
    if index is not None and (not isinstance(index, int) or isinstance(index, bool) or index < 0):
        raise BadInput("'index' must be a whole number, zero or more", "Bad mark")
    rows = (
        result.table.select([f["name"] for f in keys]).to_pylist() if keys else [{}] * result.table.num_rows
    )

    def matches(row: dict[str, Any]) -> bool:
        return all(_same(row[f["name"]], mark[f["name"]]) for f in keys)

    if index is not None and index < len(rows) and matches(rows[index]):
        return rows[index]
    for row in rows:
        if matches(row):
            return row
    raise NotFound("That mark is not in the chart (it may have changed): draw it again", "No such mark")


def _same(ours: Any, theirs: Any) -> bool:
    if ours is None or theirs is None:
        return ours is None and theirs is None
    if isinstance(ours, bool) or isinstance(theirs, bool):
        return ours is theirs
    if isinstance(ours, int | float):
        # a browser holds every number as a double
        return isinstance(theirs, int | float) and float(ours) == float(theirs)
    if isinstance(ours, dt.datetime):
        other = _parse(theirs, dt.datetime)
        if not isinstance(other, dt.datetime):
            return False
        return ours == other or ours.replace(microsecond=ours.microsecond // 1000 * 1000) == other
    if isinstance(ours, dt.date):
        other = _parse(theirs, dt.date)
        return isinstance(other, dt.date) and not isinstance(other, dt.datetime) and ours == other
    return bool(ours == theirs)


def _parse(value: Any, kind: type) -> Any:
    if not isinstance(value, str):
        return None
    try:
        if kind is dt.date:
            return dt.date.fromisoformat(value.strip()[:10])
        return dt.datetime.fromisoformat(value.strip()).replace(tzinfo=None)
    except ValueError:
        return None


# ---------------------------------------------------------------------------- its conditions


#: Whether no row of the data meets every one of these conditions.
Empty = Callable[[list[dict[str, Any]]], bool]


def mark_conditions(
    spec: ChartSpec,
    result: ChartResult,
    row: dict[str, Any],
    columns: Sequence[ColumnInfo],
    empty: Empty | None = None,
) -> list[dict[str, Any]]:
    """The conditions (the rows API's filter grammar) of the mark whose result row is ``row``.

    Added to the chart's own filters, they hold for exactly the rows the mark stands for. With
    ``empty``, a range's bound is its nominal edge (a bin's start plus its step) wherever no row
    lies between that edge and the exact one: a bin ending at 0 reads ``< 0``, not ``< -1e-323``.
    """
    types = {c.name: c.type for c in columns}
    out: list[dict[str, Any]] = []
    for f in identity_fields(result):
        column = str(f["column"])
        out += field_conditions(f, types[column], row[f["name"]], empty)
    y = spec.get("y")
    if spec.mark == "box" and y is not None and y.column is not None:
        out.append({"column": y.column, "cmp": "not_null"})
    x = spec.get("x")
    if spec.mark == "kpi" and spec.options.get("delta") and x is not None and x.column is not None:
        # no period at all: a KPI of no rows
        out.append({"column": x.column, "cmp": "not_null"})
    unique: list[dict[str, Any]] = []
    for c in out:
        if c not in unique:
            unique.append(c)
    return unique


def field_conditions(
    f: dict[str, Any], ctype: str, value: Any, empty: Empty | None = None
) -> list[dict[str, Any]]:
    """The conditions of one field's value in a result row (``f``: the result's field)."""
    column = str(f["column"])
    if value is None:
        return [{"column": column, "cmp": "is_null"}]
    grid = f.get("grid")
    if grid is not None:
        return _cell(column, ctype, value, grid, empty)
    b = f.get("bin")
    if b is not None:
        return _bin(column, ctype, float(value), float(b["step"]), b.get("last"), empty)
    unit = f.get("timeUnit")
    if unit:
        return _period(column, value, unit, ctype == "date")
    return [{"column": column, "cmp": "eq", "value": _json(value)}]


def _json(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


Bound = tuple[float, float] | None  # (exact, nominal), or None: no bound that side


def _range(column: str, ctype: str, lo: Bound, hi: Bound, empty: Empty | None) -> list[dict[str, Any]]:
    """``lo <= column < hi`` for the column's values read as doubles."""
    out: list[dict[str, Any]] = []
    for cmp, bound in (("ge", lo), ("lt", hi)):
        if bound is None:
            continue
        exact, nominal = (_as_column(b, ctype) for b in bound)
        value = exact
        if nominal != exact and empty is not None:
            a, b = (exact, nominal) if bound[0] <= bound[1] else (nominal, exact)
            gap = [{"column": column, "cmp": "ge", "value": a}, {"column": column, "cmp": "lt", "value": b}]
            if empty(gap):
                value = nominal
        out.append({"column": column, "cmp": cmp, "value": value})
    return out


def _as_column(bound: float, ctype: str) -> Any:
    """A bound on the column's values read as doubles, as a bound on the column's own values."""
    if ctype == "integer":
        # whole numbers: at or above a double is at or above its ceiling
        return math.ceil(bound)
    if ctype == "datetime":
        return _from_us(math.ceil(bound)).isoformat()
    if ctype == "date":
        return (_EPOCH + dt.timedelta(days=-(-math.ceil(bound) // _DAY_US))).date().isoformat()
    return bound


def _bin(
    column: str, ctype: str, start: float, step: float, last: float | None, empty: Empty | None
) -> list[dict[str, Any]]:
    """The values ``compile.key_expr`` puts in the bin that starts at ``start``."""

    first = round(start / step)
    top = None if last is None else round(float(last) / step)

    def key(v: float) -> float:
        # the engine's bin number (compile.bin_number_sql), the last bin taking all above it
        n = float(bin_number(v, step)) if math.isfinite(v / step) else v / step
        return min(n, top) if top is not None else n

    lo = _lower(_lowest(lambda v: key(v) >= first))
    hi = _upper(_lowest(lambda v: key(v) > first))
    return _range(
        column,
        ctype,
        None if lo is None else (lo, start),
        None if hi is None else (hi, bin_edge(first + 1, step)),
        empty,
    )


def _cell(
    column: str, ctype: str, value: Any, grid: dict[str, Any], empty: Empty | None
) -> list[dict[str, Any]]:
    """The values ``compile.bin2d_query`` puts in the grid cell that starts at ``value``."""
    origin, step, cells = float(grid["origin"]), float(grid["step"]), int(grid["cells"])
    at = float(_to_us(value)) if isinstance(value, dt.date) else float(value)
    i = round((at - origin) / step)

    def index(v: float) -> int:
        q = (v - origin) / step
        if not q < 2.0**62:
            return cells - 1
        return min(math.floor(q), cells - 1) if q > -(2.0**62) else -(2**62)

    lo = _lower(_lowest(lambda v: index(v) >= i))
    hi = _upper(_lowest(lambda v: index(v) >= i + 1)) if i + 1 <= cells - 1 else None
    return _range(
        column,
        ctype,
        None if lo is None else (lo, origin + i * step),
        None if hi is None else (hi, origin + (i + 1) * step),
        empty,
    )


def _period(column: str, start: Any, unit: str, is_date: bool) -> list[dict[str, Any]]:
    """The values ``date_trunc(unit, column)`` maps to ``start``: ``[start, next start)``."""
    out = [{"column": column, "cmp": "ge", "value": _json(start)}]
    try:
        if unit in _MONTHS:
            months = start.month - 1 + _MONTHS[unit]
            end = start.replace(year=start.year + months // 12, month=months % 12 + 1)
        else:
            # a date truncated to an hour or a minute is still its whole day
            end = start + (max(_STEP[unit], dt.timedelta(days=1)) if is_date else _STEP[unit])
    except (OverflowError, ValueError):
        return out  # the last period there is: no end
    out.append({"column": column, "cmp": "lt", "value": _json(end)})
    return out


def _to_us(value: dt.date) -> int:
    moment = value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())
    return (moment.replace(tzinfo=None) - _EPOCH) // dt.timedelta(microseconds=1)


def _from_us(us: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=us)


# ---------------------------------------------------------------------------- bisection over doubles


#: what :func:`_lowest` answers when the predicate holds for every double
EVERY = float("-inf")
#: ... and for none
NONE = float("inf")


def _order(x: float) -> int:
    """The doubles as integers in the same order (-0.0 and 0.0 alike)."""
    bits: int = struct.unpack("<q", struct.pack("<d", x))[0]
    return bits if bits >= 0 else -(bits & 0x7FFF_FFFF_FFFF_FFFF)


def _double(n: int) -> float:
    bits = n if n >= 0 else (-n) | (1 << 63)
    value: float = struct.unpack("<d", struct.pack("<Q", bits))[0]
    return value


def _lowest(holds: Callable[[float], bool]) -> float:
    """The smallest finite double for which ``holds`` (false, then true as doubles grow) is true.

    :data:`EVERY` when it holds for every finite double, :data:`NONE` when for none.
    """
    if holds(-_MAX):
        return EVERY
    if not holds(_MAX):
        return NONE
    lo, hi = _order(-_MAX), _order(_MAX)  # holds(hi), not holds(lo)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if holds(_double(mid)):
            hi = mid
        else:
            lo = mid
    return _double(hi)


def _lower(bound: float) -> float | None:
    if bound == NONE:
        raise NotFound("That mark holds no values", "No such mark")
    return None if bound == EVERY else bound


def _upper(bound: float | None) -> float | None:
    if bound == EVERY:
        raise NotFound("That mark holds no values", "No such mark")
    return None if bound is None or bound == NONE else bound
