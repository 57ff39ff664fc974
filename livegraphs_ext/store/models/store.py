"""The store's model methods: fit a spec on a version and report, or add its predictions."""

from __future__ import annotations

from typing import Any

from ..changes import DatasetChanges
from ..core import InTransaction
from .runner import run_fit
from .spec import check_spec


class DatasetModels(DatasetChanges):
    """Models on datasets: :meth:`fit_model` reports, :meth:`add_predictions` makes a version."""

    def fit_model(
        self, dataset_id: str, spec: Any, *, version: int | None = None, ref: str | None = None
    ) -> dict[str, Any]:
        """Fit ``spec`` on a version (default: the current one) in a fitting process.

        Returns the report (metrics beside the baseline, residuals or confusion matrix,
        importance, warnings) with ``code``: the scikit-learn script that gives the same metrics,
        loading the data as ``ref`` (default: the dataset's name).
        """
        limits = self.config.models
        with self.catalog.transaction() as s:
            ds = self._get(s, dataset_id)
            number = self._version(ds, version).number
            name = ds.name
        path, columns, _ = self._columns(dataset_id, number)
        checked = check_spec(spec, columns, limits)
        report = run_fit(path, checked, limits)["report"]
        report["dataset"] = {"id": dataset_id, "version": number}
        load = f"lg.load({ref or name!r}, version={number})"
        from .code import model_code  # scikit-learn: imported when a model is first fitted

        report["code"] = model_code(checked, load, limits.max_rows)
        return report

    def add_predictions(
        self,
        dataset_id: str,
        spec: Any,
        *,
        user: str,
        base_version: int | None = None,
        in_tx: InTransaction | None = None,
    ) -> dict[str, Any]:
        """A new version with the model's predictions as a column; the recipe keeps the model."""
        if not isinstance(spec, dict):
            spec = {"target": spec}  # refused by the check, with its message
        step = {"op": "model", **spec, "max_rows": self.config.models.max_rows}
        return self.apply_step(dataset_id, step, user=user, base_version=base_version, in_tx=in_tx)
