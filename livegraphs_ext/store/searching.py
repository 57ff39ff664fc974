"""Searching a version's rows (``rows(q=...)``) and every dataset a caller can read.

A search is a view of the version, never a new one. Pages of it sort and filter as other pages
do. What answers a page (see :mod:`.textsearch`):

* the version's tantivy index, when it is built: an unsorted, unfiltered page of the first
  ``SEARCH_TOP_MAX`` matches is read from it in file order, with the count (a word's page from
  its matches among the file's first rows, its count from its term); a sorted or filtered one
  (or a later page) takes every match's row number from it (up to ``SEARCH_JOIN_MAX`` matches;
  kept a while for the search's next pages) and orders them by the ranks of the sort's stored
  row order, or until they are written, lets DuckDB sort and filter those rows alone; a
  sorted, unfiltered page of more matches is taken
  from the first rows of the whole sort (of its row order, by the index; else of its copy or a
  top-N, by DuckDB), as many as should hold it (the index's count says how dense the matches
  are), the count from the index;
* else one scan, which answers the first rows and the count in one pass; then the index is
  built on the side (the first search of a version starts the build once its scan is done, so
  the scan has the cores to itself);
* else (a sort or filter before the index is there, a filtered or unsorted page of more matches
  than ``SEARCH_JOIN_MAX``, or a sorted one further in than the first rows of the sort reach)
  the scan's condition as a filter, through the stored row orders of :mod:`.pages`.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from . import transforms
from .core import StoreConfig
from .errors import BadInput
from .pages import RowOrders, half_memory, read_rows, row_groups, table_rows
from .queries import MAX_PAGE, DatasetQueries, _fetch_rows, _order_sql
from .schema import ColumnInfo
from .sql import quote_ident
from .stopping import check_stopped
from .textsearch import (
    ROW,
    SORT_FIRST_ROWS,
    Matches,
    OpenIndex,
    SearchIndexes,
    SearchQuery,
    SortMatches,
    build_index,
    dense_match_sql,
    few_rows_where,
    first_of_groups,
    index_dir,
    matching_texts,
    parse_query,
    scan_where,
    sort_places,
)

#: the last match an unsorted page is read up to from the index itself
SEARCH_TOP_MAX = 100_000
#: the most matches whose row numbers a sorted or filtered page takes from the index
SEARCH_JOIN_MAX = 200_000
#: the most matches a sorted or filtered page takes whole from the index's stored values, to sort
#: and filter them alone (each costs a stored document's read; more are joined with the file)
SEARCH_STORED_MAX = 2_000
#: the most rows of the whole sort a sorted page of many matches is looked for in by a top-N sort
#: of the file, before the sort's copy is written (see ``DatasetSearch._prefix_page``), and the
#: most bytes they may take (the file's uncompressed size a row); a page further on then takes
#: the stored row order of its matches
SEARCH_PREFIX_MAX = 100_000
SEARCH_PREFIX_BYTES = 64 * 2**20
#: the most of the file's first rows an unsorted page of a word is looked for among (the index
#: finds them by their row numbers' terms, at about 1 ms a 5,000; past it, every match is ordered)
FIRST_ROWS_MAX = 20_000
#: the most of the first rows of a sort's row order a sorted page of many matches is looked for
#: among by the index (a term each, about 15 µs a row; past it, the sorted copy's rows)
ORDER_PREFIX_MAX = 4_000
#: the same before the sort's copy is written, when past it a top-N sort of the file's rows answers
#: (seconds at 10M rows, where 20,000 rows cost the index about 0.3 s); the first rows of a sort
#: of one column that the index build writes are as many, so they serve it whole
ORDER_PREFIX_FAR = SORT_FIRST_ROWS
#: up to this many rows, a search's condition is the one compiled once (``few_rows_where``)
FEW_ROWS = 10_000
#: a page whose rows lie in at most this many row groups reads those groups whole (pyarrow); one
#: spread wider is picked out of the file by DuckDB, which decodes only the rows it keeps
FETCH_GROUPS = 2
#: datasets searched for values by ``search_datasets`` (the most recently changed first)
SEARCH_MAX_DATASETS = 100
#: rows shown per dataset by ``search_datasets``, at most
SEARCH_MAX_ROWS = 20
#: a dataset without an index is scanned by ``search_datasets`` up to this many rows; a bigger
#: one is listed as pending while its index is built
SEARCH_SCAN_ROWS = 2_000_000
#: a search without an index, of a file of at least this many rows, first looks for its page in
#: the file's first rows (one ``NEAR_SHARE``-th of them), so that the scan of every row only
#: counts the matches when they hold it
NEAR_MIN_ROWS = 4_000_000
NEAR_SHARE = 80
#: when the first rows hold a page at least this dense, the count comes from
#: ``textsearch.dense_match_sql`` (cheaper than the scan's condition when most rows match)
DENSE_SHARE = 0.2


#: a sorted page of matches from sort groups makes of them one int64 key below this
GROUPED_KEY_MAX = 2**62
#: the matches an ordered search of the index goes through in the time the index tells which
#: of a sort's first rows match, one (about 12 ns against 15 µs: see ``DatasetSearch._keyed_page``)
KEYED_ROW_COST = 1_000


class DatasetSearch(DatasetQueries):
    """Full-text search over the store's versions (mixed into the store after its queries)."""

    def __init__(self, config: StoreConfig, *, sweep: bool = True):
        super().__init__(config, sweep=sweep)
        self.search_indexes = SearchIndexes(self._build_search_index)

    def close(self) -> None:
        self.search_indexes.close()
        super().close()

    # ------------------------------------------------------------------ one dataset's rows

    def rows(
        self,
        dataset_id: str,
        *,
        version: int | None = None,
        offset: int = 0,
        limit: int = 100,
        sort: str | None = None,
        filter: Any = None,
        q: str | None = None,
    ) -> dict[str, Any]:
        """One page of rows; with ``q``, of the rows that match it, plus ``search`` (its clauses)."""
        if q is None or not q.strip():
            return super().rows(
                dataset_id, version=version, offset=offset, limit=limit, sort=sort, filter=filter
            )
        query = parse_query(q)
        if offset < 0 or limit < 0:
            raise BadInput("offset and limit must be zero or more", "Bad page")
        if limit > MAX_PAGE:
            raise BadInput(f"limit is at most {MAX_PAGE}", "Bad page")
        path, columns, total = self._columns(dataset_id, version)
        names = [c.name for c in columns]
        texts = [c.name for c in columns if c.type == "string"]
        index = self.search_indexes.get(path) if texts else None
        try:
            table, count = self._search_page(
                path, total, columns, texts, index, query, offset, limit, sort, filter
            )
        finally:
            if texts and index is None:
                # after the scan, which then has the cores to itself
                self.search_indexes.build(path)
        return {
            "columns": names,
            "rows": table_rows(table.select(names)) if table is not None else [],
            "offset": offset,
            "limit": limit,
            "total": count,
            "search": {**query.to_json(), "columns": texts, "indexed": index is not None},
        }

    def _search_page(
        self,
        path: Path,
        total: int,
        columns: list[ColumnInfo],
        texts: list[str],
        index: OpenIndex | None,
        query: SearchQuery,
        offset: int,
        limit: int,
        sort: str | None,
        filter: Any,
    ) -> tuple[pa.Table | None, int]:
        if not texts:
            return None, 0
        names = [c.name for c in columns]
        plain = not sort and not filter
        if plain and index is not None and offset + limit <= SEARCH_TOP_MAX:
            first = self._first_rows_page(path, total, names, index, query, offset, limit)
            if first is not None:
                return first
            rownums, stored, count = index.page_values(query, offset, limit, self._schema(path))
            return (stored if stored is not None else self._fetch(path, names, rownums)), count
        if plain and index is None and offset + limit <= self.config.page_top_window:
            table, count = self._scan_first(path, query, texts, names, offset + limit)
            return table.slice(offset), count
        where, params = (
            transforms.compile_filter(filter, columns, max_values=self.config.max_filter_values)
            if filter
            else ("", [])
        )
        keys = transforms.parse_sort(sort, columns) if sort else []
        order = transforms.sort_sql(keys) if keys else ""
        if index is not None:
            kept = index.kept_count(query)
            count = kept if kept is not None else index.count(query)
            if order and not where and len(keys) == 1:
                keyed = self._keyed_page(path, total, names, index, query, keys, order, count, offset, limit)
                if keyed is not None:
                    return keyed, count
            if count <= SEARCH_STORED_MAX and kept is None:
                rownums, stored, _ = index.page_values(query, 0, count, self._schema(path))
                if stored is not None:
                    return self._stored_page(
                        path, names, stored, rownums, where, params, order, offset, limit
                    )
            if count <= SEARCH_JOIN_MAX:
                matches = index.matches(query, count)
                if order and not where:
                    grouped = self._grouped_page(path, total, names, keys, matches, offset, limit)
                    if grouped is not None:
                        return grouped
                if where or order:
                    ranked = self._ranked_page(
                        path, total, names, matches, where, params, order, offset, limit
                    )
                    if ranked is not None:
                        return ranked
                return self._joined_page(path, names, matches, where, params, order, offset, limit)
            if order and not where:
                table = self._prefix_page(
                    path, total, names, texts, index, query, count, keys, order, offset, limit
                )
                if table is not None:
                    return table, count
        found = scan_where(query, texts)
        where = f"({where}) AND ({found})" if where else found
        return self._ordered_rows(path, total, where, params, order, offset, limit)

    def _keyed_page(
        self,
        path: Path,
        total: int,
        names: list[str],
        index: OpenIndex,
        query: SearchQuery,
        keys: list[dict[str, Any]],
        order: str,
        count: int,
        offset: int,
        limit: int,
    ) -> pa.Table | None:
        """A page of the ``count`` matches sorted by one column (``keys``, as ``order``), by the
        index's sort key field of it (each row's place in the column's sort: nulls last either
        way, ties in file order); None when the index has none of it (see
        :func:`.textsearch.write_sort_keys`).

        Any number of matches, and any page of them: tantivy keeps only the first places as it
        goes through the matches, so no match but the page's is taken out of the index. That
        costs about 12 ns a match (50 ms for 4M); a page among the sort's first rows (as the
        index build wrote them) costs about 15 µs a row looked at, so a page that few rows hold
        (the first pages of a word in many rows) is looked for there first (:meth:`_order_prefix`).
        """
        column, descending = keys[0]["column"], keys[0]["descending"]
        field = index.sort_key(column, descending)
        if field is None:
            return None
        first = index.sort_first_rows(column, descending)
        reach = min(len(first), count // KEYED_ROW_COST) if first is not None else 0
        if first is not None and reach > 0:
            table = self._order_prefix(
                path,
                total,
                names,
                RowOrders.key(path, order, "", []),
                lambda k: first[:k].tolist(),
                reach,
                index,
                query,
                count,
                offset,
                limit,
            )
            if table is not None:
                return table
        rownums, stored = index.sorted_page_values(query, field, offset, limit, self._schema(path))
        return stored if stored is not None else self._fetch(path, names, rownums)

    def _first_rows_page(
        self,
        path: Path,
        total: int,
        names: list[str],
        index: OpenIndex,
        query: SearchQuery,
        offset: int,
        limit: int,
    ) -> tuple[pa.Table, int] | None:
        """An unsorted page of a search with many matches, from the matches among the file's first
        rows (as many as should hold it at their density, then four times more); None when the
        page lies past ``FIRST_ROWS_MAX`` rows or a quarter of the file.

        The index orders a page of matches by file row, which costs a pass over every match; a
        word's count comes from its term alone (another query's is counted once and kept), and
        the first matches from the first rows.
        """
        count = index.count(query)
        need = min(offset + limit, count)
        if need <= offset:
            return self._schema(path).empty_table(), count
        k = need * total // count * 3 // 2 + limit
        while k <= min(FIRST_ROWS_MAX, total // 4):
            rownums, stored = index.first_page_values(query, offset, limit, self._schema(path), k)
            if len(rownums) == need - offset:
                return (stored if stored is not None else self._fetch(path, names, rownums)), count
            k *= 4
        return None

    def _schema(self, path: Path) -> pa.Schema:
        return self._meta.get(path)[0].schema.to_arrow_schema()

    def _fetch(self, path: Path, names: list[str], rownums: list[int]) -> pa.Table:
        """The rows with these file row numbers, in that order."""
        if row_groups(path, rownums, self._meta) <= FETCH_GROUPS:
            # matches close together (a common word's first page): read only their row groups
            return read_rows(path, rownums, self._meta).select(names)
        with self._page_connection(path) as con:
            return _fetch_rows(con, self._names(path), rownums).select(names)

    def _scan_first(
        self, path: Path, query: SearchQuery, texts: list[str], names: list[str], first: int
    ) -> tuple[pa.Table, int]:
        """The first ``first`` matches (columns ``names``) and the count, in one scan.

        The rows come out of the scan itself: a page of matches spread over the file is not
        read from it a second time. That keeps every column of every match on the way, which
        costs the scan of a word in 40% of the rows a tenth more; in a file of ``NEAR_MIN_ROWS``
        or more, the page is first looked for in the file's first rows (a ``NEAR_SHARE``-th of
        them: about 40 ms at 10M), and when they hold it the scan of every row only counts; when
        they hold it densely (a ``DENSE_SHARE`` of them or more match), it counts by
        :func:`~.textsearch.dense_match_sql`.
        """
        where = scan_where(query, texts)
        _, starts = self._meta.get(path)
        near = starts[-1] // NEAR_SHARE
        with self._page_connection(path) as con:
            if starts[-1] >= NEAR_MIN_ROWS and first <= near:
                page = con.sql(
                    f"SELECT {', '.join(map(quote_ident, names))}, file_row_number FROM src "
                    f"WHERE file_row_number < ? AND {where} ORDER BY file_row_number LIMIT ?",
                    params=[near, first],
                ).to_arrow_table()
                if page.num_rows == first:
                    # the share of the rows up to the page's last that match
                    share = first / (page.column(len(names))[first - 1].as_py() + 1) if first else 0
                    dense = share >= DENSE_SHARE and dense_match_sql(query, texts, "src")
                    counting = (
                        f"SELECT count_if(lg_match) FROM ({dense})"
                        if dense
                        else f"SELECT count(*) FROM src WHERE {where}"
                    )
                    return page.select(names), int(con.execute(counting).fetchall()[0][0])
            # positional keys: a struct's keys are case-insensitive, column names are not
            values = ", ".join(f"'c{i}': {quote_ident(n)}" for i, n in enumerate(names))
            found = con.sql(
                f"SELECT count(*) AS n, min_by({{{values}}}, file_row_number, ?) AS firsts "
                f"FROM src WHERE {where}",
                params=[max(1, first)],
            ).to_arrow_table()
        count = int(found.column("n")[0].as_py())
        rows = found.column("firsts")[0].values if count else None
        if rows is None:
            rows = pa.array([], found.schema.field("firsts").type.value_type)
        table = pa.Table.from_struct_array(rows).rename_columns(names)
        return table.slice(0, first), count

    def _stored_page(
        self,
        path: Path,
        names: list[str],
        stored: pa.Table,
        rownums: list[int],
        where: str,
        params: list[Any],
        order: str,
        offset: int,
        limit: int,
    ) -> tuple[pa.Table, int]:
        """A page of the matches (rows stored in the index), sorted and filtered by DuckDB.

        The same SQL as over the file, on a table of the same columns and types, so the same rows.
        """
        view = "lg_search_rows"
        matches = stored.append_column("file_row_number", pa.array(rownums, pa.int64()))
        select = ", ".join(quote_ident(n) for n in names)
        cond = f" WHERE {where}" if where else ""
        keys = f"{order}, " if order else ""
        with self._page_connection(path) as con:
            con.register(view, matches)
            try:
                page = con.sql(
                    f"SELECT {select} FROM {view}{cond} ORDER BY {keys}file_row_number LIMIT ? OFFSET ?",
                    params=[*params, limit, offset],
                ).to_arrow_table()
                count = (
                    int(con.execute(f"SELECT count(*) FROM {view}{cond}", params).fetchall()[0][0])
                    if where
                    else matches.num_rows
                )
            finally:
                con.unregister(view)
        return page, count

    def _prefix_page(
        self,
        path: Path,
        total: int,
        names: list[str],
        texts: list[str],
        index: OpenIndex,
        query: SearchQuery,
        count: int,
        keys: list[dict[str, Any]],
        order: str,
        offset: int,
        limit: int,
    ) -> pa.Table | None:
        """A sorted page of ``count`` matches (many), from the first rows of the whole sort (its
        ``keys``, as ``order``); None when it lies further in than they reach.

        Ties are broken by file row, so the sort is one order of every row, and its first ``k``
        rows hold the first of the sorted matches: when they hold the page's last match (or are
        every row), the page is exact. ``k`` starts at 1.5 times the rows that hold that many
        matches at the index's density. Only those ``k`` rows are tested for the search, where a
        sort of the matches tests every row. Once the sort's row order is written (the first
        such page starts its build, then its sorted copy's), they are its first rows, and the
        index tells which of them match (:meth:`_order_prefix`); until then, the first rows from
        the index's sort groups of the column sorted by, or of a top-N of the sort's keys alone.
        Past ``ORDER_PREFIX_MAX`` rows (``ORDER_PREFIX_FAR`` until the copy is written), they
        are the first rows of
        the sorted copy of the version (as a sorted page without a search reads them), tested by
        DuckDB (up to ``FEW_ROWS`` by :func:`.textsearch.few_rows_where`), as many as the page
        needs (``k`` grows fourfold while it falls short). Before the copy is written, DuckDB
        takes them from the file by a top-N sort, which reads every row whatever ``k``:
        at most twice, the second time as far as it may (``SEARCH_PREFIX_MAX`` rows, at most
        ``SEARCH_PREFIX_BYTES``). A copy too big to keep is not waited for.
        """
        key = RowOrders.key(path, order, "", [])
        whole = self._orders.get(key)
        need = min(offset + limit, count)
        if need <= offset:
            return self._schema(path).empty_table()
        if whole is None and total > self.config.page_top_window:
            self._build_order(key, path, "", [], order)
        if whole is not None:
            reach = ORDER_PREFIX_MAX if whole.copy is not None else ORDER_PREFIX_FAR
            table = self._order_prefix(
                path, total, names, key, whole.first_rows, reach, index, query, count, offset, limit
            )
            if table is not None:
                return table
            if not whole.path.exists():
                # gone meanwhile: built again
                self._orders.drop(key, whole.path)
                whole = None
        if whole is None:
            # until the order is written, its first rows by the index's sort groups of the one
            # column sorted by, else by a top-N of the sort's keys alone
            most = min(total, ORDER_PREFIX_FAR)
            table = self._order_prefix(
                path,
                total,
                names,
                key,
                self._group_rows(index, keys, total, most) or self._top_rows(path, order, most),
                most,
                index,
                query,
                count,
                offset,
                limit,
            )
            if table is not None:
                return table
        if whole is not None and whole.copy_refused:
            return None
        copy = whole.copy if whole is not None else None
        k = min(total, need * total // count * 3 // 2 + limit)
        meta, _ = self._meta.get(path)
        row_bytes = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups)) / total
        reach = min(total, SEARCH_PREFIX_MAX, max(limit, int(SEARCH_PREFIX_BYTES / max(row_bytes, 1))))
        select = ", ".join(quote_ident(n) for n in names)
        while copy is not None or k <= reach:
            check_stopped()
            found = few_rows_where(query, texts) if k <= FEW_ROWS else scan_where(query, texts)
            if copy is not None:
                table = self._copy_prefix(copy, select, found, k, offset, limit)
                if table is None:
                    # gone meanwhile (a newer order took its room): built again
                    self._orders.drop(key, whole.path if whole is not None else None)
                    copy = whole = None
                    continue
            else:
                with self._page_connection(path) as con:
                    table = con.sql(
                        f"WITH first AS (SELECT * FROM src ORDER BY {order}, file_row_number LIMIT ?) "
                        f"SELECT {select} FROM first WHERE {found} "
                        f"ORDER BY {order}, file_row_number LIMIT ? OFFSET ?",
                        params=[k, limit, offset],
                    ).to_arrow_table()
            if table.num_rows >= need - offset or k == total:
                return table
            if copy is not None:
                k = min(total, k * 4)
            elif k < reach:
                k = reach
            else:
                break
        return None

    def _order_prefix(
        self,
        path: Path,
        total: int,
        names: list[str],
        sort_key: str,
        first_rows: Callable[[int], list[int] | None],
        reach: int,
        index: OpenIndex,
        query: SearchQuery,
        count: int,
        offset: int,
        limit: int,
    ) -> pa.Table | None:
        """:meth:`_prefix_page`'s page from the first rows of the sort ``sort_key`` (the key of
        its row order; ``first_rows(k)``: the file row numbers of its first ``k`` rows, None when
        they cannot be had): the index gives the matches among them (by their row numbers'
        terms) and their stored rows (the file's, for an index that stores none). As many rows
        as should hold the page at the matches' density are looked at, then four times more,
        up to ``reach`` rows; None when the page lies further in. What was found is kept
        with the index, so the search's next pages look only at the rows after it."""
        need = min(offset + limit, count)
        name = f"{sort_key}\x00{query.key()}"
        kept = index.kept(name)
        rows, addresses, looked = (
            (list(kept.rows), list(kept.addresses), kept.looked)
            if isinstance(kept, SortMatches)
            else ([], [], 0)
        )
        step = (need - len(rows)) * total // count * 3 // 2 + limit
        while len(rows) < need and looked < total:
            k = min(total, looked + step)
            if k > reach:
                return None
            check_stopped()
            firsts = first_rows(k)
            if firsts is None:
                return None
            more = firsts[looked:k]
            if not more:
                return None  # (fewer rows than the file's: never a page with a gap)
            found, at = index.hits_among(query, more)
            place = {r: i for i, r in enumerate(more)}
            for i in sorted(range(len(found)), key=lambda i: place[found[i]]):
                rows.append(found[i])
                addresses.append(at[i])
            looked += len(more)
            index.keep(name, SortMatches(index, tuple(rows), tuple(addresses), looked))
            step *= 4
        stored = index.stored_rows(addresses[offset:need], self._schema(path))
        return stored if stored is not None else self._fetch(path, names, rows[offset:need])

    def _group_rows(
        self, index: OpenIndex, keys: list[dict[str, Any]], total: int, most: int
    ) -> Callable[[int], list[int] | None] | None:
        """The first rows of a sort of one column for :meth:`_order_prefix`: those the index build
        wrote with the column's sort groups, else from the groups (``most`` of them, when first
        asked for: a partition of every row's group); None for a sort of several columns, or
        without groups of the column."""
        found = index.sort_groups(keys[0]["column"]) if len(keys) == 1 else None
        if found is None or len(found[0]) != total:
            return None
        groups, nulls = found
        descending = keys[0]["descending"]
        stored = index.sort_first_rows(keys[0]["column"], descending)
        if stored is not None and len(stored) >= min(most, total):
            # written with the groups when the index was built
            return lambda k: stored[:k].tolist()
        first: list[list[int]] = []

        def first_rows(k: int) -> list[int] | None:
            if not first:
                first.append(first_of_groups(groups, nulls, descending, most).tolist())
            return first[0][:k]

        return first_rows

    def _top_rows(self, path: Path, order: str, most: int) -> Callable[[int], list[int] | None]:
        """The first rows of a sort for :meth:`_order_prefix`, by one top-N of its keys alone (of
        ``most`` rows, when first asked for: a top-N of a few thousand rows costs what one of a
        few hundred does, the scan of every row's keys)."""
        top: list[list[int]] = []

        def first_rows(k: int) -> list[int] | None:
            if not top:
                with self._page_connection(path) as con:
                    found = con.sql(f"{_order_sql('', order)} LIMIT ?", params=[most])
                    top.append([int(r) for r in found.to_arrow_table().column(0).to_pylist()])
            return top[0][:k]

        return first_rows

    def _copy_prefix(
        self, copy: Path, select: str, found: str, k: int, offset: int, limit: int
    ) -> pa.Table | None:
        """:meth:`_prefix_page`'s page over the first ``k`` rows of the sorted copy ``copy``
        (DuckDB reads only the row groups that hold them); None when the copy is gone.

        The rows come in the copy's order without a sort (DuckDB keeps a scan's order where
        ``preserve_insertion_order`` is on, as on every locked connection), so a page deep in
        the matches streams past the rows before it rather than keeping them.
        """
        try:
            with self._page_connection(copy) as con:
                return con.sql(
                    f"SELECT {select} FROM src WHERE file_row_number < ? AND {found} LIMIT ? OFFSET ?",
                    params=[k, limit, offset],
                ).to_arrow_table()
        except BadInput:
            if copy.exists():
                raise
            return None

    def _grouped_page(
        self,
        path: Path,
        total: int,
        names: list[str],
        keys: list[dict[str, Any]],
        matches: Matches,
        offset: int,
        limit: int,
    ) -> tuple[pa.Table, int] | None:
        """A page of the ``matches`` sorted by ``keys``, from the index's sort groups of their
        columns (:func:`.textsearch.write_sort_groups`): their groups in order, key by key, nulls
        last either way, ties by file row; the rows are the index's. None when the index has no
        groups of a column sorted by (or none of a file of ``total`` rows)."""
        rows = matches.rows
        places = []
        for key in keys:
            found = matches.index.sort_groups(key["column"])
            if found is None or len(found[0]) != total:
                return None
            groups, nulls = found
            places.append(sort_places(groups[rows], nulls, key["descending"]).astype(np.int64))
        need = min(offset + limit, len(rows))
        if need <= offset:
            return self._schema(path).empty_table(), len(rows)
        lows = [int(place.min()) for place in places]
        spans = [int(place.max()) - low + 1 for place, low in zip(places, lows, strict=True)]
        if math.prod(spans) * len(rows) < GROUPED_KEY_MAX:
            # one key a match, unique: the groups, key by key, then the match's place in file
            # order (the matches come in it)
            order = np.zeros(len(rows), dtype=np.int64)
            for place, low, span in zip(places, lows, spans, strict=True):
                order = order * span + (place - low)
            order = order * len(rows) + np.arange(len(rows))
            first = np.argpartition(order, need - 1)[:need] if need < len(order) else np.arange(len(order))
            page = first[np.argsort(order[first])][offset:need]
        else:
            # too many groups for one key: a sort by each (the first key sorts last)
            page = np.lexsort((rows, *reversed(places)))[offset:need]
        return self._matched_rows(path, names, matches, page), len(rows)

    def _ranked_page(
        self,
        path: Path,
        total: int,
        names: list[str],
        matches: Matches,
        where: str,
        params: list[Any],
        order: str,
        offset: int,
        limit: int,
    ) -> tuple[pa.Table, int] | None:
        """A page of the ``matches`` sorted and filtered by the ranks of the stored row order of
        (file, sort, filter), without reading the file; None when that order has no ranks yet
        (the order's build, then its ranks', is started: a file small enough for top-N pages
        has no order).

        The order breaks ties by file row and its ranks leave out what the filter does, so the
        matches in rank order are the matches in the order a sorted, filtered page gives them.
        """
        key = RowOrders.key(path, order, where, params)
        found = self._orders.get(key)
        if found is None:
            if total > self.config.page_top_window:
                self._build_order(key, path, where, params, order)
                self._orders.rank(key, total)
            return None
        if found.ranks_refused:
            return None
        rows = matches.rows
        ranks = found.ranks_of(rows)
        if ranks is None:
            if not found.path.exists():
                # gone meanwhile: built again by the next page that needs it
                self._orders.drop(key, found.path)
                return None
            # an order a sorted grid built, or whose ranks went: they are written on the side
            self._orders.rank(key, total)
            return None
        kept = np.flatnonzero(ranks < found.rows)
        places = ranks[kept]
        need = min(offset + limit, len(kept))
        if need <= offset:
            return self._schema(path).empty_table(), len(kept)
        first = np.argpartition(places, need - 1)[:need] if need < len(places) else np.arange(len(places))
        page = first[np.argsort(places[first], kind="stable")][offset:need]
        return self._matched_rows(path, names, matches, kept[page]), len(kept)

    def _joined_page(
        self,
        path: Path,
        names: list[str],
        matches: Matches,
        where: str,
        params: list[Any],
        order: str,
        offset: int,
        limit: int,
    ) -> tuple[pa.Table, int]:
        """A page of the ``matches``, sorted and filtered by DuckDB over those rows of the file
        alone; the page's rows are read from the index."""
        rows = matches.rows
        if not where and not order:
            return self._matched_rows(
                path, names, matches, np.arange(len(rows))[offset : offset + limit]
            ), len(rows)
        view = "lg_search_matches"
        cond = f" AND ({where})" if where else ""
        keys = f"{order}, " if order else ""
        inside = f"file_row_number IN (SELECT {ROW} FROM {view}){cond}"
        with self._page_connection(path) as con:
            con.register(view, pa.table({ROW: pa.array(rows, pa.int64())}))
            try:
                rownums = [
                    int(r[0])
                    for r in con.execute(
                        f"SELECT file_row_number FROM src WHERE {inside} "
                        f"ORDER BY {keys}file_row_number LIMIT ? OFFSET ?",
                        [*params, limit, offset],
                    ).fetchall()
                ]
                count = (
                    int(con.execute(f"SELECT count(*) FROM src WHERE {inside}", params).fetchall()[0][0])
                    if where
                    else len(rows)
                )
            finally:
                con.unregister(view)
        # (rows of the matches, which come in file order)
        return self._matched_rows(path, names, matches, np.searchsorted(rows, rownums)), count

    def _matched_rows(self, path: Path, names: list[str], matches: Matches, at: np.ndarray) -> pa.Table:
        """The rows of the ``matches`` at places ``at``, in that order: as the index stores them,
        else from the file (a page spread over the file costs a read of most of it, where a stored
        document costs one block of the index)."""
        stored = matches.index.stored_rows([matches.addresses[i] for i in at], self._schema(path))
        if stored is not None:
            return stored
        return self._fetch(path, names, [int(r) for r in matches.rows[at]])

    # ------------------------------------------------------------------ the index

    def _build_search_index(self, path: Path, stop: threading.Event) -> bool:
        """Write the index of version file ``path`` in scratch space, then move it beside the file.

        In a child process (:func:`.textsearch.build_index`) with one DuckDB thread, a quarter
        of ``duckdb_memory_limit`` and ``duckdb_temp_limit`` of spill files. False when the file
        went meanwhile (its dataset was deleted): nothing is left behind.
        """
        columns = self._text_columns(path)
        if not columns:
            return False
        quarter = half_memory(half_memory(self.config.duckdb_memory_limit))
        with self._scratch() as scratch:
            built = scratch / "index"
            build_index(path, columns, built, scratch, quarter, self.config.duckdb_temp_limit, stop)
            with self._dataset_lock(path.parent.name):
                # a delete holds this lock while it removes the dataset's folder
                if not path.exists():
                    return False
                try:
                    os.replace(built, index_dir(path))
                except OSError:
                    # another process placed it first
                    return index_dir(path).exists()
            return True

    def _text_columns(self, path: Path) -> list[str]:
        return [
            f.name
            for f in self._schema(path)
            if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
        ]

    # ------------------------------------------------------------------ every dataset

    def search_datasets(self, q: Any, datasets: list[dict[str, Any]], *, rows: int = 5) -> dict[str, Any]:
        """Search the names, column names and values of ``datasets`` (as ``list_datasets`` gives them).

        ``{"search", "results": [{"dataset", "name", "columns", "rows"}], "pending", "truncated"}``:
        a result per dataset whose name, a column's name or a row matches (``name``: whether its
        name does; ``columns``: the matching column names; ``rows``: up to ``rows`` matching rows
        with their count). Values are searched in the ``SEARCH_MAX_DATASETS`` most recently
        changed datasets; a big one whose index is not built yet is listed in ``pending`` (its
        build is started) rather than scanned.
        """
        query = parse_query(q)
        if not 0 <= rows <= SEARCH_MAX_ROWS:
            raise BadInput(f"rows is 0 to {SEARCH_MAX_ROWS}", "Bad argument")
        searched = datasets[:SEARCH_MAX_DATASETS]
        names = [d["name"] for d in searched]
        column_names = [c["name"] for d in searched for c in d["columns"]]
        hits = iter(matching_texts(query, names + column_names))
        name_hits = [next(hits) for _ in names]
        results, pending = [], []
        for ds, name_hit in zip(searched, name_hits, strict=True):
            check_stopped()
            columns = [c["name"] for c in ds["columns"] if next(hits)]
            found = self._dataset_rows(ds, query, rows)
            if found is None:
                pending.append({k: ds[k] for k in ("id", "name", "owner")})
            if name_hit or columns or (found is not None and found["total"]):
                results.append({"dataset": ds, "name": name_hit, "columns": columns, "rows": found})
        return {
            "search": query.to_json(),
            "results": results,
            "pending": pending,
            "truncated": len(datasets) > len(searched),
        }

    def _dataset_rows(self, ds: dict[str, Any], query: SearchQuery, rows: int) -> dict[str, Any] | None:
        path = self.version_file(ds["id"], ds["version"])
        texts = [c["name"] for c in ds["columns"] if c["type"] == "string"]
        names = [c["name"] for c in ds["columns"]]
        empty = {"columns": names, "rows": [], "total": 0, "indexed": False}
        if not texts:
            return empty
        index = self.search_indexes.get(path)
        if index is None:
            try:
                if ds["rows"] > SEARCH_SCAN_ROWS:
                    return None
                table, count = self._scan_first(path, query, texts, names, rows)
            finally:
                self.search_indexes.build(path)
        else:
            rownums, stored, count = index.page_values(query, 0, rows, self._schema(path))
            table = stored.select(names) if stored is not None else self._fetch(path, names, rownums)
        return {"columns": names, "rows": table_rows(table), "total": count, "indexed": index is not None}
