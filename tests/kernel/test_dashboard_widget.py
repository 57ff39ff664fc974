"""``lg.Dashboard(path)``: a dashboard file in a notebook, its charts run by the kernel, following it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

import livegraphs_ext as lg
from livegraphs_ext.kernel.dashboard_widget import DashboardFileError
from livegraphs_ext.kernel.widgets import decode_result

from .test_widgets import lg_nb_store, lg_sales  # noqa: F401 - fixtures


def lg_dashboard_data(dataset_id: str, **changes: Any) -> dict[str, Any]:
    data = {
        "version": 1,
        "title": "Sales <b>board</b>",
        "crossfilter": True,
        "filters": [
            {"id": "f1", "kind": "dropdown", "dataset": dataset_id, "column": "region", "value": ["EMEA"]},
            {"id": "f2", "kind": "range", "dataset": dataset_id, "column": "units", "value": None},
        ],
        "charts": {
            "c1": {
                "spec": {
                    "version": 1,
                    "dataset": {"id": dataset_id},
                    "mark": "bar",
                    "encoding": {"x": {"field": "region"}, "y": {"field": "revenue", "aggregate": "sum"}},
                    "title": "Revenue by region",
                },
                "layout": {"x": 0, "y": 0, "w": 6, "h": 4},
            },
            "c2": {
                "spec": {
                    "version": 1,
                    "dataset": {"id": dataset_id},
                    "mark": "bar",
                    "encoding": {"x": {"field": "product"}, "y": {"aggregate": "count"}},
                },
                "layout": {"x": 6, "y": 0, "w": 6, "h": 4},
            },
        },
    }
    data.update(changes)
    return data


@pytest.fixture
def lg_dash_file(tmp_path: Path, lg_sales: dict[str, Any]) -> Path:  # noqa: F811
    path = tmp_path / "sales.lgdash"
    path.write_text(json.dumps(lg_dashboard_data(lg_sales["id"])))
    return path


class Sent:
    """What a widget sent its views."""

    def __init__(self, widget: Any):
        self.messages: list[tuple[dict[str, Any], list[bytes]]] = []
        widget.send = lambda content, buffers=None: self.messages.append((content, list(buffers or [])))

    def last(self) -> tuple[dict[str, Any], list[bytes]]:
        return self.messages[-1]


def ask(widget: Any, content: dict[str, Any]) -> tuple[dict[str, Any], list[bytes]]:
    """Deliver a view's message the way ipywidgets does and answer the reply."""
    sent = Sent(widget)
    widget._handle_custom_msg(content, [])
    assert len(sent.messages) == 1
    return sent.last()


def rows(data: bytes) -> list[dict[str, Any]]:
    meta, table = decode_result(data)
    names = [f["name"] for f in meta["fields"]]
    return [dict(zip(names, r.values(), strict=True)) for r in table.to_pylist()]


def test_the_widget_holds_the_file_as_its_state(lg_dash_file: Path, lg_sales: dict[str, Any]):  # noqa: F811
    # When a dashboard file is shown
    board = lg.Dashboard(lg_dash_file)

    # Then the widget's synced state is the file's content, and the API reads it
    assert board._view_kind == "dashboard"
    assert board.dashboard == json.loads(lg_dash_file.read_text())
    assert board.path == lg_dash_file
    assert board.title == "Sales <b>board</b>"
    assert set(board.charts) == {"c1", "c2"}
    assert board.charts["c1"]["title"] == "Revenue by region"
    assert board.error == ""
    # no results sit in the widget's state
    assert not any(isinstance(v, bytes) for v in board.get_state().values())


def test_a_view_gets_a_charts_result_as_arrow_bytes(lg_dash_file: Path):
    board = lg.Dashboard(lg_dash_file)

    # When a view asks for a chart with no extra conditions
    reply, buffers = ask(board, {"type": "query", "request": "v:1", "chart": "c1", "conditions": []})

    # Then the kernel answers its result, for that request
    assert reply == {"type": "result", "request": "v:1", "chart": "c1", "error": ""}
    by_region = {r["x"]: r["y"] for r in rows(buffers[0])}
    assert by_region["EMEA"] == pytest.approx(630.5)
    assert by_region["APAC"] == pytest.approx(155.0)
    assert len(by_region) == 4


