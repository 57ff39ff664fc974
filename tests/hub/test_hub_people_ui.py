"""Sign-up, approval and the activity log on a real hub, in Debian chromium (Playwright).

- The sign-up page states its rules (length, no common password, approval) before anyone fails
  them, and its show-password toggle is an icon of the hub's own icon font, not an emoji that
  Debian's fonts draw as an empty box.
- An approved sign-up is among the users of the admin page at once, not only after a first login,
  whether approved there or on the hub's own ``/hub/authorize`` page.
- Opening a dashboard in JupyterLab is a "dashboard view" on the Activity page.
- The Engagement page's "Most used datasets" keeps its bars readable under long dataset names.

Screenshots are kept under ``ui-tests/test-results/hub-people/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser as Chromium
from playwright.sync_api import Locator, Page, expect, sync_playwright

from .hubs import REPO, Browser, LiveHub, approved_member, start_server, with_cookies_of, with_this_front_end
from .test_hub_documents_browser import on_server, open_in_drive

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = REPO / "ui-tests" / "test-results" / "hub-people"
PASSWORD = "quiet-harbour-lantern-58"


@pytest.fixture(scope="module")
def lg_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHub]:
    hub = with_this_front_end(LiveHub(tmp_path_factory.mktemp("hub-people") / "state"))
    try:
        yield hub.start()
    finally:
        hub.stop()


@pytest.fixture
def lg_chromium() -> Iterator[Chromium]:
    assert CHROMIUM.exists(), "Debian chromium is needed (scripts/test.sh installs it)"
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-sync"],
        )
        try:
            yield browser
        finally:
            browser.close()


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def admin_page(browser: Chromium, hub: LiveHub, page_name: str) -> Page:
    """The first admin, logged in, on one of the livegraphs admin pages."""
    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    page.goto(hub.url + "hub/login?next=" + quote("/hub/home"))
    page.get_by_label("Username", exact=True).fill("admin")
    page.get_by_label("Password", exact=True).fill(hub.first_admin_password() or "")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url("**/hub/home")
    page.goto(hub.service_url + f"admin/{page_name}")
    return page


def sign_up(page: Page, hub: LiveHub, name: str) -> None:
    page.goto(hub.url + "hub/signup")
    # (by id: the fields keep the ids NativeAuthenticator's page gives them)
    page.locator("#username_input").fill(name)
    page.locator("#email_input").fill(f"{name}@example.org")
    page.locator("#password_input").fill(PASSWORD)
    page.locator("#password_confirmation_input").fill(PASSWORD)
    page.get_by_role("button", name="Create User").click()
    expect(page.get_by_text("Your information has been sent to the admin")).to_be_visible()


def open_lab(browser: Chromium, hub: LiveHub, name: str) -> Page:
    """A new browser context of ``name``: logged in on the hub, then in JupyterLab on their server."""
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.goto(hub.url + "hub/login?next=" + quote(f"/hub/user/{name}/lab"))
    page.get_by_label("Username", exact=True).fill(name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(f"**/user/{name}/lab**", timeout=120_000)
    expect(page.locator("#jp-main-dock-panel")).to_be_visible(timeout=120_000)
    return page


def user_row(page: Page, name: str) -> Locator:
    """``name``'s row in the Users table (not among the sign-ups waiting)."""
    users = page.get_by_role("table", name=re.compile(r"^\d+ users$"))
    return users.get_by_role("row").filter(has=page.get_by_role("cell", name=name, exact=True))


