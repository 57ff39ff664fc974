"""Upload → queryable over HTTP against the best libraries on the same file, side by side.

Reports, in one run per repetition: the server's upload time (POST until 201), split into
receiving the bytes and ingesting them, and the server's peak RSS (with its RSS before the
upload); DuckDB's own ``COPY (read_csv) TO parquet`` and pyarrow streaming CSV → Parquet
(each in a fresh process, peak RSS from the kernel); the ratio of each to the best. Then
time to first rows (the first page right after the upload, nothing cached) and 100-row page
latency at offset 0, middle and end over HTTP next to the raw store query
(``DatasetStore.rows`` in a fresh process, no HTTP) and a raw pyarrow row-group read.

    python bench/bench_ingest.py --rows 1000000 --rows 10000000 --repeat 2
    python bench/bench_ingest.py --format jsonl --format json --rows 1000000 --repeat 3

With ``--format json`` / ``jsonl`` the same rows are written as a JSON array / JSON Lines
(by DuckDB, from the CSV) and the upload is compared with DuckDB's ``read_json`` and
polars (``read_json`` / ``read_ndjson``), each writing zstd Parquet in a fresh process;
the three run in turn, their order rotating from one repetition to the next. Pages are
not measured again for JSON (the stored Parquet is the same kind of file).

The machine is shared: every figure is measured ``--repeat`` times and each run is
reported, with the 1-minute load average; compare ratios within one run, not absolute times
across runs. CPU seconds (server process; library child) are given next to wall time: they
suffer less from other work on the machine.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil
from requests.adapters import HTTPAdapter

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from gen_data import generate  # noqa: E402

from tests.servers import LiveServer  # noqa: E402

#: the client sends the file in blocks of this size (a browser does not send 16 kB at a time)
SEND_BLOCK = 1 << 20
PAGE_REPEATS = 15

CHILD = r"""
import json, resource, sys, time
kind, src, dst = sys.argv[1:4]
t = time.perf_counter()
if kind == "duckdb":
    import duckdb
    con = duckdb.connect(config={"threads": 2})
    con.execute("SET enable_progress_bar = false")
    con.execute(f"COPY (SELECT * FROM read_csv('{src}')) TO '{dst}' (FORMAT parquet, COMPRESSION zstd)")
elif kind == "duckdb_json":
    import duckdb
    con = duckdb.connect(config={"threads": 2})
    con.execute("SET enable_progress_bar = false")
    con.execute(f"COPY (SELECT * FROM read_json('{src}')) TO '{dst}' (FORMAT parquet, COMPRESSION zstd)")
elif kind == "polars_json":
    import polars as pl
    frame = pl.read_ndjson(src) if src.endswith(".jsonl") else pl.read_json(src)
    frame.write_parquet(dst, compression="zstd")
elif kind == "pyarrow":
    import pyarrow.csv as c, pyarrow.parquet as pq
    r = c.open_csv(src)
    with pq.ParquetWriter(dst, r.schema, compression="zstd") as w:
        for b in r:
            w.write_batch(b)
elif kind in ("page", "store"):
    import bisect, statistics
    offsets = json.loads(sys.argv[4])
    if kind == "page":
        import pyarrow.parquet as pq
        md = pq.read_metadata(src)
        starts = [0]
        for i in range(md.num_row_groups):
            starts.append(starts[-1] + md.row_group(i).num_rows)

        def fetch(off):
            g = bisect.bisect_right(starts, off) - 1
            pq.ParquetFile(src, metadata=md).read_row_group(g).slice(off - starts[g], 100).to_pylist()
    else:
        from pathlib import Path
        from livegraphs_ext.store import DatasetStore, StoreConfig
        store = DatasetStore(StoreConfig(root=Path(src)), sweep=False)
        fetch = lambda off: store.rows(dst, offset=off, limit=100)
    out = {}
    for label, off in offsets.items():
        ts = []
        for _ in range(__REPEATS__):
            t0 = time.perf_counter()
            fetch(off)
            ts.append(time.perf_counter() - t0)
        out[label] = statistics.median(ts) * 1000
    print(json.dumps(out))
    sys.exit(0)
