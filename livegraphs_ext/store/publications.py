"""Published dashboards: frozen snapshots, and the links that show them to people without access.

Publishing a dashboard (its owner, editors, admins) freezes its current content and the dataset
versions its charts use into a snapshot (``lg_publications``): each chart's spec as it is drawn
(the mark and channels the builder derives, over ``{"id", "version"}``), each filter over the
dataset id it means. A snapshot never changes; publishing again makes a new one, numbered on.
The datasets are resolved as the publisher's readers see them through the document
(:mod:`.docdata`): a publication shows no more than the dashboard already lends.

A link (``lg_publication_links``) shows one snapshot, or the newest one when none is named:

- ``signed_in``: anyone signed in who has the link;
- ``public``: anyone with the link, no account needed.

A link's token is random (:func:`secrets.token_urlsafe`), given to its creator once and stored
only as its SHA-256. A link may expire and may be revoked; an unknown or revoked token is
:class:`NotFound`, an expired one :class:`Gone`. Whoever holds a link runs only the snapshot's
own specs, narrowed by conditions on the columns the dashboard uses (no formulas): never a spec,
a dataset or a chart of their own choosing.

A plain library like the rest of the store (no tornado).
"""

from __future__ import annotations

import builtins
import datetime as dt
import hashlib
import secrets
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, UniqueConstraint, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .answers import SharedAnswers
from .catalog import Base, VersionRow, utcnow
from .charts import ChartEngine, ChartResult, check_shape
from .docdata import DocumentData, _key, check_extra, filter_spec
from .documents import DocumentRow
from .errors import BadInput, Conflict, Gone, NotFound, StoreError
from .events import EventLog
from .lru import Lru
from .sharing import Principal, iso

if TYPE_CHECKING:
    from .acl import GuardedStore

LINK_KINDS = ("public", "signed_in")
#: Most links of one document (revoked ones included), and most snapshots kept of one document.
MAX_LINKS = 100
MAX_SNAPSHOTS = 500


