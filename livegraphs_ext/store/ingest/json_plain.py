"""JSON Lines and JSON arrays whose columns each hold one kind of value, in one DuckDB read.

The kinds are taken from the first records (read strictly by orjson) and then *pinned*:
DuckDB reads every value's JSON text (``maximum_depth=1``) and each column's conversion
accepts only its kind, so a string in a number column, a fraction in an integer column,
NaN, an object, a date that does not exist, text that looks like a date in a text column
or a missing-value marker outside a text column stops the read (``error()``). DuckDB's
own detection, run on the same first records, refuses any key past them. What its parser
allows and RFC 8259 does not (trailing commas) and records that are ``null`` are searched
for in the bytes while it reads. Anything unexpected makes the caller read the file the
exact way, so the report (types, problems, errors) is the same either way; this path
only ever gives files whose every column holds a single kind of value, which have no
problems to list.
"""

from __future__ import annotations

import contextlib
import mmap
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from ..errors import StoreError
from ..sql import quote_ident, quote_literal
from .coerce import ISO_DAY, ISO_TIME, ISO_ZONED, outside_range_sql
from .csv_ingest import ROW_GROUP
from .engine import null_counts, set_budget
from .jsonsplit import JSON_SPACE
from .limits import Guard, IngestLimits

#: JSON Lines are sampled in blocks of this size; a longer line is left to the exact path
BLOCK = 4 * 2**20
#: The longest record this path reads (DuckDB's default). DuckDB sizes its read buffers from
#: it: at the exact path's 33 MiB, within the ingest's memory budget, the same read took 1.5
#: times as long. A longer record stops the read and the exact path takes the file.
OBJECT_MAX = 16 * 2**20

#: a string that looks like a date (in a text column it could change the column's type)
_DATE_LIKE = quote_literal('^"' + ISO_DAY)
#: each date type's strings, quotes included
_QUOTED = {
    t: quote_literal('"' + p + '"')
    for t, p in (("DATE", ISO_DAY), ("TIMESTAMP", ISO_TIME), ("TIMESTAMPTZ", ISO_ZONED))
}

#: value kinds of a column (from the sample) -> its stored type
_PLANS: dict[frozenset[str], str] = {
    frozenset(): "VARCHAR",
    frozenset({"integer"}): "BIGINT",
    frozenset({"float"}): "DOUBLE",
    frozenset({"integer", "float"}): "DOUBLE",
    frozenset({"boolean"}): "BOOLEAN",
    frozenset({"text"}): "VARCHAR",
    frozenset({"date"}): "DATE",
    frozenset({"datetime"}): "TIMESTAMP",
    frozenset({"datetimetz"}): "TIMESTAMPTZ",
}


@dataclass
class PlainResult:
    rows: int
    types: list[str]
    nulls: list[int]


def plan(kinds: list[frozenset[str]]) -> list[tuple[str, bool]] | None:
    """Each column's stored type (and whether it had values), or None when a column is mixed."""
    out = []
    for k in kinds:
        t = _PLANS.get(k)
        if t is None:
            return None
        out.append((t, bool(k)))
    return out


def unquoted(v: str) -> str:
    """SQL for the text of the JSON value ``v``: a string unquoted, any other value as its JSON
    text. DuckDB's unquoting costs half what a slice of a string's text does (it counts characters)."""
    return f"({v} ->> '$')"


def _convert(v: str, duck: str, seen: bool) -> str:
    """SQL for the value of the JSON text ``v`` in a column of ``duck``; any other kind stops the read."""
    stop = f"CASE WHEN {v} IS NOT NULL THEN error('not plain') END"
    if not seen:
        return f"CAST({stop} AS VARCHAR)"
    if duck == "VARCHAR":
        # only strings (markers stay text in a text column); date-like text would change the type
        text = unquoted(v)
        return (
            # (the anchored pattern alone costs less than a test of the first character before it)
            f"CASE WHEN starts_with({v}, '\"') AND NOT regexp_matches({v}, {_DATE_LIKE}) "
            f"THEN {text} ELSE CAST({stop} AS VARCHAR) END"
        )
    # a number's JSON text is cast as text: a cast of the JSON value would also take a string
    # ("12") or a boolean, which the exact path lists as values of another kind
    text = f"CAST({v} AS VARCHAR)"
    if duck == "BIGINT":
        value = (
            f"CASE WHEN NOT contains({v}, '.') AND NOT contains({v}, 'e') AND NOT contains({v}, 'E') "
            f"THEN TRY_CAST({text} AS BIGINT) END"
        )
    elif duck == "DOUBLE":
        value = f"CASE WHEN isfinite(TRY_CAST({text} AS DOUBLE)) THEN TRY_CAST({text} AS DOUBLE) END"
    elif duck == "BOOLEAN":
        value = f"CASE {v} WHEN 'true' THEN true WHEN 'false' THEN false END"
    else:
        iso = f"regexp_full_match({v}, {_QUOTED[duck]})"
        cast = f"TRY_CAST({unquoted(v)} AS {duck})"
        if duck == "TIMESTAMPTZ":
            # an offset can carry a time of year 1 or 9999 out of them
            cast = f"CASE WHEN {outside_range_sql(cast, duck)} THEN NULL ELSE {cast} END"
        value = f"CASE WHEN {iso} THEN {cast} END"
    return f"coalesce({value}, CAST({stop} AS {duck}))"


