"""Delimited text to typed Parquet through one streaming DuckDB COPY.

The dialect is decided here and pinned; DuckDB only sniffs the column types on a sample.
The COPY runs with ``store_rejects`` so that a value far down the file that breaks its
column's sniffed type does not fail the upload: that column is read again as text and the
offending rows are listed in the report. A clean file is read exactly once.

Text columns whose values nearly all share one type (numbers next to ``NA`` markers, dates
with one typo, numbers with decimal commas; see ``coerce``) are then checked over the whole
Parquet file in one query, and the file is written once more with those columns converted.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ..errors import BadInput, Problem
from ..schema import ColumnType
from ..sql import quote_ident, quote_literal
from .coerce import (
    DECIMAL_INTEGER,
    FILE_OUTLIERS,
    TIME_RANGE,
    Target,
    bad_sql,
    few,
    infer,
    leading_zero_sql,
    missing_sql,
    outside_range_sql,
    value_sql,
)
from .dialect import BOOL_WORDS, Dialect, detect, has_leading_zero
from .engine import run_copy
from .limits import Guard, IngestLimits
from .prescan import Prepared

ROW_GROUP = 122_880
#: a column read as TIMESTAMP (ISO) and stored as DATE
ISO_DATE = "ISO_DATE"
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
REJECTS_LIMIT = 1000
STRUCTURE_SHOWN = 20

#: a value of each type, in the report's words
_PHRASE: dict[str, str] = {
    "integer": "an integer",
    "float": "a number",
    "boolean": "true or false",
    "date": "a date",
    "datetime": "a date and time",
    "string": "text",
}

_TYPE_NAMES: dict[str, ColumnType] = {
    "BIGINT": "integer",
    "DOUBLE": "float",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "datetime",
    "TIMESTAMPTZ": "datetime",
    "VARCHAR": "string",
    ISO_DATE: "date",
}


@dataclass
class CsvOutcome:
    rows: int
    names: list[str]
    types: list[str]
    problems: list[Problem]
    problem_count: int
    dialect: Dialect
    notes: list[str] = field(default_factory=list)


def _options(dialect: Dialect, limits: IngestLimits, long_lines: bool = False) -> str:
    sizes = ""
    if long_lines:
        # DuckDB's default (2 MB lines, 32 MB buffers) reads nearly every file and keeps
        # memory low; only a file that proved to need more gets bigger buffers.
        max_line = max(limits.max_line_bytes + 1024, 2**20)
        sizes = f", max_line_size={max_line}, buffer_size={max(2 * max_line, 32 * 2**20)}"
    return (
        f"delim={quote_literal(dialect.delimiter)}, quote='\"', escape='\"', "
        f"header={str(dialect.header).lower()}, comment='', skip=0, strict_mode=true, "
        f"null_padding=false{sizes}"
    )


def _map_type(duck: str, values: list[str], notes: list[str], name: str) -> str:
    t = duck.upper()
    if t in (
        "BIGINT",
        "INTEGER",
        "SMALLINT",
        "TINYINT",
        "UINTEGER",
        "USMALLINT",
        "UTINYINT",
        "DOUBLE",
        "FLOAT",
    ):
        # codes such as zip codes or "007" keep their leading zeros
        if any(has_leading_zero(v) for v in values):
            return "VARCHAR"
        return "DOUBLE" if t in ("DOUBLE", "FLOAT") else "BIGINT"
    if t in ("HUGEINT", "UBIGINT", "UHUGEINT") or t.startswith("DECIMAL"):
        if any(has_leading_zero(v) for v in values):
            return "VARCHAR"
        if not t.startswith("DECIMAL"):
            notes.append(f"column {name!r} holds integers beyond 64 bits; they are stored as floats")
        return "DOUBLE"
    if t == "BOOLEAN":
        # only true/false/t/f are booleans; yes/no, y/n and 0/1 stay as written
        if all(v.strip().lower() in BOOL_WORDS for v in values if v.strip()):
            return "BOOLEAN"
        return "VARCHAR"
    if t == "DATE":
        return "DATE"
    if t == "TIMESTAMP":
        # DuckDB has one date format per file; ISO dates next to another format sniff as timestamps
        if values and all(_ISO_DAY.fullmatch(v.strip()) for v in values if v.strip()):
            return ISO_DATE
        return "TIMESTAMP"
    if t in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"):
        return "TIMESTAMPTZ"
    return "VARCHAR"


def _sniff_types(
    con: duckdb.DuckDBPyConnection, path: Path, dialect: Dialect, limits: IngestLimits, notes: list[str]
) -> tuple[list[str], str | None, str | None]:
    width = len(dialect.names)
    row = None
    for long_lines in (False, True):
        options = _options(dialect, limits, long_lines).replace("strict_mode=true", "strict_mode=false")
        try:
            row = con.execute(
                f"SELECT Columns, DateFormat, TimestampFormat FROM sniff_csv({quote_literal(str(path))}, "
                f"{options}, sample_size=20480)"
            ).fetchone()
            break
        except duckdb.InterruptException:
            raise
        except duckdb.Error:
            row = None
    if row is None or len(row[0]) != width:
        notes.append("column types could not be detected; every column is stored as text")
        return ["VARCHAR"] * width, None, None
    columns, date_format, ts_format = row
    types = []
    for j, col in enumerate(columns):
        values = [r[j] for r in dialect.rows if j < len(r)]
        types.append(_map_type(col["type"], values, notes, dialect.names[j]))
    return types, date_format or None, ts_format or None


def _copy_sql(
    path: Path,
    dest: Path,
    dialect: Dialect,
    types: list[str],
    fmt: tuple[str | None, str | None],
    limits: IngestLimits,
    long_lines: bool,
    wide: frozenset[int] = frozenset(),
) -> str:
    """The COPY of the file's rows in ``types`` (``wide``: the integer columns whose sample holds
    one past 2**53, read as text; see :func:`_checked`)."""
    # ISO times are read with their offsets (DuckDB's TIMESTAMP read drops "+02" without a word)
    zoned = not fmt[1]
    read = [_read_type(t, j in wide, zoned) for j, t in enumerate(types)]
    columns = ", ".join(
        f"{quote_literal(n)}: {quote_literal(t)}" for n, t in zip(dialect.names, read, strict=True)
    )
    names = [quote_ident(n, allow_nul=True) for n in dialect.names]
    select = ", ".join(
        f"{_checked(n, t, j, j in wide, zoned)} AS {n}"
        for j, (n, t) in enumerate(zip(names, types, strict=True))
    )
    formats = ""
    if fmt[0] and "DATE" in types:
        formats += f", dateformat={quote_literal(fmt[0])}"
    if fmt[1] and ("TIMESTAMP" in read or "TIMESTAMPTZ" in read):
        formats += f", timestampformat={quote_literal(fmt[1])}"
    return (
        f"COPY (SELECT {select} FROM read_csv({quote_literal(str(path))}, auto_detect=false, "
        f"columns={{{columns}}}, "
        f"{_options(dialect, limits, long_lines)}{formats}, "
        f"store_rejects=true, rejects_limit={REJECTS_LIMIT})) "
        f"TO {quote_literal(str(dest))} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP})"
    )


def _read_type(t: str, wide: bool, zoned: bool) -> str:
    """The type DuckDB's reader reads a column of type ``t`` in; :func:`_checked` stores it as ``t``."""
    if t == ISO_DATE:
        return "TIMESTAMP"
    if t == "BIGINT":
        return "VARCHAR" if wide else "DOUBLE"
    if t == "TIMESTAMP" and zoned:
        return "TIMESTAMPTZ"
    if t == "BOOLEAN":
        return "VARCHAR"
    return t


