"""How much widget state a notebook of chart widgets saves, and how much each widget sends.

Runs a notebook of ``--charts`` ``lg.chart(...)`` cells with nbclient (widget state stored, as
JupyterLab's "Save widget state automatically" does) on a small dataset, and prints:

- the synced state of one widget as sent when it opens (JSON plus binary buffers);
- the saved .ipynb's size, and the part of it that is widget state.

    python bench/bench_widget_state.py --charts 10
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

CSV = "region,revenue\n" + "".join(f"r{i % 7},{i}\n" for i in range(200))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--charts", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["LIVEGRAPHS_DATA_DIR"] = str(Path(tmp) / "store")
        import livegraphs_ext as lg
        from livegraphs_ext.kernel.notebook import store

        src = store().staging_path()
        src.write_text(CSV)
        store().create_from_file(src, name="bench", owner="bench", content_type="text/csv")
        one = lg.chart("bench", mark="bar", x="region", y="sum(revenue)")
        state = one.get_state()
        buffers = sum(len(v) for v in state.values() if isinstance(v, bytes))
        text = len(json.dumps({k: v for k, v in state.items() if not isinstance(v, bytes)}))
        print(f"livegraphs_ext from {Path(lg.__file__).parent}")
        print(f"one widget's state: {text:,} bytes of JSON + {buffers:,} bytes of buffers")

        cells = [nbformat.v4.new_code_cell("import livegraphs_ext as lg")] + [
            nbformat.v4.new_code_cell(
                f'lg.chart("bench", mark="bar", x="region", y="sum(revenue)", title="{i}")'
            )
            for i in range(args.charts)
        ]
        nb = nbformat.v4.new_notebook(cells=cells)
        NotebookClient(nb, timeout=300, kernel_name="python3", store_widget_state=True).execute()
        path = Path(tmp) / "charts.ipynb"
        nbformat.write(nb, path)
        widgets = json.dumps(nb.metadata.get("widgets", {}))
        print(
            f"saved notebook with {args.charts} charts: {path.stat().st_size:,} bytes, "
            f"of which widget state {len(widgets):,} bytes"
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
