"""Publishing through the API, and public links answered to callers with no account: the snapshot's
charts as the dashboard routes answer them, nothing else, rate-limited; revoked 404, expired 410.

A real jupyter server with livegraphs (its one user may do everything; who may publish is tested
in ``tests/store/test_publications.py``)."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import html
import re
import urllib.parse
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from livegraphs_ext.store.charts import ARROW_STREAM, read_arrow_stream
from livegraphs_ext.store.publications import PublicationLinkRow

from ..conftest import body
from .test_document_data_api import CSV, dashboard, make_dashboard
from .test_documents_api import error, guarded


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any]) -> dict[str, Any]:
    return {
        **jp_server_config,
        "LiveGraphsApp": {**jp_server_config["LiveGraphsApp"], "public_requests_per_minute": 30},
    }


@pytest.fixture
def anon(jp_fetch):
    """Call a route with no account at all (no token, no cookie)."""

    async def call(method: str, *path: str, body: Any = None, api: bool = True, **kwargs: Any) -> Any:
        if body is not None and not isinstance(body, bytes | str):
            body = orjson.dumps(body)
        parts = ("livegraphs", "api", *path) if api else ("livegraphs", *path)
        return await jp_fetch(
            *parts, method=method, body=body, headers={"Authorization": "", **kwargs.pop("headers", {})},
            raise_error=False,
            follow_redirects=False, **kwargs,
        )  # fmt: skip

    return call


async def publish(lg_api, lg_upload) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    sales, dash = await make_dashboard(lg_api, lg_upload)
    r = await lg_api("POST", "documents", dash["id"], "publish")
    assert r.code == 201, r.body
    r = await lg_api("POST", "documents", dash["id"], "links", body={"kind": "public"})
    assert r.code == 201, r.body
    return sales, dash, body(r)


async def test_a_public_link_answers_as_the_dashboard_routes_with_no_account(lg_api, lg_upload, anon):
    sales, dash, link = await publish(lg_api, lg_upload)
    assert link["url"].endswith(f"/livegraphs/public/{link['token']}")
    # the view: title, filters and charts, no token or owner data beyond the snapshot
    r = await anon("GET", "public", link["token"])
    assert r.code == 200, r.body
    view = body(r)
    assert view["title"] == "Sales" and list(view["charts"]) == ["c1"] and view["filters"][0]["id"] == "f1"
    # a chart, bare and with the viewer's filters, equals what the dashboard route answers
    for filters in ([], [{"column": "units", "cmp": "between", "value": [2, 5]}]):
        mine = await lg_api(
            "POST", "documents", dash["id"], "charts", "c1", "query", body={"filters": filters}
        )
        theirs = await anon(
            "POST", "public", link["token"], "charts", "c1", "query", body={"filters": filters}
        )
        assert theirs.code == 200, theirs.body
        assert body(theirs)["data"] == body(mine)["data"]
    # revenue of the rows with units 2 to 5, summed by hand
    assert body(theirs)["data"] == {"x": ["AMER", "APAC", "EMEA"], "y": [7.0, 21.0, 5.25]}
    r = await anon("POST", "public", link["token"], "filters", "f1", "query", body={"what": "extent"})
    assert r.code == 200, r.body
    assert body(r)["data"] == {"x": [1], "y": [5]}
    # the links listed for the writers never hold a token
    listed = body(await lg_api("GET", "documents", dash["id"], "links"))["links"]
    assert [x["id"] for x in listed] == [link["id"]] and "token" not in listed[0]
    snaps = body(await lg_api("GET", "documents", dash["id"], "snapshots"))["snapshots"]
    assert [s["number"] for s in snaps] == [1] and snaps[0]["datasets"] == [{"id": sales["id"], "version": 1}]


async def test_a_public_viewer_runs_only_the_snapshots_own_charts(lg_api, lg_upload, anon):
    sales, dash, link = await publish(lg_api, lg_upload)
    other = await lg_upload("secret", "region,revenue,units,day\nX,1,1,2025-01-01\n")
    r = await lg_api("POST", "documents", body={"kind": "dashboard", "content": {
        "version": 1, "title": "Other", "crossfilter": True, "filters": [],
        "charts": {"o1": {"spec": {"version": 1, "dataset": {"id": other["id"]}, "mark": "bar",
                                   "encoding": {"x": {"field": "region"}}},
                          "layout": {"x": 0, "y": 0, "w": 6, "h": 4}}}}})  # fmt: skip
    assert r.code == 201, r.body
    token = link["token"]
    spec = {
        "version": 1,
        "dataset": {"id": other["id"]},
        "mark": "bar",
        "encoding": {"x": {"field": "region"}},
    }
    refused = [
        ({"spec": spec}, 400),  # its own spec
        ({"filters": [], "dataset": {"id": other["id"]}}, 400),  # another dataset
        ({"filters": [{"formula": "revenue > 0"}]}, 400),  # a formula
        ({"filters": [{"column": "day", "cmp": "not_null"}]}, 400),  # a column the dashboard does not use
    ]
    for payload, status in refused:
        await error(await anon("POST", "public", token, "charts", "c1", "query", body=payload), status)
    # another dashboard's chart id, or a dataset id in its place
    for chart in ("o1", other["id"], sales["id"]):
        await error(await anon("POST", "public", token, "charts", chart, "query", body={}), 404)
    # none of the signed-in routes, and no signed-in-link route, answers without an account
    for path in (("documents", dash["id"], "charts", "c1", "query"), ("links", token)):
        r = await anon(
            "POST" if path[-1] == "query" else "GET", *path, body={} if path[-1] == "query" else None
        )
        assert r.code == 403, (path, r.code)


async def test_revoked_is_404_and_expired_is_410_on_the_api_and_the_page(
    jp_serverapp, lg_api, lg_upload, anon
):
    _, dash, link = await publish(lg_api, lg_upload)
    r = await anon("GET", "public", link["token"], api=False)
    assert r.code == 200 and r.headers["Content-Type"].startswith("text/html")
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    # the title reaches the page as text only (a title is user text)
    r = await lg_api("PATCH", "documents", dash["id"], body={"title": "<img src=x onerror=alert(1)> & co"})
    assert r.code == 200, r.body
    await lg_api("POST", "documents", dash["id"], "publish")
    page = (await anon("GET", "public", link["token"], api=False)).body.decode()
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt; &amp; co" in page
    # expired
    with guarded(jp_serverapp).catalog.transaction() as s:
        row = s.scalars(select(PublicationLinkRow)).one()
        row.expires = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)
    # a change made beside the store (as by another process) counts once links are read again
    guarded(jp_serverapp).publications.forget()
    await error(await anon("GET", "public", link["token"]), 410)
    r = await anon("GET", "public", link["token"], api=False)
    assert (
        r.code == 410 and "expired" in r.body.decode() and r.headers["Content-Type"].startswith("text/html")
    )
    # revoked
    fresh = body(await lg_api("POST", "documents", dash["id"], "links", body={"kind": "public"}))
    r = await lg_api("DELETE", "documents", dash["id"], "links", fresh["id"])
    assert r.code == 204
    await error(await anon("POST", "public", fresh["token"], "charts", "c1", "query", body={}), 404)
    r = await anon("GET", "public", fresh["token"], api=False)
    assert r.code == 404 and "revoked" in r.body.decode()
    listed = {
        x["id"]: x["state"] for x in body(await lg_api("GET", "documents", dash["id"], "links"))["links"]
    }
    assert listed == {link["id"]: "expired", fresh["id"]: "revoked"}


async def test_public_requests_are_limited_per_link_and_client(lg_api, lg_upload, anon):
    _, _, link = await publish(lg_api, lg_upload)
    codes = [(await anon("GET", "public", link["token"])).code for _ in range(31)]
    assert codes[:30] == [200] * 30
    r = await anon("GET", "public", link["token"])
    payload = await error(r, 429)
    assert int(r.headers["Retry-After"]) >= 1 and payload["reason"] == "Too Many Requests"
    # another link of the same client has its own allowance
    r = await lg_api("POST", "documents", link["document_id"], "links", body={"kind": "public"})
    assert (await anon("GET", "public", body(r)["token"])).code == 200


async def test_bad_link_requests_are_400(lg_api, lg_upload):
    _, dash, _ = await publish(lg_api, lg_upload)
    for payload in ({"kind": "everyone"}, {"kind": "public", "expires": "2001-01-01T00:00:00Z"},
                    {"kind": "public", "token": "mine"}, {"kind": "public", "snapshot": 9}):  # fmt: skip
        r = await lg_api("POST", "documents", dash["id"], "links", body=payload)
        assert r.code in (400, 404), (payload, r.code)
        await error(r, r.code)


async def test_signed_in_links_and_the_live_page_need_an_account(lg_api, lg_upload, anon, jp_fetch):
    _, dash, _ = await publish(lg_api, lg_upload)
    r = await lg_api("POST", "documents", dash["id"], "links", body={"kind": "signed_in"})
    link = body(r)
    assert link["url"].endswith(f"/livegraphs/links/{link['token']}")
    # signed in: the snapshot and its charts
    r = await lg_api("GET", "links", link["token"])
    assert r.code == 200 and body(r)["title"] == "Sales"
    r = await lg_api("POST", "links", link["token"], "charts", "c1", "query", body={})
    assert r.code == 200 and body(r)["data"]["x"] == ["AMER", "APAC", "EMEA"]
    # not through the public routes, and no page without an account
    await error(await anon("GET", "public", link["token"]), 404)
    for path in (("links", link["token"]), ("view", dash["id"])):
        r = await anon("GET", *path, api=False)
        assert r.code == 302 and "/login" in r.headers["Location"], (path, r.code)
        r = await jp_fetch("livegraphs", *path, raise_error=False)
        assert r.code == 200, r.body
        page = r.body.decode()
        mode = "link" if path[0] == "links" else "live"
        assert f'data-lg-mode="{mode}"' in page and 'data-lg-xsrf="' in page
        csp = r.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp
        connect = csp.split("connect-src")[1].split(";")[0].split()
        if mode == "live":
            # the live page's WebSocket (its room), named as this origin only
            host = urllib.parse.urlsplit(r.effective_url).netloc
            assert connect == ["'self'", f"ws://{host}"], csp
        else:
            assert connect == ["'self'"], csp
    # a chart document has no viewer page; an unknown document is a plain 404
    r = await lg_api("POST", "documents", body={"kind": "chart"})
    for doc_id in (body(r)["id"], "0" * 32):
        r = await jp_fetch("livegraphs", "view", doc_id, raise_error=False)
        assert r.code == 404 and r.headers["Content-Type"].startswith("text/html")


def test_the_live_pages_websocket_origin_is_the_requests_own_or_nothing():
    from livegraphs_ext.handlers.viewer import PAGE_CSP, page_csp, websocket_origin

    assert websocket_origin("http", "127.0.0.1:8888") == "ws://127.0.0.1:8888"
    assert websocket_origin("https", "hub.example.org") == "wss://hub.example.org"
    assert websocket_origin("http", "[::1]:8888") == "ws://[::1]:8888"
    # a Host header that would add to the policy is left out of it
    for host in ("a.org; script-src *", "*", "a.org ws:", "", "a.org/x"):
        assert websocket_origin("https", host) == "", host
    assert page_csp("") == PAGE_CSP
    assert "connect-src 'self' wss://hub.example.org;" in page_csp("wss://hub.example.org")


async def test_the_viewer_script_is_served_to_anyone_gzipped_when_asked(anon):
    plain = await anon("GET", "static", "viewer.js", api=False)
    assert plain.code == 200 and plain.headers["Content-Type"].startswith("text/javascript")
    r = await anon(
        "GET",
        "static",
        "viewer.js",
        api=False,
        headers={"Accept-Encoding": "gzip"},
        decompress_response=False,
    )
    assert r.code == 200 and r.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(r.body) == plain.body and len(r.body) < len(plain.body) / 2
    css = await anon("GET", "static", "viewer.css", api=False)
    assert css.code == 200 and css.headers["Content-Type"].startswith("text/css")
    assert (await anon("GET", "static", "other.js", api=False)).code != 200  # no other file is open


async def test_the_viewer_script_has_a_versioned_url_kept_for_good(lg_api, lg_upload, anon):
    _, _, link = await publish(lg_api, lg_upload)
    page = (await anon("GET", "public", link["token"], api=False)).body.decode()
    # Given the script's URL as the page writes it: with the content's version
    src = re.search(r"<script src='([^']+)'", page)
    assert src and "viewer.js?v=" in src.group(1)
    version = src.group(1).split("?v=")[1]
    r = await anon("GET", "static", "viewer.js", api=False, params={"v": version})
    # Then a browser keeps it for good; another version's URL, or none, is asked again each time
    assert r.code == 200 and "immutable" in r.headers["Cache-Control"]
    for params in ({"v": "0" * 20}, {}):
        r = await anon("GET", "static", "viewer.js", api=False, params=params)
        assert r.headers["Cache-Control"] == "no-cache"
    # and its ETag, the content's hash, answers a returning browser with 304
    again = await anon("GET", "static", "viewer.js", api=False, headers={"If-None-Match": r.headers["Etag"]})
    assert r.headers["Etag"].startswith(f'"{version}') and again.code == 304 and not again.body
    # The page carries its styles, as built, rather than linking them (one request fewer)
    css = (await anon("GET", "static", "viewer.css", api=False)).body.decode()
    assert f"<style>{css}</style>" in page and "stylesheet" not in page


async def test_a_revoked_link_is_404_right_after_being_answered_from_memory(
    jp_serverapp, lg_api, lg_upload, anon
):
    _, dash, link = await publish(lg_api, lg_upload)
    token = link["token"]
    chart = ("public", token, "charts", "c1", "query")
    # Given a link whose dashboard and chart were answered (and kept)
    for _ in range(2):
        assert (await anon("POST", *chart, body={})).code == 200
        assert (await anon("GET", "public", token)).code == 200
    assert guarded(jp_serverapp).publications.answers.computed == 1
    # When it is revoked, Then every route of it is 404 at once
    assert (await lg_api("DELETE", "documents", dash["id"], "links", link["id"])).code == 204
    await error(await anon("POST", *chart, body={}), 404)
    await error(await anon("GET", "public", token), 404)
    assert (await anon("GET", "public", token, api=False)).code == 404


def carried(page: bytes) -> dict[str, Any]:
    """What a link's page carries for its script: its body's ``data-lg-*`` attributes, read back."""
    attrs = dict(re.findall(r'data-lg-([a-z]+)="([^"]*)"', page.decode()))
    return {k: html.unescape(v) for k, v in attrs.items()}


async def test_a_public_page_carries_its_dashboard_and_the_kept_answers_of_its_bare_charts(
    jp_serverapp, lg_api, lg_upload, anon
):
    _, dash, link = await publish(lg_api, lg_upload)
    token, pubs = link["token"], guarded(jp_serverapp).publications
    arrow = {"Accept": ARROW_STREAM}
    # Given a link no chart of which was asked: the page carries the snapshot, and no answer
    first = carried((await anon("GET", "public", token, api=False)).body)
    assert orjson.loads(first["dashboard"]) == body(await anon("GET", "public", token))
    assert orjson.loads(first["answers"]) == {} and len(pubs.pages) == 0
    # When a viewer narrows the chart, Then that answer is not the one the page carries
    units = [{"column": "units", "cmp": "between", "value": [2, 5]}]
    await anon("POST", "public", token, "charts", "c1", "query", body={"filters": units}, headers=arrow)
    assert orjson.loads(carried((await anon("GET", "public", token, api=False)).body)["answers"]) == {}
    # When the chart is asked bare, Then the page carries its Arrow answer, and is kept as sent
    bare = await anon("POST", "public", token, "charts", "c1", "query", body={}, headers=arrow)
    page = (await anon("GET", "public", token, api=False)).body
    answers = orjson.loads(carried(page)["answers"])
    assert answers == {"c1": base64.b64encode(bare.body).decode()} and len(pubs.pages) == 1
    assert (await anon("GET", "public", token, api=False)).body == page
    # (gzipped for a browser that accepts it)
    r = await anon(
        "GET", "public", token, api=False, headers={"Accept-Encoding": "gzip"}, decompress_response=False
    )
    assert r.headers["Content-Encoding"] == "gzip" and gzip.decompress(r.body) == page
    # and a viewer's filtered request is still answered for its filters, never from the page's
    narrowed = await anon(
        "POST", "public", token, "charts", "c1", "query", body={"filters": units}, headers=arrow
    )
    assert read_arrow_stream(narrowed.body)[0].column("y").to_pylist() == [7.0, 21.0, 5.25]
    assert narrowed.body != bare.body
    # When the dashboard is renamed and republished, Then the link's page is the new snapshot
    # (not the one kept), with none of the old snapshot's answers
    r = await lg_api("PATCH", "documents", dash["id"], body={"title": 'New <b onclick="x">title & co'})
    assert r.code == 200, r.body
    assert (await lg_api("POST", "documents", dash["id"], "publish")).code == 201
    page = (await anon("GET", "public", token, api=False)).body
    assert b"<b>" not in page  # written as text
    view = orjson.loads(carried(page)["dashboard"])
    assert (view["snapshot"], view["title"]) == (2, 'New <b onclick="x">title & co')
    assert orjson.loads(carried(page)["answers"]) == {}
    # and another dashboard's link, whose chart ids are the same, carries none of this one's
    theirs = await lg_upload("theirs", CSV)
    r = await lg_api("POST", "documents", body={"kind": "dashboard", "content": dashboard(theirs["id"])})
    other_id = body(r)["id"]
    assert (await lg_api("POST", "documents", other_id, "publish")).code == 201
    other = body(await lg_api("POST", "documents", other_id, "links", body={"kind": "public"}))
    await anon("POST", "public", token, "charts", "c1", "query", body={}, headers=arrow)
    assert (
        orjson.loads(carried((await anon("GET", "public", other["token"], api=False)).body)["answers"]) == {}
    )
    # When the link is revoked, Then its kept page is not sent: 404 at once
    assert (await lg_api("DELETE", "documents", dash["id"], "links", link["id"])).code == 204
    assert (await anon("GET", "public", token, api=False)).code == 404


async def test_a_public_page_carries_its_dropdowns_kept_values_and_a_search_is_always_asked(
    jp_serverapp, lg_api, lg_upload, anon
):
    sales = await lg_upload("sales", CSV)
    content = dashboard(sales["id"])
    content["filters"] = [
        {"id": "f1", "kind": "dropdown", "dataset": sales["id"], "column": "region", "value": []}
    ]
    doc = body(await lg_api("POST", "documents", body={"kind": "dashboard", "content": content}))
    assert (await lg_api("POST", "documents", doc["id"], "publish")).code == 201
    token = body(await lg_api("POST", "documents", doc["id"], "links", body={"kind": "public"}))["token"]
    pubs = guarded(jp_serverapp).publications
    values = ("public", token, "filters", "f1", "query")
    # Given a page whose dropdown's values were not asked yet: it carries none
    assert orjson.loads(carried((await anon("GET", "public", token, api=False)).body)["values"]) == {}
    # When many viewers ask them, Then they are computed once, and the page carries them
    before = pubs.answers.computed
    answers = [await anon("POST", *values, body={"what": "values"}) for _ in range(3)]
    assert {r.body for r in answers} == {answers[0].body} and pubs.answers.computed == before + 1
    data = body(answers[0])["data"]
    assert dict(zip(data["x"], data["y"], strict=True)) == {"APAC": 2, "EMEA": 2, "AMER": 1}
    page = carried((await anon("GET", "public", token, api=False)).body)
    assert orjson.loads(page["values"]) == {"f1": body(answers[0])}
    # and a search is answered for itself, never from them nor kept in the page
    found = await anon("POST", *values, body={"what": "values", "search": "AP"})
    assert found.code == 200 and body(found)["data"] == {"x": ["APAC"], "y": [2]}
    assert orjson.loads(carried((await anon("GET", "public", token, api=False)).body)["values"]) == {
        "f1": body(answers[0])
    }
    await error(await anon("POST", *values, body={"what": "values", "search": 5}), 400)
    await error(await anon("POST", *values, body={"what": "everything"}), 400)
