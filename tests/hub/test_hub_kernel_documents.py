"""Shared documents from a kernel on a hub: ``lg.chart(ref)`` / ``lg.documents`` / import and export
through the livegraphs service, as the kernel's user.

ada owns a chart shared with cy as viewer. This process plays cy's kernel (the environment a user's
server gives its kernels): the chart follows ada's edits live, and cy cannot change it from Python,
not even by sending an update over the kernel's own room connection.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

import livegraphs_ext as lg
from livegraphs_ext.documents.chartdoc import YChart, dump_chart
from livegraphs_ext.kernel import notebook
from livegraphs_ext.kernel.documents import room_endpoint
from livegraphs_ext.store import NotFound

from ..documents.yclient import RoomClient, until
from .hubutil import USERS, Hub, running_hub

pytestmark = pytest.mark.slow

CHART: dict[str, Any] = {
    "version": 1,
    "mark": "bar",
    "encoding": {"x": {"field": "region"}, "y": {"aggregate": "count"}},
}


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    with running_hub(tmp_path_factory.mktemp("hub-kernel-docs"), USERS) as h:
        yield h


def call(hub: Hub, token: str, method: str, path: str, body: Any = None) -> requests.Response:
    return requests.request(
        method,
        hub.service_url + "api/" + path,
        headers={"Authorization": f"token {token}"},
        json=body,
        timeout=60,
    )


@pytest.fixture
def lg_cy_kernel(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> str:
    """This process as a kernel of cy's server; returns cy's token."""
    token = hub.token("cy")
    monkeypatch.setenv("LIVEGRAPHS_SERVICE_URL", hub.service_url)
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", token)
    monkeypatch.setenv("JUPYTERHUB_USER", "cy")
    monkeypatch.delenv("LIVEGRAPHS_SERVER_INFO", raising=False)
    notebook._store.cache_clear()
    return token


async def test_a_viewer_follows_a_shared_chart_and_cannot_change_it(hub: Hub, lg_cy_kernel: str) -> None:
    ada = hub.token("ada")
    r = call(hub, ada, "POST", "documents", {"kind": "chart", "title": "Harbour chart", "content": CHART})
    assert r.status_code == 201, r.text
    doc_id = r.json()["id"]
    r = call(hub, ada, "PUT", f"documents/{doc_id}/shares", {"kind": "user", "name": "cy", "role": "viewer"})
    assert r.status_code == 200, r.text

    # cy's kernel lists it as a viewer and finds it by owner/title, title and id
    listed = lg.list_documents().set_index("id")
    assert listed.loc[doc_id, ["kind", "title", "owner", "access"]].tolist() == [
        "chart",
        "Harbour chart",
        "ada",
        "viewer",
    ]
    widget = lg.chart("ada/Harbour chart")
    assert lg.chart("Harbour chart").document["id"] == doc_id  # type: ignore[index]
    assert lg.chart(doc_id).spec["mark"] == "bar"
    # the service's refusals read as on a laptop
    with pytest.raises(NotFound, match="not a dashboard"):
        lg.Dashboard(doc_id)
    with pytest.raises(ValueError, match="no chart document"):
        lg.chart("0" * 32)
    writer = None
    url, headers = room_endpoint(doc_id)
    owner = await RoomClient.join(url, {"Authorization": f"token {ada}"})
    try:
        await until(widget._follower.synced.is_set, timeout=30, what="the kernel's sync")
        await until(owner.synced.is_set, timeout=30, what="the owner's sync")
        # ada's edit reaches the kernel's widget
        await owner.edit(lambda d: YChart(d).yspec.__setitem__("mark", "line"))
        await until(lambda: widget.spec["mark"] == "line", timeout=30, what="ada's edit in cy's widget")

        # an update sent with the kernel's own credentials is refused and changes nothing
        writer = await RoomClient.join(url, headers)
        await until(writer.synced.is_set, timeout=30, what="the writer's sync")
        await writer.edit(lambda d: YChart(d).yspec.__setitem__("mark", "area"))
        await until(lambda: bool(writer.denied), timeout=30, what="the permission-denied message")
        assert writer.denied[0].startswith("permission-denied")
        assert call(hub, ada, "GET", f"documents/{doc_id}/content").json()["mark"] == "line"
        assert widget.spec["mark"] == "line"

        # when ada stops sharing it, the widget says so and keeps what it drew
        r = call(hub, ada, "DELETE", f"documents/{doc_id}/shares/user/cy")
        assert r.status_code == 204, r.text
        await until(lambda: "no longer be read" in widget.error, timeout=30, what="the widget's error")
        assert widget.spec["mark"] == "line"
    finally:
        widget.close()
        await owner.close()
        if writer is not None:
            await writer.close()


def test_import_and_export_through_the_service(hub: Hub, lg_cy_kernel: str, tmp_path: Path) -> None:
    src = tmp_path / "Mine.lgchart"
    src.write_text('{"encoding": {}, "version": 1, "mark": "bar"}')
    doc = lg.import_document(src)
    assert (doc["kind"], doc["title"], doc["owner"], doc["access"]) == ("chart", "Mine", "cy", "owner")
    out = lg.export_document("cy/Mine", tmp_path / "out.lgchart")
    assert out.read_text(encoding="utf-8") == dump_chart({"version": 1, "mark": "bar", "encoding": {}})
