"""Propagation delay of a dashboard edit from one browser to another, on loopback.

Starts JupyterLab (with jupyter-collaboration) and two Chromium pages, in separate browser
contexts, on one ``.lgdash`` dashboard. Page A puts a new field on a shelf of a chart
(``DashboardDoc.setEncoding``) ``--edits`` times, one edit at a time; page B timestamps the
moment its shared model holds each edit. Both pages read the same clock
(``performance.timeOrigin + performance.now()``), so B's time minus A's is the delay.

Side by side, the same measure for jupyter-collaboration's own plain text document
(``YFile.updateSource`` in a ``.txt`` file open in both pages): the best the library does on
this machine, so the dashboard's figure reads as a ratio to it.

    python bench/bench_collab.py --edits 100
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from tests.servers import free_port  # noqa: E402

DASHBOARD = {
    "version": 1,
    "title": "Bench",
    "crossfilter": True,
    "filters": [],
    "charts": {
        "c1": {
            "spec": {"version": 1, "dataset": {"name": "sales"}, "mark": "bar", "encoding": {}},
            "layout": {"x": 0, "y": 0, "w": 6, "h": 4},
        }
    },
}

DRIVER = r"""
const { chromium } = require('playwright-core');
const [base, edits, pause] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];

async function openPage(browser, path) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(base + 'lab');
  await page.waitForFunction(() => window.jupyterapp && window.jupyterapp.started);
  await page.evaluate(async () => { await window.jupyterapp.started; await window.jupyterapp.restored; });
  await page.evaluate(async p => {
    const w = await window.jupyterapp.commands.execute('docmanager:open', { path: p });
    await w.context.ready;
    window.__lgWidget = w;
  }, path);
  return page;
}

// Per kind: how page A edits, and how page B reads the last edit's marker.
const KINDS = {
  dashboard: {
    path: 'bench.lgdash',
    edit: i => `window.__lgWidget.content.doc.setEncoding('c1', 'x', { field: 'f${i}' })`,
    watch: `(() => {
      const doc = window.__lgWidget.content.doc;
      const read = () => doc.getChart('c1')?.spec.encoding?.x?.field;
      doc.ydoc.on('afterTransaction', () => {
        const f = read();
        if (f && !(f in window.__lgSeen)) window.__lgSeen[f] = performance.timeOrigin + performance.now();
      });
    })()`,
    marker: i => `f${i}`
  },
  text: {
    path: 'bench.txt',
    edit: i => `window.__lgWidget.context.model.sharedModel.setSource('f${i}')`,
    watch: `(() => {
      const doc = window.__lgWidget.context.model.sharedModel;
      doc.ydoc.on('afterTransaction', () => {
        const f = doc.getSource();
        if (f && !(f in window.__lgSeen)) window.__lgSeen[f] = performance.timeOrigin + performance.now();
      });
    })()`,
    marker: i => `f${i}`
  }
};

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--no-first-run',
           '--disable-background-timer-throttling', '--disable-renderer-backgrounding',
           '--disable-backgrounding-occluded-windows']
  });
  const out = {};
  for (const [kind, k] of Object.entries(KINDS)) {
    const a = await openPage(browser, k.path);
    const b = await openPage(browser, k.path);
    await b.evaluate(`window.__lgSeen = {}; ${k.watch}`);
    const delays = [];
    for (let i = 0; i < edits + 5; i++) {
      const sent = await a.evaluate(
        `(() => { const t = performance.timeOrigin + performance.now(); ${k.edit(i)}; return t; })()`
      );
      const marker = k.marker(i);
      const got = await b.waitForFunction(m => window.__lgSeen[m], marker, { polling: 5, timeout: 10000 });
      const at = await got.jsonValue();
      if (i >= 5) delays.push(at - sent);  // the first few warm up the path
      await a.waitForTimeout(pause);
    }
    out[kind] = delays;
    await a.context().close();
    await b.context().close();
  }
  await browser.close();
  process.stdout.write(JSON.stringify(out));
})().catch(e => { console.error(e); process.exit(1); });
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--edits", type=int, default=100)
    parser.add_argument("--pause-ms", type=int, default=20, help="pause between edits")
    args = parser.parse_args()

    node_modules = REPO / "ui-tests" / "node_modules"
    if not (node_modules / "playwright-core").is_dir():
        sys.exit("run `jlpm install` in ui-tests first (it provides playwright-core)")
    work = Path(tempfile.mkdtemp(prefix="lg-bench-collab-"))
    root = work / "root"
    root.mkdir()
    (root / "bench.lgdash").write_text(json.dumps(DASHBOARD, indent=2) + "\n")
    (root / "bench.txt").write_text("start\n")
    port, token = free_port(), secrets.token_hex(16)
    cmd = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1",
        f"--port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--LabApp.expose_app_in_browser=True", f"--LiveGraphsApp.data_dir={work / 'data'}",
        f"--SQLiteYStore.db_path={work / 'ystore.db'}",
    ]  # fmt: skip
    env = {**os.environ, "JUPYTER_PLATFORM_DIRS": "1"}
    log = open(work / "server.log", "wb")  # noqa: SIM115 - the child owns it
    server = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        base = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 90
        while True:
            try:
                if requests.get(base + "api/status", params={"token": token}, timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                sys.exit(f"server did not start; see {work / 'server.log'}")
            time.sleep(0.3)
        # One login sets the auth cookie for each new context's first page load.
        driver = work / "driver.cjs"
        driver.write_text(DRIVER.replace("base + 'lab'", f"base + 'lab?token={token}'"))
        run = subprocess.run(
            ["node", str(driver), base, str(args.edits), str(args.pause_ms)],
            env={**os.environ, "NODE_PATH": str(node_modules)},
            capture_output=True,
            text=True,
            timeout=900,
        )
        if run.returncode:
            sys.exit(run.stderr[-3000:])
        results = json.loads(run.stdout)
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    report = {}
    for kind, delays in results.items():
        report[kind] = {
            "edits": len(delays),
            "p50_ms": round(statistics.median(delays), 1),
            "p95_ms": round(percentile(delays, 0.95), 1),
            "max_ms": round(max(delays), 1),
        }
    report["ratio_p50_dashboard_to_text"] = round(report["dashboard"]["p50_ms"] / report["text"]["p50_ms"], 2)
    report["ratio_p95_dashboard_to_text"] = round(report["dashboard"]["p95_ms"] / report["text"]["p95_ms"], 2)
    report["goal_p95_ms"] = 100
    print(json.dumps(report, indent=2))
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "collab.json").write_text(json.dumps(report, indent=2) + "\n")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
