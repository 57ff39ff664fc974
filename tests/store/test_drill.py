"""Drilling from a mark to its rows: for every mark kind, the rows are exactly those the mark stands for.

Each test draws a chart, drills every mark of it as a browser would (the JSON result's values), and
compares the drilled rows with a pandas reference computed from the stored data: the same groups,
periods, bins and grid cells, nulls and non-ASCII text included, and the mark's own figure (a count,
a sum, a mean) recomputed from the drilled rows.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from livegraphs_ext.store import BadInput, DatasetStore, GuardedStore, NotFound, Principal, StoreConfig
from livegraphs_ext.store.charts.drill import _double, _lowest, _order

ADA = Principal("ada")
N = 1200
#: about how many marks of a chart are drilled
MARKS = 40
TEXT = ["a", "b", "Zürich", "東京", "😀 ok", "x,y"]
COUNTRIES = ["USA", "FRA", "DEU", "JPN"]


def _csv() -> str:
    rnd = random.Random(16)
    lines = ["id,g,h,v,n,t,d,b,lat,lon,c"]
    t0 = dt.datetime(2023, 11, 1)
    for i in range(N):
        g = "" if rnd.random() < 0.1 else f'"{rnd.choice(TEXT)}"'
        h = rnd.choice(["x", "y", "z"])
        # two decimals: many of them fall in another bin of step 0.1 than their digits say
        v = "" if rnd.random() < 0.1 else f"{rnd.randint(0, 300) / 100:.2f}"
        n = "" if rnd.random() < 0.05 else str(rnd.randint(-5, 20))
        moment = t0 + dt.timedelta(seconds=rnd.randint(0, 180 * 86400), microseconds=rnd.randint(0, 999_999))
        t = "" if rnd.random() < 0.08 else moment.isoformat(sep=" ")
        d = (dt.date(2024, 1, 1) + dt.timedelta(days=rnd.randint(0, 90))).isoformat()
        b = rnd.choice(["true", "false"])
        lat, lon = f"{rnd.uniform(-60, 60):.4f}", f"{rnd.uniform(-180, 180):.4f}"
        c = "" if rnd.random() < 0.1 else rnd.choice(COUNTRIES)
        lines.append(f"{i},{g},{h},{v},{n},{t},{d},{b},{lat},{lon},{c}")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def lg_drill(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GuardedStore, str, pd.DataFrame]]:
    root: Path = tmp_path_factory.mktemp("drill")
    store = DatasetStore(StoreConfig(root=root / "store", chart_cache_bytes=16 << 20))
    g = GuardedStore(store)
    src = store.staging_path()
    src.write_text(_csv(), encoding="utf-8")
    ds = g.create_from_file(ADA, src, name="drill", content_type="text/csv")
    types = {c["name"]: c["type"] for c in ds["columns"]}
    assert types == {
        "id": "integer", "g": "string", "h": "string", "v": "float", "n": "integer", "t": "datetime",
        "d": "date", "b": "boolean", "lat": "float", "lon": "float", "c": "string",
    }  # fmt: skip
    frame = store.arrow(ds["id"]).to_pandas()
    yield g, ds["id"], frame
    store.close()


def spec_of(ds_id: str, mark: str, encoding: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"version": 1, "dataset": {"id": ds_id}, "mark": mark, "encoding": encoding, **extra}


def marks(g: GuardedStore, spec: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The chart's JSON result (as a browser gets it) and its marks, each as its values by field name."""
    result = g.chart(ADA, g.store.charts, spec).to_json()
    rows = [{k: v[i] for k, v in result["data"].items()} for i in range(result["marks"])]
    return result, rows


def drilled(g: GuardedStore, ds_id: str, spec: dict[str, Any], mark: dict[str, Any], **kw: Any) -> set[int]:
    out = g.drill(ADA, g.store.charts, ds_id, {"spec": spec, "mark": mark, "limit": 10_000, **kw})
    assert out["total"] == len(out["rows"])
    assert out["filters"] == [*(spec.get("filters") or []), *out["mark"]]
    at = out["columns"].index("id")
    return {r[at] for r in out["rows"]}


def ids(frame: pd.DataFrame, keep: Any) -> set[int]:
    return {int(i) for i in frame.loc[keep, "id"]}


