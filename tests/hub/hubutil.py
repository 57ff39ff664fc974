"""A real JupyterHub 6 behind configurable-http-proxy on loopback, managing the livegraphs service.

It runs the repository's ``jupyterhub_config.py`` (sign-up accounts with admin approval,
the service, roles, and, run as root, each user's server as their own system account) with a few
test-only additions. Users log in with the hub's own forms, or act
with hub API tokens minted for them by a test-only service account.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import requests

from ..servers import dies_with_us, free_port
from .hubs import CHP, REPO, HubAccounts, first_admin_password, stop_process, subdomain

#: (group, role) the test hub sets up, and who is in it.
GROUPS = {"analysts": ["cy"], "editors": ["dee"], "livegraphs-admins": ["ivy"]}
USERS = ["ada", "bo", "cy", "dee", "ivy", "root"]
HUB_ADMINS = ["root"]


def chp_available() -> bool:
    return CHP.exists()


class Hub:
    """One hub: ``start()``, use, ``stop()``. Everything lives under ``root``."""

    def __init__(self, root: Path, *, catalog_url: str | None = None, labextension: Path | None = None):
        self.accounts = HubAccounts()
        self.root = HubAccounts.reachable(root)
        self.catalog_url = catalog_url
        #: a built front end (``livegraphs_ext/labextension``) users' servers load, not the installed one
        self.labextension = labextension
        self.port, self.proxy_api_port, self.hub_port, self.service_port = (free_port() for _ in range(4))
        self.tester_token = secrets.token_hex(32)
        self.prometheus_token = secrets.token_hex(32)
        self.proc: subprocess.Popen[bytes] | None = None
        self.api_session = requests.Session()
        self.api_session.headers["Authorization"] = f"token {self.tester_token}"
        self.data_dir = root / "livegraphs"

    @property
    def url(self) -> str:
        """The hub's origin (users' servers and the service each have their own subdomain of it)."""
        return f"http://localhost:{self.port}"

    @property
    def service_url(self) -> str:
        """The service through the proxy, on its own subdomain, as browsers reach it."""
        return f"http://{subdomain('livegraphs', 'service')}.localhost:{self.port}/services/livegraphs/"

    def user_url(self, user: str) -> str:
        """``user``'s server through the proxy, on the user's subdomain."""
        return f"http://{subdomain(user)}.localhost:{self.port}/user/{user}/"

    @property
    def service_direct_url(self) -> str:
        """The service on its own port, as servers and kernels reach it."""
        return f"http://127.0.0.1:{self.service_port}/services/livegraphs/"

    def config(self) -> str:
        """The repository's ``jupyterhub_config.py``, plus what only tests need.

        Test additions: two API-token services (``tester`` creates users, tokens and servers;
        ``prometheus`` holds only ``read:metrics``), fixed groups, and a short identity cache in
        the livegraphs service so group changes show quickly.
        """
        extra_services = [
            {"name": "tester", "api_token": self.tester_token},
            {"name": "prometheus", "api_token": self.prometheus_token},
        ]
        extra_roles = [
            {"name": "tester", "services": ["tester"],
             "scopes": ["admin:users", "admin:groups", "admin:servers", "tokens", "access:servers"]},
            {"name": "prometheus", "services": ["prometheus"], "scopes": ["read:metrics"]},
        ]  # fmt: skip
        return (
            "c = get_config()  # noqa\n"
            f"load_subconfig({str(REPO / 'jupyterhub_config.py')!r})  # noqa\n"
            f"c.JupyterHub.services[0]['command'].append('--LiveGraphsService.identity_cache_seconds=5')\n"
            f"c.JupyterHub.services.extend({extra_services!r})\n"
            f"c.JupyterHub.load_roles.extend({extra_roles!r})\n"
            f"c.JupyterHub.load_groups = { ({g: {'users': u} for g, u in GROUPS.items()})!r}\n"
            f"c.JupyterHub.pid_file = {str(self.root / 'jupyterhub.pid')!r}\n"
            f"c.ConfigurableHTTPProxy.auth_token = {secrets.token_hex(16)!r}\n"
            + (self.server_environment() if self.labextension else "")
        )

    def server_environment(self) -> str:
        """Config lines: users' servers find :attr:`labextension` on their ``JUPYTER_PATH``."""
        path = str(self.jupyter_path)
        return f"c.Spawner.environment = {{**c.Spawner.environment, 'JUPYTER_PATH': {path!r}}}\n"

    @property
    def jupyter_path(self) -> Path:
        """Where users' servers find :attr:`labextension` (in the hub's folder, which they can reach)."""
        return self.root.resolve() / "jupyter"

    def environment(self) -> dict[str, str]:
        """What the repository's config reads: where the state lives, the ports, the catalog."""
        env = {
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "LIVEGRAPHS_HUB_STATE": str(self.root),
            "LIVEGRAPHS_HUB_PORT": str(self.port),
            "LIVEGRAPHS_HUB_API_PORT": str(self.hub_port),
            "LIVEGRAPHS_PROXY_API_PORT": str(self.proxy_api_port),
            "LIVEGRAPHS_SERVICE_PORT": str(self.service_port),
            "LIVEGRAPHS_FIRST_ADMIN": HUB_ADMINS[0],
            **self.accounts.env(),
        }
        if self.catalog_url:
            env["LIVEGRAPHS_CATALOG_URL"] = self.catalog_url
        return env

    # ------------------------------------------------------------------ life cycle

    def start(self, timeout: float = 120) -> Hub:
        self.root.mkdir(parents=True, exist_ok=True)
        if self.labextension:
            (self.jupyter_path / "labextensions").mkdir(parents=True, exist_ok=True)
            link = self.jupyter_path / "labextensions" / "livegraphs-ext"
            if not link.is_symlink():
                link.symlink_to(self.labextension, target_is_directory=True)
        cfg = self.root / "jupyterhub_config.py"
        cfg.write_text(self.config())
        log = open(self.root / "hub.log", "ab")  # noqa: SIM115 - the child owns it
        env = {**os.environ, **self.environment()}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(cfg)],
            cwd=self.root, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
            preexec_fn=dies_with_us(signal.SIGTERM),  # the hub stops its proxy and users' servers
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyterhub exited with {self.proc.returncode}: {self.log_tail()}")
            try:
                hub_up = self.api("GET", "").status_code == 200
                svc_up = requests.get(self.service_url + "api/user", timeout=2).status_code == 403
                if hub_up and svc_up:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.3)
        raise TimeoutError(f"the hub did not start: {self.log_tail()}")

    def log_tail(self, n: int = 40) -> str:
        path = self.root / "hub.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:]) if path.exists() else ""

    def stop(self) -> None:
        stop_process(self.proc, 60)
        self.accounts.remove()

    # ------------------------------------------------------------------ hub API

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        return self.api_session.request(method, f"{self.url}/hub/api/{path}", **kwargs)

    def token(self, user: str) -> str:
        """A fresh hub API token of ``user`` (all of the user's permissions)."""
        r = self.api("POST", f"users/{user}/tokens", json={"note": "livegraphs test", "expires_in": 3600})
        assert r.status_code == 201, r.text
        return str(r.json()["token"])

    def spawn(self, user: str, timeout: float = 120) -> None:
        r = self.api("POST", f"users/{user}/server")
        assert r.status_code in (201, 202, 400), r.text  # 400: already running
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            model = self.api("GET", f"users/{user}").json()
            server = (model.get("servers") or {}).get("")
            if server and server.get("ready"):
                return
            time.sleep(0.3)
        raise TimeoutError(f"{user}'s server did not start: {self.log_tail()}")

    def first_admin_password(self) -> str:
        """The password the hub printed once for the first admin (``root``)."""
        password = first_admin_password((self.root / "hub.log").read_text(errors="replace"))
        assert password, "the hub printed no first-admin password"
        return password

    def login(self, user: str, password: str) -> requests.Session:
        """A browser-like session logged in with the hub's login form."""
        s = requests.Session()
        s.get(f"{self.url}/hub/login", timeout=30)
        xsrf = s.cookies.get("_xsrf", path="/hub/")
        r = s.post(
            f"{self.url}/hub/login?next=", data={"username": user, "password": password, "_xsrf": xsrf},
            timeout=30, allow_redirects=False,
        )  # fmt: skip
        assert r.status_code == 302, (r.status_code, r.text[:500])
        return s

    def signup(self, user: str, password: str) -> None:
        """Sign up with the hub's sign-up form (the account then waits for an admin's approval)."""
        s = requests.Session()
        s.get(f"{self.url}/hub/signup", timeout=30)
        r = s.post(
            f"{self.url}/hub/signup",
            data={"username": user, "signup_password": password, "signup_password_confirmation": password,
                  "email": f"{user}@example.org", "_xsrf": s.cookies.get("_xsrf", path="/hub/")},
            timeout=30,
        )  # fmt: skip
        assert r.status_code == 200, r.text[:500]

    # ------------------------------------------------------------------ kernels

    def run_in_kernel(
        self, user: str, token: str, code: str, timeout: float = 120, server: str = ""
    ) -> dict[str, Any]:
        """Start a kernel in ``user``'s server (``server``: a named one), run ``code``, stop it:
        ``{"stdout", "error"}``."""
        return asyncio.run(self._run_in_kernel(user, token, code, timeout, server))

    async def _run_in_kernel(
        self, user: str, token: str, code: str, timeout: float, server: str
    ) -> dict[str, Any]:
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        base = f"{self.user_url(user)}{server + '/' if server else ''}api/kernels"
        headers = {"Authorization": f"token {token}"}
        r = requests.post(base, headers=headers, json={"name": "python3"}, timeout=60)
        assert r.status_code == 201, r.text
        kernel_id = r.json()["id"]
        try:
            ws = await websocket_connect(
                HTTPRequest(f"ws{base.removeprefix('http')}/{kernel_id}/channels",
                            headers=headers, request_timeout=60)
            )  # fmt: skip
            msg_id = uuid.uuid4().hex
            ws.write_message(
                json.dumps({
                    "header": {"msg_id": msg_id, "username": user, "session": uuid.uuid4().hex,
                               "msg_type": "execute_request", "version": "5.3"},
                    "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
                    "content": {"code": code, "silent": False, "store_history": False,
                                "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
                })
            )  # fmt: skip
            out: dict[str, Any] = {"stdout": "", "error": None}
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                raw = await asyncio.wait_for(ws.read_message(), deadline - time.monotonic())
                if raw is None:
                    raise ConnectionError("kernel websocket closed")
                msg = json.loads(raw)
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind = msg["header"]["msg_type"]
                if kind == "stream" and msg["content"]["name"] == "stdout":
                    out["stdout"] += msg["content"]["text"]
                elif kind == "error":
                    out["error"] = f"{msg['content']['ename']}: {msg['content']['evalue']}"
                elif kind == "status" and msg["content"]["execution_state"] == "idle":
                    ws.close()
                    return out
            raise TimeoutError("the kernel did not finish")
        finally:
            requests.delete(f"{base}/{kernel_id}", headers=headers, timeout=60)


def add_users(hub: Hub, users: Iterable[str]) -> None:
    r = hub.api("POST", "users", json={"usernames": [u for u in users if u not in HUB_ADMINS]})
    assert r.status_code in (201, 409), r.text
    for name in HUB_ADMINS:
        r = hub.api("POST", f"users/{name}", json={"admin": True})
        assert r.status_code in (201, 409), r.text


@contextlib.contextmanager
def running_hub(root: Path, users: Iterable[str], **options: Any) -> Iterator[Hub]:
    """A hub started in ``root`` (``options`` go to :class:`Hub`) with ``users``; stopped after."""
    assert chp_available(), "configurable-http-proxy is missing: run `npm ci` in hub/ (scripts/test.sh does)"
    hub = Hub(root, **options)
    hub.start()
    try:
        add_users(hub, users)
        yield hub
    finally:
        hub.stop()
