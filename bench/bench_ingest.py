"""Upload → queryable over HTTP against the best libraries on the same file, side by side.

Reports, in one run: the server's upload time (POST until 201) and peak RSS, DuckDB's own
``COPY (read_csv) TO parquet``, pyarrow streaming CSV → Parquet (each in a fresh process,
peak RSS from the kernel), the ratio of each to the best; and 100-row page latency at
offset 0, middle and end over HTTP next to the raw row-group read of the same file.

    python bench/bench_ingest.py --rows 1000000 --rows 10000000
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from gen_data import generate  # noqa: E402

from tests.servers import LiveServer  # noqa: E402

CHILD = r"""
import resource, sys, time
kind, src, dst = sys.argv[1:4]
t = time.perf_counter()
if kind == "duckdb":
    import duckdb
    con = duckdb.connect(config={"threads": 2})
    con.execute("SET enable_progress_bar = false")
    con.execute(f"COPY (SELECT * FROM read_csv('{src}')) TO '{dst}' (FORMAT parquet, COMPRESSION zstd)")
elif kind == "pyarrow":
    import pyarrow.csv as c, pyarrow.parquet as pq
    r = c.open_csv(src)
    with pq.ParquetWriter(dst, r.schema, compression="zstd") as w:
        for b in r:
            w.write_batch(b)
elif kind == "page":
    import bisect, statistics
    import pyarrow.parquet as pq
    md = pq.read_metadata(src)
    starts = [0]
    for i in range(md.num_row_groups):
        starts.append(starts[-1] + md.row_group(i).num_rows)
    out = {}
    for label, off in (("start", 0), ("middle", starts[-1] // 2), ("end", starts[-1] - 100)):
        ts = []
        for _ in range(15):
            t0 = time.perf_counter()
            g = bisect.bisect_right(starts, off) - 1
            tb = pq.ParquetFile(src, metadata=md).read_row_group(g).slice(off - starts[g], 100)
            tb.to_pylist()
            ts.append(time.perf_counter() - t0)
        out[label] = statistics.median(ts) * 1000
    print(out)
    sys.exit(0)
print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


def run_child(kind: str, src: Path, dst: Path) -> tuple[float, int] | dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, kind, str(src), str(dst)], capture_output=True, text=True, check=True
    )
    if kind == "page":
        return eval(out.stdout)
    seconds, rss = out.stdout.split()[-2:]
    return float(seconds), int(rss)


def server_upload(server: LiveServer, path: Path, name: str) -> tuple[float, int, dict]:
    proc = psutil.Process(server.proc.pid)  # type: ignore[union-attr]
    base = proc.memory_info().rss
    peak = [base]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            try:
                peak[0] = max(peak[0], proc.memory_info().rss)
            except psutil.Error:
                return
            time.sleep(0.05)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    t0 = time.perf_counter()
    with open(path, "rb") as f:
        r = server.session.post(server.api + "datasets", params={"name": name}, data=f, timeout=3600)
    elapsed = time.perf_counter() - t0
    done.set()
    t.join()
    r.raise_for_status()
    return elapsed, peak[0], r.json()


def page_latency(server: LiveServer, ds: dict) -> dict[str, float]:
    out = {}
    for label, off in (("start", 0), ("middle", ds["rows"] // 2), ("end", ds["rows"] - 100)):
        ts = []
        for _ in range(15):
            t0 = time.perf_counter()
            server.session.get(
                server.api + f"datasets/{ds['id']}/rows", params={"offset": off, "limit": 100}
            ).raise_for_status()
            ts.append(time.perf_counter() - t0)
        out[label] = statistics.median(ts) * 1000
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, action="append", help="rows of the generated CSV (repeatable)")
    ap.add_argument("--data", type=Path, default=HERE / "data")
    a = ap.parse_args()
    a.data.mkdir(exist_ok=True)
    results = []
    for rows in a.rows or [1_000_000]:
        csv = generate(a.data / f"mixed_{rows}.csv", rows)
        with tempfile.TemporaryDirectory(dir=a.data) as tmp:
            tmpd = Path(tmp)
            server = LiveServer(tmpd / "store", tmpd / "root").start()
            try:
                up_s, up_rss, ds = server_upload(server, csv, f"mixed_{rows}")
                pages = page_latency(server, ds)
                raw_pages = run_child(
                    "page", Path(server.data_dir / "datasets" / ds["id"]).glob("*.parquet").__next__(), tmpd
                )
            finally:
                server.stop()
            duck = run_child("duckdb", csv, tmpd / "duck.parquet")
            pa_ = run_child("pyarrow", csv, tmpd / "pa.parquet")
        assert isinstance(duck, tuple) and isinstance(pa_, tuple) and isinstance(raw_pages, dict)
        best = min(duck[0], pa_[0])
        row = {
            "rows": rows,
            "csv_mb": round(csv.stat().st_size / 1e6, 1),
            "livegraphs_upload_s": round(up_s, 2),
            "livegraphs_peak_rss_mb": round(up_rss / 1e6),
            "duckdb_copy_s": round(duck[0], 2),
            "duckdb_peak_rss_mb": round(duck[1] / 1e6),
            "pyarrow_stream_s": round(pa_[0], 2),
            "pyarrow_peak_rss_mb": round(pa_[1] / 1e6),
            "upload_time_vs_best": round(up_s / best, 2),
            "ingest_speed_vs_best": round(best / up_s, 2),
            "page_ms_http": {k: round(v, 2) for k, v in pages.items()},
            "page_ms_raw_rowgroup": {k: round(v, 2) for k, v in raw_pages.items()},
            "last_over_first_page": round(pages["end"] / pages["start"], 2),
            "types": {c["name"]: c["type"] for c in ds["columns"]},
        }
        results.append(row)
        print(json.dumps(row, indent=1), flush=True)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "ingest.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