#: floats hold every integer below this exactly
EXACT_FLOAT_INTS = 2**53
#: what stops a read at a value of column j its type's rules refuse: ``MISREAD`` then j
MISREAD = "livegraphs: a value its type refuses in column "


def _checked(c: str, t: str, j: int, wide: bool = False, zoned: bool = False) -> str:
    """The value of column ``c`` (the ``j``-th) as stored in type ``t``. A value DuckDB's reader
    takes and the type's rules do not stops the read with :data:`MISREAD` and ``j``, as a
    refused cast would: a fraction in an integer column (the reader casts "2.5" to 3), a
    float that is not finite (``NaN`` is a missing value and ``inf`` or ``1e400`` not a
    number, as in a text column), a date or time outside years 1 to 9999 (year 0, five-digit
    years: no page could show them).

    An integer column is read as a float, which costs what reading it as an integer does, and
    stored as an integer when the float is one below 2**53, where every integer is exact; a
    ``wide`` one, as text, which costs a sixth more: the read stops at a fraction or an
    exponent. A column whose first integer past 2**53 comes after the sample is then typed as
    one a read refused.

    A ``BOOLEAN`` column is read as text (short words: it costs what the typed read does) and
    takes only the words of :data:`~.dialect.BOOL_WORDS`.

    A ``zoned`` read of a ``TIMESTAMP`` column (ISO times) reads it as ``TIMESTAMPTZ``, about
    0.05 s more a column at 1M rows: a time with an offset past the sample is stored as its UTC
    time (one in the sample makes the column a zoned one), where DuckDB's ``TIMESTAMP`` read
    drops the offset."""
    stop = f"error({quote_literal(MISREAD + str(j))})"
    if t == "BIGINT" and not wide:
        return (
            f"CASE WHEN {c} = trunc({c}) AND abs({c}) < {EXACT_FLOAT_INTS} THEN CAST({c} AS BIGINT) "
            f"WHEN {c} IS NOT NULL THEN {stop} END"
        )
    if t == "BIGINT":
        return (
            f"CASE WHEN {c} IS NULL THEN NULL "
            f"WHEN NOT regexp_full_match({c}, {quote_literal(DECIMAL_INTEGER)}) "
            f"OR TRY_CAST({c} AS BIGINT) IS NULL THEN {stop} ELSE TRY_CAST({c} AS BIGINT) END"
        )
    if t == "DOUBLE":
        return f"CASE WHEN NOT isfinite({c}) THEN {stop} ELSE {c} END"
    if t == "BOOLEAN":
        # read as text: DuckDB's reader also takes 1/0, yes/no and y/n, which the rules leave as written
        word = f"lower({c})"
        return (
            f"CASE WHEN {c} IS NULL THEN NULL WHEN {word} IN ('true', 't') THEN true "
            f"WHEN {word} IN ('false', 'f') THEN false ELSE {stop} END"
        )
    if t == ISO_DATE:
        # date_trunc keeps the optimiser from pushing a DATE cast (with the file's other
        # date format) into the CSV reader
        day = f"CAST(date_trunc('day', {c}) AS DATE)"
        return f"CASE WHEN {outside_range_sql(day, 'DATE')} THEN {stop} ELSE {day} END"
    if t == "TIMESTAMP" and zoned:
        # its UTC time (a cast to TIMESTAMP would be pushed into the reader, which then drops
        # the offset again; timezone('UTC', ...) costs twice what this does); infinity has none
        utc = f"make_timestamp(epoch_us({c}))"
        return f"CASE WHEN {outside_range_sql(c, 'TIMESTAMPTZ')} THEN {stop} ELSE {utc} END"
    if t in TIME_RANGE:
        return f"CASE WHEN {outside_range_sql(c, t)} THEN {stop} ELSE {c} END"
    return c


