"""``lg.upload`` in a laptop kernel: new datasets from a DataFrame or a file, appends and replaces."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import livegraphs_ext as lg
from livegraphs_ext.kernel import notebook
from livegraphs_ext.store import Conflict, DatasetStore, Forbidden, GuardedStore, Principal, StoreConfig


@pytest.fixture
def lg_nb_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DatasetStore]:
    """A store that this test's kernel-side helpers (``lg.*``) read and write, as user ada."""
    monkeypatch.setenv("LIVEGRAPHS_DATA_DIR", str(tmp_path / "nb"))
    monkeypatch.setenv("LIVEGRAPHS_LOCAL_USER", "ada")
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    monkeypatch.delenv("LIVEGRAPHS_SERVICE_URL", raising=False)
    notebook._store.cache_clear()
    store = DatasetStore(StoreConfig(root=tmp_path / "nb"))
    yield store
    notebook._store.cache_clear()
    store.close()


def test_upload_a_dataframe_then_append_a_file_and_replace(lg_nb_store: DatasetStore, tmp_path: Path):
    df = pd.DataFrame({"city": ["Oslo", "Lima"], "temp": [-3.5, 24.0]})
    ds = lg.upload(df, "weather")
    assert (ds["name"], ds["owner"], ds["rows"], ds["version"]) == ("weather", "ada", 2, 1)
    assert [(c["name"], c["type"]) for c in ds["columns"]] == [("city", "string"), ("temp", "float")]
    with pytest.raises(Conflict):
        lg.upload(df, "weather")

    march = tmp_path / "march.csv"
    march.write_text("city,temp,wind\nRome,12,3\n")
    out = lg.upload(march, "weather", mode="append")
    assert out["version"] == 2 and out["rows"] == 3
    assert out["changes"]["added"] == [{"name": "wind", "type": "integer"}]
    assert march.exists()  # the caller's file is copied, not taken
    loaded = lg.load("weather")
    assert loaded["city"].tolist() == ["Oslo", "Lima", "Rome"]
    assert loaded["wind"].isna().tolist() == [True, True, False]
    # the first version is still there for a chart pinned to it
    assert len(lg.load("weather", version=1)) == 2

    out = lg.upload(pd.DataFrame({"city": ["Bern"], "rain": [0.5]}), "weather", mode="replace")
    assert out["version"] == 3 and out["rows"] == 1
    assert [c["name"] for c in out["changes"]["removed"]] == ["temp", "wind"]
    assert lg_nb_store.version(ds["id"])["created_by"] == "ada"


def test_upload_checks_its_mode_and_the_callers_rights(lg_nb_store: DatasetStore):
    with pytest.raises(ValueError, match="mode is one of"):
        lg.upload(pd.DataFrame({"a": [1]}), "x", mode="merge")
    src = lg_nb_store.staging_path()
    src.write_text("a\n1\n")
    theirs = lg_nb_store.create_from_file(src, name="theirs", owner="bo", content_type="text/csv")
    GuardedStore(lg_nb_store).share(Principal("bo"), theirs["id"], "user", "ada", "viewer")
    with pytest.raises(Forbidden):
        lg.upload(pd.DataFrame({"a": [2]}), "bo/theirs", mode="append")
    assert lg_nb_store.get(theirs["id"])["version"] == 1
    assert list(lg_nb_store.staging_dir.iterdir()) == []
