"""Type rules, SQL and pandas forms behind the formula functions in :mod:`.formula_funcs`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .formula_ast import NULL, NUMERIC, TEMPORAL, Call, Frag, Lit, fail, fmt, param, sql_cast, unify

#: pandas dtypes matching what ``pd.read_parquet(..., dtype_backend="pyarrow")`` returns
PD_DTYPE: dict[str, str] = {
    "integer": '"int64[pyarrow]"',
    "float": '"double[pyarrow]"',
    "boolean": '"bool[pyarrow]"',
    "date": '"date32[pyarrow]"',
    "datetime": '"timestamp[us][pyarrow]"',
    # the "string[pyarrow]" alias means pandas' own StringDtype, not the Arrow one
    "string": "pd.ArrowDtype(pa.string())",
    NULL: "pd.ArrowDtype(pa.string())",
}

#: date units for date_trunc / datediff / dateadd, with their pandas spellings
_TRUNC_PERIOD = {"year": "Y", "quarter": "Q", "month": "M", "week": "W-SUN"}
_FLOOR_FREQ = {"day": "D", "hour": "h", "minute": "min", "second": "s"}
_SECONDS = {"hour": 3600, "minute": 60, "second": 1}
_TIME_UNITS = ("hour", "minute", "second")
_DATE_UNITS = ("year", "quarter", "month", "week", "day")


def pd_cast(code: str, from_type: str, to_type: str) -> str:
    """pandas code converting a Series to another column type's dtype."""
    if from_type == to_type:
        return code
    return f"{code}.astype({PD_DTYPE[to_type]})"


@dataclass(frozen=True)
class Func:
    name: str
    signature: str
    doc: str
    min_args: int
    max_args: int
    typer: Callable[[Call], str]
    sql: Callable[[list[Frag], Call], Frag]
    pandas: Callable[[list[str], Call], str]
    #: argument indexes that must be constants (passed to pandas as values)
    consts: tuple[int, ...] = ()


def _need(call: Call, i: int, allowed: tuple[str, ...], what: str) -> str:
    arg = call.args[i]
    if isinstance(arg, Lit) and arg.type == "string" and set(allowed) <= set(TEMPORAL):
        # '2024-01-31' where a date is wanted is read as a date, as in comparisons
        from .formula import parse_temporal

        call.args[i] = parse_temporal(str(arg.value).strip(), arg.pos)
    t = call.args[i].type
    if t == NULL:
        if not isinstance(call.args[i], Lit):
            raise fail(
                f"{call.name}() cannot tell the type of this null value; wrap it, e.g. in int()", arg.pos
            )
        call.args[i].type = allowed[0]  # a bare null takes the type the function wants
    if t != NULL and t not in allowed:
        raise fail(f"{call.name}() argument {i + 1} must be {what}, not {t}", call.args[i].pos)
    return t


def const_value(call: Call, i: int, allowed: tuple[str, ...], what: str) -> Any:
    """The value of a constant argument (a literal), checked against ``allowed``."""
    arg = call.args[i]
    if not isinstance(arg, Lit) or arg.value is None or arg.type not in allowed:
        raise fail(f"{call.name}() argument {i + 1} must be a constant {what}", arg.pos)
    return arg.value


def _unit(call: Call, i: int, units: tuple[str, ...]) -> str:
    unit = str(const_value(call, i, ("string",), "unit name")).lower()
    if unit not in units:
        raise fail(f"{call.name}() unit must be one of {', '.join(units)}; got {unit!r}", call.args[i].pos)
    return unit


def _common(call: Call, idx: list[int] | None = None) -> str:
    result = NULL
    for i in idx if idx is not None else range(len(call.args)):
        u = unify(result, call.args[i].type)
        if u is None:
            raise fail(
                f"{call.name}() values must have one type; got {result} and {call.args[i].type}",
                call.args[i].pos,
            )
        result = u
    return result


def _same(t: str) -> Callable[[Call], str]:
    def typer(call: Call) -> str:
        _need(call, 0, NUMERIC, "a number")
        return call.args[0].type if call.args[0].type != NULL else t

    return typer


def _num_to_float(call: Call) -> str:
    for i in range(len(call.args)):
        _need(call, i, NUMERIC, "a number")
    return "float"


def _str_fn(
    result: str, const_idx: tuple[int, ...] = (), const_kind: str = "string"
) -> Callable[[Call], str]:
    def typer(call: Call) -> str:
        _need(call, 0, ("string",), "a string")
        for i in const_idx:
            if i < len(call.args):
                if const_kind == "string":
                    const_value(call, i, ("string",), "string")
                else:
                    v = const_value(call, i, ("integer",), "whole number")
                    if int(v) < (1 if (call.name == "substr" and i == 1) else 0):
                        raise fail(f"{call.name}() argument {i + 1} is out of range", call.args[i].pos)
        return result

    return typer


