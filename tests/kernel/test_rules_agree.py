"""The kernel and the front end follow the same rules: one table of cases, checked against the Python
functions and against the TypeScript ones (bundled with the repo's esbuild and run by node)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from livegraphs_ext.kernel.rules import (
    columns_by_name,
    derived_spec,
    filter_condition,
    python_code,
    suggest_mark,
)
from livegraphs_ext.kernel.widgets import field_ref

ROOT = Path(__file__).parents[2]
ESBUILD = ROOT / "node_modules" / ".bin" / "esbuild"

#: What the rules know of each column: its type, and for integers of few values (as the store keeps
#: them) the count of distinct values, with the count of values (rows less nulls).
COLUMNS: dict[str, dict[str, Any]] = {
    "region": {"type": "string"},
    "product": {"type": "string"},
    "rating": {"type": "ordinal"},
    "revenue": {"type": "float"},
    "units": {"type": "integer", "distinct": 40, "values": 5000},
    "order_date": {"type": "date"},
    "shipped_at": {"type": "datetime"},
    "lat": {"type": "float"},
    "lon": {"type": "float"},
    "country": {"type": "string"},
    "month": {"type": "integer", "distinct": 12, "values": 5000},
    "day": {"type": "integer", "distinct": 31, "values": 961},
    "minute": {"type": "integer", "distinct": 60, "values": 5000},
    "score": {"type": "float", "distinct": 5, "values": 5000},
    # few values, but hardly repeated (a small table), or with no count of values known
    "rank": {"type": "integer", "distinct": 8, "values": 63},
    "size": {"type": "integer", "distinct": 6},
}

#: (encoding, the mark "show me" picks)
SHOW_ME = [
    ({}, None),
    ({"tooltip": [{"field": "region"}]}, None),
    ({"x": {"field": "no such column"}}, None),
    ({"color": {"field": "region"}}, "pie"),
    ({"size": {"field": "revenue", "aggregate": "sum"}}, "pie"),
    ({"x": {"field": "region"}, "y": {"field": "revenue", "aggregate": "sum"}}, "bar"),
    ({"y": {"field": "region"}, "x": {"field": "revenue", "aggregate": "mean"}}, "bar"),
    ({"x": {"field": "rating"}, "y": {"aggregate": "count"}}, "bar"),
    ({"x": {"field": "order_date", "timeUnit": "month"}, "y": {"aggregate": "count"}}, "line"),
    ({"x": {"field": "shipped_at"}, "y": {"field": "revenue"}}, "line"),
    ({"y": {"field": "order_date", "timeUnit": "quarter"}, "x": {"field": "region"}}, "line"),
    ({"x": {"field": "revenue"}, "y": {"field": "units"}}, "scatter"),
    ({"x": {"field": "revenue"}}, "histogram"),
    ({"y": {"field": "units"}}, "histogram"),
    ({"x": {"field": "revenue", "bin": True}}, "histogram"),
    ({"x": {"field": "revenue", "bin": {"maxbins": 20}}, "y": {"aggregate": "count"}}, "bar"),
    ({"x": {"field": "revenue", "aggregate": "sum", "bin": True}, "y": {"aggregate": "count"}}, "histogram"),
    ({"x": {"field": "region"}}, "bar"),
    ({"y": {"field": "order_date"}}, "line"),
    ({"y": {"field": "revenue", "aggregate": "sum"}}, "kpi"),
    ({"y": {"field": "revenue", "aggregate": "sum"}, "color": {"field": "region"}}, "pie"),
    ({"x": {"field": "region"}, "y": {"field": "product"}}, "heatmap"),
    ({"x": {"field": "region"}, "y": {"field": "rating"}, "color": {"aggregate": "count"}}, "heatmap"),
    # a category and a raw number: bars (the mark sums the number, see DERIVED)
    ({"x": {"field": "region"}, "y": {"field": "revenue"}}, "bar"),
    ({"x": {"field": "units"}, "y": {"field": "product"}}, "bar"),
    ({"x": {"field": "units", "aggregate": "sum"}, "y": {"field": "revenue", "aggregate": "sum"}}, "scatter"),
    ({"latitude": {"field": "lat"}, "longitude": {"field": "lon"}}, "map"),
    ({"latitude": {"field": "lat"}, "x": {"field": "region"}}, "bar"),
    ({"location": {"field": "country"}, "color": {"field": "revenue", "aggregate": "sum"}}, "map"),
    # integers of few values are ordered categories: alone, bars of counts; against a category, a heatmap
    ({"x": {"field": "month"}}, "bar"),
    ({"y": {"field": "day"}}, "bar"),
    ({"x": {"field": "region"}, "y": {"field": "month"}}, "heatmap"),
    ({"x": {"field": "month"}, "y": {"field": "region"}}, "heatmap"),
    ({"x": {"field": "month"}, "y": {"field": "day"}}, "heatmap"),
    # against a number, a line (the mark averages the number)
    ({"x": {"field": "month"}, "y": {"field": "revenue"}}, "line"),
    ({"x": {"field": "day"}, "y": {"field": "units", "aggregate": "median"}}, "line"),
    ({"x": {"field": "revenue"}, "y": {"field": "month"}}, "scatter"),
    # past the limit, or not an integer, or binned: a number as any other
    ({"x": {"field": "minute"}}, "histogram"),
    ({"x": {"field": "minute"}, "y": {"field": "revenue"}}, "scatter"),
    ({"x": {"field": "score"}, "y": {"field": "region"}}, "bar"),
    ({"x": {"field": "month", "bin": True}, "y": {"field": "region"}}, "heatmap"),
    ({"x": {"field": "month", "aggregate": "count"}}, "kpi"),
    ({"x": {"field": "rank"}, "y": {"field": "region"}}, "bar"),
    ({"x": {"field": "size"}}, "histogram"),
]

#: (stored spec, the spec it draws: the mark and what the mark fills in)
DERIVED: list[tuple[dict[str, Any], dict[str, Any]]] = [
    # two numbers: a scatter of the rows as they are
    (
        {"encoding": {"x": {"field": "revenue"}, "y": {"field": "units"}}},
        {"mark": "scatter", "encoding": {"x": {"field": "revenue"}, "y": {"field": "units"}}},
    ),
    # a category and a number: bars that sum it, whichever axis holds it
    (
        {"encoding": {"x": {"field": "region"}, "y": {"field": "revenue"}}},
        {
            "mark": "bar",
            "encoding": {"x": {"field": "region"}, "y": {"field": "revenue", "aggregate": "sum"}},
        },
    ),
    (
        {"encoding": {"x": {"field": "units"}, "y": {"field": "product"}}},
        {"mark": "bar", "encoding": {"x": {"field": "units", "aggregate": "sum"}, "y": {"field": "product"}}},
    ),
    # a chosen aggregate is kept
    (
        {"encoding": {"x": {"field": "region"}, "y": {"field": "revenue", "aggregate": "max"}}},
        {
            "mark": "bar",
            "encoding": {"x": {"field": "region"}, "y": {"field": "revenue", "aggregate": "max"}},
        },
    ),
    # an ordered category and a number: a line of its mean
    (
        {"encoding": {"x": {"field": "month"}, "y": {"field": "revenue"}}},
        {
            "mark": "line",
            "encoding": {"x": {"field": "month"}, "y": {"field": "revenue", "aggregate": "mean"}},
        },
    ),
    (
        {"encoding": {"x": {"field": "order_date", "timeUnit": "month"}, "y": {"field": "units"}}},
        {
            "mark": "line",
            "encoding": {
                "x": {"field": "order_date", "timeUnit": "month"},
                "y": {"field": "units", "aggregate": "mean"},
            },
        },
    ),
    # a category alone: a count of records
    (
        {"encoding": {"x": {"field": "month"}}},
        {"mark": "bar", "encoding": {"x": {"field": "month"}, "y": {"aggregate": "count"}}},
    ),
    (
        {"encoding": {"x": {"field": "revenue"}}},
        {"mark": "histogram", "encoding": {"x": {"field": "revenue"}, "y": {"aggregate": "count"}}},
    ),
    # two categories: a heatmap counting records, or averaging a number on its colour
    (
        {"encoding": {"x": {"field": "region"}, "y": {"field": "month"}}},
        {
            "mark": "heatmap",
            "encoding": {"x": {"field": "region"}, "y": {"field": "month"}, "color": {"aggregate": "count"}},
        },
    ),
    (
        {"encoding": {"x": {"field": "region"}, "y": {"field": "month"}, "color": {"field": "revenue"}}},
        {
            "mark": "heatmap",
            "encoding": {
                "x": {"field": "region"},
                "y": {"field": "month"},
                "color": {"field": "revenue", "aggregate": "mean"},
            },
        },
    ),
    # a chosen mark follows the same rules
    (
        {
            "mark": "bar",
            "encoding": {"x": {"field": "month"}, "y": {"field": "revenue"}, "size": {"field": "units"}},
        },
        {
            "mark": "bar",
            "encoding": {
                "x": {"field": "month"},
                "y": {"field": "revenue", "aggregate": "sum"},
                "size": {"field": "units", "aggregate": "sum"},
            },
        },
    ),
    (
        {"mark": "line", "encoding": {"x": {"field": "shipped_at"}, "y": {"field": "revenue"}}},
        {
            "mark": "line",
            "encoding": {"x": {"field": "shipped_at"}, "y": {"field": "revenue", "aggregate": "mean"}},
        },
    ),
    (
        {
            "mark": "scatter",
            "encoding": {"x": {"field": "region"}, "y": {"field": "revenue"}, "size": {"field": "units"}},
        },
        {
            "mark": "scatter",
            "encoding": {"x": {"field": "region"}, "y": {"field": "revenue"}, "size": {"field": "units"}},
        },
    ),
    (
        {
            "mark": "box",
            "encoding": {"x": {"field": "region"}, "y": {"field": "revenue", "aggregate": "sum"}},
        },
        {"mark": "box", "encoding": {"x": {"field": "region"}, "y": {"field": "revenue"}}},
    ),
    (
        {"mark": "kpi", "encoding": {"y": {"field": "revenue"}}},
        {"mark": "kpi", "encoding": {"y": {"field": "revenue", "aggregate": "sum"}}},
    ),
    (
        {"mark": "pie", "encoding": {"color": {"field": "region"}, "y": {"field": "units"}}},
        {
            "mark": "pie",
            "encoding": {"color": {"field": "region"}, "y": {"field": "units", "aggregate": "sum"}},
        },
    ),
    # two groupings on a bar: nothing to aggregate (the engine counts or sums past the budget)
    (
        {"mark": "bar", "encoding": {"x": {"field": "region"}, "y": {"field": "month"}}},
        {"mark": "bar", "encoding": {"x": {"field": "region"}, "y": {"field": "month"}}},
    ),
    # tooltips and text are never aggregated by the mark
    (
        {"encoding": {"x": {"field": "region"}, "y": {"field": "revenue"}, "tooltip": [{"field": "units"}]}},
        {
            "mark": "bar",
            "encoding": {
                "x": {"field": "region"},
                "y": {"field": "revenue", "aggregate": "sum"},
                "tooltip": [{"field": "units"}],
            },
        },
    ),
    # an ordered category against time: its mean over time
    (
        {"encoding": {"x": {"field": "order_date", "timeUnit": "month"}, "y": {"field": "month"}}},
        {
            "mark": "line",
            "encoding": {
                "x": {"field": "order_date", "timeUnit": "month"},
                "y": {"field": "month", "aggregate": "mean"},
            },
        },
    ),
    # a number on a heatmap's colour: its mean
    (
        {
            "mark": "heatmap",
            "encoding": {"x": {"field": "region"}, "y": {"field": "day"}, "color": {"field": "units"}},
        },
        {
            "mark": "heatmap",
            "encoding": {
                "x": {"field": "region"},
                "y": {"field": "day"},
                "color": {"field": "units", "aggregate": "mean"},
            },
        },
    ),
    # a field alone on y is drawn from x: bars lie across (under an orientation chosen), a line along x
    (
        {"encoding": {"y": {"field": "region"}}},
        {
            "mark": "bar",
            "encoding": {"x": {"field": "region"}, "y": {"aggregate": "count"}},
            "options": {"orientation": "horizontal"},
        },
    ),
    (
        {"encoding": {"y": {"field": "month"}}, "options": {"orientation": "vertical", "stack": "stacked"}},
        {
            "mark": "bar",
            "encoding": {"x": {"field": "month"}, "y": {"aggregate": "count"}},
            "options": {"orientation": "vertical", "stack": "stacked"},
        },
    ),
    (
        {"encoding": {"y": {"field": "order_date", "timeUnit": "month"}}},
        {
            "mark": "line",
            "encoding": {"x": {"field": "order_date", "timeUnit": "month"}, "y": {"aggregate": "count"}},
        },
    ),
    (
        {"encoding": {"y": {"field": "revenue"}}},
        {"mark": "histogram", "encoding": {"x": {"field": "revenue"}, "y": {"aggregate": "count"}}},
    ),
    (
        {"encoding": {"y": {"field": "revenue", "aggregate": "sum"}}},
        {"mark": "kpi", "encoding": {"y": {"field": "revenue", "aggregate": "sum"}}},
    ),
    # nothing placed: nothing drawn, the spec as it is
    ({"encoding": {}}, {"encoding": {}}),
    # overlays: those that apply are drawn; one of each kind; a malformed one is left out
    (
        {
            "encoding": {"x": {"field": "order_date", "timeUnit": "month"}, "y": {"field": "revenue"}},
            "overlays": [
                {"kind": "trend"},
                {"kind": "forecast", "periods": 6},
                {"kind": "trend", "method": "loess"},
            ],
        },
        {
            "mark": "line",
            "encoding": {
                "x": {"field": "order_date", "timeUnit": "month"},
                "y": {"field": "revenue", "aggregate": "mean"},
            },
            "overlays": [{"kind": "trend"}, {"kind": "forecast", "periods": 6}],
        },
    ),
    (
        {
            "encoding": {"x": {"field": "revenue"}, "y": {"field": "units"}},
            "overlays": [{"kind": "forecast"}, {"kind": "trend", "method": "cubic"}, {"kind": "trend"}],
        },
        {
            "mark": "scatter",
            "encoding": {"x": {"field": "revenue"}, "y": {"field": "units"}},
            "overlays": [{"kind": "trend"}],
        },
    ),
    # a mark the overlays do not suit: kept in the stored spec, not drawn
    (
        {
            "mark": "bar",
            "encoding": {"x": {"field": "region"}, "y": {"field": "revenue"}},
            "overlays": [{"kind": "trend"}],
        },
        {
            "mark": "bar",
            "encoding": {"x": {"field": "region"}, "y": {"field": "revenue", "aggregate": "sum"}},
        },
    ),
]

_SALES = {"version": 1, "dataset": {"id": "ds1", "name": "sales"}}

#: (spec, dataset name given, the Python line)
PYTHON_CODE = [
    (
        {
            "version": 1,
            "dataset": {"sql": 'select region, "units" from sales\nwhere units > 1'},
            "mark": "bar",
            "encoding": {"x": {"field": "region"}, "y": {"field": "units", "aggregate": "sum"}},
        },
        "ignored: a query's chart names its query",
        'lg.chart(sql="select region, \\"units\\" from sales\\nwhere units > 1", mark="bar", x="region", '
        'y="sum(units)")',
    ),
    (
        {
            **_SALES,
            "mark": "bar",
            "encoding": {"x": {"field": "region"}, "y": {"field": "revenue", "aggregate": "sum"}},
        },
        None,
        'lg.chart("sales", mark="bar", x="region", y="sum(revenue)")',
    ),
    (
        {
            **_SALES,
            "mark": "line",
            "encoding": {
                "x": {"field": "order_date", "timeUnit": "month"},
                "y": {"aggregate": "count"},
                "color": {"field": "region"},
                "tooltip": [{"field": "units", "aggregate": "median"}, {"field": "product"}],
            },
            "sort": {"by": "x", "order": "ascending"},
            "limit": 12,
            "title": "Orders a month",
        },
        "My sales",
        'lg.chart("My sales", mark="line", x="month(order_date)", y="count()", color="region", '
        'tooltip=["median(units)", "product"], sort={"by": "x", "order": "ascending"}, limit=12, '
        'title="Orders a month")',
    ),
    (
        {
            "version": 1,
            "dataset": {"id": "abc", "version": 2},
            "mark": "scatter",
            "encoding": {"x": {"field": "a(b)"}, "y": {"field": "y", "bin": {"maxbins": 10}}},
        },
        "d",
        'lg.chart("d", mark="scatter", x={"field": "a(b)"}, '
        'y={"field": "y", "bin": {"maxbins": 10}}, version=2)',
    ),
    (
        {
            "version": 1,
            "dataset": {"id": "ds9"},
            "mark": "histogram",
            "encoding": {
                "x": {"field": "revenue", "bin": True},
                "y": {"aggregate": "count", "title": "Orders"},
                "row": {"field": "shipped_at", "timeUnit": "year", "title": "Year"},
            },
            "filters": [
                {"column": "region", "cmp": "in", "value": ["EMEA", 'Amériques "N"']},
                {"column": "revenue", "cmp": "between", "value": [1.5, None]},
                {"combine": "or", "conditions": [{"column": "ok", "cmp": "eq", "value": True}]},
            ],
            "options": {"stack": "stacked", "hole": 0.5, "log": False},
            "limit": 0,
            "title": "",
        },
        None,
        'lg.chart("ds9", mark="histogram", x="bin(revenue)", y={"aggregate": "count", "title": "Orders"}, '
        'row={"field": "shipped_at", "timeUnit": "year", "title": "Year"}, '
        'filters=[{"column": "region", "cmp": "in", "value": ["EMEA", "Amériques \\"N\\""]}, '
        '{"column": "revenue", "cmp": "between", "value": [1.5, None]}, '
        '{"combine": "or", "conditions": [{"column": "ok", "cmp": "eq", "value": True}]}], '
        'limit=0, options={"stack": "stacked", "hole": 0.5, "log": False})',
    ),
    (
        {
            **_SALES,
            "mark": "map",
            "encoding": {
                "latitude": {"field": "lat"},
                "longitude": {"field": "lon"},
                "size": {"field": "units", "aggregate": "sum", "bin": True},
                "label": {"aggregate": "count", "timeUnit": "month"},
                "color": {},
                "tooltip": [],
            },
            "filters": [],
            "sort": None,
            "options": {},
        },
        "",
        'lg.chart("sales", mark="map", size="sum(bin(units))", '
        'label={"aggregate": "count", "timeUnit": "month"}, latitude="lat", longitude="lon")',
    ),
]

#: (dashboard filter, the condition it adds)
FILTERS: list[tuple[dict[str, Any], dict[str, Any] | None]] = [
    (
        {"kind": "dropdown", "column": "region", "value": ["EMEA", "APAC"]},
        {"column": "region", "cmp": "in", "value": ["EMEA", "APAC"]},
    ),
    (
        {"kind": "dropdown", "column": "units", "value": [1, 2.5]},
        {"column": "units", "cmp": "in", "value": [1, 2.5]},
    ),
    ({"kind": "dropdown", "column": "region", "value": []}, None),
    ({"kind": "dropdown", "column": "region", "value": None}, None),
    (
        {"kind": "range", "column": "revenue", "value": [10, 99.5]},
        {"column": "revenue", "cmp": "between", "value": [10, 99.5]},
    ),
    (
        {"kind": "range", "column": "revenue", "value": [0, None]},
        {"column": "revenue", "cmp": "ge", "value": 0},
    ),
    (
        {"kind": "range", "column": "revenue", "value": [None, 5]},
        {"column": "revenue", "cmp": "le", "value": 5},
    ),
    (
        {"kind": "range", "column": "revenue", "value": ["", 5]},
        {"column": "revenue", "cmp": "le", "value": 5},
    ),
    ({"kind": "range", "column": "revenue", "value": [None, None]}, None),
    ({"kind": "range", "column": "revenue", "value": []}, None),
    ({"kind": "range", "column": "revenue", "value": None}, None),
    (
        {"kind": "daterange", "column": "order_date", "value": ["2025-01-01", "2025-06-30"]},
        {
            "combine": "and",
            "conditions": [
                {"column": "order_date", "cmp": "ge", "value": "2025-01-01"},
                {"column": "order_date", "cmp": "lt", "value": "2025-07-01"},
            ],
        },
    ),
    (
        {"kind": "daterange", "column": "shipped_at", "value": [None, "2024-02-29"]},
        {"column": "shipped_at", "cmp": "lt", "value": "2024-03-01"},
    ),
    (
        {"kind": "daterange", "column": "shipped_at", "value": [None, "2024-12-31"]},
        {"column": "shipped_at", "cmp": "lt", "value": "2025-01-01"},
    ),
    (
        {"kind": "daterange", "column": "order_date", "value": ["2025-03-01", ""]},
        {"column": "order_date", "cmp": "ge", "value": "2025-03-01"},
    ),
    (
        {"kind": "daterange", "column": "order_date", "value": [None, "2023-02-30"]},
        {"column": "order_date", "cmp": "lt", "value": "2023-02-30"},
    ),
    (
        {"kind": "daterange", "column": "order_date", "value": [None, "2025-06-30T12:00"]},
        {"column": "order_date", "cmp": "lt", "value": "2025-06-30T12:00"},
    ),
    ({"kind": "daterange", "column": "order_date", "value": [None, None]}, None),
    ({"kind": "daterange", "column": "order_date", "value": None}, None),
]


@pytest.mark.parametrize(("encoding", "mark"), SHOW_ME)
def test_python_show_me_follows_the_table(encoding: dict[str, Any], mark: str | None):
    assert suggest_mark(encoding, COLUMNS) == mark


#: A dataset's columns as the store lists them, for the lookup the rules read
LOOKUP_COLUMNS = [
    {"name": "month", "type": "integer", "nulls": 3, "distinct": 12},
    {"name": "région", "type": "string", "nulls": 0},
]


def test_the_columns_the_rules_read_count_values_as_rows_less_nulls():
    columns = LOOKUP_COLUMNS
    assert columns_by_name(columns, 147) == {
        "month": {"name": "month", "type": "integer", "nulls": 3, "distinct": 12, "values": 144},
        "région": {"name": "région", "type": "string", "nulls": 0, "values": 147},
    }
    # 12 values need 144 to repeat as a category's do; 143 are a short column of numbers
    assert suggest_mark({"x": {"field": "month"}}, columns_by_name(columns, 147)) == "bar"
    assert suggest_mark({"x": {"field": "month"}}, columns_by_name(columns, 146)) == "histogram"
    assert suggest_mark({"x": {"field": "month"}}, columns_by_name(columns)) == "histogram"


@pytest.mark.parametrize(("spec", "derived"), DERIVED)
def test_python_defaults_follow_the_table(spec: dict[str, Any], derived: dict[str, Any]):
    before = json.dumps(spec)
    assert derived_spec(spec, COLUMNS) == derived
    assert json.dumps(spec) == before  # the stored spec is left as it was


@pytest.mark.parametrize(("spec", "dataset", "line"), PYTHON_CODE)
def test_python_line_follows_the_table(spec: dict[str, Any], dataset: str | None, line: str):
    assert python_code(spec, dataset) == line


def test_python_line_reads_back_as_the_same_fields():
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    for spec, dataset, line in PYTHON_CODE:
        calls.clear()
        eval(line, {"lg": _Recorder(calls)})  # the line is ours
        ((args, kwargs),) = calls
        if "sql" in spec["dataset"]:
            assert args == () and kwargs["sql"] == spec["dataset"]["sql"]
        else:
            assert args == (dataset or spec["dataset"].get("name") or spec["dataset"]["id"],)
        channels = {k: v for k, v in kwargs.items() if k in spec["encoding"]}
        assert {
            k: [field_ref(r) for r in v] if k == "tooltip" else field_ref(v) for k, v in channels.items()
        } == {k: v for k, v in spec["encoding"].items() if v}


class _Recorder:
    def __init__(self, calls: list[tuple[tuple[Any, ...], dict[str, Any]]]):
        self.calls = calls

    def chart(self, *args: Any, **kwargs: Any) -> None:
        self.calls.append((args, kwargs))


@pytest.mark.parametrize(("dashboard_filter", "condition"), FILTERS)
def test_python_filter_condition_follows_the_table(
    dashboard_filter: dict[str, Any], condition: dict[str, Any] | None
):
    assert filter_condition(dashboard_filter) == condition


def test_the_front_ends_table_is_generated_from_the_kernels():
    node = shutil.which("node")
    assert node is not None, "the front end's table is checked with node"
    run = subprocess.run([node, "scripts/rules.mjs", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


@pytest.fixture(scope="module")
def ts_answers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Any]]:
    """What the TypeScript functions answer for every case of the tables."""
    node = shutil.which("node")
    if node is None or not ESBUILD.exists():
        pytest.fail("the front end's functions need node and esbuild (`jlpm install`)")
    tmp = tmp_path_factory.mktemp("rules")
    entry = tmp / "entry.ts"
    entry.write_text(
        f"""
