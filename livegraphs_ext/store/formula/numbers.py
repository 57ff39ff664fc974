"""Number functions whose SQL or pandas form takes more than one line: round and the guarded math."""

from __future__ import annotations

from typing import Any

from .dtypes import pd_cast
from .frag import Frag, fmt, sql_cast
from .func import const_arg, const_value, need
from .tree import NULL, NUMERIC, Call


def as_float_sql(f: Frag, t: str) -> Frag:
    return sql_cast(f, t, "float") if t != NULL else fmt("CAST({0} AS DOUBLE)", f)


def round_type(call: Call) -> str:
    t = need(call, 0, NUMERIC, "a number")
    if len(call.args) == 2:
        const_value(call, 1, ("integer",), "whole number")
        return "float"
    return t if t != NULL else "float"


def round_sql(a: list[Frag], call: Call) -> Frag:
    x = as_float_sql(a[0], call.args[0].type)
    if len(a) == 1 and call.args[0].type == "integer":
        return a[0]
    return fmt("ROUND({0}, CAST({1} AS INTEGER))", x, a[1] if len(a) == 2 else Frag("0"))


def round_pd(a: list[str], call: Call) -> str:
    if len(a) == 1 and call.args[0].type == "integer":
        return a[0]
    n = int(const_arg(1, call)) if len(a) == 2 else 0
    x = pd_cast(a[0], call.args[0].type, "float")
    # half away from zero, as DuckDB's ROUND does (pandas' round is half-to-even)
    return f"(np.sign({x}) * np.floor({x}.abs() * {10.0**n!r} + 0.5) / {10.0**n!r})"


def guarded(fn: str, cond: str, np_fn: str) -> tuple[Any, Any]:
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
