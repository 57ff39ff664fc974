"""SQL fragments: the pieces the formula compiler puts together.

Nothing here touches user text as SQL: a :class:`Frag` carries SQL text made
only of our own keywords, quoted identifiers and ``?`` placeholders, with the
literal values kept aside in ``params`` (in placeholder order).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..schema import DUCKDB_TYPES
from .tree import NULL


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


def sql_cast(frag: Frag, from_type: str, to_type: str) -> Frag:
    """Widen a fragment to ``to_type`` (integer→float, date→datetime, null→any)."""
    if from_type == to_type:
        return frag
    if from_type == NULL:
        return fmt(f"CAST({{0}} AS {DUCKDB_TYPES.get(to_type, 'VARCHAR')})", frag)
    return fmt(f"CAST({{0}} AS {DUCKDB_TYPES[to_type]})", frag)
