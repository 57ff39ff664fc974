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
