"""Shared documents in the store: catalog rows, shares and levels, the update log, versions.

On SQLite and on real PostgreSQL; real pycrdt documents throughout.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Doc, Map

from livegraphs_ext.documents.chartdoc import YChart, dump_chart
from livegraphs_ext.documents.dashboard import YDashboard, dump_dashboard
from livegraphs_ext.store import (
    Accounts,
    BadInput,
    Conflict,
    DatasetStore,
    EventLog,
    Forbidden,
    GuardedStore,
    NotFound,
    Principal,
    StoreConfig,
)
from livegraphs_ext.store.documents import DocumentStore, DocumentUpdateRow

ADA = Principal("ada")
BO = Principal("bo")
CY = Principal("cy", frozenset({"analysts"}))
VIC = Principal("vic")
ROOT = Principal("root", is_admin=True)

SPEC = {
    "version": 1,
    "dataset": {"name": "sales"},
    "mark": "bar",
    "encoding": {"x": {"field": "region"}, "y": {"field": "revenue", "aggregate": "sum"}},
    "limit": 10,
    "title": "Revenue — by région",
}
DASHBOARD: dict[str, Any] = {
    "version": 1,
    "title": "Sales",
    "crossfilter": False,
    "filters": [{"id": "f1", "kind": "dropdown", "dataset": "sales", "column": "region", "value": ["EMEA"]}],
    "charts": {
        "c1": {"spec": SPEC, "layout": {"x": 0, "y": 0, "w": 6, "h": 4}},
        "c2": {"spec": {"version": 1, "encoding": {}}, "layout": {"x": 6, "y": 0, "w": 6, "h": 3}},
    },
}


@pytest.fixture(params=["sqlite", "postgresql"])
def lg_guarded(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GuardedStore]:
    url = request.getfixturevalue("lg_postgres_url") if request.param == "postgresql" else None
    store = DatasetStore(StoreConfig(root=tmp_path / "store", catalog_url=url))
    yield GuardedStore(store)
    store.close()


@pytest.fixture
def docs(lg_guarded: GuardedStore) -> DocumentStore:
    return lg_guarded.documents


def dashboard_of(state: bytes) -> dict[str, Any]:
    doc = Doc()
    doc.apply_update(state)
    return dict(YDashboard(doc).to_dict())


def edit(state: bytes, change: Any) -> bytes:
    """The update ``change(ydashboard)`` makes to a document holding ``state``."""
    doc = Doc()
    doc.apply_update(state)
    before = doc.get_state()
    change(YDashboard(doc))
    return doc.get_update(before)


def retitle_chart(title: str) -> Any:
    def change(y: YDashboard) -> None:
        y.ycharts["c1"]["spec"]["title"] = title

    return change


def crossfilter(on: bool) -> Any:
    def change(y: YDashboard) -> None:
        y.ymeta["crossfilter"] = on

    return change


def events(g: GuardedStore, action: str) -> list[dict[str, Any]]:
    return EventLog(g.catalog).list(action=[action])["events"]


# ---------------------------------------------------------------------------- create


def test_create_imports_a_dashboard_and_exports_the_same_canonical_text(docs: DocumentStore):
    # When
    d = docs.create(ADA, "dashboard", content=DASHBOARD)
    # Then
    assert len(d["id"]) == 32 and int(d["id"], 16) >= 0
    assert {k: d[k] for k in ("kind", "title", "owner", "access", "updated_by")} == {
        "kind": "dashboard",
        "title": "Sales",
        "owner": "ada",
        "access": "owner",
        "updated_by": "ada",
    }
    assert dump_dashboard(docs.content(ADA, d["id"])) == dump_dashboard(DASHBOARD)
    assert dashboard_of(docs.load(d["id"])) == DASHBOARD
    assert [v["number"] for v in docs.versions(ADA, d["id"])] == [1]
    assert docs.versions(ADA, d["id"])[0]["authors"] == ["ada"]


def test_create_a_chart_and_empty_documents(docs: DocumentStore):
    chart = docs.create(ADA, "chart", "Revenue", content=SPEC)
    assert chart["title"] == "Revenue"
    assert dump_chart(docs.content(ADA, chart["id"])) == dump_chart(SPEC)
    doc = Doc()
    doc.apply_update(docs.load(chart["id"]))
    assert YChart(doc).to_dict() == SPEC

    empty = docs.create(ADA, "chart")
    assert empty["title"] == "Untitled chart"
    assert docs.content(ADA, empty["id"]) == {"version": 1, "encoding": {}}
    board = docs.create(ADA, "dashboard")
    assert board["title"] == "Untitled dashboard"
    assert docs.content(ADA, board["id"])["charts"] == {}


def test_an_explicit_title_names_the_dashboard_inside_too(docs: DocumentStore):
    d = docs.create(ADA, "dashboard", " Q3 review ", content=DASHBOARD)
    assert d["title"] == "Q3 review"
    assert docs.content(ADA, d["id"])["title"] == "Q3 review"


def test_untitled_documents_are_numbered_but_a_chosen_title_in_use_is_a_conflict(docs: DocumentStore):
    titles = [docs.create(ADA, "dashboard")["title"] for _ in range(3)]
    assert titles == ["Untitled dashboard", "Untitled dashboard 2", "Untitled dashboard 3"]
    # an import named like one of the caller's dashboards is numbered too
    assert docs.create(ADA, "dashboard", content=DASHBOARD)["title"] == "Sales"
    assert docs.create(ADA, "dashboard", content=DASHBOARD)["title"] == "Sales 2"
    with pytest.raises(Conflict):
        docs.create(ADA, "dashboard", "Sales")
    # other owners and the other kind have titles of their own
    assert docs.create(BO, "dashboard", "Sales")["title"] == "Sales"
    assert docs.create(ADA, "chart", "Sales")["title"] == "Sales"


@pytest.mark.parametrize(
    ("kind", "title", "content", "expected"),
    [
        ("notebook", None, None, 'kind is "dashboard" or "chart"'),
        (None, None, None, 'kind is "dashboard" or "chart"'),
        ("dashboard", "", None, "cannot be empty"),
        ("dashboard", "a/b", None, "cannot contain '/'"),
        ("dashboard", "x" * 201, None, "at most 200"),
        ("dashboard", "tab\there", None, "control characters"),
        ("dashboard", 7, None, "is a string"),
        ("dashboard", None, {"version": 2}, "version: must be 1"),
        ("dashboard", None, [], "must be a JSON object"),
        ("chart", None, {"version": 1, "mark": "blob", "encoding": {}}, "mark: must be one of"),
    ],
)
def test_create_refuses_bad_input(docs: DocumentStore, kind, title, content, expected):
    with pytest.raises(BadInput) as e:
        docs.create(ADA, kind, title, content)
    assert expected in e.value.message
    assert docs.list(ADA) == []


def test_an_invalid_import_lists_every_problem(docs: DocumentStore):
    bad = {**DASHBOARD, "charts": {"c1": {"spec": SPEC, "layout": {"x": 8, "y": -1, "w": 6, "h": 4}}}}
    bad["crossfilter"] = "yes"
    with pytest.raises(BadInput) as e:
        docs.create(ADA, "dashboard", content=bad)
    problems = [(p.column, p.expected) for p in e.value.errors]
    assert ("crossfilter", "must be true or false") in problems
    assert ("charts.c1.layout", "x and y must be >= 0") in problems
    assert docs.list(ADA) == []


# ---------------------------------------------------------------------------- levels and shares


def test_list_shows_own_and_shared_documents_with_their_levels(docs: DocumentStore):
    mine = docs.create(ADA, "dashboard", "Mine")
    to_bo = docs.create(VIC, "dashboard", "For Bo")
    to_group = docs.create(VIC, "chart", "For analysts")
    docs.create(VIC, "dashboard", "Private")
    docs.share(VIC, to_bo["id"], "user", "bo", "editor")
    docs.share(VIC, to_group["id"], "group", "analysts", "viewer")
    docs.share(VIC, to_group["id"], "user", "ada", "editor")

    def listed(p: Principal, kind: str | None = None) -> dict[str, str]:
        return {d["title"]: d["access"] for d in docs.list(p, kind)}

    assert listed(ADA) == {"Mine": "owner", "For analysts": "editor"}
    assert listed(BO) == {"For Bo": "editor"}
    assert listed(CY) == {"For analysts": "viewer"}
    assert listed(CY, "dashboard") == {}
    assert listed(VIC, "chart") == {"For analysts": "owner"}
    # admins list their own and shared ones here, and may open any other
    assert listed(ROOT) == {}
    assert docs.get(ROOT, mine["id"])["access"] == "admin"
    assert docs.access(ADA, to_group["id"]) == "editor"
    assert docs.access(CY, to_group["id"]) == "viewer"
    assert docs.access(BO, to_bo["id"]) == "editor"
    with pytest.raises(BadInput):
        docs.list(ADA, "notebook")


def test_no_access_is_not_found_everywhere(docs: DocumentStore):
    d = docs.create(ADA, "dashboard", "Secret")
    calls = [
        lambda: docs.get(BO, d["id"]),
        lambda: docs.access(BO, d["id"]),
        lambda: docs.rename(BO, d["id"], "Mine now"),
        lambda: docs.delete(BO, d["id"]),
        lambda: docs.shares(BO, d["id"]),
        lambda: docs.share(BO, d["id"], "user", "bo", "editor"),
        lambda: docs.unshare(BO, d["id"], "user", "ada"),
        lambda: docs.versions(BO, d["id"]),
        lambda: docs.content(BO, d["id"]),
        lambda: docs.restore(BO, d["id"], 1),
    ]
    for call in calls:
        with pytest.raises(NotFound):
            call()
    for missing in ("0" * 32, "not an id"):
        with pytest.raises(NotFound):
            docs.get(ADA, missing)
        with pytest.raises(NotFound):
            docs.load(missing)
        with pytest.raises(NotFound):
            docs.append(missing, edit(docs.load(d["id"]), crossfilter(False)), "ada")
    assert docs.get(ADA, d["id"])["title"] == "Secret"


def test_a_viewer_may_read_but_not_write_and_an_editor_may_not_manage(docs: DocumentStore):
    d = docs.create(ADA, "dashboard", content=DASHBOARD)
    docs.share(ADA, d["id"], "user", "bo", "viewer")
    docs.share(ADA, d["id"], "group", "analysts", "editor")
    # the viewer reads
    assert docs.content(BO, d["id"]) == DASHBOARD
    assert docs.versions(BO, d["id"])[0]["number"] == 1
    assert {s["name"] for s in docs.shares(BO, d["id"])} == {"bo", "analysts"}
    # and may not write or manage
    for call in (
        lambda: docs.rename(BO, d["id"], "Taken"),
        lambda: docs.restore(BO, d["id"], 1),
        lambda: docs.delete(BO, d["id"]),
        lambda: docs.share(BO, d["id"], "user", "vic", "viewer"),
    ):
        with pytest.raises(Forbidden):
            call()
    # the editor (through a group) writes but may not manage
    assert docs.rename(CY, d["id"], "Renamed")["title"] == "Renamed"
    assert docs.content(ADA, d["id"])["title"] == "Renamed"
    with pytest.raises(Forbidden):
        docs.share(CY, d["id"], "user", "vic", "viewer")
    with pytest.raises(Forbidden):
        docs.delete(CY, d["id"])
    # an admin manages anything
    docs.share(ROOT, d["id"], "user", "vic", "viewer")
    assert docs.access(VIC, d["id"]) == "viewer"


def test_share_rules_are_those_of_datasets(docs: DocumentStore):
    d = docs.create(ADA, "dashboard")
    share = docs.share(ADA, d["id"], "user", " bo ", "viewer")
    assert {k: share[k] for k in ("kind", "name", "role", "created_by")} == {
        "kind": "user",
        "name": "bo",
        "role": "viewer",
        "created_by": "ada",
    }
    assert docs.share(ADA, d["id"], "user", "bo", "editor")["role"] == "editor"
    assert [s["role"] for s in docs.shares(ADA, d["id"])] == ["editor"]
    for kind, name, role, expected in [
        ("team", "x", "viewer", 'kind is "user" or "group"'),
        ("user", "x", "owner", 'role is "viewer" or "editor"'),
        ("user", "", "viewer", "1 to 255"),
        ("user", "ada", "viewer", "owns this document already"),
    ]:
        with pytest.raises(BadInput) as e:
            docs.share(ADA, d["id"], kind, name, role)
        assert expected in e.value.message
    with pytest.raises(NotFound):
        docs.unshare(ADA, d["id"], "user", "nobody")


def test_a_recipient_may_remove_their_own_user_share_but_not_a_group_share(docs: DocumentStore):
    d = docs.create(ADA, "dashboard")
    docs.share(ADA, d["id"], "user", "bo", "viewer")
    docs.share(ADA, d["id"], "group", "analysts", "viewer")
    docs.share(ADA, d["id"], "user", "vic", "viewer")
    with pytest.raises(Forbidden):
        docs.unshare(CY, d["id"], "group", "analysts")
    with pytest.raises(Forbidden):
        docs.unshare(BO, d["id"], "user", "vic")
    docs.unshare(BO, d["id"], "user", "bo")
    with pytest.raises(NotFound):
        docs.get(BO, d["id"])
    assert [s["name"] for s in docs.shares(ADA, d["id"])] == ["analysts", "vic"]


def test_access_changes_are_told_to_listeners_after_they_commit(docs: DocumentStore):
    d = docs.create(ADA, "dashboard")
    seen: list[tuple[str, list[str]]] = []

    def listener(doc_id: str) -> None:
        # the change is visible to whoever the listener asks
        seen.append((doc_id, sorted(s["name"] for s in docs.shares(ROOT, doc_id))))

    stop = docs.on_access_change(listener)
    docs.share(ADA, d["id"], "user", "bo", "editor")
    docs.unshare(ADA, d["id"], "user", "bo")
    with pytest.raises(NotFound):
        docs.share(BO, d["id"], "user", "bo", "editor")  # refused: nothing told
    stop()
    docs.share(ADA, d["id"], "user", "vic", "editor")
    assert seen == [(d["id"], ["bo"]), (d["id"], [])]

    gone: list[str] = []
    docs.on_access_change(gone.append)
    docs.delete(ADA, d["id"])
    assert gone == [d["id"]]
    with pytest.raises(NotFound):
        docs.get(ADA, d["id"])
    with pytest.raises(NotFound):
        docs.load(d["id"])


def test_a_listener_that_fails_does_not_undo_the_change(docs: DocumentStore, caplog):
    d = docs.create(ADA, "dashboard")

    def broken(doc_id: str) -> None:
        raise RuntimeError("room gone")

    docs.on_access_change(broken)
    docs.share(ADA, d["id"], "user", "bo", "viewer")
    assert docs.access(BO, d["id"]) == "viewer"
    assert "room gone" in caplog.text


def test_delete_removes_shares_updates_and_versions(lg_guarded: GuardedStore, docs: DocumentStore):
    d = docs.create(ADA, "dashboard", content=DASHBOARD)
    docs.share(ADA, d["id"], "user", "bo", "editor")
    docs.append(d["id"], edit(docs.load(d["id"]), retitle_chart("x")), "bo")
    docs.delete(ADA, d["id"])
    with lg_guarded.catalog.transaction() as s:
        from livegraphs_ext.store.documents import DocumentShareRow, DocumentVersionRow

        for table in (DocumentShareRow, DocumentUpdateRow, DocumentVersionRow):
            assert s.query(table).filter(table.document_id == d["id"]).count() == 0
    assert docs.list(BO) == []


def test_every_change_is_logged(lg_guarded: GuardedStore, docs: DocumentStore):
    d = docs.create(ADA, "dashboard", "Log me")
    docs.share(ADA, d["id"], "group", "analysts", "editor")
    docs.rename(CY, d["id"], "Logged")
    docs.append(d["id"], edit(docs.load(d["id"]), crossfilter(False)), "cy")
    docs.restore(CY, d["id"], 1)
    docs.unshare(ROOT, d["id"], "group", "analysts")
    docs.delete(ADA, d["id"])
    expected = {
        "document_create": ("ada", False, {}),
        "document_share": ("ada", False, {"share_kind": "group", "name": "analysts", "role": "editor"}),
        "document_rename": ("cy", False, {"old_title": "Log me"}),
        "document_restore": ("cy", False, {"version": 1}),
        "document_unshare": ("root", True, {"share_kind": "group", "name": "analysts"}),
        "document_delete": ("ada", False, {}),
    }
    for action, (user, admin, detail) in expected.items():
        [e] = events(lg_guarded, action)
        assert e["user"] == user and e["admin"] is admin and e["owner"] == "ada", action
        assert e["detail"]["document_id"] == d["id"]
        assert e["detail"]["kind"] == "dashboard"
        assert detail.items() <= e["detail"].items(), action


# ---------------------------------------------------------------------------- the update log


def test_append_and_load_round_trip(docs: DocumentStore):
    d = docs.create(ADA, "dashboard", content=DASHBOARD)
    first = edit(docs.load(d["id"]), retitle_chart("Now"))
    seq = docs.append(d["id"], first, "bo")
    second = edit(docs.load(d["id"]), crossfilter(True))
    assert docs.append(d["id"], second, "ada") > seq
    got = dashboard_of(docs.load(d["id"]))
    assert got["charts"]["c1"]["spec"]["title"] == "Now"
    assert got["crossfilter"] is True
    assert docs.get(ADA, d["id"])["updated_by"] == "ada"


def test_append_refuses_what_is_not_a_yjs_update(docs: DocumentStore):
    d = docs.create(ADA, "dashboard", content=DASHBOARD)
    before = docs.load(d["id"])
    for bad in (b"", b"\x01\x02garbage", "text"):
        with pytest.raises(BadInput):
            docs.append(d["id"], bad, "ada")  # type: ignore[arg-type]
    assert dashboard_of(docs.load(d["id"])) == dashboard_of(before) == DASHBOARD


def test_concurrent_appends_from_threads_all_survive(docs: DocumentStore):
    d = docs.create(ADA, "dashboard")
    base = docs.load(d["id"])
    writers, each = 6, 8
    errors: list[BaseException] = []
    seqs: list[int] = []
    lock = threading.Lock()

    def writer(n: int) -> None:
        try:
            doc = Doc()
            doc.apply_update(base)
            ydash = YDashboard(doc)
            for i in range(each):
                before = doc.get_state()
                ydash.ycharts[f"w{n}-{i}"] = Map(
                    {
                        "spec": Map({"version": 1.0}),
                        "layout": Map({"x": 0.0, "y": float(i), "w": 1.0, "h": 1.0}),
                    }
                )
                seq = docs.append(d["id"], doc.get_update(before), f"user{n}")
                with lock:
                    seqs.append(seq)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(seqs)) == writers * each
    charts = dashboard_of(docs.load(d["id"]))["charts"]
    assert set(charts) == {f"w{n}-{i}" for n in range(writers) for i in range(each)}


def test_a_snapshot_folds_older_updates_and_load_is_unchanged(lg_guarded: GuardedStore, docs: DocumentStore):
    d = docs.create(ADA, "dashboard", content=DASHBOARD)
    seq1 = docs.append(d["id"], edit(docs.load(d["id"]), retitle_chart("one")), "bo")
    seq2 = docs.append(d["id"], edit(docs.load(d["id"]), retitle_chart("two")), "cy")
    state = docs.load(d["id"])
    # a room snapshots what it holds up to seq2, while an edit after seq2 is being stored
    late = edit(state, crossfilter(True))
    seq3 = docs.append(d["id"], late, "ada")
    number = docs.snapshot(d["id"], state, seq2)
    assert number == 2
    with lg_guarded.catalog.transaction() as s:
        left = s.query(DocumentUpdateRow.seq).filter(DocumentUpdateRow.document_id == d["id"]).all()
    assert [r.seq for r in left] == [seq3]
    assert seq1 < seq2 < seq3
    after = dashboard_of(docs.load(d["id"]))
    assert after["charts"]["c1"]["spec"]["title"] == "two" and after["crossfilter"] is True
    versions = docs.versions(ADA, d["id"])
    assert [v["number"] for v in versions] == [2, 1]
    assert versions[0]["authors"] == ["bo", "cy"]
    assert docs.content(ADA, d["id"], 2)["crossfilter"] is False
    # authors may be given, and a snapshot of everything leaves no update behind
    assert docs.snapshot(d["id"], docs.load(d["id"]), seq3, ["ada"]) == 3
    assert dashboard_of(docs.load(d["id"])) == after
    assert docs.versions(ADA, d["id"])[0]["authors"] == ["ada"]


def test_snapshots_while_others_append_lose_nothing(docs: DocumentStore):
    # Given writers appending from threads while another thread snapshots up to the newest seq it
    # has heard of (its loaded state may lack updates stored meanwhile: the snapshot folds them in)
    d = docs.create(ADA, "dashboard")
    base = docs.load(d["id"])
    writers, each = 4, 10
    newest = [0]
    heard = threading.Lock()  # the newest seq is read and raised by several threads at once
    done = threading.Event()
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            doc = Doc()
            doc.apply_update(base)
            for i in range(each):
                before = doc.get_state()
                YDashboard(doc).ycharts[f"w{n}-{i}"] = Map(
                    {"spec": Map({"version": 1.0}), "layout": Map({"x": 0.0, "y": 0.0, "w": 1.0, "h": 1.0})}
                )
                seq = docs.append(d["id"], doc.get_update(before), f"user{n}")
                with heard:
                    newest[0] = max(newest[0], seq)
        except BaseException as e:
            errors.append(e)

    def snapshotter() -> None:
        try:
            while not done.is_set():
                upto = newest[0]
                if upto:
                    docs.snapshot(d["id"], docs.load(d["id"]), upto)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    snap = threading.Thread(target=snapshotter)
    snap.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    snap.join()
    # Then every edit is in the document, and in a final snapshot of it
    assert errors == []
    wanted = {f"w{n}-{i}" for n in range(writers) for i in range(each)}
    assert set(dashboard_of(docs.load(d["id"]))["charts"]) == wanted
    number = docs.snapshot(d["id"], base, newest[0])  # even from a stale state
    assert set(docs.content(ADA, d["id"], number)["charts"]) == wanted
    assert len(docs.versions(ADA, d["id"])) == number >= 2


def test_a_bad_snapshot_changes_nothing(docs: DocumentStore):
    d = docs.create(ADA, "dashboard", content=DASHBOARD)
    seq = docs.append(d["id"], edit(docs.load(d["id"]), retitle_chart("one")), "bo")
    before = docs.load(d["id"])
    with pytest.raises(BadInput):
        docs.snapshot(d["id"], b"\x05not yjs", seq, ["bo"])
    with pytest.raises(BadInput):
        docs.snapshot(d["id"], before, seq + 1, ["bo"])  # would fold updates not stored yet
    with pytest.raises(NotFound):
        docs.snapshot("0" * 32, before, seq, ["bo"])
    assert dashboard_of(docs.load(d["id"])) == dashboard_of(before)
    assert [v["number"] for v in docs.versions(ADA, d["id"])] == [1]


# ---------------------------------------------------------------------------- versions and restore


def test_restore_merges_with_a_concurrent_edit(docs: DocumentStore):
    d = docs.create(ADA, "dashboard", content=DASHBOARD)
    # version 2: c1 retitled and filters changed
    seq = docs.append(d["id"], edit(docs.load(d["id"]), retitle_chart("v2")), "bo")
    docs.snapshot(d["id"], docs.load(d["id"]), seq)
    docs.append(d["id"], edit(docs.load(d["id"]), retitle_chart("later")), "bo")
    # a client holds the current state and edits c2 while someone restores version 1
    client = Doc()
    client.apply_update(docs.load(d["id"]))
    before = client.get_state()
    YDashboard(client).ycharts["c2"]["layout"]["h"] = 7.0
    concurrent = client.get_update(before)

    diff = docs.restore(ADA, d["id"], 1)
    assert docs.get(ADA, d["id"])["updated_by"] == "ada"
    docs.append(d["id"], concurrent, "cy")

    stored = dashboard_of(docs.load(d["id"]))
    assert stored["charts"]["c1"]["spec"]["title"] == SPEC["title"]  # restored
    assert stored["charts"]["c2"]["layout"]["h"] == 7  # the concurrent edit survives
    client.apply_update(diff)
    assert YDashboard(client).to_dict() == stored  # the client converges on the same document


def test_restore_keeps_the_title_and_tells_update_listeners(docs: DocumentStore):
    d = docs.create(ADA, "dashboard", content=DASHBOARD)
    docs.rename(ADA, d["id"], "Renamed")
    seen: list[tuple[str, bytes]] = []
    docs.on_update(lambda doc_id, update: seen.append((doc_id, update)))
    docs.append(d["id"], edit(docs.load(d["id"]), retitle_chart("x")), "bo")
    assert seen == []  # a room's own updates are not echoed back
    diff = docs.restore(ADA, d["id"], 1)
    assert seen == [(d["id"], diff)]
    assert docs.content(ADA, d["id"]) == {**DASHBOARD, "title": "Renamed"}
    with pytest.raises(NotFound):
        docs.restore(ADA, d["id"], 9)
    with pytest.raises(BadInput):
        docs.restore(ADA, d["id"], "1")  # type: ignore[arg-type]


def test_restore_of_a_chart(docs: DocumentStore):
    c = docs.create(ADA, "chart", content=SPEC)
    doc = Doc()
    doc.apply_update(docs.load(c["id"]))
    before = doc.get_state()
    YChart(doc).yspec["mark"] = "line"
    docs.append(c["id"], doc.get_update(before), "ada")
    assert docs.content(ADA, c["id"])["mark"] == "line"
    docs.restore(ADA, c["id"], 1)
    assert docs.content(ADA, c["id"]) == SPEC


def test_content_of_a_missing_version_is_not_found(docs: DocumentStore):
    d = docs.create(ADA, "dashboard")
    with pytest.raises(NotFound):
        docs.content(ADA, d["id"], 2)
    name, text = docs.canonical(ADA, d["id"])
    assert name == "Untitled dashboard.lgdash"
    assert text == dump_dashboard(docs.content(ADA, d["id"]))


def test_rename_checks_the_title(docs: DocumentStore):
    d = docs.create(ADA, "dashboard", "One")
    docs.create(ADA, "dashboard", "Two")
    with pytest.raises(Conflict):
        docs.rename(ADA, d["id"], "Two")
    with pytest.raises(BadInput):
        docs.rename(ADA, d["id"], "a/b")
    assert docs.rename(ADA, d["id"], "One")["title"] == "One"
    assert [v["number"] for v in docs.versions(ADA, d["id"])] == [1]


def test_a_new_account_under_an_old_name_inherits_no_document(lg_guarded: GuardedStore, docs: DocumentStore):
    # Given gus with a dashboard shared with ada, and ada's chart shared with gus
    accounts = Accounts(lg_guarded.catalog)
    gus = Principal("gus")
    assert accounts.check("gus", "2026-01-02T00:00:00Z") is None
    theirs = docs.create(gus, "dashboard", "Gus's")
    docs.share(gus, theirs["id"], "user", "ada", "viewer")
    ours = docs.create(ADA, "chart", "Ada's")
    docs.share(ADA, ours["id"], "user", "gus", "editor")
    # When a new account uses the name
    retired = accounts.check("gus", "2026-06-01T00:00:00Z")
    # Then the old documents are archived for admins, and no share of or to the old account is left
    assert retired is not None and retired["documents"] == 1 and retired["document_shares_removed"] == 2
    assert docs.list(gus) == [] and docs.list(ADA) == [ours | {"access": "owner"}]
    with pytest.raises(NotFound):
        docs.get(gus, ours["id"])
    archived = docs.get(ROOT, theirs["id"])
    assert archived["owner"] == retired["archived_as"] and archived["owner"].endswith("/gus")
    assert docs.shares(ROOT, theirs["id"]) == [] and docs.shares(ADA, ours["id"]) == []