def _c(i: int, call: Call) -> Any:
    return call.args[i].value  # type: ignore[attr-defined]


def _as_float_sql(f: Frag, t: str) -> Frag:
    return sql_cast(f, t, "float") if t != NULL else fmt("CAST({0} AS DOUBLE)", f)


# ---- typers with more than one shape ----------------------------------------------------------


def _round_type(call: Call) -> str:
    t = _need(call, 0, NUMERIC, "a number")
    if len(call.args) == 2:
        const_value(call, 1, ("integer",), "whole number")
        return "float"
    return t if t != NULL else "float"


def _round_sql(a: list[Frag], call: Call) -> Frag:
    x = _as_float_sql(a[0], call.args[0].type)
    if len(a) == 1 and call.args[0].type == "integer":
        return a[0]
    return fmt("ROUND({0}, CAST({1} AS INTEGER))", x, a[1] if len(a) == 2 else Frag("0"))


def _round_pd(a: list[str], call: Call) -> str:
    if len(a) == 1 and call.args[0].type == "integer":
        return a[0]
    n = int(_c(1, call)) if len(a) == 2 else 0
    x = pd_cast(a[0], call.args[0].type, "float")
    # half away from zero, as DuckDB's ROUND does (pandas' round is half-to-even)
    return f"(np.sign({x}) * np.floor({x}.abs() * {10.0**n!r} + 0.5) / {10.0**n!r})"


def _trunc_type(call: Call) -> str:
    unit = _unit(call, 0, (*_DATE_UNITS, *_TIME_UNITS))
    t = _need(call, 1, TEMPORAL, "a date or datetime")
    if t == "date" and unit in _TIME_UNITS:
        raise fail(f"{call.name}() cannot truncate a date to {unit}s", call.args[0].pos)
    return t if t != NULL else "datetime"


def _trunc_sql(a: list[Frag], call: Call) -> Frag:
    unit = str(_c(0, call)).lower()
    cast = "DATE" if call.type == "date" else "TIMESTAMP"
    return fmt(f"CAST(DATE_TRUNC('{unit}', {{0}}) AS {cast})", a[1])


def _trunc_pd(a: list[str], call: Call) -> str:
    unit = str(_c(0, call)).lower()
    if unit in _FLOOR_FREQ and call.type == "datetime":
        return f'{a[1]}.dt.floor("{_FLOOR_FREQ[unit]}")'
    if unit == "day":
        return a[1]
    period = _TRUNC_PERIOD[unit]
    # Arrow-backed timestamps have no to_period; go through numpy datetimes
    start = f'{a[1]}.astype("datetime64[us]").dt.to_period("{period}").dt.start_time'
    return f"{start}.astype({PD_DTYPE[call.type]})"


def _diff_type(call: Call) -> str:
    _unit(call, 0, ("year", "quarter", "month", "day", *_TIME_UNITS))
    _need(call, 1, TEMPORAL, "a date or datetime")
    _need(call, 2, TEMPORAL, "a date or datetime")
    return "integer"


def _diff_sql(a: list[Frag], call: Call) -> Frag:
    unit = str(_c(0, call)).lower()
    common = _common(call, [1, 2])
    if common == NULL:
        common = "datetime"
    x, y = (sql_cast(a[i], call.args[i].type, common) for i in (1, 2))
    return fmt(f"DATE_DIFF('{unit}', {{0}}, {{1}})", x, y)


def _diff_pd(a: list[str], call: Call) -> str:
    unit = str(_c(0, call)).lower()
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


def _add_type(call: Call) -> str:
    unit = _unit(call, 0, (*_DATE_UNITS, *_TIME_UNITS))
    const_value(call, 1, ("integer",), "whole number")
    t = _need(call, 2, TEMPORAL, "a date or datetime")
    if t == NULL:
        t = "datetime"
    return "datetime" if unit in _TIME_UNITS else t


_ADD_SQL = {"year": ("to_years", 1), "quarter": ("to_months", 3), "month": ("to_months", 1)}
_ADD_SQL.update({"week": ("to_days", 7), "day": ("to_days", 1), "hour": ("to_hours", 1)})
_ADD_SQL.update({"minute": ("to_minutes", 1), "second": ("to_seconds", 1)})


def _add_sql(a: list[Frag], call: Call) -> Frag:
    unit = str(_c(0, call)).lower()
    fn, mult = _ADD_SQL[unit]
    n = param(int(_c(1, call)) * mult, "integer")
    return fmt(f"CAST(({{0}} + {fn}({{1}})) AS {'DATE' if call.type == 'date' else 'TIMESTAMP'})", a[2], n)


