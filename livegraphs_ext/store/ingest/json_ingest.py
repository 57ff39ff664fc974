"""JSON (array of records, or an object holding one) and JSON Lines to typed Parquet.

Files whose columns each hold one kind of value take the plain path (``json_plain``). Any
other file is typed in DuckDB SQL: the kinds of value are counted per column over the whole
file, and the rules CSV columns follow (``coerce``, docs/uploads.md) decide each type:
missing-value markers, values that break the type most of the column shares (listed as
problems, by row: only then is each value's JSON text staged in Parquet), ``bad_values``. What DuckDB's
parser is not strict enough about (NaN, trailing commas) or refuses (repeated keys) goes
through the record reader: orjson validates every record strictly (RFC 8259) and stages
them for the same typing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import orjson

from ..errors import BadInput, Problem, TooLarge
from ..sql import quote_ident, quote_literal
from .coerce import (
    FILE_OUTLIERS,
    ISO_DAY,
    ISO_TIME,
    ISO_ZONED,
    MISSING_TEXT,
    few,
    infer,
    iso_kind,
    outside_range_sql,
)
from .csv_ingest import _PHRASE, _TYPE_NAMES, ROW_GROUP, Candidate, Typed, type_candidates
from .dialect import MAX_SAMPLE_ROWS, clean_names
from .engine import null_counts, run_copy, set_budget
from .json_plain import (
    OBJECT_MAX,
    ArrayLines,
    array_as_lines,
    ingest_plain,
    lenient,
    malformed,
    sample_lines,
    unquoted,
)
from .jsonsplit import JSON_SPACE, iter_array
from .limits import Guard, IngestLimits
from .prescan import Prepared

#: a top-level JSON object is parsed whole; past this size, use an array or JSON Lines
OBJECT_IN_MEMORY_MAX = 64 * 2**20
#: the records whose value kinds are pinned for the whole file on the plain path
SAMPLE_RECORDS = 2000
SAMPLE_BYTES = 2**20
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

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
    return iso_kind(value) or "text"


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
        lead = f.read(4096).lstrip(JSON_SPACE)
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


def _first_records(
    prep: Prepared, limits: IngestLimits, guard: Guard, copy: ArrayLines | None = None
) -> list[Any] | None:
    """The first records (at most ``SAMPLE_RECORDS``, about ``SAMPLE_BYTES``), read strictly by orjson.

    None when they cannot be read; the exact path then says why. An array's are read from the
    first lines of its ``copy`` as JSON Lines when each of them is one record: a line cut at a
    comma inside a string or a record, or one left with two records, is not one JSON value
    (:func:`~.json_plain.array_as_lines`), so they are then the array's first records. That
    costs a tenth of splitting the array itself (0.003 s against 0.03 to 0.1 s).
    """
    if prep.format == "jsonl" or copy is not None:
        lines = sample_lines(prep.path if copy is None else copy.path, SAMPLE_RECORDS, SAMPLE_BYTES)
        try:
            sampled = [orjson.loads(line) for line in lines] if lines else None
        except orjson.JSONDecodeError:
            sampled = None
        if copy is None or (sampled and all(isinstance(r, dict) for r in sampled)):
            return sampled
    records: list[Any] = []
    size = 0
    try:
        for value in iter_array(prep.path, 0, limits.max_line_bytes, guard):
            records.append(value)
            size += 1 if not isinstance(value, dict) else 16 + sum(len(k) + 8 for k in value)
            if len(records) >= SAMPLE_RECORDS or size >= SAMPLE_BYTES:
                break
    except (BadInput, TooLarge):
        return None
    return records


def _sample_kinds(records: list[Any], limits: IngestLimits) -> tuple[list[str], list[frozenset[str]]] | None:
    """Keys (in order of first use) and value kinds of the first records; None if they are not plain."""
    index: dict[str, int] = {}
    kinds: list[set[str]] = []
    for rec in records:
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


def _ingest_plain(
    prep: Prepared,
    dest: Path,
    scratch: Path,
    con: duckdb.DuckDBPyConnection,
    limits: IngestLimits,
    guard: Guard,
    scanned: dict[Path, bool],
    lines: ArrayLines | None,
    records: list[Any] | None,
    bad_values: str,
) -> JsonResult | None:
    """The fast path for files whose columns each hold one kind of value; None when it does not apply.

    ``records``: the first records (:func:`_first_records`)."""
    if prep.offset != 0:
        return None
    with prep.path.open("rb") as f:
        lead = f.read(4096).lstrip(JSON_SPACE)[:1]
    if lead != (b"{" if prep.format == "jsonl" else b"["):
        return None
    sample = _sample_kinds(records, limits) if records else None
    if records is None or sample is None:
        return None
    keys, kinds = sample
    names, renamed = clean_names(keys)
    fmt = "newline_delimited" if prep.format == "jsonl" else "array"
    out = ingest_plain(
        prep.path, fmt, dest, con, limits, guard, keys, names, kinds, len(records), scanned, lines
    )
    if out is None:
        return None
    notes = ["empty or repeated keys were renamed"] if renamed else []
    # a column the sample found strings alone in holds nothing else (the read stops otherwise)
    strings = [k == frozenset({"text"}) for k in kinds]
    typed = _type_strings(con, dest, scratch, names, out.types, strings, limits, guard, bad_values)
    types = [typed.types.get(n, t) for n, t in zip(names, out.types, strict=True)]
    nulls = null_counts(con, dest, len(names)) if typed.types else out.nulls
    return out.rows, names, types, nulls, typed.problems, typed.count, notes + typed.notes


def ingest_json(
    prep: Prepared,
    dest: Path,
    scratch: Path,
    con: duckdb.DuckDBPyConnection,
    limits: IngestLimits,
    guard: Guard,
    bad_values: str = "text",
) -> JsonResult:
    """Validate, stage and write a JSON or JSON Lines file; returns rows, names, types, nulls, problems."""
    # the plain path's search of the bytes for what DuckDB lets through serves the exact path too
    scanned: dict[Path, bool] = {}
    lines = _array_lines(prep, scratch, guard)
    # the first records, read once: the plain path's kinds, the exact path's keys
    first = _first_records(prep, limits, guard, lines) if prep.offset == 0 else None
    try:
        fast = _ingest_plain(prep, dest, scratch, con, limits, guard, scanned, lines, first, bad_values)
        if fast is not None:
            return fast
        guard.check()
        exact = None
        if lines is not None and lines.usable:
            exact = _ingest_sql(prep, dest, scratch, con, limits, guard, bad_values, scanned, lines, first)
        if exact is None and (lines is None or not lines.usable):
            # no copy, or one that does not read as the array: the array itself
            guard.check()
            exact = _ingest_sql(prep, dest, scratch, con, limits, guard, bad_values, scanned, None, first)
        if exact is not None:
            return exact
    finally:
        if lines is not None:
            lines.path.unlink(missing_ok=True)
    guard.check()
    return _ingest_records(prep, dest, scratch, con, limits, guard, bad_values)


def _array_lines(prep: Prepared, scratch: Path, guard: Guard) -> ArrayLines | None:
    """A big JSON array's copy as JSON Lines, which DuckDB reads on every thread (see
    :func:`~.json_plain.array_as_lines`); None for JSON Lines and arrays it does not suit."""
    if prep.format != "json" or prep.offset != 0:
        return None
    # a document that is not an array is found out before anything is written
    return array_as_lines(prep.path, scratch / "array-as-lines.jsonl", guard)


def _ingest_sql(
    prep: Prepared,
    dest: Path,
    scratch: Path,
    con: duckdb.DuckDBPyConnection,
    limits: IngestLimits,
    guard: Guard,
    bad_values: str,
    scanned: dict[Path, bool],
    lines: ArrayLines | None,
    records: list[Any] | None,
) -> JsonResult | None:
    """The exact path in DuckDB: every value typed in SQL; None when only the record reader can say more.

    ``records``: the first records (:func:`_first_records`), whose keys are the columns.

    With ``lines``, an array is read from its copy as JSON Lines; None then also when the
    copy does not read as the array (``lines.usable`` becomes False).

    DuckDB's parser allows a few things RFC 8259 does not (trailing commas, NaN) and refuses
    a few it allows (repeated keys); those files, and any it cannot read, are left to the
    record reader, which gives the precise error or stages the records for the same typing.
    """
    if prep.offset != 0:
        return None
    with prep.path.open("rb") as f:
        lead = f.read(4096).lstrip(JSON_SPACE)[:1]
    if (prep.format == "jsonl" and lead != b"{") or (prep.format == "json" and lead != b"["):
        return None
    fmt = "newline_delimited" if prep.format == "jsonl" else "array"
    path = prep.path
    if lines is not None:
        path, fmt = lines.path, "newline_delimited"

    def not_the_array() -> None:
        # what the copy gave may not be what the array gives: the caller reads the array
        if lines is not None:
            lines.usable = False

    if scanned[path] if path in scanned else lenient(path, fmt, guard):
        not_the_array()
        return None
    sampled = _sample_keys(records)
    if sampled is None:
        return None
    sample, sampled_count = sampled
    try:
        # DuckDB's detection over the same first records; the read that counts the kinds refuses
        # a key it did not see and a record that is not an object
        found = con.execute(
            f"DESCRIBE SELECT * FROM read_json({quote_literal(str(path))}, format={quote_literal(fmt)}, "
            f"records=true, maximum_depth=1, sample_size={sampled_count}, "
            f"maximum_object_size={_object_max(limits)})"
        ).fetchall()
    except duckdb.InterruptException:
        raise
    except duckdb.Error as exc:
        guard.check()
        if malformed(exc):
            not_the_array()
        return None
    if len(found) > limits.max_columns:
        raise BadInput(f"the records have more than {limits.max_columns:,} distinct keys")
    if sorted(r[0] for r in found) != sorted(sample) or len({k.lower() for k in sample}) != len(sample):
        # keys past the sample (their order is the record reader's), or keys DuckDB cannot tell apart
        return None
    try:
        out = _type_and_write(
            path,
            fmt,
            sample,
            sample,
            dest,
            scratch,
            con,
            limits,
            guard,
            bad_values,
            _object_max(limits),
            detected=sampled_count,
        )
    except _NotExact as exc:
        if exc.malformed:
            not_the_array()
        return None
    if lines is not None and out[0] != lines.records:
        dest.unlink(missing_ok=True)
        not_the_array()
        return None
    return out


def _sample_keys(records: list[Any] | None) -> tuple[list[str], int] | None:
    """The keys of the first records, in order of first use, and how many records those are
    (None if they are not all objects)."""
    if not records or not all(isinstance(r, dict) for r in records):
        return None
    keys: dict[str, None] = {}
    for rec in records:
        keys.update(dict.fromkeys(rec))
    return list(keys), len(records)


def _object_max(limits: IngestLimits) -> int:
    """The longest record DuckDB reads of an upload; a longer one leaves the file to the record reader."""
    return min(OBJECT_MAX, _staged_object_max(limits))


def _staged_object_max(limits: IngestLimits) -> int:
    """The longest record DuckDB reads of the record reader's lines: written again, they can grow."""
    return 2 * limits.max_line_bytes + 2**20


