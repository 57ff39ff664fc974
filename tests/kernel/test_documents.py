"""Shared documents from a laptop kernel: ``lg.documents``, ``lg.chart(ref)`` / ``lg.Dashboard(ref)``
following a real jupyter server's room, import and export.

The server runs in a child process with its own store; this process plays the kernel that server
started (the environment the server gives its kernels), and edits go through real pycrdt clients.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Map

import livegraphs_ext as lg
from livegraphs_ext.documents.chartdoc import YChart, dump_chart
from livegraphs_ext.documents.dashboard import YDashboard, dump_dashboard
from livegraphs_ext.kernel import notebook
from livegraphs_ext.kernel.documents import room_endpoint
from livegraphs_ext.kernel.widgets import ChartWidget
from livegraphs_ext.store import Conflict, DatasetStore, GuardedStore, NotFound, Principal, StoreConfig

from ..documents.yclient import RoomClient, until
from ..servers import LiveServer

pytestmark = pytest.mark.slow

SALES = "region,product,revenue\nEMEA,tea,10\nEMEA,coffee,5\nAPAC,tea,7\n"


@pytest.fixture(scope="module")
def lg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A jupyter server with livegraphs whose local user is ada."""
    tmp = tmp_path_factory.mktemp("docs-server")
    server = LiveServer(tmp / "data", tmp / "root", extra=["--LiveGraphsApp.local_user=ada"])
    with pytest.MonkeyPatch.context() as env:
        # the server writes its runtime file (URL, token) here
        env.setenv("JUPYTER_RUNTIME_DIR", str(tmp / "runtime"))
        server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def lg_kernel(lg_server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[DatasetStore]:
    """This process as a kernel of ``lg_server`` (its environment), and the store they share."""
    assert lg_server.proc is not None
    info_file = lg_server.root_dir.parent / "runtime" / f"jpserver-{lg_server.proc.pid}.json"
    monkeypatch.setenv("LIVEGRAPHS_DATA_DIR", str(lg_server.data_dir))
    monkeypatch.setenv("LIVEGRAPHS_LOCAL_USER", "ada")
    monkeypatch.setenv("LIVEGRAPHS_SERVER_INFO", str(info_file))
    for name in ("JUPYTERHUB_USER", "LIVEGRAPHS_SERVICE_URL", "LIVEGRAPHS_CATALOG_URL"):
        monkeypatch.delenv(name, raising=False)
    notebook._store.cache_clear()
    store = DatasetStore(StoreConfig(root=lg_server.data_dir), sweep=False)
    try:
        yield store
    finally:
        notebook._store.cache_clear()
        store.close()


@pytest.fixture
def lg_docs(lg_kernel: DatasetStore) -> Iterator[GuardedStore]:
    """The guarded store, emptied of documents after the test (the server lives for the module)."""
    guarded = GuardedStore(lg_kernel)
    yield guarded
    admin = Principal("root", is_admin=True)
    for owner in ("ada", "bob", "cy"):
        for doc in guarded.documents.list(Principal(owner)):
            if doc["owner"] == owner:
                guarded.documents.delete(admin, doc["id"])


@pytest.fixture
def lg_sales_id(lg_kernel: DatasetStore) -> str:
    found = [d for d in lg_kernel.list_datasets() if d["name"] == "sales"]
    if found:
        return str(found[0]["id"])
    src = lg_kernel.staging_path()
    src.write_text(SALES)
    return str(lg_kernel.create_from_file(src, name="sales", owner="ada", content_type="text/csv")["id"])


def chart_spec(dataset_id: str, mark: str = "bar") -> dict[str, Any]:
    return {
        "version": 1,
        "dataset": {"id": dataset_id},
        "mark": mark,
        "encoding": {"x": {"field": "region"}, "y": {"field": "revenue", "aggregate": "sum"}},
    }


def board(dataset_id: str, title: str = "Board") -> dict[str, Any]:
    return {
        "version": 1,
        "title": title,
        "crossfilter": True,
        "filters": [],
        "charts": {"c1": {"spec": chart_spec(dataset_id), "layout": {"x": 0, "y": 0, "w": 6, "h": 4}}},
    }


async def editor(server: LiveServer, doc_id: str) -> RoomClient:
    """A pycrdt client of the document's room, synced, as the server's token user."""
    url, _ = room_endpoint(doc_id)
    client = await RoomClient.join(url, {"Authorization": f"token {server.token}"})
    await until(client.synced.is_set, what="the editor's sync")
    return client


async def test_a_chart_document_follows_edits_made_in_its_room(
    lg_server: LiveServer, lg_docs: GuardedStore, lg_sales_id: str
) -> None:
    # Given ada's chart document drawn by lg.chart(title)
    doc = lg_docs.documents.create(Principal("ada"), "chart", "Revenue", chart_spec(lg_sales_id))
    widget = lg.chart("Revenue")
    try:
        assert widget.document is not None and widget.document["id"] == doc["id"]
        assert widget.spec["mark"] == "bar" and widget.result and not widget.error
        await until(widget._follower.synced.is_set, what="the widget's sync")

        # When someone changes its mark in the room
        client = await editor(lg_server, doc["id"])
        try:
            await client.edit(lambda d: YChart(d).yspec.__setitem__("mark", "line"))
            # Then the widget's spec follows and its result is drawn again
            await until(lambda: widget.spec["mark"] == "line", what="the widget's new spec")
            assert widget.result and not widget.error
            # ...and a later edit too, in a channel
            await client.edit(
                lambda d: YChart(d).yspec["encoding"]["x"].__setitem__("field", "product")  # type: ignore[index]
            )
            await until(lambda: widget.spec["encoding"]["x"]["field"] == "product", what="the new x field")
        finally:
            await client.close()
    finally:
        widget.close()


async def test_a_dashboard_document_follows_edits_made_in_its_room(
    lg_server: LiveServer, lg_docs: GuardedStore, lg_sales_id: str
) -> None:
    doc = lg_docs.documents.create(Principal("ada"), "dashboard", "Board", board(lg_sales_id))
    dash = lg.Dashboard(doc["id"])
    try:
        assert dash.path is None and dash.title == "Board" and dash.source == "ada/Board"
        await until(dash._follower.synced.is_set, what="the dashboard's sync")  # type: ignore[union-attr]
        client = await editor(lg_server, doc["id"])
        try:
            await client.edit(lambda d: d.get("charts", type=Map)["c1"]["layout"].__setitem__("h", 7.0))
            await until(lambda: dash.dashboard["charts"]["c1"]["layout"]["h"] == 7, what="the new layout")
            assert YDashboard(client.doc).to_dict()["charts"]["c1"]["layout"]["h"] == 7
        finally:
            await client.close()
    finally:
        dash.close()


async def test_a_deleted_document_leaves_its_widget_with_an_error(
    lg_server: LiveServer, lg_docs: GuardedStore, lg_sales_id: str
) -> None:
    doc = lg_docs.documents.create(Principal("ada"), "chart", "Doomed", chart_spec(lg_sales_id))
    widget = lg.chart(doc["id"])
    try:
        await until(widget._follower.synced.is_set, what="the widget's sync")
        # deleted through the server, whose room closes its connections (4404)
        r = lg_server.session.delete(lg_server.api + f"documents/{doc['id']}", timeout=30)
        assert r.status_code == 204, r.text
        await until(lambda: "deleted" in widget.error, timeout=30, what="the widget's error")
        assert widget.spec["mark"] == "bar"  # the last content stays drawn
    finally:
        widget.close()


def test_id_title_and_owner_title_name_the_same_document(lg_docs: GuardedStore, lg_sales_id: str) -> None:
    mine = lg_docs.documents.create(Principal("ada"), "chart", "Revenue", chart_spec(lg_sales_id))
    theirs = lg_docs.documents.create(Principal("bob"), "chart", "Revenue", chart_spec(lg_sales_id, "line"))
    lg_docs.documents.share(Principal("bob"), theirs["id"], "user", "ada", "viewer")

    # a bare title is one's own first; owner/title and the id name either
    assert lg.chart("Revenue").document["id"] == mine["id"]  # type: ignore[index]
    assert lg.chart("ada/Revenue").document["id"] == mine["id"]  # type: ignore[index]
    assert lg.chart("bob/Revenue").spec["mark"] == "line"
    assert lg.chart(theirs["id"]).document["id"] == theirs["id"]  # type: ignore[index]

    # kinds are kept apart: a chart is not a dashboard
    with pytest.raises(NotFound, match="not a dashboard"):
        lg.Dashboard(mine["id"])


def test_a_title_shared_by_several_owners_is_refused_with_the_choices(
    lg_docs: GuardedStore, lg_sales_id: str
) -> None:
    for owner in ("bob", "cy"):
        doc = lg_docs.documents.create(Principal(owner), "dashboard", "Ops", board(lg_sales_id, "Ops"))
        lg_docs.documents.share(Principal(owner), doc["id"], "user", "ada", "editor")
    with pytest.raises(Conflict) as e:
        lg.Dashboard("Ops")
    assert "bob/Ops" in str(e.value) and "cy/Ops" in str(e.value)
    assert lg.Dashboard("cy/Ops").document["owner"] == "cy"  # type: ignore[index]
    with pytest.raises(NotFound):
        lg.Dashboard("dan/Ops")
    # a name that is no chart document is still explained in terms of datasets
    with pytest.raises(ValueError, match="give a field"):
        lg.chart("sales")


async def test_a_viewer_only_document_is_read_only_from_python(
    lg_server: LiveServer, lg_docs: GuardedStore, lg_sales_id: str
) -> None:
    bob = Principal("bob")
    doc = lg_docs.documents.create(bob, "chart", "Theirs", chart_spec(lg_sales_id))
    lg_docs.documents.share(bob, doc["id"], "user", "ada", "viewer")
    listed = lg.list_documents()
    assert listed.set_index("id").loc[doc["id"], "access"] == "viewer"

    widget = lg.chart("bob/Theirs")
    try:
        await until(widget._follower.synced.is_set, what="the widget's sync")
        # a change made to the widget is the notebook's own: the document does not take it
        widget.spec = chart_spec(lg_sales_id, "area")
        client = await editor(lg_server, doc["id"])
        try:
            assert YChart(client.doc).to_dict()["mark"] == "bar"
            assert lg_docs.documents.content(bob, doc["id"])["mark"] == "bar"
            # and the owner's next edit is drawn again
            await client.edit(lambda d: YChart(d).yspec.__setitem__("mark", "line"))
            await until(lambda: widget.spec["mark"] == "line", what="the owner's edit")
        finally:
            await client.close()
    finally:
        widget.close()
    assert lg_docs.documents.content(bob, doc["id"])["mark"] == "line"


def test_documents_lists_what_one_may_read(lg_docs: GuardedStore, lg_sales_id: str) -> None:
    lg_docs.documents.create(Principal("ada"), "dashboard", "Mine", board(lg_sales_id))
    shared = lg_docs.documents.create(Principal("bob"), "chart", "Shared", chart_spec(lg_sales_id))
    lg_docs.documents.share(Principal("bob"), shared["id"], "user", "ada", "editor")
    lg_docs.documents.create(Principal("cy"), "chart", "Private", chart_spec(lg_sales_id))

    listed = lg.list_documents()
    assert list(listed.columns[:5]) == ["id", "kind", "title", "owner", "access"]
    rows = {(r.title, r.owner, r.kind, r.access) for r in listed.itertuples()}
    assert rows == {("Mine", "ada", "dashboard", "owner"), ("Shared", "bob", "chart", "editor")}
    assert list(lg.list_documents("chart")["title"]) == ["Shared"]


@pytest.mark.parametrize("kind", ["dashboard", "chart"])
def test_import_then_export_gives_the_canonical_text(
    lg_docs: GuardedStore, lg_sales_id: str, tmp_path: Path, kind: str
) -> None:
    content = board(lg_sales_id, "Imported") if kind == "dashboard" else chart_spec(lg_sales_id)
    canonical = dump_dashboard(content) if kind == "dashboard" else dump_chart(content)
    suffix = ".lgdash" if kind == "dashboard" else ".lgchart"
    # a file with its keys in another order and no indent: the export is the canonical text
    src = tmp_path / f"Imported{suffix}"
    src.write_text(json.dumps(dict(reversed(list(content.items())))))

    doc = lg.import_document(src)
    assert (doc["kind"], doc["title"], doc["owner"]) == (kind, "Imported", "ada")
    (tmp_path / "out").mkdir()
    written = lg.export_document("Imported", tmp_path / "out", kind=kind)
    assert written == tmp_path / "out" / f"Imported{suffix}"
    assert written.read_text(encoding="utf-8") == canonical

    # again under another title, from the exported file: the same text comes back (a dashboard's
    # own title is the document's)
    again = lg.import_document(written, title="Copy")
    assert again["title"] == "Copy"
    copy = dump_dashboard({**content, "title": "Copy"}) if kind == "dashboard" else canonical
    assert lg.export_document("ada/Copy", tmp_path / "copy.txt").read_text(encoding="utf-8") == copy


def test_importing_a_bad_file_names_it_and_makes_nothing(lg_docs: GuardedStore, tmp_path: Path) -> None:
    bad = tmp_path / "bad.lgdash"
    bad.write_text(json.dumps({"version": 1, "title": "x", "charts": {"c": {"layout": {"x": 20}}}}))
    with pytest.raises(Exception, match=r"bad\.lgdash is not a valid dashboard"):
        lg.import_document(bad)
    with pytest.raises(ValueError, match=r"not a \.lgdash or \.lgchart"):
        lg.import_document(tmp_path / "notes.txt")
    assert lg.list_documents().empty


def test_a_widget_made_outside_an_event_loop_draws_without_following(
    lg_docs: GuardedStore, lg_sales_id: str
) -> None:
    lg_docs.documents.create(Principal("ada"), "chart", "Still", chart_spec(lg_sales_id))
    widget = lg.chart("Still")
    assert isinstance(widget, ChartWidget) and widget.result
    assert widget._follower._task is None and "not followed" in widget._follower.problem


async def test_a_kernel_with_no_server_to_reach_draws_without_following(
    lg_docs: GuardedStore, lg_sales_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LIVEGRAPHS_SERVER_INFO")
    lg_docs.documents.create(Principal("ada"), "chart", "Alone", chart_spec(lg_sales_id))
    widget = lg.chart("Alone")
    assert widget.result and not widget.error
    assert widget._follower._task is None and "LIVEGRAPHS_SERVER_INFO" in widget._follower.problem


@pytest.fixture
def lg_restored_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The in-process server below sets its kernels' variables in this process: undo them after."""
    for name in ("LIVEGRAPHS_SERVER_INFO", "LIVEGRAPHS_DATA_DIR", "LIVEGRAPHS_LOCAL_USER"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)


def test_the_server_tells_its_kernels_where_its_runtime_file_is(
    lg_restored_env: None, jp_serverapp: Any
) -> None:
    assert os.environ["LIVEGRAPHS_SERVER_INFO"] == jp_serverapp.info_file