# ---------------------------------------------------------------------------- pandas: what a mark holds


def same(series: pd.Series, value: Any) -> pd.Series:
    """Rows whose value is ``value`` (the null group when None); dates compared as timestamps."""
    if value is None:
        return series.isna()
    if pd.api.types.is_datetime64_any_dtype(series):
        return series == pd.Timestamp(value)
    if series.dtype == object and isinstance(series.dropna().iloc[0], dt.date):
        return series == dt.date.fromisoformat(value)
    return series == value


#: pandas period frequencies of the time units (weeks start on Monday)
FREQ = {"year": "Y", "quarter": "Q", "month": "M", "week": "W-SUN", "day": "D", "hour": "h", "minute": "min"}


def period(series: pd.Series, unit: str, value: Any) -> pd.Series:
    if value is None:
        return series.isna()
    starts = pd.to_datetime(series).dt.to_period(FREQ[unit]).dt.start_time
    return starts == pd.Timestamp(value)


def binned(series: pd.Series, field: dict[str, Any], value: Any) -> pd.Series:
    """Bins edged at the step's multiples as decimals write them (0.3, not 0.30000000000000004):
    a value is in the bin from n·step up to (n + 1)·step; the last bin holds the maximum on its edge."""
    step, last = field["bin"]["step"], field["bin"].get("last")
    written = Decimal(repr(float(step)))

    def edge(n: int) -> float:
        return float(Decimal(n) * written)

    def start(v: float) -> float:
        if math.isnan(v):
            return math.nan
        n = math.floor(v / step)
        while v < edge(n):
            n -= 1
        while v >= edge(n + 1):
            n += 1
        return edge(n)

    key = np.array([start(v) for v in series.to_numpy(dtype="float64", na_value=np.nan)])
    if last is not None:
        key = np.minimum(key, last)
    return pd.Series(key == value, index=series.index) & series.notna()


def cell(series: pd.Series, field: dict[str, Any], value: Any) -> pd.Series:
    grid = field["grid"]
    v = series.to_numpy(dtype="float64", na_value=np.nan)
    index = np.minimum(np.floor((v - grid["origin"]) / grid["step"]), grid["cells"] - 1)
    want = round((value - grid["origin"]) / grid["step"])
    return pd.Series(index == want, index=series.index) & series.notna()


def holds(frame: pd.DataFrame, result: dict[str, Any], mark: dict[str, Any]) -> pd.Series:
    """Rows the mark stands for, by its group keys (every field that is no measure or statistic)."""
    keep = pd.Series(True, index=frame.index)
    for f in result["fields"]:
        if not f.get("column") or f.get("aggregate") or f.get("stat"):
            continue
        col, value = frame[f["column"]], mark[f["name"]]
        if f.get("grid"):
            keep &= cell(col, f, value)
        elif f.get("bin"):
            keep &= binned(col, f, value)
        elif f.get("timeUnit"):
            keep &= period(col, f["timeUnit"], value)
        else:
            keep &= same(col, value)
    return keep


