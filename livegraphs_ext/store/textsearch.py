"""Full-text search in a version's text columns: the query language, its SQL and its tantivy index.

A query is words, ``prefix*`` and ``"quoted phrases"``, all of which must match (in any of the
row's text columns; a phrase within one value). Matching ignores case and accents: a value and
the query are both normalised by DuckDB's ``strip_accents(lower(...))`` (:func:`fold_sql`) and
cut into words, the longest runs of letters and digits (``[\\pL\\pN]+``, Unicode classes, in
DuckDB's RE2 and in tantivy's Rust regex alike). The same normalisation serves both ways of
answering, so they give the same rows:

* **the index** (:class:`SearchIndexes`): one tantivy index per version file, kept beside its
  Parquet file as ``<file>.search4/`` and removed with it. It is built on the side, one at a
  time, the first time a version is searched. It also stores each row's values, so a page of
  matches is shown from the index alone, however far apart they lie in the file;
* **a scan**, until the index is there: one DuckDB pass over the text columns, which answers
  the first rows and the count together. A value is tested as it is, first for what every
  match holds (about what ``ILIKE`` costs), then for what only matches hold; just the values
  between the two pay for ``strip_accents`` and the word-boundary regex.

The query text is read here, by :func:`parse_query`, into checked clauses; tantivy's own query
parser never sees it.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import multiprocessing
import operator
import os
import re
import shlex
import shutil
import threading
import unicodedata
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import tantivy

from .errors import BadInput
from .files import remove_quietly
from .sql import quote_ident, quote_literal

log = logging.getLogger(__name__)

#: the index layout's version, part of its folder's name: a new layout never reads an old one
FORMAT = 4
INDEX_SUFFIX = f".search{FORMAT}"
#: the longest query, in characters
MAX_QUERY_CHARS = 200
#: the most words a query may hold, over all its clauses
MAX_WORDS = 16
#: the fewest characters before a prefix's ``*``
MIN_PREFIX = 2
#: a word: the longest run of letters and digits (RE2 and Rust regex read it alike)
WORD = r"[\pL\pN]+"
_NOT_WORD = r"[^\pL\pN]"
#: what :func:`scan_where` joins a row's values with: a phrase is matched within one value
APART = r"\x00"  # RE2 for chr(0)
#: the index's tokenizer name
TOKENIZER = "lg_words"
#: the indexed text field and the row number field (0-based file row number)
TEXT, ROW = "text", "row"
#: the stored field: the row's values (JSON, see :func:`stored_value_sql`), so that a page of
#: matches spread over the file is shown without decoding its Parquet row groups
VALUES = "values"
#: the characters of a word a scan's first test looks for (longer patterns cost more than they save)
RAW_CHARS = 12
#: rows per batch while an index is written
BUILD_BATCH = 8192
#: the index writer's memory (tantivy's minimum is 15 MB a thread)
WRITER_HEAP = 64_000_000
#: the most columns whose sort key fields an index holds (each adds a field each way, and its
#: places, about 3 bytes a row at 10M rows, to every document: :func:`write_sort_keys`)
SORT_KEY_COLUMNS = 32
#: the first rows of each column's sort, both ways, that the build writes with its sort groups:
#: a sorted search of many matches looks among them before the sort's row order is written
SORT_FIRST_ROWS = 20_000


def index_dir(version_file: Path) -> Path:
    """Where the index of a version file lives: beside it, named after it."""
    return version_file.with_name(version_file.stem + INDEX_SUFFIX)


def index_owner(name: str) -> str | None:
    """The version file name whose index folder is called ``name`` (None when it is not one)."""
    return name[: -len(INDEX_SUFFIX)] + ".parquet" if name.endswith(INDEX_SUFFIX) else None


# ---------------------------------------------------------------------- the query


@dataclass(frozen=True)
class Clause:
    """One part of a query: a word, a prefix (``word*``) or a phrase (words in a row)."""

    words: tuple[str, ...]
    prefix: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"words": list(self.words), "prefix": self.prefix}

    def pattern(self, apart: str = "") -> str:
        """An RE2 pattern matching a normalised value that holds this clause.

        ``apart``: characters (an RE2 class's body) that the words of a phrase never span, as
        :data:`APART` between the values of a row joined into one text.
        """
        body = f"[^\\pL\\pN{apart}]+".join(re.escape(w) for w in self.words)
        end = "" if self.prefix else f"(?:{_NOT_WORD}|$)"
        return f"(?:^|{_NOT_WORD}){body}{end}"

    def longest(self) -> str:
        return max(self.words, key=len)


@dataclass(frozen=True)
class SearchQuery:
    """A parsed query: its clauses, every one of which a row must hold."""

    text: str
    clauses: tuple[Clause, ...]

    def to_json(self) -> dict[str, Any]:
        return {"q": self.text, "clauses": [c.to_json() for c in self.clauses]}

    def key(self) -> str:
        """The same string for queries that mean the same (for caches)."""
        return "search:" + " ".join(("*" if c.prefix else "") + "/".join(c.words) for c in self.clauses)


def parse_query(text: Any) -> SearchQuery:
    """Read a query: whitespace-separated words, ``prefix*`` and ``"quoted phrases"``.

    A bare part that holds several words once normalised (``e-mail``) is a phrase. Raises
    BadInput (400) for an over-long query, an unbalanced quote, too many words, a prefix that
    is short or more than one word, or a query with no word at all.
    """
    if not isinstance(text, str):
        raise BadInput("q must be text", "Bad search")
    text = text.strip()
    if len(text) > MAX_QUERY_CHARS:
        raise BadInput(f"A search has at most {MAX_QUERY_CHARS} characters, not {len(text)}", "Bad search")
    if text.count('"') % 2:
        raise BadInput('A quote (") is not closed: quote phrases as "two words"', "Bad search")
    lexer = shlex.shlex(text, posix=False)
    lexer.whitespace_split = True
    lexer.quotes = '"'
    lexer.escape = ""
    lexer.commenters = ""
    try:
        parts = list(lexer)
    except ValueError as e:
        raise BadInput(f"The search cannot be read: {e}", "Bad search") from None
    raw: list[tuple[str, bool]] = []
    for part in parts:
        quoted = len(part) >= 2 and part.startswith('"') and part.endswith('"')
        body = part[1:-1] if quoted else part
        raw.append((body, not quoted and body.endswith("*")))
    words = _query_words(tuple(body for body, _ in raw))
    clauses: list[Clause] = []
    for (body, prefix), found in zip(raw, words, strict=True):
        if not found:
            continue
        if prefix and len(found) > 1:
            raise BadInput(f"A prefix is one word followed by *, not {body!r}", "Bad search")
        if prefix and len(found[0]) < MIN_PREFIX:
            raise BadInput(f"A prefix has at least {MIN_PREFIX} letters or digits before *", "Bad search")
        clause = Clause(tuple(found), prefix)
        if clause not in clauses:
            clauses.append(clause)
    if not clauses:
        raise BadInput("Search for at least one word (letters or digits)", "Bad search")
    count = sum(len(c.words) for c in clauses)
    if count > MAX_WORDS:
        raise BadInput(f"A search has at most {MAX_WORDS} words, not {count}", "Bad search")
    return SearchQuery(text, tuple(clauses))


_duck = None
_duck_lock = threading.Lock()


def _normaliser() -> duckdb.DuckDBPyConnection:
    """A private DuckDB that only evaluates expressions over the values it is given."""
    global _duck
    with _duck_lock:
        if _duck is None:
            con = duckdb.connect(
                ":memory:",
                config={
                    "threads": 1,
                    "memory_limit": "64MB",
                    "autoinstall_known_extensions": False,
                    "autoload_known_extensions": False,
                },
            )
            con.execute("SET enable_external_access = false")
            con.execute("SET lock_configuration = true")
            _duck = con
        return _duck.cursor()


#: the queries whose words are kept (:func:`_query_words`)
QUERIES_KEPT = 1024


@functools.lru_cache(maxsize=QUERIES_KEPT)
def _query_words(parts: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """:func:`normalise_words` of a query's parts, the last :data:`QUERIES_KEPT` kept: each page
    of a search reads its query again, and asking DuckDB takes about 2.4 ms."""
    return tuple(tuple(words) for words in normalise_words(parts))


def normalise_words(texts: Sequence[str]) -> list[list[str]]:
    """The normalised words of each text, as the index and the scan see them."""
    if not texts:
        return []
    cur = _normaliser()
    try:
        rows = cur.execute(
            f"SELECT regexp_extract_all({fold_sql('t')}, {quote_literal(WORD)}) "
            "FROM unnest(?::VARCHAR[]) WITH ORDINALITY u(t, i) ORDER BY i",
            [list(texts)],
        ).fetchall()
    finally:
        cur.close()
    return [list(r[0]) for r in rows]


def matching_texts(query: SearchQuery, texts: Sequence[str]) -> list[bool]:
    """Whether each text holds every clause of the query (dataset and column names)."""
    if not texts:
        return []
    cur = _normaliser()
    try:
        test = " AND ".join(f"regexp_matches(n, {quote_literal(c.pattern())})" for c in query.clauses)
        rows = cur.execute(
            f"SELECT {test} FROM (SELECT {fold_sql('t')} AS n, i "
            "FROM unnest(?::VARCHAR[]) WITH ORDINALITY u(t, i)) ORDER BY i",
            [list(texts)],
        ).fetchall()
    finally:
        cur.close()
    return [bool(r[0]) for r in rows]


# ---------------------------------------------------------------------- the scan


def fold_sql(value: str, *, ascii: bool = False) -> str:
    """SQL for the normalised form of text ``value``: lower case, accents stripped.

    ``strip_accents`` reads a value that is not ASCII only as far as its first NUL: a NUL is
    made a space first, so the words after it are kept (it ends a word either way), and no
    normalised value holds one. An ``ascii`` value has no accent to strip.
    """
    value = f"replace({value}, chr(0), ' ')"
    return f"lower({value})" if ascii else f"strip_accents(lower({value}))"


def normalised_sql(column: str) -> str:
    """A column's values as the index sees them; ASCII values skip ``strip_accents``."""
    c = quote_ident(column)
    return f"CASE WHEN strlen({c}) = length({c}) THEN {fold_sql(c, ascii=True)} ELSE {fold_sql(c)} END"


def scan_where(query: SearchQuery, columns: Sequence[str]) -> str:
    """A WHERE condition (without the keyword) true for the rows that match, for a scan.

    Every clause must hold in one of the columns. The row's values are joined into one text
    (apart by :data:`APART`, which a phrase never spans), so each test below is one pattern
    whatever the number of columns: DuckDB compiles each pattern before the first row, and
    a pattern of Unicode classes takes milliseconds. The joined values are first tested, as
    they are, with :func:`raw_pattern` (a necessary condition, about as cheap as ``ILIKE``);
    those that pass, with :func:`sure_pattern` (a sufficient condition, on the values as they
    are too); only rows that pass the first and not the second pay for ``strip_accents`` and
    the word-boundary regex on the normalised values, the exact test.
    """
    if not columns:
        return "false"
    sep = "chr(0)"
    raw_values = f"concat_ws({sep}, {', '.join(quote_ident(c) for c in columns)})"
    # a normalised value holds no NUL (fold_sql)
    normalised_values = f"concat_ws({sep}, {', '.join(normalised_sql(c) for c in columns)})"
    firsts, lasts = [], []
    for clause in query.clauses:
        raw = raw_pattern(clause)
        sure = sure_pattern(clause)
        exact = f"regexp_matches({normalised_values}, {quote_literal(clause.pattern(APART))})"
        if raw is None:
            # a value made of ASCII characters holds the clause's longest word as it is
            word = quote_literal(clause.longest())
            first = " OR ".join(
                f"(strlen({c}) <> length({c}) OR contains(lower({c}), {word}))"
                for c in map(quote_ident, columns)
            )
        else:
            first = f"regexp_matches({raw_values}, {quote_literal(raw)})"
        firsts.append(f"({first})")
        lasts.append(f"(regexp_matches({raw_values}, {quote_literal(sure)}) OR {exact})" if sure else exact)
    # every clause's first test written before any other: a row one of them leaves out need
    # not be tested further (DuckDB keeps the order unless its optimizer finds a cheaper one)
    return " AND ".join(firsts + lasts)


def dense_match_sql(
    query: SearchQuery, columns: Sequence[str], source: str, keep: Sequence[str] = ()
) -> str | None:
    """A query over ``source`` of its columns ``keep`` and ``lg_match``, true for the rows that
    match a query of one clause: :func:`scan_where`'s result, cheaper when most rows match.
    None for several clauses, or when the clause's characters cannot be told from raw values
    (:func:`raw_pattern`, :func:`sure_pattern`).

    :func:`scan_where` tests every row with the clause's necessary pattern, then the rows that
    pass it with its sufficient pattern, on all of the row's text again: for a word in 40% of
    the rows that costs a sixth more than ``ILIKE``. Here one pass takes the clause's first
    place in the row's joined values with one character either side (by the raw pattern of
    its whole words: a row without one cannot match), and the sufficient pattern tests only
    that window. The window's ends stand for the text's ends only where they are: it starts
    one character before the first place (a match there would have been found one earlier)
    and ends one character after it. Rows whose first place is not a sure match take
    :func:`scan_where`. (RE2 finds a whole match's bounds without the cost of groups.)
    """
    if not columns or len(query.clauses) != 1:
        return None
    (clause,) = query.clauses
    raw, sure = raw_pattern(clause, whole=True), sure_pattern(clause)
    if raw is None or sure is None:
        return None
    aliases = [f"lg_c{i}" for i in range(len(columns))]
    window = quote_literal(f"(?s)(?:^|.){raw}(?:.|$)")
    inner = [
        *(f"{quote_ident(c)} AS {a}" for c, a in zip(columns, aliases, strict=True)),
        f"coalesce(regexp_extract(concat_ws(chr(0), {', '.join(aliases)}), {window}), '') AS lg_window",
        *(f"{quote_ident(k)} AS lg_k{i}" for i, k in enumerate(keep)),
    ]
    # the CASE tests the window first, and the whole text only when the window is not sure
    match = (
        f"CASE WHEN lg_window = '' THEN false WHEN regexp_matches(lg_window, {quote_literal(sure)}) "
        f"THEN true ELSE {scan_where(query, aliases)} END"
    )
    outer = [*(f"lg_k{i} AS {quote_ident(k)}" for i, k in enumerate(keep)), f"{match} AS lg_match"]
    return f"SELECT {', '.join(outer)} FROM (SELECT {', '.join(inner)} FROM {source})"


def few_rows_where(query: SearchQuery, columns: Sequence[str]) -> str:
    """A WHERE condition equal to :func:`scan_where`'s, cheaper for a few rows, dearer for many.

    Each clause's pattern is tested on the row's normalised values in one lambda, so DuckDB
    compiles one pattern a clause, where :func:`scan_where` compiles three (7 to 20 ms before the
    first row for one or two clauses, against 4 to 10 ms, then faster per row).
    """
    if not columns:
        return "false"
    values = ", ".join(normalised_sql(c) for c in columns)
    return " AND ".join(
        f"len(list_filter([{values}], lambda v: regexp_matches(v, {quote_literal(c.pattern())}))) > 0"
        for c in query.clauses
    )


@dataclass(frozen=True)
class _Folds:
    """What ``strip_accents(lower(...))`` makes of each code point it changes."""

    #: a character -> the code points that become it
    into: dict[str, tuple[int, ...]]
    #: the code points that vanish (combining marks and the like)
    vanish: tuple[int, ...]
    #: the characters that change, and those in what a code point becomes when it is several
    unsure: frozenset[str]


_folds: _Folds | None = None
_folds_lock = threading.Lock()


def _fold_table() -> _Folds:
    """The folds of every code point, asked of DuckDB once (a fraction of a second)."""
    global _folds
    with _folds_lock:
        if _folds is None:
            cur = _normaliser()
            try:
                rows = cur.execute(
                    "SELECT i, f FROM (SELECT i, strip_accents(lower(chr(i::INTEGER))) AS f "
                    "FROM range(0, 1114112) t(i) WHERE i < 55296 OR i > 57343) WHERE f <> chr(i::INTEGER)"
                ).fetchall()
            finally:
                cur.close()
            into: dict[str, list[int]] = {}
            vanish, unsure = [], set()
            for point, folded in rows:
                unsure.add(chr(point))
                if not folded:
                    vanish.append(point)
                elif len(folded) == 1:
                    into.setdefault(folded, []).append(point)
                else:
                    unsure.update(folded)
            _folds = _Folds({k: tuple(v) for k, v in into.items()}, tuple(vanish), frozenset(unsure))
        return _folds


def _char_class(points: Sequence[int]) -> str:
    """An RE2 character class of these code points, as ranges."""
    spans: list[list[int]] = []
    for p in sorted(points):
        if spans and p == spans[-1][1] + 1:
            spans[-1][1] = p
        else:
            spans.append([p, p])
    return "[" + "".join(f"\\x{{{a:x}}}" + (f"-\\x{{{b:x}}}" if b > a else "") for a, b in spans) + "]"


#: any code point but ASCII: what may stand between the letters of a word in a raw value
_NOT_ASCII = r"[^\x00-\x7f]"
#: what may stand between the words of a phrase in a raw value: anything but ASCII letters and digits
_NOT_ASCII_WORD = r"[^0-9A-Za-z]"


def raw_pattern(clause: Clause | str, *, whole: bool = False) -> str | None:
    """An RE2 pattern that every value whose normalised form holds ``clause`` matches, as it is.

    Each character of a word may be written as any code point that folds to it; between two
    of them may stand code points that vanish (a decomposed accent), here any but ASCII,
    which are cheaper to tell (the pattern compiles in a millisecond, not five). The words of
    a phrase are apart by something other than an ASCII letter or digit. A single word is
    tested for its first :data:`RAW_CHARS` characters, unless ``whole``. None when a character
    cannot be told this way (it is itself changed by the fold, or part of a fold into several).
    """
    if isinstance(clause, str):
        clause = Clause((clause,))
    words = clause.words if whole or len(clause.words) > 1 else (clause.words[0][:RAW_CHARS],)
    folds = _fold_table()
    if any(ch in folds.unsure or _composed(ch) for w in words for ch in w):
        return None
    between = _NOT_ASCII + "*"
    return f"{_NOT_ASCII_WORD}+".join(
        between.join(_char_class([ord(ch), *folds.into.get(ch, ())]) for ch in w) for w in words
    )


def _composed(ch: str) -> bool:
    """Whether the fold may make ``ch`` of several code points: a Hangul syllable of its jamo,
    or any character with a canonical decomposition (the fold composes what it keeps)."""
    decomposed = unicodedata.decomposition(ch)
    return 0xAC00 <= ord(ch) <= 0xD7A3 or (decomposed != "" and not decomposed.startswith("<"))


def _joins_next(ch: str) -> bool:
    """Whether the fold may join ``ch`` with the code point after it into another character: a
    Hangul syllable or jamo followed by a jamo (가 then ᆨ is 각). Accents are stripped, so
    nothing else joins what follows it."""
    point = ord(ch)
    return (
        0xAC00 <= point <= 0xD7A3
        or 0x1100 <= point <= 0x11FF
        or 0xA960 <= point <= 0xA97F
        or 0xD7B0 <= point <= 0xD7FF
    )


def sure_pattern(clause: Clause) -> str | None:
    """An RE2 pattern that only values whose normalised form holds ``clause`` match, as they are.

    The words' characters are written as code points that fold to them, one for one, and
    stand between ASCII characters other than letters and digits (which the fold leaves as
    they are, and which end a word) or the value's ends; a prefix's end is not bounded. A
    value holding the clause in any other way (a decomposed accent, a boundary outside
    ASCII) does not match it and is tested exactly. None when a character is changed by the
    fold, or part of a fold into several, or when a prefix (no boundary after it) ends in a
    character the fold may join with the next one (:func:`_joins_next`).
    """
    folds = _fold_table()
    if any(ch in folds.unsure for w in clause.words for ch in w):
        return None
    if clause.prefix and _joins_next(clause.words[-1][-1]):
        return None
    gaps = [p for p in range(128) if not chr(p).isalnum() and chr(p) not in folds.unsure]
    gap = _char_class(gaps)
    # the words of a phrase are apart within one value: never by APART
    within = _char_class([p for p in gaps if chr(p) != "\x00"])
    body = f"{within}+".join(
        "".join(_char_class([ord(ch), *folds.into.get(ch, ())]) for ch in w) for w in clause.words
    )
    end = "" if clause.prefix else f"(?:{gap}|$)"
    return f"(?:^|{gap}){body}{end}"


def index_select(columns: Sequence[str], row: str, schema: pa.Schema | None = None) -> str:
    """The SELECT list of an index build: one JSON document a row, its words normalised.

    With the file's ``schema``, the document also stores every value of the row (when each
    column's type has an exact encoding, :func:`stored_value_sql`).
    """
    texts = ", ".join(normalised_sql(c) for c in columns)
    fields = [f"'{ROW}': {row}", f"'{TEXT}': list_filter([{texts}], lambda v: v IS NOT NULL)"]
    stored = [stored_value_sql(f.name, f.type) for f in schema] if schema is not None else []
    values = [v for v in stored if v is not None]
    if schema is not None and len(values) == len(schema):
        # a bytes field is given in JSON as base64
        fields.append(f"'{VALUES}': to_base64(encode(json_array({', '.join(values)})::VARCHAR))")
    return f"to_json({{{', '.join(fields)}}})::VARCHAR"


def stored_value_sql(column: str, kind: pa.DataType) -> str | None:
    """A column's value as JSON that :func:`stored_values` reads back exactly (None: no such form).

    Floating-point numbers go as DuckDB's shortest round-trip text (JSON has no NaN or
    infinity), dates as days and times as epoch units.
    """
    c = quote_ident(column)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_boolean(kind):
        return c
    if pa.types.is_integer(kind):
        return c
    if pa.types.is_float32(kind) or pa.types.is_float64(kind):
        return f"CAST({c} AS VARCHAR)"
    if pa.types.is_date32(kind):
        return f"({c} - DATE '1970-01-01')"
    if pa.types.is_timestamp(kind) and kind.unit in ("ms", "us"):
        return f"epoch_{kind.unit}({c})"
    return None


def stored_values(documents: Sequence[bytes], schema: pa.Schema) -> pa.Table:
    """The rows stored in index documents (``VALUES``), as a table of the file's ``schema``."""
    rows = [json.loads(d) for d in documents]
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
    return pa.Table.from_arrays(
        [_decoded(list(values), f.type) for values, f in zip(columns, schema, strict=True)], schema=schema
    )


def _decoded(values: list[Any], kind: pa.DataType) -> pa.Array:
    if pa.types.is_floating(kind):
        return pa.array([None if v is None else float(v) for v in values], kind)
    if pa.types.is_date32(kind):
        return pa.array(values, pa.int32()).cast(kind)
    if pa.types.is_timestamp(kind):
        return pa.array(values, pa.int64()).cast(kind)
    return pa.array(values, kind)


# ---------------------------------------------------------------------- the index


def _schema(keys: Sequence[str] = ()) -> tantivy.Schema:
    """The index's fields; ``keys``: the names of its sort key fields (:func:`write_sort_keys`)."""
    builder = tantivy.SchemaBuilder()
    builder.add_text_field(TEXT, stored=False, tokenizer_name=TOKENIZER, index_option="position")
    # indexed too: the matches among given rows (the first of the file, or of a sort) are found
    # without going through every match
    builder.add_integer_field(ROW, stored=False, indexed=True, fast=True)
    builder.add_bytes_field(VALUES, stored=True, indexed=False, fast=False)
    for key in keys:
        builder.add_integer_field(key, stored=False, indexed=False, fast=True)
    return builder.build()


def _analyzer() -> Any:
    # values arrive normalised by DuckDB: the tokenizer only cuts them into words
    return tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(WORD)).build()


