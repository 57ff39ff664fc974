"""``ingest_file``: one uploaded file in, one typed Parquet file out."""

from __future__ import annotations

import shutil
import threading
import uuid
from pathlib import Path

import duckdb

from ..errors import BadInput, StoreError
from ..profile import integer_distincts
from ..schema import ColumnInfo, IngestResult, Report, column_type_of
from .csv_ingest import ingest_csv
from .engine import connect, map_duckdb_error, null_counts, restrict_files, watched
from .json_ingest import ingest_json
from .limits import Guard, IngestLimits
from .prescan import prepare

#: what becomes of values that break their column's type: the column stays text, or they become nulls
BAD_VALUES = ("text", "null")
_TSV_TYPES = ("text/tab-separated-values", "text/tsv")
_JSON_TYPES = ("application/json", "application/x-ndjson", "application/jsonl", "application/json-lines")


def _delimiter_hint(content_type: str | None, filename: str | None) -> str | None:
    ct = (content_type or "").split(";")[0].strip().lower()
    name = (filename or "").lower().removesuffix(".gz")
    if ct in _TSV_TYPES or name.endswith(".tsv") or name.endswith(".tab"):
        return "\t"
    return None


def _declared_format(content_type: str | None, filename: str | None) -> str | None:
    ct = (content_type or "").split(";")[0].strip().lower()
    name = (filename or "").lower().removesuffix(".gz")
    if ct in _JSON_TYPES or name.endswith((".json", ".jsonl", ".ndjson")):
        return "json"
    if ct in ("text/csv", *_TSV_TYPES) or name.endswith((".csv", ".tsv", ".tab")):
        return "csv"
    return None


def _columns(names: list[str], types: list[str], nulls: list[int]) -> list[ColumnInfo]:
    return [
        ColumnInfo(name=n, type=column_type_of(t), nulls=k, timezone="UTC" if t == "TIMESTAMPTZ" else None)
        for n, t, k in zip(names, types, nulls, strict=True)
    ]


def _run(
    src: Path,
    dest: Path,
    scratch: Path,
    content_type: str | None,
    filename: str | None,
    limits: IngestLimits,
    guard: Guard,
    bad_values: str,
) -> IngestResult:
    prep = prepare(src, scratch, limits, guard, content_type, filename)
    guard.check()
    report = Report(
        format=prep.format,
        encoding=prep.encoding,
        line_ending=prep.line_ending,
        compression=prep.compression,
        notes=list(prep.notes),
    )
    declared = _declared_format(content_type, filename)
    actual = "csv" if prep.format == "csv" else "json"
    if declared and declared != actual:
        report.notes.append(
            f"the file was sent as {declared.upper()} but its content is {prep.format.upper()}"
        )
    spill = scratch / "spill"
    spill.mkdir()
    con = connect(spill, guard, limits)
    # the ingest reads the upload and writes its scratch files and the result, nothing else
    restrict_files(con, files=[prep.path, dest], folders=[scratch])
    try:
        with watched(con, guard):
            try:
                if prep.format == "csv":
                    out = ingest_csv(
                        prep,
                        dest,
                        con,
                        limits,
                        guard,
                        _delimiter_hint(content_type, filename),
                        scratch,
                        bad_values,
                    )
                    report.delimiter = out.dialect.delimiter
                    report.header = out.dialect.header
                    report.problems, report.problem_count = out.problems, out.problem_count
                    report.notes.extend(out.notes)
                    nulls = null_counts(con, dest, len(out.names))
                    columns = _columns(out.names, out.types, nulls)
                    rows = out.rows
                else:
                    rows, names, types, nulls, problems, count, notes = ingest_json(
                        prep, dest, scratch, con, limits, guard, bad_values
                    )
                    report.problems, report.problem_count = problems, count
                    report.notes.extend(notes)
                    columns = _columns(names, types, nulls)
                columns = integer_distincts(con, dest, columns)
            except duckdb.Error as exc:
                raise map_duckdb_error(exc, guard) from None
        guard.check()
    finally:
        con.close()
    return IngestResult(rows=rows, columns=columns, report=report)


def ingest_file(
    src: Path,
    dest: Path,
    *,
    work_dir: Path,
    content_type: str | None = None,
    filename: str | None = None,
    limits: IngestLimits | None = None,
    cancel: threading.Event | None = None,
    bad_values: str | None = None,
) -> IngestResult:
    """Read an uploaded CSV/TSV/JSON/JSON Lines file (optionally gzip) into typed Parquet.

    ``src`` is the raw upload; ``dest`` receives a zstd Parquet file with the columns and rows
    in file order (the caller fsyncs and renames it). ``content_type`` and ``filename`` are
    hints; the bytes decide. Scratch files live in a private folder under ``work_dir`` and
    are gone when this returns or raises; ``dest`` is absent after a failure.

    Values that break the type most of their column shares are listed in the report's
    problems. ``bad_values`` says what becomes of them: ``"text"`` (the default) stores the
    column as text, ``"null"`` keeps the column's type and stores them as missing.

    Raises a :class:`~livegraphs_ext.store.errors.StoreError` subclass for every problem with
    the input (``BadInput`` 400, ``TooLarge`` 413, ``Unsupported`` 415, ``TimedOut`` 408,
    ``Cancelled`` when ``cancel`` is set).
    """
    bad_values = "text" if bad_values is None else bad_values
    if bad_values not in BAD_VALUES:
        raise BadInput(f"bad_values must be one of {', '.join(BAD_VALUES)}, not {str(bad_values)[:40]!r}")
    limits = limits or IngestLimits()
    guard = Guard(limits.time_limit, cancel)
    scratch = Path(work_dir) / f"ingest-{uuid.uuid4().hex}"
    scratch.mkdir()
    ok = False
    try:
        guard.check()
        result = _run(Path(src), Path(dest), scratch, content_type, filename, limits, guard, bad_values)
        ok = True
        return result
    except StoreError:
        raise
    except (UnicodeError, RecursionError, ValueError, OverflowError) as exc:
        raise BadInput(f"the file could not be read: {type(exc).__name__}: {exc}") from None
    except MemoryError:
        raise BadInput("the file needs more memory to read than the store allows") from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if not ok:
            Path(dest).unlink(missing_ok=True)
