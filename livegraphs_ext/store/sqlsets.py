"""Queries in SQL over datasets: a page of the result, the whole result, and datasets made by a query.

The caller's host checks the query (:func:`~.sqlquery.check.check_sql`) and binds each dataset name
it uses to a dataset the caller may read (a :class:`Source`): the store only ever sees Parquet
files it chose. A query saved as a dataset keeps the query and its sources (ids and versions) as
the recipe of its first version, of kind ``sql``; :meth:`DatasetSql.refresh_sql` runs it again
over the sources' current versions, then the cleaning steps applied since, as new versions.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from .catalog import VersionRow
from .charts import ChartCache, ChartResult, CheckedSpec
from .core import InTransaction, check_name, duck_message
from .errors import BadInput
from .files import publish, remove_quietly, unique_name
from .refresh import DatasetRefresh, _Made, schema_changes
from .schema import ColumnInfo
from .sqlquery.checked import Checked
from .sqlquery.engine import SqlLimits, answer, run_job
from .sqlquery.worker import Job

#: the most rows one page of a query's result holds
MAX_SQL_PAGE = 10_000


@dataclass
class Source:
    """A dataset a query reads: the name the query gives it, and the version bound to that name."""

    name: str
    id: str
    owner: str
    dataset: str
    version: int
    path: Path

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "id": self.id,
            "owner": self.owner,
            "dataset": self.dataset,
            "version": self.version,
        }


#: Binds the sources a dataset's query recorded (``{"name", "id", "version"}``) to their current versions.
Binder = Callable[[list[dict[str, Any]]], list[Source]]


def views_of(sources: Sequence[Source]) -> dict[str, str]:
    """The query's names, each bound to its version's file (names differing only in case are one name)."""
    views: dict[str, str] = {}
    seen: dict[str, Source] = {}
    for s in sources:
        other = seen.get(s.name.lower())
        if other is not None and other.path != s.path:
            raise BadInput(
                f"{other.name!r} and {s.name!r} are one name to SQL (names ignore case) but different "
                'datasets: name one of them by its id, as "<id>"',
                "Ambiguous name",
            )
        seen[s.name.lower()] = s
        views.setdefault(s.name, str(s.path))
    return views


class DatasetSql(DatasetRefresh):
    """SQL over the store's datasets, run in capped worker processes (see :mod:`.sqlquery`)."""

    #: how many queries reached a worker process (a query refused before that never does)
    sql_runs = 0

    def sql_limits(self) -> SqlLimits:
        c = self.config
        return SqlLimits(
            threads=c.sql_threads,
            memory_limit=c.sql_memory_limit,
            timeout_ms=c.query_timeout_ms,
            spill_limit=c.duckdb_temp_limit,
            max_rows=c.sql_max_rows,
            max_bytes=c.ingest.max_decompressed_bytes,
        )

    def _run_sql(self, checked: Checked, sources: Sequence[Source], mode: str, **options: Any) -> Any:
        limits = self.sql_limits()
        views = views_of(sources)
        self.sql_runs += 1
        job = Job(sql=checked.sql, body=checked.body, views=views, ctes=checked.ctes, mode=mode, **options)
        with self._scratch() as scratch:
            return answer(checked, run_job(job, limits, scratch), limits)

    def sql_page(
        self,
        checked: Checked,
        sources: Sequence[Source],
        *,
        offset: int = 0,
        limit: int = 100,
        count: bool = True,
    ) -> dict[str, Any]:
        """One page of the query's result: ``{"columns", "rows", "offset", "limit", "total", "sources"}``.

        Columns are as a dataset saved from the query would have them; ``total`` is null unless
        ``count``. Without an ORDER BY, rows come in no promised order, page after page.
        """
        if offset < 0 or limit < 0:
            raise BadInput("offset and limit must be zero or more", "Bad page")
        if limit > MAX_SQL_PAGE:
            raise BadInput(f"limit is at most {MAX_SQL_PAGE}", "Bad page")
        out = self._run_sql(checked, sources, "page", offset=offset, limit=limit, count=count)
        return {
            "columns": out["columns"],
            "rows": out["rows"],
            "offset": offset,
            "limit": limit,
            "total": out["total"],
            "sources": [s.to_json() for s in sources],
        }

    def sql_table(self, checked: Checked, sources: Sequence[Source]) -> tuple[pa.Table, list[dict[str, Any]]]:
        """The whole result (at most ``sql_max_rows`` rows, else 413) and its columns."""
        out = self._run_sql(checked, sources, "arrow")
        return pa.ipc.open_stream(out["ipc"]).read_all(), out["columns"]

    def sql_chart(
        self,
        checked: Checked,
        sources: Sequence[Source],
        spec: CheckedSpec,
        *,
        max_marks: int,
        cache: ChartCache | None = None,
    ) -> ChartResult:
        """The chart ``spec`` of the query's result, which is not saved (``dataset: {"sql"}``).

        The chart engine's queries run in the query's worker process, under its caps, each reading
        the query as a subquery: only the marks come back. Results are kept in ``cache`` by the
        query, the versions its names were bound to, the spec and the budget.
        """
        budget = max(1, min(max_marks, spec.get("max_marks") or max_marks))
        key = (
            "sql",
            checked.sql,
            tuple((s.name, s.id, s.version) for s in sources),
            json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False),
            budget,
        )
        hit = cache.get(key) if cache is not None else None
        if hit is not None:
            return hit.as_cached()
        extra = {"spec": dict(spec), "budget": budget, "max_filter_values": self.config.max_filter_values}
        result: ChartResult = self._run_sql(checked, sources, "chart", extra=extra)
        result = replace(result, dataset={"sql": checked.sql, "sources": [s.to_json() for s in sources]})
        if cache is not None:
            cache.put(key, result)
        return result

    def _write_result(
        self, checked: Checked, sources: Sequence[Source], scratch: Path
    ) -> tuple[Path, int, list[ColumnInfo]]:
        """The result written to a staging file (the caller removes it), its rows and columns."""
        tmp = self.staging_dir / unique_name(".parquet")
        try:
            out = self._run_sql(checked, sources, "save", dest=str(tmp))
            known = [ColumnInfo(c["name"], c["type"], timezone=c.get("timezone")) for c in out["columns"]]
            con = self._connect(scratch, read=[tmp])
            try:
                rows, columns = self._profile(con, tmp, known)
            except duckdb.Error as e:
                raise BadInput(f"The result could not be read: {duck_message(e)}", "Bad result") from e
            finally:
                con.close()
        except BaseException:
            remove_quietly(tmp)
            raise
        return tmp, rows, columns

    @staticmethod
    def _sql_step(checked: Checked, sources: Sequence[Source]) -> dict[str, Any]:
        recorded = [{"name": s.name, "id": s.id, "version": s.version} for s in sources]
        return {"op": "sql", "sql": checked.sql, "sources": recorded}

    @staticmethod
    def _sql_description(sources: Sequence[Source]) -> str:
        names = ", ".join(dict.fromkeys(f"{s.owner}/{s.dataset}" for s in sources)) or "no dataset"
        return f"Query over {names}"

    def create_from_sql(
        self,
        checked: Checked,
        sources: Sequence[Source],
        *,
        name: str | None,
        owner: str,
        in_tx: InTransaction | None = None,
    ) -> dict[str, Any]:
        """The query's whole result as version 1 (kind ``sql``) of a new dataset of ``owner``'s."""
        name = check_name(name)
        self._check_free_name(owner, name)
        dataset_id = uuid.uuid4().hex
        rel = f"datasets/{dataset_id}/{unique_name('.parquet')}"
        with self._scratch() as scratch:
            tmp, rows, columns = self._write_result(checked, sources, scratch)
            try:
                publish(tmp, self._abs(rel))
            finally:
                remove_quietly(tmp)
        self._add_dataset(
            dataset_id,
            name,
            owner,
            VersionRow(
                number=1,
                parent=None,
                kind="sql",
                file=rel,
                rows=rows,
                size=self._abs(rel).stat().st_size,
                columns=[c.to_json() for c in columns],
                step=self._sql_step(checked, sources),
                description=self._sql_description(sources)[:500],
                report=_report(sources),
                created_by=owner,
            ),
            in_tx,
        )
        return self.get(dataset_id)

    def sql_recipe(self, dataset_id: str) -> tuple[str, list[dict[str, Any]]] | None:
        """The query and recorded sources behind the dataset's current version (None if not a query's)."""
        with self.catalog.transaction() as s:
            ds = self._get(s, dataset_id)
            base, _ = self._base_and_recipe(ds, None)
            if base.kind != "sql" or not base.step:
                return None
            return str(base.step["sql"]), list(base.step["sources"])

    def refresh_sql(
        self, dataset_id: str, bind: Binder, *, user: str, in_tx: InTransaction | None = None
    ) -> dict[str, Any]:
        """Run the dataset's query again when a source has a newer version; its steps after it again.

        ``bind`` gives the recorded sources' current versions (the host checks the caller may read
        each). Returns the dataset as :meth:`get` does, with ``refreshed`` (false when every source
        is where it was, and nothing was made), ``sources`` and, after a refresh, ``changes``.
        """
        with self._dataset_lock(dataset_id):
            with self.catalog.transaction() as s:
                ds = self._get(s, dataset_id)
                current = ds.current_version
                base, steps = self._base_and_recipe(ds, current)
                if base.kind != "sql" or not base.step:
                    raise BadInput("Only a dataset made by a SQL query can be refreshed", "Not A Query")
                sql, recorded = str(base.step["sql"]), list(base.step["sources"])
                before = [ColumnInfo.from_json(c) for c in self._version(ds, current).columns]
            sources = bind(recorded)
            moved = {(x.id, x.version) for x in sources} != {(r["id"], r["version"]) for r in recorded}
            if moved:
                from .sqlquery.check import check_sql  # sqlglot: on first use

                self._rerun(dataset_id, current, check_sql(sql), sources, steps, user, in_tx)
        out = self.get(dataset_id)
        out.update(refreshed=moved, sources=[x.to_json() for x in sources])
        if moved:
            after = [ColumnInfo.from_json(c) for c in out["columns"]]
            out["changes"] = schema_changes(before, after)
        return out

    def _rerun(
        self,
        dataset_id: str,
        current: int,
        checked: Checked,
        sources: Sequence[Source],
        steps: list[dict[str, Any]],
        user: str,
        in_tx: InTransaction | None,
    ) -> None:
        """New versions after ``current``: the query's result, then each of ``steps`` applied again."""
        made: list[_Made] = []
        try:
            with self._scratch() as scratch:
                tmp, rows, columns = self._write_result(checked, sources, scratch)
                step, text = self._sql_step(checked, sources), self._sql_description(sources)
                made.append(_Made(tmp, rows, columns, step, text, _report(sources)))
                con = self._connect(scratch)
                try:
                    for i, st in enumerate(steps, start=1):
                        self._replay(con, made, i, st)
                finally:
                    con.close()
                self._add_versions(
                    dataset_id,
                    current,
                    made,
                    kind="sql",
                    user=user,
                    stale="Dataset changed while its query ran; try again",
                    in_tx=in_tx,
                )
        finally:
            for m in made:
                remove_quietly(m.path)


def _report(sources: Sequence[Source]) -> dict[str, Any]:
    return {
        "format": "sql",
        "problems": [],
        "problem_count": 0,
        "notes": [DatasetSql._sql_description(sources)],
    }
