"""``lg.model`` in a laptop kernel: the fitted pipeline and the same report the server gives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sklearn.pipeline import Pipeline

import livegraphs_ext as lg
from livegraphs_ext.config import StoreSettings
from livegraphs_ext.kernel import notebook
from livegraphs_ext.store import DatasetStore, StoreConfig
from livegraphs_ext.store.errors import BadInput, TimedOut, TooLarge
from livegraphs_ext.store.models.spec import MODEL_LIMITS_VARIABLE

from ..conftest import CORPUS


@pytest.fixture
def lg_nb_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DatasetStore]:
    monkeypatch.setenv("LIVEGRAPHS_DATA_DIR", str(tmp_path / "nb"))
    monkeypatch.setenv("LIVEGRAPHS_LOCAL_USER", "ada")
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    monkeypatch.delenv("LIVEGRAPHS_SERVICE_URL", raising=False)
    monkeypatch.delenv(MODEL_LIMITS_VARIABLE, raising=False)
    notebook._store.cache_clear()
    store = DatasetStore(StoreConfig(root=tmp_path / "nb"))
    yield store
    notebook._store.cache_clear()
    store.close()


def test_lg_model_returns_the_pipeline_and_the_servers_report(lg_nb_store: DatasetStore) -> None:
    src = lg_nb_store.staging_path()
    src.write_bytes((CORPUS / "real" / "titanic.csv").read_bytes())
    ds = lg_nb_store.create_from_file(src, name="titanic", owner="ada", content_type="text/csv")
    options = {"kind": "classification", "evaluation": "cv"}
    features = ["Pclass", "Sex", "Age", "Fare"]
    fitted = lg.model("titanic", "Survived", features, **options)
    assert isinstance(fitted.pipeline, Pipeline)
    served = lg_nb_store.fit_model(ds["id"], {"target": "Survived", "features": features, **options})
    for who in ("model", "baseline"):
        for metric, value in served["metrics"][who].items():
            assert fitted.metrics[who][metric] == pytest.approx(value, abs=1e-9)
    # the model predicts the rows lg.load gives
    df = lg.load("titanic")
    predicted = fitted.predict(df)
    assert len(predicted) == len(df) and set(predicted) == {"0", "1"}
    right = (predicted == df["Survived"].astype("string").to_numpy()).mean()
    assert right > (df["Survived"] == 0).mean()
    assert "lg.load('titanic', version=1)" in fitted.code


def _titanic(store: DatasetStore) -> None:
    src = store.staging_path()
    src.write_bytes((CORPUS / "real" / "titanic.csv").read_bytes())
    store.create_from_file(src, name="titanic", owner="ada", content_type="text/csv")


def test_lg_model_fits_under_the_servers_limits(
    lg_nb_store: DatasetStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the limits a server with these settings hands its kernels
    _titanic(lg_nb_store)
    features = ["Pclass", "Age", "Fare"]

    def served(**settings: Any) -> None:
        limits = StoreSettings(**settings).model_limits()
        monkeypatch.setenv(MODEL_LIMITS_VARIABLE, limits.to_json())

    # Then a fit past the time limit is stopped, with the server's message
    served(model_time_limit=0.01)
    with pytest.raises(TimedOut, match=r"time limit of 0\.01 s"):
        lg.model("titanic", "Survived", features, evaluation="cv")
    # past the memory limit too
    served(model_memory_limit=1 << 20)
    with pytest.raises(TooLarge, match="memory limit of 1 MiB"):
        lg.model("titanic", "Survived", features, algorithm="boosting", evaluation="cv")
    # more features than allowed are refused before any fit
    served(model_max_features=2)
    with pytest.raises(BadInput, match="at most 2 features"):
        lg.model("titanic", "Survived", features)
    # above the row limit a sample is used, and asking for more rows does not lift it
    served(model_max_rows=100)
    fitted = lg.model("titanic", "Survived", features, max_rows=10_000)
    assert fitted.report["rows"]["used"] == 100
    assert any("sample of 100" in n for n in fitted.report["notes"])
    assert isinstance(fitted.pipeline, Pipeline)
