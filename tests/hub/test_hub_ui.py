"""The hub in Debian chromium (Playwright): sign up, approval on the admin page, login and JupyterLab,
a single sign-on login through the OIDC provider, each admin page, and a named server shared for a
notebook edited together, with screenshots kept under ``ui-tests/test-results/hub-admin/``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests
from playwright.sync_api import Browser as Chromium
from playwright.sync_api import Locator, Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from .hubs import REPO, LiveHub, OIDCProvider, with_cookies_of

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = REPO / "ui-tests" / "test-results" / "hub-admin"
PASSWORD = "orange-lighthouse-basket-31"
HOSTILE = "<img src=x onerror=window.__pwned=1>"
#: A checkout's own JupyterLab build for users' servers, when it has one (``.jp/labextensions``, as
#: for the galata tests); otherwise the installed one.
LOCAL_BUILD = REPO / ".jp"


@pytest.fixture(scope="module")
def lg_ui_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveHub, OIDCProvider]]:
    root = tmp_path_factory.mktemp("hub-ui")
    config = ""
    if (LOCAL_BUILD / "labextensions").is_dir():
        path = {"JUPYTER_PATH": str(LOCAL_BUILD)}
        config = f"c.Spawner.environment = {{**c.Spawner.environment, **{path!r}}}\n"
    hub = LiveHub(root / "state", config=config)
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
    user.goto(hub.service_url + "")
    xsrf = next(
        c["value"] for c in user_ctx.cookies() if c["name"] == "_xsrf" and c["path"].startswith("/services")
    )
    for name, csv in (("nina-trips", "city,km\nOslo,12\nBergen,7\n"), (HOSTILE, "a\n1\n")):
        r = with_cookies_of(
            user, "POST", hub.service_url + "api/datasets?" + urlencode({"name": name}),
            data=csv, headers={"Content-Type": "text/csv", "X-XSRFToken": xsrf},
        )  # fmt: skip
        assert r.status_code == 201, r.text

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
    expect(page.locator(".jp-Launcher")).to_be_visible(timeout=120_000)
    find_in_palette(page, "livegraphs admin", page.get_by_text("livegraphs Admin Pages"))
    with ctx.expect_page() as opened:
        page.get_by_text("livegraphs Admin Pages").click()
    admin_tab = opened.value
    expect(admin_tab.get_by_role("heading", name="Datasets")).to_be_visible(timeout=30_000)
    admin_tab.close()
    page.goto(hub.service_url + "admin/users")
    row = page.get_by_role("row").filter(has=page.get_by_role("cell", name="olivia", exact=True))
    expect(row).to_contain_text("team-green")
    expect(row).to_contain_text("oidc")
    expect(row).to_contain_text("admin")
    shot(page, "09-sso-admin-users")
    ctx.close()


def sso_login(page: Page, hub: LiveHub, name: str) -> None:
    """Log in through the OIDC provider (any name); the user's default server starts."""
    page.goto(hub.url + "hub/login")
    page.get_by_role("button", name="Sign in with single sign-on").click()
    page.locator("input[name=login]").fill(name)
    page.locator("input[name=password]").fill("any")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"**/user/{name}/**", timeout=120_000)


def hub_api(page: Page, hub: LiveHub, method: str, path: str, **kwargs: object) -> requests.Response:
    """The hub's REST API with the browser's login (and the hub's _xsrf cookie, set by a hub page)."""
    cookies = page.context.cookies(hub.url + "hub/")
    xsrf = next((c["value"] for c in cookies if c["name"] == "_xsrf" and c["path"] == "/hub/"), None)
    if xsrf is None:
        page.goto(hub.url + "hub/home")
        cookies = page.context.cookies(hub.url + "hub/")
        xsrf = next(c["value"] for c in cookies if c["name"] == "_xsrf" and c["path"] == "/hub/")
    url = hub.url + "hub/api/" + path
    return with_cookies_of(page, method, url, headers={"X-XSRFToken": xsrf}, **kwargs)


def open_lab(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator("#jp-main-dock-panel")).to_be_visible(timeout=120_000)


def find_in_palette(page: Page, text: str, item: Locator) -> Locator:
    """Types ``text`` into the command palette until ``item`` shows; returns the palette's input.

    The shortcut works once JupyterLab has finished starting, which takes a while on a busy machine.
    It toggles the palette, so it is pressed again only while the palette is closed: a press that
    opened it late must not be undone by the next one. The palette also closes whenever focus
    leaves it (a notebook's editor taking focus back after typing, a redraw), so opening and typing
    are tried again together until the item is there.
    """
    search = page.get_by_role("textbox", name="Search")
    for _ in range(40):
        if not search.is_visible():
            page.keyboard.press("Control+Shift+C")
        try:
            search.fill(text, timeout=5_000)
            item.wait_for(state="visible", timeout=5_000)
        except PlaywrightTimeout:
            continue
        return search
    raise AssertionError(f"the command palette never stayed open long enough to show {text!r}")