class Cancelled(Exception):
    """An index build stopped because the store is closing."""


def build_index(
    path: Path,
    columns: Sequence[str],
    dest: Path,
    scratch: Path,
    memory_limit: str,
    temp_limit: str,
    stop: threading.Event,
) -> None:
    """Write the index of version file ``path``'s text ``columns`` into the new folder ``dest``.

    The work runs in a child process at a lower priority: it is mostly Python calls, which in
    the server's process would hold the interpreter the requests need. ``stop`` ends it
    (:class:`Cancelled`); any failure of the child is a RuntimeError.
    """
    ctx = multiprocessing.get_context("spawn")
    child = ctx.Process(
        target=_build_child,
        args=(str(path), list(columns), str(dest), str(scratch), memory_limit, temp_limit),
        name="livegraphs-search-index",
        daemon=True,
    )
    child.start()
    try:
        while child.is_alive():
            child.join(0.2)
            if stop.is_set():
                child.terminate()
                child.join()
                raise Cancelled()
        if child.exitcode != 0:
            raise RuntimeError(f"the index build ended with exit code {child.exitcode}")
    finally:
        if child.is_alive():
            child.kill()
            child.join()


def _build_child(
    path: str, columns: list[str], dest: str, scratch: str, memory_limit: str, temp_limit: str
) -> None:
    """The child process of :func:`build_index`: each column's sort groups are written
    (:func:`write_sort_groups`) and each row's places in its sorts (:func:`write_sort_keys`), then
    DuckDB normalises the values and tantivy indexes them, with those places.

    DuckDB is locked down as the store's own connections are: it reads only the version file
    and writes only under ``scratch`` (spill files, at most ``temp_limit``: a sort of a column
    for its groups may spill).
    """
    from .ingest.engine import restrict_files

    with contextlib.suppress(OSError):
        os.nice(10)
    con = duckdb.connect(
        ":memory:",
        config={
            "threads": 1,
            "memory_limit": memory_limit,
            "temp_directory": str(Path(scratch) / "spill"),
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "allow_community_extensions": False,
            "allow_unsigned_extensions": False,
            "allow_persistent_secrets": False,
        },
    )
    try:
        con.execute("SET enable_progress_bar = false")
        # via SET: a config value is reported but not enforced
        con.execute(f"SET max_temp_directory_size = {quote_literal(temp_limit)}")
        restrict_files(con, files=[Path(path)], folders=[Path(scratch)])
        con.execute("SET lock_configuration = true")
        schema = pq.read_schema(path)
        # the sort groups first: each document carries its row's place in each sort
        sorts = Path(scratch) / SORTS
        keys = (
            write_sort_keys_or_none(sorts, Path(scratch))
            if write_sort_groups_or_none(con, path, schema, sorts)
            else {}
        )
        # no ORDER BY: each document carries its row number, and a sort of every row would spill
        rows = con.sql(
            f"SELECT {index_select(columns, 'file_row_number', schema)}, file_row_number "
            f"FROM read_parquet({quote_literal(path)}, file_row_number = true)"
        )
        write_index(Path(dest), rows.to_arrow_reader(BUILD_BATCH), keys)
        if sorts.exists():
            shutil.move(sorts, Path(dest) / SORTS)
    finally:
        con.close()


