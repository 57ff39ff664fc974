"""The dashboard file and its shared document: schema, round trip, and concurrent edits merging."""

from __future__ import annotations

import json
from typing import Any

import jupyter_ydoc
import pytest
from pycrdt import Doc, Map

from livegraphs_ext.documents.dashboard import (
    DashboardError,
    YDashboard,
    dump_dashboard,
    empty_dashboard,
    parse_dashboard,
)

SPEC_BAR: dict[str, Any] = {
    "version": 1,
    "dataset": {"name": "sales"},
    "mark": "bar",
    "encoding": {
        "x": {"field": "region"},
        "y": {"field": "revenue", "aggregate": "sum", "title": "Revenue"},
    },
    "filters": [{"column": "region", "cmp": "in", "value": ["EMEA", "APAC"]}],
    "sort": {"by": "y", "order": "descending"},
    "limit": 10,
    "options": {"stack": "stacked", "hole": 0.4},
    "title": "Revenue — by région <b>",
}

DASHBOARD: dict[str, Any] = {
    "version": 1,
    "title": "Sales",
    "crossfilter": True,
    "filters": [
        {"id": "f1", "kind": "dropdown", "dataset": "sales", "column": "region", "value": ["EMEA"]},
        {"id": "f2", "kind": "range", "dataset": "sales", "column": "revenue", "value": [0, 1.5]},
        {"id": "f3", "kind": "daterange", "dataset": "sales", "column": "day", "value": [None, "2025-06-30"]},
    ],
    "charts": {
        "c1": {"spec": SPEC_BAR, "layout": {"x": 0, "y": 0, "w": 6, "h": 4}},
        "c2": {
            "spec": {"version": 1, "dataset": {"name": "sales"}, "mark": "line", "encoding": {}},
            "layout": {"x": 6, "y": 0, "w": 6, "h": 4},
        },
    },
}


def sync(a: Doc, b: Doc) -> None:
    """Exchange what each document lacks, as two clients of one room end up doing."""
    ua = a.get_update(b.get_state())
    ub = b.get_update(a.get_state())
    b.apply_update(ua)
    a.apply_update(ub)


def encoding(doc: YDashboard, chart: str) -> Map:
    return doc.ydoc.get("charts", type=Map)[chart]["spec"]["encoding"]


# --- the file ---------------------------------------------------------------------------------


def test_the_ydoc_type_is_registered_with_jupyter_ydoc() -> None:
    assert jupyter_ydoc.ydocs["lgdash"] is YDashboard


def test_a_dashboard_file_round_trips_through_the_shared_document() -> None:
    # Given the text of a dashboard file
    text = dump_dashboard(DASHBOARD)
    # When the server loads it into a shared document and reads it back for saving
    doc = YDashboard()
    doc.set(text)
    # Then the same text comes out, and it parses to the same data (ints stay ints)
    assert doc.get() == text
    assert json.loads(doc.get()) == DASHBOARD
    assert json.loads(doc.get())["charts"]["c1"]["layout"]["w"] == 6
    assert isinstance(json.loads(doc.get())["charts"]["c1"]["layout"]["w"], int)


def test_the_file_is_canonical_and_readable_in_a_diff() -> None:
    text = dump_dashboard(DASHBOARD)
    lines = text.splitlines()
    assert lines[0] == "{" and text.endswith("}\n")
    assert '  "title": "Sales",' in lines
    assert "Revenue — by région <b>" in text  # not \\u-escaped
    # Charts by id, spec keys sorted: moving one chart changes only its layout lines.
    moved = json.loads(text)
    moved["charts"]["c2"]["layout"]["y"] = 4
    pairs = zip(text.splitlines(), dump_dashboard(moved).splitlines(), strict=True)
    diff = [(a, b) for a, b in pairs if a != b]
    assert diff == [('        "y": 0', '        "y": 4')]


def test_an_empty_file_is_an_empty_dashboard() -> None:
    doc = YDashboard()
    doc.set("")
    assert json.loads(doc.get()) == empty_dashboard()


def test_setting_the_same_content_writes_nothing() -> None:
    doc = YDashboard()
    doc.set(dump_dashboard(DASHBOARD))
    before = doc.ydoc.get_state()
    doc.set(dump_dashboard(DASHBOARD))
    assert doc.ydoc.get_state() == before