def _past_exact_floats(value: str) -> bool:
    try:
        return abs(int(value.strip())) >= EXACT_FLOAT_INTS
    except ValueError:
        return False


def _misread_column(exc: duckdb.Error, names: list[str]) -> str | None:
    """The column a check stopped the read at (see :func:`_checked`)."""
    found = re.search(re.escape(MISREAD) + r"(\d+)", str(exc))
    return names[int(found.group(1))] if found and int(found.group(1)) < len(names) else None


def _budget(sample: str, limits: IngestLimits) -> int:
    """Memory for the COPY: the working memory plus a few row groups of the sample's rows."""
    row_bytes = len(sample.encode("utf-8", "replace")) / max(1, sample.count("\n"))
    wide = int(limits.row_groups_in_memory * row_bytes * ROW_GROUP)
    return min(limits.max_memory, limits.working_memory + wide)


def _structure_error(rejects: list[tuple], header: bool) -> BadInput:
    problems = []
    for line, column, error_type, csv_line, message in rejects[:STRUCTURE_SHOWN]:
        text = (csv_line or "")[:200]
        detail = message.split(". Possible")[0] if message else error_type
        problems.append(Problem(row=None, column=column, value=text, expected=f"line {line}: {detail}"))
    lines = ", ".join(str(r[0]) for r in rejects[:STRUCTURE_SHOWN])
    more = " and more" if len(rejects) > STRUCTURE_SHOWN else ""
    return BadInput(
        f"the file is not well-formed delimited text: bad rows at lines {lines}{more}", errors=problems
    )