def ingest_plain(
    path: Path,
    fmt: str,
    dest: Path,
    con: duckdb.DuckDBPyConnection,
    limits: IngestLimits,
    guard: Guard,
    keys: list[str],
    names: list[str],
    kinds: list[frozenset[str]],
    sampled: int,
    scanned: dict[Path, bool] | None = None,
    lines: ArrayLines | None = None,
) -> PlainResult | None:
    """Write ``path`` (``fmt``: newline_delimited or array) to ``dest``, the sample's kinds pinned.

    ``sampled`` is the number of records the kinds come from. Returns None, with ``dest``
    absent, when the file is not as plain as the sample says; the caller then reads it the
    exact way. Cancel and time limits raise. What :func:`lenient` found of ``path``, once its
    search ran to the end, is kept in ``scanned`` for the exact way.

    DuckDB reads an array on one thread and JSON Lines on all of them: an array is read from
    ``lines``, its copy as JSON Lines (:func:`array_as_lines`), when there is one, and as an
    array only when that copy does not parse (``lines.usable`` is then False).
    """
    plans = plan(kinds)
    if plans is None:
        return None
    args = (dest, con, limits, guard, _Pinned(keys, names, plans, sampled), scanned)
    if lines is not None and lines.usable:
        out = _read(lines.path, "newline_delimited", *args)
        if out is not _MALFORMED:
            if out is not None and out.rows != lines.records:
                # records on lines of their own with no comma between them: not JSON
                lines.usable = False
                dest.unlink(missing_ok=True)
                return None
            return out
        lines.usable = False
    out = _read(path, fmt, *args)
    return None if out is _MALFORMED else out


class _Malformed:
    """What :func:`_read` gives when DuckDB's parser refused the bytes (not a value's kind)."""


_MALFORMED: Any = _Malformed()


@dataclass
class _Pinned:
    """What the sample pinned: the keys, the columns' names, their types and how many records."""

    keys: list[str]
    names: list[str]
    plans: list[tuple[str, bool]]
    sampled: int


def _read(
    path: Path,
    fmt: str,
    dest: Path,
    con: duckdb.DuckDBPyConnection,
    limits: IngestLimits,
    guard: Guard,
    pinned: _Pinned,
    scanned: dict[Path, bool] | None,
) -> PlainResult | None:
    """One plain read of ``path``: its result, None when a value or key is not as the sample
    says, or ``_MALFORMED`` when DuckDB's parser refused the bytes."""
    keys, names, plans, sampled = pinned.keys, pinned.names, pinned.plans, pinned.sampled
    source = (
        f"read_json({quote_literal(str(path))}, format={quote_literal(fmt)}, records=true, "
        f"maximum_depth=1, sample_size={max(1, sampled)}, "
        f"maximum_object_size={min(OBJECT_MAX, 2 * limits.max_line_bytes + 2**20)})"
    )
    try:
        found = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
    except duckdb.InterruptException:
        raise
    except duckdb.Error as exc:
        guard.check()
        return _MALFORMED if malformed(exc) else None
    # DuckDB refuses keys its detection did not see: it must have seen the sample's keys
    if sorted(r[0] for r in found) != sorted(keys) or any(r[1] != "JSON" for r in found):
        return None
    select = ", ".join(
        f"{_convert(quote_ident(k, allow_nul=True), duck, seen)} AS {quote_ident(n, allow_nul=True)}"
        for k, n, (duck, seen) in zip(keys, names, plans, strict=True)
    )
    # the bytes are searched for what DuckDB's parser lets through while it reads
    verdict: list[bool] = []

    def scan() -> None:
        try:
            verdict.append(lenient(path, fmt, Guard(guard.remaining(), guard.cancel)))
        except StoreError:
            verdict.append(True)  # cancel or clock: the watchdog stops DuckDB and the caller reports it
            return
        if scanned is not None:
            scanned[path] = verdict[0]

    checker = threading.Thread(target=scan, name="ingest-json-scan", daemon=True)
    set_budget(con, limits.working_memory)
    checker.start()
    try:
        row = con.execute(
            f"COPY (SELECT {select} FROM {source}) "
            f"TO {quote_literal(str(dest))} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP})"
        ).fetchone()
    except duckdb.InterruptException:
        checker.join()
        raise
    except duckdb.Error as exc:
        checker.join()
        guard.check()
        dest.unlink(missing_ok=True)
        return _MALFORMED if malformed(exc) else None
    checker.join()
    rows = int(row[0]) if row else 0
    if verdict != [False] or not rows:
        dest.unlink(missing_ok=True)
        return None
    return PlainResult(rows=rows, types=[p[0] for p in plans], nulls=null_counts(con, dest, len(plans)))