class _NotExact(Exception):
    """DuckDB read the file in a way the record reader would not (NaN, a refused record).

    ``malformed``: DuckDB's parser refused the bytes.
    """

    def __init__(self, malformed: bool = False) -> None:
        super().__init__()
        self.malformed = malformed


#: the kind of one value, from the text DuckDB's JSON type gives it, as one letter:
#: b boolean, i integer, h integer past 64 bits, f float, x NaN or infinite, n object or array,
#: m missing-value marker, d date, t date and time, z date and time with an offset, s other text
_QUOTE = '"'


def _kind_sql(v: str) -> str:
    # DuckDB writes JSON text canonically: strings keep "/" and non-ASCII letters unescaped
    text = unquoted(v)
    return (
        f"CASE WHEN {v} IS NULL THEN NULL "
        f"WHEN {v} IN ('true', 'false') THEN 'b' "
        f"WHEN starts_with({v}, '\"') THEN CASE "
        f"WHEN {_missing_sql(v)} THEN 'm' "
        # a date's text starts with a digit: other text is spared the three patterns
        f"WHEN NOT (substr({v}, 2, 1) BETWEEN '0' AND '9') THEN 's' "
        f"WHEN regexp_full_match({v}, {quote_literal(_QUOTE + ISO_DAY + _QUOTE)}) "
        f"THEN CASE WHEN TRY_CAST({text} AS DATE) IS NULL THEN 's' ELSE 'd' END "
        f"WHEN regexp_full_match({v}, {quote_literal(_QUOTE + ISO_TIME + _QUOTE)}) "
        f"THEN CASE WHEN TRY_CAST({text} AS TIMESTAMP) IS NULL THEN 's' ELSE 't' END "
        f"WHEN regexp_full_match({v}, {quote_literal(_QUOTE + ISO_ZONED + _QUOTE)}) "
        f"THEN CASE WHEN coalesce({outside_range_sql(f'TRY_CAST({text} AS TIMESTAMPTZ)', 'TIMESTAMPTZ')}, "
        "true) THEN 's' ELSE 'z' END "
        "ELSE 's' END "
        f"WHEN starts_with({v}, '{{') OR starts_with({v}, '[') THEN 'n' "
        f"WHEN coalesce(NOT isfinite(TRY_CAST({v} AS DOUBLE)), true) THEN 'x' "
        # a finite JSON number written without a fraction or an exponent is an integer
        f"WHEN NOT (contains({v}, '.') OR contains({v}, 'e') OR contains({v}, 'E')) "
        f"THEN CASE WHEN TRY_CAST({v} AS BIGINT) IS NULL THEN 'h' ELSE 'i' END "
        "ELSE 'f' END"
    )


