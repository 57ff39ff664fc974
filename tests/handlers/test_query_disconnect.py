"""A client that hangs up mid-query stops the query's DuckDB work: a real server in a child process.

The server has one read thread, so a page asked for while a chart query runs waits for it: the
page answers soon after the chart's client closes its connection, long before the chart
would have finished, and the server logs the chart as cancelled (499).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from ..servers import LiveServer
from .test_query_limits import REGEX_CHART, regex_csv

pytestmark = pytest.mark.slow


def raw_post(server: LiveServer, path: str, payload: dict[str, Any]) -> socket.socket:
    """Send a POST and return its socket without reading the answer."""
    body = json.dumps(payload).encode()
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    head = (
        f"POST /livegraphs/api/{path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
        f"Authorization: token {server.token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    sock.sendall(head.encode() + body)
    return sock


def test_closing_the_connection_interrupts_the_chart_query(tmp_path: Path) -> None:
    server = LiveServer(
        tmp_path / "data",
        tmp_path / "root",
        extra=[
            "--LiveGraphsApp.light_workers=1",
            "--LiveGraphsApp.user_queries=0",
            "--LiveGraphsApp.query_time_limit=600",
        ],
    ).start()
    try:
        data = regex_csv()
        r = server.session.post(server.api + "datasets", params={"name": "big"}, data=data, timeout=120)
        assert r.status_code == 201, r.text
        ds = r.json()["id"]
        spec = {"spec": {"version": 1, "dataset": {"id": ds}, **REGEX_CHART}}

        # the chart query takes the one read thread; a page asked for meanwhile waits for it
        sock = raw_post(server, "charts/query", spec)
        time.sleep(0.5)
        page: dict[str, Any] = {}

        def read_page() -> None:
            got = server.session.get(server.api + f"datasets/{ds}/rows", params={"limit": 100}, timeout=300)
            page["status"], page["at"] = got.status_code, time.monotonic()

        reader = threading.Thread(target=read_page)
        reader.start()
        reader.join(1.5)
        assert reader.is_alive(), "the page did not wait: the chart query was not running"

        closed_at = time.monotonic()
        sock.close()
        reader.join(120)
        assert page["status"] == 200
        freed_after = page["at"] - closed_at

        # the same query left to finish takes much longer than the thread took to come free
        started = time.monotonic()
        r = server.session.post(server.api + "charts/query", json=spec, timeout=600)
        assert r.status_code == 200, r.text
        full = time.monotonic() - started
        print(
            f"read thread free {freed_after:.2f} s after the client left; the whole query takes {full:.1f} s"
        )
        assert freed_after < full / 2
        log = next((tmp_path / "root").glob("server-*.log")).read_text(errors="replace")
        assert "charts/query -> 499 The caller went away" in log
    finally:
        server.stop()
