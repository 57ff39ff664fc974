"""JSON Lines to typed Parquet in C: Arrow parses, DuckDB writes.

The types are taken from the first records (read strictly by orjson, as every record
used to be) and then *pinned*: pyarrow's JSON reader, given the schema, refuses any
record with a key outside it, a value of another JSON kind (a string in a number
column, a fraction in an integer column, an object anywhere), a repeated key, a
trailing comma or invalid text. Each block is then checked for what the reader lets
through: NaN and Infinity, records that are ``null`` or hold only nulls, text that
looks like a date in a text column, and date columns whose values are not all ISO
dates. Anything unexpected makes the caller read the file again the exact way, so the
report (types, problems, errors) is the same either way; this path only ever gives
files whose every column holds a single kind of value, which have no problems to list.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pajson

from ..errors import StoreError
from ..sql import quote_ident, quote_literal
from .csv_ingest import ROW_GROUP
from .engine import null_counts, set_budget
from .limits import Guard, IngestLimits

#: JSON Lines are read in blocks of this size; a longer line is left to the exact path
BLOCK = 4 * 2**20

_DATE = r"^\d{4}-\d{2}-\d{2}$"
_DATETIME = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$"
_DATETIMETZ = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$"
_DATE_LIKE = r"^\d{4}-\d{2}-\d{2}"

#: Arrow type checked, DuckDB type stored, DuckDB type read, pattern every value must match
Plan = tuple[pa.DataType, str, str, str | None]

#: value kinds of a column (from the sample) -> its plan
_PLANS: dict[frozenset[str], Plan] = {
    frozenset(): (pa.null(), "VARCHAR", "VARCHAR", None),
    frozenset({"integer"}): (pa.int64(), "BIGINT", "BIGINT", None),
    frozenset({"float"}): (pa.float64(), "DOUBLE", "DOUBLE", None),
    frozenset({"integer", "float"}): (pa.float64(), "DOUBLE", "DOUBLE", None),
    frozenset({"boolean"}): (pa.bool_(), "BOOLEAN", "BOOLEAN", None),
    frozenset({"text"}): (pa.string(), "VARCHAR", "VARCHAR", None),
    frozenset({"date"}): (pa.string(), "DATE", "VARCHAR", _DATE),
    frozenset({"datetime"}): (pa.string(), "TIMESTAMP", "VARCHAR", _DATETIME),
    frozenset({"datetimetz"}): (pa.string(), "TIMESTAMPTZ", "VARCHAR", _DATETIMETZ),
}


class NotPlain(Exception):
    """The file holds something the pinned schema does not describe exactly."""


@dataclass
class ArrowResult:
    rows: int
    types: list[str]
    nulls: list[int]


def plan(kinds: list[frozenset[str]]) -> list[Plan] | None:
    """The Arrow read type, stored type and check of each column, or None when a column is mixed."""
    out = []
    for k in kinds:
        p = _PLANS.get(k)
        if p is None:
            return None
        out.append(p)
    return out


def _check(batch: pa.RecordBatch, plans: list[Plan]) -> None:
    if batch.num_rows == 0:
        return
    for col, (arrow, duck, _, pattern) in zip(batch.columns, plans, strict=True):
        if col.null_count == len(col):
            continue
        if duck == "DOUBLE" and pc.all(pc.is_finite(col)).as_py() is False:
            raise NotPlain("a number is NaN or infinite")
        if pattern is not None:
            if pc.all(pc.match_substring_regex(col, pattern)).as_py() is False:
                raise NotPlain("a value does not have the column's date format")
        elif arrow == pa.string() and pc.any(pc.match_substring_regex(col, _DATE_LIKE)).as_py():
            raise NotPlain("a text value looks like a date")
    # a record that is null, or holds only nulls, is left to the exact reader
    if all(c.null_count for c in batch.columns):
        none = pc.is_null(batch.column(0))
        for c in batch.columns[1:]:
            none = pc.and_(none, pc.is_null(c))
        if pc.any(none).as_py():
            raise NotPlain("a record is null or holds only nulls")


def _plain_rows(path: Path, schema: pa.Schema, plans: list[Plan], guard: Guard) -> int | None:
    """Read the whole file strictly with ``schema`` pinned; its record count, or None if not plain."""
    try:
        reader = pajson.open_json(
            path,
            read_options=pajson.ReadOptions(block_size=BLOCK),
            parse_options=pajson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="error"),
        )
        rows = 0
        for batch in reader:
            guard.check()
            _check(batch, plans)
            rows += batch.num_rows
    except (pa.ArrowException, NotPlain):
        return None
    return rows


def ingest_jsonl_arrow(
    path: Path,
    dest: Path,
    con: duckdb.DuckDBPyConnection,
    limits: IngestLimits,
    guard: Guard,
    keys: list[str],
    names: list[str],
    kinds: list[frozenset[str]],
    expect_rows: int | None = None,
) -> ArrowResult | None:
    """Write ``path`` (JSON Lines) to ``dest`` with the column kinds of the sample pinned.

    Arrow checks the whole file against the pinned kinds while DuckDB reads it with
    those types, which converts nothing once every value is known to be of its column's
    kind; the write only counts if the check passes. Returns None, with ``dest`` absent,
    when the file is not as plain as the sample says; the caller then reads it the exact
    way. Cancel and time limits raise.
    """
    plans = plan(kinds)
    if plans is None:
        return None
    schema = pa.schema([pa.field(k, p[0]) for k, p in zip(keys, plans, strict=True)])
    read_types = ", ".join(
        f"{quote_literal(k)}: {quote_literal(p[2])}" for k, p in zip(keys, plans, strict=True)
    )
    select = ", ".join(
        (f"CAST(c.{quote_ident(k, allow_nul=True)} AS {p[1]})") + f" AS {quote_ident(n, allow_nul=True)}"
        for k, n, p in zip(keys, names, plans, strict=True)
    )
    # Arrow checks while DuckDB writes (a file that is not plain wastes one write; the
    # write is not interrupted, as an interrupt could reach the exact path's next query)
    verdict: list[int | None] = []

    def check() -> None:
        try:
            verdict.append(_plain_rows(path, schema, plans, guard))
        except StoreError:
            verdict.append(None)  # cancel or clock: the watchdog stops DuckDB and the caller reports it

    checker = threading.Thread(target=check, name="ingest-json-check", daemon=True)
    set_budget(con, limits.working_memory)
    checker.start()
    try:
        row = con.execute(
            f"COPY (SELECT {select} FROM read_json({quote_literal(str(path))}, format='newline_delimited', "
            f"records=true, columns={{{read_types}}}, maximum_object_size={2 * BLOCK}) AS c) "
            f"TO {quote_literal(str(dest))} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP})"
        ).fetchone()
    except duckdb.InterruptException:
        checker.join()
        raise
    except duckdb.Error:
        checker.join()
        guard.check()
        dest.unlink(missing_ok=True)
        return None
    checker.join()
    rows = verdict[0]
    if not rows or (expect_rows is not None and rows != expect_rows):
        dest.unlink(missing_ok=True)
        return None
    if not row or int(row[0]) != rows:
        dest.unlink(missing_ok=True)
        return None
    return ArrowResult(rows=rows, types=[p[1] for p in plans], nulls=null_counts(con, dest, len(plans)))


def sample_lines(path: Path, max_records: int, max_bytes: int) -> list[bytes] | None:
    """The first non-blank lines of a JSON Lines file (at most ``max_records``, about ``max_bytes``).

    None when a line is longer than a block: such files are left to the exact path.
    """
    lines: list[bytes] = []
    seen = 0
    with path.open("rb") as f:
        while len(lines) < max_records and seen < max_bytes:
            line = f.readline(BLOCK + 1)
            if not line:
                break
            if len(line) > BLOCK:
                return None
            seen += len(line)
            if line.strip():
                lines.append(line)
    return lines


def has_trailing_comma(path: Path, guard: Guard) -> bool:
    """True if a comma is followed by ``]`` or ``}`` once whitespace is left out.

    DuckDB's parser allows such commas; RFC 8259 does not. Whitespace and commas inside
    strings can make this true for a valid file, which then only takes the exact path.
    """
    with path.open("rb") as f:
        last = b""
        while True:
            guard.check()
            chunk = f.read(2**22)
            if not chunk:
                return False
            text = last + chunk.translate(None, b" \t\r\n")
            if b",]" in text or b",}" in text:
                return True
            last = text[-1:]


def array_to_lines(
    src: Path, staged: Path, con: duckdb.DuckDBPyConnection, limits: IngestLimits, guard: Guard
) -> int | None:
    """Write each element of the top-level JSON array in ``src`` as one line of ``staged``.

    DuckDB parses the array and writes every element back as compact JSON (no raw line
    breaks: those are only allowed between tokens). A ``null`` element becomes an empty
    line, which the caller sees as a missing record. Returns the element count, or None
    when DuckDB cannot read the file (the exact path then says why).
    """
    # a top-level array is read whole by DuckDB's reader, which needs more than a streaming write
    set_budget(con, limits.max_memory)
    try:
        row = con.execute(
            f"COPY (SELECT json FROM read_json({quote_literal(str(src))}, format='array', records=false, "
            f"columns={{'json': 'JSON'}}, maximum_object_size={2 * limits.max_line_bytes + 2**20})) "
            f"TO {quote_literal(str(staged))} "
            "(FORMAT csv, HEADER false, DELIMITER '\t', QUOTE '\x01', ESCAPE '\x01')"
        ).fetchone()
    except duckdb.InterruptException:
        raise
    except duckdb.Error:
        guard.check()
        staged.unlink(missing_ok=True)
        return None
    return int(row[0]) if row else None