def write_sort_groups_or_none(
    con: duckdb.DuckDBPyConnection, path: str, schema: pa.Schema, dest: Path
) -> bool:
    """:func:`write_sort_groups`, or (no room, no memory...) nothing at all: the index is no less
    built, and its sorts are answered as an index's without groups. Whether they were written."""
    try:
        write_sort_groups(con, path, schema, dest)
        return True
    except Exception:
        log.warning("The sort groups of %s could not be written", path, exc_info=True)
        shutil.rmtree(dest, ignore_errors=True)
        return False


def _orderable(kind: pa.DataType) -> bool:
    t = pa.types
    return not (t.is_nested(kind) or t.is_binary(kind) or t.is_large_binary(kind) or t.is_null(kind))


def sort_places(groups: np.ndarray, nulls: int | None, descending: bool) -> np.ndarray:
    """Sort groups (``nulls``: the nulls' group) as places that sort ascending in the sort's
    order: negated for a descending sort (0 and below), the nulls after every value either way."""
    if not descending:
        return groups
    place = -groups.astype(np.int64)
    if nulls is not None:
        place[groups == nulls] = 1
    return place


def first_of_groups(groups: np.ndarray, nulls: int | None, descending: bool, k: int) -> np.ndarray:
    """The file row numbers of the first ``k`` rows of a sort of one column, in its order, from
    the column's sort groups (``nulls``: the nulls' group; they come last either way; ties in
    file order)."""
    k = min(k, len(groups))
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    place = sort_places(groups, nulls, descending)
    # the k-th place: every row before it is in, and of the rows in it, the first in the file
    edge = np.partition(place, k - 1)[k - 1]
    before = np.flatnonzero(place < edge)
    chosen = np.concatenate([before, np.flatnonzero(place == edge)[: k - len(before)]])
    return chosen[np.lexsort((chosen, place[chosen]))]


