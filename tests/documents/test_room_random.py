"""Twenty clients edit one dashboard at random, all at once; everyone ends with the same valid dashboard.

Now and then a client's connection drops and it goes on editing offline until it reconnects. The edits
collide on purpose: charts added and removed, moved and resized at the same moment (so layouts
leave the grid or overlap until the server repairs them), spec keys and shelf keys, filters, the title.
When the edits stop, every replica, the server's copy (a new client's sync) and the stored state (REST
content) must be equal and valid. The randomness is seeded and the seed printed (``LG_TEST_SEED`` reruns it).
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Map

from livegraphs_ext.documents.dashboard import GRID_COLUMNS, validate_dashboard
from livegraphs_ext.store.charts.spec import MARKS

from ..servers import LiveServer
from .test_dashboard import DASHBOARD
from .yclient import RoomClient, create_document, room_url, state_vector, stored_content

CLIENTS = 20
EDIT_SECONDS = 10.0
FIELDS = ("region", "revenue", "day", "country", "channel", "units")
SHELF_KEYS = {
    "field": FIELDS,
    "aggregate": ("sum", "mean", "count", "max"),
    "bin": (True, False),
    "timeUnit": ("month", "year", "day"),
}
CHANNELS = ("x", "y", "color", "size", "label")
MAX_CHARTS = 24
MAX_FILTERS = 8
#: The chance that a client's connection drops after an edit.
OFFLINE = 0.02


def seed() -> int:
    value = int(os.environ.get("LG_TEST_SEED", time.time_ns() % 2**31))
    print(f"seed {value} (rerun with LG_TEST_SEED={value})")
    return value


class Editor:
    """Random edits of one client's replica, each one transaction as the front end makes them."""

    def __init__(self, client: RoomClient, rng: random.Random):
        self.client = client
        self.rng = rng
        self.made = 0

    def edit(self) -> str:
        d, rng = self.client.dashboard, self.rng
        charts = list(d.ycharts.keys())
        ops = ["title", "crossfilter", "filter_add", "filter_remove", "filter_value"]
        if len(charts) < MAX_CHARTS:
            ops += ["chart_add"] * 2
        if charts:
            ops += [
                "chart_remove",
                "move",
                "move",
                "resize",
                "resize",
                "spec",
                "spec",
                "shelf",
                "shelf",
                "shelf",
            ]
        op = rng.choice(ops)
        chart = rng.choice(charts) if charts else ""
        with d.ydoc.transaction():
            getattr(self, op)(d, rng, chart)
        self.made += 1
        if rng.random() < 0.3:  # the chart badge: who is editing which chart
            self.client.set_awareness({"user": {"name": self.client.name}, "editing": chart or None})
        return op

    def title(self, d: Any, rng: random.Random, _: str) -> None:
        d.ymeta["title"] = f"Sales {self.client.name} {self.made}"

    def crossfilter(self, d: Any, rng: random.Random, _: str) -> None:
        d.ymeta["crossfilter"] = rng.random() < 0.5

    def chart_add(self, d: Any, rng: random.Random, _: str, layout: dict[str, int] | None = None) -> None:
        w = rng.choice((3, 4, 6, 12))
        layout = layout or {
            "x": rng.randint(0, GRID_COLUMNS - w),
            "y": rng.randint(0, 12),
            "w": w,
            "h": rng.randint(1, 5),
        }
        d.ycharts[f"{self.client.name}-{self.made}"] = Map(
            {
                "spec": Map(
                    {
                        "version": 1.0,
                        "dataset": {"name": "sales"},
                        "mark": rng.choice(MARKS),
                        "encoding": Map({"x": Map({"field": rng.choice(FIELDS)})}),
                    }
                ),
                "layout": Map({k: float(v) for k, v in layout.items()}),
            }
        )

    def chart_remove(self, d: Any, rng: random.Random, cid: str) -> None:
        del d.ycharts[cid]

    def move(self, d: Any, rng: random.Random, cid: str) -> None:
        layout = d.ycharts[cid]["layout"]
        w = int(layout.get("w", 1))
        layout["x"] = float(rng.randint(0, max(0, GRID_COLUMNS - w)))
        layout["y"] = float(rng.randint(0, 20))

    def resize(self, d: Any, rng: random.Random, cid: str) -> None:
        layout = d.ycharts[cid]["layout"]
        x = int(layout.get("x", 0))
        layout["w"] = float(rng.randint(1, max(1, GRID_COLUMNS - x)))
        layout["h"] = float(rng.randint(1, 6))

    def spec(self, d: Any, rng: random.Random, cid: str) -> None:
        spec = d.ycharts[cid]["spec"]
        key = rng.choice(("mark", "title", "limit", "sort"))
        if key == "mark":
            spec["mark"] = rng.choice(MARKS)
        elif key == "title":
            spec["title"] = f"{self.client.name} {self.made}"
        elif key == "limit":
            spec["limit"] = float(rng.randint(1, 100))
        else:
            spec["sort"] = {"by": rng.choice(("x", "y")), "order": rng.choice(("ascending", "descending"))}

    def shelf(self, d: Any, rng: random.Random, cid: str) -> None:
        encoding = d.ycharts[cid]["spec"].get("encoding")
        if not isinstance(encoding, Map):
            return
        channel = rng.choice(CHANNELS)
        shelf = encoding.get(channel)
        if isinstance(shelf, Map) and rng.random() < 0.15:
            del encoding[channel]
        elif isinstance(shelf, Map):
            key = rng.choice(list(SHELF_KEYS))
            shelf[key] = rng.choice(SHELF_KEYS[key])
        else:
            encoding[channel] = Map({"field": rng.choice(FIELDS)})

    def filter_add(self, d: Any, rng: random.Random, _: str) -> None:
        if len(d.yfilters) >= MAX_FILTERS:
            return
        d.yfilters.append(
            Map(
                {
                    "id": f"{self.client.name}-{self.made}",
                    "kind": "dropdown",
                    "dataset": "sales",
                    "column": rng.choice(FIELDS),
                    "value": [rng.choice(("EMEA", "APAC", "AMER"))],
                }
            )
        )

    def filter_remove(self, d: Any, rng: random.Random, _: str) -> None:
        if len(d.yfilters):
            del d.yfilters[rng.randrange(len(d.yfilters))]

    def filter_value(self, d: Any, rng: random.Random, _: str) -> None:
        if not len(d.yfilters):
            return
        f = d.yfilters[rng.randrange(len(d.yfilters))]
        kind = f.get("kind")
        if kind == "dropdown":
            f["value"] = rng.sample(["EMEA", "APAC", "AMER"], rng.randint(0, 3))
        elif kind == "range":
            low = float(rng.randint(0, 50))
            f["value"] = [low, low + rng.randint(0, 50)]
        elif kind == "daterange":
            f["value"] = [None, f"2025-0{rng.randint(1, 9)}-01"]


