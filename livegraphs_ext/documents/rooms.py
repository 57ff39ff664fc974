"""The Yjs rooms of shared documents: one pycrdt-websocket ``YRoom`` per open document.

Both hosts serve ``documents/{id}/room`` (``handlers/documents.py``) over one :class:`Rooms` of
the process; this module imports neither tornado nor jupyter_server. Messages use y-websocket's
framing. The rules a room keeps:

- **Stored before broadcast.** Every ``SYNC_STEP2``/``SYNC_UPDATE`` payload of a writer (owner,
  editor, admin) is appended to the store (``documents.append``, in a worker thread) before the
  :class:`Connection` hands the message to the ``YRoom``, which applies and broadcasts it. The
  ``YRoom`` has no ystore (it would write after broadcasting). A payload that does not decode
  closes the connection (4400) and is never stored.
- **Viewers** get the document and awareness; their updates are dropped and answered with
  y-websocket's auth message ``permission-denied`` (:data:`PERMISSION_DENIED`).
- **Awareness.** A newcomer gets everyone's current state at once; a closed connection's
  awareness clients are removed and the removal broadcast, unless a newer connection of the same
  user announced them since (a reconnect). A message naming a client id another user's connection
  announced is dropped (nobody speaks for, or removes, someone else's presence).
- **Repair.** After updates and at load, a dashboard is checked (layout integers in the grid,
  no two charts overlapping: the later one by y, then id, moves down below). A fix is made on a
  copy, appended to the store, then applied to the room, so everyone receives it as an update.
- **Access changes** (``documents.on_access_change``) close the connections whose level
  changed: 4404 when they lost all access, 4403 otherwise; the client reconnects with its level.
- **Compaction.** When the last client leaves, and every ``compact_every`` stored updates, the
  state becomes a version (``documents.snapshot``) and the updates it holds are deleted.
- **Title.** A dashboard's catalog title follows ``meta.title`` (renamed as the last writer).
- **Comments** live in the catalog, not in the document. When they change
  (:meth:`Rooms.follow_comments`), the room bumps the ``comments_version`` field of the server's
  own awareness state, which y-websocket clients receive like anyone's presence; they re-fetch.

Use (the WebSocket handler does this)::

    rooms = Rooms(guarded.documents)              # once per process; await rooms.close() at exit
    doc = await rooms.authorize(principal, doc_id)  # raises NotFound (404) like the REST API
    rooms.check_capacity(doc_id)                  # raises RoomFull (429) before the upgrade
    conn = Connection(transport, principal, doc["access"])
    await rooms.serve(doc, conn)                  # returns when the connection is closed
    # from the transport: await conn.receive(message) per binary message, conn.closed() at the end

``transport`` is a :class:`Transport` (``send`` a binary message, ``close(code, reason)``).
Updates the store appends itself (a restore, a rename) reach open rooms through
``documents.on_update`` (:meth:`Rooms.external_update`). ``rooms.rooms`` maps a document id to its
open :class:`Room` (``room.ydoc`` is the server's copy); ``await rooms.drop(doc_id)`` closes a room's
connections and returns once its version is saved. ``max_clients`` (100), ``compact_every`` (500)
and ``rename_delay`` (0.5 s) are attributes. Close codes: 4400 bad message, 4403 level changed,
4404 no access or deleted, 4429 room full, 4500 the stored state does not load, 1011 an update
could not be stored (the client resends it when it reconnects).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

from pycrdt import (
    Channel,
    Decoder,
    Doc,
    Encoder,
    Map,
    YMessageType,
    YSyncMessageType,
    create_awareness_message,
    get_state,
    read_message,
)
from pycrdt.websocket import YRoom

from ..store import NotFound, Principal, StoreError
from ..store.documents import Refs, dataset_refs
from .dashboard import GRID_COLUMNS

T = TypeVar("T")
log = logging.getLogger("livegraphs.rooms")

#: y-websocket's message type of auth messages (y-protocols/auth.js).
AUTH = 2


def _permission_denied(reason: str) -> bytes:
    # Encoder.write_var_string counts characters: keep the reason ASCII
    encoder = Encoder()
    encoder.write_var_uint(AUTH)
    encoder.write_var_uint(0)
    encoder.write_var_string(reason)
    return encoder.to_bytes()


#: The auth message that tells a y-websocket client its update was refused (type 2, 0, reason).
PERMISSION_DENIED = _permission_denied("permission-denied: viewers may not change this document")
#: The empty v1 update: what a client's sync step 2 holds when it has nothing new.
EMPTY_UPDATE = b"\x00\x00"
#: Close codes of the room (the 4000s are application codes).
CLOSE_BAD_MESSAGE = 4400
CLOSE_FORBIDDEN = 4403
CLOSE_GONE = 4404
CLOSE_FULL = 4429
CLOSE_LOAD_FAILED = 4500
CLOSE_STORE_FAILED = 1011

#: broadcast updates held for a client that has not asked for the room's state yet, at most
HELD_UPDATES = 1000
_SYNC_STEP2 = bytes([YMessageType.SYNC, YSyncMessageType.SYNC_STEP2])
_SYNC_UPDATE = bytes([YMessageType.SYNC, YSyncMessageType.SYNC_UPDATE])
WRITE_LEVELS = frozenset({"owner", "editor", "admin"})


class RoomFull(StoreError):
    """A room holds its most connections already."""

    status = 429


class RoomLoadError(Exception):
    """A document's stored state could not be loaded; its room refuses every connection."""


