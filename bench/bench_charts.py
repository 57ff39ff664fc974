"""Chart engine: spec → result next to hand-written DuckDB SQL for the same answer, side by side.

Reports, on one Parquet file of N rows (default 10M; DuckDB-sized row groups, zstd):

* spec → ``ChartResult`` (cache off) against the same aggregation written by hand in DuckDB SQL
  (group by category, time bucket by day, 2-D grid of a dense scatter); goal at most 1.5 times;
* payload size of results as JSON and as Arrow IPC;
* the line path (DuckDB read + tsdownsample M4 in the engine) against M4 written in DuckDB SQL;
* the notebook path: the same aggregations by ``lg.query_chart`` over a store holding the first
  ``--notebook-rows`` rows (ingested from CSV), against the hand-written SQL over the store's file.

    python bench/bench_charts.py --rows 10000000
"""

from __future__ import annotations

import argparse
import json
import os
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
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from livegraphs_ext.store.charts import EngineConfig, run_chart_file  # noqa: E402
from livegraphs_ext.store.schema import ColumnInfo  # noqa: E402

COLUMNS = [
    ColumnInfo("id", "integer"),
    ColumnInfo("price", "float"),
    ColumnInfo("x", "float"),
    ColumnInfo("y", "float"),
    ColumnInfo("category", "string"),
    ColumnInfo("ts", "datetime"),
]


def make_data(path: Path, rows: int, seed: int = 42) -> Path:
    """The benchmark data of bench/gen_data.py (same distributions), without the free-text column."""
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    schema = pa.schema(
        [
            ("id", pa.int64()),
            ("price", pa.float64()),
            ("x", pa.float64()),
            ("y", pa.float64()),
            ("category", pa.string()),
            ("ts", pa.timestamp("us")),
        ]
    )
    tmp = path.with_suffix(".tmp")
    with pq.ParquetWriter(tmp, schema, compression="zstd") as w:
        step = 1_000_000
        for start in range(0, rows, step):
            n = min(step, rows - start)
            ids = np.arange(start, start + n)
            x = rng.normal(0, 1, n)
            t = pa.table(
                {
                    "id": ids,
                    "price": pa.array(np.round(rng.lognormal(3, 1, n), 2), mask=rng.random(n) < 0.02),
                    "x": np.round(x, 4),
                    "y": np.round(x * 0.6 + rng.normal(0, 0.8, n), 4),
                    "category": pa.array(
                        np.char.add("cat_", (rng.zipf(1.6, n) % 100).astype(str)), mask=rng.random(n) < 0.01
                    ),
                    "ts": pa.array(
                        np.datetime64("2024-01-01T00:00:00", "us") + (ids * 3).astype("timedelta64[s]")
                    ),
                },
                schema=schema,
            )
            w.write_table(t, row_group_size=122_880)
    tmp.replace(path)
    return path


def timed(fn: Callable[[], Any], reps: int) -> tuple[float, float, Any]:
    med, low, _, out = timed_cpu(fn, reps)
    return med, low, out


def timed_cpu(fn: Callable[[], Any], reps: int) -> tuple[float, float, float, Any]:
    """Median and least wall time, and median CPU time of this process (all threads; steadier on a
    shared machine than wall time), of ``reps`` runs after a warm-up."""
    fn()  # warm-up
    times, cpu, out = [], [], None
    for _ in range(reps):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return statistics.median(times), min(times), statistics.median(cpu), out


def hand(path: Path, sql: str) -> Callable[[], pa.Table]:
    def run() -> pa.Table:
        con = duckdb.connect(config={"threads": 2})
        try:
            return con.sql(sql.replace("SRC", f"read_parquet('{path}')")).to_arrow_table()
        finally:
            con.close()

    return run


