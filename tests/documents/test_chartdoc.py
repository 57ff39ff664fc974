"""The chart file (``.lgchart``) and its shared document: schema, round trip, and concurrent edits merging."""

from __future__ import annotations

import difflib
import json
from typing import Any

import jupyter_ydoc
import pytest
from pycrdt import Map

from livegraphs_ext.documents.chartdoc import ChartFileError, YChart, dump_chart, empty_chart, parse_chart

from .test_dashboard import SPEC_BAR, sync

SPEC: dict[str, Any] = {**SPEC_BAR, "dataset": {"id": "0" * 32, "version": 3}, "max_marks": 2000}


def encoding(doc: YChart) -> Map:
    return doc.ydoc.get("spec", type=Map)["encoding"]


def test_the_ydoc_type_is_registered_with_jupyter_ydoc() -> None:
    assert jupyter_ydoc.ydocs["lgchart"] is YChart


def test_a_chart_file_round_trips_through_the_shared_document() -> None:
    # Given the text of a chart file
    text = dump_chart(SPEC)
    # When the server loads it into a shared document and reads it back for saving
    doc = YChart()
    doc.set(text)
    # Then the very same text comes out, and it is the spec (ints stay ints)
    assert doc.get() == text
    assert json.loads(doc.get()) == SPEC
    assert isinstance(json.loads(doc.get())["limit"], int)


def test_the_file_is_the_spec_as_pretty_json_readable_in_a_diff() -> None:
    text = dump_chart(SPEC)
    lines = text.splitlines()
    # The spec's keys in the order docs/charts.md lists them, one field per line
    assert lines[:3] == ["{", '  "version": 1,', '  "dataset": {']
    assert list(json.loads(text)) == [
        "version",
        "dataset",
        "mark",
        "encoding",
        "filters",
        "sort",
        "limit",
        "options",
        "title",
        "max_marks",
    ]
    assert "Revenue — by région <b>" in text  # not \\u-escaped
    # Putting a field on another shelf adds only that shelf's lines
    changed = json.loads(text)
    changed["encoding"]["color"] = {"field": "channel"}
    diff = difflib.ndiff(lines, dump_chart(changed).splitlines())
    assert [line for line in diff if line[0] in "+-"] == [
        '+     "color": {',
        '+       "field": "channel"',
        "+     },",
    ]


def test_an_empty_file_is_a_chart_with_nothing_on_its_shelves() -> None:
    doc = YChart()
    doc.set("")
    assert json.loads(doc.get()) == empty_chart() == {"version": 1, "encoding": {}}


def test_setting_the_same_content_writes_nothing() -> None:
    doc = YChart()
    doc.set(dump_chart(SPEC))
    before = doc.ydoc.get_state()
    doc.set(dump_chart(SPEC))
    assert doc.ydoc.get_state() == before


def test_a_reload_keeps_the_y_items_of_untouched_shelves() -> None:
    # Given the server's document and a client in sync with it
    server, client = YChart(), YChart()
    server.set(dump_chart(SPEC))
    sync(server.ydoc, client.ydoc)
    # When the file changes on disk (the mark) while the client puts a field on color
    changed = json.loads(dump_chart(SPEC))
    changed["mark"] = "line"
    server.set(dump_chart(changed))
    encoding(client)["color"] = {"field": "channel"}
    sync(server.ydoc, client.ydoc)
    # Then both changes are kept
    saved = json.loads(server.get())
    assert saved["mark"] == "line"
    assert saved["encoding"]["color"] == {"field": "channel"}
    assert server.get() == client.get()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"version": 1, "encoding": {', "not JSON: "),
        ("[1, 2]", "the chart: must be a chart spec object"),
        ('{"version": 2, "encoding": {}}', "version: must be 1"),
        ('{"encoding": {}}', "version: must be 1"),
        ('{"version": 1, "encoding": []}', "encoding: must be an object of channel -> field"),
        ('{"version": 1, "encoding": {"x": "region"}}', "encoding.x: must be a field object"),
        ('{"version": 1, "encoding": {"shape": {"field": "a"}}}', "encoding.shape: not a channel"),
        (
            '{"version": 1, "encoding": {"tooltip": {"field": "a"}}}',
            "encoding.tooltip: must be a list of fields",
        ),
        (
            '{"version": 1, "dataset": "sales", "encoding": {}}',
            'dataset: must be {"id": …}, {"name": …} or {"sql": …}',
        ),
        ('{"version": 1, "dataset": {"version": 2}, "encoding": {}}', 'dataset: must be {"id": …}'),
        ('{"version": 1, "mark": "donut", "encoding": {}}', "mark: must be one of bar, line"),
        ('{"version": 1, "encoding": {}, "filters": {}}', "filters: must be a list"),
        ('{"version": 1, "encoding": {}, "title": 3}', "title: must be a string"),
        ('{"version": 1, "encoding": {}, "limit": "10"}', "limit: must be a number"),
        ('{"version": 1, "encoding": {}, "charts": {}}', "the chart: unknown keys ['charts']"),
    ],
)
def test_a_file_that_is_not_a_chart_spec_is_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(ChartFileError) as e:
        parse_chart(text)
    assert any(err.startswith(message) for err in e.value.errors), e.value.errors


