"""Dataset names, refused shares and names used again, on a real JupyterHub + configurable-http-proxy.

A share cannot take over a name; a user removes a share made to them; a deleted hub user's name,
used again by a new account, inherits none of the old account's datasets or shares, whether the
hub's ``user_deleted`` event reached the service first or the service noticed the new account
itself. This hub imports its events only when an admin opens the activity page
(``hub_events_seconds=0``), so each test decides which path runs.

The same hub also shows a named server shared with one user through JupyterHub's shares: the
collaborator reaches it on its owner's origin, others do not, a default server cannot be shared,
and a revoked share shuts the collaborator out.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from .hubutil import USERS, Hub, add_users, chp_available

CSV = b"city,temp\nOslo,-3.5\nLima,24.0\n"
pytestmark = pytest.mark.slow


class NamesHub(Hub):
    def config(self) -> str:
        return (
            super().config()
            + "c.JupyterHub.services[0]['command'].append('--LiveGraphsService.hub_events_seconds=0')\n"
        )


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    assert chp_available(), "configurable-http-proxy is missing: run `npm ci` in hub/ (scripts/test.sh does)"
    h = NamesHub(tmp_path_factory.mktemp("hub"))
    h.start()
    try:
        add_users(h, [*USERS, "vic"])
        yield h
    finally:
        h.stop()


@pytest.fixture(scope="module")
def tokens(hub: Hub) -> dict[str, str]:
    return {u: hub.token(u) for u in [*USERS, "vic"]}


def call(hub: Hub, token: str, method: str, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
    headers = {"Authorization": f"token {token}"}
    if isinstance(body, bytes):
        headers["Content-Type"] = "text/csv"
        kwargs["data"] = body
    elif body is not None:
        kwargs["json"] = body
    return requests.request(method, hub.service_url + path, headers=headers, timeout=60, **kwargs)


def upload(hub: Hub, token: str, name: str) -> dict[str, Any]:
    r = call(hub, token, "POST", "api/datasets", CSV, params={"name": name})
    assert r.status_code == 201, r.text
    return dict(r.json())


def share(hub: Hub, token: str, dataset_id: str, user: str) -> None:
    r = call(hub, token, "POST", f"api/datasets/{dataset_id}/shares", {"kind": "user", "name": user})
    assert r.status_code == 201, r.text


def resolve(hub: Hub, token: str, name: str) -> requests.Response:
    return call(hub, token, "GET", "api/datasets/resolve", params={"name": name})


def chart(hub: Hub, token: str, name: str) -> requests.Response:
    spec = {"version": 1, "dataset": {"name": name}, "mark": "table", "encoding": {}}
    return call(hub, token, "POST", "api/charts/query", {"spec": spec})


def listed(hub: Hub, token: str) -> set[str]:
    r = call(hub, token, "GET", "api/datasets")
    assert r.status_code == 200, r.text
    return {d["id"] for d in r.json()["datasets"]}


def test_a_share_cannot_take_over_a_name_and_its_recipient_may_refuse_it(hub: Hub, tokens: dict[str, str]):
    vic, ada, bo = tokens["vic"], tokens["ada"], tokens["bo"]
    # ada shares her "sales" with vic: the bare name is hers, by REST and in a chart spec
    adas = upload(hub, ada, "sales")
    share(hub, ada, adas["id"], "vic")
    share(hub, ada, adas["id"], "cy")
    assert resolve(hub, vic, "sales").json()["id"] == adas["id"]
    assert chart(hub, vic, "sales").json()["dataset"]["id"] == adas["id"]
    # bo shares a "sales" with vic too: the name is ambiguous, never silently bo's
    bos = upload(hub, bo, "sales")
    share(hub, bo, bos["id"], "vic")
    for r in (resolve(hub, vic, "sales"), chart(hub, vic, "sales")):
        assert r.status_code == 409, r.text
        error = r.json()
        assert set(error) == {"message", "reason", "errors"} and error["reason"] == "Ambiguous name"
        assert [e["value"] for e in error["errors"]] == ["ada/sales", "bo/sales"]
    assert chart(hub, vic, "bo/sales").json()["dataset"]["id"] == bos["id"]
    assert resolve(hub, vic, "ada/sales").json()["id"] == adas["id"]
    # vic refuses bo's share (once: then it is gone), but may not remove cy's share of ada's dataset
    assert call(hub, vic, "DELETE", f"api/datasets/{bos['id']}/shares/user/vic").status_code == 204
    assert call(hub, vic, "DELETE", f"api/datasets/{bos['id']}/shares/user/vic").status_code == 404
    assert call(hub, vic, "DELETE", f"api/datasets/{adas['id']}/shares/user/cy").status_code == 403
    assert bos["id"] not in listed(hub, vic)
    assert resolve(hub, vic, "sales").json()["id"] == adas["id"]
    assert resolve(hub, vic, "bo/sales").status_code == 404
    # vic's own "sales" comes first, whatever is shared with them
    mine = upload(hub, vic, "sales")
    assert resolve(hub, vic, "sales").json()["id"] == mine["id"]
    assert chart(hub, vic, "sales").json()["dataset"]["id"] == mine["id"]
    # and "/" stays out of names
    r = call(hub, vic, "POST", "api/datasets", CSV, params={"name": "ada/sales"})
    assert r.status_code == 400 and "'/'" in r.json()["message"]


def new_user(hub: Hub, name: str) -> str:
    r = hub.api("POST", f"users/{name}")
    assert r.status_code == 201, r.text
    return hub.token(name)


def delete_user(hub: Hub, name: str) -> None:
    r = hub.api("DELETE", f"users/{name}")
    assert r.status_code == 204, r.text


def retirements(hub: Hub, tokens: dict[str, str], user: str) -> list[dict[str, Any]]:
    r = call(hub, tokens["root"], "GET", "api/events", params={"action": "account_retired", "user": user})
    assert r.status_code == 200, r.text
    return list(r.json()["events"])


def test_a_deleted_users_datasets_are_archived_and_a_new_user_of_the_name_inherits_nothing(
    hub: Hub, tokens: dict[str, str]
):
    ada = tokens["ada"]
    gus = new_user(hub, "gus")
    notes = upload(hub, gus, "notes")
    share(hub, gus, notes["id"], "ada")
    adas = upload(hub, ada, "budget")
    share(hub, ada, adas["id"], "gus")
    assert adas["id"] in listed(hub, gus)
    # the hub deletes gus; the service imports the hub's user_deleted event (an admin opens Activity)
    delete_user(hub, "gus")
    r = call(hub, tokens["root"], "GET", "admin/api/activity", params={"action": "user_deleted"})
    assert r.status_code == 200, r.text
    assert [e["user"] for e in r.json()["events"]] == ["gus"]
    (retired,) = retirements(hub, tokens, "gus")
    assert retired["detail"]["by"] == "hub" and retired["detail"]["datasets"] == 1
    # gus's dataset is archived: gone for ada, still there for admins, under a name no one can log in as
    assert notes["id"] not in listed(hub, ada)
    archived = call(hub, tokens["root"], "GET", f"api/datasets/{notes['id']}").json()
    assert archived["owner"].startswith("deleted/") and archived["owner"].endswith("/gus")
    # someone signs up as gus again: nothing of the old gus is theirs
    gus2 = new_user(hub, "gus")
    assert listed(hub, gus2) == set()
    for name in ("notes", "budget", "ada/budget", "gus/notes"):
        assert resolve(hub, gus2, name).status_code == 404
    assert call(hub, gus2, "GET", f"api/datasets/{notes['id']}").status_code == 404
    assert call(hub, gus2, "GET", f"api/datasets/{adas['id']}").status_code == 404
    assert len(retirements(hub, tokens, "gus")) == 1


def test_a_name_used_again_inherits_nothing_even_before_the_hubs_event_is_imported(
    hub: Hub, tokens: dict[str, str]
):
    hal = new_user(hub, "hal")
    mine = upload(hub, hal, "notes")
    adas = upload(hub, tokens["ada"], "plans")
    share(hub, tokens["ada"], adas["id"], "hal")
    delete_user(hub, "hal")
    # no admin opens Activity: the hub's event waits, and a new hal arrives first
    hal2 = new_user(hub, "hal")
    assert listed(hub, hal2) == set()
    assert resolve(hub, hal2, "plans").status_code == 404
    (retired,) = retirements(hub, tokens, "hal")
    assert retired["detail"]["by"] == "livegraphs" and retired["detail"]["shares_to_them_removed"] == 1
    # the late event retires nothing more: the new hal's upload stays theirs
    new = upload(hub, hal2, "notes")
    assert call(hub, tokens["root"], "GET", "admin/api/activity").status_code == 200
    assert listed(hub, hal2) == {new["id"]}
    archived = call(hub, tokens["root"], "GET", f"api/datasets/{mine['id']}").json()
    assert archived["owner"].startswith("deleted/")
    assert len(retirements(hub, tokens, "hal")) == 1


def test_lg_load_in_a_kernel_on_the_hub_follows_the_same_names(hub: Hub, tokens: dict[str, str]):
    for token in (tokens["ada"], tokens["bo"]):
        ds = upload(hub, token, "costs")
        share(hub, token, ds["id"], "cy")
    hub.spawn("cy")
    code = """
