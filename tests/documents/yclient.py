"""The y-websocket client of a document room for every test and bench: pycrdt sync messages over `websockets`.

The client keeps its own replica (a :class:`YDashboard` over a pycrdt ``Doc``) and presence (``awareness``),
sends its local edits as SYNC_UPDATE messages, and records every update the server sent it (the SYNC_STEP2
answer and each SYNC_UPDATE), with its arrival time, the auth messages and the close code. The server
broadcasts an update only once it is durable, so what a client received is what the server acknowledged.
It may connect again after a close (its unacknowledged edits are synced again), and :func:`missing_from`
checks a stored state for lost edits.
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
from websockets.exceptions import InvalidStatus

from livegraphs_ext.documents.dashboard import YDashboard

#: y-websocket's auth message type (``messageAuth``); its only sub type 0 is "permission denied".
MESSAGE_AUTH = 2
_EMPTY_UPDATE = b"\x00\x00"


class Refused(Exception):
    """The room answered the WebSocket upgrade with an HTTP error (``code``, ``body``)."""

    def __init__(self, code: int, body: bytes):
        super().__init__(f"refused with {code}: {body[:200]!r}")
        self.code = code
        self.body = body


async def until(check: Callable[[], Any], timeout: float = 15.0, what: str = "the condition") -> None:
    """Wait for ``check()`` to hold; fail the test after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


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


class _NoUndo:
    """An undo manager that tracks nothing."""

    def expand_scope(self, scope: Any) -> None:
        pass


class Replica(YDashboard):
    """A client's replica of a dashboard, without the undo manager of yrs.

    A y-websocket client in a browser keeps its undo stack in Yjs, not here, and the room serves
    plain documents (no undo manager either). The undo manager of yrs 0.28 (pycrdt 0.14.13) panics
    now and then in ``handle_after_transaction`` when a remote update deletes what a local edit
    made, which would end a test client's connection for a reason of its own.
    """

    @property
    def undo_manager(self) -> Any:
        return _NoUndo()


class RoomClient:
    """One connection to a room; use as ``async with RoomClient(url, token) as client``.

    ``token`` (sent as ``Authorization: token …``) or ``headers`` say who connects; a refused upgrade
    raises :class:`Refused`.
    """

    def __init__(
        self, url: str, token: str | None = None, name: str = "client", headers: dict[str, str] | None = None
    ):
        self.url = url
        self.token = token
        self.name = name
        self.headers = {"Authorization": f"token {token}"} if token else {}
        self.headers.update(headers or {})
        self.dashboard = Replica()
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
        self._tasks: list[asyncio.Task[Any]] = []
        self._subscription = self.doc.observe(self._on_transaction)

    @classmethod
    async def join(
        cls, url: str, headers: dict[str, str] | None = None, name: str = "client", synced: bool = False
    ) -> RoomClient:
        """A client connected with ``headers`` (and synced with the room when ``synced``)."""
        client = cls(url, None, name, headers)
        await client.connect()
        if synced:
            await client.wait_synced(30)
        return client

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
        try:
            self._ws = await websockets.connect(
                self.url,
                additional_headers=self.headers,
                max_size=None,
                compression=None,
                open_timeout=timeout,
            )
        except InvalidStatus as e:
            raise Refused(e.response.status_code, e.response.body or b"") from None
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
        sent = asyncio.ensure_future(self._outbox.join())
        closed = asyncio.ensure_future(self.closed.wait())
        done, _ = await asyncio.wait({sent, closed}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        sent.cancel()
        closed.cancel()
        assert done, f"{self.name}: outbox not drained"

    async def edit(self, change: Callable[[Doc], Any]) -> None:
        """Make ``change`` on the replica and wait until its updates are sent."""
        change(self.doc)
        await self.drain()

    async def send(self, message: bytes) -> None:
        """Send a raw message (after the edits waiting to go) and wait until it is sent."""
        self._outbox.put_nowait(message)
        await self.drain()

    async def announce(self, state: dict[str, Any]) -> None:
        """Set this client's presence and wait until it is sent."""
        self.set_awareness(state)
        await self.drain()

    def others(self) -> dict[int, dict[str, Any]]:
        """The presence states of the other clients this one knows of."""
        return {c: s for c, s in self.awareness.states.items() if c != self.awareness.client_id and s}

    def set_awareness(self, state: dict[str, Any]) -> None:
        """Announce this client's presence state to the room."""
        self.awareness.set_local_state(state)
        update = self.awareness.encode_awareness_update([self.awareness.client_id])
        self._outbox.put_nowait(create_awareness_message(update))

    def to_dict(self) -> dict[str, Any]:
        return self.dashboard.to_dict()

    def _on_transaction(self, event: TransactionEvent) -> None:
        if event.update == _EMPTY_UPDATE:
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
            # Remote updates are not observed: only local edits are sent. (Observed, pycrdt 0.14.13
            # encodes each one's update again; yrs 0.28 has panicked and crashed doing so here.)
            self.doc.unobserve(self._subscription)
            try:
                reply = handle_sync_message(message[1:], self.doc)
            finally:
                self._subscription = self.doc.observe(self._on_transaction)
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