def notebook_path(a: argparse.Namespace, path: Path, cases: list[Any], results: list[dict[str, Any]]) -> None:
    """The cases as a notebook kernel runs them: ``lg.query_chart`` over the kernel's store (no cache)."""
    from livegraphs_ext.kernel import notebook

    for n in a.notebook_rows:
        with tempfile.TemporaryDirectory(prefix="lg-bench-") as tmp:
            csv = Path(tmp) / "rows.csv"
            duckdb.sql(f"COPY (SELECT * FROM read_parquet('{path}') LIMIT {n}) TO '{csv}' (HEADER)")
            os.environ["LIVEGRAPHS_DATA_DIR"] = str(Path(tmp) / "store")
            notebook._store.cache_clear()
            store = notebook.store()
            ds = store.create_from_file(csv, name="bench", owner="bench", content_type="text/csv")
            file = store.version_file(ds["id"])
            print(f"\nnotebook path (lg.query_chart), {n:,} rows")
            print(
                f"{'case':52} {'lg.query_chart ms':>18} {'hand SQL ms':>16} {'ratio':>6}"
                f" {'CPU ms query_chart; hand':>25} {'ratio':>6}"
            )
            for name, s, sql in cases:
                spec = {**s, "dataset": {"id": ds["id"]}}
                e_med, e_min, e_cpu, _ = timed_cpu(lambda spec=spec: notebook.query_chart(spec), a.reps)
                h_med, h_min, h_cpu, _ = timed_cpu(hand(file, sql), a.reps)
                print(
                    f"{name:52} {e_med * 1e3:10.1f}; {e_min * 1e3:6.1f} "
                    f"{h_med * 1e3:8.1f}; {h_min * 1e3:6.1f} {e_med / h_med:5.2f}x"
                    f" {e_cpu * 1e3:14.1f}; {h_cpu * 1e3:8.1f} {e_cpu / h_cpu:5.2f}x"
                )
                results.append(
                    {
                        "case": f"notebook {n} rows: {name}",
                        "engine_ms": e_med * 1e3,
                        "hand_ms": h_med * 1e3,
                        "ratio": e_med / h_med,
                        "engine_cpu_ms": e_cpu * 1e3,
                        "hand_cpu_ms": h_cpu * 1e3,
                        "cpu_ratio": e_cpu / h_cpu,
                    }
                )
            notebook._store.cache_clear()
            store.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--data", type=Path, default=HERE / "data")
    ap.add_argument(
        "--notebook-rows",
        type=lambda v: [int(n) for n in v.split(",") if n],
        default=[10_000, 1_000_000],
        help="comma-separated row counts of the notebook-path cases (empty: none)",
    )
    a = ap.parse_args()
    a.data.mkdir(exist_ok=True)
    path = make_data(a.data / f"charts_{a.rows}.parquet", a.rows)
    config = EngineConfig(threads=2, memory_limit="2GB")

    def spec(mark: str, enc: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {"version": 1, "dataset": {"id": "b" * 32}, "mark": mark, "encoding": enc, **extra}

    def engine(s: dict[str, Any]) -> Callable[[], Any]:
        return lambda: run_chart_file(path, COLUMNS, s, rows=a.rows, config=config)

    cases = [
        (
            "group by category: sum(price)",
            spec("bar", {"x": {"field": "category"}, "y": {"field": "price", "aggregate": "sum"}}),
            "SELECT category, sum(price) FROM SRC GROUP BY category ORDER BY category",
        ),
        (
            "time bucket by day: mean(price)",
            spec(
                "line",
                {"x": {"field": "ts", "timeUnit": "day"}, "y": {"field": "price", "aggregate": "mean"}},
            ),
            "SELECT date_trunc('day', ts) AS d, avg(price) FROM SRC GROUP BY d ORDER BY d",
        ),
        (
            "stacked: category x month, top 10 by count",
            spec(
                "bar",
                {"x": {"field": "category"}, "color": {"field": "ts", "timeUnit": "month"}},
                sort={"by": "y", "order": "descending"},
                limit=10,
            ),
            "WITH top AS (SELECT category FROM SRC GROUP BY category ORDER BY count(*) DESC LIMIT 10) "
            "SELECT s.category, date_trunc('month', ts) AS m, count(*) FROM SRC s SEMI JOIN top "
            "ON s.category IS NOT DISTINCT FROM top.category GROUP BY ALL",
        ),
        (
            "histogram of x: 100 bins at most (min/max + counts)",
            spec("histogram", {"x": {"field": "x", "bin": {"maxbins": 100}}}),
            "WITH e AS (SELECT min(x) x0, max(x) x1 FROM SRC) "
            "SELECT least(floor(x / 0.2), floor(x1 / 0.2)) * 0.2 AS b, count(*) FROM SRC, e "
            "WHERE x IS NOT NULL GROUP BY b",
        ),
        (
            "dense scatter x,y: 2-D grid (min/max + 70x70 counts)",
            spec("scatter", {"x": {"field": "x"}, "y": {"field": "y"}}),
            "WITH e AS (SELECT min(x) x0, max(x) x1, min(y) y0, max(y) y1 FROM SRC) "
            "SELECT least(floor((x - x0) / ((x1 - x0) / 70)), 69) AS i, "
            "least(floor((y - y0) / ((y1 - y0) / 70)), 69) AS j, count(*) FROM SRC, e GROUP BY i, j",
        ),
    ]
    results: list[dict[str, Any]] = []
    print(f"rows: {a.rows:,}  file: {path.stat().st_size / 1e6:.0f} MB  reps: {a.reps} (median; min)")
    print(
        f"{'case':52} {'engine ms':>16} {'hand SQL ms':>16} {'ratio':>6} {'marks':>6}"
        f" {'CPU ms engine; hand':>20} {'ratio':>6}"
    )
    for name, s, sql in cases:
        e_med, e_min, e_cpu, r = timed_cpu(engine(s), a.reps)
        h_med, h_min, h_cpu, _ = timed_cpu(hand(path, sql), a.reps)
        ratio = e_med / h_med
        print(
            f"{name:52} {e_med * 1e3:8.1f}; {e_min * 1e3:6.1f} {h_med * 1e3:8.1f}; {h_min * 1e3:6.1f} "
            f"{ratio:5.2f}x {r.marks:6} {e_cpu * 1e3:9.0f}; {h_cpu * 1e3:8.0f} {e_cpu / h_cpu:5.2f}x"
        )
        results.append(
            {
                "case": name,
                "engine_ms": e_med * 1e3,
                "hand_ms": h_med * 1e3,
                "ratio": ratio,
                "engine_cpu_ms": e_cpu * 1e3,
                "hand_cpu_ms": h_cpu * 1e3,
                "cpu_ratio": e_cpu / h_cpu,
            }
        )

    # ---- the line path: DuckDB read + tsdownsample M4 vs M4 in SQL (same number of output points)
    line = spec("line", {"x": {"field": "ts"}, "y": {"field": "x"}})
    e_med, e_min, r = timed(engine(line), a.reps)
    buckets = max(1, r.marks // 4)
    m4_sql = (
        f"WITH b AS (SELECT ts, x, ntile({buckets}) OVER (ORDER BY ts) AS k FROM SRC), "
        "agg AS (SELECT k, arg_min(ts, ts) t0, arg_max(ts, ts) t1, arg_min(ts, x) tmin, arg_max(ts, x) tmax "
        "FROM b GROUP BY k) "
        "SELECT DISTINCT b.ts, b.x FROM b JOIN agg ON b.k = agg.k "
        "AND b.ts IN (agg.t0, agg.t1, agg.tmin, agg.tmax) "
        "ORDER BY b.ts"
    )
    h_med, h_min, h_out = timed(hand(path, m4_sql), a.reps)
    from tsdownsample import M4Downsampler

    arrays = pq.read_table(path, columns=["ts", "x"])
    xs, ys = arrays.column("ts").cast(pa.int64()).to_numpy(), arrays.column("x").to_numpy()
    t_med, _, _ = timed(lambda: M4Downsampler().downsample(xs, ys, n_out=r.marks - r.marks % 4), a.reps)
    print(
        f"\nline of {a.rows:,} raw points → {r.marks:,} ({r.reduction and r.reduction['message']})\n"
        f"  engine (DuckDB read + tsdownsample M4): {e_med * 1e3:8.1f} ms (min {e_min * 1e3:.1f})\n"
        f"  M4 written in DuckDB SQL:               {h_med * 1e3:8.1f} ms (min {h_min * 1e3:.1f}) "
        f"→ {h_out.num_rows:,} points; SQL ÷ engine = {h_med / e_med:.1f}x\n"
        f"  tsdownsample M4 alone on arrays in memory: {t_med * 1e3:6.1f} ms"
    )
    results.append(
        {
            "case": "line M4",
            "engine_ms": e_med * 1e3,
            "sql_m4_ms": h_med * 1e3,
            "tsdownsample_ms": t_med * 1e3,
        }
    )

    # ---- payload sizes
    print(f"\n{'payload':52} {'JSON bytes':>12} {'Arrow IPC bytes':>16}")
    payloads = [
        ("line, 5,000 downsampled points (datetime, float)", line),
        ("time bucket by day", cases[1][1]),
        ("dense scatter grid", cases[4][1]),
        ("table page of 1,000 rows", spec("table", {}, limit=1000)),
    ]
    for name, s in payloads:
        res = engine(s)()
        j, b = len(res.to_json_bytes()), len(res.to_arrow_bytes())
        print(f"{name:52} {j:12,} {b:16,}")
        results.append({"case": f"payload: {name}", "json_bytes": j, "arrow_bytes": b})

    notebook_path(a, path, cases, results)

    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "bench_charts.json").write_text(json.dumps({"rows": a.rows, "results": results}, indent=1))


if __name__ == "__main__":
    main()