def write_sort_groups(con: duckdb.DuckDBPyConnection, path: str, schema: pa.Schema, dest: Path) -> None:
    """Write each orderable column's **sort groups** into the new folder ``dest``: for each file
    row, the place of its value among the column's distinct values in ascending order, as
    DuckDB orders them (equal values share one; null comes after every value), 4 bytes a row
    (a NumPy file), the file row numbers of the first ``SORT_FIRST_ROWS`` rows of its sort
    ascending and descending (:func:`first_of_groups`), and ``sorts.json``, which names each
    column's files and its nulls' group.

    A sorted page of any matches is then their groups sorted, ties by row number (descending:
    the groups negated, nulls still last), without a sort of the version file's rows; a
    column's groups take DuckDB one sort of its values.
    """
    dest.mkdir()
    source = f"read_parquet({quote_literal(path)}, file_row_number = true)"
    rows = pq.read_metadata(path).num_rows
    columns: dict[str, Any] = {}
    for i, field in enumerate(schema):
        if not _orderable(field.type):
            continue
        c = quote_ident(field.name, allow_nul=True)
        # the groups are filled in as DuckDB hands them over: 4 bytes a row, and one batch
        groups = np.empty(rows, dtype=np.int32)
        nulls: int | None = None
        filled = 0
        try:
            found = con.sql(
                f"SELECT file_row_number AS r, "
                f"(dense_rank() OVER (ORDER BY {c} ASC NULLS LAST) - 1)::INTEGER AS g, {c} IS NULL AS n "
                f"FROM {source}"
            ).to_arrow_reader(BUILD_BATCH)
            for batch in found:
                places = batch.column(1).to_numpy()
                groups[batch.column(0).to_numpy()] = places
                filled += batch.num_rows
                if nulls is None:
                    null = np.flatnonzero(batch.column(2).to_numpy(zero_copy_only=False))
                    nulls = int(places[null[0]]) if len(null) else None
        except (duckdb.Error, pa.ArrowException):
            # (a sort by it is then answered as without groups; the index is no less built)
            log.warning(
                "The sort groups of column %r of %s could not be written", field.name, path, exc_info=True
            )
            continue
        if filled != rows:
            log.warning("The sort groups of column %r of %s are not one a row", field.name, path)
            continue
        np.save(dest / f"{i}.npy", groups)
        first = np.stack([first_of_groups(groups, nulls, d, SORT_FIRST_ROWS) for d in (False, True)])
        np.save(dest / f"{i}.first.npy", first)
        columns[field.name] = {"file": f"{i}.npy", "nulls": nulls, "first": f"{i}.first.npy"}
    (dest / "sorts.json").write_text(json.dumps({"columns": columns}), encoding="utf-8")


