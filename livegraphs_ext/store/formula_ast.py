"""Syntax tree, value types and SQL fragments shared by the formula modules.

Nothing here touches user text as SQL: a :class:`Frag` carries SQL text made
only of our own keywords, quoted identifiers and ``?`` placeholders, with the
literal values kept aside in ``params`` (in placeholder order).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .errors import BadInput
from .schema import DUCKDB_TYPES

#: The pseudo-type of a bare ``null`` literal; it takes the type of its context.
NULL = "null"
NUMERIC = ("integer", "float")
TEMPORAL = ("date", "datetime")


def fail(message: str, pos: int | None = None) -> BadInput:
    """A :class:`BadInput` whose message ends with the character offset."""
    return BadInput(f"{message} at {pos}" if pos is not None else message, reason="Bad formula")


def quote_ident(name: str) -> str:
    """A DuckDB identifier for ``name``: double-quoted, with ``"`` doubled."""
    if "\x00" in name:
        raise BadInput("column names cannot contain NUL characters")
    return '"' + name.replace('"', '""') + '"'


@dataclass
class Frag:
    """A piece of SQL text and the values of its ``?`` placeholders, in order."""

    sql: str
    params: list[Any] = field(default_factory=list)


_SLOT = re.compile(r"\{(\d+)\}")


def fmt(template: str, *parts: Frag) -> Frag:
    """Fill ``{0}``, ``{1}``… in ``template`` with fragments.

    A fragment used twice contributes its parameters twice, in the order its
    text appears, so ``?`` placeholders always line up with ``params``.
    The template itself is ours, never user text, and holds no ``?``.
    """
    out: list[str] = []
    params: list[Any] = []
    last = 0
    for m in _SLOT.finditer(template):
        out.append(template[last : m.start()])
        part = parts[int(m.group(1))]
        out.append(part.sql)
        params.extend(part.params)
        last = m.end()
    out.append(template[last:])
    return Frag("".join(out), params)


def param(value: Any, type_: str) -> Frag:
    """A typed placeholder: DuckDB cannot always infer a bare ``?``'s type."""
    if value is None:
        return Frag(f"CAST(NULL AS {DUCKDB_TYPES.get(type_, 'VARCHAR')})")
    return Frag(f"CAST(? AS {DUCKDB_TYPES[type_]})", [value])


@dataclass(eq=False)
class Node:
    """Base of the syntax tree. ``type`` is filled in by the type checker."""

    pos: int
    type: str = field(default=NULL, init=False)
    depth: int = field(default=1, init=False)


@dataclass(eq=False)
class Lit(Node):
    value: Any = None
    lit_type: str = NULL

    def __post_init__(self) -> None:
        self.type = self.lit_type


@dataclass(eq=False)
class Col(Node):
    name: str = ""


@dataclass(eq=False)
class Unary(Node):
    op: str = "-"  # "-" or "not"
    operand: Node = field(default_factory=lambda: Lit(0))

    def __post_init__(self) -> None:
        self.depth = self.operand.depth + 1


@dataclass(eq=False)
class Chain(Node):
    """A left-associative run of same-precedence operators: ``a + b - c``.

    Kept flat (rather than nested binary nodes) so that a long sum of columns
    does not make the tree, and every recursive pass over it, deep.
    ``step_types[i]`` is the type after applying ``ops[i]``.
    """

    first: Node = field(default_factory=lambda: Lit(0))
    ops: list[str] = field(default_factory=list)
    rest: list[Node] = field(default_factory=list)
    op_pos: list[int] = field(default_factory=list)
    step_types: list[str] = field(default_factory=list)

    def update_depth(self) -> None:
        self.depth = 1 + max(n.depth for n in [self.first, *self.rest])


@dataclass(eq=False)
class Compare(Node):
    op: str = "="
    left: Node = field(default_factory=lambda: Lit(0))
    right: Node = field(default_factory=lambda: Lit(0))
    #: the type both sides are compared as (after promotion)
    operand_type: str = NULL

    def __post_init__(self) -> None:
        self.depth = 1 + max(self.left.depth, self.right.depth)


@dataclass(eq=False)
class Call(Node):
    name: str = ""
    args: list[Node] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.depth = 1 + max((a.depth for a in self.args), default=0)


def unify(a: str, b: str) -> str | None:
    """The common type of two values (``None`` if there is none)."""
    if a == NULL:
        return b
    if b == NULL or a == b:
        return a
    if {a, b} == {"integer", "float"}:
        return "float"
    if {a, b} == {"date", "datetime"}:
        return "datetime"
    return None


def sql_cast(frag: Frag, from_type: str, to_type: str) -> Frag:
    """Widen a fragment to ``to_type`` (integer→float, date→datetime, null→any)."""
    if from_type == to_type:
        return frag
    if from_type == NULL:
        return fmt(f"CAST({{0}} AS {DUCKDB_TYPES.get(to_type, 'VARCHAR')})", frag)
    return fmt(f"CAST({{0}} AS {DUCKDB_TYPES[to_type]})", frag)
