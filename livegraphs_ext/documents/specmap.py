"""One chart spec as a Yjs map, shared by dashboards (``.lgdash``) and chart files (``.lgchart``).

A spec lives in a Map of its top-level keys whose ``encoding`` is a nested Map of channel -> shelf,
and each shelf is a Map of its keys (``field``, ``aggregate``, ``bin``, ``timeUnit``, ``title``…);
``tooltip`` stays a plain list of field refs. A Map merges per key, while a plain JSON value is
replaced whole by the last writer: so two people who change different shelves of one chart, or
different keys of one shelf (one the field, the other the aggregate), both keep their edit.

Only what people chose is stored: the automatic mark and default channels (``y = count``) are
derived by each client from the spec, never written here.

This module imports neither tornado nor jupyter_server.
"""

from __future__ import annotations

from typing import Any

from pycrdt import Array, Map

from ..store.charts.spec import CHANNELS, MARKS, SPEC_VERSION

#: The top-level keys of a spec, in the order a chart file lists them.
SPEC_KEYS = (
    "version",
    "dataset",
    "mark",
    "encoding",
    "filters",
    "sort",
    "limit",
    "options",
    "overlays",
    "title",
    "axes",
    "max_marks",
)
_ENCODING_CHANNELS = (*CHANNELS, "tooltip")


def plain(value: Any) -> Any:
    """A pycrdt value (or Python value) as plain JSON data."""
    if isinstance(value, Map | Array):
        return value.to_py()
    return value


def sorted_json(value: Any) -> Any:
    """``value`` with the keys of every object in sorted order (lists keep theirs)."""
    if isinstance(value, dict):
        return {k: sorted_json(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [sorted_json(v) for v in value]
    return value


def _shelf(channel: str, ref: Any) -> Any:
    """A shelf's shared value: a Map of its keys (``tooltip``, a list, stays plain)."""
    return Map(dict(ref)) if channel != "tooltip" and isinstance(ref, dict) else ref


def _encoding_ymap(encoding: dict[str, Any]) -> Map:
    return Map({channel: _shelf(channel, ref) for channel, ref in encoding.items()})


def spec_ymap(spec: dict[str, Any]) -> Map:
    """A new spec Map: the spec's keys, ``encoding`` a nested Map of shelf Maps."""
    fields = {k: v for k, v in spec.items() if k != "encoding"}
    return Map({**fields, "encoding": _encoding_ymap(dict(spec.get("encoding") or {}))})


def write_keys(ymap: Map, value: dict[str, Any]) -> None:
    """Make ``ymap`` hold ``value``, writing only the keys that differ."""
    for key in [k for k in list(ymap.keys()) if k not in value]:
        del ymap[key]
    for key, v in value.items():
        if plain(ymap.get(key)) != v:
            ymap[key] = v


def write_spec(yspec: Map, spec: dict[str, Any]) -> None:
    """Make ``yspec`` hold ``spec``, writing only the keys, channels and shelf keys that differ.

    Call inside a transaction. Untouched keys keep their Y items, so a reload of the same file
    is a no-op and an edit made at the same moment by someone else to another key survives.
    """
    for key in [k for k in list(yspec.keys()) if k not in spec and k != "encoding"]:
        del yspec[key]
    for key, value in spec.items():
        if key != "encoding" and plain(yspec.get(key)) != value:
            yspec[key] = value
    encoding = dict(spec.get("encoding") or {})
    yenc = yspec.get("encoding")
    if not isinstance(yenc, Map):
        yspec["encoding"] = _encoding_ymap(encoding)
        return
    for channel in [c for c in list(yenc.keys()) if c not in encoding]:
        del yenc[channel]
    for channel, ref in encoding.items():
        current = yenc.get(channel)
        if isinstance(current, Map) and isinstance(ref, dict) and channel != "tooltip":
            write_keys(current, ref)
        elif plain(current) != ref or isinstance(current, Map) != isinstance(_shelf(channel, ref), Map):
            yenc[channel] = _shelf(channel, ref)


def check_spec(where: str, spec: Any, errors: list[str], *, complete: bool = False) -> None:
    """Append to ``errors`` what is wrong with the shape of a stored spec.

    Only the shape is checked (the query engine checks fields against the dataset when it runs
    the spec). ``complete`` also checks what a chart file needs: known keys, a dataset, a mark
    from the list (or none yet, while the chart is being built) and known channels.
    """
    prefix = f"{where}." if where else ""
    if not isinstance(spec, dict):
        errors.append(f"{where or 'the chart'}: must be a chart spec object")
        return
    if spec.get("version", SPEC_VERSION) != SPEC_VERSION:
        errors.append(f"{prefix}version: must be {SPEC_VERSION}")
    encoding = spec.get("encoding", {})
    if not isinstance(encoding, dict):
        errors.append(f"{prefix}encoding: must be an object of channel -> field")
    if not complete:
        return
    extra = sorted(set(spec) - set(SPEC_KEYS))
    if extra:
        errors.append(f"{where or 'the chart'}: unknown keys {extra}")
    dataset = spec.get("dataset")
    if dataset is not None and not (
        isinstance(dataset, dict)
        and any(isinstance(dataset.get(k), str) and dataset[k] for k in ("id", "name", "sql"))
    ):
        errors.append(f'{prefix}dataset: must be {{"id": …}}, {{"name": …}} or {{"sql": …}}')
    if spec.get("mark") is not None and spec["mark"] not in MARKS:
        errors.append(f"{prefix}mark: must be one of {', '.join(MARKS)}")
    if isinstance(encoding, dict):
        for channel, ref in encoding.items():
            if channel not in _ENCODING_CHANNELS:
                errors.append(f"{prefix}encoding.{channel}: not a channel ({', '.join(_ENCODING_CHANNELS)})")
            elif channel == "tooltip":
                if not isinstance(ref, list) or not all(isinstance(r, dict) for r in ref):
                    errors.append(f"{prefix}encoding.tooltip: must be a list of fields")
            elif not isinstance(ref, dict):
                errors.append(f"{prefix}encoding.{channel}: must be a field object")
    for key, kind, what in (
        ("filters", list, "a list"),
        ("overlays", list, "a list"),
        ("title", str, "a string"),
        ("options", dict, "an object"),
        ("sort", dict, "an object"),
        ("axes", dict, "an object"),
    ):
        if key in spec and not isinstance(spec[key], kind):
            errors.append(f"{prefix}{key}: must be {what}")
    for key in ("limit", "max_marks"):
        if key in spec and (not isinstance(spec[key], int | float) or isinstance(spec[key], bool)):
            errors.append(f"{prefix}{key}: must be a number")
