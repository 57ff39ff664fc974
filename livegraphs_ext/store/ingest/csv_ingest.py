"""Delimited text to typed Parquet through one streaming DuckDB COPY.

The dialect is decided here and pinned; DuckDB only sniffs the column types on a sample.
The COPY runs with ``store_rejects`` so that a value far down the file that breaks its
column's sniffed type does not fail the upload: that column is read again as text and the
offending rows are listed in the report. A clean file is read exactly once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ..errors import BadInput, Problem
from ..schema import ColumnType
from ..sql import quote_ident, quote_literal
from .dialect import BOOL_WORDS, Dialect, detect, has_leading_zero, kind
from .engine import run_copy
from .limits import Guard, IngestLimits
from .prescan import Prepared

ROW_GROUP = 122_880
#: a column read as TIMESTAMP (ISO) and stored as DATE
ISO_DATE = "ISO_DATE"
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
#: a text column whose sample is at least this share numbers is reported as "expected a number"
MOSTLY_NUMERIC = 0.95
#: ... as long as the whole column has no more than this share of non-numbers
FEW_OUTLIERS = 0.10
REJECTS_LIMIT = 1000
STRUCTURE_SHOWN = 20

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
) -> str:
    read = ["TIMESTAMP" if t == ISO_DATE else t for t in types]
    columns = ", ".join(
        f"{quote_literal(n)}: {quote_literal(t)}" for n, t in zip(dialect.names, read, strict=True)
    )
    names = [quote_ident(n, allow_nul=True) for n in dialect.names]
    select = ", ".join(
        # date_trunc keeps the optimiser from pushing a DATE cast (with the file's other
        # date format) into the CSV reader
        f"CAST(date_trunc('day', {n}) AS DATE) AS {n}" if t == ISO_DATE else n
        for n, t in zip(names, types, strict=True)
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


def _check_condition(col: str, duck_type: str, fmt: tuple[str | None, str | None]) -> str:
    c = quote_ident(col, allow_nul=True)
    if duck_type == ISO_DATE:
        test = f"TRY_CAST({c} AS DATE)"
    elif duck_type == "DATE" and fmt[0]:
        test = f"try_strptime({c}, {quote_literal(fmt[0])})"
    elif duck_type in ("TIMESTAMP", "TIMESTAMPTZ") and fmt[1]:
        test = f"try_strptime({c}, {quote_literal(fmt[1])})"
    else:
        test = f"TRY_CAST({c} AS {duck_type})"
    return f"{c} IS NOT NULL AND {test} IS NULL"


def _problems(
    con: duckdb.DuckDBPyConnection,
    dest: Path,
    checks: dict[str, str],
    fmt: tuple[str | None, str | None],
    limits: IngestLimits,
    require_few: set[str],
) -> tuple[list[Problem], int]:
    problems: list[Problem] = []
    total = 0
    src = f"read_parquet({quote_literal(str(dest))}, file_row_number=true)"
    for col, duck_type in checks.items():
        cond = _check_condition(col, duck_type, fmt)
        bad, filled = con.execute(
            f"SELECT count(*) FILTER (WHERE {cond}), count({quote_ident(col, allow_nul=True)}) FROM {src}"
        ).fetchone() or (0, 0)
        if not bad or (col in require_few and bad > FEW_OUTLIERS * filled):
            continue
        total += bad
        rows = con.execute(
            f"SELECT file_row_number + 1, {quote_ident(col, allow_nul=True)} FROM {src} WHERE {cond} "
            f"ORDER BY 1 LIMIT {int(limits.max_problems)}"
        ).fetchall()
        expected = _TYPE_NAMES.get(duck_type, "string")
        problems.extend(Problem(row=int(r), column=col, value=v, expected=expected) for r, v in rows)
    problems.sort(key=lambda p: p.row or 0)
    return problems[: limits.max_problems], total


def ingest_csv(
    prep: Prepared,
    dest: Path,
    con: duckdb.DuckDBPyConnection,
    limits: IngestLimits,
    guard: Guard,
    delimiter_hint: str | None,
) -> CsvOutcome:
    """Read delimited text at ``prep.path`` into typed Parquet at ``dest``."""
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
    sniffed = list(types)
    broken: set[str] = set()
    rows = 0
    long_lines = False
    for _ in range(len(types) + 2):
        guard.check()
        con.execute("DROP TABLE IF EXISTS reject_errors")
        con.execute("DROP TABLE IF EXISTS reject_scans")
        dest.unlink(missing_ok=True)
        result = run_copy(
            con, _copy_sql(prep.path, dest, dialect, types, fmt, limits, long_lines), dest, budget, limits
        )
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
    checks: dict[str, str] = {n: sniffed[j] for j, n in enumerate(dialect.names) if n in broken}
    mostly_numbers: set[str] = set()
    for j, name in enumerate(dialect.names):
        if types[j] != "VARCHAR" or name in checks:
            continue
        values = [k for k in (kind(r[j]) for r in dialect.rows if j < len(r)) if k != "empty"]
        numeric = [k for k in values if k in ("integer", "float")]
        # all-numeric samples count too: the sniffer may have seen text further down than this sample
        if (
            values
            and len(numeric) >= MOSTLY_NUMERIC * len(values)
            and not any(has_leading_zero(r[j]) for r in dialect.rows if j < len(r))
        ):
            checks[name] = "BIGINT" if all(k == "integer" for k in numeric) else "DOUBLE"
            mostly_numbers.add(name)
    problems, count = _problems(con, dest, checks, fmt, limits, mostly_numbers) if checks else ([], 0)
    for name in sorted(broken):
        notes.append(f"column {name!r} is stored as text: some values do not fit the type of the rest")
    stored = ["DATE" if t == ISO_DATE else t for t in types]
    return CsvOutcome(rows, dialect.names, stored, problems, count, dialect, notes)
