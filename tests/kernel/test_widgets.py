"""The notebook chart widgets: specs from Python, results as Arrow IPC bytes, the builder's Python line."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import livegraphs_ext as lg
from livegraphs_ext.kernel import notebook
from livegraphs_ext.kernel.widgets import CHART_MIMETYPE, decode_result, field_ref, python_code, suggest_mark
from livegraphs_ext.store import DatasetStore, StoreConfig
from livegraphs_ext.store.charts import run_chart

SALES = (
    "order_date,region,product,revenue,units\n"
    "2025-01-03,EMEA,Widget,120.5,3\n"
    "2025-01-17,APAC,Gadget,80.0,2\n"
    "2025-02-02,EMEA,Gadget,200.0,5\n"
    "2025-02-20,AMER,Widget,50.25,1\n"
    "2025-03-05,APAC,Widget,75.0,2\n"
    "2025-03-28,EMEA,Widget,310.0,7\n"
    '2025-03-29,"<img src=x onerror=alert(1)>",Gadget,10.0,1\n'
)


@pytest.fixture
def lg_nb_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DatasetStore]:
    """A store that this test's kernel-side helpers (``lg.*``) read."""
    monkeypatch.setenv("LIVEGRAPHS_DATA_DIR", str(tmp_path / "nb"))
    notebook._store.cache_clear()
    store = DatasetStore(StoreConfig(root=tmp_path / "nb"))
    yield store
    notebook._store.cache_clear()
    store.close()


@pytest.fixture
def lg_sales(lg_nb_store: DatasetStore) -> dict[str, Any]:
    src = lg_nb_store.staging_path()
    src.write_text(SALES)
    return lg_nb_store.create_from_file(src, name="sales", owner="ada", content_type="text/csv")


def test_chart_builds_the_spec_from_shorthands(lg_sales: dict[str, Any]):
    # When a chart is made with shorthands and a mark option
    c = lg.chart(
        "sales", mark="bar", x="month(order_date)", y="sum(revenue)", color="region", stack="stacked"
    )

    # Then its spec is the documented one, pinned to the dataset's id
    assert c.spec == {
        "version": 1,
        "dataset": {"id": lg_sales["id"]},
        "mark": "bar",
        "encoding": {
            "x": {"field": "order_date", "timeUnit": "month"},
            "y": {"field": "revenue", "aggregate": "sum"},
            "color": {"field": "region"},
        },
        "options": {"stack": "stacked"},
    }
    assert c.error == ""


def test_chart_with_nothing_placed_and_no_mark_names_what_is_missing(lg_sales: dict[str, Any]):
    # When a chart is asked for with no field and no mark, "show me" has nothing to suggest
    with pytest.raises(ValueError, match="nothing to draw"):
        lg.chart("sales")

    # Then a mark alone still makes a chart
    assert lg.chart("sales", mark="kpi").spec["mark"] == "kpi"


def test_spec_round_trips_and_result_bytes_decode_to_the_engines_result(
    lg_sales: dict[str, Any], lg_nb_store: DatasetStore
):
    # Given a chart widget
    c = lg.chart("sales", mark="bar", x="region", y="sum(revenue)", title="Revenue <b>by</b> region")

    # When its spec is given to a new widget
    again = lg.ChartWidget(c.spec)

    # Then the spec comes back unchanged and both carry the same bytes
    assert again.spec == c.spec
    assert again.result == c.result and isinstance(c.result, bytes) and len(c.result) > 0

    # And the bytes are Arrow IPC that decode to what the engine answers for that spec
    meta, table = decode_result(c.result)
    expected = run_chart(lg_nb_store, c.spec).to_json()
    assert meta["fields"] == expected["fields"]
    assert meta["marks"] == expected["marks"] == 4
    assert meta["source_rows"] == expected["source_rows"] == 7
    assert {f["name"]: table.column(f["name"]).to_pylist() for f in meta["fields"]} == expected["data"]
    assert isinstance(table, pa.Table)
    # and the DataFrame view holds the same numbers
    assert sorted(c.data["y"].round(2)) == sorted(round(v, 2) for v in expected["data"]["y"])


