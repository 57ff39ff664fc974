"""Shared documents on a real hub: the service alone holds them; users reach them through their own server.

ada, bo, cy and dee sign up, are approved by the first admin and log in; each one's server runs as
their own account. ada makes a dashboard through her server and shares it with bo (editor) and cy
(viewer). Three pycrdt clients, each on its user's own server URL with that browser's cookies, edit
it over the room WebSocket, which each server passes on to the service.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from pycrdt import Doc, Provider
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

from livegraphs_ext.documents.dashboard import YDashboard

from .hubs import Browser, LiveHub, members_with_servers

pytestmark = pytest.mark.slow

PASSWORD = "quartz-lantern-harbour-31"
PEOPLE = ("ada", "bo", "cy", "dee")
#: y-websocket's auth message (type 2) saying "permission-denied" (sub type 0)
AUTH = 2


@pytest.fixture(scope="module")
def lg_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHub]:
    hub = LiveHub(tmp_path_factory.mktemp("hub-documents") / "state")
    try:
        yield hub.start()
    finally:
        hub.stop()


@pytest.fixture(scope="module")
def lg_people(lg_hub: LiveHub) -> dict[str, Browser]:
    """ada, bo, cy and dee, logged in, each with their server running and opened in their browser."""
    people = members_with_servers(lg_hub, PEOPLE, PASSWORD)
    for name, browser in people.items():
        r = browser.s.get(lg_hub.user_url(name) + "lab", timeout=60)  # the server's login
        assert r.status_code == 200, r.text[:500]
    return people


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def on_server(
    hub: LiveHub, browser: Browser, name: str, method: str, path: str, **kwargs: Any
) -> requests.Response:
    """``path`` of the livegraphs API on ``name``'s own server, from their browser."""
    url = hub.user_url(name) + "livegraphs/api/" + path
    headers = dict(kwargs.pop("headers", {}))
    if method not in {"GET", "HEAD"}:
        host = urlsplit(url).hostname
        xsrf = next(
            c.value for c in browser.s.cookies if c.name == "_xsrf" and c.path == f"/user/{name}/" and
            c.domain.lstrip(".") == host
        )  # fmt: skip
        headers["X-XSRFToken"] = str(xsrf)
    return browser.s.request(method, url, headers=headers, timeout=60, **kwargs)


async def connect(browser: Browser, url: str, origin: str | None = None) -> WebSocketClientConnection:
    """A WebSocket as the browser opens it: its cookies for ``url``, its page's origin."""
    cookies = requests.cookies.get_cookie_header(browser.s.cookies, requests.Request("GET", url))
    origin = origin or origin_of(url)
    headers = {
        "Origin": origin,
        "Sec-Fetch-Mode": "websocket",
        # as a browser says it: every origin of the hub is a subdomain of one site
        "Sec-Fetch-Site": "same-origin" if origin == origin_of(url) else "same-site",
        "User-Agent": browser.s.headers["User-Agent"],
        **({"Cookie": cookies} if cookies else {}),
    }
    return await websocket_connect(
        HTTPRequest("ws" + url.removeprefix("http"), headers=headers, request_timeout=60)
    )


def room_url(hub: LiveHub, name: str, doc_id: str) -> str:
    return hub.user_url(name) + f"livegraphs/api/documents/{doc_id}/room"


class RoomChannel:
    """A pycrdt ``Channel`` over a tornado WebSocket client; keeps every message it received."""

    def __init__(self, ws: WebSocketClientConnection, path: str):
        self.ws, self._path = ws, path
        self.received: list[bytes] = []
        self.denied = asyncio.Event()

    @property
    def path(self) -> str:
        return self._path

    def __aiter__(self) -> RoomChannel:
        return self

    async def __anext__(self) -> bytes:
        message = await self.ws.read_message()
        if message is None:
            raise StopAsyncIteration
        assert isinstance(message, bytes)
        self.received.append(message)
        if message[0] == AUTH and b"permission-denied" in message:
            self.denied.set()
        return message

    async def send(self, message: bytes) -> None:
        await self.ws.write_message(message, binary=True)

    async def recv(self) -> bytes:
        return await self.__anext__()


