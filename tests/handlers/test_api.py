"""The REST contract: paths, shapes and statuses of the datasets API."""

from __future__ import annotations

import csv
import io
import re

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from ..conftest import body

SALES = (
    "date,region,units,price,zip,active\n"
    "2024-01-02,North,3,9.5,01234,true\n"
    "2024-01-03,South,,12.25,90210,false\n"
    "2024-01-04,North,7,,00501,\n"
    "2024-01-05,East,1,3.0,10001,true\n"
)


def assert_error_shape(payload: dict) -> None:
    assert set(payload) == {"message", "reason", "errors"}
    assert isinstance(payload["message"], str) and payload["message"]
    assert isinstance(payload["errors"], list)
    for e in payload["errors"]:
        assert set(e) == {"row", "column", "value", "expected"}


async def test_upload_returns_the_typed_dataset(lg_upload):
    # When
    ds = await lg_upload("sales", SALES)
    # Then
    assert ds["name"] == "sales" and ds["rows"] == 4 and ds["version"] == 1
    assert len(ds["id"]) == 32
    types = {c["name"]: c["type"] for c in ds["columns"]}
    assert types == {
        "date": "date",
        "region": "string",
        "units": "integer",
        "price": "float",
        "zip": "string",
        "active": "boolean",
    }
    nulls = {c["name"]: c["nulls"] for c in ds["columns"]}
    assert nulls["units"] == 1 and nulls["price"] == 1 and nulls["active"] == 1
    assert ds["report"]["format"] == "csv" and ds["report"]["delimiter"] == ","


async def test_list_get_and_delete(lg_api, lg_upload):
    ds = await lg_upload("sales", SALES)
    listed = body(await lg_api("GET", "datasets"))["datasets"]
    assert [d["id"] for d in listed] == [ds["id"]]
    got = body(await lg_api("GET", "datasets", ds["id"]))
    assert got["name"] == "sales" and got["rows"] == 4
    r = await lg_api("DELETE", "datasets", ds["id"])
    assert r.code == 204
    r = await lg_api("GET", "datasets", ds["id"])
    assert r.code == 404
    assert_error_shape(body(r))
    assert body(await lg_api("GET", "datasets"))["datasets"] == []


async def test_rows_pages_in_column_order_with_json_values(lg_api, lg_upload):
    ds = await lg_upload("sales", SALES)
    page = body(await lg_api("GET", "datasets", ds["id"], "rows", params={"offset": 1, "limit": 2}))
    assert page["columns"] == ["date", "region", "units", "price", "zip", "active"]
    assert page["offset"] == 1 and page["limit"] == 2 and page["total"] == 4
    assert page["rows"] == [
        ["2024-01-03", "South", None, 12.25, "90210", False],
        ["2024-01-04", "North", 7, None, "00501", None],
    ]
    past_end = body(await lg_api("GET", "datasets", ds["id"], "rows", params={"offset": 10}))
    assert past_end["rows"] == [] and past_end["total"] == 4


async def test_rows_sort_and_filter(lg_api, lg_upload):
    ds = await lg_upload("sales", SALES)
    flt = orjson.dumps([{"column": "region", "cmp": "eq", "value": "North"}]).decode()
    page = body(await lg_api("GET", "datasets", ds["id"], "rows", params={"filter": flt, "sort": "-units"}))
    assert page["total"] == 2
    assert [r[2] for r in page["rows"]] == [7, 3]


@pytest.mark.parametrize(
    "params",
    [{"offset": "x"}, {"limit": "-1"}, {"limit": "100000"}, {"filter": "{not json"}, {"sort": "nope"}],
)
async def test_bad_page_arguments_are_400(lg_api, lg_upload, params):
    ds = await lg_upload("sales", SALES)
    r = await lg_api("GET", "datasets", ds["id"], "rows", params=params)
    assert r.code == 400
    assert_error_shape(body(r))