def test_a_views_filters_and_selections_narrow_the_chart_the_kernel_runs(lg_dash_file: Path):
    board = lg.Dashboard(lg_dash_file)

    # When the view's filter (region EMEA) and a selection in another chart (units 2..5) arrive
    conditions = [
        {"column": "region", "cmp": "in", "value": ["EMEA", "APAC"]},
        {"column": "units", "cmp": "between", "value": [2, 5]},
    ]
    _, buffers = ask(board, {"type": "query", "request": "v:2", "chart": "c2", "conditions": conditions})

    # Then the kernel ran the file's spec of that chart with those conditions
    counts = {r["x"]: r["y"] for r in rows(buffers[0])}
    assert counts == {"Gadget": 2, "Widget": 2}


def test_the_spec_of_a_chart_applies_the_saved_filters(lg_dash_file: Path, lg_sales: dict[str, Any]):  # noqa: F811
    board = lg.Dashboard(lg_dash_file)

    # The saved dropdown value (EMEA) applies; the range filter with no value restricts nothing
    spec = board.spec("c1")
    assert spec["filters"] == [{"column": "region", "cmp": "in", "value": ["EMEA"]}]

    # and .chart(id) draws that spec as a chart widget, run by the kernel
    one = board.chart("c1")
    assert isinstance(one, lg.ChartWidget)
    assert one.spec == spec
    assert one.error == ""
    assert list(one.data["x"]) == ["EMEA"]


def test_a_dropdown_offers_the_columns_values(lg_dash_file: Path):
    board = lg.Dashboard(lg_dash_file)

    reply, _ = ask(board, {"type": "values", "request": "v:3", "filter": "f1"})

    assert reply["error"] == ""
    assert reply["values"] == ["<img src=x onerror=alert(1)>", "AMER", "APAC", "EMEA"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"chart": "nope", "conditions": []}, "No chart 'nope'"),
        ({"chart": "c1", "conditions": "region"}, "conditions must be a list"),
        ({"chart": "c1", "conditions": [{"column": "nope", "cmp": "eq", "value": 1}]}, "nope"),
    ],
)
def test_a_bad_request_is_answered_with_an_error_and_no_result(
    lg_dash_file: Path, content: dict[str, Any], message: str
):
    board = lg.Dashboard(lg_dash_file)

    reply, buffers = ask(board, {"type": "query", "request": "v:4", **content})

    assert message in reply["error"]
    assert buffers == []


def test_a_missing_file_is_named_in_the_error(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match=r"No dashboard file at .*gone\.lgdash"):
        lg.Dashboard(tmp_path / "gone.lgdash")


def test_an_invalid_file_is_refused_with_its_path_and_every_problem(tmp_path: Path):
    path = tmp_path / "bad.lgdash"
    path.write_text(json.dumps({"version": 2, "charts": {"c1": {"spec": {}, "layout": {"x": 0}}}}))

    with pytest.raises(DashboardFileError) as caught:
        lg.Dashboard(path)

    text = str(caught.value)
    assert str(path) in text
    assert "version: must be 1" in text
    assert "charts.c1.layout.y: must be an integer" in text


def test_a_changed_file_is_read_again_and_a_broken_one_keeps_the_last_good(
    lg_dash_file: Path,
    lg_sales: dict[str, Any],  # noqa: F811
):
    board = lg.Dashboard(lg_dash_file)

    # When someone's edit is autosaved (a chart removed, the title changed)
    data = lg_dashboard_data(lg_sales["id"], title="Renamed")
    del data["charts"]["c2"]
    lg_dash_file.write_text(json.dumps(data) + " ")
    assert board.check_file() is True

    # Then the widget shows the new content
    assert board.title == "Renamed"
    assert set(board.charts) == {"c1"}
    assert board.check_file() is False

    # When the file becomes invalid, the last good dashboard stays, with the reason
    lg_dash_file.write_text("{not json")
    assert board.check_file() is True
    assert board.title == "Renamed"
    assert str(lg_dash_file) in board.error
    assert "not JSON" in board.error


