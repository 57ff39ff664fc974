"""The formula syntax tree and its value types.

The parser builds these nodes; the type checker fills in each node's ``type``.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

from ..errors import BadInput

#: The pseudo-type of a bare ``null`` literal; it takes the type of its context.
NULL = "null"
NUMERIC = ("integer", "float")
TEMPORAL = ("date", "datetime")


def fail(message: str, pos: int | None = None) -> BadInput:
    """A :class:`BadInput` whose message ends with the character offset."""
    return BadInput(f"{message} at {pos}" if pos is not None else message, reason="Bad formula")


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


def parse_temporal(text: str, pos: int) -> Lit:
    """A date (``2024-01-31``) or datetime (``2024-01-31 10:00``) literal."""
    try:
        if len(text) == 10:
            return Lit(pos, _dt.date.fromisoformat(text), "date")
        return Lit(pos, _dt.datetime.fromisoformat(text).replace(tzinfo=None), "datetime")
    except ValueError:
        raise fail(f"{text!r} is not a date like 2024-01-31 or 2024-01-31 10:00:00", pos) from None