async def test_transform_makes_a_new_version_and_revert_brings_the_old_back(lg_api, lg_upload):
    ds = await lg_upload("sales", SALES)
    r = await lg_api(
        "POST",
        "datasets",
        ds["id"],
        "transforms",
        body={
            "step": {"op": "filter", "conditions": [{"column": "units", "cmp": "not_null"}]},
            "base_version": 1,
        },
    )
    assert r.code == 201, r.body
    v2 = body(r)
    assert v2["version"] == 2 and v2["rows"] == 3 and v2["id"] == ds["id"]
    # a change based on a version that is no longer current is refused, not applied to other data
    stale = await lg_api(
        "POST", "datasets", ds["id"], "transforms", body={"step": {"op": "dedupe"}, "base_version": 1}
    )
    assert stale.code == 409
    assert_error_shape(body(stale))
    old = body(await lg_api("GET", "datasets", ds["id"], "rows", params={"version": 1}))
    assert old["total"] == 4
    reverted = body(await lg_api("POST", "datasets", ds["id"], "revert", body={"version": 1}))
    assert reverted["version"] == 3 and reverted["rows"] == 4
    versions = body(await lg_api("GET", "datasets", ds["id"], "versions"))["versions"]
    assert [(v["version"], v["kind"]) for v in versions] == [(1, "upload"), (2, "transform"), (3, "revert")]
    assert body(await lg_api("GET", "datasets", ds["id"], "recipe"))["steps"] == []
    steps = body(await lg_api("GET", "datasets", ds["id"], "recipe", params={"version": 2}))["steps"]
    assert [s["step"]["op"] for s in steps] == ["filter"]
    code = body(
        await lg_api("GET", "datasets", ds["id"], "recipe", params={"version": 2, "format": "python"})
    )
    assert "lg.load('sales', version=1)" in code["code"]


async def test_cast_reports_the_values_it_could_not_convert(lg_api, lg_upload):
    ds = await lg_upload("codes", "code\n12\nabc\n7\n")
    r = await lg_api(
        "POST",
        "datasets",
        ds["id"],
        "transforms",
        body={"step": {"op": "cast", "column": "code", "to": "integer"}},
    )
    assert r.code == 201, r.body
    out = body(r)
    assert {c["name"]: c["type"] for c in out["columns"]} == {"code": "integer"}
    assert out["problems"] == [{"row": 2, "column": "code", "value": "abc", "expected": "integer"}]


async def test_bad_steps_are_400_naming_the_problem(lg_api, lg_upload):
    ds = await lg_upload("sales", SALES)
    for step in [{"op": "explode"}, {"op": "cast", "column": "nope", "to": "integer"}, {"op": "derive"}]:
        r = await lg_api("POST", "datasets", ds["id"], "transforms", body={"step": step})
        assert r.code == 400, step
        assert_error_shape(body(r))
    assert body(await lg_api("GET", "datasets", ds["id"]))["version"] == 1


async def test_export_neutralises_formulas_in_csv(lg_api, lg_upload):
    data = "name,amount\n=cmd|' /C calc'!A0,1\n@SUM(1),2\n+1,3\n-1+1,4\nplain,5\n"
    ds = await lg_upload("evil", data)
    r = await lg_api("GET", "datasets", ds["id"], "export", params={"format": "csv"})
    assert r.code == 200
    assert r.headers["Content-Type"].startswith("text/csv")
    assert r.headers["Content-Disposition"].startswith("attachment;")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    rows = list(csv.reader(io.StringIO(r.body.decode())))
    assert rows[0] == ["name", "amount"]
    assert [row[0] for row in rows[1:]] == ["'=cmd|' /C calc'!A0", "'@SUM(1)", "'+1", "'-1+1", "plain"]
    assert [row[1] for row in rows[1:]] == ["1", "2", "3", "4", "5"]


async def test_export_parquet_and_json(lg_api, lg_upload):
    ds = await lg_upload("sales", SALES)
    r = await lg_api("GET", "datasets", ds["id"], "export", params={"format": "parquet"})
    table = pq.read_table(pa.BufferReader(r.body))
    assert table.num_rows == 4 and table.column_names[0] == "date"
    r = await lg_api("GET", "datasets", ds["id"], "export", params={"format": "json"})
    records = orjson.loads(r.body)
    assert records[0]["region"] == "North" and len(records) == 4
    r = await lg_api("GET", "datasets", ds["id"], "export", params={"format": "xlsx"})
    assert r.code == 400
    # lg.load reads the same file for a notebook; nothing else is a purpose
    r = await lg_api("GET", "datasets", ds["id"], "export", params={"format": "parquet", "purpose": "load"})
    assert r.code == 200 and pq.read_table(pa.BufferReader(r.body)).num_rows == 4
    r = await lg_api("GET", "datasets", ds["id"], "export", params={"purpose": "peek"})
    assert r.code == 400
    assert_error_shape(body(r))
    assert "purpose is export or load" in body(r)["message"]


async def test_names_are_unique_per_owner_and_checked(lg_api, lg_upload):
    await lg_upload("sales", SALES)
    r = await lg_api("POST", "datasets", body=SALES, params={"name": "sales"})
    assert r.code == 409
    assert_error_shape(body(r))
    for bad in ["", "   ", "a\x7fb", "x" * 201]:
        r = await lg_api("POST", "datasets", body=SALES, params={"name": bad})
        assert r.code == 400, bad
        assert_error_shape(body(r))
    r = await lg_api("POST", "datasets", body=SALES)
    assert r.code == 400
    assert len(body(await lg_api("GET", "datasets"))["datasets"]) == 1


