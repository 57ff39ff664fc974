"""Make a large two-column numeric dataset in the test server's store, without a browser upload.

    python scale_dataset.py <data dir> <rows> <name>

DuckDB writes the CSV (x and y spread over 0..1000, 100,000 distinct values each) and the
store ingests it as the local user's dataset; the dataset's JSON record goes to stdout.
"""

import getpass
import json
import sys
import tempfile
from pathlib import Path

import duckdb

from livegraphs_ext.store import DatasetStore, StoreConfig


def main() -> None:
    root, rows, name = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    with tempfile.TemporaryDirectory(dir=root) as tmp:
        src = Path(tmp) / f"{name}.csv"
        duckdb.sql(
            "COPY (SELECT (hash(i) % 100000) / 100.0 AS x, (hash(i * 7 + 1) % 100000) / 100.0 AS y "
            f"FROM range({rows}) t(i)) TO '{src}' (HEADER)"
        )
        store = DatasetStore(StoreConfig(root=root), sweep=False)
        record = store.create_from_file(
            src, name=name, owner=getpass.getuser(), content_type="text/csv", filename=src.name
        )
    print(json.dumps(record, default=str))


if __name__ == "__main__":
    main()
