"""Chart render time in a real browser: spec → query → Arrow → Plotly's ``plotly_afterplot``.

Starts ``jupyter lab`` on a free port (token auth, a temporary data dir and chart cache off),
ingests an N-row dataset (default 1M; the columns of bench_charts.py) into its store, and for each spec
reports, median of ``--reps`` runs:

* server: wall time of ``POST charts/query`` (Arrow, as the browser asks), and payload bytes as
  Arrow IPC and as JSON;
* browser: time from running ``livegraphs:new-chart`` with the spec to the first ``plotly_afterplot``
  of the chart (Debian chromium through Playwright; includes the schema and query requests, Arrow
  decoding, building the figure and drawing it).

Then, in the same browser, it draws a line, a scatter and a bar chart over each of ``--baseline-rows``
both ways: ours, and plain Plotly.js given every row (``ship_all_rows.py``: a plotly.express figure
sent as JSON, as tools that ship the whole frame do). For each it reports bytes sent to the browser,
time to ``plotly_afterplot`` and the growth of the page's JS heap (CDP ``Performance.getMetrics``
JSHeapUsedSize, from an empty view after a forced GC: at ``plotly_afterplot``, and retained after
another GC), and the ratios plain ÷ ours.

    python bench/bench_render.py --rows 1000000 --baseline-rows 100000,1000000 --json out.json
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import duckdb

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench_charts import make_data  # noqa: E402
from ship_all_rows import DRAW, PLOTLY_VERSION, PURGE, FigureServer, build_figure  # noqa: E402

from livegraphs_ext.store import DatasetStore, StoreConfig  # noqa: E402

SPECS: dict[str, dict[str, Any]] = {
    "bar: sum of price by category": {
        "mark": "bar",
        "encoding": {"x": {"field": "category"}, "y": {"field": "price", "aggregate": "sum"}},
    },
    "line: price over ts, 5,000 points (M4)": {
        "mark": "line",
        "encoding": {"x": {"field": "ts"}, "y": {"field": "price"}},
        "max_marks": 5000,
    },
    "scatter: x by y, binned": {
        "mark": "scatter",
        "encoding": {"x": {"field": "x"}, "y": {"field": "y"}},
    },
    "table: 1,000 rows": {"mark": "table", "limit": 1000, "max_marks": 1000},
}

# Wraps each plot element's Plotly event emitter (set when Plotly first draws into it) so every
# plotly_afterplot is stamped with performance.now().
AFTERPLOT_HOOK = """
window.__afterplot = [];
Object.defineProperty(HTMLElement.prototype, 'emit', {
  configurable: true,
  get() { return this.__lgEmit; },
  set(fn) {
    this.__lgEmit = function (event, data) {
      if (event === 'plotly_afterplot') { window.__afterplot.push(performance.now()); }
      return fn.call(this, event, data);
    };
  }
});
"""

# The chart drawn both ways: ours (by the name in SPECS) and plain Plotly.js (ship_all_rows.FIGURES).
COMPARED = {
    "line": "line: price over ts, 5,000 points (M4)",
    "scatter": "scatter: x by y, binned",
    "bar": "bar: sum of price by category",
}

CLOSE = """
async () => {
  await window.jupyterapp.commands.execute('application:close-all');
  await new Promise(r => setTimeout(r, 200));
}
"""

RENDER = """
async ([id, spec]) => {
  const app = window.jupyterapp;
  const before = window.__afterplot.length;
  const t0 = performance.now();
  await app.commands.execute('livegraphs:new-chart', {
    datasetId: id, spec: { version: 1, dataset: { id }, ...spec }
  });
  const deadline = t0 + 120000;
  while (window.__afterplot.length === before) {
    if (performance.now() > deadline) { throw new Error('no plotly_afterplot'); }
    const view = document.querySelector(
      '.jp-MainAreaWidget:not(.lm-mod-hidden) .jp-LiveGraphs-ChartView');
    if (view && view.getAttribute('data-lg-state') === 'error') {
      throw new Error('chart error: ' + view.textContent);
    }
    await new Promise(r => setTimeout(r, 5));
  }
  return window.__afterplot[before] - t0;
}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ingest(data_dir: Path, parquet: Path, rows: int) -> str:
    csv = data_dir / "bench.csv"
    duckdb.sql(f"COPY (SELECT * FROM read_parquet('{parquet}') LIMIT {rows}) TO '{csv}' (HEADER)")
    store = DatasetStore(StoreConfig(root=data_dir), sweep=False)
    record = store.create_from_file(
        csv, name=f"render-bench-{rows}", owner=getpass.getuser(), content_type="text/csv", filename=csv.name
    )
    return str(record["id"])


def post(base: str, token: str, body: dict[str, Any], accept: str) -> tuple[float, bytes]:
    req = urllib.request.Request(
        base + "livegraphs/api/charts/query",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"token {token}", "Content-Type": "application/json", "Accept": accept},
    )
    t = time.perf_counter()
    with urllib.request.urlopen(req, timeout=120) as r:
        payload = r.read()
    return time.perf_counter() - t, payload


