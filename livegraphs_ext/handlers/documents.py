"""Shared documents: the Yjs room of each document, served by both hosts.

``GET documents/{id}/room`` upgrades to a WebSocket carrying y-websocket's messages; the room
itself (storing before broadcasting, levels, awareness, repair) is
:mod:`livegraphs_ext.documents.rooms`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import JupyterHandler
from tornado import web
from tornado.websocket import WebSocketHandler

from ..documents.rooms import CLOSE_BAD_MESSAGE, Connection, Rooms
from ..rest import Host
from .base import LiveGraphsHandler

DOC_ID = r"(?P<document_id>[0-9a-f]{32})"
#: largest WebSocket message a room accepts (a bigger one closes the connection with 1009)
MAX_MESSAGE_BYTES = 8 << 20
#: the Authorization header of a token caller (a script, a kernel, a user's server on a hub)
TOKEN_HEADERS = ("token ", "bearer ")


def host_rooms(host: Host) -> Rooms:
    """The rooms of the host's process (made at first use over ``guarded.documents``)."""
    rooms = getattr(host, "rooms", None)
    if rooms is None:
        rooms = Rooms(host.guarded.documents)
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
        return int(self.settings.get("livegraphs_room_max_message_bytes", MAX_MESSAGE_BYTES))

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
        self.rooms.check_capacity(document_id)
        self._principal = principal
        await super().get(document_id)

    def open(self, document_id: str) -> None:
        assert self._doc is not None
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
    (rf"documents/{DOC_ID}/room", DocumentRoomHandler),
]