def test_a_new_spec_from_python_redraws(lg_sales: dict[str, Any]):
    c = lg.chart("sales", mark="bar", x="region", y="sum(revenue)")
    before = c.result

    # When the spec is replaced by a line over months
    c.spec = {
        **c.spec,
        "mark": "line",
        "encoding": {"x": field_ref("month(order_date)"), "y": field_ref("count()")},
    }

    # Then the result follows: three months, counted
    meta, table = decode_result(c.result)
    assert c.result != before
    assert [f["name"] for f in meta["fields"]] == ["x", "y"]
    assert table.column("y").to_pylist() == [2, 2, 3]


def test_the_display_bundle_carries_the_spec_next_to_the_widget_view(lg_sales: dict[str, Any]):
    # Given a chart widget
    c = lg.chart("sales", mark="bar", x="region", y="sum(revenue)", height=300)

    # When IPython asks for its display bundle
    shown = c._repr_mimebundle_()

    # Then it holds the widget view and the data-only chart with the spec, as JSON
    assert shown is not None
    bundle = shown[0]
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == c.model_id
    assert bundle[CHART_MIMETYPE] == {"spec": c.spec, "height": 300}
    assert json.loads(json.dumps(bundle[CHART_MIMETYPE]))["spec"]["encoding"]["x"] == {"field": "region"}


def test_a_widget_without_a_spec_has_no_data_only_chart(lg_sales: dict[str, Any]):
    shown = lg.ChartWidget(None)._repr_mimebundle_()
    assert shown is not None
    bundle = shown[0]
    assert CHART_MIMETYPE not in bundle
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_a_bad_spec_sets_an_error_naming_the_channel_and_no_result(lg_sales: dict[str, Any]):
    c = lg.chart("sales", mark="bar", x="region", y="sum(region)")
    assert c.result == b""
    assert "encoding.y" in c.error and "region" in c.error

    # and fixing it clears the error
    c.spec = {**c.spec, "encoding": {"x": {"field": "region"}, "y": {"field": "units", "aggregate": "sum"}}}
    assert c.error == "" and c.result


def test_query_chart_runs_the_engine_in_process(lg_sales: dict[str, Any]):
    spec = {
        "version": 1,
        "dataset": {"id": lg_sales["id"]},
        "mark": "kpi",
        "encoding": {"y": field_ref("sum(units)")},
    }
    result = lg.query_chart(spec).to_json()
    assert result["data"]["y"] == [21]


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("revenue", {"field": "revenue"}),
        ("sum(revenue)", {"field": "revenue", "aggregate": "sum"}),
        ("month(order_date)", {"field": "order_date", "timeUnit": "month"}),
        ("bin(revenue)", {"field": "revenue", "bin": True}),
        ("count()", {"aggregate": "count"}),
        ("count(month(order_date))", {"field": "order_date", "timeUnit": "month", "aggregate": "count"}),
        ("f(x)", {"field": "f(x)"}),
    ],
)
def test_field_shorthands(text: str, ref: dict[str, Any]):
    assert field_ref(text) == ref


def test_a_column_named_like_a_call_is_that_column():
    assert field_ref("sum(x)", columns={"sum(x)"}) == {"field": "sum(x)"}
    with pytest.raises(ValueError, match="needs a column"):
        field_ref("sum()")


def test_builder_lists_the_fields_and_gives_the_line_that_recreates_its_chart(lg_sales: dict[str, Any]):
    # Given a builder on the dataset
    b = lg.ChartBuilder("sales")
    assert b.dataset["name"] == "sales"
    assert {c["name"]: c["type"] for c in b.dataset["columns"]} == {
        "order_date": "date", "region": "string", "product": "string", "revenue": "float", "units": "integer",
    }  # fmt: skip
    assert b.spec is None and b.result == b"" and b.code == ""

    # When the front end puts a spec on it (as dragging fields does)
    spec = {
        "version": 1,
        "dataset": {"id": lg_sales["id"]},
        "mark": "bar",
        "encoding": {
            "x": {"field": "region"},
            "y": {"field": "revenue", "aggregate": "mean", "title": 'Avg "revenue"'},
            "tooltip": [{"field": "units", "aggregate": "sum"}],
        },
        "filters": [{"column": "product", "cmp": "in", "value": ["Widget"]}],
        "title": "Widgets",
    }
    b.spec = spec

    # Then the kernel answers with a result
    meta, _ = decode_result(b.result)
    assert meta["marks"] == 3

    # And the Python line recreates exactly that spec
    assert b.code.startswith('lg.chart("sales", mark="bar", x="region", ')
    made = eval(b.code, {"lg": lg})  # the line is ours
    assert made.spec == spec
    assert made.result == b.result


