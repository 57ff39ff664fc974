"""A shared document's charts through the document: the spec is the stored one, the caller's state only
restricts rows, and every limit of ``charts/query`` holds.

A real jupyter server with livegraphs (its one user is an admin, so who may read what through a
document is tested in ``tests/store/test_document_data.py`` and on a hub in ``tests/hub``).
"""

from __future__ import annotations

from typing import Any

from pycrdt import Doc

from livegraphs_ext.documents.dashboard import YDashboard
from livegraphs_ext.store.charts import ARROW_STREAM, read_arrow_stream

from ..conftest import body
from .test_charts_api import CSV
from .test_documents_api import error, guarded


def dashboard(dataset_id: str) -> dict[str, Any]:
    spec = {
        "version": 1,
        "dataset": {"id": dataset_id},
        "mark": "bar",
        "encoding": {"x": {"field": "region"}, "y": {"field": "revenue", "aggregate": "sum"}},
    }
    return {
        "version": 1,
        "title": "Sales",
        "crossfilter": True,
        "filters": [{"id": "f1", "kind": "range", "dataset": dataset_id, "column": "units", "value": None}],
        "charts": {"c1": {"spec": spec, "layout": {"x": 0, "y": 0, "w": 6, "h": 4}}},
    }


async def make_dashboard(lg_api, lg_upload) -> tuple[dict[str, Any], dict[str, Any]]:
    sales = await lg_upload("sales", CSV)
    r = await lg_api("POST", "documents", body={"kind": "dashboard", "content": dashboard(sales["id"])})
    assert r.code == 201, r.body
    return sales, body(r)


async def test_a_dashboard_chart_is_its_stored_spec_restricted_by_the_callers_filters(lg_api, lg_upload):
    sales, dash = await make_dashboard(lg_api, lg_upload)
    r = await lg_api("POST", "documents", dash["id"], "charts", "c1", "query", body={})
    assert r.code == 200, r.body
    assert body(r)["data"] == {"x": ["AMER", "APAC", "EMEA"], "y": [7.0, 21.0, 15.75]}
    assert body(r)["dataset"] == {"id": sales["id"], "version": 1}
    # a dashboard filter's range and a cross-filter selection on a chart's column
    flt = [
        {"column": "units", "cmp": "between", "value": [2, 5]},
        {"combine": "or", "conditions": [{"column": "region", "cmp": "in", "value": ["APAC", "EMEA"]}]},
    ]
    r = await lg_api("POST", "documents", dash["id"], "charts", "c1", "query", body={"filters": flt})
    assert r.code == 200, r.body
    assert body(r)["data"] == {"x": ["APAC", "EMEA"], "y": [21.0, 5.25]}
    r = await lg_api(
        "POST", "documents", dash["id"], "charts", "c1", "query", body={}, headers={"Accept": ARROW_STREAM}
    )
    assert r.code == 200 and r.headers["Content-Type"] == ARROW_STREAM
    assert read_arrow_stream(r.body)[0].column("x").to_pylist() == ["AMER", "APAC", "EMEA"]


async def test_the_chart_follows_the_documents_current_state(lg_api, lg_upload, jp_serverapp):
    _, dash = await make_dashboard(lg_api, lg_upload)
    first = body(await lg_api("POST", "documents", dash["id"], "charts", "c1", "query", body={}))
    assert first["data"]["y"] == [7.0, 21.0, 15.75]
    # an edit as a room stores it: y becomes the sum of units
    documents = guarded(jp_serverapp).documents
    doc: Doc[Any] = Doc()
    doc.apply_update(documents.load(dash["id"]))
    before = doc.get_state()
    ydash = YDashboard(doc)
    ydash.ycharts["c1"]["spec"]["encoding"]["y"] = {"field": "units", "aggregate": "sum"}
    documents.append(dash["id"], doc.get_update(before), "editor")
    r = await lg_api("POST", "documents", dash["id"], "charts", "c1", "query", body={})
    assert body(r)["data"]["y"] == [4.0, 7.0, 4.0]


async def test_what_a_caller_may_not_send(lg_api, lg_upload):
    _, dash = await make_dashboard(lg_api, lg_upload)
    path = ("documents", dash["id"], "charts", "c1", "query")
    # a spec is never taken from the caller
    spec = {"version": 1, "dataset": {"name": "sales"}, "mark": "bar", "encoding": {"x": {"field": "day"}}}
    payload = await error(await lg_api("POST", *path, body={"spec": spec}), 400)
    assert "never a spec" in payload["message"]
    # a column no filter or chart of the dashboard names
    r = await lg_api("POST", *path, body={"filters": [{"column": "day", "cmp": "eq", "value": "2025-01-11"}]})
    assert "'day' is not a column" in (await error(r, 400))["message"]
    nested = [{"combine": "and", "conditions": [{"column": "day", "cmp": "not_null"}]}]
    await error(await lg_api("POST", *path, body={"filters": nested}), 400)
    formula = [{"formula": "[day] > '2025-01-01'"}]
    await error(await lg_api("POST", *path, body={"filters": formula}), 400)
    await error(await lg_api("POST", *path, body={"filters": {"column": "units"}}), 400)
    # too many filter values, as for charts/query
    many = [{"column": "region", "cmp": "in", "value": ["x"] * 20_000}]
    await error(await lg_api("POST", *path, body={"filters": many}), 400)
    # a chart the dashboard does not hold; the chart route of a dashboard
    await error(await lg_api("POST", "documents", dash["id"], "charts", "c9", "query", body={}), 404)
    await error(await lg_api("POST", "documents", dash["id"], "query", body={}), 404)
    await error(await lg_api("POST", "documents", "0" * 32, "charts", "c1", "query", body={}), 404)