import {{ columnLookup, suggestMark }} from {json.dumps(str(ROOT / "src/charts/builder/showme"))};
import {{ chartSpec }} from {json.dumps(str(ROOT / "src/charts/builder/state"))};
import {{ pythonCode }} from {json.dumps(str(ROOT / "src/charts/builder/codegen"))};
import {{ filterCondition }} from {json.dumps(str(ROOT / "src/dashboard/crossfilter"))};
import {{ readFileSync }} from 'node:fs';

const cases = JSON.parse(readFileSync(0, 'utf-8'));
const columnOf = (f: string) => cases.columns[f];
// the spec a stored chart draws, as a dashboard cell derives it (the dataset aside)
const derive = (s: any) => {{
  const drawn: any = chartSpec({{ ...s, dataset: {{ id: 'd' }} }}, columnOf);
  if (!drawn) {{
    return s;
  }}
  delete drawn.dataset;
  return drawn;
}};
process.stdout.write(JSON.stringify({{
  showMe: cases.showMe.map((e: any) => suggestMark(e, columnOf)),
  derived: cases.derived.map(derive),
  lookup: cases.lookup.map(([rows, columns]: any) => {{
    const of = columnLookup({{ rows: rows ?? undefined, columns }});
    return Object.fromEntries(columns.map((c: any) => [c.name, of(c.name)]));
  }}),
  pythonCode: cases.pythonCode.map(([s, d]: any) => pythonCode(s, d ?? undefined)),
  filters: cases.filters.map((f: any) => filterCondition(f)),
}}));
"""
    )
    bundle = tmp / "rules.mjs"
    subprocess.run(
        [
            str(ESBUILD),
            str(entry),
            "--bundle",
            "--platform=node",
            "--format=esm",
            f"--outfile={bundle}",
            "--log-level=warning",
        ],
        check=True,
        cwd=ROOT,
    )
    cases = {
        "columns": COLUMNS,
        "showMe": [e for e, _ in SHOW_ME],
        "derived": [s for s, _ in DERIVED],
        "lookup": [[rows, LOOKUP_COLUMNS] for rows in LOOKUP_ROWS],
        "pythonCode": [[s, d] for s, d, _ in PYTHON_CODE],
        "filters": [f for f, _ in FILTERS],
    }
    run = subprocess.run(
        [node, str(bundle)], input=json.dumps(cases), capture_output=True, text=True, check=True
    )
    return json.loads(run.stdout)  # type: ignore[no-any-return]


@pytest.mark.parametrize("i", range(len(SHOW_ME)))
def test_typescript_show_me_follows_the_table(ts_answers: dict[str, list[Any]], i: int):
    encoding, mark = SHOW_ME[i]
    assert ts_answers["showMe"][i] == mark, encoding


@pytest.mark.parametrize("i", range(len(DERIVED)))
def test_typescript_defaults_follow_the_table(ts_answers: dict[str, list[Any]], i: int):
    spec, derived = DERIVED[i]
    assert ts_answers["derived"][i] == derived, spec


LOOKUP_ROWS = [147, 0, None]


@pytest.mark.parametrize("i", range(len(LOOKUP_ROWS)))
def test_typescript_reads_the_columns_as_the_kernel_does(ts_answers: dict[str, list[Any]], i: int):
    assert ts_answers["lookup"][i] == columns_by_name(LOOKUP_COLUMNS, LOOKUP_ROWS[i])


@pytest.mark.parametrize("i", range(len(PYTHON_CODE)))
def test_typescript_line_follows_the_table(ts_answers: dict[str, list[Any]], i: int):
    assert ts_answers["pythonCode"][i] == PYTHON_CODE[i][2]


@pytest.mark.parametrize("i", range(len(FILTERS)))
def test_typescript_filter_condition_follows_the_table(ts_answers: dict[str, list[Any]], i: int):
    dashboard_filter, condition = FILTERS[i]
    assert ts_answers["filters"][i] == condition, dashboard_filter
