"""Dashboards: the ``.lgdash`` file and its shared (Yjs) document.

A dashboard file is JSON (``docs/charts.md``, "Dashboards")::

    {"version": 1, "title": "Sales", "crossfilter": true,
     "filters": [{"id": "f1", "kind": "dropdown", "dataset": "…", "column": "region", "value": ["EMEA"]}],
     "charts": {"c1": {"spec": {…}, "layout": {"x": 0, "y": 0, "w": 6, "h": 4}}}}

jupyter-server-ydoc loads it into a :class:`YDashboard` (registered as the ``lgdash`` document type
through the ``jupyter_ydoc`` entry point group), serves it to every client over Yjs and autosaves
``YDashboard.get()`` back to the file. The Yjs layout gives every chart its own maps so that two
people editing different fields of one chart at once both keep their edit:

- ``meta``: Map ``{version, title, crossfilter}``
- ``charts``: Map ``chart id -> Map {"spec": Map {…, "encoding": Map {channel -> shelf}},
  "layout": Map {x, y, w, h}}``, a shelf being a Map ``{field, aggregate, bin, timeUnit, …}``
  (``tooltip`` a plain list; see ``specmap.py``)
- ``filters``: Array of Map ``{id, kind, dataset, column, value}``

This module imports neither tornado nor jupyter_server.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import partial
from typing import Any

from jupyter_ydoc.utils import cast_all
from jupyter_ydoc.ybasedoc import YBaseDoc
from pycrdt import Array, Awareness, Doc, Map

from .specmap import check_spec, plain, sorted_json, spec_ymap, write_keys, write_spec

VERSION = 1
GRID_COLUMNS = 12
FILTER_KINDS = ("dropdown", "range", "daterange")
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_LAYOUT_KEYS = ("x", "y", "w", "h")
_MAX_CHARTS = 200
_MAX_FILTERS = 50


class DashboardError(ValueError):
    """A dashboard file that does not follow the schema; ``errors`` lists every problem found."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


def empty_dashboard(title: str = "Untitled dashboard") -> dict[str, Any]:
    """A dashboard with no charts and no filters."""
    return {"version": VERSION, "title": title, "crossfilter": True, "filters": [], "charts": {}}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_layout(where: str, layout: Any, errors: list[str]) -> None:
    if not isinstance(layout, dict):
        errors.append(f"{where}: must be an object with x, y, w, h")
        return
    for key in _LAYOUT_KEYS:
        if not _is_int(layout.get(key)):
            errors.append(f"{where}.{key}: must be an integer")
    extra = sorted(set(layout) - set(_LAYOUT_KEYS))
    if extra:
        errors.append(f"{where}: unknown keys {extra}")
    if all(_is_int(layout.get(k)) for k in _LAYOUT_KEYS):
        x, y, w, h = (layout[k] for k in _LAYOUT_KEYS)
        if x < 0 or y < 0:
            errors.append(f"{where}: x and y must be >= 0")
        if not 1 <= w <= GRID_COLUMNS or h < 1:
            errors.append(f"{where}: w must be 1..{GRID_COLUMNS} and h >= 1")
        elif x + w > GRID_COLUMNS:
            errors.append(f"{where}: x + w must be <= {GRID_COLUMNS}")


def _check_filter(where: str, f: Any, errors: list[str]) -> None:
    if not isinstance(f, dict):
        errors.append(f"{where}: must be an object")
        return
    if not isinstance(f.get("id"), str) or not _ID.match(f["id"]):
        errors.append(f"{where}.id: must be 1-64 letters, digits, '_' or '-'")
    kind = f.get("kind")
    if kind not in FILTER_KINDS:
        errors.append(f"{where}.kind: must be one of {', '.join(FILTER_KINDS)}")
    if not isinstance(f.get("dataset"), str) or not f["dataset"]:
        errors.append(f"{where}.dataset: must be a dataset id or name")
    if not isinstance(f.get("column"), str) or not f["column"]:
        errors.append(f"{where}.column: must be a column name")
    if "label" in f and not isinstance(f["label"], str):
        errors.append(f"{where}.label: must be a string")
    value = f.get("value")
    if value is None:
        return
    if kind == "dropdown":
        if not isinstance(value, list) or not all(
            v is None or isinstance(v, str | int | float | bool) for v in value
        ):
            errors.append(f"{where}.value: a dropdown's value is a list of values or null")
    elif kind in ("range", "daterange"):
        item = (int, float) if kind == "range" else (str,)
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not all(v is None or (isinstance(v, item) and not isinstance(v, bool)) for v in value)
        ):
            what = "numbers" if kind == "range" else "ISO dates"
            errors.append(f"{where}.value: a {kind}'s value is [min, max] of {what} (either may be null)")


