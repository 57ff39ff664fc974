"""The bounds of chart, profile and page queries, enforced by the server with the one error shape.

Filter values are counted over the whole filter (400), a chart query's body is capped (413),
a query past ``query_time_limit`` is interrupted (408), and one user's queries past
``user_queries`` wait their turn, then get 429 with Retry-After.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import orjson
import pytest

from ..conftest import body


def slow_csv(rows: int = 1_000_000) -> bytes:
    """A million rows of (key, value), gzipped: a box plot per key takes DuckDB seconds."""
    import gzip

    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(7)
    table = pa.table({"key": rng.integers(0, rows, rows), "v": rng.normal(size=rows).round(3)})
    out = pa.BufferOutputStream()
    pacsv.write_csv(table, out)
    return gzip.compress(out.getvalue().to_pybytes(), compresslevel=1)


#: about 600,000 boxes (quartiles of each key): the heaviest chart of this data the limits allow,
#: about a second of DuckDB work on an idle machine
SLOW_CHART = {"mark": "box", "encoding": {"x": {"field": "key"}, "y": {"field": "v"}}}


def regex_csv(rows: int = 400_000) -> bytes:
    """Rows of (s, v), ``s`` forty random letters a and b, gzipped: see :data:`REGEX_CHART`."""
    import gzip

    import numpy as np

    rng = np.random.default_rng(11)
    letters = np.frombuffer(b"ab", dtype="S1")[rng.integers(0, 2, (rows, 40))].view("S40").ravel()
    v = rng.normal(size=rows).round(3)
    lines = b"\n".join(b"%s,%.3f" % (a, b) for a, b in zip(letters.tolist(), v.tolist(), strict=True))
    return gzip.compress(b"s,v\n" + lines + b"\n", compresslevel=1)


#: A chart whose filter keeps the regular expression engine busy on every row (it can never match:
#: no "c"): about 20 µs a row, so 8 s or more for :func:`regex_csv`, far past a 2-second limit on
#: any machine, however idle. DuckDB is interrupted between batches of rows.
REGEX_CHART = {
    "mark": "bar",
    "encoding": {"x": {"field": "v", "bin": True}, "y": {"aggregate": "count"}},
    "filters": [{"column": "s", "cmp": "matches", "value": "a[ab]{30}c"}],
}


@pytest.fixture
def jp_server_config(jp_server_config):
    config = dict(jp_server_config)
    config["LiveGraphsApp"] = {
        **config["LiveGraphsApp"],
        "max_filter_values": 50,
        "max_query_bytes": 4000,
        "query_time_limit": 2,
        "user_queries": 1,
        "user_queue_seconds": 1,
    }
    return config


def chart(dataset_id: str, filters: Any = None, shape: dict[str, Any] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "version": 1,
        "dataset": {"id": dataset_id},
        **(
            shape
            or {
                "mark": "bar",
                "encoding": {"x": {"field": "city"}, "y": {"field": "temp", "aggregate": "mean"}},
            }
        ),
    }
    if filters is not None:
        spec["filters"] = filters
    return {"spec": spec}


def assert_error(r: Any, status: int, reason: str) -> dict[str, Any]:
    assert r.code == status, r.body
    assert r.headers["Content-Type"].startswith("application/json")
    payload = body(r)
    assert set(payload) == {"message", "reason", "errors"}
    assert payload["reason"] == reason, payload
    return dict(payload)


async def test_filter_values_are_counted_over_the_whole_filter(lg_api, lg_upload):
    ds = await lg_upload("temps", "city,temp\nOslo,1\nLima,2\nRome,3\n")
    # fifty values in all, however they are split, are allowed
    some = ["Oslo", "Lima"] + [f"town {i}" for i in range(23)]
    five = [{"column": "city", "cmp": "in", "value": some}]
    r = await lg_api("POST", "charts/query", body=chart(ds["id"], five + five))
    assert r.code == 200, r.body
    assert body(r)["marks"] == 2
    # eleven are not: split over conditions, or hidden in nested groups
    nested = [{"combine": "or", "conditions": [{"conditions": five}, {"conditions": five}]}]
    one_more = [{"column": "temp", "cmp": "gt", "value": 0}]
    for filters in (five + five + one_more, nested + one_more):
        r = await lg_api("POST", "charts/query", body=chart(ds["id"], filters))
        payload = assert_error(r, 400, "Too many filter values")
        assert "50 values" in payload["message"]
    # the rows API's filter is counted the same way
    r = await lg_api(
        "GET", "datasets", ds["id"], "rows", params={"filter": orjson.dumps(five + five + one_more).decode()}
    )
    assert_error(r, 400, "Too many filter values")
    r = await lg_api("GET", "datasets", ds["id"], "rows", params={"filter": orjson.dumps(five).decode()})
    assert r.code == 200 and body(r)["total"] == 2


async def test_a_chart_body_past_max_query_bytes_is_refused(lg_api, lg_upload):
    ds = await lg_upload("temps", "city,temp\nOslo,1\n")
    big = chart(ds["id"])
    big["spec"]["title"] = "t" * 5000
    r = await lg_api("POST", "charts/query", body=big)
    payload = assert_error(r, 413, "Payload Too Large")
    assert "4000-byte limit" in payload["message"]
    assert r.headers.get("Connection") == "close"
    # within the limit the same server answers
    assert (await lg_api("POST", "charts/query", body=chart(ds["id"]))).code == 200


async def test_a_chunked_chart_body_past_max_query_bytes_is_refused(jp_fetch, lg_upload):
    # no Content-Length: the body is counted as it arrives, and dropped past the limit
    ds = await lg_upload("temps", "city,temp\nOslo,1\n")
    big = chart(ds["id"])
    big["spec"]["title"] = "t" * 5000
    data = json.dumps(big).encode()

    async def produce(write: Any) -> None:
        for i in range(0, len(data), 500):
            await write(data[i : i + 500])

    r = await jp_fetch(
        "livegraphs", "api", "charts", "query", method="POST", body_producer=produce, raise_error=False,
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    payload = assert_error(r, 413, "Payload Too Large")
    assert "4000-byte limit" in payload["message"]


async def test_a_query_past_the_time_limit_is_interrupted_with_408(lg_api, lg_upload):
    ds = await lg_upload("slow", regex_csv())
    started = time.monotonic()
    r = await lg_api("POST", "charts/query", body=chart(ds["id"], shape=REGEX_CHART), request_timeout=120)
    took = time.monotonic() - started
    payload = assert_error(r, 408, "Query Timeout")
    assert "time limit of 2 s" in payload["message"]
    # a cheap chart of the same data answers: the time went to the filter
    cheap = {"mark": "bar", "encoding": {"x": {"field": "v", "bin": True}, "y": {"aggregate": "count"}}}
    assert (await lg_api("POST", "charts/query", body=chart(ds["id"], shape=cheap))).code == 200
    print(f"interrupted after {took:.1f} s")


async def test_one_user_waits_for_a_turn_then_gets_429(lg_api, lg_upload):
    ds = await lg_upload("slow", regex_csv())
    slow = asyncio.ensure_future(
        lg_api("POST", "charts/query", body=chart(ds["id"], shape=REGEX_CHART), request_timeout=120)
    )
    await asyncio.sleep(0.2)
    # the user's one turn is taken: a page waits up to user_queue_seconds, then 429
    r = await lg_api("GET", "datasets", ds["id"], "rows", params={"limit": "5"})
    payload = assert_error(r, 429, "Too Many Requests")
    assert int(r.headers["Retry-After"]) >= 1
    assert "at once" in payload["message"]
    assert (await slow).code == 408
    # the turn is free again
    r = await lg_api("GET", "datasets", ds["id"], "rows", params={"limit": "5"})
    assert r.code == 200 and len(body(r)["rows"]) == 5
