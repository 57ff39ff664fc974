"""Date functions with units: date_trunc, datediff and dateadd."""

from __future__ import annotations

from .dtypes import PD_DTYPE, pd_cast
from .frag import Frag, fmt, param, sql_cast
from .func import common_type, const_arg, const_value, need, unit_arg
from .tree import NULL, TEMPORAL, Call, fail

#: date units for date_trunc / datediff / dateadd, with their pandas spellings
_TRUNC_PERIOD = {"year": "Y", "quarter": "Q", "month": "M", "week": "W-SUN"}
_FLOOR_FREQ = {"day": "D", "hour": "h", "minute": "min", "second": "s"}
_SECONDS = {"hour": 3600, "minute": 60, "second": 1}
_TIME_UNITS = ("hour", "minute", "second")
_DATE_UNITS = ("year", "quarter", "month", "week", "day")


def trunc_type(call: Call) -> str:
    unit = unit_arg(call, 0, (*_DATE_UNITS, *_TIME_UNITS))
    t = need(call, 1, TEMPORAL, "a date or datetime")
    if t == "date" and unit in _TIME_UNITS:
        raise fail(f"{call.name}() cannot truncate a date to {unit}s", call.args[0].pos)
    return t if t != NULL else "datetime"


def trunc_sql(a: list[Frag], call: Call) -> Frag:
    unit = str(const_arg(0, call)).lower()
    cast = "DATE" if call.type == "date" else "TIMESTAMP"
    return fmt(f"CAST(DATE_TRUNC('{unit}', {{0}}) AS {cast})", a[1])


def trunc_pd(a: list[str], call: Call) -> str:
    unit = str(const_arg(0, call)).lower()
    if unit in _FLOOR_FREQ and call.type == "datetime":
        return f'{a[1]}.dt.floor("{_FLOOR_FREQ[unit]}")'
    if unit == "day":
        return a[1]
    period = _TRUNC_PERIOD[unit]
    # Arrow-backed timestamps have no to_period; go through numpy datetimes
    start = f'{a[1]}.astype("datetime64[us]").dt.to_period("{period}").dt.start_time'
    return f"{start}.astype({PD_DTYPE[call.type]})"


def diff_type(call: Call) -> str:
    unit_arg(call, 0, ("year", "quarter", "month", "day", *_TIME_UNITS))
    need(call, 1, TEMPORAL, "a date or datetime")
    need(call, 2, TEMPORAL, "a date or datetime")
    return "integer"


def diff_sql(a: list[Frag], call: Call) -> Frag:
    unit = str(const_arg(0, call)).lower()
    common = common_type(call, [1, 2])
    if common == NULL:
        common = "datetime"
    x, y = (sql_cast(a[i], call.args[i].type, common) for i in (1, 2))
    return fmt(f"DATE_DIFF('{unit}', {{0}}, {{1}})", x, y)


def diff_pd(a: list[str], call: Call) -> str:
    unit = str(const_arg(0, call)).lower()
    x, y = a[1], a[2]
    if unit in ("year", "quarter", "month"):
        per = {"year": "", "quarter": " * 4 + {s}.dt.quarter", "month": " * 12 + {s}.dt.month"}[unit]
        return f"(({y}.dt.year{per.format(s=y)}) - ({x}.dt.year{per.format(s=x)}))"
    x, y = (pd_cast(c, call.args[i + 1].type, "datetime") for i, c in enumerate((x, y)))
    if unit == "day":
        return f'({y}.dt.floor("D") - {x}.dt.floor("D")).dt.days'
    f = _FLOOR_FREQ[unit]
    return (
        f'(({y}.dt.floor("{f}") - {x}.dt.floor("{f}")).dt.total_seconds() // {_SECONDS[unit]})'
        f".astype({PD_DTYPE['integer']})"
    )


def add_type(call: Call) -> str:
    unit = unit_arg(call, 0, (*_DATE_UNITS, *_TIME_UNITS))
    const_value(call, 1, ("integer",), "whole number")
    t = need(call, 2, TEMPORAL, "a date or datetime")
    if t == NULL:
        t = "datetime"
    return "datetime" if unit in _TIME_UNITS else t


_ADD_SQL = {"year": ("to_years", 1), "quarter": ("to_months", 3), "month": ("to_months", 1)}
_ADD_SQL.update({"week": ("to_days", 7), "day": ("to_days", 1), "hour": ("to_hours", 1)})
_ADD_SQL.update({"minute": ("to_minutes", 1), "second": ("to_seconds", 1)})


def add_sql(a: list[Frag], call: Call) -> Frag:
    unit = str(const_arg(0, call)).lower()
    fn, mult = _ADD_SQL[unit]
    n = param(int(const_arg(1, call)) * mult, "integer")
    return fmt(f"CAST(({{0}} + {fn}({{1}})) AS {'DATE' if call.type == 'date' else 'TIMESTAMP'})", a[2], n)


def add_pd(a: list[str], call: Call) -> str:
    unit = str(const_arg(0, call)).lower()
    n = int(const_arg(1, call))
    if unit in ("year", "quarter", "month"):
        months = n * (12 if unit == "year" else 3 if unit == "quarter" else 1)
        # calendar months clamp to month end, like DuckDB; Arrow dtypes need numpy for DateOffset
        shifted = f'({a[2]}.astype("datetime64[us]") + pd.DateOffset(months={months}))'
        return f"{shifted}.astype({PD_DTYPE[call.type]})"
    days = {"week": "days", "day": "days", "hour": "hours", "minute": "minutes", "second": "seconds"}[unit]
    k = n * 7 if unit == "week" else n
    return f"({a[2]} + pd.Timedelta({days}={k})).astype({PD_DTYPE[call.type]})"
