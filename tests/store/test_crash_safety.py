"""A SIGKILL at any moment of an upload, a change or a delete leaves each dataset as it was or as it is after.

A real server process is killed at random points; after a restart the catalog and
the files must agree, every listed dataset must read in full, and no leftovers stay.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import requests

from ..servers import LiveServer

ROWS = 300_000


@pytest.fixture(scope="module")
def lg_big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("crash") / "big.csv"
    rng = random.Random(3)
    with open(path, "w") as f:
        f.write("id,ts,cat,x,text\n")
        for i in range(ROWS):
            f.write(
                f"{i},2024-01-{1 + i % 28:02d} 10:{i % 60:02d}:00,c{i % 17},{rng.random():.5f},row {i} text\n"
            )
    return path


def check_consistent(server: LiveServer) -> dict[str, dict]:
    """Every listed dataset reads in full; files and catalog agree; no staging leftovers."""
    listed = server.session.get(server.api + "datasets", timeout=30).json()["datasets"]
    for ds in listed:
        last = server.session.get(
            server.api + f"datasets/{ds['id']}/rows", params={"offset": max(0, ds["rows"] - 1)}, timeout=30
        ).json()
        assert last["total"] == ds["rows"]
        assert len(last["rows"]) == min(1, ds["rows"])
    files = sorted((server.data_dir / "datasets").rglob("*.parquet"))
    for f in files:
        pq.read_metadata(f)  # every file left is a complete Parquet file
    assert {f.parent.name for f in files} <= {d["id"] for d in listed}
    assert list((server.data_dir / "staging").iterdir()) == []
    return {d["name"]: d for d in listed}


def upload_in_background(server: LiveServer, path: Path, name: str) -> threading.Thread:
    def run() -> None:
        try:
            with open(path, "rb") as f:
                server.session.post(server.api + "datasets", params={"name": name}, data=f, timeout=120)
        except requests.RequestException:
            pass  # the server is being killed

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def test_sigkill_during_uploads_changes_and_deletes(tmp_path: Path, lg_big_csv: Path):
    rng = random.Random(20261121)
    server = LiveServer(tmp_path / "data", tmp_path / "root").start()
    try:
        with open(lg_big_csv, "rb") as f:
            base = server.session.post(server.api + "datasets", params={"name": "base"}, data=f, timeout=120)
        assert base.status_code == 201
        base_id = base.json()["id"]
        t0 = time.monotonic()
        server.session.post(
            server.api + f"datasets/{base_id}/transforms",
            json={"step": {"op": "filter", "conditions": [{"column": "cat", "cmp": "ne", "value": "c1"}]}},
            timeout=120,
        ).raise_for_status()
        change_time = time.monotonic() - t0
        expected_versions = 2
        outcomes = {"upload_kept": 0, "upload_gone": 0, "change_kept": 0, "change_gone": 0}
        for i in range(8):
            kind = ["upload", "change"][i % 2]
            if kind == "upload":
                worker = upload_in_background(server, lg_big_csv, f"u{i}")
                delay = rng.uniform(0.05, 3.0)
            else:
                step = {"op": "derive", "name": f"d{i}", "formula": "x * 2"}
                worker = threading.Thread(
                    target=lambda s=step: _quiet_post(server, f"datasets/{base_id}/transforms", {"step": s}),
                    daemon=True,
                )
                worker.start()
                delay = rng.uniform(0.0, change_time * 1.5)
            time.sleep(delay)
            server.kill()
            worker.join(10)
            server.start()
            state = check_consistent(server)
            if kind == "upload":
                if f"u{i}" in state:
                    assert state[f"u{i}"]["rows"] == ROWS
                    outcomes["upload_kept"] += 1
                else:
                    outcomes["upload_gone"] += 1
            else:
                versions = server.session.get(server.api + f"datasets/{base_id}/versions").json()["versions"]
                if len(versions) > expected_versions:
                    expected_versions = len(versions)
                    assert f"d{i}" in [c["name"] for c in versions[-1]["columns"]]
                    outcomes["change_kept"] += 1
                else:
                    outcomes["change_gone"] += 1
            assert state["base"]["rows"] in {ROWS, ROWS - ROWS // 17 - 1, ROWS - ROWS // 17}
        # a delete killed midway: the dataset is either fully there or fully gone
        victim = (
            next(d for n, d in check_consistent(server).items() if n != "base")
            if outcomes["upload_kept"]
            else None
        )
        if victim:
            threading.Thread(target=_quiet_delete, args=(server, victim["id"]), daemon=True).start()
            time.sleep(rng.uniform(0, 0.05))
            server.kill()
            server.start()
            check_consistent(server)
        assert sum(outcomes.values()) == 8
    finally:
        server.stop()


def _quiet_post(server: LiveServer, path: str, payload: dict) -> None:
    with contextlib.suppress(requests.RequestException):
        server.session.post(server.api + path, json=payload, timeout=120)


def _quiet_delete(server: LiveServer, dataset_id: str) -> None:
    with contextlib.suppress(requests.RequestException):
        server.session.delete(server.api + f"datasets/{dataset_id}", timeout=60)
