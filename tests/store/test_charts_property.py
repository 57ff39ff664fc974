"""Generated specs over generated data: the engine's answer equals a pandas reference.

Column names and values carry quotes, semicolons, comment markers and non-Latin
text; filters use them too, so an injection would show as an error or a wrong
answer. The reference below is written from the spec's documented meaning
(docs/charts.md), not from the compiler.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from livegraphs_ext.store.charts import run_chart_file
from livegraphs_ext.store.schema import ColumnInfo

CAT = 'cat "q"; DROP TABLE src; --'
INT = "n'; --"
FLT = "ünï 値"
BOOL = "b;ool"
TS = 'ts "x"'
DAY = "dá'y"
COLUMNS = [
    ColumnInfo(CAT, "string"),
    ColumnInfo(INT, "integer"),
    ColumnInfo(FLT, "float"),
    ColumnInfo(BOOL, "boolean"),
    ColumnInfo(TS, "datetime"),
    ColumnInfo(DAY, "date"),
]
TYPES = {c.name: c.type for c in COLUMNS}
ARROW = pa.schema(
    [
        (CAT, pa.string()),
        (INT, pa.int64()),
        (FLT, pa.float64()),
        (BOOL, pa.bool_()),
        (TS, pa.timestamp("us")),
        (DAY, pa.date32()),
    ]
)
TEXT = ["a", "A", "a'b", 'x";y', "; DROP TABLE src; --", "ü", "名前", "", "') OR 1=1 --"]
T0 = dt.datetime(2024, 12, 30, 22, 0)

texts = st.sampled_from(TEXT)
row = st.tuples(
    st.none() | texts,
    st.none() | st.integers(-5, 12),
    st.none() | st.integers(-40, 40).map(lambda i: i / 4),
    st.none() | st.booleans(),
    st.none() | st.integers(0, 60 * 24 * 70).map(lambda m: T0 + dt.timedelta(minutes=m * 7)),
    st.none() | st.integers(0, 400).map(lambda d: dt.date(2024, 11, 1) + dt.timedelta(days=d)),
)
rows = st.lists(row, min_size=0, max_size=40)

AGG_TYPES = {
    "sum": (INT, FLT, BOOL),
    "mean": (INT, FLT, BOOL),
    "median": (INT, FLT),
    "min": (CAT, INT, FLT, TS, DAY),
    "max": (CAT, INT, FLT, TS, DAY),
    "count": (CAT, INT, FLT, BOOL, TS, DAY),
    "distinct": (CAT, INT, FLT, BOOL, TS, DAY),
}


def bins(steps: list[float]) -> Any:
    """A given step, or bins the engine chooses from the data (whose last bin holds the maximum)."""
    return st.sampled_from(steps).map(lambda s: {"step": s}) | st.sampled_from([2, 5, 20]).map(
        lambda n: {"maxbins": n}
    )


@st.composite
def dims(draw: Any) -> dict[str, Any]:
    kind = draw(st.sampled_from(["cat", "int", "bin", "bool", "ts", "day"]))
    if kind == "cat":
        return {"field": CAT}
    if kind == "int":
        return {"field": INT}
    if kind == "bin":
        return {"field": draw(st.sampled_from([INT, FLT])), "bin": draw(bins([0.5, 2, 5, 3]))}
    if kind == "bool":
        return {"field": BOOL}
    unit = draw(st.sampled_from(["year", "quarter", "month", "week", "day", "hour", "minute"]))
    return {"field": TS if kind == "ts" else DAY, "timeUnit": unit}


@st.composite
def measures(draw: Any) -> dict[str, Any]:
    agg = draw(st.sampled_from(list(AGG_TYPES)))
    if agg == "count" and draw(st.booleans()):
        return {"aggregate": "count"}
    return {"field": draw(st.sampled_from(AGG_TYPES[agg])), "aggregate": agg}


@st.composite
def conditions(draw: Any) -> dict[str, Any]:
    kind = draw(st.sampled_from(["text", "int", "float", "bool", "null", "ts"]))
    if kind == "text":
        cmp = draw(st.sampled_from(["eq", "ne", "in", "not_in", "contains", "starts_with", "not_contains"]))
        if cmp in ("in", "not_in"):
            return {"column": CAT, "cmp": cmp, "value": draw(st.lists(texts, max_size=3))}
        return {"column": CAT, "cmp": cmp, "value": draw(texts)}
    if kind == "int":
        return {
            "column": INT,
            "cmp": draw(st.sampled_from(["lt", "le", "gt", "ge", "eq", "ne"])),
            "value": draw(st.integers(-6, 13)),
        }
    if kind == "float":
        lo = draw(st.integers(-40, 40)) / 4
        return {"column": FLT, "cmp": "between", "value": [lo, lo + draw(st.integers(0, 40)) / 4]}
    if kind == "bool":
        return {"column": BOOL, "cmp": "eq", "value": draw(st.booleans())}
    if kind == "ts":
        t = T0 + dt.timedelta(days=draw(st.integers(0, 480)))
        return {"column": TS, "cmp": draw(st.sampled_from(["lt", "ge"])), "value": t.isoformat()}
    return {
        "column": draw(st.sampled_from([c.name for c in COLUMNS])),
        "cmp": draw(st.sampled_from(["is_null", "not_null"])),
    }


@st.composite
def specs(draw: Any) -> dict[str, Any]:
    mark = draw(
        st.sampled_from(
            ["bar", "line", "area", "pie", "heatmap", "histogram", "table", "kpi", "box", "scatter"]
        )
    )
    enc: dict[str, Any] = {}
    if mark == "box":
        enc["y"] = {"field": draw(st.sampled_from([INT, FLT]))}
        if draw(st.booleans()):
            enc["x"] = draw(dims())
    elif mark == "kpi":
        enc["y"] = draw(measures())
    elif mark == "histogram":
        enc["x"] = {"field": draw(st.sampled_from([INT, FLT])), "bin": draw(bins([0.5, 1, 2.5, 4]))}
        if draw(st.booleans()):
            enc["color"] = draw(dims())
    elif mark == "pie":
        enc["color"] = draw(dims())
        enc["y"] = draw(measures())
    elif mark == "heatmap":
        enc["x"], enc["y"], enc["color"] = draw(dims()), draw(dims()), draw(measures())
    elif mark == "scatter" and draw(st.booleans()):
        # raw points
        enc["x"] = {"field": draw(st.sampled_from([INT, FLT, TS]))}
        enc["y"] = {"field": draw(st.sampled_from([INT, FLT]))}
        if draw(st.booleans()):
            enc["color"] = {"field": CAT}
    else:
        enc["x"] = draw(dims())
        enc["y"] = draw(measures())
        if draw(st.booleans()):
            enc["color"] = draw(dims())
        if draw(st.booleans()):
            enc["size"] = draw(measures())
    spec: dict[str, Any] = {"version": 1, "dataset": {"id": "f" * 32}, "mark": mark, "encoding": enc}
    if draw(st.booleans()):
        conds = draw(st.lists(conditions(), min_size=1, max_size=3))
        if draw(st.booleans()) and len(conds) > 1:
            spec["filters"] = [{"combine": "or", "conditions": conds}]
        else:
            spec["filters"] = conds
    if mark not in ("kpi", "box") and "y" in enc and draw(st.booleans()):
        spec["sort"] = {
            "by": draw(st.sampled_from(["x", "y"] if "x" in enc else ["y"])),
            "order": draw(st.sampled_from(["ascending", "descending"])),
        }
    if mark not in ("kpi", "box", "scatter") and draw(st.booleans()):
        spec["limit"] = draw(st.integers(1, 5))
    return spec


# ----------------------------------------------------------------------------- the reference


def _na(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT


def _ts(v: Any) -> Any:
    return pd.Timestamp(v) if isinstance(v, str) else v


def ref_mask(df: pd.DataFrame, c: dict[str, Any]) -> pd.Series:
    if "conditions" in c:
        masks = [ref_mask(df, x) for x in c["conditions"]]
        out = masks[0]
        for m in masks[1:]:
            out = (out | m) if c.get("combine") == "or" else (out & m)
        return out
    s, cmp, v = df[c["column"]], c["cmp"], c.get("value")
    if TYPES[c["column"]] == "datetime" and v is not None:
        v = pd.Timestamp(v).to_pydatetime()

    def test(x: Any) -> bool:
        if cmp == "is_null":
            return _na(x)
        if cmp == "not_null":
            return not _na(x)
        if _na(x):
            return cmp in ("ne", "not_in", "not_contains")
        if cmp == "eq":
            return bool(x == v)
        if cmp == "ne":
            return bool(x != v)
        if cmp == "lt":
            return bool(x < v)
        if cmp == "le":
            return bool(x <= v)
        if cmp == "gt":
            return bool(x > v)
        if cmp == "ge":
            return bool(x >= v)
        if cmp == "in":
            return x in v
        if cmp == "not_in":
            return x not in v
        if cmp == "between":
            return bool(v[0] <= x <= v[1])
        if cmp == "contains":
            return v.lower() in x.lower()
        if cmp == "not_contains":
            return v.lower() not in x.lower()
        if cmp == "starts_with":
            return x.lower().startswith(v.lower())
        raise AssertionError(cmp)

    return s.map(test).astype(bool)


def truncate(v: Any, unit: str) -> Any:
    if _na(v):
        return None
    is_date = not isinstance(v, dt.datetime)
    t = pd.Timestamp(v)
    if unit == "week":
        out = (t - pd.Timedelta(days=t.weekday())).normalize()
    elif unit in ("year", "quarter", "month"):
        out = t.to_period({"year": "Y", "quarter": "Q", "month": "M"}[unit]).start_time
    else:
        out = t.floor({"day": "D", "hour": "h", "minute": "min"}[unit])
    return out.date() if is_date else out.to_pydatetime()


def key_of(f: dict[str, Any], v: Any) -> Any:
    if _na(v):
        return None
    if "timeUnit" in f:
        return truncate(v, f["timeUnit"])
    if "bin" in f:
        step, last = float(f["bin"]["step"]), f["bin"].get("last")
        start = math.floor(float(v) / step) * step
        return start if last is None else min(start, last)
    return v


def drop_null_bins(spec: dict[str, Any], df: pd.DataFrame) -> pd.DataFrame:
    """A row whose binned value is missing is in no bin (as in a numpy or pandas histogram)."""
    for f in spec["encoding"].values():
        if "bin" in f:
            df = df.loc[df[f["field"]].map(lambda v: not _na(v)).astype(bool)]
    return df


def with_engine_bins(spec: dict[str, Any], fields: list[dict[str, Any]]) -> dict[str, Any]:
    """The spec with each binned channel's step (and last bin) as the result reports them.

    ``maxbins`` leaves the step to the engine; the reference bins with the step it chose.
    """
    enc = {ch: dict(f) for ch, f in spec["encoding"].items()}
    for f in fields:
        if "bin" in f and f.get("stat") is None and f["channel"] in enc:
            enc[f["channel"]]["bin"] = f["bin"]
    return {**spec, "encoding": enc}


def aggregate(agg: str, values: list[Any], ctype: str | None) -> Any:
    if ctype is None:
        return len(values)
    vals = [v for v in values if not _na(v)]
    if agg == "count":
        return len(vals)
    if agg == "distinct":
        return len(set(vals))
    if not vals:
        return None
    if ctype == "boolean":
        vals = [int(v) for v in vals]
    s = pd.Series(vals, dtype=object)
    if agg == "sum":
        return float(sum(vals)) if ctype == "float" else int(sum(vals))
    if agg == "mean":
        return float(pd.Series(vals, dtype=float).mean())
    if agg == "median":
        return float(pd.Series(vals, dtype=float).median())
    return s.min() if agg == "min" else s.max()


def _sort_key(v: Any) -> tuple[int, Any]:
    return (1, 0) if _na(v) else (0, v)


CHANNELS = ("x", "y", "color", "size", "row", "column", "label", "latitude", "longitude", "location")


def ref_fields(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    enc = dict(spec["encoding"])
    mark = spec["mark"]
    if mark in ("bar", "line", "area", "histogram", "pie", "kpi") and "y" not in enc:
        enc["y"] = {"aggregate": "count"}
    if mark == "heatmap" and "color" not in enc:
        enc["color"] = {"aggregate": "count"}
    return [(ch, enc[ch]) for ch in CHANNELS if ch in enc]


def reference(spec: dict[str, Any], df: pd.DataFrame) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The rows the spec asks for, computed with pandas from the spec's documented meaning."""
    if spec.get("filters"):
        mask = pd.Series(True, index=df.index)
        for c in spec["filters"]:
            mask &= ref_mask(df, c)
        df = df[mask]
    df = drop_null_bins(spec, df)
    fields = ref_fields(spec)
    if spec["mark"] == "box":
        return ref_box(spec, df)
    measures = [(ch, f) for ch, f in fields if "aggregate" in f]
    if not measures:
        return ref_raw(spec, df, fields)
    dims = [(ch, f) for ch, f in fields if "aggregate" not in f]
    groups: dict[tuple[Any, ...], list[int]] = {}
    keys = [[key_of(f, v) for v in df[f["field"]]] for _, f in dims]
    for i in range(len(df)):
        groups.setdefault(tuple(k[i] for k in keys), []).append(i)
    if not dims and not groups:
        groups[()] = []
    names: list[str] = []
    for ch, f in fields:
        names.append(ch)
        if "bin" in f:
            names.append(ch + "_end")
    out = []
    for key, idx in groups.items():
        rec: dict[str, Any] = {}
        for (ch, f), k in zip(dims, key, strict=True):
            rec[ch] = k
            if "bin" in f:
                rec[ch + "_end"] = None if k is None else k + float(f["bin"]["step"])
        for ch, f in measures:
            col = f.get("field")
            vals = [df[col].iloc[i] for i in idx] if col else idx
            rec[ch] = aggregate(f["aggregate"], list(vals), TYPES[col] if col else None)
        out.append(rec)
    # order: dims ascending, nulls last; then the sort; multi-key charts rank the first key's categories
    for ch, _ in reversed(dims):
        out.sort(key=lambda r, ch=ch: _sort_key(r[ch]))
    sort, limit = spec.get("sort"), spec.get("limit")
    if len(dims) > 1 and (sort or limit):
        first_ch = dims[0][0]
        cats: dict[Any, list[int]] = {}
        for key, idx in groups.items():
            cats.setdefault(key[0], []).extend(idx)
        cat_rows = []
        for k, idx in cats.items():
            if sort and sort["by"] != first_ch and sort["by"] in dict(measures):
                f = dict(measures)[sort["by"]]
                col = f.get("field")
                vals = [df[col].iloc[i] for i in idx] if col else idx
                v = aggregate(f["aggregate"], list(vals), TYPES[col] if col else None)
                desc = sort["order"] == "descending"
            elif sort and sort["by"] == first_ch:
                v, desc = k, sort["order"] == "descending"
            elif sort:  # another grouping channel: its smallest value
                other = [
                    r[sort["by"]] for r in out if r[first_ch] == k or (k is None and r[first_ch] is None)
                ]
                vs = [x for x in other if not _na(x)]
                v, desc = (min(vs) if vs else None), sort["order"] == "descending"
            else:
                f = measures[0][1]
                col = f.get("field")
                vals = [df[col].iloc[i] for i in idx] if col else idx
                v, desc = aggregate(f["aggregate"], list(vals), TYPES[col] if col else None), True
            cat_rows.append((k, v, desc))
        cat_rows.sort(key=lambda t: _sort_key(t[0]))
        desc = cat_rows[0][2] if cat_rows else False
        cat_rows.sort(key=lambda t: (_na(t[1]), _neg(t[1], desc)))
        if limit:
            cat_rows = cat_rows[:limit]
        rank = {_hashable(k): i for i, (k, _, _) in enumerate(cat_rows)}
        out = [r for r in out if _hashable(r[first_ch]) in rank]
        out.sort(key=lambda r: rank[_hashable(r[first_ch])])
    else:
        if sort:
            desc = sort["order"] == "descending"
            out.sort(key=lambda r: (_na(r[sort["by"]]), _neg(r[sort["by"]], desc)))
        if limit:
            out = out[:limit]
    return names, [tuple(r[n] for n in names) for r in out]


