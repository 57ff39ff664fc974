"""``documents/{id}/room`` on the laptop's jupyter-server: real pycrdt clients over its WebSockets."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode

import orjson
import pytest
from pycrdt import Map, create_update_message
from tornado.httpclient import AsyncHTTPClient
from tornado.websocket import WebSocketClosedError

from livegraphs_ext.documents.dashboard import YDashboard
from livegraphs_ext.handlers.base import HOST_SETTING
from livegraphs_ext.store import Principal

from ..documents.yclient import Refused, RoomClient, until

DASHBOARD: dict[str, Any] = {
    "version": 1,
    "title": "Sales",
    "crossfilter": True,
    "filters": [],
    "charts": {"c1": {"spec": {"version": 1, "encoding": {}}, "layout": {"x": 0, "y": 0, "w": 6, "h": 4}}},
}


@pytest.fixture
def lg_doc(jp_serverapp: Any) -> str:
    """A dashboard of the local user."""
    host = jp_serverapp.web_app.settings[HOST_SETTING]
    doc = host.guarded.documents.create(
        Principal(host.local_user, is_admin=True), "dashboard", "Sales", DASHBOARD
    )
    return str(doc["id"])


@pytest.fixture
def lg_room_url(http_server_client: Any, jp_http_port: int, jp_base_url: str) -> Callable[[str], str]:
    """The room URL of a document on the running server."""
    return lambda doc_id: f"ws://127.0.0.1:{jp_http_port}{jp_base_url}livegraphs/api/documents/{doc_id}/room"


async def open_client(url: str, headers: dict[str, str]) -> RoomClient:
    client = await RoomClient.join(url, headers)
    await until(lambda: client.synced.is_set(), what="the room's state")
    return client


async def test_an_edit_reaches_the_other_client_through_jupyter_server(
    lg_doc: str, lg_room_url: Callable[[str], str], jp_auth_header: dict[str, str]
) -> None:
    a = await open_client(lg_room_url(lg_doc), jp_auth_header)
    b = await open_client(lg_room_url(lg_doc), jp_auth_header)
    try:
        assert YDashboard(b.doc).to_dict()["title"] == "Sales"
        await a.edit(lambda d: d.get("charts", type=Map)["c1"]["layout"].__setitem__("h", 9.0))
        await until(lambda: YDashboard(b.doc).to_dict()["charts"]["c1"]["layout"]["h"] == 9)
    finally:
        await a.close()
        await b.close()


async def test_an_unknown_document_is_a_404(
    jp_serverapp: Any, lg_room_url: Callable[[str], str], jp_auth_header: dict[str, str]
) -> None:
    with pytest.raises(Refused) as e:
        await RoomClient.join(lg_room_url("0" * 32), jp_auth_header)
    assert e.value.code == 404


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any]) -> dict[str, Any]:
    return {**jp_server_config, "LiveGraphsApp": {**jp_server_config["LiveGraphsApp"], "room_max_clients": 2}}


async def test_a_room_holds_at_most_room_max_clients(
    lg_doc: str, lg_room_url: Callable[[str], str], jp_auth_header: dict[str, str]
) -> None:
    a = await open_client(lg_room_url(lg_doc), jp_auth_header)
    b = await open_client(lg_room_url(lg_doc), jp_auth_header)
    with pytest.raises(Refused) as e:
        await RoomClient.join(lg_room_url(lg_doc), jp_auth_header)
    assert e.value.code == 429
    await a.close()
    await b.close()


async def test_a_message_over_8_mib_closes_the_connection(
    lg_doc: str, lg_room_url: Callable[[str], str], jp_auth_header: dict[str, str], jp_serverapp: Any
) -> None:
    a = await open_client(lg_room_url(lg_doc), jp_auth_header)
    documents = jp_serverapp.web_app.settings[HOST_SETTING].guarded.documents
    before = documents.load(lg_doc)
    with contextlib.suppress(WebSocketClosedError):  # the server may close while it is sent
        await a.send(create_update_message(b"\x00" * (8 << 20)))
    await until(lambda: a.closed.is_set(), what="the close")
    assert a.close_code == 1009
    assert documents.load(lg_doc) == before


async def login_cookie(port: int, base_url: str, token: str) -> str:
    """Log in to jupyter-server with its token as a browser does; the Cookie header of the session."""
    client = AsyncHTTPClient()
    login = f"http://127.0.0.1:{port}{base_url}login"
    page = await client.fetch(login, raise_error=False)
    jar = SimpleCookie()
    for header in page.headers.get_list("Set-Cookie"):
        jar.load(header)
    xsrf = jar["_xsrf"].value
    r = await client.fetch(
        login,
        method="POST",
        body=urlencode({"password": token, "_xsrf": xsrf}),
        headers={"Cookie": f"_xsrf={xsrf}"},
        follow_redirects=False,
        raise_error=False,
    )
    assert r.code == 302, r.code
    for header in r.headers.get_list("Set-Cookie"):
        jar.load(header)
    return "; ".join(f"{k}={m.value}" for k, m in jar.items())


async def test_a_cookie_caller_from_another_origin_is_refused(
    lg_doc: str,
    lg_room_url: Callable[[str], str],
    jp_serverapp: Any,
    jp_http_port: int,
    jp_base_url: str,
    jp_auth_header: dict[str, str],
) -> None:
    cookie = await login_cookie(jp_http_port, jp_base_url, jp_serverapp.identity_provider.token)
    assert re.search(r"username-", cookie)
    url = lg_room_url(lg_doc)
    # a page of another site, riding the browser's cookie: refused before the upgrade (jupyter-server's
    # API handlers answer a cross-origin request 404)
    with pytest.raises(Refused) as e:
        await RoomClient.join(url, {"Cookie": cookie, "Authorization": "", "Origin": "http://evil.example"})
    assert e.value.code == 404
    # the server's own pages are served
    own = await open_client(
        url, {"Cookie": cookie, "Authorization": "", "Origin": f"http://127.0.0.1:{jp_http_port}"}
    )
    # and so is a token caller (a script), whatever its Origin
    script = await open_client(url, {**jp_auth_header, "Origin": "http://elsewhere.example"})
    await own.close()
    await script.close()


async def test_a_plain_get_of_the_room_is_told_to_upgrade(lg_doc: str, jp_fetch: Any) -> None:
    r = await jp_fetch("livegraphs", "api", "documents", lg_doc, "room", raise_error=False)
    assert r.code == 426
    assert set(orjson.loads(r.body)) == {"message", "reason", "errors"}
