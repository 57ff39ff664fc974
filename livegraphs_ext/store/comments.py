"""Comment threads on the charts of shared documents, kept in the catalog.

Comments are not part of a document's Yjs content: viewers may comment too, and a comment is
not an edit of the chart. A thread belongs to one chart of a document (the dashboard's chart id,
or "" on a chart document), may be anchored to a data point (``{"x", "y"?, "label"?}``) and may
be resolved. The rules, as users of shared-document comments expect them:

- anyone who may read the document reads its threads, starts threads and replies;
- a comment's author edits it; its author, the document's owner and admins delete it (deleting
  the first comment of a thread deletes the thread);
- the owner, editors and admins resolve and reopen any thread; the author of a thread their own.

Limits (:data:`MAX_TEXT` characters a comment, :data:`MAX_THREADS` threads a document,
:data:`MAX_COMMENTS` comments a thread) are attributes of :class:`CommentStore`. Every change
is logged (``comment_create``, ``comment_reply``, ``comment_edit``, ``comment_delete``,
``comment_resolve``, ``comment_reopen``) and reported to :meth:`CommentStore.on_change`
listeners, so open rooms can tell their clients.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, String, Text, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .catalog import Base, Catalog, utcnow
from .core import _CONTROL
from .documents import DocumentRow, DocumentStore
from .errors import BadInput, Conflict, Forbidden, NotFound, TooLarge
from .events import EventLog
from .sharing import Grant, Principal, iso

#: Most characters in one comment.
MAX_TEXT = 10_000
#: Most threads on one document, and comments in one thread.
MAX_THREADS = 1_000
MAX_COMMENTS = 500
#: Most characters of an anchor's x, y or label when it is a string.
MAX_ANCHOR_TEXT = 200
_ANCHOR_KEYS = frozenset({"x", "y", "label"})
_CHART_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
WRITE_LEVELS = frozenset({"owner", "editor", "admin"})


class CommentThreadRow(Base):
    __tablename__ = "lg_comment_threads"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    document_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("lg_documents.id", ondelete="CASCADE"), index=True
    )
    #: the dashboard's chart id, or "" on a chart document
    chart: Mapped[str] = mapped_column(String(64))
    #: {"x", "y"?, "label"?} or None
    anchor: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)
    resolved_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_by: Mapped[str] = mapped_column(String(255))
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CommentRow(Base):
    __tablename__ = "lg_comments"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    thread_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("lg_comment_threads.id", ondelete="CASCADE"), index=True
    )
    document_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("lg_documents.id", ondelete="CASCADE"), index=True
    )
    author: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    edited: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


def check_text(text: Any, limit: int = MAX_TEXT) -> str:
    """A comment's text: 1 to ``limit`` characters once trimmed (newlines and tabs allowed)."""
    if not isinstance(text, str):
        raise BadInput("A comment's text is a string", "Bad comment")
    text = unicodedata.normalize("NFC", text).strip()
    if not text:
        raise BadInput("A comment cannot be empty", "Bad comment")
    if len(text) > limit:
        raise TooLarge(f"A comment has at most {limit} characters, not {len(text)}", "Comment too long")
    if _CONTROL.search(text.replace("\n", "").replace("\t", "").replace("\r", "")):
        raise BadInput("A comment cannot contain control characters", "Bad comment")
    return text


def _anchor_value(where: str, value: Any, *, allow_null: bool = False) -> Any:
    if value is None and allow_null:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise BadInput(f"anchor.{where} is a finite number", "Bad anchor")
        return value
    if isinstance(value, str):
        if len(value) > MAX_ANCHOR_TEXT:
            raise BadInput(f"anchor.{where} has at most {MAX_ANCHOR_TEXT} characters", "Bad anchor")
        return value
    raise BadInput(f"anchor.{where} is a number, a string or a boolean", "Bad anchor")