#: the kinds of value each type is made of; text is what is left
_CLASSES: dict[str, str] = {"float": "ihf", "boolean": "b", "date": "d", "datetime": "t", "datetimetz": "z"}
_STORED = {"boolean": "BOOLEAN", "date": "DATE", "datetime": "TIMESTAMP", "datetimetz": "TIMESTAMPTZ"}


@dataclass
class _Typing:
    """What a column's kinds of value make of it."""

    duck: str = "VARCHAR"
    #: the class of value most values share (a key of ``_CLASSES``)
    cls: str = ""
    #: the kinds converted to values of ``duck`` (the rest become nulls)
    fits: str = ""
    #: the type most values share, when some do not fit it
    expected: str | None = None
    bad: int = 0
    markers: int = 0


def _decide(counts: dict[str, int], bad_values: str) -> _Typing:
    """A column's type by the rules CSV columns follow (docs/uploads.md), from counts of its kinds."""
    markers = counts.get("m", 0)
    filled = sum(n for k, n in counts.items() if k != "m")
    shares = {c: sum(counts.get(k, 0) for k in kinds) for c, kinds in _CLASSES.items()}
    text = filled - sum(shares.values())
    best = max(shares, key=lambda c: shares[c])
    fitting = shares[best]
    if not filled or text >= fitting:
        return _Typing()
    bad = filled - fitting
    if bad and not few(bad, fitting, FILE_OUTLIERS):
        return _Typing()
    if best == "float":
        duck = "BIGINT" if not counts.get("f", 0) and not counts.get("h", 0) else "DOUBLE"
    else:
        duck = _STORED[best]
    kept = not bad or bad_values == "null"
    expected = "integer" if duck == "BIGINT" else _EXPECTED[best]
    return _Typing(
        duck=duck if kept else "VARCHAR",
        cls=best,
        fits=_CLASSES[best] if kept else "",
        expected=expected if bad else None,
        bad=bad,
        markers=markers if kept else 0,
    )


