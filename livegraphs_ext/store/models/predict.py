"""A model step's predictions, for the version it makes (see ``transforms._model``)."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ..schema import ColumnInfo
from .runner import run_fit
from .spec import ModelLimits, check_spec


def predictions_into(
    con: Any, step: dict[str, Any], columns: list[ColumnInfo], limits: ModelLimits | None
) -> None:
    """Fit the step's model on ``con``'s ``src`` and register its predictions as ``__predictions``
    (``"__row"``, ``"__prediction"``)."""
    limits = limits or ModelLimits()
    # the rows the recipe's code samples too (a lower limit of the host's wins)
    limits = dataclasses.replace(
        limits, max_rows=min(limits.max_rows, int(step.get("max_rows", limits.max_rows)))
    )
    spec = check_spec({k: v for k, v in step.items() if k != "op"}, columns, limits)
    with tempfile.TemporaryDirectory(prefix="livegraphs-model-") as tmp:
        path = Path(tmp) / "data.parquet"
        # the store's connections may not write files: the rows come out as Arrow
        pq.write_table(con.sql('SELECT * EXCLUDE ("__row") FROM src ORDER BY "__row"').to_arrow_table(), path)
        out = run_fit(path, spec, limits, predictions=True)["predictions"]
    values = pa.array(out.tolist(), type=pa.float64() if spec["kind"] == "regression" else pa.string())
    table = pa.table({"__row": pa.array(range(1, len(values) + 1), pa.int64()), "__prediction": values})
    con.register("__predictions", table)