def test_an_out_of_band_change_keeps_untouched_charts() -> None:
    # Given the server's document and a client B in sync with it
    server, client = YDashboard(), YDashboard()
    server.set(dump_dashboard(DASHBOARD))
    sync(server.ydoc, client.ydoc)
    # When the file changes on disk in chart c1 only, while B edits chart c2
    changed = json.loads(dump_dashboard(DASHBOARD))
    changed["charts"]["c1"]["spec"]["mark"] = "line"
    server.set(dump_dashboard(changed))
    encoding(client, "c2")["x"] = {"field": "day"}
    sync(server.ydoc, client.ydoc)
    # Then both changes are kept: c2's Y items were not replaced by the reload
    saved = json.loads(server.get())
    assert saved["charts"]["c1"]["spec"]["mark"] == "line"
    assert saved["charts"]["c2"]["spec"]["encoding"] == {"x": {"field": "day"}}
    assert server.get() == client.get()


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(version=2), "version: must be 1"),
        (lambda d: d.update(charts=[]), "charts: must be an object"),
        (lambda d: d["charts"]["c1"]["layout"].update(w=13), "w must be 1..12"),
        (lambda d: d["charts"]["c1"]["layout"].update(x=8), "x + w must be <= 12"),
        (lambda d: d["charts"]["c1"]["layout"].update(y=-1), "x and y must be >= 0"),
        (lambda d: d["charts"]["c1"]["layout"].update(h="4"), "layout.h: must be an integer"),
        (lambda d: d["charts"]["c1"].pop("layout"), "c1.layout: must be an object"),
        (lambda d: d["charts"]["c1"].update(spec=[]), "c1.spec: must be a chart spec object"),
        (lambda d: d["charts"].update({"bad id!": d["charts"]["c2"]}), "a chart id is"),
        (lambda d: d["filters"][0].update(kind="slider"), "filters[0].kind"),
        (lambda d: d["filters"][1].update(value=[0]), "a range's value is [min, max]"),
        (lambda d: d["filters"][2].update(value=[1, 2]), "a daterange's value is [min, max]"),
        (lambda d: d["filters"][0].update(value="EMEA"), "a dropdown's value is a list"),
        (lambda d: d["filters"][1].update(id="f1"), "ids must be unique"),
        (lambda d: d.update(extra=1), "unknown keys ['extra']"),
    ],
)
def test_a_file_that_breaks_the_schema_is_refused_with_the_reason(mutate: Any, message: str) -> None:
    data = json.loads(json.dumps(DASHBOARD))
    mutate(data)
    with pytest.raises(DashboardError) as e:
        parse_dashboard(json.dumps(data))
    assert any(message in err for err in e.value.errors), e.value.errors


def test_a_bad_file_never_half_loads() -> None:
    # Given a loaded dashboard
    doc = YDashboard()
    doc.set(dump_dashboard(DASHBOARD))
    before = doc.get()
    # When a broken file is set
    with pytest.raises(DashboardError, match="not JSON"):
        doc.set('{"version": 1, "charts": {')
    bad = json.loads(before)
    bad["charts"]["c9"] = {"spec": {}, "layout": {"x": 11, "y": 0, "w": 6, "h": 1}}
    with pytest.raises(DashboardError):
        doc.set(json.dumps(bad))
    # Then the document is as it was
    assert doc.get() == before


# --- two clients ------------------------------------------------------------------------------


def two_clients() -> tuple[YDashboard, YDashboard]:
    a, b = YDashboard(), YDashboard()
    a.set(dump_dashboard(DASHBOARD))
    sync(a.ydoc, b.ydoc)
    assert b.get() == a.get()
    return a, b


def test_concurrent_edits_of_different_shelves_of_one_chart_both_survive() -> None:
    a, b = two_clients()
    # When A puts a field on x and B a field on color of the same chart, before either syncs
    encoding(a, "c1")["x"] = {"field": "country"}
    encoding(b, "c1")["color"] = {"field": "channel"}
    sync(a.ydoc, b.ydoc)
    # Then both edits are in both documents, and in the text saved
    for doc in (a, b):
        enc = json.loads(doc.get())["charts"]["c1"]["spec"]["encoding"]
        assert enc["x"] == {"field": "country"}
        assert enc["color"] == {"field": "channel"}
        assert enc["y"]["aggregate"] == "sum"
    assert a.get() == b.get()


def test_concurrent_move_resize_mark_and_title_edits_merge() -> None:
    a, b = two_clients()
    charts_a = a.ydoc.get("charts", type=Map)
    charts_b = b.ydoc.get("charts", type=Map)
    with a.ydoc.transaction():
        charts_a["c1"]["layout"]["x"] = 2.0
        charts_a["c1"]["layout"]["y"] = 4.0
        charts_a["c1"]["spec"]["mark"] = "area"
    with b.ydoc.transaction():
        charts_b["c1"]["layout"]["w"] = 10.0
        charts_b["c1"]["spec"]["title"] = "Revenue"
        b.ydoc.get("meta", type=Map)["title"] = "Sales 2025"
    sync(a.ydoc, b.ydoc)
    saved = json.loads(a.get())
    assert saved["charts"]["c1"]["layout"] == {"x": 2, "y": 4, "w": 10, "h": 4}
    assert saved["charts"]["c1"]["spec"]["mark"] == "area"
    assert saved["charts"]["c1"]["spec"]["title"] == "Revenue"
    assert saved["title"] == "Sales 2025"
    assert a.get() == b.get()


