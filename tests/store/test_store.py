"""The store library on its own: SQLite by default, PostgreSQL by URL, sweeping leftovers."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from livegraphs_ext.store import Conflict, DatasetStore, NotFound, StoreConfig

CSV = (
    "city,temp,day\nOslo,-3.5,2024-01-01\nLima,24.0,2024-01-01\nOslo,-1.0,2024-01-02\nOslo,-1.0,2024-01-02\n"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def lg_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DatasetStore]:
    url = request.getfixturevalue("lg_postgres_url") if request.param == "postgresql" else None
    store = DatasetStore(StoreConfig(root=tmp_path / "store", catalog_url=url))
    yield store
    store.close()


def upload(store: DatasetStore, name: str, data: str = CSV, owner: str = "ada") -> dict:
    src = store.staging_path()
    src.write_text(data)
    return store.create_from_file(src, name=name, owner=owner, content_type="text/csv")


def test_versions_recipes_and_reverts(lg_store: DatasetStore):
    ds = upload(lg_store, "weather")
    assert ds["rows"] == 4 and ds["version"] == 1
    v2 = lg_store.apply_step(ds["id"], {"op": "dedupe"}, user="ada", base_version=1)
    assert v2["rows"] == 3 and v2["version"] == 2
    v3 = lg_store.apply_step(
        ds["id"], {"op": "derive", "name": "temp f", "formula": "temp * 9 / 5 + 32"}, user="bo"
    )
    assert v3["columns"][-1] == {"name": "temp f", "type": "float", "nulls": 0}
    assert lg_store.rows(ds["id"], limit=1)["rows"] == [["Oslo", -3.5, dt.date(2024, 1, 1), 25.7]]
    assert [s["step"]["op"] for s in lg_store.recipe(ds["id"])] == ["dedupe", "derive"]
    v4 = lg_store.revert(ds["id"], 2, user="ada")
    assert v4["version"] == 4 and [c["name"] for c in v4["columns"]] == ["city", "temp", "day"]
    assert [s["step"]["op"] for s in lg_store.recipe(ds["id"])] == ["dedupe"]
    # every version stays readable
    assert [lg_store.rows(ds["id"], version=n)["total"] for n in (1, 2, 3, 4)] == [4, 3, 3, 3]
    with pytest.raises(Conflict):
        lg_store.apply_step(ds["id"], {"op": "dedupe"}, user="ada", base_version=3)


def test_delete_removes_catalog_rows_and_files(lg_store: DatasetStore):
    ds = upload(lg_store, "weather")
    lg_store.apply_step(ds["id"], {"op": "dedupe"}, user="ada")
    lg_store.delete(ds["id"])
    with pytest.raises(NotFound):
        lg_store.get(ds["id"])
    assert not (lg_store.datasets_dir / ds["id"]).exists()
    assert lg_store.list_datasets() == []


def test_concurrent_changes_from_the_same_version_never_lose_an_edit(lg_store: DatasetStore):
    ds = upload(lg_store, "weather")
    results: list[str] = []

    def change(i: int) -> None:
        try:
            lg_store.apply_step(
                ds["id"], {"op": "derive", "name": f"c{i}", "formula": "1"}, user=f"u{i}", base_version=1
            )
            results.append("ok")
        except Conflict:
            results.append("conflict")

    threads = [threading.Thread(target=change, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["conflict", "conflict", "conflict", "ok"]
    assert lg_store.get(ds["id"])["version"] == 2


def test_names_are_per_owner(lg_store: DatasetStore):
    upload(lg_store, "weather", owner="ada")
    upload(lg_store, "weather", owner="bo")
    with pytest.raises(Conflict):
        upload(lg_store, "weather", owner="ada")
    assert sorted(d["owner"] for d in lg_store.list_datasets()) == ["ada", "bo"]
    assert lg_store.find("weather", owner="bo")["owner"] == "bo"


def test_sweep_removes_leftovers_but_nothing_the_catalog_names(tmp_path: Path):
    store = DatasetStore(StoreConfig(root=tmp_path / "s"))
    ds = upload(store, "weather")
    kept = store.version_file(ds["id"])
    (store.staging_dir / "half-upload.upload").write_bytes(b"x" * 100)
    (store.work_dir / "scratch").mkdir()
    orphan_dir = store.datasets_dir / ("f" * 32)
    orphan_dir.mkdir()
    (orphan_dir / "v.parquet").write_bytes(b"PAR1")
    stray = kept.parent / "unreferenced.parquet"
    stray.write_bytes(b"PAR1")
    store.close()
    again = DatasetStore(StoreConfig(root=tmp_path / "s"))
    assert kept.exists()
    assert not stray.exists() and not orphan_dir.exists()
    assert list(again.staging_dir.iterdir()) == [] and list(again.work_dir.iterdir()) == []
    assert again.get(ds["id"])["rows"] == 4
    again.close()


def test_notebook_helpers_read_the_same_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import pandas as pd

    import livegraphs_ext as lg
    from livegraphs_ext.kernel import notebook

    monkeypatch.setenv("LIVEGRAPHS_DATA_DIR", str(tmp_path / "nb"))
    notebook._store.cache_clear()
    store = DatasetStore(StoreConfig(root=tmp_path / "nb"))
    ds = upload(store, "weather")
    store.apply_step(ds["id"], {"op": "dedupe"}, user="ada")
    listing = lg.datasets()
    assert list(listing["name"]) == ["weather"] and int(listing["rows"][0]) == 3
    df = lg.load("weather")
    assert len(df) == 3 and isinstance(df["temp"].dtype, pd.ArrowDtype)
    assert len(lg.load("weather", version=1)) == 4
    assert len(lg.load(ds["id"])) == 3
    notebook._store.cache_clear()
    store.close()