def test_python_code_uses_dicts_where_a_shorthand_would_be_ambiguous():
    spec = {
        "version": 1,
        "dataset": {"id": "abc", "version": 2},
        "mark": "scatter",
        "encoding": {"x": {"field": "a(b)"}, "y": {"field": "y", "bin": {"maxbins": 10}}},
    }
    code = python_code(spec, "d")
    assert code == (
        'lg.chart("d", mark="scatter", x={"field": "a(b)"}, '
        'y={"field": "y", "bin": {"maxbins": 10}}, version=2)'
    )


@pytest.mark.parametrize(
    ("encoding", "mark"),
    [
        ({"x": {"field": "region"}, "y": {"field": "revenue", "aggregate": "sum"}}, "bar"),
        ({"x": {"field": "order_date", "timeUnit": "month"}, "y": {"aggregate": "count"}}, "line"),
        ({"x": {"field": "revenue"}, "y": {"field": "units"}}, "scatter"),
        ({"x": {"field": "revenue"}}, "histogram"),
        ({"y": {"field": "revenue", "aggregate": "sum"}}, "kpi"),
        ({"x": {"field": "region"}, "y": {"field": "product"}}, "heatmap"),
        ({"x": {"field": "region"}, "y": {"field": "revenue"}}, "bar"),
        ({"latitude": {"field": "revenue"}, "longitude": {"field": "units"}}, "map"),
    ],
)
def test_show_me_suggests_the_mark_that_fits(encoding: dict[str, Any], mark: str):
    columns = {
        "region": {"type": "string"},
        "product": {"type": "string"},
        "revenue": {"type": "float"},
        "units": {"type": "integer"},
        "order_date": {"type": "date"},
    }
    assert suggest_mark(encoding, columns) == mark


def test_widget_esm_is_the_loader_and_reaches_no_jupyterlab_module():
    from livegraphs_ext.kernel.widgets import _STATIC, ChartWidget

    # The widget's state carries the small loader the build writes, not the bundle
    assert str(ChartWidget._esm) == (_STATIC / "loader.js").read_text()
    assert len(str(ChartWidget._esm)) < 4_000 < 100_000 < len((_STATIC / "widget.js").read_bytes())
    assert not hasattr(ChartWidget, "_css")

    # and no source module it imports, directly or not, imports @jupyterlab/*
    seen = _modules_reached_without_jupyterlab(_ROOT / "js" / "widget" / "index.ts")
    assert _ROOT / "src" / "charts" / "view.ts" in seen
    assert _ROOT / "src" / "charts" / "builder" / "builder.ts" in seen
    assert _ROOT / "src" / "dashboard" / "crossfilter.ts" in seen


def test_the_viewer_page_reaches_no_jupyterlab_module():
    # the standalone page (js/viewer) runs with no JupyterLab: not one of its modules imports it
    seen = _modules_reached_without_jupyterlab(_ROOT / "js" / "viewer" / "index.ts")
    assert _ROOT / "js" / "viewer" / "live.ts" in seen
    assert _ROOT / "js" / "widget" / "dashboard.ts" in seen
    assert _ROOT / "src" / "charts" / "view.ts" in seen


_ROOT = Path(__file__).resolve().parents[2]


def _modules_reached_without_jupyterlab(entry: Path) -> set[Path]:
    """The source modules ``entry`` imports, directly or not; fails on any that imports @jupyterlab/*."""
    todo, seen = [entry], set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        text = path.read_text()
        assert not re.search(r"""(from|import)\s*\(?\s*'@jupyterlab/""", text), path
        for spec in re.findall(r"from '(\.[^']+)'", text):
            target = (path.parent / spec).resolve()
            if target.suffix not in (".css", ".svg"):  # styles and icons are text, not modules
                todo.append(target.with_suffix(".ts"))
    return seen


