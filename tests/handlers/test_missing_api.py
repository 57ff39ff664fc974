"""Treat NA as missing through the REST API: one step, its report, its code, its limits."""

from __future__ import annotations

from ..conftest import body
from .test_api import assert_error_shape

PENGUINS = "species,sex,score\nAdelie,male,12\nAdelie,NA,NA\nGentoo,female,-\nGentoo,NA,7\n"


async def test_one_step_treats_markers_as_missing_and_retypes(lg_api, lg_upload):
    ds = await lg_upload("penguins", PENGUINS)
    assert [c["type"] for c in ds["columns"]] == ["string", "string", "integer"]
    r = await lg_api("POST", "datasets", ds["id"], "transforms", body={"step": {"op": "markers_to_null"}})
    assert r.code == 201, r.body
    out = body(r)
    assert out["version"] == 2 and out["problems"] == []
    assert [(c["name"], c["type"], c["nulls"]) for c in out["columns"]] == [
        ("species", "string", 0),
        ("sex", "string", 2),
        ("score", "integer", 2),
    ]
    assert out["report"]["notes"] == ["column 'sex': 2 values read as missing"]
    steps = body(await lg_api("GET", "datasets", ds["id"], "recipe"))["steps"]
    assert steps[0]["step"]["columns"] == ["sex"]
    assert steps[0]["description"].startswith("Treat missing-value markers (empty text, NA, N/A")
    code = body(await lg_api("GET", "datasets", ds["id"], "recipe", params={"format": "python"}))["code"]
    assert "# markers_to_null" in code


async def test_bad_or_pointless_steps_are_400_in_the_error_shape(lg_api, lg_upload):
    ds = await lg_upload("penguins", PENGUINS)
    for step in [
        {"op": "markers_to_null", "markers": [f"m{i}" for i in range(51)]},
        {"op": "markers_to_null", "markers": ["x" * 101]},
        {"op": "markers_to_null", "columns": ["score"]},
        {"op": "markers_to_null", "markers": ["nowhere"]},
    ]:
        r = await lg_api("POST", "datasets", ds["id"], "transforms", body={"step": step})
        assert r.code == 400, step
        assert_error_shape(body(r))
    assert body(await lg_api("GET", "datasets", ds["id"]))["version"] == 1
