"""The livegraphs service on a real JupyterHub 6.1 + configurable-http-proxy, on loopback.

One hub for the whole module, run from the repository's ``jupyterhub_config.py``. Users: fay
(signs up and is approved), ada (owner), bo (another user), cy (group
``analysts``, shared as viewer), dee (group ``editors``, shared as editor), ivy
(group ``livegraphs-admins``, which holds ``custom:livegraphs:admin``) and root (the first hub admin).
"""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from livegraphs_ext.service.handlers import API_ROUTES

from .hubutil import USERS, Hub, running_hub

CSV = b"city,temp\nOslo,-3.5\nLima,24.0\nOslo,-3.5\n"
#: a bar chart of a dataset of CSV's shape, by id (``{id}``) or by name
CHART = {
    "version": 1,
    "dataset": {"id": "{id}"},
    "mark": "bar",
    "encoding": {"x": {"field": "city"}, "y": {"field": "temp", "aggregate": "mean"}},
}
#: the dashboard of the matrix's document routes: one chart and one filter over the dataset
DASHBOARD = {
    "version": 1,
    "title": "matrix",
    "filters": [{"id": "f1", "kind": "dropdown", "dataset": "{id}", "column": "city"}],
    "charts": {"c1": {"spec": CHART, "layout": {"x": 0, "y": 0, "w": 6, "h": 4}}},
}
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    with running_hub(tmp_path_factory.mktemp("hub"), USERS) as h:
        yield h


@pytest.fixture(scope="module")
def tokens(hub: Hub) -> dict[str, str]:
    return {u: hub.token(u) for u in USERS}


def call(
    base: str, token: str | None, method: str, path: str, body: Any = None, **kwargs: Any
) -> requests.Response:
    headers = {"Authorization": f"token {token}"} if token else {}
    if isinstance(body, bytes):
        headers["Content-Type"] = "text/csv"
        kwargs["data"] = body
    elif body is not None:
        kwargs["json"] = body
    return requests.request(method, base + path, headers=headers, timeout=60, **kwargs)


def upload(hub: Hub, token: str, name: str) -> dict[str, Any]:
    r = call(hub.service_url + "api/", token, "POST", f"datasets?name={name}", CSV)
    assert r.status_code == 201, r.text
    return dict(r.json())


def listed(base: str, token: str) -> set[str]:
    r = call(base, token, "GET", "datasets")
    assert r.status_code == 200, r.text
    return {d["id"] for d in r.json()["datasets"]}


def assert_error_shape(r: requests.Response) -> None:
    assert r.headers["Content-Type"].startswith("application/json"), r.headers
    assert set(r.json()) == {"message", "reason", "errors"}, r.text


# ---------------------------------------------------------------------- the flow


def test_log_in_upload_through_the_hub_share_with_a_group_and_an_admin_deletes(
    hub: Hub, tokens: dict[str, str]
):
    api = hub.service_url + "api/"
    # fay signs up with the hub's form; until the first admin approves her she cannot log in
    hub.signup("fay", "a long harbour password 7")
    with pytest.raises(AssertionError):
        hub.login("fay", "a long harbour password 7")
    root = hub.login("root", hub.first_admin_password())
    assert root.get(f"{hub.url}/hub/authorize/fay", timeout=30).status_code == 200
    fay = hub.login("fay", "a long harbour password 7")
    tokens = {**tokens, "fay": hub.token("fay")}
    # her server spawns, she opens it (the server's OAuth handshake)
    hub.spawn("fay")
    assert fay.get(f"{hub.user_url('fay')}lab", timeout=60).status_code == 200
    xsrf = fay.cookies.get("_xsrf", path="/user/fay/")
    server_api = f"{hub.user_url('fay')}livegraphs/api/"
    # she uploads through her own server, which forwards to the service
    r = fay.post(
        server_api + "datasets",
        params={"name": "harbour temps"},
        data=CSV,
        headers={"X-XSRFToken": xsrf, "Content-Type": "text/csv"},
        timeout=60,
    )
    assert r.status_code == 201, r.text
    ds = r.json()
    assert ds["owner"] == "fay" and ds["rows"] == 3 and ds["access"] == "owner"
    assert r.headers["Location"] == f"/user/fay/livegraphs/api/datasets/{ds['id']}"
    # reads and downloads come back through her server too
    page = fay.get(server_api + f"datasets/{ds['id']}/rows", params={"sort": "-temp"}, timeout=60).json()
    assert page["rows"][0] == ["Lima", 24.0] and page["total"] == 3
    r = fay.get(server_api + f"datasets/{ds['id']}/export", params={"format": "csv"}, timeout=60)
    assert r.status_code == 200 and r.content.replace(b"\r\n", b"\n") == CSV
    assert r.headers["Content-Disposition"] == "attachment; filename*=UTF-8''harbour%20temps.csv"
    # the data lives in the service's store, not in her server
    assert any((hub.data_dir / "datasets" / ds["id"]).iterdir())
    assert not (hub.root / "users" / "fay" / ".local" / "share" / "jupyter" / "livegraphs").exists()
    # visible to its owner, in her browser session and to the service directly
    assert ds["id"] in {d["id"] for d in fay.get(server_api + "datasets", timeout=60).json()["datasets"]}
    assert ds["id"] in listed(api, tokens["fay"])
    # not to anyone else
    for other in ("bo", "cy", "dee"):
        assert ds["id"] not in listed(api, tokens[other])
        assert call(api, tokens[other], "GET", f"datasets/{ds['id']}").status_code == 404
    # shared with the analysts group (from her browser, through her server): members only
    r = fay.post(
        server_api + f"datasets/{ds['id']}/shares",
        json={"kind": "group", "name": "analysts", "role": "viewer"},
        headers={"X-XSRFToken": xsrf},
        timeout=60,
    )
    assert r.status_code == 201, r.text
    assert ds["id"] in listed(api, tokens["cy"])
    assert call(api, tokens["cy"], "GET", f"datasets/{ds['id']}/rows").json()["total"] == 3
    for outsider in ("bo", "dee"):
        assert ds["id"] not in listed(api, tokens[outsider])
    # admins (a hub admin, and a holder of custom:livegraphs:admin) list everything
    for admin in ("root", "ivy"):
        assert ds["id"] in listed(api, tokens[admin])
    assert call(api, tokens["root"], "DELETE", f"datasets/{ds['id']}").status_code == 204
    assert ds["id"] not in listed(api, tokens["fay"])
    assert not (hub.data_dir / "datasets" / ds["id"]).exists()
    # the activity log tells the story, the delete marked as an admin action
    log = call(api, tokens["ivy"], "GET", "events", params={"dataset_id": ds["id"]}).json()
    assert [(e["user"], e["action"], e["admin"]) for e in reversed(log["events"])] == [
        ("fay", "upload", False),
        ("fay", "export", False),
        ("fay", "share", False),
        ("root", "delete", True),
    ]


def test_a_browser_logs_in_to_the_service_with_hub_oauth(hub: Hub):
    cy = hub.login("root", hub.first_admin_password())
    r = cy.get(hub.service_url, timeout=60)
    assert r.status_code == 200, r.text
    assert r.json()["user"] == {"name": "root", "groups": ["everyone"], "admin": True}
    # the service's own cookie now identifies them to the API
    assert cy.get(hub.service_url + "api/user", timeout=60).json()["name"] == "root"
    # a cookie-authenticated change without the XSRF header is refused
    assert cy.post(hub.service_url + "api/datasets?name=x", data=CSV, timeout=60).status_code == 403


