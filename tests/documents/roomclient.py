"""A y-websocket client of a document room, for tests and benches: pycrdt sync messages over `websockets`.

The client keeps its own replica (a :class:`YDashboard` over a pycrdt ``Doc``), sends its local edits as
SYNC_UPDATE messages, and records every update the server sent it (the SYNC_STEP2 answer and each
SYNC_UPDATE), with its arrival time. The server broadcasts an update only once it is durable, so what a
client received is what the server acknowledged.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

import websockets
from pycrdt import (
    Awareness,
    Decoder,
    Doc,
    TransactionEvent,
    YMessageType,
    YSyncMessageType,
    create_awareness_message,
    create_sync_message,
    create_update_message,
    handle_sync_message,
    read_message,
)
from websockets.asyncio.client import ClientConnection

from livegraphs_ext.documents.dashboard import YDashboard

#: y-websocket's auth message type (``messageAuth``); its only sub type 0 is "permission denied".
MESSAGE_AUTH = 2
_EMPTY_UPDATE = b"\x00\x00"


def room_url(http_base: str, document_id: str) -> str:
    """The WebSocket URL of a document's room, from the server's ``…/livegraphs/api/`` URL."""
    return http_base.replace("http", "ws", 1) + f"documents/{document_id}/room"


def create_document(
    server: Any, kind: str, title: str, content: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Create a document through REST on a :class:`tests.servers.LiveServer`; its 201 body."""
    body: dict[str, Any] = {"kind": kind, "title": title}
    if content is not None:
        body["content"] = content
    r = server.session.post(server.api + "documents", json=body, timeout=60)
    assert r.status_code == 201, r.text
    return dict(r.json())


def stored_content(server: Any, document_id: str) -> dict[str, Any]:
    """The document as the store serves it (``GET documents/{id}/content``)."""
    r = server.session.get(server.api + f"documents/{document_id}/content", timeout=60)
    assert r.status_code == 200, r.text
    return dict(r.json())


def state_vector(state: bytes) -> dict[int, int]:
    """A Yjs state vector (``Doc.get_state()``) as client id -> clock."""
    decoder = Decoder(state)
    return {decoder.read_var_uint(): decoder.read_var_uint() for _ in range(decoder.read_var_uint())}


def missing_from(doc: Doc, streams: list[list[bytes]]) -> list[str]:
    """What ``doc`` lacks of the updates clients received, one list per client in the order received.

    Each client's updates, applied in order to an empty replica, give what that client had; ``doc`` must
    cover its state vector (every item) and applying it to a copy of ``doc`` must change nothing (every
    deletion). Empty when ``doc`` holds every update.
    """
    have = state_vector(doc.get_state())
    copy: Doc = Doc()
    copy.apply_update(doc.get_update())
    before = YDashboard(copy).to_dict()
    problems = []
    for i, updates in enumerate(streams):
        replica: Doc = Doc()
        for update in updates:
            replica.apply_update(update)
        for client, clock in state_vector(replica.get_state()).items():
            if have.get(client, 0) < clock:
                problems.append(
                    f"stream {i}: client {client} up to clock {clock}, have {have.get(client, 0)}"
                )
        copy.apply_update(replica.get_update())
    after = YDashboard(copy).to_dict()
    if after != before:
        problems.append(f"applying the updates changes the content: {before!r} -> {after!r}")
    if state_vector(copy.get_state()) != have:
        problems.append("applying the updates adds items")
    return problems


