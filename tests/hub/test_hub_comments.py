"""Comments on the hub service, with the hub's tokens: ada owns a dashboard shared with bo as
editor and cy as viewer; dee has no access."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from .hubutil import USERS, Hub, running_hub

pytestmark = pytest.mark.slow

DASHBOARD: dict[str, Any] = {
    "version": 1,
    "title": "Harbour comments",
    "crossfilter": True,
    "filters": [],
    "charts": {"c1": {"spec": {"version": 1, "encoding": {}}, "layout": {"x": 0, "y": 0, "w": 6, "h": 4}}},
}


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    with running_hub(tmp_path_factory.mktemp("hub-comments"), USERS) as h:
        yield h


def call(hub: Hub, token: str, method: str, path: str, body: Any = None) -> requests.Response:
    return requests.request(
        method,
        hub.service_url + "api/" + path,
        headers={"Authorization": f"token {token}"},
        json=body,
        timeout=60,
    )


def test_viewers_comment_but_resolve_only_their_own_threads(hub: Hub) -> None:
    t = {u: hub.token(u) for u in ("ada", "bo", "cy", "dee")}
    r = call(hub, t["ada"], "POST", "documents", {"kind": "dashboard", "content": DASHBOARD})
    assert r.status_code == 201, r.text
    doc = r.json()["id"]
    for name, role in (("bo", "editor"), ("cy", "viewer")):
        r = call(
            hub, t["ada"], "PUT", f"documents/{doc}/shares", {"kind": "user", "name": name, "role": role}
        )
        assert r.status_code == 200, r.text
    comments = f"documents/{doc}/comments"

    # the viewer comments on a point, and everyone with access sees it
    r = call(hub, t["cy"], "POST", comments, {"chart": "c1", "anchor": {"x": 7}, "text": "Why this dip?"})
    assert r.status_code == 201, r.text
    cys = r.json()
    assert cys["created_by"] == "cy" and cys["can_resolve"] is True
    r = call(hub, t["ada"], "POST", comments, {"chart": "c1", "text": "Check the totals"})
    assert r.status_code == 201, r.text
    adas = r.json()
    for who in ("ada", "bo", "cy"):
        r = call(hub, t[who], "GET", comments)
        assert r.status_code == 200 and [x["id"] for x in r.json()["threads"]] == [cys["id"], adas["id"]]
    # the viewer replies to the owner's thread but may not resolve it
    r = call(hub, t["cy"], "POST", f"{comments}/{adas['id']}/replies", {"text": "Done"})
    assert r.status_code == 201, r.text
    r = call(hub, t["cy"], "PATCH", f"{comments}/{adas['id']}", {"resolved": True})
    assert r.status_code == 403, r.text
    assert set(r.json()) == {"message", "reason", "errors"}
    # nor edit the owner's comment; the editor resolves it, the viewer resolves their own
    r = call(
        hub, t["cy"], "PATCH", f"{comments}/{adas['id']}/{adas['comments'][0]['id']}", {"text": "mine now"}
    )
    assert r.status_code == 403, r.text
    r = call(hub, t["bo"], "PATCH", f"{comments}/{adas['id']}", {"resolved": True})
    assert r.status_code == 200 and r.json()["resolved_by"] == "bo"
    r = call(hub, t["cy"], "PATCH", f"{comments}/{cys['id']}", {"resolved": True})
    assert r.status_code == 200 and r.json()["resolved_by"] == "cy"

    # without access, every comment route is a 404 (the document does not exist for dee)
    for method, path, body in [
        ("GET", comments, None),
        ("POST", comments, {"chart": "c1", "text": "hi"}),
        ("POST", f"{comments}/{cys['id']}/replies", {"text": "hi"}),
        ("PATCH", f"{comments}/{cys['id']}", {"resolved": False}),
        ("DELETE", f"{comments}/{cys['id']}/{cys['comments'][0]['id']}", None),
    ]:
        r = call(hub, t["dee"], method, path, body)
        assert r.status_code == 404, (method, path, r.text)
    # a comment too long is refused
    r = call(hub, t["cy"], "POST", comments, {"chart": "c1", "text": "x" * 10_001})
    assert r.status_code == 413, r.text
    # losing the share ends commenting
    r = call(hub, t["ada"], "DELETE", f"documents/{doc}/shares/user/cy")
    assert r.status_code == 204
    assert call(hub, t["cy"], "GET", comments).status_code == 404
    r = call(hub, t["ada"], "GET", comments)
    assert [x["resolved"] for x in r.json()["threads"]] == [True, True]
