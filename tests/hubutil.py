"""A real JupyterHub 6 behind configurable-http-proxy on loopback, managing the livegraphs service.

Single-user servers are started by ``SimpleLocalProcessSpawner`` (same OS user: fine for
tests, no isolation in production). Users log in with the shared-password authenticator
or act with hub API tokens minted for them by a test-only service account.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import requests

from .servers import free_port

REPO = Path(__file__).resolve().parent.parent
CHP = REPO / "hub" / "node_modules" / ".bin" / "configurable-http-proxy"
USER_PASSWORD = "livegraphs-test-password"
ADMIN_PASSWORD = "livegraphs-admin-test-password-0123456789"
#: (group, role) the test hub sets up, and who is in it.
GROUPS = {"analysts": ["cy"], "editors": ["dee"], "livegraphs-admins": ["ivy"]}
USERS = ["ada", "bo", "cy", "dee", "ivy", "root"]
HUB_ADMINS = ["root"]


def chp_available() -> bool:
    return CHP.exists()


class Hub:
    """One hub: ``start()``, use, ``stop()``. Everything lives under ``root``."""

    def __init__(self, root: Path, *, catalog_url: str | None = None):
        self.root = root
        self.catalog_url = catalog_url
        self.port, self.proxy_api_port, self.hub_port, self.service_port = (free_port() for _ in range(4))
        self.tester_token = secrets.token_hex(32)
        self.prometheus_token = secrets.token_hex(32)
        self.proc: subprocess.Popen[bytes] | None = None
        self.api_session = requests.Session()
        self.api_session.headers["Authorization"] = f"token {self.tester_token}"
        self.data_dir = root / "livegraphs-data"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def service_url(self) -> str:
        """The service through the proxy, as browsers reach it."""
        return f"{self.url}/services/livegraphs/"

    @property
    def service_direct_url(self) -> str:
        """The service on its own port, as servers and kernels reach it."""
        return f"http://127.0.0.1:{self.service_port}/services/livegraphs/"

    def config(self) -> str:
        service_cmd = [
            sys.executable, "-m", "livegraphs_ext.service",
            f"--LiveGraphsService.data_dir={self.data_dir}", "--LiveGraphsService.identity_cache_seconds=5",
        ]  # fmt: skip
        if self.catalog_url:
            service_cmd.append(f"--LiveGraphsService.catalog_url={self.catalog_url}")
        settings: dict[str, Any] = {
            "JupyterHub.ip": "127.0.0.1",
            "JupyterHub.port": self.port,
            "JupyterHub.hub_ip": "127.0.0.1",
            "JupyterHub.hub_port": self.hub_port,
            "JupyterHub.db_url": f"sqlite:///{self.root / 'jupyterhub.sqlite'}",
            "JupyterHub.cookie_secret_file": str(self.root / "jupyterhub_cookie_secret"),
            "JupyterHub.pid_file": str(self.root / "jupyterhub.pid"),
            "ConfigurableHTTPProxy.api_url": f"http://127.0.0.1:{self.proxy_api_port}",
            "ConfigurableHTTPProxy.command": [str(CHP)],
            "ConfigurableHTTPProxy.auth_token": secrets.token_hex(16),
            "ConfigurableHTTPProxy.pid_file": str(self.root / "proxy.pid"),
            "JupyterHub.authenticator_class": "shared-password",
            "SharedPasswordAuthenticator.user_password": USER_PASSWORD,
            "SharedPasswordAuthenticator.admin_password": ADMIN_PASSWORD,
            "Authenticator.allow_all": True,
            "Authenticator.admin_users": set(HUB_ADMINS),
            "JupyterHub.spawner_class": "simple",
            "SimpleLocalProcessSpawner.home_dir_template": str(self.root / "users" / "{username}"),
            "Spawner.cmd": [str(Path(sys.executable).parent / "jupyterhub-singleuser")],
            "Spawner.args": ["--allow-root"] if os.getuid() == 0 else [],
            "Spawner.start_timeout": 120,
            "Spawner.http_timeout": 120,
            "Spawner.environment": {
                "LIVEGRAPHS_SERVICE_URL": self.service_direct_url,
                "JUPYTER_PLATFORM_DIRS": "1",
            },
            # The server's (and its kernels') token may reach the service, and carries the admin
            # scope when its user holds it.
            "Spawner.server_token_scopes": [
                "users:activity!user",
                "access:servers!server",
                "access:services!service=livegraphs",
                "custom:livegraphs:admin",
            ],
            "JupyterHub.custom_scopes": {
                "custom:livegraphs:admin": {"description": "See, change and delete every livegraphs dataset"},
            },
            "JupyterHub.load_roles": [
                {"name": "user", "scopes": ["self", "access:services!service=livegraphs"]},
                {
                    "name": "livegraphs-admin",
                    "scopes": ["custom:livegraphs:admin"],
                    "groups": ["livegraphs-admins"],
                },
                {
                    "name": "tester",
                    "services": ["tester"],
                    "scopes": [
                        "admin:users",
                        "admin:groups",
                        "admin:servers",
                        "tokens",
                        "access:servers",
                    ],
                },
                {"name": "prometheus", "services": ["prometheus"], "scopes": ["read:metrics"]},
            ],
            "JupyterHub.load_groups": {g: {"users": users} for g, users in GROUPS.items()},
            "JupyterHub.services": [
                {
                    "name": "livegraphs",
                    "url": f"http://127.0.0.1:{self.service_port}",
                    "command": service_cmd,
                    "oauth_no_confirm": True,
                    "oauth_client_allowed_scopes": ["custom:livegraphs:admin"],
                },
                {"name": "tester", "api_token": self.tester_token},
                {"name": "prometheus", "api_token": self.prometheus_token},
            ],
        }
        lines = ["c = get_config()  # noqa"]
        for key, value in settings.items():
            cls, trait = key.split(".")
            lines.append(f"c.{cls}.{trait} = {value!r}")
        return "\n".join(lines) + "\n"

    # ------------------------------------------------------------------ life cycle

    def start(self, timeout: float = 120) -> Hub:
        self.root.mkdir(parents=True, exist_ok=True)
        cfg = self.root / "jupyterhub_config.py"
        cfg.write_text(self.config())
        log = open(self.root / "hub.log", "ab")  # noqa: SIM115 - the child owns it
        env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(cfg)],
            cwd=self.root, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
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
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)  # the hub stops the proxy, the servers and the service
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

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

    def login(self, user: str) -> requests.Session:
        """A browser-like session logged in to the hub with the login form."""
        s = requests.Session()
        s.get(f"{self.url}/hub/login", timeout=30)
        xsrf = s.cookies.get("_xsrf", path="/hub/")
        password = ADMIN_PASSWORD if user in HUB_ADMINS else USER_PASSWORD
        r = s.post(
            f"{self.url}/hub/login", data={"username": user, "password": password, "_xsrf": xsrf}, timeout=30,
            allow_redirects=False,
        )  # fmt: skip
        assert r.status_code == 302, (r.status_code, r.text[:500])
        return s

    # ------------------------------------------------------------------ kernels

    def run_in_kernel(self, user: str, token: str, code: str, timeout: float = 120) -> dict[str, Any]:
        """Start a kernel in ``user``'s server, run ``code``, stop it: ``{"stdout", "error"}``."""
        return asyncio.run(self._run_in_kernel(user, token, code, timeout))

    async def _run_in_kernel(self, user: str, token: str, code: str, timeout: float) -> dict[str, Any]:
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        base = f"{self.url}/user/{user}/api/kernels"
        headers = {"Authorization": f"token {token}"}
        r = requests.post(base, headers=headers, json={"name": "python3"}, timeout=60)
        assert r.status_code == 201, r.text
        kernel_id = r.json()["id"]
        try:
            ws = await websocket_connect(
                HTTPRequest(f"ws://127.0.0.1:{self.port}/user/{user}/api/kernels/{kernel_id}/channels",
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