class PublicationRow(Base):
    """One frozen snapshot of a dashboard."""

    __tablename__ = "lg_publications"
    __table_args__ = (UniqueConstraint("document_id", "number", name="lg_publications_document_number"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    document_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("lg_documents.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    #: ``{"title", "crossfilter", "filters", "charts"}``, every spec derived and pinned
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: ``[{"id", "version"}]``: the dataset versions the charts read
    datasets: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(255))


class PublicationLinkRow(Base):
    """A link to a dashboard's snapshot; its token is kept only as a SHA-256."""

    __tablename__ = "lg_publication_links"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    document_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("lg_documents.id", ondelete="CASCADE"), index=True
    )
    #: the snapshot shown; None: the newest one
    publication_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("lg_publications.id", ondelete="CASCADE"), nullable=True
    )
    #: "public" | "signed_in"
    kind: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(255))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _aware(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


def check_expiry(value: Any, now: dt.datetime) -> dt.datetime | None:
    """None, or an ISO 8601 time with its offset that is still to come."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 64:
        raise BadInput("'expires' is an ISO 8601 time with its offset, or null", "Bad link")
    try:
        t = dt.datetime.fromisoformat(value)
    except ValueError:
        raise BadInput(f"'expires' {value!r} is not an ISO 8601 time", "Bad link") from None
    if t.tzinfo is None:
        raise BadInput("'expires' needs its UTC offset (such as Z or +02:00)", "Bad link")
    if t <= now:
        raise BadInput("'expires' is in the past", "Bad link")
    return t


def snapshot_json(row: PublicationRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "document_id": row.document_id,
        "number": row.number,
        "title": row.title,
        "charts": len(row.content.get("charts") or {}),
        "datasets": row.datasets,
        "created": iso(row.created),
        "created_by": row.created_by,
    }


def link_json(row: PublicationLinkRow, number: int | None, now: dt.datetime) -> dict[str, Any]:
    expires = _aware(row.expires) if row.expires is not None else None
    state = "revoked" if row.revoked else "expired" if expires is not None and expires <= now else "active"
    return {
        "id": row.id,
        "document_id": row.document_id,
        "kind": row.kind,
        "snapshot": number,
        "expires": iso(expires) if expires else None,
        "revoked": iso(row.revoked) if row.revoked else None,
        "state": state,
        "created": iso(row.created),
        "created_by": row.created_by,
    }


@dataclass(frozen=True)
class _Seen:
    """A link as last read from the catalog (:meth:`Publications._open`)."""

    at: float
    kind: str = ""
    expires: dt.datetime | None = None
    #: the snapshot it shows; None: an unknown or revoked link, or nothing published
    snapshot: PublicationRow | None = None
    #: the (dataset id, version) pairs of the snapshot still kept
    versions: frozenset[tuple[str, int]] = frozenset()


@dataclass(frozen=True)
class Preload:
    """What a link's page carries (:meth:`Publications.preload`)."""

    #: what ``view`` and ``answers`` depend on besides the link: its snapshot, the dataset
    #: versions still kept and the engine's budget
    key: tuple[Any, ...]
    view: dict[str, Any]
    #: chart id -> the Arrow bytes of its answer with no extra conditions, for those kept
    answers: dict[str, bytes]
    #: dropdown filter id -> the JSON bytes of its values with no search, for those kept
    values: dict[str, bytes]
    #: every chart that can be drawn has its answer here, and every dropdown its values
    complete: bool


class Publications:
    """Snapshots of a catalog's dashboards and their links; ``GuardedStore(...).publications``."""

    max_links = MAX_LINKS
    max_snapshots = MAX_SNAPSHOTS

    #: Most snapshots kept in memory (they never change).
    kept_snapshots = 256
    #: Most links' states kept in memory, and the seconds one is trusted before it is read again.
    #: A revoke, a publish or a deletion through this store forgets them all at once; this bounds
    #: how long a change made by another process (a notebook's own store) takes to count.
    kept_links = 4096
    recheck_seconds = 1.0

    def __init__(self, guarded: GuardedStore, answer_bytes: int = 32 << 20, page_bytes: int = 16 << 20):
        self.guarded = guarded
        self.catalog = guarded.catalog
        self.documents = guarded.documents
        self._snapshots: OrderedDict[str, PublicationRow] = OrderedDict()
        self._seen: OrderedDict[str, _Seen] = OrderedDict()
        self._lock = threading.Lock()
        #: chart answers of snapshots, by snapshot, chart, conditions and budget
        self.answers = SharedAnswers(answer_bytes)
        #: the pages of links as sent (plain, gzipped), by link and :attr:`Preload.key`; kept by
        #: the page handlers
        self.pages: Lru[tuple[bytes, bytes]] = Lru(page_bytes, lambda page: sum(map(len, page)))

    # ------------------------------------------------------------------ publishing (writers)

    def publish(self, p: Principal, doc_id: str) -> dict[str, Any]:
        """Freeze the dashboard as it is now into a new snapshot (owner, editors, admins)."""
        self.documents.require(p, doc_id, "write")
        data = self.guarded.document_data
        row, content = data.content(doc_id)
        if row.kind != "dashboard":
            raise BadInput("Only a dashboard can be published", "Not a dashboard")
        resolved: dict[str, str] = {}  # a reference's key (id or name) -> the dataset id it means
        versions: dict[str, int] = {}
        charts: dict[str, Any] = {}
        for chart_id, chart in (content.get("charts") or {}).items():
            spec = chart.get("spec") or {}
            frozen: dict[str, Any] = {"layout": chart.get("layout"), "spec": None}
            try:
                pinned, dataset_id, _ = data.pinned(p, row, spec)
                ref = pinned["dataset"]
                version = ref.get("version") or self.guarded.store.get(dataset_id)["version"]
                frozen["spec"] = {**pinned, "dataset": {"id": dataset_id, "version": version}}
                versions.setdefault(dataset_id, version)
                for k in _key(spec.get("dataset")):
                    resolved[k] = dataset_id
            except StoreError as e:  # a chart not finished yet is published as its problem
                frozen["problem"] = e.message
            charts[chart_id] = frozen
        filters = []
        for f in content.get("filters") or []:
            key = f.get("dataset")
            filters.append({**f, "dataset": resolved.get(key, key) if isinstance(key, str) else key})
        frozen_content = {
            "title": row.title,
            "crossfilter": bool(content.get("crossfilter", True)),
            "filters": filters,
            "charts": charts,
        }
        datasets = [{"id": k, "version": v} for k, v in sorted(versions.items())]
        with self.catalog.transaction() as s:
            doc = self.documents._lock(s, doc_id)
            count, last = s.execute(
                select(func.count(), func.max(PublicationRow.number)).where(
                    PublicationRow.document_id == doc_id
                )
            ).one()
            if count >= self.max_snapshots:
                raise Conflict(
                    f"A dashboard keeps at most {self.max_snapshots} published snapshots",
                    "Too many snapshots",
                )
            snap = PublicationRow(
                id=uuid.uuid4().hex, document_id=doc_id, number=(last or 0) + 1, title=doc.title,
                content=frozen_content, datasets=datasets, created_by=p.name,
            )  # fmt: skip
            s.add(snap)
            EventLog.add(
                s, p.name, "document_publish", owner=doc.owner,
                detail={"document_id": doc_id, "title": doc.title, "snapshot": snap.number},
            )  # fmt: skip
            s.flush()
            out = snapshot_json(snap)
        self.forget()  # links to the newest snapshot show this one now
        return out

    def snapshots(self, p: Principal, doc_id: str) -> builtins.list[dict[str, Any]]:
        """The dashboard's snapshots, newest first (owner, editors, admins)."""
        self.documents.require(p, doc_id, "write")
        with self.catalog.transaction() as s:
            rows = s.scalars(
                select(PublicationRow)
                .where(PublicationRow.document_id == doc_id)
                .order_by(PublicationRow.number.desc())
            )
            return [snapshot_json(r) for r in rows]

    # ------------------------------------------------------------------ links (writers)

    def create_link(
        self, p: Principal, doc_id: str, kind: Any, snapshot: Any = None, expires: Any = None
    ) -> dict[str, Any]:
        """A new link to the snapshot numbered ``snapshot`` (None: always the newest), with its
        token, shown this once (owner, editors, admins)."""
        if kind not in LINK_KINDS:
            raise BadInput(f"'kind' is one of {list(LINK_KINDS)}", "Bad link")
        if snapshot is not None and (not isinstance(snapshot, int) or isinstance(snapshot, bool)):
            raise BadInput("'snapshot' is a snapshot's number, or null for the newest", "Bad link")
        now = utcnow()
        until = check_expiry(expires, now)
        self.documents.require(p, doc_id, "write")
        token = secrets.token_urlsafe(32)
        with self.catalog.transaction() as s:
            doc = self.documents._lock(s, doc_id)
            snaps = select(PublicationRow).where(PublicationRow.document_id == doc_id)
            if snapshot is None:
                snap = s.scalars(snaps.order_by(PublicationRow.number.desc())).first()
            else:
                snap = s.scalars(snaps.where(PublicationRow.number == snapshot)).first()
            if snap is None:
                what = f"has no snapshot numbered {snapshot}" if snapshot is not None else "is not published"
                raise NotFound(f"The dashboard {what}: publish it first", "No such snapshot")
            n = s.scalar(select(func.count()).where(PublicationLinkRow.document_id == doc_id)) or 0
            if n >= self.max_links:
                raise Conflict(f"A dashboard has at most {self.max_links} links", "Too many links")
            link = PublicationLinkRow(
                id=uuid.uuid4().hex, document_id=doc_id,
                publication_id=snap.id if snapshot is not None else None,
                kind=kind, token_hash=token_hash(token), expires=until, created_by=p.name,
            )  # fmt: skip
            s.add(link)
            EventLog.add(
                s, p.name, "link_create", owner=doc.owner,
                detail={"document_id": doc_id, "title": doc.title, "link": link.id, "kind": kind},
            )  # fmt: skip
            s.flush()
            return {**link_json(link, snapshot, now), "token": token}

    def links(self, p: Principal, doc_id: str) -> builtins.list[dict[str, Any]]:
        """The dashboard's links, newest first, without their tokens (owner, editors, admins)."""
        self.documents.require(p, doc_id, "write")
        now = utcnow()
        with self.catalog.transaction() as s:
            rows = s.execute(
                select(PublicationLinkRow, PublicationRow.number)
                .outerjoin(PublicationRow, PublicationRow.id == PublicationLinkRow.publication_id)
                .where(PublicationLinkRow.document_id == doc_id)
                .order_by(PublicationLinkRow.created.desc(), PublicationLinkRow.id)
            ).all()
            return [link_json(link, number, now) for link, number in rows]

    def revoke(self, p: Principal, doc_id: str, link_id: str) -> None:
        """Revoke a link for good (owner, editors, admins); revoking it again changes nothing."""
        self.documents.require(p, doc_id, "write")
        with self.catalog.transaction() as s:
            link = s.get(PublicationLinkRow, link_id)
            if link is None or link.document_id != doc_id:
                raise NotFound(f"No link {link_id!r} on this dashboard", "No such link")
            if link.revoked is None:
                link.revoked = utcnow()
                doc = s.get(DocumentRow, doc_id)
                EventLog.add(
                    s, p.name, "link_revoke", owner=doc.owner if doc else None,
                    detail={"document_id": doc_id, "link": link_id},
                )  # fmt: skip
        self.forget()  # it stops working at once

    # ------------------------------------------------------------------ what a link shows

    def open(self, token: Any, p: Principal | None = None) -> PublicationRow:
        """The snapshot a token shows. ``p`` None: a caller with no account, who may open public
        links only. NotFound for an unknown or revoked token, Gone for an expired one."""
        opened = self._open(token, p)
        assert opened is not None
        return opened[0]

    def _open(
        self, token: Any, p: Principal | None, read: bool = True
    ) -> tuple[PublicationRow, _Seen] | None:
        """:meth:`open`, and the link as read; None when ``read`` is False and the link would have
        to be read from the catalog."""
        missing = NotFound("No such link: it may have been revoked", "No such link")
        if not isinstance(token, str) or not 20 <= len(token) <= 100:
            raise missing
        key = token_hash(token)
        now = time.monotonic()
        seen = self._seen.get(key)
        if seen is None or now - seen.at > self.recheck_seconds:
            if not read:
                return None
            seen = self._read_link(key, now)
            with self._lock:
                self._seen[key] = seen
                while len(self._seen) > self.kept_links:
                    self._seen.popitem(last=False)
        if seen.snapshot is None or (p is None and seen.kind != "public"):
            raise missing
        if seen.expires is not None and _aware(seen.expires) <= utcnow():
            raise Gone("This link has expired", "Link expired")
        return seen.snapshot, seen

    def _read_link(self, key: str, now: float) -> _Seen:
        """A link as the catalog has it now: its snapshot (None: unknown, revoked or nothing
        published) and which of the dataset versions that snapshot reads are still kept."""
        L = PublicationLinkRow
        with self.catalog.transaction() as s:
            link = s.execute(
                select(L.revoked, L.kind, L.expires, L.publication_id, L.document_id).where(
                    L.token_hash == key
                )
            ).first()
            if link is None or link.revoked is not None:
                return _Seen(now)
            snap_id = (
                link.publication_id
                or s.scalars(
                    select(PublicationRow.id)
                    .where(PublicationRow.document_id == link.document_id)
                    .order_by(PublicationRow.number.desc())
                    .limit(1)
                ).first()
            )
            snap = self._snapshots.get(snap_id) if snap_id else None
            if snap is None and snap_id:
                snap = s.get(PublicationRow, snap_id)
                if snap is not None:
                    s.expunge(snap)
                    with self._lock:
                        self._snapshots[snap.id] = snap
                        while len(self._snapshots) > self.kept_snapshots:
                            self._snapshots.popitem(last=False)
            if snap is None:
                return _Seen(now)
            ids = [d["id"] for d in snap.datasets]
            rows = s.execute(
                select(VersionRow.dataset_id, VersionRow.number).where(VersionRow.dataset_id.in_(ids))
            )
            kept = frozenset((d, n) for d, n in rows)
            versions = frozenset((d["id"], d["version"]) for d in snap.datasets) & kept
            return _Seen(now, link.kind, link.expires, snap, versions)

    def forget(self, *_: Any) -> None:
        """Read every link afresh on its next use (after a revoke, a publish or a deletion)."""
        with self._lock:
            self._seen.clear()

    def view(self, token: Any, p: Principal | None = None) -> dict[str, Any]:
        """What the viewer page draws: the snapshot's title, filters and charts (layout, spec)."""
        return self._view(self.open(token, p))

    @staticmethod
    def _view(snap: PublicationRow) -> dict[str, Any]:
        return {"snapshot": snap.number, "created": iso(snap.created), **snap.content}

    def _chart_spec(self, snap: PublicationRow, chart_id: Any, extra: Any) -> dict[str, Any]:
        charts = snap.content.get("charts") or {}
        chart = charts.get(chart_id) if isinstance(chart_id, str) else None
        if chart is None:
            raise NotFound(f"No chart {chart_id!r} in this dashboard", "No such chart")
        spec = chart.get("spec")
        if spec is None:
            raise BadInput(chart.get("problem") or "The chart cannot be drawn", "Bad chart spec")
        extra = [] if extra is None else extra
        check_extra(extra, DocumentData._columns(snap.content, {spec["dataset"]["id"]}))
        own = spec.get("filters") or []
        return check_shape({**spec, "filters": [*own, *extra]})

    def chart(
        self, token: Any, engine: ChartEngine, chart_id: Any, extra: Any = None, p: Principal | None = None
    ) -> ChartResult:
        """A chart of the snapshot, narrowed by ``extra`` conditions on the columns its dashboard
        uses on that dataset."""
        return engine.run(self._chart_spec(self.open(token, p), chart_id, extra))

    def chart_bytes(
        self, token: Any, engine: ChartEngine, chart_id: Any, extra: Any = None, p: Principal | None = None,
        *, arrow: bool = True,
    ) -> bytes:  # fmt: skip
        """:meth:`chart` as Arrow IPC (else JSON) bytes, computed once per snapshot, chart,
        conditions and budget, and once for concurrent askers (:class:`.answers.SharedAnswers`).
        The link is checked on every call, as :meth:`open` does, and so is the chart's dataset
        version (a deleted dataset is no longer shown)."""
        got = self._chart_answer(token, engine, chart_id, extra, p, arrow, kept_only=False)
        assert got is not None
        return got

    def kept_chart_bytes(
        self, token: Any, engine: ChartEngine, chart_id: Any, extra: Any = None, p: Principal | None = None,
        *, arrow: bool = True,
    ) -> bytes | None:  # fmt: skip
        """:meth:`chart_bytes` if it needs nothing but memory (no catalog read, no query: fit for
        an event loop), else None."""
        return self._chart_answer(token, engine, chart_id, extra, p, arrow, kept_only=True)

    def _chart_answer(
        self, token: Any, engine: ChartEngine, chart_id: Any, extra: Any, p: Principal | None, arrow: bool,
        kept_only: bool,
    ) -> bytes | None:  # fmt: skip
        return self._kept_or_computed(
            token, p, engine, arrow, kept_only,
            lambda snap, seen: self._answer_key(snap, seen, engine, chart_id, extra, arrow),
        )  # fmt: skip

    def _kept_or_computed(
        self, token: Any, p: Principal | None, engine: ChartEngine, arrow: bool, kept_only: bool,
        key_of: Callable[[PublicationRow, _Seen], tuple[tuple[Any, ...], dict[str, Any]]],
    ) -> bytes | None:  # fmt: skip
        """The answer ``key_of`` names for the opened link (its key and the spec computing it), as
        bytes: kept, or computed once for concurrent askers; with ``kept_only`` only if kept (None
        otherwise, and when the link does not open without a catalog read)."""
        opened = self._open(token, p, read=not kept_only)
        if opened is None:
            return None
        key, spec = key_of(*opened)
        if kept_only:
            return self.answers.kept(key)

        def compute() -> bytes:
            result = engine.run(spec)
            return result.to_arrow_bytes() if arrow else result.to_json_bytes()

        return self.answers.get(key, compute)

    def _answer_key(
        self, snap: PublicationRow, seen: _Seen, engine: ChartEngine, chart_id: Any, extra: Any, arrow: bool
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """The key of a chart's answer among :attr:`answers` (its snapshot, chart, conditions as
        checked, budget and format), and the spec that computes it. NotFound when its dataset
        version is gone."""
        spec = self._chart_spec(snap, chart_id, extra)
        ref = spec["dataset"]
        if (ref["id"], ref["version"]) not in seen.versions:
            raise NotFound(f"No dataset with id {ref['id']!r}", "No such dataset")
        key = (snap.id, chart_id, orjson.dumps(spec["filters"], option=orjson.OPT_SORT_KEYS),
               engine.max_marks, id(engine), arrow)  # fmt: skip
        return key, spec

    def preload(
        self, token: Any, engine: ChartEngine, p: Principal | None = None, *, read: bool = True
    ) -> Preload | None:
        """What a link's page can carry for its script, so that it need not ask: the snapshot as
        :meth:`view` answers it, the Arrow answers of its charts with no extra conditions and the
        JSON values of its dropdown filters with no search that are kept in memory (none is
        computed here). The link is checked as :meth:`open` does;
        None when ``read`` is False and the link would have to be read from the catalog."""
        opened = self._open(token, p, read=read)
        if opened is None:
            return None
        snap, seen = opened
        answers: dict[str, bytes] = {}
        drawable = 0
        for chart_id, chart in (snap.content.get("charts") or {}).items():
            if chart.get("spec") is None:
                continue
            try:
                key, _ = self._answer_key(snap, seen, engine, chart_id, None, True)
            except StoreError:  # its dataset is gone: the page's script asks and shows why
                continue
            drawable += 1
            body = self.answers.kept(key)
            if body is not None:
                answers[chart_id] = body
        values: dict[str, bytes] = {}
        for f in snap.content.get("filters") or []:
            if f.get("kind") != "dropdown":  # the only filters whose page asks their values
                continue
            try:
                key, _ = self._filter_key(snap, seen, engine, f.get("id"), "values", None, False)
            except StoreError:
                continue
            drawable += 1
            body = self.answers.kept(key)
            if body is not None:
                values[f["id"]] = body
        return Preload(
            key=(snap.id, seen.versions, engine.max_marks, id(engine)),
            view=self._view(snap),
            answers=answers,
            values=values,
            complete=len(answers) + len(values) == drawable,
        )

    def filter_values(
        self, token: Any, engine: ChartEngine, filter_id: Any, what: Any, search: Any = None,
        p: Principal | None = None,
    ) -> ChartResult:  # fmt: skip
        """A snapshot filter's values or extent, over the dataset version its charts read."""
        snap, seen = self._opened(token, p)
        _, spec = self._filter_key(snap, seen, engine, filter_id, what, search, False)
        return engine.run(spec)

    def filter_bytes(
        self, token: Any, engine: ChartEngine, filter_id: Any, what: Any, search: Any = None,
        p: Principal | None = None, *, arrow: bool = False, kept_only: bool = False,
    ) -> bytes | None:  # fmt: skip
        """:meth:`filter_values` as JSON (else Arrow IPC) bytes, kept and shared as a chart's
        answers are (:meth:`chart_bytes`). ``kept_only``: only if it needs nothing but memory,
        else None."""
        return self._kept_or_computed(
            token, p, engine, arrow, kept_only,
            lambda snap, seen: self._filter_key(snap, seen, engine, filter_id, what, search, arrow),
        )  # fmt: skip

    def _opened(self, token: Any, p: Principal | None) -> tuple[PublicationRow, _Seen]:
        opened = self._open(token, p)
        assert opened is not None
        return opened

    def _filter_key(
        self, snap: PublicationRow, seen: _Seen, engine: ChartEngine, filter_id: Any, what: Any, search: Any,
        arrow: bool,
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:  # fmt: skip
        """The key of a filter's answer among :attr:`answers`, and the spec that computes it."""
        f = next((f for f in snap.content.get("filters") or [] if f.get("id") == filter_id), None)
        if f is None:
            raise NotFound(f"No filter {filter_id!r} in this dashboard", "No such filter")
        version = next((d["version"] for d in snap.datasets if d["id"] == f.get("dataset")), None)
        if version is None:
            raise BadInput("The filter's dataset is not one the dashboard's charts use", "Bad filter")
        if (f["dataset"], version) not in seen.versions:
            raise NotFound(f"No dataset with id {f['dataset']!r}", "No such dataset")
        spec = filter_spec(f, what, search)
        spec["dataset"] = {"id": f["dataset"], "version": version}
        spec = check_shape(spec)
        key = ("filter", snap.id, filter_id, orjson.dumps(spec, option=orjson.OPT_SORT_KEYS),
               engine.max_marks, id(engine), arrow)  # fmt: skip
        return key, spec


def delete_document_rows(s: Session, doc_id: str) -> None:
    """Delete a document's links and snapshots (the document is being deleted)."""
    s.execute(delete(PublicationLinkRow).where(PublicationLinkRow.document_id == doc_id))
    s.execute(delete(PublicationRow).where(PublicationRow.document_id == doc_id))