# ---------------------------------------------------------------------- isolation

#: (method, path, body) of every route that names a dataset.
DATASET_CALLS = [
    # SQL naming the dataset as owner/name (first: the admin's pass renames it)
    ("POST", "sql/query", {"sql": 'select sum(temp) from "ada/private numbers"'}),
    ("GET", "datasets/{id}", None),
    ("PATCH", "datasets/{id}", {"name": "taken"}),
    ("GET", "datasets/{id}/rows", None),
    ("GET", "datasets/{id}/rows?q=oslo", None),
    ("GET", "datasets/{id}/versions", None),
    ("GET", "datasets/{id}/versions/1", None),
    ("POST", "datasets/{id}/revert", {"version": 1}),
    ("POST", "datasets/{id}/transforms", {"step": {"op": "dedupe"}}),
    ("POST", "datasets/{id}/data?mode=append", CSV),
    ("GET", "datasets/{id}/compare", None),
    ("GET", "datasets/{id}/recipe", None),
    ("GET", "datasets/{id}/recipe?format=python", None),
    ("GET", "datasets/{id}/export?format=csv", None),
    ("GET", "datasets/{id}/export?format=parquet", None),
    ("GET", "datasets/{id}/shares", None),
    ("POST", "datasets/{id}/shares", {"kind": "user", "name": "bo", "role": "editor"}),
    ("DELETE", "datasets/{id}/shares/user/cy", None),
    ("POST", "events", {"action": "chart_view", "dataset_id": "{id}"}),
    ("GET", "datasets/{id}/profile?column=temp", None),
    ("GET", "datasets/{id}/formula", None),
    ("POST", "datasets/{id}/formula", {"formula": "[temp] * 2"}),
    ("POST", "charts/query", {"spec": CHART}),
    ("POST", "datasets/{id}/drill", {"spec": CHART, "mark": {"x": "Oslo"}}),
    # SQL naming the dataset by id; a query's sources
    ("POST", "sql/query", {"sql": 'select * from "{id}"'}),
    ("GET", "datasets/{id}/refresh", None),
    ("DELETE", "datasets/{id}", None),  # last: the admin's pass ends with it
]


def by_name(name: str) -> dict[str, Any]:
    return {**CHART, "dataset": {"name": name}}


def fill(value: Any, ds_id: str) -> Any:
    if isinstance(value, str):
        return value.replace("{id}", ds_id)
    if isinstance(value, dict):
        return {k: fill(v, ds_id) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, ds_id) for v in value]
    return value


def test_another_user_cannot_reach_a_dataset_by_any_route(hub: Hub, tokens: dict[str, str]):
    ds = upload(hub, tokens["ada"], "private numbers")
    r = call(hub.service_url + "api/", tokens["ada"], "POST", f"datasets/{ds['id']}/shares",
             {"kind": "user", "name": "cy", "role": "viewer"})  # fmt: skip
    assert r.status_code == 201
    hub.spawn("bo")
    fronts = {
        "bo's server": f"{hub.user_url('bo')}livegraphs/api/",
        "the service via the proxy": hub.service_url + "api/",
        "the service's own port": hub.service_direct_url + "api/",
    }
    for front, base in fronts.items():
        anonymous = call(base, None, "GET", f"datasets/{ds['id']}", allow_redirects=False)
        assert anonymous.status_code == 403, (front, anonymous.status_code)
        assert ds["id"] not in listed(base, tokens["bo"]), front
        for method, path, body in DATASET_CALLS:
            r = call(base, tokens["bo"], method, fill(path, ds["id"]), fill(body, ds["id"]))
            assert r.status_code in (403, 404), (front, method, path, r.status_code, r.text)
            assert_error_shape(r)
        # a chart by the dataset's name finds nothing of ada's either
        r = call(base, tokens["bo"], "POST", "charts/query", {"spec": by_name(ds["name"])})
        assert r.status_code == 404, (front, r.status_code, r.text)
        assert_error_shape(r)
        # nor does a search of everything, by its name or by its values; cy, shared with, finds it
        for q in ("private numbers", "oslo", "lim*"):
            for who, sees in (("bo", False), ("cy", True)):
                r = call(base if who == "bo" else hub.service_url + "api/", tokens[who], "GET",
                         "datasets/search", params={"q": q})  # fmt: skip
                assert r.status_code == 200, (front, who, r.text)
                found = {x["dataset"]["id"] for x in r.json()["results"]}
                assert (ds["id"] in found) is sees, (front, who, q)
    # from bo's kernel: lg.load by name and by id, and raw calls with the server's own token
    code = f"""
import os, urllib.request, urllib.error
import livegraphs_ext as lg
from livegraphs_ext.kernel.notebook import ServiceError
print(len(lg.datasets()))
for ref in ({ds["name"]!r}, {ds["id"]!r}):
    try:
        lg.load(ref)
        print("LOADED")
    except ServiceError as e:
        print(e.status)
base = os.environ["LIVEGRAPHS_SERVICE_URL"] + "api/datasets/{ds["id"]}"
for method in ("GET", "DELETE"):
    req = urllib.request.Request(base, method=method,
                                 headers={{"Authorization": "token " + os.environ["JUPYTERHUB_API_TOKEN"]}})
    try:
        urllib.request.urlopen(req)
        print("REACHED")
    except urllib.error.HTTPError as e:
        print(e.code)
"""
    out = hub.run_in_kernel("bo", tokens["bo"], code)
    assert out["error"] is None, out
    assert out["stdout"].split() == ["0", "404", "404", "404", "404"]
    # nothing changed: still ada's, same name, one version, still shared with cy only
    api = hub.service_url + "api/"
    now = call(api, tokens["ada"], "GET", f"datasets/{ds['id']}").json()
    assert (now["name"], now["owner"], now["version"]) == ("private numbers", "ada", 1)
    shares = call(api, tokens["ada"], "GET", f"datasets/{ds['id']}/shares").json()["shares"]
    assert [(s["kind"], s["name"]) for s in shares] == [("user", "cy")]
    # the owner's kernel loads it; an admin reaches every route
    hub.spawn("ada")
    out = hub.run_in_kernel(
        "ada", tokens["ada"], f"import livegraphs_ext as lg\nprint(lg.load({ds['name']!r})['temp'].sum())"
    )
    assert out == {"stdout": "17.0\n", "error": None}
    # a chart from the owner's kernel is run by the service, and bo's kernel finds no such chart
    kpi = {"version": 1, "mark": "kpi", "encoding": {"y": {"field": "temp", "aggregate": "sum"}}}
    chart_code = f"""
import livegraphs_ext as lg
from livegraphs_ext.kernel.notebook import ServiceError
try:
    r = lg.query_chart({{**{kpi!r}, "dataset": {{"id": {ds["id"]!r}}}}})
    print(r.source_rows, r.table.column("y")[0].as_py())
except ServiceError as e:
    print(e.status)
"""
    assert hub.run_in_kernel("ada", tokens["ada"], chart_code) == {"stdout": "3 17.0\n", "error": None}
    assert hub.run_in_kernel("bo", tokens["bo"], chart_code) == {"stdout": "404\n", "error": None}
    # lg.sql, by id and as owner/name: the service runs it for ada, and finds nothing for bo
    sql_code = f"""
import livegraphs_ext as lg
from livegraphs_ext.kernel.notebook import ServiceError
for q in ('select sum(temp) as t from "{ds["id"]}"', 'select sum(temp) as t from "ada/private numbers"'):
    try:
        print(lg.sql(q)["t"][0])
    except ServiceError as e:
        print(e.status)
"""
    assert hub.run_in_kernel("ada", tokens["ada"], sql_code) == {"stdout": "17.0\n17.0\n", "error": None}
    assert hub.run_in_kernel("bo", tokens["bo"], sql_code) == {"stdout": "404\n404\n", "error": None}
    # an admin: through their own server and kernel, then every route on the service
    hub.spawn("root")
    r = call(f"{hub.user_url('root')}livegraphs/api/", tokens["root"], "GET", f"datasets/{ds['id']}")
    assert r.status_code == 200 and r.json()["access"] == "admin"
    out = hub.run_in_kernel(
        "root", tokens["root"], f"import livegraphs_ext as lg\nprint(len(lg.load({ds['id']!r})))"
    )
    assert out == {"stdout": "3\n", "error": None}
    for method, path, body in DATASET_CALLS:
        r = call(api, tokens["root"], method, fill(path, ds["id"]), fill(body, ds["id"]))
        assert r.status_code < 300, (method, path, r.status_code, r.text)


