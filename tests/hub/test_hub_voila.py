"""A notebook published with Voila on a real JupyterHub + configurable-http-proxy.

ada publishes ``reports/dash.ipynb`` as her named server ``voila-temps`` (standalone Voila) and shares it
with bo and with the group analysts (cy). They open it on ada's origin; dee gets 403. Whoever it
is shared with reaches no contents, kernels, sessions or terminals API and no JupyterLab there,
and cannot make the page's kernel run code.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from .hubs import LABEXTENSION, REPO
from .hubutil import USERS, Hub, running_hub
from .test_hub_names import hub_call, wait_ready

pytestmark = pytest.mark.slow

CSV = b"city,temp\nOslo,-3.5\nLima,24.0\nPune,31.0\n"
SERVER = "voila-temps"
#: In the notebook's source only: the published page must not show it.
SOURCE_MARK = "source-only-4b1d"
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = REPO / "ui-tests" / "test-results" / "hub-voila"


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    assert (LABEXTENSION / "package.json").exists(), "build the front end first (jlpm build)"
    # users' servers load this checkout's front end (the Publish with Voila dialog)
    with running_hub(tmp_path_factory.mktemp("hub"), USERS, labextension=LABEXTENSION) as h:
        yield h


@pytest.fixture(scope="module")
def tokens(hub: Hub) -> dict[str, str]:
    return {u: hub.token(u) for u in USERS}


def on_server(
    hub: Hub, token: str | None, path: str, method: str = "GET", **kwargs: Any
) -> requests.Response:
    """ada's publication, through the proxy on ada's origin, with ``token`` (None: anonymous)."""
    headers = {"Authorization": f"token {token}"} if token else {}
    return requests.request(
        method, f"{hub.user_url('ada')}{SERVER}/{path}", headers=headers, timeout=120,
        allow_redirects=False, **kwargs,
    )  # fmt: skip


def notebook(dataset: str) -> dict[str, Any]:
    source = (
        f"import livegraphs_ext as lg  # {SOURCE_MARK}\n"
        f'lg.chart("{dataset}", mark="bar", x="city", y="sum(temp)")'
    )
    cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}
    kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return {"cells": [cell], "metadata": {"kernelspec": kernelspec}, "nbformat": 4, "nbformat_minor": 5}


@pytest.fixture(scope="module")
def published(hub: Hub, tokens: dict[str, str]) -> str:
    """ada's reports/dash.ipynb, published as voila-temps and shared with bo and the group analysts."""
    ada = tokens["ada"]
    r = requests.post(
        hub.service_url + "api/datasets", params={"name": "temps"}, data=CSV,
        headers={"Authorization": f"token {ada}", "Content-Type": "text/csv"}, timeout=60,
    )  # fmt: skip
    assert r.status_code == 201, r.text
    hub.spawn("ada")
    contents = f"{hub.user_url('ada')}api/contents/"
    r = requests.put(contents + "reports", headers={"Authorization": f"token {ada}"},
                     json={"type": "directory"}, timeout=60)  # fmt: skip
    assert r.status_code in (200, 201), r.text
    r = requests.put(
        contents + "reports/dash.ipynb", headers={"Authorization": f"token {ada}"},
        json={"type": "notebook", "format": "json", "content": notebook("temps")}, timeout=60,
    )  # fmt: skip
    assert r.status_code in (200, 201), r.text
    r = hub_call(hub, ada, "POST", f"users/ada/servers/{SERVER}", json={"notebook": "reports/dash.ipynb"})
    assert r.status_code in (201, 202), r.text
    wait_ready(hub, ada, "ada", SERVER)
    for who in ({"user": "bo"}, {"group": "analysts"}):
        r = hub_call(hub, ada, "POST", f"shares/ada/{SERVER}", json=who)
        assert r.status_code == 200, r.text
    return SERVER


def test_a_voila_published_notebook_opens_for_whom_it_is_shared_with_and_gives_403_to_another_user(
    hub: Hub, tokens: dict[str, str], published: str
):
    # bo (shared with him) and cy (through the group analysts) see the rendered notebook
    for name in ("bo", "cy", "ada"):
        r = on_server(hub, tokens[name], "")
        assert r.status_code == 200, (name, r.status_code, r.text[:300])
        # the chart widget is in the page; the notebook's source is not
        assert "application/vnd.jupyter.widget-view+json" in r.text, r.text[:2000]
        assert SOURCE_MARK not in r.text and "lg.chart(" not in r.text
    # dee, signed in but not shared with, gets 403; nobody signed in is sent to the hub's login
    r = on_server(hub, tokens["dee"], "")
    assert r.status_code == 403, r.text[:300]
    r = on_server(hub, None, "")
    assert r.status_code == 302 and "/hub/api/oauth2/authorize" in r.headers["Location"]


