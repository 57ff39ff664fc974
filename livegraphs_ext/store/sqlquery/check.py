"""The first check of a user's SQL, with sqlglot, in the host's process: before any dataset is named.

:func:`check_sql` parses the text as DuckDB SQL and refuses, with the line and column at fault,
anything but one read-only query whose every expression type and function is on the allowlists of
:mod:`.allow`. It also lists the tables the query names: each is a CTE of the query or a dataset
the host must resolve for the caller (never a file path: a table function, a string or a
schema-qualified name is refused here).
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import TokenType

from ..errors import BadInput
from .allow import FUNCTIONS, sqlglot_lists
from .checked import Checked, SqlRefused, line_col

#: Longest query text, in characters.
MAX_SQL = 100_000
#: The expression types and the functions a query may hold (see :mod:`.allow`).
SQLGLOT_NODES, SQLGLOT_FUNCTIONS = sqlglot_lists()
#: The statements a query may be: reads only.
QUERIES = (exp.Select, exp.SetOperation, exp.Subquery)
#: What a table reference may carry besides its name.
TABLE_ARGS = {"this", "alias", "sample"}


def statement_body(sql: str) -> str:
    """``sql`` up to the end of its last token that is not a semicolon (trailing comments dropped)."""
    tokens = Dialect.get_or_raise("duckdb").tokenize(sql)
    ends = [t.end for t in tokens if t.token_type != TokenType.SEMICOLON]
    return sql[: ends[-1] + 1] if ends else sql


def _start(node: exp.Expr) -> int | None:
    """The character offset where ``node`` (or the first of its parts that knows it) starts."""
    for n in node.walk():
        meta = n._meta
        if meta and "start" in meta:
            return int(meta["start"])
    return None


def _written(sql: str, node: exp.Func) -> str:
    """A function's name as the query writes it (else as sqlglot names it)."""
    meta = node._meta or {}
    if "start" in meta and "end" in meta:
        return sql[int(meta["start"]) : int(meta["end"]) + 1]
    return node.sql_name().lower()


def _describe(node: exp.Expr) -> str:
    text = node.sql(dialect="duckdb")
    return text if len(text) <= 80 else text[:77] + "..."


def _parse(sql: str) -> exp.Expr:
    try:
        parsed = sqlglot.parse(sql, dialect="duckdb")
        # an empty statement, or one of only comments, after a semicolon is nothing to run
        statements = [s for s in parsed if s is not None and not isinstance(s, exp.Semicolon)]
    except ParseError as e:
        first = e.errors[0] if e.errors else {}
        line, col = first.get("line"), first.get("col")
        offset = None
        if isinstance(line, int) and isinstance(col, int):
            lines = sql.split("\n")
            # sqlglot's column is where the token at fault ends; point at its start
            token = str(first.get("highlight") or "")
            offset = sum(len(x) + 1 for x in lines[: line - 1]) + max(0, col - len(token))
        description = str(first.get("description") or "the query is not valid SQL")
        raise SqlRefused(description, sql, offset, str(first.get("highlight") or ""), "valid SQL") from None
    except TokenError as e:
        raise SqlRefused(f"The query is not valid SQL: {e}", sql) from None
    except RecursionError:
        raise SqlRefused("The query is nested too deeply", sql, reason="Query Too Complex") from None
    if not statements:
        raise SqlRefused("The query is empty", sql, expected="one SELECT")
    if len(statements) != 1:
        raise SqlRefused(
            f"Send exactly one statement, not {len(statements)}",
            sql,
            _start(statements[1]) if len(statements) > 1 else None,
            expected="one SELECT",
        )
    return statements[0]


def check_sql(sql: object) -> Checked:
    """Check a user's query; :class:`SqlRefused` (400) with the place at fault when it is refused."""
    if not isinstance(sql, str) or not sql.strip():
        raise BadInput('Send {"sql": "select ..."}', "Bad SQL")
    if len(sql) > MAX_SQL:
        raise SqlRefused(f"The query has {len(sql)} characters; the most is {MAX_SQL}", sql)
    if "\x00" in sql:
        raise SqlRefused("The query contains a NUL character", sql, sql.index("\x00"))
    root = _parse(sql)
    if not isinstance(root, QUERIES):
        raise SqlRefused(
            f"Only a query that reads may run, not {type(root).__name__.upper()}",
            sql,
            len(sql) - len(sql.lstrip()),
            _describe(root),
            "a SELECT",
            reason="Not A Query",
        )
    out = Checked(sql, statement_body(sql))
    try:
        nodes = list(root.walk())
    except RecursionError:
        raise SqlRefused("The query is nested too deeply", sql, reason="Query Too Complex") from None
    for node in nodes:
        _check_node(sql, node)
        if isinstance(node, exp.CTE):
            out.ctes.append(node.alias_or_name.lower())
    for node in nodes:
        if isinstance(node, exp.Table):
            name = node.name
            if name.lower() in out.ctes:
                continue
            if name not in out.where:
                out.tables.append(name)
                out.where[name] = _start(node) or 0
    return out


def _check_node(sql: str, node: exp.Expr) -> None:
    kind = type(node)
    if isinstance(node, exp.Anonymous):
        name = node.name
        if not (name.isascii() and name.lower() in FUNCTIONS):
            raise SqlRefused(
                f"The function {name!r} may not be used here",
                sql,
                _start(node),
                name,
                "an allowed function (see the SQL docs)",
                reason="Function Not Allowed",
            )
        return
    if isinstance(node, exp.Func) and kind not in SQLGLOT_NODES:
        if kind not in SQLGLOT_FUNCTIONS:
            name = _written(sql, node)
            raise SqlRefused(
                f"The function {name!r} may not be used here",
                sql,
                _start(node),
                name,
                "an allowed function (see the SQL docs)",
                reason="Function Not Allowed",
            )
        return
    if kind not in SQLGLOT_NODES:
        raise SqlRefused(
            f"{kind.__name__} is not allowed in a query: {_describe(node)}",
            sql,
            _start(node),
            _describe(node),
            "a part of a SELECT query",
            reason="Not Allowed",
        )
    if isinstance(node, exp.Table):
        _check_table(sql, node)


def _check_table(sql: str, node: exp.Table) -> None:
    """A table reference must be a plain name: a dataset or a CTE, never a function or a schema's table."""
    if not isinstance(node.this, exp.Identifier):
        raise SqlRefused(
            f"Only datasets may be read, by name: not {_describe(node.this)}",
            sql,
            _start(node),
            _describe(node.this),
            'a dataset, as name or "owner/name"',
            reason="Not A Dataset",
        )
    extra = sorted(k for k, v in node.args.items() if v not in (None, [], False) and k not in TABLE_ARGS)
    if extra:
        hint = (
            ' (name another user\'s dataset as "owner/name", in double quotes)'
            if {"db", "catalog"} & set(extra)
            else ""
        )
        raise SqlRefused(
            f"A table reference may be only a dataset's name{hint}: {_describe(node)}",
            sql,
            _start(node),
            _describe(node),
            'a dataset, as name or "owner/name"',
            reason="Not A Dataset",
        )


__all__ = ["MAX_SQL", "Checked", "SqlRefused", "check_sql", "line_col", "statement_body"]