ru = resource.getrusage(resource.RUSAGE_SELF)
# VmHWM, not ru_maxrss: the latter keeps the parent's size from before the exec
with open("/proc/self/status") as f:
    hwm = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
print(time.perf_counter() - t, ru.ru_utime + ru.ru_stime, hwm * 1024)
""".replace("__REPEATS__", str(PAGE_REPEATS))


def run_child(kind: str, src: Path, dst: Path | str, *extra: str) -> Any:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, kind, str(src), str(dst), *extra],
        capture_output=True,
        text=True,
        check=True,
        cwd=HERE.parent,
    )
    if kind in ("page", "store"):
        return json.loads(out.stdout)
    seconds, cpu, rss = out.stdout.split()[-3:]
    return float(seconds), int(rss), float(cpu)


def server_upload(server: LiveServer, path: Path, name: str) -> dict[str, Any]:
    """POST the file; sample the server's RSS and note when the whole body is on its disk."""
    proc = psutil.Process(server.proc.pid)  # type: ignore[union-attr]
    base = proc.memory_info().rss
    cpu0 = sum(proc.cpu_times()[:2])
    peak = [base]
    received: list[float] = []
    size = path.stat().st_size
    staging = server.data_dir / "staging"
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            try:
                peak[0] = max(peak[0], proc.memory_info().rss)
            except psutil.Error:
                return
            if not received:
                for p in staging.glob("*.upload"):
                    try:
                        if p.stat().st_size >= size:
                            received.append(time.perf_counter())
                    except OSError:
                        pass
            time.sleep(0.01)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    t0 = time.perf_counter()
    with open(path, "rb") as f:
        r = server.session.post(
            server.api + "datasets", params={"name": name, "filename": path.name}, data=f, timeout=3600
        )
    elapsed = time.perf_counter() - t0
    cpu = sum(proc.cpu_times()[:2]) - cpu0
    done.set()
    t.join()
    r.raise_for_status()
    transfer = (received[0] - t0) if received else float("nan")
    return {
        "seconds": elapsed,
        "cpu": cpu,
        "transfer": transfer,
        "base_rss": base,
        "peak_rss": peak[0],
        "dataset": r.json(),
    }


def page_latency(server: LiveServer, ds: dict, offsets: dict[str, int]) -> tuple[float, dict[str, float]]:
    """Time to first rows (one cold request), then the median of repeated 100-row pages."""
    url = server.api + f"datasets/{ds['id']}/rows"
    t0 = time.perf_counter()
    server.session.get(url, params={"offset": 0, "limit": 100}).raise_for_status()
    first = (time.perf_counter() - t0) * 1000
    out = {}
    for label, off in offsets.items():
        ts = []
        for _ in range(PAGE_REPEATS):
            t0 = time.perf_counter()
            server.session.get(url, params={"offset": off, "limit": 100}).raise_for_status()
            ts.append(time.perf_counter() - t0)
        out[label] = statistics.median(ts) * 1000
    return first, out


