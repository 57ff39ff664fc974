"""A notebook's first chart, and warm charts, next to DuckDB, in real fresh kernels.

Each round starts two fresh ipykernels, in turn (the order swaps every round):

* **livegraphs**: ``import livegraphs_ext as lg``, then the first ``lg.chart(...)`` of the kernel,
  then a second chart (another spec, same dataset: warm), then warm ``lg.query_chart`` calls
  (the store's result cache off) alternating with the same aggregation written by hand in DuckDB
  SQL over the dataset's Parquet file, on one DuckDB connection kept open;
* **duckdb**: ``import duckdb``, the first hand-written query of the kernel (connect included),
  then a second one.

Reported: medians over the rounds. Goals: the first chart costs at most 300 ms more than a warm
one; a warm ``lg.query_chart`` takes at most 1.5 times the hand-written DuckDB query. What a fresh
kernel pays in all (the import, then the first chart, less a warm one) is reported next to what
DuckDB's own first query pays there (its import, connection and pyarrow's import).

    python bench/bench_first_chart.py --rounds 5 --rows 200000
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from jupyter_client.manager import KernelManager

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

CHART = 'lg.chart("sales", mark="bar", x="month(order_date)", y="sum(revenue)", color="region")'
WARM_CHART = 'lg.chart("sales", mark="bar", x="category", y="sum(units)")'
#: the first chart's aggregation, by hand
SQL = (
    "SELECT date_trunc('month', order_date) AS x, region AS color, sum(revenue) AS y "
    "FROM read_parquet({file}) GROUP BY ALL ORDER BY x, color"
)
SPEC = {
    "version": 1,
    "dataset": {"name": "sales"},
    "mark": "bar",
    "encoding": {
        "x": {"field": "order_date", "timeUnit": "month"},
        "y": {"field": "revenue", "aggregate": "sum"},
        "color": {"field": "region"},
    },
}

_TIMED = "_t = time.perf_counter()\n_c = {}\nassert not _c.error, _c.error\nprint(time.perf_counter() - _t)"
LG_CELLS = [
    "import time\n_t = time.perf_counter()\nimport livegraphs_ext as lg\nprint(time.perf_counter() - _t)",
    _TIMED.format(CHART),
    _TIMED.format(WARM_CHART),
    """
import duckdb, statistics
from livegraphs_ext.kernel import notebook
from livegraphs_ext.store.charts import ChartCache
_s = notebook.store()
_s.charts.cache = ChartCache(0)
_file = str(_s.version_file(_s.find("sales")["id"])).replace("'", "''")
_con = duckdb.connect(config={"threads": 2})
_spec, _sql = SPEC, SQL.format(file=f"'{_file}'")
_lg, _hand = [], []
for _ in range(REPS):
    _t = time.perf_counter(); _r = lg.query_chart(_spec); _lg.append(time.perf_counter() - _t)
    _t = time.perf_counter(); _h = _con.sql(_sql).to_arrow_table(); _hand.append(time.perf_counter() - _t)
assert _r.table.num_rows == _h.num_rows, (_r.table.num_rows, _h.num_rows)
print(statistics.median(_lg), statistics.median(_hand))
""",
]
DUCKDB_CELLS = [
    "import time\n_t = time.perf_counter()\nimport duckdb\nprint(time.perf_counter() - _t)",
    "_t = time.perf_counter()\n_con = duckdb.connect(config={'threads': 2})\n"
    "_h = _con.sql(SQL).to_arrow_table()\nprint(time.perf_counter() - _t)",
    "_t = time.perf_counter()\n_h = _con.sql(SQL).to_arrow_table()\nprint(time.perf_counter() - _t)",
]


def run_kernel(cells: list[str], env: dict[str, str], cwd: Path) -> list[list[float]]:
    """Run ``cells`` in a fresh kernel; the numbers each printed."""
    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(cwd), env=env)
    client = km.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=120)
        out = []
        for code in cells:
            printed: list[str] = []
            reply = client.execute_interactive(code, timeout=600, output_hook=_collect(printed))
            if reply["content"]["status"] != "ok":
                raise RuntimeError(f"{reply['content'].get('ename')}: {reply['content'].get('evalue')}")
            out.append([float(v) for v in "".join(printed).split()])
        return out
    finally:
        client.stop_channels()
        km.shutdown_kernel(now=True)


def _collect(into: list[str]) -> Any:
    def hook(msg: dict[str, Any]) -> None:
        if msg["msg_type"] == "stream" and msg["content"]["name"] == "stdout":
            into.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            into.append("")

    return hook


def make_store(root: Path, rows: int) -> Path:
    """A store holding a ``sales`` of ``rows`` rows (the sample's generator) and its Parquet file."""
    from livegraphs_ext.kernel import notebook, sample_data

    os.environ["LIVEGRAPHS_DATA_DIR"] = str(root / "store")
    notebook._store.cache_clear()
    store = notebook.store()
    try:
        csv = sample_data.write_csv(root / "sales.csv", sample_data.sales(rows=rows))
        # the kernels' own dataset, as a notebook's user's uploads are
        ds = store.create_from_file(csv, name="sales", owner=notebook._me(), content_type="text/csv")
        return store.version_file(ds["id"])
    finally:
        store.close()
        notebook._store.cache_clear()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--reps", type=int, default=15, help="warm query pairs per livegraphs kernel")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="lg-bench-first-") as tmp:
        root = Path(tmp)
        file = make_store(root, a.rows)
        env = {**os.environ, "LIVEGRAPHS_DATA_DIR": str(root / "store")}
        env.pop("LIVEGRAPHS_SERVICE_URL", None)
        env.pop("JUPYTERHUB_API_TOKEN", None)
        sql = SQL.format(file="'" + str(file).replace("'", "''") + "'")
        lg_cells = [
            c.replace("SPEC", repr(SPEC)).replace("SQL", repr(SQL)).replace("REPS", str(a.reps))
            for c in LG_CELLS
        ]
        duck_cells = [c.replace("SQL", repr(sql)) for c in DUCKDB_CELLS]
        lg_runs, duck_runs = [], []
        for r in range(a.rounds):
            order = [("lg", lg_cells), ("duckdb", duck_cells)]
            for name, cells in order if r % 2 == 0 else order[::-1]:
                got = run_kernel(cells, env, root)
                (lg_runs if name == "lg" else duck_runs).append(got)
    med = statistics.median
    lg_import, first, warm = (med(run[i][0] for run in lg_runs) for i in range(3))
    q_lg, q_hand = med(run[3][0] for run in lg_runs), med(run[3][1] for run in lg_runs)
    d_import, d_first, d_warm = (med(run[i][0] for run in duck_runs) for i in range(3))
    report = {
        "rows": a.rows,
        "rounds": a.rounds,
        "import livegraphs_ext s": lg_import,
        "first chart s": first,
        "warm chart s": warm,
        "first minus warm ms (goal <= 300)": (first - warm) * 1e3,
        "import + first minus warm ms": (lg_import + first - warm) * 1e3,
        "import duckdb s": d_import,
        "duckdb first query s (connect included)": d_first,
        "duckdb warm query s": d_warm,
        "duckdb import + first minus warm ms": (d_import + d_first - d_warm) * 1e3,
        "warm lg.query_chart ms": q_lg * 1e3,
        "warm hand-written DuckDB ms": q_hand * 1e3,
        "warm ratio (goal <= 1.5)": q_lg / q_hand,
    }
    for k, v in report.items():
        print(f"{k:45} {v:10.3f}" if isinstance(v, float) else f"{k:45} {v:>10}")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