def _hashable(v: Any) -> Any:
    return ("null",) if _na(v) else v


class _Rev:
    """Reverses the order of any comparable value (descending sorts of text and dates)."""

    def __init__(self, v: Any):
        self.v = v

    def __lt__(self, other: _Rev) -> bool:
        return bool(other.v < self.v)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Rev) and bool(self.v == other.v)


def _neg(v: Any, desc: bool) -> Any:
    if _na(v):
        return 0
    return _Rev(v) if desc else v


def ref_raw(spec: dict[str, Any], df: pd.DataFrame, fields: list[tuple[str, dict[str, Any]]]):
    x, y = spec["encoding"]["x"]["field"], spec["encoding"]["y"]["field"]
    df = df[df[x].map(lambda v: not _na(v)) & df[y].map(lambda v: not _na(v))]
    names = [ch for ch, _ in fields]
    out = [tuple(df[f["field"]].iloc[i] for _, f in fields) for i in range(len(df))]
    sort = spec.get("sort")
    if sort:  # stable: equal keys keep the file's order
        i = names.index(sort["by"])
        out.sort(key=lambda r: (_na(r[i]), _neg(r[i], sort["order"] == "descending")))
    return names, out[: spec["limit"]] if spec.get("limit") else out


def ref_box(spec: dict[str, Any], df: pd.DataFrame):
    y = spec["encoding"]["y"]["field"]
    x = spec["encoding"].get("x")
    df = df[df[y].map(lambda v: not _na(v))]
    groups: dict[Any, list[float]] = {}
    for i in range(len(df)):
        k = key_of(x, df[x["field"]].iloc[i]) if x else None
        groups.setdefault(_hashable(k), []).append(float(df[y].iloc[i]))
    out = []
    for k, vals in groups.items():
        s = pd.Series(vals, dtype=float)
        q1, med, q3 = s.quantile(0.25), s.median(), s.quantile(0.75)
        iqr = q3 - q1
        inside = s[(s >= q1 - 1.5 * iqr) & (s <= q3 + 1.5 * iqr)]
        outl = int(((s < q1 - 1.5 * iqr) | (s > q3 + 1.5 * iqr)).sum())
        stats = (s.min(), q1, med, q3, s.max(), inside.min(), inside.max(), s.mean(), len(s), outl)
        key = () if not x else ((None if k == ("null",) else k),)
        if x and "bin" in x:
            key = (*key, None if key[0] is None else key[0] + float(x["bin"]["step"]))
        out.append((*key, *stats))
    out.sort(key=lambda r: _sort_key(r[0]) if x else 0)
    names = (["x", "x_end"] if x and "bin" in x else ["x"] if x else []) + [
        f"y_{s}" for s in ("min", "q1", "median", "q3", "max", "lower", "upper", "mean", "count", "outliers")
    ]
    return names, out


