"""Propagation delay of an edit through a document room, next to a plain pycrdt-websocket YRoom.

One jupyter server serves both, over tornado WebSockets on loopback:

* ``rooms``: a dashboard document's room, ``livegraphs/api/documents/{id}/room``: each update is
  authorized, written to the catalog (SQLite by default, or ``--catalog-url``) and checked for repairs
  before it is broadcast;
* ``plain``: a plain YRoom with no store (``bench/plain_rooms.py``), what the library does on this
  machine: the reference for the ratio;
* ``nagle``: the same plain YRoom on sockets left with tornado's default, Nagle's algorithm on (small
  frames wait for the peer's ACK), as the document rooms' sockets are unless their handler turns it off.

With N pycrdt clients (``tests/documents/roomclient.py``) in the room, the clients take turns to change a
key of a chart's spec, one edit at a time; every other client timestamps the moment its replica holds it
(one process, one clock). Reported: edit to each other client, edit to all others, and edit to the
writer's own echo (the server's acknowledgement). Kinds and client counts alternate round by round in
the same run, so all see the same machine load.

    python bench/bench_rooms.py --edits 100 --rounds 3 --clients 2 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from tests.documents.roomclient import RoomClient, create_document, room_url  # noqa: E402
from tests.servers import LiveServer  # noqa: E402

DASHBOARD: dict[str, Any] = {
    "version": 1,
    "title": "Bench",
    "crossfilter": True,
    "filters": [],
    "charts": {
        "c1": {
            "spec": {"version": 1, "dataset": {"name": "sales"}, "mark": "bar", "encoding": {}},
            "layout": {"x": 0, "y": 0, "w": 6, "h": 4},
        },
        "c2": {
            "spec": {"version": 1, "dataset": {"name": "sales"}, "mark": "line", "encoding": {}},
            "layout": {"x": 6, "y": 0, "w": 6, "h": 4},
        },
    },
}
WARMUP = 5
KINDS = ("rooms", "plain", "nagle")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def marker(client: RoomClient) -> Any:
    chart = client.dashboard.ycharts.get("c1")
    return chart["spec"].get("title") if chart is not None else None


async def measure(url: str, token: str, clients: int, edits: int, pause: float) -> dict[str, list[float]]:
    """Delays in ms: to each other client, to all others, and back to the writer (its echo)."""
    seen: dict[str, dict[str, float]] = {}
    reached = asyncio.Event()

    def watch(client: RoomClient) -> None:
        m = marker(client)
        if isinstance(m, str) and client.name not in seen.setdefault(m, {}):
            seen[m][client.name] = time.perf_counter()
            if len(seen[m]) == clients:  # every other client, and the writer's echo
                reached.set()

    room = [RoomClient(url, token, f"c{i}") for i in range(clients)]
    each: list[float] = []
    everyone: list[float] = []
    echo: list[float] = []
    try:
        for c in room:
            c.on_remote = watch
            await c.connect()
        await asyncio.gather(*(c.wait_synced() for c in room))
        assert "c1" in room[0].dashboard.ycharts, "the document has no chart c1"
        for i in range(WARMUP + edits):
            writer = room[i % clients]
            m = f"e{i}-{time.time_ns()}"
            reached.clear()
            sent = time.perf_counter()
            writer.dashboard.ycharts["c1"]["spec"]["title"] = m
            try:
                await asyncio.wait_for(reached.wait(), 30)
            except TimeoutError:
                raise TimeoutError(
                    f"edit {m} reached {sorted(seen.get(m, {}))} of {clients} clients"
                ) from None
            if i >= WARMUP:  # the first few warm up the path
                others = [t - sent for name, t in seen[m].items() if name != writer.name]
                each += [d * 1000 for d in others]
                everyone.append(max(others) * 1000)
                echo.append((seen[m][writer.name] - sent) * 1000)
            await asyncio.sleep(pause)
    finally:
        for c in room:
            await c.close()
    return {"each": each, "all": everyone, "echo": echo}


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50_ms": round(statistics.median(values), 1),
        "p95_ms": round(percentile(values, 0.95), 1),
        "max_ms": round(max(values), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--edits", type=int, default=100, help="edits per round and client count")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, nargs="+", default=[2, 20])
    parser.add_argument("--pause-ms", type=int, default=20, help="pause between edits")
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS)
    parser.add_argument("--catalog-url", default="", help="catalog database (default: SQLite in data_dir)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="lg-bench-rooms-"))
    config = work / "config" / "jupyter_server_config.d"
    config.mkdir(parents=True)
    (config / "plain_rooms.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": {"plain_rooms": True}}})
    )
    os.environ["JUPYTER_CONFIG_PATH"] = str(work / "config")
    os.environ["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(REPO), str(HERE), os.environ.get("PYTHONPATH")])
    )
    extra = [f"--LiveGraphsApp.catalog_url={args.catalog_url}"] if args.catalog_url else []
    server = LiveServer(work / "data", work / "root", extra).start()
    results: dict[tuple[str, int], dict[str, list[float]]] = {}
    try:
        bench = f"ws://127.0.0.1:{server.port}/livegraphs-bench/"
        urls = {"plain": bench + "rooms/bench", "nagle": bench + "nagle-rooms/bench"}
        if "rooms" in args.kinds:
            urls["rooms"] = room_url(
                server.api, create_document(server, "dashboard", "Bench", DASHBOARD)["id"]
            )

        async def seed(url: str) -> None:
            async with RoomClient(url, server.token, "seed") as c:
                await c.wait_synced()
                c.dashboard.set(json.dumps(DASHBOARD))
                await c.drain()
                await asyncio.sleep(0.5)

        for kind in ("plain", "nagle"):
            asyncio.run(seed(urls[kind]))
        for r in range(args.rounds):
            for n in args.clients:
                turn = r % len(args.kinds)
                for kind in args.kinds[turn:] + args.kinds[:turn]:
                    got = asyncio.run(measure(urls[kind], server.token, n, args.edits, args.pause_ms / 1000))
                    pooled = results.setdefault((kind, n), {"each": [], "all": [], "echo": []})
                    for key, values in got.items():
                        pooled[key] += values
                    print(
                        f"round {r + 1} {kind:5} {n:2} clients: p50 {statistics.median(got['each']):.1f} ms"
                    )
    finally:
        server.stop()

    report: dict[str, Any] = {}
    for (kind, n), got in results.items():
        report[f"{kind}_{n}"] = {key: summary(values) for key, values in got.items()}
    print()
    print(f"{'':16}{'edit -> each other':>20}{'edit -> all others':>20}{'edit -> echo':>20}")
    print(f"{'':16}" + f"{'p50':>10}{'p95':>10}" * 3)
    for n in args.clients:
        for kind in args.kinds:
            s = report[f"{kind}_{n}"]
            cells = [s[key][q] for key in ("each", "all", "echo") for q in ("p50_ms", "p95_ms")]
            print(f"{kind:6}{n:3} clients" + "".join(f"{c:>10.1f}" for c in cells))
        for ref in ("plain", "nagle"):
            if "rooms" not in args.kinds or ref not in args.kinds:
                continue
            ratio = {
                f"{key}_{q}": round(report[f"rooms_{n}"][key][q] / report[f"{ref}_{n}"][key][q], 2)
                for key in ("each", "all", "echo")
                for q in ("p50_ms", "p95_ms")
            }
            report[f"ratio_rooms_to_{ref}_{n}"] = ratio
            print(f"{'rooms/' + ref:16}" + "".join(f"{c:>10.2f}" for c in ratio.values()))
    report["catalog"] = "postgresql" if args.catalog_url else "sqlite"
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "rooms.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
