"""The REST contract of comment threads on the laptop's jupyter-server: routes, 4xx, limits, and the
room's ``comments_version`` signal to real pycrdt clients.

The laptop's one user is an admin; the levels of other users are tested through the hub service
(``tests/hub/test_hub_comments.py``) and in ``tests/store/test_comments.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from livegraphs_ext.handlers.base import HOST_SETTING
from livegraphs_ext.handlers.documents import MAX_META_BYTES
from livegraphs_ext.store import Principal

from ..conftest import body
from ..documents.yclient import RoomClient, until
from .test_api import assert_error_shape

DASHBOARD: dict[str, Any] = {
    "version": 1,
    "title": "Sales",
    "crossfilter": True,
    "filters": [],
    "charts": {"c1": {"spec": {"version": 1, "encoding": {}}, "layout": {"x": 0, "y": 0, "w": 6, "h": 4}}},
}
MISSING = "0" * 32


async def error(r: Any, status: int) -> dict[str, Any]:
    assert r.code == status, (r.code, r.body)
    payload = body(r)
    assert_error_shape(payload)
    return payload


async def new_board(lg_api: Any) -> str:
    r = await lg_api("POST", "documents", body={"kind": "dashboard", "content": DASHBOARD})
    assert r.code == 201, r.body
    return str(body(r)["id"])


async def test_threads_replies_resolve_edit_delete(lg_api: Any) -> None:
    board = await new_board(lg_api)
    # When a thread is started on a point, replied to and resolved
    r = await lg_api(
        "POST", "documents", board, "comments",
        body={"chart": "c1", "anchor": {"x": "2024-07-01", "label": "July"}, "text": "This spike?"},
    )  # fmt: skip
    assert r.code == 201, r.body
    thread = body(r)
    assert set(thread) == {
        "id", "chart", "anchor", "resolved", "resolved_by", "resolved_at", "created_by", "created",
        "can_resolve", "comments",
    }  # fmt: skip
    assert thread["anchor"] == {"x": "2024-07-01", "label": "July"} and thread["chart"] == "c1"
    tid = thread["id"]
    r = await lg_api("POST", "documents", board, "comments", tid, "replies", body={"text": "A promotion."})
    assert r.code == 201 and [c["text"] for c in body(r)["comments"]] == ["This spike?", "A promotion."]
    reply = body(r)["comments"][1]["id"]
    r = await lg_api("PATCH", "documents", board, "comments", tid, body={"resolved": True})
    assert r.code == 200 and body(r)["resolved"] is True and body(r)["resolved_by"] == body(r)["created_by"]
    r = await lg_api(
        "PATCH", "documents", board, "comments", tid, reply, body={"text": "A summer promotion."}
    )
    assert r.code == 200 and body(r)["comments"][1]["edited"] is not None
    # Then everyone reading the document sees it all
    [seen] = body(await lg_api("GET", "documents", board, "comments"))["threads"]
    assert seen["resolved"] is True and seen["comments"][1]["text"] == "A summer promotion."
    assert body(await lg_api("GET", "documents", board, "comments", params={"chart": "c2"}))["threads"] == []
    # deleting the reply keeps the thread; deleting the first comment deletes it
    r = await lg_api("DELETE", "documents", board, "comments", tid, reply)
    assert r.code == 204
    r = await lg_api("DELETE", "documents", board, "comments", tid, seen["comments"][0]["id"])
    assert r.code == 204
    assert body(await lg_api("GET", "documents", board, "comments"))["threads"] == []
    await error(await lg_api("POST", "documents", board, "comments", tid, "replies", body={"text": "x"}), 404)


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"chart": "c1", "text": ""}, 400),
        ({"chart": "c1"}, 400),
        ({"chart": "c1", "text": "x" * 10_001}, 413),
        ({"chart": "c9", "text": "hi"}, 404),
        ({"chart": "c1", "text": "hi", "anchor": {"y": 2}}, 400),
        ({"chart": "c1", "text": "hi", "anchor": "July"}, 400),
        ({"chart": "c1", "text": "hi", "extra": 1}, 400),
        ([1, 2], 400),
    ],
)
async def test_bad_threads_get_a_clear_4xx(lg_api: Any, payload: Any, status: int) -> None:
    board = await new_board(lg_api)
    await error(await lg_api("POST", "documents", board, "comments", body=payload), status)
    assert body(await lg_api("GET", "documents", board, "comments"))["threads"] == []


async def test_unknown_documents_threads_and_comments_are_404(lg_api: Any) -> None:
    board = await new_board(lg_api)
    tid = body(await lg_api("POST", "documents", board, "comments", body={"chart": "c1", "text": "hi"}))["id"]
    await error(await lg_api("GET", "documents", MISSING, "comments"), 404)
    await error(
        await lg_api("POST", "documents", MISSING, "comments", body={"chart": "c1", "text": "hi"}), 404
    )
    await error(await lg_api("PATCH", "documents", board, "comments", MISSING, body={"resolved": True}), 404)
    await error(
        await lg_api("POST", "documents", board, "comments", MISSING, "replies", body={"text": "x"}), 404
    )
    await error(await lg_api("DELETE", "documents", board, "comments", tid, MISSING), 404)
    await error(await lg_api("PATCH", "documents", board, "comments", tid, body={"resolved": "yes"}), 400)
    await error(await lg_api("PATCH", "documents", board, "comments", tid, body={}), 400)


async def test_limits_are_4xx(lg_api: Any, jp_serverapp: Any) -> None:
    board = await new_board(lg_api)
    comments = jp_serverapp.web_app.settings[HOST_SETTING].guarded.comments
    comments.max_threads, comments.max_comments = 1, 2
    r = await lg_api("POST", "documents", board, "comments", body={"chart": "c1", "text": "one"})
    assert r.code == 201
    tid = body(r)["id"]
    payload = await error(
        await lg_api("POST", "documents", board, "comments", body={"chart": "c1", "text": "2"}), 409
    )
    assert "at most 1" in payload["message"]
    assert (
        await lg_api("POST", "documents", board, "comments", tid, "replies", body={"text": "2"})
    ).code == 201
    await error(await lg_api("POST", "documents", board, "comments", tid, "replies", body={"text": "3"}), 409)
    await error(
        await lg_api(
            "POST", "documents", board, "comments", tid, "replies", body={"text": "x" * (MAX_META_BYTES + 1)}
        ),
        413,
    )
    assert len(body(await lg_api("GET", "documents", board, "comments"))["threads"][0]["comments"]) == 2


@pytest.fixture
def lg_room_url(http_server_client: Any, jp_http_port: int, jp_base_url: str) -> Callable[[str], str]:
    return lambda doc_id: f"ws://127.0.0.1:{jp_http_port}{jp_base_url}livegraphs/api/documents/{doc_id}/room"


def comments_version(client: RoomClient) -> Any:
    """The count part of the server's ``comments_version`` ("<room>-<count>"), or None."""
    value = next((s["comments_version"] for s in client.others().values() if "comments_version" in s), None)
    return None if value is None else int(value.rsplit("-", 1)[1])


