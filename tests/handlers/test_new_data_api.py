"""``POST datasets/{id}/data`` (append, replace) and ``GET datasets/{id}/compare`` over REST."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from ..conftest import body

CSV = "city,temp\nOslo,-3.5\nLima,24.0\nOslo,-3.5\n"


@pytest.fixture
def jp_server_config(jp_server_config):
    config = dict(jp_server_config)
    config["LiveGraphsApp"] = {**config["LiveGraphsApp"], "max_upload_bytes": 4000}
    return config


def staging_empty(lg_data_dir) -> bool:
    return list((lg_data_dir / "staging").iterdir()) == []


async def test_append_then_replace_with_the_recipe_replayed(lg_api, lg_upload, lg_data_dir):
    ds = await lg_upload("weather", CSV)
    r = await lg_api("POST", "datasets", ds["id"], "transforms", body={"step": {"op": "dedupe"}})
    assert r.code == 201, r.body
    r = await lg_api(
        "POST",
        "datasets",
        ds["id"],
        "data",
        body="temp,city,wind\n1.5,Rome,4\n-3.5,Oslo,\n",
        params={"mode": "append", "filename": "march.csv", "base_version": "2"},
        headers={"Content-Type": "text/csv"},
    )
    assert r.code == 201, r.body
    out = body(r)
    # raw rows 3 + 2 = 5 (version 3), dedupe again: 3 (version 4)
    assert out["version"] == 4 and out["rows"] == 3 and out["access"] == "owner"
    assert out["changes"]["added"] == [{"name": "wind", "type": "integer"}]
    assert [s["step"]["op"] for s in out["changes"]["replayed"]] == ["dedupe"]
    rows = body(await lg_api("GET", "datasets", ds["id"], "rows"))["rows"]
    assert rows == [["Oslo", -3.5, None], ["Lima", 24.0, None], ["Rome", 1.5, 4]]
    cmp = body(await lg_api("GET", "datasets", ds["id"], "compare", params={"from": "2"}))
    assert cmp["rows"] == {"from": 2, "to": 3, "added": 1, "removed": 0}
    assert cmp["columns"]["added"] == [{"name": "wind", "type": "integer"}]

    r = await lg_api(
        "POST", "datasets", ds["id"], "data", body="city\nBern\nBern\n",
        params={"mode": "replace", "replay": "false"},
    )  # fmt: skip
    assert r.code == 201, r.body
    out = body(r)
    assert out["version"] == 5 and out["rows"] == 2
    assert [c["name"] for c in out["changes"]["removed"]] == ["temp", "wind"]
    # on a laptop every chart and dashboard file was looked through (none uses them): no note
    assert out["changes"]["charts"]["files"] == [] and out["changes"]["note"] is None
    versions = body(await lg_api("GET", "datasets", ds["id"], "versions"))["versions"]
    assert [v["kind"] for v in versions] == ["upload", "transform", "append", "transform", "replace"]
    assert staging_empty(lg_data_dir)


@pytest.mark.parametrize(
    ("params", "data", "status", "reason"),
    [
        ({}, CSV, 400, "Bad argument"),
        ({"mode": "merge"}, CSV, 400, "Bad argument"),
        ({"mode": "append", "replay": "maybe"}, CSV, 400, "Bad argument"),
        ({"mode": "append", "bad_values": "drop"}, CSV, 400, "Bad Request"),
        ({"mode": "append"}, "city,temp\nRome,warm\n", 400, "Type conflict"),
        ({"mode": "append", "base_version": "7"}, CSV, 409, "Stale version"),
        ({"mode": "append", "onto_version": "one"}, CSV, 400, "Bad argument"),
        ({"mode": "append", "onto_version": "7", "base_version": "1"}, CSV, 404, "No such version"),
        ({"mode": "append", "onto_version": "1"}, CSV, 400, "Bad argument"),
        ({"mode": "append"}, "a,b\n" + "1,2\n" * 2000, 413, ""),
    ],
    ids=[
        "no-mode",
        "bad-mode",
        "bad-replay",
        "bad-bad-values",
        "type-conflict",
        "stale",
        "bad-onto",
        "unknown-onto",
        "onto-without-base",
        "too-large",
    ],
)
async def test_bad_new_data_is_a_clear_4xx_and_keeps_nothing(
    lg_api, lg_upload, lg_data_dir, params, data, status, reason
):
    ds = await lg_upload("weather", CSV)
    r = await lg_api("POST", "datasets", ds["id"], "data", body=data, params=params)
    assert r.code == status, r.body
    payload = body(r)
    assert set(payload) == {"message", "reason", "errors"} and payload["message"]
    if reason:
        assert payload["reason"] == reason
    assert body(await lg_api("GET", "datasets", ds["id"]))["version"] == 1
    assert len(list((lg_data_dir / "datasets" / ds["id"]).iterdir())) == 1
    assert staging_empty(lg_data_dir)


async def test_a_failing_recipe_step_is_named(lg_api, lg_upload, lg_data_dir):
    ds = await lg_upload("weather", CSV)
    step = {"op": "derive", "name": "f", "formula": "temp * 2"}
    assert (await lg_api("POST", "datasets", ds["id"], "transforms", body={"step": step})).code == 201
    r = await lg_api("POST", "datasets", ds["id"], "data", body="city\nBern\n", params={"mode": "replace"})
    assert r.code == 400
    payload = body(r)
    assert payload["reason"] == "Recipe failed" and "step 1 of the recipe" in payload["message"]
    assert body(await lg_api("GET", "datasets", ds["id"]))["version"] == 2
    assert staging_empty(lg_data_dir)


async def test_a_file_sent_again_onto_the_version_before_its_first_try(lg_api, lg_upload, lg_data_dir):
    """The file sent again to make its bad values missing, in one request: the first try (bad
    dates kept as text) is undone and the file added again with them missing, onto the version
    before it."""
    ds = await lg_upload("weather", CSV)
    bad = "city,temp,day\nRome,1,2024-02-30\n" + "".join(f"Bern,{i},2024-03-{i:02}\n" for i in range(1, 20))
    sent = {"body": bad, "headers": {"Content-Type": "text/csv"}}
    first = body(await lg_api("POST", "datasets", ds["id"], "data", params={"mode": "append"}, **sent))
    assert first["version"] == 2 and first["report"]["problem_count"] == 1
    assert {c["name"]: c["type"] for c in first["columns"]}["day"] == "string"
    params = {"mode": "append", "bad_values": "null", "base_version": "2", "onto_version": "1"}
    r = await lg_api("POST", "datasets", ds["id"], "data", params=params, **sent)
    assert r.code == 201, r.body
    out = body(r)
    assert out["version"] == 3 and out["rows"] == 23 and out["changes"]["from_version"] == 1
    assert {c["name"]: c["type"] for c in out["columns"]}["day"] == "date"
    versions = body(await lg_api("GET", "datasets", ds["id"], "versions"))["versions"]
    assert [v["kind"] for v in versions] == ["upload", "append", "append"]
    # the same again is stale: the dataset is at version 3 now
    r = await lg_api("POST", "datasets", ds["id"], "data", params=params, **sent)
    assert r.code == 409 and body(r)["reason"] == "Stale version"
    assert staging_empty(lg_data_dir)


async def test_unknown_dataset_and_bad_compare(lg_api, lg_upload):
    r = await lg_api("POST", "datasets", "0" * 32, "data", body=CSV, params={"mode": "append"})
    assert r.code == 404 and body(r)["reason"] == "No such dataset"
    ds = await lg_upload("weather", CSV)
    r = await lg_api("GET", "datasets", ds["id"], "compare", params={"from": "9"})
    assert r.code == 404 and body(r)["reason"] == "No such version"
    r = await lg_api("GET", "datasets", ds["id"], "compare", params={"to": "x"})
    assert r.code == 400
    # a version compared with itself: nothing changed
    cmp = body(await lg_api("GET", "datasets", ds["id"], "compare"))
    assert cmp["rows"] == {"from": 3, "to": 3, "added": 0, "removed": 0}


async def test_import_sends_a_server_file_to_an_existing_dataset(lg_api, lg_upload, jp_root_dir, lg_data_dir):
    ds = await lg_upload("weather", CSV)
    (jp_root_dir / "april.csv").write_text("city,temp\nRome,12\n")
    r = await lg_api(
        "POST", "datasets", "import", body={"path": "april.csv", "dataset": ds["id"], "mode": "append"}
    )
    assert r.code == 201, r.body
    out = body(r)
    assert (out["version"], out["rows"], out["changes"]["rows_received"]) == (2, 4, 1)
    assert body(await lg_api("GET", "datasets", ds["id"], "versions"))["versions"][1]["step"]["filename"] == (
        "april.csv"
    )
    assert (jp_root_dir / "april.csv").exists()
    for bad in (
        {"path": "april.csv", "dataset": ds["id"], "mode": "merge"},
        {"path": "april.csv", "dataset": "nope", "mode": "append"},
        {"path": "april.csv", "dataset": ds["id"], "mode": "replace", "replay": "yes"},
    ):
        r = await lg_api("POST", "datasets", "import", body=bad)
        assert r.code == 400, (bad, r.body)
        assert set(body(r)) == {"message", "reason", "errors"}
    r = await lg_api(
        "POST", "datasets", "import", body={"path": "april.csv", "dataset": "0" * 32, "mode": "replace"}
    )
    assert r.code == 404
    assert body(await lg_api("GET", "datasets", ds["id"]))["version"] == 2
    assert staging_empty(lg_data_dir)


async def test_new_data_and_compare_name_the_documents_using_a_missing_column(lg_api, lg_upload):
    ds = await lg_upload("weather", CSV)
    spec = {"version": 1, "dataset": {"id": ds["id"]}, "mark": "bar", "encoding": {"x": {"field": "temp"}}}
    r = await lg_api("POST", "documents", body={"kind": "chart", "title": "Temps", "content": spec})
    assert r.code == 201, r.body
    chart_id = body(r)["id"]
    dash = {
        "version": 1, "title": "Board", "crossfilter": True,
        "filters": [{"id": "f1", "kind": "dropdown", "dataset": ds["id"], "column": "city", "value": None}],
        "charts": {"c1": {"spec": {**spec, "title": "T"}, "layout": {"x": 0, "y": 0, "w": 6, "h": 4}}},
    }  # fmt: skip
    r = await lg_api("POST", "documents", body={"kind": "dashboard", "content": dash})
    assert r.code == 201, r.body
    dash_id = body(r)["id"]

    r = await lg_api("POST", "datasets", ds["id"], "data", body="city\nBern\n", params={"mode": "replace"})
    assert r.code == 201, r.body
    listing = body(r)["changes"]["charts"]
    assert listing["hidden"] == 0
    assert [(d["id"], d["kind"], d["columns"]) for d in listing["documents"]] == [
        (chart_id, "chart", ["temp"]),
        (dash_id, "dashboard", ["temp"]),
    ]
    assert listing["documents"][1]["charts"] == [{"id": "c1", "title": "T", "columns": ["temp"]}]
    cmp = body(await lg_api("GET", "datasets", ds["id"], "compare"))
    assert cmp["charts"] == listing


async def test_new_data_and_compare_name_the_chart_and_dashboard_files_using_a_missing_column(
    lg_api, lg_upload, jp_root_dir
):
    ds = await lg_upload("weather", CSV)
    spec = {"version": 1, "dataset": {"id": ds["id"]}, "mark": "bar", "encoding": {"x": {"field": "temp"}}}
    (jp_root_dir / "reports").mkdir()
    (jp_root_dir / "reports" / "temps.lgchart").write_text(json.dumps({**spec, "title": "Temps"}))
    board = {"version": 1, "title": "Board", "charts": {"c1": {"spec": {**spec, "title": "T"}}}}
    (jp_root_dir / "board.lgdash").write_text(json.dumps(board))
    (jp_root_dir / "cities.lgchart").write_text(json.dumps({**spec, "encoding": {"x": {"field": "city"}}}))

    r = await lg_api("POST", "datasets", ds["id"], "data", body="city\nBern\n", params={"mode": "replace"})
    assert r.code == 201, r.body
    changes = body(r)["changes"]
    listing = changes["charts"]
    assert [(f["path"], f["kind"], f["title"], f["columns"]) for f in listing["files"]] == [
        ("board.lgdash", "dashboard", "Board", ["temp"]),
        ("reports/temps.lgchart", "chart", "Temps", ["temp"]),
    ]
    assert listing["files_complete"] is True
    assert changes["note"] is None  # every file was looked through
    cmp = body(await lg_api("GET", "datasets", ds["id"], "compare"))
    assert cmp["charts"] == listing
    # columns only added: no file is named, none looked through
    r = await lg_api(
        "POST", "datasets", ds["id"], "data", body="city,wind\nOslo,3\n", params={"mode": "append"}
    )
    assert "files" not in body(r)["changes"]["charts"]


async def keep_alive_exchange(port: int, requests: list[bytes]) -> list[bytes]:
    """Send ``requests`` one by one on one kept-alive connection; each answer's head (b"" once closed)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    heads = []
    try:
        for request in requests:
            writer.write(request)
            await writer.drain()
            head = await asyncio.wait_for(reader.read(65536), 10)
            heads.append(head.split(b"\r\n\r\n")[0])
            if not head:
                break
    finally:
        writer.close()
    return heads


