"""The activity log: who uploaded, changed, exported, loaded, shared, viewed or deleted what, and when.

Rows are written in the same transaction as the change they describe (see
:class:`~livegraphs_ext.store.acl.GuardedStore`), so the log never claims a change
that was rolled back. Events keep the dataset's id and name as plain text: they
outlive the dataset.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter, defaultdict
from collections.abc import Hashable
from time import monotonic
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Integer, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .catalog import Base, Catalog, utcnow
from .errors import BadInput

#: Every action the log knows. Clients may report only the ``*_view`` ones themselves.
ACTIONS = (
    "upload",
    "change",
    "revert",
    "rename",
    "delete",
    "export",
    # a dataset read into a notebook (``lg.load``): detail names the format and version read
    "load",
    "share",
    "unshare",
    # a chart drawn from a dataset (detail: mark; document_id when a document's chart), or a
    # chart document opened; a dashboard opened (detail: document_id, kind, title, via)
    "chart_view",
    "dashboard_view",
    # from the hub (imported by the service's admin pages) and the admin pages' own actions
    "login",
    "login_failed",
    "server_start",
    "server_stop",
    "user_deleted",
    "signup_approve",
    "signup_discard",
    "role_change",
    "group_change",
    # shared documents (dashboards, charts): store.documents; detail names the document_id
    "document_create",
    "document_rename",
    "document_share",
    "document_unshare",
    "document_delete",
    "document_restore",
    # comments on shared documents: store.comments; detail names document_id and thread_id
    "comment_create",
    "comment_reply",
    "comment_edit",
    "comment_delete",
    "comment_resolve",
    "comment_reopen",
    # published dashboards: store.publications; detail names document_id (and snapshot or link)
    "document_publish",
    "link_create",
    "link_revoke",
    # a deleted hub user's account, or the old account of a name a new account uses (store.accounts)
    "account_retired",
)
CLIENT_ACTIONS = frozenset({"chart_view", "dashboard_view"})
#: The keys a client's view report may carry in its ``detail``, each a short text, number or flag:
#: the admin Activity page shows them as they are.
VIEW_DETAIL_KEYS = frozenset({"chart", "dashboard", "mark"})
MAX_VIEW_DETAIL_TEXT = 200
#: Actions counted as a change of data or metadata in engagement figures.
CHANGES = frozenset({"change", "revert", "rename"})
MAX_EVENTS_PAGE = 1000


class ViewThrottle:
    """Whether a view is worth logging: at most one per key (user and thing viewed) per window.

    Kept in this process's memory, so a restart may log one view more; at most ``size`` keys are
    remembered (the oldest are forgotten first once they are past their window).
    """

    def __init__(self, size: int = 10_000):
        self.size = size
        self._last: dict[Hashable, float] = {}
        self._lock = threading.Lock()

    def due(self, key: Hashable, every: float) -> bool:
        """True (and the view remembered) unless ``key`` was due less than ``every`` seconds ago."""
        now = monotonic()
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < every:
                return False
            if len(self._last) >= self.size:
                self._last = {k: t for k, t in self._last.items() if now - t < every}
            self._last[key] = now
            return True


class EventRow(Base):
    __tablename__ = "lg_events"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    time: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    user: Mapped[str] = mapped_column(String(255), index=True)
    action: Mapped[str] = mapped_column(String(32), index=True)
    dataset_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    dataset_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    owner: Mapped[str | None] = mapped_column(String(255), nullable=True)
    #: True when only admin rights allowed the act (the user neither owns nor shares the dataset)
    admin: Mapped[bool] = mapped_column(Boolean, default=False)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def _iso(t: dt.datetime) -> str:
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    return t.isoformat()


def _aware(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=dt.timezone.utc)


def parse_time(raw: str | None, name: str) -> dt.datetime | None:
    """An ISO 8601 time from a query argument (naive means UTC); ``None`` when absent."""
    if raw is None or raw == "":
        return None
    try:
        return _aware(dt.datetime.fromisoformat(raw))
    except ValueError:
        raise BadInput(f"{name} must be an ISO 8601 time, not {raw[:40]!r}", "Bad argument") from None


def check_view_detail(detail: Any) -> dict[str, Any]:
    """The ``detail`` of a client's view report: only :data:`VIEW_DETAIL_KEYS`, short scalar values."""
    if detail is None:
        return {}
    if not isinstance(detail, dict):
        raise BadInput("detail is a JSON object", "Bad detail")
    unknown = sorted(str(k)[:40] for k in detail if k not in VIEW_DETAIL_KEYS)
    if unknown:
        raise BadInput(
            f"detail has only {', '.join(sorted(VIEW_DETAIL_KEYS))}, not {', '.join(unknown[:5])}",
            "Bad detail",
        )
    for key, value in detail.items():
        if isinstance(value, str):
            if len(value) > MAX_VIEW_DETAIL_TEXT:
                raise BadInput(f"detail.{key} is at most {MAX_VIEW_DETAIL_TEXT} characters", "Bad detail")
        elif value is not None and not isinstance(value, (bool, int, float)):
            raise BadInput(f"detail.{key} is a text, a number or a flag", "Bad detail")
    return detail


