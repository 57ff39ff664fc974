"""Shared documents (dashboards, charts) from a notebook kernel: ``lg.list_documents()``,
``lg.export_document()``, ``lg.import_document()``, and the live view behind
``lg.Dashboard(ref)`` / ``lg.chart(ref)``.

A document is named by its id, ``owner/title`` or a bare title (your own first, else the one
shared with you). On a laptop the kernel reads the store its server uses, as the server's user,
and follows a document through that server's room (``documents/{id}/room``), with the URL and
token the server publishes in its runtime file (``$LIVEGRAPHS_SERVER_INFO``). Under JupyterHub it
asks the livegraphs service, REST and room alike, with ``$JUPYTERHUB_API_TOKEN``, so it sees
exactly what its user may see. The kernel only reads a room: it never sends an update.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from ..store.errors import BadInput, Conflict, NotFound, Problem
from .notebook import ServiceError, _call, _me, _service, store

if TYPE_CHECKING:
    import pandas as pd

    from ..store.documents import DocumentStore
    from ..store.sharing import Principal

log = logging.getLogger(__name__)

DOC_ID = re.compile(r"[0-9a-f]{32}")
#: The file suffix of each kind, and the kind of each suffix.
SUFFIX = {"dashboard": ".lgdash", "chart": ".lgchart"}
KIND_OF = {v: k for k, v in SUFFIX.items()}
#: Most choices an ambiguous title lists.
MAX_CHOICES = 20
#: Largest room message the kernel accepts (the room's own limit).
MAX_MESSAGE_BYTES = 8 << 20
#: Room close codes after which reconnecting cannot help: the document is gone or unreadable.
GONE = (4404, 4500)


def _ask(path: str, params: dict[str, Any] | None = None, *, json_body: Any = None) -> bytes:
    """A request to the service; its refusals as the store's errors, as on a laptop."""
    try:
        return _call(path, params, json_body=json_body)
    except ServiceError as e:
        error = {400: BadInput, 404: NotFound, 409: Conflict}.get(e.status)
        if error is None:
            raise
        raise error(str(e).partition(": ")[2]) from None


def _local() -> tuple[DocumentStore, Principal]:
    from ..store import GuardedStore, Principal

    return GuardedStore(store()).documents, Principal(_me())


def _list(kind: str | None = None) -> list[dict[str, Any]]:
    if _service() is None:
        docs, me = _local()
        return docs.list(me, kind)
    return list(orjson.loads(_ask("documents", {"kind": kind}))["documents"])


def _get(doc_id: str) -> dict[str, Any]:
    if _service() is None:
        docs, me = _local()
        return docs.get(me, doc_id)
    return dict(orjson.loads(_ask(f"documents/{doc_id}")))


def find_document(ref: str, kind: str | None = None) -> dict[str, Any]:
    """The document ``ref`` names: an id, ``owner/title`` or a title (your own first, else the one
    shared with you; an ambiguous title is refused with its ``owner/title`` choices)."""
    what = kind or "document"
    ref = ref.strip()
    if DOC_ID.fullmatch(ref):
        doc = _get(ref)
        if kind is not None and doc["kind"] != kind:
            raise NotFound(f"Document {ref} is a {doc['kind']}, not a {kind}", f"No such {kind}")
        return doc
    owner, _, title = ref.rpartition("/")
    found = [d for d in _list(kind) if d["title"] == title and (not owner or d["owner"] == owner)]
    if not owner:
        found = [d for d in found if d["access"] == "owner"] or found
    if len(found) == 1:
        return found[0]
    if not found:
        raise NotFound(f"No {what} named {ref[:400]!r} is yours to read", f"No such {what}")
    choices = sorted(f"{d['owner']}/{d['title']} ({d['kind']}, {d['id']})" for d in found)
    more = " and more" if len(choices) > MAX_CHOICES else ""
    raise Conflict(
        f"Several documents named {ref!r} are yours to read; name one as owner/title or by id: "
        f"{', '.join(choices[:MAX_CHOICES])}{more}",
        "Ambiguous name",
        [
            Problem(row=None, column=None, value=c, expected="owner/title or id")
            for c in choices[:MAX_CHOICES]
        ],
    )


def document_content(doc_id: str) -> dict[str, Any]:
    """The plain JSON (``.lgdash`` / ``.lgchart`` form) of a document now."""
    if _service() is None:
        docs, me = _local()
        return docs.content(me, doc_id)
    return dict(orjson.loads(_ask(f"documents/{doc_id}/content")))


def list_documents(kind: str | None = None) -> pd.DataFrame:
    """Every dashboard and chart you may read: id, kind, title, owner, your access and last change.

    ``kind`` ("dashboard" or "chart") keeps one kind.
    """
    import pandas as pd

    cols = ["id", "kind", "title", "owner", "access", "updated", "updated_by"]
    rows = [{**{c: d[c] for c in cols}, "updated": pd.Timestamp(d["updated"])} for d in _list(kind)]
    return pd.DataFrame(rows, columns=cols)


def export_document(ref: str, path: str | os.PathLike[str] | None = None, *, kind: str | None = None) -> Path:
    """Write a document (by id, ``owner/title`` or title) as its ``.lgdash`` / ``.lgchart`` file.

    ``path`` is the file, or a folder to write ``<title>.lgdash`` into; the default is the
    current folder. The text is canonical: the same content always gives the same file.
    Returns the file written.
    """
    doc = find_document(ref, kind)
    if _service() is None:
        docs, me = _local()
        name, text = docs.canonical(me, doc["id"])
        data = text.encode()
    else:
        name = doc["title"] + SUFFIX[doc["kind"]]
        data = _ask(f"documents/{doc['id']}/content", {"download": "1"})
    target = Path(path).expanduser() if path is not None else Path(name)
    if target.is_dir():
        target = target / name
    target.write_bytes(data)
    return target


