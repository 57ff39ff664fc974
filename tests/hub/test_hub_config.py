"""``hub/livegraphs_hub/config.py`` on its own: what a one-machine hub and a Kubernetes hub get."""

from __future__ import annotations

import shutil
import stat
import sys
import tempfile
from pathlib import Path

import pytest
from traitlets.config import Config

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "hub"))

from livegraphs_hub.accounts import (  # noqa: E402
    AccountError,
    UserAccountSpawner,
    check_reachable,
    folder_name,
    system_username,
)
from livegraphs_hub.config import SERVICE_SCOPES, configure  # noqa: E402


def test_one_machine_defaults(tmp_path: Path) -> None:
    c = Config()
    # (run as root, the default deployment, LIVEGRAPHS_USER_ACCOUNTS defaults to 1)
    out = configure(c, REPO, {"LIVEGRAPHS_HUB_STATE": str(tmp_path), "LIVEGRAPHS_USER_ACCOUNTS": "1"})
    assert out["url"] == "http://localhost:8000/"
    assert c.JupyterHub.spawner_class is UserAccountSpawner
    assert c.UserAccountSpawner.account_prefix == "lg-"
    assert c.UserAccountSpawner.homes == str(tmp_path / "users")
    assert c.Spawner.args == []  # servers never run as root
    assert c.LiveGraphsAuthenticator.enable_signup is True
    host = out["host"]
    assert (host.service_account, host.data_dir, host.homes) == (
        "livegraphs",
        tmp_path / "livegraphs",
        tmp_path / "users",
    )
    assert host.hub_files == (tmp_path / "jupyterhub.sqlite",)
    assert c.JupyterHub.services[0]["user"] == "livegraphs"
    assert c.JupyterHub.db_url == f"sqlite:///{tmp_path / 'jupyterhub.sqlite'}"
    assert c.LiveGraphsAuthenticator.oauth_providers == []  # sign-up accounts only
    assert c.LiveGraphsAuthenticator.admin_users == {"admin"}
    service = c.JupyterHub.services[0]
    assert service["url"] == "http://127.0.0.1:10101" and service["oauth_no_confirm"]
    assert c.Spawner.environment["LIVEGRAPHS_SERVICE_URL"] == "http://127.0.0.1:10101/services/livegraphs/"
    roles = {r["name"]: r for r in c.JupyterHub.load_roles}
    assert roles["livegraphs-admin"]["groups"] == ["livegraphs-admins"]
    assert roles["livegraphs-service"]["scopes"] == SERVICE_SCOPES
    # The service can change groups but cannot make hub admins
    assert "admin:users" not in SERVICE_SCOPES


def test_kubernetes_leaves_proxy_database_and_spawner_alone(tmp_path: Path) -> None:
    c = Config()
    configure(c, REPO, {"LIVEGRAPHS_HUB_STATE": str(tmp_path), "LIVEGRAPHS_PLATFORM": "kubernetes",
                        "LIVEGRAPHS_CATALOG_URL": "postgresql+psycopg://lg@db/livegraphs"})  # fmt: skip
    assert "spawner_class" not in c.JupyterHub and "db_url" not in c.JupyterHub
    assert "ConfigurableHTTPProxy" not in c
    cmd = c.JupyterHub.services[0]["command"]
    assert "--LiveGraphsService.url=http://0.0.0.0:10101" in cmd
    assert "--LiveGraphsService.catalog_url=postgresql+psycopg://lg@db/livegraphs" in cmd
    assert c.Spawner.environment["LIVEGRAPHS_SERVICE_URL"] == "http://hub:10101/services/livegraphs/"