def test_refresh_reads_the_file_and_has_the_views_run_their_charts_again(
    lg_dash_file: Path,
    lg_sales: dict[str, Any],  # noqa: F811
):
    board = lg.Dashboard(lg_dash_file)
    sent = Sent(board)
    lg_dash_file.write_text(json.dumps(lg_dashboard_data(lg_sales["id"], crossfilter=False)))

    board.refresh()

    assert board.dashboard["crossfilter"] is False
    assert sent.messages == [({"type": "refresh"}, [])]


async def test_in_a_kernels_loop_the_widget_follows_its_file(
    lg_dash_file: Path,
    lg_sales: dict[str, Any],  # noqa: F811
):
    # Given a dashboard widget made inside a running asyncio loop (as in ipykernel)
    board = lg.Dashboard(lg_dash_file, poll_interval=0.02)
    assert board._watch is not None

    # When the file changes
    lg_dash_file.write_text(json.dumps(lg_dashboard_data(lg_sales["id"], title="From the lab")))

    # Then the widget picks the change up by itself
    for _ in range(500):
        if board.title == "From the lab":
            break
        await asyncio.sleep(0.02)
    assert board.title == "From the lab"

    # and stops watching when closed
    watch = board._watch
    board.close()
    await asyncio.sleep(0)
    assert watch.cancelled() or watch.done()


def test_a_chart_file_is_drawn_by_lg_chart(tmp_path: Path, lg_sales: dict[str, Any]):  # noqa: F811
    spec = {
        "version": 1,
        "dataset": {"id": lg_sales["id"]},
        "mark": "bar",
        "encoding": {"x": {"field": "region"}, "y": {"aggregate": "count"}},
    }
    path = tmp_path / "regions.lgchart"
    path.write_text(json.dumps(spec))

    c = lg.chart(str(path), height=300)

    assert c.spec == spec
    assert c.height == 300
    assert c.error == ""
    assert dict(zip(c.data["x"], c.data["y"], strict=True))["EMEA"] == 3


def test_a_chart_with_the_automatic_mark_is_drawn_with_the_mark_the_builder_shows(
    tmp_path: Path,
    lg_sales: dict[str, Any],  # noqa: F811
):
    # Given a chart file and a dashboard chart saved with region on x and no mark (automatic)
    spec = {"version": 1, "dataset": {"id": lg_sales["id"]}, "encoding": {"x": {"field": "region"}}}
    path = tmp_path / "regions.lgchart"
    path.write_text(json.dumps(spec))
    dash = tmp_path / "auto.lgdash"
    charts = {"c1": {"spec": spec, "layout": {"x": 0, "y": 0, "w": 6, "h": 4}}}
    dash.write_text(json.dumps(lg_dashboard_data(lg_sales["id"], charts=charts)))

    # When lg.chart draws the file and lg.Dashboard runs the chart
    c = lg.chart(str(path))
    reply, buffers = ask(
        lg.Dashboard(dash), {"type": "query", "request": "v:1", "chart": "c1", "conditions": []}
    )

    # Then both draw bars of the count of records by region
    assert c.error == "" and c.spec["mark"] == "bar"
    assert dict(zip(c.data["x"], c.data["y"], strict=True))["EMEA"] == 3
    assert reply["error"] == ""
    assert {r["x"]: r["y"] for r in rows(buffers[0])}["EMEA"] == 3


@pytest.mark.parametrize(
    ("content", "error", "message"),
    [
        (None, FileNotFoundError, "No chart file at"),
        ("[1, 2]", ValueError, "must be a chart spec object"),
        ('{"version": 2, "dataset": 3}', ValueError, "version: must be 1; dataset: must be"),
        ("{", ValueError, "not JSON"),
    ],
)
def test_a_bad_chart_file_is_refused_naming_it(
    tmp_path: Path, content: str | None, error: type[Exception], message: str
):
    path = tmp_path / "c.lgchart"
    if content is not None:
        path.write_text(content)

    with pytest.raises(error, match=message) as caught:
        lg.chart(str(path))

    assert "c.lgchart" in str(caught.value)


def test_a_chart_file_is_the_whole_spec(tmp_path: Path):
    with pytest.raises(TypeError, match="'mark'"):
        lg.chart(str(tmp_path / "c.lgchart"), mark="bar")