def _values(n: int) -> str:
    return "1 value" if n == 1 else f"{n:,} values"


def _target(duck_type: str, fmt: tuple[str | None, str | None]) -> Target:
    """The conversion back to a type the reader sniffed (and a value further down broke)."""
    if duck_type == "DATE":
        return Target("DATE", fmt[0])
    if duck_type == "TIMESTAMP":
        return Target("TIMESTAMP", fmt[1])
    return Target(duck_type)


@dataclass
class Candidate:
    """A text column that may hold one type, and what the whole file says about it."""

    name: str
    target: Target
    #: the type a value further down broke: its bad values are listed however many they are
    sniffed: bool
    duck: str = ""
    bad: int = 0
    fitting: int = 0
    markers: int = 0


def _measure(con: duckdb.DuckDBPyConnection, src: str, candidates: list[Candidate]) -> None:
    """Count, in one read of the Parquet file, each candidate's fitting values, bad values and markers."""
    parts: list[str] = []
    for cand in candidates:
        c = quote_ident(cand.name, allow_nul=True)
        parts.append(f"count(*) FILTER (WHERE {missing_sql(c)})")
        parts.append(f"count({c})")
        parts.append(f"count(*) FILTER (WHERE {bad_sql(c, cand.target)})")
        if cand.target.duck in ("BIGINT", "DOUBLE") and not cand.target.comma:
            other = "DOUBLE" if cand.target.duck == "BIGINT" else "BIGINT"
            parts.append(f"count(*) FILTER (WHERE {bad_sql(c, cand.target, other)})")
            # a code with a leading zero further down makes the column codes, not numbers
            parts.append(f"count(*) FILTER (WHERE {leading_zero_sql(c)})")
        else:
            parts.extend(["0", "0"])
    counts = con.execute(f"SELECT {', '.join(parts)} FROM {src}").fetchone() or ()
    for i, cand in enumerate(candidates):
        markers, filled, bad, bad_other, zeros = counts[5 * i : 5 * i + 5]
        cand.duck = cand.target.duck
        if cand.target.duck in ("BIGINT", "DOUBLE") and not cand.target.comma:
            if zeros and not cand.sniffed:
                bad = filled  # not a number column: neither converted nor reported
            elif cand.target.duck == "BIGINT" and bad_other < bad:
                cand.duck, bad = "DOUBLE", bad_other
            elif cand.target.duck == "DOUBLE" and bad_other == bad:
                cand.duck = "BIGINT"
        cand.markers, cand.bad, cand.fitting = int(markers), int(bad), int(filled - markers - bad)


def _problems(
    con: duckdb.DuckDBPyConnection, src: str, candidates: list[Candidate], limits: IngestLimits
) -> tuple[list[Problem], int]:
    problems: list[Problem] = []
    total = 0
    for cand in candidates:
        if not cand.bad:
            continue
        total += cand.bad
        c = quote_ident(cand.name, allow_nul=True)
        rows = con.execute(
            f"SELECT file_row_number + 1, {c} FROM {src} WHERE {bad_sql(c, cand.target, cand.duck)} "
            f"ORDER BY 1 LIMIT {int(limits.max_problems)}"
        ).fetchall()
        expected = _TYPE_NAMES.get(cand.duck, "string")
        problems.extend(Problem(row=int(r), column=cand.name, value=v, expected=expected) for r, v in rows)
    problems.sort(key=lambda p: p.row or 0)
    return problems[: limits.max_problems], total


