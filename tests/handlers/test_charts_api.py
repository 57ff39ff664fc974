"""The chart REST API: JSON and Arrow answers, the schema, errors naming the channel, caching."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from livegraphs_ext.store.charts import ARROW_STREAM, read_arrow_stream

from ..conftest import body

CSV = "region,revenue,units,day\n" + "".join(
    f"{r},{v},{u},2025-0{m}-1{d}\n"
    for m, d, r, v, u in [
        (1, 1, "EMEA", 10.5, 1),
        (1, 2, "APAC", 20.0, 2),
        (2, 3, "EMEA", 5.25, 3),
        (2, 4, "AMER", 7.0, 4),
        (3, 5, "APAC", 1.0, 5),
    ]
)


def bar(dataset: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "version": 1,
        "dataset": {"id": dataset["id"]},
        "mark": "bar",
        "encoding": {"x": {"field": "region"}, "y": {"field": "revenue", "aggregate": "sum"}},
        **extra,
    }


async def test_a_bar_chart_comes_back_as_columnar_json(lg_api, lg_upload):
    lg_sales = await lg_upload("sales", CSV)
    r = await lg_api("POST", "charts", "query", body={"spec": bar(lg_sales)})
    assert r.code == 200, r.body
    out = body(r)
    assert out["data"] == {"x": ["AMER", "APAC", "EMEA"], "y": [7.0, 21.0, 15.75]}
    assert [f["name"] for f in out["fields"]] == ["x", "y"]
    assert out["fields"][1] == {
        "name": "y",
        "channel": "y",
        "column": "revenue",
        "type": "float",
        "aggregate": "sum",
    }
    assert out["dataset"] == {"id": lg_sales["id"], "version": 1}
    assert (out["marks"], out["source_rows"], out["reduction"], out["spec_version"]) == (3, 5, None, 1)


async def test_the_same_result_comes_as_arrow_ipc_when_asked(lg_api, lg_upload):
    lg_sales = await lg_upload("sales", CSV)
    r = await lg_api(
        "POST", "charts", "query", body={"spec": bar(lg_sales)}, headers={"Accept": ARROW_STREAM}
    )
    assert r.code == 200
    assert r.headers["Content-Type"] == ARROW_STREAM
    table, meta = read_arrow_stream(r.body)
    assert table.to_pydict() == {"x": ["AMER", "APAC", "EMEA"], "y": [7.0, 21.0, 15.75]}
    assert meta["marks"] == 3 and meta["dataset"]["id"] == lg_sales["id"]
    assert [f["name"] for f in meta["fields"]] == ["x", "y"]


async def test_a_dataset_can_be_named_and_the_filters_are_the_rows_api_s(lg_api, lg_upload):
    lg_sales = await lg_upload("sales", CSV)
    spec = bar(lg_sales, filters=[{"column": "region", "cmp": "in", "value": ["EMEA", "APAC"]}])
    spec["dataset"] = {"name": "sales"}
    out = body(await lg_api("POST", "charts", "query", body={"spec": spec}))
    assert out["data"] == {"x": ["APAC", "EMEA"], "y": [21.0, 15.75]}
    assert out["source_rows"] == 4


async def test_a_repeated_query_is_cached_and_a_new_version_is_a_new_key(lg_api, lg_upload):
    lg_sales = await lg_upload("sales", CSV)
    spec = bar(lg_sales)
    spec["dataset"] = {"id": lg_sales["id"]}
    first = body(await lg_api("POST", "charts", "query", body={"spec": spec}))
    second = body(await lg_api("POST", "charts", "query", body={"spec": spec}))
    assert (first["cached"], second["cached"]) == (False, True)
    assert first["data"] == second["data"]
    step = {"op": "filter", "conditions": [{"column": "region", "cmp": "ne", "value": "AMER"}]}
    r = await lg_api("POST", "datasets", lg_sales["id"], "transforms", body={"step": step})
    assert r.code == 201, r.body
    third = body(await lg_api("POST", "charts", "query", body={"spec": spec}))
    assert third["cached"] is False
    assert third["dataset"]["version"] == 2
    assert third["data"] == {"x": ["APAC", "EMEA"], "y": [21.0, 15.75]}


@pytest.mark.parametrize(
    ("encoding", "path"),
    [
        ({"x": {"field": "nope"}}, "encoding.x.field"),
        ({"x": {"field": "region"}, "y": {"field": "region", "aggregate": "sum"}}, "encoding.y.aggregate"),
        ({"x": {"field": "region"}, "y": {"field": "revenue", "aggregate": "avg"}}, "encoding.y.aggregate"),
        ({"x": {"field": "region", "timeUnit": "month"}}, "encoding.x.timeUnit"),
        ({"y": {"field": "revenue"}}, "encoding.x"),
        ({"x": {"field": "region"}, "shape": {"field": "region"}}, "encoding"),
    ],
)
async def test_bad_specs_are_400s_naming_the_channel(lg_api, lg_upload, encoding, path):
    lg_sales = await lg_upload("sales", CSV)
    spec = bar(lg_sales)
    spec["encoding"] = encoding
    r = await lg_api("POST", "charts", "query", body={"spec": spec})
    assert r.code == 400, r.body
    err = body(r)
    assert set(err) == {"message", "reason", "errors"}
    assert err["message"].startswith(path + ":"), err["message"]


async def test_bad_bodies_and_unknown_datasets_answer_in_the_error_shape(lg_api, lg_upload):
    lg_sales = await lg_upload("sales", CSV)
    for payload, code in [
        (b"not json", 400),
        ({"nospec": 1}, 400),
        ({"spec": [1]}, 400),
        ({"spec": {**bar(lg_sales), "dataset": {"id": "0" * 32}}}, 404),
        ({"spec": {**bar(lg_sales), "dataset": {"name": "missing"}}}, 404),
        ({"spec": {**bar(lg_sales), "dataset": {"id": lg_sales["id"], "version": 9}}}, 404),
        ({"spec": {**bar(lg_sales), "filters": [{"column": "region", "cmp": "gt", "value": 3}]}}, 400),
    ]:
        r = await lg_api("POST", "charts", "query", body=payload)
        assert r.code == code, (payload, r.body)
        assert set(body(r)) == {"message", "reason", "errors"}


async def test_the_schema_is_published(lg_api):
    r = await lg_api("GET", "charts", "schema")
    assert r.code == 200
    schema = orjson.loads(r.body)
    assert schema["properties"]["mark"]["enum"][0] == "bar"
    assert "field" in schema["$defs"]


async def test_a_trend_comes_back_with_the_chart_and_a_bad_overlay_is_a_400(lg_api, lg_upload):
    lg_sales = await lg_upload("sales", CSV)
    spec = {
        "version": 1,
        "dataset": {"id": lg_sales["id"]},
        "mark": "scatter",
        "encoding": {"x": {"field": "units"}, "y": {"field": "revenue"}},
        "overlays": [{"kind": "trend"}],
    }
    out = body(await lg_api("POST", "charts", "query", body={"spec": spec}))
    [line] = out["overlays"][0]["series"]
    assert line["n"] == 5 and line["equation"].startswith("revenue = ")

    spec["overlays"] = [{"kind": "forecast", "periods": 3}]
    r = await lg_api("POST", "charts", "query", body={"spec": spec})
    assert r.code == 400, r.body
    err = body(r)
    assert set(err) == {"message", "reason", "errors"}
    assert err["message"].startswith("overlays[0]: a forecast is drawn on line charts")
