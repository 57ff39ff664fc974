"""A client that hangs up mid-query stops its SQL: the worker process is killed, on a real server.

The server has one read thread, so a page asked for while the query runs waits for it; it
answers soon after the query's client closes its connection, the query's worker process is gone,
and the server logs the query as cancelled (499).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from ..servers import LiveServer
from .test_query_disconnect import raw_post

pytestmark = pytest.mark.slow

RUNAWAY = "with recursive r(n) as (select 1 union all select n + 1 from r) select count(*) from r"


def busy(processes: list[psutil.Process]) -> list[psutil.Process]:
    """Those of ``processes`` that keep a CPU busy for half a second."""
    before = {p: p.cpu_times().user for p in processes if p.is_running()}
    time.sleep(0.5)
    return [p for p, t in before.items() if p.is_running() and p.cpu_times().user - t > 0.05]


def ready_workers(server: LiveServer) -> list[psutil.Process]:
    """The server's SQL workers once they are started and waiting (the pool keeps them ready)."""
    assert server.proc is not None
    deadline = time.monotonic() + 180
    while True:
        children = psutil.Process(server.proc.pid).children()
        if children and not busy(children):
            return children
        assert time.monotonic() < deadline, "the workers never settled"


def test_closing_the_connection_kills_the_sql_worker(tmp_path: Path) -> None:
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
        r = server.session.post(
            server.api + "datasets", params={"name": "small"}, data=b"a\n1\n2\n", timeout=60
        )
        assert r.status_code == 201, r.text
        ds = r.json()["id"]

        # the query goes to one of the ready workers (a new one then starts beside them)
        ready = ready_workers(server)
        sock = raw_post(server, "sql/query", {"sql": RUNAWAY})
        deadline = time.monotonic() + 120
        while not (running := busy(ready)):
            assert time.monotonic() < deadline, "no worker runs the query"
        page: dict[str, Any] = {}

        def read_page() -> None:
            got = server.session.get(server.api + f"datasets/{ds}/rows", timeout=300)
            page["status"], page["at"] = got.status_code, time.monotonic()

        reader = threading.Thread(target=read_page)
        reader.start()
        reader.join(1.5)
        assert reader.is_alive(), "the page did not wait: the query was not running"

        closed_at = time.monotonic()
        sock.close()
        reader.join(120)
        assert page["status"] == 200
        print(f"read thread free {page['at'] - closed_at:.2f} s after the client left")
        assert page["at"] - closed_at < 10
        assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in running)
        log = next((tmp_path / "root").glob("server-*.log")).read_text(errors="replace")
        assert "sql/query -> 499 The caller went away" in log
    finally:
        server.stop()
