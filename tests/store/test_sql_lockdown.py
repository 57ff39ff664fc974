"""Each gate a user's SQL passes holds on its own: DuckDB's parse, DuckDB's locks, the worker's caps.

The host's sqlglot check (``tests/handlers/test_sql_api.py`` probes it through the API) is the
first gate; here the later ones are tried with that gate left out, as a query that slipped past it
would meet them. Nothing here is mocked: real worker processes, real DuckDB.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import duckdb
import psutil
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from livegraphs_ext.store import DatasetStore, GuardedStore, Principal, StoreConfig
from livegraphs_ext.store.errors import Cancelled, TimedOut, TooLarge
from livegraphs_ext.store.sqlquery.check import check_sql
from livegraphs_ext.store.sqlquery.duckast import AstRefused
from livegraphs_ext.store.sqlquery.engine import GRACE, SqlLimits, _Worker, answer, run_job, worker_pool
from livegraphs_ext.store.sqlquery.worker import Job, check_with_duckdb, open_locked
from livegraphs_ext.store.stopping import GONE, QueryControl

CANARY = "CANARY-7d1f"


@pytest.fixture(autouse=True)
def lg_ready_workers() -> None:
    """A worker ready for the next query, as a host keeps them: its start is not the query's time."""
    assert worker_pool().wait_until_ready(180)


@pytest.fixture
def lg_files(tmp_path: Path) -> dict[str, Path]:
    """A dataset file the query may read, and a file beside it that it must never read."""
    data = tmp_path / "data.parquet"
    pq.write_table(pa.table({"x": list(range(1000)), "s": [f"v{i}" for i in range(1000)]}), data)
    canary = tmp_path / "canary.csv"
    canary.write_text(f"secret\n{CANARY}\n")
    return {"data": data, "canary": canary}


def job(sql: str, files: dict[str, Path], **kw: object) -> Job:
    return Job(sql=sql, body=sql, views={"t": str(files["data"])}, ctes=[], mode="page", **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "sql",
    [
        "select * from read_csv('{canary}')",
        "select * from '{canary}'",
        "select * from t, lateral (select * from read_text('{canary}'))",
        "select getenv('HOME')",
        "select current_setting('allowed_paths')",
        "select * from duckdb_settings()",
        "select * from query('select 1')",
        "select * from glob('/tmp/*')",
        "select * from main.t",
        "select repeat('x', 1000000000)",
        "select list_transform([1, 2], lambda v: v)",
        "select $1",
        "copy t to '/tmp/out.csv'",
        "attach '/tmp/other.db'",
        "pragma database_list",
        "set memory_limit = '100GB'",
        "load httpfs",
        "describe t",
        "select 1; select 2",
        "select * from unknown_table",
    ],
)
def test_duckdbs_own_parse_is_held_to_the_allowlist(sql: str, lg_files: dict[str, Path]):
    sql = sql.format(canary=lg_files["canary"])
    with pytest.raises(AstRefused):
        check_with_duckdb(job(sql, lg_files))


def test_a_locked_connection_reads_its_datasets_and_nothing_else(lg_files: dict[str, Path], tmp_path: Path):
    con = open_locked(job("select 1", lg_files))
    try:
        assert con.execute("select count(*), sum(x) from t").fetchall() == [(1000, 499500)]
        canary = lg_files["canary"]
        refused = [
            f"select * from read_csv('{canary}')",
            f"select * from '{canary}'",
            f"select * from glob('{tmp_path}/*')",
            f"copy (select 1) to '{tmp_path}/out.csv'",
            f"copy t to '{lg_files['data']}'",
            f"attach '{tmp_path}/other.db'",
            f"export database '{tmp_path}/export'",
            "install httpfs",
            "load httpfs",
            "set memory_limit = '100GB'",
            "set enable_external_access = true",
            "reset lock_configuration",
            "select getenv('HOME')",
        ]
        for sql in refused:
            with pytest.raises(duckdb.Error):
                con.execute(sql).fetchall()
        assert not (tmp_path / "out.csv").exists() and not (tmp_path / "other.db").exists()
        assert pq.read_table(lg_files["data"]).num_rows == 1000
    finally:
        con.close()


def run(sql: str, lg_files: dict[str, Path], limits: SqlLimits, tmp_path: Path) -> object:
    checked = check_sql(sql)
    j = Job(sql=sql, body=checked.body, views={"t": str(lg_files["data"])}, ctes=checked.ctes, mode="page")
    return answer(checked, run_job(j, limits, tmp_path), limits)


