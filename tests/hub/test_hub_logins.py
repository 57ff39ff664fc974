"""Logins on a real JupyterHub (with configurable-http-proxy) run from ``jupyterhub_config.py``:
the first admin, sign-up with approval, password rules, lock-out, server spawn, and OpenID Connect
against a real provider (panva/oidc-provider) whose groups claim becomes hub groups and roles.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from .hubs import Browser, LiveHub, OIDCProvider

pytestmark = pytest.mark.slow

LOCKOUT_SECONDS = 3
ACCOUNTS = {
    "olga": {"name": "Olga Admin", "groups": ["livegraphs-admins", "team-red"]},
    "oscar": {"name": "Oscar", "groups": ["team-blue"]},
    # The same name as the first admin's sign-up account: must not take it over.
    "admin": {"groups": []},
}


@pytest.fixture(scope="module")
def lg_oidc_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveHub, OIDCProvider]]:
    root = tmp_path_factory.mktemp("hub-logins")
    hub = LiveHub(root / "state")
    provider = OIDCProvider(root / "oidc", ACCOUNTS, [hub.url + "hub/oauth/oidc/callback"]).start()
    hub.extra_env.update(
        LIVEGRAPHS_OIDC_ISSUER=provider.issuer,
        LIVEGRAPHS_OIDC_CLIENT_ID=provider.client_id,
        LIVEGRAPHS_OIDC_CLIENT_SECRET=provider.client_secret,
        LIVEGRAPHS_LOGIN_ATTEMPTS="3",
        LIVEGRAPHS_LOCKOUT_SECONDS=str(LOCKOUT_SECONDS),
    )
    try:
        hub.start()
        yield hub, provider
    finally:
        hub.stop()
        provider.stop()


@pytest.fixture(scope="module")
def lg_hub(lg_oidc_hub: tuple[LiveHub, OIDCProvider]) -> LiveHub:
    return lg_oidc_hub[0]


@pytest.fixture(scope="module")
def lg_admin(lg_hub: LiveHub) -> Browser:
    """The first admin, logged in with the password the hub printed at its first start."""
    password = lg_hub.first_admin_password()
    assert password, lg_hub.log()[-3000:]
    admin = Browser(lg_hub)
    admin.login("admin", password)
    assert admin.logged_in_as() == "admin"
    return admin


def approve(admin: Browser, name: str) -> requests.Response:
    """Approve a sign-up through the hub API the livegraphs service uses (an admin's cookie works too)."""
    return admin.api("PATCH", f"livegraphs/signups/{name}", json={"approved": True})


# --- the first admin


def test_first_admin_password_is_random_printed_once_and_stored_hashed(
    lg_hub: LiveHub, lg_admin: Browser
) -> None:
    # Given the hub's first start printed a password
    log = lg_hub.log()
    password = lg_hub.first_admin_password()
    assert password and len(password) >= 20
    assert log.count(password) == 1
    # Then the admin is a hub admin, and the password is nowhere in the hub's state in clear
    me = lg_admin.api("GET", "user").json()
    assert me["admin"] is True
    for f in lg_hub.state.iterdir():
        if f.is_file() and not f.name.startswith("hub-"):
            assert password.encode() not in f.read_bytes(), f


def test_first_admin_survives_a_restart_without_a_new_password(tmp_path: Path) -> None:
    # Given a hub started once
    hub = LiveHub(tmp_path / "state").start()
    try:
        first = hub.first_admin_password()
        assert first
    finally:
        hub.stop()
    # When it starts again on the same state
    hub.start()
    try:
        # Then no password is printed, and the first one still logs in
        assert "password:" not in hub.log()
        assert "First admin 'admin' exists" in hub.log()
        b = Browser(hub)
        b.login("admin", first)
        assert b.logged_in_as() == "admin"
    finally:
        hub.stop()


def test_no_one_can_sign_up_as_the_first_admin(lg_hub: LiveHub) -> None:
    message = Browser(lg_hub).signup("admin", "a-long-and-unusual-passphrase")
    assert "already in use" in message


# --- sign-up, approval, password rules, lock-out


def test_sign_up_waits_for_approval_then_logs_in_and_spawns(lg_hub: LiveHub, lg_admin: Browser) -> None:
    # Given a new sign-up
    user = Browser(lg_hub)
    message = user.signup("sigrid", "quiet-harbour-lantern-42")
    assert "sent to the admin" in message
    # When she logs in before approval, she is told why she is refused
    r = user.login("sigrid", "quiet-harbour-lantern-42")
    assert "has not been authorized" in r.text
    assert user.logged_in_as() is None
    # And the pending sign-up is listed for the service, unapproved
    signups = {s["name"]: s for s in lg_admin.api("GET", "livegraphs/signups").json()["signups"]}
    assert signups["sigrid"] == {"name": "sigrid", "email": "sigrid@example.org", "approved": False}
    # When an admin approves her
    assert approve(lg_admin, "sigrid").status_code == 200
    # Then she logs in and her server starts with JupyterLab
    user.login("sigrid", "quiet-harbour-lantern-42")
    assert user.logged_in_as() == "sigrid"
    r = user.api("POST", "users/sigrid/server")
    assert r.status_code in (201, 202), r.text
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        model = user.api("GET", "users/sigrid").json()
        if model["servers"].get("", {}).get("ready"):
            break
        time.sleep(0.5)
    else:
        raise AssertionError(f"server did not start:\n{lg_hub.log()[-3000:]}")
    lab = user.s.get(lg_hub.user_url("sigrid") + "lab")
    assert lab.status_code == 200 and "JupyterLab" in lab.text
    assert user.api("DELETE", "users/sigrid/server").status_code in (202, 204)


def test_signup_api_needs_the_signups_scope(lg_hub: LiveHub, lg_admin: Browser) -> None:
    anonymous = requests.get(lg_hub.url + "hub/api/livegraphs/signups", timeout=10)
    assert anonymous.status_code == 403
    # Given a regular user and a pending sign-up
    user = Browser(lg_hub)
    user.signup("ulla", "amber-window-sparrow-7")
    approve(lg_admin, "ulla")
    user.login("ulla", "amber-window-sparrow-7")
    assert user.logged_in_as() == "ulla"
    Browser(lg_hub).signup("ursula", "amber-window-sparrow-8")
    # Then the user can neither list nor approve sign-ups
    assert user.api("GET", "livegraphs/signups").status_code == 403
    assert user.api("PATCH", "livegraphs/signups/ursula", json={"approved": True}).status_code == 403


def test_signup_api_rejects_bad_bodies_and_unknown_names(lg_admin: Browser) -> None:
    assert lg_admin.api("PATCH", "livegraphs/signups/nobody", json={"approved": True}).status_code == 404
    Browser(lg_admin.hub).signup("vera", "velvet-orchard-thunder-3")
    assert lg_admin.api("PATCH", "livegraphs/signups/vera", json={"approved": "yes"}).status_code == 400
    # A pending sign-up can be discarded; an approved one cannot.
    assert lg_admin.api("DELETE", "livegraphs/signups/vera").status_code == 204
    names = [s["name"] for s in lg_admin.api("GET", "livegraphs/signups").json()["signups"]]
    assert "vera" not in names


@pytest.mark.parametrize(
    ("password", "why"), [("short-1", "too short"), ("password123", "a common password")]
)
def test_weak_passwords_are_refused_at_sign_up(lg_hub: LiveHub, password: str, why: str) -> None:
    message = Browser(lg_hub).signup(f"weak{len(password)}", password)
    assert "at least 10 characters" in message, why


def test_lock_out_after_failed_logins(lg_hub: LiveHub, lg_admin: Browser) -> None:
    # Given an approved account
    Browser(lg_hub).signup("lars", "granite-meadow-violin-8")
    assert approve(lg_admin, "lars").status_code == 200
    user = Browser(lg_hub)
    # When the wrong password is tried three times
    for _ in range(3):
        user.login("lars", "wrong-password-entirely")
    # Then even the right password is refused until the lock-out ends
    user.login("lars", "granite-meadow-violin-8")
    assert user.logged_in_as() is None
    time.sleep(LOCKOUT_SECONDS + 1)
    user.login("lars", "granite-meadow-violin-8")
    assert user.logged_in_as() == "lars"


# --- OpenID Connect


def test_login_page_offers_the_oidc_provider(lg_hub: LiveHub) -> None:
    page = requests.get(lg_hub.url + "hub/login", timeout=10).text
    assert 'href="/hub/oauth/oidc/login?next="' in page
    assert "Sign in with single sign-on" in page


def test_oidc_login_maps_groups_claim_to_hub_groups_and_admin_role(
    lg_oidc_hub: tuple[LiveHub, OIDCProvider],
) -> None:
    hub, provider = lg_oidc_hub
    # When olga (groups: livegraphs-admins, team-red at the provider) logs in through OIDC
    olga = Browser(hub)
    r = olga.oidc_login(provider, "olga")
    assert r.status_code == 302, r.text[:500]
    me = olga.api("GET", "user").json()
    # Then she is a hub user in those groups, with the livegraphs admin scope from load_roles
    assert me["name"] == "olga"
    assert sorted(me["groups"]) == ["everyone", "livegraphs-admins", "team-red"]
    assert me["admin"] is False
    assert "custom:livegraphs:admin" in me["scopes"]
    assert me["user_info"]["provider"] == "oidc"
    # And the login is in the hub's event file, which the service's activity log imports
    assert (
        '"user":"olga","action":"login","detail":{"provider":"oidc"}'
        in (hub.state / "hub-events.jsonl").read_text()
    )
    # And the service treats her as an admin: the admin pages open
    assert olga.service("GET", "admin/").status_code == 200


def test_oidc_user_without_admin_group_is_a_regular_user(lg_oidc_hub: tuple[LiveHub, OIDCProvider]) -> None:
    hub, provider = lg_oidc_hub
    oscar = Browser(hub)
    oscar.oidc_login(provider, "oscar")
    me = oscar.api("GET", "user").json()
    assert sorted(me["groups"]) == ["everyone", "team-blue"]
    assert "custom:livegraphs:admin" not in me["scopes"]
    assert "custom:livegraphs:use" in me["scopes"]
    assert oscar.service("GET", "admin/").status_code == 403


def test_oidc_login_cannot_take_over_a_sign_up_account(lg_oidc_hub: tuple[LiveHub, OIDCProvider]) -> None:
    hub, provider = lg_oidc_hub
    intruder = Browser(hub)
    r = intruder.oidc_login(provider, "admin")
    assert r.status_code == 403
    assert "belongs to a sign-up account" in r.text
    assert intruder.logged_in_as() is None


def test_a_sign_up_cannot_take_an_oidc_users_name(lg_oidc_hub: tuple[LiveHub, OIDCProvider]) -> None:
    hub, provider = lg_oidc_hub
    Browser(hub).oidc_login(provider, "oscar")
    assert "already in use" in Browser(hub).signup("oscar", "cobalt-river-pepper-5")
