"""The REST contract of shared documents: every route, its 4xx answers and its body limits.

A real jupyter server with livegraphs; the laptop's one user is an admin, so the levels of other
users are tested in ``tests/store/test_documents.py`` (and 403 for every route in test_auth.py).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import orjson
import pytest
from pycrdt import Doc

from livegraphs_ext.documents.dashboard import YDashboard, dump_dashboard
from livegraphs_ext.handlers.documents import MAX_IMPORT_BYTES, MAX_META_BYTES
from livegraphs_ext.store import GuardedStore, Principal

from ..conftest import body
from .test_api import assert_error_shape

SPEC = {"version": 1, "dataset": {"name": "sales"}, "mark": "bar", "encoding": {"x": {"field": "region"}}}
DASHBOARD: dict[str, Any] = {
    "version": 1,
    "title": "Sales",
    "crossfilter": True,
    "filters": [],
    "charts": {"c1": {"spec": SPEC, "layout": {"x": 0, "y": 0, "w": 6, "h": 4}}},
}
BO = Principal("bo")


def guarded(jp_serverapp: Any) -> GuardedStore:
    return jp_serverapp.web_app.settings["livegraphs_host"].guarded


async def error(r: Any, status: int) -> dict[str, Any]:
    assert r.code == status, (r.code, r.body)
    payload = body(r)
    assert_error_shape(payload)
    return payload


async def test_create_list_get_rename_delete(lg_api):
    # When a dashboard is imported and a chart made empty
    r = await lg_api("POST", "documents", body={"kind": "dashboard", "content": DASHBOARD})
    assert r.code == 201, r.body
    dash = body(r)
    r = await lg_api("POST", "documents", body={"kind": "chart", "title": "Revenue"})
    assert r.code == 201
    chart = body(r)
    # Then
    assert dash["title"] == "Sales" and dash["kind"] == "dashboard" and dash["access"] == "owner"
    assert set(dash) == {"id", "kind", "title", "owner", "access", "created", "updated", "updated_by"}
    listed = body(await lg_api("GET", "documents"))["documents"]
    assert {d["id"] for d in listed} == {dash["id"], chart["id"]}
    charts = body(await lg_api("GET", "documents", params={"kind": "chart"}))["documents"]
    assert [d["id"] for d in charts] == [chart["id"]]
    assert body(await lg_api("GET", "documents", dash["id"])) == dash

    r = await lg_api("PATCH", "documents", dash["id"], body={"title": "Q3"})
    assert r.code == 200 and body(r)["title"] == "Q3"
    assert body(await lg_api("GET", "documents", dash["id"], "content"))["title"] == "Q3"

    r = await lg_api("DELETE", "documents", dash["id"])
    assert r.code == 204
    await error(await lg_api("GET", "documents", dash["id"]), 404)
    assert [d["id"] for d in body(await lg_api("GET", "documents"))["documents"]] == [chart["id"]]


async def test_content_download_versions_and_restore(lg_api, jp_serverapp):
    dash = body(await lg_api("POST", "documents", body={"kind": "dashboard", "content": DASHBOARD}))
    doc_id = dash["id"]
    assert body(await lg_api("GET", "documents", doc_id, "content")) == DASHBOARD

    r = await lg_api("GET", "documents", doc_id, "content", params={"download": "1"})
    assert r.code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    disposition = r.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and unquote(disposition.split("''")[1]) == "Sales.lgdash"
    assert r.body.decode() == dump_dashboard(DASHBOARD)

    # an edit through the store (as a room makes them), then version 2
    docs = guarded(jp_serverapp).documents
    ydoc = Doc()
    ydoc.apply_update(docs.load(doc_id))
    before = ydoc.get_state()
    YDashboard(ydoc).ycharts["c1"]["layout"]["w"] = 12.0
    seq = docs.append(doc_id, ydoc.get_update(before), "bo")
    docs.snapshot(doc_id, docs.load(doc_id), seq)

    versions = body(await lg_api("GET", "documents", doc_id, "versions"))["versions"]
    assert [v["number"] for v in versions] == [2, 1]
    assert set(versions[0]) == {"number", "created", "authors"} and versions[0]["authors"] == ["bo"]
    assert body(await lg_api("GET", "documents", doc_id, "content"))["charts"]["c1"]["layout"]["w"] == 12
    old = body(await lg_api("GET", "documents", doc_id, "content", params={"version": "1"}))
    assert old == DASHBOARD

    r = await lg_api("POST", "documents", doc_id, "versions", "1", "restore")
    assert r.code == 200, r.body
    assert body(r)["id"] == doc_id
    assert body(await lg_api("GET", "documents", doc_id, "content")) == DASHBOARD


async def test_shares_of_a_document(lg_api, jp_serverapp):
    dash = body(await lg_api("POST", "documents", body={"kind": "dashboard"}))
    doc_id = dash["id"]
    r = await lg_api(
        "PUT", "documents", doc_id, "shares", body={"kind": "user", "name": "bo", "role": "editor"}
    )
    assert r.code == 200, r.body
    assert {k: body(r)[k] for k in ("kind", "name", "role")} == {
        "kind": "user",
        "name": "bo",
        "role": "editor",
    }
    r = await lg_api("PUT", "documents", doc_id, "shares", body={"kind": "group", "name": "a team"})
    assert r.code == 200 and body(r)["role"] == "viewer"
    shares = body(await lg_api("GET", "documents", doc_id, "shares"))["shares"]
    assert [(s["kind"], s["name"]) for s in shares] == [("group", "a team"), ("user", "bo")]
    assert guarded(jp_serverapp).documents.access(BO, doc_id) == "editor"

    assert (await lg_api("DELETE", "documents", doc_id, "shares", "user", "bo")).code == 204
    r = await lg_api("DELETE", "documents", doc_id, "shares", "group", "a team")
    assert r.code == 204
    assert body(await lg_api("GET", "documents", doc_id, "shares"))["shares"] == []
    await error(await lg_api("DELETE", "documents", doc_id, "shares", "user", "bo"), 404)


async def test_another_owners_document(lg_api, jp_serverapp):
    # Given bo's dashboard shared with the local user as a viewer
    docs = guarded(jp_serverapp).documents
    me = body(await lg_api("POST", "documents", body={"kind": "chart"}))["owner"]
    theirs = docs.create(BO, "dashboard", "Bo's")
    docs.share(BO, theirs["id"], "user", me, "viewer")
    # Then it is listed as shared; the admin's rights show as "admin"
    listed = {d["id"]: d["access"] for d in body(await lg_api("GET", "documents"))["documents"]}
    assert listed[theirs["id"]] == "admin"
    # and its recipient may refuse it
    assert (await lg_api("DELETE", "documents", theirs["id"], "shares", "user", me)).code == 204
    assert theirs["id"] not in {d["id"] for d in body(await lg_api("GET", "documents"))["documents"]}
    assert docs.shares(BO, theirs["id"]) == []


@pytest.mark.parametrize(
    ("method", "path", "payload", "status", "text"),
    [
        ("POST", (), b"{not json", 400, "not valid JSON"),
        ("POST", (), b"[1]", 400, "JSON object"),
        ("POST", (), {"kind": "notebook"}, 400, 'kind is "dashboard" or "chart"'),
        ("POST", (), {"kind": "chart", "owner": "x"}, 400, "Unknown keys ['owner']"),
        ("POST", (), {"kind": "chart", "title": "a/b"}, 400, "cannot contain '/'"),
        ("POST", (), {"kind": "dashboard", "content": {"version": 3}}, 400, "version: must be 1"),
        ("GET", ("?kind=notebook",), None, 400, 'kind is "dashboard" or "chart"'),
        ("GET", ("{id}", "content?version=x"), None, 400, "version must be an integer"),
        ("GET", ("{id}", "content?version=7"), None, 404, "no version 7"),
        ("GET", ("{id}", "content?download=yes"), None, 400, "download is 1 or 0"),
        ("PATCH", ("{id}",), {"name": "x"}, 400, "Unknown keys"),
        ("PATCH", ("{id}",), {"title": 3}, 400, '{"title": "new title"}'),
        ("PATCH", ("{id}",), {"title": "Taken"}, 409, "titled 'Taken' already"),
        ("POST", ("{id}", "versions", "9", "restore"), None, 404, "no version 9"),
        ("POST", ("{id}", "versions", "1", "restore"), {"x": 1}, 400, "Unknown keys"),
        ("PUT", ("{id}", "shares"), {"kind": "user", "name": "bo", "role": "owner"}, 400, "role is"),
        ("PUT", ("{id}", "shares"), {"kind": "robot", "name": "bo"}, 400, "kind is"),
        ("DELETE", ("{id}", "shares", "user", "nobody"), None, 404, "not shared with user 'nobody'"),
        ("GET", ("0" * 32,), None, 404, "No document with id"),
        ("GET", ("0" * 32, "versions"), None, 404, "No document with id"),
        ("DELETE", ("0" * 32,), None, 404, "No document with id"),
        ("PUT", ("0" * 32, "shares"), {"kind": "user", "name": "bo"}, 404, "No document with id"),
        ("GET", ("not-an-id",), None, 404, "No such API path"),
    ],
)
async def test_bad_requests_get_a_clear_4xx(lg_api, method, path, payload, status, text):
    doc = body(await lg_api("POST", "documents", body={"kind": "dashboard", "title": "Mine"}))
    await lg_api("POST", "documents", body={"kind": "dashboard", "title": "Taken"})
    parts = [p.replace("{id}", doc["id"]) for p in path]
    params = None
    if parts and "?" in parts[-1]:
        last, query = parts[-1].split("?")
        parts[-1:] = [last] if last else []
        params = dict(q.split("=") for q in query.split("&"))
    r = await lg_api(method, "documents", *parts, body=payload, params=params)
    payload_out = await error(r, status)
    assert text in payload_out["message"], payload_out
    # nothing was half-made or changed
    after = body(await lg_api("GET", "documents", doc["id"]))
    assert after["title"] == "Mine" and after["updated"] == doc["updated"]
    assert {d["title"] for d in body(await lg_api("GET", "documents"))["documents"]} == {"Mine", "Taken"}


async def test_an_invalid_import_lists_every_problem(lg_api):
    bad = {**DASHBOARD, "crossfilter": "yes"}
    bad["charts"] = {"c1": {"spec": SPEC, "layout": {"x": 10, "y": 0, "w": 6, "h": 4}}}
    payload = await error(await lg_api("POST", "documents", body={"kind": "dashboard", "content": bad}), 400)
    assert {(e["column"], e["expected"]) for e in payload["errors"]} == {
        ("crossfilter", "must be true or false"),
        ("charts.c1.layout", "x + w must be <= 12"),
    }
    assert body(await lg_api("GET", "documents"))["documents"] == []


async def test_bodies_are_limited(lg_api):
    # an import may be large, up to its own limit
    chart = {"spec": {**SPEC, "title": "t" * 1000}, "layout": {"x": 0, "y": 0, "w": 6, "h": 4}}
    big = {**DASHBOARD, "charts": {f"c{i}": chart for i in range(150)}}
    raw = orjson.dumps({"kind": "dashboard", "content": big})
    assert MAX_META_BYTES < len(raw) < MAX_IMPORT_BYTES
    r = await lg_api("POST", "documents", body=raw)
    assert r.code == 201, r.body
    doc_id = body(r)["id"]
    assert len(body(await lg_api("GET", "documents", doc_id, "content"))["charts"]) == 150
    # past it, 413 before anything is stored
    huge = b'{"kind": "dashboard", "title": "' + b"x" * MAX_IMPORT_BYTES + b'"}'
    payload = await error(await lg_api("POST", "documents", body=huge), 413)
    assert str(MAX_IMPORT_BYTES) in payload["message"]
    # any other body is metadata: small
    long_title = orjson.dumps({"title": "x" * (MAX_META_BYTES + 1)})
    await error(await lg_api("PATCH", "documents", doc_id, body=long_title), 413)
    share = orjson.dumps({"kind": "user", "name": "y" * (MAX_META_BYTES + 1)})
    await error(await lg_api("PUT", "documents", doc_id, "shares", body=share), 413)
    titles = [d["title"] for d in body(await lg_api("GET", "documents"))["documents"]]
    assert titles == ["Sales"]