def _value_sql(v: str, t: _Typing) -> str:
    """The stored value of ``v``: its text as written, or its value when it fits the column's type."""
    if t.duck == "VARCHAR":
        return unquoted(v)
    value = {
        "BIGINT": f"TRY_CAST({v} AS BIGINT)",
        "DOUBLE": f"TRY_CAST({v} AS DOUBLE)",
        "BOOLEAN": f"({v} = 'true')",
    }.get(t.duck, f"TRY_CAST({unquoted(v)} AS {t.duck})")
    if t.bad:
        # values of other kinds (kept as missing) are told apart by their kind
        fits = ", ".join(quote_literal(k) for k in t.fits)
        return f"CASE WHEN {_kind_sql(v)} IN ({fits}) THEN {value} END"
    if t.markers:
        # every other value fits: a marker (kind m) is all there is to tell apart
        return f"CASE WHEN {_missing_sql(v)} THEN NULL ELSE {value} END"
    # every value fits: the cast is the value, and the kinds need not be worked out again
    return value


def _marker_texts() -> str:
    """The missing-value markers as JSON strings: an empty string is one, as an empty CSV field is."""
    return ", ".join(quote_literal(f'"{m}"') for m in MISSING_TEXT)


#: the JSON text of a string of spaces, tabs and line ends alone (``coerce.BLANK``), as DuckDB
#: writes it: a tab or line end escaped
_BLANK_JSON = quote_literal(r'"(?: |\\[trn])*"')


