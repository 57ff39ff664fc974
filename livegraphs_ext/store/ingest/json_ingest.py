"""JSON (array of records, or an object holding one) and JSON Lines to typed Parquet.

Every document is validated strictly (orjson follows RFC 8259: no NaN, no trailing
commas, no comments, depth capped without recursion errors). Records are streamed into a
scratch JSON Lines file with positional keys while each column's value kinds are counted
over the whole file, so types are decided on all values, not a sample. DuckDB then
reads the scratch file with those types pinned and writes Parquet.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson

from ..errors import BadInput, Problem, TooLarge
from ..sql import quote_ident, quote_literal
from .csv_ingest import ROW_GROUP
from .dialect import clean_names
from .engine import run_copy
from .json_arrow import array_to_lines, has_trailing_comma, ingest_jsonl_arrow, sample_lines
from .jsonsplit import iter_array
from .limits import Guard, IngestLimits
from .prescan import Prepared

#: a top-level JSON object is parsed whole; past this size, use an array or JSON Lines
OBJECT_IN_MEMORY_MAX = 64 * 2**20
#: the records whose value kinds are pinned for the whole file on the Arrow path
SAMPLE_RECORDS = 2000
SAMPLE_BYTES = 2**20
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?")

_EXPECTED = {
    "integer": "integer",
    "float": "float",
    "boolean": "boolean",
    "date": "date",
    "datetime": "datetime",
    "datetimetz": "datetime",
    "text": "string",
    "nested": "string",
}


def _string_kind(value: str) -> str:
    if len(value) == 10 and _ISO_DATE.fullmatch(value):
        try:
            date.fromisoformat(value)
        except ValueError:
            return "text"
        return "date"
    if 16 <= len(value) <= 32 and _ISO_DATETIME.fullmatch(value):
        zoned = value.endswith("Z") or value[-6] in "+-"
        try:
            datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
        except ValueError:
            return "text"
        return "datetimetz" if zoned else "datetime"
    return "text"


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if value is True or value is False:
        return "boolean"
    if isinstance(value, int):
        return "integer" if INT64_MIN <= value <= INT64_MAX else "float"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return _string_kind(value)
    return "nested"


@dataclass
class _Column:
    key: str
    counts: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[tuple[int, Any]]] = field(default_factory=dict)

    def observe(self, kind: str, row: int, value: Any, keep: int) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        seen = self.examples.setdefault(kind, [])
        if len(seen) < keep:
            seen.append((row, value))

    def nulls(self, rows: int) -> int:
        return rows - sum(n for k, n in self.counts.items() if k != "null")


def _resolve(col: _Column) -> tuple[str, str | None]:
    """The DuckDB type of a column, and the kind most of its values have when it had to be text."""
    kinds = {k: n for k, n in col.counts.items() if k != "null"}
    if not kinds:
        return "VARCHAR", None
    ks = set(kinds)
    if ks == {"boolean"}:
        return "BOOLEAN", None
    if ks == {"integer"}:
        return "BIGINT", None
    if ks <= {"integer", "float"}:
        return "DOUBLE", None
    if ks == {"date"}:
        return "DATE", None
    if ks == {"datetime"}:
        return "TIMESTAMP", None
    if ks == {"datetimetz"}:
        return "TIMESTAMPTZ", None
    if len(ks) == 1:
        return "VARCHAR", None
    merged = dict(kinds)
    if "integer" in merged and "float" in merged:
        merged["float"] += merged.pop("integer")
    majority = max(merged, key=lambda k: merged[k])
    return "VARCHAR", (None if majority in ("text", "nested") else majority)


def _records_jsonl(path: Path, offset: int, limits: IngestLimits, guard: Guard) -> Iterator[tuple[int, Any]]:
    with path.open("rb") as f:
        f.seek(offset)
        for line_no, line in enumerate(f, start=1):
            if line_no % 4096 == 0:
                guard.check()
            if len(line) > limits.max_line_bytes:
                raise TooLarge(f"line {line_no} is longer than {limits.max_line_bytes:,} bytes")
            if not line.strip():
                continue
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise BadInput(
                    f"line {line_no} is not valid JSON: {exc}",
                    errors=[
                        Problem(
                            row=None,
                            column=None,
                            value=line[:200].decode("utf-8", "replace"),
                            expected=f"line {line_no}: one JSON object",
                        )
                    ],
                ) from None
            yield line_no, value


def _records_document(
    prep: Prepared, limits: IngestLimits, guard: Guard, notes: list[str]
) -> Iterator[tuple[int, Any]]:
    with prep.path.open("rb") as f:
        f.seek(prep.offset)
        lead = f.read(4096).lstrip(b" \t\r\n")
    if lead[:1] not in (b"[", b"{"):
        raise BadInput(
            "the JSON document holds no table: it must be an array of records or an object holding one"
        )
    if lead[:1] == b"[":
        yield from enumerate(iter_array(prep.path, prep.offset, limits.max_line_bytes, guard), start=1)
        return
    size = prep.path.stat().st_size - prep.offset
    if size > OBJECT_IN_MEMORY_MAX:
        raise TooLarge(
            f"a JSON document that is not an array may be at most {OBJECT_IN_MEMORY_MAX:,} bytes; "
            "upload a JSON array or JSON Lines instead"
        )
    with prep.path.open("rb") as f:
        f.seek(prep.offset)
        data = f.read()
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise BadInput(f"the file is not valid JSON: {exc}") from None
    del data
    if not isinstance(doc, dict):
        raise BadInput(f"the JSON document holds no table: it is a single {type(doc).__name__} value")
    tables = [k for k, v in doc.items() if isinstance(v, list) and v and all(isinstance(x, dict) for x in v)]
    if tables:
        key = tables[0]
        note = f"the table was read from the array of records under key {key!r}"
        if len(tables) > 1:
            note += "; other arrays of records were ignored: " + ", ".join(repr(k) for k in tables[1:])
        notes.append(note)
        records = doc[key]
        del doc
        yield from enumerate(records, start=1)
        return
    if any(isinstance(v, list) for v in doc.values()) or not doc:
        raise BadInput("the JSON document holds no table: no array of records (objects) was found")
    notes.append("the JSON object was read as a single row")
    yield 1, doc


JsonResult = tuple[int, list[str], list[str], list[int], list[Problem], int, list[str]]


def _sample_kinds(path: Path, limits: IngestLimits) -> tuple[list[str], list[frozenset[str]]] | None:
    """Keys (in order of first use) and value kinds of the first records; None if they are not plain."""
    lines = sample_lines(path, SAMPLE_RECORDS, SAMPLE_BYTES)
    if not lines:
        return None
    index: dict[str, int] = {}
    kinds: list[set[str]] = []
    for line in lines:
        try:
            rec = orjson.loads(line)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(rec, dict):
            return None
        for key, value in rec.items():
            j = index.get(key)
            if j is None:
                if len(kinds) >= limits.max_columns:
                    return None
                j = index[key] = len(kinds)
                kinds.append(set())
            k = _kind(value)
            if k != "null":
                kinds[j].add(k)
    if not kinds:
        return None
    return list(index), [frozenset(k) for k in kinds]


def _ingest_arrow(
    path: Path,
    dest: Path,
    con: duckdb.DuckDBPyConnection,
    limits: IngestLimits,
    guard: Guard,
    expect_rows: int | None = None,
) -> JsonResult | None:
    """The fast path for JSON Lines whose columns each hold one kind of value; None when it does not apply."""
    sample = _sample_kinds(path, limits)
    if sample is None:
        return None
    keys, kinds = sample
    names, renamed = clean_names(keys)
    out = ingest_jsonl_arrow(path, dest, con, limits, guard, keys, names, kinds, expect_rows)
    if out is None:
        return None
    notes = ["empty or repeated keys were renamed"] if renamed else []
    return out.rows, names, out.types, out.nulls, [], 0, notes


def _ingest_array_arrow(
    prep: Prepared,
    dest: Path,
    scratch: Path,
    con: duckdb.DuckDBPyConnection,
    limits: IngestLimits,
    guard: Guard,
) -> JsonResult | None:
    """A top-level array, one element a line, then the JSON Lines fast path; None when it does not apply."""
    with prep.path.open("rb") as f:
        if f.read(4096).lstrip(b" \t\r\n")[:1] != b"[":
            return None
    staged = scratch / "elements.jsonl"
    # the search for trailing commas runs while DuckDB splits the array
    trailing: list[bool] = []
    scan = threading.Thread(
        target=lambda: trailing.append(has_trailing_comma(prep.path, Guard(guard.remaining(), guard.cancel))),
        name="ingest-json-commas",
        daemon=True,
    )
    scan.start()
    try:
        count = array_to_lines(prep.path, staged, con, limits, guard)
        scan.join()
        if not count or trailing != [False]:
            return None
        return _ingest_arrow(staged, dest, con, limits, guard, expect_rows=count)
    finally:
        scan.join()
        staged.unlink(missing_ok=True)


def ingest_json(
    prep: Prepared,
    dest: Path,
    scratch: Path,
    con: duckdb.DuckDBPyConnection,
    limits: IngestLimits,
    guard: Guard,
) -> JsonResult:
    """Validate, stage and write a JSON or JSON Lines file; returns rows, names, types, nulls, problems."""
    fast = None
    if prep.offset == 0 and prep.format == "jsonl":
        fast = _ingest_arrow(prep.path, dest, con, limits, guard)
    elif prep.offset == 0:
        fast = _ingest_array_arrow(prep, dest, scratch, con, limits, guard)
    if fast is not None:
        return fast
    guard.check()
    return _ingest_records(prep, dest, scratch, con, limits, guard)


def _ingest_records(
    prep: Prepared,
    dest: Path,
    scratch: Path,
    con: duckdb.DuckDBPyConnection,
    limits: IngestLimits,
    guard: Guard,
) -> JsonResult:
    """The exact path: every record parsed and every value typed, whatever the file holds."""
    notes: list[str] = []
    records = (
        _records_jsonl(prep.path, prep.offset, limits, guard)
        if prep.format == "jsonl"
        else _records_document(prep, limits, guard, notes)
    )
    unit = "line" if prep.format == "jsonl" else "element"
    columns: list[_Column] = []
    index: dict[str, int] = {}
    staged = scratch / "records.jsonl"
    rows = 0
    keep = limits.max_problems
    with staged.open("wb") as out:
        buf: list[bytes] = []
        for where, rec in records:
            if not isinstance(rec, dict):
                raise BadInput(
                    f"the JSON holds no table: {unit} {where} is a {type(rec).__name__}, "
                    "not an object (record)"
                )
            rows += 1
            staged_rec: dict[str, Any] = {}
            for key, value in rec.items():
                j = index.get(key)
                if j is None:
                    if len(columns) >= limits.max_columns:
                        raise BadInput(f"the records have more than {limits.max_columns:,} distinct keys")
                    j = index[key] = len(columns)
                    columns.append(_Column(key))
                k = _kind(value)
                columns[j].observe(k, rows, value, keep)
                if k == "nested":
                    value = orjson.dumps(value).decode()
                staged_rec[f"c{j}"] = value
            buf.append(orjson.dumps(staged_rec))
            if len(buf) >= 4096:
                guard.check()
                out.write(b"\n".join(buf) + b"\n")
                buf.clear()
        if buf:
            out.write(b"\n".join(buf) + b"\n")
    if rows == 0:
        raise BadInput("the JSON holds no records")
    if not columns:
        raise BadInput("the JSON records have no fields")
    names, renamed = clean_names([c.key for c in columns])
    if renamed:
        notes.append("empty or repeated keys were renamed")
    types: list[str] = []
    problems: list[Problem] = []
    count = 0
    for name, col in zip(names, columns, strict=True):
        duck, majority = _resolve(col)
        types.append(duck)
        if majority is None:
            continue
        expected = _EXPECTED[majority]
        same = {majority} | ({"integer"} if majority == "float" else set())
        for kind, n in col.counts.items():
            if kind in same or kind == "null":
                continue
            count += n
            problems.extend(
                Problem(
                    row=r,
                    column=name,
                    value=v if not isinstance(v, (dict, list)) else orjson.dumps(v).decode(),
                    expected=expected,
                )
                for r, v in col.examples.get(kind, [])
            )
        notes.append(f"column {name!r} is stored as text: some values do not fit the type of the rest")
    problems.sort(key=lambda p: p.row or 0)
    read_types = ", ".join(
        f"'c{j}': {quote_literal('VARCHAR' if t in ('DATE', 'TIMESTAMP', 'TIMESTAMPTZ') else t)}"
        for j, t in enumerate(types)
    )
    select = ", ".join(
        (f"CAST(c{j} AS {t})" if t in ("DATE", "TIMESTAMP", "TIMESTAMPTZ") else f"c{j}")
        + f" AS {quote_ident(n, allow_nul=True)}"
        for j, (n, t) in enumerate(zip(names, types, strict=True))
    )
    guard.check()
    run_copy(
        con,
        f"COPY (SELECT {select} FROM read_json({quote_literal(str(staged))}, format='newline_delimited', "
        f"columns={{{read_types}}}, maximum_object_size={2 * limits.max_line_bytes + 2**20})) "
        f"TO {quote_literal(str(dest))} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP})",
        dest,
        limits.working_memory,
        limits,
    )
    nulls = [c.nulls(rows) for c in columns]
    return rows, names, types, nulls, problems[: limits.max_problems], count, notes
