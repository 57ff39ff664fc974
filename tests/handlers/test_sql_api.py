"""The SQL routes on a laptop's server: results, saved queries, limits, and every probe refused.

Each probe must get a 4xx in the one error shape, never reach a worker process (the store counts
the queries that do) and never bring back a byte of the file it aims at.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pytest

from livegraphs_ext.store.charts import ARROW_STREAM, read_arrow_stream
from livegraphs_ext.store.sqlquery.engine import worker_pool

from ..conftest import body

CANARY = "CANARY-5b7e"
SALES = "city,amount\nOslo,10\nLima,5\nZürich,\nOslo,1\n"
CITIES = "city,country\nOslo,NO\nLima,PE\nZürich,CH\n"
TIME_LIMIT = 8


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any]) -> dict[str, Any]:
    config = dict(jp_server_config)
    config["LiveGraphsApp"] = {
        **config["LiveGraphsApp"],
        "query_time_limit": TIME_LIMIT,
        "sql_memory_limit": "128MB",
        "max_query_bytes": 64 << 10,
    }
    return config


@pytest.fixture(autouse=True)
def lg_ready_workers(jp_serverapp: Any) -> None:
    """The server's SQL workers started, as they are long before anyone queries a real server."""
    assert worker_pool().wait_until_ready(180)


@pytest.fixture
def lg_canary(tmp_path: Path) -> Path:
    path = tmp_path / "canary.csv"
    path.write_text(f"secret\n{CANARY}\n")
    return path


def store_of(jp_serverapp: Any) -> Any:
    return jp_serverapp.web_app.settings["livegraphs_host"].store


def assert_error(r: Any, status: int | tuple[int, ...]) -> dict[str, Any]:
    statuses = (status,) if isinstance(status, int) else status
    assert r.code in statuses, (r.code, r.body)
    assert r.headers["Content-Type"].startswith("application/json")
    answer = body(r)
    assert set(answer) == {"message", "reason", "errors"}, answer
    return dict(answer)


async def test_a_join_runs_pages_saves_as_a_dataset_and_refreshes(lg_api, lg_upload):
    sales = await lg_upload("sales", SALES)
    await lg_upload("cities", CITIES)
    sql = (
        "select c.country, sum(s.amount) as total from sales s join cities c using (city) "
        "group by all order by total desc nulls last"
    )
    r = await lg_api("POST", "sql", "query", body={"sql": sql, "limit": 2})
    assert r.code == 200, r.body
    page = body(r)
    assert page["columns"] == [{"name": "country", "type": "string"}, {"name": "total", "type": "integer"}]
    assert page["rows"] == [["NO", 11], ["PE", 5]] and page["total"] == 3
    r = await lg_api("POST", "sql", "query", body={"sql": sql, "offset": 2, "count": False})
    assert body(r)["rows"] == [["CH", None]] and body(r)["total"] is None
    # the whole result as Arrow, as lg.sql asks for it
    r = await lg_api(
        "POST", "sql", "query", body={"sql": sql}, headers={"Accept": "application/vnd.apache.arrow.stream"}
    )
    assert r.code == 200, r.body
    table = pa.ipc.open_stream(r.body).read_all()
    assert table.column("total").to_pylist() == [11, 5, None]
    assert orjson.loads(table.schema.metadata[b"livegraphs.columns"])[1]["type"] == "integer"

    r = await lg_api("POST", "sql", "datasets", body={"sql": sql, "name": "by country"})
    assert r.code == 201, r.body
    saved = body(r)
    assert r.headers["Location"].endswith(f"livegraphs/api/datasets/{saved['id']}")
    assert (saved["name"], saved["rows"], saved["report"]["format"]) == ("by country", 3, "sql")
    versions = body(await lg_api("GET", "datasets", saved["id"], "versions"))["versions"]
    assert versions[0]["kind"] == "sql" and versions[0]["step"]["sql"] == sql
    status = body(await lg_api("GET", "datasets", saved["id"], "refresh"))
    assert status["stale"] is False and [s["name"] for s in status["sources"]] == ["sales", "cities"]
    r = await lg_api("POST", "datasets", saved["id"], "refresh")
    assert r.code == 200 and body(r)["refreshed"] is False
    r = await lg_api(
        "POST",
        "datasets",
        sales["id"],
        "data",
        body="city,amount\nZürich,4\n",
        params={"mode": "append"},
        headers={"Content-Type": "text/csv"},
    )
    assert r.code == 201
    assert body(await lg_api("GET", "datasets", saved["id"], "refresh"))["stale"] is True
    r = await lg_api("POST", "datasets", saved["id"], "refresh")
    assert r.code == 201 and body(r)["refreshed"] is True
    rows = body(await lg_api("GET", "datasets", saved["id"], "rows"))["rows"]
    assert rows == [["NO", 11], ["PE", 5], ["CH", 4]]
    # a name taken, a missing name: the one error shape
    assert_error(await lg_api("POST", "sql", "datasets", body={"sql": sql, "name": "by country"}), 409)
    assert_error(await lg_api("POST", "sql", "datasets", body={"sql": sql}), 400)