def test_providers_switch_on_by_environment(tmp_path: Path) -> None:
    c = Config()
    configure(c, REPO, {"LIVEGRAPHS_HUB_STATE": str(tmp_path), "LIVEGRAPHS_GITHUB_CLIENT_ID": "gh",
                        "LIVEGRAPHS_GITHUB_ORGS": "acme", "LIVEGRAPHS_GOOGLE_CLIENT_ID": "gg",
                        "LIVEGRAPHS_GOOGLE_DOMAIN": "acme.org",
                        "LIVEGRAPHS_PUBLIC_URL": "https://hub.acme.org/"})  # fmt: skip
    assert c.LiveGraphsAuthenticator.oauth_providers == ["github", "google"]
    assert c.GitHubOAuthenticator.allowed_organizations == {"acme"}
    assert c.GoogleOAuthenticator.hosted_domain == ["acme.org"]
    assert c.GitHubOAuthenticator.oauth_callback_url == "https://hub.acme.org/hub/oauth/github/callback"
    paths = [choice["path"] for choice in c.JupyterHub.template_vars["livegraphs_login_choices"]]
    assert paths == ["oauth/github/login", "oauth/google/login"]


def test_earlier_services_and_roles_are_kept(tmp_path: Path) -> None:
    # Given config that already has a service and a role (as Zero-to-JupyterHub's would)
    c = Config()
    c.JupyterHub.services = [{"name": "prometheus", "api_token": "x" * 32}]
    c.JupyterHub.load_roles = [{"name": "prometheus", "scopes": ["read:metrics"], "services": ["prometheus"]}]
    configure(c, REPO, {"LIVEGRAPHS_HUB_STATE": str(tmp_path), "LIVEGRAPHS_PLATFORM": "kubernetes"})
    assert [s["name"] for s in c.JupyterHub.services] == ["prometheus", "livegraphs"]
    assert [r["name"] for r in c.JupyterHub.load_roles] == [
        "prometheus",
        "livegraphs-admin",
        "livegraphs-service",
    ]


def test_servers_and_the_service_get_their_own_origins_by_default(tmp_path: Path) -> None:
    c = Config()
    configure(c, REPO, {"LIVEGRAPHS_HUB_STATE": str(tmp_path), "LIVEGRAPHS_HUB_PORT": "8123"})
    assert c.JupyterHub.subdomain_host == "http://localhost:8123"
    # every cookie of the hub, its _xsrf cookie and (through the hub) the servers'
    assert c.JupyterHub.tornado_settings["cookie_options"] == {"samesite": "Lax"}
    assert c.JupyterHub.tornado_settings["xsrf_cookie_kwargs"] == {"samesite": "Lax"}


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"LIVEGRAPHS_PUBLIC_URL": "https://hub.acme.org/"}, "https://hub.acme.org"),
        ({"LIVEGRAPHS_SUBDOMAIN_HOST": "https://lab.acme.org:8443"}, "https://lab.acme.org:8443"),
        ({"LIVEGRAPHS_SUBDOMAIN_HOST": "lab.acme.org"}, "https://lab.acme.org"),
        ({"LIVEGRAPHS_SUBDOMAIN_HOST": "off"}, ""),
        ({"LIVEGRAPHS_PLATFORM": "kubernetes"}, None),
        ({"LIVEGRAPHS_PLATFORM": "kubernetes", "LIVEGRAPHS_PUBLIC_URL": "https://hub.acme.org"},
         "https://hub.acme.org"),
    ],
)  # fmt: skip
def test_the_subdomain_host_follows_the_environment(
    tmp_path: Path, env: dict[str, str], expected: str | None
) -> None:
    c = Config()
    configure(c, REPO, {"LIVEGRAPHS_HUB_STATE": str(tmp_path), **env})
    if expected is None:  # the chart's own setting stands
        assert "subdomain_host" not in c.JupyterHub
    else:
        assert c.JupyterHub.get("subdomain_host", "") == expected
    assert c.JupyterHub.tornado_settings["cookie_options"]["samesite"] == "Lax"


@pytest.mark.parametrize("bad", ["ftp://lab.acme.org", "https://lab.acme.org/hub/", "http://"])
def test_a_subdomain_host_with_a_path_or_another_scheme_is_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError, match="LIVEGRAPHS_SUBDOMAIN_HOST"):
        configure(Config(), REPO, {"LIVEGRAPHS_HUB_STATE": str(tmp_path), "LIVEGRAPHS_SUBDOMAIN_HOST": bad})