class RoomClient:
    """One connection to a room; use as ``async with RoomClient(url, token) as client``."""

    def __init__(self, url: str, token: str, name: str = "client"):
        self.url = url
        self.token = token
        self.name = name
        self.dashboard = YDashboard()
        self.doc: Doc = self.dashboard.ydoc
        self.awareness = Awareness(self.doc)
        #: Every update payload received from the server, in order, and when each arrived.
        self.received: list[bytes] = []
        self.received_at: list[float] = []
        #: Reasons of the permission-denied messages received.
        self.denied: list[str] = []
        self.sent = 0
        self.synced = asyncio.Event()
        self.closed = asyncio.Event()
        self.close_code: int | None = None
        #: Called after each remote update is applied (benches watch for their marker here).
        self.on_remote: Callable[[RoomClient], None] | None = None
        self._ws: ClientConnection | None = None
        self._outbox: asyncio.Queue[bytes] = asyncio.Queue()
        self._applying_remote = False
        self._tasks: list[asyncio.Task[Any]] = []
        self._subscription = self.doc.observe(self._on_transaction)

    async def __aenter__(self) -> RoomClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def connect(self, timeout: float = 20) -> None:
        """Open the WebSocket and start the sync (SYNC_STEP1 carrying this replica's state vector).

        A client may connect again after its connection closed: its replica, with any edit the server
        never acknowledged, syncs with the room again, as y-websocket's provider does on reconnect.
        """
        self.synced = asyncio.Event()
        self.closed = asyncio.Event()
        self.close_code = None
        self._ws = await websockets.connect(
            self.url,
            additional_headers={"Authorization": f"token {self.token}"},
            max_size=None,
            compression=None,
            open_timeout=timeout,
        )
        self._tasks = [asyncio.create_task(self._receive()), asyncio.create_task(self._send())]
        await self._outbox.put(create_sync_message(self.doc))
        if self.awareness.get_local_state():  # announced again, as the room forgot it at the close
            self.set_awareness(self.awareness.get_local_state() or {})

    async def wait_synced(self, timeout: float = 20) -> None:
        await asyncio.wait_for(self.synced.wait(), timeout)

    async def close(self) -> None:
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []

    async def drain(self, timeout: float = 20) -> None:
        """Wait until every local edit made so far has been written to the socket."""
        deadline = time.monotonic() + timeout
        while not self._outbox.empty() and not self.closed.is_set():
            assert time.monotonic() < deadline, f"{self.name}: outbox not drained"
            await asyncio.sleep(0.01)

    def set_awareness(self, state: dict[str, Any]) -> None:
        """Announce this client's presence state to the room."""
        self.awareness.set_local_state(state)
        update = self.awareness.encode_awareness_update([self.awareness.client_id])
        self._outbox.put_nowait(create_awareness_message(update))

    def to_dict(self) -> dict[str, Any]:
        return self.dashboard.to_dict()

    def _on_transaction(self, event: TransactionEvent) -> None:
        if self._applying_remote or event.update == _EMPTY_UPDATE:
            return
        self._outbox.put_nowait(create_update_message(event.update))

    async def _send(self) -> None:
        assert self._ws is not None
        while True:
            message = await self._outbox.get()
            try:
                await self._ws.send(message)
            except websockets.ConnectionClosed:
                return
            finally:
                self._outbox.task_done()
            if message[0] == YMessageType.SYNC and message[1] == YSyncMessageType.SYNC_UPDATE:
                self.sent += 1

    async def _receive(self) -> None:
        assert self._ws is not None
        try:
            async for message in self._ws:
                assert isinstance(message, bytes), f"{self.name}: a text frame from the room"
                self._handle(message)
        except websockets.ConnectionClosed:
            pass
        finally:
            self.close_code = self._ws.close_code
            self.closed.set()

    def _handle(self, message: bytes) -> None:
        kind = message[0]
        if kind == YMessageType.SYNC:
            sub = message[1]
            if sub in (YSyncMessageType.SYNC_STEP2, YSyncMessageType.SYNC_UPDATE):
                self.received.append(read_message(message[2:]))
                self.received_at.append(time.perf_counter())
            self._applying_remote = True
            try:
                reply = handle_sync_message(message[1:], self.doc)
            finally:
                self._applying_remote = False
            if reply is not None:
                self._outbox.put_nowait(reply)
            if sub == YSyncMessageType.SYNC_STEP2:
                self.synced.set()
            if sub != YSyncMessageType.SYNC_STEP1 and self.on_remote is not None:
                self.on_remote(self)
        elif kind == YMessageType.AWARENESS:
            own = self.awareness.client_id
            clock = self.awareness.meta.get(own, {}).get("clock")
            self.awareness.apply_awareness_update(read_message(message[1:]), "remote")
            if self.awareness.meta.get(own, {}).get("clock") != clock and self.awareness.get_local_state():
                # someone removed this client's presence while it is here: announced again, with the
                # clock pycrdt has bumped, as y-websocket's provider does
                update = self.awareness.encode_awareness_update([own])
                self._outbox.put_nowait(create_awareness_message(update))
        elif kind == MESSAGE_AUTH:
            decoder = Decoder(message[1:])
            if decoder.read_var_uint() == 0:
                self.denied.append(decoder.read_var_string())
