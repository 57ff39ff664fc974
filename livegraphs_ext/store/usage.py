"""Which shared documents (dashboards, charts) use columns of a dataset.

New data that removes or retypes columns can break the charts built on them; the answer of an
append or replace, and of a comparison, names those documents. A spec uses a dataset when its
``dataset`` is ``{"id"}`` of it, ``{"name": "owner/name"}``, or its bare name in a document of the
dataset's owner (whose own dataset a bare name means first). It uses a column through its
encoding fields (tooltip too), its ``sort.by`` and its filter conditions (``{column}``, in groups
too), and the columns its filter formulas read; a dashboard also through its filters on that dataset.

Only documents the caller may read are named; the others are counted.

Chart and dashboard *files* (``.lgchart``, ``.lgdash``) in a folder the host can read (a laptop's
Jupyter root) are looked through too, within bounds of entries and time (:func:`files_using`).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import stat
import time
from collections import deque
from collections.abc import Iterable
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from .documents import (
    SHARES,
    DocumentRow,
    DocumentStore,
    DocumentUpdateRow,
    DocumentVersionRow,
    content_of,
)
from .errors import BadInput
from .formula import formula_columns
from .sharing import Principal


def _ref_matches(ref: Any, dataset: dict[str, Any], doc_owner: str) -> bool:
    if not isinstance(ref, dict):
        return False
    if ref.get("id") == dataset["id"]:
        return True
    name = ref.get("name")
    if not isinstance(name, str):
        return False
    if name == f"{dataset['owner']}/{dataset['name']}":
        return True
    return name == dataset["name"] and doc_owner == dataset["owner"]


def _filter_columns(conditions: Any, out: set[str]) -> None:
    if isinstance(conditions, list):
        for c in conditions:
            _filter_columns(c, out)
    elif isinstance(conditions, dict):
        if isinstance(conditions.get("column"), str):
            out.add(conditions["column"])
        if isinstance(conditions.get("formula"), str):
            with contextlib.suppress(BadInput):  # a formula that does not parse names no column
                out.update(formula_columns(conditions["formula"]))
        if "conditions" in conditions:
            _filter_columns(conditions["conditions"], out)


def spec_columns(spec: Any) -> set[str]:
    """The column names a chart spec names in its encoding, sort and filters."""
    out: set[str] = set()
    if not isinstance(spec, dict):
        return out
    encoding = spec.get("encoding")
    if isinstance(encoding, dict):
        for shelf in encoding.values():
            for s in shelf if isinstance(shelf, list) else [shelf]:
                if isinstance(s, dict) and isinstance(s.get("field"), str):
                    out.add(s["field"])
    sort = spec.get("sort")
    if isinstance(sort, dict) and isinstance(sort.get("by"), str):
        out.add(sort["by"])  # a channel name as often; it only counts when it is a missing column
    _filter_columns(spec.get("filters"), out)
    return out


def _uses(
    kind: str, content: dict[str, Any], dataset: dict[str, Any], owner: str, missing: set[str]
) -> dict[str, Any]:
    """What of ``content`` uses the ``missing`` columns: ``{columns, charts, filters}``."""
    if kind == "chart":
        if not _ref_matches(content.get("dataset"), dataset, owner):
            return {}
        cols = sorted(spec_columns(content) & missing)
        return {"columns": cols, "charts": [], "filters": []} if cols else {}
    charts = []
    for cid, chart in (content.get("charts") or {}).items():
        spec = chart.get("spec") if isinstance(chart, dict) else None
        if isinstance(spec, dict) and _ref_matches(spec.get("dataset"), dataset, owner):
            cols = sorted(spec_columns(spec) & missing)
            if cols:
                charts.append({"id": cid, "title": spec.get("title"), "columns": cols})
    filters = [
        {"id": f.get("id"), "column": f["column"]}
        for f in content.get("filters") or []
        if isinstance(f, dict)
        and f.get("column") in missing
        and _ref_matches({"id": f.get("dataset"), "name": f.get("dataset")}, dataset, owner)
    ]
    if not charts and not filters:
        return {}
    cols = sorted({c for ch in charts for c in ch["columns"]} | {f["column"] for f in filters})
    return {"columns": cols, "charts": charts, "filters": filters}


def _states(s: Session) -> dict[str, bytes]:
    """Every document's whole state, read in two queries as :meth:`DocumentStore.load` reads one:
    the updates first, then the newest versions (a snapshot in between only adds to what is read)."""
    from pycrdt import merge_updates

    updates: dict[str, list[bytes]] = {}
    for doc_id, data in s.execute(
        select(DocumentUpdateRow.document_id, DocumentUpdateRow.data).order_by(DocumentUpdateRow.seq)
    ):
        updates.setdefault(doc_id, []).append(bytes(data))
    newest = (
        select(DocumentVersionRow.document_id, func.max(DocumentVersionRow.number).label("number"))
        .group_by(DocumentVersionRow.document_id)
        .subquery()
    )
    latest = select(DocumentVersionRow.document_id, DocumentVersionRow.state).join(
        newest,
        (DocumentVersionRow.document_id == newest.c.document_id)
        & (DocumentVersionRow.number == newest.c.number),
    )
    versions = {doc_id: state for doc_id, state in s.execute(latest)}
    out: dict[str, bytes] = {}
    for doc_id in set(updates) | set(versions):
        parts = [bytes(versions[doc_id])] if doc_id in versions else []
        parts += updates.get(doc_id, [])
        out[doc_id] = parts[0] if len(parts) == 1 else bytes(merge_updates(*parts))
    return out


def documents_using(
    documents: DocumentStore, p: Principal, dataset: dict[str, Any], columns: Iterable[str]
) -> dict[str, Any]:
    """``{"documents": [...], "hidden": n}``: the documents whose specs use ``columns`` of ``dataset``
    (``{id, owner, name}``). Each named one is ``{id, kind, title, owner, columns, charts, filters}``
    (``charts``: the dashboard's charts using them, ``filters``: its filters on them); ``hidden``
    counts those ``p`` may not read.
    """
    missing = set(columns)
    found: list[dict[str, Any]] = []
    hidden = 0
    if not missing:
        return {"documents": found, "hidden": hidden}
    # a document naming the dataset holds its id or name as a string of its Yjs state
    needles = (dataset["id"].encode(), dataset["name"].encode())
    with documents.catalog.transaction() as s:
        rows = s.execute(select(DocumentRow.id, DocumentRow.kind, DocumentRow.title, DocumentRow.owner)).all()
        readable = set(
            s.scalars(
                select(DocumentRow.id).where(
                    or_(DocumentRow.owner == p.name, DocumentRow.id.in_(SHARES.shared_ids(p)))
                )
            )
        )
        states = _states(s)
    for row in sorted(rows, key=lambda r: (r.kind, r.owner, r.title)):
        state = states.get(row.id)
        if state is None or not any(n in state for n in needles):
            continue
        uses = _uses(row.kind, content_of(row.kind, state), dataset, row.owner, missing)
        if not uses:
            continue
        if p.is_admin or row.id in readable:
            found.append({"id": row.id, "kind": row.kind, "title": row.title, "owner": row.owner, **uses})
        else:
            hidden += 1
    return {"documents": found, "hidden": hidden}


#: the file kinds looked through, by suffix
FILE_KINDS = {".lgchart": "chart", ".lgdash": "dashboard"}
#: folders never looked into (besides hidden ones): packages and caches, not a person's work
SKIPPED_FOLDERS = frozenset({"node_modules", "__pycache__", "site-packages", "venv"})


def _needles(dataset: dict[str, Any]) -> tuple[bytes, ...]:
    """What a file naming ``dataset`` holds as bytes: its id, its name as UTF-8 or JSON-escaped."""
    name = dataset["name"]
    return (dataset["id"].encode(), name.encode(), json.dumps(name)[1:-1].encode())


def _read_at_most(path: str, limit: int) -> bytes | None:
    """The file's bytes, not through a link and at most ``limit`` of them; None past the limit."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        data = f.read(limit + 1)
    return None if len(data) > limit else data


def files_using(
    root: Path,
    dataset: dict[str, Any],
    owner: str,
    columns: Iterable[str],
    *,
    hidden: bool = False,
    hide_globs: Iterable[str] = (),
    max_entries: int = 20_000,
    max_file_bytes: int = 8 * 2**20,
    seconds: float = 2.0,
) -> dict[str, Any]:
    """``{"files": [...], "complete": bool}``: the chart and dashboard files under ``root`` whose
    specs use ``columns`` of ``dataset``, each ``{path, kind, title, columns, charts, filters}``
    (``path`` relative to ``root``, with ``/``), as :func:`documents_using` names documents.

    A bare dataset name in a file means ``owner``'s dataset (the files' owner: the local user).
    Folders are looked through breadth first, so the files nearest the root come first. Hidden
    files and folders are skipped unless ``hidden``, and so are :data:`SKIPPED_FOLDERS` and the
    names matching one of ``hide_globs`` (as the file browser hides them); links are
    not followed. ``complete`` is false when the search stopped at ``max_entries`` entries or
    ``seconds``, or passed over a chart or dashboard file it could not read whole (a link, over
    ``max_file_bytes``, unreadable, not a JSON object of the expected shape).
    """
    missing = set(columns)
    found: list[dict[str, Any]] = []
    if not missing:
        return {"files": found, "complete": True}
    needles = _needles(dataset)
    globs = tuple(hide_globs)
    deadline = time.monotonic() + seconds
    seen = 0
    complete = True
    folders = deque([root])

    def answer(done: bool) -> dict[str, Any]:
        return {"files": sorted(found, key=lambda f: f["path"]), "complete": done}

    while folders:
        folder = folders.popleft()
        try:
            with os.scandir(folder) as it:
                # read no more of a folder than the bound allows, then in name order
                entries = sorted(itertools.islice(it, max_entries - seen + 1), key=lambda e: e.name)
        except OSError:
            complete = False
            continue
        for entry in entries:
            seen += 1
            if seen > max_entries or time.monotonic() >= deadline:
                return answer(False)
            if (entry.name.startswith(".") and not hidden) or any(fnmatch(entry.name, g) for g in globs):
                continue
            kind = FILE_KINDS.get(os.path.splitext(entry.name)[1])
            try:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in SKIPPED_FOLDERS:
                        folders.append(Path(entry.path))
                    continue
                if kind is None:
                    continue
                data = _read_at_most(entry.path, max_file_bytes)
            except OSError:  # a link (O_NOFOLLOW), gone, or not readable
                complete = False
                continue
            if data is None:
                complete = False
                continue
            if not any(n in data for n in needles):
                continue
            try:
                content = json.loads(data)
                uses = _uses(kind, content, dataset, owner, missing) if isinstance(content, dict) else None
            except (ValueError, TypeError, AttributeError, RecursionError):
                uses = None
            if uses is None:  # not a chart or dashboard we can read: the user should look at it
                complete = False
            elif uses:
                path = Path(entry.path).relative_to(root).as_posix()
                title = content.get("title")
                title = title if isinstance(title, str) and title else Path(entry.name).stem
                found.append({"path": path, "kind": kind, "title": title, **uses})
    return answer(complete)
