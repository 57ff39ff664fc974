"""A dashboard's charts for its viewers on a real hub: bo, a viewer of ada's dashboard, sees its chart
through the dashboard, never the dataset itself, and nothing once ada stops sharing it with him."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .hubs import Browser, LiveHub, approved_member, logged_in_admin

pytestmark = pytest.mark.slow

PASSWORD = "amber-signal-orchard-52"
CSV = "region,revenue,units,day\nEMEA,10.5,1,2025-01-11\nAPAC,20.0,2,2025-01-12\nEMEA,5.25,3,2025-02-13\n"


@pytest.fixture(scope="module")
def lg_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHub]:
    hub = LiveHub(tmp_path_factory.mktemp("hub-document-data") / "state")
    try:
        yield hub.start()
    finally:
        hub.stop()


@pytest.fixture(scope="module")
def lg_people(lg_hub: LiveHub) -> dict[str, Browser]:
    admin = logged_in_admin(lg_hub)
    return {name: approved_member(lg_hub, admin, name, PASSWORD) for name in ("ada", "bo")}


def spec(dataset_id: str) -> dict[str, Any]:
    return {
        "version": 1,
        "dataset": {"id": dataset_id},
        "mark": "bar",
        "encoding": {"x": {"field": "region"}, "y": {"field": "revenue", "aggregate": "sum"}},
    }


def test_a_viewer_reads_the_chart_through_the_dashboard_only(lg_people: dict[str, Browser]) -> None:
    ada, bo = lg_people["ada"], lg_people["bo"]
    r = ada.service(
        "POST",
        "api/datasets",
        params={"name": "sales"},
        data=CSV.encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert r.status_code == 201, r.text
    sales = r.json()
    content = {
        "version": 1,
        "title": "Sales",
        "crossfilter": True,
        "filters": [
            {"id": "f1", "kind": "dropdown", "dataset": sales["id"], "column": "region", "value": None}
        ],
        "charts": {"c1": {"spec": spec(sales["id"]), "layout": {"x": 0, "y": 0, "w": 6, "h": 4}}},
    }
    r = ada.service("POST", "api/documents", json={"kind": "dashboard", "content": content})
    assert r.status_code == 201, r.text
    doc_id = r.json()["id"]
    chart = f"api/documents/{doc_id}/charts/c1/query"
    assert bo.service("POST", chart, json={}).status_code == 404  # not shared yet

    r = ada.service(
        "PUT", f"api/documents/{doc_id}/shares", json={"kind": "user", "name": "bo", "role": "viewer"}
    )
    assert r.status_code == 200, r.text
    r = bo.service("POST", chart, json={})
    assert r.status_code == 200, r.text
    assert r.json()["data"] == {"x": ["APAC", "EMEA"], "y": [20.0, 15.75]}
    r = bo.service("POST", chart, json={"filters": [{"column": "region", "cmp": "in", "value": ["EMEA"]}]})
    assert r.status_code == 200 and r.json()["data"] == {"x": ["EMEA"], "y": [15.75]}
    values = bo.service("POST", f"api/documents/{doc_id}/filters/f1/query", json={"what": "values"})
    assert values.status_code == 200 and values.json()["data"]["x"] == ["EMEA", "APAC"]

    # never the dataset itself, nor the same spec through charts/query
    assert bo.service("GET", f"api/datasets/{sales['id']}").status_code == 404
    assert bo.service("GET", f"api/datasets/{sales['id']}/rows").status_code == 404
    assert bo.service("POST", "api/charts/query", json={"spec": spec(sales["id"])}).status_code == 404
    # nor a column the dashboard does not show, nor a chart it does not hold, nor a spec of his own
    r = bo.service("POST", chart, json={"filters": [{"column": "units", "cmp": "gt", "value": 1}]})
    assert r.status_code == 400, r.text
    assert bo.service("POST", f"api/documents/{doc_id}/charts/c9/query", json={}).status_code == 404
    assert bo.service("POST", chart, json={"spec": spec(sales["id"])}).status_code == 400
    # a viewer cannot make the chart read another column either: his room updates are refused,
    # and there is no other way to change the stored spec
    assert bo.service("PATCH", f"api/documents/{doc_id}", json={"title": "x"}).status_code == 403

    r = ada.service("DELETE", f"api/documents/{doc_id}/shares/user/bo")
    assert r.status_code == 204, r.text
    assert bo.service("POST", chart, json={}).status_code == 404
    assert (
        bo.service("POST", f"api/documents/{doc_id}/filters/f1/query", json={"what": "values"}).status_code
        == 404
    )
