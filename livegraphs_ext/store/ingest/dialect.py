"""Delimiter, header and column names of delimited text, decided on a sample.

DuckDB's own sniffer is not trusted with the dialect: on ragged rows it silently picks a
delimiter that yields one column of raw lines. The choice here is quote-aware and
prefers the delimiter that splits the most rows into the same number of fields.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass

CANDIDATES = (",", "\t", ";", "|", ":", "^", "~")
MAX_SAMPLE_ROWS = 2000

csv.field_size_limit(2**31 - 1)

_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?)")
_DATE = re.compile(
    r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)?"
)
_LEADING_ZERO = re.compile(r"[+-]?0\d")
BOOL_WORDS = frozenset({"true", "false", "t", "f"})


@dataclass
class Dialect:
    delimiter: str
    header: bool
    names: list[str]
    #: rows of the sample after the header, as parsed
    rows: list[list[str]]
    #: (sample line number, field count) of sample rows whose width differs from the header's
    ragged: list[tuple[int, int]]
    renamed: bool = False


def parse_rows(sample: str, delimiter: str, limit: int = MAX_SAMPLE_ROWS) -> list[tuple[int, list[str]]]:
    """Rows of the sample with the physical line each starts on; blank lines are skipped."""
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter, quotechar='"', doublequote=True)
    rows: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for row in reader:
            if row:
                rows.append((line, row))
            line = reader.line_num + 1
            if len(rows) >= limit:
                break
    except csv.Error:
        pass
    return rows


def kind(value: str) -> str:
    """A coarse type of one text value, used for the header decision and the report."""
    v = value.strip()
    if not v:
        return "empty"
    if _INT.fullmatch(v):
        return "integer"
    if _FLOAT.fullmatch(v):
        return "float"
    if v.lower() in BOOL_WORDS:
        return "boolean"
    if _DATE.fullmatch(v):
        return "date"
    return "text"


def has_leading_zero(value: str) -> bool:
    return bool(_LEADING_ZERO.match(value.strip()))


def _score(rows: list[tuple[int, list[str]]]) -> tuple[float, int]:
    """The share of the rows of the most common width, and that width; (0, 0) when the first
    row (the header) is not of that width: the file is not split by this character (a column
    of times holds ":", one of names ","), and read with it every other row would be ragged."""
    if not rows:
        return 0.0, 0
    counts = Counter(len(r) for _, r in rows)
    width, n = counts.most_common(1)[0]
    if len(rows[0][1]) != width:
        return 0.0, 0
    return n / len(rows), width


def choose_delimiter(sample: str, hint: str | None = None, complete: bool = True) -> str:
    """The candidate that gives the most rows of one width above 1, the first row's (ties: the
    hint, then list order); for one column, the first candidate the sample does not hold."""
    text = sample if complete else sample[: sample.rfind("\n") + 1] or sample
    order = list(CANDIDATES)
    if hint in order:
        order.remove(hint)
        order.insert(0, hint)
    # none splitting the rows alike, the file is one column: a candidate it does not hold
    best = next((d for d in order if d not in text), ",")
    best_score = (0.0, 0)
    for d in order:
        if d not in text:
            continue
        rows = parse_rows(text, d, 200)
        score, width = _score(rows)
        if width < 2:
            continue
        if (score, width) > best_score:
            best, best_score = d, (score, width)
    return best


def _body_kind(values: list[str]) -> str | None:
    kinds = {kind(v) for v in values} - {"empty"}
    if not kinds:
        return None
    if kinds <= {"integer", "float"}:
        return "number"
    if len(kinds) == 1 and kinds != {"text"}:
        return next(iter(kinds))
    return None


def detect_header(rows: list[list[str]]) -> bool:
    """A first row is a header unless it fits the types of the columns below it.

    With a single row, or when every column holds text, the first row is taken as a header:
    that is the common case, and a wrong guess only costs one row named as columns.
    """
    if len(rows) < 2:
        return True
    first, body = rows[0], rows[1:]
    if not any(v.strip() for v in first):
        return True  # a row of empty names is still a header
    typed = 0
    for j, name in enumerate(first):
        column = [r[j] for r in body if j < len(r)]
        body_kind = _body_kind(column)
        if body_kind is None:
            continue
        typed += 1
        head_kind = kind(name)
        if head_kind in ("integer", "float"):
            head_kind = "number"
        if head_kind == "empty":
            continue
        if head_kind != body_kind:
            return True
    return typed == 0


def clean_names(raw: list[str]) -> tuple[list[str], bool]:
    """Empty names become ``column_N``; repeats (case-insensitive, as in SQL) become ``name_2``."""
    names: list[str] = []
    seen: set[str] = set()
    changed = False
    for i, name in enumerate(raw, start=1):
        base = name if name.strip() else f"column_{i}"
        candidate, n = base, 1
        while candidate.lower() in seen:
            n += 1
            candidate = f"{base}_{n}"
        if candidate != name:
            changed = True
        seen.add(candidate.lower())
        names.append(candidate)
    return names, changed


def detect(sample: str, complete: bool, hint: str | None) -> Dialect:
    """Delimiter, header and names from the first rows of the file."""
    delimiter = choose_delimiter(sample, hint, complete)
    text = sample if complete else sample[: sample.rfind("\n") + 1] or sample
    parsed = parse_rows(text, delimiter)
    if not complete and len(parsed) > 1:
        parsed = parsed[:-1]  # may be cut inside a quoted field
    if not parsed:
        return Dialect(delimiter, True, [], [], [])
    rows = [r for _, r in parsed]
    header = detect_header(rows)
    width = len(rows[0])
    raw = rows[0] if header else [f"column_{i}" for i in range(1, width + 1)]
    names, renamed = clean_names(raw)
    body = parsed[1:] if header else parsed
    ragged = [(line, len(r)) for line, r in body if len(r) != width]
    return Dialect(delimiter, header, names, [r for _, r in body], ragged, renamed and header)