def write_sort_keys_or_none(sorts: Path, scratch: Path) -> dict[str, np.ndarray]:
    """:func:`write_sort_keys`, or (no room, no memory...) none: the index is no less built, and
    its sorts are answered from the groups alone."""
    try:
        return write_sort_keys(sorts, scratch)
    except Exception:
        log.warning("The sort keys of %s could not be written", sorts, exc_info=True)
        return {}


def write_sort_keys(sorts: Path, scratch: Path) -> dict[str, np.ndarray]:
    """Each row's place in the sort of each column that ``sorts`` holds the groups of
    (:func:`write_sort_groups`), ascending and descending: the sort key fields of an index.

    A sort's places are its order of every row (nulls last either way, ties in file order), so
    one search ordered by a key field gives a sorted page of its matches exactly, without
    taking every match out of the index. A place takes the bits of the row count (24 at 10M
    rows) in the index, where a group and row number would take about twice as many. The
    places go to NumPy files under ``scratch`` (read back through memory maps); their field
    names are added to ``sorts.json`` (``keys``: ascending, descending). Only the first
    :data:`SORT_KEY_COLUMNS` columns have them (a sort by another is answered from its groups).
    Returns each field's name with its places (the file row number's place at its index).
    """
    about_file = sorts / "sorts.json"
    about = json.loads(about_file.read_text(encoding="utf-8"))
    keys: dict[str, np.ndarray] = {}
    for entry in list(about["columns"].values())[:SORT_KEY_COLUMNS]:
        groups = np.load(sorts / entry["file"], mmap_mode="r")
        fields = []
        for descending in (False, True):
            order = np.argsort(sort_places(groups, entry["nulls"], descending), kind="stable")
            places = np.empty(len(order), dtype=np.int32)
            places[order] = np.arange(len(order), dtype=np.int32)
            field = f"lg_key_{Path(entry['file']).stem}_{'desc' if descending else 'asc'}"
            np.save(scratch / f"{field}.npy", places)
            del order, places
            keys[field] = np.load(scratch / f"{field}.npy", mmap_mode="r")
            fields.append(field)
        entry["keys"] = fields
    written = about_file.with_suffix(".tmp")
    written.write_text(json.dumps(about), encoding="utf-8")
    os.replace(written, about_file)
    return keys


