"""The second check of a user's SQL, on DuckDB's own parse of it, in the query's worker process.

sqlglot and DuckDB might read one text two ways; so the text DuckDB will run is parsed by DuckDB
(``json_serialize_sql``, on a connection that holds nothing and can reach nothing) and its tree is
held to the allowlists of :mod:`.allow`: one SELECT, node types, expression classes and function
names, and table references that are plain names (their list is returned, so that the caller can
be sure each is a dataset it bound or a CTE).
"""

from __future__ import annotations

from typing import Any

import duckdb
import orjson

from .allow import DUCKDB_CLASSES, DUCKDB_NODES, FUNCTIONS

#: DuckDB's "no location" (an unsigned -1).
_NOWHERE = (1 << 64) - 1


class AstRefused(Exception):
    """DuckDB's parse of the query holds something the allowlists do not: a message and a byte offset."""

    def __init__(self, message: str, location: int | None = None, text: str | None = None):
        super().__init__(message)
        self.message, self.location, self.text = message, location, text


def _location(node: dict[str, Any]) -> int | None:
    loc = node.get("query_location")
    return loc if isinstance(loc, int) and loc != _NOWHERE else None


def parse_tree(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, Any]:
    """DuckDB's parse tree of ``sql`` (AstRefused when DuckDB cannot give one)."""
    rows = con.execute("SELECT json_serialize_sql(?)", [sql]).fetchall()
    tree = orjson.loads(rows[0][0]) if rows else {}
    if not isinstance(tree, dict) or tree.get("error"):
        message = (
            str(tree.get("error_message") or "the query cannot be read") if isinstance(tree, dict) else ""
        )
        if "Only SELECT" in message:
            message = "Only a query that reads (a SELECT) may run"
        raise AstRefused(message)
    statements = tree.get("statements") or []
    if len(statements) != 1:
        raise AstRefused(f"Send exactly one statement, not {len(statements)}")
    return dict(statements[0])


def check_tree(tree: dict[str, Any]) -> list[str]:
    """Hold DuckDB's tree of one statement to the allowlists; the base table names it reads, in order.

    Every dict with a ``class`` is an expression (its class and, for calls, its function must be
    allowed); every other dict with a ``type`` is a node (its type must be allowed).
    """
    tables: list[str] = []
    stack: list[Any] = [tree]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
            continue
        if not isinstance(item, dict):
            continue
        cls, kind = item.get("class"), item.get("type")
        if isinstance(cls, str):
            if cls not in DUCKDB_CLASSES:
                raise AstRefused(
                    f"{cls.lower().replace('_', ' ')} expressions are not allowed", _location(item)
                )
            name = item.get("function_name")
            if name is not None:
                if not isinstance(name, str) or name.lower() not in FUNCTIONS:
                    raise AstRefused(
                        f"The function {name!r} may not be used here", _location(item), str(name)
                    )
                if item.get("schema") or item.get("catalog"):
                    raise AstRefused(f"The function {name!r} may not be named with a schema", _location(item))
        elif isinstance(kind, str):
            if kind not in DUCKDB_NODES:
                what = "table functions" if kind == "TABLE_FUNCTION" else f"{kind.lower().replace('_', ' ')}s"
                raise AstRefused(f"{what[0].upper()}{what[1:]} are not allowed in a query", _location(item))
            if kind == "BASE_TABLE":
                name = item.get("table_name")
                if item.get("schema_name") or item.get("catalog_name") or item.get("at_clause"):
                    raise AstRefused("A table reference may be only a dataset's name", _location(item))
                if not isinstance(name, str):
                    raise AstRefused("A table reference may be only a dataset's name", _location(item))
                tables.append(name)
        stack.extend(reversed(list(item.values())))
    return tables


def byte_to_char(sql: str, location: int) -> int:
    """The character offset of DuckDB's byte offset ``location`` into ``sql`` (UTF-8)."""
    return len(sql.encode("utf-8")[:location].decode("utf-8", errors="ignore"))
