"""SQL as a caller may run it: every dataset name bound by the host to a dataset the caller may read.

:class:`SqlAccess` is part of :class:`~..acl.GuardedStore`. A name in a query is what it is
everywhere (:mod:`..names`): ``owner/name``, a bare name (the caller's own, else the one shared
with them) or a dataset's id; a dataset the caller may not read does not exist (404), by name or
by id. Nothing of the query runs until every name is bound.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from sqlalchemy.orm import Session

from ..catalog import DatasetRow
from ..charts import ChartEngine, ChartResult, CheckedSpec
from ..errors import Conflict, NotFound, Problem, StoreError
from ..events import EventLog
from ..names import resolve
from ..sharing import shown
from ..sqlsets import Source
from .checked import Checked, line_col

if TYPE_CHECKING:
    from ..acl import Grant, Principal
    from ..catalog import Catalog
    from ..store import DatasetStore

_ID = re.compile(r"[0-9a-f]{32}")


def _check(sql: Any) -> Checked:
    """:func:`.check.check_sql`, imported here on first use: sqlglot loads with the first query."""
    from .check import check_sql

    return check_sql(sql)


def _at(e: StoreError, checked: Checked, name: str) -> StoreError:
    """``e``, about dataset ``name`` of the query, pointing at where the query first writes it."""
    offset = checked.where.get(name)
    if offset is None:
        return e
    line, col = line_col(checked.sql, offset)
    errors = e.errors or [Problem(row=line, column=str(col), value=name, expected="a dataset you may read")]
    return type(e)(f"Line {line}, column {col}: {e.message}", e.reason, errors)


def _in_spec(e: StoreError) -> StoreError:
    """``e``, about a chart spec's query, saying where in the spec the query is."""
    e.message = f"dataset.sql: {e.message}"
    e.args = (e.message,)
    return e


