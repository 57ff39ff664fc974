"""The formula type checker: gives every node of a parsed tree its type, or says why it has none."""

from __future__ import annotations

import difflib

from ..schema import ColumnInfo
from .func import const_value
from .functions import FUNCTIONS
from .tree import (
    NULL,
    NUMERIC,
    TEMPORAL,
    Call,
    Chain,
    Col,
    Compare,
    Lit,
    Node,
    Unary,
    fail,
    parse_temporal,
    unify,
)


def _settle(node: Node, t: str) -> None:
    """Give a bare ``null`` literal the type its context needs."""
    if isinstance(node, Lit) and node.type == NULL and t != NULL:
        node.type = t


def _arith(op: str, a: str, b: str, pos: int) -> str:
    if op in ("and", "or"):
        for t in (a, b):
            if t not in ("boolean", NULL):
                raise fail(f"'{op}' needs true/false values on both sides, not {t}", pos)
        return "boolean"
    if op == "+" and "string" in (a, b):
        if a in ("string", NULL) and b in ("string", NULL):
            return "string"
        raise fail(
            f"Cannot add text and {b if a == 'string' else a}; use str(x) to turn a value into text", pos
        )
    for t in (a, b):
        if t not in (*NUMERIC, NULL):
            raise fail(f"'{op}' needs numbers, not {t}", pos)
    if op == "/":
        return "float"
    return unify(a, b) if (a, b) != (NULL, NULL) else "integer"  # type: ignore[return-value]


class Checker:
    """Types a tree against the columns; ``used`` lists the columns it reads, in order of first use."""

    def __init__(self, columns: dict[str, ColumnInfo]):
        self.columns = columns
        self.used: list[str] = []

    def check(self, node: Node) -> str:
        node.type = self._check(node)
        return node.type

    def _check(self, node: Node) -> str:
        if isinstance(node, Lit):
            return node.type
        if isinstance(node, Col):
            return self._column(node)
        if isinstance(node, Unary):
            t = self.check(node.operand)
            want = ("boolean",) if node.op == "not" else NUMERIC
            if t not in (*want, NULL):
                what = "a true/false value" if node.op == "not" else "a number"
                raise fail(f"'{node.op}' needs {what}, not {t}", node.pos)
            result = "boolean" if node.op == "not" else (t if t != NULL else "integer")
            _settle(node.operand, result)
            return result
        if isinstance(node, Chain):
            t = self.check(node.first)
            node.step_types = []
            for op, right, pos in zip(node.ops, node.rest, node.op_pos, strict=True):
                t = _arith(op, t, self.check(right), pos)
                node.step_types.append(t)
            for operand in [node.first, *node.rest]:
                _settle(operand, "float" if node.step_types[-1] == "float" else node.step_types[-1])
            return t
        if isinstance(node, Compare):
            return self._compare(node)
        if isinstance(node, Call):
            for arg in node.args:
                self.check(arg)
            func = FUNCTIONS[node.name]
            result = func.typer(node)
            for i in func.consts:
                if i < len(node.args):
                    const_value(node, i, (node.args[i].type,), "value")
            if node.name in ("if", "ifs", "coalesce", "ifnull", "min", "max"):
                for arg in node.args:
                    if arg.type == NULL:
                        _settle(arg, result)
            return result
        raise AssertionError(type(node))  # pragma: no cover

    def _column(self, node: Col) -> str:
        info = self.columns.get(node.name)
        if info is None:
            names = list(self.columns)
            folded = {n.lower(): n for n in names}
            near = [folded[node.name.lower()]] if node.name.lower() in folded else []
            near = near or difflib.get_close_matches(node.name, names, n=1)
            hint = f"; did you mean '{near[0]}'?" if near else ""
            known = ", ".join(names[:50])
            raise fail(f"Unknown column '{node.name}'{hint} (columns: {known})", node.pos)
        if node.name not in self.used:
            self.used.append(node.name)
        return info.type

    def _compare(self, node: Compare) -> str:
        a, b = self.check(node.left), self.check(node.right)
        # a text literal next to a date column is read as a date, as spreadsheet users expect
        for side, other in (("left", b), ("right", a)):
            lit = getattr(node, side)
            if other in TEMPORAL and isinstance(lit, Lit) and lit.type == "string":
                setattr(node, side, parse_temporal(lit.value.strip(), lit.pos))
        a, b = node.left.type, node.right.type
        common = unify(a, b)
        if common is None or (common == "boolean" and node.op not in ("=", "<>")):
            raise fail(f"Cannot compare {a} with {b} using '{node.op}'", node.pos)
        node.operand_type = common if common != NULL else "string"
        _settle(node.left, node.operand_type)
        _settle(node.right, node.operand_type)
        return "boolean"