def validate_dashboard(data: Any) -> dict[str, Any]:
    """Check a parsed dashboard against the file schema and return it.

    Raises :class:`DashboardError` listing every problem. Chart specs are checked for shape only
    (an object with ``version`` 1); the query engine validates their fields when it runs them.
    """
    errors: list[str] = []
    if not isinstance(data, dict):
        raise DashboardError(["a dashboard must be a JSON object"])
    if data.get("version") != VERSION:
        errors.append(f"version: must be {VERSION}")
    if not isinstance(data.get("title", ""), str):
        errors.append("title: must be a string")
    if not isinstance(data.get("crossfilter", True), bool):
        errors.append("crossfilter: must be true or false")
    extra = sorted(set(data) - {"version", "title", "crossfilter", "filters", "charts"})
    if extra:
        errors.append(f"unknown keys {extra}")
    filters = data.get("filters", [])
    if not isinstance(filters, list):
        errors.append("filters: must be a list")
    else:
        if len(filters) > _MAX_FILTERS:
            errors.append(f"filters: at most {_MAX_FILTERS}")
        for i, f in enumerate(filters):
            _check_filter(f"filters[{i}]", f, errors)
        ids = [f.get("id") for f in filters if isinstance(f, dict)]
        if len(ids) != len(set(map(str, ids))):
            errors.append("filters: ids must be unique")
    charts = data.get("charts", {})
    if not isinstance(charts, dict):
        errors.append("charts: must be an object of chart id -> chart")
    else:
        if len(charts) > _MAX_CHARTS:
            errors.append(f"charts: at most {_MAX_CHARTS}")
        for cid, chart in charts.items():
            where = f"charts.{cid}"
            if not _ID.match(cid):
                errors.append(f"{where}: a chart id is 1-64 letters, digits, '_' or '-'")
            if not isinstance(chart, dict):
                errors.append(f"{where}: must be an object with spec and layout")
                continue
            extra = sorted(set(chart) - {"spec", "layout"})
            if extra:
                errors.append(f"{where}: unknown keys {extra}")
            check_spec(f"{where}.spec", chart.get("spec"), errors)
            _check_layout(f"{where}.layout", chart.get("layout"), errors)
    if errors:
        raise DashboardError(errors)
    return data


def parse_dashboard(text: str) -> dict[str, Any]:
    """Parse and validate the text of a ``.lgdash`` file; an empty file is an empty dashboard."""
    if not text.strip():
        return empty_dashboard()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise DashboardError([f"not JSON: {e.msg} at line {e.lineno} column {e.colno}"]) from None
    return validate_dashboard(data)


def dump_dashboard(data: dict[str, Any]) -> str:
    """The canonical text of a dashboard: fixed key order, charts by id, two-space indent.

    Same content, same text: a save after a no-op edit leaves the file unchanged, and diffs show
    only what changed.
    """
    charts = data.get("charts", {})
    out = {
        "version": data.get("version", VERSION),
        "title": data.get("title", ""),
        "crossfilter": data.get("crossfilter", True),
        "filters": [sorted_json(f) for f in data.get("filters", [])],
        "charts": {
            cid: {
                "spec": sorted_json(charts[cid].get("spec", {})),
                "layout": sorted_json(charts[cid]["layout"]),
            }
            for cid in sorted(charts)
        },
    }
    return json.dumps(out, indent=2, ensure_ascii=False) + "\n"


def _ymap_chart(chart: dict[str, Any]) -> Map:
    return Map({"spec": spec_ymap(chart.get("spec", {})), "layout": Map(dict(chart["layout"]))})


