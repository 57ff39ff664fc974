"""The routes the data workspace needs: column profiles, formula checks, imports, change events, ETags."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import orjson
import pytest

from livegraphs_ext.handlers.local import DATASET_EVENT

from ..conftest import body

CSV = (
    "city,population,area,when\n"
    "Lyon,522250,47.87,2024-01-02\n"
    "Nantes,320732,65.19,2024-02-03\n"
    "Lille,,34.83,\n"
    "Lyon,522250,47.87,2024-01-02\n"
)


async def test_profile_of_a_number_column(lg_api, lg_upload):
    # Given a dataset with a numeric column holding a null
    ds = await lg_upload("cities", CSV)
    # When its profile is asked for
    r = await lg_api("GET", "datasets", ds["id"], "profile", params={"column": "population"})
    # Then it has counts, range, mean, a histogram and top values
    assert r.code == 200
    p = body(r)
    assert (p["column"], p["type"], p["count"], p["nulls"]) == ("population", "integer", 4, 1)
    assert p["distinct"] == 2
    assert (p["min"], p["max"]) == (320732, 522250)
    assert p["mean"] == pytest.approx((522250 * 2 + 320732) / 3)
    assert sum(b["count"] for b in p["histogram"]) == 3
    assert p["top"][0] == {"value": 522250, "count": 2}


async def test_profile_of_text_and_dates(lg_api, lg_upload):
    ds = await lg_upload("cities", CSV)
    text = body(await lg_api("GET", "datasets", ds["id"], "profile", params={"column": "city"}))
    assert text["histogram"] == [] and text["min"] is None and text["mean"] is None
    assert text["top"][0] == {"value": "Lyon", "count": 2}
    dates = body(await lg_api("GET", "datasets", ds["id"], "profile", params={"column": "when"}))
    assert dates["type"] == "date"
    assert (dates["min"], dates["max"]) == ("2024-01-02", "2024-02-03")


async def test_profile_of_an_unknown_column_is_a_400_in_the_error_shape(lg_api, lg_upload):
    ds = await lg_upload("cities", CSV)
    r = await lg_api("GET", "datasets", ds["id"], "profile", params={"column": "nope"})
    assert r.code == 400
    assert set(body(r)) == {"message", "reason", "errors"}
    r = await lg_api("GET", "datasets", ds["id"], "profile")
    assert r.code == 400


async def test_formula_check_gives_the_type_or_the_error_position(lg_api, lg_upload):
    ds = await lg_upload("cities", CSV)
    ok = body(await lg_api("POST", "datasets", ds["id"], "formula", body={"formula": "population / area"}))
    assert ok == {"valid": True, "type": "float", "columns": ["population", "area"]}
    bad = body(await lg_api("POST", "datasets", ds["id"], "formula", body={"formula": "population + "}))
    assert bad["valid"] is False and bad["message"]
    assert isinstance(bad["position"], int)
    unknown = body(await lg_api("POST", "datasets", ds["id"], "formula", body={"formula": "[nope] * 2"}))
    assert unknown["valid"] is False and "nope" in unknown["message"]
    r = await lg_api("POST", "datasets", ds["id"], "formula", body={"formula": 3})
    assert r.code == 400


async def test_formula_completions_list_columns_and_functions(lg_api, lg_upload):
    ds = await lg_upload("cities", CSV)
    items = body(await lg_api("GET", "datasets", ds["id"], "formula"))["completions"]
    columns = {i["name"]: i for i in items if i["kind"] == "column"}
    assert set(columns) == {"city", "population", "area", "when"}
    assert columns["area"]["doc"] == "float"
    assert any(i["kind"] == "function" for i in items)


async def test_import_copies_a_server_file(lg_api, jp_root_dir: Path):
    # Given a CSV in the server's root folder
    (jp_root_dir / "data").mkdir()
    (jp_root_dir / "data" / "cities.csv").write_text(CSV)
    # When it is imported
    r = await lg_api("POST", "datasets", "import", body={"path": "data/cities.csv", "name": "imported"})
    # Then it is a dataset, and the file is untouched
    assert r.code == 201, r.body
    ds = body(r)
    assert (ds["name"], ds["rows"]) == ("imported", 4)
    assert (jp_root_dir / "data" / "cities.csv").read_text() == CSV


@pytest.mark.parametrize("path", ["nope.csv", "../etc/passwd", "/etc/passwd", "data"])
async def test_import_refuses_missing_and_outside_files(lg_api, jp_root_dir: Path, lg_data_dir: Path, path):
    (jp_root_dir / "data").mkdir()
    r = await lg_api("POST", "datasets", "import", body={"path": path, "name": "x"})
    assert r.code == 404
    assert set(body(r)) == {"message", "reason", "errors"}
    assert body(await lg_api("GET", "datasets"))["datasets"] == []


async def test_import_refuses_links_out_of_the_root(
    lg_api, jp_root_dir: Path, lg_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
):
    # Given a secret outside the server's root, reached by a link to the file and a link to its folder
    outside = tmp_path_factory.mktemp("outside")
    (outside / "secret.csv").write_text("secret\nhunter2\n")
    (jp_root_dir / "linked.csv").symlink_to(outside / "secret.csv")
    (jp_root_dir / "linked").symlink_to(outside, target_is_directory=True)
    (jp_root_dir / "cities.csv").write_text(CSV)
    # When either is imported, then it is a 404 in the error shape, as for a missing file
    for path in ("linked.csv", "linked/secret.csv"):
        r = await lg_api("POST", "datasets", "import", body={"path": path, "name": "x"})
        assert r.code == 404, path
        assert set(body(r)) == {"message", "reason", "errors"}
        assert "hunter2" not in r.body.decode()
    # And nothing was ingested, while a plain file of the root still imports
    assert body(await lg_api("GET", "datasets"))["datasets"] == []
    assert not any((lg_data_dir / "staging").glob("*"))
    r = await lg_api("POST", "datasets", "import", body={"path": "cities.csv", "name": "plain"})
    assert r.code == 201, r.body
    assert [d["name"] for d in body(await lg_api("GET", "datasets"))["datasets"]] == ["plain"]


async def test_a_bad_import_keeps_nothing(lg_api, jp_root_dir: Path, lg_data_dir: Path):
    (jp_root_dir / "bad.json").write_text("[1, 2")
    r = await lg_api("POST", "datasets", "import", body={"path": "bad.json", "name": "bad"})
    assert r.code == 400
    assert body(await lg_api("GET", "datasets"))["datasets"] == []
    assert list((lg_data_dir / "staging").iterdir()) == []
    assert list((lg_data_dir / "datasets").iterdir()) == []


async def test_changes_are_announced_as_events(lg_api, lg_upload, jp_serverapp):
    # Given a listener on the dataset change events
    seen: list[dict[str, Any]] = []

    async def listen(logger: Any, schema_id: str, data: dict[str, Any]) -> None:
        seen.append(dict(data))

    jp_serverapp.event_logger.add_listener(schema_id=DATASET_EVENT, listener=listen)
    # When a dataset is created, changed, renamed, reverted and deleted
    ds = await lg_upload("cities", CSV)
    step = {"step": {"op": "drop_nulls", "columns": None}, "base_version": 1}
    assert (await lg_api("POST", "datasets", ds["id"], "transforms", body=step)).code == 201
    assert (await lg_api("PATCH", "datasets", ds["id"], body={"name": "towns"})).code == 200
    assert (await lg_api("POST", "datasets", ds["id"], "revert", body={"version": 1})).code == 201
    assert (await lg_api("DELETE", "datasets", ds["id"])).code == 204
    # Then each was announced, in order
    for _ in range(50):
        if len(seen) >= 5:
            break
        await asyncio.sleep(0.02)
    assert [(e["action"], e["id"], e.get("version")) for e in seen] == [
        ("created", ds["id"], 1),
        ("changed", ds["id"], 2),
        ("changed", ds["id"], 2),
        ("changed", ds["id"], 3),
        ("deleted", ds["id"], None),
    ]


async def test_the_list_answers_304_when_unchanged(lg_api, lg_upload):
    await lg_upload("cities", CSV)
    first = await lg_api("GET", "datasets")
    etag = first.headers.get("Etag")
    assert etag
    same = await lg_api("GET", "datasets", headers={"If-None-Match": etag})
    assert same.code == 304
    await lg_upload("more", CSV)
    changed = await lg_api("GET", "datasets", headers={"If-None-Match": etag})
    assert changed.code == 200
    assert len(orjson.loads(changed.body)["datasets"]) == 2
