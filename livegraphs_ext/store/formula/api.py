"""The formula language's entry points: parse and check a formula, compile it, list what it may use."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import BadInput
from ..schema import ColumnInfo
from .check import Checker
from .frag import sql_cast
from .functions import ALIASES, FUNCTIONS
from .parse import KEYWORDS, parse_tree
from .to_sql import MAX_SQL_DEPTH, sql_depth, tree_sql
from .tree import NULL, Col, Node, fail


@dataclass
class ParsedFormula:
    """A parsed and type-checked formula."""

    text: str
    ast: Node
    #: the column type of the result (a bare ``null`` counts as string)
    type: str
    #: the columns the formula reads, in order of first use
    columns: list[str]

    def to_sql(self) -> tuple[str, list[Any]]:
        """The formula as a DuckDB SQL expression and its ``?`` parameters."""
        frag = sql_cast(tree_sql(self.ast), self.ast.type, self.type)
        return frag.sql, frag.params


def parse_formula(text: str, columns: Sequence[ColumnInfo]) -> ParsedFormula:
    """Parse and type-check ``text`` against ``columns``.

    Raises :class:`BadInput` with a message that names the character offset
    for syntax errors, unknown columns or functions, and type errors.
    """
    if not isinstance(text, str):
        raise BadInput("formula must be text")
    cols = {c.name: c for c in columns}
    ast = parse_tree(text)
    if sql_depth(ast) > MAX_SQL_DEPTH:
        raise fail("The formula has too many operators in a row for the database; split it into steps", 0)
    checker = Checker(cols)
    t = checker.check(ast)
    return ParsedFormula(text, ast, t if t != NULL else "string", checker.used)


def formula_columns(text: str) -> list[str]:
    """The column names ``text`` reads, in order of first use, with no schema to check them against
    (a formula written for columns that may since have gone). BadInput on a syntax error."""
    out: list[str] = []
    todo: list[Node] = [parse_tree(text)]
    while todo:
        node = todo.pop()
        if isinstance(node, Col) and node.name not in out:
            out.append(node.name)
        kids: list[Node] = []
        for f in dataclasses.fields(node):
            value = getattr(node, f.name)
            if isinstance(value, Node):
                kids.append(value)
            elif isinstance(value, list):
                kids.extend(v for v in value if isinstance(v, Node))
        todo.extend(reversed(kids))
    return out


def compile_formula(text: str, columns: Sequence[ColumnInfo]) -> tuple[str, list[Any], str]:
    """Shortcut: ``(sql, params, result_type)`` for a formula."""
    parsed = parse_formula(text, columns)
    sql, params = parsed.to_sql()
    return sql, params, parsed.type


def formula_completions(columns: Sequence[ColumnInfo]) -> list[dict[str, str]]:
    """Everything an editor may offer: functions (with signatures), keywords and columns."""
    out: list[dict[str, str]] = []
    for f in FUNCTIONS.values():
        out.append({"kind": "function", "name": f.name, "signature": f.signature, "doc": f.doc})
    for alias, target in sorted(ALIASES.items()):
        f = FUNCTIONS[target]
        out.append(
            {"kind": "function", "name": alias, "signature": f.signature, "doc": f"same as {target}()"}
        )
    for word in ("and", "or", "not", "true", "false", "null"):
        out.append({"kind": "keyword", "name": word, "signature": word, "doc": ""})
    for c in columns:
        bare = re.fullmatch(r"[^\W\d]\w*", c.name) is not None and c.name.lower() not in KEYWORDS
        ref = c.name if bare else "[" + c.name.replace("]", "]]") + "]"
        out.append({"kind": "column", "name": c.name, "signature": ref, "doc": c.type})
    return out
