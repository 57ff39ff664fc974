"""The reference for bench_rooms.py: plain pycrdt-websocket YRooms, with no store, in the same jupyter server.

Loaded as a second server extension (bench_rooms.py enables it in a ``jupyter_server_config.d`` file
and puts ``bench/`` on ``PYTHONPATH``). ``livegraphs-bench/rooms/<name>`` serves one in-memory YRoom per name
over a tornado WebSocket, authenticated like every jupyter-server route: what the library does on this
machine without writing each update to the catalog, checking access or repairing the document. Its
sockets send small frames at once (TCP_NODELAY); ``livegraphs-bench/nagle-rooms/<name>`` is the same
with tornado's default (Nagle's algorithm on), which shows what that default costs.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from pycrdt.websocket import YRoom
from tornado import web
from tornado.websocket import WebSocketClosedError, WebSocketHandler


class _Channel:
    """A server-side tornado WebSocket as the pycrdt ``Channel`` that ``YRoom.serve`` iterates."""

    def __init__(self, handler: PlainRoomHandler, path: str):
        self._handler = handler
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.path = path

    def __aiter__(self) -> _Channel:
        return self

    async def __anext__(self) -> bytes:
        message = await self._queue.get()
        if message is None:
            raise StopAsyncIteration
        return message

    async def recv(self) -> bytes:
        return await self.__anext__()

    async def send(self, message: bytes) -> None:
        with contextlib.suppress(WebSocketClosedError):
            await self._handler.write_message(message, binary=True)


class PlainRoomHandler(JupyterHandler, WebSocketHandler):
    auth_resource = "livegraphs"

    def initialize(self, rooms: dict[str, YRoom], nodelay: bool) -> None:
        self._rooms = rooms
        self._nodelay = nodelay
        self._channel: _Channel | None = None
        self._serving: asyncio.Task[None] | None = None

    @web.authenticated
    async def get(self, *args: Any, **kwargs: Any) -> None:
        await super().get(*args, **kwargs)

    async def open(self, name: str) -> None:
        room = self._rooms.get(name)
        if room is None:
            room = self._rooms[name] = YRoom(ready=True)
            await room.__aenter__()
        if self._nodelay:
            self.set_nodelay(True)  # small frames go out at once (tornado leaves Nagle on by default)
        self._channel = _Channel(self, name)
        self._serving = asyncio.create_task(room.serve(self._channel))

    def on_message(self, message: str | bytes) -> None:
        if self._channel is not None and isinstance(message, bytes):
            self._channel._queue.put_nowait(message)

    def on_close(self) -> None:
        if self._channel is not None:
            self._channel._queue.put_nowait(None)


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "plain_rooms"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    base = serverapp.web_app.settings["base_url"]
    handlers = [
        (url_path_join(base, "livegraphs-bench/rooms/([a-z0-9]+)"), {"rooms": {}, "nodelay": True}),
        (url_path_join(base, "livegraphs-bench/nagle-rooms/([a-z0-9]+)"), {"rooms": {}, "nodelay": False}),
    ]
    serverapp.web_app.add_handlers(".*$", [(route, PlainRoomHandler, kw) for route, kw in handlers])
