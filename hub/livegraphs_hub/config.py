"""The livegraphs hub configuration, driven by environment variables.

Defaults give a one-machine hub: sign-up accounts (an admin approves them), a first admin whose
random password is printed once, JupyterLab with livegraphs for every user, and the livegraphs
service at ``/services/livegraphs/``. Each OAuth provider switches on when its client id is set.
Each user's server and the service have an origin of their own: the hub at ``http://localhost:8000``,
alice's server at ``http://alice.localhost:8000``, the service at
``http://livegraphs--service.localhost:8000`` (a real domain needs a wildcard DNS record and a
wildcard certificate; see hub/README.md, "Origins").

| variable | default | meaning |
| --- | --- | --- |
| ``LIVEGRAPHS_HUB_STATE`` | ``<repo>/.state/hub`` | hub database, cookie secret, users' homes, datasets |
| ``LIVEGRAPHS_HUB_IP`` / ``LIVEGRAPHS_HUB_PORT`` | ``127.0.0.1`` / ``8000`` | where browsers connect |
| ``LIVEGRAPHS_HUB_API_PORT`` / ``LIVEGRAPHS_PROXY_API_PORT`` | ``8081`` / ``8001`` | internal ports |
| ``LIVEGRAPHS_SERVICE_PORT`` | ``10101`` | the livegraphs service's port |
| ``LIVEGRAPHS_HUB_DB_URL`` | SQLite in the state dir | the hub's database |
| ``LIVEGRAPHS_CATALOG_URL`` | SQLite in the state dir | the datasets' catalog (PostgreSQL in production) |
| ``LIVEGRAPHS_FIRST_ADMIN`` | ``admin`` | name of the first admin (empty: none) |
| ``LIVEGRAPHS_SIGNUP`` | ``1`` | ``0`` turns sign-up off |
| ``LIVEGRAPHS_MIN_PASSWORD`` | ``10`` | shortest password accepted at sign-up |
| ``LIVEGRAPHS_LOGIN_ATTEMPTS`` / ``LIVEGRAPHS_LOCKOUT_SECONDS`` | ``5`` / ``600`` | lock-out |
| ``LIVEGRAPHS_PUBLIC_URL`` | from each request | e.g. ``https://hub.example.org``; fixes OAuth callbacks |
| ``LIVEGRAPHS_SUBDOMAIN_HOST`` | public URL or ``http://localhost:<port>`` | subdomains' host; ``off``: no |
| ``LIVEGRAPHS_GITHUB_CLIENT_ID`` / ``_SECRET`` | | GitHub login; ``LIVEGRAPHS_GITHUB_ORGS`` limits it |
| ``LIVEGRAPHS_GOOGLE_CLIENT_ID`` / ``_SECRET`` | | Google login; ``LIVEGRAPHS_GOOGLE_DOMAIN`` limits it |
| ``LIVEGRAPHS_OIDC_ISSUER`` | | any OpenID Connect provider (endpoints from its discovery document) |
| ``LIVEGRAPHS_OIDC_CLIENT_ID`` / ``_SECRET`` | | its client |
| ``LIVEGRAPHS_OIDC_USERNAME_CLAIM`` | ``preferred_username`` | claim that becomes the hub user name |
| ``LIVEGRAPHS_OIDC_GROUPS_CLAIM`` | ``groups`` | claim whose values become hub groups (empty: none) |
| ``LIVEGRAPHS_OIDC_LABEL`` | ``single sign-on`` | the login button says "Sign in with ..." |
| ``LIVEGRAPHS_PLATFORM`` | (one machine) | ``kubernetes``: proxy, database, spawner are the chart's |
| ``LIVEGRAPHS_SERVICE_HOST`` | ``127.0.0.1`` (``hub`` on Kubernetes) | where servers reach the service |
| ``LIVEGRAPHS_USER_ACCOUNTS`` | ``1`` when run as root | each user (and the service) has a system account |
| ``LIVEGRAPHS_ACCOUNT_PREFIX`` | ``lg-`` | users' account names: ``lg-<hub name>`` |
| ``LIVEGRAPHS_SERVICE_ACCOUNT`` | ``livegraphs`` | the service's account |
| ``LIVEGRAPHS_NAMED_SERVERS`` | ``2`` | named servers (projects to share) per user; ``0``: none |

Run as root (the default deployment), the hub gives every user their own system account, made at
their first spawn (``accounts.py``). Run as another user it cannot keep users apart, so it serves
that one person: sign-up and OAuth logins are refused, only the first admin logs in.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import nativeauthenticator

from . import ADMIN_GROUP, ADMIN_SCOPE, ALL_USERS_GROUP, SERVICE_NAME, SIGNUPS_SCOPE
from .accounts import HostLayout, UserAccountSpawner, check_prefix
from .auth import LiveGraphsAuthenticator
from .events import HubEventFile, ServerActionHandler
from .publishing import apply_user_options
from .sharing import BROWSER_TOKEN_SCOPES, include_group_shares, server_token_scopes

USE_SCOPE = "custom:livegraphs:use"
TEMPLATES = Path(__file__).parent / "templates"
#: Jupyter config of every user's server (JUPYTER_CONFIG_PATH): SameSite on its _xsrf cookie, and
#: the hub asked again about a token after 10 s (a revoked share shuts its user out within that).
SERVER_CONFIG = Path(__file__).parent / "server_config"

#: What users may do: reach the livegraphs service and use it, list users and see the names of
#: other users and groups (to share datasets and servers with them), and share their own servers
#: (the hub refuses to share a default server: sharing.py).
USER_SCOPES = [
    f"access:services!service={SERVICE_NAME}",
    USE_SCOPE,
    "list:users",
    "read:users:name",
    "read:groups:name",
    "shares!user",
]

#: What the livegraphs service may do with its own token: read users, groups and activity for the
#: admin pages, list users' and groups' names for the share dialog (``GET directory``), change group
#: membership (teams; the livegraphs-admins group), create teams, list and approve sign-ups, read the
#: hub's metrics. Not admin:users: it cannot make hub admins.
SERVICE_SCOPES = [
    "list:users",
    "read:users",
    "read:users:activity",
    "read:servers",
    "list:groups",
    "read:groups",
    "groups",
    "admin:groups",
    "read:metrics",
    SIGNUPS_SCOPE,
]


#: What a default server's own token may do besides: publish its owner's notebooks with Voila from
#: JupyterLab (``livegraphs_ext/handlers/voila.py``): start, stop and remove the owner's servers, and
#: share them with users and groups by name (the owner holds all of these; a default server is
#: never shared, so nobody else uses its token).
PUBLISH_SCOPES = ["servers!user", "shares!user", "read:users:name", "read:groups:name"]


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() not in {"0", "false", "no", "off"}


def _csv(raw: str | None) -> set[str]:
    return {part.strip() for part in (raw or "").split(",") if part.strip()}


def _append(section: Any, name: str, items: list[Any]) -> None:
    """Add to a list setting, keeping what earlier config (Zero-to-JupyterHub's, say) put there."""
    current = section.get(name)
    section[name] = [*current, *items] if isinstance(current, list) else list(items)


def discover(issuer: str, timeout: float = 10) -> dict[str, Any]:
    """An OpenID Connect issuer's discovery document."""
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"LIVEGRAPHS_OIDC_ISSUER must be an http(s) URL, not {issuer!r}")
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - scheme checked above
        doc: dict[str, Any] = json.load(response)
    for key in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint"):
        if not doc.get(key):
            raise ValueError(f"{url} has no {key}")
    return doc