def test_a_spec_of_a_missing_dataset_or_a_wrong_shape_shows_an_error(lg_sales: dict[str, Any]):
    missing = lg.ChartWidget(
        {"version": 1, "dataset": {"id": "0" * 32}, "mark": "bar", "encoding": {"x": {"field": "region"}}}
    )
    assert missing.result == b"" and missing.error
    shapeless = lg.ChartWidget({"version": 1, "dataset": {"id": lg_sales["id"]}, "mark": "no-such-mark"})
    assert shapeless.result == b"" and "mark" in shapeless.error


def test_chart_takes_overlays_and_its_result_carries_them(lg_sales: dict[str, Any]):
    # Given a scatter of units against revenue with a linear trend, from Python
    c = lg.chart("sales", mark="scatter", x="revenue", y="units", overlays=[{"kind": "trend"}])

    # Then the spec holds the overlay, and the widget's result its line
    assert c.spec["overlays"] == [{"kind": "trend"}]
    meta, _ = decode_result(c.result)
    [line] = meta["overlays"][0]["series"]
    revenue = [120.5, 80.0, 200.0, 50.25, 75.0, 310.0, 10.0]
    units = [3, 2, 5, 1, 2, 7, 1]
    slope, intercept = np.polyfit(revenue, units, 1)
    assert line["slope"] == pytest.approx(slope, rel=1e-9)
    assert line["intercept"] == pytest.approx(intercept, rel=1e-9)

    # And an overlay the chart cannot draw is an error naming it
    bad = lg.chart("sales", mark="bar", x="region", y="sum(revenue)", overlays=[{"kind": "forecast"}])
    assert bad.result == b"" and bad.error.startswith("overlays[0]: a forecast is drawn on line charts")


def test_a_page_changes_no_charts_spec_and_a_builders_only_on_its_own_dataset(
    lg_nb_store: DatasetStore, lg_sales: dict[str, Any]
):
    # Given a second dataset the notebook's owner may read, and a chart and a builder on "sales"
    src = lg_nb_store.staging_path()
    src.write_text("secret\nhidden-value\n")
    other = lg_nb_store.create_from_file(src, name="payroll", owner="ada", content_type="text/csv")
    theirs = {"version": 1, "dataset": {"id": other["id"]}, "mark": "table", "encoding": {}}
    c = lg.chart("sales", mark="bar", x="region", y="sum(revenue)")
    drawn, result = c.spec, c.result
    b = lg.ChartBuilder("sales")

    # When a page (a Voila visitor's) sends states of its own, as a comm "update" does
    c.set_state({"spec": theirs})
    c.set_state({"_view_kind": "builder", "height": 9000})
    b.set_state({"spec": theirs})

    # Then the chart keeps its spec, result and kind, and the builder stays on its dataset
    assert c.spec == drawn and c.result == result
    assert c._view_kind == "chart" and c.height == 420
    assert b.spec is None and b.result == b""
    # While the builder's own edits still go through
    mine = {"version": 1, "dataset": {"id": lg_sales["id"], "version": 1}, "mark": "table", "encoding": {}}
    b.set_state({"spec": mine})
    assert b.spec == mine and decode_result(b.result)[0]["marks"] >= 1
    b.set_state({"spec": None})
    assert b.spec is None


def test_a_charts_data_holds_dates_python_dates_cannot(lg_sales: dict[str, Any]):
    # a SQL-made dataset can hold year 0, which no Python date can: the frame is Arrow-backed then
    c = lg.chart("sales", mark="bar", x="region", y="sum(revenue)")
    days = pa.array([-719528, 0], pa.date32())  # 0000-01-01, 1970-01-01
    sink = pa.BufferOutputStream()
    table = pa.table({"x": days, "y": [1.5, 2.0]})
    with pa.ipc.new_stream(sink, table.schema) as out:
        out.write_table(table)
    c.result = sink.getvalue().to_pybytes()
    frame = c.data
    assert frame["x"].astype(pd.ArrowDtype(pa.string())).tolist() == ["0000-01-01", "1970-01-01"]
    assert list(frame["y"]) == [1.5, 2.0]
