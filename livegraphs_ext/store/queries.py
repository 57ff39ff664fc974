"""Reading a version's data: pages of rows, the whole table, column profiles, formula help and exports."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from . import profile, transforms
from .charts.pool import EngineConfig, connection
from .core import duck_message
from .errors import BadInput, StoreError
from .files import remove_quietly, unique_name
from .pages import RowOrder, RowOrders, half_memory, read_slice, table_rows, write_row_order
from .schema import ColumnInfo
from .sql import quote_ident, quote_literal
from .stopping import check_stopped, stopped_error, timed_out, watched
from .versions import DatasetVersions

MAX_PAGE = 10_000
#: row numbers a fetch names in one IN list (DuckDB prunes by them up to about this many)
FETCH_CHUNK = 128
#: rows per row group of a sorted copy (smaller than a version's: a page decodes one)
COPY_ROW_GROUP = 32_768
#: a row order or sorted copy, built on the side, may take this many times a page query's time limit
BUILD_TIME_FACTOR = 5


@dataclass
class ExportFile:
    path: Path
    media_type: str
    filename: str
    #: True when the file is a temporary copy the caller must remove after sending
    temporary: bool


class DatasetQueries(DatasetVersions):
    """Queries over a version's file; none of them changes anything."""

    def rows(
        self,
        dataset_id: str,
        *,
        version: int | None = None,
        offset: int = 0,
        limit: int = 100,
        sort: str | None = None,
        filter: Any = None,
    ) -> dict[str, Any]:
        """One page of rows: ``{"columns", "rows", "offset", "limit", "total"}``."""
        if offset < 0 or limit < 0:
            raise BadInput("offset and limit must be zero or more", "Bad page")
        if limit > MAX_PAGE:
            raise BadInput(f"limit is at most {MAX_PAGE}", "Bad page")
        path, columns, total = self._columns(dataset_id, version)
        names = [c.name for c in columns]
        if not sort and not filter:
            table = read_slice(path, offset, limit, self._meta)
            return {
                "columns": names,
                "rows": table_rows(table),
                "offset": offset,
                "limit": limit,
                "total": total,
            }
        where, params = (
            transforms.compile_filter(filter, columns, max_values=self.config.max_filter_values)
            if filter
            else ("", [])
        )
        order = transforms.compile_sort(sort, columns) if sort else ""
        table, counted = self._ordered_rows(path, total, where, params, order, offset, limit)
        return {
            "columns": names,
            "rows": table_rows(table.select(names)),
            "offset": offset,
            "limit": limit,
            "total": counted,
        }

    def _query_error(self, e: duckdb.Error, what: str) -> StoreError:
        """The error to raise for DuckDB error ``e``: stopped (408, or the caller left), else 400."""
        stopped = stopped_error(e, self.config.query_timeout_ms / 1000)
        if stopped is not None:
            return stopped
        return BadInput(f"{what}: {duck_message(e)}", "Bad query")

    def _ordered_rows(
        self, path: Path, total: int, where: str, params: list[Any], order: str, offset: int, limit: int
    ) -> tuple[pa.Table, int]:
        """A sorted or filtered page, and the rows of the whole result.

        Ties keep file order, nulls sort last (``filters.sort_sql``). The page's row numbers come
        from the stored row order of (file, sort, filter) when there is one; else, near the
        start, from a top-N query over the sort keys alone, after which the order is built on
        the side; else the page waits for the order. The rows are then taken from the version
        held in memory while the order's copy is written (when it fits), or fetched by number.
        """
        key = RowOrders.key(path, order, where, params)
        window = self.config.page_top_window
        whole = total if not where else None
        for _ in range(3):
            found = self._orders.get(key)
            if found is not None and found.copy is not None:
                try:
                    return read_slice(found.copy, offset, limit, self._meta), found.rows
                except FileNotFoundError:
                    # gone meanwhile: forget it, but never a newer order of the same key
                    self._orders.drop(key, found.path)
                    found = None
            if found is not None:
                rownums = found.slice(offset, limit)
                held = self._held.take(path, rownums) if rownums is not None else None
                if held is not None:
                    return held, found.rows
                if rownums is not None:
                    with self._page_connection(path) as con:
                        return _fetch_rows(con, self._names(path), rownums), found.rows
                self._orders.drop(key, found.path)
            small = whole is not None and whole <= window
            if small or offset + limit <= window:
                with self._page_connection(path) as con:
                    top = con.sql(
                        f"{_order_sql(where, order)} LIMIT ? OFFSET ?", params=[*params, limit, offset]
                    )
                    page = _fetch_rows(con, self._names(path), top.to_arrow_table().column(0).to_pylist())
                    if whole is None:
                        whole = int(
                            con.execute(f"SELECT count(*) FROM src WHERE {where}", params).fetchall()[0][0]
                        )
                # a result that fits in the window is always answered so: it needs no order
                if whole > window:
                    self._build_order(key, path, where, params, order)
                return page, whole
            building = self._build_order(key, path, where, params, order)
            try:
                building.result(timeout=self.config.query_timeout_ms / 1000)
            except duckdb.Error as e:
                raise self._query_error(e, "The query failed") from e
            except FutureTimeout as e:
                raise timed_out(self.config.query_timeout_ms / 1000) from e
            check_stopped()
        raise BadInput("The page could not be read: its row order kept disappearing", "Bad query")

    def _names(self, path: Path) -> list[str]:
        return [f.name for f in self._meta.get(path)[0].schema.to_arrow_schema()]

    @contextmanager
    def _page_connection(self, path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
        """A pooled locked connection whose view ``src`` is the file with its ``file_row_number``."""
        try:
            c = self.config
            settings = EngineConfig(
                c.duckdb_threads, c.duckdb_memory_limit, c.query_timeout_ms, c.duckdb_temp_limit
            )
            with connection(self._page_pool, path, settings, row_numbers=True) as conn, watched(conn.con):
                yield conn.con
        except duckdb.Error as e:
            raise self._query_error(e, "The query failed") from e

    def _build_order(
        self, key: str, path: Path, where: str, params: list[Any], order: str
    ) -> Future[RowOrder]:
        """Start (or join) the build of a row order, then of its sorted copy.

        They may run at once, one of each: the order gets half of ``duckdb_memory_limit``, the
        copy a quarter and one thread (it spills sooner), which leaves room and a core for
        pages; each may take ``BUILD_TIME_FACTOR`` times the page query time limit.
        """
        c = self.config
        half = half_memory(c.duckdb_memory_limit)
        quarter = half_memory(half)
        limit_ms = c.query_timeout_ms * BUILD_TIME_FACTOR

        def write(dest: Path) -> int:
            settings = EngineConfig(c.duckdb_threads, half, limit_ms, c.duckdb_temp_limit)
            try:
                with connection(None, path, settings, row_numbers=True) as conn:
                    reader = conn.con.sql(_order_sql(where, order), params=params).to_arrow_reader()
                    return write_row_order(reader, dest)
            except duckdb.Error as e:
                raise BadInput(f"The query failed: {duck_message(e)}", "Bad query") from e

        def copy(dest: Path) -> None:
            names = self._names(path)
            select = ", ".join(quote_ident(n) for n in names)
            where_sql = f" WHERE {where}" if where else ""
            keys = f"{order}, " if order else ""
            with self._scratch() as scratch, self._held.holding(path, self._meta):
                con = self._connect(
                    scratch, read=[path], threads=1, memory_limit=quarter, timeout_ms=limit_ms
                )
                try:
                    self._src_view(con, path)
                    out = scratch / "sorted.parquet"
                    con.execute(
                        f'COPY (SELECT {select} FROM src{where_sql} ORDER BY {keys}"__row") '
                        f"TO {quote_literal(str(out))} "
                        f"(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {COPY_ROW_GROUP})",
                        params,
                    )
                    out.replace(dest)
                finally:
                    con.close()

        return self._orders.build(key, write, copy)

    def arrow(self, dataset_id: str, version: int | None = None) -> pa.Table:
        """The whole version as an Arrow table (for notebooks; the server never needs this)."""
        import pyarrow.parquet as pq

        return pq.read_table(self.version_file(dataset_id, version))

    # ------------------------------------------------------------------ profiles and formulas

    def profile(self, dataset_id: str, column: str, version: int | None = None) -> dict[str, Any]:
        """Counts, range and histogram or top values of one column (see ``profile.column_profile``)."""
        path, columns, _ = self._columns(dataset_id, version)
        with self._scratch() as scratch:
            con = self._connect(scratch)
            try:
                with watched(con):
                    return profile.column_profile(con, path, columns, column)
            except duckdb.Error as e:
                raise self._query_error(e, "The profile failed") from e
            finally:
                con.close()

    def check_formula(self, dataset_id: str, formula: Any, version: int | None = None) -> dict[str, Any]:
        """Whether ``formula`` is valid on a version, its type, or the error and where it is."""
        _, columns, _ = self._columns(dataset_id, version)
        return profile.check_formula(formula, columns)

    def formula_completions(self, dataset_id: str, version: int | None = None) -> list[dict[str, str]]:
        _, columns, _ = self._columns(dataset_id, version)
        return profile.completions(columns)

    # ------------------------------------------------------------------ export

    def export(self, dataset_id: str, fmt: str, version: int | None = None) -> ExportFile:
        """A file to send for ``fmt`` in csv, parquet, json.

        CSV text cells (and header cells) that a spreadsheet would run as a formula are
        prefixed with ``'``.
        """
        fmt = (fmt or "csv").lower()
        ds = self.get(dataset_id)
        path, columns, _ = self._columns(dataset_id, version)
        base = _safe_filename(ds["name"])
        if fmt == "parquet":
            return ExportFile(path, "application/vnd.apache.parquet", f"{base}.parquet", temporary=False)
        if fmt not in {"csv", "json"}:
            raise BadInput(f"Unknown export format {fmt!r}: use csv, parquet or json", "Bad format")
        out = self.staging_dir / unique_name(f".{fmt}")
        with self._scratch() as scratch:
            con = self._connect(scratch)
            try:
                self._src_view(con, path)
                if fmt == "csv":
                    select = ", ".join(
                        f"{_neutralised(c)} AS {quote_ident(_neutralise_text(c.name))}" for c in columns
                    )
                    con.execute(
                        f'COPY (SELECT {select} FROM src ORDER BY "__row") TO {quote_literal(str(out))} '
                        "(FORMAT csv, HEADER true)"
                    )
                else:
                    select = ", ".join(quote_ident(c.name) for c in columns)
                    con.execute(
                        f'COPY (SELECT {select} FROM src ORDER BY "__row") TO {quote_literal(str(out))} '
                        "(FORMAT json, ARRAY true)"
                    )
            except BaseException:
                remove_quietly(out)
                raise
            finally:
                con.close()
        media = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
        return ExportFile(out, media, f"{base}.{fmt}", temporary=True)


def _order_sql(where: str, order: str) -> str:
    """The file row numbers of the rows that pass ``where``, in page order (ties in file order)."""
    where_sql = f" WHERE {where}" if where else ""
    keys = f"{order}, " if order else ""
    return f"SELECT file_row_number FROM src{where_sql} ORDER BY {keys}file_row_number"


def _fetch_rows(con: duckdb.DuckDBPyConnection, names: list[str], rownums: list[int]) -> pa.Table:
    """The rows with these file row numbers (0-based), in the order given.

    IN lists of up to ``FETCH_CHUNK`` numbers, which DuckDB pushes into the scan.
    """
    import pyarrow.compute as pc  # on first use: a notebook's chart never needs it

    select = ", ".join(quote_ident(n) for n in names)
    if not rownums:
        return con.sql(f"SELECT {select} FROM src LIMIT 0").to_arrow_table()
    parts = []
    for i in range(0, len(rownums), FETCH_CHUNK):
        chunk = ", ".join(str(int(r)) for r in rownums[i : i + FETCH_CHUNK])
        parts.append(
            con.sql(
                f"SELECT {select}, file_row_number FROM src WHERE file_row_number IN ({chunk})"
            ).to_arrow_table()
        )
    found = pa.concat_tables(parts)
    at = pc.index_in(pa.array(rownums, pa.int64()), value_set=found.column(len(names)).cast(pa.int64()))
    return found.select(list(range(len(names)))).take(at)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def _neutralise_text(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def _neutralised(c: ColumnInfo) -> str:
    col = quote_ident(c.name)
    if c.type != "string":
        return col
    return f"CASE WHEN regexp_matches({col}, '^[=+\\-@\\t\\r\\n]') THEN '''' || {col} ELSE {col} END"


def _safe_filename(name: str) -> str:
    cleaned = re.sub(r"[^\w.\- ]+", "_", name).strip(" .") or "dataset"
    return cleaned[:100]