def overlaps(content: dict[str, Any]) -> list[str]:
    """Pairs of charts whose layouts cover a common cell (the room repairs these)."""
    boxes = sorted((cid, c["layout"]) for cid, c in content["charts"].items())
    found = []
    for i, (aid, a) in enumerate(boxes):
        for bid, b in boxes[i + 1 :]:
            across = a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"]
            if across and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"]:
                found.append(f"{aid} {a} overlaps {bid} {b}")
    return found


def collide(a: Editor, b: Editor, rng: random.Random, kind: str = "") -> str:
    """Two clients change the same thing in the same instant, before either hears of the other's edit.

    Each edit is valid on its own; merged, they may not be: one moves a chart to the right edge while
    the other widens it to the right edge (x + w > 12), or both add a chart at the same spot.
    """
    # the charts both hold with a layout (a replica may hold a chart whose layout has not arrived)
    shared = sorted(
        c
        for c in set(a.client.dashboard.ycharts.keys()) & set(b.client.dashboard.ycharts.keys())
        if all(isinstance(e.client.dashboard.ycharts[c].get("layout"), Map) for e in (a, b))
    )
    kind = kind or ("move and resize" if rng.random() < 0.6 else "two charts at one spot")
    if shared and kind == "move and resize":
        # a chart short of the right edge: A moves it to the edge, B widens it to the edge
        def room_left(cid: str) -> bool:
            layout = a.client.dashboard.ycharts[cid]["layout"]
            return bool(layout.get("x", 0) + layout.get("w", GRID_COLUMNS) < GRID_COLUMNS)

        cid = rng.choice([c for c in shared if room_left(c)] or shared)
        layout_a = a.client.dashboard.ycharts[cid]["layout"]
        layout_b = b.client.dashboard.ycharts[cid]["layout"]
        layout_a["x"] = float(GRID_COLUMNS - int(layout_a.get("w", 1)))
        layout_b["w"] = float(GRID_COLUMNS - int(layout_b.get("x", 0)))
        return "move and resize"
    spot = {"x": 0, "y": 0, "w": 6, "h": 4}
    for editor in (a, b):
        with editor.client.doc.transaction():
            editor.chart_add(editor.client.dashboard, rng, "", spot)
        editor.made += 1
    return "two charts at one spot"


def others_present(client: RoomClient) -> dict[str, Any]:
    """The presence states ``client`` holds of the other clients, by name."""
    own = client.awareness.client_id
    states = client.awareness.states.items()
    return {s["user"]["name"]: s for c, s in states if c != own and s and "user" in s}


async def until_gone(client: RoomClient, others: list[RoomClient], timeout: float = 15) -> None:
    """Wait until the room has seen ``client``, which has closed, leave: a client that has been online
    and synced all along no longer holds its presence.

    (Only such a client can tell: one that was away when the room sent the removal keeps the state
    it held before, and one that came back since learnt who is present from the room.)
    """
    deadline = time.monotonic() + timeout
    gone = client.awareness.client_id
    # each watcher with the connection it has now (a reconnect makes a new ``closed`` event)
    watchers = [(o, o.closed) for o in others if o.synced.is_set() and not o.closed.is_set()]

    def online() -> list[RoomClient]:
        return [o for o, closed in watchers if o.closed is closed and not closed.is_set()]

    while online() and all(gone in o.awareness.states for o in online()):
        assert time.monotonic() < deadline, f"{client.name} is still present after leaving"
        await asyncio.sleep(0.05)


