"""The drill routes of a real jupyter server: a mark's rows as JSON, every refusal a 4xx in the one error
shape, and the limits of ``charts/query`` (body size, filter values) on each route.

Who may drill what through a document is tested in ``tests/store/test_document_drill.py`` (the laptop's
one user is an admin) and on a hub in ``tests/hub``.
"""

from __future__ import annotations

from typing import Any

import orjson

from ..conftest import body
from .test_charts_api import CSV
from .test_document_data_api import make_dashboard
from .test_documents_api import error


def bar(dataset_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "version": 1,
        "dataset": {"id": dataset_id},
        "mark": "bar",
        "encoding": {"x": {"field": "region"}, "y": {"field": "revenue", "aggregate": "sum"}},
        **extra,
    }


async def test_a_bars_rows_page_by_page_and_again_from_the_rows_route(lg_api, lg_upload):
    sales = await lg_upload("sales", CSV)
    spec = bar(sales["id"], filters=[{"column": "units", "cmp": "ge", "value": 2}])
    chart = body(await lg_api("POST", "charts", "query", body={"spec": spec}))
    assert chart["data"] == {"x": ["AMER", "APAC", "EMEA"], "y": [7.0, 21.0, 5.25]}
    mark = {"x": "APAC", "y": 21.0}
    r = await lg_api("POST", "datasets", sales["id"], "drill", body={"spec": spec, "mark": mark, "index": 1})
    assert r.code == 200, r.body
    out = body(r)
    assert out["mark"] == [{"column": "region", "cmp": "eq", "value": "APAC"}]
    assert out["filters"] == [*spec["filters"], *out["mark"]]
    assert out["fixed"] == [] and out["dataset"] == {"id": sales["id"], "version": 1}
    assert out["columns"] == ["region", "revenue", "units", "day"]
    assert out["rows"] == [["APAC", 20.0, 2, "2025-01-12"], ["APAC", 1.0, 5, "2025-03-15"]]
    assert out["total"] == 2 and sum(r[1] for r in out["rows"]) == mark["y"]
    # a page of it, sorted; and the same page from the rows route with the list given back
    page = {"spec": spec, "mark": mark, "sort": "-revenue", "offset": 1, "limit": 1}
    out = body(await lg_api("POST", "datasets", sales["id"], "drill", body=page))
    assert out["rows"] == [["APAC", 1.0, 5, "2025-03-15"]] and out["total"] == 2
    params = {
        "filter": orjson.dumps(out["filters"]).decode(),
        "sort": "-revenue",
        "offset": "1",
        "limit": "1",
    }
    rows = body(await lg_api("GET", "datasets", sales["id"], "rows", params={**params, "version": "1"}))
    assert rows["rows"] == out["rows"] and rows["total"] == 2
    # the list edited (the chart's filter removed), paged through the drill route itself
    edited = {"spec": spec, "filters": out["mark"], "sort": "-revenue"}
    out = body(await lg_api("POST", "datasets", sales["id"], "drill", body=edited))
    assert out["mark"] == [] and out["filters"] == edited["filters"]
    assert [r[1] for r in out["rows"]] == [20.0, 1.0] and out["types"] == [
        "string",
        "float",
        "integer",
        "date",
    ]


async def test_refusals_are_4xx_in_the_one_error_shape(lg_api, lg_upload, jp_serverapp):
    sales = await lg_upload("sales", CSV)
    other = await lg_upload("other", CSV)
    spec = bar(sales["id"])
    path = ("datasets", sales["id"], "drill")
    for sent, status in [
        ({"spec": spec}, 400),  # no mark
        ({"spec": spec, "mark": {"x": "APAC", "nope": 1}}, 400),
        ({"spec": spec, "mark": {"y": 1}}, 400),  # no value for x
        ({"spec": spec, "mark": {"x": "APAC"}, "index": "0"}, 400),
        ({"spec": spec, "mark": {"x": "APAC"}, "limit": 20_000}, 400),
        ({"spec": spec, "mark": {"x": "APAC"}, "sort": "nope"}, 400),
        ({"spec": spec, "mark": {"x": "APAC"}, "filters": []}, 400),  # a mark or a list, not both
        ({"spec": spec, "filters": {"column": "region"}}, 400),
        ({"spec": bar(other["id"]), "mark": {"x": "APAC"}}, 400),  # a chart of another dataset
        ({"spec": {**spec, "mark": "blob"}, "mark": {"x": "APAC"}}, 400),
        ({"spec": spec, "mark": {"x": "LATAM"}}, 404),  # no such bar
    ]:
        await error(await lg_api("POST", *path, body=sent), status)
    await error(await lg_api("POST", *path, body=b"[1"), 400)
    await error(await lg_api("POST", "datasets", "0" * 32, "drill", body={"spec": spec, "mark": {}}), 404)
    # the limits of charts/query: the filters' values, the body's size
    many = bar(sales["id"], filters=[{"column": "region", "cmp": "in", "value": ["x"] * 20_000}])
    await error(await lg_api("POST", *path, body={"spec": many, "mark": {"x": "APAC"}}), 400)
    limit = jp_serverapp.web_app.settings["livegraphs_host"].max_query_bytes
    big = {"spec": spec, "mark": {"x": "x" * (limit + 10)}}
    await error(await lg_api("POST", *path, body=big), 413)


async def test_through_a_dashboard_and_a_chart_document(lg_api, lg_upload, jp_serverapp):
    sales, dash = await make_dashboard(lg_api, lg_upload)
    path = ("documents", dash["id"], "charts", "c1", "drill")
    flt = [{"column": "units", "cmp": "between", "value": [2, 5]}]
    r = await lg_api("POST", *path, body={"filters": flt, "mark": {"x": "EMEA", "y": 5.25}})
    assert r.code == 200, r.body
    out = body(r)
    assert out["filters"] == [*flt, {"column": "region", "cmp": "eq", "value": "EMEA"}]
    # the columns the dashboard names on the dataset: its chart's and its filter's
    assert out["columns"] == ["region", "revenue", "units"]
    assert out["rows"] == [["EMEA", 5.25, 3]]
    # an edited list pages through the same route, within what the dashboard names
    out = body(await lg_api("POST", *path, body={"filters": [], "sort": "-units", "limit": 2}))
    assert [r[2] for r in out["rows"]] == [5, 4] and out["total"] == 5
    await error(await lg_api("POST", *path, body={"filters": [{"column": "day", "cmp": "not_null"}]}), 400)
    await error(await lg_api("POST", *path, body={"spec": {}, "mark": {"x": "EMEA"}}), 400)
    await error(await lg_api("POST", *path, body={"sort": "day"}), 400)
    await error(await lg_api("POST", "documents", dash["id"], "charts", "c9", "drill", body={}), 404)
    many = [{"column": "region", "cmp": "in", "value": ["x"] * 20_000}]
    await error(await lg_api("POST", *path, body={"filters": many}), 400)
    limit = jp_serverapp.web_app.settings["livegraphs_host"].max_query_bytes
    await error(await lg_api("POST", *path, body={"mark": {"x": "x" * (limit + 10)}}), 413)
    # a chart document
    spec = bar(sales["id"])
    chart = body(await lg_api("POST", "documents", body={"kind": "chart", "content": spec}))
    r = await lg_api("POST", "documents", chart["id"], "drill", body={"mark": {"x": "AMER"}})
    assert r.code == 200, r.body
    assert body(r)["rows"] == [["AMER", 7.0]] and body(r)["columns"] == ["region", "revenue"]
    await error(await lg_api("POST", "documents", dash["id"], "drill", body={}), 404)
