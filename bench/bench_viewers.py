"""Many viewers of a public dashboard, next to the same dashboard in Voila (one kernel per viewer).

One real jupyter server with livegraphs on loopback (the same handlers the hub's service runs),
a seeded dataset of ``--rows`` rows (bench/gen_data.py, default 1M), a dashboard of six charts on it
(bar, line by day, histogram, heatmap, KPI, box), published, and a public link.

* **Viewers.** ``--viewers`` (default 100) simulated viewers start at once, ``--runs`` times. A
  headless browser per viewer is too heavy for this machine (2 cores), so a viewer is the exact
  HTTP requests the viewer page makes, with none of the browser's drawing: the page (gzipped
  when the server sends it so), then the files it links (its script, and its styles unless the
  page carries them; gzipped, every viewer downloads them, as a first visit does) and the
  dashboard (``GET api/public/<token>``) unless the page carries it, then the queries of the
  charts whose answers the page does not carry, at once (Arrow answers); with ``--returning`` the
  script and styles are in the viewers' cache (asked nothing when they were sent ``immutable``,
  else revalidated: 304). Each viewer
  has its own address (``X-Forwarded-For``, as behind the hub's proxy) so the per-client limit of a
  public link applies to each alone. Reported: the time from the page request to the last chart's
  answer (p50, p95, max over all viewers); per viewer, the requests it made, the bytes it read (as
  sent) and the server's CPU time (user and system, every thread, over all runs, divided by the
  viewers: less sensitive to the machine's other load than the times); and the server's memory:
  its peak RSS during the runs (sampled every 20 ms) over its idle RSS, divided by the number of
  concurrent viewers.
* **Voila.** The same six charts as ``lg.chart(...)`` cells of a notebook, rendered by Voila
  (``voila/render``, the server extension) ``--voila`` times (default 5), one after the other: each
  render starts a kernel that stays while its viewer's page is open. Memory per viewer: the kernels'
  RSS plus the server's growth, divided by their number.
* **In a browser.** ``--browser N`` (default 5) first visits, one after the other, each in a fresh
  context of one Debian chromium (nothing cached): the time from the page request until every chart
  is drawn (each chart view ``ready``, after Plotly drew it), the browser's own work included.

Goals: p95 ≤ 500 ms counting server work; livegraphs memory per viewer at least 50x lower than
Voila's. The load average is printed with the figures.

    python bench/bench_viewers.py --rows 1000000 --viewers 100 --runs 3 --voila 5
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import html
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from gen_data import generate  # noqa: E402

from tests.servers import LiveServer  # noqa: E402

ARROW = "application/vnd.apache.arrow.stream"
DATASET = "viewers_bench"

#: The six charts: (title, spec encoding and mark; the same as ``lg.chart`` shorthands below).
CHARTS: list[tuple[str, str, dict[str, Any], str]] = [
    ("Price by category", "bar",
     {"x": {"field": "category"}, "y": {"field": "price", "aggregate": "sum"}},
     'mark="bar", x="category", y="sum(price)"'),
    ("Quantity by day", "line",
     {"x": {"field": "ts", "timeUnit": "day"}, "y": {"field": "qty", "aggregate": "sum"}},
     'mark="line", x="day(ts)", y="sum(qty)"'),
    ("Prices", "histogram", {"x": {"field": "price"}}, 'mark="histogram", x="price"'),
    ("Category by activity", "heatmap", {"x": {"field": "active"}, "y": {"field": "category"}},
     'mark="heatmap", x="active", y="category"'),
    ("Units", "kpi", {"y": {"field": "qty", "aggregate": "sum"}}, 'mark="kpi", y="sum(qty)"'),
    ("x by activity", "box", {"x": {"field": "active"}, "y": {"field": "x"}},
     'mark="box", x="active", y="x"'),
]  # fmt: skip


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def cpu(proc: psutil.Process) -> float:
    """The CPU seconds the server process has used (user and system, every thread)."""
    t = proc.cpu_times()
    return t.user + t.system


def rss(proc: psutil.Process, kernels: bool) -> int:
    """The server's RSS and its children's, kernels' only if ``kernels`` (then only theirs)."""
    total = 0 if kernels else proc.memory_info().rss
    for child in proc.children(recursive=True):
        try:
            is_kernel = "ipykernel" in " ".join(child.cmdline())
            if is_kernel == kernels:
                total += child.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


class Peak:
    """The highest RSS of the server (kernels apart) while running, sampled every 20 ms."""

    def __init__(self, proc: psutil.Process):
        self.proc, self.peak, self._stop = proc, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss(self.proc, kernels=False))
            time.sleep(0.02)

    def __enter__(self) -> Peak:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()


