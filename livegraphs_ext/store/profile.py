"""Column profiles (counts, range, histogram or top values) and formula checks for editors.

Both run against one version's Parquet file through a DuckDB connection the
store opens; neither reads a whole column into Python.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from .errors import BadInput
from .filters import known_column
from .formula import formula_completions, parse_formula
from .pages import table_rows
from .schema import ColumnInfo
from .sql import quote_ident, quote_literal

#: bins of a numeric histogram
BINS = 20
#: values listed for text, true/false and low-cardinality columns
TOP = 10
#: integer columns of at most this many values have their exact count of values recorded with
#: the version (``ColumnInfo.distinct``): the chart builder treats month, day or size as categories
DISTINCT_UP_TO = 1000
_NUMERIC = ("integer", "float")
_TEMPORAL = ("date", "datetime")
_AT = re.compile(r" at (\d+)$")


def _plain(value: Any) -> Any:
    """A JSON-friendly scalar: dates as ISO text, NaN/inf as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def column_profile(
    con: duckdb.DuckDBPyConnection, path: Path, columns: Sequence[ColumnInfo], name: Any
) -> dict[str, Any]:
    """``{column, type, count, nulls, distinct, min, max, mean, histogram, top}`` of one column.

    ``histogram`` is ``[{start, end, count}]`` for numbers (empty otherwise);
    ``top`` is ``[{value, count}]``, most frequent first, for every type.
    """
    col = known_column(name, columns, "column")
    ident = quote_ident(col.name)
    src = f"read_parquet({quote_literal(str(path))})"
    numeric = col.type in _NUMERIC
    ordered = numeric or col.type in _TEMPORAL
    aggs = ["count(*)", f"count({ident})", f"approx_count_distinct({ident})"]
    if ordered:
        aggs += [f"min({ident})", f"max({ident})"]
    if numeric:
        aggs.append(f"avg({ident})")
    row = con.execute(f"SELECT {', '.join(aggs)} FROM {src}").fetchall()[0]
    total, non_null, distinct = int(row[0]), int(row[1]), int(row[2])
    out: dict[str, Any] = {
        "column": col.name,
        "type": col.type,
        "count": total,
        "nulls": total - non_null,
        "distinct": distinct,
        "min": _plain(row[3]) if ordered else None,
        "max": _plain(row[4]) if ordered else None,
        "mean": _plain(row[5]) if numeric else None,
        "histogram": [],
        "top": [],
    }
    if numeric and non_null and row[3] is not None and row[4] is not None:
        out["histogram"] = _histogram(con, src, ident, float(row[3]), float(row[4]))
    top = con.sql(
        f"SELECT {ident} AS v, count(*) AS n FROM {src} WHERE {ident} IS NOT NULL "
        f"GROUP BY ALL ORDER BY n DESC, v LIMIT {TOP}"
    ).to_arrow_table()
    out["top"] = [{"value": _plain(v), "count": int(n)} for v, n in table_rows(top)]
    return out


def integer_distincts(
    con: duckdb.DuckDBPyConnection, path: Path, columns: Sequence[ColumnInfo]
) -> list[ColumnInfo]:
    """``columns`` with ``distinct`` set on each integer column of at most :data:`DISTINCT_UP_TO` values.

    One approximate pass (HyperLogLog, which reads only the integer columns) finds the columns that
    may have few values; only those are counted exactly, so a column of ids costs no exact count.
    """
    ints = [c for c in columns if c.type == "integer"]
    out = [ColumnInfo(c.name, c.type, c.nulls, c.timezone) for c in columns]
    if not ints:
        return out
    src = f"read_parquet({quote_literal(str(path))})"

    def name(c: ColumnInfo) -> str:  # as ingest keeps it, NUL and all
        return quote_ident(c.name, allow_nul=True)

    approx = con.execute(
        f"SELECT {', '.join(f'approx_count_distinct({name(c)})' for c in ints)} FROM {src}"
    ).fetchall()[0]
    # the estimate is a few percent off past about 30 values: twice the limit keeps every candidate
    few = [c for c, n in zip(ints, approx, strict=True) if int(n) <= 2 * DISTINCT_UP_TO]
    if not few:
        return out
    exact = _distinct_counts(con, src, [name(c) for c in few])
    counted = {c.name: n for c, n in zip(few, exact, strict=True) if n <= DISTINCT_UP_TO}
    for c in out:
        c.distinct = counted.get(c.name)
    return out