# ----------------------------------------------------------------------------- comparison


def same(a: Any, b: Any) -> bool:
    if _na(a) or _na(b):
        return _na(a) and _na(b)
    if isinstance(a, pd.Timestamp):
        a = a.to_pydatetime()
    if isinstance(b, pd.Timestamp):
        b = b.to_pydatetime()
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    return type(a) is type(b) and bool(a == b)


def assert_rows_equal(got: list[tuple[Any, ...]], want: list[tuple[Any, ...]], spec: dict[str, Any]) -> None:
    assert len(got) == len(want), (spec, got, want)
    for g, w in zip(got, want, strict=True):
        assert len(g) == len(w)
        assert all(same(a, b) for a, b in zip(g, w, strict=True)), (spec, got, want)


def frame(data: list[tuple[Any, ...]]) -> pd.DataFrame:
    return pd.DataFrame(data, columns=[c.name for c in COLUMNS], dtype=object)


def run(spec: dict[str, Any], data: list[tuple[Any, ...]]) -> Any:
    table = pa.Table.from_pylist([dict(zip(ARROW.names, r, strict=True)) for r in data], schema=ARROW)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "v.parquet"
        pq.write_table(table, path)
        return run_chart_file(path, COLUMNS, spec, rows=len(data))


@settings(
    max_examples=int(os.environ.get("LG_CHART_EXAMPLES", "1000")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=rows, spec=specs())
def test_generated_specs_match_the_pandas_reference(data, spec):
    result = run(spec, data)
    names, want = reference(with_engine_bins(spec, result.fields), frame(data))
    got_names = [f["name"] for f in result.fields]
    assert got_names == names, (spec, got_names, names)
    cols = [result.table.column(n).to_pylist() for n in names]
    got = list(zip(*cols, strict=True)) if cols else []
    assert_rows_equal(got, want, spec)
    assert result.marks == len(want) <= 5000
    assert result.reduction is None


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=rows,
    value=st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12
    )
    | texts,
)
def test_any_filter_text_is_a_value_never_sql(data, value):
    spec = {
        "version": 1,
        "dataset": {"id": "f" * 32},
        "mark": "bar",
        "encoding": {"x": {"field": CAT}, "y": {"aggregate": "count"}},
        "filters": [{"column": CAT, "cmp": "ne", "value": value}],
    }
    result = run(spec, data)
    names, want = reference(spec, frame(data))
    got = list(zip(*[result.table.column(n).to_pylist() for n in names], strict=True))
    assert_rows_equal(got, want, spec)
