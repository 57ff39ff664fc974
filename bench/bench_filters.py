"""A chart filtered by a long list of values: the engine next to the best libraries, side by side.

The heaviest filter the default limits allow is ``max_filter_values`` (10,000) values in ``in``
lists. On one Parquet file of N rows (default 1M) this times, alternately, repetition by repetition:

* spec → ``ChartResult`` (cache off): a bar chart of the mean value per group over the rows whose
  key is in the list (the engine binds the list as one parameter);
* the same answer by hand: DuckDB SQL with the list as one parameter, and pyarrow ``is_in``;
* the same SQL with one ``?`` per value (what the engine did before), for reference.

    python bench/bench_filters.py --rows 1000000 --values 10000
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from livegraphs_ext.store.charts import EngineConfig, run_chart_file  # noqa: E402
from livegraphs_ext.store.schema import ColumnInfo  # noqa: E402

COLUMNS = [ColumnInfo("key", "integer"), ColumnInfo("grp", "integer"), ColumnInfo("v", "float")]


def make_data(path: Path, rows: int) -> Path:
    rng = np.random.default_rng(11)
    table = pa.table(
        {"key": rng.integers(0, rows, rows), "grp": rng.integers(0, 100, rows), "v": rng.normal(size=rows)}
    )
    pq.write_table(table, path, row_group_size=122_880, compression="zstd")
    return path


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--values", type=int, default=10_000)
    p.add_argument("--reps", type=int, default=5)
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = make_data(Path(tmp) / "data.parquet", a.rows)
        keys = [int(k) for k in np.random.default_rng(5).choice(a.rows, a.values, replace=False)]
        spec = {
            "version": 1,
            "dataset": {"id": "0" * 32},
            "mark": "bar",
            "encoding": {"x": {"field": "grp"}, "y": {"field": "v", "aggregate": "mean"}},
            "filters": [{"column": "key", "cmp": "in", "value": keys}],
        }
        file = str(path).replace("'", "''")
        group = f"SELECT grp, avg(v) FROM read_parquet('{file}') WHERE key IN {{}} GROUP BY grp"
        con = duckdb.connect()

        def engine() -> Any:
            return run_chart_file(path, COLUMNS, spec, config=EngineConfig())

        def duckdb_list() -> Any:
            return con.sql(
                group.format("(SELECT unnest(CAST(? AS BIGINT[])))"), params=[keys]
            ).to_arrow_table()

        def duckdb_per_value() -> Any:
            marks = ", ".join("?" for _ in keys)
            return con.sql(group.format(f"({marks})"), params=keys).to_arrow_table()

        value_set = pa.array(keys, pa.int64())

        def pyarrow_is_in() -> Any:
            rows = pads.dataset(path).to_table(filter=pc.field("key").isin(value_set))
            return rows.group_by("grp").aggregate([("v", "mean")])

        cases: dict[str, Callable[[], Any]] = {
            "engine (spec → result)": engine,
            "duckdb, list as one parameter": duckdb_list,
            "pyarrow is_in": pyarrow_is_in,
            "duckdb, one ? per value (before)": duckdb_per_value,
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        for fn in cases.values():
            fn()  # warm up
        for _ in range(a.reps):
            for name, fn in cases.items():
                t0 = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t0)
        medians = {name: statistics.median(ts) for name, ts in times.items()}
        best = min(medians["duckdb, list as one parameter"], medians["pyarrow is_in"])
        rows = [
            {"case": name, "median_s": round(m, 4), "ratio_to_best_library": round(m / best, 2)}
            for name, m in medians.items()
        ]
        print(json.dumps({"rows": a.rows, "values": a.values, "reps": a.reps, "results": rows}, indent=1))


if __name__ == "__main__":
    main()
