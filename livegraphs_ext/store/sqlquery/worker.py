"""The process a user's query runs in: fresh, capped and locked, and killed when it must stop.

A :class:`Job` names the query, the datasets' Parquet files bound to the names it uses and what to
give back. The worker's process has capped its address space (:mod:`.serve`: DuckDB allocates some
results outside its ``memory_limit``, and the server must outlive any query); it checks DuckDB's own
parse of the text (:mod:`.duckast`), then opens a DuckDB that holds one view per dataset name and
can read those files and nothing else: extensions neither installed nor loaded, ``allowed_paths``
those files, ``enable_external_access`` off, threads, memory, spill and time capped, and the
configuration locked before the query is even parsed there. It answers over a pipe with one
message: ``("ok", result)`` or an error (see :func:`main`).
"""

from __future__ import annotations

import os
import re
import traceback
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ..pages import table_rows
from ..sql import quote_ident, quote_literal
from .duckast import AstRefused, byte_to_char, check_tree, parse_tree

#: rows per Arrow batch when a result is written to Parquet
BATCH_ROWS = 65_536
#: column names a dataset may not have: the store adds them to its own views
RESERVED = {"__row"}

_INTEGERS = {
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
    "UBIGINT", "UHUGEINT",
}  # fmt: skip


@dataclass
class Job:
    """One query for a worker: what to run, over which files, what to answer and under which caps."""

    sql: str
    #: the query's text without its closing semicolons (what runs, inside a wrapping SELECT)
    body: str
    #: dataset name as the query writes it -> the Parquet file it reads
    views: dict[str, str]
    #: the query's CTE names (lower case): bound to a view that fails, should DuckDB look one up
    ctes: list[str]
    #: "page" (rows as JSON values), "arrow" (the whole result, as Arrow IPC), "save" (to ``dest``)
    #: or "chart" (the chart spec ``extra["spec"]`` of the result, at most ``extra["budget"]`` marks)
    mode: str
    offset: int = 0
    limit: int = 100
    count: bool = True
    #: the most rows an "arrow" answer may hold
    max_rows: int = 1_000_000
    #: the Parquet file a "save" writes, and the most bytes it may take
    dest: str | None = None
    max_bytes: int = 20 << 30
    threads: int = 2
    memory_limit: str = "1GB"
    #: bytes of address space the worker may use beyond what it has when the job comes (0: no limit)
    address_space: int = 0
    timeout_ms: int = 60_000
    spill_dir: str = ""
    spill_limit: str = "1GB"
    extra: dict[str, Any] = field(default_factory=dict)


class ResultError(Exception):
    """The query ran but its result cannot be given: an HTTP status, a message and a reason."""

    def __init__(self, status: int, message: str, reason: str):
        super().__init__(message)
        self.status, self.message, self.reason = status, message, reason


def main(conn: Connection, job: Job) -> None:
    """Run ``job`` and send one message on ``conn``.

    ``("ok", result)``; ``("refused", message, char_offset, text)`` when DuckDB's parse breaks the
    allowlists; ``("duckdb", exception type, message, char_offset)`` when DuckDB refused or failed
    the query; ``("result", status, message, reason)`` when the result cannot be given;
    ``("fault", traceback)`` when our code failed.
    """
    try:
        message: tuple[Any, ...] = ("ok", run(job))
    except AstRefused as e:
        where = byte_to_char(job.sql, e.location) if e.location is not None else None
        message = ("refused", e.message, where, e.text)
    except duckdb.Error as e:
        text, where = error_position(job.body, str(e))
        message = ("duckdb", type(e).__name__, text, where)
    except MemoryError:
        message = ("duckdb", "OutOfMemoryException", "Out of Memory Error: allocation failure", None)
    except ResultError as e:
        message = ("result", e.status, e.message, e.reason)
    except Exception:
        # a fault of ours, not of the query: the server says so and logs where it was
        message = ("fault", traceback.format_exc())
    try:
        conn.send(message)
    except MemoryError:
        conn.send(("duckdb", "OutOfMemoryException", "Out of Memory Error: the result is too large", None))


def _config(job: Job, spill: bool) -> dict[str, Any]:
    config: dict[str, Any] = {
        "threads": job.threads,
        "memory_limit": job.memory_limit,
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "allow_community_extensions": False,
        "allow_unsigned_extensions": False,
        "allow_persistent_secrets": False,
        "max_execution_time": job.timeout_ms,
    }
    if spill and job.spill_dir:
        config["temp_directory"] = job.spill_dir
    return config


