"""The type a text column's values share, and the SQL that turns its text into that type.

A column that the reader keeps as text may still hold one type a person would see: numbers
with a few ``NA`` markers, dates with one typo, numbers written with decimal commas. The
type is guessed from the sample here and checked over the whole file in DuckDB.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass

from ..sql import quote_literal
from .dialect import BOOL_WORDS, has_leading_zero, kind

#: values that stand for a missing value, when all the other values of their column share a type
NULL_MARKERS = ("NA", "N/A", "NaN", "null", "NULL", "None", "#N/A", "#NULL!", "-")
_MARKERS = frozenset(NULL_MARKERS)
#: what the cleaning step "Treat NA as missing" makes missing in text columns: the markers and
#: empty text (an empty field is a missing value on upload)
MISSING_TEXT = ("", *NULL_MARKERS)
#: a column's sample may hold this share of values that do not fit its type (at least one)
SAMPLE_OUTLIERS = 0.05
#: ... and the whole column this share (at least one)
FILE_OUTLIERS = 0.10
#: a typed column holds at least this many fitting values per outlier
FITTING_PER_OUTLIER = 4

#: a number with a decimal comma and, optionally, dots between groups of thousands
_COMMA_NUMBER = re.compile(r"[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?")
_COMMA_SQL = r"[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?"
#: a time of day followed by a UTC offset, at the end of a value (RE2)
_OFFSET_END = r"\d:[0-5]\d(:[0-5]\d(\.\d+)?)?\s*(Z|[+-]\d\d(:?\d\d)?)$"
#: ISO dates and times as a person reads them (RE2, and Python's ``re`` with ``re.ASCII``, read
#: these patterns alike): years 0001 to 9999, hours 00 to 23, offsets under a day (``Z``,
#: ``+05:30``, ``+0530``, ``+05``), fractions of a second to nanoseconds (kept to microseconds).
#: DuckDB's casts alone would also take year 0000 and 24:00.
ISO_DAY = r"(\d{3}[1-9]|\d{2}[1-9]\d|\d[1-9]\d{2}|[1-9]\d{3})-\d{2}-\d{2}"
_CLOCK = r"([01]\d|2[0-3]):[0-5]\d"
ISO_TIME = ISO_DAY + r"[T ]" + _CLOCK + r"(:[0-5]\d(\.\d{1,9})?)?"
ISO_ZONE = r"(Z|[+-]([01]\d|2[0-3])(:?[0-5]\d)?)"
ISO_ZONED = ISO_TIME + ISO_ZONE
_ISO_DAY = re.compile(ISO_DAY, re.ASCII)
_ISO_TIME = re.compile(ISO_TIME + "(?P<zone>" + ISO_ZONE + ")?", re.ASCII)
#: an integer as DuckDB's cast takes it, less its hexadecimal and binary forms (RE2)
DECIMAL_INTEGER = r"\s*[+-]?\d[\d_]*\s*"
_HAS_DECIMAL_COMMA = re.compile(r"\d,\d")

_DAYS = (
    "%Y-%m-%d",
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%Y/%m/%d",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%m/%d/%y",
    "%d/%m/%y",
)
_TIMES = ("", " %H:%M:%S", " %H:%M", "T%H:%M:%S", " %H:%M:%S.%f", "T%H:%M:%S.%f")
DATE_FORMATS = tuple(d + t for t in _TIMES for d in _DAYS)
#: values tried against every format (the chosen one is then tried on the whole sample)
DATE_PROBES = 100


#: a value of these characters alone looks like an empty cell: where its column has a type, it is
#: missing, as an empty field is (R's readr reads it so; pandas keeps such a column text)
BLANK = " \t\r\n"
_BLANK_SQL = " || ".join(f"chr({ord(ch)})" for ch in BLANK)


def is_marker(value: str) -> bool:
    return value in _MARKERS


def is_blank(value: str) -> bool:
    """``value`` is empty or holds spaces, tabs and line ends alone."""
    return not value.strip(BLANK)


@dataclass(frozen=True)
class Target:
    """The type a text column converts to, and how."""

    #: BIGINT, DOUBLE, BOOLEAN, DATE, TIMESTAMP, TIMESTAMPTZ or ISO_DATE (stored as DATE)
    duck: str
    #: the strptime format of a DATE or TIMESTAMP; none for ISO text
    fmt: str | None = None
    #: numbers written with a decimal comma (and dots between thousands)
    comma: bool = False

    @property
    def stored(self) -> str:
        return "DATE" if self.duck == "ISO_DATE" else self.duck


def _date_format(values: list[str]) -> str | None:
    """The first format that reads the most of the first of ``values``."""
    best, best_n = None, 0
    for fmt in DATE_FORMATS:
        n = 0
        for v in values[:DATE_PROBES]:
            try:
                dt.datetime.strptime(v.strip(), fmt)
                n += 1
            except ValueError:
                pass
        if n > best_n:
            best, best_n = fmt, n
    return best


def few(outliers: int, fitting: int, share: float) -> bool:
    """``outliers`` are few enough next to ``fitting`` values for the column to keep a type."""
    total = outliers + fitting
    return outliers <= max(1.0, share * total) and fitting >= FITTING_PER_OUTLIER * outliers


def infer(values: list[str], delimiter: str) -> Target | None:
    """The type the sample ``values`` of a text column share, if all but a few do."""
    filled = [v for v in values if not is_blank(v) and not is_marker(v)]
    if not filled:
        return None
    kinds = Counter(kind(v) for v in filled)
    numbers = kinds["integer"] + kinds["float"]
    if delimiter != "," and any(_HAS_DECIMAL_COMMA.search(v) for v in filled):
        fitting = sum(1 for v in filled if _COMMA_NUMBER.fullmatch(v.strip()))
        if few(len(filled) - fitting, fitting, SAMPLE_OUTLIERS):
            return Target("DOUBLE", comma=True)
    if few(len(filled) - numbers, numbers, SAMPLE_OUTLIERS):
        # codes such as zip codes or "007" keep their leading zeros
        if any(has_leading_zero(v) for v in filled):
            return None
        return Target("DOUBLE" if kinds["float"] else "BIGINT")
    if few(len(filled) - kinds["boolean"], kinds["boolean"], SAMPLE_OUTLIERS):
        return Target("BOOLEAN")
    if few(len(filled) - kinds["date"], kinds["date"], SAMPLE_OUTLIERS):
        dates = [v for v in filled if kind(v) == "date"]
        iso = sum(1 for v in dates if is_iso_time(v))
        if iso and few(len(filled) - iso, iso, SAMPLE_OUTLIERS):
            # ISO times, however written (T or space, fractions, offsets), as DuckDB's reader
            # reads them in a column it types itself: one strptime format reads one way only
            return Target("TIMESTAMP")
        fmt = _date_format(dates)
        if fmt is None:
            return None
        fitting = sum(1 for v in dates if _parses(v, fmt))
        if not few(len(filled) - fitting, fitting, SAMPLE_OUTLIERS):
            return None
        return Target("TIMESTAMP" if "%H" in fmt else "DATE", fmt)
    return None


def iso_kind(value: str) -> str | None:
    """``"date"``, ``"datetime"`` or ``"datetimetz"`` (with an offset) if ``value`` is, exactly,
    an ISO date or date and time of day that exists; else None. The patterns check the time and
    offset; the day is checked against the calendar (2024-02-30 is not a date)."""
    if len(value) == 10:
        if _ISO_DAY.fullmatch(value) is None:
            return None
        zone = None
    elif 16 <= len(value) <= 35:
        m = _ISO_TIME.fullmatch(value)
        if m is None:
            return None
        zone = m["zone"]
    else:
        return None
    try:
        dt.date.fromisoformat(value[:10])
    except ValueError:
        return None
    return "date" if len(value) == 10 else "datetime" if zone is None else "datetimetz"


def is_iso_time(value: str) -> bool:
    """``value``, less spaces around it, is an ISO date and time (``convert_sql`` reads it alike)."""
    return iso_kind(value.strip()) in ("datetime", "datetimetz")


def _parses(value: str, fmt: str) -> bool:
    try:
        dt.datetime.strptime(value.strip(), fmt)
    except ValueError:
        return False
    return True


def leading_zero_sql(c: str) -> str:
    """True where the text ``c`` is a number with a leading zero: a code such as ``007``, not a number."""
    return f"regexp_matches({c}, '^\\s*[+-]?0[0-9]')"


def markers_sql() -> str:
    return "(" + ", ".join(quote_literal(m) for m in NULL_MARKERS) + ")"


def missing_sql(c: str) -> str:
    """True where the text ``c`` stands for a missing value in a typed column: a marker, or blank
    (:func:`is_blank`)."""
    return f"({c} IN {markers_sql()} OR ltrim({c}, {_BLANK_SQL}) = '')"


#: the dates and times a stored column may hold: years 1 to 9999, as Python's (and so every
#: page, chart and export's). DuckDB's casts also take year 0, five-digit years and "(BC)".
TIME_RANGE = {
    "DATE": ("DATE '0001-01-01'", "DATE '9999-12-31'"),
    "TIMESTAMP": ("TIMESTAMP '0001-01-01 00:00:00'", "TIMESTAMP '9999-12-31 23:59:59.999999'"),
    "TIMESTAMPTZ": ("TIMESTAMPTZ '0001-01-01 00:00:00+00'", "TIMESTAMPTZ '9999-12-31 23:59:59.999999+00'"),
}


def outside_range_sql(x: str, duck: str) -> str:
    """True where ``x``, of type ``duck`` (a key of :data:`TIME_RANGE`), is outside years 1 to 9999."""
    low, high = TIME_RANGE[duck]
    return f"NOT ({x} BETWEEN {low} AND {high})"


def convert_sql(c: str, target: Target, duck: str | None = None) -> str:
    """SQL turning the text column ``c`` into ``target``'s type; NULL where a value does not fit.

    ``duck`` overrides the target's number type (BIGINT or DOUBLE, decided over the whole file).
    A date or time outside years 1 to 9999 does not fit.
    """
    t = duck or target.duck
    value = _convert_sql(c, target, t)
    stored = "DATE" if t == "ISO_DATE" else t
    if stored in TIME_RANGE:
        return f"CASE WHEN {outside_range_sql(value, stored)} THEN NULL ELSE {value} END"
    return value


def _convert_sql(c: str, target: Target, t: str) -> str:
    if target.comma:
        plain = f"replace(replace(trim({c}), '.', ''), ',', '.')"
        return (
            f"CASE WHEN regexp_full_match(trim({c}), {quote_literal(_COMMA_SQL)}) "
            f"THEN TRY_CAST({plain} AS {t}) END"
        )
    if t == "BIGINT":
        # DuckDB casts "1.5", "1e5", "0x1A" (26) and "0b101" (5) to integers: only decimal digits
        # are (with spaces around them and "_" between them, as its float cast takes too)
        digits = f"regexp_full_match({c}, {quote_literal(DECIMAL_INTEGER)})"
        return f"CASE WHEN {digits} THEN TRY_CAST({c} AS BIGINT) END"
    if t == "DOUBLE":
        # DuckDB reads "nan" and "inf" as floats; in a text column they are not numbers
        return f"CASE WHEN isfinite(TRY_CAST({c} AS DOUBLE)) THEN TRY_CAST({c} AS DOUBLE) END"
    if t == "BOOLEAN":
        words = ", ".join(quote_literal(w) for w in sorted(BOOL_WORDS))
        return f"CASE WHEN lower(trim({c})) IN ({words}) THEN lower(trim({c})) IN ('true', 't') END"
    if t == "ISO_DATE":
        return f"TRY_CAST(trim({c}) AS DATE)"
    if t in ("DATE", "TIMESTAMP") and target.fmt:
        parsed = f"try_strptime(trim({c}), {quote_literal(target.fmt)})"
        return f"CAST({parsed} AS DATE)" if t == "DATE" else parsed
    if t == "TIMESTAMP":
        # DuckDB's TIMESTAMP cast drops an offset ("+02"): a time with one is its UTC time
        # (what the session's time zone is does not matter to either cast)
        text = f"trim({c})"
        return (
            f"CASE WHEN regexp_matches({text}, {quote_literal(_OFFSET_END)}) "
            f"THEN timezone('UTC', TRY_CAST({text} AS TIMESTAMPTZ)) ELSE TRY_CAST({text} AS TIMESTAMP) END"
        )
    return f"TRY_CAST(trim({c}) AS {t})"


def value_sql(c: str, target: Target, duck: str | None = None) -> str:
    """The typed value of ``c``: markers, blanks and values that do not fit become NULL."""
    return f"CASE WHEN {missing_sql(c)} THEN NULL ELSE {convert_sql(c, target, duck)} END"


def bad_sql(c: str, target: Target, duck: str | None = None) -> str:
    """True where ``c`` holds a value (not a marker, not blank) that does not fit ``target``."""
    return f"({c} IS NOT NULL AND NOT {missing_sql(c)} AND {convert_sql(c, target, duck)} IS NULL)"
