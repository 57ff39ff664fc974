"""A shutdown or SIGKILL amid a stream of edits from several clients loses no edit the server broadcast.

The room writes each update to the catalog before it broadcasts it, so every update a client received is
durable. Clients of a real server process stream edits to one dashboard and record what they received; the
server is stopped at a random moment (SIGTERM, then SIGKILL) and restarted on the same data; a new client's
replica must hold every received update and be a valid dashboard, and the stored content must agree with it.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from pathlib import Path

import pytest
from pycrdt import Map

from livegraphs_ext.documents.dashboard import validate_dashboard

from ..servers import LiveServer
from .roomclient import RoomClient, create_document, missing_from, room_url, stored_content
from .test_dashboard import DASHBOARD

CLIENTS = 4
#: Per round, how the server is stopped, after each client has received how many updates: a shutdown
#: after a few; a SIGKILL after more than the room stores between two versions (500), so it may come
#: while one is saved.
ROUNDS = (("SIGTERM", 10), ("SIGKILL", 520))


def seed() -> int:
    value = int(os.environ.get("LG_TEST_SEED", time.time_ns() % 2**31))
    print(f"seed {value} (rerun with LG_TEST_SEED={value})")
    return value


def edit(client: RoomClient, rng: random.Random, step: int) -> None:
    """One edit of the kinds people make: shelves, spec keys, layout, filters, title, charts."""
    d = client.dashboard
    own = f"{client.name}-chart"
    kind = step % 6
    if own not in d.ycharts or kind == 0:
        d.ycharts[own] = Map(
            {
                "spec": Map({"version": 1.0, "mark": "bar", "encoding": Map({})}),
                # each client's chart has rows of its own, so no repair moves it
                "layout": Map({"x": 0.0, "y": 100.0 + 10 * int(client.name[1:]), "w": 6.0, "h": 3.0}),
            }
        )
    elif kind == 1:
        d.ycharts[own]["spec"]["encoding"]["x"] = Map({"field": f"f{step}"})
    elif kind == 2:
        d.ycharts[own]["spec"]["title"] = f"{client.name} {step}"
    elif kind == 3:
        layout = d.ycharts[own]["layout"]
        layout["x"] = float(rng.randint(0, 6))
        layout["h"] = float(rng.randint(1, 4))
    elif kind == 4:
        d.yfilters[0]["value"] = [f"{client.name}-{step}"]
    else:
        d.ymeta["title"] = f"Sales {client.name} {step}"


async def stream_until_stopped(
    server: LiveServer, clients: list[RoomClient], rng: random.Random, how: str, updates: int
) -> None:
    """The clients stream edits; the server is stopped (``how``) mid-stream."""
    stop = asyncio.Event()

    async def run(client: RoomClient, crng: random.Random) -> None:
        step = 0
        while not stop.is_set() and not client.closed.is_set():
            edit(client, crng, step)
            step += 1
            await asyncio.sleep(crng.uniform(0.002, 0.03))

    writers = [asyncio.create_task(run(c, random.Random(rng.random()))) for c in clients]
    deadline = time.monotonic() + 45
    while min(len(c.received) for c in clients) < updates:
        assert time.monotonic() < deadline, "the room broadcast too few updates before the kill"
        assert not any(c.closed.is_set() for c in clients), [c.close_code for c in clients]
        await asyncio.sleep(0.01)
    await asyncio.sleep(rng.uniform(0.0, 1.0))
    # the clients keep editing while it stops
    await asyncio.to_thread(server.kill if how == "SIGKILL" else server.stop)
    await asyncio.gather(*(asyncio.wait_for(c.closed.wait(), 20) for c in clients))
    stop.set()
    await asyncio.gather(*writers)
    print(
        f"{how} after {sum(c.sent for c in clients)} edits sent, {len(clients[0].received)} updates received"
    )


async def fresh_replica(server: LiveServer, doc_id: str) -> RoomClient:
    client = RoomClient(room_url(server.api, doc_id), server.token, "fresh")
    await client.connect()
    await client.wait_synced()
    return client


async def until_quiet(clients: list[RoomClient], timeout: float = 30) -> None:
    """Wait until no client has received an update for a second."""
    deadline = time.monotonic() + timeout
    while time.perf_counter() - max(c.received_at[-1] for c in clients) < 1.0:
        assert time.monotonic() < deadline, "the room did not become quiet"
        await asyncio.sleep(0.1)


@pytest.mark.slow
def test_a_shutdown_or_sigkill_during_a_stream_of_edits_loses_no_acknowledged_edit(tmp_path: Path) -> None:
    asyncio.run(check_after_stops(LiveServer(tmp_path / "data", tmp_path / "root")))


@pytest.mark.slow
@pytest.mark.postgres
def test_no_acknowledged_edit_is_lost_with_a_postgresql_catalog(tmp_path: Path, lg_postgres_url: str) -> None:
    catalog = f"--LiveGraphsApp.catalog_url={lg_postgres_url}"
    asyncio.run(check_after_stops(LiveServer(tmp_path / "data", tmp_path / "root", [catalog])))


async def check_after_stops(server: LiveServer) -> None:
    rng = random.Random(seed())
    await asyncio.to_thread(server.start)
    try:
        doc_id = (await asyncio.to_thread(create_document, server, "dashboard", "Sales", DASHBOARD))["id"]
        acknowledged: list[list[bytes]] = []
        for how, updates in ROUNDS:
            # Given clients streaming edits, when the server is stopped or killed mid-stream and restarted
            url = room_url(server.api, doc_id)
            clients = [RoomClient(url, server.token, f"c{i}") for i in range(CLIENTS)]
            for c in clients:
                await c.connect()
            await asyncio.gather(*(c.wait_synced() for c in clients))
            t0 = time.monotonic()
            await stream_until_stopped(server, clients, rng, how, updates)
            print(f"streamed and stopped in {time.monotonic() - t0:.1f} s")
            acknowledged += [list(c.received) for c in clients]
            t0 = time.monotonic()
            await asyncio.to_thread(server.start)
            print(f"restarted in {time.monotonic() - t0:.1f} s")

            # Then a new client holds every update any client had received
            fresh = await fresh_replica(server, doc_id)
            assert missing_from(fresh.doc, acknowledged) == []
            # and it is a valid dashboard, the one the store serves
            content = fresh.to_dict()
            await fresh.close()
            validate_dashboard(content)
            assert await asyncio.to_thread(stored_content, server, doc_id) == content

            # And when the clients come back, the edits the server never acknowledged merge in too
            for c in clients:
                await c.connect()
            await asyncio.gather(*(c.wait_synced() for c in clients))
            t0 = time.monotonic()
            await until_quiet(clients)
            print(f"merged the unacknowledged edits in {time.monotonic() - t0:.1f} s")
            fresh = await fresh_replica(server, doc_id)
            assert missing_from(fresh.doc, [[c.doc.get_update()] for c in clients]) == []
            assert all(c.to_dict() == fresh.to_dict() for c in clients)
            await fresh.close()
            for c in clients:
                await c.close()
        assert min(map(len, acknowledged)) >= min(n for _, n in ROUNDS)
    finally:
        await asyncio.to_thread(server.stop)