class DocumentBackend(Protocol):
    """What the rooms need of the document store (``guarded.documents``)."""

    def get(self, p: Principal, doc_id: str) -> dict[str, Any]: ...
    def access(self, p: Principal, doc_id: str) -> str: ...
    def load(self, doc_id: str) -> bytes: ...
    def append(
        self, doc_id: str, update: bytes, author: str, refs: tuple[Refs, Refs] | None = None
    ) -> int: ...
    def snapshot(self, doc_id: str, state: bytes, upto_seq: int, authors: Any) -> int: ...
    def rename(self, p: Principal, doc_id: str, title: str) -> dict[str, Any]: ...
    def on_access_change(self, callback: Callable[[str], None]) -> Callable[[], None]: ...
    def on_update(self, callback: Callable[[str, bytes], None]) -> Callable[[], None]: ...


class Transport(Protocol):
    """One client's socket, as the host gives it to a :class:`Connection`."""

    async def send(self, message: bytes) -> None:
        """Send a binary message (raises when the socket is closed)."""

    def close(self, code: int, reason: str) -> None:
        """Close the socket with ``code``."""


# -- repair -----------------------------------------------------------------------------------


def _int(value: Any, default: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return default
    return round(value)


def repaired_layouts(layouts: dict[str, Any]) -> dict[str, dict[str, int]]:
    """The layouts (chart id -> ``{x, y, w, h}``) made valid; only those that change are returned.

    Each is first put in the grid (integers, 0 <= x, 0 <= y, 1 <= w <= 12, x + w <= 12, h >= 1:
    a chart too far right moves left, keeping its width). Then, in order of y then id, a chart
    that overlaps one placed before it moves down below it.
    """
    fixed: dict[str, dict[str, int]] = {}
    for cid, raw in layouts.items():
        raw = raw if isinstance(raw, dict) else {}
        w = min(max(_int(raw.get("w"), 6), 1), GRID_COLUMNS)
        x = min(max(_int(raw.get("x"), 0), 0), GRID_COLUMNS - w)
        fixed[cid] = {
            "x": x,
            "y": max(_int(raw.get("y"), 0), 0),
            "w": w,
            "h": max(_int(raw.get("h"), 4), 1),
        }
    placed: list[dict[str, int]] = []
    for cid in sorted(fixed, key=lambda c: (fixed[c]["y"], c)):
        box = fixed[cid]
        while True:
            below = [
                p["y"] + p["h"]
                for p in placed
                if box["x"] < p["x"] + p["w"]
                and p["x"] < box["x"] + box["w"]
                and box["y"] < p["y"] + p["h"]
                and p["y"] < box["y"] + box["h"]
            ]
            if not below:
                break
            box["y"] = max(below)
        placed.append(box)
    return {
        cid: box
        for cid, box in fixed.items()
        if not isinstance(layouts[cid], dict)
        or any(layouts[cid].get(k) != v or type(layouts[cid].get(k)) is bool for k, v in box.items())
        or set(layouts[cid]) - set(box)
    }


def _charts(ydoc: Doc) -> Map:
    # the root map YDashboard names ycharts (no YDashboard here: it would add an undo manager)
    return ydoc.get("charts", type=Map)


def _layouts(ydoc: Doc) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for cid, ychart in _charts(ydoc).items():
        if not isinstance(ychart, Map):
            continue
        layout = ychart.get("layout")
        if layout is None:
            continue  # a chart half-written by a client; its next update completes it
        out[cid] = layout.to_py() if isinstance(layout, Map) else layout
    return out


def dashboard_fix(ydoc: Doc) -> bytes | None:
    """The update that repairs a dashboard's layouts, made on a copy of ``ydoc``; None if valid."""
    if not repaired_layouts(_layouts(ydoc)):
        return None
    copy: Doc[Any] = Doc()  # a client id of its own: the fix is an edit like any other
    copy.apply_update(ydoc.get_update())
    charts = _charts(copy)
    before = copy.get_state()
    with copy.transaction():
        for cid, box in repaired_layouts(_layouts(copy)).items():
            ychart = charts[cid]
            layout = ychart.get("layout")
            # Yjs numbers are doubles (pycrdt writes Python ints as BigInts)
            values = {k: float(v) for k, v in box.items()}
            if isinstance(layout, Map):
                for key in [k for k in list(layout.keys()) if k not in box]:
                    del layout[key]
                for key, value in values.items():
                    if layout.get(key) != value or isinstance(layout.get(key), bool):
                        layout[key] = value
            else:
                ychart["layout"] = Map(values)
    return copy.get_update(before)


def awareness_clients(payload: bytes) -> dict[int, tuple[int, bool]]:
    """Client ids of an awareness update (``payload``: the message after its type byte) -> (clock, alive).

    Raises ValueError when it does not decode.
    """
    try:
        decoder = Decoder(read_message(payload))
        out: dict[int, tuple[int, bool]] = {}
        for _ in range(decoder.read_var_uint()):
            client = decoder.read_var_uint()
            clock = decoder.read_var_uint()
            out[client] = (clock, decoder.read_var_string() not in ("", "null"))
        return out
    except Exception as e:
        raise ValueError(f"not an awareness update: {e}") from None


# -- connections ------------------------------------------------------------------------------


class Connection(Channel):
    """One client of a room: the ``Channel`` that ``YRoom.serve`` iterates, enforcing its level.

    The host feeds it with :meth:`receive` and :meth:`closed`; ``receive`` waits while the
    inbox is full, so a client that sends faster than the room stores is slowed down.
    """

    def __init__(self, transport: Transport, principal: Principal, level: str, inbox: int = 64):
        self.transport = transport
        self.principal = principal
        self.level = level
        self.room: Room | None = None
        #: awareness client ids this connection announced (and that are still alive)
        self.awareness_ids: set[int] = set()
        self._inbox: asyncio.Queue[bytes | None] = asyncio.Queue(inbox)
        self._done = False
        self._greeted = False
        self._ending: asyncio.Future[None] | None = None
        #: broadcast updates held until the client has the room's state (None: sent as they come)
        self._held: list[bytes] | None = []

    @property
    def can_write(self) -> bool:
        return self.level in WRITE_LEVELS

    @property
    def path(self) -> str:
        return self.room.doc_id if self.room else ""

    async def receive(self, message: bytes) -> None:
        if not self._done:
            await self._inbox.put(message)

    def closed(self) -> None:
        """The socket closed: the room's loop ends after the messages already received."""
        if self._done:
            return
        self._done = True
        try:
            self._inbox.put_nowait(None)
        except asyncio.QueueFull:
            # the room is busy storing this client's updates: the end waits its turn
            self._ending = asyncio.ensure_future(self._inbox.put(None))

    def close(self, code: int, reason: str) -> None:
        """Close the socket from the server's side."""
        self.transport.close(code, reason)
        self.closed()

    async def send(self, message: bytes) -> None:
        # YRoom sends from its task group: an error here would stop the whole room
        if self._done:
            return
        if self._held is not None and message[:2] == _SYNC_UPDATE:
            # Until the client has the room's state (sync step 2), an update may delete or follow
            # what it does not hold yet; it waits, and follows the state in order. (Yjs clients
            # keep such updates pending; yrs 0.28 has crashed on their deletions.)
            if len(self._held) >= HELD_UPDATES:
                self.close(CLOSE_BAD_MESSAGE, "no sync step 1 from the client")
                return
            self._held.append(message)
            return
        try:
            await self.transport.send(message)
            if message[:2] == _SYNC_STEP2 and self._held is not None:
                while self._held:  # those held meanwhile too, in order
                    await self.transport.send(self._held.pop(0))
                self._held = None
        except Exception as e:
            log.debug("livegraphs: a room client is gone: %s", e)

    def __aiter__(self) -> Connection:
        return self

    async def recv(self) -> bytes:
        return await self.__anext__()

    async def __anext__(self) -> bytes:
        room = self.room
        assert room is not None
        if not self._greeted:
            # YRoom has sent sync step 1; now everyone already here, so the newcomer sees them at once
            self._greeted = True
            await room.send_awareness_to(self)
        while True:
            message = await self._inbox.get()
            if message is None:
                raise StopAsyncIteration
            try:
                if await self._admit(room, message):
                    return message
            except ValueError as e:
                log.info(
                    "livegraphs: room %s: refused a message of %s: %s", room.doc_id, self.principal.name, e
                )
                self.close(CLOSE_BAD_MESSAGE, "bad message")
                raise StopAsyncIteration from None
            except NotFound:
                self.close(CLOSE_GONE, "no such document")
                raise StopAsyncIteration from None
            except Exception as e:
                # not stored, so not broadcast: the client resends it when it reconnects
                log.warning("livegraphs: room %s: could not store an update: %s", room.doc_id, e)
                self.close(CLOSE_STORE_FAILED, "the update could not be stored")
                raise StopAsyncIteration from None

    async def _admit(self, room: Room, message: bytes) -> bool:
        """Whether the room gets ``message``; a writer's update is stored first."""
        if len(message) < 2:
            raise ValueError("too short")
        if message[0] == YMessageType.SYNC:
            kind = message[1]
            if kind == YSyncMessageType.SYNC_STEP1:
                read_message(message[2:])
                return True
            if kind not in (YSyncMessageType.SYNC_STEP2, YSyncMessageType.SYNC_UPDATE):
                raise ValueError(f"unknown sync message {kind}")
            update = read_message(message[2:])
            try:
                get_state(update)
            except ValueError:
                raise ValueError("the update does not decode") from None
            if update == EMPTY_UPDATE:
                return True  # a sync step 2 with nothing new (every client sends one)
            if not self.can_write:
                await self.send(PERMISSION_DENIED)
                return False
            await room.store(update, self)
            return True
        if message[0] == YMessageType.AWARENESS:
            clients = awareness_clients(message[1:])
            others = set().union(
                *(
                    c.awareness_ids
                    for c in room.connections
                    if c is not self and c.principal.name != self.principal.name
                )
            )
            if others.intersection(clients):
                return False  # one user may not speak for (or remove) another's presence
            for client, (clock, alive) in clients.items():
                announcer = room.announcers.get(client)
                if announcer not in (None, self) and clock <= room.clocks.get(client, -1):
                    # y-websocket clients pass on every state they receive: an echo (no newer
                    # clock) leaves who announced the client as it was
                    continue
                room.clocks[client] = clock
                if alive:
                    self.awareness_ids.add(client)
                    # the user's newest connection (a reconnect, with a newer state) takes over
                    room.announcers[client] = self
                else:
                    self.awareness_ids.discard(client)
                    if room.announcers.get(client) is self:
                        del room.announcers[client]
            return True
        return False  # auth or awareness queries: nothing a server answers


# -- rooms ------------------------------------------------------------------------------------


class Room:
    """One open document: its ``YRoom``, its connections and what is stored but not compacted."""

    def __init__(self, rooms: Rooms, doc: dict[str, Any], ydoc: Doc):
        self.rooms = rooms
        self.doc_id: str = doc["id"]
        self.kind: str = doc["kind"]
        self.owner: str = doc["owner"]
        self.title: str = doc.get("title", "")
        self.yroom = YRoom(ready=True, ydoc=ydoc, log=log, exception_handler=_log_exception)
        self.connections: set[Connection] = set()
        #: awareness client id -> the connection that announced it last, and the clock it gave
        self.announcers: dict[int, Connection] = {}
        self.clocks: dict[int, int] = {}
        #: stored updates not yet in a version, their authors, the newest seq in the doc
        self.pending = 0
        self.authors: set[str] = set()
        self.upto_seq = 0
        self._compacting = False
        self._last_writer: Principal | None = None
        self._dirty = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self._checking: asyncio.Task[None] | None = None
        self._rename: asyncio.TimerHandle | None = None
        self._subscription: Any = None
        self._runner: asyncio.Task[None] | None = None
        #: set once the room is closed (its version saved)
        self.closed = asyncio.Event()
        #: how often the document's comments changed while the room was open
        self.comments_version = 0
        self._instance = uuid.uuid4().hex[:8]

    @property
    def ydoc(self) -> Doc:
        return self.yroom.ydoc

    async def start(self) -> None:
        self._runner = asyncio.create_task(self.yroom.start())
        await self.yroom.started.wait()
        await self.yroom.ydoc_observed.wait()
        self._subscription = self.ydoc.observe(lambda _event: self.check_soon())

    async def stop(self) -> None:
        if self._subscription is not None:
            self.ydoc.unobserve(self._subscription)
            self._subscription = None
        with contextlib.suppress(RuntimeError):
            await self.yroom.stop()
        if self._runner is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def settle(self) -> None:
        """Wait for the repairs, compactions and renames under way."""
        if self._rename is not None:
            self._rename.cancel()
            self._rename = None
            await self._follow_title()
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- storing --------------------------------------------------------------------------------

    async def store(self, update: bytes, conn: Connection | None, author: str | None = None) -> None:
        """Append ``update`` to the store (durable when this returns)."""
        author = author if author is not None else conn.principal.name if conn else self.owner
        refs = None
        if conn is not None:
            # the datasets this update makes the document reference are lent by its writer only
            after: Doc[Any] = Doc()
            after.apply_update(self.ydoc.get_update())
            after.apply_update(update)
            refs = (dataset_refs(self.kind, self.ydoc), dataset_refs(self.kind, after))
        seq = await self.rooms.run(self.rooms.documents.append, self.doc_id, update, author, refs)
        self.upto_seq = max(self.upto_seq, seq)
        self.pending += 1
        self.authors.add(author)
        if conn is not None:
            self._last_writer = conn.principal
        if self.pending >= self.rooms.compact_every and not self._compacting:
            # after the update is applied (YRoom applies it as soon as this returns)
            self._compacting = True
            asyncio.get_running_loop().call_soon(self._spawn, self._compact_while_due())

    async def _compact_while_due(self) -> None:
        try:
            while self.pending >= self.rooms.compact_every:
                if not await self.compact():
                    return
        finally:
            self._compacting = False

    async def compact(self) -> bool:
        """Save the state as a version; the updates it holds are deleted. Whether a version was saved.

        Other updates may be in flight meanwhile: ``upto_seq`` is the newest seq the store returned,
        and the store appends a document's updates one at a time (its row is locked until commit),
        so every update up to it is committed. The doc may lack some of them (stored, not applied
        yet): the store folds them into the version, as it does those it appended itself.
        """
        if not self.pending:
            return False
        state, upto, authors = self.ydoc.get_update(), self.upto_seq, sorted(self.authors)
        pending = self.pending
        try:
            await self.rooms.run(self.rooms.documents.snapshot, self.doc_id, state, upto, authors)
        except NotFound:
            return False  # deleted meanwhile
        except Exception:
            log.exception("livegraphs: room %s: could not save a version", self.doc_id)
            return False
        self.pending -= pending
        self.authors -= set(authors) if not self.pending else set()
        return True

    # -- repair and title -----------------------------------------------------------------------

    def check_soon(self) -> None:
        """After an update: check the document (once for a burst of updates)."""
        self._dirty = True
        if self._checking is None or self._checking.done():
            self._checking = asyncio.get_running_loop().create_task(self._check())
            self._tasks.add(self._checking)
            self._checking.add_done_callback(self._tasks.discard)

    async def _check(self) -> None:
        while self._dirty:
            self._dirty = False
            try:
                await self.repair()
                self._watch_title()
            except Exception:
                log.exception("livegraphs: room %s: could not check the document", self.doc_id)

    async def repair(self, author: str | None = None) -> bool:
        """Store and apply the fix the document needs, if any; whether there was one."""
        if self.kind != "dashboard":
            return False
        fix = dashboard_fix(self.ydoc)
        if fix is None:
            return False
        writer = self._last_writer.name if self._last_writer else None
        await self.store(fix, None, author or writer or self.owner)
        self.ydoc.apply_update(fix)
        return True

    def _watch_title(self) -> None:
        if self.kind != "dashboard" or self._last_writer is None:
            return
        title = self.ydoc.get("meta", type=Map).get("title")
        if isinstance(title, str) and title.strip() and title != self.title:
            if self._rename is not None:
                self._rename.cancel()
            # typing a title renames once it rests, not at every keystroke
            self._rename = asyncio.get_running_loop().call_later(
                self.rooms.rename_delay, lambda: self._spawn(self._follow_title())
            )

    async def _follow_title(self) -> None:
        self._rename = None
        title = self.ydoc.get("meta", type=Map).get("title")
        writer = self._last_writer
        if writer is None or not isinstance(title, str) or not title.strip() or title == self.title:
            return
        try:
            doc = await self.rooms.run(self.rooms.documents.rename, writer, self.doc_id, title)
            self.title = doc.get("title", title)
        except StoreError as e:
            self.title = title  # not again for this title
            log.info("livegraphs: room %s: the title %r was not taken: %s", self.doc_id, title, e)

    # -- awareness ------------------------------------------------------------------------------

    async def send_awareness_to(self, conn: Connection) -> None:
        awareness = self.yroom.awareness
        # the server's own state too, once it holds something (comments_version)
        ids = [c for c, state in awareness.states.items() if state]
        if ids:
            await conn.send(create_awareness_message(awareness.encode_awareness_update(ids)))

    async def forget_awareness(self, conn: Connection) -> None:
        """Remove what ``conn`` announced and tell the others (no 30 s ghost)."""
        awareness = self.yroom.awareness
        # not those a newer connection of the same client has announced since (a reconnect)
        mine = [c for c in conn.awareness_ids if self.announcers.get(c) is conn]
        for c in mine:
            del self.announcers[c]
            self.clocks.pop(c, None)
        gone = [c for c in mine if c in awareness.states]
        conn.awareness_ids.clear()
        if not gone:
            return
        awareness.remove_awareness_states(gone, "closed")
        message = create_awareness_message(awareness.encode_awareness_update(gone))
        await asyncio.gather(*(other.send(message) for other in list(self.connections)))

    def comments_changed(self) -> None:
        """Bump the server's awareness field ``comments_version``: clients re-fetch the comments.

        The value names this room too, so a client that reconnects to a reopened room (counting
        from 1 again) still sees a new value.
        """
        self.comments_version += 1
        value = f"{self._instance}-{self.comments_version}"
        self.yroom.awareness.set_local_state_field("comments_version", value)

    async def recheck_access(self) -> None:
        for conn in list(self.connections):
            try:
                level = await self.rooms.run(self.rooms.documents.access, conn.principal, self.doc_id)
            except NotFound:
                conn.close(CLOSE_GONE, "no access to this document")
                continue
            except Exception:
                log.exception("livegraphs: room %s: could not check access", self.doc_id)
                continue
            if level != conn.level:
                conn.close(CLOSE_FORBIDDEN, f"your access changed to {level}")


def _log_exception(exception: Exception, logger: logging.Logger) -> bool:
    logger.error("livegraphs: room error", exc_info=exception)
    return True


class Rooms:
    """The rooms of one process, keyed by document id (see the module docstring)."""

    def __init__(
        self,
        documents: DocumentBackend,
        *,
        max_clients: int = 100,
        compact_every: int = 500,
        rename_delay: float = 0.5,
        executor: Executor | None = None,
    ):
        self.documents = documents
        self.max_clients = max_clients
        self.compact_every = compact_every
        self.rename_delay = rename_delay
        self._own_executor = executor is None
        self.executor = executor or ThreadPoolExecutor(4, thread_name_prefix="livegraphs-rooms")
        self.rooms: dict[str, Room] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._unsubscribe = [
            documents.on_access_change(self._access_changed),
            documents.on_update(self._stored_elsewhere),
        ]

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.executor, functools.partial(fn, *args))

    def _lock(self, doc_id: str) -> asyncio.Lock:
        return self._locks.setdefault(doc_id, asyncio.Lock())

    async def authorize(self, p: Principal, doc_id: str) -> dict[str, Any]:
        """The document as ``p`` sees it (with ``access``); NotFound when ``p`` may not read it."""
        self._loop = asyncio.get_running_loop()
        return await self.run(self.documents.get, p, doc_id)

    def check_capacity(self, doc_id: str) -> None:
        room = self.rooms.get(doc_id)
        if room is not None and len(room.connections) >= self.max_clients:
            raise RoomFull(
                f"This document has {self.max_clients} connections already; try again later", "Room full"
            )

    async def open(self, doc: dict[str, Any]) -> Room:
        """The room of ``doc`` (loaded, checked and repaired when it was not open)."""
        doc_id = doc["id"]
        room = self.rooms.get(doc_id)
        if room is not None:
            return room
        async with self._lock(doc_id):
            room = self.rooms.get(doc_id)
            if room is not None:
                return room
            try:
                state = await self.run(self.documents.load, doc_id)
                ydoc: Doc[Any] = Doc()
                if state:
                    ydoc.apply_update(state)
            except NotFound:
                raise  # deleted since the caller was authorized
            except Exception as e:
                log.exception("livegraphs: document %s could not be loaded", doc_id)
                raise RoomLoadError(str(e)) from e
            room = Room(self, doc, ydoc)
            await room.repair(author=doc["owner"])
            await room.start()
            self.rooms[doc_id] = room
            return room

    async def serve(self, doc: dict[str, Any], conn: Connection) -> None:
        """Serve ``conn`` in ``doc``'s room until it closes; the last one out closes the room."""
        self._loop = asyncio.get_running_loop()
        try:
            self.check_capacity(doc["id"])
            room = await self.open(doc)
        except RoomFull:
            conn.close(CLOSE_FULL, "room full")
            return
        except NotFound:
            conn.close(CLOSE_GONE, "no such document")
            return
        except RoomLoadError:
            conn.close(CLOSE_LOAD_FAILED, "the document could not be loaded")
            return
        conn.room = room
        room.connections.add(conn)
        try:
            await room.yroom.serve(conn)
        finally:
            if not conn._done:  # the room stopped serving it (an error): close, so the client reconnects
                conn.close(CLOSE_STORE_FAILED, "the room ended")
            room.connections.discard(conn)
            await room.forget_awareness(conn)
            if not room.connections:
                await self._close_if_idle(room)

    async def _close_if_idle(self, room: Room) -> None:
        async with self._lock(room.doc_id):
            if room.connections or self.rooms.get(room.doc_id) is not room:
                return
            del self.rooms[room.doc_id]
            try:
                await room.settle()
                await room.compact()
                await room.stop()
            finally:
                room.closed.set()

    def external_update(self, doc_id: str, update: bytes) -> None:
        """Apply an update the store appended itself (a restore, a rename) to the open room, if any."""
        room = self.rooms.get(doc_id)
        if room is not None:
            room.ydoc.apply_update(update)

    def _soon(self, fn: Callable[..., None], *args: Any) -> None:
        # the store's listeners are called in the thread that made the change
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(fn, *args)

    def _access_changed(self, doc_id: str) -> None:
        self._soon(self._recheck, doc_id)

    def _stored_elsewhere(self, doc_id: str, update: bytes) -> None:
        self._soon(self.external_update, doc_id, update)

    def follow_comments(self, comments: Any) -> None:
        """Tell open rooms when their document's comments change (``comments.on_change``)."""
        self._unsubscribe.append(comments.on_change(self._comments_changed))

    def _comments_changed(self, doc_id: str) -> None:
        self._soon(self.comments_changed, doc_id)

    def comments_changed(self, doc_id: str) -> None:
        room = self.rooms.get(doc_id)
        if room is not None:
            room.comments_changed()

    def _recheck(self, doc_id: str) -> None:
        room = self.rooms.get(doc_id)
        if room is not None:
            room._spawn(room.recheck_access())

    def connections(self, doc_id: str) -> Iterable[Connection]:
        room = self.rooms.get(doc_id)
        return list(room.connections) if room else []

    async def drop(self, doc_id: str) -> None:
        """Close every connection of a room and wait until it is closed (compacted)."""
        room = self.rooms.get(doc_id)
        if room is None:
            return
        for conn in list(room.connections):
            conn.close(1001, "the room is closing")
        await room.closed.wait()

    async def close(self, timeout: float = 30) -> None:
        """Close every room (saving versions; each within ``timeout`` s), then the worker threads."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        for doc_id in list(self.rooms):
            try:
                await asyncio.wait_for(self.drop(doc_id), timeout)
            except asyncio.TimeoutError:
                log.warning("livegraphs: room %s did not close in %s s", doc_id, timeout)
        if self._own_executor and isinstance(self.executor, ThreadPoolExecutor):
            self.executor.shutdown(wait=False)
