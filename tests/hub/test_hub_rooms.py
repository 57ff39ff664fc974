"""Document rooms on the hub service, through the hub's proxy, with the hub's tokens.

ada owns a dashboard shared with bo as editor and cy as viewer: edits travel, the viewer's updates
are refused, and removing the viewer's share closes their room.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from pycrdt import Map

from livegraphs_ext.documents.dashboard import YDashboard

from ..documents.yclient import Refused, RoomClient, until
from .hubutil import USERS, Hub, running_hub

pytestmark = pytest.mark.slow

DASHBOARD: dict[str, Any] = {
    "version": 1,
    "title": "Harbour",
    "crossfilter": True,
    "filters": [],
    "charts": {"c1": {"spec": {"version": 1, "encoding": {}}, "layout": {"x": 0, "y": 0, "w": 6, "h": 4}}},
}


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    with running_hub(tmp_path_factory.mktemp("hub-rooms"), USERS) as h:
        yield h


def call(hub: Hub, token: str, method: str, path: str, body: Any = None) -> requests.Response:
    return requests.request(
        method,
        hub.service_url + "api/" + path,
        headers={"Authorization": f"token {token}"},
        json=body,
        timeout=60,
    )


def room_url(hub: Hub, doc_id: str) -> str:
    url = urlsplit(hub.service_url)
    return f"ws://{url.netloc}{url.path}api/documents/{doc_id}/room"


async def connect(hub: Hub, token: str, doc_id: str) -> RoomClient:
    client = await RoomClient.join(room_url(hub, doc_id), {"Authorization": f"token {token}"})
    await until(lambda: client.synced.is_set(), timeout=30, what="the room's state")
    return client


async def test_editors_edit_viewers_only_watch_and_an_unshared_viewer_is_closed_out(hub: Hub) -> None:
    tokens = {u: hub.token(u) for u in ("ada", "bo", "cy", "dee")}
    r = call(hub, tokens["ada"], "POST", "documents", {"kind": "dashboard", "content": DASHBOARD})
    assert r.status_code == 201, r.text
    doc_id = r.json()["id"]
    for name, role in (("bo", "editor"), ("cy", "viewer")):
        r = call(
            hub,
            tokens["ada"],
            "PUT",
            f"documents/{doc_id}/shares",
            {"kind": "user", "name": name, "role": role},
        )
        assert r.status_code == 200, r.text
    # someone it is not shared with: no room (404, before any upgrade)
    with pytest.raises(Refused) as e:
        await RoomClient.join(room_url(hub, doc_id), {"Authorization": f"token {tokens['dee']}"})
    assert e.value.code == 404
    with pytest.raises(Refused) as e:
        await RoomClient.join(room_url(hub, doc_id))
    assert e.value.code == 403

    ada = await connect(hub, tokens["ada"], doc_id)
    bo = await connect(hub, tokens["bo"], doc_id)
    cy = await connect(hub, tokens["cy"], doc_id)
    try:
        # bo's edit reaches ada and the viewer
        await bo.edit(lambda d: d.get("charts", type=Map)["c1"]["layout"].__setitem__("h", 8.0))
        for client in (ada, cy):
            await until(lambda c=client: YDashboard(c.doc).to_dict()["charts"]["c1"]["layout"]["h"] == 8)
        # the viewer's own update, sent from a script, is refused and reaches nobody
        await cy.edit(lambda d: d.get("meta", type=Map).__setitem__("title", "Taken over"))
        await until(lambda: bool(cy.denied), what="the auth message")
        assert cy.denied[0].startswith("permission-denied")
        await ada.edit(lambda d: d.get("meta", type=Map).__setitem__("crossfilter", False))
        await until(lambda: YDashboard(bo.doc).to_dict()["crossfilter"] is False)
        assert YDashboard(bo.doc).to_dict()["title"] == "Harbour"
        r = call(hub, tokens["ada"], "GET", f"documents/{doc_id}/content")
        assert r.json()["title"] == "Harbour" and r.json()["charts"]["c1"]["layout"]["h"] == 8
        # removing the viewer's share closes their room at once
        r = call(hub, tokens["ada"], "DELETE", f"documents/{doc_id}/shares/user/cy")
        assert r.status_code == 204, r.text
        await until(lambda: cy.closed.is_set(), timeout=30, what="the viewer's room to close")
        assert cy.close_code == 4404
        assert not bo.closed.is_set()
    finally:
        await asyncio.gather(ada.close(), bo.close(), cy.close())


async def test_a_browsers_cookie_opens_a_room_only_from_the_services_own_origin(hub: Hub) -> None:
    token = hub.token("ada")
    r = call(hub, token, "POST", "documents", {"kind": "dashboard", "title": "Cookies"})
    assert r.status_code == 201, r.text
    doc_id = r.json()["id"]
    # root logs in with the hub's form and opens the service (OAuth), as a browser does
    browser = hub.login("root", hub.first_admin_password())
    assert browser.get(hub.service_url, timeout=60).status_code == 200
    service = urlsplit(hub.service_url)
    cookie = "; ".join(
        f"{c.name}={c.value}" for c in browser.cookies if service.hostname.endswith(c.domain.lstrip("."))
    )
    # a page of another origin, riding root's cookie: refused before the upgrade
    with pytest.raises(Refused) as e:
        await RoomClient.join(room_url(hub, doc_id), {"Cookie": cookie, "Origin": "http://evil.example"})
    assert e.value.code == 403
    # the service's own origin: served (root is an admin)
    client = await RoomClient.join(
        room_url(hub, doc_id), {"Cookie": cookie, "Origin": f"{service.scheme}://{service.netloc}"}
    )
    await until(lambda: client.synced.is_set(), timeout=30, what="the room's state")
    await client.close()