def _missing_sql(v: str) -> str:
    """True where the JSON text ``v`` is a missing-value marker or a blank string (a blank cell,
    as in CSV: ``coerce.is_blank``); the pattern is tried on strings that start blank alone."""
    return (
        f"({v} IN ({_marker_texts()}) OR "
        f"(substr({v}, 2, 1) IN (' ', '\\') AND regexp_full_match({v}, {_BLANK_JSON})))"
    )


def _fetch_one(con: duckdb.DuckDBPyConnection, sql: str, limits: IngestLimits) -> tuple[Any, ...] | None:
    """One row of ``sql`` within the working memory; once more with the most allowed if that ran out."""
    set_budget(con, limits.working_memory)
    try:
        return con.execute(sql).fetchone()
    except duckdb.OutOfMemoryException:
        if limits.working_memory >= limits.max_memory:
            raise
    set_budget(con, limits.max_memory)
    return con.execute(sql).fetchone()


def _values(n: int) -> str:
    return "1 value" if n == 1 else f"{n:,} values"


def _type_and_write(
    path: Path,
    fmt: str,
    keys: list[str],
    original: list[str],
    dest: Path,
    scratch: Path,
    con: duckdb.DuckDBPyConnection,
    limits: IngestLimits,
    guard: Guard,
    bad_values: str,
    object_max: int,
    detected: int | None = None,
) -> JsonResult:
    """Read the records of ``path`` as JSON text per key, type each column in SQL and write ``dest``.

    ``keys`` are read, ``original`` name the columns, ``object_max`` is the longest record
    DuckDB is to read. One read counts the kinds of value per column. When values break
    their column's type, their row numbers are needed: the text of those columns alone is
    staged in Parquet (one more read) and the breaking values listed from it. ``dest`` is
    written straight from the JSON.

    With ``detected``, the read that counts is DuckDB's own detection over that many first
    records, whose keys the caller checked are ``keys``: it then stops (``_NotExact``) at a
    key past them or a record that is not an object. Without, only ``keys`` are read.
    """
    names, renamed = clean_names(original)
    notes = ["empty or repeated keys were renamed"] if renamed else []
    read_types = ", ".join(f"{quote_literal(k)}: 'JSON'" for k in keys)
    source = (
        f"read_json({quote_literal(str(path))}, format={quote_literal(fmt)}, "
        f"records=true, columns={{{read_types}}}, maximum_object_size={object_max})"
    )
    counted = source
    if detected is not None:
        counted = (
            f"read_json({quote_literal(str(path))}, format={quote_literal(fmt)}, records=true, "
            f"maximum_depth=1, sample_size={detected}, maximum_object_size={object_max})"
        )
    # each value's JSON text and its kind (one letter)
    texts = [quote_ident(k, allow_nul=True) for k in keys]
    guard.check()
    try:
        hist = _fetch_one(
            con,
            f"SELECT count(*), {', '.join(f'histogram({_kind_sql(v)})' for v in texts)} FROM {counted}",
            limits,
        ) or (0,)
    except (duckdb.InterruptException, duckdb.OutOfMemoryException):
        raise
    except duckdb.Error as exc:
        guard.check()
        raise _NotExact(malformed(exc)) from None
    rows = int(hist[0])
    counts = [dict(h or {}) for h in hist[1:]]
    if any(c.get("x") for c in counts):
        # NaN and Infinity are not JSON: the record reader says where
        raise _NotExact
    typings = [_decide(c, bad_values) for c in counts]
    raw = scratch / "values.parquet"
    staged = f"read_parquet({quote_literal(str(raw))}, file_row_number=true)"
    breaking = [j for j, t in enumerate(typings) if t.expected is not None]
    if breaking:
        # the row numbers of breaking values: only their columns' text is staged
        guard.check()
        run_copy(
            con,
            f"COPY (SELECT {', '.join(f'{texts[j]} AS c{j}' for j in breaking)} FROM {source}) "
            f"TO {quote_literal(str(raw))} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP})",
            raw,
            limits.working_memory,
            limits,
        )
    problems: list[Problem] = []
    count = 0
    for j in breaking:
        name, t = names[j], typings[j]
        assert t.expected is not None
        count += t.bad
        fits = ", ".join(quote_literal(k) for k in _CLASSES[t.cls] + "m")
        guard.check()
        found = con.execute(
            f"SELECT file_row_number + 1, c{j} ->> '$' FROM {staged} "
            f"WHERE c{j} IS NOT NULL AND {_kind_sql(f'c{j}')} NOT IN ({fits}) "
            f"ORDER BY 1 LIMIT {int(limits.max_problems)}"
        ).fetchall()
        problems.extend(Problem(row=int(r), column=name, value=v, expected=t.expected) for r, v in found)
        if t.duck == "VARCHAR":
            notes.append(
                f"column {name!r} is stored as text: {_values(t.bad)} not {_PHRASE[t.expected]} "
                "(upload with bad_values=null to keep the type and store them as missing)"
            )
        else:
            notes.append(
                f"column {name!r} is stored as {t.expected}: {_values(t.bad)} not "
                f"{_PHRASE[t.expected]} stored as missing"
            )
    for name, t in zip(names, typings, strict=True):
        kind = _TYPE_NAMES[t.duck]
        if t.markers:
            notes.append(
                f"column {name!r} is stored as {kind}: {_values(t.markers)} such as NA, N/A or "
                "blank read as missing"
            )
    problems.sort(key=lambda p: p.row or 0)
    select = ", ".join(
        f"{_value_sql(v, t)} AS {quote_ident(n, allow_nul=True)}"
        for v, n, t in zip(texts, names, typings, strict=True)
    )
    guard.check()
    try:
        run_copy(
            con,
            f"COPY (SELECT {select} FROM {source}) "
            f"TO {quote_literal(str(dest))} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP})",
            dest,
            limits.working_memory,
            limits,
        )
    finally:
        raw.unlink(missing_ok=True)
    strings = [
        t.duck == "VARCHAR" and t.expected is None and "s" in c and set(c) <= set(_STRING_KINDS)
        for c, t in zip(counts, typings, strict=True)
    ]
    types = [t.duck for t in typings]
    typed = _type_strings(con, dest, scratch, names, types, strings, limits, guard, bad_values)
    types = [typed.types.get(n, t) for n, t in zip(names, types, strict=True)]
    problems = sorted(problems + typed.problems, key=lambda p: p.row or 0)
    return (
        rows,
        names,
        types,
        null_counts(con, dest, len(names)),
        problems[: limits.max_problems],
        count + typed.count,
        notes + typed.notes,
    )


