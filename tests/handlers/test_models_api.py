"""The model routes: a report for readers, predictions as a version for editors, errors in one shape."""

from __future__ import annotations

from pathlib import Path

import pytest

from livegraphs_ext.store import DatasetStore, Forbidden, GuardedStore, NotFound, Principal, StoreConfig

from ..conftest import CORPUS, body

TIPS = (CORPUS / "real" / "tips.csv").read_text()
APPLE = (CORPUS / "real" / "2014_apple_stock.csv").read_text()
SPEC = {"target": "tip", "features": ["total_bill", "day", "size"]}


def assert_error_shape(data: dict) -> None:
    assert set(data) == {"message", "reason", "errors"} and data["message"]


async def test_fit_reports_metrics_beside_the_baseline_and_the_code(lg_api, lg_upload):
    ds = await lg_upload("tips", TIPS)
    r = await lg_api("POST", "datasets", ds["id"], "models", body={"spec": SPEC})
    assert r.code == 200, r.body
    report = body(r)
    assert set(report["metrics"]) == {"model", "baseline"}
    assert set(report["metrics"]["model"]) == {"r2", "mae", "rmse"}
    assert report["metrics"]["model"]["r2"] > report["metrics"]["baseline"]["r2"]
    assert "lg.load('tips', version=1)" in report["code"]
    assert report["importance"][0]["feature"] == "total_bill"
    # nothing was kept
    assert body(await lg_api("GET", "datasets", ds["id"]))["version"] == 1


async def test_predictions_make_a_version_and_a_stale_base_is_409(lg_api, lg_upload):
    ds = await lg_upload("tips", TIPS)
    r = await lg_api(
        "POST", "datasets", ds["id"], "models", "predictions", body={"spec": SPEC, "base_version": 1}
    )
    assert r.code == 201, r.body
    made = body(r)
    assert made["version"] == 2 and made["columns"][-1]["name"] == "tip_predicted"
    steps = body(await lg_api("GET", "datasets", ds["id"], "recipe"))["steps"]
    assert [s["step"]["op"] for s in steps] == ["model"]
    code = body(await lg_api("GET", "datasets", ds["id"], "recipe", params={"format": "python"}))["code"]
    assert "make_pipeline(_spec)" in code and "df['tip_predicted']" in code
    stale = await lg_api(
        "POST", "datasets", ds["id"], "models", "predictions", body={"spec": SPEC, "base_version": 1}
    )
    assert stale.code == 409
    assert_error_shape(body(stale))


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"spec": {"target": "AAPL_y", "features": ["AAPL_x"], "shuffle": True}}, "Shuffled Time Series"),
        ({"spec": {"target": "nope", "features": ["AAPL_x"]}}, "Bad model"),
        ({"spec": "AAPL_y"}, "Bad model"),
        ({"spec": {"target": "AAPL_y", "features": ["AAPL_x"]}, "version": 7}, "No such version"),
    ],
)
async def test_bad_models_get_a_clear_4xx(lg_api, lg_upload, payload, reason):
    ds = await lg_upload("apple", APPLE)
    r = await lg_api("POST", "datasets", ds["id"], "models", body=payload)
    assert 400 <= r.code < 500, r.body
    data = body(r)
    assert_error_shape(data)
    assert data["reason"] == reason


def test_readers_may_fit_but_only_editors_add_predictions(tmp_path: Path) -> None:
    store = DatasetStore(StoreConfig(root=tmp_path / "store"))
    try:
        g = GuardedStore(store)
        ada, bo = Principal("ada"), Principal("bo")
        src = store.staging_path()
        src.write_text(TIPS)
        ds = g.create_from_file(ada, src, name="tips", content_type="text/csv")
        with pytest.raises(NotFound):  # an unshared dataset is not seen at all
            g.fit_model(bo, ds["id"], SPEC)
        g.share(ada, ds["id"], "user", "bo", "viewer")
        report = g.fit_model(bo, ds["id"], SPEC)
        assert "lg.load('ada/tips', version=1)" in report["code"]
        with pytest.raises(Forbidden):
            g.add_predictions(bo, ds["id"], SPEC)
        g.share(ada, ds["id"], "user", "bo", "editor")
        assert g.add_predictions(bo, ds["id"], SPEC, base_version=1)["version"] == 2
    finally:
        store.close()