def malformed(exc: duckdb.Error) -> bool:
    """DuckDB's parser refused the bytes (rather than a limit or a type)."""
    return "Malformed JSON" in str(exc)


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


#: whitespace goes; "]" reads as "}" and "[" as "," so that one search finds each case
_FOLD_ARRAY = bytes.maketrans(b"[]", b",}")
#: JSON's whitespace, by byte
_WS = np.zeros(256, dtype=bool)
_WS[list(JSON_SPACE)] = True
#: JSON Lines are searched in windows of this size (views of the mapped file)
WINDOW = 4 * 2**20
#: the longest run of whitespace the JSON Lines search steps over; past it, a file is left to the exact path
WS_REACH = 8


def lenient(path: Path, fmt: str, guard: Guard) -> bool:
    """True if the bytes may hold what DuckDB's parser allows and the exact reader refuses.

    That is a comma followed by ``]`` or ``}`` (whitespace left out), or a record that is
    ``null``: a line of JSON Lines, an element of an array. Whitespace, commas and ``null``
    inside strings can make this true for a valid file, which then only takes the exact path.
    """
    if fmt != "array":
        return _lenient_lines(path, guard)
    # in an array a null element follows "[" or ","
    with path.open("rb") as f:
        last = b""
        while True:
            guard.check()
            chunk = f.read(2**22)
            if not chunk:
                return False
            text = last + chunk.translate(_FOLD_ARRAY, JSON_SPACE)
            if not last and text.startswith(b"null"):
                return True
            if b",}" in text or b",null" in text:
                return True
            last = text[-5:]


def _lenient_lines(path: Path, guard: Guard) -> bool:
    """:func:`lenient` for JSON Lines: a comma before a ``}`` or ``]``, or a line that does not
    start a record.

    A line starting with anything but ``{`` (after whitespace) is a ``null`` record or is not
    a record at all; only the exact reader says which. NumPy looks at the bytes before each
    ``}`` and ``]`` and after each newline, a window of the mapped file at a time.
    """
    if not path.stat().st_size:
        return False
    with path.open("rb") as f:
        mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            return _suspect_lines(np.frombuffer(mapped, dtype=np.uint8), guard)
        finally:
            # a cancel's traceback may still hold views of the map: it then closes when they go
            with contextlib.suppress(BufferError):
                mapped.close()


def _suspect_lines(data: np.ndarray, guard: Guard) -> bool:
    if _steps_to(data, np.zeros(1, dtype=np.intp), 1, ord("{"), False):
        return True
    for start in range(0, len(data), WINDOW):
        guard.check()
        window = data[start : start + WINDOW]
        # "]" (0x5d) and "}" (0x7d) differ by the bit 0x20 alone
        closing = np.flatnonzero((window | 0x20) == ord("}")) + (start - 1)
        if _steps_to(data, closing, -1, ord(","), True):
            return True
        opening = np.flatnonzero(window == ord("\n")) + (start + 1)
        if _steps_to(data, opening, 1, ord("{"), False):
            return True
    return False


