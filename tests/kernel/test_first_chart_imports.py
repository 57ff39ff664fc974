"""A notebook's first chart imports only what a chart needs.

``import livegraphs_ext`` and the first ``lg.query_chart`` of a fresh kernel must not pay for the
libraries of other features: each is imported where it is used (a query's check, a model, a
trend line, a shared document, the server). Checked in a fresh interpreter, by ``sys.modules``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from livegraphs_ext.store import DatasetStore, StoreConfig

#: Imported on first use only, never by a chart: sqlglot (the check of a SQL query), pandas and
#: statsmodels (trend lines and forecasts, lg.load), jsonschema (explaining a refused spec),
#: scikit-learn and scipy (models), jupyter_ydoc and pycrdt (shared documents), pyarrow's compute
#: functions (lines of raw points, sorted pages), the server's tornado and jupyter_server.
LAZY = (
    "sqlglot",
    "pandas",
    "statsmodels",
    "jsonschema",
    "sklearn",
    "scipy",
    "jupyter_ydoc",
    "pycrdt",
    "pyarrow.compute",
    "tornado",
    "jupyter_server",
)

SPEC = {
    "version": 1,
    "dataset": {"name": "sales"},
    "mark": "bar",
    "encoding": {
        "x": {"field": "day", "timeUnit": "month"},
        "y": {"field": "amount", "aggregate": "sum"},
        "color": {"field": "region"},
    },
}

CODE = f"""
import json, sys
LAZY = {LAZY!r}
import livegraphs_ext as lg
after_import = sorted(m for m in LAZY if m in sys.modules)
result = lg.query_chart({SPEC!r})
after_chart = sorted(m for m in LAZY if m in sys.modules)
print(json.dumps([after_import, after_chart, result.to_json()["data"]]))
"""


def _fresh_kernel_env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTERHUB_", "LIVEGRAPHS_"))}
    env.update(LIVEGRAPHS_DATA_DIR=str(root), LIVEGRAPHS_LOCAL_USER="ada")
    return env


def test_import_and_first_chart_leave_the_other_features_libraries_unimported(tmp_path: Path) -> None:
    root = tmp_path / "store"
    csv = tmp_path / "sales.csv"
    csv.write_text(
        "day,region,amount\n2024-01-05,North,10\n2024-01-20,South,5\n2024-02-03,North,7\n",
        encoding="utf-8",
    )
    store = DatasetStore(StoreConfig(root=root))
    try:
        store.create_from_file(csv, name="sales", owner="ada", content_type="text/csv")
    finally:
        store.close()
    out = subprocess.run(
        [sys.executable, "-c", CODE],
        capture_output=True,
        text=True,
        timeout=300,
        env=_fresh_kernel_env(root),
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    after_import, after_chart, data = json.loads(out.stdout.strip().splitlines()[-1])
    assert after_import == []
    assert after_chart == []
    # the chart was drawn: January's two regions and February's one
    assert sorted(zip(data["color"], data["y"], strict=True)) == [("North", 7), ("North", 10), ("South", 5)]
