"""Reading a version's data: pages of rows, the whole table, column profiles, formula help and exports."""

from __future__ import annotations

import re
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from . import profile, transforms
from .core import duck_message
from .errors import BadInput
from .files import remove_quietly, unique_name
from .pages import RowOrders, read_slice, table_rows, write_row_order
from .schema import ColumnInfo
from .sql import quote_ident, quote_literal
from .versions import DatasetVersions

MAX_PAGE = 10_000
#: row numbers a fetch names in one IN list (DuckDB prunes by them up to about this many)
FETCH_CHUNK = 128


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
        where, params = transforms.compile_filter(filter, columns) if filter else ("", [])
        order = transforms.compile_sort(sort, columns) if sort else ""
        rownums, counted = self._ordered_rows(path, total, where, params, order, offset, limit)
        return {
            "columns": names,
            "rows": table_rows(self._fetch_rows(path, names, rownums)),
            "offset": offset,
            "limit": limit,
            "total": counted,
        }

    def _ordered_rows(
        self, path: Path, total: int, where: str, params: list[Any], order: str, offset: int, limit: int
    ) -> tuple[list[int], int]:
        """File row numbers of a sorted or filtered page, and the rows of the whole result.

        Ties keep file order, nulls sort last (``filters.sort_sql``). The page comes from the
        stored row order of (file, sort, filter) when there is one; else, near the start, from
        a top-N query over the sort keys while the order is built on the side; else it waits
        for the order.
        """
        key = RowOrders.key(path, order, where, params)
        window = self.config.page_top_window
        for _ in range(3):
            found = self._orders.get(key)
            if found is not None:
                rows = found.slice(offset, limit)
                if rows is not None:
                    return rows, found.rows
                self._orders.drop(key)
            whole = total if not where else None
            if whole is not None and whole <= window:
                return self._top_rows(path, where, params, order, offset, limit), whole
            building = self._orders.build(key, lambda dest: self._write_order(path, where, params, order, dest))
            if offset + limit <= window:
                rows = self._top_rows(path, where, params, order, offset, limit)
                return rows, whole if whole is not None else self._count(path, where, params)
            try:
                building.result(timeout=self.config.query_timeout_ms / 1000)
            except duckdb.Error as e:
                raise BadInput(f"The query failed: {duck_message(e)}", "Bad query") from e
            except FutureTimeout as e:
                raise BadInput("Sorting the rows took too long", "Bad query") from e
        raise BadInput("The page could not be read: its row order kept disappearing", "Bad query")

    def _query(self, path: Path, sql: str, params: list[Any]) -> pa.Table:
        with self._scratch() as scratch:
            con = self._connect(scratch, read=[path])
            try:
                self._src_view(con, path)
                return con.sql(sql, params=params).to_arrow_table()
            except duckdb.Error as e:
                raise BadInput(f"The query failed: {duck_message(e)}", "Bad query") from e
            finally:
                con.close()

    @staticmethod
    def _order_sql(where: str, order: str) -> str:
        where_sql = f" WHERE {where}" if where else ""
        keys = f"{order}, " if order else ""
        return f'SELECT "__row" - 1 AS r FROM src{where_sql} ORDER BY {keys}"__row"'

    def _top_rows(
        self, path: Path, where: str, params: list[Any], order: str, offset: int, limit: int
    ) -> list[int]:
        """A page's row numbers by a top-N over the sort keys and row numbers only."""
        sql = f"{self._order_sql(where, order)} LIMIT ? OFFSET ?"
        return self._query(path, sql, [*params, limit, offset]).column(0).to_pylist()

    def _count(self, path: Path, where: str, params: list[Any]) -> int:
        table = self._query(path, f"SELECT count(*) FROM src WHERE {where}", params)
        return int(table.column(0)[0].as_py())

    def _write_order(self, path: Path, where: str, params: list[Any], order: str, dest: Path) -> int:
        with self._scratch() as scratch:
            con = self._connect(scratch, read=[path])
            try:
                self._src_view(con, path)
                reader = con.sql(self._order_sql(where, order), params=params).to_arrow_reader()
                return write_row_order(reader, dest)
            finally:
                con.close()

    def _fetch_rows(self, path: Path, names: list[str], rownums: list[int]) -> pa.Table:
        """The rows with these file row numbers (0-based), in the order given."""
        select = ", ".join(quote_ident(n) for n in names)
        if not rownums:
            return self._query(path, f"SELECT {select} FROM src LIMIT 0", [])
        parts = []
        with self._scratch() as scratch:
            con = self._connect(scratch, read=[path])
            try:
                source = f"read_parquet({quote_literal(str(path))}, file_row_number = true)"
                for i in range(0, len(rownums), FETCH_CHUNK):
                    chunk = ", ".join(str(int(r)) for r in rownums[i : i + FETCH_CHUNK])
                    parts.append(
                        con.sql(
                            f"SELECT {select}, file_row_number FROM {source} WHERE file_row_number IN ({chunk})"
                        ).to_arrow_table()
                    )
            except duckdb.Error as e:
                raise BadInput(f"The query failed: {duck_message(e)}", "Bad query") from e
            finally:
                con.close()
        found = pa.concat_tables(parts)
        at = pc.index_in(pa.array(rownums, pa.int64()), value_set=found.column(len(names)).cast(pa.int64()))
        return found.select(list(range(len(names)))).take(at)

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
                return profile.column_profile(con, path, columns, column)
            except duckdb.Error as e:
                raise BadInput(f"The profile failed: {duck_message(e)}", "Bad query") from e
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
