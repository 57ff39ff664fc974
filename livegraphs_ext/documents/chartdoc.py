"""Chart files: the ``.lgchart`` file and its shared (Yjs) document.

A chart file holds exactly one chart spec (``docs/charts.md``) as pretty JSON::

    {
      "version": 1,
      "dataset": {"id": "…"},
      "mark": "bar",
      "encoding": {"x": {"field": "region"}, "y": {"aggregate": "sum", "field": "revenue"}}
    }

jupyter-server-ydoc loads it into a :class:`YChart` (the ``lgchart`` document type of the
``jupyter_ydoc`` entry point group), serves it to every client over Yjs and autosaves
``YChart.get()`` back to the file. The Yjs layout is that of one dashboard chart's spec:

- ``spec``: Map of the spec's keys, with ``encoding`` a nested Map of channel -> shelf, a shelf
  being a Map ``{field, aggregate, bin, timeUnit, …}`` (``tooltip`` a plain list)

so two people who change different shelves, or different keys of one shelf, at the same moment
both keep their edit.
``mark`` may be absent while a chart is being built. This module imports neither tornado nor
jupyter_server.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Any

from jupyter_ydoc.utils import cast_all
from jupyter_ydoc.ybasedoc import YBaseDoc
from pycrdt import Awareness, Doc, Map

from ..store.charts.spec import SPEC_VERSION
from .specmap import SPEC_KEYS, check_spec, sorted_json, write_spec


class ChartFileError(ValueError):
    """A chart file that does not follow the schema; ``errors`` lists every problem found."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


def empty_chart(dataset: dict[str, Any] | None = None) -> dict[str, Any]:
    """A chart with nothing on its shelves (of ``dataset``, when given)."""
    chart: dict[str, Any] = {"version": SPEC_VERSION, "encoding": {}}
    if dataset is not None:
        chart["dataset"] = dataset
    return chart


def validate_chart(data: Any) -> dict[str, Any]:
    """Check a parsed chart file and return it; raises :class:`ChartFileError` listing every problem."""
    errors: list[str] = []
    check_spec("", data, errors, complete=True)
    if isinstance(data, dict) and data.get("version") != SPEC_VERSION:
        errors.append(f"version: must be {SPEC_VERSION}")
    if errors:
        raise ChartFileError(sorted(set(errors), key=errors.index))
    return data


def parse_chart(text: str) -> dict[str, Any]:
    """Parse and validate the text of a ``.lgchart`` file; an empty file is an empty chart."""
    if not text.strip():
        return empty_chart()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ChartFileError([f"not JSON: {e.msg} at line {e.lineno} column {e.colno}"]) from None
    return validate_chart(data)


def dump_chart(spec: dict[str, Any]) -> str:
    """The canonical text of a chart file: the spec's keys in a fixed order, two-space indent.

    Same content, same text, so a no-op save leaves the file unchanged and diffs show only edits.
    """
    known = [k for k in SPEC_KEYS if k in spec]
    out = {k: sorted_json(spec[k]) for k in [*known, *sorted(set(spec) - set(known))]}
    out.setdefault("encoding", {})
    return json.dumps(out, indent=2, ensure_ascii=False) + "\n"


class YChart(YBaseDoc):
    """The shared document of a ``.lgchart`` file (see the module docstring for its Yjs layout)."""

    def __init__(self, ydoc: Doc | None = None, awareness: Awareness | None = None):
        super().__init__(ydoc, awareness)
        self._yspec: Map = self._ydoc.get("spec", type=Map)
        self.undo_manager.expand_scope(self._yspec)

    @property
    def version(self) -> str:
        return "1.0.0"

    @property
    def yspec(self) -> Map:
        """The root map of the spec (``encoding`` a nested Map of shelf Maps)."""
        return self._yspec

    def to_dict(self) -> dict[str, Any]:
        """The chart spec as plain data (the content of the file)."""
        spec = self._yspec.to_py() or {}
        spec.setdefault("version", SPEC_VERSION)
        spec.setdefault("encoding", {})
        # Yjs numbers are doubles; give integral ones back as ints so the file reads naturally.
        return cast_all(spec, float, int)  # type: ignore[return-value]

    def get(self) -> str:
        """The content of the file: the canonical JSON text of the spec."""
        return dump_chart(self.to_dict())

    def set(self, value: str) -> None:
        """Load the content of a file (validated first, so a bad file never half-loads).

        Only the keys and channels that differ are written: setting the same content is a no-op.
        """
        spec = parse_chart(value)
        # pycrdt turns Python ints into Yjs BigInts, which the front end cannot read as numbers.
        spec = cast_all(json.loads(json.dumps(spec)), int, float)  # type: ignore[assignment]
        with self._ydoc.transaction():
            write_spec(self._yspec, spec)

    def observe(self, callback: Callable[[str, Any], None]) -> None:
        self.unobserve()
        self._subscriptions[self._ystate] = self._ystate.observe(partial(callback, "state"))
        self._subscriptions[self._yspec] = self._yspec.observe_deep(partial(callback, "spec"))
