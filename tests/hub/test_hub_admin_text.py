"""The admin pages in Debian chromium (Playwright) on a real hub: a dataset named like an HTML link,
and a sign-up named like HTML, show as those characters on every admin page, charts included,
and never become elements.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser as Chromium
from playwright.sync_api import Page, expect

from .hubs import Browser, LiveHub
from .test_hub_ui import lg_chromium, shot

__all__ = ["lg_chromium"]

pytestmark = pytest.mark.slow

# Dataset names hold no slash (owner/name names a dataset), so the link is unclosed and its URL
# has backslashes, which browsers read as slashes: markup all the same.
LINK = '<a href="https:\\\\example.com\\">x'
# Sign-up names may hold no space, comma or slash, so no link: markup all the same.
SIGNUP = "<b>zed<b>"
PASSWORD = "amber-canyon-ledger-58"

# Links to example.com the page holds, HTML or SVG (Plotly writes xlink:href).
LINKS_OUT = """() => [...document.querySelectorAll('a')].filter(a =>
    [a.getAttribute('href'), a.getAttribute('xlink:href'),
     a.getAttributeNS('http://www.w3.org/1999/xlink', 'href')]
      .some(h => (h || '').includes('example.com'))).length"""


@pytest.fixture(scope="module")
def lg_text_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHub]:
    hub = LiveHub(tmp_path_factory.mktemp("hub-admin-text") / "state")
    try:
        yield hub.start()
    finally:
        hub.stop()


def no_link(page: Page) -> None:
    assert page.locator('a[href*="example.com"]').count() == 0
    assert page.evaluate(LINKS_OUT) == 0
    assert page.locator("#content b").count() == 0


def test_names_like_html_show_as_text_on_every_admin_page(
    lg_text_hub: LiveHub, lg_chromium: Chromium
) -> None:
    hub = lg_text_hub
    ctx = lg_chromium.new_context(viewport={"width": 1400, "height": 900})
    page = ctx.new_page()

    # Given someone signs up as <b>zed<b>, and the admin uploads a dataset named like a link
    assert "admin" in Browser(hub).signup(SIGNUP, PASSWORD, email="zed@example.org")
    page.goto(hub.url + "hub/login")
    page.get_by_label("Username", exact=True).fill("admin")
    page.get_by_label("Password", exact=True).fill(hub.first_admin_password() or "")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.goto(hub.url + "services/livegraphs/")
    xsrf = next(
        c["value"] for c in ctx.cookies() if c["name"] == "_xsrf" and c["path"].startswith("/services")
    )
    r = page.request.post(
        hub.url + "services/livegraphs/api/datasets?" + urlencode({"name": LINK}),
        data="city,km\nOslo,12\nBergen,7\n",
        headers={"Content-Type": "text/csv", "X-XSRFToken": xsrf},
    )
    assert r.status == 201, r.text()
    admin = hub.url + "services/livegraphs/admin/"

    # Then the Datasets page lists the name as text
    page.goto(admin + "datasets")
    expect(page.get_by_role("cell", name=LINK, exact=True)).to_be_visible()
    no_link(page)
    shot(page, "10-text-datasets")

    # The Users and roles page shows the sign-up's name as text
    page.goto(admin + "users")
    expect(page.get_by_role("cell", name=SIGNUP, exact=True)).to_be_visible()
    no_link(page)
    shot(page, "11-text-users")

    # The Activity page describes the upload with the name as text
    page.goto(admin + "activity")
    expect(page.get_by_role("cell", name=f"“{LINK}”")).to_be_visible()
    no_link(page)
    shot(page, "12-text-activity")

    # The Engagement page draws the name in its charts as text: a shortened tick label, and
    # the whole name when the bar is hovered
    page.goto(admin + "engagement")
    top = page.locator('[data-figure="top_datasets"]')
    expect(top.locator(".main-svg").first).to_be_visible(timeout=30_000)
    expect(page.locator("body[data-ready=true]")).to_have_count(1, timeout=30_000)
    expect(top.locator(".xtick text").first).to_contain_text('<a href="https:')
    # Plotly listens on the drag layer above the bars: move the mouse over the bar all the same
    top.locator(".bars .point path").first.hover(force=True)
    expect(top.locator(".hoverlayer")).to_contain_text(f"{LINK} (admin)")
    no_link(page)
    assert page.locator(".main-svg a").count() == 0
    shot(page, "13-text-engagement")

    ctx.close()
