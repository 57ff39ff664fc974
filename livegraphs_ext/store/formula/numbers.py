"""Number functions whose SQL or pandas form takes more than one line: round and the guarded math."""

from __future__ import annotations

from typing import Any

from .dtypes import pd_cast
from .frag import Frag, fmt, sql_cast
from .func import const_arg, const_value, need
from .rounding import MAX_DIGITS, scale
from .tree import NULL, NUMERIC, Call, fail


def as_float_sql(f: Frag, t: str) -> Frag:
    return sql_cast(f, t, "float") if t != NULL else fmt("CAST({0} AS DOUBLE)", f)


def round_type(call: Call) -> str:
    t = need(call, 0, NUMERIC, "a number")
    if len(call.args) == 2:
        digits = const_value(call, 1, ("integer",), "whole number")
        if abs(digits) > MAX_DIGITS:
            raise fail(f"round() digits must be between {-MAX_DIGITS} and {MAX_DIGITS}", call.args[1].pos)
        return "float"
    return t if t != NULL else "float"


def round_sql(a: list[Frag], call: Call) -> Frag:
    if len(a) == 1 and call.args[0].type == "integer":
        return a[0]
    x = as_float_sql(a[0], call.args[0].type)
    n = int(const_arg(1, call)) if len(a) == 2 else 0
    if n == 0:
        return fmt("ROUND({0})", x)
    # scale, round half away from zero, scale back: the pandas code does the same three double
    # operations (rounding.py), so both give the same double; ROUND(x, n) rounds differently
    m = Frag(f"CAST({scale(n)!r} AS DOUBLE)")
    return fmt("(ROUND({0} * {1}) / {1})" if n > 0 else "(ROUND({0} / {1}) * {1})", x, m)


def round_pd(a: list[str], call: Call) -> str:
    if len(a) == 1 and call.args[0].type == "integer":
        return a[0]
    n = int(const_arg(1, call)) if len(a) == 2 else 0
    x = pd_cast(a[0], call.args[0].type, "float")
    # the server's rounding (round_sql); pandas' own round goes half to even
    return f"lg.round_half_away({x}, {n})"


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