#: every probe: forbidden functions and statements, table functions, names that are not datasets,
#: and tricks around keywords (comments, case, quoting, Unicode look-alikes, invisible characters)
PROBES = [
    "select * from read_csv('{canary}')",
    "select * from read_csv_auto('{canary}')",
    "select * from read_parquet('{canary}')",
    "select * from read_json('{canary}')",
    "select * from read_text('{canary}')",
    "select * from read_blob('{canary}')",
    "select * from sniff_csv('{canary}')",
    "select * from parquet_metadata('{canary}')",
    "select * from glob('{dir}/*')",
    "select * from 'https://example.com/data.csv'",
    "select * from '{canary}'",
    'select * from "{canary}"',
    "select getenv('HOME')",
    "select current_setting('allowed_paths')",
    "select * from duckdb_settings()",
    "select * from duckdb_views()",
    "select * from information_schema.tables",
    "select * from pg_catalog.pg_class",
    "select * from query('select 42')",
    "select * from range(10)",
    "select repeat('x', 100)",
    "select replace(city, 'O', 'o') from sales",
    "select * from sales, lateral (select * from read_csv('{canary}'))",
    "select * from sales where city in (select * from read_csv('{canary}'))",
    "with c as (select * from read_csv('{canary}')) select * from c",
    "copy sales to '{dir}/out.csv'",
    "copy (select 1) to '{dir}/out.csv'",
    "attach '{dir}/other.db' as other",
    "detach other",
    "install httpfs",
    "load httpfs",
    "pragma database_list",
    "set memory_limit = '100GB'",
    "reset memory_limit",
    "create table x as select * from sales",
    "insert into sales values ('x', 1)",
    "update sales set amount = 0",
    "delete from sales",
    "drop table sales",
    "export database '{dir}/export'",
    "call pragma_version()",
    "describe sales",
    "summarize sales",
    "select 1; select 2",
    "select 1; copy sales to '{dir}/out.csv'",
    "select $1",
    # comments, case and quoting around keywords
    "select * from read_csv/**/('{canary}')",
    "select * from /* x */ read_csv('{canary}') -- y",
    "SeLeCt * FrOm ReAd_CsV('{canary}')",
    "select * from \"read_csv\"('{canary}')",
    "select \"getenv\"('HOME')",
    "select * from query('select * from read_' || 'csv(''{canary}'')')",
    "select 'read_' || 'csv', getenv('HO' || 'ME')",
    "sel/**/ect getenv('HOME')",
    # Unicode: fullwidth letters, a Cyrillic look-alike, invisible characters
    "select * from \uff52\uff45\uff41\uff44_\uff43\uff53\uff56('{canary}')",
    "select * from r\u0435ad_csv('{canary}')",
    "select * from re\u200bad_csv('{canary}')",
    "select * from read_csv\u2060('{canary}')",
    "select g\u00adetenv('HOME')",
    "select\u00a0getenv('HOME')",
    "\uff53\uff45\uff4c\uff45\uff43\uff54 1",
    "select * from sales\u037e copy sales to '{dir}/out.csv'",
]


@pytest.mark.parametrize("probe", PROBES)
async def test_every_probe_is_refused_with_a_4xx_and_nothing_read(
    lg_api, lg_upload, jp_serverapp, lg_canary: Path, tmp_path: Path, probe: str
):
    await lg_upload("sales", SALES)
    store = store_of(jp_serverapp)
    before = store.sql_runs
    sql = probe.format(canary=lg_canary, dir=tmp_path)
    r = await lg_api("POST", "sql", "query", body={"sql": sql})
    answer = assert_error(r, (400, 404))
    assert CANARY not in r.body.decode("utf-8", "replace")
    assert answer["message"]
    assert store.sql_runs == before, "the query reached a worker"
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "other.db").exists()
    # saving it as a dataset is refused the same way, and makes nothing
    r = await lg_api("POST", "sql", "datasets", body={"sql": sql, "name": "probe"})
    assert_error(r, (400, 404))
    assert [d["name"] for d in body(await lg_api("GET", "datasets"))["datasets"]] == ["sales"]
    # and so is charting it
    r = await lg_api("POST", "charts", "query", body={"spec": query_chart(sql, "city")})
    assert_error(r, (400, 404))
    assert CANARY not in r.body.decode("utf-8", "replace")
    assert store.sql_runs == before, "the chart's query reached a worker"


def query_chart(sql: str, x: str, **more: Any) -> dict[str, Any]:
    return {"version": 1, "dataset": {"sql": sql}, "mark": "bar", "encoding": {"x": {"field": x}}, **more}


