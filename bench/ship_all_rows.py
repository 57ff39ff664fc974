"""The baseline for bench_render.py: the same chart drawn by plain Plotly.js from every row.

This is what a tool that ships the whole data frame to the browser does (a ``plotly.express``
figure shown in a notebook, or a PyGWalker-style explorer): the figure is built in Python from all N
rows, serialised with ``plotly.io`` (numeric arrays as base64 typed arrays, dates as ISO strings),
sent over HTTP and drawn by Plotly.js (the build in ``node_modules/plotly.js-dist-min`` that the
extension bundles). Large scatter and line figures get WebGL traces, as plotly.express chooses above
1,000 rows; the bar chart sends every (category, price) pair and Plotly sums them in the browser.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import duckdb
import plotly.express as px

_PLOTLY = Path(__file__).resolve().parent.parent / "node_modules/plotly.js-dist-min"
PLOTLY_JS = _PLOTLY / "plotly.min.js"
PLOTLY_VERSION = json.loads((_PLOTLY / "package.json").read_text())["version"]

# The charts compared, by the name bench_render.py uses for our spec of the same chart.
FIGURES: dict[str, Callable[[Any], Any]] = {
    "line": lambda df: px.line(df, x="ts", y="price"),
    "scatter": lambda df: px.scatter(df, x="x", y="y"),
    "bar": lambda df: px.histogram(df, x="category", y="price", histfunc="sum"),
}

PAGE = b"""<!doctype html><html><head><meta charset="utf-8"><script src="plotly.min.js"></script></head>
<body style="margin:0"><div id="plot" style="width:1200px;height:700px"></div></body></html>"""

# Fetch the figure, parse it and draw it; the time is to the first plotly_afterplot (AFTERPLOT_HOOK).
DRAW = """
async (url) => {
  const gd = document.getElementById('plot');
  const before = window.__afterplot.length;
  const t0 = performance.now();
  const response = await fetch(url, { cache: 'no-store' });
  const fig = await response.json();
  await Plotly.newPlot(gd, fig.data, fig.layout);
  while (window.__afterplot.length === before) {
    if (performance.now() - t0 > 120000) { throw new Error('no plotly_afterplot'); }
    await new Promise(r => setTimeout(r, 5));
  }
  return window.__afterplot[before] - t0;
}
"""

PURGE = "() => Plotly.purge(document.getElementById('plot'))"


def build_figure(parquet: Path, rows: int, chart: str, reps: int) -> tuple[float, bytes]:
    """Build the plotly.express figure of ``chart`` over the first ``rows`` rows.

    Returns the median seconds of ``reps`` builds (data frame to JSON text, as a kernel would) and
    the JSON.
    """
    df = duckdb.sql(f"SELECT * FROM read_parquet('{parquet}') LIMIT {rows}").df()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        body = FIGURES[chart](df).to_json().encode()
        times.append(time.perf_counter() - t)
    return statistics.median(times), body


class FigureServer:
    """Serves the page, Plotly.js and the figures over HTTP on 127.0.0.1."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, str]] = {
            "/index.html": (PAGE, "text/html"),
            "/plotly.min.js": (PLOTLY_JS.read_bytes(), "text/javascript"),
        }
        files = self.files

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body, kind = files.get(self.path, (b"", ""))
                self.send_response(200 if kind else 404)
                self.send_header("Content-Type", kind or "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def add(self, name: str, body: bytes) -> str:
        self.files[f"/{name}"] = (body, "application/json")
        return f"{self.base}/{name}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
