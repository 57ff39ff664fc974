"""A chart whose data is a SQL query (``dataset: {"sql"}``), never saved as a dataset.

The query is checked and bound for the caller at every run, as in the SQL editor, and the chart
engine's queries run in the query's worker process: results against pandas, the caller's rights
(also through a shared document, where a query's chart is never lent), and the limits.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from livegraphs_ext.store import BadInput, DatasetStore, GuardedStore, NotFound, Principal, StoreConfig
from livegraphs_ext.store.charts import ChartEngine, run_chart
from livegraphs_ext.store.errors import TimedOut

from .test_sql_query import CITIES, SALES, same, upload

ADA, BO = Principal("ada"), Principal("bo")
JOIN = "select c.country, s.city, s.amount, s.day from sales s join cities c using (city)"


@pytest.fixture
def lg_guarded(tmp_path: Path) -> Iterator[GuardedStore]:
    store = DatasetStore(StoreConfig(root=tmp_path / "store", query_timeout_ms=4_000))
    yield GuardedStore(store)
    store.close()


@pytest.fixture
def lg_engine(lg_guarded: GuardedStore) -> ChartEngine:
    return ChartEngine(lg_guarded.store, cache_bytes=0)


@pytest.fixture
def lg_joined(lg_guarded: GuardedStore) -> pd.DataFrame:
    """ada's sales and cities uploaded; pandas' inner join of them, the reference."""
    upload(lg_guarded, ADA, "sales", SALES)
    upload(lg_guarded, ADA, "cities", CITIES)
    return pd.read_csv(io.StringIO(SALES)).merge(pd.read_csv(io.StringIO(CITIES)), on="city", how="inner")


def spec(mark: str, encoding: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"version": 1, "dataset": {"sql": JOIN}, "mark": mark, "encoding": encoding, **more}


def test_a_chart_of_a_join_equals_pandas(
    lg_guarded: GuardedStore, lg_engine: ChartEngine, lg_joined: pd.DataFrame
):
    g, ref = lg_guarded, lg_joined
    bars = g.chart(
        ADA, lg_engine, spec("bar", {"x": {"field": "country"}, "y": {"field": "amount", "aggregate": "sum"}})
    ).to_json()
    expected = ref.groupby("country")["amount"].sum(min_count=1)
    got = dict(zip(bars["data"]["x"], bars["data"]["y"], strict=True))
    assert set(got) == set(expected.index) == {"BR", "CH", "NO", "PE"}
    assert all(same(got[k], expected[k]) for k in expected.index), (got, expected)
    assert bars["source_rows"] == len(ref)
    # the sources the query was bound to, as the caller may know them
    assert [s["name"] for s in bars["dataset"]["sources"]] == ["sales", "cities"]
    assert bars["dataset"]["sql"] == JOIN

    counts = g.chart(ADA, lg_engine, spec("bar", {"x": {"field": "country"}})).to_json()
    assert (
        dict(zip(counts["data"]["x"], counts["data"]["y"], strict=True))
        == ref["country"].value_counts().to_dict()
    )

    months = g.chart(
        ADA,
        lg_engine,
        spec(
            "line",
            {"x": {"field": "day", "timeUnit": "month"}, "y": {"field": "amount", "aggregate": "mean"}},
        ),
    ).to_json()
    by_month = (
        ref.assign(month=pd.to_datetime(ref["day"]).dt.to_period("M")).groupby("month")["amount"].mean()
    )
    assert [pd.Timestamp(x).to_period("M") for x in months["data"]["x"]] == list(by_month.index)
    assert all(same(a, b) for a, b in zip(months["data"]["y"], by_month.tolist(), strict=True))

    # raw rows, a page at a time, in the query's order
    table = g.chart(ADA, lg_engine, spec("table", {}, limit=2, options={"offset": 1})).to_json()
    assert table["options"]["page"] == {"offset": 1, "limit": 2, "total": len(ref)}
    assert [f["column"] for f in table["fields"]] == ["country", "city", "amount", "day"]


def test_a_query_over_a_dataset_the_caller_may_not_read_is_refused(
    lg_guarded: GuardedStore, lg_engine: ChartEngine, lg_joined: pd.DataFrame
):
    g = lg_guarded
    chart = spec("bar", {"x": {"field": "country"}})
    runs = g.store.sql_runs
    for query in (JOIN, 'select * from "ada/sales"', f'select * from "{g.find_readable(ADA, "sales")}"'):
        with pytest.raises(NotFound, match=r"^dataset\.sql: Line 1, column \d+: "):
            g.chart(BO, lg_engine, {**chart, "dataset": {"sql": query}})
    assert g.store.sql_runs == runs  # refused before anything ran

    # rights are resolved at each run: shared, bo may; unshared again, bo may not (no cached answer)
    cached = ChartEngine(g.store)
    sales, cities = g.find_readable(ADA, "sales"), g.find_readable(ADA, "cities")
    of_sales = spec("bar", {"x": {"field": "city"}}, dataset={"sql": 'select * from "ada/sales"'})
    joined = {
        **chart,
        "dataset": {"sql": JOIN.replace("sales", '"ada/sales"').replace("cities", '"ada/cities"')},
    }
    assert g.chart(ADA, cached, of_sales).marks > 0
    g.share(ADA, sales, "user", "bo", "viewer")
    assert g.chart(BO, cached, of_sales).cached  # bound for bo first: the same datasets, so the same answer
    with pytest.raises(NotFound, match="cities"):  # one readable source is not enough
        g.chart(BO, cached, joined)
    g.share(ADA, cities, "user", "bo", "viewer")
    assert g.chart(BO, cached, joined).marks == 4
    g.unshare(ADA, sales, "user", "bo")
    with pytest.raises(NotFound):
        g.chart(BO, cached, of_sales)


def test_the_sql_editors_limits_apply(
    lg_guarded: GuardedStore, lg_engine: ChartEngine, lg_joined: pd.DataFrame
):
    g = lg_guarded
    runs = g.store.sql_runs
    for query, match in (
        ("select * from read_parquet('/etc/passwd')", "may not be used|Only datasets"),
        ("select getenv('HOME') as h", "may not be used"),
        ("select 1 as a; select 2 as a", "exactly one statement"),
        ("copy sales to '/tmp/x.csv'", "Only a query that reads"),
    ):
        with pytest.raises(BadInput, match=match):
            g.chart(ADA, lg_engine, {**spec("bar", {"x": {"field": "a"}}), "dataset": {"sql": query}})
    assert g.store.sql_runs == runs

    # a query that runs away is stopped within the time limit (4 s here)
    runaway = "with recursive r(n) as (select 1 union all select n + 1 from r) select n from r"
    with pytest.raises(TimedOut):
        g.chart(ADA, lg_engine, {**spec("bar", {"x": {"field": "n"}}), "dataset": {"sql": runaway}})

    # the mark budget: many groups come back as the largest few
    many = "select s.city || c.country || s.amount as k from sales s cross join cities c cross join sales t"
    out = g.chart(
        ADA, lg_engine, {**spec("bar", {"x": {"field": "k"}}), "dataset": {"sql": many}, "max_marks": 3}
    )
    assert out.marks == 3 and out.reduction is not None and out.reduction["kind"] == "top_n"

    # a spec that does not fit the query's columns says so
    with pytest.raises(BadInput, match="unknown column 'nope'"):
        g.chart(ADA, lg_engine, spec("bar", {"x": {"field": "nope"}}))


def test_only_the_guarded_store_runs_a_query_and_the_schema_holds_its_shape(
    lg_guarded: GuardedStore, lg_joined: pd.DataFrame
):
    with pytest.raises(BadInput, match=r"^dataset\.sql: "):
        run_chart(lg_guarded.store, spec("bar", {"x": {"field": "country"}}), user="ada")
    for ref, match in (
        ({"sql": JOIN, "version": 2}, "has no version"),
        ({"sql": JOIN, "name": "sales"}, "give one of"),
        ({"sql": ""}, "dataset"),
    ):
        with pytest.raises(BadInput, match=match):
            lg_guarded.chart(ADA, ChartEngine(lg_guarded.store), {**spec("bar", {}), "dataset": ref})


def test_a_documents_query_chart_runs_for_each_reader_and_is_never_lent(
    lg_guarded: GuardedStore, lg_engine: ChartEngine, lg_joined: pd.DataFrame
):
    g = lg_guarded
    chart = {
        "version": 1,
        "dataset": {"sql": 'select * from "ada/sales"'},
        "encoding": {"x": {"field": "city"}},
    }
    content = {
        "version": 1, "title": "Sales", "crossfilter": True, "filters": [],
        "charts": {"c0": {"spec": chart, "layout": {"x": 0, "y": 0, "w": 6, "h": 4}}},
    }  # fmt: skip
    doc = g.documents.create(ADA, "dashboard", None, content)
    g.documents.share(ADA, doc["id"], "user", "bo", "viewer")
    # the owner sees it (its mark derived as the builder does: a bar of counts)
    mine = g.document_data.chart(ADA, lg_engine, doc["id"], "c0").to_json()
    assert mine["marks"] == 5 and sum(mine["data"]["y"]) == 7
    # a reader who may not read the query's dataset does not get it through the document
    with pytest.raises(NotFound):
        g.document_data.chart(BO, lg_engine, doc["id"], "c0")
    g.share(ADA, g.find_readable(ADA, "sales"), "user", "bo", "viewer")
    theirs = g.document_data.chart(
        BO, lg_engine, doc["id"], "c0", [{"column": "city", "cmp": "eq", "value": "Oslo"}]
    )
    assert theirs.to_json()["data"]["y"] == [2]
    with pytest.raises(BadInput):  # only the chart's own columns
        g.document_data.chart(BO, lg_engine, doc["id"], "c0", [{"column": "amount", "cmp": "gt", "value": 1}])
    # not drilled into, and published as a problem rather than frozen
    with pytest.raises(BadInput, match="SQL query"):
        g.document_data.drill(BO, lg_engine, doc["id"], "c0", {"mark": {"x": "Oslo"}})
    g.publications.publish(ADA, doc["id"])
    token = g.publications.create_link(ADA, doc["id"], "public")["token"]
    frozen = g.publications.view(token)["charts"]["c0"]
    assert frozen["spec"] is None and "SQL query" in frozen["problem"]
    with pytest.raises(BadInput, match="SQL query"):
        g.publications.chart(token, lg_engine, "c0")
