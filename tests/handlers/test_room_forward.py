"""On a hub, a user's server passes a document's room WebSocket on to the livegraphs service.

The service here is a stand-in tornado WebSocket on loopback that answers at the service's room path and
records what reaches it: the real forwarder runs in a real jupyter server in front of it, as on a hub.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPClientError
from tornado.httpserver import HTTPServer
from tornado.iostream import StreamClosedError
from tornado.web import Application
from tornado.websocket import WebSocketClientConnection, WebSocketClosedError, WebSocketHandler

from livegraphs_ext.handlers.forward import RoomForwardHandler
from livegraphs_ext.rest import error_body

from ..servers import free_port
from .forwarding import SERVER_TOKEN, hub_server_config

DOC = "ab" * 16
MISSING = "0" * 32
#: the rooms' message limit this server is given
LIMIT = 1 << 20


class ServiceRoom(WebSocketHandler):
    """The service's ``api/documents/{id}/room``: echoes every frame; ``close <code>`` closes with it."""

    def initialize(self, seen: dict[str, Any]) -> None:
        self.seen = seen

    async def get(self, document_id: str) -> None:
        self.seen["requests"].append(
            {"path": self.request.path, "query": self.request.query, "headers": dict(self.request.headers)}
        )
        if document_id == MISSING:
            self.set_status(404)
            self.set_header("Content-Type", "application/json")
            self.finish(orjson.dumps(error_body("No such document", "Not Found")))
            return
        await super().get(document_id)

    @property
    def max_message_size(self) -> int:
        return 64 << 20

    async def on_message(self, message: str | bytes) -> None:
        self.seen["messages"].append(message)
        if message == "grow":  # a frame larger than the forwarder passes on
            await self.write_message(b"x" * (LIMIT + 1), binary=True)
        elif isinstance(message, str) and message.startswith("close "):
            self.close(int(message.split()[1]), "as asked")
        else:
            await self.write_message(message, binary=isinstance(message, bytes))

    def on_close(self) -> None:
        self.seen["closed"].put_nowait((self.close_code, self.close_reason))


@pytest.fixture
def lg_service_port() -> int:
    return free_port()


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any], lg_service_port: int, monkeypatch) -> dict[str, Any]:
    return hub_server_config(jp_server_config, lg_service_port, monkeypatch, room_max_message_bytes=LIMIT)


@pytest.fixture
def lg_service(lg_service_port: int) -> Iterator[dict[str, Any]]:
    seen: dict[str, Any] = {"requests": [], "messages": [], "closed": asyncio.Queue()}
    app = Application(
        [(r"/services/livegraphs/api/documents/([0-9a-f]{32})/room", ServiceRoom, {"seen": seen})]
    )
    server = HTTPServer(app)
    server.listen(lg_service_port, "127.0.0.1")
    yield seen
    server.stop()


def room(*parts: str) -> tuple[str, ...]:
    return ("livegraphs", "api", "documents", *parts, "room")


async def test_frames_pass_both_ways_unchanged_with_the_servers_token(jp_ws_fetch, lg_service):
    # nothing of the browser's request but its frames reaches the service: not its query, nor its cookies
    ws: WebSocketClientConnection = await jp_ws_fetch(
        *room(DOC), params={"session": "s1"}, headers={"Cookie": "a=b"}
    )
    frames: list[str | bytes] = ["hello", b"\x00\x01binary\xff", "", b"\x00" * 100_000, "héllo ✓"]
    for frame in frames:
        await ws.write_message(frame, binary=isinstance(frame, bytes))
        assert await ws.read_message() == frame
    (request,) = lg_service["requests"]
    assert request["path"] == f"/services/livegraphs/api/documents/{DOC}/room"
    assert request["query"] == ""
    assert request["headers"]["Authorization"] == f"token {SERVER_TOKEN}"
    assert "Cookie" not in request["headers"]
    # each frame arrived as it was sent: text as str, bytes as bytes
    assert lg_service["messages"] == frames
    ws.close(1000)
    assert await asyncio.wait_for(lg_service["closed"].get(), 30) == (1000, None)