def write_index(dest: Path, documents: Any, keys: dict[str, np.ndarray] | None = None) -> int:
    """Write an index of ``documents`` (Arrow batches of a JSON text column, then the file row
    number when there are ``keys``) into ``dest``. ``keys``: sort key fields, each row's value
    at its file row number (:func:`write_sort_keys`), added to its document.

    Returns the number of documents.
    """
    # (here, not at the top: a kernel's first chart imports this module and not pyarrow.compute)
    import pyarrow.compute as pc

    keys = keys or {}
    dest.mkdir(parents=True)
    index = tantivy.Index(_schema(list(keys)), path=str(dest), reuse=False)
    index.register_tokenizer(TOKENIZER, _analyzer())
    writer = index.writer(heap_size=WRITER_HEAP, num_threads=1)
    count = 0
    for batch in documents:
        docs = batch.column(0)
        if keys:
            rows = batch.column(1).to_numpy()
            # each document's closing brace goes after its keys (Arrow joins the texts)
            parts: list[Any] = [pc.utf8_slice_codeunits(docs, 0, -1)]
            for field, places in keys.items():
                parts += [f',"{field}":', pa.array(places[rows]).cast(pa.string())]
            docs = pc.binary_join_element_wise(*parts, "}", "")
        for doc in docs.to_pylist():
            writer.add_json(doc)
        count += batch.num_rows
    writer.commit()
    writer.wait_merging_threads()
    return count


