"""livegraphs: collaborative data visualization inside Jupyter.

In a notebook::

    import livegraphs_ext as lg
    lg.datasets()            # what is in the store
    df = lg.load("sales")    # a pandas DataFrame with Arrow-backed columns
    lg.sql('select city, sum(amount) from sales join "ada/cities" using (city) group by all')
    lg.upload("march.csv", "sales", mode="append")  # new rows, as a new version
    lg.chart("sales", mark="bar", x="month(order_date)", y="sum(revenue)")  # a chart widget
    lg.ChartBuilder("sales") # build a chart by dragging fields
    lg.model("tips", "tip", ["total_bill", "day"])  # a fitted scikit-learn pipeline and its report
    lg.Dashboard("sales.lgdash")  # a dashboard file, with its filters and cross-filtering
    lg.list_documents()      # shared dashboards and charts you may read
    lg.Dashboard("ada/Sales")  # a shared dashboard, following others' edits live
"""

from __future__ import annotations

from typing import Any

try:
    from ._version import __version__
except ImportError:  # a source checkout that was never built
    __version__ = "0.0.0"

from .kernel.documents import export_document, import_document, list_documents
from .kernel.notebook import datasets, load, query_chart, sql, upload

_WIDGETS = ("ChartBuilder", "ChartWidget", "chart")


def __getattr__(name: str) -> Any:
    # The widgets import ipywidgets; the server extension never needs them.
    if name == "Dashboard":
        from .kernel.dashboard_widget import Dashboard

        return Dashboard
    if name == "round_half_away":
        # used by the pandas code of a recipe ("Copy as code")
        from .store.formula.rounding import round_half_away

        return round_half_away
    if name in ("model", "Model"):
        # scikit-learn loads on first use only
        from .kernel import models

        return getattr(models, name)
    if name in _WIDGETS:
        from .kernel import widgets

        return getattr(widgets, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "livegraphs-ext"}]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .app import LiveGraphsApp

    return [{"module": "livegraphs_ext", "app": LiveGraphsApp}]


__all__ = [
    "ChartBuilder",
    "ChartWidget",
    "Dashboard",
    "__version__",
    "chart",
    "datasets",
    "export_document",
    "import_document",
    "list_documents",
    "load",
    "query_chart",
    "round_half_away",
    "sql",
    "upload",
]