async def test_rename(lg_api, lg_upload):
    ds = await lg_upload("sales", SALES)
    r = await lg_api("PATCH", "datasets", ds["id"], body={"name": "..\\etc\\passwd"})
    assert r.code == 200 and body(r)["name"] == "..\\etc\\passwd"
    # "/" is kept out of names: owner/name names a dataset of that owner
    r = await lg_api("PATCH", "datasets", ds["id"], body={"name": "../../etc/passwd"})
    assert r.code == 400 and "'/'" in body(r)["message"]
    assert_error_shape(body(r))
    r = await lg_api("PATCH", "datasets", ds["id"], body={"nom": "x"})
    assert r.code == 400


async def test_rejected_upload_leaves_nothing(lg_api, lg_data_dir):
    r = await lg_api(
        "POST", "datasets", body=b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10, params={"name": "img"}
    )
    assert 400 <= r.code < 500
    assert_error_shape(body(r))
    assert body(await lg_api("GET", "datasets"))["datasets"] == []
    assert list((lg_data_dir / "datasets").iterdir()) == []
    assert list((lg_data_dir / "staging").iterdir()) == []


async def test_unknown_paths_are_404_in_the_error_shape(lg_api):
    for path in [("nope",), ("datasets", "not-an-id"), ("datasets", "0" * 32)]:
        r = await lg_api("GET", *path)
        assert r.code == 404, path
        assert_error_shape(body(r))


async def test_openapi_is_served_and_names_every_route(lg_api):
    from livegraphs_ext.handlers import ROUTES

    r = await lg_api("GET", "openapi.yaml")
    assert r.code == 200
    assert r.headers["Content-Type"].startswith("application/yaml")
    text = r.body.decode()
    doc = yaml.safe_load(text)
    assert doc["openapi"].startswith("3.")
    for pattern, _ in ROUTES:
        if pattern == r"(?P<path>.*)":
            continue
        path = "/" + re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", pattern.replace("{1,9}", ""))
        assert f"  {path}:" in text, path


DATES = "day,n\n" + "".join(f"2024-01-{d:02d},{d}\n" for d in range(1, 21)) + "2024-02-30,21\nNA,22\n"


async def test_upload_lists_bad_values_and_bad_values_null_keeps_the_type(lg_api):
    r = await lg_api("POST", "datasets", body=DATES, params={"name": "text"})
    assert r.code == 201, r.body
    ds = body(r)
    assert {c["name"]: c["type"] for c in ds["columns"]}["day"] == "string"
    assert ds["report"]["problems"] == [
        {"row": 21, "column": "day", "value": "2024-02-30", "expected": "date"}
    ]
    r = await lg_api("POST", "datasets", body=DATES, params={"name": "nulls", "bad_values": "null"})
    assert r.code == 201, r.body
    ds = body(r)
    day = next(c for c in ds["columns"] if c["name"] == "day")
    assert (day["type"], day["nulls"]) == ("date", 2)
    assert ds["report"]["problem_count"] == 1
    rows = body(await lg_api("GET", "datasets", ds["id"], "rows"))["rows"]
    assert [row[0] for row in rows][19:] == ["2024-01-20", None, None]


async def test_an_unknown_bad_values_choice_is_400_before_the_upload(lg_api, lg_data_dir):
    r = await lg_api("POST", "datasets", body=DATES, params={"name": "x", "bad_values": "drop"})
    assert r.code == 400
    assert_error_shape(body(r))
    assert "bad_values" in body(r)["message"]
    assert body(await lg_api("GET", "datasets"))["datasets"] == []
    r = await lg_api("POST", "datasets", "import", body={"path": "x.csv", "name": "x", "bad_values": 1})
    assert r.code == 400
    assert "bad_values" in body(r)["message"]


async def test_import_takes_bad_values_too(lg_api, jp_root_dir):
    (jp_root_dir / "dates.csv").write_text(DATES)
    r = await lg_api(
        "POST", "datasets", "import", body={"path": "dates.csv", "name": "d", "bad_values": "null"}
    )
    assert r.code == 201, r.body
    day = next(c for c in body(r)["columns"] if c["name"] == "day")
    assert (day["type"], day["nulls"]) == ("date", 2)
    r = await lg_api("POST", "datasets", "import", body={"path": "dates.csv", "name": "t"})
    assert r.code == 201, r.body
    assert next(c for c in body(r)["columns"] if c["name"] == "day")["type"] == "string"