async def test_a_query_is_charted_without_being_saved(lg_api, lg_upload):
    await lg_upload("sales", SALES)
    await lg_upload("cities", CITIES)
    sql = "select c.country, s.amount from sales s join cities c using (city)"
    chart = query_chart(
        sql, "country", encoding={"x": {"field": "country"}, "y": {"field": "amount", "aggregate": "sum"}}
    )
    r = await lg_api("POST", "charts", "query", body={"spec": chart})
    assert r.code == 200, r.body
    out = body(r)
    # pandas: Oslo 10 + 1, Lima 5, Zürich null; the join keeps the three cities
    assert dict(zip(out["data"]["x"], out["data"]["y"], strict=True)) == {"CH": None, "NO": 11, "PE": 5}
    assert out["dataset"]["sql"] == sql and [s["name"] for s in out["dataset"]["sources"]] == [
        "sales",
        "cities",
    ]
    r = await lg_api("POST", "charts", "query", body={"spec": chart}, headers={"Accept": ARROW_STREAM})
    table, meta = read_arrow_stream(r.body)
    assert table.column("y").to_pylist() == out["data"]["y"] and meta["source_rows"] == 4
    # nothing was saved
    assert sorted(d["name"] for d in body(await lg_api("GET", "datasets"))["datasets"]) == ["cities", "sales"]
    # errors name the spec's place, then the query's line and column
    answer = assert_error(
        await lg_api("POST", "charts", "query", body={"spec": query_chart("select *\n  from nowhere", "a")}),
        404,
    )
    assert answer["message"].startswith("dataset.sql: Line 2, column 8: ")
    answer = assert_error(
        await lg_api("POST", "charts", "query", body={"spec": query_chart(sql, "nope")}), 400
    )
    assert "unknown column 'nope'" in answer["message"]
    answer = assert_error(
        await lg_api(
            "POST", "charts", "query", body={"spec": {**chart, "dataset": {"sql": sql, "version": 1}}}
        ),
        400,
    )
    assert answer["message"].startswith("dataset: ")


async def test_a_query_chart_that_would_take_all_memory_or_time_is_stopped(lg_api, lg_upload):
    await lg_upload("words", "w\n" + "".join(f"word{i:05d}\n" for i in range(2000)))
    sql = "select string_agg(a.w || b.w || c.w, ',') as s from words a, words b, words c"
    answer = assert_error(await lg_api("POST", "charts", "query", body={"spec": query_chart(sql, "s")}), 413)
    assert answer["reason"] == "Query Too Large"
    started = time.monotonic()
    runaway = "with recursive r(n) as (select 1 union all select n + 1 from r) select n from r"
    answer = assert_error(
        await lg_api("POST", "charts", "query", body={"spec": query_chart(runaway, "n")}), 408
    )
    assert answer["reason"] == "Query Timeout" and time.monotonic() - started < TIME_LIMIT + 5


async def test_refusals_point_at_the_place_at_fault(lg_api, lg_upload, lg_canary: Path):
    await lg_upload("sales", SALES)
    sql = f"select city\nfrom sales,\n  read_csv('{lg_canary}')"
    r = await lg_api("POST", "sql", "query", body={"sql": sql})
    answer = assert_error(r, 400)
    assert answer["message"].startswith("Line 3, column 3: ")
    assert answer["errors"][0]["row"] == 3 and answer["errors"][0]["column"] == "3"
    r = await lg_api("POST", "sql", "query", body={"sql": "select *\n  from nowhere"})
    answer = assert_error(r, 404)
    assert answer["errors"] == [
        {"row": 2, "column": "8", "value": "nowhere", "expected": "a dataset you may read"}
    ]


async def test_a_runaway_recursive_query_is_stopped_at_the_time_limit(lg_api, lg_upload):
    await lg_upload("sales", SALES)
    started = time.monotonic()
    runaway = "with recursive r(n) as (select 1 union all select n + 1 from r) select count(*) from r"
    answer = assert_error(await lg_api("POST", "sql", "query", body={"sql": runaway}), 408)
    assert answer["reason"] == "Query Timeout"
    assert time.monotonic() - started < TIME_LIMIT + 5


async def test_a_cross_join_that_would_take_all_memory_is_stopped(lg_api, lg_upload):
    await lg_upload("words", "w\n" + "".join(f"word{i:05d}\n" for i in range(2000)))
    r = await lg_api(
        "POST",
        "sql",
        "query",
        body={"sql": "select string_agg(a.w || b.w || c.w, ',') from words a, words b, words c"},
    )
    answer = assert_error(r, 413)
    assert answer["reason"] == "Query Too Large" and "128MB" in answer["message"]


async def test_the_body_and_the_page_are_bounded(lg_api, lg_upload):
    await lg_upload("sales", SALES)
    long = "select " + " + ".join(["1"] * 40_000)
    assert_error(await lg_api("POST", "sql", "query", body={"sql": long}), 413)
    assert_error(await lg_api("POST", "sql", "query", body={"sql": "select 1", "limit": 10_001}), 400)
    assert_error(await lg_api("POST", "sql", "query", body={"sql": "select 1", "offset": "x"}), 400)
    assert_error(await lg_api("POST", "sql", "query", body={"query": "select 1"}), 400)
    assert_error(await lg_api("POST", "sql", "query", body=b"not json"), 400)