# ---------------------------------------------------------------------- the matrix

READ, WRITE, MANAGE, ANY_USER, ADMIN_ONLY, NO_ROUTE = "read", "write", "manage", "user", "admin", "none"
#: anyone, with no account at all: a public link's routes
PUBLIC = "public"
#: only the author of the thing (ada, the owner) may, admins not included
AUTHOR = "author"
#: method, path (``{id}``: a fresh dataset of ada's; ``{doc}``: her dashboard over it, ``{chartdoc}``
#: her chart document, ``{thread}`` and ``{comment}``: her comment on the dashboard), body, what it
#: needs, status on success
ROUTE_CASES = [
    ("GET", "datasets", None, ANY_USER, 200),
    ("POST", "datasets?name=fresh", CSV, ANY_USER, 201),
    ("GET", "datasets/{id}", None, READ, 200),
    ("PATCH", "datasets/{id}", {"name": "renamed"}, WRITE, 200),
    ("DELETE", "datasets/{id}", None, MANAGE, 204),
    ("GET", "datasets/{id}/rows", None, READ, 200),
    ("GET", "datasets/{id}/rows?q=oslo", None, READ, 200),
    ("GET", "datasets/search?q=oslo", None, ANY_USER, 200),
    ("GET", "datasets/{id}/versions", None, READ, 200),
    ("GET", "datasets/{id}/versions/1", None, READ, 200),
    ("POST", "datasets/{id}/revert", {"version": 1}, WRITE, 201),
    ("POST", "datasets/{id}/transforms", {"step": {"op": "dedupe"}}, WRITE, 201),
    ("POST", "datasets/{id}/data?mode=append", CSV, WRITE, 201),
    ("POST", "datasets/{id}/data?mode=replace&replay=false", CSV, WRITE, 201),
    ("GET", "datasets/{id}/compare", None, READ, 200),
    ("GET", "datasets/{id}/recipe?format=python", None, READ, 200),
    ("GET", "datasets/{id}/export?format=csv", None, READ, 200),
    ("GET", "datasets/{id}/shares", None, READ, 200),
    ("POST", "datasets/{id}/shares", {"kind": "user", "name": "bo", "role": "viewer"}, MANAGE, 201),
    ("DELETE", "datasets/{id}/shares/group/analysts", None, MANAGE, 204),
    ("GET", "user", None, ANY_USER, 200),
    ("POST", "events", {"action": "chart_view", "dataset_id": "{id}"}, READ, 204),
    ("GET", "events?action=upload", None, ADMIN_ONLY, 200),
    ("GET", "admin/engagement", None, ADMIN_ONLY, 200),
    ("GET", "openapi.yaml", None, ANY_USER, 200),
    ("GET", "datasets/{id}/profile?column=city", None, READ, 200),
    ("GET", "datasets/{id}/formula", None, READ, 200),
    ("POST", "datasets/{id}/formula", {"formula": "[temp] * 2"}, READ, 200),
    ("POST", "charts/query", {"spec": CHART}, READ, 200),
    ("POST", "charts/query", {"spec": {**CHART, "dataset": {"name": "matrix"}}}, READ, 200),
    ("GET", "charts/schema", None, ANY_USER, 200),
    ("GET", "directory?q=a", None, ANY_USER, 200),
    ("GET", "datasets/resolve?name=matrix", None, READ, 200),
    ("GET", "datasets/resolve?name=ada/matrix", None, READ, 200),
    # SQL: a dataset by its bare name, as owner/name and by id; saved as a new dataset of the caller's;
    # the query behind a dataset (none here) and running it again (400: this one is an upload)
    ("POST", "sql/query", {"sql": "select count(*) from matrix"}, READ, 200),
    ("POST", "sql/query", {"sql": 'select count(*) from "ada/matrix"'}, READ, 200),
    ("POST", "sql/query", {"sql": 'select count(*) from "{id}"'}, READ, 200),
    ("POST", "sql/datasets", {"sql": 'select city from "{id}"', "name": "fresh"}, READ, 201),
    ("GET", "datasets/{id}/refresh", None, READ, 200),
    ("POST", "datasets/{id}/refresh", None, WRITE, 400),
    # the file is in the caller's own server: the service explains where to send the request
    ("POST", "datasets/import", {"path": "data.csv", "name": "imported"}, ANY_USER, 400),
    # shared documents ({doc}: a dashboard of ada's, shared like the dataset)
    ("GET", "documents", None, ANY_USER, 200),
    ("POST", "documents", {"kind": "chart"}, ANY_USER, 201),
    ("GET", "documents/{doc}", None, READ, 200),
    ("PATCH", "documents/{doc}", {"title": "renamed"}, WRITE, 200),
    ("DELETE", "documents/{doc}", None, MANAGE, 204),
    ("GET", "documents/{doc}/content", None, READ, 200),
    ("GET", "documents/{doc}/versions", None, READ, 200),
    ("POST", "documents/{doc}/versions/1/restore", None, WRITE, 200),
    ("GET", "documents/{doc}/shares", None, READ, 200),
    ("PUT", "documents/{doc}/shares", {"kind": "user", "name": "bo", "role": "viewer"}, MANAGE, 200),
    ("DELETE", "documents/{doc}/shares/group/analysts", None, MANAGE, 204),
    # the room, asked without a WebSocket upgrade: readers are told to upgrade
    ("GET", "documents/{doc}/room", None, READ, 426),
    # the dashboard's data, for its readers
    ("POST", "documents/{doc}/charts/c1/query", {}, READ, 200),
    ("POST", "documents/{doc}/filters/f1/query", {"what": "values"}, READ, 200),
    ("POST", "documents/{chartdoc}/query", {}, READ, 200),
    # the rows behind a mark, of a dataset and through its documents
    ("POST", "datasets/{id}/drill", {"spec": CHART, "mark": {"x": "Oslo"}}, READ, 200),
    ("POST", "documents/{doc}/charts/c1/drill", {"mark": {"x": "Oslo"}}, READ, 200),
    ("POST", "documents/{chartdoc}/drill", {"mark": {"x": "Lima"}}, READ, 200),
    # models: readers fit (a report), editors add predictions; three rows are too few to fit (400)
    ("POST", "datasets/{id}/models", {"spec": {"target": "temp", "features": ["city"]}}, READ, 400),
    (
        "POST",
        "datasets/{id}/models/predictions",
        {"spec": {"target": "temp", "features": ["city"]}, "base_version": 1},
        WRITE,
        400,
    ),
    # comments
    ("GET", "documents/{doc}/comments", None, READ, 200),
    ("POST", "documents/{doc}/comments", {"chart": "c1", "text": "a spike"}, READ, 201),
    ("POST", "documents/{doc}/comments/{thread}/replies", {"text": "indeed"}, READ, 201),
    ("PATCH", "documents/{doc}/comments/{thread}", {"resolved": True}, WRITE, 200),
    ("PATCH", "documents/{doc}/comments/{thread}/{comment}", {"text": "a dip"}, AUTHOR, 200),
    ("DELETE", "documents/{doc}/comments/{thread}/{comment}", None, MANAGE, 204),
    # publishing ({doc} published by ada, with a public link {public}, a signed-in one {signed}
    # and {link}, the id of the public one)
    ("POST", "documents/{doc}/publish", None, WRITE, 201),
    ("GET", "documents/{doc}/snapshots", None, WRITE, 200),
    ("GET", "documents/{doc}/links", None, WRITE, 200),
    ("POST", "documents/{doc}/links", {"kind": "public"}, WRITE, 201),
    ("DELETE", "documents/{doc}/links/{link}", None, WRITE, 204),
    ("GET", "links/{signed}", None, ANY_USER, 200),
    ("POST", "links/{signed}/charts/c1/query", {}, ANY_USER, 200),
    ("POST", "links/{signed}/filters/f1/query", {"what": "values"}, ANY_USER, 200),
    ("GET", "public/{public}", None, PUBLIC, 200),
    ("POST", "public/{public}/charts/c1/query", {}, PUBLIC, 200),
    ("POST", "public/{public}/filters/f1/query", {"what": "values"}, PUBLIC, 200),
    *[(m, "no/such/route", None, NO_ROUTE, 404) for m in ("GET", "POST", "PUT", "PATCH", "DELETE")],
]
#: the placeholders of a published dashboard's links
LINK_NAMES = ("{link}", "{signed}", "{public}")
#: who → (hub user or None for anonymous, their rank on the dataset)
CALLERS = {
    "anonymous": (None, 0),
    "owner": ("ada", 3),
    "other user": ("bo", 0),
    "group viewer": ("cy", 1),
    "group editor": ("dee", 2),
    "hub admin": ("root", 3),
    "scope admin": ("ivy", 3),
}
_NEED = {READ: 1, WRITE: 2, MANAGE: 3}