#: What a Jupyter server would offer a visitor who may use it: none of it is there.
SERVER_APIS = [
    ("GET", "api/contents"), ("GET", "api/contents/reports/dash.ipynb"), ("PUT", "api/contents/x.ipynb"),
    ("GET", "api/kernels"), ("POST", "api/kernels"), ("GET", "api/sessions"), ("POST", "api/sessions"),
    ("GET", "api/terminals"), ("POST", "api/terminals"), ("GET", "terminals/websocket/1"),
    ("GET", "lab"), ("GET", "tree"), ("GET", "files/reports/dash.ipynb"),
    ("GET", "voila/files/dash.ipynb"), ("GET", "voila/render/dash.ipynb"), ("GET", "voila/tree"),
    ("GET", "nbconvert/html/dash.ipynb"), ("GET", "api/kernelspecs"), ("GET", "dash.ipynb"),
]  # fmt: skip


def test_whom_it_is_shared_with_reaches_no_contents_kernels_or_terminals_api(
    hub: Hub, tokens: dict[str, str], published: str
):
    for method, path in SERVER_APIS:
        kwargs = {"json": {"type": "notebook"}} if method in {"PUT", "POST"} else {}
        r = on_server(hub, tokens["bo"], path, method, **kwargs)
        assert r.status_code in (403, 404, 405), (method, path, r.status_code, r.text[:300])
        assert "widget-view" not in r.text, (method, path)


def kernel_id(page: str) -> str:
    m = re.search(r'"kernelId":\s*"([0-9a-f-]{36})"', page)
    assert m, page[:2000]
    return m.group(1)


async def _send_to_kernel(url: str, token: str, messages: list[dict[str, Any]], wait: float) -> list[str]:
    """Send ``messages`` on a kernel's channels; the types of the replies to them within ``wait`` s."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    ws = await websocket_connect(HTTPRequest(url, headers={"Authorization": f"token {token}"}))
    ids = {m["header"]["msg_id"] for m in messages}
    for m in messages:
        ws.write_message(json.dumps(m))
    seen: list[str] = []
    deadline = time.monotonic() + wait
    try:
        while (left := deadline - time.monotonic()) > 0:
            try:
                raw = await asyncio.wait_for(ws.read_message(), left)
            except asyncio.TimeoutError:
                break
            if raw is None:
                break
            msg = json.loads(raw)
            if msg.get("parent_header", {}).get("msg_id") in ids:
                seen.append(msg["header"]["msg_type"])
    finally:
        ws.close()
    return seen


def message(msg_type: str, content: dict[str, Any]) -> dict[str, Any]:
    header = {"msg_id": uuid.uuid4().hex, "username": "bo", "session": uuid.uuid4().hex,
              "msg_type": msg_type, "version": "5.3"}  # fmt: skip
    return {"header": header, "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": content}  # fmt: skip


def test_the_pages_kernel_runs_no_code_sent_by_a_visitor(hub: Hub, tokens: dict[str, str], published: str):
    # Given bo's page and the kernel that runs the notebook for it
    page = on_server(hub, tokens["bo"], "")
    assert page.status_code == 200
    url = f"ws{hub.user_url('ada').removeprefix('http')}{SERVER}/api/kernels/{kernel_id(page.text)}/channels"
    marker = Path("/tmp") / f"livegraphs-voila-{secrets.token_hex(6)}"
    code = f"open({str(marker)!r}, 'w').write('ran as ' + __import__('getpass').getuser())"
    # When bo sends an execute request on it (and a kernel-info request, which is allowed)
    seen = asyncio.run(
        _send_to_kernel(
            url, tokens["bo"],
            [message("execute_request", {"code": code, "silent": False, "store_history": False,
                                         "user_expressions": {}, "allow_stdin": False,
                                         "stop_on_error": True}),
             message("kernel_info_request", {})],
            wait=8,
        )
    )  # fmt: skip
    # Then the kernel answers the kernel-info request, and never the execute request: no code ran
    assert "kernel_info_reply" in seen, seen
    assert "execute_reply" not in seen and "execute_input" not in seen, seen
    assert not marker.exists()
    # And dee may not even open the channels
    with pytest.raises(Exception, match="403"):
        asyncio.run(_send_to_kernel(url, tokens["dee"], [message("kernel_info_request", {})], wait=2))


@pytest.mark.parametrize(
    "options", [{}, {"notebook": "../bo/x.ipynb"}, {"notebook": "/etc/passwd.ipynb"}, {"notebook": "x.py"},
                {"notebook": "--Voila.port=1.ipynb"}, {"notebook": 7}],
)  # fmt: skip
def test_a_voila_server_needs_a_notebook_of_its_owners_home(hub: Hub, tokens: dict[str, str], options: Any):
    r = hub_call(hub, tokens["bo"], "POST", "users/bo/servers/voila-bad", json=options)
    assert r.status_code == 400, r.text
    assert "notebook" in r.json()["message"]
    server = hub_call(hub, tokens["bo"], "GET", "users/bo").json()["servers"].get("voila-bad")
    assert not (server and server.get("ready"))


def test_the_published_chart_draws_in_chromium_for_whom_it_is_shared_with(
    hub: Hub, tokens: dict[str, str], published: str
):
    from playwright.sync_api import expect, sync_playwright

    assert CHROMIUM.exists(), "Debian chromium is needed (scripts/test.sh installs it)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        try:
            # bo's browser, signed in to the hub with his token
            ctx = browser.new_context(extra_http_headers={"Authorization": f"token {tokens['bo']}"})
            page = ctx.new_page()
            page.goto(f"{hub.user_url('ada')}{SERVER}/")
            chart = page.locator(".jp-LiveGraphs-widget .jp-LiveGraphs-ChartView")
            expect(chart).to_have_attribute("data-lg-state", "ready", timeout=90_000)
            expect(chart.locator(".bars .point")).to_have_count(3)
            assert SOURCE_MARK not in page.content()
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "voila-published.png"), full_page=True)
            # dee's browser gets 403
            other = browser.new_context(extra_http_headers={"Authorization": f"token {tokens['dee']}"})
            response = other.new_page().goto(f"{hub.user_url('ada')}{SERVER}/")
            assert response is not None and response.status == 403
        finally:
            browser.close()


def lab_api(hub: Hub, token: str, method: str, path: str, **kwargs: Any) -> requests.Response:
    """``livegraphs/api/voila/<path>`` of ada's JupyterLab server (her default server), with ``token``."""
    return requests.request(
        method, f"{hub.user_url('ada')}livegraphs/api/voila/{path}",
        headers={"Authorization": f"token {token}"}, timeout=240, **kwargs,
    )  # fmt: skip