def import_document(path: str | os.PathLike[str], title: str | None = None) -> dict[str, Any]:
    """Make a new document of yours from a ``.lgdash`` or ``.lgchart`` file; returns the document.

    The title defaults to the file's name without its suffix (made unique among yours).
    """
    from ..documents.chartdoc import ChartFileError, parse_chart
    from ..documents.dashboard import DashboardError, parse_dashboard

    file = Path(path).expanduser()
    kind = KIND_OF.get(file.suffix)
    if kind is None:
        raise ValueError(f"{file} is not a .lgdash or .lgchart file")
    text = file.read_text(encoding="utf-8")
    try:
        content = parse_dashboard(text) if kind == "dashboard" else parse_chart(text)
    except (DashboardError, ChartFileError) as e:
        raise BadInput(f"{file} is not a valid {kind} file: " + "; ".join(e.errors), f"Bad {kind}") from None
    title = title if title is not None else file.stem
    if _service() is None:
        docs, me = _local()
        return docs.create(me, kind, title, content)
    body = {"kind": kind, "title": title, "content": content}
    return dict(orjson.loads(_ask("documents", json_body=body)))


def room_endpoint(doc_id: str) -> tuple[str, dict[str, str]]:
    """(WebSocket URL, headers) of a document's room as this kernel reaches it."""
    svc = _service()
    if svc is not None:
        base, token = svc
        url = base + f"api/documents/{doc_id}/room"
    else:
        info_file = os.environ.get("LIVEGRAPHS_SERVER_INFO")
        if not info_file:
            raise RuntimeError(
                "this kernel was not started by a jupyter server with livegraphs "
                "($LIVEGRAPHS_SERVER_INFO is not set): it cannot follow documents live"
            )
        try:
            info = json.loads(Path(info_file).read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise RuntimeError(f"cannot read the jupyter server's runtime file {info_file}: {e}") from None
        base = str(info["url"]).rstrip("/") + "/"
        token = str(info.get("token") or "")
        url = base + f"livegraphs/api/documents/{doc_id}/room"
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"the room URL must be http(s), not {url!r}")
    ws_url = urllib.parse.urlunsplit(parts._replace(scheme="wss" if parts.scheme == "https" else "ws"))
    return ws_url, ({"Authorization": f"token {token}"} if token else {})


class DocumentFollower:
    """Keeps a copy of a document in step with its room and calls ``on_content`` with each new
    content (``.lgdash`` / ``.lgchart`` form); ``on_gone`` when the document can no longer be read.

    A read-only client: it asks for the room's state and applies what the room sends, and never
    sends an update, so it works for viewers too. It reconnects after a dropped connection (the
    room closes connections whose access changed; the new one has the access the caller has now).
    """

    def __init__(
        self,
        document: dict[str, Any],
        on_content: Callable[[dict[str, Any]], None],
        on_gone: Callable[[str], None],
    ) -> None:
        self.document = document
        self._on_content = on_content
        self._on_gone = on_gone
        self._task: asyncio.Task[None] | None = None
        #: Set while a connection to the room is open and synced.
        self.synced = asyncio.Event()
        #: Why the document is not followed (no event loop, no server to reach); empty if it is.
        self.problem = ""

    def start(self) -> bool:
        """Follow the room in the running event loop (ipykernel's); False when it cannot."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.problem = "no event loop runs here (not a kernel): the document is not followed"
            return False
        try:
            room_endpoint(self.document["id"])
        except (RuntimeError, ValueError) as e:
            self.problem = str(e)
            log.warning("livegraphs: %s", e)
            return False
        self._task = loop.create_task(self._run())
        return True

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self) -> None:
        delay = 0.25
        while True:
            code = await self._follow_once()
            if self.synced.is_set():  # it had worked: try again soon
                delay = 0.25
            self.synced.clear()
            if code in GONE:
                doc = self.document
                self._on_gone(f"the {doc['kind']} {doc['title']!r} was deleted or can no longer be read")
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)

    async def _follow_once(self) -> int | None:
        """One connection: the room's close code, or None when it dropped or could not open."""
        from pycrdt import Doc, YMessageType, create_sync_message, handle_sync_message
        from tornado.httpclient import HTTPClientError, HTTPRequest
        from tornado.websocket import websocket_connect

        from ..store.documents import content_of

        try:
            url, headers = room_endpoint(self.document["id"])
            ws = await websocket_connect(
                HTTPRequest(url, headers=headers), max_message_size=MAX_MESSAGE_BYTES
            )
        except HTTPClientError as e:
            return 4404 if e.code == 404 else None
        except Exception as e:  # the server is restarting, or is not there
            log.debug("livegraphs: cannot reach the room of %s: %s", self.document["id"], e)
            return None
        doc: Doc[Any] = Doc()
        try:
            await ws.write_message(create_sync_message(doc), binary=True)
            while True:
                message = await ws.read_message()
                if message is None:
                    return ws.close_code
                if not isinstance(message, bytes) or len(message) < 2 or message[0] != YMessageType.SYNC:
                    continue
                # The room's own sync step 1 asks for this copy's changes: there are none, so no reply.
                handle_sync_message(message[1:], doc)
                if message[1] in (1, 2):  # sync step 2 (the room's state) or an update
                    self.synced.set()
                    with contextlib.suppress(Exception):
                        self._on_content(content_of(self.document["kind"], doc.get_update()))
        finally:
            ws.close()


__all__ = [
    "DocumentFollower",
    "document_content",
    "export_document",
    "find_document",
    "import_document",
    "list_documents",
    "room_endpoint",
]
