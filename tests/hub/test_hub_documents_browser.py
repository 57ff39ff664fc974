"""A shared dashboard on a real hub, in Debian chromium (Playwright): three people, each in their own
browser context, logged in to the hub and in JupyterLab on their own server's origin.

ada makes a dashboard and shares it with bo (editor) and cy (viewer). ada and bo edit it together in the
LiveGraphs drive; cy sees every change live and can change nothing: the UI is read-only, and a Yjs update
sent by a script in cy's page over cy's own server's room URL is refused with y-websocket's
"permission-denied" and reaches nobody and not the store. ada then stops sharing with cy: cy's room is
closed and cy's dashboard says so. The servers load this checkout's JupyterLab extension
(``livegraphs_ext/labextension``, made by ``jlpm build``) through ``JUPYTER_PATH``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import requests
from playwright.sync_api import Browser as Chromium
from playwright.sync_api import Page, expect, sync_playwright
from pycrdt import Doc, create_sync_message, create_update_message, handle_sync_message

from livegraphs_ext.documents.dashboard import YDashboard

from .hubs import Browser, LiveHub, members_with_servers, with_cookies_of, with_this_front_end

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "cobalt-orchard-ferry-47"
PEOPLE = ("ada", "bo", "cy")
#: y-websocket's message types: sync (0) and auth (2)
SYNC, AUTH = 0, 2
#: how long a change may take to show in another browser (a loaded machine; typically well under 1 s)
LIVE_MS = 15_000


@pytest.fixture(scope="module")
def lg_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHub]:
    hub = with_this_front_end(LiveHub(tmp_path_factory.mktemp("hub-documents-browser") / "state"))
    try:
        yield hub.start()
    finally:
        hub.stop()


@pytest.fixture(scope="module")
def lg_people(lg_hub: LiveHub) -> dict[str, Browser]:
    """ada, bo and cy, approved, each with their server running."""
    return members_with_servers(lg_hub, PEOPLE, PASSWORD)


@pytest.fixture
def lg_chromium() -> Iterator[Chromium]:
    assert CHROMIUM.exists(), "Debian chromium is needed (scripts/test.sh installs it)"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-sync"],
        )
        try:
            yield browser
        finally:
            browser.close()


def open_lab(browser: Chromium, hub: LiveHub, name: str) -> Page:
    """A new browser context of ``name``: logged in on the hub's page, then in JupyterLab on their server."""
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.goto(hub.url + "hub/login?next=" + quote(f"/hub/user/{name}/lab"))
    page.get_by_label("Username", exact=True).fill(name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(f"**/user/{name}/lab**", timeout=120_000)
    assert urlsplit(page.url).hostname == f"{name}.localhost"
    expect(page.locator("#jp-main-dock-panel")).to_be_visible(timeout=120_000)
    return page


def on_server(
    hub: LiveHub, page: Page, name: str, method: str, path: str, **kwargs: Any
) -> requests.Response:
    """``path`` of the livegraphs API on ``name``'s own server, with the cookies of ``name``'s browser."""
    url = hub.user_url(name) + "livegraphs/api/" + path
    headers = dict(kwargs.pop("headers", {}))
    if method not in {"GET", "HEAD"}:
        headers["X-XSRFToken"] = next(c["value"] for c in page.context.cookies(url) if c["name"] == "_xsrf")
    return with_cookies_of(page, method, url, headers=headers, **kwargs)


def open_in_drive(page: Page, *names: str) -> None:
    """Open a document by double-clicking its folders and itself in the LiveGraphs file browser."""
    page.locator('.jp-SideBar .lm-TabBar-tab[data-id="livegraphs-documents"]').click()
    panel = page.locator("#livegraphs-documents")
    for name in names:
        panel.locator(".jp-DirListing-item", has_text=name).first.dblclick()
    expect(page.locator(".jp-LiveGraphs-DashboardDocument .jp-LiveGraphs-Dashboard")).to_be_visible(
        timeout=60_000
    )
    expect(room_status(page)).to_have_attribute("data-status", "connected", timeout=60_000)


def room_status(page: Page) -> Any:
    return page.locator(".jp-LiveGraphs-DashboardDocument .jp-LiveGraphs-RoomStatus")


def title_of(page: Page) -> Any:
    return page.locator(".jp-LiveGraphs-DashboardDocument").get_by_label("Dashboard title")


def crossfilter_of(page: Page) -> Any:
    return page.locator(".jp-LiveGraphs-DashboardDocument").get_by_role("checkbox", name="Cross-filter")


def badge(page: Page, name: str) -> Any:
    """``name``'s badge among the people here, in the dashboard's toolbar."""
    people = page.locator(".jp-LiveGraphs-DashboardDocument .jp-LiveGraphs-DashboardPeople")
    return people.locator(f'.jp-LiveGraphs-DashboardBadge[data-user="{name}"]')


def seen_by(pages: list[Page], check: Any, what: str) -> float:
    """Wait until ``check(page)`` holds on every page; the seconds it took."""
    start = time.monotonic()
    for page in pages:
        check(page)
    took = time.monotonic() - start
    print(f"{what}: seen by everyone {took * 1000:.0f} ms after it was made")
    return took


#: A raw y-websocket connection from a script of the page, outside JupyterLab's provider: it keeps
#: every message it receives, and its close code.
OPEN_RAW_SOCKET = """
async (url) => {
  const probe = { messages: [], closed: null };
  window.__lgProbe = probe;
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  probe.ws = ws;
  ws.onmessage = e => probe.messages.push(Array.from(new Uint8Array(e.data)));
  ws.onclose = e => { probe.closed = e.code; };
  await new Promise((opened, failed) => { ws.onopen = opened; ws.onerror = failed; });
}
"""


def probe_send(page: Page, message: bytes) -> None:
    page.evaluate("bytes => window.__lgProbe.ws.send(new Uint8Array(bytes))", list(message))


def probe_messages(page: Page) -> list[bytes]:
    return [bytes(m) for m in page.evaluate("() => window.__lgProbe.messages")]


def wait_for_probe(page: Page, condition: Any, what: str, timeout: float = 60) -> list[bytes]:
    deadline = time.monotonic() + timeout
    while not condition(messages := probe_messages(page)):
        assert time.monotonic() < deadline, f"not received in {timeout} s: {what}"
        time.sleep(0.1)
    return messages


def denials(messages: list[bytes]) -> int:
    return sum(1 for m in messages if m[0] == AUTH and b"permission-denied" in m)


def test_two_editors_and_a_viewer_in_chromium(
    lg_hub: LiveHub, lg_people: dict[str, Browser], lg_chromium: Chromium
) -> None:
    hub = lg_hub
    ada, bo, cy = (open_lab(lg_chromium, hub, name) for name in PEOPLE)

    # ada makes a dashboard and shares it: bo may edit it, cy may view it
    title = "Tide tables"
    r = on_server(hub, ada, "ada", "POST", "documents", json={"kind": "dashboard", "title": title})
    assert r.status_code == 201, r.text
    doc_id = r.json()["id"]
    for name, role in (("bo", "editor"), ("cy", "viewer")):
        r = on_server(hub, ada, "ada", "PUT", f"documents/{doc_id}/shares",
                      json={"kind": "user", "name": name, "role": role})  # fmt: skip
        assert r.status_code in (200, 201), r.text

    # each opens it from the LiveGraphs drive
    open_in_drive(ada, "My dashboards and charts", f"{title}.lgdash")
    open_in_drive(bo, "Shared with me", "ada", f"{title}.lgdash")
    open_in_drive(cy, "Shared with me", "ada", f"{title}.lgdash")
    everyone = [ada, bo, cy]
    for page in everyone:
        expect(title_of(page)).to_have_value(title)
        expect(crossfilter_of(page)).to_be_checked()
    expect(room_status(ada)).to_have_text("Live")
    expect(room_status(bo)).to_have_text("Live")
    # cy's dashboard is read-only: no editing control works or is shown
    expect(room_status(cy)).to_have_text("Live · read only")
    expect(title_of(cy)).not_to_be_editable()
    expect(crossfilter_of(cy)).to_be_disabled()
    expect(cy.locator(".jp-LiveGraphs-DashboardDocument .jp-LiveGraphs-DashboardAddChart")).to_be_hidden()
    expect(cy.locator(".jp-LiveGraphs-DashboardDocument .jp-LiveGraphs-DashboardAddFilter")).to_be_hidden()
    # and everyone sees who is here
    for page in everyone:
        for name in PEOPLE:
            expect(badge(page, name)).to_have_count(1, timeout=LIVE_MS)

    # ada retitles it: bo and cy see it live
    # (Tab: the change is made when the field is left, and a field being typed in keeps its text)
    title_of(ada).fill("Tide tables 2026")
    title_of(ada).press("Tab")
    seen_by([bo, cy], lambda p: expect(title_of(p)).to_have_value("Tide tables 2026", timeout=LIVE_MS),
            "ada's title")  # fmt: skip
    # bo turns cross-filtering off: ada and cy see it live
    crossfilter_of(bo).uncheck()
    seen_by([ada, cy], lambda p: expect(crossfilter_of(p)).not_to_be_checked(timeout=LIVE_MS),
            "bo's cross-filter")  # fmt: skip
    # bo retitles it too: ada and cy see it live
    title_of(bo).fill("Tide tables, spring")
    title_of(bo).press("Tab")
    seen_by([ada, cy], lambda p: expect(title_of(p)).to_have_value("Tide tables, spring", timeout=LIVE_MS),
            "bo's title")  # fmt: skip

    # cy's clicks change nothing
    crossfilter_of(cy).click(force=True)
    expect(crossfilter_of(cy)).not_to_be_checked()

    # A script in cy's page opens cy's own server's room URL, syncs, and sends a Yjs update (made with
    # pycrdt on the state it received) that would retitle the dashboard
    room = f"ws://cy.localhost:{hub.port}/user/cy/livegraphs/api/documents/{doc_id}/room"
    cy.evaluate(OPEN_RAW_SOCKET, room)
    probe_send(cy, create_sync_message(Doc()))  # SYNC_STEP1 with an empty state vector
    replica = YDashboard(Doc())
    applied = 0

    def synced(messages: list[bytes]) -> bool:
        nonlocal applied
        for m in messages[applied:]:
            if m[0] == SYNC:
                handle_sync_message(m[1:], replica.ydoc)
        applied = len(messages)
        return replica.ymeta.get("title") == "Tide tables, spring"

    wait_for_probe(cy, synced, "the room's state")
    assert replica.ymeta["crossfilter"] is False
    before = replica.ydoc.get_state()
    replica.ymeta["title"] = "cy was here"
    update = replica.ydoc.get_update(before)
    # as a SYNC_UPDATE and as a SYNC_STEP2: both refused, and cy is told so
    probe_send(cy, create_update_message(update))
    wait_for_probe(cy, lambda ms: denials(ms) == 1, "the refusal of cy's update")
    step2 = bytes([SYNC, 1]) + create_update_message(update)[2:]  # same payload, sync type 1
    probe_send(cy, step2)
    wait_for_probe(cy, lambda ms: denials(ms) == 2, "the refusal of cy's sync step 2")
    # ada edits after cy's updates were refused: once bo and cy see that, cy's would have arrived too
    crossfilter_of(ada).check()
    seen_by([bo, cy], lambda p: expect(crossfilter_of(p)).to_be_checked(timeout=LIVE_MS),
            "ada's cross-filter")  # fmt: skip
    for page in everyone:
        expect(title_of(page)).to_have_value("Tide tables, spring")
    content = on_server(hub, ada, "ada", "GET", f"documents/{doc_id}/content").json()
    assert (content["title"], content["crossfilter"]) == ("Tide tables, spring", True)
    assert probe_messages(cy) and cy.evaluate("window.__lgProbe.closed") is None

    # ada stops sharing with cy: cy's room is closed, and cy's dashboard says so
    r = on_server(hub, ada, "ada", "DELETE", f"documents/{doc_id}/shares/user/cy")
    assert r.status_code == 204, r.text
    expect(room_status(cy)).to_have_attribute("data-status", "gone", timeout=LIVE_MS)
    expect(room_status(cy)).to_contain_text("No longer available")
    deadline = time.monotonic() + 30
    while cy.evaluate("window.__lgProbe.closed") is None:
        assert time.monotonic() < deadline, "the script's room connection was not closed"
        time.sleep(0.1)
    assert cy.evaluate("window.__lgProbe.closed") in (4403, 4404)
    # cy leaves the others' toolbars; ada and bo go on
    for page in (ada, bo):
        expect(badge(page, "cy")).to_have_count(0, timeout=LIVE_MS)
    crossfilter_of(bo).uncheck()
    expect(crossfilter_of(ada)).not_to_be_checked(timeout=LIVE_MS)
    expect(crossfilter_of(cy)).to_be_checked()  # cy's closed room no longer follows
    assert on_server(hub, cy, "cy", "GET", f"documents/{doc_id}").status_code == 404
