"""Integer columns of few values carry their exact count of values in every version's columns."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from livegraphs_ext.store import DatasetStore, StoreConfig, profile
from livegraphs_ext.store.profile import DISTINCT_UP_TO
from livegraphs_ext.store.schema import ColumnInfo

ROWS = 3000


def frame() -> pd.DataFrame:
    """Columns of 12, 45 (where an estimate is already off) and 3,000 values, a float, a text; some nulls."""
    i = pd.RangeIndex(ROWS)
    return pd.DataFrame(
        {
            "month": (i * 7) % 12 + 1,
            "code": ((i * 13) % 45) * 100,
            "id": i,
            "price": (i % 9) / 4,
            "ville": [["Zürich", "Genève", "Bâle"][k % 3] for k in range(ROWS)],
            "size": pd.array([None if k % 10 == 0 else k % 6 + 1 for k in range(ROWS)], dtype="Int64"),
        }
    )


@pytest.fixture
def lg_store(tmp_path: Path) -> Iterator[DatasetStore]:
    store = DatasetStore(StoreConfig(root=tmp_path / "store"))
    yield store
    store.close()


def upload(store: DatasetStore, df: pd.DataFrame) -> dict:
    src = store.staging_path()
    df.to_csv(src, index=False)
    return store.create_from_file(src, name="counts", owner="ada", content_type="text/csv")


def distinct(version: dict) -> dict[str, int | None]:
    return {c["name"]: c.get("distinct") for c in version["columns"]}


@pytest.mark.parametrize("counting", ["unpivoted", "in batches"])
def test_an_upload_counts_the_values_of_integer_columns_that_have_few(
    lg_store: DatasetStore, counting: str, monkeypatch: pytest.MonkeyPatch
):
    if counting == "in batches":  # many rows or many columns: a query per batch of two columns
        monkeypatch.setattr(profile, "UNPIVOT_UP_TO", 0)
        monkeypatch.setattr(profile, "DISTINCT_BATCH", 2)
    df = frame()
    ds = upload(lg_store, df)

    assert {c["name"]: c["type"] for c in ds["columns"]} == {
        "month": "integer", "code": "integer", "id": "integer", "price": "float", "ville": "string",
        "size": "integer",
    }  # fmt: skip
    # exact counts (nulls aside), as pandas counts them; none past the limit, none for other types
    assert distinct(ds) == {
        "month": df["month"].nunique(),
        "code": df["code"].nunique(),
        "id": None,
        "price": None,
        "ville": None,
        "size": df["size"].nunique(),
    }
    assert (distinct(ds)["month"], distinct(ds)["code"], distinct(ds)["size"]) == (12, 45, 6)
    assert df["id"].nunique() > DISTINCT_UP_TO
    # and the version lists the same columns
    assert lg_store.version(ds["id"])["columns"] == ds["columns"]


def test_a_step_counts_again_and_a_revert_keeps_the_counts_of_its_version(lg_store: DatasetStore):
    df = frame()
    ds = upload(lg_store, df)

    # When a step keeps the rows of the first three months
    after = lg_store.apply_step(
        ds["id"],
        {"op": "filter", "conditions": [{"column": "month", "cmp": "le", "value": 3}]},
        user="ada",
    )

    # Then the new version counts what is left
    kept = df[df["month"] <= 3]
    assert distinct(after)["month"] == kept["month"].nunique() == 3
    assert distinct(after)["code"] == kept["code"].nunique()
    assert distinct(after)["size"] == kept["size"].nunique()

    # and a revert to the first version gives its counts back
    back = lg_store.revert(ds["id"], 1, user="ada")
    assert distinct(back) == distinct(ds)


def test_a_column_record_without_a_count_reads_as_unknown():
    # versions written before counts were kept
    old = ColumnInfo.from_json({"name": "month", "type": "integer", "nulls": 0})
    assert old.distinct is None and "distinct" not in old.to_json()
    assert ColumnInfo.from_json({**old.to_json(), "distinct": 12}).to_json()["distinct"] == 12