def check_anchor(anchor: Any) -> dict[str, Any] | None:
    """``None`` or ``{"x", "y"?, "label"?}``: the data point a thread is pinned to."""
    if anchor is None:
        return None
    if not isinstance(anchor, dict):
        raise BadInput('An anchor is null or {"x", "y"?, "label"?}', "Bad anchor")
    extra = sorted(set(anchor) - _ANCHOR_KEYS)
    if extra:
        raise BadInput(f"Unknown anchor keys {extra}; an anchor has x, y and label", "Bad anchor")
    if "x" not in anchor:
        raise BadInput("An anchor names the x value of the point", "Bad anchor")
    out = {"x": _anchor_value("x", anchor["x"], allow_null=True)}
    if anchor.get("y") is not None:
        out["y"] = _anchor_value("y", anchor["y"])
    if anchor.get("label") is not None:
        if not isinstance(anchor["label"], str):
            raise BadInput("anchor.label is a string", "Bad anchor")
        out["label"] = _anchor_value("label", anchor["label"])
    return out


def check_chart(chart: Any) -> str:
    if not isinstance(chart, str) or len(chart) > 64 or not set(chart) <= _CHART_ID_CHARS:
        raise BadInput('chart is a chart id of the dashboard, or "" on a chart document', "Bad chart")
    return chart


def _new_id() -> str:
    return uuid.uuid4().hex


def comment_json(row: CommentRow, p: Principal, level: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "author": row.author,
        "text": row.text,
        "created": iso(row.created),
        "edited": iso(row.edited) if row.edited is not None else None,
        "can_edit": row.author == p.name,
        "can_delete": row.author == p.name or level in ("owner", "admin"),
    }


def thread_json(
    row: CommentThreadRow, comments: list[CommentRow], p: Principal, level: str
) -> dict[str, Any]:
    return {
        "id": row.id,
        "chart": row.chart,
        "anchor": row.anchor,
        "resolved": bool(row.resolved),
        "resolved_by": row.resolved_by,
        "resolved_at": iso(row.resolved_at) if row.resolved_at is not None else None,
        "created_by": row.created_by,
        "created": iso(row.created),
        "can_resolve": level in WRITE_LEVELS or row.created_by == p.name,
        "comments": [comment_json(c, p, level) for c in comments],
    }


Listener = Callable[[str], None]


