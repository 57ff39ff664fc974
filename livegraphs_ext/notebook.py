"""Reach the dataset store from a notebook kernel: ``lg.datasets()``, ``lg.load()``, ``lg.query_chart()``."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from .store import DatasetStore
    from .store.charts import ChartResult


@lru_cache(maxsize=4)
def _store(root: str, catalog_url: str | None) -> DatasetStore:
    from .store import DatasetStore, StoreConfig

    # A kernel is a reader beside the server: it must not sweep the server's staging files.
    return DatasetStore(StoreConfig(root=Path(root), catalog_url=catalog_url), sweep=False)


def store() -> DatasetStore:
    """The store this kernel's server uses (``$LIVEGRAPHS_DATA_DIR`` / ``$LIVEGRAPHS_CATALOG_URL``)."""
    from .store import default_root

    return _store(str(default_root()), os.environ.get("LIVEGRAPHS_CATALOG_URL") or None)


def datasets() -> pd.DataFrame:
    """Every dataset: id, name, owner, rows, columns, version, size and last change."""
    import pandas as pd

    rows = [
        {
            "name": d["name"],
            "id": d["id"],
            "owner": d["owner"],
            "rows": d["rows"],
            "columns": len(d["columns"]),
            "version": d["version"],
            "size": d["size"],
            "updated": pd.Timestamp(d["updated"]),
        }
        for d in store().list_datasets()
    ]
    cols = ["name", "id", "owner", "rows", "columns", "version", "size", "updated"]
    return pd.DataFrame(rows, columns=cols)


def load(name: str, version: int | None = None) -> pd.DataFrame:
    """A dataset (by name or id) as a pandas DataFrame with Arrow-backed dtypes.

    ``version`` picks an older version; the default is the current one.
    """
    import pandas as pd

    s = store()
    ds = s.find(name)
    return s.arrow(ds["id"], version).to_pandas(types_mapper=pd.ArrowDtype)


def query_chart(spec: dict[str, Any], max_marks: int | None = None) -> ChartResult:
    """Run a chart spec (``docs/charts.md``) on this kernel's store, in-process.

    Returns the engine's result (``.to_json()``, ``.to_arrow()``); raises the
    store's ``BadInput`` / ``NotFound`` for a spec that cannot be drawn.
    """
    from .store.charts import run_chart

    if max_marks is None:
        return run_chart(store(), spec)
    return run_chart(store(), spec, max_marks=max_marks)