@asynccontextmanager
async def client(browser: Browser, url: str) -> AsyncIterator[tuple[YDashboard, RoomChannel]]:
    """A pycrdt client of the room at ``url``, synced."""
    ws = await connect(browser, url)
    channel = RoomChannel(ws, url)
    dashboard = YDashboard(Doc())
    async with Provider(dashboard.ydoc, channel):
        await asyncio.wait_for(_synced(dashboard), 60)
        yield dashboard, channel
    ws.close()


async def _synced(dashboard: YDashboard) -> None:
    while "title" not in dashboard.ymeta:
        await asyncio.sleep(0.05)


async def until(condition: Any, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not seen in {timeout} s: {what}"
        await asyncio.sleep(0.05)


def meta(dashboard: YDashboard) -> dict[str, Any]:
    return {k: dashboard.ymeta.get(k) for k in ("title", "crossfilter")}


def test_a_shared_dashboard_is_edited_through_each_users_own_server(
    lg_hub: LiveHub, lg_people: dict[str, Browser]
):
    ada, bo, cy, dee = (lg_people[n] for n in PEOPLE)
    # ada makes a dashboard through her server and shares it
    r = on_server(
        lg_hub, ada, "ada", "POST", "documents", json={"kind": "dashboard", "title": "Harbour board"}
    )
    assert r.status_code == 201, r.text
    doc = r.json()
    assert (doc["owner"], doc["access"], doc["title"]) == ("ada", "owner", "Harbour board")
    for name, role in (("bo", "editor"), ("cy", "viewer")):
        r = on_server(lg_hub, ada, "ada", "PUT", f"documents/{doc['id']}/shares",
                      json={"kind": "user", "name": name, "role": role})  # fmt: skip
        assert r.status_code in (200, 201), r.text
    # dee has no share: the document does not exist for her, by REST and by room
    assert on_server(lg_hub, dee, "dee", "GET", f"documents/{doc['id']}").status_code == 404
    asyncio.run(_edit(lg_hub, ada, bo, cy, dee, doc["id"]))
    # what the service stored: ada's and bo's edits, nothing of cy's
    content = on_server(lg_hub, ada, "ada", "GET", f"documents/{doc['id']}/content").json()
    assert (content["title"], content["crossfilter"]) == ("Harbour board 2", True)
    # the catalog's title follows the dashboard's, once it has rested
    deadline = time.monotonic() + 60
    while on_server(lg_hub, bo, "bo", "GET", f"documents/{doc['id']}").json()["title"] != "Harbour board 2":
        assert time.monotonic() < deadline, "the catalog's title did not follow"
        time.sleep(0.2)
    # once everyone has left, the room saves a version: its authors are ada and bo, never cy
    deadline = time.monotonic() + 60
    while not any("bo" in v["authors"] for v in versions(lg_hub, ada, doc["id"])):
        assert time.monotonic() < deadline, "no version was saved after everyone left"
        time.sleep(0.2)
    authors = {a for v in versions(lg_hub, ada, doc["id"]) for a in v["authors"]}
    assert {"ada", "bo"} <= authors and "cy" not in authors
    # nothing of the document is kept in a user's server
    for name in PEOPLE:
        assert not (lg_hub.state / "users" / name / ".local" / "share" / "jupyter" / "livegraphs").exists()


def versions(hub: LiveHub, browser: Browser, doc_id: str) -> list[dict[str, Any]]:
    r = on_server(hub, browser, "ada", "GET", f"documents/{doc_id}/versions")
    assert r.status_code == 200, r.text
    return list(r.json()["versions"])


async def _edit(hub: LiveHub, ada: Browser, bo: Browser, cy: Browser, dee: Browser, doc_id: str) -> None:
    with pytest.raises(HTTPClientError) as refused:
        await connect(dee, room_url(hub, "dee", doc_id))
    assert refused.value.code == 404
    async with (
        client(ada, room_url(hub, "ada", doc_id)) as (ada_doc, _),
        client(bo, room_url(hub, "bo", doc_id)) as (bo_doc, _),
        client(cy, room_url(hub, "cy", doc_id)) as (cy_doc, cy_channel),
    ):
        everyone = (ada_doc, bo_doc, cy_doc)
        assert [meta(d) for d in everyone] == [{"title": "Harbour board", "crossfilter": True}] * 3
        # ada's edit and bo's reach everyone
        ada_doc.ymeta["crossfilter"] = False
        await until(lambda: all(d.ymeta["crossfilter"] is False for d in everyone), "ada's edit")
        bo_doc.ymeta["title"] = "Harbour board 2"
        await until(lambda: all(d.ymeta["title"] == "Harbour board 2" for d in everyone), "bo's edit")
        # cy's is refused: cy is told, and nobody else ever sees it
        cy_doc.ymeta["title"] = "cy was here"
        await asyncio.wait_for(cy_channel.denied.wait(), 60)
        ada_doc.ymeta["crossfilter"] = True  # an edit the service handles after cy's
        await until(lambda: bo_doc.ymeta["crossfilter"] is True, "ada's second edit")
        assert ada_doc.ymeta["title"] == bo_doc.ymeta["title"] == "Harbour board 2"
        ada_doc.ymeta["crossfilter"] = False
        await until(
            lambda: bo_doc.ymeta["crossfilter"] is False and cy_doc.ymeta["crossfilter"] is False, "3rd"
        )
        # ada stops sharing with cy: cy's connection is closed at once
        r = await asyncio.to_thread(
            on_server, hub, ada, "ada", "DELETE", f"documents/{doc_id}/shares/user/cy"
        )
        assert r.status_code == 204, r.text
        await until(lambda: cy_channel.ws.close_code is not None, "cy's connection closed")
        assert cy_channel.ws.close_code == 4404
        with pytest.raises(HTTPClientError) as refused:
            await connect(cy, room_url(hub, "cy", doc_id))
        assert refused.value.code == 404
        # ada and bo go on
        bo_doc.ymeta["crossfilter"] = True
        await until(lambda: ada_doc.ymeta["crossfilter"] is True, "bo's edit after cy left")


def test_the_services_room_takes_its_cookie_from_its_own_origin_only(
    lg_hub: LiveHub, lg_people: dict[str, Browser]
):
    ada, bo = lg_people["ada"], lg_people["bo"]
    r = on_server(lg_hub, ada, "ada", "POST", "documents", json={"kind": "dashboard", "title": "Quay board"})
    assert r.status_code == 201, r.text
    doc_id = r.json()["id"]
    r = on_server(lg_hub, ada, "ada", "PUT", f"documents/{doc_id}/shares",
                  json={"kind": "user", "name": "bo", "role": "editor"})  # fmt: skip
    assert r.status_code in (200, 201), r.text
    bo.s.get(lg_hub.service_url, timeout=60)  # bo's browser logs in to the service (its cookie)
    url = lg_hub.service_url + f"api/documents/{doc_id}/room"
    asyncio.run(_service_room(lg_hub, bo, url))


async def _service_room(hub: LiveHub, bo: Browser, url: str) -> None:
    # a page of the service itself
    async with client(bo, url) as (bo_doc, _):
        assert bo_doc.ymeta["title"] == "Quay board"
    # a page of any other origin (the hub's, bo's own server's) with bo's cookie; anyone without it
    for origin in (hub.url.rstrip("/"), origin_of(hub.user_url("bo"))):
        with pytest.raises(HTTPClientError) as refused:
            await connect(bo, url, origin=origin)
        assert refused.value.code == 403
    with pytest.raises(HTTPClientError) as refused:
        await connect(Browser(hub), url)
    assert refused.value.code == 403


def test_the_share_dialogs_directory_lists_the_hubs_users_and_groups(
    lg_hub: LiveHub, lg_people: dict[str, Browser]
):
    ada = lg_people["ada"]

    def directory(**params: Any) -> dict[str, list[str]]:
        r = on_server(lg_hub, ada, "ada", "GET", "directory", params=params)
        assert r.status_code == 200, r.text
        return dict(r.json())

    everyone = directory()
    assert {"admin", *PEOPLE} <= set(everyone["users"])
    assert everyone["users"] == sorted(everyone["users"])
    assert "everyone" in everyone["groups"]
    assert directory(q="b") == {"users": ["bo"], "groups": []}
    assert directory(q="D")["users"] == ["dee"]
    assert directory(q="zz") == {"users": [], "groups": []}
    assert len(directory(limit=2)["users"]) == 2
    r = on_server(lg_hub, ada, "ada", "GET", "directory", params={"q": "a" * 101})
    assert r.status_code == 400 and set(r.json()) == {"message", "reason", "errors"}
    # only for those logged in
    r = requests.get(lg_hub.service_url + "api/directory", timeout=60)
    assert r.status_code == 403
