"""The kernel and the front end follow the same rules: one table of cases, checked against the Python
functions and against the TypeScript ones (bundled with the repo's esbuild and run by node)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from livegraphs_ext.kernel.rules import filter_condition, python_code, suggest_mark
from livegraphs_ext.kernel.widgets import field_ref

ROOT = Path(__file__).parents[2]
ESBUILD = ROOT / "node_modules" / ".bin" / "esbuild"

TYPES = {
    "region": "string",
    "product": "string",
    "rating": "ordinal",
    "revenue": "float",
    "units": "integer",
    "order_date": "date",
    "shipped_at": "datetime",
    "lat": "float",
    "lon": "float",
    "country": "string",
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
    ({"x": {"field": "region"}, "y": {"field": "revenue"}}, "box"),
    ({"x": {"field": "units"}, "y": {"field": "product"}}, "box"),
    ({"x": {"field": "units", "aggregate": "sum"}, "y": {"field": "revenue", "aggregate": "sum"}}, "scatter"),
    ({"latitude": {"field": "lat"}, "longitude": {"field": "lon"}}, "map"),
    ({"latitude": {"field": "lat"}, "x": {"field": "region"}}, "bar"),
    ({"location": {"field": "country"}, "color": {"field": "revenue", "aggregate": "sum"}}, "map"),
]

_SALES = {"version": 1, "dataset": {"id": "ds1", "name": "sales"}}

#: (spec, dataset name given, the Python line)
PYTHON_CODE = [
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
    assert suggest_mark(encoding, TYPES) == mark


@pytest.mark.parametrize(("spec", "dataset", "line"), PYTHON_CODE)
def test_python_line_follows_the_table(spec: dict[str, Any], dataset: str | None, line: str):
    assert python_code(spec, dataset) == line


def test_python_line_reads_back_as_the_same_fields():
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    for spec, dataset, line in PYTHON_CODE:
        calls.clear()
        eval(line, {"lg": _Recorder(calls)})  # the line is ours
        ((args, kwargs),) = calls
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
import {{ suggestMark }} from {json.dumps(str(ROOT / "src/charts/builder/showme"))};
import {{ pythonCode }} from {json.dumps(str(ROOT / "src/charts/builder/codegen"))};
import {{ filterCondition }} from {json.dumps(str(ROOT / "src/dashboard/crossfilter"))};
import {{ readFileSync }} from 'node:fs';

const cases = JSON.parse(readFileSync(0, 'utf-8'));
const types = cases.types;
process.stdout.write(JSON.stringify({{
  showMe: cases.showMe.map((e: any) => suggestMark(e, (f: string) => types[f])),
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
        "types": TYPES,
        "showMe": [e for e, _ in SHOW_ME],
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


@pytest.mark.parametrize("i", range(len(PYTHON_CODE)))
def test_typescript_line_follows_the_table(ts_answers: dict[str, list[Any]], i: int):
    assert ts_answers["pythonCode"][i] == PYTHON_CODE[i][2]


@pytest.mark.parametrize("i", range(len(FILTERS)))
def test_typescript_filter_condition_follows_the_table(ts_answers: dict[str, list[Any]], i: int):
    dashboard_filter, condition = FILTERS[i]
    assert ts_answers["filters"][i] == condition, dashboard_filter
