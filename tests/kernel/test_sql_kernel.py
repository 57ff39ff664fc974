"""``lg.sql`` in a laptop kernel: a query over the store's datasets, as a DataFrame."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import livegraphs_ext as lg
from livegraphs_ext.kernel import notebook
from livegraphs_ext.store import BadInput, DatasetStore, NotFound, StoreConfig
from livegraphs_ext.store.errors import TooLarge


@pytest.fixture
def lg_nb_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DatasetStore]:
    """A store that this test's kernel-side helpers (``lg.*``) read, as user ada."""
    monkeypatch.setenv("LIVEGRAPHS_DATA_DIR", str(tmp_path / "nb"))
    monkeypatch.setenv("LIVEGRAPHS_LOCAL_USER", "ada")
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    monkeypatch.delenv("LIVEGRAPHS_SERVICE_URL", raising=False)
    notebook._store.cache_clear()
    store = DatasetStore(StoreConfig(root=tmp_path / "nb"))
    yield store
    notebook._store.cache_clear()
    store.close()


def test_lg_sql_joins_datasets_into_a_dataframe(lg_nb_store: DatasetStore):
    lg.upload(pd.DataFrame({"city": ["Oslo", "Lima", "Zürich", None], "amount": [10, 5, None, 7]}), "sales")
    lg.upload(pd.DataFrame({"city": ["Oslo", "Lima", "Zürich"], "country": ["NO", "PE", "CH"]}), "cities")
    df = lg.sql(
        'select c.country, sum(s.amount) as total from sales s join "ada/cities" c using (city) '
        "group by all order by c.country"
    )
    # the same figures from pandas
    sales, cities = lg.load("sales"), lg.load("cities")
    ref = (
        sales.merge(cities, on="city")
        .groupby("country")["amount"]
        .sum(min_count=1)
        .reset_index()
        .sort_values("country")
    )
    assert df["country"].tolist() == ref["country"].tolist() == ["CH", "NO", "PE"]
    assert df["total"].tolist()[1:] == ref["amount"].tolist()[1:] == [10, 5]
    assert pd.isna(df["total"][0]) and pd.isna(ref["amount"].iloc[0])
    assert df["total"].dtype == ref["amount"].dtype


def test_lg_sql_refuses_what_the_api_refuses(lg_nb_store: DatasetStore, monkeypatch: pytest.MonkeyPatch):
    lg.upload(pd.DataFrame({"a": [1, 2]}), "numbers")
    with pytest.raises(BadInput, match="may not be used"):
        lg.sql("select getenv('HOME')")
    with pytest.raises(NotFound, match="No dataset named 'nothing'"):
        lg.sql("select * from nothing")
    # the whole result comes back, up to the kernel's store's sql_max_rows
    monkeypatch.setattr(notebook.store().config, "sql_max_rows", 1)
    with pytest.raises(TooLarge, match="more than 1 rows"):
        lg.sql("select * from numbers")
    assert lg.sql("select max(a) as m from numbers")["m"].tolist() == [2]


def test_lg_chart_draws_a_query_without_saving_it(lg_nb_store: DatasetStore):
    lg.upload(pd.DataFrame({"city": ["Oslo", "Lima", "Oslo", "Bern"], "amount": [10, 5, 1, 4]}), "sales")
    lg.upload(pd.DataFrame({"city": ["Oslo", "Lima", "Bern"], "country": ["NO", "PE", "CH"]}), "cities")
    sql = "select c.country, s.amount from sales s join cities c using (city)"
    w = lg.chart(sql=sql, x="country", y="amount")
    # the builder's default for a number on a bar: summed; the data is the query, as written
    assert w.spec["dataset"] == {"sql": sql} and w.spec["mark"] == "bar"
    assert w.spec["encoding"]["y"] == {"field": "amount", "aggregate": "sum"}
    assert not w.error, w.error
    out = lg.query_chart(w.spec).to_json()
    ref = lg.sql("select * from sales").merge(lg.sql("select * from cities"), on="city")
    assert (
        dict(zip(out["data"]["x"], out["data"]["y"], strict=True))
        == ref.groupby("country")["amount"].sum().to_dict()
    )
    assert sorted(lg.datasets()["name"]) == ["cities", "sales"]  # nothing saved
    with pytest.raises(TypeError, match="not both"):
        lg.chart("sales", sql=sql, x="country")
    with pytest.raises(TypeError, match="no version"):
        lg.chart(sql=sql, x="country", version=1)
    with pytest.raises(NotFound, match="nothing"):
        lg.chart(sql="select * from nothing", x="a")