@pytest.mark.parametrize(
    ("path", "length", "status"),
    [
        # a store error (no such dataset), raised before the upload's body is read
        (f"datasets/{'0' * 32}/data?mode=append", 3000, b"404"),
        # an HTTP error: a chart query's body over max_query_bytes by its Content-Length
        ("charts/query", 10_000_000, b"413"),
    ],
)
async def test_a_body_refused_before_it_is_read_closes_the_connection(
    http_server_client: Any,
    jp_http_port: int,
    jp_base_url: str,
    jp_auth_header: dict[str, str],
    path: str,
    length: int,
    status: bytes,
):
    # A proxy that keeps connections alive (configurable-http-proxy) must not send the next
    # request, maybe another user's, on a socket the server closes for the unread body.
    auth = "".join(f"{k}: {v}\r\n" for k, v in jp_auth_header.items())
    base = f"{jp_base_url}livegraphs/api/"
    refused = (
        f"POST {base}{path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}"
        f"Content-Type: text/csv\r\nContent-Length: {length}\r\n\r\ncity,temp\n"
    ).encode()
    listing = f"GET {base}datasets HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}\r\n".encode()
    heads = await keep_alive_exchange(jp_http_port, [refused, listing])
    first = heads[0].lower()
    assert first.startswith(b"http/1.1 " + status), heads
    assert b"connection: close" in first, heads
    # (the control: answers that read their whole request keep the connection)
    heads = await keep_alive_exchange(jp_http_port, [listing, listing])
    assert [h[:12].lower() for h in heads] == [b"http/1.1 200"] * 2, heads
