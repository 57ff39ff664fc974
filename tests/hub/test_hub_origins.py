"""Users kept apart by origin, on a real hub run from the default ``jupyterhub_config.py``.

The hub is at ``http://localhost:<port>``, each user's server at ``http://<name>.localhost:<port>``
and the service at ``http://livegraphs--service.localhost:<port>``. Every cookie is ``SameSite=Lax``;
logging out of the hub ends the service's session at once; and a script on a user's origin (a page of
their server that an admin opens) cannot act as that admin on the hub or the service, nor read their
cookies.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from .hubs import Browser, LiveHub, approved_member, logged_in_admin

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "granite-meadow-falcon-58"


@pytest.fixture(scope="module")
def lg_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHub]:
    hub = LiveHub(tmp_path_factory.mktemp("hub-origins") / "state")
    try:
        yield hub.start()
    finally:
        hub.stop()


@pytest.fixture(scope="module")
def lg_admin(lg_hub: LiveHub) -> Browser:
    return logged_in_admin(lg_hub)


def member(hub: LiveHub, admin: Browser, name: str) -> Browser:
    return approved_member(hub, admin, name, PASSWORD)


@pytest.fixture(scope="module")
def lg_mallory(lg_hub: LiveHub, lg_admin: Browser) -> Browser:
    """mallory, whose server is running."""
    mallory = member(lg_hub, lg_admin, "mallory")
    r = lg_admin.api("POST", "users/mallory/server")
    assert r.status_code in (201, 202), r.text
    deadline = time.monotonic() + 120
    while not lg_admin.api("GET", "users/mallory").json()["servers"].get("", {}).get("ready"):
        assert time.monotonic() < deadline, f"mallory's server did not start:\n{lg_hub.log()[-3000:]}"
        time.sleep(0.5)
    return mallory


def set_cookies(r: requests.Response) -> list[str]:
    """Every Set-Cookie header of ``r`` and the redirects before it, but those that clear a cookie."""
    headers = [h for step in (*r.history, r) for h in step.raw.headers.getlist("Set-Cookie")]
    return [h for h in headers if h.split(";", 1)[0].split("=", 1)[1] not in ("", '""')]


def cookie_names(headers: list[str]) -> set[str]:
    return {h.split("=", 1)[0] for h in headers}


def test_origins_of_the_hub_the_service_and_a_server(lg_hub: LiveHub, lg_mallory: Browser) -> None:
    assert urlsplit(lg_hub.url).hostname == "localhost"
    assert urlsplit(lg_hub.service_url).hostname == "livegraphs--service.localhost"
    assert urlsplit(lg_hub.user_url("mallory")).hostname == "mallory.localhost"
    r = lg_mallory.s.get(lg_hub.user_url("mallory") + "lab")
    assert r.status_code == 200, r.text
    # the OAuth handshake went from the server's origin to the hub's and back
    hosts = [urlsplit(step.url).hostname for step in (*r.history, r)]
    assert "localhost" in hosts and hosts[-1] == "mallory.localhost"
    # JupyterLab learns where browsers reach the service (its command opens the admin pages there)
    assert f'"livegraphsServicePublicUrl": "{lg_hub.service_url}"' in r.text


def test_every_cookie_of_hub_service_and_server_is_samesite_lax(lg_hub: LiveHub, lg_admin: Browser) -> None:
    member(lg_hub, lg_admin, "sam")
    user = Browser(lg_hub)  # a browser that has no cookie yet
    login = user.login("sam", PASSWORD)
    assert login.status_code == 302
    hub_cookies = login.raw.headers.getlist("Set-Cookie")
    service_cookies = set_cookies(user.s.get(lg_hub.service_url))
    r = lg_admin.api("POST", "users/sam/server")
    assert r.status_code in (201, 202), r.text
    deadline = time.monotonic() + 120
    while not lg_admin.api("GET", "users/sam").json()["servers"].get("", {}).get("ready"):
        assert time.monotonic() < deadline, "sam's server did not start"
        time.sleep(0.5)
    server = user.s.get(lg_hub.user_url("sam") + "lab")
    assert server.status_code == 200
    server_cookies = set_cookies(server)
    assert {"jupyterhub-hub-login", "jupyterhub-session-id", "_xsrf"} <= cookie_names(hub_cookies)
    assert {"service-livegraphs", "_xsrf"} <= cookie_names(service_cookies)
    assert {"jupyterhub-user-sam", "_xsrf"} <= cookie_names(server_cookies)
    for header in hub_cookies + service_cookies + server_cookies:
        assert "SameSite=Lax" in header, header
    # The hub's login, the service's and the server's cookies stay on their own host: no Domain
    for header in hub_cookies + service_cookies + server_cookies:
        if not header.startswith("jupyterhub-session-id="):  # an id, not a credential; on the domain
            assert "domain=" not in header.lower(), header
    assert lg_admin.api("DELETE", "users/sam/server").status_code in (202, 204)


def test_logging_out_ends_the_service_session_at_once(lg_hub: LiveHub, lg_admin: Browser) -> None:
    user = member(lg_hub, lg_admin, "lou")
    assert user.s.get(lg_hub.service_url).status_code == 200  # the service's OAuth login
    assert user.service("GET", "api/user").json()["name"] == "lou"
    # A copy of every cookie of lou's browser (the service's among them) works as well
    copy = requests.Session()
    copy.cookies.update(user.s.cookies)
    assert copy.get(lg_hub.service_url + "api/user", timeout=10).status_code == 200
    # lou logs out of the hub; the browser passes by the service's logout on the way to the login page
    r = user.s.get(lg_hub.url + "hub/logout")
    assert r.url == lg_hub.url + "hub/login"
    assert lg_hub.service_url + "logout" in [step.url for step in r.history]
    assert not any(c.name == "service-livegraphs" for c in user.s.cookies)
    # The copy no longer works, at once (the service kept the hub's answer for 60 s before)
    stale = copy.get(lg_hub.service_url + "api/user", timeout=10)
    assert stale.status_code == 403, stale.text
    assert user.service("GET", "api/user").status_code == 403
    # lou can log in again and use the service
    user.login("lou", PASSWORD)
    assert user.s.get(lg_hub.service_url).status_code == 200
    assert user.service("GET", "api/user").json()["name"] == "lou"


def test_the_service_logout_page_clears_its_cookie_even_when_logged_out(lg_hub: LiveHub) -> None:
    r = requests.get(lg_hub.service_url + "logout", allow_redirects=False, timeout=10)
    assert r.status_code == 302
    assert r.headers["Location"] == lg_hub.url + "hub/login"


#: What a hostile page does with the visitor's browser: read cookies, frame a hub page and read it,
#: ask the hub for a token of the visitor's with the hub's _xsrf token, read the hub's API, call the
#: service, and call the hub through this origin's own /hub/ path. Each step reports what it got.
PROBE = """
async ({hub, service, user}) => {
  const attempt = async (f) => { try { return await f(); } catch (e) { return 'error: ' + e.name; } };
  const text = async (r) => r.status + ' ' + (await r.text()).slice(0, 300);
  const out = {origin: location.origin, cookie: document.cookie};
  const frame = document.createElement('iframe');
  frame.src = hub + 'hub/home';
  const loaded = new Promise((done) => { frame.onload = done; setTimeout(done, 10000); });
  document.body.appendChild(frame);
  await loaded;
  out.frameCookie = await attempt(async () =>
    frame.contentDocument ? frame.contentDocument.cookie : 'no document');
  out.frameText = await attempt(async () =>
    frame.contentDocument ? frame.contentDocument.body.innerText.slice(0, 300) : 'no document');
  const cookies = (typeof out.frameCookie === 'string' ? out.frameCookie : '') + ';' + document.cookie;
  const found = cookies.match(/(?:^|;\\s*)_xsrf=([^;]+)/);
  const xsrf = found ? found[1] : '';
  out.token = await attempt(async () => text(await fetch(hub + 'hub/api/users/' + user + '/tokens', {
    method: 'POST', credentials: 'include', body: '{"note": "probe"}',
    headers: {'X-XSRFToken': xsrf, 'Content-Type': 'application/json'}})));
  // a request without a preflight: its answer is unreadable, but it would act if the hub let it
  out.blindToken = await attempt(async () => (await fetch(hub + 'hub/api/users/' + user + '/tokens', {
    method: 'POST', credentials: 'include', mode: 'no-cors', body: '{"note": "blind probe"}'})).type);
  out.users = await attempt(async () => text(await fetch(hub + 'hub/api/users', {
    credentials: 'include', headers: {'X-XSRFToken': xsrf}})));
  out.service = await attempt(async () => text(await fetch(service + 'api/user', {credentials: 'include'})));
  out.serviceAdmin = await attempt(async () =>
    text(await fetch(service + 'admin/api/users', {credentials: 'include'})));
  out.hereHub = await attempt(async () => text(await fetch('/hub/api/user', {credentials: 'include'})));
  return out;
}
"""


def admin_tokens(admin: Browser) -> list[dict[str, Any]]:
    r = admin.api("GET", "users/admin/tokens")
    assert r.status_code == 200, r.text
    return list(r.json()["api_tokens"])


def test_a_script_on_a_users_origin_cannot_act_as_the_admin_who_opens_it(
    lg_hub: LiveHub, lg_admin: Browser, lg_mallory: Browser
) -> None:
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "Debian chromium is needed (scripts/test.sh installs it)"
    args = {"hub": lg_hub.url, "service": lg_hub.service_url, "user": "admin"}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_context().new_page()
            # The admin logs in, and uses the service (which sets its cookie)
            page.goto(lg_hub.url + "hub/login?next=%2Fhub%2Fhome")
            page.get_by_label("Username", exact=True).fill("admin")
            page.get_by_label("Password", exact=True).fill(lg_hub.first_admin_password() or "")
            page.get_by_role("button", name="Sign in", exact=True).click()
            page.wait_for_url("**/hub/home", timeout=60_000)
            page.goto(lg_hub.service_url)
            assert '"name":"admin"' in page.content()

            # On the hub's own origin the probe does everything: it is a working attack. Before
            # users' servers had their own origins, their pages ran here.
            page.goto(lg_hub.url + "hub/home")
            before = len(admin_tokens(lg_admin))
            at_hub = page.evaluate(PROBE, args)
            assert at_hub["token"].startswith("201 "), at_hub
            assert at_hub["users"].startswith("200 "), at_hub
            assert len(admin_tokens(lg_admin)) >= before + 1
            hub_xsrf = next(
                c["value"] for c in page.context.cookies(lg_hub.url + "hub/") if c["name"] == "_xsrf"
            )

            # The admin opens mallory's server: JupyterLab, on mallory's origin. Whatever script its
            # pages run (a notebook's output, a file mallory wrote, mallory's own server code: she
            # controls everything her server answers) runs as this probe does.
            page.goto(lg_hub.user_url("mallory") + "lab", wait_until="domcontentloaded")
            if "/oauth2/authorize" in page.url:  # the hub asks before an admin enters another's server
                page.get_by_role("button", name="Authorize").click()
            page.wait_for_url("**/user/mallory/lab**", timeout=60_000)
            tokens_before = len(admin_tokens(lg_admin))
            at_server = page.evaluate(PROBE, args)
        finally:
            browser.close()

    assert at_server["origin"] == lg_hub.user_url("mallory").removesuffix("/user/mallory/")
    # No cookie of the hub or the service is readable there
    assert hub_xsrf not in at_server["cookie"]
    for name in ("jupyterhub-hub-login", "jupyterhub-session-id", "service-livegraphs"):
        assert name not in at_server["cookie"], at_server
    # The framed hub page can be neither read nor searched for its cookies
    for key in ("frameCookie", "frameText"):
        assert at_server[key] == "no document" or at_server[key].startswith("error: "), at_server
    # The hub makes no token, and its API answers nothing readable
    assert not at_server["token"].startswith("201"), at_server
    assert at_server["users"].startswith("error: ") or at_server["users"].startswith("403"), at_server
    assert len(admin_tokens(lg_admin)) == tokens_before
    # The service does not take the admin's cookie from there
    for key in ("service", "serviceAdmin"):
        assert at_server[key].startswith("error: ") or at_server[key].startswith("403"), at_server
    # The hub answers mallory's host too (its catch-all route), but without the admin's cookie
    assert at_server["hereHub"].startswith("403"), at_server
