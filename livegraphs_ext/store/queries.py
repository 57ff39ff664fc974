"""Reading a version's data: pages of rows, the whole table, column profiles, formula help and exports."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from . import profile, transforms
from .core import duck_message
from .errors import BadInput, StoreError
from .files import remove_quietly, unique_name
from .pages import read_slice, table_rows
from .schema import ColumnInfo
from .sql import quote_ident, quote_literal
from .stopping import check_stopped, stopped_error, watched
from .versions import DatasetVersions

MAX_PAGE = 10_000


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
        order = f"{order}, " if order else ""
        select = ", ".join(quote_ident(n) for n in names)
        with self._scratch() as scratch:
            con = self._connect(scratch, read=[path])
            try:
                with watched(con):
                    self._src_view(con, path)
                    where_sql = f" WHERE {where}" if where else ""
                    counted = con.execute(f"SELECT count(*) FROM src{where_sql}", params).fetchall()[0]
                    check_stopped()
                    table = con.sql(
                        f'SELECT {select} FROM src{where_sql} ORDER BY {order}"__row" LIMIT ? OFFSET ?',
                        params=[*params, limit, offset],
                    ).to_arrow_table()
            except duckdb.Error as e:
                raise self._query_error(e, "The query failed") from e
            finally:
                con.close()
        return {
            "columns": names,
            "rows": table_rows(table),
            "offset": offset,
            "limit": limit,
            "total": int(counted[0]),
        }

    def _query_error(self, e: duckdb.Error, what: str) -> StoreError:
        """The error to raise for DuckDB error ``e``: stopped (408, or the caller left), else 400."""
        stopped = stopped_error(e, self.config.query_timeout_ms / 1000)
        if stopped is not None:
            return stopped
        return BadInput(f"{what}: {duck_message(e)}", "Bad query")

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
