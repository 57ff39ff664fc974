"""Who sees a shared document's charts: readers of the document, over datasets its owner may read as a
user; never a dataset the owner reads only through a group, and never after the share is gone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from livegraphs_ext.store import BadInput, DatasetStore, GuardedStore, NotFound, Principal, StoreConfig
from livegraphs_ext.store.charts import ChartEngine

from ..hub.test_hub_acl import upload

ADA = Principal("ada", frozenset({"analysts"}))
BO = Principal("bo")
CY = Principal("cy", frozenset({"analysts"}))


@pytest.fixture(params=["sqlite", "postgresql"])
def lg_guarded(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GuardedStore]:
    url = request.getfixturevalue("lg_postgres_url") if request.param == "postgresql" else None
    store = DatasetStore(StoreConfig(root=tmp_path / "store", catalog_url=url))
    yield GuardedStore(store)
    store.close()


def dash(*refs: dict[str, Any]) -> dict[str, Any]:
    charts = {
        f"c{i}": {
            "spec": {"version": 1, "dataset": ref, "mark": "bar", "encoding": {"x": {"field": "city"}}},
            "layout": {"x": 0, "y": 4 * i, "w": 6, "h": 4},
        }
        for i, ref in enumerate(refs)
    }
    return {"version": 1, "title": "Weather", "crossfilter": True, "filters": [], "charts": charts}


def test_a_viewer_sees_the_owners_datasets_through_the_dashboard_only(lg_guarded: GuardedStore):
    g, engine = lg_guarded, ChartEngine(lg_guarded.store, cache_bytes=0)
    own = upload(g, ADA, "weather")
    doc = g.documents.create(ADA, "dashboard", None, dash({"id": own["id"]}, {"name": "weather"}))
    with pytest.raises(NotFound):
        g.document_data.chart(BO, engine, doc["id"], "c0")
    g.documents.share(ADA, doc["id"], "user", "bo", "viewer")
    for chart_id in ("c0", "c1"):  # by id, and by the name as the owner means it
        result = g.document_data.chart(BO, engine, doc["id"], chart_id).to_json()
        assert result["dataset"]["id"] == own["id"] and result["marks"] > 0
    with pytest.raises(NotFound):
        g.get(BO, own["id"])
    with pytest.raises(NotFound):
        g.chart(
            BO,
            engine,
            {"version": 1, "dataset": {"id": own["id"]}, "mark": "bar", "encoding": {"x": {"field": "city"}}},
        )
    # conditions restrict rows on the charts' columns only
    with pytest.raises(BadInput):
        g.document_data.chart(BO, engine, doc["id"], "c0", [{"column": "temp", "cmp": "gt", "value": 0}])
    g.documents.unshare(ADA, doc["id"], "user", "bo")
    with pytest.raises(NotFound):
        g.document_data.chart(BO, engine, doc["id"], "c0")


def test_group_shares_to_the_owner_are_not_lent(lg_guarded: GuardedStore):
    g, engine = lg_guarded, ChartEngine(lg_guarded.store, cache_bytes=0)
    theirs = upload(g, CY, "rain")
    g.share(CY, theirs["id"], "group", "analysts", "viewer")
    direct = upload(g, CY, "snow")
    g.share(CY, direct["id"], "user", "ada", "viewer")
    doc = g.documents.create(ADA, "dashboard", None, dash({"id": theirs["id"]}, {"id": direct["id"]}))
    g.documents.share(ADA, doc["id"], "user", "bo", "viewer")
    # ada herself reads both (her groups are hers); bo only the one shared with ada by name
    assert g.document_data.chart(ADA, engine, doc["id"], "c0").to_json()["marks"] > 0
    with pytest.raises(NotFound):
        g.document_data.chart(BO, engine, doc["id"], "c0")
    assert g.document_data.chart(BO, engine, doc["id"], "c1").to_json()["marks"] > 0
    # a reader who may read the dataset anyway sees it (no more than charts/query gives them)
    g.documents.share(ADA, doc["id"], "user", "cy", "viewer")
    assert g.document_data.chart(CY, engine, doc["id"], "c0").to_json()["marks"] > 0
    # admin rights of an owner are never lent
    root = Principal("root", is_admin=True)
    doc2 = g.documents.create(root, "dashboard", None, dash({"id": theirs["id"]}))
    g.documents.share(root, doc2["id"], "user", "bo", "viewer")
    assert g.document_data.chart(root, engine, doc2["id"], "c0").to_json()["marks"] > 0
    with pytest.raises(NotFound):
        g.document_data.chart(BO, engine, doc2["id"], "c0")