def expected_status(who: str, needs: str, ok: int) -> int:
    user, rank = CALLERS[who]
    if needs == PUBLIC:
        return ok
    if user is None:
        return 403
    if needs == ANY_USER:
        return ok
    if needs == NO_ROUTE:
        return 404
    if needs == ADMIN_ONLY:
        return ok if who in ("hub admin", "scope admin") else 403
    if needs == AUTHOR:
        return ok if who == "owner" else 404 if rank == 0 else 403
    if rank >= _NEED[needs]:
        return ok
    return 404 if rank == 0 else 403


def test_the_matrix_covers_every_route_and_method():
    covered = set()
    for method, path, *_ in ROUTE_CASES:
        concrete = path.split("?")[0]
        for i, name in enumerate(("{id}", "{doc}", "{chartdoc}", "{thread}", "{comment}", *LINK_NAMES)):
            concrete = concrete.replace(name, str(i) * 32)
        for pattern, _handler in API_ROUTES:
            if re.fullmatch(pattern, concrete):
                covered.add((pattern, method))
                break
    wanted = {
        (pattern, m)
        for pattern, handler in API_ROUTES
        for m in ("GET", "POST", "PUT", "PATCH", "DELETE")
        if callable(getattr(handler, m.lower(), None)) and m.lower() in _own_methods(handler)
    }
    assert wanted - covered == set()


def _own_methods(handler: type) -> set[str]:
    return {
        name
        for cls in handler.__mro__
        if cls.__module__.startswith("livegraphs_ext")
        for name in vars(cls)
        if name in ("get", "post", "put", "patch", "delete")
    }


@pytest.mark.parametrize("who", list(CALLERS))
@pytest.mark.parametrize(("method", "path", "body", "needs", "ok"), ROUTE_CASES)
def test_authorization_matrix(
    hub: Hub, tokens: dict[str, str], who: str, method: str, path: str, body: Any, needs: str, ok: int
):
    api = hub.service_url + "api/"
    # a leftover of an earlier case (its clean-up is not what it tests) must not fail this one
    for d in call(api, tokens["root"], "GET", "datasets", params={"name": "matrix"}).json()["datasets"]:
        call(api, tokens["root"], "DELETE", f"datasets/{d['id']}")
    ds = upload(hub, tokens["ada"], "matrix")
    for group, role in (("analysts", "viewer"), ("editors", "editor")):
        r = call(
            api,
            tokens["ada"],
            "POST",
            f"datasets/{ds['id']}/shares",
            {"kind": "group", "name": group, "role": role},
        )
        assert r.status_code == 201
    doc = None
    for name, kind, content in (("{doc}", "dashboard", DASHBOARD), ("{chartdoc}", "chart", CHART)):
        linked = name == "{doc}" and any(n in path for n in LINK_NAMES)
        if name not in path and not linked:
            continue
        new = {"kind": kind, "title": "matrix", "content": fill(content, ds["id"])}
        doc = call(api, tokens["ada"], "POST", "documents", new).json()
        for group, role in (("analysts", "viewer"), ("editors", "editor")):
            share = {"kind": "group", "name": group, "role": role}
            assert call(api, tokens["ada"], "PUT", f"documents/{doc['id']}/shares", share).status_code == 200
        path = path.replace(name, doc["id"])
    if doc is not None and ("/links" in path or any(n in path for n in LINK_NAMES)):
        assert call(api, tokens["ada"], "POST", f"documents/{doc['id']}/publish").status_code == 201
        for kind, name in (("public", "{public}"), ("signed_in", "{signed}")):
            link = call(api, tokens["ada"], "POST", f"documents/{doc['id']}/links", {"kind": kind}).json()
            path = path.replace(name, link["token"])
            if kind == "public":
                path = path.replace("{link}", link["id"])
    if doc is not None and "{thread}" in path:
        comment = {"chart": "c1", "text": "first"}
        thread = call(api, tokens["ada"], "POST", f"documents/{doc['id']}/comments", comment).json()
        path = path.replace("{thread}", thread["id"]).replace("{comment}", thread["comments"][0]["id"])
    try:
        user = CALLERS[who][0]
        r = call(api, tokens[user] if user else None, method, fill(path, ds["id"]), fill(body, ds["id"]))
        assert r.status_code == expected_status(who, needs, ok), (who, method, path, r.status_code, r.text)
        if r.status_code >= 400:
            assert_error_shape(r)
    finally:
        call(api, tokens["ada"], "DELETE", f"datasets/{ds['id']}")
        if doc is not None:
            call(api, tokens["ada"], "DELETE", f"documents/{doc['id']}")
        for d in call(api, tokens["root"], "GET", "datasets", params={"name": "fresh"}).json()["datasets"]:
            call(api, tokens["root"], "DELETE", f"datasets/{d['id']}")


