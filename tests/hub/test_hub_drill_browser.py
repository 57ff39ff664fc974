"""A viewer drills a shared dashboard's bar to its rows on a real hub, in Debian chromium (Playwright).

cy may not read ada's dataset, only view her dashboard. Clicking a bar and "View rows" in cy's
JupyterLab lists the rows behind the bar through the dashboard (its own route finds no dataset): as many
as the bar counts, on the columns the dashboard names and no other, and a record of one of them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser as Chromium
from playwright.sync_api import Page, expect

from .hubs import Browser, LiveHub, members_with_servers, with_this_front_end
from .test_hub_documents_browser import (
    LIVE_MS,
    lg_chromium,  # noqa: F401 - the chromium fixture
    on_server,
    open_in_drive,
    open_lab,
)

pytestmark = pytest.mark.slow

PEOPLE = ("ada", "cy")
CSV = (
    "region,revenue,units,secret\n"
    "EMEA,10.5,1,s1\nAPAC,20.0,2,s2\nEMEA,5.25,3,s3\nZürich,7.0,4,s4\nEMEA,1.0,5,s5\n"
)


@pytest.fixture(scope="module")
def lg_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHub]:
    hub = with_this_front_end(LiveHub(tmp_path_factory.mktemp("hub-drill-browser") / "state"))
    try:
        yield hub.start()
    finally:
        hub.stop()


@pytest.fixture(scope="module")
def lg_people(lg_hub: LiveHub) -> dict[str, Browser]:
    """ada and cy, approved, each with their server running."""
    from .test_hub_documents_browser import PASSWORD

    return members_with_servers(lg_hub, PEOPLE, PASSWORD)


#: Where Plotly draws bar ``i`` of the first trace, in page pixels, from Plotly's own axes.
BAR_POSITION = """
([i]) => {
  const gd = document.querySelector('.jp-LiveGraphs-DashboardDocument .jp-LiveGraphs-chartPlot');
  const layout = gd._fullLayout, point = gd.calcdata[0][i], trace = gd._fullData[0];
  const xa = layout['xaxis' + (trace.xaxis || 'x').slice(1)];
  const ya = layout['yaxis' + (trace.yaxis || 'y').slice(1)];
  const box = gd.getBoundingClientRect();
  return { x: box.left + xa._offset + xa.c2p((point.p0 + point.p1) / 2),
           y: box.top + ya._offset + ya.c2p((point.s0 + point.s1) / 2) };
}
"""


def click_bar(page: Page, plot: Any, index: int) -> None:
    """Move to the bar as a person does, wait for Plotly's hover to name it, then click."""
    pos = page.evaluate(BAR_POSITION, [index])
    page.mouse.move(pos["x"] - 6, pos["y"] - 6)
    page.mouse.move(pos["x"], pos["y"], steps=4)
    deadline = time.monotonic() + 30
    while plot.evaluate("gd => (gd._hoverdata || [])[0]?.pointNumber") != index:
        assert time.monotonic() < deadline, "Plotly's hover never named the bar"
        time.sleep(0.1)
    page.mouse.down()
    page.mouse.up()


def test_a_viewer_drills_a_dashboard_bar_to_the_rows_it_lends(
    lg_hub: LiveHub,
    lg_people: dict[str, Browser],
    lg_chromium: Chromium,  # noqa: F811 - the fixture imported above
) -> None:
    hub = lg_hub
    ada, cy = (open_lab(lg_chromium, hub, name) for name in PEOPLE)
    r = on_server(hub, ada, "ada", "POST", "datasets?name=sales", data=CSV.encode(),
                  headers={"Content-Type": "text/csv"})  # fmt: skip
    assert r.status_code == 201, r.text
    sales = r.json()["id"]
    spec = {
        "version": 1,
        "dataset": {"id": sales},
        "mark": "bar",
        "encoding": {"x": {"field": "region"}, "y": {"aggregate": "count"}},
    }
    content = {
        "version": 1,
        "title": "Regions",
        "crossfilter": True,
        "filters": [{"id": "f1", "kind": "range", "dataset": sales, "column": "revenue", "value": None}],
        "charts": {"c1": {"spec": spec, "layout": {"x": 0, "y": 0, "w": 6, "h": 4}}},
    }
    r = on_server(hub, ada, "ada", "POST", "documents", json={"kind": "dashboard", "content": content})
    assert r.status_code == 201, r.text
    doc_id = r.json()["id"]
    r = on_server(hub, ada, "ada", "PUT", f"documents/{doc_id}/shares",
                  json={"kind": "user", "name": "cy", "role": "viewer"})  # fmt: skip
    assert r.status_code in (200, 201), r.text
    # cy cannot read the dataset itself
    assert on_server(hub, cy, "cy", "GET", f"datasets/{sales}/rows").status_code == 404

    open_in_drive(cy, "Shared with me", "ada", "Regions.lgdash")
    chart = cy.locator(".jp-LiveGraphs-DashboardDocument .jp-LiveGraphs-ChartView").first
    expect(chart).to_have_attribute("data-lg-state", "ready", timeout=60_000)
    plot = chart.locator(".jp-LiveGraphs-chartPlot")
    bars = plot.evaluate("gd => ({x: Array.from(gd.data[0].x), y: Array.from(gd.data[0].y)})")
    index = bars["x"].index("EMEA")
    click_bar(cy, plot, index)
    chart.get_by_role("button", name="View rows").click()
    dialog = cy.get_by_role("dialog", name="Rows behind region: EMEA")
    # as many rows as the bar counts, on the dashboard's columns only (units and secret are not lent)
    assert bars["y"][index] == 3
    expect(dialog.get_by_role("status")).to_have_text("3 rows", timeout=LIVE_MS)
    table = dialog.get_by_role("table", name="Rows")
    expect(table.locator("thead th")).to_have_text(["", "region", "revenue"])
    expect(table.locator("tbody tr td:nth-child(3)")).to_have_text(["10.5", "5.25", "1"])
    dialog.get_by_role("button", name="Open record 2").click()
    record = dialog.get_by_role("region", name="Record 2")
    expect(record.locator("dt")).to_have_text(["region", "revenue"])
    expect(record.locator("dd")).to_have_text(["EMEA", "5.25"])