def test_cookie_options_set_earlier_are_kept(tmp_path: Path) -> None:
    c = Config()
    c.JupyterHub.tornado_settings = {"cookie_options": {"samesite": "Strict", "secure": True}, "x": 1}
    configure(c, REPO, {"LIVEGRAPHS_HUB_STATE": str(tmp_path)})
    assert c.JupyterHub.tornado_settings["cookie_options"] == {"samesite": "Strict", "secure": True}
    assert c.JupyterHub.tornado_settings["x"] == 1


def test_servers_learn_where_browsers_reach_the_service(tmp_path: Path) -> None:
    c = Config()
    configure(
        c, REPO, {"LIVEGRAPHS_HUB_STATE": str(tmp_path), "LIVEGRAPHS_SUBDOMAIN_HOST": "https://hub.acme.org"}
    )
    env = c.Spawner.environment
    assert (
        env["LIVEGRAPHS_SERVICE_PUBLIC_URL"]
        == "https://livegraphs--service.hub.acme.org/services/livegraphs/"
    )
    assert env["LIVEGRAPHS_SERVICE_URL"] == "http://127.0.0.1:10101/services/livegraphs/"  # direct, unchanged


def test_without_accounts_the_hub_serves_its_one_person(tmp_path: Path) -> None:
    # Given a hub that cannot give users their own accounts (not root)
    env = {"LIVEGRAPHS_HUB_STATE": str(tmp_path), "LIVEGRAPHS_USER_ACCOUNTS": "0"}
    c = Config()
    out = configure(c, REPO, env)
    # Then servers are the hub's own processes, nobody can sign up, and nothing needs root
    assert c.JupyterHub.spawner_class == "simple" and out["host"] is None
    assert c.LiveGraphsAuthenticator.enable_signup is False
    assert "user" not in c.JupyterHub.services[0]
    # and asking for sign-up or an OAuth login is refused with the reason
    for extra in ({"LIVEGRAPHS_SIGNUP": "1"}, {"LIVEGRAPHS_GITHUB_CLIENT_ID": "gh"}):
        with pytest.raises(ValueError, match="does not run as root"):
            configure(Config(), REPO, {**env, **extra})


def test_hub_names_become_distinct_valid_account_names() -> None:
    names = [
        "ada",
        "bo-2",
        "x_y",
        "Ada",
        "ada--x",
        "-ada",
        "o'brien",
        "é",
        "a" * 29,
        "a" * 30,
        "",
        "a.b",
        "a b",
    ]
    accounts = [system_username(n) for n in names]
    assert accounts[:3] == ["lg-ada", "lg-bo-2", "lg-x_y"] and accounts[8] == "lg-" + "a" * 29
    assert len(set(accounts)) == len(names)
    for account in accounts:
        assert len(account) <= 32 and account.startswith("lg-")
        assert (
            all(ch.isascii() and (ch.isalnum() or ch in "_-") for ch in account)
            and account.lower() == account
        )
    # a name that needs hashing can never be spelt by a kept one
    assert "--" in folder_name("Ada") and system_username("Ada") != system_username(folder_name("Ada"))
    with pytest.raises(ValueError, match="prefix"):
        system_username("ada", "Bad prefix")


def test_a_folder_closed_to_other_accounts_is_named() -> None:
    # Given a checkout under a folder only its owner may enter (as /root is)
    closed = Path(tempfile.mkdtemp())
    try:
        (closed / "livegraphs").mkdir()
        assert stat.S_IMODE(closed.stat().st_mode) == 0o700
        # Then the hub names that folder and where to put the checkout instead
        with pytest.raises(AccountError, match=rf"{closed} \(mode 0700\) closes .*/opt/livegraphs"):
            check_reachable([closed / "livegraphs"], "The livegraphs code")
        closed.chmod(0o711)
        check_reachable([closed / "livegraphs"], "The livegraphs code")
    finally:
        shutil.rmtree(closed)


