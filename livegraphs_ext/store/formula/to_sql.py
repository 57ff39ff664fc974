"""A checked formula tree as a DuckDB SQL expression."""

from __future__ import annotations

from ..sql import quote_ident
from .frag import Frag, fmt, param, sql_cast
from .functions import FUNCTIONS
from .tree import NULL, Call, Chain, Col, Compare, Lit, Node, Unary


def tree_sql(node: Node) -> Frag:
    """The SQL of a checked tree (its own type; the caller casts it to the formula's)."""
    if isinstance(node, Lit):
        return param(node.value, node.type if node.type != NULL else "string")
    if isinstance(node, Col):
        return Frag(quote_ident(node.name))
    if isinstance(node, Unary):
        inner = sql_cast(tree_sql(node.operand), node.operand.type, node.type)
        return fmt("(NOT {0})" if node.op == "not" else "(- {0})", inner)
    if isinstance(node, Chain):
        acc, t = tree_sql(node.first), node.first.type
        for op, right, st in zip(node.ops, node.rest, node.step_types, strict=True):
            rf, rt = tree_sql(right), right.type
            if op in ("and", "or"):
                acc = fmt(f"({{0}} {op.upper()} {{1}})", sql_cast(acc, t, st), sql_cast(rf, rt, st))
            elif st == "string":
                acc = fmt("({0} || {1})", sql_cast(acc, t, st), sql_cast(rf, rt, st))
            elif op == "/":
                # a zero divisor gives null, as in spreadsheets' "blank" rather than an error
                acc = fmt("({0} / NULLIF({1}, 0))", sql_cast(acc, t, "float"), sql_cast(rf, rt, "float"))
            elif op == "%":
                acc = fmt("({0} % NULLIF({1}, 0))", sql_cast(acc, t, st), sql_cast(rf, rt, st))
            else:
                acc = fmt(f"({{0}} {op} {{1}})", sql_cast(acc, t, st), sql_cast(rf, rt, st))
            t = st
        return acc
    if isinstance(node, Compare):
        ot = node.operand_type
        lsql = sql_cast(tree_sql(node.left), node.left.type, ot)
        rsql = sql_cast(tree_sql(node.right), node.right.type, ot)
        return fmt(f"({{0}} {node.op} {{1}})", lsql, rsql)
    if isinstance(node, Call):
        return FUNCTIONS[node.name].sql([tree_sql(a) for a in node.args], node)
    raise AssertionError(type(node))  # pragma: no cover


#: DuckDB refuses expressions nested deeper than 1000; stay well below, counting casts
MAX_SQL_DEPTH = 900


def sql_depth(node: Node) -> int:
    """An upper bound of the SQL expression depth (a chain nests once per operator)."""
    if isinstance(node, Chain):
        return 2 * len(node.ops) + max(sql_depth(n) for n in [node.first, *node.rest])
    if isinstance(node, Unary):
        return 3 + sql_depth(node.operand)
    if isinstance(node, Compare):
        return 3 + max(sql_depth(node.left), sql_depth(node.right))
    if isinstance(node, Call):
        return 4 + max((sql_depth(a) for a in node.args), default=0)
    return 2