def setup(server: LiveServer, csv: Path) -> tuple[dict[str, Any], str]:
    s = server.session
    with open(csv, "rb") as f:
        r = s.post(server.api + "datasets", params={"name": DATASET}, data=f,
                   headers={"Content-Type": "text/csv"}, timeout=600)  # fmt: skip
    r.raise_for_status()
    dataset = r.json()
    charts = {}
    for i, (title, mark, encoding, _) in enumerate(CHARTS):
        spec = {
            "version": 1,
            "dataset": {"id": dataset["id"]},
            "mark": mark,
            "encoding": encoding,
            "title": title,
        }
        charts[f"c{i + 1}"] = {"spec": spec, "layout": {"x": (i % 2) * 6, "y": (i // 2) * 4, "w": 6, "h": 4}}
    content = {"version": 1, "title": "Viewers bench", "crossfilter": True, "filters": [], "charts": charts}
    r = s.post(server.api + "documents", json={"kind": "dashboard", "content": content}, timeout=60)
    r.raise_for_status()
    doc = r.json()
    s.post(server.api + f"documents/{doc['id']}/publish", timeout=60).raise_for_status()
    r = s.post(server.api + f"documents/{doc['id']}/links", json={"kind": "public"}, timeout=60)
    r.raise_for_status()
    return dataset, r.json()["token"]


#: The script's and styles' URLs a returning visitor has in its cache (``--returning``): None for
#: one kept for good (``immutable``: the browser asks nothing), else its ETag (the browser asks
#: again with If-None-Match and gets 304).
CACHED: dict[str, str | None] = {}

#: The script and styles a viewer page links (its own page: the URLs as written).
ASSET_URLS = re.compile(r"(?:src|href)='([^']*/static/viewer\.(?:js|css)[^']*)'")


def asset_urls(base: str, page: str) -> list[str]:
    return [base + url.lstrip("/") for url in ASSET_URLS.findall(page)]


#: What a viewer page of a link carries for its script (body attributes, HTML-escaped JSON): the
#: dashboard, and the answers of its charts without conditions (base64 Arrow) the server keeps.
EMBEDDED = re.compile(r'data-lg-(dashboard|answers)="([^"]*)"')


@dataclass
class Seen:
    """One viewer: seconds until the page, script, styles and dashboard were in, and until every
    chart's answer was; the requests it made and the bytes it read (bodies as sent)."""

    loaded: float
    total: float
    requests: int
    bytes: int


async def viewer(http: aiohttp.ClientSession, base: str, token: str, address: str) -> Seen:
    """One viewer's requests, as the viewer page makes them."""
    headers = {"X-Forwarded-For": address}
    counted = [1, 0]  # requests, bytes
    t0 = time.perf_counter()
    async with http.get(
        f"{base}livegraphs/public/{token}", headers={**headers, "Accept-Encoding": "gzip"}
    ) as r:
        raw = await r.read()
        assert r.status == 200, (r.status, raw[:300])
        counted[1] += len(raw)
        page = (gzip.decompress(raw) if r.headers.get("Content-Encoding") == "gzip" else raw).decode()
    embedded = {k: json.loads(html.unescape(v)) for k, v in EMBEDDED.findall(page)}

    async def fetch(url: str, **kw: Any) -> bytes:
        async with http.request(kw.pop("method", "GET"), url, headers={**headers, **kw.pop("headers", {})},
                                **kw) as r:  # fmt: skip
            body = await r.read()
            assert r.status == 200 or (r.status == 304 and url in CACHED), (url, r.status, body[:300])
            counted[0] += 1
            counted[1] += len(body)
            return body

    def asset(url: str) -> dict[str, str]:
        etag = CACHED.get(url)
        return {"Accept-Encoding": "gzip", **({"If-None-Match": etag} if etag else {})}

    urls = asset_urls(base, page)
    assert urls, page  # the script, and the styles unless the page carries them
    dashboard = (
        [fetch(f"{base}livegraphs/api/public/{token}", headers={"Accept": "application/json"})]
        if "dashboard" not in embedded
        else []
    )
    got = await asyncio.gather(
        *dashboard, *[fetch(url, headers=asset(url)) for url in urls if url not in CACHED or CACHED[url]]
    )
    charts = embedded["dashboard"]["charts"] if "dashboard" in embedded else json.loads(got[0])["charts"]
    answers = embedded.get("answers") or {}
    loaded = time.perf_counter() - t0
    await asyncio.gather(*[
        fetch(f"{base}livegraphs/api/public/{token}/charts/{chart}/query", method="POST",
              data=json.dumps({"filters": []}), headers={"Accept": ARROW, "Content-Type": "application/json"})
        for chart in charts if chart not in answers
    ])  # fmt: skip
    return Seen(loaded, time.perf_counter() - t0, *counted)


async def crowd(base: str, token: str, n: int, run: int) -> list[Seen]:
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout, auto_decompress=False) as http:
        return list(
            await asyncio.gather(
                *[viewer(http, base, token, f"10.{run}.{i // 250}.{i % 250 + 1}") for i in range(n)]
            )
        )


def one_at_a_time(base: str, token: str, reps: int = 10) -> dict[str, float]:
    """Each of a viewer's requests alone, again and again: the median milliseconds of each (the
    server's time for it, plus loopback; answers are read raw, not decompressed)."""
    import requests

    s = requests.Session()
    GZIP = {"Accept-Encoding": "gzip"}
    chart = {
        "data": json.dumps({"filters": []}),
        "headers": {"Accept": ARROW, "Content-Type": "application/json"},
    }
    kinds: dict[str, tuple[str, str, dict[str, Any]]] = {
        "page": ("GET", f"{base}livegraphs/public/{token}", {}),
        "dashboard": ("GET", f"{base}livegraphs/api/public/{token}", {}),
        "viewer.js (gzip)": ("GET", f"{base}livegraphs/static/viewer.js", {"headers": GZIP}),
        **{f"chart {c}": ("POST", f"{base}livegraphs/api/public/{token}/charts/{c}/query", chart)
           for c in [f"c{i + 1}" for i in range(len(CHARTS))]},
    }  # fmt: skip
    out = {}
    for name, (method, url, kw) in kinds.items():
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            r = s.request(method, url, stream=True, timeout=60, **kw)
            r.raw.read()
            times.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200, (url, r.status_code)
        out[name] = statistics.median(times)
    return out


def voila(server: LiveServer, proc: psutil.Process, n: int) -> dict[str, Any]:
    cells = ["import livegraphs_ext as lg"] + [
        f'lg.chart("{DATASET}", {shorthand}, title="{title}")' for title, _, _, shorthand in CHARTS
    ]
    nb = {
        "cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": c}
                  for c in cells],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5,
    }  # fmt: skip
    (server.root_dir / "viewers.ipynb").write_text(json.dumps(nb))
    base = f"http://127.0.0.1:{server.port}/"
    before = rss(proc, kernels=False)
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        r = server.session.get(base + "voila/render/viewers.ipynb", timeout=300)
        times.append(time.perf_counter() - t0)
        assert r.status_code == 200, r.text[-2000:]
        assert r.text.count("application/vnd.jupyter.widget-view+json") >= len(CHARTS), r.text[-2000:]
    time.sleep(1)
    kernels = rss(proc, kernels=True)
    kernel_count = sum(1 for c in proc.children(recursive=True) if "ipykernel" in " ".join(c.cmdline()))
    growth = max(0, rss(proc, kernels=False) - before)
    for k in server.session.get(base + "api/kernels", timeout=30).json():
        server.session.delete(base + f"api/kernels/{k['id']}", timeout=60)
    return {"renders": n, "kernels": kernel_count, "kernels_rss": kernels, "server_growth": growth,
            "per_viewer": (kernels + growth) / n, "render_s": times}  # fmt: skip