def oauth_providers(c: Any, env: Mapping[str, str]) -> list[dict[str, str]]:
    """Configure the OAuth providers whose client ids are set; return their login buttons."""
    public = env.get("LIVEGRAPHS_PUBLIC_URL", "").rstrip("/")
    choices: list[dict[str, str]] = []

    def common(section: Any, name: str, label: str) -> None:
        if public:
            section.oauth_callback_url = f"{public}/hub/oauth/{name}/callback"
        section.allow_existing_users = True
        choices.append({"name": name, "label": label, "path": f"oauth/{name}/login"})

    if env.get("LIVEGRAPHS_GITHUB_CLIENT_ID"):
        gh = c.GitHubOAuthenticator
        gh.client_id = env["LIVEGRAPHS_GITHUB_CLIENT_ID"]
        gh.client_secret = env.get("LIVEGRAPHS_GITHUB_CLIENT_SECRET", "")
        orgs = _csv(env.get("LIVEGRAPHS_GITHUB_ORGS"))
        if orgs:
            gh.allowed_organizations = orgs
            gh.scope = ["read:org"]
        else:
            gh.allow_all = _flag(env, "LIVEGRAPHS_GITHUB_ALLOW_ALL", False)
        common(gh, "github", "GitHub")

    if env.get("LIVEGRAPHS_GOOGLE_CLIENT_ID"):
        gg = c.GoogleOAuthenticator
        gg.client_id = env["LIVEGRAPHS_GOOGLE_CLIENT_ID"]
        gg.client_secret = env.get("LIVEGRAPHS_GOOGLE_CLIENT_SECRET", "")
        domains = _csv(env.get("LIVEGRAPHS_GOOGLE_DOMAIN"))
        if domains:
            gg.hosted_domain = sorted(domains)
            gg.allow_all = True
        else:
            gg.allow_all = _flag(env, "LIVEGRAPHS_GOOGLE_ALLOW_ALL", False)
        common(gg, "google", "Google")

    if env.get("LIVEGRAPHS_OIDC_ISSUER"):
        doc = discover(env["LIVEGRAPHS_OIDC_ISSUER"])
        oidc = c.GenericOAuthenticator
        oidc.client_id = env.get("LIVEGRAPHS_OIDC_CLIENT_ID", "")
        oidc.client_secret = env.get("LIVEGRAPHS_OIDC_CLIENT_SECRET", "")
        oidc.authorize_url = doc["authorization_endpoint"]
        oidc.token_url = doc["token_endpoint"]
        oidc.userdata_url = doc["userinfo_endpoint"]
        oidc.login_service = env.get("LIVEGRAPHS_OIDC_LABEL", "single sign-on")
        oidc.username_claim = env.get("LIVEGRAPHS_OIDC_USERNAME_CLAIM", "preferred_username")
        scopes = ["openid", "profile", "email"]
        groups_claim = env.get("LIVEGRAPHS_OIDC_GROUPS_CLAIM", "groups")
        if groups_claim:
            # The IdP's groups become the user's hub groups at every login (teams, and
            # livegraphs-admins for admins); load_roles maps groups to roles.
            scopes.append(env.get("LIVEGRAPHS_OIDC_GROUPS_SCOPE", "groups"))
            oidc.manage_groups = True
            oidc.auth_state_groups_key = f"oauth_user.{groups_claim}"
        oidc.scope = sorted(set(scopes) | _csv(env.get("LIVEGRAPHS_OIDC_EXTRA_SCOPES")))
        allowed_groups = _csv(env.get("LIVEGRAPHS_OIDC_ALLOWED_GROUPS"))
        if allowed_groups:
            oidc.allowed_groups = allowed_groups
        else:
            oidc.allow_all = _flag(env, "LIVEGRAPHS_OIDC_ALLOW_ALL", True)
        admin_groups = _csv(env.get("LIVEGRAPHS_OIDC_ADMIN_GROUPS"))
        if admin_groups:
            oidc.admin_groups = admin_groups
        common(oidc, "oidc", oidc.login_service)

    c.LiveGraphsAuthenticator.oauth_providers = [choice["name"] for choice in choices]
    return choices


