"""REST handlers for shared documents (dashboards, charts): list, create or import, read, rename,
delete, content and its download, versions and restore, shares; and each document's Yjs room.

Served by both hosts over the host's guarded store (``guarded.documents``), as the caller the host
names. Bodies are held in memory up to a limit: :data:`MAX_IMPORT_BYTES` for a create (it may carry
a whole dashboard), :data:`MAX_META_BYTES` for everything else; a longer body is a 413.

``GET documents/{id}/room`` upgrades to a WebSocket carrying y-websocket's messages; the room
itself (storing before broadcasting, levels, awareness, repair) is
:mod:`livegraphs_ext.documents.rooms`.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import JupyterHandler
from tornado import web
from tornado.web import HTTPError
from tornado.websocket import WebSocketHandler

from ..documents.rooms import CLOSE_BAD_MESSAGE, Connection, Rooms
from ..rest import BoundedBody, Host, bad_request, check_on_hub
from ..store.documents import DocumentStore
from .base import LiveGraphsHandler

DOC_ID = r"(?P<document_id>[0-9a-f]{32})"
#: Largest body of a create or import (the .lgdash / .lgchart JSON inside it), in bytes.
MAX_IMPORT_BYTES = 8 << 20
#: Largest body of any other document request (a title, a share), in bytes.
MAX_META_BYTES = 64 << 10
_CREATE_KEYS = frozenset({"kind", "title", "content"})
#: the Authorization header of a token caller (a script, a kernel, a user's server on a hub)
TOKEN_HEADERS = ("token ", "bearer ")


@web.stream_request_body
class DocumentHandlerBase(BoundedBody, LiveGraphsHandler):
    """A document route: the store's documents, and a body bounded before a byte of it is read."""

    def body_limit(self) -> int:
        return MAX_META_BYTES

    def _too_large(self) -> HTTPError:
        return HTTPError(
            413, f"The request body is over the {self.body_limit()}-byte limit", reason="Payload Too Large"
        )

    async def prepare(self) -> None:  # type: ignore[override]
        await super().prepare()
        if not self._finished:
            self.start_body()

    @property
    def documents(self) -> DocumentStore:
        return self.guarded.documents

    async def record_view(self, document_id: str, via: str) -> None:
        """Log that the caller opened the document (at most once a window: ``document_view_every``)."""
        await self.run(
            self.documents.record_view, self.principal, document_id, self.host.document_view_every, via
        )

    def body_fields(self, allowed: frozenset[str]) -> dict[str, Any]:
        """The JSON object body, with no key but ``allowed`` (400 otherwise)."""
        body = self.json_body()
        extra = sorted(set(body) - allowed)
        if extra:
            raise bad_request(f"Unknown keys {extra}; send {sorted(allowed)}")
        return body


class DocumentsHandler(DocumentHandlerBase):
    """``GET documents[?kind=]``: the caller's own and shared documents;
    ``POST documents {"kind", "title"?, "content"?}``: a new one, empty or imported (201)."""

    def body_limit(self) -> int:
        return MAX_IMPORT_BYTES if self.request.method == "POST" else MAX_META_BYTES

    @web.authenticated
    @authorized
    async def get(self) -> None:
        kind = self.get_argument("kind", None) or None
        self.write_json({"documents": await self.run(self.documents.list, self.principal, kind)})

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.body_fields(_CREATE_KEYS)
        doc = await self.run(
            self.documents.create, self.principal, body.get("kind"), body.get("title"), body.get("content")
        )
        self.write_json(doc, status=201)


class DocumentHandler(DocumentHandlerBase):
    """One document: read (readers), rename ``{"title"}`` (editors), delete (owner, admins)."""

    @web.authenticated
    @authorized
    async def get(self, document_id: str) -> None:
        self.write_json(await self.run(self.documents.get, self.principal, document_id))

    @web.authenticated
    @authorized
    async def patch(self, document_id: str) -> None:
        body = self.body_fields(frozenset({"title"}))
        if not isinstance(body.get("title"), str):
            raise bad_request('Send {"title": "new title"}')
        self.write_json(await self.run(self.documents.rename, self.principal, document_id, body["title"]))

    @web.authenticated
    @authorized
    async def delete(self, document_id: str) -> None:
        await self.run(self.documents.delete, self.principal, document_id)
        self.write_no_content()


class ContentHandler(DocumentHandlerBase):
    """``GET content[?version=N][&download=1]``: the .lgdash / .lgchart JSON, now or of a version;
    with ``download`` as an attachment named after the title."""

    @web.authenticated
    @authorized
    async def get(self, document_id: str) -> None:
        version = self.int_arg("version")
        download = self.get_argument("download", "0")
        if download not in ("0", "1", "true", "false"):
            raise bad_request("download is 1 or 0", "Bad argument")
        if download in ("0", "false"):
            content = await self.run(self.documents.content, self.principal, document_id, version)
            await self.record_view(document_id, "content")
            self.write_json(content)
            return
        name, text = await self.run(self.documents.canonical, self.principal, document_id, version)
        await self.record_view(document_id, "download")
        self.set_header("Content-Disposition", f"attachment; filename*=UTF-8''{quote(name, safe='')}")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.finish_typed(text.encode(), "application/json")


class VersionsHandler(DocumentHandlerBase):
    """``GET versions``: ``{"versions": [{number, created, authors}]}``, newest first."""

    @web.authenticated
    @authorized
    async def get(self, document_id: str) -> None:
        self.write_json({"versions": await self.run(self.documents.versions, self.principal, document_id)})