def _lock(con: duckdb.DuckDBPyConnection, files: list[str]) -> None:
    con.execute("SET enable_progress_bar = false")
    # each file as named and as it really is (the store may sit behind a symlink)
    paths = sorted({p for f in files for p in (f, os.path.realpath(f))})
    con.execute(f"SET allowed_paths = [{', '.join(quote_literal(p) for p in paths)}]")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def check_with_duckdb(job: Job) -> None:
    """DuckDB's parse of the query, held to the allowlists; every table it names must be bound."""
    con = duckdb.connect(":memory:", config=_config(job, spill=False))
    try:
        _lock(con, [])
        tables = check_tree(parse_tree(con, job.sql))
    finally:
        con.close()
    bound = {name.lower() for name in job.views} | set(job.ctes)
    for name in tables:
        if name.lower() not in bound:
            raise AstRefused(f"{name!r} is not a dataset this query may read")


def open_locked(job: Job) -> duckdb.DuckDBPyConnection:
    """A DuckDB holding a view per dataset name (and a failing one per CTE name), then locked."""
    con = duckdb.connect(":memory:", config=_config(job, spill=True))
    try:
        # enforced only when SET after start-up, not as a connect option
        con.execute(f"SET max_temp_directory_size = {quote_literal(job.spill_limit)}")
        con.execute("SET preserve_insertion_order = true")
        for name, path in job.views.items():
            con.execute(
                f"CREATE VIEW {quote_ident(name)} AS SELECT * FROM read_parquet({quote_literal(path)})"
            )
        names = {n.lower() for n in job.views}
        for cte in job.ctes:
            if cte not in names:
                names.add(cte)
                message = quote_literal(f"{cte} is a name of the query's WITH, used where it is not defined")
                con.execute(f"CREATE VIEW {quote_ident(cte)} AS SELECT error({message}) AS x")
        _lock(con, sorted(set(job.views.values())))
    except BaseException:
        con.close()
        raise
    return con


def storable(name: str, duck_type: str, i: int) -> tuple[str, dict[str, Any]]:
    """The SQL turning result column ``i`` into a dataset column, and the column's description."""
    t = duck_type.upper()
    ref = f"#{i + 1}"
    column: dict[str, Any] = {"name": name}
    if t in _INTEGERS:
        # past BIGINT's range the conversion fails, rather than rounding silently
        return f"CAST({ref} AS BIGINT)", column | {"type": "integer"}
    if t in ("DOUBLE", "FLOAT", "REAL") or t.startswith("DECIMAL"):
        return f"CAST({ref} AS DOUBLE)", column | {"type": "float"}
    if t == "BOOLEAN":
        return ref, column | {"type": "boolean"}
    if t == "DATE":
        return ref, column | {"type": "date"}
    if t in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"):
        return f"timezone('UTC', {ref})", column | {"type": "datetime", "timezone": "UTC"}
    if t.startswith("TIMESTAMP"):
        return f"CAST({ref} AS TIMESTAMP)", column | {"type": "datetime"}
    if t == "VARCHAR":
        return ref, column | {"type": "string"}
    # times, intervals, lists, structs, maps, UUIDs, blobs...: as text
    return f"CAST({ref} AS VARCHAR)", column | {"type": "string"}


def unique_names(names: list[str]) -> list[str]:
    """Column names made unique (a repeated name gets ``_1``, ``_2``...), none of them reserved."""
    taken: set[str] = set()
    out: list[str] = []
    for name in names:
        base = name or "column"
        candidate, n = base, 0
        while candidate in taken or candidate in RESERVED:
            n += 1
            candidate = f"{base}_{n}"
        taken.add(candidate)
        out.append(candidate)
    return out


def wrap(body: str, select: str) -> str:
    """``select`` over the query, whose text starts on the second line (so DuckDB's positions map back)."""
    return f"{select} FROM (\n{body}\n) AS lg_result"