#: the kinds of value that are JSON strings (``_kind_sql``)
_STRING_KINDS = "smdtz"


def _type_strings(
    con: duckdb.DuckDBPyConnection,
    dest: Path,
    scratch: Path,
    names: list[str],
    types: list[str],
    strings: list[bool],
    limits: IngestLimits,
    guard: Guard,
    bad_values: str,
) -> Typed:
    """The text columns of ``dest`` that hold JSON strings alone (``strings``), typed as a CSV
    file's text columns are (:func:`.coerce.infer` on their first values, then every value
    checked): numbers, dates or booleans that an export or an API wrote as strings
    (``"45.47"``, ``"01/31/2024"``) are numbers, dates or booleans, with the same markers,
    problems and ``bad_values``; codes with leading zeros (``"02134"``) stay text.

    A column that also holds JSON numbers or ``true``/``false`` is typed by its kinds alone: a
    ``"12"`` among numbers stays a value of another kind.
    """
    columns = [n for n, t, s in zip(names, types, strings, strict=True) if s and t == "VARCHAR"]
    if not columns:
        return Typed()
    guard.check()
    sample = con.execute(
        f"SELECT {', '.join(quote_ident(c, allow_nul=True) for c in columns)} "
        f"FROM read_parquet({quote_literal(str(dest))}) LIMIT {MAX_SAMPLE_ROWS}"
    ).fetchall()
    candidates = []
    for i, name in enumerate(columns):
        target = infer([r[i] for r in sample if r[i] is not None], ",")
        if target is not None:
            candidates.append(Candidate(name, target, sniffed=False))
    typed = type_candidates(
        con, dest, scratch, names, candidates, limits.working_memory, limits, guard, bad_values
    )
    typed.notes[:0] = [
        f"column {name!r} is stored as {_TYPE_NAMES.get(duck, 'string')}: "
        "its values are written as JSON strings"
        for name, duck in typed.types.items()
    ]
    return typed