def heap_mb(cdp: Any, gc: bool = True) -> float:
    """The page's used JS heap in MB, after a full garbage collection unless ``gc`` is false."""
    if gc:
        cdp.send("HeapProfiler.collectGarbage")
    metrics = cdp.send("Performance.getMetrics")["metrics"]
    return next(m["value"] for m in metrics if m["name"] == "JSHeapUsedSize") / 1e6


def draw_runs(page: Any, cdp: Any, clear: Any, draw: Any, reps: int) -> dict[str, float]:
    """Median time to afterplot and heap growth (at afterplot, and retained) over ``reps`` draws."""
    page.bring_to_front()
    clear()
    draw()  # warm-up
    times, at_plot, retained = [], [], []
    for _ in range(reps):
        clear()
        h0 = heap_mb(cdp)
        times.append(draw())
        at_plot.append(heap_mb(cdp, gc=False) - h0)
        retained.append(heap_mb(cdp) - h0)
    return {
        "ms": statistics.median(times),
        "heap_mb": statistics.median(at_plot),
        "retained_mb": statistics.median(retained),
    }


def wait_up(base: str, token: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    for _ in range(240):
        if proc.poll() is not None:
            raise SystemExit("jupyter lab exited:\n" + log.read_text(errors="replace")[-3000:])
        try:
            req = urllib.request.Request(base + "api/status", headers={"Authorization": f"token {token}"})
            with urllib.request.urlopen(req, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("jupyter lab did not start")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument(
        "--baseline-rows",
        default="100000,1000000",
        help="comma-separated row counts for the side-by-side with plain Plotly.js ('' to skip)",
    )
    ap.add_argument("--data", type=Path, default=HERE / "data")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    args = ap.parse_args()
    sizes = [int(n) for n in args.baseline_rows.split(",") if n.strip()]

    from playwright.sync_api import sync_playwright

    args.data.mkdir(exist_ok=True)
    most = max([args.rows, *sizes])
    parquet = make_data(args.data / f"charts_{most}.parquet", most)
    with tempfile.TemporaryDirectory(prefix="lg-render-") as tmp:
        root = Path(tmp)
        data_dir = root / "livegraphs"
        data_dir.mkdir()
        datasets: dict[int, str] = {}
        for n in dict.fromkeys([args.rows, *sizes]):
            t = time.perf_counter()
            datasets[n] = ingest(data_dir, parquet, n)
            print(f"{n:,} rows ingested in {time.perf_counter() - t:.1f} s", flush=True)
        dataset = datasets[args.rows]

        port, token = free_port(), secrets.token_hex(16)
        base = f"http://127.0.0.1:{port}/"
        env = {**os.environ, "JUPYTER_CONFIG_DIR": str(root / "config"), "LIVEGRAPHS_DATA_DIR": str(data_dir)}
        cmd = [
            sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
            f"--LabApp.workspaces_dir={root / 'workspaces'}", f"--LiveGraphsApp.data_dir={data_dir}",
            "--LiveGraphsApp.chart_cache_bytes=0", "--allow-root", "--LabApp.expose_app_in_browser=True",
        ]  # fmt: skip
        log = open(root / "lab.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        figures = FigureServer()
        try:
            wait_up(base, token, proc, root / "lab.log")
            rows = []
            for name, spec in SPECS.items():
                body = {"spec": {"version": 1, "dataset": {"id": dataset}, **spec}}
                post(base, token, body, "application/vnd.apache.arrow.stream")  # warm-up
                runs = [
                    post(base, token, body, "application/vnd.apache.arrow.stream") for _ in range(args.reps)
                ]
                _, as_json = post(base, token, body, "application/json")
                result = json.loads(as_json)
                rows.append(
                    {
                        "spec": name,
                        "query_s": statistics.median(r[0] for r in runs),
                        "arrow_bytes": len(runs[0][1]),
                        "json_bytes": len(as_json),
                        "marks": len(next(iter(result["data"].values()), [])),
                        "reduction": (result.get("reduction") or {}).get("message", ""),
                    }
                )
            pairs = []
            for n in sizes:
                for chart, name in COMPARED.items():
                    body = {"spec": {"version": 1, "dataset": {"id": datasets[n]}, **SPECS[name]}}
                    post(base, token, body, "application/vnd.apache.arrow.stream")  # warm-up
                    runs = [
                        post(base, token, body, "application/vnd.apache.arrow.stream")
                        for _ in range(args.reps)
                    ]
                    query_s, payload = statistics.median(r[0] for r in runs), runs[0][1]
                    build_s, figure = build_figure(parquet, n, chart, min(args.reps, 3))
                    pairs.append(
                        {
                            "chart": chart,
                            "rows": n,
                            "ours": {"bytes": len(payload), "server_s": query_s},
                            "plain": {
                                "bytes": len(figure),
                                "server_s": build_s,
                                "url": figures.add(f"{chart}-{n}.json", figure),
                            },
                        }
                    )
                    del figure
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=args.chromium, args=["--no-sandbox", "--disable-gpu"]
                )
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.add_init_script(AFTERPLOT_HOOK)
                page.goto(f"{base}lab?token={token}")
                page.wait_for_function(
                    "() => window.jupyterapp?.commands.hasCommand('livegraphs:new-chart')",
                    timeout=120000,
                )
                for row, spec in zip(rows, SPECS.values(), strict=True):
                    page.evaluate(CLOSE)
                    page.evaluate(RENDER, [dataset, spec])  # warm-up (the first also loads Plotly)
                    times = []
                    for _ in range(args.reps):
                        page.evaluate(CLOSE)
                        times.append(page.evaluate(RENDER, [dataset, spec]))
                    row["render_ms"] = statistics.median(times)
                if pairs:
                    plain = browser.new_page(viewport={"width": 1400, "height": 900})
                    plain.add_init_script(AFTERPLOT_HOOK)
                    plain.goto(f"{figures.base}/index.html")
                    plain.wait_for_function("() => window.Plotly !== undefined")
                    cdps = {}
                    for p in (page, plain):
                        cdps[p] = p.context.new_cdp_session(p)
                        cdps[p].send("Performance.enable")
                    for pair in pairs:
                        spec = SPECS[COMPARED[pair["chart"]]]
                        pair["ours"] |= draw_runs(
                            page,
                            cdps[page],
                            lambda: page.evaluate(CLOSE),
                            lambda spec=spec, pair=pair: page.evaluate(
                                RENDER, [datasets[pair["rows"]], spec]
                            ),
                            args.reps,
                        )
                        pair["plain"] |= draw_runs(
                            plain,
                            cdps[plain],
                            lambda: plain.evaluate(PURGE),
                            lambda pair=pair: plain.evaluate(DRAW, pair["plain"]["url"]),
                            args.reps,
                        )
                        print(f"{pair['chart']} over {pair['rows']:,} rows drawn both ways", flush=True)
                browser.close()
        finally:
            figures.close()
            proc.terminate()
            proc.wait(30)
            log.close()

    load = os.getloadavg()
    print(f"\nrender of charts over {args.rows:,} rows, median of {args.reps} (chart cache off)\n")
    print(
        f"{'spec':42} {'query ms':>9} {'arrow B':>9} {'json B':>9} {'marks':>6} "
        f"{'spec→afterplot ms':>18}  reduction"
    )
    for r in rows:
        print(
            f"{r['spec']:42} {r['query_s'] * 1000:9.0f} {r['arrow_bytes']:9,} {r['json_bytes']:9,} "
            f"{r['marks']:6,} "
            f"{r['render_ms']:18.0f}  {r['reduction']}"
        )
    if pairs:
        print(
            f"\nours vs plain Plotly.js {PLOTLY_VERSION} given every row, same browser, median of {args.reps}"
            "\n(server: our query / building the plotly.express figure and its JSON;"
            "\n ms: request to plotly_afterplot, ours including its query; total: server + ms for plain;"
            "\n heap: JS heap growth in MB at afterplot / retained after GC; x: plain / ours)\n"
        )
        print(
            f"{'chart':8} {'rows':>9} | {'bytes':>11} {'server ms':>9} {'ms':>6} {'heap MB':>11} | "
            f"{'plain bytes':>11} {'server ms':>9} {'ms':>6} {'total':>6} {'heap MB':>11} | "
            f"{'bytes x':>8} {'ms x':>6} {'total x':>7} {'heap x':>6}"
        )
        for p in pairs:
            o, b = p["ours"], p["plain"]
            b["total_ms"] = b["server_s"] * 1000 + b["ms"]
            p["ratios"] = {
                "bytes": b["bytes"] / o["bytes"],
                "ms": b["ms"] / o["ms"],
                "total_ms": b["total_ms"] / o["ms"],
                "heap": b["heap_mb"] / max(o["heap_mb"], 0.01),
            }
            print(
                f"{p['chart']:8} {p['rows']:9,} | "
                f"{o['bytes']:11,} {o['server_s'] * 1000:9.0f} {o['ms']:6.0f} "
                f"{o['heap_mb']:5.1f}/{o['retained_mb']:5.1f} | "
                f"{b['bytes']:11,} {b['server_s'] * 1000:9.0f} {b['ms']:6.0f} {b['total_ms']:6.0f} "
                f"{b['heap_mb']:5.1f}/{b['retained_mb']:5.1f} | "
                f"{p['ratios']['bytes']:7.0f}x {p['ratios']['ms']:5.1f}x {p['ratios']['total_ms']:6.1f}x "
                f"{p['ratios']['heap']:5.1f}x"
            )
    print(f"\nload average (1, 5, 15 min) at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if args.json:
        for p in pairs:
            p["plain"].pop("url", None)
        args.json.write_text(
            json.dumps(
                {"rows": args.rows, "reps": args.reps, "load": load, "specs": rows, "baseline": pairs},
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
