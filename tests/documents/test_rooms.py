"""Document rooms: real pycrdt clients over real WebSockets to the room handler, over a real store.

The server is the shared API handlers in a tornado application over a ``GuardedStore`` (SQLite,
and PostgreSQL for durability), with an identity that names each caller by their token, so that
several users (owner, editor, viewer) meet in one room. The laptop host is tested in
``tests/handlers/test_rooms_api.py``, the hub service in ``tests/hub``.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import websockets
from jupyter_server.auth import Authorizer
from pycrdt import (
    Awareness,
    Doc,
    Map,
    YMessageType,
    YSyncMessageType,
    create_awareness_message,
    create_sync_message,
    create_update_message,
    read_message,
)
from sqlalchemy import select
from tornado import web
from tornado.httpserver import HTTPServer
from tornado.web import HTTPError, RequestHandler

from livegraphs_ext.documents import rooms
from livegraphs_ext.documents.dashboard import YDashboard, validate_dashboard
from livegraphs_ext.documents.rooms import Rooms, repaired_layouts
from livegraphs_ext.handlers import API_ROUTES
from livegraphs_ext.handlers.base import HOST_SETTING
from livegraphs_ext.handlers.documents import host_rooms
from livegraphs_ext.store import DatasetStore, GuardedStore, NotFound, Principal, StoreConfig
from livegraphs_ext.store.accounts import Accounts
from livegraphs_ext.store.charts import ChartEngine

from ..hub.test_hub_acl import upload
from ..servers import free_port
from .yclient import Refused, RoomClient, until

SPEC = {"version": 1, "dataset": {"name": "sales"}, "mark": "bar", "encoding": {}}
DASHBOARD: dict[str, Any] = {
    "version": 1,
    "title": "Sales",
    "crossfilter": True,
    "filters": [],
    "charts": {
        "c1": {"spec": SPEC, "layout": {"x": 0, "y": 0, "w": 6, "h": 4}},
        "c2": {"spec": SPEC, "layout": {"x": 6, "y": 0, "w": 6, "h": 4}},
    },
}
ADA, BO, CY = Principal("ada"), Principal("bo"), Principal("cy")


class TokenIdentity:
    """``Authorization: token <name>`` names the caller ``<name>`` (a test host's identity)."""

    async def prepare(self, handler: RequestHandler) -> None:
        header = handler.request.headers.get("Authorization", "")
        handler._lg_user = {"name": header[6:]} if header.startswith("token ") else None  # type: ignore[attr-defined]

    def current_user(self, handler: RequestHandler) -> Any:
        return getattr(handler, "_lg_user", None)

    def login_url(self, handler: RequestHandler) -> str:
        raise HTTPError(403)

    def check_xsrf_cookie(self, handler: RequestHandler) -> None:
        pass

    def xsrf_token(self, handler: RequestHandler) -> bytes:
        return b""

    def xsrf_token_id(self, handler: RequestHandler) -> str:
        return ""


class AllowUsers(Authorizer):
    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        return bool(user)


class Host:
    """The parts of a host the room handler uses."""

    def __init__(self, guarded: GuardedStore):
        self.guarded = guarded
        self.identity = TokenIdentity()
        self.light_pool = self.heavy_pool = ThreadPoolExecutor(2)
        self.room_max_message_bytes = 1 << 20
        self.document_view_every = None

    def make_rooms(self, documents: Any) -> Rooms:
        return Rooms(documents)

    def principal(self, handler: RequestHandler) -> Principal:
        return Principal(handler.current_user["name"])

    def request_done(self, handler: RequestHandler) -> None:
        pass


class Server:
    def __init__(self, guarded: GuardedStore):
        self.host = Host(guarded)
        self.port = free_port()
        app = web.Application(
            [("/api/" + path, handler) for path, handler in API_ROUTES],
            **{
                HOST_SETTING: self.host,
                "authorizer": AllowUsers(),
                "livegraphs_room_max_message_bytes": 1 << 20,
            },
        )
        self.http = HTTPServer(app)
        self.http.listen(self.port, "127.0.0.1")

    @property
    def rooms(self) -> Any:
        return host_rooms(self.host)  # type: ignore[arg-type]

    def url(self, doc_id: str) -> str:
        return f"ws://127.0.0.1:{self.port}/api/documents/{doc_id}/room"

    async def client(self, user: Principal, doc_id: str, **headers: str) -> RoomClient:
        client = await RoomClient.join(self.url(doc_id), {"Authorization": f"token {user.name}", **headers})
        await asyncio.wait_for(client.synced.wait(), 15)
        return client

    async def close(self) -> None:
        await self.rooms.close()
        self.http.stop()
        self.host.light_pool.shutdown(wait=True)


def make_guarded(root: Path, url: str | None = None) -> GuardedStore:
    return GuardedStore(DatasetStore(StoreConfig(root=root, catalog_url=url)))


@pytest.fixture
def lg_room_server(tmp_path: Path, jp_asyncio_loop: asyncio.AbstractEventLoop) -> Iterator[Server]:
    """A room server over a fresh SQLite catalog."""
    server = Server(make_guarded(tmp_path / "store"))
    try:
        yield server
    finally:
        jp_asyncio_loop.run_until_complete(server.close())
        server.host.guarded.store.close()


Clients = Callable[..., Awaitable[RoomClient]]


@pytest.fixture
def lg_clients(lg_room_server: Server, jp_asyncio_loop: asyncio.AbstractEventLoop) -> Iterator[Clients]:
    """Open a client of a room as a user (closed at the end of the test)."""
    opened: list[RoomClient] = []

    async def open_client(user: Principal, doc_id: str, **headers: str) -> RoomClient:
        client = await lg_room_server.client(user, doc_id, **headers)
        opened.append(client)
        return client

    yield open_client
    for client in opened:
        jp_asyncio_loop.run_until_complete(client.close())


def create(server: Server, content: dict[str, Any] | None = None, *shares: tuple[str, str]) -> str:
    documents = server.host.guarded.documents
    doc = documents.create(ADA, "dashboard", "Sales", content or DASHBOARD)
    for name, role in shares:
        documents.share(ADA, doc["id"], "user", name, role)
    return str(doc["id"])


def dash(client: RoomClient) -> dict[str, Any]:
    return YDashboard(client.doc).to_dict()


def layout(client_doc: Doc, cid: str) -> Map:
    return YDashboard(client_doc).ycharts[cid]["layout"]


def stored(server: Server, doc_id: str) -> dict[str, Any]:
    doc = Doc()
    doc.apply_update(server.host.guarded.documents.load(doc_id))
    return YDashboard(doc).to_dict()


# -- editing --------------------------------------------------------------------------------------


async def test_an_editors_edit_reaches_the_other_client_and_is_stored(
    lg_room_server: Server, lg_clients: Clients
) -> None:
    # Given a dashboard shared with bo as editor, open by its owner and by bo
    doc_id = create(lg_room_server, None, ("bo", "editor"))
    ada = await lg_clients(ADA, doc_id)
    bo = await lg_clients(BO, doc_id)
    assert dash(bo)["charts"]["c1"]["layout"] == {"x": 0, "y": 0, "w": 6, "h": 4}
    # When bo changes the crossfilter switch
    await bo.edit(lambda d: YDashboard(d).ymeta.__setitem__("crossfilter", False))
    # Then ada sees it, and the store has it
    await until(lambda: dash(ada)["crossfilter"] is False, what="the edit at ada")
    assert stored(lg_room_server, doc_id)["crossfilter"] is False


async def test_the_room_socket_sends_each_message_at_once(
    lg_room_server: Server, lg_clients: Clients
) -> None:
    # Nagle's algorithm (tornado's default) holds a small update back until the previous one is ACKed
    doc_id = create(lg_room_server)
    await lg_clients(ADA, doc_id)
    (conn,) = lg_room_server.rooms.connections(doc_id)
    sock = conn.transport.handler.ws_connection.stream.socket  # type: ignore[attr-defined]
    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


async def test_an_edit_is_durable_after_the_room_is_dropped(
    lg_room_server: Server, lg_clients: Clients
) -> None:
    doc_id = create(lg_room_server)
    ada = await lg_clients(ADA, doc_id)
    await ada.edit(lambda d: layout(d, "c2").__setitem__("h", 7.0))
    await until(lambda: stored(lg_room_server, doc_id)["charts"]["c2"]["layout"]["h"] == 7, what="the update")
    # When the room is dropped (its last client gone, the state compacted into a version)
    await lg_room_server.rooms.drop(doc_id)
    assert doc_id not in lg_room_server.rooms.rooms
    assert [v["number"] for v in lg_room_server.host.guarded.documents.versions(ADA, doc_id)] == [2, 1]
    # Then a client that opens it again gets the edit
    again = await lg_clients(ADA, doc_id)
    assert dash(again)["charts"]["c2"]["layout"]["h"] == 7


@pytest.mark.postgres
async def test_edits_survive_a_new_server_on_postgresql(tmp_path: Path, lg_postgres_url: str) -> None:
    # Given a server on PostgreSQL where a client edited a dashboard
    guarded = make_guarded(tmp_path / "a", lg_postgres_url)
    server = Server(guarded)
    doc_id = create(server)
    ada = await server.client(ADA, doc_id)
    await ada.edit(lambda d: YDashboard(d).ymeta.__setitem__("crossfilter", False))
    # (broadcast after storing: once another client has it, it is stored)
    other = await server.client(ADA, doc_id)
    await until(lambda: dash(other)["crossfilter"] is False)
    # When that process's store and rooms are gone without closing the rooms
    server.http.stop()
    guarded.store.close()
    # Then a new server over the same catalog serves the edit
    second = Server(make_guarded(tmp_path / "b", lg_postgres_url))
    try:
        fresh = await second.client(ADA, doc_id)
        assert dash(fresh)["crossfilter"] is False
        await fresh.close()
    finally:
        await second.close()
        second.host.guarded.store.close()
        await ada.close()
        await other.close()


async def test_an_update_that_does_not_decode_closes_the_connection_and_is_not_stored(
    lg_room_server: Server, lg_clients: Clients
) -> None:
    doc_id = create(lg_room_server)
    ada = await lg_clients(ADA, doc_id)
    before = lg_room_server.host.guarded.documents.load(doc_id)
    await ada.send(create_update_message(b"\x07garbage"))
    await until(lambda: ada.closed.is_set())
    assert ada.close_code == 4400
    assert lg_room_server.host.guarded.documents.load(doc_id) == before


# -- viewers and access ---------------------------------------------------------------------------


async def test_a_viewer_gets_the_document_but_its_update_is_refused_and_never_stored(
    lg_room_server: Server, lg_clients: Clients
) -> None:
    doc_id = create(lg_room_server, None, ("cy", "viewer"))
    ada = await lg_clients(ADA, doc_id)
    cy = await lg_clients(CY, doc_id)
    assert dash(cy) == dash(ada)
    # When the viewer sends an update from a script
    await cy.edit(lambda d: YDashboard(d).ymeta.__setitem__("title", "Hacked"))
    # Then it is told so (y-websocket's permission-denied auth message)
    await until(lambda: bool(cy.denied), what="the auth message")
    assert cy.denied[0].startswith("permission-denied")
    # and nobody else gets the change, nor does the store
    await ada.edit(lambda d: YDashboard(d).ymeta.__setitem__("crossfilter", False))
    await until(lambda: dash(cy)["crossfilter"] is False)
    assert dash(ada)["title"] == "Sales"
    assert stored(lg_room_server, doc_id)["title"] == "Sales"
    assert lg_room_server.host.guarded.documents.get(ADA, doc_id)["title"] == "Sales"
    assert not cy.closed.is_set()


async def test_a_caller_without_access_is_refused_before_the_upgrade(lg_room_server: Server) -> None:

    doc_id = create(lg_room_server)
    with pytest.raises(Refused) as e:
        await RoomClient.join(lg_room_server.url(doc_id), {"Authorization": "token bo"})
    assert e.value.code == 404
    with pytest.raises(Refused) as e:
        await RoomClient.join(lg_room_server.url(doc_id))
    assert e.value.code == 403


async def test_unsharing_closes_the_viewers_connection(lg_room_server: Server, lg_clients: Clients) -> None:
    doc_id = create(lg_room_server, None, ("cy", "viewer"), ("bo", "editor"))
    cy = await lg_clients(CY, doc_id)
    bo = await lg_clients(BO, doc_id)
    # When the owner removes cy's share
    await asyncio.get_running_loop().run_in_executor(
        None, lg_room_server.host.guarded.documents.unshare, ADA, doc_id, "user", "cy"
    )
    # Then cy's connection closes (4404: no access left); bo's stays
    await until(lambda: cy.closed.is_set(), what="the viewer's connection to close")
    assert cy.close_code == 4404
    # and when bo is made a viewer, bo's closes too (4403), to reconnect as a viewer
    await asyncio.get_running_loop().run_in_executor(
        None, lg_room_server.host.guarded.documents.share, ADA, doc_id, "user", "bo", "viewer"
    )
    await until(lambda: bo.closed.is_set())
    assert bo.close_code == 4403


async def test_retiring_an_account_closes_its_connections(
    lg_room_server: Server, lg_clients: Clients
) -> None:
    # Given ada's dashboard shared with cy and bo, and cy's own dashboard, each open
    doc_id = create(lg_room_server, None, ("cy", "editor"), ("bo", "viewer"))
    guarded = lg_room_server.host.guarded
    cys = guarded.documents.create(CY, "dashboard", "Cy's")["id"]
    accounts = Accounts(guarded.catalog, guarded.documents)
    cy_in_ada = await lg_clients(CY, doc_id)
    cy_in_own = await lg_clients(CY, cys)
    bo = await lg_clients(BO, doc_id)
    # When the hub reports cy deleted
    retired = await asyncio.get_running_loop().run_in_executor(
        None, lambda: accounts.retire("cy", by="hub", reason="user deleted")
    )
    # Then both of cy's connections close at once (no access left), and bo's stays
    assert retired is not None and "touched_documents" not in retired
    await until(
        lambda: cy_in_ada.closed.is_set() and cy_in_own.closed.is_set(), what="cy's connections to close"
    )
    assert cy_in_ada.close_code == 4404 and cy_in_own.close_code == 4404
    assert not bo.closed.is_set()


async def test_a_room_holds_at_most_max_clients(lg_room_server: Server, lg_clients: Clients) -> None:

    doc_id = create(lg_room_server)
    lg_room_server.rooms.max_clients = 2
    await lg_clients(ADA, doc_id)
    await lg_clients(ADA, doc_id)
    with pytest.raises(Refused) as e:
        await RoomClient.join(lg_room_server.url(doc_id), {"Authorization": "token ada"})
    assert e.value.code == 429


async def test_a_message_over_the_limit_closes_the_connection(
    lg_room_server: Server, lg_clients: Clients
) -> None:
    doc_id = create(lg_room_server)
    ada = await lg_clients(ADA, doc_id)
    before = lg_room_server.host.guarded.documents.load(doc_id)
    # the test server allows 1 MiB
    await ada.edit(lambda d: YDashboard(d).ymeta.__setitem__("title", "x" * (1 << 20)))
    await until(lambda: ada.closed.is_set())
    assert ada.close_code == 1009
    assert lg_room_server.host.guarded.documents.load(doc_id) == before


async def test_a_newcomer_gets_no_update_before_the_rooms_state(
    lg_room_server: Server, lg_clients: Clients
) -> None:
    """Updates broadcast before a client has the room's state wait for it (sync step 2), in order:
    one arriving first may delete what the client does not hold yet."""
    doc_id = create(lg_room_server, None, ("bo", "editor"))
    ada = await lg_clients(ADA, doc_id)
    headers = {"Authorization": "token bo"}
    async with websockets.connect(lg_room_server.url(doc_id), additional_headers=headers) as ws:
        # while bo has not asked for the state yet, ada adds charts and removes one
        for i in range(5):
            await ada.edit(lambda d, i=i: YDashboard(d).ycharts.__setitem__(f"n{i}", Map({"spec": Map({})})))
        await ada.edit(lambda d: YDashboard(d).ycharts.pop("n2"))
        await asyncio.sleep(0.3)
        bo = Doc()
        await ws.send(create_sync_message(bo))
        kinds: list[int] = []
        for _ in range(30):  # ada's edit after bo's request follows the state
            if len(kinds) == 1:
                await ada.edit(lambda d: YDashboard(d).ymeta.__setitem__("title", "After"))
            try:
                message = await asyncio.wait_for(ws.recv(), 2)
            except TimeoutError:
                break
            assert isinstance(message, bytes)
            if message[0] == YMessageType.SYNC and message[1] != YSyncMessageType.SYNC_STEP1:
                kinds.append(message[1])
                bo.apply_update(read_message(message[2:]))
    assert kinds[0] == YSyncMessageType.SYNC_STEP2, kinds
    assert YSyncMessageType.SYNC_UPDATE in kinds
    assert YDashboard(bo).to_dict() == dash(ada)
    assert dash(ada)["title"] == "After" and "n2" not in dash(ada)["charts"]


async def test_a_client_that_never_asks_for_the_state_is_closed_past_the_held_updates(
    lg_room_server: Server, lg_clients: Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rooms, "HELD_UPDATES", 3)
    doc_id = create(lg_room_server, None, ("bo", "editor"))
    ada = await lg_clients(ADA, doc_id)
    headers = {"Authorization": "token bo"}
    async with websockets.connect(lg_room_server.url(doc_id), additional_headers=headers) as ws:
        for i in range(5):
            await ada.edit(lambda d, i=i: YDashboard(d).ymeta.__setitem__("title", f"T{i}"))
        with pytest.raises(websockets.ConnectionClosed):
            while True:
                message = await asyncio.wait_for(ws.recv(), 5)
                assert isinstance(message, bytes)
                assert message[:2] != bytes([YMessageType.SYNC, YSyncMessageType.SYNC_UPDATE])
        assert ws.close_code == 4400
    assert dash(ada)["title"] == "T4"


# -- awareness ------------------------------------------------------------------------------------


async def test_a_newcomer_sees_who_is_there_at_once(lg_room_server: Server, lg_clients: Clients) -> None:
    doc_id = create(lg_room_server, None, ("bo", "editor"))
    ada = await lg_clients(ADA, doc_id)
    await ada.announce({"user": {"name": "ada"}})
    # (the room has ada's presence once it echoed it back to her)
    await until(
        lambda: lg_room_server.rooms.rooms[doc_id].yroom.awareness.states.get(ada.awareness.client_id)
    )
    # When bo joins, saying nothing
    bo = await lg_clients(BO, doc_id)
    # Then bo knows ada is there (without waiting for her next heartbeat)
    await until(
        lambda: any(s.get("user") == {"name": "ada"} for s in bo.others().values()), timeout=5, what="ada"
    )


async def test_a_closed_clients_presence_is_removed_for_the_others(
    lg_room_server: Server, lg_clients: Clients
) -> None:
    doc_id = create(lg_room_server, None, ("bo", "editor"))
    ada = await lg_clients(ADA, doc_id)
    bo = await lg_clients(BO, doc_id)
    await bo.announce({"user": {"name": "bo"}})
    await until(lambda: any(s.get("user") == {"name": "bo"} for s in ada.others().values()))
    # When bo's connection drops without a goodbye
    await bo.close()
    # Then ada no longer lists bo, long before the 30 s awareness timeout
    await until(lambda: not ada.others(), timeout=3, what="bo's presence to go")


async def test_a_reconnected_clients_presence_stays_when_its_old_connection_closes(
    lg_room_server: Server, lg_clients: Clients
) -> None:
    doc_id = create(lg_room_server, None, ("bo", "editor"))
    first = await lg_clients(ADA, doc_id)
    bo = await lg_clients(BO, doc_id)
    await first.announce({"user": {"name": "ada"}})
    await until(lambda: any(s.get("user") == {"name": "ada"} for s in bo.others().values()))
    # When ada's client reconnects (same presence, a new connection) before the old socket is closed
    again = await lg_clients(ADA, doc_id)
    again.awareness = first.awareness
    await again.announce({"user": {"name": "ada", "again": True}})
    await until(
        lambda: any(s.get("user", {}).get("again") for s in bo.others().values()), what="the new state"
    )
    room = lg_room_server.rooms.rooms[doc_id]
    await first.close()
    await until(lambda: len(room.connections) == 2, what="the old connection to close")
    # Then the room keeps ada's presence (removed at the close, in the same step, if at all)
    assert room.yroom.awareness.states.get(first.awareness.client_id)
    # and so does bo, after a message sent once the close was handled
    await again.announce({"user": {"name": "ada", "again": 2}})
    await until(lambda: any(s.get("user", {}).get("again") == 2 for s in bo.others().values()), what="ada")
    # while the new connection's close removes it
    await again.close()
    await until(lambda: not bo.others(), timeout=5, what="ada's presence to go")


async def test_a_closed_tab_leaves_even_when_another_tab_of_the_same_user_passed_its_presence_on(
    lg_room_server: Server, lg_clients: Clients
) -> None:
    doc_id = create(lg_room_server, None, ("bo", "editor"))
    tab1 = await lg_clients(ADA, doc_id)
    tab2 = await lg_clients(ADA, doc_id)
    bo = await lg_clients(BO, doc_id)
    await tab1.announce({"user": {"name": "ada", "tab": 1}})
    me = tab1.awareness.client_id
    await until(lambda: me in tab2.awareness.states, what="tab 1 in tab 2")
    await until(lambda: me in bo.others(), what="tab 1 for bo")
    # When tab 2 passes tab 1's state on, as y-websocket clients do with every state they receive
    await tab2.send(create_awareness_message(tab2.awareness.encode_awareness_update([me])))
    await tab2.drain()
    # and tab 1 closes
    await tab1.close()
    # Then bo sees tab 1 leave at once, not after an awareness timeout
    await until(lambda: me not in bo.others(), timeout=5, what="tab 1 to leave")


# -- repair ---------------------------------------------------------------------------------------


def test_repaired_layouts_clamp_and_move_overlapping_charts_down() -> None:
    assert repaired_layouts({"a": {"x": 0, "y": 0, "w": 6, "h": 4}}) == {}
    assert repaired_layouts({"a": {"x": 6.0, "y": 0.0, "w": 12.0, "h": 2.0}}) == {
        "a": {"x": 0, "y": 0, "w": 12, "h": 2}
    }
    assert repaired_layouts({"a": {"x": -1, "y": -2, "w": 0, "h": 0}}) == {
        "a": {"x": 0, "y": 0, "w": 1, "h": 1}
    }
    # the later one (by y, then id) moves below the one it overlaps
    fixed = repaired_layouts(
        {
            "b": {"x": 0, "y": 0, "w": 6, "h": 4},
            "a": {"x": 3, "y": 0, "w": 6, "h": 4},
            "c": {"x": 0, "y": 5, "w": 4, "h": 1},
        }
    )
    assert fixed == {"b": {"x": 0, "y": 4, "w": 6, "h": 4}, "c": {"x": 0, "y": 8, "w": 4, "h": 1}}


async def test_a_concurrent_move_and_resize_is_repaired_for_everyone(
    lg_room_server: Server, lg_clients: Clients
) -> None:
    doc_id = create(lg_room_server, None, ("bo", "editor"))
    ada = await lg_clients(ADA, doc_id)
    bo = await lg_clients(BO, doc_id)
    # When ada moves c1 right while bo widens it, each valid alone: together x + w = 18
    move = ada.edit(lambda d: layout(d, "c1").__setitem__("x", 6.0))
    resize = bo.edit(lambda d: layout(d, "c1").__setitem__("w", 12.0))
    await asyncio.gather(move, resize)

    def valid(client: RoomClient) -> bool:
        data = dash(client)
        c1 = data["charts"]["c1"]["layout"]
        if c1.get("w") != 12:
            return False
        try:
            validate_dashboard(data)
        except ValueError:
            return False
        return not repaired_layouts({k: v["layout"] for k, v in data["charts"].items()})

    # Then every client converges to one valid layout, and so does the store
    await until(lambda: valid(ada) and valid(bo), what="a valid layout at both clients")
    await until(lambda: dash(ada) == dash(bo))
    assert dash(ada)["charts"]["c1"]["layout"]["x"] == 0
    assert stored(lg_room_server, doc_id) == dash(ada)


async def test_two_charts_added_at_one_spot_end_up_apart(lg_room_server: Server, lg_clients: Clients) -> None:
    content = {**DASHBOARD, "charts": {}}
    doc_id = create(lg_room_server, content, ("bo", "editor"))
    ada = await lg_clients(ADA, doc_id)
    bo = await lg_clients(BO, doc_id)

    def add(cid: str) -> Callable[[Doc], None]:
        def change(d: Doc) -> None:
            YDashboard(d).ycharts[cid] = Map(
                {"spec": Map({"version": 1.0}), "layout": Map({"x": 0.0, "y": 0.0, "w": 6.0, "h": 4.0})}
            )

        return change

    await asyncio.gather(ada.edit(add("from-ada")), bo.edit(add("from-bo")))

    def apart(client: RoomClient) -> bool:
        charts = dash(client)["charts"]
        return len(charts) == 2 and not repaired_layouts({k: v["layout"] for k, v in charts.items()})

    await until(lambda: apart(ada) and apart(bo), what="the charts to be apart")
    await until(lambda: dash(ada) == dash(bo))
    layouts = {k: v["layout"] for k, v in dash(ada)["charts"].items()}
    # the later by id moved below the other
    assert layouts == {
        "from-ada": {"x": 0, "y": 0, "w": 6, "h": 4},
        "from-bo": {"x": 0, "y": 4, "w": 6, "h": 4},
    }
    assert stored(lg_room_server, doc_id)["charts"] == dash(ada)["charts"]


async def test_a_stored_invalid_layout_is_repaired_at_load(
    lg_room_server: Server, lg_clients: Clients
) -> None:
    doc_id = create(lg_room_server)
    # an update written into the store while no room is open (as an older server could have)
    documents = lg_room_server.host.guarded.documents
    doc = Doc()
    doc.apply_update(documents.load(doc_id))
    before = doc.get_state()
    layout(doc, "c2")["w"] = 12.0
    documents.append(doc_id, doc.get_update(before), "ada")
    ada = await lg_clients(ADA, doc_id)
    assert dash(ada)["charts"]["c2"]["layout"] == {"x": 0, "y": 4, "w": 12, "h": 4}
    assert stored(lg_room_server, doc_id)["charts"] == dash(ada)["charts"]


async def test_the_catalog_title_follows_meta_title(lg_room_server: Server, lg_clients: Clients) -> None:
    doc_id = create(lg_room_server, None, ("bo", "editor"))
    bo = await lg_clients(BO, doc_id)
    await bo.edit(lambda d: YDashboard(d).ymeta.__setitem__("title", "Sales 2027"))
    documents = lg_room_server.host.guarded.documents
    await until(lambda: documents.get(ADA, doc_id)["title"] == "Sales 2027", what="the catalog title")
    assert json.dumps(dash(bo)["title"]) == '"Sales 2027"'


# -- versions and stored state ---------------------------------------------------------------------


async def test_every_n_updates_become_a_version(lg_room_server: Server, lg_clients: Clients) -> None:
    doc_id = create(lg_room_server, None, ("bo", "editor"))
    lg_room_server.rooms.compact_every = 5
    bo = await lg_clients(BO, doc_id)
    documents = lg_room_server.host.guarded.documents
    for h in range(2, 7):
        await bo.edit(lambda d, h=h: layout(d, "c1").__setitem__("h", float(h)))
    # Then the five updates are folded into version 2, with bo as its author, while the room is open
    await until(lambda: len(documents.versions(ADA, doc_id)) == 2, what="a version")
    newest = documents.versions(ADA, doc_id)[0]
    assert newest["number"] == 2 and newest["authors"] == ["bo"]
    assert stored(lg_room_server, doc_id)["charts"]["c1"]["layout"]["h"] == 6
    assert documents.content(ADA, doc_id, 2)["charts"]["c1"]["layout"]["h"] == 6


async def test_a_version_is_saved_while_another_writers_update_is_being_stored(
    lg_room_server: Server, lg_clients: Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given bo's update held on its way to the store (with several writers one is nearly always in flight)
    doc_id = create(lg_room_server, None, ("bo", "editor"))
    lg_room_server.rooms.compact_every = 5
    documents = lg_room_server.host.guarded.documents
    append, release = documents.append, threading.Event()

    def held_for_bo(doc: str, update: bytes, author: str, *rest: Any) -> int:
        if author == "bo":
            release.wait(30)
        return append(doc, update, author, *rest)

    monkeypatch.setattr(documents, "append", held_for_bo)
    ada = await lg_clients(ADA, doc_id)
    bo = await lg_clients(BO, doc_id)
    try:
        await bo.edit(lambda d: layout(d, "c2").__setitem__("h", 9.0))
        # When ada makes five updates meanwhile
        for h in range(2, 7):
            await ada.edit(lambda d, h=h: layout(d, "c1").__setitem__("h", float(h)))
        # Then they become version 2 without waiting for bo's
        await until(lambda: len(documents.versions(ADA, doc_id)) == 2, what="a version while bo's is stored")
        assert documents.content(ADA, doc_id, 2)["charts"]["c1"]["layout"]["h"] == 6
    finally:
        release.set()
    # and bo's update, stored after the version, is kept
    await until(lambda: stored(lg_room_server, doc_id)["charts"]["c2"]["layout"]["h"] == 9, what="bo's edit")
    await until(lambda: dash(ada)["charts"]["c2"]["layout"]["h"] == 9, what="bo's edit at ada")
    await lg_room_server.rooms.drop(doc_id)
    assert stored(lg_room_server, doc_id)["charts"]["c1"]["layout"]["h"] == 6


async def test_a_document_that_fails_to_load_is_refused_and_never_overwritten(
    lg_room_server: Server, lg_clients: Clients
) -> None:
    from sqlalchemy import update

    from livegraphs_ext.store.documents import DocumentVersionRow

    doc_id = create(lg_room_server)
    catalog = lg_room_server.host.guarded.catalog
    with catalog.transaction() as s:
        s.execute(
            update(DocumentVersionRow)
            .where(DocumentVersionRow.document_id == doc_id)
            .values(state=b"\x05bad")
        )
    client = await RoomClient.join(lg_room_server.url(doc_id), {"Authorization": "token ada"})
    await until(lambda: client.closed.is_set(), what="the refusal")
    assert client.close_code == 4500
    assert doc_id not in lg_room_server.rooms.rooms
    with catalog.transaction() as s:
        rows = s.scalars(
            select(DocumentVersionRow.state).where(DocumentVersionRow.document_id == doc_id)
        ).all()
    assert [bytes(r) for r in rows] == [b"\x05bad"]
    await client.close()


async def test_a_restore_reaches_the_open_room(lg_room_server: Server, lg_clients: Clients) -> None:
    doc_id = create(lg_room_server, None, ("bo", "editor"))
    bo = await lg_clients(BO, doc_id)
    await bo.edit(lambda d: layout(d, "c1").__setitem__("h", 9.0))
    documents = lg_room_server.host.guarded.documents
    await until(lambda: stored(lg_room_server, doc_id)["charts"]["c1"]["layout"]["h"] == 9)
    # When ada restores version 1 (through the store, as the REST route does)
    await asyncio.get_running_loop().run_in_executor(None, documents.restore, ADA, doc_id, 1)
    # Then bo's open document goes back to it
    await until(lambda: dash(bo)["charts"]["c1"]["layout"]["h"] == 4, what="the restore at bo")


async def test_deleting_the_document_closes_every_connection(
    lg_room_server: Server, lg_clients: Clients
) -> None:
    doc_id = create(lg_room_server, None, ("bo", "editor"))
    ada = await lg_clients(ADA, doc_id)
    bo = await lg_clients(BO, doc_id)
    documents = lg_room_server.host.guarded.documents
    await asyncio.get_running_loop().run_in_executor(None, documents.delete, ADA, doc_id)
    await until(lambda: ada.closed.is_set() and bo.closed.is_set(), what="both to be closed")
    assert (ada.close_code, bo.close_code) == (4404, 4404)
    await lg_room_server.rooms.drop(doc_id)
    assert doc_id not in lg_room_server.rooms.rooms


async def test_a_client_cannot_remove_anothers_presence(lg_room_server: Server, lg_clients: Clients) -> None:
    doc_id = create(lg_room_server, None, ("cy", "viewer"))
    ada = await lg_clients(ADA, doc_id)
    cy = await lg_clients(CY, doc_id)
    await ada.announce({"user": {"name": "ada"}})
    await until(lambda: any(s.get("user") == {"name": "ada"} for s in cy.others().values()))
    # When cy sends ada's client id as gone (a newer clock, a null state)
    forged = Awareness(Doc())
    forged.client_id = ada.awareness.client_id
    forged._meta[ada.awareness.client_id] = {"clock": 1000, "lastUpdated": 0}
    await cy.send(create_awareness_message(forged.encode_awareness_update([ada.awareness.client_id])))
    # Then the room ignores it: a newcomer still sees ada
    newcomer = await lg_clients(ADA, doc_id)
    await until(lambda: any(s.get("user") == {"name": "ada"} for s in newcomer.others().values()), what="ada")
    assert lg_room_server.rooms.rooms[doc_id].yroom.awareness.states.get(ada.awareness.client_id)


async def test_a_rename_reaches_the_open_room(lg_room_server: Server, lg_clients: Clients) -> None:
    doc_id = create(lg_room_server, None, ("bo", "editor"))
    bo = await lg_clients(BO, doc_id)
    documents = lg_room_server.host.guarded.documents
    await asyncio.get_running_loop().run_in_executor(None, documents.rename, ADA, doc_id, "Sales 2028")
    await until(lambda: dash(bo)["title"] == "Sales 2028", what="the new title at bo")
    assert documents.get(ADA, doc_id)["title"] == "Sales 2028"


async def test_every_update_sent_before_a_close_is_stored(
    lg_room_server: Server, lg_clients: Clients
) -> None:
    doc_id = create(lg_room_server)
    ada = await lg_clients(ADA, doc_id)
    # When a client sends updates faster than the room stores them, then closes at once
    for i in range(300):
        await ada.edit(lambda d, i=i: d.get("meta", type=Map).__setitem__(f"k{i}", float(i)))
    await ada.close()
    await until(lambda: doc_id not in lg_room_server.rooms.rooms, what="the room to close")
    await lg_room_server.rooms.drop(doc_id)
    # Then every one of them was stored (a lost one would hide every later one: they depend on it)
    doc = Doc()
    doc.apply_update(lg_room_server.host.guarded.documents.load(doc_id))
    meta = doc.get("meta", type=Map)
    assert [k for k in (f"k{i}" for i in range(300)) if k not in meta] == []


# -- lending datasets through the dashboard -------------------------------------------------------


async def test_a_dataset_is_lent_through_the_dashboard_only_by_who_put_it_there(
    lg_room_server: Server, lg_clients: Clients
) -> None:
    g = lg_room_server.host.guarded
    engine = ChartEngine(g.store, cache_bytes=0)
    secret, mine = upload(g, ADA, "secret"), upload(g, BO, "mine")
    doc_id = create(lg_room_server, {**DASHBOARD, "charts": {}}, ("bo", "editor"), ("cy", "viewer"))
    ada = await lg_clients(ADA, doc_id)
    bo = await lg_clients(BO, doc_id)

    def add(cid: str, dataset_id: str, y: float) -> Callable[[Doc], None]:
        def change(d: Doc) -> None:
            spec = {
                "version": 1.0,
                "dataset": {"id": dataset_id},
                "mark": "bar",
                "encoding": {"x": {"field": "city"}},
            }
            YDashboard(d).ycharts[cid] = Map(
                {"spec": Map(spec), "layout": Map({"x": 0.0, "y": y, "w": 6.0, "h": 4.0})}
            )

        return change

    def query(cid: str) -> dict[str, Any]:
        return g.document_data.chart(CY, engine, doc_id, cid).to_json()

    # bo (editor) points a chart at ada's private dataset: not lent to cy
    await bo.edit(add("b1", secret["id"], 0.0))
    await until(lambda: "b1" in stored(lg_room_server, doc_id)["charts"])
    with pytest.raises(NotFound):
        query("b1")
    # bo's own dataset is lent by bo
    await bo.edit(add("b2", mine["id"], 4.0))
    await until(lambda: "b2" in stored(lg_room_server, doc_id)["charts"])
    assert query("b2")["dataset"]["id"] == mine["id"]
    # ada adds the same chart: she lends her dataset, to both charts over it
    await ada.edit(add("a1", secret["id"], 8.0))
    await until(lambda: "a1" in stored(lg_room_server, doc_id)["charts"])
    assert query("a1")["dataset"]["id"] == secret["id"]
    assert query("b1")["marks"] > 0