async def test_open_rooms_signal_comment_changes_in_the_servers_awareness(
    lg_api: Any, lg_room_url: Callable[[str], str], jp_auth_header: dict[str, str]
) -> None:
    board = await new_board(lg_api)
    a = await RoomClient.join(lg_room_url(board), jp_auth_header)
    try:
        await until(lambda: a.synced.is_set(), what="the room's state")
        assert comments_version(a) is None
        # When a comment is made through REST
        r = await lg_api("POST", "documents", board, "comments", body={"chart": "c1", "text": "hi"})
        assert r.code == 201
        # Then the room's clients are told
        await until(lambda: comments_version(a) == 1, what="comments_version 1")
        await lg_api("PATCH", "documents", board, "comments", body(r)["id"], body={"resolved": True})
        await until(lambda: comments_version(a) == 2, what="comments_version 2")
        # and a newcomer learns the current version at once
        b = await RoomClient.join(lg_room_url(board), jp_auth_header)
        try:
            await until(lambda: comments_version(b) == 2, what="the newcomer's comments_version")
        finally:
            await b.close()
        # the document itself holds no comment
        doc = body(await lg_api("GET", "documents", board, "content"))
        assert doc == DASHBOARD
    finally:
        await a.close()


async def test_a_reopened_room_announces_a_value_its_clients_have_not_seen(
    lg_api: Any, lg_room_url: Callable[[str], str], jp_auth_header: dict[str, str], jp_serverapp: Any
) -> None:
    board = await new_board(lg_api)
    seen = []
    for _ in range(2):
        client = await RoomClient.join(lg_room_url(board), jp_auth_header)
        try:
            await until(lambda c=client: c.synced.is_set(), what="the room's state")
            r = await lg_api("POST", "documents", board, "comments", body={"chart": "c1", "text": "hi"})
            assert r.code == 201
            await until(lambda c=client: comments_version(c) == 1, what="comments_version 1")
            seen.append(
                next(s["comments_version"] for s in client.others().values() if "comments_version" in s)
            )
        finally:
            await client.close()
        open_rooms = jp_serverapp.web_app.settings[HOST_SETTING].rooms.rooms
        await until(lambda r=open_rooms: board not in r, what="the room to close")
    # both rooms counted one change, yet a client of the first would see the second's as new
    assert seen[0] != seen[1]


async def test_a_local_admin_is_the_owner_here(lg_api: Any, jp_serverapp: Any) -> None:
    host = jp_serverapp.web_app.settings[HOST_SETTING]
    other = host.guarded.documents.create(Principal("bo"), "chart", "Bo's")
    r = await lg_api("POST", "documents", other["id"], "comments", body={"chart": "", "text": "admin note"})
    assert r.code == 201 and body(r)["can_resolve"] is True