def run(job: Job) -> dict[str, Any]:
    check_with_duckdb(job)
    con = open_locked(job)
    try:
        statements = con.extract_statements(job.sql)
        if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
            raise AstRefused("Only one query that reads (a SELECT) may run")
        probe = con.execute(wrap(job.body, "SELECT *") + " LIMIT 0")
        described = probe.description or []
        probe.fetchall()  # nothing: LIMIT 0; ends the result
        names = unique_names([str(d[0]) for d in described])
        parts, columns = [], []
        for i, (name, d) in enumerate(zip(names, described, strict=True)):
            expr, column = storable(name, str(d[1]), i)
            parts.append(f"{expr} AS {quote_ident(name)}")
            columns.append(column)
        if not parts:
            raise ResultError(400, "The query gives no columns", "No Columns")
        final = wrap(job.body, f"SELECT {', '.join(parts)}")
        # what runs is DuckDB's parse of the final text, held to the allowlists too
        check_tree(parse_tree(con, final))
        if job.mode == "page":
            page = con.sql(f"{final}\nLIMIT {int(job.limit)} OFFSET {int(job.offset)}").to_arrow_table()
            total = None
            if job.count:
                rows = con.execute(wrap(job.body, "SELECT count(*)")).fetchall()
                total = int(rows[0][0]) if rows else 0
            return {"columns": columns, "rows": table_rows(page), "total": total}
        if job.mode == "arrow":
            table = con.sql(f"{final}\nLIMIT {int(job.max_rows) + 1}").to_arrow_table()
            if table.num_rows > job.max_rows:
                raise ResultError(
                    413,
                    f"The result has more than {job.max_rows:,} rows: add a LIMIT, aggregate, "
                    "or save it as a dataset",
                    "Result Too Large",
                )
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, table.schema) as writer:
                writer.write_table(table)
            return {"columns": columns, "ipc": sink.getvalue().to_pybytes()}
        if job.mode == "save":
            return {"columns": columns, "rows": _save(job, con.sql(final))}
        if job.mode == "chart":
            return _chart(job, con, parts, columns)
        raise ResultError(400, f"Unknown mode {job.mode!r}", "Bad Request")
    finally:
        con.close()


def _chart(job: Job, con: duckdb.DuckDBPyConnection, parts: list[str], columns: list[dict[str, Any]]) -> Any:
    """The chart of the query's result: the chart engine's queries, each reading the query as ``src``.

    Only marks leave the process: the rows are grouped, binned or thinned here, as a dataset's are.
    """
    from ..charts.engine import run_chart_over
    from ..charts.pool import EngineConfig
    from ..errors import StoreError
    from ..schema import ColumnInfo

    def source(row_numbers: bool) -> str:
        # raw rows come in the query's order (insertion order is kept), as a file's in its own
        extra = ["row_number() OVER () - 1 AS file_row_number"] if row_numbers else []
        return wrap(job.body, f"SELECT {', '.join([*parts, *extra])}")

    config = EngineConfig(
        threads=job.threads,
        memory_limit=job.memory_limit,
        timeout_ms=job.timeout_ms,
        max_filter_values=int(job.extra["max_filter_values"]),
    )
    infos = [ColumnInfo(c["name"], c["type"], timezone=c.get("timezone")) for c in columns]
    try:
        return run_chart_over(
            con, source, infos, job.extra["spec"], max_marks=int(job.extra["budget"]), config=config
        )
    except StoreError as e:  # the spec does not fit the query's columns
        raise ResultError(e.status, e.message, e.reason) from None
    except (duckdb.InterruptException, duckdb.OutOfMemoryException):
        raise
    except duckdb.Error as e:
        text = (str(e).splitlines() or [type(e).__name__])[0][:500]
        raise ResultError(400, f"The chart query failed: {text}", "Bad query") from None


def _save(job: Job, result: duckdb.DuckDBPyRelation) -> int:
    """Write the whole result to ``job.dest`` as Parquet, batch by batch; its row count."""
    assert job.dest is not None
    reader = result.to_arrow_reader(BATCH_ROWS)
    rows = 0
    with pq.ParquetWriter(job.dest, reader.schema, compression="zstd") as writer:
        for batch in reader:
            writer.write_batch(batch)
            rows += batch.num_rows
            if writer.file_handle is not None and writer.file_handle.tell() > job.max_bytes:
                raise ResultError(
                    413,
                    f"The result is larger than the {job.max_bytes:,} bytes a dataset may hold",
                    "Result Too Large",
                )
    return rows


#: ``LINE n: text`` then a caret line, in DuckDB's error messages
_LINE = re.compile(r"\n\s*LINE (\d+): ([^\n]*)\n( *)\^")


def error_position(body: str, message: str, shift: int = 1) -> tuple[str, int | None]:
    """DuckDB's error message without its ``LINE`` excerpt, and the character offset of ``body`` it
    points at (``body`` starts ``shift`` lines into the text that ran; see :func:`wrap`)."""
    m = _LINE.search(message)
    if not m:
        return message.strip(), None
    text = message[: m.start()].strip()
    shown_no, snippet, pad = int(m.group(1)), m.group(2), len(m.group(3))
    at = pad - len(f"LINE {shown_no}: ")
    line_no = shown_no - shift
    sql = body
    lines = sql.split("\n")
    if not 1 <= line_no <= len(lines) or at < 0:
        return text, None
    line = lines[line_no - 1]
    shown = snippet
    if shown.startswith("..."):
        shown, at = shown[3:], at - 3
    if shown.endswith("..."):
        shown = shown[:-3]
    start = line.find(shown) if shown else 0
    if start < 0 or at < 0:
        return text, None
    return text, sum(len(x) + 1 for x in lines[: line_no - 1]) + start + at