async def test_a_body_over_the_query_limit_is_413(lg_api, lg_upload, jp_serverapp):
    _, dash = await make_dashboard(lg_api, lg_upload)
    limit = jp_serverapp.web_app.settings["livegraphs_host"].max_query_bytes
    big = [{"column": "region", "cmp": "eq", "value": "x" * (limit + 10)}]
    await error(
        await lg_api("POST", "documents", dash["id"], "charts", "c1", "query", body={"filters": big}), 413
    )


async def test_a_chart_document_and_a_filters_values(lg_api, lg_upload):
    sales, dash = await make_dashboard(lg_api, lg_upload)
    spec = dashboard(sales["id"])["charts"]["c1"]["spec"]
    r = await lg_api("POST", "documents", body={"kind": "chart", "content": spec})
    assert r.code == 201, r.body
    chart = body(r)
    r = await lg_api(
        "POST",
        "documents",
        chart["id"],
        "query",
        body={"filters": [{"column": "region", "cmp": "eq", "value": "EMEA"}]},
    )
    assert r.code == 200, r.body
    assert body(r)["data"] == {"x": ["EMEA"], "y": [15.75]}
    await error(await lg_api("POST", "documents", chart["id"], "charts", "c1", "query", body={}), 404)

    values = body(
        await lg_api("POST", "documents", dash["id"], "filters", "f1", "query", body={"what": "values"})
    )
    assert sorted(values["data"]["x"]) == [1, 2, 3, 4, 5] and values["data"]["y"] == [1] * 5
    extent = body(
        await lg_api("POST", "documents", dash["id"], "filters", "f1", "query", body={"what": "extent"})
    )
    assert extent["data"] == {"x": [1], "y": [5]}
    await error(
        await lg_api("POST", "documents", dash["id"], "filters", "f1", "query", body={"what": "rows"}), 400
    )
    await error(
        await lg_api("POST", "documents", dash["id"], "filters", "f9", "query", body={"what": "values"}), 404
    )


async def test_what_the_builder_derives_is_derived_for_the_stored_spec(lg_api, lg_upload):
    # a chart stored as people chose it: region on x, the mark left automatic
    sales = await lg_upload("sales", CSV)
    content = dashboard(sales["id"])
    content["charts"]["c1"]["spec"] = {
        "version": 1,
        "dataset": {"id": sales["id"]},
        "encoding": {"x": {"field": "region"}},
    }
    r = await lg_api("POST", "documents", body={"kind": "dashboard", "content": content})
    assert r.code == 201, r.body
    r = await lg_api("POST", "documents", body(r)["id"], "charts", "c1", "query", body={})
    assert r.code == 200, r.body
    out = body(r)
    assert out["data"] == {"x": ["AMER", "APAC", "EMEA"], "y": [1, 2, 2]}
    assert [f.get("aggregate") for f in out["fields"]] == [None, "count"]


async def test_a_number_placed_without_an_aggregate_gets_the_marks_default_through_the_document(
    lg_api, lg_upload
):
    # charts stored as people placed them: region and revenue, the mark automatic or chosen
    sales = await lg_upload("sales", CSV)
    content = dashboard(sales["id"])
    placed = {"x": {"field": "region"}, "y": {"field": "revenue"}}
    content["charts"] = {
        "auto": {"spec": {"version": 1, "dataset": {"id": sales["id"]}, "encoding": placed}},
        "line": {"spec": {"version": 1, "dataset": {"id": sales["id"]}, "mark": "line", "encoding": placed}},
        "box": {"spec": {"version": 1, "dataset": {"id": sales["id"]}, "mark": "box", "encoding": placed}},
    }
    for chart in content["charts"].values():
        chart["layout"] = {"x": 0, "y": 0, "w": 6, "h": 4}
    r = await lg_api("POST", "documents", body={"kind": "dashboard", "content": content})
    assert r.code == 201, r.body
    doc = body(r)["id"]

    async def query(chart: str) -> dict[str, Any]:
        r = await lg_api("POST", "documents", doc, "charts", chart, "query", body={})
        assert r.code == 200, r.body
        return body(r)  # type: ignore[no-any-return]

    # the automatic mark is bars, which sum revenue per region
    out = await query("auto")
    assert out["data"] == {"x": ["AMER", "APAC", "EMEA"], "y": [7.0, 21.0, 15.75]}
    assert [f.get("aggregate") for f in out["fields"]] == [None, "sum"]
    # a line averages it
    out = await query("line")
    assert out["data"] == {"x": ["AMER", "APAC", "EMEA"], "y": [7.0, 10.5, 7.875]}
    assert [f.get("aggregate") for f in out["fields"]] == [None, "mean"]
    # a box takes the values as they are
    out = await query("box")
    assert [f.get("stat") for f in out["fields"] if f["channel"] == "y"][:3] == ["min", "q1", "median"]