def test_users_share_named_servers_only_and_only_default_servers_hold_the_livegraphs_token(
    tmp_path: Path,
) -> None:
    from types import SimpleNamespace

    from livegraphs_hub.config import CROSS_ORIGIN_HEADERS, USE_SCOPE

    c = Config()
    configure(c, REPO, {"LIVEGRAPHS_HUB_STATE": str(tmp_path), "LIVEGRAPHS_USER_ACCOUNTS": "1"})
    assert "shares!user" in c.JupyterHub.extra_user_scopes
    assert c.JupyterHub.allow_named_servers is True and c.JupyterHub.named_server_limit_per_user == 2
    assert c.Spawner.oauth_client_allowed_scopes == ["shares!server", "list:users", "read:users:name"]
    token_scopes = c.Spawner.server_token_scopes
    assert USE_SCOPE in token_scopes(SimpleNamespace(name=""))
    assert token_scopes(SimpleNamespace(name="pair")) == ["users:activity!user"]
    # only a default server (never shared) may start, stop and share its owner's servers: Publish with Voila
    from livegraphs_hub.config import PUBLISH_SCOPES

    assert set(PUBLISH_SCOPES) <= set(token_scopes(SimpleNamespace(name="")))
    for name in ("pair", "voila-sales"):
        assert not set(PUBLISH_SCOPES) & set(token_scopes(SimpleNamespace(name=name)))
    # the share dialog calls the hub from users' origins, with a token
    assert c.JupyterHub.tornado_settings["headers"] == CROSS_ORIGIN_HEADERS
    c = Config()
    configure(c, REPO, {"LIVEGRAPHS_HUB_STATE": str(tmp_path), "LIVEGRAPHS_NAMED_SERVERS": "0"})
    assert c.JupyterHub.allow_named_servers is False
    with pytest.raises(ValueError, match="LIVEGRAPHS_NAMED_SERVERS"):
        configure(Config(), REPO, {"LIVEGRAPHS_HUB_STATE": str(tmp_path), "LIVEGRAPHS_NAMED_SERVERS": "-1"})


def test_a_voila_server_runs_voila_on_its_notebook_with_a_token_to_its_owners_datasets_only(
    tmp_path: Path,
) -> None:
    from types import SimpleNamespace

    from livegraphs_hub import ADMIN_SCOPE
    from livegraphs_hub.config import USE_SCOPE
    from tornado import web

    c = Config()
    configure(c, REPO, {"LIVEGRAPHS_HUB_STATE": str(tmp_path), "LIVEGRAPHS_USER_ACCOUNTS": "1"})
    # a publication's token reads its owner's datasets, never with admin rights; a default server's may
    token_scopes = c.Spawner.server_token_scopes
    assert USE_SCOPE in token_scopes(SimpleNamespace(name="voila-sales"))
    assert ADMIN_SCOPE not in token_scopes(SimpleNamespace(name="voila-sales"))
    assert ADMIN_SCOPE in token_scopes(SimpleNamespace(name=""))
    # a voila- server runs standalone Voila on the notebook it is given; other servers are left alone
    apply = c.Spawner.apply_user_options
    published = SimpleNamespace(name="voila-sales", cmd=["jupyterhub-singleuser"], args=[])
    apply(published, {"notebook": "reports/sales.ipynb"})
    assert published.cmd == [sys.executable, "-m", "livegraphs_ext.hubvoila"]
    assert published.args == ["reports/sales.ipynb"]
    pair = SimpleNamespace(name="pair", cmd=["jupyterhub-singleuser"], args=[])
    apply(pair, {"notebook": "reports/sales.ipynb"})
    assert pair.cmd == ["jupyterhub-singleuser"] and pair.args == []
    for bad in ({}, {"notebook": "a/../../b.ipynb"}, {"notebook": "-x.ipynb"}, {"notebook": "x.txt"}):
        with pytest.raises(web.HTTPError) as e:
            apply(SimpleNamespace(name="voila-x", cmd=[], args=[]), bad)
        assert e.value.status_code == 400