def event_json(e: EventRow) -> dict[str, Any]:
    return {
        "id": e.id,
        "time": _iso(e.time),
        "user": e.user,
        "action": e.action,
        "dataset_id": e.dataset_id,
        "dataset_name": e.dataset_name,
        "owner": e.owner,
        "admin": e.admin,
        "detail": e.detail or {},
    }


class EventLog:
    """Write and read the activity log of one catalog."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog

    @staticmethod
    def add(
        session: Session,
        user: str,
        action: str,
        *,
        dataset_id: str | None = None,
        dataset_name: str | None = None,
        owner: str | None = None,
        admin: bool = False,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Add an event to ``session``'s transaction."""
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        session.add(
            EventRow(
                time=utcnow(),
                user=user,
                action=action,
                dataset_id=dataset_id,
                dataset_name=dataset_name,
                owner=owner,
                admin=admin,
                detail=detail or {},
            )
        )

    def record(self, user: str, action: str, **kwargs: Any) -> None:
        """Add an event in a transaction of its own."""
        with self.catalog.transaction() as s:
            self.add(s, user, action, **kwargs)

    def _filtered(
        self,
        query: Any,
        *,
        user: str | None = None,
        action: list[str] | None = None,
        dataset_id: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        admin: bool | None = None,
    ) -> Any:
        if user:
            query = query.where(EventRow.user == user)
        if action:
            unknown = sorted(set(action) - set(ACTIONS))
            if unknown:
                raise BadInput(
                    f"Unknown action {unknown[0]!r}; actions are {', '.join(ACTIONS)}", "Bad action"
                )
            query = query.where(EventRow.action.in_(action))
        if dataset_id:
            query = query.where(EventRow.dataset_id == dataset_id)
        if since is not None:
            query = query.where(EventRow.time >= since)
        if until is not None:
            query = query.where(EventRow.time < until)
        if admin is not None:
            query = query.where(EventRow.admin == admin)
        return query

    def list(self, *, limit: int = 100, offset: int = 0, **filters: Any) -> dict[str, Any]:
        """Events matching ``filters`` (user, action list, dataset_id, since, until, admin), newest first."""
        if limit < 0 or offset < 0 or limit > MAX_EVENTS_PAGE:
            raise BadInput(f"limit is 0 to {MAX_EVENTS_PAGE} and offset 0 or more", "Bad page")
        with self.catalog.transaction() as s:
            total = s.scalar(self._filtered(select(func.count(EventRow.id)), **filters)) or 0
            rows = s.scalars(
                self._filtered(select(EventRow), **filters)
                .order_by(EventRow.time.desc(), EventRow.id.desc())
                .limit(limit)
                .offset(offset)
            ).all()
            return {"events": [event_json(e) for e in rows], "total": int(total), "offset": offset}

    def active_users(self, since: dt.datetime) -> int:
        """How many distinct users did anything since ``since``."""
        with self.catalog.transaction() as s:
            n = s.scalar(select(func.count(func.distinct(EventRow.user))).where(EventRow.time >= since))
            return int(n or 0)

    def engagement(self, *, since: dt.datetime, until: dt.datetime | None = None) -> dict[str, Any]:
        """Who is active and on what, between ``since`` and ``until`` (default now).

        ``users``: per user, counts by action, active days and last activity, most active first.
        ``days``: per UTC day, distinct active users and event count.
        ``datasets``: per dataset, views, exports, loads, changes and distinct users, busiest first.
        """
        until = until or utcnow()
        if since >= until:
            raise BadInput("since must be before until", "Bad range")
        with self.catalog.transaction() as s:
            rows = s.execute(
                select(EventRow.user, EventRow.action, EventRow.time, EventRow.dataset_id,
                       EventRow.dataset_name, EventRow.owner)
                .where(EventRow.time >= since, EventRow.time < until)
            ).all()  # fmt: skip
        per_user: dict[str, Counter[str]] = defaultdict(Counter)
        user_days: dict[str, set[dt.date]] = defaultdict(set)
        last: dict[str, dt.datetime] = {}
        day_users: dict[dt.date, set[str]] = defaultdict(set)
        day_events: Counter[dt.date] = Counter()
        per_ds: dict[str, dict[str, Any]] = {}
        for user, action, time, ds_id, ds_name, owner in rows:
            time = _aware(time).astimezone(dt.timezone.utc)
            day = time.date()
            per_user[user][action] += 1
            user_days[user].add(day)
            last[user] = max(last.get(user, time), time)
            day_users[day].add(user)
            day_events[day] += 1
            if ds_id:
                d = per_ds.setdefault(
                    ds_id,
                    {"dataset_id": ds_id, "name": ds_name, "owner": owner, "views": 0, "exports": 0,
                     "loads": 0, "changes": 0, "events": 0, "users": set()},
                )  # fmt: skip
                d["events"] += 1
                d["users"].add(user)
                if action.endswith("_view"):
                    d["views"] += 1
                elif action == "export":
                    d["exports"] += 1
                elif action == "load":
                    d["loads"] += 1
                elif action in CHANGES:
                    d["changes"] += 1
        users: list[dict[str, Any]] = [
            {
                "user": u,
                "events": sum(c.values()),
                "by_action": dict(c),
                "uploads": c["upload"],
                "changes": sum(c[a] for a in CHANGES),
                "exports": c["export"],
                "loads": c["load"],
                "views": c["chart_view"] + c["dashboard_view"],
                "shares": c["share"],
                "active_days": len(user_days[u]),
                "last_active": _iso(last[u]),
            }
            for u, c in per_user.items()
        ]
        users.sort(key=lambda x: (-x["events"], x["user"]))
        datasets: list[dict[str, Any]] = [{**d, "users": len(d["users"])} for d in per_ds.values()]
        datasets.sort(key=lambda x: (-x["events"], x["dataset_id"]))
        days = [
            {"day": d.isoformat(), "active_users": len(day_users[d]), "events": day_events[d]}
            for d in sorted(day_users)
        ]
        return {
            "since": _iso(since),
            "until": _iso(until),
            "active_users": len(per_user),
            "events": len(rows),
            "users": users,
            "days": days,
            "datasets": datasets,
        }


__all__ = [
    "ACTIONS",
    "CLIENT_ACTIONS",
    "VIEW_DETAIL_KEYS",
    "EventLog",
    "EventRow",
    "ViewThrottle",
    "check_view_detail",
    "event_json",
    "parse_time",
]
