"""The admin pages of the livegraphs service on a real hub (``jupyterhub_config.py``): who may open
them, every user's datasets with delete (audited), users and roles through the hub's REST API, the
activity log with the hub's logins and server starts, and the engagement figures.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from .hubs import Browser, LiveHub, approved_member, logged_in_admin

pytestmark = pytest.mark.slow

PASSWORD = "steady-copper-kettle-19"


@pytest.fixture(scope="module")
def lg_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHub]:
    hub = LiveHub(tmp_path_factory.mktemp("hub-admin") / "state")
    try:
        yield hub.start()
    finally:
        hub.stop()


@pytest.fixture(scope="module")
def lg_admin(lg_hub: LiveHub) -> Browser:
    return logged_in_admin(lg_hub)


def member(hub: LiveHub, admin: Browser, name: str) -> Browser:
    return approved_member(hub, admin, name, PASSWORD)


def upload(b: Browser, name: str, csv: str) -> dict[str, Any]:
    r = b.service(
        "POST", "api/datasets", params={"name": name}, data=csv.encode(), headers={"Content-Type": "text/csv"}
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


@pytest.fixture(scope="module")
def lg_people(lg_hub: LiveHub, lg_admin: Browser) -> dict[str, Browser]:
    """ann and ben, each with a dataset; ann is in team-red."""
    ann, ben = member(lg_hub, lg_admin, "ann"), member(lg_hub, lg_admin, "ben")
    upload(ann, "ann-sales", "region,amount\nnorth,10\nsouth,20\n")
    upload(ben, "<img src=x onerror=alert(1)>", "a,b\n1,2\n3,4\n5,6\n")
    assert lg_admin.service("PUT", "admin/api/groups/team-red/users/ann").status_code == 200
    return {"ann": ann, "ben": ben}


# --- who may open the admin pages


def test_admin_pages_are_for_admins_only(
    lg_hub: LiveHub, lg_admin: Browser, lg_people: dict[str, Browser]
) -> None:
    anonymous = requests.get(lg_hub.service_url + "admin/datasets", allow_redirects=False, timeout=10)
    assert anonymous.status_code == 302
    assert "/hub/api/oauth2/authorize" in anonymous.headers["Location"]
    for path in (
        "admin/datasets",
        "admin/users",
        "admin/api/datasets",
        "admin/api/users",
        "admin/api/activity",
    ):
        assert lg_people["ann"].service("GET", path).status_code == 403, path
    r = lg_admin.service("GET", "admin/datasets")
    assert r.status_code == 200
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    assert "default-src 'none'" in r.headers["Content-Security-Policy"]
    for page in ("users", "activity", "engagement"):
        assert lg_admin.service("GET", f"admin/{page}").status_code == 200
    assert lg_admin.service("GET", "admin/nope").status_code == 404


def test_services_menu_links_the_admin_pages_for_admins_only(
    lg_hub: LiveHub, lg_admin: Browser, lg_people: dict[str, Browser]
) -> None:
    link = f'href="{lg_hub.service_url}admin/"'
    assert link in lg_admin.s.get(lg_hub.url + "hub/home").text
    assert link not in lg_people["ann"].s.get(lg_hub.url + "hub/home").text


# --- datasets


def test_datasets_lists_every_users_dataset(lg_admin: Browser, lg_people: dict[str, Browser]) -> None:
    items = {d["name"]: d for d in lg_admin.service("GET", "admin/api/datasets").json()["datasets"]}
    assert items["ann-sales"]["owner"] == "ann"
    assert items["ann-sales"]["rows"] == 2
    hostile = items["<img src=x onerror=alert(1)>"]
    assert hostile["owner"] == "ben" and hostile["rows"] == 3 and hostile["versions"] == 1
    assert hostile["size"] > 0 and hostile["created"] and hostile["last_used"]


def test_admin_deletes_a_users_dataset_and_it_is_audited(lg_hub: LiveHub, lg_admin: Browser) -> None:
    cat = member(lg_hub, lg_admin, "cat")
    ds = upload(cat, "cat-scratch", "x\n1\n")
    r = lg_admin.service("DELETE", f"api/datasets/{ds['id']}")
    assert r.status_code == 204
    names = [d["name"] for d in lg_admin.service("GET", "admin/api/datasets").json()["datasets"]]
    assert "cat-scratch" not in names
    assert cat.service("GET", f"api/datasets/{ds['id']}").status_code == 404
    events = lg_admin.service("GET", "admin/api/activity", params={"action": "delete"}).json()["events"]
    assert any(e["dataset_name"] == "cat-scratch" and e["user"] == "admin" and e["admin"] for e in events)


# --- users and roles


def test_users_lists_groups_roles_and_pending_signups(
    lg_hub: LiveHub, lg_admin: Browser, lg_people: dict[str, Browser]
) -> None:
    Browser(lg_hub).signup("dora", PASSWORD)
    data = lg_admin.service("GET", "admin/api/users").json()
    users = {u["name"]: u for u in data["users"]}
    assert users["admin"]["hub_admin"] and users["admin"]["livegraphs_admin"]
    assert users["ann"]["groups"] == ["everyone", "team-red"] and not users["ann"]["livegraphs_admin"]
    assert (
        users["ann"]["login"] == "password" and users["ann"]["datasets"] == 1 and users["ann"]["storage"] > 0
    )
    assert users["ann"]["last_activity"]
    assert "dora" in [p["name"] for p in data["pending"]]
    assert "team-red" in data["groups"]


def test_approving_a_sign_up_lets_the_user_in_and_is_audited(lg_hub: LiveHub, lg_admin: Browser) -> None:
    eve = Browser(lg_hub)
    eve.signup("eve", PASSWORD)
    eve.login("eve", PASSWORD)
    assert eve.logged_in_as() is None
    assert lg_admin.service("PUT", "admin/api/signups/eve").status_code == 200
    eve.login("eve", PASSWORD)
    assert eve.logged_in_as() == "eve"
    events = lg_admin.service("GET", "admin/api/activity", params={"action": "signup_approve"}).json()[
        "events"
    ]
    assert any(e["detail"].get("target") == "eve" and e["user"] == "admin" for e in events)


def test_discarding_a_sign_up(lg_hub: LiveHub, lg_admin: Browser) -> None:
    Browser(lg_hub).signup("fay", PASSWORD)
    assert lg_admin.service("DELETE", "admin/api/signups/fay").status_code == 204
    pending = [p["name"] for p in lg_admin.service("GET", "admin/api/users").json()["pending"]]
    assert "fay" not in pending


def test_promote_and_demote_through_the_admins_group(lg_hub: LiveHub, lg_admin: Browser) -> None:
    gus = member(lg_hub, lg_admin, "gus")
    assert gus.service("GET", "admin/datasets").status_code == 403
    # When an admin promotes gus
    r = lg_admin.service("PUT", "admin/api/users/gus/role", json={"admin": True})
    assert r.status_code == 200, r.text
    # Then the hub puts him in livegraphs-admins, which carries the admin scope
    me = gus.api("GET", "user").json()
    assert "livegraphs-admins" in me["groups"] and "custom:livegraphs:admin" in me["scopes"]
    fresh = Browser(lg_hub)
    fresh.login("gus", PASSWORD)
    assert fresh.service("GET", "admin/datasets").status_code == 200
    # And demoting takes it away again
    assert lg_admin.service("PUT", "admin/api/users/gus/role", json={"admin": False}).status_code == 200
    assert "custom:livegraphs:admin" not in gus.api("GET", "user").json()["scopes"]
    kinds = lg_admin.service("GET", "admin/api/activity", params={"action": "role_change"}).json()["events"]
    assert [e["detail"]["livegraphs_admin"] for e in kinds if e["detail"]["target"] == "gus"] == [False, True]


def test_role_changes_that_are_refused(lg_admin: Browser) -> None:
    r = lg_admin.service("PUT", "admin/api/users/admin/role", json={"admin": False})
    assert r.status_code == 409 and "hub admin" in r.json()["message"]
    assert lg_admin.service("PUT", "admin/api/users/admin/role", json={"admin": "no"}).status_code == 400
    assert lg_admin.service("PUT", "admin/api/users/nobody/role", json={"admin": True}).status_code == 404


def test_teams_are_hub_groups(lg_admin: Browser, lg_people: dict[str, Browser]) -> None:
    assert lg_admin.service("PUT", "admin/api/groups/team-blue/users/ben").status_code == 200
    assert "team-blue" in lg_people["ben"].api("GET", "user").json()["groups"]
    assert lg_admin.service("DELETE", "admin/api/groups/team-blue/users/ben").status_code == 200
    assert "team-blue" not in lg_people["ben"].api("GET", "user").json()["groups"]
    assert lg_admin.service("PUT", "admin/api/groups/bad%20name/users/ben").status_code == 400
    assert lg_admin.service("PUT", "admin/api/groups/livegraphs-admins/users/ben").status_code == 409
    assert lg_admin.service("DELETE", "admin/api/groups/everyone/users/ben").status_code == 409


# --- activity and engagement


def test_activity_has_logins_server_starts_and_filters(
    lg_hub: LiveHub, lg_admin: Browser, lg_people: dict[str, Browser]
) -> None:
    ann = lg_people["ann"]
    assert ann.api("POST", "users/ann/server").status_code in (201, 202)
    deadline = time.monotonic() + 90
    while not ann.api("GET", "users/ann").json()["servers"].get("", {}).get("ready"):
        assert time.monotonic() < deadline, lg_hub.log()[-3000:]
        time.sleep(0.5)
    logins = lg_admin.service("GET", "admin/api/activity", params={"user": "ann", "action": "login"}).json()
    assert logins["total"] >= 1 and {e["user"] for e in logins["events"]} == {"ann"}
    starts = lg_admin.service("GET", "admin/api/activity", params={"action": "server_start"}).json()["events"]
    assert any(e["user"] == "ann" for e in starts)
    uploads = lg_admin.service("GET", "admin/api/activity", params={"action": "upload", "user": "ben"}).json()
    assert [e["dataset_name"] for e in uploads["events"]] == ["<img src=x onerror=alert(1)>"]
    future = lg_admin.service("GET", "admin/api/activity", params={"since": "2999-01-01T00:00:00"}).json()
    assert future["total"] == 0
    assert lg_admin.service("GET", "admin/api/activity", params={"action": "nonsense"}).status_code == 400
    ann.api("DELETE", "users/ann/server")


def test_engagement_figures(lg_admin: Browser, lg_people: dict[str, Browser]) -> None:
    data = lg_admin.service("GET", "admin/api/engagement", params={"days": 7}).json()
    figs = {f["key"]: f for f in data["figures"]}
    assert set(figs) == {
        "daily_active_users",
        "uploads_per_day",
        "top_datasets",
        "storage_users",
        "storage_teams",
    }
    assert len(figs["daily_active_users"]["data"]["x"]) == 7
    assert figs["daily_active_users"]["data"]["y"][-1] >= 2
    assert figs["uploads_per_day"]["data"]["y"][-1] >= 2
    assert "ann" in figs["storage_users"]["data"]["x"]
    teams = dict(zip(figs["storage_teams"]["data"]["x"], figs["storage_teams"]["data"]["y"], strict=True))
    assert teams["team-red"] > 0
    assert data["totals"]["datasets"] >= 2
    assert lg_admin.service("GET", "admin/api/engagement", params={"days": 0}).status_code == 400


def test_no_admin_route_answers_an_anonymous_caller_or_a_regular_user(
    lg_hub: LiveHub, lg_people: dict[str, Browser]
) -> None:
    from pathlib import Path

    from livegraphs_ext.service.admin import admin_routes

    class _Events:
        events = None

    routes, _ = admin_routes("/services/livegraphs/", _Events(), Path("/nonexistent"))
    checked = 0
    for route in routes:
        pattern = route[0]
        if "static/" in pattern:
            continue  # the pages' own script, style and Plotly: public files, no data
        path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: {"page": "datasets"}.get(m.group(1), "ann"), pattern)
        for method in ("GET", "PUT", "DELETE", "POST"):
            anonymous = requests.request(
                method,
                lg_hub.service_url + path.removeprefix("/services/livegraphs/"),
                allow_redirects=False,
                timeout=10,
            )
            assert anonymous.status_code in (302, 403, 405), (method, path, anonymous.status_code)
            regular = lg_people["ben"].service(method, path.removeprefix("/services/livegraphs/"), json={})
            assert regular.status_code in (403, 405), (method, path, regular.status_code)
            checked += 1
    assert checked >= 8 * 4
