"""The hub in Debian chromium (Playwright): sign up, approval on the admin page, login and JupyterLab,
a single sign-on login through the OIDC provider, and each admin page, with screenshots kept under
``ui-tests/test-results/hub-admin/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser as Chromium
from playwright.sync_api import Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from .hubs import REPO, LiveHub, OIDCProvider

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = REPO / "ui-tests" / "test-results" / "hub-admin"
PASSWORD = "orange-lighthouse-basket-31"
HOSTILE = "<img src=x onerror=window.__pwned=1>"


@pytest.fixture(scope="module")
def lg_ui_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveHub, OIDCProvider]]:
    root = tmp_path_factory.mktemp("hub-ui")
    hub = LiveHub(root / "state")
    accounts = {"olivia": {"name": "Olivia", "groups": ["livegraphs-admins", "team-green"]}}
    provider = OIDCProvider(root / "oidc", accounts, [hub.url + "hub/oauth/oidc/callback"]).start()
    hub.extra_env.update(
        LIVEGRAPHS_OIDC_ISSUER=provider.issuer,
        LIVEGRAPHS_OIDC_CLIENT_ID=provider.client_id,
        LIVEGRAPHS_OIDC_CLIENT_SECRET=provider.client_secret,
    )
    try:
        hub.start()
        yield hub, provider
    finally:
        hub.stop()
        provider.stop()


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


def test_sign_up_approve_log_in_and_admin_pages(
    lg_ui_hub: tuple[LiveHub, OIDCProvider], lg_chromium: Chromium
) -> None:
    hub, _provider = lg_ui_hub
    user_ctx = lg_chromium.new_context(viewport={"width": 1280, "height": 800})
    admin_ctx = lg_chromium.new_context(viewport={"width": 1400, "height": 900})
    user, admin = user_ctx.new_page(), admin_ctx.new_page()

    # Given nina signs up on the hub's sign-up page
    user.goto(hub.url + "hub/signup")
    user.locator("#username_input").fill("nina")
    user.locator("#email_input").fill("nina@example.org")
    user.locator("#password_input").fill(PASSWORD)
    user.locator("#password_confirmation_input").fill(PASSWORD)
    user.get_by_role("button", name="Create User").click()
    expect(user.get_by_text("Your information has been sent to the admin")).to_be_visible()
    shot(user, "01-signup")

    # When the first admin logs in with the printed password and opens the admin pages from the
    # hub's Services menu
    admin.goto(hub.url + "hub/login")
    shot(admin, "02-login-page")
    admin.get_by_label("Username", exact=True).fill("admin")
    admin.get_by_label("Password", exact=True).fill(hub.first_admin_password() or "")
    admin.get_by_role("button", name="Sign in", exact=True).click()
    admin.goto(hub.url + "hub/home")
    admin.get_by_role("button", name="Services").click()
    admin.get_by_role("link", name="livegraphs admin").click()
    expect(admin.get_by_role("heading", name="Datasets")).to_be_visible()

    # Then the pending sign-up is approved on the Users and roles page
    admin.get_by_role("link", name="Users and roles").click()
    row = admin.get_by_role("row").filter(has_text="nina@example.org")
    row.get_by_role("button", name="Approve").click()
    expect(admin.get_by_text("Approved nina.")).to_be_visible()

    # And nina logs in; her server starts with JupyterLab and livegraphs
    user.goto(hub.url + "hub/login")
    user.get_by_label("Username", exact=True).fill("nina")
    user.get_by_label("Password", exact=True).fill(PASSWORD)
    user.get_by_role("button", name="Sign in", exact=True).click()
    user.wait_for_url("**/user/nina/lab**", timeout=120_000)
    expect(user.locator("#jp-main-dock-panel")).to_be_visible(timeout=120_000)
    shot(user, "03-jupyterlab")

    # She uploads two datasets (one with a hostile name) through the service
    user.goto(hub.url + "services/livegraphs/")
    xsrf = next(
        c["value"] for c in user_ctx.cookies() if c["name"] == "_xsrf" and c["path"].startswith("/services")
    )
    for name, csv in (("nina-trips", "city,km\nOslo,12\nBergen,7\n"), (HOSTILE, "a\n1\n")):
        r = user.request.post(
            hub.url + "services/livegraphs/api/datasets?" + urlencode({"name": name}),
            data=csv,
            headers={"Content-Type": "text/csv", "X-XSRFToken": xsrf},
        )
        assert r.status == 201, r.text()

    # The admin promotes nina and puts her in a team
    admin.reload()
    row = admin.get_by_role("row").filter(has=admin.get_by_role("cell", name="nina", exact=True))
    row.get_by_role("button", name="Promote to admin").click()
    expect(admin.get_by_text("nina is now an admin.")).to_be_visible()
    row = admin.get_by_role("row").filter(has=admin.get_by_role("cell", name="nina", exact=True))
    row.get_by_label("Team to add nina to").fill("team-green")
    row.get_by_role("button", name="Add").click()
    expect(admin.get_by_text("Added nina to team-green.")).to_be_visible()
    shot(admin, "04-admin-users")

    # The Datasets page lists every dataset; names are text; delete asks first
    admin.get_by_role("link", name="Datasets").click()
    expect(admin.get_by_role("cell", name=HOSTILE, exact=True)).to_be_visible()
    assert admin.locator("table img").count() == 0
    assert admin.evaluate("window.__pwned") is None
    admin.get_by_label("Search datasets").fill("trips")
    expect(admin.get_by_role("cell", name="nina-trips", exact=True)).to_be_visible()
    expect(admin.get_by_role("cell", name=HOSTILE, exact=True)).to_have_count(0)
    shot(admin, "05-admin-datasets")
    admin.get_by_role("button", name="Delete nina-trips of nina").click()
    dialog = admin.get_by_role("dialog")
    expect(dialog).to_contain_text("nina-trips")
    shot(admin, "06-admin-delete-confirm")
    dialog.get_by_role("button", name="Delete dataset").click()
    expect(admin.get_by_text("Deleted “nina-trips” of nina.")).to_be_visible()
    expect(admin.get_by_role("cell", name="nina-trips", exact=True)).to_have_count(0)

    # The Activity page shows logins, uploads and the admin's delete, filterable
    admin.get_by_role("link", name="Activity").click()
    expect(admin.get_by_role("cell", name="server start").first).to_be_visible()
    admin.get_by_label("User").fill("admin")
    admin.get_by_label("Kind").select_option("delete")
    admin.get_by_role("button", name="Filter").click()
    expect(admin.get_by_text("1 events")).to_be_visible()
    expect(admin.get_by_role("cell", name="“nina-trips” of nina")).to_be_visible()
    shot(admin, "07-admin-activity")

    # The Engagement page draws its charts with Plotly
    admin.get_by_role("link", name="Engagement").click()
    expect(admin.locator("[data-figure] .main-svg").first).to_be_visible(timeout=30_000)
    assert admin.locator("[data-figure] .main-svg").count() >= 5 * 2
    shot(admin, "08-admin-engagement")

    user_ctx.close()
    admin_ctx.close()


def test_single_sign_on_admin_reaches_the_admin_pages(
    lg_ui_hub: tuple[LiveHub, OIDCProvider], lg_chromium: Chromium
) -> None:
    hub, _ = lg_ui_hub
    ctx = lg_chromium.new_context()
    page = ctx.new_page()
    page.goto(hub.url + "hub/login")
    page.get_by_role("button", name="Sign in with single sign-on").click()
    # The provider's own sign-in and consent pages
    page.locator("input[name=login]").fill("olivia")
    page.locator("input[name=password]").fill("any")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/user/olivia/**", timeout=120_000)
    # In her JupyterLab, the command palette opens the admin pages
    expect(page.locator("#jp-main-dock-panel")).to_be_visible(timeout=120_000)
    search = page.get_by_role("textbox", name="Search")
    # The shortcut works once JupyterLab has finished starting, which takes a while on a busy machine.
    # It toggles the palette, so it is pressed again only while the palette is still closed: a press
    # that opened it late must not be undone by the next one.
    expect(page.locator(".jp-Launcher")).to_be_visible(timeout=120_000)
    for _ in range(40):
        if search.is_visible():
            break
        page.keyboard.press("Control+Shift+C")
        try:
            search.wait_for(state="visible", timeout=5_000)
        except PlaywrightTimeout:
            continue
    expect(search).to_be_visible()
    search.fill("livegraphs admin")
    with ctx.expect_page() as opened:
        page.get_by_text("livegraphs Admin Pages").click()
    admin_tab = opened.value
    expect(admin_tab.get_by_role("heading", name="Datasets")).to_be_visible(timeout=30_000)
    admin_tab.close()
    page.goto(hub.url + "services/livegraphs/admin/users")
    row = page.get_by_role("row").filter(has=page.get_by_role("cell", name="olivia", exact=True))
    expect(row).to_contain_text("team-green")
    expect(row).to_contain_text("oidc")
    expect(row).to_contain_text("admin")
    shot(page, "09-sso-admin-users")
    ctx.close()