#: Columns counted by one ``count(DISTINCT …)`` query: DuckDB's cost per distinct aggregate grows
#: with how many share a query (2,000 in one query take minutes, in batches of 16 seconds)
DISTINCT_BATCH = 16
#: Up to this many values (rows times columns), the columns are counted in one pass over them unpivoted,
#: which a wide file of few rows needs (2,000 columns of one row: 0.3 s against 5 s in batches)
UNPIVOT_UP_TO = 5_000_000


def _distinct_counts(con: duckdb.DuckDBPyConnection, src: str, idents: Sequence[str]) -> list[int]:
    """The exact count of distinct non-null values of each column (``idents``: quoted names)."""
    rows = int(con.execute(f"SELECT count(*) FROM {src}").fetchall()[0][0])
    if rows * len(idents) <= UNPIVOT_UP_TO:
        keys = [f"k{i}" for i in range(len(idents))]
        aliased = ", ".join(f"{ident} AS {k}" for ident, k in zip(idents, keys, strict=True))
        counted = dict(
            con.execute(
                f"SELECT name, count(DISTINCT value) FROM (UNPIVOT (SELECT {aliased} FROM {src}) "
                f"ON {', '.join(keys)} INTO NAME name VALUE value) GROUP BY name"
            ).fetchall()
        )
        return [int(counted.get(k, 0)) for k in keys]
    out: list[int] = []
    for at in range(0, len(idents), DISTINCT_BATCH):
        batch = idents[at : at + DISTINCT_BATCH]
        row = con.execute(f"SELECT {', '.join(f'count(DISTINCT {i})' for i in batch)} FROM {src}").fetchall()[
            0
        ]
        out += [int(n) for n in row]
    return out


def _histogram(
    con: duckdb.DuckDBPyConnection, src: str, ident: str, lo: float, hi: float
) -> list[dict[str, Any]]:
    if hi == lo:
        n = con.execute(f"SELECT count({ident}) FROM {src}").fetchall()[0][0]
        return [{"start": lo, "end": hi, "count": int(n)}]
    width = (hi - lo) / BINS
    counts = dict(
        con.execute(
            f"SELECT least(floor(({ident} - ?) / ?)::BIGINT, {BINS - 1}) AS b, count(*) "
            f"FROM {src} WHERE {ident} IS NOT NULL GROUP BY b",
            [lo, width],
        ).fetchall()
    )
    return [
        {"start": lo + i * width, "end": lo + (i + 1) * width, "count": int(counts.get(i, 0))}
        for i in range(BINS)
    ]


def check_formula(text: Any, columns: Sequence[ColumnInfo]) -> dict[str, Any]:
    """``{valid, type, columns}`` or ``{valid: false, message, position}`` (position may be null)."""
    if not isinstance(text, str):
        raise BadInput('Send {"formula": "..."}', "Bad Request")
    try:
        parsed = parse_formula(text, columns)
    except BadInput as e:
        m = _AT.search(e.message)
        return {
            "valid": False,
            "message": e.message,
            "position": int(m.group(1)) if m else None,
        }
    return {"valid": True, "type": parsed.type, "columns": parsed.columns}


def completions(columns: Sequence[ColumnInfo]) -> list[dict[str, str]]:
    """What a formula editor may offer (functions, keywords, this version's columns)."""
    return formula_completions(columns)
