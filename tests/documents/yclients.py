"""A pycrdt client of a document room, speaking y-websocket's messages over a tornado WebSocket.

``YClient`` keeps a real ``pycrdt.Doc`` and ``Awareness`` in sync with a room, as a browser's
y-websocket provider does, and records what a test asks about: auth messages, the close code.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from pycrdt import (
    Awareness,
    Decoder,
    Doc,
    YMessageType,
    create_awareness_message,
    create_sync_message,
    create_update_message,
    handle_sync_message,
    read_message,
)
from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

AUTH = 2


async def until(check: Callable[[], bool], timeout: float = 15.0, what: str = "the condition") -> None:
    """Wait for ``check()`` to hold; fail the test after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


class YClient:
    """One connection to a room with its own document (``doc``) and presence (``awareness``)."""

    def __init__(self, ws: WebSocketClientConnection):
        self.ws = ws
        self.doc: Doc = Doc()
        self.awareness = Awareness(self.doc)
        self.denied: list[str] = []
        self.synced = asyncio.Event()
        self.closed = asyncio.Event()
        self._reader = asyncio.ensure_future(self._read())

    @classmethod
    async def connect(cls, url: str, headers: dict[str, str] | None = None) -> YClient:
        ws = await websocket_connect(HTTPRequest(url, headers=headers or {}))
        client = cls(ws)
        await client.send(create_sync_message(client.doc))
        return client

    @property
    def close_code(self) -> int | None:
        return self.ws.close_code

    async def send(self, message: bytes) -> None:
        await self.ws.write_message(message, binary=True)

    async def _read(self) -> None:
        try:
            while True:
                message = await self.ws.read_message()
                if message is None:
                    return
                assert isinstance(message, bytes)
                if message[0] == YMessageType.SYNC:
                    reply = handle_sync_message(message[1:], self.doc)
                    if reply is not None:
                        await self.send(reply)
                    if message[1] == 1:  # sync step 2: the room's state has arrived
                        self.synced.set()
                elif message[0] == YMessageType.AWARENESS:
                    self.awareness.apply_awareness_update(read_message(message[1:]), "remote")
                elif message[0] == AUTH:
                    decoder = Decoder(message[1:])
                    decoder.read_var_uint()
                    self.denied.append(decoder.read_var_string())
        finally:
            self.closed.set()

    async def edit(self, change: Callable[[Doc], Any]) -> bytes:
        """Make ``change`` on the local document and send it as one update; returns the update."""
        before = self.doc.get_state()
        change(self.doc)
        update = self.doc.get_update(before)
        await self.send(create_update_message(update))
        return update

    async def announce(self, state: dict[str, Any]) -> None:
        """Set this client's presence and send it."""
        self.awareness.set_local_state(state)
        await self.send(
            create_awareness_message(self.awareness.encode_awareness_update([self.awareness.client_id]))
        )

    def others(self) -> dict[int, dict[str, Any]]:
        """The presence states of the other clients this one knows of."""
        return {c: s for c, s in self.awareness.states.items() if c != self.awareness.client_id and s}

    async def close(self) -> None:
        self.ws.close()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.closed.wait(), 10)
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._reader