def test_every_problem_is_listed_at_once() -> None:
    with pytest.raises(ChartFileError) as e:
        parse_chart('{"version": 2, "mark": "donut", "encoding": {"x": 1}}')
    assert e.value.errors == [
        "version: must be 1",
        "mark: must be one of bar, line, area, scatter, pie, heatmap, histogram, box, map, kpi, table",
        "encoding.x: must be a field object",
    ]


def test_a_bad_file_never_half_loads() -> None:
    doc = YChart()
    doc.set(dump_chart(SPEC))
    before = doc.get()
    bad = {**SPEC, "mark": "donut", "encoding": {"x": {"field": "day"}}}
    with pytest.raises(ChartFileError):
        doc.set(json.dumps(bad))
    assert doc.get() == before


# --- two clients ------------------------------------------------------------------------------


def two_clients() -> tuple[YChart, YChart]:
    a, b = YChart(), YChart()
    a.set(dump_chart(SPEC))
    sync(a.ydoc, b.ydoc)
    assert b.get() == a.get()
    return a, b


def test_concurrent_edits_of_different_shelves_both_survive() -> None:
    a, b = two_clients()
    # When A puts a field on x and B another on color, before either syncs
    encoding(a)["x"] = {"field": "country"}
    encoding(b)["color"] = {"field": "channel", "title": "Sales channel"}
    sync(a.ydoc, b.ydoc)
    # Then both edits are in both documents, and in the text both would save
    for doc in (a, b):
        enc = json.loads(doc.get())["encoding"]
        assert enc["x"] == {"field": "country"}
        assert enc["color"] == {"field": "channel", "title": "Sales channel"}
        assert enc["y"] == SPEC["encoding"]["y"]
    assert a.get() == b.get()


def test_concurrent_mark_title_and_shelf_edits_merge() -> None:
    a, b = two_clients()
    with a.ydoc.transaction():
        a.yspec["mark"] = "area"
        del encoding(a)["y"]
    with b.ydoc.transaction():
        b.yspec["title"] = "Revenue"
        encoding(b)["size"] = {"field": "units", "aggregate": "sum"}
    sync(a.ydoc, b.ydoc)
    saved = json.loads(a.get())
    assert saved["mark"] == "area" and saved["title"] == "Revenue"
    assert saved["encoding"] == {"x": {"field": "region"}, "size": {"field": "units", "aggregate": "sum"}}
    assert a.get() == b.get()


def test_concurrent_edits_of_different_keys_of_one_shelf_both_survive() -> None:
    a, b = two_clients()
    # Given each shelf is a map of its own keys
    assert isinstance(encoding(a)["x"], Map)
    # When A changes x's field and B bins x and names it, before either syncs
    encoding(a)["x"]["field"] = "revenue"
    with b.ydoc.transaction():
        encoding(b)["x"]["bin"] = {"maxbins": 10.0}
        encoding(b)["x"]["title"] = "Revenue band"
    sync(a.ydoc, b.ydoc)
    # Then the shelf holds all three in both documents, and the file text is plain JSON
    for doc in (a, b):
        x = json.loads(doc.get())["encoding"]["x"]
        assert x == {"field": "revenue", "bin": {"maxbins": 10}, "title": "Revenue band"}
    assert a.get() == b.get()
    assert a.get() == dump_chart(a.to_dict())


def test_a_shelf_written_whole_by_an_older_client_becomes_a_map_on_reload() -> None:
    # Given a document whose x shelf an older client wrote as one plain value
    doc = YChart()
    doc.set(dump_chart(SPEC))
    encoding(doc)["x"] = {"field": "country"}
    assert not isinstance(encoding(doc)["x"], Map)
    text = doc.get()
    # When the same content is loaded again
    doc.set(text)
    # Then the shelf is a Map of its keys, and the content is unchanged
    assert isinstance(encoding(doc)["x"], Map)
    assert doc.get() == text


def test_overlays_set_at_once_by_two_clients_merge_into_one_valid_list() -> None:
    from livegraphs_ext.store.charts import check_shape

    a, b = two_clients()
    # When A adds a trend and B a forecast at the same moment, each writing the whole list
    a.yspec["overlays"] = [{"kind": "trend", "method": "loess"}]
    b.yspec["overlays"] = [{"kind": "forecast", "periods": 6}]
    sync(a.ydoc, b.ydoc)
    # Then both documents keep one of the two lists whole (never a mix of their items),
    # and the spec they save is still a valid chart file and a valid spec
    saved = json.loads(a.get())
    assert a.get() == b.get()
    assert saved["overlays"] in ([{"kind": "trend", "method": "loess"}], [{"kind": "forecast", "periods": 6}])
    assert parse_chart(a.get()) == saved
    check_shape(saved)
