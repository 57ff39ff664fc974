"""The rules the kernel and the front end share, read from ``rules.json``.

The front end reads the same table (``src/rules.ts`` is generated from it), so the "show me" mark, the
defaults a mark fills in, the ``lg.chart(...)`` line of a spec and the condition of a dashboard filter
come out the same in both.

Columns are given as a mapping of name to what is known of the column (:func:`columns_by_name` makes it
from a dataset's columns and row count): the type says what a field is, and for an integer column its
count of distinct values against its count of values says whether it is an ordered category (month,
day, size) or a continuous number.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import re
from collections.abc import Iterable, Mapping
from importlib.resources import files
from typing import Any

RULES: dict[str, Any] = json.loads(files(__package__).joinpath("rules.json").read_text(encoding="utf-8"))

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

#: A dataset's columns by name: each with its ``type``, and when known its count of distinct
#: values (``distinct``, kept by the store for integers of few values) and of values (``values``).
Columns = Mapping[str, Mapping[str, Any]]


def columns_by_name(
    columns: Iterable[Mapping[str, Any]], rows: int | None = None
) -> dict[str, dict[str, Any]]:
    """A dataset's columns (and its row count) as the mapping the rules read."""
    out: dict[str, dict[str, Any]] = {}
    for c in columns:
        known = dict(c)
        if rows is not None:
            known["values"] = rows - int(c.get("nulls") or 0)
        out[str(c["name"])] = known
    return out


def _repeats(column: Mapping[str, Any]) -> bool:
    """Whether a column's values repeat as an ordered category's do (``roles.ordinal``)."""
    rule = RULES["roles"]["ordinal"]
    distinct, values = column.get("distinct"), column.get("values")
    return (
        column.get("type") in rule["types"]
        and isinstance(distinct, int)
        and isinstance(values, int)
        and distinct <= rule["upTo"]
        and distinct * distinct <= values
    )


def role(ref: Mapping[str, Any] | None, columns: Columns) -> str:
    """How a field on a shelf behaves: measure, continuous, ordinal, time, category or none."""
    if not ref:
        return "none"
    if ref.get("aggregate"):
        return "measure"
    column = columns.get(ref.get("field") or "")
    if column is None:
        return "none"
    t = column.get("type")
    roles = RULES["roles"]
    if ref.get("timeUnit") or t in roles["temporal"]:
        return "time"
    if t in roles["numeric"]:
        if ref.get("bin"):
            return "category"
        return "ordinal" if _repeats(column) else "continuous"
    return "category"


def _matches(rule: dict[str, Any], encoding: Mapping[str, Any], x: str, y: str, x_ref: Any) -> bool:
    return (
        all(encoding.get(ch) for ch in rule.get("has", []))
        and (not rule.get("hasAny") or any(encoding.get(ch) for ch in rule["hasAny"]))
        and rule.get("x", x) == x
        and rule.get("y", y) == y
        and (not rule.get("xBin") or bool((x_ref or {}).get("bin")))
    )


def suggest_mark(encoding: Mapping[str, Any], columns: Columns) -> str | None:
    """The mark that fits the fields, as the builder's "show me" picks it; None when nothing is placed."""
    x_ref, y_ref = encoding.get("x"), encoding.get("y")
    x, y = role(x_ref, columns), role(y_ref, columns)
    for rule in RULES["showMe"]["rules"]:
        if _matches(rule, encoding, x, y, x_ref) or (
            rule.get("swap") and _matches(rule, encoding, y, x, y_ref)
        ):
            return rule["mark"]
    return None


def _value_channel(encoding: Mapping[str, Any], columns: Columns) -> str | None:
    """The axis holding the measured number (``value`` in the defaults' table), or None."""
    roles = {"x": role(encoding.get("x"), columns), "y": role(encoding.get("y"), columns)}
    for row in RULES["defaults"]["value"]:
        if all(roles[axis] in row[axis] for axis in ("x", "y") if axis in row):
            return str(row["channel"])
    return None


def _alone(mark: str, encoding: Mapping[str, Any]) -> bool:
    """Whether a field is placed alone on y, to be drawn from x (``defaults.alone``)."""
    y = encoding.get("y") or {}
    return (
        mark in RULES["defaults"]["alone"]["marks"]
        and not encoding.get("x")
        and bool(y.get("field"))
        and not y.get("aggregate")
    )


