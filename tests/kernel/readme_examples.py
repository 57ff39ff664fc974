"""The README's notebook examples as kernel cells, and what running them must show.

Shared by the laptop test (a local ipykernel over the kernel's store) and the hub test (a kernel
in a user's server under a real JupyterHub, where datasets live in the livegraphs service).
Each ```python block of the README is one cell, run in order in one kernel; the ```json chart
under "Charts" is saved as ``revenue.lgchart`` and the dashboard under "Dashboards" as
``sales.lgdash``, the files the examples open.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parents[2] / "README.md"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
CHART_VIEW = "application/vnd.livegraphs.chart+json"
REGIONS = ["Central", "East", "North", "South", "West"]


def blocks(lang: str) -> list[tuple[str, str]]:
    """(the heading above it, its code) for every ```lang block of the README, in order."""
    heading, out = "", []
    for m in re.finditer(r"^(#{1,4} [^\n]*)$|^```(\w+)\n(.*?)^```$", README.read_text("utf-8"), re.M | re.S):
        if m.group(1):
            heading = m.group(1).lstrip("# ").strip()
        elif m.group(2) == lang:
            out.append((heading, m.group(3)))
    return out


def cells() -> list[str]:
    return [code for _, code in blocks("python")]


def example_files() -> dict[str, str]:
    """The files the examples open, as the README shows them."""
    found = {heading: code for heading, code in blocks("json")}
    return {"revenue.lgchart": found["Charts"], "sales.lgdash": found["Dashboards"]}


#: Run after the examples, in the same kernel: what they made, as one JSON line.
CHECK = """
import json as _json
from livegraphs_ext.documents.dashboard import dump_dashboard as _dump, parse_dashboard as _parse
_rev = lg.chart("revenue.lgchart")
_c1 = d.chart("c1")
print(_json.dumps({
    "regions": sorted(df["region"].unique().tolist()),
    "rows": len(df), "old_rows": len(old),
    "listed": "sales" in set(lg.datasets()["name"]),
    "chart": [c.error, len(c.data), sorted(c.data["color"].unique().tolist())],
    "builder": [b.dataset["name"], [col["name"] for col in b.dataset["columns"]][:2], b.error],
    "revenue": [_rev.error, len(_rev.data), sorted(_rev.data["color"].unique().tolist())],
    "dashboard": [d.title, sorted(d.charts), [f["id"] for f in d.filters], _c1.error, len(_c1.data)],
    "values": d.values("f1"),
    "query": len(d.query("c1", [{"column": "region", "cmp": "eq", "value": "North"}])) > 0,
    "code": c.code,
    "document": [
        team.title, team.document["id"] == doc["id"], team.document["access"], sorted(team.charts),
        sorted(lg.list_documents()["title"]),
        open("team-sales.lgdash").read()
        == _dump({**_parse(open("sales.lgdash").read()), "title": "Team sales"}),
    ],
}))
"""


def expected_check() -> dict[str, Any]:
    return {
        "regions": REGIONS,
        "rows": 20_000,
        "old_rows": 20_000,
        "listed": True,
        "chart": ["", "*", REGIONS],
        "builder": ["sales", ["order_id", "order_date"], ""],
        "revenue": ["", "*", ["East", "West"]],
        "dashboard": ["Sales", ["c1"], ["f1", "f2", "f3"], "", "*"],
        "values": REGIONS,
        "query": True,
        "code": 'lg.chart("sales", mark="bar", x="month(order_date)", y="sum(revenue)", color="region", '
        'options={"stack": "stacked"})',
        "document": ["Team sales", True, "owner", ["c1"], ["Team sales"], True],
    }


def assert_check(printed: str) -> None:
    """The CHECK cell's line matches :func:`expected_check` (``"*"``: any count above zero)."""
    got = json.loads(printed.strip().splitlines()[-1])
    want = expected_check()
    for key, value in want.items():
        if isinstance(value, list):
            assert len(got[key]) == len(value), (key, got[key])
            for g, w in zip(got[key], value, strict=True):
                assert (isinstance(g, int) and g > 0) if w == "*" else g == w, (key, got[key])
        else:
            assert got[key] == value, (key, got[key])


def assert_displays(outputs: list[dict[str, Any]]) -> None:
    """Every widget the examples show was displayed as a widget view; charts also as a spec."""
    views = [o for o in outputs if WIDGET_VIEW in o]
    charts = [o[CHART_VIEW] for o in outputs if CHART_VIEW in o]
    # c, b, the chart file, d, d.chart("c1") and the shared dashboard
    assert len(views) == 6, outputs
    # c, the chart file and d.chart("c1") carry their spec; the builder has none yet
    assert len(charts) == 3, charts
    assert all(chart["spec"]["version"] == 1 for chart in charts)