def configure(c: Any, root: Path, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Fill the JupyterHub config ``c``; ``root`` is the repository (or install) folder.

    Returns what callers may want to know: the state folder, the public URL, and the accounts
    layout (``host``) that :func:`livegraphs_hub.accounts.prepare_host` must set up before the hub
    starts (``None`` unless users get their own accounts).
    """
    env = os.environ if env is None else env
    kubernetes = env.get("LIVEGRAPHS_PLATFORM", "") == "kubernetes"
    state = Path(env.get("LIVEGRAPHS_HUB_STATE") or root / ".state" / "hub").resolve()
    state.mkdir(parents=True, exist_ok=True, mode=0o700)
    ip = env.get("LIVEGRAPHS_HUB_IP", "127.0.0.1")
    port = int(env.get("LIVEGRAPHS_HUB_PORT", "8000"))
    accounts = not kubernetes and _flag(env, "LIVEGRAPHS_USER_ACCOUNTS", os.geteuid() == 0)
    if not kubernetes:
        one_machine(c, env, root, state, ip, port)
        if accounts:
            user_accounts(c, env, state)
    configure_logins(c, env, state)
    if not kubernetes and not accounts:
        one_person(c, env)
    configure_roles(c)
    configure_service(c, env, state, kubernetes)
    configure_named_servers(c, env)
    host = service_account(c, env, root, state) if accounts else None
    origin = configure_origins(c, env, port, kubernetes)
    return {"state": state, "url": f"{origin or f'http://{ip}:{port}'}/", "host": host}


#: Every cookie of the hub, the service and the servers: not sent on requests other sites start
#: (a form posted or an image loaded from elsewhere), only on top-level navigations to them.
COOKIE_OPTIONS = {"samesite": "Lax"}


#: The hub's answers to requests from other origins (users' servers): token requests only.
CROSS_ORIGIN_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, PATCH, DELETE, OPTIONS",
}


def subdomain_host(env: Mapping[str, str], port: int, kubernetes: bool) -> str:
    """Where users' servers and the service live, one subdomain each (empty: all on one origin)."""
    raw = env.get("LIVEGRAPHS_SUBDOMAIN_HOST", "").strip()
    if raw.lower() in {"off", "none", "0", "false", "no"}:
        return ""
    if not raw:
        public = env.get("LIVEGRAPHS_PUBLIC_URL", "").strip()
        raw = public or ("" if kubernetes else f"http://localhost:{port}")
    if not raw:
        return ""  # Kubernetes without a public URL: the chart's setting (hub.config) stands
    parts = urlsplit(raw if "://" in raw else f"https://{raw}")
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.path.strip("/"):
        raise ValueError(f"LIVEGRAPHS_SUBDOMAIN_HOST must be http(s)://host[:port], not {raw!r}")
    return f"{parts.scheme}://{parts.netloc}"


def service_public_url(host: str) -> str:
    """Where browsers reach the service when users' servers are on subdomains of ``host``."""
    from jupyterhub.utils import subdomain_hook_idna  # JupyterHub's default subdomain_hook

    parts = urlsplit(host)
    domain = subdomain_hook_idna(SERVICE_NAME, parts.hostname, "service")
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{domain}{port}/services/{SERVICE_NAME}/"


def configure_origins(c: Any, env: Mapping[str, str], port: int, kubernetes: bool) -> str:
    """Each user's server and the service on an origin of its own, and SameSite cookies.

    A page of one user's server (a notebook's output, an HTML file) then runs on that user's
    origin: it cannot read the hub's or the service's cookies or pages, nor call them with the
    visitor's login. Returns the hub's origin (empty: left to other config).
    """
    host = subdomain_host(env, port, kubernetes)
    if host:
        c.JupyterHub.subdomain_host = host
        # JupyterLab links the service's admin pages on the service's own subdomain
        environment = c.Spawner.get("environment")
        environment = dict(environment) if isinstance(environment, Mapping) else {}
        environment["LIVEGRAPHS_SERVICE_PUBLIC_URL"] = service_public_url(host)
        c.Spawner.environment = environment
    settings = c.JupyterHub.get("tornado_settings")
    settings = dict(settings) if isinstance(settings, Mapping) else {}
    if host:
        # JupyterLab's share dialog (jupyter-collaboration) calls the hub's API from a user's origin
        # with the browser's token. "*" never lets a browser send the hub's cookies along (nor read a
        # response to them): only requests that carry a token themselves are answered to other origins.
        settings["headers"] = {**CROSS_ORIGIN_HEADERS, **settings.get("headers", {})}
    settings["cookie_options"] = {**COOKIE_OPTIONS, **settings.get("cookie_options", {})}
    # the hub's _xsrf cookie takes cookie_options only when no xsrf_cookie_kwargs are set
    settings["xsrf_cookie_kwargs"] = {**COOKIE_OPTIONS, **settings.get("xsrf_cookie_kwargs", {})}
    # The service sets SameSite=Lax on its own cookies. Servers get cookie_options from the hub for
    # their login cookie; their _xsrf cookie is jupyter-server's, set by this config folder.
    c.JupyterHub.tornado_settings = settings
    if not kubernetes:  # (on Kubernetes the user image holds the servers' config)
        environment = c.Spawner.get("environment")
        environment = dict(environment) if isinstance(environment, Mapping) else {}
        folders = [str(SERVER_CONFIG), *filter(None, [environment.get("JUPYTER_CONFIG_PATH")])]
        environment["JUPYTER_CONFIG_PATH"] = os.pathsep.join(folders)
        c.Spawner.environment = environment
    return host


def one_machine(c: Any, env: Mapping[str, str], root: Path, state: Path, ip: str, port: int) -> None:
    """Proxy, hub database and spawner of a hub on one machine (Zero-to-JupyterHub sets its own)."""
    (state / "users").mkdir(exist_ok=True)
    # Browsers reach the proxy; everything else stays on loopback.
    c.JupyterHub.ip = ip
    c.JupyterHub.port = port
    c.JupyterHub.hub_ip = "127.0.0.1"
    c.JupyterHub.hub_port = int(env.get("LIVEGRAPHS_HUB_API_PORT", "8081"))
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{int(env.get('LIVEGRAPHS_PROXY_API_PORT', '8001'))}"
    chp = root / "hub" / "node_modules" / ".bin" / "configurable-http-proxy"
    c.ConfigurableHTTPProxy.command = [str(chp) if chp.exists() else "configurable-http-proxy"]
    c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")
    c.JupyterHub.db_url = env.get("LIVEGRAPHS_HUB_DB_URL") or f"sqlite:///{state / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
    # Single-user servers: JupyterLab with livegraphs, as local processes; user_accounts() runs
    # each as its user's own account, one_person() keeps the hub to its own OS user's one person.
    c.JupyterHub.spawner_class = "simple"
    c.SimpleLocalProcessSpawner.home_dir_template = str(state / "users" / "{username}")
    c.Spawner.cmd = [str(Path(sys.executable).parent / "jupyterhub-singleuser")]
    c.Spawner.default_url = "/lab"
    c.Spawner.args = ["--allow-root"] if os.geteuid() == 0 else []
    c.JupyterHub.cleanup_servers = True


def user_accounts(c: Any, env: Mapping[str, str], state: Path) -> None:
    """Each user's server and kernels run as the user's own system account (the hub runs as root)."""
    c.JupyterHub.spawner_class = UserAccountSpawner
    c.UserAccountSpawner.account_prefix = check_prefix(env.get("LIVEGRAPHS_ACCOUNT_PREFIX") or "lg-")
    c.UserAccountSpawner.homes = str(state / "users")
    c.Spawner.args = []


SHARED_ACCOUNT = (
    "this hub does not run as root, so every user's server and kernels would share its one system "
    "account and could read each other's data; it serves one person: the first admin. {what} needs "
    "the hub to run as root (scripts/start.sh as root), which gives each user an account of their own."
)


def one_person(c: Any, env: Mapping[str, str]) -> None:
    """Not root: no sign-up and no OAuth logins, so nobody else lands in the hub's own account."""
    if _flag(env, "LIVEGRAPHS_SIGNUP", False):
        raise ValueError(SHARED_ACCOUNT.format(what="Sign-up (LIVEGRAPHS_SIGNUP=1)"))
    providers = ("LIVEGRAPHS_GITHUB_CLIENT_ID", "LIVEGRAPHS_GOOGLE_CLIENT_ID", "LIVEGRAPHS_OIDC_ISSUER")
    for name in providers:
        if env.get(name):
            raise ValueError(SHARED_ACCOUNT.format(what=f"An OAuth login ({name})"))
    c.LiveGraphsAuthenticator.enable_signup = False
    print(f"livegraphs: {SHARED_ACCOUNT.format(what='Letting in anyone else')}", file=sys.stderr)


def configure_logins(c: Any, env: Mapping[str, str], state: Path) -> None:
    """Sign-up accounts (admin approval, password rules, lock-out), the first admin, OAuth providers."""
    c.JupyterHub.authenticator_class = LiveGraphsAuthenticator
    auth = c.LiveGraphsAuthenticator
    # Sign-up accounts are checked by approval; OAuth providers have their own allow rules.
    auth.allow_all = True
    first_admin = env.get("LIVEGRAPHS_FIRST_ADMIN", "admin")
    auth.first_admin = first_admin
    auth.admin_users = {first_admin} if first_admin else set()
    auth.enable_signup = _flag(env, "LIVEGRAPHS_SIGNUP", True)
    auth.open_signup = False
    auth.ask_email_on_signup = True
    auth.minimum_password_length = int(env.get("LIVEGRAPHS_MIN_PASSWORD", "10"))
    auth.check_common_password = True
    auth.allowed_failed_logins = int(env.get("LIVEGRAPHS_LOGIN_ATTEMPTS", "5"))
    auth.seconds_before_next_try = int(env.get("LIVEGRAPHS_LOCKOUT_SECONDS", "600"))
    events_file = state / "hub-events.jsonl"
    auth.hub_events_file = str(events_file)
    c.EventLogger.handlers = [ServerActionHandler(HubEventFile(events_file))]
    choices = oauth_providers(c, env)
    c.JupyterHub.template_paths = [
        str(TEMPLATES),
        str(Path(nativeauthenticator.__file__).parent / "templates"),
    ]
    c.JupyterHub.template_vars = {
        "livegraphs_login_choices": choices,
        "livegraphs_service_name": SERVICE_NAME,
        "livegraphs_admin_scope": ADMIN_SCOPE,
    }


def configure_roles(c: Any) -> None:
    """Hub admins and the livegraphs-admins group are livegraphs admins; teams are hub groups."""
    c.JupyterHub.custom_scopes = {
        USE_SCOPE: {"description": "Upload, clean, chart and share one's own datasets in livegraphs."},
        ADMIN_SCOPE: {
            "description": "livegraphs admin: every dataset, the users and roles, activity and engagement.",
            "subscopes": [USE_SCOPE],
        },
        SIGNUPS_SCOPE: {"description": "List, approve and discard pending sign-up accounts."},
    }
    c.JupyterHub.extra_user_scopes = USER_SCOPES
    _append(
        c.JupyterHub,
        "load_roles",
        [
            {
                "name": "livegraphs-admin",
                "description": "livegraphs admins: the members of the livegraphs-admins group.",
                "scopes": [ADMIN_SCOPE],
                "groups": [ADMIN_GROUP],
            },
            {
                "name": "livegraphs-service",
                "description": "The livegraphs service's own token.",
                "scopes": SERVICE_SCOPES,
                "services": [SERVICE_NAME],
            },
        ],
    )


def configure_named_servers(c: Any, env: Mapping[str, str]) -> None:
    """Named servers: projects a user may share with chosen users (their default server never),
    and notebooks published with Voila (``voila-`` servers)."""
    limit = int(env.get("LIVEGRAPHS_NAMED_SERVERS", "2"))
    if limit < 0:
        raise ValueError(f"LIVEGRAPHS_NAMED_SERVERS must be 0 or more, not {limit}")
    c.JupyterHub.allow_named_servers = limit > 0
    c.JupyterHub.named_server_limit_per_user = limit
    # a voila- named server publishes a notebook with Voila (publishing.py)
    c.Spawner.apply_user_options = apply_user_options
    include_group_shares()
    # jupyter-collaboration's share dialog lists and changes shares with the browser's token
    c.Spawner.oauth_client_allowed_scopes = BROWSER_TOKEN_SCOPES


def service_account(c: Any, env: Mapping[str, str], root: Path, state: Path) -> HostLayout:
    """The livegraphs service runs as its own account; what the host must set up for it and the users."""
    account = env.get("LIVEGRAPHS_SERVICE_ACCOUNT") or "livegraphs"
    data_dir = state / "livegraphs"
    for service in c.JupyterHub.services:
        if service.get("name") == SERVICE_NAME:
            service["user"] = account
            service["cwd"] = str(data_dir)
    db = None if env.get("LIVEGRAPHS_HUB_DB_URL") else state / "jupyterhub.sqlite"
    return HostLayout(
        state=state,
        homes=state / "users",
        data_dir=data_dir,
        events_file=state / "hub-events.jsonl",
        cookie_secret=state / "jupyterhub_cookie_secret",
        hub_files=(db,) if db else (),
        service_account=account,
        code=(Path(sys.prefix), Path(os.path.realpath(sys.executable)), root),
    )


def configure_service(c: Any, env: Mapping[str, str], state: Path, kubernetes: bool) -> None:
    """The livegraphs service, the one process that holds the datasets, and what servers may do with it."""
    service_port = int(env.get("LIVEGRAPHS_SERVICE_PORT", "10101"))
    # On Kubernetes the service runs in the hub pod, reached through the hub's Service ("hub").
    host = env.get("LIVEGRAPHS_SERVICE_HOST", "hub" if kubernetes else "127.0.0.1")
    service_cmd = [
        sys.executable,
        "-m",
        "livegraphs_ext.service",
        f"--LiveGraphsService.data_dir={state / 'livegraphs'}",
    ]
    if kubernetes:
        service_cmd.append(f"--LiveGraphsService.url=http://0.0.0.0:{service_port}")
    if env.get("LIVEGRAPHS_CATALOG_URL"):
        service_cmd.append(f"--LiveGraphsService.catalog_url={env['LIVEGRAPHS_CATALOG_URL']}")
    _append(
        c.JupyterHub,
        "services",
        [
            {
                "name": SERVICE_NAME,
                "url": f"http://{host}:{service_port}",
                "command": service_cmd,
                "oauth_no_confirm": True,
                "display": True,
                # A user's token issued to the service carries at most these, and only those the user has.
                "oauth_client_allowed_scopes": [USE_SCOPE, ADMIN_SCOPE],
                "environment": {
                    "LIVEGRAPHS_HUB_EVENTS": str(state / "hub-events.jsonl"),
                    "LIVEGRAPHS_ADMIN_GROUP": ADMIN_GROUP,
                    "LIVEGRAPHS_ALL_USERS_GROUP": ALL_USERS_GROUP,
                },
            }
        ],
    )
    # Kernels and the server extension of a user's default server call the service with the
    # server's token; a named server, which may be shared, gets no livegraphs scope (sharing.py).
    own = ["users:activity!user", f"access:services!service={SERVICE_NAME}", USE_SCOPE]
    c.Spawner.server_token_scopes = server_token_scopes(
        # ADMIN_SCOPE is held only if the user holds it: lets an admin's notebook see every dataset.
        # PUBLISH_SCOPES: "Publish with Voila" in JupyterLab asks the hub with it.
        [*own, ADMIN_SCOPE, *PUBLISH_SCOPES],
        # A publication's notebook reads its publisher's own datasets, never every dataset.
        own,
    )
    c.Spawner.disable_user_config = True
    # The server and its kernels reach the service directly (not through the proxy).
    c.Spawner.environment = {
        "LIVEGRAPHS_SERVICE_URL": f"http://{host}:{service_port}/services/{SERVICE_NAME}/"
    }
    c.JupyterHub.shutdown_on_logout = False