def test_sign_up_states_its_rules_up_front_and_draws_its_icon(lg_hub: LiveHub, lg_chromium: Chromium) -> None:
    page = lg_chromium.new_context(viewport={"width": 1280, "height": 800}).new_page()
    # When someone opens the sign-up page, before typing anything
    page.goto(lg_hub.url + "hub/signup")
    # Then it says what a password needs (LIVEGRAPHS_MIN_PASSWORD, 10 by default) and that an
    # admin approves the account
    rules = page.get_by_role("list", name="What an account needs")
    expect(rules).to_contain_text("at least 10 characters")
    expect(rules).to_contain_text("not one of the commonly used ones")
    expect(rules).to_contain_text("An admin approves each new account")
    expect(rules).to_contain_text("without spaces, commas or slashes")
    password = page.get_by_label("Password", exact=True)
    expect(password).to_have_attribute("minlength", "10")
    # and the browser holds back a short password with that rule, before the hub sees it
    page.get_by_label("Username", exact=True).fill("tess")
    page.get_by_label("Email", exact=True).fill("tess@example.org")
    password.fill("short")
    page.get_by_label("Confirm password", exact=True).fill("short")
    page.get_by_role("button", name="Create User").click()
    assert page.evaluate("() => document.getElementById('password_input').validity.tooShort") is True
    expect(page).to_have_url(lg_hub.url + "hub/signup")
    shot(page, "01-signup-rules")

    # The show-password toggle is an icon of the hub's icon font, with no text to draw as a box
    toggle = page.get_by_role("button", name="Show password")
    expect(toggle).to_have_text("")
    page.evaluate("document.fonts.ready")
    glyph = page.evaluate(
        """() => {
          const icon = document.querySelector('#toggle_password_visibility i');
          const style = getComputedStyle(icon, '::before');
          const box = icon.getBoundingClientRect();
          return {font: style.fontFamily, content: style.content, width: box.width,
                  loaded: document.fonts.check(`${style.fontWeight} 16px ${style.fontFamily}`)};
        }"""
    )
    assert "Font Awesome" in glyph["font"] and glyph["content"] not in ("none", "normal", '""'), glyph
    assert glyph["width"] > 4 and glyph["loaded"], glyph
    toggle.click()
    expect(password).to_have_attribute("type", "text")
    expect(page.get_by_role("button", name="Hide password")).to_have_attribute("aria-pressed", "true")
    page.context.close()


def test_an_approved_sign_up_is_listed_among_the_users_at_once(
    lg_hub: LiveHub, lg_chromium: Chromium
) -> None:
    # Given pia and quin signed up and are waiting
    user = lg_chromium.new_context(viewport={"width": 1280, "height": 800}).new_page()
    for name in ("pia", "quin"):
        sign_up(user, lg_hub, name)
    admin = admin_page(lg_chromium, lg_hub, "users")
    for name in ("pia", "quin"):
        expect(admin.get_by_role("row").filter(has_text=f"{name}@example.org")).to_be_visible()
        expect(user_row(admin, name)).to_have_count(0)

    # When the admin approves pia on the admin page
    admin.get_by_role("row").filter(has_text="pia@example.org").get_by_role("button", name="Approve").click()
    expect(admin.get_by_text("Approved pia.")).to_be_visible()
    # Then pia is a user at once, before her first login, and may be put in a team
    pia = user_row(admin, "pia")
    expect(pia).to_be_visible()
    expect(pia).to_contain_text("not signed in yet")
    expect(pia).to_contain_text("everyone")
    pia.get_by_label("Team to add pia to").fill("team-sea")
    pia.get_by_role("button", name="Add").click()
    expect(admin.get_by_text("Added pia to team-sea.")).to_be_visible()
    shot(admin, "02-approved-listed")

    # and so is quin, approved on the hub's own approval page
    admin.goto(lg_hub.url + "hub/authorize")
    admin.locator("tr#quin").get_by_role("button", name="Authorize").click()
    expect(admin.locator("tr#quin")).to_contain_text("Yes")
    admin.goto(lg_hub.service_url + "admin/users")
    expect(user_row(admin, "quin")).to_contain_text("not signed in yet")
    expect(admin.get_by_role("row").filter(has_text="quin@example.org")).to_have_count(0)

    # And pia's first login is the login of that same user
    user.goto(lg_hub.url + "hub/login")
    user.get_by_label("Username", exact=True).fill("pia")
    user.get_by_label("Password", exact=True).fill(PASSWORD)
    user.get_by_role("button", name="Sign in", exact=True).click()
    user.wait_for_url("**/user/pia/**", timeout=120_000)
    me = with_cookies_of(user, "GET", lg_hub.url + "hub/api/user").json()
    assert me["name"] == "pia" and "team-sea" in me["groups"]
    user.context.close()
    admin.context.close()