# ---------------------------------------------------------------------- metrics


def test_metrics_need_read_metrics_or_livegraphs_admin(hub: Hub, tokens: dict[str, str]):
    upload(hub, tokens["ada"], "counted")
    url = hub.service_url + "metrics"
    for token in (None, tokens["bo"], tokens["cy"]):
        assert call(url, token, "GET", "").status_code == 403
    r = call(url, hub.prometheus_token, "GET", "")
    assert r.status_code == 200, r.text
    text = r.text
    assert re.search(r"^livegraphs_uploads_total [1-9]", text, re.M), text
    assert re.search(
        r"^livegraphs_request_duration_seconds_count"
        r'\{code="201",handler="DatasetsHandler",method="POST"\} [1-9]',
        text,
        re.M,
    )
    assert re.search(r'^livegraphs_active_users\{period="1h"\} [1-9]', text, re.M)
    assert re.search(r"^livegraphs_stored_bytes [1-9]", text, re.M)
    for admin in ("root", "ivy"):
        assert call(url, tokens[admin], "GET", "").status_code == 200


def test_engagement_for_admins(hub: Hub, tokens: dict[str, str]):
    ds = upload(hub, tokens["ada"], "engaging")
    api = hub.service_url + "api/"
    call(
        api,
        tokens["ada"],
        "POST",
        f"datasets/{ds['id']}/shares",
        {"kind": "user", "name": "bo", "role": "viewer"},
    )
    for _ in range(3):
        assert (
            call(
                api, tokens["bo"], "POST", "events", {"action": "chart_view", "dataset_id": ds["id"]}
            ).status_code
            == 204
        )
    assert (
        call(api, tokens["bo"], "POST", "events", {"action": "delete", "dataset_id": ds["id"]}).status_code
        == 400
    )
    e = call(api, tokens["root"], "GET", "admin/engagement").json()
    bo = next(u for u in e["users"] if u["user"] == "bo")
    assert bo["views"] >= 3
    mine = next(d for d in e["datasets"] if d["dataset_id"] == ds["id"])
    assert (mine["views"], mine["users"], mine["name"]) == (3, 2, "engaging")
    r = call(api, tokens["root"], "GET", "admin/engagement", params={"since": "yesterday"})
    assert r.status_code == 400
    assert_error_shape(r)


def test_the_service_keeps_its_data_dir_private(hub: Hub):
    assert Path(hub.data_dir).stat().st_mode & 0o077 == 0


