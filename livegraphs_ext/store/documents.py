"""Shared documents: dashboards and charts as catalog rows with owners, shares and history.

A document's content is a Yjs document (:class:`~livegraphs_ext.documents.dashboard.YDashboard` or
:class:`~livegraphs_ext.documents.chartdoc.YChart`). Its updates are committed to the catalog
(``lg_document_updates``) before a room broadcasts them, so the update log is the record; a
snapshot folds them into a version (``lg_document_versions``) and deletes them in the same
transaction. Shares and levels follow the dataset rules (:mod:`.sharing`): owner > editor >
viewer, admins may do everything, and to a caller without access a document does not exist.
``lg_document_lends`` records who made the document reference each dataset: only they lend it to
the document's readers (:mod:`.docdata`).

The guarded methods take the caller first; :meth:`DocumentStore.load`, :meth:`append` and
:meth:`snapshot` do not, because the room authorizes each connection before it calls them.
"""

from __future__ import annotations

import builtins
import datetime as dt
import logging
import threading
import unicodedata
import uuid
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    delete,
    func,
    or_,
    select,
)
from sqlalchemy import update as sql_update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from .catalog import Base, Catalog, utcnow
from .core import NAME_MAX, check_label
from .errors import BadInput, Conflict, NotFound, Problem
from .events import EventLog, ViewThrottle
from .sharing import Grant, Principal, Shares, check_share, decide, iso, shown

if TYPE_CHECKING:
    # pycrdt is imported where a document's state is read or made: a chart never needs it
    from pycrdt import Doc

log = logging.getLogger(__name__)

KINDS = ("dashboard", "chart")
#: The file suffix of each kind's plain JSON form.
SUFFIX = {"dashboard": ".lgdash", "chart": ".lgchart"}
_UNTITLED = {"dashboard": "Untitled dashboard", "chart": "Untitled chart"}
#: What opening a document of each kind is logged as
VIEW_ACTIONS = {"dashboard": "dashboard_view", "chart": "chart_view"}


class DocumentRow(Base):
    __tablename__ = "lg_documents"
    # owner/title names one document of a kind, as owner/name names one dataset
    __table_args__ = (UniqueConstraint("owner", "kind", "title", name="lg_documents_owner_kind_title"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: "dashboard" | "chart"
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    owner: Mapped[str] = mapped_column(String(255), index=True)
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(255))


class DocumentShareRow(Base):
    __tablename__ = "lg_document_shares"

    document_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("lg_documents.id", ondelete="CASCADE"), primary_key=True
    )
    #: "user" | "group"
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), primary_key=True, index=True)
    #: "viewer" | "editor"
    role: Mapped[str] = mapped_column(String(8))
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(255))


class DocumentUpdateRow(Base):
    __tablename__ = "lg_document_updates"

    #: increases with every update stored (across documents); a document's updates in seq order
    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    document_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("lg_documents.id", ondelete="CASCADE"), index=True
    )
    #: one Yjs v1 update
    data: Mapped[bytes] = mapped_column(LargeBinary)
    author: Mapped[str] = mapped_column(String(255))
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DocumentVersionRow(Base):
    __tablename__ = "lg_document_versions"

    document_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("lg_documents.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the whole document as one Yjs v1 update
    state: Mapped[bytes] = mapped_column(LargeBinary)
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: who edited it since the previous version
    authors: Mapped[list[str]] = mapped_column(JSON)
    #: the state holds every update of the document up to this seq
    upto_seq: Mapped[int] = mapped_column(BigInteger)


class DocumentLendRow(Base):
    """Who made a document reference a dataset: only they lend it to the document's readers."""

    __tablename__ = "lg_document_lends"

    document_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("lg_documents.id", ondelete="CASCADE"), primary_key=True
    )
    #: the reference's dataset id, or its name (as the document holds it)
    dataset_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    user: Mapped[str] = mapped_column(String(255), primary_key=True)


#: The document shares, under the rules datasets follow too.
SHARES = Shares(DocumentShareRow, "document_id")


def check_kind(kind: Any) -> str:
    if kind not in KINDS:
        raise BadInput('kind is "dashboard" or "chart"', "Bad kind")
    return str(kind)