def test_opening_a_dashboard_is_a_dashboard_view_on_the_activity_page(
    lg_hub: LiveHub, lg_chromium: Chromium
) -> None:
    # Given ada (approved; her server running) with a dashboard, shared with bo
    admin = Browser(lg_hub)
    admin.login("admin", lg_hub.first_admin_password() or "")
    approved_member(lg_hub, admin, "ada", PASSWORD)
    approved_member(lg_hub, admin, "bo", PASSWORD)
    start_server(lg_hub, admin, "ada")
    ada = open_lab(lg_chromium, lg_hub, "ada")
    r = on_server(
        lg_hub, ada, "ada", "POST", "documents", json={"kind": "dashboard", "title": "Harbour board"}
    )
    assert r.status_code == 201, r.text
    doc_id = r.json()["id"]
    r = on_server(lg_hub, ada, "ada", "PUT", f"documents/{doc_id}/shares",
                  json={"kind": "user", "name": "bo", "role": "viewer"})  # fmt: skip
    assert r.status_code in (200, 201), r.text

    # When ada opens it in JupyterLab, closes it and opens it again (one sitting)
    open_in_drive(ada, "My dashboards and charts", "Harbour board.lgdash")
    ada.get_by_role("tab", name=re.compile("Harbour board")).locator(".lm-TabBar-tabCloseIcon").click()
    expect(ada.locator(".jp-LiveGraphs-DashboardDocument")).to_have_count(0)
    drive = ada.locator("#livegraphs-documents")  # still open, in that folder
    drive.locator(".jp-DirListing-item", has_text="Harbour board.lgdash").dblclick()
    expect(ada.locator(".jp-LiveGraphs-DashboardDocument .jp-LiveGraphs-RoomStatus")).to_have_attribute(
        "data-status", "connected", timeout=60_000
    )

    # Then the admin's Activity page shows one dashboard view of it by ada, named as such
    page = admin_page(lg_chromium, lg_hub, "activity")
    kinds = page.get_by_label("Kind")
    kinds.select_option("dashboard_view")
    page.get_by_role("button", name="Filter").click()
    rows = page.get_by_role("row").filter(has_text="Harbour board")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("ada")
    expect(rows).to_contain_text("dashboard view")
    expect(rows).to_contain_text("via: room")
    shot(page, "03-activity-dashboard-view")
    # and a notebook's lg.load has a kind of its own (tests/hub/test_hub_names.py loads in a kernel)
    expect(kinds.locator('option[value="load"]')).to_have_text("load")
    ada.context.close()
    page.context.close()


LONG = [
    f"{place} harbour departures and arrivals, every ferry {year}"
    for place, year in (
        ("Ålesund", 2021),
        ("Bodø", 2022),
        ("Tromsø", 2023),
        ("Kristiansund", 2024),
        ("Hammerfest", 2025),
        ("Lillehammer", 2026),
    )
]


def test_most_used_datasets_stay_readable_under_long_names(lg_hub: LiveHub, lg_chromium: Chromium) -> None:
    # Given six datasets with long names (with non-ASCII letters), each uploaded and exported
    admin = Browser(lg_hub)
    admin.login("admin", lg_hub.first_admin_password() or "")
    uma = approved_member(lg_hub, admin, "uma", PASSWORD)
    for name in LONG:
        r = uma.service("POST", "api/datasets", params={"name": name}, data=b"a,b\n1,2\n",
                        headers={"Content-Type": "text/csv"})  # fmt: skip
        assert r.status_code == 201, r.text
    # When the admin opens the Engagement page
    page = admin_page(lg_chromium, lg_hub, "engagement")
    figure = page.locator('[data-figure="top_datasets"]')
    expect(figure.locator(".main-svg").first).to_be_visible(timeout=30_000)
    figure.scroll_into_view_if_needed()
    shot(page, "04-engagement-long-names")
    # Then the long names are cut with an ellipsis under the bars
    ticks = figure.locator(".xaxislayer-above .xtick text")
    expect(ticks).to_have_count(len(LONG))
    labels = ticks.all_text_contents()
    assert all(label.endswith("…") and len(label) <= 16 for label in labels), labels
    # and the bars keep most of the chart's height
    plot = figure.locator(".nsewdrag").first.bounding_box()
    box = figure.bounding_box()
    assert plot and box and plot["height"] >= 0.5 * box["height"], (plot, box)
    # and pointing at a bar shows its whole name
    bar = figure.locator(".bars .point path").first.bounding_box()
    assert bar
    # (Plotly's drag layer above the bars takes the pointer and draws the hover)
    page.mouse.move(bar["x"] + bar["width"] / 2, bar["y"] + bar["height"] / 2)
    whole = re.compile("|".join(re.escape(f"{name} (uma)") for name in LONG))
    expect(figure.locator(".hoverlayer")).to_contain_text(whole)
    page.context.close()