def test_a_runaway_recursive_query_stops_at_the_time_limit(lg_files: dict[str, Path], tmp_path: Path):
    started = time.monotonic()
    with pytest.raises(TimedOut) as e:
        run(
            "with recursive r(n) as (select 1 union all select n + 1 from r) select count(*) from r",
            lg_files,
            SqlLimits(timeout_ms=2000, memory_limit="256MB"),
            tmp_path,
        )
    assert e.value.status == 408
    assert time.monotonic() - started < 2 + GRACE


def test_a_cross_join_that_would_take_all_memory_stops_at_the_memory_limit(
    lg_files: dict[str, Path], tmp_path: Path
):
    started = time.monotonic()
    with pytest.raises(TooLarge) as e:
        run(
            "select string_agg(a.s || b.s || c.s, ',') from t a, t b, t c",
            lg_files,
            SqlLimits(timeout_ms=60_000, memory_limit="128MB"),
            tmp_path,
        )
    assert e.value.status == 413 and "128MB" in e.value.message
    assert time.monotonic() - started < 60


def test_memory_duckdb_does_not_count_is_capped_by_the_worker_process(
    lg_files: dict[str, Path], tmp_path: Path
):
    # DuckDB is let use 8 GB, the process only 300 MB more than it starts with
    limits = SqlLimits(timeout_ms=60_000, memory_limit="8GB", process_memory=300 << 20)
    with pytest.raises(TooLarge):
        run("select length(string_agg(a.s || b.s, '')) from t a, t b, t c", lg_files, limits, tmp_path)
    # the host process is unharmed, and a query within the caps still runs
    assert run("select count(*) from t", lg_files, limits, tmp_path)["rows"] == [[1000]]  # type: ignore[index]


def test_the_worker_is_killed_when_the_caller_goes_away(lg_files: dict[str, Path], tmp_path: Path):
    control = QueryControl(600)
    sql = "with recursive r(n) as (select 1 union all select n + 1 from r) select count(*) from r"
    outcome: dict[str, object] = {}

    def work() -> None:
        try:
            control.call(run, sql, lg_files, SqlLimits(timeout_ms=600_000), tmp_path)
        except Exception as e:  # the error is what the test looks at
            outcome["error"] = e
        outcome["at"] = time.monotonic()

    thread = threading.Thread(target=work)
    thread.start()
    # the worker running the query: the one the control watches, once it keeps a CPU busy
    # (the pool starting its next worker beside it is another process, left running)
    deadline = time.monotonic() + 60
    worker: psutil.Process | None = None
    while worker is None:
        assert time.monotonic() < deadline, "no worker runs the query"
        watched = [c for c in list(control._connections) if isinstance(c, _Worker)]
        if watched:
            proc = psutil.Process(watched[0].pid)
            before = proc.cpu_times().user
            time.sleep(0.5)
            if proc.cpu_times().user - before > 0.05:
                worker = proc
        else:
            time.sleep(0.1)
    stopped_at = time.monotonic()
    control.stop(GONE)
    thread.join(30)
    assert isinstance(outcome["error"], Cancelled)
    assert outcome["at"] - stopped_at < 5  # type: ignore[operator]
    assert not (worker.is_running() and worker.status() != psutil.STATUS_ZOMBIE)


def test_a_store_query_keeps_nothing_in_its_scratch_space(tmp_path: Path):
    store = DatasetStore(StoreConfig(root=tmp_path / "store"))
    try:
        g = GuardedStore(store)
        src = store.staging_path()
        src.write_text("a\n1\n2\n")
        g.create_from_file(Principal("ada"), src, name="t")
        assert g.sql_query(Principal("ada"), "select sum(a) from t")["rows"] == [[3]]
        assert list(store.work_dir.iterdir()) == [] and list(store.staging_dir.iterdir()) == []
    finally:
        store.close()


def test_a_fault_of_the_worker_is_a_server_error_logged_not_the_query_s(
    lg_files: dict[str, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    # a job our own code got wrong (a page limit that is no number) is not the query's doing
    limits = SqlLimits(timeout_ms=10_000, memory_limit="256MB")
    sql = "select count(*) as n from t"
    checked = check_sql(sql)
    job = Job(sql=sql, body=checked.body, views={"t": str(lg_files["data"])}, ctes=checked.ctes, mode="page")
    job.limit = "many"  # type: ignore[assignment]
    with caplog.at_level(logging.ERROR), pytest.raises(RuntimeError, match="worker failed"):
        answer(checked, run_job(job, limits, tmp_path), limits)
    assert "ValueError" in caplog.text and "invalid literal for int()" in caplog.text
    # the next query runs as before
    assert run(sql, lg_files, limits, tmp_path)["rows"] == [[1000]]