def check_title(title: Any) -> str:
    """A document title: the rules of a dataset name, so that ``owner/title`` names one document."""
    if not isinstance(title, str):
        raise BadInput("A title is a string", "Bad title")
    return check_label(title, "A title", "Bad title", "owner/title names another user's document")


def check_update(data: Any) -> bytes:
    """A Yjs v1 update, refused (BadInput) unless it decodes."""
    from pycrdt import Doc

    if not isinstance(data, bytes | bytearray | memoryview) or not data:
        raise BadInput("A Yjs update is a non-empty byte string", "Bad update")
    data = bytes(data)
    try:
        Doc().apply_update(data)
    except ValueError:
        raise BadInput("The update is not a Yjs update", "Bad update") from None
    return data


# -- the Yjs forms: imported when first used (livegraphs_ext.documents imports the store's chart spec)


def _ydoc(kind: str, doc: Doc) -> Any:
    """The typed view (YDashboard or YChart) of ``doc``."""
    if kind == "dashboard":
        from ..documents.dashboard import YDashboard

        return YDashboard(doc)
    from ..documents.chartdoc import YChart

    return YChart(doc)


def _validated(kind: str, content: Any) -> dict[str, Any]:
    """``content`` checked against the file schema of ``kind``; BadInput listing every problem."""
    from ..documents.chartdoc import ChartFileError, validate_chart
    from ..documents.dashboard import DashboardError, validate_dashboard

    try:
        if kind == "dashboard":
            return validate_dashboard(content)
        return validate_chart(content)
    except (DashboardError, ChartFileError) as e:
        problems = []
        for text in e.errors:
            where, _, what = text.partition(": ")
            problems.append(Problem(None, where if what else None, None, what or text))
        raise BadInput(f"The {kind} is not valid: {'; '.join(e.errors)}", f"Bad {kind}", problems) from None


def _dump(kind: str, content: dict[str, Any]) -> str:
    """The canonical text of a ``.lgdash`` / ``.lgchart`` file."""
    if kind == "dashboard":
        from ..documents.dashboard import dump_dashboard

        return dump_dashboard(content)
    from ..documents.chartdoc import dump_chart

    return dump_chart(content)


def _ref_key(ref: Any) -> str | None:
    if isinstance(ref, dict):
        for k in ("id", "name"):
            if isinstance(ref.get(k), str):
                return str(ref[k])
    return None


#: Where a document references a dataset ("chart:<id>", "filter:<id>", "spec"), and the dataset (id or name).
Refs = set[tuple[str, str]]


def dataset_refs(kind: str, doc: Doc) -> Refs:
    """Where a document's charts and filters reference datasets; tolerant of half-written parts."""
    from pycrdt import Array, Map

    out: Refs = set()
    if kind == "dashboard":
        charts = doc.get("charts", type=Map).to_py() or {}
        for cid, chart in charts.items():
            spec = chart.get("spec") if isinstance(chart, dict) else None
            key = _ref_key(spec.get("dataset")) if isinstance(spec, dict) else None
            if key:
                out.add((f"chart:{cid}", key))
        for i, f in enumerate(doc.get("filters", type=Array).to_py() or []):
            if isinstance(f, dict) and isinstance(f.get("dataset"), str) and f["dataset"]:
                out.add((f"filter:{f.get('id', i)}", f["dataset"]))
    else:
        key = _ref_key((doc.get("spec", type=Map).to_py() or {}).get("dataset"))
        if key:
            out.add(("spec", key))
    return out


def _refs_of_state(kind: str, state: bytes) -> Refs:
    from pycrdt import Doc

    doc: Doc[Any] = Doc()
    doc.apply_update(state)
    return dataset_refs(kind, doc)


def content_of(kind: str, state: bytes) -> dict[str, Any]:
    """The plain JSON (``.lgdash`` / ``.lgchart`` form) of a document's Yjs state."""
    from pycrdt import Doc

    doc: Doc[Any] = Doc()
    doc.apply_update(state)
    return dict(_ydoc(kind, doc).to_dict())