class OpenIndex:
    """A built index, open for searching (its searcher is safe to share between threads)."""

    def __init__(self, folder: Path, kept: _KeptMatches | None = None):
        self.folder = folder
        self._kept = kept
        self.index = tantivy.Index.open(str(folder))
        self.schema = self.index.schema
        self.searcher = self.index.searcher()
        #: what ``sorts.json`` says of each column (None until read), and its files as read
        self._sorts: dict[str, Any] | None = None
        self._sort_files: dict[tuple[str, str], tuple[np.ndarray, dict[str, Any]] | None] = {}
        self._counts: OrderedDict[str, int] = OrderedDict()
        self._counts_lock = threading.Lock()
        self._groups_lock = threading.Lock()

    def _query(self, query: SearchQuery) -> Any:
        parts = []
        for c in query.clauses:
            if c.prefix:
                parts.append(tantivy.Query.regex_query(self.schema, TEXT, re.escape(c.words[0]) + ".*"))
            elif len(c.words) == 1:
                parts.append(tantivy.Query.term_query(self.schema, TEXT, c.words[0]))
            else:
                parts.append(tantivy.Query.phrase_query(self.schema, TEXT, list(c.words)))
        if len(parts) == 1:
            return parts[0]
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, p) for p in parts])

    def _hits(
        self, query: SearchQuery, offset: int, limit: int, among: Any = None
    ) -> tuple[list[tuple[Any, Any]], int]:
        matching = self._query(query)
        if among is not None:
            matching = tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, matching), (tantivy.Occur.Must, among)]
            )
        found = self.searcher.search(
            matching,
            limit=max(1, limit),
            count=True,
            order_by_field=ROW,
            offset=offset,
            order=tantivy.Order.Asc,
        )
        # the stub lacks ``count``, which the result has when asked for
        return (found.hits if limit > 0 else []), int(getattr(found, "count", 0) or 0)

    def page(self, query: SearchQuery, offset: int, limit: int) -> tuple[list[int], int]:
        """The 0-based file row numbers of matches ``[offset, offset + limit)`` in file order; the count."""
        hits, count = self._hits(query, offset, limit)
        return [int(hit[0]) for hit in hits], count

    def page_values(
        self, query: SearchQuery, offset: int, limit: int, schema: pa.Schema
    ) -> tuple[list[int], pa.Table | None, int]:
        """As :meth:`page`, with the matches' rows as stored in the index (``schema``: the file's).

        The table is None when the index holds no values (a column type without an exact
        stored form): the rows are then read from the file.
        """
        hits, count = self._hits(query, offset, limit)
        return [int(hit[0]) for hit in hits], self.stored_rows([hit[1] for hit in hits], schema), count

    def first_page_values(
        self, query: SearchQuery, offset: int, limit: int, schema: pa.Schema, rows: int
    ) -> tuple[list[int], pa.Table | None]:
        """As :meth:`page_values`, among the file's first ``rows`` rows only (without the count).

        The row numbers' own terms give those rows, so a word in many rows costs what its
        matches among them cost, not a pass over all of them.
        """
        first = tantivy.Query.range_query(
            self.schema, ROW, tantivy.FieldType.Integer, 0, rows, True, False, use_inverted_index=True
        )
        hits, _ = self._hits(query, offset, limit, first)
        return [int(hit[0]) for hit in hits], self.stored_rows([hit[1] for hit in hits], schema)

    def hits_among(self, query: SearchQuery, rownums: Sequence[int]) -> tuple[list[int], list[Any]]:
        """The matches among these file rows, in file order, with their documents' addresses."""
        if not rownums:
            return [], []
        among = tantivy.Query.term_set_query(self.schema, ROW, [int(r) for r in rownums])
        hits, _ = self._hits(query, 0, len(rownums), among)
        return [int(hit[0]) for hit in hits], [hit[1] for hit in hits]

    def sorted_page_values(
        self, query: SearchQuery, key: str, offset: int, limit: int, schema: pa.Schema
    ) -> tuple[list[int], pa.Table | None]:
        """Matches ``[offset, offset + limit)`` in the order of sort key field ``key``
        (:meth:`sort_key`): their file row numbers and stored rows (None when the index holds
        no values), as :meth:`page_values`, without the count.

        tantivy keeps the first ``offset + limit`` places as it goes through the matches, so
        only the page's are taken out of the index.
        """
        if limit <= 0:
            return [], schema.empty_table()
        found = self.searcher.search(
            self._query(query),
            limit=limit,
            count=False,
            order_by_field=key,
            offset=offset,
            order=tantivy.Order.Asc,
        )
        addresses = [hit[1] for hit in found.hits]
        # (the row field's values: one integer a match)
        rows = np.asarray(self.searcher.fast_field_values(ROW, addresses), dtype=np.int64).tolist()
        return rows, self.stored_rows(addresses, schema)

    def sort_key(self, column: str, descending: bool) -> str | None:
        """The sort key field of ``column`` one way (:func:`write_sort_keys`); None when the
        index has none (an index built before them, or a column without sort groups)."""
        if self._sort_file(column, "file", mapped=True) is None:
            return None
        keys = self._sorts.get(column, {}).get("keys") if isinstance(self._sorts, dict) else None
        if not (isinstance(keys, list) and len(keys) == 2 and all(isinstance(k, str) for k in keys)):
            return None
        return keys[int(descending)]

    def stored_rows(self, addresses: Sequence[Any], schema: pa.Schema) -> pa.Table | None:
        """The rows stored with these documents (addresses from :meth:`all_hits`), in that order;
        None when the index holds no values."""
        documents: list[bytes] = []
        for address in addresses:
            document = self.searcher.doc(address).get_first(VALUES)
            if document is None:
                return None
            documents.append(document)
        return stored_values(documents, schema)

    def count(self, query: SearchQuery) -> int:
        """The number of matches (the last :data:`COUNTS_KEPT` counted are kept: a search's next
        pages ask again, and counting 4M matches takes tantivy about 50 ms)."""
        quick = self.quick_count(query)
        if quick is not None:
            return quick
        key = query.key()
        with self._counts_lock:
            if key in self._counts:
                self._counts.move_to_end(key)
                return self._counts[key]
        # no order and one score for all: counting is all the search does
        matching = tantivy.Query.const_score_query(self._query(query), 1.0)
        # (the stub lacks ``count``, which the result has when asked for)
        found = int(getattr(self.searcher.search(matching, limit=1, count=True), "count", 0) or 0)
        with self._counts_lock:
            self._counts[key] = found
            while len(self._counts) > COUNTS_KEPT:
                self._counts.popitem(last=False)
        return found

    def forget_counts(self) -> None:
        """Forget the counts kept (see :meth:`count`)."""
        with self._counts_lock:
            self._counts.clear()

    def quick_count(self, query: SearchQuery) -> int | None:
        """The number of matches of one word: the documents its term is in (the index is written
        once and never deletes, so that is exact), read from the term dictionary without going
        through its matches; None for any other query."""
        if len(query.clauses) == 1 and not query.clauses[0].prefix and len(query.clauses[0].words) == 1:
            return int(self.searcher.doc_freq(TEXT, query.clauses[0].words[0]))
        return None

    def all_hits(self, query: SearchQuery, count: int) -> tuple[np.ndarray, list[Any]]:
        """Every match's file row number, in file order, and its document's address (``count``
        from :meth:`count`)."""
        hits, _ = self._hits(query, 0, count) if count else ([], 0)
        # (the row numbers come as ints: the field's values)
        rows = np.fromiter(map(operator.itemgetter(0), hits), dtype=np.int64, count=len(hits))
        return rows, list(map(operator.itemgetter(1), hits))

    def matches(self, query: SearchQuery, count: int) -> Matches:
        """:meth:`all_hits` as :class:`Matches`, kept a while for the next pages of the same search."""
        found = self.kept(query.key())
        if not isinstance(found, Matches):
            rows, addresses = self.all_hits(query, count)
            found = Matches(self, rows, addresses)
            found.rows.setflags(write=False)  # shared by the threads that page through it
            self.keep(query.key(), found)
        return found

    def kept_count(self, query: SearchQuery) -> int | None:
        """The number of matches if :meth:`matches` has them kept, else None."""
        found = self.kept(query.key())
        return len(found.addresses) if isinstance(found, Matches) else None

    def sort_groups(self, column: str) -> tuple[np.ndarray, int | None] | None:
        """The sort groups of ``column`` (read through a memory map) and its nulls' group (None
        when it has no null); None when the index has none of it (see :func:`write_sort_groups`;
        an index built before them has none)."""
        found = self._sort_file(column, "file", mapped=True)
        return None if found is None else (found[0], found[1]["nulls"])

    def sort_first_rows(self, column: str, descending: bool) -> np.ndarray | None:
        """The file row numbers of the first rows of the sort of ``column`` one way, as
        :func:`write_sort_groups` wrote them (at most ``SORT_FIRST_ROWS``); None when the index
        has none (an index built before them)."""
        found = self._sort_file(column, "first", mapped=False)
        return None if found is None else found[0][int(descending)]

    def _sort_file(self, column: str, key: str, mapped: bool) -> tuple[np.ndarray, dict[str, Any]] | None:
        """The NumPy file that ``sorts.json`` names under ``key`` for ``column``, with what it says
        of the column; read once (None when there is none, or it cannot be read)."""
        with self._groups_lock:
            if (column, key) not in self._sort_files:
                self._sort_files[(column, key)] = None
                if self._sorts is None:
                    self._sorts = {}
                    about = self.folder / SORTS / "sorts.json"
                    if about.exists():
                        try:
                            self._sorts = json.loads(about.read_text(encoding="utf-8"))["columns"]
                        except (OSError, ValueError, KeyError):
                            log.warning("The sort groups of %s cannot be read", self.folder, exc_info=True)
                entry = self._sorts.get(column) if isinstance(self._sorts, dict) else None
                # (an entry is used only as write_sort_groups writes it: its nulls' group named, its
                # first rows one row of them a way)
                if isinstance(entry, dict) and key in entry and "nulls" in entry:
                    try:
                        array = np.load(self.folder / SORTS / entry[key], mmap_mode="r" if mapped else None)
                        if key == "first" and (array.ndim != 2 or len(array) != 2):
                            raise ValueError(f"first rows of shape {array.shape}")
                        self._sort_files[(column, key)] = (array, entry)
                    except (OSError, ValueError, TypeError):
                        log.warning("The sort groups of %s cannot be read", self.folder, exc_info=True)
            return self._sort_files[(column, key)]

    def kept(self, key: str) -> Matches | SortMatches | None:
        """What was kept of this index's searches under ``key`` (see :class:`_KeptMatches`)."""
        return self._kept.get(self, key) if self._kept is not None else None

    def keep(self, key: str, found: Matches | SortMatches) -> None:
        if self._kept is not None:
            self._kept.put(key, found)