def test_charts_added_at_once_by_two_clients_are_both_kept() -> None:
    a, b = two_clients()
    for doc, cid, x in ((a, "ca", 0.0), (b, "cb", 6.0)):
        doc.ydoc.get("charts", type=Map)[cid] = Map(
            {
                "spec": Map({"version": 1.0, "mark": "pie", "encoding": Map({})}),
                "layout": Map({"x": x, "y": 8.0, "w": 6.0, "h": 3.0}),
            }
        )
    sync(a.ydoc, b.ydoc)
    assert set(json.loads(a.get())["charts"]) == {"c1", "c2", "ca", "cb"}
    assert a.get() == b.get()


def test_a_chart_removed_by_one_while_edited_by_the_other_stays_removed() -> None:
    a, b = two_clients()
    del a.ydoc.get("charts", type=Map)["c2"]
    encoding(b, "c2")["x"] = {"field": "day"}
    sync(a.ydoc, b.ydoc)
    assert "c2" not in json.loads(a.get())["charts"]
    assert a.get() == b.get()


def test_filters_added_concurrently_are_both_kept() -> None:
    a, b = two_clients()
    fa = Map({"id": "fa", "kind": "dropdown", "dataset": "sales", "column": "channel", "value": None})
    fb = Map({"id": "fb", "kind": "range", "dataset": "sales", "column": "units", "value": [1.0, 5.0]})
    a.yfilters.append(fa)
    b.yfilters.append(fb)
    sync(a.ydoc, b.ydoc)
    ids = [f["id"] for f in json.loads(a.get())["filters"]]
    assert ids[:3] == ["f1", "f2", "f3"] and sorted(ids[3:]) == ["fa", "fb"]
    assert json.loads(a.get())["filters"][ids.index("fb")]["value"] == [1, 5]
    assert a.get() == b.get()


def test_the_timeline_sees_every_edit() -> None:
    # The collaboration timeline replays updates into a fresh document and keeps those that grow
    # its undo stack; every root must be in the undo manager's scope for a step to be recorded.
    a, _ = two_clients()
    replay = YDashboard(Doc())
    steps = 0
    updates: list[bytes] = []
    replay.ydoc.apply_update(a.ydoc.get_update())
    replay.undo_manager.clear()
    a.ydoc.observe(lambda event: updates.append(event.update))
    a.ydoc.get("meta", type=Map)["title"] = "T"
    encoding(a, "c1")["x"] = {"field": "day"}
    a.yfilters.append(Map({"id": "f9", "kind": "dropdown", "dataset": "s", "column": "c", "value": None}))
    for update in updates:
        size = len(replay.undo_manager.undo_stack)
        replay.ydoc.apply_update(update)
        steps += len(replay.undo_manager.undo_stack) > size
    assert steps == 3


def test_concurrent_edits_of_different_keys_of_one_shelf_both_survive() -> None:
    a, b = two_clients()
    # Given each shelf is a map of its own keys, loaded from the file
    shelf_a, shelf_b = encoding(a, "c1")["y"], encoding(b, "c1")["y"]
    assert isinstance(shelf_a, Map) and isinstance(shelf_b, Map)
    # When A changes y's field and B y's aggregate, before either syncs
    shelf_a["field"] = "units"
    shelf_b["aggregate"] = "mean"
    sync(a.ydoc, b.ydoc)
    # Then both changes are in both documents, and in the text saved
    for doc in (a, b):
        y = json.loads(doc.get())["charts"]["c1"]["spec"]["encoding"]["y"]
        assert y == {"field": "units", "aggregate": "mean", "title": "Revenue"}
    assert a.get() == b.get()


def test_a_reload_writes_only_the_shelf_keys_that_changed() -> None:
    a, b = two_clients()
    # When the file changes y's aggregate on disk while B changes y's title
    changed = json.loads(a.get())
    changed["charts"]["c1"]["spec"]["encoding"]["y"]["aggregate"] = "max"
    changed["charts"]["c1"]["spec"]["encoding"]["tooltip"] = [{"field": "units"}]
    a.set(dump_dashboard(changed))
    encoding(b, "c1")["y"]["title"] = "Best revenue"
    sync(a.ydoc, b.ydoc)
    # Then both are kept; the tooltip stays a plain list
    saved = json.loads(b.get())["charts"]["c1"]["spec"]["encoding"]
    assert saved["y"] == {"field": "revenue", "aggregate": "max", "title": "Best revenue"}
    assert saved["tooltip"] == [{"field": "units"}]
    assert not isinstance(encoding(a, "c1")["tooltip"], Map)
    assert a.get() == b.get()
