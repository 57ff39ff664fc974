"""The store's side of bounded queries: filter sizes, lists as one parameter, stopping a query."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from livegraphs_ext.store import DatasetStore, StoreConfig
from livegraphs_ext.store.charts.engine import run_chart_file
from livegraphs_ext.store.charts.pool import EngineConfig
from livegraphs_ext.store.errors import BadInput, Cancelled, TimedOut
from livegraphs_ext.store.filters import (
    MAX_CONDITIONS,
    check_filter_size,
    compile_filter,
    filter_size,
    normalise_filter,
    regex_size,
)
from livegraphs_ext.store.schema import ColumnInfo
from livegraphs_ext.store.stopping import GONE, TIMEOUT, QueryControl, watched

COLUMNS = [ColumnInfo("n", "integer"), ColumnInfo("s", "string"), ColumnInfo("d", "date")]


def test_filter_size_counts_every_value_of_every_group():
    nested = [
        {"column": "n", "cmp": "in", "value": [1, 2, 3]},
        {"combine": "or", "conditions": [{"column": "s", "cmp": "eq", "value": "a"}, {"conditions": [
            {"column": "n", "cmp": "not_in", "value": list(range(10))}, {"formula": "[n] > 1"}]}]},
    ]  # fmt: skip
    assert filter_size(nested) == (4, 3 + 1 + 10 + 1)
    check_filter_size(nested, max_values=15)
    with pytest.raises(BadInput, match="more than 14 values"):
        check_filter_size(nested, max_values=14)
    with pytest.raises(BadInput, match="more than 14 values"):
        normalise_filter(nested, COLUMNS, max_values=14)


def test_conditions_are_counted_over_all_groups():
    # under the limit in each group, over it in all
    group = {"combine": "and", "conditions": [{"column": "n", "cmp": "is_null"}] * 600}
    with pytest.raises(BadInput) as e:
        normalise_filter([group, group], COLUMNS, max_values=10**6)
    assert e.value.reason == "Too many filter conditions" and f"{MAX_CONDITIONS:,}" in e.value.message
    normalise_filter([group], COLUMNS, max_values=10**6)


def test_regular_expressions_are_capped_by_their_size():
    assert regex_size("abc") == 3
    assert regex_size("([a-z]{0,20}){50}") == 1000
    assert regex_size("(a|bc)*x+") == 4
    cheap = [{"column": "s", "cmp": "matches", "value": "^city-[0-9]+$"}] * 20
    normalise_filter(cheap, COLUMNS)
    costly = [{"column": "s", "cmp": "matches", "value": f"([a-z0-9 -]{{0,20}}){{50}}x{j}"} for j in range(3)]
    with pytest.raises(BadInput) as e:
        normalise_filter(costly, COLUMNS)
    assert e.value.reason == "Too complex a pattern"


def test_a_list_is_one_parameter_and_keeps_the_meaning_of_in_and_not_in():
    many = list(range(0, 20_000, 2))
    sql, params = compile_filter([{"column": "n", "cmp": "in", "value": many}], COLUMNS)
    assert len(params) == 1 and sql.count("?") == 1
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE src AS SELECT CASE WHEN i % 7 = 0 THEN NULL ELSE i END AS n, 'v' || i AS s, "
        "DATE '2024-01-01' + i::INTEGER AS d FROM range(100) t(i)"
    )

    def rows(flt):
        where, ps = compile_filter(flt, COLUMNS)
        return [
            r[0] for r in con.execute(f"SELECT n FROM src WHERE {where} ORDER BY n NULLS LAST", ps).fetchall()
        ]

    evens = [n for n in range(100) if n % 2 == 0 and n % 7]
    assert rows([{"column": "n", "cmp": "in", "value": many}]) == evens
    # not_in keeps nulls, as documented
    odds = [n for n in range(100) if n % 2 and n % 7]
    assert rows([{"column": "n", "cmp": "not_in", "value": many}]) == odds + [None] * 15
    assert rows([{"column": "s", "cmp": "in", "value": ["v1", "v3", "nope"]}]) == [1, 3]
    assert rows([{"column": "d", "cmp": "in", "value": ["2024-01-02", "2024-01-05"]}]) == [1, 4]
    assert rows([{"column": "n", "cmp": "in", "value": []}]) == []


def test_engine_config_keeps_the_stores_settings(tmp_path: Path):
    store = DatasetStore(
        StoreConfig(root=tmp_path, duckdb_temp_limit="123MB", query_timeout_ms=4000, max_filter_values=77)
    )
    try:
        config = EngineConfig.of(store)
        assert (config.temp_limit, config.timeout_ms, config.max_filter_values) == ("123MB", 4000, 77)
    finally:
        store.close()


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    n = 1_000_000
    rng = np.random.default_rng(3)
    path = tmp_path_factory.mktemp("big") / "big.parquet"
    pq.write_table(pa.table({"key": rng.integers(0, n, n), "v": rng.normal(size=n)}), path)
    return path


BOXES = {
    "version": 1,
    "dataset": {"id": "0" * 32},
    "mark": "box",
    "encoding": {"x": {"field": "key"}, "y": {"field": "v"}},
}
BIG_COLUMNS = [ColumnInfo("key", "integer"), ColumnInfo("v", "float")]


@pytest.mark.parametrize(("why", "error"), [(TIMEOUT, TimedOut), (GONE, Cancelled)])
def test_stopping_a_control_interrupts_its_running_chart(big_file: Path, why: str, error: type):
    control = QueryControl(time_limit=0.5)
    outcome: dict[str, object] = {}

    def work() -> None:
        try:
            control.call(
                run_chart_file, big_file, BIG_COLUMNS, BOXES, config=EngineConfig(timeout_ms=600_000)
            )
            outcome["result"] = "finished"
        except Exception as e:
            outcome["result"] = e
        outcome["ended"] = time.monotonic()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(0.5)
    assert thread.is_alive(), "the chart finished too soon to be stopped"
    stopped_at = time.monotonic()
    control.stop(why)
    thread.join(60)
    assert isinstance(outcome["result"], error), outcome
    assert control.interrupted >= 1
    lag = float(outcome["ended"]) - stopped_at  # type: ignore[arg-type]
    # the whole chart, not stopped, takes far longer than the stop took to land
    started = time.monotonic()
    run_chart_file(big_file, BIG_COLUMNS, BOXES)
    whole = time.monotonic() - started
    print(f"stopped {lag:.2f} s after stop(); the whole chart takes {whole:.1f} s")
    assert lag < whole / 2


def test_a_stopped_control_starts_no_more_queries():
    control = QueryControl(time_limit=3)
    control.stop(TIMEOUT)
    con = duckdb.connect()
    with control.running(), pytest.raises(TimedOut, match="time limit of 3 s"), watched(con):
        con.execute("SELECT 1")
    # outside any control, connections are not watched
    with watched(con):
        assert con.execute("SELECT 1").fetchall() == [(1,)]