class SqlAccess:
    """The SQL methods of the guarded store (see the module docstring)."""

    if TYPE_CHECKING:
        store: DatasetStore
        catalog: Catalog
        events: EventLog

        def _grant(self, s: Session, p: Principal, ds: DatasetRow, action: str) -> Grant: ...

        def _require(self, p: Principal, dataset_id: str, action: str) -> tuple[DatasetRow, Grant]: ...

        def _guard(
            self, p: Principal, action: str, event: str | None, detail: dict[str, Any] | None = None
        ) -> Any: ...

    # ------------------------------------------------------------------ binding names

    def _readable(self, s: Session, p: Principal, ref: str) -> DatasetRow:
        """The dataset ``ref`` (an id, ``owner/name`` or a bare name) means to ``p``; NotFound otherwise."""
        from ..acl import SHARES

        if _ID.fullmatch(ref):
            ds = self.catalog.dataset(s, ref)
            if ds is not None:
                try:
                    self._grant(s, p, ds, "read")
                    return ds
                except StoreError:
                    pass
        shared = SHARES.shared_ids(p)
        return resolve(s, ref, me=p.name, readable=DatasetRow.id.in_(shared), everything=p.is_admin)

    def _source(self, ds: DatasetRow, name: str) -> Source:
        v = self.store._version(ds, None)
        return Source(name, ds.id, ds.owner, ds.name, v.number, self.store._abs(v.file))

    def bind(self, p: Principal, checked: Checked) -> list[Source]:
        """Each dataset name of the query bound to the current version of the dataset it means to ``p``."""
        out: list[Source] = []
        with self.catalog.transaction() as s:
            for name in checked.tables:
                try:
                    ds = self._readable(s, p, name)
                except (NotFound, Conflict) as e:
                    raise _at(e, checked, name) from None
                out.append(self._source(ds, name))
        return out

    def _bind_recorded(self, p: Principal, recorded: list[dict[str, Any]]) -> list[Source]:
        """A saved query's sources by their recorded ids, now (``p`` must be able to read each)."""
        out: list[Source] = []
        with self.catalog.transaction() as s:
            for r in recorded:
                ds = self.catalog.dataset(s, r["id"])
                if ds is None:
                    raise Conflict(
                        f"The dataset the query reads as {r['name']!r} was deleted: "
                        "the query cannot run again",
                        "Source gone",
                    )
                self._grant(s, p, ds, "read")
                out.append(self._source(ds, r["name"]))
        return out

    # ------------------------------------------------------------------ running

    def sql_query(
        self, p: Principal, sql: Any, *, offset: int = 0, limit: int = 100, count: bool = True
    ) -> dict[str, Any]:
        """A page of the query's result over datasets ``p`` may read (see :meth:`DatasetSql.sql_page`)."""
        checked = _check(sql)
        return self.store.sql_page(checked, self.bind(p, checked), offset=offset, limit=limit, count=count)

    def sql_table(self, p: Principal, sql: Any) -> tuple[pa.Table, list[dict[str, Any]]]:
        """The query's whole result (see :meth:`DatasetSql.sql_table`)."""
        checked = _check(sql)
        return self.store.sql_table(checked, self.bind(p, checked))

    def sql_chart(self, p: Principal, engine: ChartEngine, spec: CheckedSpec) -> ChartResult:
        """A chart whose data is a query (``dataset: {"sql"}``), over datasets ``p`` may read now.

        The query is checked and its names bound for ``p`` at every run, as in the SQL editor: a
        chart someone shares runs, for each reader, over what that reader may read.
        """
        try:
            checked = _check(spec.sql)
        except StoreError as e:
            raise _in_spec(e) from None
        try:
            sources = self.bind(p, checked)
        except StoreError as e:
            raise _in_spec(e) from None
        return self.store.sql_chart(checked, sources, spec, max_marks=engine.max_marks, cache=engine.cache)

    def sql_save(self, p: Principal, sql: Any, name: Any) -> dict[str, Any]:
        """The query's result as a new dataset of ``p``'s, its recipe the query (refreshable)."""
        checked = _check(sql)
        sources = self.bind(p, checked)

        def hook(s: Session, ds: DatasetRow) -> None:
            EventLog.add(
                s,
                p.name,
                "upload",
                dataset_id=ds.id,
                dataset_name=ds.name,
                owner=ds.owner,
                detail={"sql": True, "rows": ds.versions[0].rows, "sources": len(sources)},
            )

        out = self.store.create_from_sql(checked, sources, name=name, owner=p.name, in_tx=hook)
        out["access"] = "owner"
        return out

    def sql_sources(self, p: Principal, dataset_id: str) -> dict[str, Any]:
        """The query behind a dataset and, for each source ``p`` may read, whether it has moved on.

        ``{"sql", "sources": [{"name", "id", "version", "current", "readable"}], "stale"}``; null
        ``sql`` for a dataset not made by a query.
        """
        self._require(p, dataset_id, "read")
        found = self.store.sql_recipe(dataset_id)
        if found is None:
            return {"sql": None, "sources": [], "stale": False}
        sql, recorded = found
        out: list[dict[str, Any]] = []
        with self.catalog.transaction() as s:
            for r in recorded:
                ds = self.catalog.dataset(s, r["id"])
                item = {
                    "name": r["name"],
                    "id": r["id"],
                    "version": r["version"],
                    "current": None,
                    "readable": False,
                }
                if ds is not None:
                    try:
                        self._grant(s, p, ds, "read")
                    except StoreError:
                        out.append(item)
                        continue
                    item.update(current=ds.current_version, readable=True, owner=ds.owner, dataset=ds.name)
                out.append(item)
        stale = any(i["readable"] and i["current"] != i["version"] for i in out)
        return {"sql": sql, "sources": out, "stale": stale}

    def sql_refresh(self, p: Principal, dataset_id: str) -> dict[str, Any]:
        """Run a dataset's query again over its sources' current versions (owners and editors).

        The caller must also be able to read every source; see :meth:`DatasetSql.refresh_sql`.
        """
        self._require(p, dataset_id, "write")
        out = self.store.refresh_sql(
            dataset_id,
            lambda recorded: self._bind_recorded(p, recorded),
            user=p.name,
            in_tx=self._guard(p, "write", "change", {"op": "refresh"}),
        )
        ds, grant = self._require(p, dataset_id, "read")
        out["access"] = shown(p, ds.owner, grant.level)
        return out


__all__ = ["SqlAccess"]
