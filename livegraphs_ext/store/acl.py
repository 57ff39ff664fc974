"""Who may do what to a dataset: its owner, the users and groups it is shared with, and admins.

A dataset belongs to the user who uploaded it. Its owner may share it with a user
or a group as a **viewer** (read, page, export, see versions and recipes) or an
**editor** (also rename, apply cleaning steps, revert, append or replace its data). Only the owner and admins
may delete it or change its shares. Admins may do everything to every dataset.

Callers are :class:`Principal` values, built by the host from whatever identity
it trusts (the hub's user model in the service, the one local user on a laptop),
so this module never imports jupyterhub. To a caller without any access a dataset
does not exist: 404, never 403, so ids cannot be probed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, ForeignKey, String, func, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .catalog import Base, DatasetRow, utcnow
from .charts import ChartEngine, ChartResult, check_shape
from .comments import CommentStore
from .docdata import DocumentData
from .documents import DocumentStore
from .drill import DRILL_KEYS, Drill, drill, page_args
from .errors import BadInput, Forbidden, NotFound
from .events import CLIENT_ACTIONS, EventLog, ViewThrottle
from .files import remove_quietly
from .names import qualified, resolve, split_ref
from .publications import Publications
from .sharing import (
    SHARE_KINDS,
    SHARE_ROLES,
    Grant,
    Principal,
    Shares,
    check_share,
    decide,
    share_json,
    shown,
)
from .sqlquery.access import SqlAccess
from .store import DatasetStore, ExportFile
from .usage import documents_using


class ShareRow(Base):
    __tablename__ = "lg_shares"

    dataset_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("lg_datasets.id", ondelete="CASCADE"), primary_key=True
    )
    #: "user" | "group"
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), primary_key=True, index=True)
    #: "viewer" | "editor"
    role: Mapped[str] = mapped_column(String(8))
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(255))


#: The dataset shares, under the rules every shared thing follows (:mod:`.sharing`).
SHARES = Shares(ShareRow, "dataset_id")


#: Why a version is read as a file, which names its event: a download, or ``lg.load`` in a notebook.
EXPORT_PURPOSES = ("export", "load")


class GuardedStore(SqlAccess):
    """The dataset store behind an authorization check: every method takes the caller first.

    Changes, their authorization check and their activity event commit in one
    catalog transaction. The SQL methods are :class:`~.sqlquery.access.SqlAccess`'s.
    """

    def __init__(self, store: DatasetStore):
        self.store = store
        self.catalog = store.catalog
        self.events = EventLog(store.catalog)
        self._views = ViewThrottle()
        #: the shared documents (dashboards, charts) of this catalog, under the same share rules
        self.documents = DocumentStore(store.catalog)
        #: the comment threads on those documents' charts
        self.comments = CommentStore(store.catalog, self.documents)
        #: the charts of those documents, answered for their readers (the data goes with the share)
        self.document_data = DocumentData(self)
        #: their published snapshots, and the links that show them to people without access
        self.publications = Publications(self)
        self.documents.on_access_change(self.publications.forget)  # e.g. a deleted dashboard

    # ------------------------------------------------------------------ levels

    def _grant(self, s: Session, p: Principal, ds: DatasetRow, action: str) -> Grant:
        """The caller's grant for ``action`` on ``ds``; raises NotFound or Forbidden otherwise."""
        shared = None if ds.owner == p.name else SHARES.level(s, p, ds.id)
        return decide(p, ds.owner, shared, action, noun="dataset", thing_id=ds.id, label=ds.name)

    def _require(self, p: Principal, dataset_id: str, action: str) -> tuple[DatasetRow, Grant]:
        with self.catalog.transaction() as s:
            ds = self.catalog.dataset(s, dataset_id)
            if ds is None:
                raise NotFound(f"No dataset with id {dataset_id!r}", "No such dataset")
            return ds, self._grant(s, p, ds, action)

    def require(self, p: Principal, dataset_id: str, action: str) -> None:
        """Raise NotFound or Forbidden unless the caller may ``action`` (read, write, manage) the dataset."""
        self._require(p, dataset_id, action)

    def access(self, p: Principal, dataset_id: str) -> str:
        """The caller's level on a dataset they may read: owner, admin, editor or viewer.

        An admin is "admin" on every dataset but their own, whatever it is shared with them as.
        """
        ds, grant = self._require(p, dataset_id, "read")
        return shown(p, ds.owner, grant.level)

    def _guard(self, p: Principal, action: str, event: str | None, detail: dict[str, Any] | None = None):
        """An ``in_tx`` hook: re-check the grant inside the change's transaction and log it there."""

        def hook(s: Session, ds: DatasetRow) -> None:
            grant = self._grant(s, p, ds, action)
            if event is not None:
                EventLog.add(
                    s, p.name, event, dataset_id=ds.id, dataset_name=ds.name, owner=ds.owner,
                    admin=grant.via_admin, detail=detail,
                )  # fmt: skip

        return hook

    # ------------------------------------------------------------------ reading

    def list_datasets(
        self, p: Principal, *, owner: str | None = None, name: str | None = None
    ) -> list[dict[str, Any]]:
        """The datasets ``p`` may read (all of them for admins), newest change first.

        ``name`` keeps those of that name (``owner/name``: of that owner too). Each carries
        ``access``: the caller's level on it.
        """
        with self.catalog.transaction() as s:
            q = select(DatasetRow)
            if not p.is_admin:
                shared = SHARES.shared_ids(p)
                q = q.where(or_(DatasetRow.owner == p.name, DatasetRow.id.in_(shared)))
            if owner is not None:
                q = q.where(DatasetRow.owner == owner)
            if name is not None:
                named_owner, name = split_ref(name)
                if named_owner is not None:
                    q = q.where(DatasetRow.owner == named_owner)
                q = q.where(DatasetRow.name == name)
            rows = s.scalars(q.order_by(DatasetRow.updated.desc())).all()
            ids = [ds.id for ds in rows]
            levels = SHARES.levels(s, p, ids)
            out = []
            for ds in rows:
                item = self.store._dataset_json(ds, self.store._version(ds, None))
                item["access"] = shown(p, ds.owner, levels.get(ds.id, "admin"))
                out.append(item)
            return out

    def get(self, p: Principal, dataset_id: str) -> dict[str, Any]:
        ds, grant = self._require(p, dataset_id, "read")
        out = self.store.get(dataset_id)
        out["access"] = shown(p, ds.owner, grant.level)
        return out

    def rows(self, p: Principal, dataset_id: str, **kwargs: Any) -> dict[str, Any]:
        self._require(p, dataset_id, "read")
        return self.store.rows(dataset_id, **kwargs)

    def search(self, p: Principal, q: Any, *, rows: int = 5) -> dict[str, Any]:
        """Search the names, column names and values of every dataset ``p`` may read.

        See :meth:`DatasetStore.search_datasets`; only what :meth:`list_datasets` gives the caller
        is searched, so another user's dataset never appears.
        """
        return self.store.search_datasets(q, self.list_datasets(p), rows=rows)

    def versions(self, p: Principal, dataset_id: str) -> list[dict[str, Any]]:
        self._require(p, dataset_id, "read")
        return self.store.versions(dataset_id)

    def version(self, p: Principal, dataset_id: str, number: int | None = None) -> dict[str, Any]:
        self._require(p, dataset_id, "read")
        return self.store.version(dataset_id, number)

    def version_file(self, p: Principal, dataset_id: str, number: int | None = None) -> Path:
        self._require(p, dataset_id, "read")
        return self.store.version_file(dataset_id, number)

    def recipe(self, p: Principal, dataset_id: str, number: int | None = None) -> list[dict[str, Any]]:
        self._require(p, dataset_id, "read")
        return self.store.recipe(dataset_id, number)

    def recipe_code(self, p: Principal, dataset_id: str, number: int | None = None) -> str:
        """The recipe as pandas code; it loads another owner's dataset as ``owner/name``."""
        ds, _ = self._require(p, dataset_id, "read")
        ref = ds.name if ds.owner == p.name else qualified(ds.owner, ds.name)
        return self.store.recipe_code(dataset_id, number, ref)

    def export(
        self, p: Principal, dataset_id: str, fmt: str, version: int | None = None, purpose: str = "export"
    ) -> ExportFile:
        """A version as a file; logged as ``export``, or as ``load`` when it is read into a
        notebook (``purpose="load"``: ``lg.load``)."""
        if purpose not in EXPORT_PURPOSES:
            raise BadInput(f"purpose is export or load, not {str(purpose)[:40]!r}", "Bad argument")
        ds, grant = self._require(p, dataset_id, "read")
        export = self.store.export(dataset_id, fmt, version)
        self.events.record(
            p.name, purpose, dataset_id=ds.id, dataset_name=ds.name, owner=ds.owner,
            admin=grant.via_admin, detail={"format": (fmt or "csv").lower(), "version": version},
        )  # fmt: skip
        return export

    def profile(
        self, p: Principal, dataset_id: str, column: str, version: int | None = None
    ) -> dict[str, Any]:
        self._require(p, dataset_id, "read")
        return self.store.profile(dataset_id, column, version)

    def formula_completions(
        self, p: Principal, dataset_id: str, version: int | None = None
    ) -> list[dict[str, str]]:
        self._require(p, dataset_id, "read")
        return self.store.formula_completions(dataset_id, version)

    def check_formula(
        self, p: Principal, dataset_id: str, formula: Any, version: int | None = None
    ) -> dict[str, Any]:
        self._require(p, dataset_id, "read")
        return self.store.check_formula(dataset_id, formula, version)

    def find_readable(self, p: Principal, name: str) -> str:
        """The id of the dataset ``name`` (``owner/name`` or a bare name) means to ``p``.

        A bare name is the caller's own dataset, else the one shared with them (Conflict when
        several owners share one), else, for admins, the one of anyone: see :mod:`.names`.
        NotFound when the caller may read no dataset of that name.
        """
        with self.catalog.transaction() as s:
            shared = SHARES.shared_ids(p)
            ds = resolve(s, name, me=p.name, readable=DatasetRow.id.in_(shared), everything=p.is_admin)
            return ds.id

    def find(self, p: Principal, name: str) -> dict[str, Any]:
        """The dataset ``name`` means to ``p`` (as :meth:`find_readable`), with the caller's ``access``."""
        return self.get(p, self.find_readable(p, name))

    def chart(
        self, p: Principal, engine: ChartEngine, spec: Any, *, view_every: float | None = None
    ) -> ChartResult:
        """Answer a chart spec over a dataset ``p`` may read (``{"name"}`` as :meth:`find_readable`).

        With ``view_every`` (seconds), a ``chart_view`` event is logged at most that often per
        caller and dataset, so dragging fields about is not counted as many views.
        """
        spec = check_shape(spec)
        if spec.sql is not None:
            return self.sql_chart(p, engine, spec)
        ref = spec["dataset"]
        dataset_id = ref["id"] if "id" in ref else self.find_readable(p, ref["name"])
        ds, grant = self._require(p, dataset_id, "read")
        pinned = {"id": ds.id, **({"version": ref["version"]} if "version" in ref else {})}
        result = engine.run(spec.with_dataset(pinned))  # checked once, here
        if view_every is not None and self._view_due(p.name, ds.id, view_every):
            self.events.record(
                p.name, "chart_view", dataset_id=ds.id, dataset_name=ds.name, owner=ds.owner,
                admin=grant.via_admin, detail={"mark": spec.get("mark")},
            )  # fmt: skip
        return result

    def drill(
        self, p: Principal, engine: ChartEngine, dataset_id: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        """The rows behind a mark of a chart of dataset ``dataset_id`` that ``p`` may read.

        ``body``: ``{"spec", "mark", "index"?, "offset"?, "limit"?, "sort"?}`` (see :mod:`.drill`):
        the chart's filters and the mark's conditions come back as one editable list. Without a
        mark, ``{"spec", "filters", ...}`` pages that list as edited (the spec then only names the
        dataset and version). The spec's dataset must be this one; its version (else the latest)
        is the one read.
        """
        keys = DRILL_KEYS | {"filters"}
        unknown = sorted(set(body) - keys)
        if unknown:
            raise BadInput(f"Unknown keys {unknown}; send {sorted(keys)}", "Bad request")
        mark, edited = body.get("mark"), body.get("filters")
        if (mark is None) == (edited is None):
            raise BadInput(
                "Send the mark (its values by field name, as the chart's result holds them), "
                "or the filters of a page without one",
                "Bad mark",
            )
        if edited is not None and not isinstance(edited, list):
            raise BadInput("'filters' must be a list of conditions", "Bad filters")
        spec = check_shape(body.get("spec"))
        self._require(p, dataset_id, "read")
        if spec.sql is not None:
            raise BadInput(
                "spec.dataset: the rows behind a mark of a query's chart cannot be listed yet; "
                "save the query as a dataset and chart that",
                "Bad chart spec",
            )
        ref = spec["dataset"]
        if ("id" in ref and ref["id"] != dataset_id) or (
            "name" in ref and self.find_readable(p, ref["name"]) != dataset_id
        ):
            raise BadInput("spec.dataset: the chart is of another dataset", "Bad chart spec")
        pinned = {"id": dataset_id, **({"version": ref["version"]} if "version" in ref else {})}
        d = Drill(
            spec.with_dataset(pinned),
            mark=mark,
            index=body.get("index"),
            filters=list(spec.get("filters") or []) if edited is None else edited,
            **page_args(body),
        )
        return drill(self.store, engine, d)

    def _view_due(self, user: str, dataset_id: str, every: float) -> bool:
        return self._views.due((user, dataset_id), every)

    # ------------------------------------------------------------------ changes

    def create_from_file(self, p: Principal, src: Path, **kwargs: Any) -> dict[str, Any]:
        """Ingest ``src`` as a new dataset owned by the caller (see :meth:`DatasetStore.create_from_file`)."""
        size = src.stat().st_size if src.exists() else 0

        def hook(s: Session, ds: DatasetRow) -> None:
            EventLog.add(
                s, p.name, "upload", dataset_id=ds.id, dataset_name=ds.name, owner=ds.owner,
                detail={"bytes": size, "rows": ds.versions[0].rows, "filename": kwargs.get("filename")},
            )  # fmt: skip

        out = self.store.create_from_file(src, owner=p.name, in_tx=hook, **kwargs)
        out["access"] = "owner"
        return out

    def rename(self, p: Principal, dataset_id: str, name: str) -> dict[str, Any]:
        self._require(p, dataset_id, "write")
        out = self.store.rename(dataset_id, name, in_tx=self._guard(p, "write", "rename", {"name": name}))
        out["access"] = self.access(p, dataset_id)
        return out

    def apply_step(
        self, p: Principal, dataset_id: str, step: dict[str, Any], *, base_version: int | None = None
    ) -> dict[str, Any]:
        self._require(p, dataset_id, "write")
        detail = {"op": step.get("op")}
        return self.store.apply_step(
            dataset_id, step, user=p.name, base_version=base_version,
            in_tx=self._guard(p, "write", "change", detail),
        )  # fmt: skip

    def fit_model(
        self, p: Principal, dataset_id: str, spec: Any, version: int | None = None
    ) -> dict[str, Any]:
        """Fit a model on a dataset ``p`` may read: a report only, nothing is kept.

        The exported code loads another owner's dataset as ``owner/name``.
        """
        ds, _ = self._require(p, dataset_id, "read")
        ref = ds.name if ds.owner == p.name else qualified(ds.owner, ds.name)
        return self.store.fit_model(dataset_id, spec, version=version, ref=ref)

    def add_predictions(
        self, p: Principal, dataset_id: str, spec: Any, *, base_version: int | None = None
    ) -> dict[str, Any]:
        """A model's predictions as a new version: needs the right to edit."""
        self._require(p, dataset_id, "write")
        return self.store.add_predictions(
            dataset_id, spec, user=p.name, base_version=base_version,
            in_tx=self._guard(p, "write", "change", {"op": "model"}),
        )  # fmt: skip

    def revert(self, p: Principal, dataset_id: str, to_version: int) -> dict[str, Any]:
        self._require(p, dataset_id, "write")
        return self.store.revert(
            dataset_id, to_version, user=p.name,
            in_tx=self._guard(p, "write", "revert", {"version": to_version}),
        )  # fmt: skip

    def new_data(
        self, p: Principal, dataset_id: str, src: Path, *, mode: str, **kwargs: Any
    ) -> dict[str, Any]:
        """Append the file at ``src`` to the dataset or replace its data (owners and editors).

        See :meth:`DatasetStore.new_data`; logged as a ``change`` whose detail names the mode.
        """
        try:
            self._require(p, dataset_id, "write")
        except BaseException:
            remove_quietly(src)
            raise
        detail = {"op": mode, "filename": kwargs.get("filename")}
        if kwargs.get("onto_version") is not None:
            detail["onto"] = kwargs["onto_version"]  # what followed that version is undone
        out = self.store.new_data(
            dataset_id, src, mode=mode, user=p.name, in_tx=self._guard(p, "write", "change", detail), **kwargs
        )
        out["access"] = self.access(p, dataset_id)
        out["changes"]["charts"] = self._documents_using(p, out, out["changes"])
        return out

    def _documents_using(self, p: Principal, ds: dict[str, Any], columns: dict[str, Any]) -> dict[str, Any]:
        """The shared documents using the columns ``columns`` says were removed or retyped."""
        gone = [c["name"] for c in columns["removed"]] + [c["name"] for c in columns["retyped"]]
        return documents_using(self.documents, p, ds, gone)

    def compare(
        self, p: Principal, dataset_id: str, to: int | None = None, since: int | None = None
    ) -> dict[str, Any]:
        self._require(p, dataset_id, "read")
        out = self.store.compare(dataset_id, to, since)
        out["charts"] = self._documents_using(p, self.store.get(dataset_id), out["columns"])
        return out

    def delete(self, p: Principal, dataset_id: str) -> None:
        self._require(p, dataset_id, "manage")
        self.store.delete(dataset_id, in_tx=self._guard(p, "manage", "delete"))
        self.publications.forget()  # snapshots reading it no longer show it

    # ------------------------------------------------------------------ shares

    def shares(self, p: Principal, dataset_id: str) -> list[dict[str, Any]]:
        """Who the dataset is shared with (any reader may see it)."""
        self._require(p, dataset_id, "read")
        with self.catalog.transaction() as s:
            return SHARES.of(s, dataset_id)

    @staticmethod
    def check_share(kind: Any, name: Any, role: Any = "viewer") -> tuple[str, str, str]:
        """A share's (kind, name, role), checked and normalised; BadInput otherwise."""
        return check_share(kind, name, role)

    def share(self, p: Principal, dataset_id: str, kind: Any, name: Any, role: Any) -> dict[str, Any]:
        """Give a user or group a role on the dataset (replacing the role they had); owner or admin."""
        kind, name, role = check_share(kind, name, role)
        with self.catalog.transaction() as s:
            ds = self.catalog.dataset(s, dataset_id)
            if ds is None:
                raise NotFound(f"No dataset with id {dataset_id!r}", "No such dataset")
            grant = self._grant(s, p, ds, "manage")
            share = SHARES.put(s, p, dataset_id, ds.owner, kind, name, role, "dataset")
            EventLog.add(
                s, p.name, "share", dataset_id=ds.id, dataset_name=ds.name, owner=ds.owner,
                admin=grant.via_admin, detail={"kind": kind, "name": name, "role": role},
            )  # fmt: skip
            return share

    def unshare(self, p: Principal, dataset_id: str, kind: Any, name: Any) -> None:
        """Stop sharing the dataset with a user or group: its owner and admins may, and so may the
        user it is shared with, for their own share (a share needs no consent, so it can be refused).

        A group's share is the owner's to remove: one member leaving it would take it from all.
        """
        kind, name, _ = check_share(kind, name)
        with self.catalog.transaction() as s:
            ds = self.catalog.dataset(s, dataset_id)
            if ds is None:
                raise NotFound(f"No dataset with id {dataset_id!r}", "No such dataset")
            grant = SHARES.take(
                s, p, dataset_id, kind, name, lambda: self._grant(s, p, ds, "manage"), ds.name
            )
            detail: dict[str, Any] = {"kind": kind, "name": name}
            if grant.level == "recipient":
                detail["recipient"] = True
            EventLog.add(
                s, p.name, "unshare", dataset_id=ds.id, dataset_name=ds.name, owner=ds.owner,
                admin=grant.via_admin, detail=detail,
            )  # fmt: skip

    # ------------------------------------------------------------------ activity

    def report_view(
        self, p: Principal, action: str, dataset_id: str, detail: dict[str, Any] | None = None
    ) -> None:
        """Log that the caller viewed a chart or dashboard of a dataset they may read."""
        if action not in CLIENT_ACTIONS:
            raise BadInput(f"action is one of {', '.join(sorted(CLIENT_ACTIONS))}", "Bad action")
        ds, grant = self._require(p, dataset_id, "read")
        self.events.record(
            p.name, action, dataset_id=ds.id, dataset_name=ds.name, owner=ds.owner,
            admin=grant.via_admin, detail=detail or {},
        )  # fmt: skip

    @staticmethod
    def require_admin(p: Principal) -> None:
        if not p.is_admin:
            raise Forbidden("Only admins may do this", "Forbidden")

    def list_events(self, p: Principal, **filters: Any) -> dict[str, Any]:
        """The activity log (admins only); see :meth:`EventLog.list`."""
        self.require_admin(p)
        return self.events.list(**filters)

    def engagement(self, p: Principal, **kwargs: Any) -> dict[str, Any]:
        """Engagement figures (admins only); see :meth:`EventLog.engagement`."""
        self.require_admin(p)
        return self.events.engagement(**kwargs)

    def totals(self) -> dict[str, int]:
        """Datasets and bytes stored (each version file counted once), for metrics."""
        from .catalog import VersionRow

        with self.catalog.transaction() as s:
            datasets = int(s.scalar(select(func.count(DatasetRow.id))) or 0)
            files = {f: size for f, size in s.execute(select(VersionRow.file, VersionRow.size))}
        return {"datasets": datasets, "bytes": sum(files.values())}


__all__ = ["SHARE_KINDS", "SHARE_ROLES", "GuardedStore", "Principal", "ShareRow", "share_json"]