async def until_present(clients: list[RoomClient], timeout: float = 15) -> None:
    """Wait until each client holds exactly the others' latest presence states."""

    def wrong() -> list[str]:
        return [
            c.name
            for c in clients
            if others_present(c) != {o.name: o.awareness.get_local_state() for o in clients if o is not c}
        ]

    deadline = time.monotonic() + timeout
    while wrong():
        assert time.monotonic() < deadline, f"presence differs for {wrong()}: {others_present(clients[0])}"
        await asyncio.sleep(0.05)


async def edit_at_random(server: LiveServer, doc_id: str, rng: random.Random) -> None:
    url = room_url(server.api, doc_id)
    clients = [RoomClient(url, server.token, f"c{i}") for i in range(CLIENTS)]
    try:
        for c in clients:
            await c.connect()
        await asyncio.gather(*(c.wait_synced() for c in clients))
        for c in clients:
            c.set_awareness({"user": {"name": c.name}})
        editors = [Editor(c, random.Random(rng.random())) for c in clients]
        stop = time.monotonic() + EDIT_SECONDS

        offline = 0

        async def run(editor: Editor) -> None:
            nonlocal offline
            while time.monotonic() < stop:
                editor.edit()
                if editor.rng.random() < OFFLINE and time.monotonic() < stop - 3:
                    # the connection drops; edits go on locally and merge in once it is back
                    offline += 1
                    await editor.client.close()
                    # back only once the room has seen it leave (a presence removal that comes after
                    # the client is back would remove it for good: a room bug of its own)
                    await until_gone(editor.client, [e.client for e in editors if e is not editor])
                    back = time.monotonic() + editor.rng.uniform(0.3, 1.5)
                    while time.monotonic() < back:
                        editor.edit()
                        await asyncio.sleep(editor.rng.uniform(0.05, 0.3))
                    await editor.client.connect()
                    await editor.client.wait_synced()
                await asyncio.sleep(editor.rng.uniform(0.05, 0.6))

        collisions: list[str] = []

        async def collider() -> None:
            while time.monotonic() < stop - 1:
                await asyncio.sleep(rng.uniform(0.2, 0.8))
                a, b = rng.sample([e for e in editors if not e.client.closed.is_set()], 2)
                collisions.append(collide(a, b, rng))

        # When every client edits at random, all at once, and pairs of them collide on purpose
        await asyncio.gather(collider(), *(run(e) for e in editors))
        # (the last edits collide too, so no later edit happens to set things right)
        online = [e for e in editors if not e.client.closed.is_set()]
        for kind in ("move and resize", "move and resize", "two charts at one spot"):
            collisions.append(collide(*rng.sample(online, 2), rng, kind))
        await asyncio.gather(*(c.drain() for c in clients))
        assert not [c.name for c in clients if c.closed.is_set()], [c.close_code for c in clients]
        print(
            f"{sum(e.made for e in editors)} edits by {CLIENTS} clients, {offline} times offline, "
            f"{len(collisions)} collisions ({collisions.count('move and resize')} move and resize)"
        )

        # Then, once the room is quiet, every replica holds the same state
        # (quiet: no client has received anything for a second; a deletion leaves state vectors alone,
        # so equal vectors alone do not tell that every update has arrived)
        stopped = time.monotonic()
        while time.perf_counter() - max(c.received_at[-1] for c in clients) < 1.0:
            assert time.monotonic() < stopped + 30, "the room did not become quiet"
            await asyncio.sleep(0.1)
        print(f"quiet {time.monotonic() - stopped:.1f} s after the last edit")
        expected = clients[0].to_dict()
        vector = state_vector(clients[0].doc.get_state())
        for c in clients:
            assert state_vector(c.doc.get_state()) == vector, c.name
            assert c.to_dict() == expected, c.name
        # and the server's copy is that state too
        async with RoomClient(url, server.token, "server-copy") as copy:
            await copy.wait_synced()
            assert state_vector(copy.doc.get_state()) == vector
            assert copy.to_dict() == expected
        # and it is a valid dashboard: no layout off the grid, no chart under another
        validate_dashboard(expected)
        assert overlaps(expected) == []
        # and the stored state is the same dashboard
        assert await asyncio.to_thread(stored_content, server, doc_id) == expected

        # And everyone sees everyone else's latest presence; those who leave vanish for the others
        await until_present(clients)
        for c in clients[CLIENTS // 2 :]:
            await c.close()
        await until_present(clients[: CLIENTS // 2])
    finally:
        for c in clients:
            await c.close()


@pytest.mark.slow
def test_twenty_clients_editing_at_random_converge_on_one_valid_dashboard_and_see_each_other(
    tmp_path: Path,
) -> None:
    rng = random.Random(seed())
    server = LiveServer(tmp_path / "data", tmp_path / "root").start()
    try:
        doc_id = create_document(server, "dashboard", "Sales", DASHBOARD)["id"]
        asyncio.run(edit_at_random(server, doc_id, rng))
    finally:
        server.stop()
