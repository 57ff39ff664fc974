"""Share rules that datasets and documents follow alike: levels, who a share names, who may change one.

A thing (a dataset, a document) belongs to its owner, who may share it with a user or a group as a
**viewer** or an **editor**; admins may do everything. Each kind of thing keeps its shares in a table
of its own (:class:`Shares` wraps one), but the rules live here once: how a caller's level is found,
what each action needs, how a share is checked, and that a recipient may refuse a user share made to
them. To a caller without any access a thing does not exist: 404, never 403, so ids cannot be probed.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from .catalog import utcnow
from .errors import BadInput, Forbidden, NotFound

SHARE_ROLES = ("viewer", "editor")
SHARE_KINDS = ("user", "group")
#: How much each level may do; an action needs at least its rank.
RANK = {"viewer": 1, "editor": 2, "owner": 3, "admin": 3}
ACTION_RANK = {"read": 1, "write": 2, "manage": 3}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Principal:
    """A caller as the store sees it: a user name, their groups and whether they are an admin."""

    name: str
    groups: frozenset[str] = field(default_factory=frozenset)
    is_admin: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "groups": sorted(self.groups), "admin": self.is_admin}


@dataclass
class Grant:
    """What a principal holds on one thing."""

    level: str  # "owner" | "editor" | "viewer" | "admin" ("recipient" for refusing a share)
    #: True when the action is allowed only because the caller is an admin
    via_admin: bool


def iso(t: dt.datetime) -> str:
    return (t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)).isoformat()


def shown(p: Principal, owner: str, level: str) -> str:
    """The level a caller is shown: their strongest one (an admin's rights beat a share)."""
    if owner == p.name:
        return "owner"
    return "admin" if p.is_admin else level


def check_share(kind: Any, name: Any, role: Any = "viewer") -> tuple[str, str, str]:
    """A share's (kind, name, role), checked and normalised; BadInput otherwise."""
    if kind not in SHARE_KINDS:
        raise BadInput('kind is "user" or "group"', "Bad share")
    if role not in SHARE_ROLES:
        raise BadInput('role is "viewer" or "editor"', "Bad share")
    if not isinstance(name, str):
        raise BadInput(f"Name the {kind} to share with", "Bad share")
    name = unicodedata.normalize("NFC", name).strip()
    if not name or len(name) > 255 or _CONTROL.search(name):
        raise BadInput(f"A {kind} name has 1 to 255 printable characters", "Bad share")
    return kind, name, role


def decide(
    p: Principal, owner: str, shared: str | None, action: str, *, noun: str, thing_id: str, label: str
) -> Grant:
    """The caller's grant for ``action`` on a ``noun`` given its owner and the caller's share level.

    NotFound without any access (so ids cannot be probed), Forbidden when the level is too low.
    """
    need = ACTION_RANK[action]
    own = "owner" if owner == p.name else shared
    if own is not None and RANK[own] >= need:
        return Grant(own, via_admin=False)
    if p.is_admin:
        return Grant("admin", via_admin=True)
    if own is None:
        raise NotFound(f"No {noun} with id {thing_id!r}", f"No such {noun}")
    verb = {"write": "change", "manage": "delete or share"}[action]
    raise Forbidden(f"You are a {own} of {label!r}; only its owner may {verb} it", "Forbidden")


class Shares:
    """The share rows of one kind of thing, in ``row``'s table keyed by its ``key`` column.

    ``row`` has the columns ``<key>, kind, name, role, created, created_by``.
    """

    def __init__(self, row: type, key: str):
        self.row: Any = row
        self.key = key

    @property
    def _id(self) -> Any:
        return getattr(self.row, self.key)

    def naming(self, p: Principal) -> Any:
        """SQL: the share rows that name ``p`` (as a user or through one of their groups)."""
        r = self.row
        mine = and_(r.kind == "user", r.name == p.name)
        if not p.groups:
            return mine
        return or_(mine, and_(r.kind == "group", r.name.in_(sorted(p.groups))))

    def shared_ids(self, p: Principal) -> Any:
        """SQL: the ids of the things shared with ``p``."""
        return select(self._id).where(self.naming(p))

    def level(self, s: Session, p: Principal, thing_id: str) -> str | None:
        """``p``'s strongest share level on the thing (None when nothing is shared with them)."""
        roles = s.scalars(select(self.row.role).where(self._id == thing_id, self.naming(p))).all()
        return max(roles, key=lambda r: RANK[r]) if roles else None

    def levels(self, s: Session, p: Principal, ids: list[str]) -> dict[str, str]:
        """``p``'s strongest share level on each of ``ids`` shared with them."""
        out: dict[str, str] = {}
        if ids:
            for thing_id, role in s.execute(
                select(self._id, self.row.role).where(self._id.in_(ids), self.naming(p))
            ):
                if RANK[role] > RANK.get(out.get(thing_id, ""), 0):
                    out[thing_id] = role
        return out

    def of(self, s: Session, thing_id: str) -> list[dict[str, Any]]:
        rows = s.scalars(
            select(self.row).where(self._id == thing_id).order_by(self.row.kind, self.row.name)
        ).all()
        return [share_json(r) for r in rows]

    def put(
        self, s: Session, p: Principal, thing_id: str, owner: str, kind: str, name: str, role: str, what: str
    ) -> dict[str, Any]:
        """Give ``kind``/``name`` ``role`` (replacing the role they had); the caller is checked already."""
        if kind == "user" and name == owner:
            raise BadInput(f"{name!r} owns this {what} already", "Bad share")
        row = s.get(self.row, (thing_id, kind, name))
        if row is None:
            row = self.row(**{self.key: thing_id}, kind=kind, name=name, role=role, created_by=p.name)
            s.add(row)
        else:
            row.role = role
        row.created, row.created_by = utcnow(), p.name
        s.flush()
        return share_json(row)

    def take(
        self, s: Session, p: Principal, thing_id: str, kind: str, name: str, manage: Any, label: str
    ) -> Grant:
        """Remove a share: ``manage()`` checks the caller may, unless it is their own user share
        (a share needs no consent, so its recipient can refuse it). A group's share is the
        owner's to remove: one member leaving it would take it from all.
        """
        row = s.get(self.row, (thing_id, kind, name))
        mine = row is not None and kind == "user" and name == p.name
        grant = Grant("recipient", via_admin=False) if mine else manage()
        if row is None:
            raise NotFound(f"{label!r} is not shared with {kind} {name!r}", "No such share")
        s.delete(row)
        return grant


def share_json(row: Any) -> dict[str, Any]:
    return {
        "kind": row.kind,
        "name": row.name,
        "role": row.role,
        "created": iso(row.created),
        "created_by": row.created_by,
    }


__all__ = [
    "ACTION_RANK",
    "RANK",
    "SHARE_KINDS",
    "SHARE_ROLES",
    "Grant",
    "Principal",
    "Shares",
    "check_share",
    "decide",
    "iso",
    "share_json",
    "shown",
]