import livegraphs_ext as lg
from livegraphs_ext.kernel.notebook import ServiceError
try:
    lg.load("costs")
except ServiceError as e:
    print(e.status, e)
print(lg.load("bo/costs").shape[0])
"""
    out = hub.run_in_kernel("cy", tokens["cy"], code)
    assert out["error"] is None, out
    first, second = out["stdout"].strip().splitlines()
    assert first.startswith("409") and "ada/costs, bo/costs" in first
    assert second == "2"
    # once the name is cy's own, lg.load takes it
    upload(hub, tokens["cy"], "costs")
    out = hub.run_in_kernel(
        "cy", tokens["cy"], 'import livegraphs_ext as lg\nprint(lg.load("costs").shape[0])'
    )
    assert out["error"] is None and out["stdout"].strip() == "2", out
    # and the activity log says each was loaded into a notebook, not exported
    events = call(hub, tokens["ivy"], "GET", "api/events", params={"user": "cy"}).json()["events"]
    kinds = [(e["action"], e["owner"], e["detail"].get("format")) for e in events if e["dataset_id"]]
    assert ("load", "bo", "parquet") in kinds and ("load", "cy", "parquet") in kinds, kinds
    assert not [k for k in kinds if k[0] == "export"], kinds


def hub_call(hub: Hub, token: str, method: str, path: str, **kwargs: Any) -> requests.Response:
    """The hub's REST API with a user's own token."""
    headers = {"Authorization": f"token {token}"}
    return requests.request(method, f"{hub.url}/hub/api/{path}", headers=headers, timeout=60, **kwargs)


def start_named_server(hub: Hub, token: str, user: str, name: str, timeout: float = 120) -> None:
    r = hub_call(hub, token, "POST", f"users/{user}/servers/{name}")
    assert r.status_code in (201, 202), r.text
    wait_ready(hub, token, user, name, timeout)


def wait_ready(hub: Hub, token: str, user: str, name: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        server = hub_call(hub, token, "GET", f"users/{user}").json()["servers"].get(name)
        if server and server.get("ready"):
            return
        time.sleep(0.3)
    raise TimeoutError(f"{user}/{name} did not start: {hub.log_tail()}")


def until_status(hub: Hub, token: str, path: str, status: int) -> None:
    """Wait for ``status``: a server re-asks the hub about a token it knows after 10 s at most."""
    deadline = time.monotonic() + 60
    while (r := contents(hub, token, path)).status_code != status:
        assert time.monotonic() < deadline, (r.status_code, r.text[:300])
        time.sleep(1)


def contents(hub: Hub, token: str, path: str) -> requests.Response:
    """A user's server through the proxy, on its owner's origin, with ``token``."""
    return requests.get(
        f"{hub.user_url('ada')}{path}", headers={"Authorization": f"token {token}"}, timeout=60
    )


def test_a_named_server_is_shared_with_chosen_users_and_a_default_server_never(
    hub: Hub, tokens: dict[str, str]
):
    ada, bo, cy = tokens["ada"], tokens["bo"], tokens["cy"]
    hub.spawn("ada")
    start_named_server(hub, ada, "ada", "pair")
    # before any share, only ada gets in
    assert contents(hub, ada, "pair/api/contents").status_code == 200
    assert contents(hub, bo, "pair/api/contents").status_code == 403
    # ada shares pair with bo, with her own token
    r = hub_call(hub, ada, "POST", "shares/ada/pair", json={"user": "bo"})
    assert r.status_code == 200, r.text
    assert r.json()["scopes"] == ["access:servers!server=ada/pair"]
    # bo opens it on ada's origin, as himself; cy does not
    until_status(hub, bo, "pair/api/contents", 200)
    assert contents(hub, bo, "pair/api/me").json()["identity"]["username"] == "bo"
    assert contents(hub, cy, "pair/api/contents").status_code == 403
    # the share is pair's only: ada's default server stays hers
    assert contents(hub, ada, "api/contents").status_code == 200
    assert contents(hub, bo, "api/contents").status_code == 403
    # no one shares a default server, nor makes a share code for it: not ada, not a hub admin
    for token in (ada, tokens["root"]):
        for path in ("shares/ada/", "share-codes/ada/"):
            r = hub_call(hub, token, "POST", path, json={"user": "bo"} if "codes" not in path else {})
            assert r.status_code == 403, (path, r.text)
            assert "default server cannot be shared" in r.json()["message"]
    assert hub_call(hub, ada, "GET", "shares/ada/").json()["items"] == []
    # bo runs code in pair as ada's account, but pair holds no token to ada's datasets
    code = f"""
import os, pwd, requests
print(pwd.getpwuid(os.getuid()).pw_name)
r = requests.get({hub.service_direct_url + "api/datasets"!r},
                 headers={{"Authorization": "token " + os.environ["JUPYTERHUB_API_TOKEN"]}})
print(r.status_code)
"""
    out = hub.run_in_kernel("ada", bo, code, server="pair")
    assert out["error"] is None, out
    account, status = out["stdout"].split()
    assert account == f"{hub.accounts.prefix}ada" and status == "403"
    # ada revokes the share: bo is refused
    r = hub_call(hub, ada, "PATCH", "shares/ada/pair", json={"user": "bo"})
    assert r.status_code == 200 and r.json() == {}, r.text
    until_status(hub, bo, "pair/api/contents", 403)
    assert hub_call(hub, ada, "GET", "shares/ada/pair").json()["items"] == []
    assert contents(hub, ada, "pair/api/contents").status_code == 200