def one_run(csv: Path, rows: int, data: Path) -> dict[str, Any]:
    offsets = {"start": 0, "middle": rows // 2, "end": rows - 100}
    with tempfile.TemporaryDirectory(dir=data) as tmp:
        tmpd = Path(tmp)
        server = LiveServer(tmpd / "store", tmpd / "root").start()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=1)
        adapter.init_poolmanager(1, 1, blocksize=SEND_BLOCK)
        server.session.mount("http://", adapter)
        try:
            up = server_upload(server, csv, f"mixed_{rows}")
            ds = up["dataset"]
            first_ms, pages = page_latency(server, ds, offsets)
            parquet = next((server.data_dir / "datasets" / ds["id"]).glob("*.parquet"))
            store_pages = run_child("store", server.data_dir, ds["id"], json.dumps(offsets))
            raw_pages = run_child("page", parquet, tmpd, json.dumps(offsets))
        finally:
            server.stop()
        duck = run_child("duckdb", csv, tmpd / "duck.parquet")
        pa_ = run_child("pyarrow", csv, tmpd / "pa.parquet")
    best = min(duck[0], pa_[0])
    up_s, transfer = up["seconds"], up["transfer"]
    return {
        "rows": rows,
        "csv_mb": round(csv.stat().st_size / 1e6, 1),
        "livegraphs_upload_s": round(up_s, 2),
        "livegraphs_receive_s": round(transfer, 2),
        "livegraphs_ingest_s": round(up_s - transfer, 2),
        "livegraphs_server_cpu_s": round(up["cpu"], 2),
        "livegraphs_rss_before_mb": round(up["base_rss"] / 1e6),
        "livegraphs_peak_rss_mb": round(up["peak_rss"] / 1e6),
        "duckdb_copy_s": round(duck[0], 2),
        "duckdb_cpu_s": round(duck[2], 2),
        "duckdb_peak_rss_mb": round(duck[1] / 1e6),
        "pyarrow_stream_s": round(pa_[0], 2),
        "pyarrow_cpu_s": round(pa_[2], 2),
        "pyarrow_peak_rss_mb": round(pa_[1] / 1e6),
        "upload_time_vs_best": round(up_s / best, 2),
        "ingest_speed_vs_best": round(best / up_s, 2),
        "ingest_only_speed_vs_best": round(best / (up_s - transfer), 2),
        # CPU seconds suffer less than wall time from other work on a shared machine
        "cpu_work_vs_duckdb": round(duck[2] / up["cpu"], 2),
        "time_to_first_rows_s": round(up_s + first_ms / 1000, 2),
        "first_page_cold_ms": round(first_ms, 2),
        "page_ms_http": {k: round(v, 2) for k, v in pages.items()},
        "page_ms_store_rows": {k: round(v, 2) for k, v in store_pages.items()},
        "page_ms_raw_rowgroup": {k: round(v, 2) for k, v in raw_pages.items()},
        "page_http_vs_store_rows": {k: round(pages[k] / store_pages[k], 2) for k in pages},
        "page_http_vs_raw_rowgroup": {k: round(pages[k] / raw_pages[k], 2) for k in pages},
        "last_over_first_page": round(pages["end"] / pages["start"], 2),
        "types": {c["name"]: c["type"] for c in ds["columns"]},
    }


def json_file(csv: Path, fmt: str) -> Path:
    """The rows of ``csv`` as a JSON array (``json``) or JSON Lines (``jsonl``), written by DuckDB."""
    path = csv.with_suffix(f".{fmt}")
    if not path.exists():
        import duckdb

        tmp = path.with_suffix(".tmp")
        array = ", ARRAY true" if fmt == "json" else ""
        duckdb.connect().execute(f"COPY (SELECT * FROM read_csv('{csv}')) TO '{tmp}' (FORMAT json{array})")
        tmp.replace(path)
    return path


def with_late_problem(path: Path) -> Path:
    """``path`` with one more record at its end whose ``id`` is text: the exact path types the file."""
    late = path.with_name(f"{path.stem}_late{path.suffix}")
    if not late.exists() or late.stat().st_mtime < path.stat().st_mtime:
        tmp = late.with_suffix(".tmp")
        with path.open("rb") as src, tmp.open("wb") as out:
            shutil.copyfileobj(src, out, 2**24)
            out.seek(0, 2)
            if path.suffix == ".json":
                # the array's closing bracket (and newline) gives way to one more element
                src.seek(0, 2)
                size = src.tell()
                src.seek(max(0, size - 16))
                tail = src.read()
                out.truncate(size - len(tail) + tail.rindex(b"]"))
                out.seek(0, 2)
                out.write(b',{"id":"n/a"}]\n')
            else:
                out.write(b'{"id":"n/a"}\n')
        tmp.replace(late)
    return late