def run_from_palette(page: Page, label: str) -> None:
    # (the list redraws as it filters: the first match is taken with Enter, not a click)
    active = page.locator(".lm-CommandPalette-item.lm-mod-active", has_text=label)
    find_in_palette(page, label, active).press("Enter")


def test_a_named_server_shared_for_a_notebook_edited_together(
    lg_ui_hub: tuple[LiveHub, OIDCProvider], lg_chromium: Chromium
) -> None:
    hub, _ = lg_ui_hub
    owner_ctx, guest_ctx = lg_chromium.new_context(), lg_chromium.new_context()
    pia, quinn = owner_ctx.new_page(), guest_ctx.new_page()
    sso_login(pia, hub, "pia")
    sso_login(quinn, hub, "quinn")

    # pia starts a named server "pair" and opens the share dialog there: it says who runs the code
    r = hub_api(pia, hub, "POST", "users/pia/servers/pair")
    assert r.status_code in (201, 202), r.text
    deadline = time.monotonic() + 120
    while not (hub_api(pia, hub, "GET", "users/pia").json()["servers"].get("pair") or {}).get("ready"):
        assert time.monotonic() < deadline, hub.log()[-3000:]
        time.sleep(0.5)
    pair = hub.user_url("pia") + "pair/"
    open_lab(pia, pair + "lab")
    created = pia.evaluate(
        """async () => {
            const xsrf = document.cookie.split('; ').find(c => c.startsWith('_xsrf=')).slice(6);
            const cells = [{cell_type: 'code', source: '', metadata: {}, outputs: [], execution_count: null}];
            const kernelspec = {name: 'python3', display_name: 'Python 3', language: 'python'};
            const r = await fetch('api/contents/together.ipynb', {method: 'PUT',
                headers: {'X-XSRFToken': decodeURIComponent(xsrf), 'Content-Type': 'application/json'},
                body: JSON.stringify({type: 'notebook', format: 'json', content:
                    {cells, metadata: {kernelspec},
                     nbformat: 4, nbformat_minor: 5}})});
            return r.status;
        }"""
    )
    assert created == 201
    run_from_palette(pia, "Generate a Shared Link")
    dialog = pia.locator(".jp-Dialog")
    # the hub's own share UI (pia's browser token may manage this server's shares)
    expect(dialog).to_contain_text("Share Jupyter Server pair", timeout=30_000)
    expect(dialog.locator(".jp-LiveGraphs-shareNotice")).to_contain_text(
        'People you share "pair" with run code as you'
    )
    # she finds quinn in it and shares the server with him
    dialog.get_by_placeholder("Type to search for a user").fill("quin")
    dialog.locator(".jp-ManageSharesBody-user-item", has_text="quinn").click()
    expect(dialog.locator(".jp-ManageSharesBody-selected-users")).to_contain_text("quinn")
    shot(pia, "10-share-dialog-named-server")
    dialog.get_by_role("button", name="Close").click()
    shares = hub_api(pia, hub, "GET", "shares/pia/pair").json()["items"]
    assert [s["user"]["name"] for s in shares] == ["quinn"]
    # a default server is not shared
    r = hub_api(pia, hub, "POST", "shares/pia/", json={"user": "quinn"})
    assert r.status_code == 403 and "default server cannot be shared" in r.json()["message"]

    # both edit the notebook; quinn's typing reaches pia's page
    open_lab(pia, pair + "lab/tree/together.ipynb")
    # quinn, on someone else's server, first confirms at the hub what it may know of him
    quinn.goto(pair + "lab/tree/together.ipynb")
    expect(quinn.get_by_text("Server at /user/pia/pair/")).to_be_visible(timeout=60_000)
    quinn.get_by_role("button", name="Authorize").click()
    expect(quinn.locator("#jp-main-dock-panel")).to_be_visible(timeout=120_000)
    editor = quinn.locator(".jp-Notebook .jp-Cell .cm-content").first
    expect(editor).to_be_visible(timeout=60_000)
    editor.click()
    quinn.keyboard.type("print('written by quinn')")
    expect(pia.locator(".jp-Notebook .jp-Cell .cm-content").first).to_contain_text(
        "written by quinn", timeout=30_000
    )
    shot(pia, "11-notebook-together")
    # quinn's share dialog says whose server this is
    run_from_palette(quinn, "Generate a Shared Link")
    expect(quinn.locator(".jp-LiveGraphs-shareNotice")).to_contain_text(
        'This is pia\'s server "pair": code you run here runs as pia', timeout=30_000
    )
    shot(quinn, "12-share-dialog-guest")
    owner_ctx.close()
    guest_ctx.close()