class YDashboard(YBaseDoc):
    """The shared document of a ``.lgdash`` file (see the module docstring for its Yjs layout)."""

    def __init__(self, ydoc: Doc | None = None, awareness: Awareness | None = None):
        super().__init__(ydoc, awareness)
        self._ymeta: Map = self._ydoc.get("meta", type=Map)
        self._ycharts: Map = self._ydoc.get("charts", type=Map)
        self._yfilters: Array = self._ydoc.get("filters", type=Array)
        for root in (self._ymeta, self._ycharts, self._yfilters):
            self.undo_manager.expand_scope(root)

    @property
    def version(self) -> str:
        return "1.0.0"

    @property
    def ymeta(self) -> Map:
        """The root map of ``version``, ``title`` and ``crossfilter``."""
        return self._ymeta

    @property
    def ycharts(self) -> Map:
        """The root map of chart id to chart map."""
        return self._ycharts

    @property
    def yfilters(self) -> Array:
        """The root array of dashboard filter maps."""
        return self._yfilters

    def to_dict(self) -> dict[str, Any]:
        """The dashboard as plain data (the shape of the file)."""
        meta = self._ymeta.to_py() or {}
        charts: dict[str, Any] = {}
        for cid, ychart in self._ycharts.items():
            chart = plain(ychart) or {}
            if "layout" not in chart:
                continue  # a chart half-written by a client; its next update completes it
            charts[cid] = {"spec": chart.get("spec") or {}, "layout": chart["layout"]}
        data = {
            "version": VERSION,
            "title": meta.get("title", ""),
            "crossfilter": meta.get("crossfilter", True),
            "filters": self._yfilters.to_py() or [],
            "charts": charts,
        }
        # Yjs numbers are doubles; give integral ones back as ints so the file reads naturally.
        return cast_all(data, float, int)  # type: ignore[return-value]

    def get(self) -> str:
        """The content of the file: the canonical JSON text of the dashboard."""
        return dump_dashboard(self.to_dict())

    def set(self, value: str) -> None:
        """Load the content of a file (validated first, so a bad file never half-loads).

        Only what differs is written, key by key: setting the same content is a no-op, and a reload
        after an out-of-band change keeps the Y items (and concurrent edits) of untouched keys.
        """
        data = parse_dashboard(value)
        # pycrdt turns Python ints into Yjs BigInts, which the front end cannot read as numbers.
        data = cast_all(json.loads(json.dumps(data)), int, float)  # type: ignore[assignment]
        with self._ydoc.transaction():
            for key in ("title", "crossfilter"):
                new = data.get(key, "" if key == "title" else True)
                if self._ymeta.get(key) != new:
                    self._ymeta[key] = new
            if self._ymeta.get("version") != float(VERSION):
                self._ymeta["version"] = float(VERSION)
            charts = data.get("charts", {})
            for cid in [c for c in list(self._ycharts.keys()) if c not in charts]:
                del self._ycharts[cid]
            for cid, chart in charts.items():
                current = self._ycharts.get(cid)
                yspec = current.get("spec") if isinstance(current, Map) else None
                ylayout = current.get("layout") if isinstance(current, Map) else None
                if isinstance(yspec, Map) and isinstance(ylayout, Map):
                    # Key by key, so an edit made meanwhile to another key of the chart survives.
                    write_spec(yspec, chart.get("spec", {}))
                    write_keys(ylayout, chart["layout"])
                else:
                    self._ycharts[cid] = _ymap_chart(chart)
            filters = data.get("filters", [])
            if self._yfilters.to_py() != filters:
                self._yfilters.clear()
                self._yfilters.extend([Map(dict(f)) for f in filters])

    def observe(self, callback: Callable[[str, Any], None]) -> None:
        self.unobserve()
        self._subscriptions[self._ystate] = self._ystate.observe(partial(callback, "state"))
        for name, root in (("meta", self._ymeta), ("charts", self._ycharts), ("filters", self._yfilters)):
            self._subscriptions[root] = root.observe_deep(partial(callback, name))