def check_every_mark(
    lg_drill: tuple[GuardedStore, str, pd.DataFrame],
    spec: dict[str, Any],
    where: Callable[[pd.DataFrame], pd.Series],
    figure: Callable[[pd.DataFrame, dict[str, Any]], None] | None = None,
    *,
    at_least: int = 2,
) -> dict[str, Any]:
    """Drill each mark of ``spec``; the rows are the pandas reference's (``where``: the chart's filters)."""
    g, ds_id, frame = lg_drill
    result, rows = marks(g, spec)
    assert len(rows) >= at_least, result
    seen: set[int] = set()
    # every mark of a small chart; of a big one, the null marks and an even spread of the others
    picked = [i for i, m in enumerate(rows) if None in m.values() or i % max(1, len(rows) // MARKS) == 0]
    for i in picked:
        mark = rows[i]
        want = frame[where(frame) & holds(frame, result, mark)]
        got = drilled(g, ds_id, spec, mark, index=i)
        assert got == ids(want, slice(None)), (mark, len(got), len(want))
        if figure is not None:
            figure(want, mark)
        seen |= got
    return {"result": result, "seen": seen, "all": len(picked) == len(rows)}


ALL = lambda df: pd.Series(True, index=df.index)  # noqa: E731


# ---------------------------------------------------------------------------- one test per mark


def test_bar_groups_with_the_null_group_and_non_ascii_text(lg_drill):
    _, ds_id, frame = lg_drill
    spec = spec_of(ds_id, "bar", {"x": {"field": "g"}, "color": {"field": "h"}}, filters=[
        {"column": "n", "cmp": "ge", "value": 0}
    ])  # fmt: skip
    where = lambda df: df["n"] >= 0  # noqa: E731
    out = check_every_mark(lg_drill, spec, where, lambda rows, m: _eq(len(rows), m["y"]), at_least=18)
    # every bar together: every row the chart counts, the null group and each text included
    assert out["seen"] == ids(frame, where(frame))
    assert {None, "Zürich", "東京", "😀 ok"} <= set(out["result"]["data"]["x"])


def test_line_of_monthly_sums_by_a_boolean(lg_drill):
    spec = spec_of(lg_drill[1], "line", {
        "x": {"field": "t", "timeUnit": "month"}, "y": {"field": "v", "aggregate": "sum"},
        "color": {"field": "b"},
    })  # fmt: skip
    out = check_every_mark(lg_drill, spec, ALL, lambda rows, m: _close(rows["v"].sum(), m["y"]), at_least=12)
    assert out["seen"] == ids(lg_drill[2], slice(None))


def test_area_of_a_binned_integer_axis_with_a_mean(lg_drill):
    spec = spec_of(lg_drill[1], "area", {
        "x": {"field": "n", "bin": {"maxbins": 6}}, "y": {"field": "v", "aggregate": "mean"},
    })  # fmt: skip
    out = check_every_mark(lg_drill, spec, ALL, lambda rows, m: _close(rows["v"].mean(), m["y"]))
    frame = lg_drill[2]
    # rows without a value on the binned axis are in no bin
    assert out["seen"] == ids(frame, frame["n"].notna())


def test_histogram_bins_follow_the_engine_where_rounding_moves_a_value(lg_drill):
    _, ds_id, frame = lg_drill
    spec = spec_of(ds_id, "histogram", {"x": {"field": "v", "bin": {"step": 0.1}}})
    check_every_mark(lg_drill, spec, ALL, lambda rows, m: _eq(len(rows), m["y"]), at_least=25)
    # the case is real: some values lie outside [start, start + step) of the bin that counts them
    v = frame["v"].dropna().to_numpy()
    start = np.floor(v / 0.1) * 0.1
    assert ((v < start) | (v >= start + 0.1)).any()
    # maxbins: the last bin holds the maximum on its edge
    spec = spec_of(ds_id, "histogram", {"x": {"field": "v", "bin": {"maxbins": 7}}})
    out = check_every_mark(lg_drill, spec, ALL, lambda rows, m: _eq(len(rows), m["y"]))
    assert out["seen"] == ids(frame, frame["v"].notna())


def test_scatter_points_are_their_own_rows(lg_drill):
    _, ds_id, frame = lg_drill
    encoding = {"x": {"field": "v"}, "y": {"field": "n"}, "color": {"field": "g"}}
    spec = spec_of(ds_id, "scatter", encoding, filters=[
        {"column": "h", "cmp": "eq", "value": "x"}, {"column": "n", "cmp": "ge", "value": 12},
        {"column": "v", "cmp": "lt", "value": 1.5},
    ])  # fmt: skip
    where = lambda df: (df["h"] == "x") & (df["n"] >= 12) & (df["v"] < 1.5)  # noqa: E731
    out = check_every_mark(lg_drill, spec, where)
    assert out["result"]["reduction"] is None
    assert out["seen"] == ids(frame, where(frame))


def test_dense_scatter_cells_and_sampled_points(lg_drill):
    _, ds_id, frame = lg_drill
    # past the budget with one group: a grid of counts
    spec = spec_of(ds_id, "scatter", {"x": {"field": "v"}, "y": {"field": "lat"}}, max_marks=50)
    where = lambda df: df["v"].notna()  # noqa: E731
    out = check_every_mark(lg_drill, spec, where, lambda rows, m: _eq(len(rows), m["count"]), at_least=20)
    assert out["result"]["reduction"]["method"] == "bin2d"
    assert out["seen"] == ids(frame, where(frame))
    # too many groups for a grid: a sample, each point its own row(s)
    spec = spec_of(
        ds_id, "scatter", {"x": {"field": "v"}, "y": {"field": "n"}, "color": {"field": "g"}}, max_marks=20
    )
    out = check_every_mark(lg_drill, spec, lambda df: df["v"].notna() & df["n"].notna())
    assert out["result"]["reduction"]["kind"] == "sampled"


def test_downsampled_raw_line_points_with_microseconds_a_browser_rounds(lg_drill):
    g, ds_id, frame = lg_drill
    spec = spec_of(ds_id, "line", {"x": {"field": "t"}, "y": {"field": "v"}}, max_marks=40)
    result, rows = marks(g, spec)
    assert result["reduction"]["kind"] == "downsampled"
    for i, mark in enumerate(rows):
        want = ids(frame, same(frame["t"], mark["x"]) & same(frame["v"], mark["y"]))
        assert drilled(g, ds_id, spec, mark, index=i) == want
        # Arrow in a browser keeps milliseconds: the server takes the point's own value
        rounded = {**mark, "x": mark["x"][:23]}
        assert drilled(g, ds_id, spec, rounded, index=i) == want


def test_pie_slices_sum(lg_drill):
    spec = spec_of(lg_drill[1], "pie", {"color": {"field": "h"}, "y": {"field": "n", "aggregate": "sum"}})
    out = check_every_mark(lg_drill, spec, ALL, lambda rows, m: _eq(int(rows["n"].sum()), m["y"]), at_least=3)
    assert out["seen"] == ids(lg_drill[2], slice(None))


def test_heatmap_cells_of_a_category_by_a_week(lg_drill):
    frame = lg_drill[2]
    encoding = {"x": {"field": "g"}, "y": {"field": "t", "timeUnit": "week"}}
    spec = spec_of(lg_drill[1], "heatmap", encoding, filters=[
        {"combine": "or", "conditions": [
            {"column": "t", "cmp": "lt", "value": "2023-12-15"}, {"column": "t", "cmp": "is_null"},
        ]},
    ])  # fmt: skip
    where = lambda df: (df["t"] < pd.Timestamp("2023-12-15")) | df["t"].isna()  # noqa: E731
    out = check_every_mark(lg_drill, spec, where, lambda rows, m: _eq(len(rows), m["color"]), at_least=40)
    assert out["seen"] == ids(frame, where(frame))


def test_box_rows_are_those_with_a_value(lg_drill):
    spec = spec_of(lg_drill[1], "box", {"x": {"field": "g"}, "y": {"field": "v"}})
    where = lambda df: df["v"].notna()  # noqa: E731
    out = check_every_mark(lg_drill, spec, where, lambda rows, m: _close(rows["v"].median(), m["y_median"]))
    frame = lg_drill[2]
    assert out["seen"] == ids(frame, where(frame))
    for mark in marks(lg_drill[0], spec)[1]:
        assert mark["y_count"] == int((where(frame) & same(frame["g"], mark["x"])).sum())


def test_map_points_and_regions(lg_drill):
    _, ds_id, frame = lg_drill
    points = spec_of(ds_id, "map", {"latitude": {"field": "lat"}, "longitude": {"field": "lon"}}, filters=[
        {"column": "g", "cmp": "eq", "value": "東京"}
    ])  # fmt: skip
    check_every_mark(lg_drill, points, lambda df: df["g"] == "東京")
    regions = spec_of(ds_id, "map", {"location": {"field": "c"}, "color": {"field": "v", "aggregate": "sum"}})
    out = check_every_mark(lg_drill, regions, ALL, lambda rows, m: _close(rows["v"].sum(), m["color"]))
    assert out["seen"] == ids(frame, slice(None))


def test_kpi_is_every_filtered_row_and_a_delta_its_last_period(lg_drill):
    ds_id = lg_drill[1]
    spec = spec_of(ds_id, "kpi", {"y": {"field": "v", "aggregate": "sum"}}, filters=[
        {"column": "g", "cmp": "in", "value": ["a", "Zürich"]}
    ])  # fmt: skip
    check_every_mark(lg_drill, spec, lambda df: df["g"].isin(["a", "Zürich"]), at_least=1)
    delta = spec_of(ds_id, "kpi", {
        "x": {"field": "t", "timeUnit": "month"}, "y": {"field": "v", "aggregate": "sum"},
    }, options={"delta": {"compare": "previous_period"}})  # fmt: skip
    out = check_every_mark(lg_drill, delta, ALL, lambda rows, m: _close(rows["v"].sum(), m["y"]), at_least=1)
    assert out["result"]["data"]["x"] == ["2024-04-01T00:00:00"]


def test_tables_raw_rows_and_groups(lg_drill):
    ds_id = lg_drill[1]
    raw = spec_of(ds_id, "table", {}, limit=30, filters=[{"column": "d", "cmp": "ge", "value": "2024-03-01"}])
    out = check_every_mark(lg_drill, raw, lambda df: df["d"] >= dt.date(2024, 3, 1), at_least=30)
    assert len(out["seen"]) >= 30
    grouped = spec_of(ds_id, "table", {"x": {"field": "d", "timeUnit": "month"}, "y": {"aggregate": "count"}})
    check_every_mark(lg_drill, grouped, ALL, lambda rows, m: _eq(len(rows), m["y"]), at_least=3)


def _eq(got: Any, want: Any) -> None:
    assert got == want


def _close(got: Any, want: Any) -> None:
    assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9), (got, want)


# ---------------------------------------------------------------------------- empty, wrong and edited


def test_an_empty_kpi_drills_to_no_rows_and_a_mark_not_drawn_is_not_found(lg_drill):
    g, ds_id, _ = lg_drill
    empty = spec_of(
        ds_id, "kpi", {"y": {"aggregate": "count"}}, filters=[{"column": "n", "cmp": "gt", "value": 99}]
    )
    _, rows = marks(g, empty)
    assert rows == [{"y": 0}]
    assert drilled(g, ds_id, empty, rows[0]) == set()
    bars = spec_of(ds_id, "bar", {"x": {"field": "g"}}, filters=[{"column": "g", "cmp": "ne", "value": "b"}])
    with pytest.raises(NotFound):
        g.drill(ADA, g.store.charts, ds_id, {"spec": bars, "mark": {"x": "b"}})


def test_bad_drills_are_refused(lg_drill):
    g, ds_id, _ = lg_drill
    bars = spec_of(ds_id, "bar", {"x": {"field": "g"}})
    cases = [
        {"spec": bars},  # no mark
        {"spec": bars, "mark": ["a"]},
        {"spec": bars, "mark": {}},  # no value for x
        {"spec": bars, "mark": {"x": "a", "z": 1}},
        {"spec": bars, "mark": {"x": "a"}, "index": -1},
        {"spec": bars, "mark": {"x": "a"}, "limit": 10_001},
        {"spec": bars, "mark": {"x": "a"}, "offset": "1"},
        {"spec": bars, "mark": {"x": "a"}, "sort": "nope"},
        {"spec": bars, "mark": {"x": "a"}, "extra": 1},
        {"spec": {**bars, "dataset": {"id": "f" * 32}}, "mark": {"x": "a"}},
        {"spec": {**bars, "mark": "blob"}, "mark": {"x": "a"}},
    ]
    for body in cases:
        with pytest.raises((BadInput, NotFound)):
            g.drill(ADA, g.store.charts, ds_id, body)


def test_pages_and_sorts_like_the_rows_api(lg_drill):
    g, ds_id, frame = lg_drill
    spec = spec_of(ds_id, "bar", {"x": {"field": "h"}})
    _, rows = marks(g, spec)
    mark = next(m for m in rows if m["x"] == "y")
    body = {"spec": spec, "mark": mark, "sort": "-v,id", "offset": 10, "limit": 25}
    out = g.drill(ADA, g.store.charts, ds_id, body)
    want = frame[frame["h"] == "y"].sort_values(["v", "id"], ascending=[False, True], na_position="last")
    at = out["columns"].index("id")
    assert [r[at] for r in out["rows"]] == list(want["id"][10:35])
    assert out["total"] == mark["y"] == len(want)
    # the same page from the rows API with the filter list given back
    page = g.rows(
        ADA,
        ds_id,
        version=out["dataset"]["version"],
        offset=10,
        limit=25,
        sort="-v,id",
        filter=out["filters"],
    )
    assert page["rows"] == out["rows"]


# ---------------------------------------------------------------------------- the bisection


def test_doubles_order_and_the_lowest_double_where_a_test_turns_true():
    values = [-math.inf, -1e308, -1.5, -5e-324, 0.0, 5e-324, 0.1, 1.0, 1e308, math.inf]
    keys = [_order(v) for v in values[1:-1]]
    assert keys == sorted(keys) and [_double(k) for k in keys] == values[1:-1]
    assert _order(-0.0) == _order(0.0)
    assert _lowest(lambda v: v >= 0.3) == 0.3
    assert _lowest(lambda v: v > 0.3) == math.nextafter(0.3, 1)
    assert _lowest(lambda v: math.floor(max(-1e18, min(v / 0.1, 1e18))) >= 6) == math.nextafter(0.6, 1)
    assert _lowest(lambda v: True) == -math.inf and _lowest(lambda v: False) == math.inf


def _near_edges(step: float, rng: random.Random) -> list[float]:
    """Values on, just under and just over bin edges, and decimals that rounding moves."""
    out: list[float] = []
    for k in range(-30, 30):
        edge = k * step
        out += [edge, math.nextafter(edge, -math.inf), math.nextafter(edge, math.inf), round(edge, 2)]
    out += [float(f"{rng.uniform(-30, 30) * step:.{rng.randint(1, 3)}g}") for _ in range(400)]
    return out


@pytest.mark.parametrize("step", [0.1, 0.05, 0.3, 0.02, 7.0, 2.5e-7])
def test_bin_and_cell_ranges_hold_the_values_the_engine_keys_there(step: float):
    import duckdb

    from livegraphs_ext.store.charts.compile import bin_edge, key_expr, num_literal
    from livegraphs_ext.store.charts.drill import field_conditions
    from livegraphs_ext.store.charts.spec import FieldRef
    from livegraphs_ext.store.filters import compile_filter
    from livegraphs_ext.store.schema import ColumnInfo

    values = _near_edges(step, random.Random(step))
    con = duckdb.connect()
    con.execute("CREATE TABLE src (i BIGINT, v DOUBLE)")
    con.executemany("INSERT INTO src VALUES (?, ?)", list(enumerate(values)))
    columns = [ColumnInfo("v", "float")]
    lo, hi = min(values), max(values)
    last = math.floor(hi / step) * step
    f = FieldRef("x", "x", "v", "float", bin={"step": step})

    def check(key_sql: str, conditions_of: Callable[[Any], list[dict[str, Any]]], marks: int = 50) -> None:
        keys = con.execute(f"SELECT DISTINCT {key_sql} FROM src").fetchall()
        assert len(keys) >= marks
        for (key,) in keys:
            want = {i for (i,) in con.execute(f"SELECT i FROM src WHERE {key_sql} = ?", [key]).fetchall()}
            where, params = compile_filter(conditions_of(key), columns)
            got = {i for (i,) in con.execute(f"SELECT i FROM src WHERE {where}", params).fetchall()}
            assert got == want, (step, key, conditions_of(key))

    # bins of a step, and of maxbins (the last bin holds the maximum)
    check(
        key_expr(f, {"x": (step, None)}),
        lambda k: field_conditions({"column": "v", "bin": {"step": step}}, "float", bin_edge(k, step)),
    )
    check(
        key_expr(f, {"x": (step, last)}),
        lambda k: field_conditions(
            {"column": "v", "bin": {"step": step, "last": last}}, "float", bin_edge(k, step)
        ),
    )
    # a dense scatter plot's grid cells (as compile.bin2d_query keys them)
    cells = 9
    width = (hi - lo) / cells
    ix = f"least(CAST(floor((v - {num_literal(lo)}) / {num_literal(width)}) AS BIGINT), {cells - 1})"
    start = f"{num_literal(lo)} + {ix} * {num_literal(width)}"
    grid = {"column": "v", "grid": {"origin": lo, "step": width, "cells": cells}}
    check(start, lambda k: field_conditions(grid, "float", k), cells)
