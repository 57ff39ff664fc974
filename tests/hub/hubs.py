"""A real JupyterHub (with configurable-http-proxy) run from the repository's ``jupyterhub_config.py``,
a real OpenID Connect provider (panva/oidc-provider) beside it, and a browser-like client for both.

Everything listens on loopback ports picked at random; each hub has its own state folder. The hub runs
with its default origins: the hub at ``http://localhost:<port>``, each user's server at
``http://<name>.localhost:<port>``, the service at ``http://livegraphs--service.localhost:<port>``.
Browsers resolve every ``*.localhost`` name to loopback; :func:`resolve_localhost_names` makes this
test process do the same.
"""

from __future__ import annotations

import atexit
import contextlib
import html.parser
import http.cookiejar
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from ..servers import dies_with_us, free_port

REPO = Path(__file__).resolve().parents[2]
#: This checkout's front end, as ``jlpm build`` makes it
LABEXTENSION = REPO / "livegraphs_ext" / "labextension"
OIDC_DIR = REPO / "hub" / "oidc-test"
CHP = REPO / "hub" / "node_modules" / ".bin" / "configurable-http-proxy"


def resolve_localhost_names() -> None:
    """Resolve ``<anything>.localhost`` to loopback in this process, as browsers do (RFC 6761).

    The system resolver knows only ``localhost`` itself; the hub puts users' servers and the service
    on subdomains of it.
    """
    if getattr(socket.getaddrinfo, "resolves_localhost_names", False):
        return
    system = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, bytes):
            host = host.decode()
        if isinstance(host, str) and host.lower().rstrip(".").endswith(".localhost"):
            host = "127.0.0.1"
        return system(host, *args, **kwargs)

    getaddrinfo.resolves_localhost_names = True  # type: ignore[attr-defined]
    socket.getaddrinfo = getaddrinfo

    # The standard library's cookie jar files a host without a dot under "<host>.local", so it never
    # sends ``localhost`` a cookie set for ``Domain=localhost``: the hub's session id, which it puts
    # on the domain its users' servers are subdomains of. Browsers do send it; so does this process.
    policy = http.cookiejar.DefaultCookiePolicy
    return_ok_domain = policy.return_ok_domain

    def return_ok_domain_localhost(self: Any, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        if (
            cookie.domain.lstrip(".") == "localhost"
            and urlsplit(request.get_full_url()).hostname == "localhost"
        ):
            return True
        return bool(return_ok_domain(self, cookie, request))

    policy.return_ok_domain = return_ok_domain_localhost  # type: ignore[method-assign]


resolve_localhost_names()


def subdomain(name: str, kind: str = "user") -> str:
    """The subdomain label JupyterHub gives a user's server or a service (its default "idna" hook)."""
    from jupyterhub.utils import subdomain_hook_idna

    return subdomain_hook_idna(name, "localhost", kind).removesuffix(".localhost")


def proxy_command() -> str:
    found = str(CHP) if CHP.exists() else shutil.which("configurable-http-proxy")
    if not found:
        raise RuntimeError("configurable-http-proxy is not installed; run scripts/test.sh (npm ci in hub/)")
    return found


def _wait_for(proc: subprocess.Popen[bytes], url: str, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
        try:
            if requests.get(url, timeout=2, allow_redirects=False).status_code < 500:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.25)
    raise TimeoutError(f"{url} did not answer in {timeout} s:\n{log.read_text()[-4000:]}")


def stop_process(proc: subprocess.Popen[bytes] | None, timeout: float = 20) -> None:
    """SIGTERM (a hub then stops its proxy, servers and services); the whole group if it hangs."""
    if proc and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def first_admin_password(log: str) -> str | None:
    """The password a hub printed once in its log for the first admin, if it did."""
    m = re.search(r"password: (\S+)", log)
    return m.group(1) if m else None


class OIDCProvider:
    """``node hub/oidc-test/provider.mjs``: a certified OpenID Connect provider on loopback."""

    def __init__(self, workdir: Path, accounts: Mapping[str, Any], redirect_uris: list[str]):
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.client_id = "livegraphs-hub"
        self.client_secret = secrets.token_urlsafe(24)
        self.workdir = workdir
        self.accounts = dict(accounts)
        self.redirect_uris = redirect_uris
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> OIDCProvider:
        if not (OIDC_DIR / "node_modules" / "oidc-provider").exists():
            raise RuntimeError(
                "hub/oidc-test is not installed; run scripts/test.sh (npm ci in hub/oidc-test)"
            )
        self.workdir.mkdir(parents=True, exist_ok=True)
        accounts = self.workdir / "accounts.json"
        accounts.write_text(__import__("json").dumps(self.accounts))
        log = self.workdir / "oidc.log"
        cmd = ["node", str(OIDC_DIR / "provider.mjs"), "--port", str(self.port),
               # "--opt=value": a random secret may start with "-", which a separate argument can't
               f"--client-id={self.client_id}", f"--client-secret={self.client_secret}",
               "--accounts", str(accounts)]  # fmt: skip
        for uri in self.redirect_uris:
            cmd += ["--redirect-uri", uri]
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(
                cmd,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=OIDC_DIR,
                start_new_session=True,
                preexec_fn=dies_with_us(signal.SIGKILL),
            )
        _wait_for(self.proc, f"{self.issuer}/.well-known/openid-configuration", 30, log)
        return self

    def stop(self) -> None:
        stop_process(self.proc)


class HubAccounts:
    """System account names of one test hub (a random prefix: test runs side by side never share
    an account), the hub's state in a place those accounts can reach, and their removal.

    A hub run as root gives each user their own system account and the service one too; their
    homes and data live in the state folder, so every folder above it must be traversable. pytest's
    temporary folders are not (``/tmp/pytest-of-root`` is 0700): the state is a fresh folder in the
    system's temporary folder, and the path the test chose becomes a link to it.
    """

    def __init__(self) -> None:
        tag = secrets.token_hex(3)
        self.prefix = f"lgt{tag}-"
        self.service = f"lgt{tag}svc"

    def env(self) -> dict[str, str]:
        return {"LIVEGRAPHS_ACCOUNT_PREFIX": self.prefix, "LIVEGRAPHS_SERVICE_ACCOUNT": self.service}

    @staticmethod
    def reachable(path: Path) -> Path:
        """Make ``path`` (missing or an empty folder) a link to a fresh folder others can traverse."""
        if path.is_symlink() or (path.exists() and any(path.iterdir())):
            return path
        if path.exists():
            path.rmdir()
        path.parent.mkdir(parents=True, exist_ok=True)
        real = Path(tempfile.mkdtemp(prefix="livegraphs-hub-", dir="/tmp"))
        real.chmod(0o711)
        path.symlink_to(real, target_is_directory=True)
        atexit.register(shutil.rmtree, real, True)
        return path

    def names(self) -> list[str]:
        return [
            e.pw_name
            for e in pwd.getpwall()
            if e.pw_name.startswith(self.prefix) or e.pw_name == self.service
        ]

    def remove(self, timeout: float = 15) -> None:
        """Delete the accounts (and their groups) once their processes, this hub's, have ended."""
        if os.geteuid() != 0:
            return
        names = self.names()
        uids = {pwd.getpwnam(n).pw_uid for n in names}
        deadline = time.monotonic() + timeout
        while (left := _processes_of(uids)) and time.monotonic() < deadline:
            time.sleep(0.2)
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for name in names:
            subprocess.run(["userdel", "--force", name], capture_output=True, check=False)


def _processes_of(uids: set[int]) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid in uids:
                    found.append(int(entry.name))
            except FileNotFoundError:
                pass
    return found


class LiveHub:
    """``jupyterhub -f jupyterhub_config.py`` with its state in ``state`` and its own ports."""

    def __init__(
        self,
        state: Path,
        env: Mapping[str, str] | None = None,
        config: str = "",
        server_env: Mapping[str, str] | None = None,
    ):
        self.state = state
        #: Python lines run after the repository's config (``c`` is the config)
        self.extra_config = config
        self.port = free_port()
        self.url = f"http://localhost:{self.port}/"
        #: the service, on its own subdomain
        self.service_url = (
            f"http://{subdomain('livegraphs', 'service')}.localhost:{self.port}/services/livegraphs/"
        )
        self.extra_env = dict(env or {})
        #: more environment variables of users' servers (``Spawner.environment``)
        self.server_env = dict(server_env or {})
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = state / "hub.log"
        self.starts = 0
        self.accounts = HubAccounts()
        HubAccounts.reachable(state)

    def start(self, timeout: float = 90) -> LiveHub:
        self.state.mkdir(parents=True, exist_ok=True)
        chp = Path(proxy_command())
        env = {
            **os.environ,
            "PATH": f"{chp.parent}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "LIVEGRAPHS_HUB_STATE": str(self.state),
            "LIVEGRAPHS_HUB_PORT": str(self.port),
            "LIVEGRAPHS_HUB_API_PORT": str(free_port()),
            "LIVEGRAPHS_PROXY_API_PORT": str(free_port()),
            "LIVEGRAPHS_SERVICE_PORT": str(free_port()),
            **self.accounts.env(),
            **self.extra_env,
        }
        self.starts += 1
        self.log_path = self.state / f"hub-{self.starts}.log"
        config = REPO / "jupyterhub_config.py"
        extra = self.extra_config
        if self.server_env:
            extra += f"\nc.Spawner.environment = {{**c.Spawner.environment, **{self.server_env!r}}}\n"
        if extra:
            config = self.state / "jupyterhub_config_test.py"
            config.write_text(
                f"c = get_config()  # noqa\nload_subconfig({str(REPO / 'jupyterhub_config.py')!r})  # noqa\n"
                + extra
            )
        with open(self.log_path, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "jupyterhub", "-f", str(config)],
                stdout=out, stderr=subprocess.STDOUT, env=env, cwd=self.state, start_new_session=True,
                # SIGTERM: the hub stops its proxy and users' servers
                preexec_fn=dies_with_us(signal.SIGTERM),
            )  # fmt: skip
        _wait_for(self.proc, self.url + "hub/api/", timeout, self.log_path)
        self.wait_for_service()
        return self

    def user_url(self, name: str) -> str:
        """``name``'s server, on its own subdomain."""
        return f"http://{subdomain(name)}.localhost:{self.port}/user/{name}/"

    def wait_for_service(self, timeout: float = 120) -> None:
        """The hub answers before its managed service does; wait until the proxy reaches it.

        The hub gives its service 30 s to answer and then exits; a slow machine gets the rest."""
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"the hub exited with {self.proc.returncode}:\n{self.log()[-6000:]}")
            try:
                r = requests.get(self.service_url + "api/datasets", timeout=5, allow_redirects=False)
            except requests.RequestException as exc:
                last = f"{type(exc).__name__}: {exc}"
            else:
                if r.status_code in (401, 403):
                    return
                last = f"{r.status_code} {r.headers.get('Location') or r.text[:200]}"
            time.sleep(0.3)
        raise TimeoutError(
            f"the livegraphs service did not come up in {timeout} s (last answer: {last}):\n"
            + self.log()[-6000:]
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def first_admin_password(self) -> str | None:
        return first_admin_password(self.log())

    def stop(self) -> None:
        stop_process(self.proc, 30)
        self.accounts.remove()


class _Forms(html.parser.HTMLParser):
    """Every <form>: its action, method and named inputs (hidden ones with their values)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "method": a.get("method", "get"), "fields": {}})
        elif tag in {"input", "button"} and self.forms and a.get("name"):
            self.forms[-1]["fields"].setdefault(a["name"], a.get("value", ""))


def with_cookies_of(page: Any, method: str, url: str, **kwargs: Any) -> requests.Response:
    """A request with the cookies and the user agent of a Playwright page's browser.

    For calls a test makes beside the page: Playwright's own request API resolves names itself and
    knows no ``*.localhost`` name. (The user agent matters: where no session id reaches a host, as on
    the service's, JupyterHub ties its _xsrf token to the browser's address and user agent.)
    """
    cookies = {c["name"]: c["value"] for c in page.context.cookies(url)}
    headers = {"User-Agent": page.evaluate("navigator.userAgent"), **kwargs.pop("headers", {})}
    return requests.request(method, url, cookies=cookies, headers=headers, timeout=30, **kwargs)


def forms(page: str) -> list[dict[str, Any]]:
    parser = _Forms()
    parser.feed(page)
    return parser.forms


class Browser:
    """A cookie-keeping HTTP client that logs in to a hub the way a browser does."""

    def __init__(self, hub: LiveHub):
        self.hub = hub
        self.s = requests.Session()

    def url(self, path: str) -> str:
        return urljoin(self.hub.url, path)

    def xsrf(self) -> str:
        for cookie in self.s.cookies:
            if cookie.name == "_xsrf" and cookie.path == "/hub/":
                return str(cookie.value)
        self.s.get(self.url("hub/login"))
        return self.xsrf()

    def post_form(self, path: str, data: Mapping[str, str]) -> requests.Response:
        return self.s.post(self.url(path), data={**data, "_xsrf": self.xsrf()})

    def signup(self, name: str, password: str, email: str = "") -> str:
        """Sign up; returns the page's message."""
        self.s.get(self.url("hub/signup"))
        r = self.post_form(
            "hub/signup",
            {"username": name, "signup_password": password, "signup_password_confirmation": password,
             "email": email or f"{name}@example.org"},
        )  # fmt: skip
        assert r.status_code == 200, r.text[:500]
        m = re.search(r'class="alert[^"]*"[^>]*>(.*?)</div>', r.text, re.S)
        return html.unescape(re.sub(r"<[^>]+>", " ", m.group(1))).strip() if m else r.text

    def login(self, name: str, password: str) -> requests.Response:
        """Post the login form; not following the redirect, which would start the user's server."""
        return self.s.post(
            self.url("hub/login?next="),
            data={"username": name, "password": password, "_xsrf": self.xsrf()},
            allow_redirects=False,
        )

    def logged_in_as(self) -> str | None:
        r = self.api("GET", "user")
        return r.json()["name"] if r.status_code == 200 else None

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """The hub's REST API with this browser's cookie."""
        headers = {"X-XSRFToken": self.xsrf(), **kwargs.pop("headers", {})}
        return self.s.request(method, self.url(f"hub/api/{path}"), headers=headers, **kwargs)

    def oidc_login(self, provider: OIDCProvider, login: str) -> requests.Response:
        """Log in through the hub's OIDC button, filling the provider's sign-in and consent forms.

        Returns the hub's answer at its OAuth callback (a redirect when the login worked), without
        following it further (that would start the user's server).
        """
        r = self.s.get(self.url("hub/oauth/oidc/login?next="), allow_redirects=False)
        for _ in range(20):
            if urlsplit(r.url).path.endswith("/oauth/oidc/callback"):
                return r
            if r.is_redirect:
                r = self.s.get(urljoin(r.url, r.headers["Location"]), allow_redirects=False)
                continue
            page = forms(r.text)
            assert page, f"no form at {r.url}: {r.text[:500]}"
            fields = dict(page[0]["fields"])
            if "login" in fields:
                fields.update(login=login, password="not-checked-by-the-test-provider")
            r = self.s.post(urljoin(r.url, page[0]["action"]), data=fields, allow_redirects=False)
        raise AssertionError(f"stuck at {r.url}")

    def service_xsrf(self) -> str | None:
        """The service's ``_xsrf`` cookie (on the service's own host)."""
        host = urlsplit(self.hub.service_url).hostname or ""
        return next(
            (str(c.value) for c in self.s.cookies
             if c.name == "_xsrf" and c.path.startswith("/services") and c.domain.lstrip(".") == host),
            None,
        )  # fmt: skip

    def service(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """The livegraphs service (its OAuth cookie is set on first visit)."""
        url = self.hub.service_url + path
        headers = dict(kwargs.pop("headers", {}))
        if method not in {"GET", "HEAD"}:
            token = self.service_xsrf()
            if token is None:
                self.s.get(self.hub.service_url)
                token = self.service_xsrf()
            assert token, "the service set no _xsrf cookie"
            headers["X-XSRFToken"] = token
        return self.s.request(method, url, headers=headers, **kwargs)


def logged_in_admin(hub: LiveHub) -> Browser:
    """The hub's first admin, logged in."""
    admin = Browser(hub)
    admin.login("admin", hub.first_admin_password() or "")
    assert admin.logged_in_as() == "admin"
    return admin


def approved_member(hub: LiveHub, admin: Browser, name: str, password: str) -> Browser:
    """A regular user who signed up, was approved by ``admin`` on the admin page, and logged in."""
    user = Browser(hub)
    user.signup(name, password)
    r = admin.service("PUT", f"admin/api/signups/{name}")
    assert r.status_code == 200, r.text
    user.login(name, password)
    assert user.logged_in_as() == name
    return user


def with_this_front_end(hub: LiveHub) -> LiveHub:
    """``hub``'s users' servers load this checkout's front end, not the one installed with the package."""
    assert (LABEXTENSION / "package.json").exists(), "build the front end first (jlpm build)"
    jupyter_path = hub.state.resolve() / "jupyter"  # (pytest's own folder is not reachable)
    (jupyter_path / "labextensions").mkdir(parents=True)
    (jupyter_path / "labextensions" / "livegraphs-ext").symlink_to(LABEXTENSION, target_is_directory=True)
    hub.server_env["JUPYTER_PATH"] = str(jupyter_path)
    return hub


def start_server(hub: LiveHub, admin: Browser, name: str, timeout: float = 180) -> None:
    """Start ``name``'s default server (as ``admin``) and wait until it is ready."""
    start_servers(hub, admin, [name], timeout)


def start_servers(hub: LiveHub, admin: Browser, names: Sequence[str], timeout: float = 180) -> None:
    """Start the default servers of ``names`` together (as ``admin``) and wait until all are ready."""
    for name in names:
        r = admin.api("POST", f"users/{name}/server")
        assert r.status_code in (201, 202), r.text
    deadline = time.monotonic() + timeout
    for name in names:
        while not admin.api("GET", f"users/{name}").json()["servers"].get("", {}).get("ready"):
            assert time.monotonic() < deadline, f"{name}'s server did not start:\n{hub.log()[-3000:]}"
            time.sleep(0.5)


def members_with_servers(hub: LiveHub, names: Sequence[str], password: str) -> dict[str, Browser]:
    """``names``, signed up, approved and logged in, each with their default server running."""
    admin = logged_in_admin(hub)
    people = {name: approved_member(hub, admin, name, password) for name in names}
    start_servers(hub, admin, names)
    return people
