"""Functions that choose among values: if, ifs, coalesce, ifnull, min and max."""

from __future__ import annotations

from .dtypes import PD_DTYPE, pd_cast
from .frag import Frag, fmt, sql_cast
from .func import common_type, need
from .tree import Call, fail


def if_type(call: Call) -> str:
    args = call.args
    if call.name == "ifs" and (len(args) < 3 or len(args) % 2 == 0):
        raise fail("ifs() takes pairs of condition, value and then a final else value", call.pos)
    conds = [0] if call.name == "if" else list(range(0, len(args) - 1, 2))
    for i in conds:
        need(call, i, ("boolean",), "a condition (true/false)")
    values = [1, 2] if call.name == "if" else [*range(1, len(args) - 1, 2), len(args) - 1]
    return common_type(call, values)


def if_sql(a: list[Frag], call: Call) -> Frag:
    n = len(a)
    pairs = [(0, 1)] if call.name == "if" else [(i, i + 1) for i in range(0, n - 1, 2)]
    parts = [fmt("WHEN {0} THEN {1}", a[c], sql_cast(a[v], call.args[v].type, call.type)) for c, v in pairs]
    last = sql_cast(a[n - 1], call.args[n - 1].type, call.type)
    return fmt(
        "CASE " + " ".join(f"{{{i}}}" for i in range(len(parts))) + f" ELSE {{{len(parts)}}} END",
        *parts,
        last,
    )


def if_pd(a: list[str], call: Call) -> str:
    n = len(a)
    pairs = [(0, 1)] if call.name == "if" else [(i, i + 1) for i in range(0, n - 1, 2)]
    out = pd_cast(a[n - 1], call.args[n - 1].type, call.type)
    for c, v in reversed(pairs):
        out = f"{pd_cast(a[v], call.args[v].type, call.type)}.where({a[c]}.fillna(False), {out})"
    return out


def coalesce_sql(a: list[Frag], call: Call) -> Frag:
    parts = [sql_cast(f, call.args[i].type, call.type) for i, f in enumerate(a)]
    name = {"min": "LEAST", "max": "GREATEST"}.get(call.name, "COALESCE")
    return fmt(f"{name}(" + ", ".join(f"{{{i}}}" for i in range(len(parts))) + ")", *parts)


def coalesce_pd(a: list[str], call: Call) -> str:
    parts = [pd_cast(c, call.args[i].type, call.type) for i, c in enumerate(a)]
    if call.name in ("min", "max"):
        # both skip nulls, like SQL LEAST/GREATEST
        return f"pd.concat([{', '.join(parts)}], axis=1).{call.name}(axis=1).astype({PD_DTYPE[call.type]})"
    out = parts[0]
    for p in parts[1:]:
        out = f"{out}.fillna({p})"
    return out


def minmax_type(call: Call) -> str:
    t = common_type(call)
    if t == "boolean":
        raise fail(f"{call.name}() cannot compare true/false values", call.pos)
    return t
