"""The chart engine's DuckDB reads the chart's one Parquet file and nothing else, and keeps its settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from livegraphs_ext.store import BadInput
from livegraphs_ext.store.charts import EngineConfig, run_chart_file
from livegraphs_ext.store.charts import compile as C
from livegraphs_ext.store.charts.pool import ConnectionPool, LockedConnection
from livegraphs_ext.store.schema import ColumnInfo

#: a column name that would end the quoted identifier and read a file, were it pasted into SQL
HOSTILE = "a\") AS v FROM read_csv('SECRET') --"


@pytest.fixture
def lg_files(tmp_path: Path) -> dict[str, Path]:
    secret = tmp_path / "secret.csv"
    secret.write_text("password\nhunter2\n")
    other = tmp_path / "other.parquet"
    pq.write_table(pa.table({"k": ["x"]}), other)
    data = tmp_path / "data" / "v1.parquet"
    data.parent.mkdir()
    pq.write_table(pa.table({"g": ["a", "b", "a"], "n": [1, 2, 3], HOSTILE: [10, 20, 30]}), data)
    return {"secret": secret, "other": other, "data": data}


COLS = [ColumnInfo("g", "string"), ColumnInfo("n", "integer"), ColumnInfo(HOSTILE, "integer")]


def bar(**extra: Any) -> dict[str, Any]:
    enc = {"x": {"field": "g"}, "y": {"field": "n", "aggregate": "sum"}}
    return {"version": 1, "dataset": {"id": "d" * 32}, "mark": "bar", "encoding": enc, **extra}


def test_a_locked_connection_reads_its_file_and_refuses_every_other_file(lg_files, tmp_path):
    locked = LockedConnection(lg_files["data"], EngineConfig(), row_numbers=True)
    con = locked.con
    try:
        assert con.sql("SELECT count(*), sum(n) FROM src").fetchall() == [(3, 6)]
        secret, other = str(lg_files["secret"]), str(lg_files["other"])
        out = tmp_path / "out.csv"
        probes = [
            f"SELECT * FROM read_csv('{secret}')",
            f"SELECT * FROM '{secret}'",
            f"SELECT * FROM read_text('{secret}')",
            f"SELECT * FROM read_blob('{secret}')",
            f"SELECT * FROM glob('{tmp_path}/*')",
            f"SELECT * FROM sniff_csv('{secret}')",
            f"SELECT * FROM read_parquet('{other}')",
            f"SELECT * FROM read_parquet('{lg_files['data'].parent}/../other.parquet')",
            f"SELECT * FROM read_csv('file://{secret}')",
            f"COPY (SELECT 1) TO '{out}'",
            f"ATTACH '{tmp_path / 'x.duckdb'}' AS x",
            "INSTALL httpfs",
            "LOAD httpfs",
        ]
        for sql in probes:
            with pytest.raises(duckdb.Error):
                con.sql(sql).fetchall()
        assert not out.exists() and not (tmp_path / "x.duckdb").exists()
        settings = [
            "SET enable_external_access = true",
            "RESET enable_external_access",
            "SET lock_configuration = false",
            f"SET allowed_directories = ['{tmp_path}']",
            f"SET allowed_paths = ['{secret}']",
            "SET memory_limit = '64GB'",
            "SET threads = 64",
            "SET max_temp_directory_size = '1TB'",
            "SET GLOBAL max_execution_time = 0",
            "PRAGMA threads = 64",
            "SET autoinstall_known_extensions = true",
            "SET disabled_filesystems = ''",
        ]
        for sql in settings:
            with pytest.raises(duckdb.Error, match=r"(?i)locked"):
                con.execute(sql)
        assert con.sql("SELECT current_setting('enable_external_access')").fetchall() == [(False,)]
        # still readable after every refusal
        assert con.sql("SELECT count(*) FROM src").fetchall() == [(3,)]
    finally:
        locked.close()


def test_a_crafted_column_name_is_a_column_never_sql(lg_files):
    s = bar()
    s["encoding"]["y"] = {"field": HOSTILE, "aggregate": "sum"}
    s["filters"] = [{"formula": f"[{HOSTILE}] > 10"}]
    r = run_chart_file(lg_files["data"], COLS, s, rows=3)
    assert r.to_json()["data"] == {"x": ["a", "b"], "y": [30, 20]}


def test_file_functions_in_a_formula_filter_are_refused(lg_files):
    secret = str(lg_files["secret"])
    for formula in [f"read_csv('{secret}') = 1", f"len(read_text('{secret}')) > 0"]:
        with pytest.raises(BadInput) as e:
            run_chart_file(lg_files["data"], COLS, bar(filters=[{"formula": formula}]), rows=3)
        assert e.value.status == 400


def test_sql_that_reached_the_engine_could_not_read_a_file_or_run_a_second_statement(lg_files, monkeypatch):
    """Should the compiler ever let text through, DuckDB itself still refuses."""
    secret = str(lg_files["secret"])
    real = C.where_frag

    def leaky(spec: Any, columns: Any, extra: Any = ()) -> Any:
        frag = real(spec, columns, extra)
        return C.Frag(f" WHERE (SELECT count(*) FROM read_csv('{secret}')) > 0", frag.params)

    monkeypatch.setattr(C, "where_frag", leaky)
    with pytest.raises(BadInput) as e:
        run_chart_file(lg_files["data"], COLS, bar(), rows=3)
    assert "Permission" in e.value.message

    monkeypatch.setattr(C, "where_frag", real)
    out = lg_files["data"].parent / "copy.csv"
    grouped = C.Grouped.query

    def second(self: Any, *args: Any, **kw: Any) -> Any:
        q = grouped(self, *args, **kw)
        return C.Query(f"{q.sql}; COPY (SELECT 1) TO '{out}'", q.params)

    monkeypatch.setattr(C.Grouped, "query", second)
    with pytest.raises(BadInput) as e:
        run_chart_file(lg_files["data"], COLS, bar(), rows=3)
    assert e.value.message == "The chart query is not a single SELECT"
    assert not out.exists()


def test_pooled_connections_serve_one_file_each_and_stay_locked(lg_files, tmp_path, monkeypatch):
    pool = ConnectionPool(max_idle=2)
    try:
        first = run_chart_file(lg_files["data"], COLS, bar(), rows=3, pool=pool)
        again = run_chart_file(lg_files["data"], COLS, bar(), rows=3, pool=pool)
        assert first.to_json()["data"] == again.to_json()["data"] == {"x": ["a", "b"], "y": [4, 2]}
        assert (pool.opened, len(pool)) == (1, 1)
        # another file is never read through the first file's connection
        other = tmp_path / "data" / "v2.parquet"
        pq.write_table(pa.table({"g": ["z"], "n": [9], HOSTILE: [0]}), other)
        assert run_chart_file(other, COLS, bar(), rows=1, pool=pool).to_json()["data"] == {
            "x": ["z"],
            "y": [9],
        }
        assert (pool.opened, len(pool)) == (2, 2)
        kept = [c for _, c in pool._idle.values()]
        for conn in kept:
            elsewhere = other if conn.path == lg_files["data"] else lg_files["data"]
            with pytest.raises(duckdb.Error):
                conn.con.sql(f"SELECT * FROM read_parquet('{elsewhere}')").fetchall()
            with pytest.raises(duckdb.Error, match=r"(?i)locked"):
                conn.con.execute("SET enable_external_access = true")
        # raw rows need the file's row numbers: a connection of their own
        raw = {**bar(), "mark": "table", "encoding": {}}
        run_chart_file(lg_files["data"], COLS, raw, rows=3, pool=pool)
        assert pool.opened == 3 and len(pool) == 2  # the least recently used was closed
        # a failed query's connection is closed, not kept
        monkeypatch.setattr(C.Grouped, "query", lambda self, *a, **kw: C.Query("SELECT nothing FROM src"))
        pool.max_idle, idle = 10, len(pool)
        with pytest.raises(BadInput, match="nothing"):
            run_chart_file(lg_files["data"], COLS, bar(), rows=3, pool=pool)
        assert len(pool) == idle and pool.opened == 4
    finally:
        pool.close()
    assert len(pool) == 0


def test_a_version_file_reached_through_symlinks_still_reads(lg_files, tmp_path):
    """A store under a symlinked folder, or a linked file, is still allowed by its own path."""
    link = tmp_path / "linked"
    link.symlink_to(lg_files["data"].parent, target_is_directory=True)
    file_link = tmp_path / "v1-link.parquet"
    file_link.symlink_to(lg_files["data"])
    for path in (link / "v1.parquet", file_link):
        r = run_chart_file(path, COLS, bar(), rows=3)
        assert r.to_json()["data"] == {"x": ["a", "b"], "y": [4, 2]}
