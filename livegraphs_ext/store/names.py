"""Which dataset a name means to a caller: ``owner/name``, or a bare name.

A dataset name is unique per owner and never contains ``/``; hub user names never do either,
so ``owner/name`` splits at its last ``/`` without doubt. A bare name means, in this order:

1. the caller's own dataset of that name;
2. else the one dataset of that name the caller may read through a share; when several owners
   share one, the name is ambiguous (:class:`~.errors.Conflict`, 409, listing the ``owner/name``
   choices) rather than silently picking one, so a share cannot take over a name;
3. else, for a caller who reads everything (an admin, the one user of a laptop), the one dataset
   of that name of anyone, with the same rule when there are several.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .catalog import DatasetRow
from .errors import BadInput, Conflict, NotFound, Problem

#: How many ``owner/name`` choices an ambiguous name lists.
MAX_CHOICES = 20


def split_ref(ref: str) -> tuple[str | None, str]:
    """``(owner, name)`` of ``owner/name``, ``(None, name)`` of a bare name (NFC, trimmed)."""
    ref = unicodedata.normalize("NFC", ref).strip()
    if "/" not in ref:
        return None, ref
    owner, _, name = ref.rpartition("/")
    if not owner.strip() or not name.strip():
        raise BadInput(f"Name a dataset as name or owner/name, not {ref[:200]!r}", "Bad name")
    return owner.strip(), name.strip()


def qualified(owner: str, name: str) -> str:
    """The ``owner/name`` that names one dataset to everyone."""
    return f"{owner}/{name}"


def resolve(
    s: Session, ref: str, *, me: str | None, readable: Any = None, everything: bool = False
) -> DatasetRow:
    """The dataset ``ref`` names to the caller ``me``.

    ``readable`` is a SQL condition on :class:`DatasetRow` for the datasets shared with the caller
    (None: none are); ``everything`` is true for a caller who may read every dataset. NotFound
    when the caller may read no dataset of that name, Conflict when a bare name is ambiguous.
    """
    owner, name = split_ref(ref)
    missing = NotFound(f"No dataset named {ref.strip()[:400]!r}", "No such dataset")
    named = select(DatasetRow).where(DatasetRow.name == name)
    if owner is not None:
        q = named.where(DatasetRow.owner == owner)
        if not everything and owner != me:
            if readable is None:
                raise missing
            q = q.where(readable)
        ds = s.scalars(q).first()
        if ds is None:
            raise missing
        return ds
    if me is not None:
        own = s.scalars(named.where(DatasetRow.owner == me)).first()
        if own is not None:
            return own
    tiers = []
    if readable is not None:
        tiers.append(named.where(readable))
    if everything:
        tiers.append(named)
    for q in tiers:
        found = s.scalars(q.order_by(DatasetRow.owner).limit(MAX_CHOICES + 1)).all()
        if len(found) == 1:
            return found[0]
        if found:
            raise ambiguous(name, found)
    raise missing


def ambiguous(name: str, found: Sequence[DatasetRow]) -> Conflict:
    """The 409 of a bare name that several owners' datasets carry: it lists them as ``owner/name``."""
    choices = [qualified(ds.owner, ds.name) for ds in found[:MAX_CHOICES]]
    more = " and more" if len(found) > MAX_CHOICES else ""
    return Conflict(
        f"Several datasets named {name!r} are yours to read; name one as owner/name: "
        f"{', '.join(choices)}{more}",
        "Ambiguous name",
        [Problem(row=None, column=None, value=c, expected="owner/name") for c in choices],
    )


__all__ = ["MAX_CHOICES", "qualified", "resolve", "split_ref"]
