"""A user's query once checked (:class:`Checked`) and the error that refuses one (:class:`SqlRefused`).

Apart from :mod:`.check` so that the store, which passes these around, does not import sqlglot (about
0.2 s) before a query is checked: a notebook's first chart never needs it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import BadInput, Problem


def line_col(sql: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of character ``offset`` of ``sql``."""
    offset = max(0, min(offset, len(sql)))
    before = sql[:offset]
    line = before.count("\n") + 1
    return line, offset - (before.rfind("\n") + 1) + 1


class SqlRefused(BadInput):
    """A query refused before it ran: 400, naming the line and column at fault when known.

    ``errors`` holds one problem: ``row`` the line, ``column`` the column (as text), ``value`` the
    text at fault, ``expected`` what would fit there.
    """

    def __init__(
        self,
        message: str,
        sql: str,
        offset: int | None = None,
        text: str | None = None,
        expected: str = "",
        reason: str = "Bad SQL",
    ):
        errors: list[Problem] = []
        if offset is not None:
            line, col = line_col(sql, offset)
            message = f"Line {line}, column {col}: {message}"
            errors.append(Problem(row=line, column=str(col), value=text, expected=expected))
        super().__init__(message, reason, errors)


@dataclass
class Checked:
    """A query that passed the first check."""

    sql: str
    #: the text up to the end of its last token but a semicolon: a prefix of ``sql``
    body: str = ""
    #: the table names that are not CTEs: datasets, to be resolved for the caller, as written
    tables: list[str] = field(default_factory=list)
    #: the names of the query's CTEs (lower case, as DuckDB compares them)
    ctes: list[str] = field(default_factory=list)
    #: where each dataset name is first written (a character offset), for errors about it
    where: dict[str, int] = field(default_factory=dict)


__all__ = ["Checked", "SqlRefused", "line_col"]
