"""Quoting for the SQL the store writes for DuckDB: identifiers and string literals.

Values a query compares against travel as ``?`` parameters; names and the few literals DuckDB
takes only as text (file paths, formats, ``COPY`` targets) are quoted here, and only here.
"""

from __future__ import annotations

from .errors import BadInput


def quote_ident(name: str, *, allow_nul: bool = False) -> str:
    """A DuckDB identifier for ``name``: double-quoted, with ``"`` doubled.

    A NUL character is refused (:class:`BadInput`) unless ``allow_nul``: ingest keeps the names a
    file has, the query side never builds a name with one.
    """
    if not allow_nul and "\x00" in name:
        raise BadInput("column names cannot contain NUL characters")
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """A DuckDB string literal for ``value``: single-quoted, with ``'`` doubled (nothing else is special)."""
    return "'" + value.replace("'", "''") + "'"
