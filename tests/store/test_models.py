"""Models on datasets: honest evaluation, warnings, limits, predictions and the exported code.

The exported code is run in a fresh process on the data ``lg.load`` gives; its metrics must equal
the store's to 1e-9. The baseline's figures are also recomputed here with NumPy.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from livegraphs_ext.store import BadInput, DatasetStore, StoreConfig, TooLarge
from livegraphs_ext.store.errors import Cancelled, TimedOut
from livegraphs_ext.store.models import ModelLimits
from livegraphs_ext.store.stopping import GONE, QueryControl

from ..conftest import CORPUS, REPO

REAL = CORPUS / "real"


@pytest.fixture
def lg_store(tmp_path: Path) -> Iterator[DatasetStore]:
    store = DatasetStore(StoreConfig(root=tmp_path / "store"))
    yield store
    store.close()


def upload_file(store: DatasetStore, path: Path, name: str) -> dict[str, Any]:
    src = store.staging_path()
    src.write_bytes(path.read_bytes())
    return store.create_from_file(src, name=name, owner="ada", content_type="text/csv", filename=path.name)


def upload_frame(store: DatasetStore, df: pd.DataFrame, name: str) -> dict[str, Any]:
    src = store.staging_path()
    src.write_text(df.to_csv(index=False))
    return store.create_from_file(src, name=name, owner="ada", content_type="text/csv")


def run_script(store: DatasetStore, code: str) -> dict[str, Any]:
    """Run ``code`` in a fresh Python process over the store, as ada; its ``out`` as JSON."""
    env = {
        **os.environ,
        "LIVEGRAPHS_DATA_DIR": str(store.root),
        "LIVEGRAPHS_LOCAL_USER": "ada",
        "PYTHONPATH": str(REPO),
    }
    env.pop("LIVEGRAPHS_SERVICE_URL", None)
    env.pop("JUPYTERHUB_USER", None)
    done = subprocess.run(
        [sys.executable, "-c", code + "\nimport json as _j\nprint('OUT=' + _j.dumps(out))\n"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("OUT="))
    return json.loads(line[4:])


def assert_close(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert a.keys() == b.keys()
    for who in a:
        assert a[who].keys() == b[who].keys()
        for metric, value in a[who].items():
            other = b[who][metric]
            if value is None:
                assert other is None, (who, metric)
            else:
                assert abs(value - other) <= 1e-9, (who, metric, value, other)


CASES = [
    ("tips", {"target": "tip", "features": ["total_bill", "sex", "smoker", "day", "time", "size"]}),
    (
        "titanic",
        {
            "target": "Survived",
            "features": ["Pclass", "Sex", "Age", "SibSp", "Fare", "Embarked"],
            "kind": "classification",
            "algorithm": "boosting",
            "evaluation": "cv",
        },
    ),
    ("titanic", {"target": "Sex", "features": ["Pclass", "Age", "Fare", "Survived"], "algorithm": "linear"}),
    (
        "2014_apple_stock",
        {"target": "AAPL_y", "features": ["AAPL_x"], "evaluation": "cv", "algorithm": "boosting"},
    ),
    ("2014_apple_stock", {"target": "AAPL_y", "features": ["AAPL_x"]}),
]


@pytest.mark.parametrize(("name", "spec"), CASES)
def test_exported_code_gives_the_same_metrics_on_real_data(
    lg_store: DatasetStore, name: str, spec: dict
) -> None:
    # Given a corpus file in the store
    ds = upload_file(lg_store, REAL / f"{name}.csv", name)
    # When a model is fitted, and its exported code run in a fresh process
    report = lg_store.fit_model(ds["id"], spec)
    out = run_script(lg_store, report["code"] + "\nout = metrics\n")
    # Then the metrics agree to 1e-9, and the model beats its baseline
    assert_close(report["metrics"], out)
    first = next(iter(report["metrics"]["model"]))
    assert report["metrics"]["model"][first] > report["metrics"]["baseline"][first]


def test_baseline_figures_match_numpy_on_a_time_ordered_holdout(lg_store: DatasetStore) -> None:
    ds = upload_file(lg_store, REAL / "2014_apple_stock.csv", "apple")
    report = lg_store.fit_model(ds["id"], {"target": "AAPL_y", "features": ["AAPL_x"]})
    assert report["time"] == "AAPL_x" and report["spec"]["shuffle"] is False
    frame = pd.read_csv(REAL / "2014_apple_stock.csv", parse_dates=["AAPL_x"]).sort_values(
        "AAPL_x", kind="stable"
    )
    y = frame["AAPL_y"].to_numpy()
    n_test = int(np.ceil(len(y) * 0.25))
    train, test = y[:-n_test], y[-n_test:]
    # the test part is the last quarter in time: predicting the training mean
    assert report["splits"] == [{"train": len(train), "test": len(test)}]
    base = report["metrics"]["baseline"]
    assert base["mae"] == pytest.approx(np.abs(test - train.mean()).mean(), abs=1e-9)
    assert base["rmse"] == pytest.approx(np.sqrt(((test - train.mean()) ** 2).mean()), abs=1e-9)
    assert base["r2"] == pytest.approx(
        1 - ((test - train.mean()) ** 2).sum() / ((test - test.mean()) ** 2).sum()
    )
    # residuals are binned: never one entry per row
    hist = report["residuals"]["histogram"]
    assert sum(hist["counts"]) == len(test) and len(hist["counts"]) == 30


def test_a_shuffled_split_of_time_ordered_rows_is_refused(lg_store: DatasetStore) -> None:
    ds = upload_file(lg_store, REAL / "2014_apple_stock.csv", "apple")
    for spec in (
        {"target": "AAPL_y", "features": ["AAPL_x"], "shuffle": True},
        {"target": "AAPL_y", "features": ["AAPL_x"], "shuffle": True, "time": "AAPL_x", "evaluation": "cv"},
    ):
        with pytest.raises(BadInput) as e:
            lg_store.fit_model(ds["id"], spec)
        assert e.value.status == 400 and e.value.reason == "Shuffled Time Series"
        assert "train on the future" in e.value.message


def test_a_copy_of_the_target_is_reported_as_a_leak(lg_store: DatasetStore) -> None:
    tips = pd.read_csv(REAL / "tips.csv")
    tips["gratuity"] = tips["tip"]  # the target, renamed
    tips["ticket"] = [f"T{i:05d}" for i in range(len(tips))]  # an id
    ds = upload_frame(lg_store, tips, "tips")
    report = lg_store.fit_model(
        ds["id"], {"target": "tip", "features": ["total_bill", "gratuity", "ticket", "day"]}
    )
    why = {w["columns"][0]: w["why"] for w in report["warnings"] if w["kind"] == "leakage"}
    assert why == {"gratuity": "copy", "ticket": "id"}
    # and a class label copied under another name
    titanic = pd.read_csv(REAL / "titanic.csv")
    titanic["Outcome"] = titanic["Survived"].map({0: "died", 1: "lived"})
    ds = upload_frame(lg_store, titanic, "titanic")
    spec = {"target": "Survived", "features": ["Pclass", "Outcome"], "kind": "classification"}
    report = lg_store.fit_model(ds["id"], spec)
    assert [(w["columns"], w["why"]) for w in report["warnings"]] == [(["Outcome"], "determines")]


def test_clean_features_give_no_warning(lg_store: DatasetStore) -> None:
    ds = upload_file(lg_store, REAL / "tips.csv", "tips")
    report = lg_store.fit_model(ds["id"], {"target": "tip", "features": ["total_bill", "day", "size"]})
    assert report["warnings"] == []


def test_classes_too_small_to_learn_are_warned_of(lg_store: DatasetStore) -> None:
    tips = pd.read_csv(REAL / "tips.csv")
    ds = upload_frame(lg_store, tips, "tips")
    # "Fri" has 19 rows, the other days more; as a class with 6 folds each fold sees 3
    counts = tips["day"].value_counts()
    report = lg_store.fit_model(
        ds["id"], {"target": "size", "features": ["total_bill", "tip"], "kind": "classification"}
    )
    small = [w for w in report["warnings"] if w["kind"] == "small_classes"]
    sizes = tips["size"].value_counts()
    tiny = sorted(str(k) for k, v in sizes.items() if v < 10)
    assert tiny and len(small) == 1 and all(f"'{k}'" in small[0]["message"] for k in tiny)
    assert counts.min() >= 10
    day = lg_store.fit_model(ds["id"], {"target": "day", "features": ["total_bill", "tip"]})
    assert day["spec"]["kind"] == "classification"
    assert [w for w in day["warnings"] if w["kind"] == "small_classes"] == []
    labels = day["confusion"]["labels"]
    assert labels == sorted(tips["day"].unique()) and len(day["confusion"]["matrix"]) == len(labels)


def test_above_the_row_limit_a_seeded_sample_is_used_and_said(lg_store: DatasetStore) -> None:
    lg_store.config = replace(lg_store.config, models=ModelLimits(max_rows=100))
    ds = upload_file(lg_store, REAL / "tips.csv", "tips")
    report = lg_store.fit_model(ds["id"], {"target": "tip", "features": ["total_bill"], "seed": 3})
    assert report["rows"] == {"with_target": 244, "used": 100, "in_dataset": 244}
    assert any("sample of 100" in n for n in report["notes"])
    # the exported code samples the same rows
    out = run_script(lg_store, report["code"] + "\nout = metrics\n")
    assert_close(report["metrics"], out)


def test_time_memory_and_feature_limits(lg_store: DatasetStore) -> None:
    ds = upload_file(lg_store, REAL / "tips.csv", "tips")
    spec = {"target": "tip", "features": ["total_bill", "size"]}
    lg_store.config = replace(lg_store.config, models=ModelLimits(time_limit=0.01))
    with pytest.raises(TimedOut) as timed:
        lg_store.fit_model(ds["id"], spec)
    assert timed.value.status == 408 and "time limit of 0.01 s" in timed.value.message
    lg_store.config = replace(lg_store.config, models=ModelLimits(memory=1 << 20))
    with pytest.raises(TooLarge) as big:
        lg_store.fit_model(ds["id"], spec)
    assert big.value.status == 413
    lg_store.config = replace(lg_store.config, models=ModelLimits(max_features=1))
    with pytest.raises(BadInput, match="at most 1 features"):
        lg_store.fit_model(ds["id"], spec)


def test_a_stopped_fit_is_cancelled(lg_store: DatasetStore) -> None:
    ds = upload_file(lg_store, REAL / "titanic.csv", "titanic")
    control = QueryControl()
    threading.Timer(0.3, control.stop, (GONE,)).start()
    with pytest.raises(Cancelled):
        control.call(
            lg_store.fit_model, ds["id"], {"target": "Survived", "features": ["Fare"], "evaluation": "cv"}
        )


def test_bad_specs_get_clear_messages(lg_store: DatasetStore) -> None:
    ds = upload_file(lg_store, REAL / "tips.csv", "tips")
    cases = [
        ({"target": "nope", "features": ["size"]}, "'target' must name a column"),
        ({"target": "tip", "features": []}, "non-empty list"),
        ({"target": "tip", "features": ["tip"]}, "cannot also be a feature"),
        ({"target": "day", "features": ["tip"], "kind": "regression"}, "needs a number target"),
        ({"target": "tip", "features": ["size"], "algorithm": "forest"}, "'algorithm' must be one of"),
    ]
    for spec, message in cases:
        with pytest.raises(BadInput, match=message):
            lg_store.fit_model(ds["id"], spec)


def test_predictions_become_a_version_whose_recipe_replays_and_runs_as_code(lg_store: DatasetStore) -> None:
    ds = upload_file(lg_store, REAL / "tips.csv", "tips")
    spec = {"target": "tip", "features": ["total_bill", "day", "size"], "algorithm": "boosting"}
    out = lg_store.add_predictions(ds["id"], spec, user="ada", base_version=1)
    assert out["version"] == 2
    assert [c["name"] for c in out["columns"]][-1] == "tip_predicted"
    [step] = lg_store.recipe(ds["id"])
    assert step["step"]["op"] == "model" and step["step"]["target"] == "tip"
    stored = pq.read_table(lg_store.version_file(ds["id"])).column("tip_predicted").to_numpy()
    # the recipe as pandas code, run in a fresh process, predicts the same
    code = lg_store.recipe_code(ds["id"])
    ran = run_script(lg_store, code + "\nout = df['tip_predicted'].astype('float64').tolist()\n")
    np.testing.assert_allclose(ran, stored, rtol=0, atol=1e-9)
    # a second edit from the same base version is refused
    with pytest.raises(Exception) as e:
        lg_store.add_predictions(ds["id"], {**spec, "name": "again"}, user="ada", base_version=1)
    assert getattr(e.value, "status", None) == 409
    # new rows replay the recipe: the model is fitted again and predicts them too
    src = lg_store.staging_path()
    src.write_text("total_bill,tip,sex,smoker,day,time,size\n20.0,3.0,Male,No,Sun,Dinner,2\n")
    after = lg_store.new_data(ds["id"], src, mode="append", user="ada", content_type="text/csv")
    table = pq.read_table(lg_store.version_file(ds["id"]))
    assert after["rows"] == 245 and table.column("tip_predicted").null_count == 0