class CommentStore:
    """The comment threads of a catalog's documents; reachable as ``GuardedStore(...).comments``.

    Every method takes the caller first and authorizes through the document's level.
    """

    max_text = MAX_TEXT
    max_threads = MAX_THREADS
    max_comments = MAX_COMMENTS

    def __init__(self, catalog: Catalog, documents: DocumentStore):
        self.catalog = catalog
        self.documents = documents
        self._listeners: list[Listener] = []

    def on_change(self, callback: Listener) -> Callable[[], None]:
        """Call ``callback(document_id)`` after a comment of the document changed (committed);
        returns the unsubscriber."""
        return self.documents._subscribe(self._listeners, callback)

    # ------------------------------------------------------------------ helpers

    def _level(self, s: Session, p: Principal, doc_id: str) -> tuple[DocumentRow, Grant]:
        row = self.documents._row(s, doc_id)
        return row, self.documents._grant(s, p, row, "read")

    @staticmethod
    def _level_name(p: Principal, row: DocumentRow, grant: Grant) -> str:
        return "owner" if row.owner == p.name else grant.level

    @staticmethod
    def _thread(s: Session, doc_id: str, thread_id: Any) -> CommentThreadRow:
        row = s.get(CommentThreadRow, thread_id) if isinstance(thread_id, str) else None
        if row is None or row.document_id != doc_id:
            raise NotFound(f"No comment thread with id {thread_id!r}", "No such thread")
        return row

    @staticmethod
    def _comment(s: Session, thread: CommentThreadRow, comment_id: Any) -> CommentRow:
        row = s.get(CommentRow, comment_id) if isinstance(comment_id, str) else None
        if row is None or row.thread_id != thread.id:
            raise NotFound(f"No comment with id {comment_id!r}", "No such comment")
        return row

    @staticmethod
    def _comments(s: Session, thread_ids: list[str]) -> dict[str, list[CommentRow]]:
        out: dict[str, list[CommentRow]] = {t: [] for t in thread_ids}
        if thread_ids:
            rows = s.scalars(
                select(CommentRow)
                .where(CommentRow.thread_id.in_(thread_ids))
                .order_by(CommentRow.created, CommentRow.id)
            ).all()
            for c in rows:
                out[c.thread_id].append(c)
        return out

    @staticmethod
    def _event(
        s: Session, p: Principal, action: str, doc: DocumentRow, grant: Grant, thread: str, **detail: Any
    ) -> None:
        EventLog.add(
            s, p.name, action, owner=doc.owner, admin=grant.via_admin,
            detail={"document_id": doc.id, "thread_id": thread, **detail},
        )  # fmt: skip

    def _changed(self, doc_id: str) -> None:
        self.documents._tell(self._listeners, doc_id)

    def _check_chart(self, s: Session, doc: DocumentRow, chart: str) -> None:
        from pycrdt import Doc, Map

        if doc.kind == "chart":
            if chart:
                raise BadInput('A chart document has one chart: send chart ""', "Bad chart")
            return
        if not chart:
            raise BadInput("Name the dashboard's chart the thread is about", "Bad chart")
        ydoc: Doc[Any] = Doc()
        ydoc.apply_update(self.documents._state(s, doc.id))
        if chart not in ydoc.get("charts", type=Map):
            raise NotFound(f"The dashboard has no chart {chart!r}", "No such chart")

    def _view(
        self, s: Session, p: Principal, doc: DocumentRow, grant: Grant, thread_id: str
    ) -> dict[str, Any]:
        thread = self._thread(s, doc.id, thread_id)
        return thread_json(
            thread, self._comments(s, [thread.id])[thread.id], p, self._level_name(p, doc, grant)
        )

    # ------------------------------------------------------------------ reading

    def threads(self, p: Principal, doc_id: str, chart: str | None = None) -> list[dict[str, Any]]:
        """The document's threads (of one chart when ``chart`` is given), oldest first, each with
        its comments oldest first (readers)."""
        with self.catalog.transaction() as s:
            doc, grant = self._level(s, p, doc_id)
            q = select(CommentThreadRow).where(CommentThreadRow.document_id == doc_id)
            if chart is not None:
                q = q.where(CommentThreadRow.chart == check_chart(chart))
            threads = s.scalars(q.order_by(CommentThreadRow.created, CommentThreadRow.id)).all()
            comments = self._comments(s, [t.id for t in threads])
            level = self._level_name(p, doc, grant)
            return [thread_json(t, comments[t.id], p, level) for t in threads]

    # ------------------------------------------------------------------ changing

    def create(self, p: Principal, doc_id: str, chart: Any, text: Any, anchor: Any = None) -> dict[str, Any]:
        """A new thread on ``chart`` with its first comment (readers); the thread."""
        chart = check_chart(chart)
        anchor = check_anchor(anchor)
        text = check_text(text, self.max_text)
        with self.catalog.transaction() as s:
            doc = self.documents._lock(s, doc_id)
            grant = self.documents._grant(s, p, doc, "read")
            self._check_chart(s, doc, chart)
            count = s.scalar(
                select(func.count())
                .select_from(CommentThreadRow)
                .where(CommentThreadRow.document_id == doc_id)
            )
            if (count or 0) >= self.max_threads:
                raise Conflict(
                    f"A document has at most {self.max_threads} comment threads; delete some first",
                    "Too many threads",
                )
            thread = CommentThreadRow(
                id=_new_id(),
                document_id=doc_id,
                chart=chart,
                anchor=anchor,
                resolved=False,
                created_by=p.name,
            )
            s.add(thread)
            s.flush()
            comment = CommentRow(
                id=_new_id(), thread_id=thread.id, document_id=doc_id, author=p.name, text=text
            )
            s.add(comment)
            self._event(s, p, "comment_create", doc, grant, thread.id, comment_id=comment.id, chart=chart)
            s.flush()
            out = self._view(s, p, doc, grant, thread.id)
        self._changed(doc_id)
        return out

    def reply(self, p: Principal, doc_id: str, thread_id: Any, text: Any) -> dict[str, Any]:
        """Add a comment to a thread (readers); the thread."""
        text = check_text(text, self.max_text)
        with self.catalog.transaction() as s:
            doc = self.documents._lock(s, doc_id)
            grant = self.documents._grant(s, p, doc, "read")
            thread = self._thread(s, doc_id, thread_id)
            count = s.scalar(
                select(func.count()).select_from(CommentRow).where(CommentRow.thread_id == thread.id)
            )
            if (count or 0) >= self.max_comments:
                raise Conflict(
                    f"A thread has at most {self.max_comments} comments; start a new thread",
                    "Too many comments",
                )
            comment = CommentRow(
                id=_new_id(), thread_id=thread.id, document_id=doc_id, author=p.name, text=text
            )
            s.add(comment)
            self._event(s, p, "comment_reply", doc, grant, thread.id, comment_id=comment.id)
            s.flush()
            out = self._view(s, p, doc, grant, thread.id)
        self._changed(doc_id)
        return out

    def resolve(self, p: Principal, doc_id: str, thread_id: Any, resolved: Any) -> dict[str, Any]:
        """Resolve (``True``) or reopen (``False``) a thread: writers any, its author their own."""
        if not isinstance(resolved, bool):
            raise BadInput("resolved is true or false", "Bad thread")
        with self.catalog.transaction() as s:
            doc = self.documents._lock(s, doc_id)
            grant = self.documents._grant(s, p, doc, "read")
            thread = self._thread(s, doc_id, thread_id)
            level = self._level_name(p, doc, grant)
            if level not in WRITE_LEVELS and thread.created_by != p.name:
                raise Forbidden(
                    f"You are a {level} of {doc.title!r}; only its editors and the thread's author "
                    "may resolve or reopen it",
                    "Forbidden",
                )
            if bool(thread.resolved) != resolved:
                thread.resolved = resolved
                thread.resolved_by = p.name if resolved else None
                thread.resolved_at = utcnow() if resolved else None
                action = "comment_resolve" if resolved else "comment_reopen"
                self._event(s, p, action, doc, grant, thread.id)
                changed = True
            else:
                changed = False
            s.flush()
            out = self._view(s, p, doc, grant, thread.id)
        if changed:
            self._changed(doc_id)
        return out

    def edit(self, p: Principal, doc_id: str, thread_id: Any, comment_id: Any, text: Any) -> dict[str, Any]:
        """Change a comment's text (its author only); the thread."""
        text = check_text(text, self.max_text)
        with self.catalog.transaction() as s:
            doc = self.documents._lock(s, doc_id)
            grant = self.documents._grant(s, p, doc, "read")
            thread = self._thread(s, doc_id, thread_id)
            comment = self._comment(s, thread, comment_id)
            if comment.author != p.name:
                raise Forbidden("Only a comment's author may edit it", "Forbidden")
            changed = comment.text != text
            if changed:
                comment.text = text
                comment.edited = utcnow()
                self._event(s, p, "comment_edit", doc, grant, thread.id, comment_id=comment.id)
            s.flush()
            out = self._view(s, p, doc, grant, thread.id)
        if changed:
            self._changed(doc_id)
        return out

    def delete(self, p: Principal, doc_id: str, thread_id: Any, comment_id: Any) -> dict[str, Any] | None:
        """Delete a comment (its author, the document's owner, admins); deleting a thread's first
        comment deletes the thread. The thread left, or None."""
        with self.catalog.transaction() as s:
            doc = self.documents._lock(s, doc_id)
            grant = self.documents._grant(s, p, doc, "read")
            thread = self._thread(s, doc_id, thread_id)
            comment = self._comment(s, thread, comment_id)
            level = self._level_name(p, doc, grant)
            if comment.author != p.name and level not in ("owner", "admin"):
                raise Forbidden("Only a comment's author or the document's owner may delete it", "Forbidden")
            first = s.scalar(
                select(CommentRow.id)
                .where(CommentRow.thread_id == thread.id)
                .order_by(CommentRow.created, CommentRow.id)
                .limit(1)
            )
            whole = first == comment.id
            self._event(
                s, p, "comment_delete", doc, grant, thread.id, comment_id=comment.id, thread_deleted=whole,
                author=comment.author,
            )  # fmt: skip
            if whole:
                # explicit, as SQLite enforces ON DELETE CASCADE only with its foreign_keys pragma on
                s.execute(delete(CommentRow).where(CommentRow.thread_id == thread.id))
                s.delete(thread)
                out = None
            else:
                s.delete(comment)
                s.flush()
                out = self._view(s, p, doc, grant, thread.id)
        self._changed(doc_id)
        return out


__all__ = [
    "MAX_COMMENTS",
    "MAX_TEXT",
    "MAX_THREADS",
    "CommentRow",
    "CommentStore",
    "CommentThreadRow",
    "check_anchor",
    "check_text",
]
