"""Accounts: which hub account a user name belongs to, so a name used again inherits nothing.

Datasets, shares and events name users by their hub name. A hub may delete a user and later let
someone else sign up under the same name; that newcomer must not inherit the old account's
datasets, nor the shares made to it. The hub tells accounts apart by when it created them (the
``created`` of its user model), so the store records, per name, the ``created`` of the account it
has served under that name:

- :meth:`Accounts.check` runs before the service serves a caller. A name seen with another
  ``created`` than the recorded one is a new account: the old one is retired first.
- :meth:`Accounts.retire` runs when the hub reports a deletion (its ``user_deleted`` event).

Retiring archives: the account's datasets and documents go to the owner ``deleted/<time>/<name>``
(no hub user name contains ``/``, so no one can ever log in as it), stop being shared, and stay for admins to
read or delete; the shares made to the name are removed; an ``account_retired`` event records it.
Open rooms of the documents concerned are told (``DocumentStore.access_changed``), so the old
account's connections close at once.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from sqlalchemy import DateTime, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from .acl import ShareRow
from .catalog import Base, Catalog, DatasetRow, utcnow
from .documents import DocumentRow, DocumentShareRow, DocumentStore
from .errors import BadInput
from .events import EventLog

#: The prefix of the owner of a retired account's datasets.
ARCHIVE_PREFIX = "deleted/"


class AccountRow(Base):
    __tablename__ = "lg_accounts"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    #: the hub's ``created`` of the account served under this name (ISO 8601, UTC)
    created: Mapped[str] = mapped_column(String(64))
    first_seen: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


def canonical_time(value: Any) -> str:
    """The hub's ``created`` (ISO 8601 text, with ``Z`` or an offset, or naive UTC) as UTC ISO text."""
    if isinstance(value, dt.datetime):
        t = value
    elif isinstance(value, str) and value:
        try:
            t = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise BadInput(f"Not an ISO 8601 time: {value[:40]!r}", "Bad time") from None
    else:
        raise BadInput("An account needs the hub's created time", "Bad time")
    t = t.replace(tzinfo=dt.timezone.utc) if t.tzinfo is None else t.astimezone(dt.timezone.utc)
    return t.isoformat()


class Accounts:
    """The accounts the store has served, by name; see the module's docstring."""

    def __init__(self, catalog: Catalog, documents: DocumentStore | None = None):
        self.catalog = catalog
        #: told which documents a retirement touched, after it committed (their rooms recheck access)
        self.documents = documents
        # name -> created, of accounts checked in this process (the service is the only writer)
        self._known: dict[str, str] = {}
        self._lock = threading.Lock()

    def check(self, name: str, created: Any) -> dict[str, Any] | None:
        """Serve ``name`` as the account created at ``created``.

        The first time a name is seen it is recorded. Seen with another ``created``, the name
        belongs to a new account: the old account is retired (see :meth:`retire`) and its summary
        returned; otherwise None.
        """
        created = canonical_time(created)
        if self.known(name, created):
            return None
        try:
            retired = self._check(name, created)
        except IntegrityError:  # another request recorded the name first: look again
            retired = self._check(name, created)
        with self._lock:
            self._known[name] = created
        return self._told(retired)

    def known(self, name: str, created: Any) -> bool:
        """Whether this process has checked ``name`` in as the account created at ``created``."""
        with self._lock:
            return self._known.get(name) == created

    def _check(self, name: str, created: str) -> dict[str, Any] | None:
        with self.catalog.transaction() as s:
            row = s.get(AccountRow, name, with_for_update=True)
            if row is None:
                s.add(AccountRow(name=name, created=created))
                s.flush()
            elif row.created != created:
                retired = _retire(s, name, row.created, by="livegraphs", reason="name used by a new account")
                row.created, row.first_seen = created, utcnow()
                return retired
        return None

    def retire(self, name: str, created: Any = None, *, by: str, reason: str) -> dict[str, Any] | None:
        """Retire the account ``name`` created at ``created`` (any, when None): archive its datasets.

        Nothing happens (None) when the name now belongs to a newer account than ``created``: that
        one was checked in, and the old one retired, already.
        """
        created = None if created is None else canonical_time(created)
        with self.catalog.transaction() as s:
            row = s.get(AccountRow, name, with_for_update=True)
            if row is not None and created is not None and row.created != created:
                return None
            retired = _retire(s, name, created or (row.created if row else None), by=by, reason=reason)
            if row is not None:
                s.delete(row)
        with self._lock:
            self._known.pop(name, None)
        return self._told(retired)

    def _told(self, retired: dict[str, Any] | None) -> dict[str, Any] | None:
        """``retired`` without its document ids, once the document store has been told of them."""
        if retired is None:
            return None
        touched = retired.pop("touched_documents")
        if self.documents is not None:
            self.documents.access_changed(touched)
        return retired

    def created(self, name: str) -> str | None:
        """The recorded ``created`` of the account served under ``name``, if any."""
        with self.catalog.transaction() as s:
            row = s.get(AccountRow, name)
            return None if row is None else row.created


def _retire(s: Session, name: str, created: str | None, *, by: str, reason: str) -> dict[str, Any]:
    """Archive ``name``'s datasets and drop the shares of and to them, in ``s``'s transaction."""
    stamp = utcnow().strftime("%Y%m%dT%H%M%S.%fZ")
    archive = f"{ARCHIVE_PREFIX}{stamp}/{name}"[:255]
    datasets = s.scalars(select(DatasetRow).where(DatasetRow.owner == name)).all()
    ids = [ds.id for ds in datasets]
    shares_of = 0
    if ids:
        of_theirs = s.scalars(select(ShareRow).where(ShareRow.dataset_id.in_(ids))).all()
        shares_of = len(of_theirs)
        for row in of_theirs:
            s.delete(row)
    to_them = s.scalars(select(ShareRow).where(ShareRow.kind == "user", ShareRow.name == name)).all()
    shares_to = len(to_them)
    for row in to_them:
        s.delete(row)
    for ds in datasets:
        ds.owner = archive
    # their dashboards and charts likewise
    documents = s.scalars(select(DocumentRow).where(DocumentRow.owner == name)).all()
    doc_ids = [d.id for d in documents]
    doc_shares = list(
        s.scalars(select(DocumentShareRow).where(DocumentShareRow.document_id.in_(doc_ids))).all()
        if doc_ids
        else []
    )
    doc_shares += s.scalars(
        select(DocumentShareRow).where(DocumentShareRow.kind == "user", DocumentShareRow.name == name)
    ).all()
    touched = sorted({*doc_ids, *(doc_share.document_id for doc_share in doc_shares)})
    for doc_share in doc_shares:
        s.delete(doc_share)
    for d in documents:
        d.owner = archive
    summary = {
        "user": name,
        "created": created,
        "reason": reason,
        "datasets": len(ids),
        "archived_as": archive if ids or doc_ids else None,
        "shares_of_theirs_removed": shares_of,
        "shares_to_them_removed": shares_to,
        "documents": len(doc_ids),
        "document_shares_removed": len(doc_shares),
    }
    EventLog.add(s, name, "account_retired", detail={**summary, "by": by})
    return {**summary, "touched_documents": touched}


__all__ = ["ARCHIVE_PREFIX", "AccountRow", "Accounts", "canonical_time"]