def until_page(hub: Hub, token: str, server: str, status: int, timeout: float = 60) -> requests.Response:
    """ada's publication ``server`` as ``token`` sees it, once it answers ``status`` (a server re-asks
    the hub about a token after 10 s)."""
    deadline = time.monotonic() + timeout
    while True:
        r = requests.get(
            f"{hub.user_url('ada')}{server}/", headers={"Authorization": f"token {token}"},
            timeout=120, allow_redirects=False,
        )  # fmt: skip
        if r.status_code == status or time.monotonic() > deadline:
            return r
        time.sleep(1)


def test_publish_with_voila_from_jupyterlab_shares_restarts_lists_unshares_and_stops(
    hub: Hub, tokens: dict[str, str], published: str
):
    ada = tokens["ada"]
    # Given ada's reports/dash.ipynb (the published fixture made it and started her JupyterLab)
    # When she publishes it as "weekly" for bo, through her own server
    r = lab_api(hub, ada, "POST", "publications",
                json={"name": "weekly", "notebook": "reports/dash.ipynb", "users": ["bo"]})  # fmt: skip
    assert r.status_code == 200, r.text
    pub = r.json()
    assert pub["name"] == "weekly" and pub["server"] == "voila-weekly" and pub["ready"] is True
    assert pub["notebook"] == "reports/dash.ipynb"
    assert pub["url"] == f"{hub.user_url('ada')}voila-weekly/"
    assert pub["shares"] == [{"kind": "user", "name": "bo"}]
    # Then bo opens it on ada's origin (the chart widget, not the source), and cy and dee get 403
    r = requests.get(pub["url"], headers={"Authorization": f"token {tokens['bo']}"}, timeout=120)
    assert r.status_code == 200, r.text[:300]
    assert "application/vnd.jupyter.widget-view+json" in r.text and SOURCE_MARK not in r.text
    for name in ("cy", "dee"):
        r = requests.get(pub["url"], headers={"Authorization": f"token {tokens[name]}"}, timeout=120,
                         allow_redirects=False)  # fmt: skip
        assert r.status_code == 403, (name, r.status_code)
    # the list shows it beside the one published with the hub's API, each with its shares
    listed = {p["name"]: p for p in lab_api(hub, ada, "GET", "publications").json()["publications"]}
    assert set(listed) == {"temps", "weekly"}
    assert listed["weekly"]["shares"] == [{"kind": "user", "name": "bo"}]
    assert {(s["kind"], s["name"]) for s in listed["temps"]["shares"]} == {
        ("user", "bo"),
        ("group", "analysts"),
    }
    # a share with nobody is refused before anything restarts
    nobody = {"name": "weekly", "notebook": "reports/dash.ipynb", "users": ["nobody-here"]}
    r = lab_api(hub, ada, "POST", "publications", json=nobody)
    assert r.status_code == 400 and "nobody-here" in r.json()["message"], r.text
    # When she publishes it again, for the group analysts too: the server restarts, bo keeps his share
    again = {"name": "weekly", "notebook": "reports/dash.ipynb", "groups": ["analysts"]}
    r = lab_api(hub, ada, "POST", "publications", json=again)
    assert r.status_code == 200, r.text
    assert r.json()["ready"] is True
    assert {(s["kind"], s["name"]) for s in r.json()["shares"]} == {("user", "bo"), ("group", "analysts")}
    assert until_page(hub, tokens["cy"], "voila-weekly", 200).status_code == 200
    # When she unshares bo, he is refused (cy, through analysts, is not)
    r = lab_api(hub, ada, "DELETE", "publications/weekly/shares/user/bo")
    assert r.status_code == 204, r.text
    assert until_page(hub, tokens["bo"], "voila-weekly", 403).status_code == 403
    assert until_page(hub, tokens["cy"], "voila-weekly", 200).status_code == 200
    # Nobody else publishes from ada's server: bo may not use it at all
    r = lab_api(hub, tokens["bo"], "GET", "publications")
    assert r.status_code == 403
    # When she stops it, its server and its shares are gone
    r = lab_api(hub, ada, "DELETE", "publications/weekly")
    assert r.status_code == 204, r.text
    names = [p["name"] for p in lab_api(hub, ada, "GET", "publications").json()["publications"]]
    assert names == ["temps"]
    assert "voila-weekly" not in hub_call(hub, ada, "GET", "users/ada").json()["servers"]
    assert lab_api(hub, ada, "DELETE", "publications/weekly").status_code == 404