def _add_pd(a: list[str], call: Call) -> str:
    unit = str(_c(0, call)).lower()
    n = int(_c(1, call))
    if unit in ("year", "quarter", "month"):
        months = n * (12 if unit == "year" else 3 if unit == "quarter" else 1)
        # calendar months clamp to month end, like DuckDB; Arrow dtypes need numpy for DateOffset
        shifted = f'({a[2]}.astype("datetime64[us]") + pd.DateOffset(months={months}))'
        return f"{shifted}.astype({PD_DTYPE[call.type]})"
    days = {"week": "days", "day": "days", "hour": "hours", "minute": "minutes", "second": "seconds"}[unit]
    k = n * 7 if unit == "week" else n
    return f"({a[2]} + pd.Timedelta({days}={k})).astype({PD_DTYPE[call.type]})"


def _if_type(call: Call) -> str:
    args = call.args
    if call.name == "ifs" and (len(args) < 3 or len(args) % 2 == 0):
        raise fail("ifs() takes pairs of condition, value and then a final else value", call.pos)
    conds = [0] if call.name == "if" else list(range(0, len(args) - 1, 2))
    for i in conds:
        _need(call, i, ("boolean",), "a condition (true/false)")
    values = [1, 2] if call.name == "if" else [*range(1, len(args) - 1, 2), len(args) - 1]
    return _common(call, values)


def _if_sql(a: list[Frag], call: Call) -> Frag:
    n = len(a)
    pairs = [(0, 1)] if call.name == "if" else [(i, i + 1) for i in range(0, n - 1, 2)]
    parts = [fmt("WHEN {0} THEN {1}", a[c], sql_cast(a[v], call.args[v].type, call.type)) for c, v in pairs]
    last = sql_cast(a[n - 1], call.args[n - 1].type, call.type)
    return fmt(
        "CASE " + " ".join(f"{{{i}}}" for i in range(len(parts))) + f" ELSE {{{len(parts)}}} END",
        *parts,
        last,
    )


def _if_pd(a: list[str], call: Call) -> str:
    n = len(a)
    pairs = [(0, 1)] if call.name == "if" else [(i, i + 1) for i in range(0, n - 1, 2)]
    out = pd_cast(a[n - 1], call.args[n - 1].type, call.type)
    for c, v in reversed(pairs):
        out = f"{pd_cast(a[v], call.args[v].type, call.type)}.where({a[c]}.fillna(False), {out})"
    return out


def _coalesce_sql(a: list[Frag], call: Call) -> Frag:
    parts = [sql_cast(f, call.args[i].type, call.type) for i, f in enumerate(a)]
    name = {"min": "LEAST", "max": "GREATEST"}.get(call.name, "COALESCE")
    return fmt(f"{name}(" + ", ".join(f"{{{i}}}" for i in range(len(parts))) + ")", *parts)


def _coalesce_pd(a: list[str], call: Call) -> str:
    parts = [pd_cast(c, call.args[i].type, call.type) for i, c in enumerate(a)]
    if call.name in ("min", "max"):
        # both skip nulls, like SQL LEAST/GREATEST
        return f"pd.concat([{', '.join(parts)}], axis=1).{call.name}(axis=1).astype({PD_DTYPE[call.type]})"
    out = parts[0]
    for p in parts[1:]:
        out = f"{out}.fillna({p})"
    return out


def _minmax_type(call: Call) -> str:
    t = _common(call)
    if t == "boolean":
        raise fail(f"{call.name}() cannot compare true/false values", call.pos)
    return t


# ---- conversions --------------------------------------------------------------------------------

#: strict number syntax shared by SQL and pandas, so both accept exactly the same strings
NUMBER_RE = r"^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*$"


def to_str_sql(f: Frag, t: str) -> Frag:
    return f if t == "string" else fmt("CAST({0} AS VARCHAR)", f)


def to_str_pd(code: str, t: str) -> str:
    if t == "string":
        return code
    if t == "boolean":
        return f"{code}.astype({PD_DTYPE['string']}).str.lower()"
    if t == "float":
        # pandas' own string dtype writes floats like Python (and DuckDB): 7.0, not Arrow's 7
        return f'{code}.astype("string[pyarrow]").astype({PD_DTYPE["string"]})'
    if t == "datetime":
        # Arrow writes six fraction digits always; DuckDB drops trailing zeros (and a bare ".")
        return f'{code}.dt.strftime("%Y-%m-%d %H:%M:%S").str.replace(r"\\.?0+$", "", regex=True)'
    return f"{code}.astype({PD_DTYPE['string']})"


