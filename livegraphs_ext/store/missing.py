"""The step ``markers_to_null`` ("Treat NA as missing"): which text columns hold missing-value
markers, and which type each holds once they are gone.

The markers are the upload's (:data:`.ingest.coerce.MISSING_TEXT`: ``NA``, ``N/A``, … and empty
text; docs/uploads.md), matched exactly. A column whose other values then all share one type by
the upload's rules (:func:`.ingest.coerce.infer` on a sample, then every value checked) is
retyped, as a spreadsheet reads numbers as numbers: with the same conversion as a ``cast`` step,
and only when that conversion keeps every value as the upload's would.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb

from .casts import cast_sql
from .errors import BadInput
from .formula import Frag, fmt
from .ingest.coerce import MISSING_TEXT, Target, convert_sql, infer, leading_zero_sql
from .ingest.dialect import MAX_SAMPLE_ROWS
from .schema import ColumnInfo
from .sql import quote_ident, quote_literal

#: at most this many markers, each at most this long
MAX_MARKERS = 50
MAX_MARKER_LENGTH = 100
#: columns named in a step's description before "and N more"
NAMED = 6

#: the upload's conversion (coerce.Target) for each type a column may be retyped to
_TARGETS = {
    "BIGINT": "integer",
    "DOUBLE": "float",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "datetime",
}


def _bad(message: str) -> BadInput:
    return BadInput(message, reason="Bad step")


def check_markers(value: Any) -> list[str]:
    """The markers of a step: the upload's by default, else a list of distinct texts."""
    if value is None:
        return list(MISSING_TEXT)
    if not isinstance(value, list) or not value or len(value) > MAX_MARKERS:
        raise _bad(f"'markers' must be a list of 1 to {MAX_MARKERS} texts")
    for m in value:
        if not isinstance(m, str) or len(m) > MAX_MARKER_LENGTH or "\x00" in m:
            raise _bad(
                f"each of 'markers' must be a text of at most {MAX_MARKER_LENGTH} characters without NUL"
            )
    if len(set(value)) != len(value):
        raise _bad("'markers' lists a text twice")
    return list(value)


def describe_markers(markers: Sequence[str]) -> str:
    """``NA, N/A, … and empty text``, or ``missing-value markers (NA, N/A, …)`` for the default."""
    shown = ", ".join("empty text" if m == "" else m for m in markers)
    return f"missing-value markers ({shown})" if list(markers) == list(MISSING_TEXT) else shown


def name_list(names: Sequence[str]) -> str:
    head = ", ".join(names[:NAMED])
    return head + (f" and {len(names) - NAMED} more" if len(names) > NAMED else "")


def markers_sql(markers: Sequence[str]) -> str:
    """The markers as a SQL list of literals (they are checked texts without NUL)."""
    return "(" + ", ".join(quote_literal(m) for m in markers) + ")"


@dataclass
class Found:
    """What the data says: the columns to change, their retyping, and notes for the report."""

    columns: list[str]
    casts: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)


def _values(n: int) -> str:
    return "1 value" if n == 1 else f"{n:,} values"


def _candidate(con: duckdb.DuckDBPyConnection, ident: str, in_markers: str) -> Target | None:
    """The type the first values of a column share once markers are gone (the upload's guess)."""
    rows = con.execute(
        f'SELECT {ident} FROM src WHERE {ident} IS NOT NULL AND {ident} NOT IN {in_markers} ORDER BY "__row" '
        f"LIMIT {MAX_SAMPLE_ROWS}"
    ).fetchall()
    target = infer([r[0] for r in rows], ",")
    if target is None or target.comma or target.duck not in _TARGETS:
        return None
    return target


