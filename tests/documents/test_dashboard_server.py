"""Shared documents served by jupyter-server-ydoc: two clients edit one ``.lgdash`` (or ``.lgchart``) room;
the file autosaves."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Map, Provider
from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

from livegraphs_ext.documents.chartdoc import YChart, dump_chart
from livegraphs_ext.documents.dashboard import YDashboard, dump_dashboard

from .test_dashboard import DASHBOARD, encoding


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any], jp_root_dir: Path) -> dict[str, Any]:
    config = json.loads(json.dumps(jp_server_config))
    config["ServerApp"]["jpserver_extensions"].update(
        {"jupyter_server_ydoc": True, "jupyter_server_fileid": True}
    )
    config["SQLiteYStore"] = {"db_path": str(jp_root_dir / ".rtc_test.db")}
    config["BaseFileIdManager"] = {
        "root_dir": str(jp_root_dir),
        "db_path": str(jp_root_dir / ".fid_test.db"),
        "db_journal_mode": "OFF",
    }
    config["YDocExtension"] = {"document_save_delay": 0.2, "document_cleanup_delay": 60}
    return config


class _Channel:
    """A tornado websocket as a pycrdt ``Channel``."""

    def __init__(self, ws: WebSocketClientConnection, path: str):
        self._ws = ws
        self.path = path

    def __aiter__(self) -> _Channel:
        return self

    async def __anext__(self) -> bytes:
        return await self.recv()

    async def send(self, message: bytes) -> None:
        await self._ws.write_message(message, binary=True)

    async def recv(self) -> bytes:
        message = await self._ws.read_message()
        if message is None:
            raise StopAsyncIteration
        return message if isinstance(message, bytes) else message.encode()


@pytest.fixture
def lg_dash_client(
    jp_fetch: Callable[..., Any], jp_http_port: int, jp_base_url: str, jp_auth_header: dict[str, str]
) -> Callable[[str], Any]:
    """Open ``path`` as a dashboard room (or as ``doc_type``), the way the front end does, and yield
    its shared document."""

    @asynccontextmanager
    async def connect(path: str, doc_type: str = "lgdash") -> AsyncIterator[Any]:
        r = await jp_fetch(
            "api",
            "collaboration",
            "session",
            path,
            method="PUT",
            body=json.dumps({"format": "text", "type": doc_type}),
        )
        session = json.loads(r.body)
        room = f"{session['format']}:{session['type']}:{session['fileId']}"
        url = f"ws://127.0.0.1:{jp_http_port}{jp_base_url}api/collaboration/room/{room}?sessionId={session['sessionId']}"
        ws = await websocket_connect(HTTPRequest(url, headers=jp_auth_header))
        doc = {"lgdash": YDashboard, "lgchart": YChart}[doc_type]()
        try:
            async with Provider(doc.ydoc, _Channel(ws, room)):
                yield doc
        finally:
            ws.close()

    return connect


async def until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait for ``check()`` to hold; fail the test after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_two_clients_edit_one_dashboard_and_the_file_keeps_both_edits(
    jp_root_dir: Path, lg_dash_client: Callable[[str], Any]
) -> None:
    # Given a dashboard file
    path = jp_root_dir / "sales.lgdash"
    path.write_text(dump_dashboard(DASHBOARD))
    async with lg_dash_client("sales.lgdash") as a, lg_dash_client("sales.lgdash") as b:
        # When both clients have loaded it from the server
        await until(lambda: "c1" in a.ycharts and "c1" in b.ycharts)
        assert json.loads(a.get()) == DASHBOARD
        # and change different shelves of the same chart at the same moment
        encoding(a, "c1")["x"] = {"field": "country"}
        encoding(b, "c1")["color"] = {"field": "channel"}
        # and A adds a chart
        a.ycharts["c3"] = Map(
            {
                "spec": Map({"version": 1.0, "mark": "kpi", "encoding": Map({})}),
                "layout": Map({"x": 0.0, "y": 4.0, "w": 3.0, "h": 2.0}),
            }
        )

        def merged(doc: YDashboard) -> bool:
            enc = json.loads(doc.get())["charts"]["c1"]["spec"]["encoding"]
            return "x" in enc and enc["x"]["field"] == "country" and "color" in enc and "c3" in doc.ycharts

        # Then both clients see both edits and the new chart
        await until(lambda: merged(a) and merged(b))
        assert a.get() == b.get()
        # and the server autosaves them to the file
        # (the server writes the file in place, so compare text, never parse a half-written file)
        await until(lambda: path.read_text() == a.get())
    saved = json.loads(path.read_text())
    assert saved["charts"]["c1"]["spec"]["encoding"]["x"] == {"field": "country"}
    assert saved["charts"]["c1"]["spec"]["encoding"]["color"] == {"field": "channel"}
    assert saved["charts"]["c3"]["layout"] == {"x": 0, "y": 4, "w": 3, "h": 2}
    assert path.read_text() == dump_dashboard(saved)


async def test_an_empty_new_file_opens_as_an_empty_dashboard(
    jp_root_dir: Path, lg_dash_client: Callable[[str], Any]
) -> None:
    (jp_root_dir / "untitled.lgdash").write_text("")
    async with lg_dash_client("untitled.lgdash") as a:
        await until(lambda: a.ymeta.get("version") == 1)
        a.ymeta["title"] = "Mine"
        await until(lambda: (jp_root_dir / "untitled.lgdash").read_text() == a.get())
    saved = json.loads((jp_root_dir / "untitled.lgdash").read_text())
    assert saved["title"] == "Mine" and saved["charts"] == {} and saved["version"] == 1


async def test_two_clients_build_one_chart_file_and_it_keeps_both_shelves(
    jp_root_dir: Path, lg_dash_client: Callable[..., Any]
) -> None:
    # Given a chart file with nothing on its shelves yet
    path = jp_root_dir / "sales.lgchart"
    path.write_text(dump_chart({"version": 1, "dataset": {"name": "sales"}, "encoding": {}}))
    async with (
        lg_dash_client("sales.lgchart", "lgchart") as a,
        lg_dash_client("sales.lgchart", "lgchart") as b,
    ):
        # When both clients have it from the server's lgchart room
        await until(lambda: "dataset" in a.yspec and "dataset" in b.yspec)
        assert json.loads(a.get())["dataset"] == {"name": "sales"}
        # and fill different shelves at the same moment
        with a.ydoc.transaction():
            a.yspec["mark"] = "bar"
            a.yspec["encoding"]["x"] = {"field": "region"}
        b.yspec["encoding"]["color"] = {"field": "channel"}

        def merged(doc: YChart) -> bool:
            return set(json.loads(doc.get())["encoding"]) == {"x", "color"}

        # Then both see both shelves, and the server saves them to the file
        await until(lambda: merged(a) and merged(b))
        await until(lambda: path.read_text() == a.get())
    saved = json.loads(path.read_text())
    assert saved == {
        "version": 1,
        "dataset": {"name": "sales"},
        "mark": "bar",
        "encoding": {"x": {"field": "region"}, "color": {"field": "channel"}},
    }