def _steps_to(data: np.ndarray, at: np.ndarray, step: int, mark: int, bad: bool) -> bool:
    """From each place in ``at``, step over whitespace; True if a first other byte is suspect.

    With ``bad``, that is ``mark`` (a comma before ``}``); without, anything but ``mark`` (a
    line that does not start a record). A run of more than ``WS_REACH`` whitespace bytes counts
    as suspect too; one that runs to an end of the file does not.
    """
    for _ in range(WS_REACH + 1):
        at = at[(at >= 0) & (at < len(data))]
        if not len(at):
            return False
        found = data[at]
        space = _WS[found]
        if (~space & ((found == mark) if bad else (found != mark))).any():
            return True
        # a newline ends a blank line; the line after it is looked at from that newline
        at = at[space & (found != ord("\n"))] + step
    return bool(len(at[(at >= 0) & (at < len(data))]))


#: an array smaller than this is read as it is: its copy would cost more than one thread loses
LINES_MIN_BYTES = 8 * 2**20


@dataclass
class ArrayLines:
    """A JSON array's copy as JSON Lines: where it is and how many records it must hold."""

    path: Path
    records: int
    #: False once a read found it does not parse, or does not hold ``records`` records
    usable: bool = True


def array_as_lines(path: Path, copy: Path, guard: Guard) -> ArrayLines | None:
    """Write ``path``, a JSON array of records laid out a record to a line, to ``copy`` as JSON Lines.

    Its brackets become spaces and each comma between a ``}`` and a ``{`` (whitespace aside)
    a newline. Returns None (and no ``copy``) when the array is small, its first record
    spans lines, it has one record or there is no room on disk.

    The copy reads as JSON Lines, each line one value, only if every rewritten comma was a
    separator of the array's records: one inside a string leaves that line's string open,
    one inside a record leaves its brackets open. A separator not rewritten (more whitespace
    around it than :data:`WS_REACH`) leaves a comma after a record. A reader of the copy
    must still check that it holds ``records`` records, the rewritten commas plus one:
    records on lines of their own with no comma between them read as JSON Lines too.
    """
    size = path.stat().st_size
    if size < max(LINES_MIN_BYTES, 2) or shutil.disk_usage(copy.parent).free < 2 * size:
        return None
    with path.open("rb") as f:
        mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            data = np.frombuffer(mapped, dtype=np.uint8)
            try:
                written = _write_lines(data, copy, guard)
            finally:
                del data
        finally:
            with contextlib.suppress(BufferError):
                mapped.close()
    if written is None:
        copy.unlink(missing_ok=True)
        return None
    return ArrayLines(copy, written + 1)


def _solid(data: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The first byte at or after each place in ``at`` that is not whitespace, or -1 (the end
    of the file, or more than ``WS_REACH`` whitespace bytes away)."""
    at = at.copy()

    def spaces() -> np.ndarray:
        inside = at < len(data)
        space = np.zeros(len(at), dtype=bool)
        space[inside] = _WS[data[at[inside]]]
        return space

    for _ in range(WS_REACH):
        space = spaces()
        if not space.any():
            break
        at[space] += 1
    at[spaces() | (at >= len(data))] = -1
    return at


def _write_lines(data: np.ndarray, copy: Path, guard: Guard) -> int | None:
    n = len(data)
    first = int(_solid(data, np.zeros(1, dtype=np.intp))[0])
    tail = data[max(0, n - 4096) :]
    solid_tail = np.flatnonzero(~_WS[tail])
    last = n - len(tail) + int(solid_tail[-1]) if len(solid_tail) else -1
    if first < 0 or last <= first or data[first] != ord("[") or data[last] != ord("]"):
        return None
    written = 0
    checked = False
    carried = np.zeros(0, dtype=np.intp)
    with copy.open("wb") as out:
        for start in range(0, n, WINDOW):
            guard.check()
            end = min(start + WINDOW, n)
            window = data[start:end]
            closing = np.flatnonzero(window == ord("}")) + start
            commas = _solid(data, closing + 1)
            keep = commas >= 0
            keep[keep] = data[commas[keep]] == ord(",")
            closing, commas = closing[keep], commas[keep]
            opening = _solid(data, commas + 1)
            keep = opening >= 0
            keep[keep] = data[opening[keep]] == ord("{")
            closing, commas = closing[keep], commas[keep]
            if not checked and len(commas):
                # records laid out over several lines (an indented dump) would not read as lines
                record = int(_solid(data, np.array([first + 1]))[0])
                if record < 0 or (data[record : closing[0]] == ord("\n")).any():
                    return None
                checked = True
            commas = np.concatenate([carried, commas])
            here, carried = commas[commas < end], commas[commas >= end]
            block = np.array(window)
            block[here - start] = ord("\n")
            for bracket in (first, last):
                if start <= bracket < end:
                    block[bracket - start] = ord(" ")
            out.write(block.data)
            written += len(here)
    return written or None