def _ingest_records(
    prep: Prepared,
    dest: Path,
    scratch: Path,
    con: duckdb.DuckDBPyConnection,
    limits: IngestLimits,
    guard: Guard,
    bad_values: str = "text",
) -> JsonResult:
    """The record reader: every record parsed strictly by orjson, then typed as the exact path types.

    For what DuckDB's reader is not strict enough about, refuses (repeated keys), or cannot
    reach (an object holding the table, a byte order mark). Records are staged as JSON Lines
    with positional keys.
    """
    notes: list[str] = []
    records = (
        _records_jsonl(prep.path, prep.offset, limits, guard)
        if prep.format == "jsonl"
        else _records_document(prep, limits, guard, notes)
    )
    unit = "line" if prep.format == "jsonl" else "element"
    keys: list[str] = []
    index: dict[str, int] = {}
    staged = scratch / "records.jsonl"
    rows = 0
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
                    if len(keys) >= limits.max_columns:
                        raise BadInput(f"the records have more than {limits.max_columns:,} distinct keys")
                    j = index[key] = len(keys)
                    keys.append(key)
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
    if not keys:
        raise BadInput("the JSON records have no fields")
    try:
        out_rows, names, types, nulls, problems, count, more = _type_and_write(
            staged, "newline_delimited", [f"c{j}" for j in range(len(keys))], keys, dest, scratch, con,
            limits, guard, bad_values, _staged_object_max(limits),
        )  # fmt: skip
    except _NotExact:
        raise BadInput("the JSON could not be read") from None
    finally:
        staged.unlink(missing_ok=True)
    return out_rows, names, types, nulls, problems, count, notes + more