def test_the_publish_dialog_publishes_for_bo_lists_unshares_and_stops_in_chromium(
    hub: Hub, tokens: dict[str, str], published: str
):
    from playwright.sync_api import expect, sync_playwright

    assert CHROMIUM.exists(), "Debian chromium is needed (scripts/test.sh installs it)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        try:
            # Given ada's reports/dash.ipynb open in her JupyterLab on the hub
            ctx = browser.new_context(
                viewport={"width": 1280, "height": 800},
                extra_http_headers={"Authorization": f"token {tokens['ada']}"},
            )
            page = ctx.new_page()
            page.goto(f"{hub.user_url('ada')}lab/tree/reports/dash.ipynb")
            toolbar = page.locator(".jp-NotebookPanel:visible .jp-NotebookPanel-toolbar")
            # Then its toolbar offers Publish, not the laptop's Voila
            publish = toolbar.get_by_role("button", name="Publish")
            expect(publish).to_be_visible(timeout=120_000)
            expect(toolbar.get_by_role("button", name="Voila", exact=True)).to_have_count(0)
            # When she publishes it for bo from its dialog (the name comes from the notebook's)
            publish.click()
            dialog = page.locator(".jp-Dialog .jp-LiveGraphs-VoilaPublish")
            expect(dialog.get_by_label("Publication name")).to_have_value("dash")
            dialog.get_by_label("Users").fill("bo")
            # (Enter in a field publishes, as the Publish button does, and does not close the dialog)
            dialog.get_by_label("Users").press("Enter")
            expect(dialog.get_by_role("status")).to_contain_text("Starting voila-dash")
            # Then it shows the link, and lists it with bo and the one published with the hub's API
            url = f"{hub.user_url('ada')}voila-dash/"
            status = dialog.get_by_role("status")
            expect(status).to_contain_text("Published dash", timeout=150_000)
            expect(status.get_by_role("link")).to_have_attribute("href", url)
            rows = dialog.locator(".jp-LiveGraphs-VoilaRow")
            expect(rows).to_have_count(2)
            row = dialog.locator('.jp-LiveGraphs-VoilaRow[data-name="dash"]')
            expect(row.locator(".jp-LiveGraphs-VoilaShare")).to_have_text(["boUnshare"])
            expect(row.locator(".jp-LiveGraphs-VoilaState")).to_have_text("running")
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "publish-dialog.png"))
            # bo opens the link, cy gets 403
            for name, code in (("bo", 200), ("cy", 403)):
                r = requests.get(url, headers={"Authorization": f"token {tokens[name]}"}, timeout=120)
                assert r.status_code == code, (name, r.status_code)
            # When she unshares bo, then stops it
            row.get_by_role("button", name="Unshare dash with bo").click()
            expect(row.locator(".jp-LiveGraphs-VoilaShare")).to_have_text(["Shared with nobody"])
            row.get_by_role("button", name="Stop dash").click()
            expect(rows).to_have_count(1, timeout=60_000)
            expect(dialog.get_by_role("alert")).to_have_text("")
            assert "voila-dash" not in hub_call(hub, tokens["ada"], "GET", "users/ada").json()["servers"]
        finally:
            browser.close()
