"""Who sees a shared document's charts: readers of the document, over datasets that whoever put them in
the document may read as a user; never a dataset read only through a group, never one an editor put
there over the owner's data, and never after the share is gone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Doc, Map
from sqlalchemy import delete

from livegraphs_ext.documents.dashboard import YDashboard
from livegraphs_ext.store import BadInput, DatasetStore, GuardedStore, NotFound, Principal, StoreConfig
from livegraphs_ext.store.charts import ChartEngine
from livegraphs_ext.store.documents import DocumentLendRow, dataset_refs

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


def edit(g: GuardedStore, doc_id: str, who: Principal, change: Any) -> int:
    """``change`` a YDashboard of the document and append it as a room does for a writer."""
    doc: Doc[Any] = Doc()
    doc.apply_update(g.documents.load(doc_id))
    before, refs = doc.get_state(), dataset_refs("dashboard", doc)
    change(YDashboard(doc))
    return g.documents.append(
        doc_id, doc.get_update(before), who.name, (refs, dataset_refs("dashboard", doc))
    )


def add(cid: str, dataset_id: str) -> Any:
    spec = {"version": 1, "dataset": {"id": dataset_id}, "mark": "bar", "encoding": {"x": {"field": "city"}}}
    return lambda d: d.ycharts.__setitem__(
        cid, Map({"spec": Map(spec), "layout": Map({"x": 0.0, "y": 8.0, "w": 6.0, "h": 4.0})})
    )


def test_only_who_put_a_dataset_in_the_dashboard_lends_it(lg_guarded: GuardedStore):
    g, engine = lg_guarded, ChartEngine(lg_guarded.store, cache_bytes=0)
    secret, mine = upload(g, ADA, "secret"), upload(g, BO, "mine")
    doc = g.documents.create(ADA, "dashboard", None, dash())
    g.documents.share(ADA, doc["id"], "user", "bo", "editor")
    g.documents.share(ADA, doc["id"], "user", "cy", "viewer")
    edit(g, doc["id"], BO, add("b1", secret["id"]))
    with pytest.raises(NotFound):
        g.document_data.chart(CY, engine, doc["id"], "b1")
    assert g.document_data.chart(ADA, engine, doc["id"], "b1").to_json()["marks"] > 0  # her own access
    # bo pointing his chart elsewhere and back lends nothing either
    edit(g, doc["id"], BO, lambda d: d.ycharts["b1"]["spec"].__setitem__("dataset", {"id": mine["id"]}))
    edit(g, doc["id"], BO, lambda d: d.ycharts["b1"]["spec"].__setitem__("dataset", {"id": secret["id"]}))
    with pytest.raises(NotFound):
        g.document_data.chart(CY, engine, doc["id"], "b1")
    edit(g, doc["id"], BO, add("b2", mine["id"]))
    assert g.document_data.chart(CY, engine, doc["id"], "b2").to_json()["dataset"]["id"] == mine["id"]
    edit(g, doc["id"], ADA, add("a1", secret["id"]))
    assert g.document_data.chart(CY, engine, doc["id"], "a1").to_json()["dataset"]["id"] == secret["id"]


def test_a_restore_lends_as_the_restorer_and_old_documents_as_their_owner(lg_guarded: GuardedStore):
    g, engine = lg_guarded, ChartEngine(lg_guarded.store, cache_bytes=0)
    secret = upload(g, ADA, "secret")
    doc = g.documents.create(ADA, "dashboard", None, dash({"id": secret["id"]}))
    g.documents.share(ADA, doc["id"], "user", "bo", "editor")
    g.documents.share(ADA, doc["id"], "user", "cy", "viewer")
    # a document stored before lends were recorded: its owner lends what it references
    with g.catalog.transaction() as s:
        s.execute(delete(DocumentLendRow))
    assert g.document_data.chart(CY, engine, doc["id"], "c0").to_json()["marks"] > 0
    # its first recorded lend keeps the owner's, and bo lends only what he adds
    other = upload(g, ADA, "other")
    edit(g, doc["id"], BO, add("b1", other["id"]))
    assert g.document_data.chart(CY, engine, doc["id"], "c0").to_json()["marks"] > 0
    with pytest.raises(NotFound):
        g.document_data.chart(CY, engine, doc["id"], "b1")
    assert g.documents.lenders(doc["id"], secret["id"]) == ["ada"]
    assert g.documents.lenders(doc["id"], other["id"]) == ["bo"]
    # a restore by bo of a version over ada's dataset is bo's: not lent for a new document
    doc2 = g.documents.create(BO, "dashboard", None, dash())
    g.documents.share(BO, doc2["id"], "user", "cy", "viewer")
    g.documents.share(BO, doc2["id"], "user", "ada", "editor")
    seq = edit(g, doc2["id"], ADA, add("a1", secret["id"]))
    g.documents.snapshot(doc2["id"], g.documents.load(doc2["id"]), seq, ["ada"])
    edit(g, doc2["id"], ADA, lambda d: d.ycharts.pop("a1"))
    g.documents.restore(BO, doc2["id"], 2)
    assert g.document_data.chart(CY, engine, doc2["id"], "a1").to_json()["marks"] > 0  # ada's lend stays
    with g.catalog.transaction() as s:
        s.execute(delete(DocumentLendRow).where(DocumentLendRow.user == "ada"))
    with pytest.raises(NotFound):
        g.document_data.chart(CY, engine, doc2["id"], "a1")
    g.documents.restore(ADA, doc2["id"], 1)
    g.documents.restore(ADA, doc2["id"], 2)
    assert g.document_data.chart(CY, engine, doc2["id"], "a1").to_json()["marks"] > 0
