"""Chart specs: the JSON Schema check, then the checks that need the dataset's columns.

:func:`validate_spec` turns a spec into a :class:`ChartSpec`: every channel
resolved to a column and a type, every default filled in, and a canonical
JSON key for the cache. Errors are :class:`BadInput` (400) whose message
starts with the path of what is wrong (``encoding.y.aggregate: ...``), so a
client can point at the channel.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any

from ..errors import BadInput
from ..filters import MAX_FILTER_VALUES, normalise_filter
from ..schema import ColumnInfo

SPEC_VERSION = 1
MARKS = ("bar", "line", "area", "scatter", "pie", "heatmap", "histogram", "box", "map", "kpi", "table")
AGGREGATES = ("sum", "mean", "median", "min", "max", "count", "distinct")
TIME_UNITS = ("year", "quarter", "month", "week", "day", "hour", "minute")
#: Single channels, in the order their fields appear in a result.
CHANNELS = ("x", "y", "color", "size", "row", "column", "label", "latitude", "longitude", "location")
NUMERIC = ("integer", "float")
TEMPORAL = ("date", "datetime")
DEFAULT_MAXBINS = 20
REASON = "Bad chart spec"

#: Which column types each aggregate accepts.
_AGG_TYPES: dict[str, tuple[str, ...]] = {
    "sum": ("integer", "float", "boolean"),
    "mean": ("integer", "float", "boolean"),
    "median": ("integer", "float"),
    "min": ("integer", "float", "boolean", "date", "datetime", "string"),
    "max": ("integer", "float", "boolean", "date", "datetime", "string"),
    "count": ("integer", "float", "boolean", "date", "datetime", "string"),
    "distinct": ("integer", "float", "boolean", "date", "datetime", "string"),
}


@cache
def spec_schema() -> dict[str, Any]:
    """The published JSON Schema of a chart spec (``spec.schema.json``)."""
    text = files("livegraphs_ext.store.charts").joinpath("spec.schema.json").read_text("utf-8")
    return dict(json.loads(text))


class _Validator:
    """The schema check: fastjsonschema says whether a spec is valid, and only for one that is not
    does jsonschema (slow to import: its format checkers build URI grammars, about 2 s) say why, with
    the best-matching error. The schema uses only keywords both read alike (a test holds them to it).
    """

    def __init__(self, schema: dict[str, Any]):
        import fastjsonschema

        self._fast = fastjsonschema.compile(schema, use_default=False, use_formats=False)

    def iter_errors(self, instance: Any) -> Any:
        from fastjsonschema import JsonSchemaValueException

        try:
            self._fast(instance)
        except JsonSchemaValueException:
            return _full_validator().iter_errors(instance)
        return iter(())


@cache
def _validator() -> _Validator:
    return _Validator(spec_schema())


@cache
def _full_validator() -> Any:
    import jsonschema

    schema = spec_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _path(parts: Sequence[Any]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "spec"


def bad(path: str, message: str) -> BadInput:
    return BadInput(f"{path}: {message}", reason=REASON)


class CheckedSpec(dict[str, Any]):
    """A spec that passed the JSON Schema check: what :func:`check_shape` returns.

    Read-only, so it stays what was checked; :func:`check_shape` (and so
    :func:`validate_spec`) takes it as it is, which is how a query checks its
    spec once at the entry and passes the checked spec down.
    """

    def _read_only(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("a checked chart spec is read-only; copy it with dict(spec) to change it")

    __setitem__ = __delitem__ = __ior__ = _read_only
    clear = pop = popitem = setdefault = update = _read_only

    def __reduce__(self) -> tuple[Any, ...]:
        # copies (copy, deepcopy, pickle) are made whole, not key by key
        return (CheckedSpec, (dict(self),))

    @property
    def sql(self) -> str | None:
        """The query whose result the chart draws (``dataset: {"sql"}``), else None."""
        sql = self["dataset"].get("sql")
        return sql if isinstance(sql, str) else None

    def with_dataset(self, ref: dict[str, Any]) -> CheckedSpec:
        """The same spec over the dataset ``{"id"[, "version"]}`` of an id already resolved."""
        if set(ref) - {"id", "version"} or not isinstance(ref.get("id"), str):
            raise bad("dataset", "a resolved dataset is {id} with an optional version")
        return CheckedSpec({**self, "dataset": ref})


def check_shape(spec: Any) -> CheckedSpec:
    """The JSON Schema check alone (no dataset needed); returns the spec as a :class:`CheckedSpec`."""
    if isinstance(spec, CheckedSpec):
        return spec
    if not isinstance(spec, dict):
        raise bad("spec", "a chart spec must be a JSON object")
    errors = sorted(_validator().iter_errors(spec), key=lambda e: (len(e.absolute_path), e.path))
    if errors:
        import jsonschema

        e = jsonschema.exceptions.best_match(errors)
        raise bad(_path(list(e.absolute_path)), _short(e))
    return CheckedSpec(spec)


def _short(e: Any) -> str:
    if e.validator == "additionalProperties":
        return str(e.message).replace("Additional properties are not allowed", "unknown field(s)")
    if e.validator == "anyOf" and list(e.absolute_path)[-1:] == ["seasonality"]:
        return "must be 'auto' or a whole number of periods (0 for none)"
    if e.validator == "oneOf" and e.validator_value and isinstance(e.instance, dict):
        given = sorted({"id", "name", "sql"} & set(e.instance))
        if len(given) > 1:
            return f"give one of 'id', 'name' and 'sql', not {' and '.join(map(repr, given))}"
        if given == ["sql"]:
            return "a query's data has no version: it reads the current versions of its datasets"
        return str(e.message)
    return str(e.message)[:300]


@dataclass(frozen=True)
class FieldRef:
    """One channel's field, resolved against the dataset's columns."""

    channel: str  # "x", "y", ..., "tooltip"
    name: str  # the result column: "x", "tooltip_0", ...
    column: str | None  # None only for count(*)
    ctype: str | None  # the column's type
    aggregate: str | None = None
    bin: dict[str, Any] | None = None  # {"maxbins": n} or {"step": s}
    time_unit: str | None = None
    title: str | None = None

    @property
    def is_measure(self) -> bool:
        return self.aggregate is not None

    @property
    def out_type(self) -> str:
        """The type of the result column."""
        if self.aggregate in ("count", "distinct"):
            return "integer"
        if self.aggregate in ("mean", "median"):
            return "float"
        if self.aggregate == "sum":
            return "float" if self.ctype == "float" else "integer"
        if self.bin is not None:
            return "float"
        return self.ctype or "integer"

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "channel": self.channel,
            "column": self.column,
            "type": self.out_type,
        }
        if self.aggregate:
            out["aggregate"] = self.aggregate
        if self.time_unit:
            out["timeUnit"] = self.time_unit
        if self.title:
            out["title"] = self.title
        return out

    def label(self) -> str:
        if self.aggregate == "count" and self.column is None:
            return "count"
        if self.aggregate:
            return f"{self.aggregate}({self.column})"
        return str(self.column)


@dataclass
class ChartSpec:
    """A validated, normalised spec (see :func:`validate_spec`)."""

    mark: str
    fields: list[FieldRef]
    filters: dict[str, Any] | None
    sort: dict[str, Any] | None
    limit: int | None
    options: dict[str, Any]
    max_marks: int | None
    dataset: dict[str, Any] = field(default_factory=dict)
    title: str | None = None
    #: trend lines and forecasts, each with its defaults filled in (see :func:`_overlays`)
    overlays: list[dict[str, Any]] = field(default_factory=list)

    def get(self, channel: str) -> FieldRef | None:
        for f in self.fields:
            if f.channel == channel:
                return f
        return None

    @property
    def dims(self) -> list[FieldRef]:
        return [f for f in self.fields if not f.is_measure]

    @property
    def measures(self) -> list[FieldRef]:
        return [f for f in self.fields if f.is_measure]

    @property
    def aggregated(self) -> bool:
        return bool(self.measures)

    def key(self) -> str:
        """Canonical JSON of everything that changes the result (the cache key's spec part)."""
        body = {
            "mark": self.mark,
            "fields": [
                [f.channel, f.name, f.column, f.aggregate, f.bin, f.time_unit, f.title] for f in self.fields
            ],
            "filters": self.filters,
            "sort": self.sort,
            "limit": self.limit,
            "options": self.options,
            "max_marks": self.max_marks,
            "overlays": self.overlays,
        }
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _column(name: str, columns: Sequence[ColumnInfo], path: str) -> ColumnInfo:
    for c in columns:
        if c.name == name:
            return c
    known = ", ".join(repr(c.name) for c in columns[:50])
    raise bad(path, f"unknown column {name!r}; known columns: {known}")


def _field(raw: dict[str, Any], channel: str, name: str, path: str, cols: Sequence[ColumnInfo]) -> FieldRef:
    agg = raw.get("aggregate")
    col_name = raw.get("field")
    if col_name is None:
        if agg != "count":
            raise bad(path, "a channel needs a 'field' (only {'aggregate': 'count'} may leave it out)")
        return FieldRef(channel, name, None, None, aggregate="count", title=raw.get("title"))
    col = _column(col_name, cols, f"{path}.field")
    if agg is not None and col.type not in _AGG_TYPES[agg]:
        raise bad(f"{path}.aggregate", f"{agg!r} does not apply to {col.type} column {col.name!r}")
    bin_: dict[str, Any] | None = None
    raw_bin = raw.get("bin")
    if raw_bin not in (None, False):
        if agg is not None:
            raise bad(f"{path}.bin", "a channel is either binned or aggregated, not both")
        if col.type not in NUMERIC:
            raise bad(f"{path}.bin", f"bins apply to numbers; {col.name!r} is {col.type} (use timeUnit)")
        if raw_bin is True:
            bin_ = {"maxbins": DEFAULT_MAXBINS}
        elif "step" in raw_bin:
            bin_ = {"step": float(raw_bin["step"])}
        else:
            bin_ = {"maxbins": int(raw_bin.get("maxbins", DEFAULT_MAXBINS))}
    unit = raw.get("timeUnit")
    if unit is not None:
        if agg is not None or bin_ is not None:
            raise bad(f"{path}.timeUnit", "a time unit cannot be combined with an aggregate or bins")
        if col.type not in TEMPORAL:
            raise bad(f"{path}.timeUnit", f"time units apply to dates and times; {col.name!r} is {col.type}")
    return FieldRef(channel, name, col.name, col.type, agg, bin_, unit, raw.get("title"))


def _count(channel: str, name: str | None = None) -> FieldRef:
    return FieldRef(channel, name or channel, None, None, aggregate="count")


def validate_spec(
    spec: Any, columns: Sequence[ColumnInfo] | None = None, *, max_filter_values: int = MAX_FILTER_VALUES
) -> ChartSpec:
    """Check ``spec`` (and, given the dataset's ``columns``, every field); return it normalised.

    Without ``columns`` only the JSON Schema is checked and fields keep no types. A
    :class:`CheckedSpec` is not checked against the JSON Schema again. The filters hold at
    most ``max_filter_values`` values in all (:func:`~..filters.check_filter_size`).
    """
    spec = check_shape(spec)
    mark = spec["mark"]
    enc = spec.get("encoding") or {}
    options = dict(spec.get("options") or {})
    if columns is None:
        return ChartSpec(mark, [], None, spec.get("sort"), spec.get("limit"), options, spec.get("max_marks"))
    cols = list(columns)
    fields: list[FieldRef] = []
    for ch in CHANNELS:
        if ch in enc:
            fields.append(_field(enc[ch], ch, ch, f"encoding.{ch}", cols))
    for i, raw in enumerate(enc.get("tooltip") or []):
        fields.append(_field(raw, "tooltip", f"tooltip_{i}", f"encoding.tooltip[{i}]", cols))
    fields = _mark_rules(mark, fields, options)
    filters = None
    if spec.get("filters"):
        try:
            filters = normalise_filter(spec["filters"], cols, max_values=max_filter_values)
        except BadInput as e:
            raise bad("filters", e.message) from None
    sort = _sort(spec.get("sort"), fields, cols)
    overlays = _overlays(mark, fields, spec.get("overlays") or [])
    return ChartSpec(
        mark=mark,
        fields=fields,
        filters=filters,
        sort=sort,
        limit=spec.get("limit"),
        options=options,
        max_marks=spec.get("max_marks"),
        dataset=dict(spec["dataset"]),
        title=spec.get("title"),
        overlays=overlays,
    )


def _need(fields: list[FieldRef], channel: str, mark: str) -> FieldRef:
    for f in fields:
        if f.channel == channel:
            return f
    raise bad(f"encoding.{channel}", f"a {mark} chart needs the {channel} channel")


def _replace(fields: list[FieldRef], new: FieldRef) -> list[FieldRef]:
    out = [f for f in fields if f.channel != new.channel]
    out.append(new)
    return sorted(out, key=_order)


def _order(f: FieldRef) -> tuple[int, int]:
    if f.channel == "tooltip":
        return (len(CHANNELS), int(f.name.split("_")[1]))
    return (CHANNELS.index(f.channel), 0)


def _numeric(f: FieldRef, why: str) -> None:
    if f.aggregate is None and f.ctype not in NUMERIC:
        raise bad(f"encoding.{f.channel}.field", f"{why}; {f.column!r} is {f.ctype}")


def _mark_rules(mark: str, fields: list[FieldRef], options: dict[str, Any]) -> list[FieldRef]:
    """Each mark's required channels and defaults (a missing measure counts rows)."""
    has = {f.channel for f in fields}
    if mark in ("bar", "line", "area"):
        _need(fields, "x", mark)
        if "y" not in has:
            fields = _replace(fields, _count("y"))
    elif mark == "scatter":
        _need(fields, "x", mark)
        _need(fields, "y", mark)
    elif mark == "pie":
        _need(fields, "color", mark)
        if "y" not in has:
            fields = _replace(fields, _count("y"))
    elif mark == "heatmap":
        _need(fields, "x", mark)
        _need(fields, "y", mark)
        if "color" not in has:
            fields = _replace(fields, _count("color"))
        elif not _need(fields, "color", mark).is_measure:
            raise bad("encoding.color", "a heatmap's color is an aggregate (e.g. count or mean)")
    elif mark == "histogram":
        x = _need(fields, "x", mark)
        if x.is_measure:
            raise bad("encoding.x.aggregate", "a histogram's x is the binned column, not an aggregate")
        if x.ctype in NUMERIC and x.bin is None:
            fields = _replace(fields, FieldRef("x", "x", x.column, x.ctype, bin={"maxbins": DEFAULT_MAXBINS}))
        elif x.ctype in TEMPORAL and x.time_unit is None:
            raise bad("encoding.x.timeUnit", "a histogram of dates needs a timeUnit (e.g. month)")
        elif x.ctype not in NUMERIC + TEMPORAL:
            raise bad("encoding.x.field", f"a histogram needs numbers or dates; {x.column!r} is {x.ctype}")
        if "y" not in has:
            fields = _replace(fields, _count("y"))
    elif mark == "box":
        y = _need(fields, "y", mark)
        if y.is_measure:
            raise bad("encoding.y.aggregate", "a box plot summarises raw values; drop the aggregate")
        _numeric(y, "a box plot needs numbers")
        if any(f.is_measure for f in fields):
            raise bad("encoding", "a box plot's other channels group the boxes; they take no aggregate")
    elif mark == "map":
        kind = (options.get("map") or {}).get("kind") or ("choropleth" if "location" in has else "points")
        options["map"] = {**(options.get("map") or {}), "kind": kind}
        if kind == "points":
            for ch in ("latitude", "longitude"):
                f = _need(fields, ch, "map of points")
                if f.is_measure:
                    raise bad(f"encoding.{ch}.aggregate", "points are placed by raw coordinates")
                _numeric(f, "coordinates are numbers")
        else:
            loc = _need(fields, "location", "choropleth map")
            if loc.is_measure:
                raise bad("encoding.location.aggregate", "locations are codes, not aggregates")
            options["map"].setdefault("locations", "country")
            if "color" not in has:
                fields = _replace(fields, _count("color"))
    elif mark == "kpi":
        if "y" not in has:
            fields = _replace(fields, _count("y"))
        y = _need(fields, "y", mark)
        if not y.is_measure:
            raise bad("encoding.y.aggregate", "a KPI shows one aggregate (e.g. sum); add 'aggregate'")
        if options.get("delta"):
            x = _need(fields, "x", "KPI with a delta")
            if x.ctype not in TEMPORAL or x.time_unit is None:
                raise bad("encoding.x", "a delta compares periods: x must be a date with a timeUnit")
        extra = [f.channel for f in fields if f.channel not in ("x", "y")]
        if extra:
            raise bad(f"encoding.{extra[0]}", "a KPI takes only y (and x for its delta)")
    if mark in ("line", "area") and not any(f.is_measure for f in fields):
        y = _need(fields, "y", mark)
        _numeric(y, "a line of raw points needs numbers on y")
    return fields


def _sort(
    raw: dict[str, Any] | None, fields: list[FieldRef], cols: Sequence[ColumnInfo]
) -> dict[str, Any] | None:
    if not raw:
        return None
    by, order = raw["by"], raw.get("order", "ascending")
    names = {f.name for f in fields}
    if by in names:
        return {"channel": by, "order": order}
    col = _column(by, cols, "sort.by")
    for f in fields:
        if f.column == col.name and f.channel != "tooltip":
            return {"channel": f.name, "order": order}
    agg = raw.get("aggregate", "min")
    if col.type not in _AGG_TYPES[agg]:
        raise bad("sort.aggregate", f"{agg!r} does not apply to {col.type} column {col.name!r}")
    return {"column": col.name, "type": col.type, "aggregate": agg, "order": order}


#: Each overlay kind's defaults.
OVERLAY_DEFAULTS: dict[str, dict[str, Any]] = {
    "trend": {"method": "linear"},
    "forecast": {"periods": 12, "seasonality": "auto", "interval": 0.95},
}


def overlay_group(mark: str, fields: Sequence[FieldRef]) -> FieldRef | None:
    """The field whose values split an overlay into one fit per group, as Tableau does: the color
    channel, unless it is a measure or a scale of raw numbers on a scatter plot."""
    color = next((f for f in fields if f.channel == "color"), None)
    if color is None or color.is_measure or (mark == "scatter" and color.ctype in NUMERIC):
        return None
    return color


def _overlays(mark: str, fields: list[FieldRef], raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Check each overlay against the chart (the JSON Schema checked its keys); fill its defaults."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, o in enumerate(raw):
        path, kind = f"overlays[{i}]", o["kind"]
        if kind in seen:
            raise bad(path, f"a chart has at most one {kind}")
        seen.add(kind)
        marks = ("scatter", "line") if kind == "trend" else ("line",)
        if mark not in marks:
            raise bad(
                path, f"a {kind} is drawn on {' and '.join(m + ' charts' for m in marks)}, not on a {mark}"
            )
        if any(f.channel in ("row", "column") for f in fields):
            raise bad(path, f"a {kind} is not drawn on a chart split into rows or columns")
        x = next(f for f in fields if f.channel == "x")
        y = next(f for f in fields if f.channel == "y")
        if y.out_type not in NUMERIC:
            raise bad(path, f"a {kind} needs numbers on y; {y.label()} is {y.out_type}")
        if kind == "trend" and (x.is_measure or x.out_type not in NUMERIC + TEMPORAL):
            raise bad(path, f"a trend needs numbers or dates on x; {x.label()} is {x.out_type}")
        if kind == "forecast" and (x.is_measure or x.ctype not in TEMPORAL):
            raise bad(path, f"a forecast needs dates or times on x; {x.label()} is {x.out_type}")
        out.append({**OVERLAY_DEFAULTS[kind], **o})
    return out
