"""A client that hangs up mid-fit stops it: the fitting process is killed, on a real server."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import psutil
import pytest

from ..servers import LiveServer
from .test_query_disconnect import raw_post

pytestmark = pytest.mark.slow

FITTER = "livegraphs_ext.store.models.serve"


def fitters(server: LiveServer) -> list[psutil.Process]:
    assert server.proc is not None
    return [
        p
        for p in psutil.Process(server.proc.pid).children(recursive=True)
        if p.is_running() and p.status() != psutil.STATUS_ZOMBIE and FITTER in " ".join(p.cmdline())
    ]


def big_csv(rows: int) -> bytes:
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=rows), rng.normal(size=rows)
    y = a - 2 * b + rng.normal(size=rows)
    lines = ["a,b,y", *(f"{x:.6f},{z:.6f},{t:.6f}" for x, z, t in zip(a, b, y, strict=True))]
    return ("\n".join(lines) + "\n").encode()


def test_closing_the_connection_kills_the_fitting_process(tmp_path: Path) -> None:
    server = LiveServer(
        tmp_path / "data", tmp_path / "root", extra=["--LiveGraphsApp.model_time_limit=600"]
    ).start()
    try:
        r = server.session.post(
            server.api + "datasets", params={"name": "big"}, data=big_csv(200_000), timeout=120
        )
        assert r.status_code == 201, r.text
        ds = r.json()["id"]
        spec = {
            "target": "y",
            "features": ["a", "b"],
            "algorithm": "boosting",
            "evaluation": "cv",
            "folds": 10,
        }
        sock = raw_post(server, f"datasets/{ds}/models", {"spec": spec})
        deadline = time.monotonic() + 120
        while not (running := fitters(server)):
            assert time.monotonic() < deadline, "no fitting process started"
            time.sleep(0.1)
        time.sleep(1.0)
        assert all(p.is_running() for p in running), "the fit ended before the client left"
        sock.close()
        _, alive = psutil.wait_procs(running, timeout=30)
        assert not alive, "the fitting process outlived its caller"
        log = ""
        deadline = time.monotonic() + 30
        while "models -> 499" not in log and time.monotonic() < deadline:
            time.sleep(0.2)
            log = next((tmp_path / "root").glob("server-*.log")).read_text(errors="replace")
        assert f"datasets/{ds}/models -> 499 The caller went away" in log
    finally:
        server.stop()