def in_browser(base: str, token: str, visits: int) -> list[float]:
    """Seconds from the page request to every chart drawn, for ``visits`` first visits."""
    from playwright.sync_api import sync_playwright

    url = f"{base}livegraphs/public/{token}"
    times = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium")
        try:
            for _ in range(visits):
                context = browser.new_context(viewport={"width": 1280, "height": 1600})
                page = context.new_page()
                t0 = time.perf_counter()
                page.goto(url)
                page.wait_for_function(
                    f"document.querySelectorAll('.jp-LiveGraphs-ChartView[data-lg-state=ready]').length"
                    f" === {len(CHARTS)}",
                    timeout=60_000,
                )
                times.append(time.perf_counter() - t0)
                context.close()
        finally:
            browser.close()
    return times


def mib(b: float) -> str:
    return f"{b / 2**20:.1f} MiB"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--viewers", type=int, default=100)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--voila", type=int, default=5, help="Voila renders (0: none)")
    ap.add_argument("--browser", type=int, default=5, help="first visits in chromium (0: none)")
    ap.add_argument("--returning", action="store_true", help="viewers have the script and styles cached")
    ap.add_argument("--work", type=Path, default=None, help="folder for the data (default: a temporary one)")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="lg-viewers-"))
    work.mkdir(parents=True, exist_ok=True)
    csv = generate(work / f"data-{args.rows}.csv", args.rows)
    for folder in ("data", "root"):  # a fresh store and server folder; the CSV is kept
        shutil.rmtree(work / folder, ignore_errors=True)
    server = LiveServer(work / "data", work / "root", ["--ServerApp.trust_xheaders=True"]).start()
    try:
        proc = psutil.Process(server.proc.pid)  # type: ignore[union-attr]
        t0 = time.perf_counter()
        dataset, token = setup(server, csv)
        print(
            f"{args.rows:,} rows ({dataset['id']}) ingested and published in {time.perf_counter() - t0:.1f} s"
        )
        base = f"http://127.0.0.1:{server.port}/"
        asyncio.run(crowd(base, token, 1, 99))  # the first viewer: the server's first queries
        if args.returning:
            page = server.session.get(f"{base}livegraphs/public/{token}", timeout=60).text
            for url in asset_urls(base, page):
                got = server.session.get(url, headers={"Accept-Encoding": "gzip"}, timeout=60).headers
                CACHED[url] = None if "immutable" in got.get("Cache-Control", "") else got["Etag"]
        each = one_at_a_time(base, token)
        print(
            "each request alone, median ms: "
            + ", ".join(f"{k} {v:.1f}" for k, v in each.items())
            + f"; {load()}"
        )
        alone = [asyncio.run(crowd(base, token, 1, 98))[0] for _ in range(5)]
        print(f"one viewer alone (median of 5): page, script, styles and dashboard in "
              f"{statistics.median(v.loaded for v in alone) * 1000:.0f} ms, every chart in "
              f"{statistics.median(v.total for v in alone) * 1000:.0f} ms; {alone[0].requests} requests, "
              f"{alone[0].bytes / 1000:.0f} kB read; {load()}")  # fmt: skip
        idle = rss(proc, kernels=False)
        seen: list[Seen] = []
        cpu0 = cpu(proc)
        with Peak(proc) as peak:
            for run in range(args.runs):
                crowd_seen = asyncio.run(crowd(base, token, args.viewers, run))
                seen += crowd_seen
                got = [v.total for v in crowd_seen]
                q = statistics.quantiles(got, n=20, method="inclusive")
                page = statistics.quantiles([v.loaded for v in crowd_seen], n=20, method="inclusive")[18]
                print(f"run {run + 1}: {args.viewers} viewers at once: "
                      f"p50 {statistics.median(got) * 1000:.0f} ms, p95 {q[18] * 1000:.0f} ms, "
                      f"max {max(got) * 1000:.0f} ms (page, script, styles and dashboard in: "
                      f"p95 {page * 1000:.0f} ms); {load()}")  # fmt: skip
        cpu_seconds = cpu(proc) - cpu0
        times = [v.total for v in seen]
        p95 = statistics.quantiles(times, n=20, method="inclusive")[18]
        per_viewer = max(0, peak.peak - idle) / args.viewers
        print(f"all runs: p50 {statistics.median(times) * 1000:.0f} ms, "
              f"p95 {p95 * 1000:.0f} ms (goal ≤ 500), max {max(times) * 1000:.0f} ms")  # fmt: skip
        print(f"per viewer: {statistics.mean(v.requests for v in seen):.1f} requests, "
              f"{statistics.mean(v.bytes for v in seen) / 1000:.0f} kB read, "
              f"server CPU {cpu_seconds / len(seen) * 1000:.1f} ms")  # fmt: skip
        print(f"server RSS idle {mib(idle)}, peak {mib(peak.peak)}: "
              f"{mib(per_viewer)} per concurrent viewer; {load()}")  # fmt: skip
        if args.browser:
            drawn = in_browser(base, token, args.browser)
            print(f"chromium, {args.browser} first visits one at a time: every chart drawn in "
                  f"{statistics.median(drawn) * 1000:.0f} ms median, max {max(drawn) * 1000:.0f} ms; "
                  f"{load()}")  # fmt: skip
        if not args.voila:
            return
        v = voila(server, proc, args.voila)
        render = statistics.median(v["render_s"])
        print(f"Voila: {v['renders']} renders ({v['kernels']} kernels), render {render:.1f} s median; "
              f"kernels {mib(v['kernels_rss'])}, server growth {mib(v['server_growth'])}: "
              f"{mib(v['per_viewer'])} per viewer; {load()}")  # fmt: skip
        floor = max(per_viewer, 1.0)
        print(f"memory per viewer, Voila ÷ livegraphs: {v['per_viewer'] / floor:.0f} times (goal ≥ 50)")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
