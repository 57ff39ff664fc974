"""``lg.model``: fit a model on a dataset in the kernel, and get the pipeline and its report."""

from __future__ import annotations

import dataclasses
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from ..store.models.code import model_code
from ..store.models.recipe import column_values
from ..store.models.runner import run_fit
from ..store.models.spec import ModelLimits, check_spec
from ..store.schema import ColumnInfo
from . import notebook


@dataclass
class Model:
    """A fitted model: ``pipeline`` (scikit-learn, fitted on every row with a target) and ``report``."""

    pipeline: Any
    report: dict[str, Any]

    def predict(self, df: Any) -> Any:
        """Predictions for the rows of ``df`` (a frame as ``lg.load`` gives), as a NumPy array."""
        import pandas as pd

        spec = self.report["spec"]
        features = pd.DataFrame({c: column_values(df[c], spec["roles"][c]) for c in spec["features"]})
        return self.pipeline.predict(features)

    @property
    def metrics(self) -> dict[str, Any]:
        """The model's and the baseline's metrics."""
        return dict(self.report["metrics"])

    @property
    def code(self) -> str:
        """The scikit-learn script that gives the same metrics."""
        return str(self.report["code"])


def model(
    name: str,
    target: str,
    features: list[str],
    *,
    version: int | None = None,
    max_rows: int | None = None,
    **options: Any,
) -> Model:
    """Fit a regression or classification of ``target`` on ``features`` of a dataset.

    ``options`` are those of the Model panel's spec: ``kind`` (regression, classification),
    ``algorithm`` (linear, boosting), ``evaluation`` (holdout, cv), ``seed``, ``shuffle``,
    ``time``, ``folds``, ``test_fraction``. The report is the one the panel shows (metrics beside
    the baseline, residuals or confusion matrix, importance, warnings) and the same figures:
    the data is what ``lg.load(name, version=version)`` gives. Above ``max_rows`` rows with a
    target (at most the server's ``model_max_rows``), a seeded sample is used.

    The fit runs in a process of its own under the server's model limits (``model_time_limit``,
    ``model_memory_limit``, ``model_max_rows``, ``model_max_features``): past the time limit it
    raises ``TimedOut``, past the memory ``TooLarge``, with too many features ``BadInput``.
    """
    limits = ModelLimits.from_environment()
    if max_rows is not None:
        limits = dataclasses.replace(limits, max_rows=min(max_rows, limits.max_rows))
    ds = notebook._find(name)
    number = version or ds["version"]
    if notebook._service() is None:
        columns = notebook.store().version(ds["id"], number)["columns"]
    else:
        columns = orjson.loads(notebook._call(f"datasets/{ds['id']}/versions/{number}"))["columns"]
    spec = check_spec(
        {"target": target, "features": list(features), **options},
        [ColumnInfo.from_json(c) for c in columns],
        limits,
    )
    import pyarrow.parquet as pq

    with tempfile.TemporaryDirectory(prefix="livegraphs-model-") as tmp:
        path = Path(tmp) / "data.parquet"
        pq.write_table(notebook._arrow(ds, number), path)
        fitted = run_fit(path, spec, limits, pipeline=True)
    report = fitted["report"]
    report["dataset"] = {"id": ds["id"], "version": number}
    report["code"] = model_code(spec, f"lg.load({name!r}, version={number})", limits.max_rows)
    return Model(fitted["pipeline"], report)