def _checks(ident: str, in_markers: str, target: Target, duck: str) -> list[Frag]:
    """Counts over the whole column: values the upload would not read as ``duck``, and values the
    cast would read otherwise than the upload (e.g. whole numbers too long for a float)."""
    # names and markers go in as fragments, never into a template, so "{0}" in them stays inert
    value = Frag(f"{ident} IS NOT NULL AND {ident} NOT IN {in_markers}")
    cast = cast_sql(Frag(ident), "string", _TARGETS[duck], target.fmt)
    upload = Frag(convert_sql(ident, target, duck))
    return [
        fmt("count(*) FILTER (WHERE {0} AND ({1}) IS NULL)", value, upload),
        fmt("count(*) FILTER (WHERE {0} AND ({1}) IS DISTINCT FROM ({2}))", value, cast, upload),
    ]


def find(
    con: duckdb.DuckDBPyConnection,
    columns: Sequence[ColumnInfo],
    names: list[str] | None,
    markers: list[str],
    retype: bool,
) -> Found:
    """Read ``src`` (a connection's view of the data) to complete a ``markers_to_null`` step.

    ``names`` are the text columns asked for, or None for every text column that holds a marker.
    """
    texts = names if names is not None else [c.name for c in columns if c.type == "string"]
    if not texts:
        raise _bad("the dataset has no text columns: there is nothing to treat as missing")
    in_markers = markers_sql(markers)
    counts = con.execute(
        "SELECT "
        + ", ".join(f"count(*) FILTER (WHERE {quote_ident(n)} IN {in_markers})" for n in texts)
        + " FROM src"
    ).fetchone() or (0,) * len(texts)
    held = {n: int(k) for n, k in zip(texts, counts, strict=True)}
    if names is None:
        texts = [n for n in texts if held[n]]
        if not texts:
            raise _bad(
                f"no text column holds {describe_markers(markers)}: there is nothing to treat as missing"
            )
    notes = [f"column {n!r}: {_values(held[n])} read as missing" for n in texts if held[n]]
    casts: list[dict[str, Any]] = []
    if retype:
        candidates = []
        for n in texts:
            target = _candidate(con, quote_ident(n), in_markers)
            if target is not None:
                # whole numbers may turn out to need a float further down, as on upload
                ducks = ["BIGINT", "DOUBLE"] if target.duck in ("BIGINT", "DOUBLE") else [target.duck]
                candidates.append((n, target, ducks))
        parts: list[Frag] = []
        for n, target, ducks in candidates:
            ident = quote_ident(n)
            for duck in ducks:
                parts += _checks(ident, in_markers, target, duck)
            if target.duck in ("BIGINT", "DOUBLE"):
                parts.append(
                    Frag(f"count(*) FILTER (WHERE {ident} NOT IN {in_markers} AND {leading_zero_sql(ident)})")
                )
        if parts:
            query = fmt("SELECT " + ", ".join(f"{{{i}}}" for i in range(len(parts))) + " FROM src", *parts)
            found = list(con.execute(query.sql, query.params).fetchone() or ())
            for n, target, ducks in candidates:
                checks = [(duck, found.pop(0), found.pop(0)) for duck in ducks]
                # a code with a leading zero (007) stays text, as on upload
                zeros = found.pop(0) if target.duck in ("BIGINT", "DOUBLE") else 0
                fits = [(duck, differ) for duck, bad, differ in checks if not bad]
                # the first type every value fits; none when the cast would read a value otherwise
                # than the upload (whole numbers beyond 2**53 stay text rather than lose digits)
                if fits and not fits[0][1] and not zeros:
                    to = _TARGETS[fits[0][0]]
                    casts.append(
                        {"column": n, "to": to, "format": target.fmt if to in ("date", "datetime") else None}
                    )
                    notes.append(f"column {n!r} is now {to}: its other values are all {_PHRASE[to]}")
    return Found(texts, casts, notes)


_PHRASE = {
    "integer": "whole numbers",
    "float": "numbers",
    "boolean": "true or false",
    "date": "dates",
    "datetime": "dates with times",
}

__all__ = [
    "MAX_MARKERS",
    "MAX_MARKER_LENGTH",
    "Found",
    "check_markers",
    "describe_markers",
    "find",
]