def state_of(kind: str, content: dict[str, Any]) -> bytes:
    """A new Yjs document holding ``content`` (valid already), as one update."""
    from pycrdt import Doc

    doc: Doc[Any] = Doc()
    _ydoc(kind, doc).set(_dump(kind, content))
    return doc.get_update()


def document_json(row: DocumentRow, access: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "title": row.title,
        "owner": row.owner,
        "access": access,
        "created": iso(row.created),
        "updated": iso(row.updated),
        "updated_by": row.updated_by,
    }


Listener = Callable[[str], None]
UpdateListener = Callable[[str, bytes], None]


class DocumentStore:
    """Dashboards and charts of one catalog; reachable as ``GuardedStore(...).documents``.

    Every public method is safe to call from several threads at once.
    """

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self._listeners: list[Listener] = []
        self._update_listeners: list[UpdateListener] = []
        self._listeners_lock = threading.Lock()
        self._views = ViewThrottle()

    # ------------------------------------------------------------------ listeners

    def on_access_change(self, callback: Listener) -> Callable[[], None]:
        """Call ``callback(document_id)`` after a share of a document is changed or removed, or the
        document deleted (so rooms can close connections that lost access); returns the unsubscriber.

        Called in the thread that made the change, after it committed; errors are logged.
        """
        return self._subscribe(self._listeners, callback)

    def on_update(self, callback: UpdateListener) -> Callable[[], None]:
        """Call ``callback(document_id, update)`` after the store itself appended an update
        (a restore, a dashboard rename), so an open room applies it too; returns the unsubscriber.

        Updates given to :meth:`append` are not reported: their sender applies them.
        """
        return self._subscribe(self._update_listeners, callback)

    def access_changed(self, doc_ids: Iterable[str]) -> None:
        """Tell the access listeners that who may open ``doc_ids`` changed outside this store
        (an account retired); call it after that change committed."""
        for doc_id in doc_ids:
            self._tell(self._listeners, doc_id)

    def _subscribe(self, listeners: list[Any], callback: Any) -> Callable[[], None]:
        with self._listeners_lock:
            listeners.append(callback)

        def unsubscribe() -> None:
            with self._listeners_lock:
                if callback in listeners:
                    listeners.remove(callback)

        return unsubscribe

    def _tell(self, listeners: list[Any], *args: Any) -> None:
        with self._listeners_lock:
            callbacks = list(listeners)
        for callback in callbacks:
            try:
                callback(*args)
            except Exception:  # one broken listener must not undo a committed change
                log.exception("livegraphs: document listener %r failed", callback)

    # ------------------------------------------------------------------ levels

    def _grant(self, s: Session, p: Principal, row: DocumentRow, action: str) -> Grant:
        shared = None if row.owner == p.name else SHARES.level(s, p, row.id)
        return decide(p, row.owner, shared, action, noun="document", thing_id=row.id, label=row.title)

    @staticmethod
    def _row(s: Session, doc_id: str) -> DocumentRow:
        row = s.get(DocumentRow, doc_id) if isinstance(doc_id, str) else None
        if row is None:
            raise NotFound(f"No document with id {doc_id!r}", "No such document")
        return row

    def _require(self, p: Principal, doc_id: str, action: str) -> tuple[DocumentRow, Grant]:
        with self.catalog.transaction() as s:
            row = self._row(s, doc_id)
            return row, self._grant(s, p, row, action)

    def access(self, p: Principal, doc_id: str) -> str:
        """The caller's level: "owner", "editor", "viewer" or "admin"; NotFound without any."""
        row, grant = self._require(p, doc_id, "read")
        return shown(p, row.owner, grant.level)

    def require(self, p: Principal, doc_id: str, action: str) -> str:
        """Raise NotFound or Forbidden unless ``p`` may ``action`` (read, write, manage); their level."""
        row, grant = self._require(p, doc_id, action)
        return shown(p, row.owner, grant.level)

    @staticmethod
    def _event(s: Session, p: Principal, action: str, row: DocumentRow, grant: Grant, **detail: Any) -> None:
        EventLog.add(
            s, p.name, action, owner=row.owner, admin=grant.via_admin,
            detail={"document_id": row.id, "kind": row.kind, "title": row.title, **detail},
        )  # fmt: skip

    # ------------------------------------------------------------------ catalog

    def create(self, p: Principal, kind: Any, title: Any = None, content: Any = None) -> dict[str, Any]:
        """A new document owned by ``p``: empty, or the import of ``content`` (a .lgdash / .lgchart).

        Without ``title`` a dashboard takes the title its content names, else "Untitled …", made
        unique among the caller's documents of that kind with " 2", " 3", …; a ``title`` of
        theirs already in use is a Conflict. The Yjs state is stored as update 1 and version 1.
        """
        from ..documents.chartdoc import empty_chart
        from ..documents.dashboard import empty_dashboard

        kind = check_kind(kind)
        chosen = None if title is None else check_title(title)
        if content is None:
            content = empty_dashboard() if kind == "dashboard" else empty_chart()
        content = _validated(kind, content)
        wanted = chosen
        if wanted is None and kind == "dashboard" and isinstance(content.get("title"), str):
            wanted = unicodedata.normalize("NFC", content["title"]).strip().replace("/", "-") or None
            wanted = check_title(wanted) if wanted is not None else None
        if chosen is not None:
            return self._insert(p, kind, chosen, content)
        base = wanted or _UNTITLED[kind]
        for _ in range(5):  # another create of the caller may take the free title first
            try:
                return self._insert(p, kind, self._free_title(p, kind, base), content)
            except Conflict:
                continue
        raise Conflict(f"Could not find a free title like {base!r}: try again", "Title in use")

    def _free_title(self, p: Principal, kind: str, base: str) -> str:
        """``base``, or the first of "base 2", "base 3", … that ``p`` has no document of ``kind`` titled."""
        stem = base[: NAME_MAX - 8]
        with self.catalog.transaction() as s:
            taken = set(
                s.scalars(
                    select(DocumentRow.title).where(
                        DocumentRow.owner == p.name,
                        DocumentRow.kind == kind,
                        or_(
                            DocumentRow.title == base,
                            DocumentRow.title.startswith(stem + " ", autoescape=True),
                        ),
                    )
                )
            )
        if base not in taken:
            return base
        n = 2
        while f"{stem} {n}" in taken:
            n += 1
        return f"{stem} {n}"

    def _insert(self, p: Principal, kind: str, title: str, content: dict[str, Any]) -> dict[str, Any]:
        if kind == "dashboard":
            content = {**content, "title": title}
        state = state_of(kind, content)
        doc_id = uuid.uuid4().hex
        try:
            with self.catalog.transaction() as s:
                if s.scalar(
                    select(DocumentRow.id).where(
                        DocumentRow.owner == p.name, DocumentRow.kind == kind, DocumentRow.title == title
                    )
                ):
                    raise Conflict(f"You have a {kind} titled {title!r} already", "Title in use")
                row = DocumentRow(id=doc_id, kind=kind, title=title, owner=p.name, updated_by=p.name)
                s.add(row)
                s.flush()
                first = DocumentUpdateRow(document_id=doc_id, data=state, author=p.name)
                s.add(first)
                s.flush()
                s.add(
                    DocumentVersionRow(
                        document_id=doc_id, number=1, state=state, authors=[p.name], upto_seq=first.seq
                    )
                )
                self._lend(s, doc_id, row.owner, p.name, set(), _refs_of_state(kind, state))
                self._event(s, p, "document_create", row, Grant("owner", via_admin=False))
                return document_json(row, "owner")
        except IntegrityError:
            # the same title made at the same moment by another request of the same owner
            raise Conflict(f"You have a {kind} titled {title!r} already", "Title in use") from None

    def list(self, p: Principal, kind: Any = None) -> list[dict[str, Any]]:
        """The documents ``p`` owns or that are shared with them (user or group), newest change first.

        Admins see their own and shared ones here too, each with the caller's ``access``.
        """
        if kind is not None:
            kind = check_kind(kind)
        with self.catalog.transaction() as s:
            q = select(DocumentRow).where(
                or_(DocumentRow.owner == p.name, DocumentRow.id.in_(SHARES.shared_ids(p)))
            )
            if kind is not None:
                q = q.where(DocumentRow.kind == kind)
            rows = s.scalars(q.order_by(DocumentRow.updated.desc(), DocumentRow.id)).all()
            levels = SHARES.levels(s, p, [r.id for r in rows if r.owner != p.name])
            return [document_json(r, shown(p, r.owner, levels.get(r.id, "admin"))) for r in rows]

    def record_view(self, p: Principal, doc_id: str, every: float | None, via: str) -> bool:
        """Log that ``p`` opened the document (``via`` its room or its content): ``dashboard_view``
        or ``chart_view``, at most once per ``every`` seconds per caller and document, so a
        reconnecting room or a reload is not another view (None: log nothing). True when logged."""
        if every is None or not self._views.due((p.name, doc_id), every):
            return False
        with self.catalog.transaction() as s:
            row = self._row(s, doc_id)
            grant = self._grant(s, p, row, "read")
            self._event(s, p, VIEW_ACTIONS[row.kind], row, grant, via=via)
        return True

    def get(self, p: Principal, doc_id: str) -> dict[str, Any]:
        """``{id, kind, title, owner, access, created, updated, updated_by}`` of a document ``p`` may read."""
        row, grant = self._require(p, doc_id, "read")
        return document_json(row, shown(p, row.owner, grant.level))

    def rename(self, p: Principal, doc_id: str, title: Any) -> dict[str, Any]:
        """Give the document a new title (editors); a dashboard's ``meta.title`` follows, as an update."""
        title = check_title(title)
        try:
            with self.catalog.transaction() as s:
                row = self._lock(s, doc_id)
                grant = self._grant(s, p, row, "write")
                if row.title == title:
                    return document_json(row, shown(p, row.owner, grant.level))
                if s.scalar(
                    select(DocumentRow.id).where(
                        DocumentRow.owner == row.owner,
                        DocumentRow.kind == row.kind,
                        DocumentRow.title == title,
                    )
                ):
                    raise Conflict(f"{row.owner} has a {row.kind} titled {title!r} already", "Title in use")
                old = row.title
                row.title = title
                row.updated, row.updated_by = utcnow(), p.name
                diff = None
                if row.kind == "dashboard":
                    diff = self._title_update(s, row.id, title)
                    if diff is not None:
                        s.add(DocumentUpdateRow(document_id=row.id, data=diff, author=p.name))
                self._event(s, p, "document_rename", row, grant, old_title=old)
                s.flush()
                out = document_json(row, shown(p, row.owner, grant.level))
        except IntegrityError:
            raise Conflict(f"A document titled {title!r} exists already", "Title in use") from None
        if diff is not None:
            self._tell(self._update_listeners, doc_id, diff)
        return out

    def _title_update(self, s: Session, doc_id: str, title: str) -> bytes | None:
        from pycrdt import Doc

        doc: Doc[Any] = Doc()
        doc.apply_update(self._state(s, doc_id))
        ydash = _ydoc("dashboard", doc)
        if ydash.ymeta.get("title") == title:
            return None
        before = doc.get_state()
        ydash.ymeta["title"] = title
        return doc.get_update(before)

    def delete(self, p: Principal, doc_id: str) -> None:
        """Delete the document with its shares, updates and versions (owner, admins)."""
        with self.catalog.transaction() as s:
            row = self._lock(s, doc_id)
            grant = self._grant(s, p, row, "manage")
            self._event(s, p, "document_delete", row, grant)
            # explicit, as SQLite enforces ON DELETE CASCADE only with its foreign_keys pragma on
            from .comments import CommentRow, CommentThreadRow
            from .publications import delete_document_rows

            delete_document_rows(s, doc_id)

            for table in (
                DocumentShareRow,
                DocumentUpdateRow,
                DocumentVersionRow,
                CommentRow,
                CommentThreadRow,
            ):
                s.execute(delete(table).where(table.document_id == doc_id))
            s.delete(row)
        self._tell(self._listeners, doc_id)

    # ------------------------------------------------------------------ shares

    def shares(self, p: Principal, doc_id: str) -> builtins.list[dict[str, Any]]:
        """Who the document is shared with (any reader may see it)."""
        with self.catalog.transaction() as s:
            row = self._row(s, doc_id)
            self._grant(s, p, row, "read")
            return SHARES.of(s, doc_id)

    def share(self, p: Principal, doc_id: str, kind: Any, name: Any, role: Any) -> dict[str, Any]:
        """Give a user or group a role on the document (replacing the one they had); owner or admin."""
        kind, name, role = check_share(kind, name, role)
        with self.catalog.transaction() as s:
            row = self._row(s, doc_id)
            grant = self._grant(s, p, row, "manage")
            share = SHARES.put(s, p, doc_id, row.owner, kind, name, role, "document")
            self._event(s, p, "document_share", row, grant, share_kind=kind, name=name, role=role)
        self._tell(self._listeners, doc_id)
        return share

    def unshare(self, p: Principal, doc_id: str, kind: Any, name: Any) -> None:
        """Stop sharing the document with a user or group: owner and admins, or the user it is
        shared with for their own share; a group's share only its owner and admins remove."""
        kind, name, _ = check_share(kind, name)
        with self.catalog.transaction() as s:
            row = self._row(s, doc_id)
            grant = SHARES.take(s, p, doc_id, kind, name, lambda: self._grant(s, p, row, "manage"), row.title)
            extra = {"recipient": True} if grant.level == "recipient" else {}
            self._event(s, p, "document_unshare", row, grant, share_kind=kind, name=name, **extra)
        self._tell(self._listeners, doc_id)

    # ------------------------------------------------------------------ content (for rooms: no caller)

    @staticmethod
    def _lock(s: Session, doc_id: str) -> DocumentRow:
        """The document's row, locked for this transaction (a write first, so SQLite takes its
        write lock at once and PostgreSQL serializes changes of one document)."""
        if not isinstance(doc_id, str):
            raise NotFound(f"No document with id {doc_id!r}", "No such document")
        done = s.execute(sql_update(DocumentRow).where(DocumentRow.id == doc_id).values(id=DocumentRow.id))
        if done.rowcount == 0:  # type: ignore[attr-defined]
            raise NotFound(f"No document with id {doc_id!r}", "No such document")
        return DocumentStore._row(s, doc_id)

    @staticmethod
    def _state(s: Session, doc_id: str) -> bytes:
        from pycrdt import Doc, merge_updates

        # The updates first, then the newest version: a snapshot committed in between only adds
        # to what is read (its version holds the updates it deleted), so nothing is ever missed.
        # An update the version holds already merges as a no-op.
        updates = s.scalars(
            select(DocumentUpdateRow.data)
            .where(DocumentUpdateRow.document_id == doc_id)
            .order_by(DocumentUpdateRow.seq)
        ).all()
        version = s.scalar(
            select(DocumentVersionRow.state)
            .where(DocumentVersionRow.document_id == doc_id)
            .order_by(DocumentVersionRow.number.desc())
            .limit(1)
        )
        parts = [] if version is None else [bytes(version)]
        parts += [bytes(u) for u in updates]
        if not parts:
            return Doc().get_update()
        return parts[0] if len(parts) == 1 else bytes(merge_updates(*parts))

    def load(self, doc_id: str) -> bytes:
        """The whole state: the newest version and every later update, merged into one update.

        No authorization: the room authorizes its connections first.
        """
        with self.catalog.transaction() as s:
            self._row(s, doc_id)
            return self._state(s, doc_id)

    def append(self, doc_id: str, update: bytes, author: str, refs: tuple[Refs, Refs] | None = None) -> int:
        """Store one Yjs update (committed when this returns) and return its seq; sets updated/updated_by.

        ``refs`` is where the document references datasets before and after the update
        (:func:`dataset_refs`): the ones it adds are recorded as lent by ``author``, in the same
        transaction. An update that does not decode is refused (BadInput) and never stored.
        """
        data = check_update(update)
        with self.catalog.transaction() as s:
            done = s.execute(
                sql_update(DocumentRow)
                .where(DocumentRow.id == doc_id)
                .values(updated=utcnow(), updated_by=author)
            )
            if done.rowcount == 0:  # type: ignore[attr-defined]
                raise NotFound(f"No document with id {doc_id!r}", "No such document")
            row = DocumentUpdateRow(document_id=doc_id, data=data, author=author)
            s.add(row)
            s.flush()
            if refs is not None and refs[1] - refs[0]:
                owner = s.scalar(select(DocumentRow.owner).where(DocumentRow.id == doc_id))
                self._lend(s, doc_id, str(owner), author, *refs)
            return int(row.seq)

    @staticmethod
    def _lend(s: Session, doc_id: str, owner: str, user: str, before: Refs, after: Refs) -> None:
        """Record ``user`` as lending the datasets ``after`` references where ``before`` did not
        (a chart or filter added, or pointed at another dataset).

        A document stored before lends were recorded has none: its owner is taken to have added
        what it referenced (``before``) when its first lend is recorded.
        """
        have = {
            (key, name)
            for key, name in s.execute(
                select(DocumentLendRow.dataset_id, DocumentLendRow.user).where(
                    DocumentLendRow.document_id == doc_id
                )
            )
        }
        wanted = {(k, user) for _, k in after - before}
        if not have:
            wanted |= {(k, owner) for _, k in before}
        for key, name in sorted(wanted - have):
            s.add(DocumentLendRow(document_id=doc_id, dataset_id=key, user=name))

    def lenders(self, doc_id: str, key: str) -> builtins.list[str]:
        """Who lends the dataset ``key`` (id or name) through the document; its owner for a document
        with no lends recorded (stored before they were)."""
        with self.catalog.transaction() as s:
            users = s.scalars(
                select(DocumentLendRow.user).where(
                    DocumentLendRow.document_id == doc_id, DocumentLendRow.dataset_id == key
                )
            ).all()
            if users:
                return sorted(users)
            if s.scalar(select(DocumentLendRow.user).where(DocumentLendRow.document_id == doc_id).limit(1)):
                return []
            owner = s.scalar(select(DocumentRow.owner).where(DocumentRow.id == doc_id))
            return [] if owner is None else [str(owner)]

    def snapshot(self, doc_id: str, state: bytes, upto_seq: int, authors: Any = None) -> int:
        """Save the document up to update ``upto_seq`` as the next version and delete the updates it
        folds, in one transaction; returns the version's number.

        The version is ``state`` merged with the previous version and the folded updates, so it
        holds all of them even when ``state`` lacks some (an update another process stored).
        ``authors``: who edited since the previous version (None: the authors of the folded updates).
        """
        from pycrdt import merge_updates

        state = check_update(state)
        if not isinstance(upto_seq, int) or isinstance(upto_seq, bool):
            raise BadInput("upto_seq is an integer", "Bad snapshot")
        with self.catalog.transaction() as s:
            self._lock(s, doc_id)
            previous = s.execute(
                select(DocumentVersionRow.number, DocumentVersionRow.state, DocumentVersionRow.upto_seq)
                .where(DocumentVersionRow.document_id == doc_id)
                .order_by(DocumentVersionRow.number.desc())
                .limit(1)
            ).first()
            since = previous.upto_seq if previous is not None else 0
            folded = s.execute(
                select(DocumentUpdateRow.seq, DocumentUpdateRow.author, DocumentUpdateRow.data)
                .where(DocumentUpdateRow.document_id == doc_id, DocumentUpdateRow.seq <= upto_seq)
                .order_by(DocumentUpdateRow.seq)
            ).all()
            last = s.scalar(
                select(func.max(DocumentUpdateRow.seq)).where(DocumentUpdateRow.document_id == doc_id)
            )
            if upto_seq > max(since, last or 0):
                raise BadInput(
                    f"No update {upto_seq} is stored yet: a snapshot folds stored updates", "Bad snapshot"
                )
            if authors is None:
                authors = [u.author for u in folded if u.seq > since]
            parts = [bytes(previous.state)] if previous is not None else []
            parts += [bytes(u.data) for u in folded]
            whole = bytes(merge_updates(*parts, state))
            number = (previous.number if previous is not None else 0) + 1
            s.add(
                DocumentVersionRow(
                    document_id=doc_id,
                    number=number,
                    state=whole,
                    authors=list(dict.fromkeys(str(a) for a in authors)),
                    upto_seq=max(upto_seq, since),
                )
            )
            s.execute(
                delete(DocumentUpdateRow).where(
                    DocumentUpdateRow.document_id == doc_id, DocumentUpdateRow.seq <= upto_seq
                )
            )
            return number

    # ------------------------------------------------------------------ history (guarded)

    def versions(self, p: Principal, doc_id: str) -> builtins.list[dict[str, Any]]:
        """``[{number, created, authors}]``, newest first (readers)."""
        with self.catalog.transaction() as s:
            row = self._row(s, doc_id)
            self._grant(s, p, row, "read")
            rows = s.execute(
                select(DocumentVersionRow.number, DocumentVersionRow.created, DocumentVersionRow.authors)
                .where(DocumentVersionRow.document_id == doc_id)
                .order_by(DocumentVersionRow.number.desc())
            ).all()
            return [{"number": r.number, "created": iso(r.created), "authors": list(r.authors)} for r in rows]

    def _version_state(self, s: Session, doc_id: str, number: Any) -> bytes:
        if not isinstance(number, int) or isinstance(number, bool):
            raise BadInput("A version number is an integer", "Bad version")
        state = s.scalar(
            select(DocumentVersionRow.state).where(
                DocumentVersionRow.document_id == doc_id, DocumentVersionRow.number == number
            )
        )
        if state is None:
            raise NotFound(f"The document has no version {number}", "No such version")
        return bytes(state)

    def content(self, p: Principal, doc_id: str, version: int | None = None) -> dict[str, Any]:
        """The plain JSON (.lgdash / .lgchart form) of the document now, or of a version (readers)."""
        with self.catalog.transaction() as s:
            row = self._row(s, doc_id)
            self._grant(s, p, row, "read")
            kind = row.kind
            state = self._state(s, doc_id) if version is None else self._version_state(s, doc_id, version)
        return content_of(kind, state)

    def restore(self, p: Principal, doc_id: str, number: int) -> bytes:
        """Make the document hold version ``number``'s content again (editors); returns the update.

        The update is made on a copy of the current state (``YDashboard.set`` / ``YChart.set``), so it
        changes only what differs and merges with concurrent edits like any edit; it is appended as
        ``p``'s. A dashboard keeps its current title.
        """
        from pycrdt import Doc

        with self.catalog.transaction() as s:
            row = self._lock(s, doc_id)
            grant = self._grant(s, p, row, "write")
            target = content_of(row.kind, self._version_state(s, doc_id, number))
            doc: Doc[Any] = Doc()
            doc.apply_update(self._state(s, doc_id))
            ydoc = _ydoc(row.kind, doc)
            old_refs = dataset_refs(row.kind, doc)
            if row.kind == "dashboard":
                target["title"] = row.title
            before = doc.get_state()
            try:
                ydoc.set(_dump(row.kind, target))
            except ValueError as e:  # a version that the schema of today refuses
                raise BadInput(f"Version {number} cannot be restored: {e}", "Bad version") from None
            refs = dataset_refs(row.kind, doc)
            diff = doc.get_update(before)
            s.add(DocumentUpdateRow(document_id=doc_id, data=diff, author=p.name))
            if refs - old_refs:
                self._lend(s, doc_id, row.owner, p.name, old_refs, refs)
            row.updated, row.updated_by = utcnow(), p.name
            self._event(s, p, "document_restore", row, grant, version=number)
        self._tell(self._update_listeners, doc_id, diff)
        return bytes(diff)

    def canonical(self, p: Principal, doc_id: str, version: int | None = None) -> tuple[str, str]:
        """(file name, canonical file text) of the document or one of its versions (readers)."""
        with self.catalog.transaction() as s:
            row = self._row(s, doc_id)
            self._grant(s, p, row, "read")
            kind, name = row.kind, row.title + SUFFIX[row.kind]
            state = self._state(s, doc_id) if version is None else self._version_state(s, doc_id, version)
        return name, _dump(kind, content_of(kind, state))


__all__ = [
    "KINDS",
    "SUFFIX",
    "DocumentRow",
    "DocumentShareRow",
    "DocumentStore",
    "DocumentUpdateRow",
    "DocumentVersionRow",
    "check_title",
    "content_of",
    "state_of",
]