def _retype(
    con: duckdb.DuckDBPyConnection,
    dest: Path,
    scratch: Path,
    names: list[str],
    converted: dict[str, Candidate],
    budget: int,
    limits: IngestLimits,
) -> None:
    """Write ``dest`` again with the ``converted`` text columns in their types (one read, one write)."""
    select = []
    for n in names:
        c = quote_ident(n, allow_nul=True)
        cand = converted.get(n)
        select.append(f"{value_sql(c, cand.target, cand.duck)} AS {c}" if cand else c)
    tmp = scratch / "typed.parquet"
    run_copy(
        con,
        f"COPY (SELECT {', '.join(select)} FROM read_parquet({quote_literal(str(dest))})) "
        f"TO {quote_literal(str(tmp))} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP})",
        tmp,
        budget,
        limits,
    )
    shutil.move(tmp, dest)


@dataclass
class Typed:
    """What :func:`type_candidates` made of its text columns."""

    #: each converted column's stored type
    types: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    #: the values that broke their column's type, all of them (``problems`` lists the first)
    count: int = 0
    notes: list[str] = field(default_factory=list)


def type_candidates(
    con: duckdb.DuckDBPyConnection,
    dest: Path,
    scratch: Path,
    names: list[str],
    candidates: list[Candidate],
    budget: int,
    limits: IngestLimits,
    guard: Guard,
    bad_values: str,
) -> Typed:
    """Check the text ``candidates`` of the Parquet file ``dest`` over every row, and write it
    again with those that keep their type converted (``names``: its columns).

    A column keeps the type most of its values share; with too many misfits it is text. Values
    that break the type are listed; ``bad_values="null"`` keeps the type and stores them as
    missing. A sniffed candidate that stays text is left to the caller to note.
    """
    out = Typed()
    if not candidates:
        return out
    guard.check()
    src = f"read_parquet({quote_literal(str(dest))}, file_row_number=true)"
    _measure(con, src, candidates)
    typed = [c for c in candidates if c.sniffed or few(c.bad, c.fitting, FILE_OUTLIERS)]
    typed = [c for c in typed if c.fitting or c.bad]
    out.problems, out.count = _problems(con, src, typed, limits)
    converted = {c.name: c for c in typed if not c.bad or bad_values == "null"}
    if converted:
        guard.check()
        _retype(con, dest, scratch, names, converted, budget, limits)
    for c in typed:
        kind = _TYPE_NAMES.get(c.duck, "string")
        if c.name in converted:
            out.types[c.name] = "DATE" if c.duck == ISO_DATE else c.duck
            if c.bad:
                out.notes.append(
                    f"column {c.name!r} is stored as {kind}: {_values(c.bad)} not "
                    f"{_PHRASE[kind]} stored as missing"
                )
            if c.markers:
                out.notes.append(
                    f"column {c.name!r} is stored as {kind}: {_values(c.markers)} such as NA, N/A or "
                    "blank read as missing"
                )
            if c.target.comma:
                out.notes.append(f"column {c.name!r} holds numbers written with a decimal comma")
        elif not c.sniffed:
            out.notes.append(
                f"column {c.name!r} is stored as text: {_values(c.bad)} not {_PHRASE[kind]} "
                "(upload with bad_values=null to keep the type and store them as missing)"
            )
    return out


