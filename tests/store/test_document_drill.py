"""Drilling through a shared document: a reader gets the rows of that chart's dataset under that chart's
filters, on the columns the document names, and can widen it to no other dataset, column or version."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from livegraphs_ext.store import BadInput, DatasetStore, GuardedStore, NotFound, Principal, StoreConfig
from livegraphs_ext.store.charts import ChartEngine

ADA = Principal("ada")
BO = Principal("bo")
CSV = (
    "id,city,temp,day,secret\n"
    "1,Oslo,-3.5,2024-01-01,s1\n"
    "2,Lima,24.0,2024-01-01,s2\n"
    "3,Oslo,-1.0,2024-01-02,s3\n"
    "4,Oslo,5.0,2024-01-03,s4\n"
    "5,Zürich,,2024-01-02,s5\n"
    "6,,7.5,2024-01-04,s6\n"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def lg_guarded(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GuardedStore]:
    url = request.getfixturevalue("lg_postgres_url") if request.param == "postgresql" else None
    store = DatasetStore(StoreConfig(root=tmp_path / "store", catalog_url=url))
    yield GuardedStore(store)
    store.close()


def upload(g: GuardedStore, who: Principal, name: str, text: str = CSV) -> dict[str, Any]:
    src = g.store.staging_path()
    src.write_text(text, encoding="utf-8")
    return g.create_from_file(who, src, name=name, content_type="text/csv")


def chart(dataset_id: str) -> dict[str, Any]:
    return {
        "version": 1,
        "dataset": {"id": dataset_id},
        "mark": "bar",
        "encoding": {"x": {"field": "city"}},
        "filters": [{"column": "day", "cmp": "ge", "value": "2024-01-02"}],
    }


def dashboard(dataset_id: str) -> dict[str, Any]:
    return {
        "version": 1,
        "title": "Weather",
        "crossfilter": True,
        "filters": [{"id": "f1", "kind": "range", "dataset": dataset_id, "column": "temp", "value": None}],
        "charts": {"c1": {"spec": chart(dataset_id), "layout": {"x": 0, "y": 0, "w": 6, "h": 4}}},
    }


def bars(g: GuardedStore, engine: ChartEngine, who: Principal, doc_id: str) -> dict[Any, int]:
    data = g.document_data.chart(who, engine, doc_id, "c1").to_json()["data"]
    return dict(zip(data["x"], data["y"], strict=True))


def test_a_viewer_drills_a_dashboard_bar_to_its_rows_on_the_dashboards_columns(lg_guarded):
    g, engine = lg_guarded, ChartEngine(lg_guarded.store, cache_bytes=0)
    ds = upload(g, ADA, "weather")
    doc = g.documents.create(ADA, "dashboard", None, dashboard(ds["id"]))
    with pytest.raises(NotFound):
        g.document_data.drill(BO, engine, doc["id"], "c1", {"mark": {"x": "Oslo", "y": 2}})
    g.documents.share(ADA, doc["id"], "user", "bo", "viewer")
    with pytest.raises(NotFound):
        g.rows(BO, ds["id"])
    assert bars(g, engine, BO, doc["id"]) == {"Oslo": 2, "Zürich": 1, None: 1}
    out = g.document_data.drill(BO, engine, doc["id"], "c1", {"mark": {"x": "Oslo", "y": 2}})
    assert out["fixed"] == [{"column": "day", "cmp": "ge", "value": "2024-01-02"}]
    assert out["filters"] == out["mark"] == [{"column": "city", "cmp": "eq", "value": "Oslo"}]
    # the id and the secret are no column of the dashboard: never shown
    assert out["columns"] == ["city", "temp", "day"]
    assert [r[:2] for r in out["rows"]] == [["Oslo", -1.0], ["Oslo", 5.0]]
    assert out["total"] == 2 and out["dataset"] == {"id": ds["id"], "version": 1}
    # the null group, with the reader's dashboard filter as an extra condition
    flt = [{"column": "temp", "cmp": "gt", "value": 0}]
    out = g.document_data.drill(BO, engine, doc["id"], "c1", {"mark": {"x": None}, "filters": flt})
    assert out["filters"] == [*flt, {"column": "city", "cmp": "is_null"}]
    assert out["rows"] == [[None, 7.5, dt.date(2024, 1, 4)]]
    # paging an edited list: without the mark's condition, the chart's own filter still holds
    out = g.document_data.drill(BO, engine, doc["id"], "c1", {"filters": [], "sort": "-temp"})
    assert [r[1] for r in out["rows"]] == [7.5, 5.0, -1.0, None] and out["total"] == 4
    g.documents.unshare(ADA, doc["id"], "user", "bo")
    with pytest.raises(NotFound):
        g.document_data.drill(BO, engine, doc["id"], "c1", {"mark": {"x": "Oslo"}})


def test_a_viewer_cannot_widen_a_drill(lg_guarded):
    g, engine = lg_guarded, ChartEngine(lg_guarded.store, cache_bytes=0)
    ds = upload(g, ADA, "weather")
    other = upload(g, ADA, "other")
    doc = g.documents.create(ADA, "dashboard", None, dashboard(ds["id"]))
    g.documents.share(ADA, doc["id"], "user", "bo", "viewer")
    refused: list[dict[str, Any]] = [
        # another dataset, or another chart, by sending a spec or a version
        {"spec": chart(other["id"]), "mark": {"x": "Oslo"}},
        {"version": 1, "mark": {"x": "Oslo"}},
        # a column the document does not name, in a condition, a group or the sort
        {"filters": [{"column": "secret", "cmp": "eq", "value": "s1"}]},
        {"filters": [{"combine": "or", "conditions": [{"column": "id", "cmp": "gt", "value": 0}]}]},
        {"filters": [{"formula": "[secret] = 's1'"}]},
        {"filters": [], "sort": "secret"},
        {"filters": [], "sort": "-id"},
        {"filters": {"column": "city", "cmp": "eq", "value": "Oslo"}},
        {"mark": {"x": "Oslo", "secret": "s1"}},
    ]
    for body in refused:
        with pytest.raises(BadInput):
            g.document_data.drill(BO, engine, doc["id"], "c1", body)
    with pytest.raises(NotFound):
        g.document_data.drill(BO, engine, doc["id"], "c9", {"mark": {"x": "Oslo"}})
    # a mark the chart does not draw: Lima is left out by the chart's own filter
    with pytest.raises(NotFound):
        g.document_data.drill(BO, engine, doc["id"], "c1", {"mark": {"x": "Lima"}})
    # nothing of the other dataset, nor of this one, through the dataset's own route
    for dataset in (ds, other):
        with pytest.raises(NotFound):
            g.drill(BO, engine, dataset["id"], {"spec": chart(dataset["id"]), "mark": {"x": "Oslo"}})


def test_a_chart_document_drills_on_its_own_fields(lg_guarded):
    g, engine = lg_guarded, ChartEngine(lg_guarded.store, cache_bytes=0)
    ds = upload(g, ADA, "weather")
    spec = {**chart(ds["id"]), "mark": "histogram", "encoding": {"x": {"field": "temp", "bin": {"step": 5}}}}
    doc = g.documents.create(ADA, "chart", None, spec)
    g.documents.share(ADA, doc["id"], "user", "bo", "viewer")
    result = g.document_data.chart(BO, engine, doc["id"], None).to_json()
    assert result["data"]["x"] == [-5.0, 5.0]
    out = g.document_data.drill(BO, engine, doc["id"], None, {"mark": {"x": -5.0}, "index": 0})
    assert out["mark"] == [
        {"column": "temp", "cmp": "ge", "value": -5.0},
        {"column": "temp", "cmp": "lt", "value": 0.0},
    ]
    assert out["columns"] == ["temp", "day"] and out["rows"] == [[-1.0, dt.date(2024, 1, 2)]]
    with pytest.raises(BadInput):
        g.document_data.drill(
            BO, engine, doc["id"], None, {"filters": [{"column": "city", "cmp": "not_null"}]}
        )