def derived_encoding(mark: str, encoding: Mapping[str, Any], columns: Columns) -> dict[str, Any]:
    """The encoding ``mark`` draws: the fields placed, with the channels and aggregates the mark
    fills in (a count of records on y for x alone, a field alone on y drawn from x, a sum or mean
    of a raw number, no aggregate on a box's y)."""
    rule = RULES["defaults"]
    out: dict[str, Any] = copy.deepcopy(dict(encoding))
    if _alone(mark, out):
        out["x"] = out.pop("y")
    counted = rule["count"].get(mark)
    if counted and not out.get(counted) and out.get("x"):
        out[counted] = dict(rule["countField"])
    y = out.get("y")
    if mark in rule["raw"] and y and y.get("aggregate") and y.get("field"):
        out["y"] = {k: v for k, v in y.items() if k != "aggregate"}
    default = rule["aggregates"].get(mark)
    if default:
        for name in default["channels"]:
            channel = _value_channel(out, columns) if name == "value" else name
            ref = out.get(channel) if channel else None
            if ref and role(ref, columns) in rule["numbers"]:
                out[channel] = {**ref, "aggregate": default["aggregate"]}  # type: ignore[index]
    return out


def derived_spec(spec: Mapping[str, Any], columns: Columns) -> dict[str, Any]:
    """The spec a stored chart draws: the mark the fields suggest when none was chosen, and what
    that mark fills in (:func:`derived_encoding`). Unchanged when there is no mark to draw."""
    encoding = spec.get("encoding") or {}
    mark = spec.get("mark") or suggest_mark(encoding, columns)
    if mark is None:
        return dict(spec)
    out = {**spec, "mark": mark, "encoding": derived_encoding(mark, encoding, columns)}
    options = RULES["defaults"]["alone"]["options"].get(mark)
    if options and _alone(mark, encoding):
        out["options"] = {**options, **(spec.get("options") or {})}
    overlays = drawn_overlays(mark, out["encoding"], columns, spec.get("overlays"))
    if overlays:
        out["overlays"] = overlays
    else:
        out.pop("overlays", None)
    return out


_NUMERIC = ("integer", "float")
_TEMPORAL = ("date", "datetime")


def _overlay_well_formed(o: Any) -> bool:
    def whole(v: Any, lo: int, hi: int) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi

    if not isinstance(o, dict):
        return False
    if o.get("kind") == "trend":
        return set(o) <= {"kind", "method"} and o.get("method", "linear") in ("linear", "loess")
    if o.get("kind") == "forecast":
        interval = o.get("interval", 0.95)
        return (
            set(o) <= {"kind", "periods", "seasonality", "interval"}
            and whole(o.get("periods", 12), 1, 1000)
            and (o.get("seasonality", "auto") == "auto" or whole(o.get("seasonality"), 0, 400))
            and isinstance(interval, int | float)
            and not isinstance(interval, bool)
            and 0.5 < interval < 1
        )
    return False


def overlay_applies(kind: str, mark: str, encoding: Mapping[str, Any], columns: Columns) -> bool:
    """Whether an overlay of ``kind`` draws on a chart of ``mark`` over the (derived) ``encoding``:
    a trend on a scatter or line with numbers or dates on x, a forecast on a line over dates;
    numbers on y; no facets. The engine refuses the others (``store/charts/spec.py``)."""
    x, y = encoding.get("x"), encoding.get("y")
    if not isinstance(x, dict) or not isinstance(y, dict) or x.get("aggregate"):
        return False
    if encoding.get("row") or encoding.get("column"):
        return False

    def type_of(ref: Mapping[str, Any]) -> str:
        return str((columns.get(str(ref.get("field"))) or {}).get("type") or "")

    # a count or an average is a number whatever it counts; min and max are of the column's type
    if (
        y.get("aggregate") not in ("count", "distinct", "sum", "mean", "median")
        and type_of(y) not in _NUMERIC
    ):
        return False
    if kind == "trend":
        return mark in ("scatter", "line") and type_of(x) in _NUMERIC + _TEMPORAL
    return mark == "line" and type_of(x) in _TEMPORAL