def one_run_json(path: Path, rows: int, data: Path, run: int, late_problem: bool = False) -> dict[str, Any]:
    """Upload ``path`` and run DuckDB and polars on it, in an order that rotates with ``run``.

    With ``late_problem`` the upload has one more record, at its end, that breaks the ``id``
    column's type; the libraries read the file without it (they refuse it or type it otherwise).
    """
    upload = with_late_problem(path) if late_problem else path
    with tempfile.TemporaryDirectory(dir=data) as tmp:
        tmpd = Path(tmp)
        out: dict[str, Any] = {}

        def server() -> None:
            live = LiveServer(tmpd / "store", tmpd / "root").start()
            adapter = HTTPAdapter(pool_connections=1, pool_maxsize=1)
            adapter.init_poolmanager(1, 1, blocksize=SEND_BLOCK)
            live.session.mount("http://", adapter)
            try:
                out["server"] = server_upload(live, upload, f"mixed_{rows}")
            finally:
                live.stop()

        steps = [
            ("server", server),
            ("duckdb", lambda: out.__setitem__("duckdb", run_child("duckdb_json", path, tmpd / "d.parquet"))),
            ("polars", lambda: out.__setitem__("polars", run_child("polars_json", path, tmpd / "p.parquet"))),
        ]
        shift = (run - 1) % len(steps)
        order = [name for name, _ in steps[shift:] + steps[:shift]]
        for _, step in steps[shift:] + steps[:shift]:
            step()
    up, duck, pol = out["server"], out["duckdb"], out["polars"]
    best = min(duck[0], pol[0])
    best_rss = min(duck[1], pol[1])
    ingest = up["seconds"] - up["transfer"]
    growth = up["peak_rss"] - up["base_rss"]
    return {
        "format": path.suffix[1:],
        "rows": rows + (1 if late_problem else 0),
        "late_problem": late_problem,
        "problems": up["dataset"].get("report", {}).get("problem_count"),
        "file_mb": round(upload.stat().st_size / 1e6, 1),
        "order": order,
        "livegraphs_upload_s": round(up["seconds"], 2),
        "livegraphs_receive_s": round(up["transfer"], 2),
        "livegraphs_ingest_s": round(ingest, 2),
        "livegraphs_server_cpu_s": round(up["cpu"], 2),
        "livegraphs_rss_before_mb": round(up["base_rss"] / 1e6),
        "livegraphs_peak_rss_mb": round(up["peak_rss"] / 1e6),
        "livegraphs_rss_growth_mb": round(growth / 1e6),
        "duckdb_read_json_s": round(duck[0], 2),
        "duckdb_cpu_s": round(duck[2], 2),
        "duckdb_peak_rss_mb": round(duck[1] / 1e6),
        "polars_s": round(pol[0], 2),
        "polars_cpu_s": round(pol[2], 2),
        "polars_peak_rss_mb": round(pol[1] / 1e6),
        # the goal: ingest (after the bytes are in) within 1.5x the best library's time
        "ingest_time_vs_best": round(ingest / best, 2),
        "upload_time_vs_best": round(up["seconds"] / best, 2),
        # CPU seconds (the server's include receiving the upload) suffer less from a busy machine
        "cpu_vs_best": round(up["cpu"] / min(duck[2], pol[2]), 2),
        # the server's growth in RSS over the upload, against the whole of the library's process
        "rss_growth_vs_best": round(growth / best_rss, 2),
        "types": {c["name"]: c["type"] for c in up["dataset"]["columns"]},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, action="append", help="rows of the generated CSV (repeatable)")
    ap.add_argument("--repeat", type=int, default=1, help="side-by-side runs per size")
    ap.add_argument("--data", type=Path, default=HERE / "data")
    ap.add_argument(
        "--format",
        action="append",
        choices=["csv", "json", "jsonl"],
        help="file format uploaded (repeatable; default csv)",
    )
    ap.add_argument(
        "--late-problem",
        action="store_true",
        help="JSON: upload the file with one more record at its end whose id is text (the exact path)",
    )
    a = ap.parse_args()
    a.data.mkdir(exist_ok=True)
    formats = a.format or ["csv"]
    results = []
    for rows in a.rows or [1_000_000]:
        csv = generate(a.data / f"mixed_{rows}.csv", rows)
        for run in range(1, a.repeat + 1):
            for fmt in formats:
                if fmt == "csv":
                    measured = one_run(csv, rows, a.data)
                else:
                    measured = one_run_json(json_file(csv, fmt), rows, a.data, run, a.late_problem)
                row = {"run": run, **measured, "load_avg_1m": round(psutil.getloadavg()[0], 1)}
                results.append(row)
                print(json.dumps(row, indent=1), flush=True)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    name = "ingest.json" if formats == ["csv"] else f"ingest_{'_'.join(formats)}.json"
    (out / name).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