def test_an_upload_streams_through_the_users_server_and_a_cancelled_one_leaves_nothing(
    hub: Hub, tokens: dict[str, str]
):
    hub.spawn("bo")
    staging = hub.data_dir / "staging"
    total = 64 << 20
    head = (
        f"POST /user/bo/livegraphs/api/datasets?name=half%20sent HTTP/1.1\r\n"
        f"Host: {urlsplit(hub.user_url('bo')).netloc}\r\nAuthorization: token {tokens['bo']}\r\n"
        f"Content-Type: text/csv\r\nContent-Length: {total}\r\n\r\n"
    ).encode()
    row = b"x,y\n" + b"1,2\n" * ((1 << 20) // 4)
    with socket.create_connection(("127.0.0.1", hub.port), timeout=30) as sock:
        sock.sendall(head + row * 4)  # 4 MiB of the announced 64
        # the first megabytes reach the service's staging folder while the browser is still sending
        deadline = time.monotonic() + 30
        while not any(p.stat().st_size > 0 for p in staging.iterdir()):
            assert time.monotonic() < deadline, "the upload did not stream through to the service"
            time.sleep(0.1)
    # the browser went away: the service keeps nothing
    deadline = time.monotonic() + 30
    while any(staging.iterdir()):
        assert time.monotonic() < deadline, list(staging.iterdir())
        time.sleep(0.1)
    assert call(
        hub.service_url + "api/", tokens["bo"], "GET", "datasets", params={"name": "half sent"}
    ).json() == {"datasets": []}


def test_shares_name_hub_users_and_groups_that_exist(hub: Hub, tokens: dict[str, str]):
    ds = upload(hub, tokens["ada"], "typo-proof")
    api = hub.service_url + "api/"
    for kind, name in (("user", "nobody-here"), ("group", "no-such-team")):
        r = call(api, tokens["ada"], "POST", f"datasets/{ds['id']}/shares", {"kind": kind, "name": name})
        assert r.status_code == 400, r.text
        assert name in r.json()["message"]
    # an outsider learns nothing about names or the dataset: 404 before any hub lookup
    r = call(
        api, tokens["bo"], "POST", f"datasets/{ds['id']}/shares", {"kind": "user", "name": "nobody-here"}
    )
    assert r.status_code == 404
    r = call(
        api,
        tokens["ada"],
        "POST",
        f"datasets/{ds['id']}/shares",
        {"kind": "user", "name": "dee", "role": "editor"},
    )
    assert r.status_code == 201
    shares = call(api, tokens["ada"], "GET", f"datasets/{ds['id']}/shares").json()["shares"]
    assert [s | {"created": ""} for s in shares] == [
        {"kind": "user", "name": "dee", "role": "editor", "created": "", "created_by": "ada"}
    ]


def wait_for_status(base: str, token: str, path: str, status: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while (got := call(base, token, "GET", path).status_code) != status:
        assert time.monotonic() < deadline, f"still {got}, waited for {status}"
        time.sleep(0.5)


def test_leaving_a_group_ends_access_without_a_restart(hub: Hub, tokens: dict[str, str]):
    ds = upload(hub, tokens["ada"], "team data")
    api = hub.service_url + "api/"
    r = call(
        api,
        tokens["ada"],
        "POST",
        f"datasets/{ds['id']}/shares",
        {"kind": "group", "name": "editors", "role": "editor"},
    )
    assert r.status_code == 201
    assert call(api, tokens["dee"], "GET", f"datasets/{ds['id']}").json()["access"] == "editor"
    assert hub.api("DELETE", "groups/editors/users", json={"users": ["dee"]}).status_code == 200
    try:
        # the service asks the hub again once its short identity cache expires
        wait_for_status(api, tokens["dee"], f"datasets/{ds['id']}", 404)
    finally:
        assert hub.api("POST", "groups/editors/users", json={"users": ["dee"]}).status_code == 200
        wait_for_status(api, tokens["dee"], f"datasets/{ds['id']}", 200)


# ---------------------------------------------------------------------- charts, profiles, imports


def test_a_viewer_charts_a_shared_dataset_by_name_and_is_counted_once(hub: Hub, tokens: dict[str, str]):
    api = hub.service_url + "api/"
    ds = upload(hub, tokens["ada"], "chart me")
    r = call(api, tokens["ada"], "POST", f"datasets/{ds['id']}/shares",
             {"kind": "user", "name": "cy", "role": "viewer"})  # fmt: skip
    assert r.status_code == 201
    hub.spawn("cy")
    server_api = f"{hub.user_url('cy')}livegraphs/api/"
    results = []
    for _ in range(2):  # building a chart queries it again and again
        r = call(server_api, tokens["cy"], "POST", "charts/query", {"spec": by_name("chart me")})
        assert r.status_code == 200, r.text
        results.append(r.json())
    first = results[0]
    assert first["dataset"] == {"id": ds["id"], "version": 1}
    assert dict(zip(first["data"]["x"], first["data"]["y"], strict=True)) == {"Oslo": -3.5, "Lima": 24.0}
    assert results[1]["cached"] is True
    # Arrow IPC for clients that ask for it, through cy's server too
    r = requests.post(server_api + "charts/query", json={"spec": fill(CHART, ds["id"])}, timeout=60,
                      headers={"Authorization": f"token {tokens['cy']}",
                               "Accept": "application/vnd.apache.arrow.stream"})  # fmt: skip
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/vnd.apache.arrow.stream"
    assert r.content[:4] == b"\xff\xff\xff\xff"  # an IPC stream's continuation marker
    # a profile and formula check for the viewer; the schema for anyone logged in
    prof = call(server_api, tokens["cy"], "GET", f"datasets/{ds['id']}/profile", params={"column": "city"})
    assert prof.status_code == 200 and prof.json()["count"] == 3, prof.text
    check = call(server_api, tokens["cy"], "POST", f"datasets/{ds['id']}/formula", {"formula": "[temp] +"})
    assert check.status_code == 200 and check.json()["valid"] is False
    assert "properties" in call(server_api, tokens["cy"], "GET", "charts/schema").json()
    # a bad spec is a 400 in the one error shape
    r = call(api, tokens["cy"], "POST", "charts/query", {"spec": {**by_name("chart me"), "mark": "blob"}})
    assert r.status_code == 400
    assert_error_shape(r)
    # one view of ada's dataset by cy, however many queries
    log = call(api, tokens["ivy"], "GET", "events", params={"dataset_id": ds["id"]}).json()
    assert [(e["user"], e["action"]) for e in log["events"] if e["action"] == "chart_view"] == [
        ("cy", "chart_view")
    ]


def test_import_streams_a_file_of_the_users_server_to_the_service(hub: Hub, tokens: dict[str, str]):
    hub.spawn("bo")
    home = hub.root / "users" / "bo"
    (home / "data").mkdir(exist_ok=True)
    rows = 400_000  # ~7 MiB: several chunks on the way
    body = b"n,label\n" + b"".join(b"%d,row %d\n" % (i, i % 7) for i in range(rows))
    (home / "data" / "big.csv").write_bytes(body)
    (home / ".hidden.csv").write_bytes(CSV)
    (hub.root / "users" / "outside.csv").write_bytes(CSV)
    server_api = f"{hub.user_url('bo')}livegraphs/api/"
    r = call(
        server_api, tokens["bo"], "POST", "datasets/import", {"path": "data/big.csv", "name": "imported"}
    )
    assert r.status_code == 201, r.text
    ds = r.json()
    assert (ds["owner"], ds["rows"], ds["access"]) == ("bo", rows, "owner")
    assert r.headers["Location"] == f"/user/bo/livegraphs/api/datasets/{ds['id']}"
    # the service holds it; bo's server keeps nothing
    assert any((hub.data_dir / "datasets" / ds["id"]).iterdir())
    assert not (home / ".local" / "share" / "jupyter" / "livegraphs").exists()
    api = hub.service_url + "api/"
    page = call(api, tokens["bo"], "GET", f"datasets/{ds['id']}/rows", params={"sort": "-n", "limit": 1})
    assert page.json()["rows"] == [[rows - 1, f"row {(rows - 1) % 7}"]]
    log = call(api, tokens["ivy"], "GET", "events", params={"dataset_id": ds["id"]}).json()["events"]
    assert [(e["user"], e["action"], e["detail"]["bytes"], e["detail"]["filename"]) for e in log] == [
        ("bo", "upload", len(body), "big.csv")
    ]
    # the laptop's checks: inside the server's root, not hidden, a file, a name
    for path in (".hidden.csv", "../outside.csv", "data", "data/missing.csv", "/etc/passwd"):
        r = call(server_api, tokens["bo"], "POST", "datasets/import", {"path": path, "name": "x"})
        assert r.status_code == 404, (path, r.status_code, r.text)
        assert_error_shape(r)
    for bad in ({"path": "data/big.csv"}, {"path": "data/big.csv", "name": " "}, {"name": "x"}, [1]):
        r = call(server_api, tokens["bo"], "POST", "datasets/import", bad)
        assert r.status_code == 400, (bad, r.status_code, r.text)
        assert_error_shape(r)
    r = call(
        server_api,
        None,
        "POST",
        "datasets/import",
        {"path": "data/big.csv", "name": "x"},
        allow_redirects=False,
    )
    assert r.status_code == 403
    # nothing else was made, and ada cannot import from bo's server
    assert call(api, tokens["bo"], "GET", "datasets", params={"name": "x"}).json() == {"datasets": []}
    r = call(
        server_api,
        tokens["ada"],
        "POST",
        "datasets/import",
        {"path": "data/big.csv", "name": "x"},
        allow_redirects=False,
    )
    assert r.status_code == 403


def test_import_passes_bad_values_on_to_the_service(hub: Hub, tokens: dict[str, str]):
    hub.spawn("bo")
    home = hub.root / "users" / "bo"
    dates = b"day\n" + b"".join(b"2024-01-%02d\n" % d for d in range(1, 21)) + b"2024-02-30\n"
    (home / "dates.csv").write_bytes(dates)
    server_api = hub.user_url("bo") + "livegraphs/api/"
    r = call(
        server_api,
        tokens["bo"],
        "POST",
        "datasets/import",
        {"path": "dates.csv", "name": "dates kept", "bad_values": "null"},
    )
    assert r.status_code == 201, r.text
    (day,) = r.json()["columns"]
    assert (day["type"], day["nulls"]) == ("date", 1)
    assert r.json()["report"]["problems"] == [
        {"row": 21, "column": "day", "value": "2024-02-30", "expected": "date"}
    ]
    # the same file appended to that dataset, through bo's server to POST datasets/{id}/data
    ds_id = r.json()["id"]
    r = call(
        server_api,
        tokens["bo"],
        "POST",
        "datasets/import",
        {"path": "dates.csv", "dataset": ds_id, "mode": "append", "bad_values": "null"},
    )
    assert r.status_code == 201, r.text
    assert (r.json()["version"], r.json()["rows"], r.json()["changes"]["rows_received"]) == (2, 42, 21)
    assert r.json()["columns"][0]["nulls"] == 2
    r = call(
        server_api,
        tokens["bo"],
        "POST",
        "datasets/import",
        {"path": "dates.csv", "name": "y", "bad_values": "x"},
    )
    assert r.status_code == 400
    assert_error_shape(r)


def test_in_jupyterlab_a_viewer_is_offered_neither_delete_nor_cleaning(hub: Hub, tokens: dict[str, str]):
    from playwright.sync_api import expect, sync_playwright

    chromium = Path("/usr/bin/chromium")
    assert chromium.exists(), "Debian chromium is needed (scripts/test.sh installs it)"
    password = "a long viewing password 9"
    hub.signup("vic", password)
    root = hub.login("root", hub.first_admin_password())
    assert root.get(f"{hub.url}/hub/authorize/vic", timeout=30).status_code == 200
    hub.login("vic", password)  # the hub knows vic from their first login
    vic_token = hub.token("vic")
    own = upload(hub, vic_token, "vic own")
    shared = upload(hub, tokens["ada"], "ada shows vic")
    r = call(hub.service_url + "api/", tokens["ada"], "POST", f"datasets/{shared['id']}/shares",
             {"kind": "user", "name": "vic", "role": "viewer"})  # fmt: skip
    assert r.status_code == 201
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"{hub.url}/hub/login")
            page.get_by_label("Username", exact=True).fill("vic")
            page.get_by_label("Password", exact=True).fill(password)
            page.get_by_role("button", name="Sign in", exact=True).click()
            page.wait_for_url("**/user/vic/lab**", timeout=120_000)
            page.locator('.jp-SideBar .lm-TabBar-tab[data-id="livegraphs-datasets"]').click()
            panel = page.locator("#livegraphs-datasets")
            expect(panel).to_have_attribute("data-lg-state", "ready", timeout=60_000)

            def item(name: str) -> Any:
                return panel.locator(".jp-LiveGraphs-dataset").filter(
                    has=page.locator(".jp-LiveGraphs-datasetName", has_text=name)
                )

            expect(item("ada shows vic")).to_contain_text("ada · viewer")
            menu = page.locator(".lm-Menu")
            for name, may in (("ada shows vic", False), ("vic own", True)):
                item(name).click(button="right")
                expect(menu.get_by_text("Open Dataset", exact=True)).to_be_visible()
                for label in ("Delete Dataset…", "Rename Dataset…"):
                    entry = expect(menu.get_by_text(label, exact=True))
                    if may:
                        entry.to_be_visible()
                    else:
                        entry.to_be_hidden()
                page.keyboard.press("Escape")

            def offered(view_id: str, command: str, want: int) -> None:
                """The command's buttons shown in the view's toolbar or its overflow, opened afresh
                until they are as many as ``want`` (a popup shows its items as they were when
                it opened, and a view learns its rights after it shows)."""
                button = f'[data-command="{command}"]'
                shown = page.locator(f"#{view_id} {button}, .jp-Toolbar-responsive-popup {button}")
                overflow = (
                    page.locator(f"#{view_id}")
                    .get_by_role("toolbar")
                    .get_by_role("button", name="More commands")
                )
                deadline = time.monotonic() + 20
                while True:
                    opened = overflow.is_visible()
                    if opened:
                        overflow.click()
                        page.wait_for_timeout(300)
                    count = shown.locator("visible=true").count()
                    if opened:
                        overflow.click()
                    if count == want or time.monotonic() > deadline:
                        break
                    page.wait_for_timeout(500)
                assert count == want, (command, count, want)

            # the shared dataset's view: no cleaning or undo; the own one has them
            for name, ds, may in (("ada shows vic", shared, False), ("vic own", own, True)):
                item(name).dblclick()
                view_id = f"livegraphs-dataset-{ds['id']}"
                view = page.locator(f"#{view_id}")
                expect(view).to_be_visible(timeout=60_000)
                # a narrow toolbar moves its last buttons under "More commands"
                expect(
                    view.get_by_role("toolbar").get_by_role("searchbox", name="Search rows")
                ).to_be_visible()
                offered(view_id, "livegraphs:export-dataset", 1)
                for command in ("livegraphs:step-filter", "livegraphs:undo-step"):
                    offered(view_id, command, 1 if may else 0)
                type_select = expect(view.locator("select.jp-LiveGraphs-typeSelect").first)
                if may:
                    type_select.to_be_enabled()
                else:
                    type_select.to_be_disabled()
        finally:
            browser.close()


def test_view_reports_are_small_plain_and_rate_limited(hub: Hub, tokens: dict[str, str]):
    api = hub.service_url + "api/"
    ds = upload(hub, tokens["dee"], "reported")
    report = {"action": "dashboard_view", "dataset_id": ds["id"]}
    # A body over 4 KiB is refused before anything else
    big = call(api, tokens["dee"], "POST", "events", {**report, "detail": {"chart": "x" * 5000}})
    assert big.status_code == 413
    assert_error_shape(big)
    # detail holds only the documented keys, each a short text, a number or a flag
    for detail in ({"note": "hi"}, {"chart": "x" * 201}, {"chart": {"nested": "text"}}, "text"):
        r = call(api, tokens["dee"], "POST", "events", {**report, "detail": detail})
        assert r.status_code == 400, detail
        assert_error_shape(r)
    ok = call(api, tokens["dee"], "POST", "events", {**report, "detail": {"chart": "Sales", "mark": "bar"}})
    assert ok.status_code == 204
    # Each user may report 60 views a minute (the default), in bursts of as many
    statuses: list[int] = []
    for _ in range(100):
        r = call(api, tokens["dee"], "POST", "events", report)
        statuses.append(r.status_code)
        if r.status_code != 204:
            break
    assert r.status_code == 429 and len(statuses) < 100
    assert int(r.headers["Retry-After"]) >= 1
    assert_error_shape(r)
    # Another user is not held back, and only the accepted reports were logged
    own = upload(hub, tokens["bo"], "reported-too")
    assert call(api, tokens["bo"], "POST", "events", {**report, "dataset_id": own["id"]}).status_code == 204
    log = call(
        api, tokens["root"], "GET", "events", params={"action": "dashboard_view", "dataset_id": ds["id"]}
    ).json()
    assert log["total"] == 1 + statuses.count(204)
    assert {e["detail"].get("chart") for e in log["events"]} == {"Sales", None}


def test_api_answers_carry_nosniff_and_a_policy_that_allows_nothing(hub: Hub, tokens: dict[str, str]):
    api = hub.service_url + "api/"
    for r in (
        call(api, tokens["ada"], "GET", "user"),
        call(api, tokens["ada"], "GET", "datasets"),
        call(api, tokens["ada"], "GET", "datasets/nope"),  # an error answer too
        call(api, None, "GET", "user"),
    ):
        assert r.headers["X-Content-Type-Options"] == "nosniff", r.url
        assert r.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'", r.url


def test_lg_upload_in_a_kernel_goes_through_the_service_and_only_editors_append(
    hub: Hub, tokens: dict[str, str]
):
    hub.spawn("ada")
    hub.spawn("cy")
    code = """
import pandas as pd
import livegraphs_ext as lg
ds = lg.upload(pd.DataFrame({"city": ["Oslo", "Lima"], "temp": [1.5, 2.5]}), "kernel upload")
open("more.csv", "w").write("city,temp,wind\\nRome,3,4\\n")
out = lg.upload("more.csv", "kernel upload", mode="append")
print(ds["version"], out["version"], out["rows"], [c["name"] for c in out["changes"]["added"]])
print(lg.load("kernel upload")["city"].tolist())
"""
    out = hub.run_in_kernel("ada", tokens["ada"], code)
    assert out == {"stdout": "1 2 3 ['wind']\n['Oslo', 'Lima', 'Rome']\n", "error": None}
    api = hub.service_url + "api/"
    ds = call(api, tokens["ada"], "GET", "datasets/resolve", params={"name": "kernel upload"}).json()
    r = call(
        api,
        tokens["ada"],
        "POST",
        f"datasets/{ds['id']}/shares",
        {"kind": "user", "name": "cy", "role": "viewer"},
    )
    assert r.status_code == 201
    denied = """
import pandas as pd
import livegraphs_ext as lg
from livegraphs_ext.kernel.notebook import ServiceError
try:
    lg.upload(pd.DataFrame({"city": ["Bern"]}), "ada/kernel upload", mode="replace")
except ServiceError as e:
    print(e.status)
"""
    assert hub.run_in_kernel("cy", tokens["cy"], denied) == {"stdout": "403\n", "error": None}
    now = call(api, tokens["ada"], "GET", f"datasets/{ds['id']}").json()
    assert (now["version"], now["rows"]) == (2, 3)
    log = call(api, tokens["ivy"], "GET", "events", params={"dataset_id": ds["id"]}).json()["events"]
    # newest first (lg.load's load event aside); cy's refused replace left no trace
    changes = [
        (e["user"], e["action"], e["detail"].get("op")) for e in log if e["action"] not in ("export", "load")
    ]
    assert changes == [
        ("ada", "share", None),
        ("ada", "change", "append"),
        ("ada", "upload", None),
    ]
    call(api, tokens["ada"], "DELETE", f"datasets/{ds['id']}")


def test_a_public_link_page_opens_on_the_hub_for_nobody_and_a_revoked_one_is_404(
    hub: Hub, tokens: dict[str, str]
):
    api = hub.service_url + "api/"
    ds = upload(hub, tokens["ada"], "published")
    new = {"kind": "dashboard", "title": "published", "content": fill(DASHBOARD, ds["id"])}
    doc = call(api, tokens["ada"], "POST", "documents", new).json()
    try:
        assert call(api, tokens["ada"], "POST", f"documents/{doc['id']}/publish").status_code == 201
        link = call(api, tokens["ada"], "POST", f"documents/{doc['id']}/links", {"kind": "public"}).json()
        # the page's path is the service's, and nobody opens it: the shell, its script and styles
        assert link["url"] == f"/services/livegraphs/public/{link['token']}"
        page = requests.get(hub.service_url + f"public/{link['token']}", timeout=30, allow_redirects=False)
        assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
        assert "/services/livegraphs/static/viewer.js" in page.text
        for asset in ("viewer.js", "viewer.css"):
            r = requests.get(hub.service_url + f"static/{asset}", timeout=30)
            assert r.status_code == 200 and len(r.content) > 1000, asset
        # the dashboard's own page needs an account: the hub's login, then back to the page
        r = requests.get(hub.service_url + f"view/{doc['id']}", timeout=30, allow_redirects=False)
        assert r.status_code == 302 and "/hub/api/oauth2/authorize" in r.headers["Location"]
        assert "state=" in r.headers["Location"]
        # a browser logged in at the hub goes through its OAuth and lands on the page (root: an admin)
        browser = hub.login("root", hub.first_admin_password())
        r = browser.get(hub.service_url + f"view/{doc['id']}", timeout=30)
        assert r.status_code == 200 and r.url.endswith(f"/services/livegraphs/view/{doc['id']}")
        assert 'data-lg-mode="live"' in r.text and 'data-lg-xsrf="' in r.text
        # and the page's own POSTs pass with the token it carries (the service's session-bound _xsrf)
        xsrf = r.text.split('data-lg-xsrf="')[1].split('"')[0]
        q = browser.post(
            api + f"documents/{doc['id']}/charts/c1/query", json={}, headers={"X-XSRFToken": xsrf}
        )
        assert q.status_code == 200, q.text
        r = call(api, tokens["ada"], "DELETE", f"documents/{doc['id']}/links/{link['id']}")
        assert r.status_code == 204
        gone = requests.get(hub.service_url + f"public/{link['token']}", timeout=30)
        assert gone.status_code == 404 and "revoked" in gone.text
    finally:
        call(api, tokens["ada"], "DELETE", f"documents/{doc['id']}")
        call(api, tokens["ada"], "DELETE", f"datasets/{ds['id']}")


def test_new_data_through_the_users_server_names_the_users_chart_files(hub: Hub, tokens: dict[str, str]):
    # The service cannot read bo's files; bo's own server, which forwards the API, can.
    hub.spawn("bo")
    home = hub.root / "users" / "bo"
    (home / "rain.csv").write_bytes(b"day,temp,rain\n2024-01-01,3,0.5\n2024-01-02,4,0.1\n")
    server_api = f"{hub.user_url('bo')}livegraphs/api/"
    r = call(server_api, tokens["bo"], "POST", "datasets/import", {"path": "rain.csv", "name": "rainfall"})
    assert r.status_code == 201, r.text
    ds = r.json()
    chart = {"version": 1, "dataset": {"name": "rainfall"}, "mark": "bar"}
    (home / "reports").mkdir(exist_ok=True)
    (home / "reports" / "rain.lgchart").write_text(
        json.dumps({**chart, "title": "Rain", "encoding": {"x": {"field": "day"}, "y": {"field": "rain"}}})
    )
    (home / "temps.lgchart").write_text(
        json.dumps({**chart, "dataset": {"id": ds["id"]}, "encoding": {"x": {"field": "temp"}}})
    )
    rain = {"path": "reports/rain.lgchart", "kind": "chart", "title": "Rain", "columns": ["rain"]}

    def files(uses: dict[str, Any]) -> list[dict[str, Any]]:
        return [{k: f[k] for k in rain} for f in uses["files"]]

    # new data from a file of the server: rain is gone, and the chart file using it is named
    (home / "temps.csv").write_bytes(b"day,temp\n2024-01-03,5\n")
    r = call(
        server_api, tokens["bo"], "POST", "datasets/import",
        {"path": "temps.csv", "dataset": ds["id"], "mode": "replace"},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    changes = r.json()["changes"]
    assert [c["name"] for c in changes["removed"]] == ["rain"]
    assert files(changes["charts"]) == [rain] and changes["charts"]["files_complete"] is True
    assert changes["note"] is None
    # the same when the file is sent as the body, and when the versions are compared
    r = call(
        server_api, tokens["bo"], "POST", f"datasets/{ds['id']}/data",
        b"day,rain\n2024-01-04,0.2\n", params={"mode": "replace"},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    assert [c["name"] for c in r.json()["changes"]["removed"]] == ["temp"]
    temps = {**rain, "path": "temps.lgchart", "title": "temps", "columns": ["temp"]}
    assert files(r.json()["changes"]["charts"]) == [temps]
    r = call(server_api, tokens["bo"], "GET", f"datasets/{ds['id']}/compare", params={"to": 2, "from": 1})
    assert r.status_code == 200, r.text
    assert files(r.json()["charts"]) == [rain]
    # the service alone names no files
    r = call(hub.service_url + "api/", tokens["bo"], "GET", f"datasets/{ds['id']}/compare",
             params={"to": 2, "from": 1})  # fmt: skip
    assert r.status_code == 200, r.text
    assert "files" not in r.json()["charts"]
    # an error passes through as it came
    r = call(server_api, tokens["bo"], "GET", f"datasets/{ds['id']}/compare", params={"to": 99})
    assert r.status_code == 404, r.text
    assert_error_shape(r)