def drawn_overlays(mark: str, encoding: Mapping[str, Any], columns: Columns, raw: Any) -> list[Any]:
    """The overlays of ``raw`` (a stored spec's, perhaps merged) that the chart draws: well formed, one of
    each kind, and applying to it (as the builder keeps them, ``src/charts/builder/overlays.ts``)."""
    if not isinstance(raw, list):
        return []
    out: list[Any] = []
    for o in raw:
        fresh = _overlay_well_formed(o) and all(k["kind"] != o["kind"] for k in out)
        if fresh and overlay_applies(o["kind"], mark, encoding, columns):
            out.append(o)
    return out


def _py(value: Any) -> str:
    """A Python literal for a JSON value; strings as JSON escapes them (valid Python too)."""
    if value is None or value is True or value is False:
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int | float):
        return repr(value) if math.isfinite(value) else "None"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_py(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_py(str(k))}: {_py(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"not a JSON value: {value!r}")


def _shorthand(ref: dict[str, Any]) -> str | None:
    """The shorthand of a field reference, or None when only a dict says it exactly."""
    rule = RULES["pythonCode"]["shorthand"]
    field = ref.get("field")
    if field is None:
        return "count()" if ref == rule["noField"] else None
    if set(ref) - set(rule["keys"]) or ref.get("bin") not in (None, True):
        return None
    if not isinstance(field, str) or any(c in field for c in rule["reserved"]):
        return None
    text = field
    for key in rule["wrap"]:
        if ref.get(key):  # bin(…) is named by its key, the others by their value: sum(…), month(…)
            text = f"{key if ref[key] is True else ref[key]}({text})"
    return text


def _py_ref(ref: dict[str, Any]) -> str:
    short = _shorthand(ref)
    return _py(short) if short is not None else _py(ref)


def python_code(spec: dict[str, Any], dataset: str | None = None) -> str:
    """The ``lg.chart(...)`` line that recreates ``spec``."""
    rule = RULES["pythonCode"]
    ds = spec.get("dataset") or {}
    name = dataset or ds.get("name") or ds.get("id") or ""
    # a query's chart: lg.chart(sql="select ...", ...)
    data = f"sql={_py(ds['sql'])}" if isinstance(ds.get("sql"), str) else _py(name)
    args = [data, f"mark={_py(spec.get('mark') or rule['defaultMark'])}"]
    enc = spec.get("encoding") or {}
    args += [f"{ch}={_py_ref(enc[ch])}" for ch in rule["channels"] if enc.get(ch)]
    args += [f"{ch}=[{', '.join(_py_ref(r) for r in enc[ch])}]" for ch in rule["listChannels"] if enc.get(ch)]
    for keyword in rule["keywords"]:
        value: Any = spec
        for step in keyword["path"]:
            value = value.get(step) if isinstance(value, dict) else None
        if value not in rule["skip"]:
            args.append(f"{keyword['name']}={_py(value)}")
    return f"{rule['call']}({', '.join(args)})"


def _day_after(value: Any) -> Any:
    """The day after an ISO date (``2024-03-31`` → ``2024-04-01``); the value as it is when not a date."""
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        return value
    try:
        return (dt.date.fromisoformat(value) + dt.timedelta(days=1)).isoformat()
    except (ValueError, OverflowError):
        return value


def _bound(column: str, rule: dict[str, Any], value: Any) -> dict[str, Any]:
    return {
        "column": column,
        "cmp": rule["cmp"],
        "value": _day_after(value) if rule.get("nextDay") else value,
    }


def filter_condition(f: dict[str, Any]) -> dict[str, Any] | None:
    """The condition a dashboard filter stands for, or None when it restricts nothing."""
    value = f.get("value")
    if not isinstance(value, list):
        return None
    table = RULES["filterConditions"]
    kind = table["kinds"].get(f.get("kind")) or table["kinds"][table["default"]]
    column = f["column"]
    if "list" in kind:
        return {"column": column, "cmp": kind["list"], "value": value} if value else None
    lo, hi = ((None if v == "" else v) for v in [*value, None, None][:2])
    if lo is not None and hi is not None:
        if kind["both"] == "and":
            return {
                "combine": "and",
                "conditions": [_bound(column, kind["from"], lo), _bound(column, kind["to"], hi)],
            }
        return {"column": column, "cmp": kind["both"], "value": [lo, hi]}
    if lo is not None:
        return _bound(column, kind["from"], lo)
    if hi is not None:
        return _bound(column, kind["to"], hi)
    return None