class RestoreHandler(DocumentHandlerBase):
    """``POST versions/{n}/restore``: make the document hold that version's content again (editors)."""

    @web.authenticated
    @authorized
    async def post(self, document_id: str, number: str) -> None:
        self.body_fields(frozenset())
        await self.run(self.documents.restore, self.principal, document_id, int(number))
        self.write_json(await self.run(self.documents.get, self.principal, document_id))


class SharesHandler(DocumentHandlerBase):
    """``GET shares``: who the document is shared with (readers);
    ``PUT shares {"kind", "name", "role"}``: share it, or change the role (owner, admins)."""

    @web.authenticated
    @authorized
    async def get(self, document_id: str) -> None:
        self.write_json({"shares": await self.run(self.documents.shares, self.principal, document_id)})

    @web.authenticated
    @authorized
    async def put(self, document_id: str) -> None:
        body = self.body_fields(frozenset({"kind", "name", "role"}))
        kind, name, role = self.guarded.check_share(
            body.get("kind"), body.get("name"), body.get("role", "viewer")
        )
        await self.run(self.documents.require, self.principal, document_id, "manage")
        await check_on_hub(self, kind, name)
        self.write_json(await self.run(self.documents.share, self.principal, document_id, kind, name, role))


class ShareHandler(DocumentHandlerBase):
    """``DELETE shares/{user|group}/{name}``: stop sharing (owner, admins; a user their own share)."""

    @web.authenticated
    @authorized
    async def delete(self, document_id: str, kind: str, name: str) -> None:
        await self.run(self.documents.unshare, self.principal, document_id, kind, name)
        self.write_no_content()


def host_rooms(host: Host) -> Rooms:
    """The rooms of the host's process (made at first use over ``guarded.documents``)."""
    rooms = getattr(host, "rooms", None)
    if rooms is None:
        rooms = host.make_rooms(host.guarded.documents)
        rooms.follow_comments(host.guarded.comments)
        host.rooms = rooms  # type: ignore[attr-defined]
    return rooms


class _Socket:
    """The handler as a room's ``Transport``."""

    def __init__(self, handler: WebSocketHandler):
        self.handler = handler

    async def send(self, message: bytes) -> None:
        await self.handler.write_message(message, binary=True)

    def close(self, code: int, reason: str) -> None:
        self.handler.close(code, reason)


class DocumentRoomHandler(WebSocketHandler, LiveGraphsHandler):
    """``GET documents/{id}/room``: the document's Yjs room, as the caller's level allows.

    Refused before the upgrade: anonymous callers and those the Authorizer refuses (403), a
    document the caller may not read (404), a full room (429). The Origin is checked as
    jupyter-server checks it for its WebSockets: a cookie caller's page must be of the server's
    own origin (or one ``allow_origin`` names); token callers carry no cookie to abuse.
    """

    _conn: Connection | None = None
    _doc: dict[str, Any] | None = None

    @property
    def rooms(self) -> Rooms:
        return host_rooms(self.host)

    @property
    def max_message_size(self) -> int:
        return int(self.host.room_max_message_bytes)

    @property
    def ping_interval(self) -> float | None:
        # a client that vanished without closing is found out, and its presence removed
        return float(self.settings.get("websocket_ping_interval", 30))

    def set_default_headers(self) -> None:
        pass  # no page headers on a WebSocket upgrade

    def check_origin(self, origin_to_satisfy_tornado: str = "") -> bool:
        if self.host.identity is None:
            return JupyterHandler.check_origin(self)
        if self.request.headers.get("Authorization", "").lower().startswith(TOKEN_HEADERS):
            return True
        return WebSocketHandler.check_origin(self, origin_to_satisfy_tornado)

    @web.authenticated  # 403 for anonymous callers (the API's login URL is a 403)
    @authorized
    async def get(self, document_id: str) -> None:  # type: ignore[override]
        principal = self.principal
        self._doc = await self.rooms.authorize(principal, document_id)
        if self.request.headers.get("Upgrade", "").lower() != "websocket":
            # in the API's error shape (tornado's own answer is plain text)
            raise HTTPError(426, "Connect with a WebSocket (Upgrade: websocket)", reason="Upgrade Required")
        self.rooms.check_capacity(document_id)
        self._principal = principal
        await self.run(
            self.guarded.documents.record_view, principal, document_id, self.host.document_view_every, "room"
        )
        await super().get(document_id)

    def open(self, document_id: str) -> None:
        assert self._doc is not None
        # each update is one small message: Nagle's algorithm would hold it back for the last one's ACK
        self.set_nodelay(True)
        self._conn = Connection(_Socket(self), self._principal, self._doc["access"])
        # held here: the room serves the connection until it closes
        self._serving = asyncio.ensure_future(self.rooms.serve(self._doc, self._conn))

    async def on_message(self, message: str | bytes) -> None:
        if self._conn is None:
            return
        if isinstance(message, str):
            self._conn.close(CLOSE_BAD_MESSAGE, "send binary messages")
            return
        await self._conn.receive(message)

    def on_close(self) -> None:
        if self._conn is not None:
            self._conn.closed()


#: (path under the API root, handler): the document routes, served by both hosts.
ROUTES: list[tuple[str, type]] = [
    (r"documents", DocumentsHandler),
    (rf"documents/{DOC_ID}", DocumentHandler),
    (rf"documents/{DOC_ID}/content", ContentHandler),
    (rf"documents/{DOC_ID}/versions", VersionsHandler),
    (rf"documents/{DOC_ID}/versions/(?P<number>[0-9]{{1,9}})/restore", RestoreHandler),
    (rf"documents/{DOC_ID}/shares", SharesHandler),
    (rf"documents/{DOC_ID}/shares/(?P<kind>user|group)/(?P<name>[^/]+)", ShareHandler),
    (rf"documents/{DOC_ID}/room", DocumentRoomHandler),
]