def _conv_type(target: str, allowed: tuple[str, ...]) -> Callable[[Call], str]:
    def typer(call: Call) -> str:
        _need(call, 0, allowed, " or ".join(allowed))
        if len(call.args) == 2:
            if call.args[0].type not in ("string", NULL):
                raise fail(f"{call.name}() takes a format only for text", call.args[1].pos)
            const_value(call, 1, ("string",), "format")
        return target

    return typer


def to_number_sql(f: Frag, t: str, target: str) -> Frag:
    """SQL converting a column of type ``t`` to integer/float; bad text becomes null."""
    if t == "string":
        # the argument appears once, so nested conversions do not double the SQL
        f = fmt(f"TRY_CAST(NULLIF(regexp_extract({{0}}, '{NUMBER_RE}', 1), '') AS DOUBLE)", f)
        t = "float"
    if target == "float":
        return sql_cast(f, t, "float") if t != "boolean" else fmt("CAST({0} AS DOUBLE)", f)
    if t == "float":
        return fmt("TRY_CAST(TRUNC({0}) AS BIGINT)", f)
    return f if t == "integer" else fmt("CAST({0} AS BIGINT)", f)


def to_number_pd(code: str, t: str, target: str) -> str:
    """pandas code for :func:`to_number_sql`."""
    if t == "string":
        ok = f'{code}.str.fullmatch(r"{NUMBER_RE[1:-1]}").fillna(False)'
        code = f'pd.to_numeric({code}.where({ok}), errors="coerce").astype({PD_DTYPE["float"]})'
        t = "float"
    if target == "float":
        return pd_cast(code, t, "float")
    if t == "float":
        # truncate toward zero; NaN, infinities and out-of-range values become null
        return f"np.trunc({code}).where({code}.abs() < 2.0**63).astype({PD_DTYPE['integer']})"
    return pd_cast(code, t, "integer")


def to_temporal_sql(f: Frag, t: str, target: str, fmt_text: str | None) -> Frag:
    """SQL converting to date/datetime; text that does not parse becomes null."""
    cast = "DATE" if target == "date" else "TIMESTAMP"
    if t == "string":
        if fmt_text is None and target == "datetime":
            return fmt("TRY_CAST({0} AS TIMESTAMP)", f)
        return fmt(f"CAST(TRY_STRPTIME({{0}}, {{1}}) AS {cast})", f, param(fmt_text or "%Y-%m-%d", "string"))
    return sql_cast(f, t, target) if target == "datetime" else fmt("CAST({0} AS DATE)", f)


def to_temporal_pd(code: str, t: str, target: str, fmt_text: str | None) -> str:
    """pandas code for :func:`to_temporal_sql`."""
    if t == "string":
        spec = repr(fmt_text or "%Y-%m-%d") if (fmt_text or target == "date") else '"ISO8601"'
        return f'pd.to_datetime({code}, format={spec}, errors="coerce").astype({PD_DTYPE[target]})'
    return pd_cast(code, t, target)


def _conv_sql(target: str) -> Callable[[list[Frag], Call], Frag]:
    def sql(a: list[Frag], call: Call) -> Frag:
        t = call.args[0].type if call.args[0].type != NULL else "string"
        if target in TEMPORAL:
            return to_temporal_sql(a[0], t, target, _c(1, call) if len(a) == 2 else None)
        return to_number_sql(a[0], t, target)

    return sql


def _conv_pd(target: str) -> Callable[[list[str], Call], str]:
    def pd_(a: list[str], call: Call) -> str:
        t = call.args[0].type if call.args[0].type != NULL else "string"
        if target in TEMPORAL:
            return to_temporal_pd(a[0], t, target, _c(1, call) if len(a) == 2 else None)
        return to_number_pd(a[0], t, target)

    return pd_


def _f(
    name: str, sig: str, doc: str, lo: int, hi: int, typer: Any, sql: Any, pandas: Any, consts: Any = ()
) -> Func:
    return Func(name, sig, doc, lo, hi, typer, sql, pandas, tuple(consts))


def _sq(template: str) -> Callable[[list[Frag], Call], Frag]:
    return lambda a, call: fmt(template, *a)


def _guarded(fn: str, cond: str, np_fn: str) -> tuple[Any, Any]:
    """Math functions whose domain errors become null rather than failing or NaN.

    The SQL names its argument once (no CASE repeating it) so nested calls stay
    linear in size: DuckDB gives NaN below the domain, which NULLIF maps to null.
    """
    inner = "NULLIF({0}, 0)" if cond == "> 0" else "{0}"
    sql = lambda a, call: fmt(  # noqa: E731
        f"NULLIF({fn}({inner.format('CAST({0} AS DOUBLE)')}), CAST('NaN' AS DOUBLE))", a[0]
    )
    pdc = lambda a, call: f"np.{np_fn}({pd_cast(a[0], call.args[0].type, 'float')}.where({a[0]} {cond}))"  # noqa: E731
    return sql, pdc