def ingest_csv(
    prep: Prepared,
    dest: Path,
    con: duckdb.DuckDBPyConnection,
    limits: IngestLimits,
    guard: Guard,
    delimiter_hint: str | None,
    scratch: Path,
    bad_values: str = "text",
) -> CsvOutcome:
    """Read delimited text at ``prep.path`` into typed Parquet at ``dest``.

    A text column whose values all share one type but for missing-value markers, or whose
    numbers use decimal commas, is converted to that type. Values that break the type most of
    a column shares are listed as problems; ``bad_values="null"`` keeps the type and stores
    them as missing, ``"text"`` keeps the column as text.
    """
    notes: list[str] = []
    dialect = detect(prep.sample, prep.sample_complete, delimiter_hint)
    if not dialect.names:
        raise BadInput("the file holds no rows")
    if len(dialect.names) > limits.max_columns:
        raise BadInput(
            f"the file has {len(dialect.names):,} columns; at most {limits.max_columns:,} are allowed"
        )
    if dialect.ragged:
        width = len(dialect.names)
        shown = dialect.ragged[:STRUCTURE_SHOWN]
        raise BadInput(
            f"rows must all have {width} fields (delimiter {dialect.delimiter!r}); lines "
            + ", ".join(str(line) for line, _ in shown)
            + (" and more" if len(dialect.ragged) > len(shown) else "")
            + " do not",
            errors=[
                Problem(row=None, column=None, value=n, expected=f"line {line}: {width} fields")
                for line, n in shown
            ],
        )
    if dialect.renamed:
        notes.append("empty or repeated column names were renamed")
    guard.check()
    budget = _budget(prep.sample, limits)
    types, *formats = _sniff_types(con, prep.path, dialect, limits, notes)
    fmt = (formats[0], formats[1])
    for j in range(len(types)):
        # the reader takes NaN for a float; next to numbers it marks a missing value (converted below)
        if types[j] == "DOUBLE" and any(r[j] == "NaN" for r in dialect.rows if j < len(r)):
            types[j] = "VARCHAR"
    sniffed = list(types)
    wide = frozenset(
        j
        for j, t in enumerate(types)
        if t == "BIGINT" and any(_past_exact_floats(r[j]) for r in dialect.rows if j < len(r))
    )
    broken: set[str] = set()
    rows = 0
    long_lines = False
    for _ in range(len(types) + 2):
        guard.check()
        con.execute("DROP TABLE IF EXISTS reject_errors")
        con.execute("DROP TABLE IF EXISTS reject_scans")
        dest.unlink(missing_ok=True)
        try:
            result = run_copy(
                con,
                _copy_sql(prep.path, dest, dialect, types, fmt, limits, long_lines, wide),
                dest,
                budget,
                limits,
            )
        except (duckdb.InterruptException, duckdb.OutOfMemoryException):
            raise
        except duckdb.Error as exc:
            misread = _misread_column(exc, dialect.names)
            if misread is None:
                raise
            if misread in broken:
                raise BadInput("the file could not be read consistently") from None
            # typed as a column a read refused: a fraction makes it float, NaN is missing, and
            # a word, an infinite float or a date past year 9999 is a value that breaks the type
            broken.add(misread)
            types = ["VARCHAR" if n in broken else t for n, t in zip(dialect.names, sniffed, strict=True)]
            continue
        rows = int(result[0]) if result else 0
        rejects = con.execute(
            "SELECT line, column_name, error_type, csv_line, error_message FROM reject_errors ORDER BY line"
        ).fetchall()
        if not rejects:
            break
        structural = [r for r in rejects if r[2] != "CAST"]
        if not long_lines and structural and all(r[2] == "LINE SIZE OVER MAXIMUM" for r in structural):
            long_lines = True
            continue
        if structural:
            raise _structure_error(structural, dialect.header)
        newly = {r[1] for r in rejects} - broken
        if not newly:
            raise BadInput("the file could not be read consistently")
        broken |= newly
        types = ["VARCHAR" if n in broken else t for n, t in zip(dialect.names, sniffed, strict=True)]
    candidates: list[Candidate] = []
    for j, name in enumerate(dialect.names):
        if name in broken:
            candidates.append(Candidate(name, _target(sniffed[j], fmt), sniffed=True))
        elif types[j] == "VARCHAR":
            target = infer([r[j] for r in dialect.rows if j < len(r)], dialect.delimiter)
            if target is not None:
                candidates.append(Candidate(name, target, sniffed=False))
    typed = type_candidates(con, dest, scratch, dialect.names, candidates, budget, limits, guard, bad_values)
    for name, duck in typed.types.items():
        broken.discard(name)
        types[dialect.names.index(name)] = duck
    notes.extend(typed.notes)
    problems, count = typed.problems, typed.count
    for name in sorted(broken):
        notes.append(
            f"column {name!r} is stored as text: some values do not fit the type of the rest "
            "(upload with bad_values=null to keep the type and store them as missing)"
        )
    stored = ["DATE" if t == ISO_DATE else t for t in types]
    return CsvOutcome(rows, dialect.names, stored, problems, count, dialect, notes)
