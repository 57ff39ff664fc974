"""Conversions between column types, shared by the formula functions and the cast step.

Text that does not read as the target type becomes null, the same way in SQL and in pandas.
"""

from __future__ import annotations

from collections.abc import Callable

from .dtypes import PD_DTYPE, pd_cast
from .frag import Frag, fmt, param, sql_cast
from .func import const_arg, const_value, need
from .tree import NULL, TEMPORAL, Call, fail

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


def conv_type(target: str, allowed: tuple[str, ...]) -> Callable[[Call], str]:
    def typer(call: Call) -> str:
        need(call, 0, allowed, " or ".join(allowed))
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


def conv_sql(target: str) -> Callable[[list[Frag], Call], Frag]:
    def sql(a: list[Frag], call: Call) -> Frag:
        t = call.args[0].type if call.args[0].type != NULL else "string"
        if target in TEMPORAL:
            return to_temporal_sql(a[0], t, target, const_arg(1, call) if len(a) == 2 else None)
        return to_number_sql(a[0], t, target)

    return sql


def conv_pd(target: str) -> Callable[[list[str], Call], str]:
    def pd_(a: list[str], call: Call) -> str:
        t = call.args[0].type if call.args[0].type != NULL else "string"
        if target in TEMPORAL:
            return to_temporal_pd(a[0], t, target, const_arg(1, call) if len(a) == 2 else None)
        return to_number_pd(a[0], t, target)

    return pd_
