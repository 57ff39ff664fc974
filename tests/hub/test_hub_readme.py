"""Every notebook example of the README, in a real kernel of a user's server on a real hub
(``jupyterhub_config.py``, configurable-http-proxy, the livegraphs service holding the sample data).

The charts, the builder and the dashboard find ``sales`` and run their specs through the service, as
``lg.load`` does; the kernel makes no store of its own in the user's home.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

from ..kernel.readme_examples import CHECK, assert_check, assert_displays, blocks, example_files
from .hubs import REPO, Browser, HubAccounts, LiveHub

sys.path.insert(0, str(REPO / "hub"))

from livegraphs_hub.seed import seed

pytestmark = pytest.mark.slow

USER = "nora"
#: Each expression of a cell is shown, as if each README line were its own cell.
EVERY_EXPRESSION = 'get_ipython().ast_node_interactivity = "all"'


@pytest.fixture(scope="module")
def lg_readme_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHub]:
    # a folder other system accounts can pass through (the users' servers run as their own accounts)
    state = HubAccounts.reachable(tmp_path_factory.mktemp("hub-readme") / "state")
    # the sample datasets, loaded before the hub starts as scripts/start.sh does; owned by ada, as
    # the README's lg.load("ada/sales") has it, and shared with everyone
    assert sorted(seed(state / "livegraphs", "ada")) == ["chat_sessions", "sales"]
    hub = LiveHub(state)
    try:
        yield hub.start()
    finally:
        hub.stop()


@pytest.fixture(scope="module")
def lg_user_server(lg_readme_hub: LiveHub) -> dict[str, str]:
    """A user (not an admin) with a token and a running server."""
    hub = lg_readme_hub
    admin = Browser(hub)
    assert admin.login("admin", hub.first_admin_password() or "").status_code == 302
    assert admin.api("POST", f"users/{USER}").status_code == 201
    r = admin.api("POST", f"users/{USER}/tokens", json={"note": "readme test", "expires_in": 3600})
    assert r.status_code == 201, r.text
    token = r.json()["token"]
    headers = {"Authorization": f"token {token}"}
    r = requests.post(hub.url + f"hub/api/users/{USER}/server", headers=headers, timeout=60)
    assert r.status_code in (201, 202), r.text
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        server = (requests.get(hub.url + f"hub/api/users/{USER}", headers=headers, timeout=30).json()
                  .get("servers", {}).get(""))  # fmt: skip
        if server and server.get("ready"):
            return {"token": token, "api": hub.user_url(USER) + "api/"}
        time.sleep(0.3)
    raise TimeoutError(f"{USER}'s server did not start:\n{hub.log()[-4000:]}")


class HubKernel:
    """A kernel in a user's server, driven over the server's websocket as JupyterLab drives it."""

    def __init__(self, api: str, token: str):
        self.api, self.headers = api, {"Authorization": f"token {token}"}
        self.ws: WebSocketClientConnection | None = None
        self.session = uuid.uuid4().hex

    async def start(self) -> None:
        r = requests.post(self.api + "kernels", headers=self.headers, json={"name": "python3"}, timeout=60)
        assert r.status_code == 201, r.text
        self.kernel_id = r.json()["id"]
        url = self.api.replace("http://", "ws://") + f"kernels/{self.kernel_id}/channels"
        self.ws = await websocket_connect(HTTPRequest(url, headers=self.headers, request_timeout=60))

    async def run(self, code: str, timeout: float = 180) -> dict[str, Any]:
        """Run ``code``; its displayed outputs (mimetype -> data), stdout and error."""
        assert self.ws is not None
        msg_id = uuid.uuid4().hex
        await self.ws.write_message(
            json.dumps({
                "header": {"msg_id": msg_id, "username": USER, "session": self.session,
                           "msg_type": "execute_request", "version": "5.3"},
                "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
                "content": {"code": code, "silent": False, "store_history": False,
                            "user_expressions": {}, "allow_stdin": False, "stop_on_error": False},
            })
        )  # fmt: skip
        out: dict[str, Any] = {"outputs": [], "stdout": "", "error": None}
        deadline = time.monotonic() + timeout
        while True:
            raw = await asyncio.wait_for(self.ws.read_message(), deadline - time.monotonic())
            if raw is None:
                raise ConnectionError("the kernel's websocket closed")
            if isinstance(raw, bytes):  # a binary message: a widget's buffers
                continue
            msg = json.loads(raw)
            if msg.get("channel") != "iopub" or msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["header"]["msg_type"], msg["content"]
            if kind in ("display_data", "execute_result"):
                out["outputs"].append(content["data"])
            elif kind == "stream" and content["name"] == "stdout":
                out["stdout"] += content["text"]
            elif kind == "error":
                out["error"] = f"{content['ename']}: {content['evalue']}"
            elif kind == "status" and content["execution_state"] == "idle":
                return out

    def stop(self) -> None:
        if self.ws is not None:
            self.ws.close()
        requests.delete(self.api + f"kernels/{self.kernel_id}", headers=self.headers, timeout=60)


def test_every_readme_notebook_example_runs_in_a_hub_kernel(
    lg_readme_hub: LiveHub, lg_user_server: dict[str, str]
) -> None:
    api, token = lg_user_server["api"], lg_user_server["token"]
    home = lg_readme_hub.state / "users" / USER
    # Given the files the examples open, saved in the user's home through their server
    for name, text in example_files().items():
        r = requests.put(
            api + f"contents/{name}", headers={"Authorization": f"token {token}"},
            json={"type": "file", "format": "text", "content": text}, timeout=60,
        )  # fmt: skip
        assert r.status_code in (200, 201), r.text

    async def run_all() -> tuple[list[tuple[str, dict[str, Any]]], dict[str, Any]]:
        kernel = HubKernel(api, token)
        await kernel.start()
        try:
            assert (await kernel.run(EVERY_EXPRESSION))["error"] is None
            ran = [(heading, await kernel.run(code)) for heading, code in blocks("python")]
            return ran, await kernel.run(CHECK)
        finally:
            kernel.stop()

    # When each python block of the README runs as a cell of a kernel in the user's server
    ran, check = asyncio.run(run_all())
    errors = {heading: r["error"] for heading, r in ran if r["error"]}
    # Then only the in-process example fails, saying that datasets live in the service here
    assert set(errors) == {"Charts"}, errors
    assert errors["Charts"].startswith("OnHubError: this kernel runs under JupyterHub"), errors
    # and every widget was shown, with the charts' specs beside them
    assert_displays([o for _, r in ran for o in r["outputs"]])
    # and the charts, the builder and the dashboard drew the service's sample data
    assert check["error"] is None, check["error"]
    assert_check(check["stdout"])
    # and the kernel made no store in the user's home
    assert (home / "sales.lgdash").exists()
    assert [p for p in home.rglob("*") if "livegraphs" in p.name] == []