@dataclass(frozen=True)
class Matches:
    """A search's matches, as an index gives them: their file row numbers (ascending) and the
    addresses of their documents."""

    index: OpenIndex
    rows: np.ndarray
    addresses: list[Any]


@dataclass(frozen=True)
class SortMatches:
    """A search's matches among the first ``looked`` rows of a sort: their file row numbers in
    the sort's order and the addresses of their documents."""

    index: OpenIndex
    rows: tuple[int, ...]
    addresses: tuple[Any, ...]
    looked: int


class _KeptMatches:
    """The matches of the last searches that took them all (or took those among the first rows
    of a sort: :class:`SortMatches`), over the open indexes, up to
    ``limit`` in all, each search counting :data:`KEPT_ENTRY_COST` more than its matches (a
    match takes about 60 bytes). A sorted or filtered search's next pages take them from
    here: turning the index's hits into Python objects is most of what such a search costs
    (20 ms of 54 for 96k matches at 10M rows). An index is written once, so its matches never
    go stale; they go with it when it is closed or replaced (:meth:`drop`), after which none
    of its matches is kept again."""

    def __init__(self, limit: int):
        self.limit = limit
        self._items: OrderedDict[tuple[int, str], Matches | SortMatches] = OrderedDict()
        self._size = 0
        self._retired: weakref.WeakSet[OpenIndex] = weakref.WeakSet()
        self._closed = False
        self._lock = threading.Lock()

    def get(self, index: OpenIndex, name: str) -> Matches | SortMatches | None:
        # an entry holds its index, so no other index has its id while it is here
        key = (id(index), name)
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, name: str, matches: Matches | SortMatches) -> None:
        size = len(matches.addresses) + KEPT_ENTRY_COST
        if size > self.limit:
            return
        key = (id(matches.index), name)
        with self._lock:
            if self._closed or matches.index in self._retired:
                return
            old = self._items.pop(key, None)
            self._size += size - (len(old.addresses) + KEPT_ENTRY_COST if old is not None else 0)
            self._items[key] = matches
            while self._size > self.limit:
                _, dropped = self._items.popitem(last=False)
                self._size -= len(dropped.addresses) + KEPT_ENTRY_COST

    def clear(self) -> None:
        """Forget every search kept (they are kept again from the next one)."""
        with self._lock:
            self._items.clear()
            self._size = 0

    def drop(self, index: OpenIndex | None = None) -> None:
        """Forget the matches of ``index``, and keep none of it from now on (of every index,
        and for good, if None)."""
        with self._lock:
            if index is None:
                self._closed = True
            else:
                self._retired.add(index)
            for key in [k for k, m in self._items.items() if index is None or m.index is index]:
                self._size -= len(self._items.pop(key).addresses) + KEPT_ENTRY_COST


#: the counts an open index keeps (:meth:`OpenIndex.count`)
COUNTS_KEPT = 256
#: the folder of an index's sort groups (:func:`write_sort_groups`)
SORTS = "lg_sorts"
#: the most matches kept over the searches of one store's indexes (see :class:`_KeptMatches`)
MATCHES_KEPT = 500_000
#: what each search kept counts beside its matches: at most 500 searches are kept
KEPT_ENTRY_COST = 1_000


class SearchIndexes:
    """The indexes of version files: opened on demand (a few kept open), built on one worker thread.

    ``build(path, stop)`` is the store's: it writes the index of the version file ``path`` and
    moves it beside the file (True), or drops it when the file went meanwhile (False); it stops
    with :class:`Cancelled` once ``stop`` is set.
    """

    def __init__(self, build: Callable[[Path, threading.Event], bool], max_open: int = 16):
        self._build = build
        self._max_open = max_open
        self._open: OrderedDict[Path, OpenIndex] = OrderedDict()
        self.kept = _KeptMatches(MATCHES_KEPT)
        self._building: dict[Path, Future[bool]] = {}
        self._failed: set[Path] = set()
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._stop = threading.Event()

    def get(self, path: Path) -> OpenIndex | None:
        """The index of version file ``path`` if it is built, else None."""
        folder = index_dir(path)
        with self._lock:
            hit = self._open.get(path)
            if hit is not None:
                if folder.exists():
                    self._open.move_to_end(path)
                    return hit
                del self._open[path]
                self.kept.drop(hit)
        if not folder.exists():
            return None
        try:
            opened = OpenIndex(folder, self.kept)
        except (OSError, ValueError):
            log.warning("The search index %s cannot be opened; it is built again", folder, exc_info=True)
            remove_quietly(folder)
            return None
        with self._lock:
            raced = self._open.get(path)
            if raced is not None:
                # opened by another search meanwhile: that one is used (and keeps its matches)
                self._open.move_to_end(path)
                return raced
            self._open[path] = opened
            while len(self._open) > self._max_open:
                self.kept.drop(self._open.popitem(last=False)[1])
        return opened

    def forget(self) -> None:
        """Forget what is kept of past searches (the open indexes' matches and counts, the words
        of the queries read): the next search is measured as a new one."""
        _query_words.cache_clear()
        self.kept.clear()
        with self._lock:
            opened = list(self._open.values())
        for index in opened:
            index.forget_counts()

    def building(self, path: Path) -> bool:
        with self._lock:
            return path in self._building

    def build(self, path: Path) -> Future[bool] | None:
        """Start (or join) the build of ``path``'s index; None once a build of it has failed."""
        with self._lock:
            if self._stop.is_set() or path in self._failed:
                return None
            running = self._building.get(path)
            if running is not None:
                return running
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="livegraphs-search")
            future = self._pool.submit(self._run, path)
            self._building[path] = future
            return future

    def _run(self, path: Path) -> bool:
        try:
            if index_dir(path).exists():
                return True
            return path.exists() and self._build(path, self._stop)
        except Cancelled:
            return False
        except Exception:
            # searches go on by scan; a failed build is not tried again in this process
            log.warning("The search index of %s could not be built", path, exc_info=True)
            with self._lock:
                self._failed.add(path)
            return False
        finally:
            with self._lock:
                self._building.pop(path, None)

    def settle(self) -> None:
        """Wait for the builds started so far."""
        with self._lock:
            pool = self._pool
        if pool is not None:
            pool.submit(lambda: None).result()

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            pool, self._pool = self._pool, None
            self._open.clear()
        self.kept.drop()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
