"""The rules the kernel and the front end share, read from ``rules.json``.

The front end reads the same table (``src/rules.ts`` is generated from it), so the "show me" mark, the
``lg.chart(...)`` line of a spec and the condition of a dashboard filter come out the same in both.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from importlib.resources import files
from typing import Any

RULES: dict[str, Any] = json.loads(files(__package__).joinpath("rules.json").read_text(encoding="utf-8"))

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def role(ref: dict[str, Any] | None, types: dict[str, str]) -> str:
    """How a field on a shelf behaves: measure, continuous, time, category or none."""
    if not ref:
        return "none"
    if ref.get("aggregate"):
        return "measure"
    t = types.get(ref.get("field") or "")
    if t is None:
        return "none"
    if ref.get("timeUnit") or t in RULES["roles"]["temporal"]:
        return "time"
    if t in RULES["roles"]["numeric"]:
        return "category" if ref.get("bin") else "continuous"
    return "category"


def _matches(rule: dict[str, Any], encoding: dict[str, Any], x: str, y: str, x_ref: Any) -> bool:
    return (
        all(encoding.get(ch) for ch in rule.get("has", []))
        and (not rule.get("hasAny") or any(encoding.get(ch) for ch in rule["hasAny"]))
        and rule.get("x", x) == x
        and rule.get("y", y) == y
        and (not rule.get("xBin") or bool((x_ref or {}).get("bin")))
    )


def suggest_mark(encoding: dict[str, Any], types: dict[str, str]) -> str | None:
    """The mark that fits the fields, as the builder's "show me" picks it; None when nothing is placed."""
    x_ref, y_ref = encoding.get("x"), encoding.get("y")
    x, y = role(x_ref, types), role(y_ref, types)
    for rule in RULES["showMe"]["rules"]:
        if _matches(rule, encoding, x, y, x_ref) or (
            rule.get("swap") and _matches(rule, encoding, y, x, y_ref)
        ):
            return rule["mark"]
    return None


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
    args = [_py(name), f"mark={_py(spec.get('mark') or rule['defaultMark'])}"]
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