async def test_both_sockets_send_each_frame_at_once(jp_ws_fetch, lg_service, monkeypatch):
    # Nagle's algorithm (tornado's default) holds a small frame back until the previous one is ACKed
    opened: list[RoomForwardHandler] = []
    open_room = RoomForwardHandler.open

    def record(self: RoomForwardHandler, *args: Any, **kwargs: Any) -> None:
        opened.append(self)
        open_room(self, *args, **kwargs)

    monkeypatch.setattr(RoomForwardHandler, "open", record)
    ws = await jp_ws_fetch(*room(DOC))
    await ws.write_message("hi")
    assert await ws.read_message() == "hi"
    (handler,) = opened
    assert handler.ws_connection is not None and handler._upstream is not None
    browser_side = handler.ws_connection.stream.socket  # type: ignore[attr-defined]
    service_side = handler._upstream.protocol.stream.socket  # type: ignore[attr-defined]
    assert browser_side.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    assert service_side.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    ws.close(1000)


async def test_the_service_closing_closes_the_browser_with_its_code(jp_ws_fetch, lg_service):
    ws = await jp_ws_fetch(*room(DOC))
    await ws.write_message("close 4403")
    assert await ws.read_message() is None
    assert (ws.close_code, ws.close_reason) == (4403, "as asked")


async def test_the_browser_closing_closes_the_service_with_its_code(jp_ws_fetch, lg_service):
    ws = await jp_ws_fetch(*room(DOC))
    await ws.write_message("hi")
    assert await ws.read_message() == "hi"
    ws.close(4000, "bye")
    assert await asyncio.wait_for(lg_service["closed"].get(), 30) == (4000, "bye")


async def test_the_services_refusal_is_the_answer_to_the_upgrade(jp_ws_fetch, lg_service):
    with pytest.raises(HTTPClientError) as e:
        await jp_ws_fetch(*room(MISSING))
    assert e.value.code == 404
    assert e.value.response is not None
    assert orjson.loads(e.value.response.body) == error_body("No such document", "Not Found")


async def login_cookie(origin: str, base_url: str, auth: dict[str, str]) -> str:
    """The login cookie jupyter-server gives a browser at ``origin`` (its later requests carry no token)."""
    r = await AsyncHTTPClient().fetch(f"{origin}{base_url}api/status", headers=auth)
    return "; ".join(c.split(";", 1)[0] for c in r.headers.get_list("Set-Cookie"))


async def test_a_browser_is_let_in_by_its_cookie_from_its_own_origin_only(
    jp_ws_fetch, jp_http_port, jp_base_url, jp_auth_header, lg_service
):
    cookie = await login_cookie(f"http://localhost:{jp_http_port}", jp_base_url, jp_auth_header)
    browser = {"Authorization": "", "Cookie": cookie}
    ws = await jp_ws_fetch(*room(DOC), headers={**browser, "Origin": f"http://localhost:{jp_http_port}"})
    await ws.write_message("hi")
    assert await ws.read_message() == "hi"
    ws.close()
    assert len(lg_service["requests"]) == 1
    # a page of another site, with the user's cookie, and anyone without one: refused, the service not asked
    for headers in ({**browser, "Origin": "http://elsewhere.example"}, {"Authorization": ""}):
        with pytest.raises(HTTPClientError) as e:
            await jp_ws_fetch(*room(DOC), headers=headers)
        assert e.value.code == 403
    assert len(lg_service["requests"]) == 1


async def test_frames_past_the_limit_close_the_connection_either_way(jp_ws_fetch, lg_service):
    ws = await jp_ws_fetch(*room(DOC), max_message_size=64 << 20)
    await ws.write_message(b"y" * LIMIT, binary=True)  # at the limit: both ways
    assert await ws.read_message() == b"y" * LIMIT
    lg_service["messages"].clear()
    with contextlib.suppress(StreamClosedError, WebSocketClosedError):  # cut off while it still sends
        await ws.write_message(b"x" * (LIMIT + 1), binary=True)
    assert await ws.read_message() is None
    assert ws.close_code in (1009, None)  # "message too big", unless the cut came first
    assert await asyncio.wait_for(lg_service["closed"].get(), 30) == (1001, None)
    assert lg_service["messages"] == []
    # and from the service's side
    ws = await jp_ws_fetch(*room(DOC), max_message_size=64 << 20)
    await ws.write_message("grow")
    assert await ws.read_message() is None
    assert ws.close_code == 1011  # the service's side was cut; nothing that large reaches the browser


async def test_an_unreachable_service_is_a_502(jp_ws_fetch, lg_service_port):
    # nothing listens on the service's port
    with pytest.raises(HTTPClientError) as e:
        await jp_ws_fetch(*room(DOC))
    assert e.value.code == 502
    assert e.value.response is not None
    assert orjson.loads(e.value.response.body)["reason"] == "Bad Gateway"
