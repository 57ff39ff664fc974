"""Each mark, the mark budget on a million rows, and the cache (the engine in process, no server)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from livegraphs_ext.store import BadInput, DatasetStore, StoreConfig
from livegraphs_ext.store.charts import ChartCache, ChartEngine, run_chart, run_chart_file, validate_spec
from livegraphs_ext.store.charts.compile import bin_count, grid_axis, nice_step, nice_time_step
from livegraphs_ext.store.charts.spec import FieldRef
from livegraphs_ext.store.schema import ColumnInfo

N = 1_000_000
COLS = [
    ColumnInfo("t", "datetime"),
    ColumnInfo("v", "float"),
    ColumnInfo("w", "float"),
    ColumnInfo("g", "string"),
    ColumnInfo("lat", "float"),
    ColumnInfo("lon", "float"),
]


@pytest.fixture(scope="module")
def lg_million(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(7)
    t0 = np.datetime64("2024-01-01T00:00:00", "us")
    table = pa.table(
        {
            "t": pa.array(t0 + np.arange(N).astype("timedelta64[s]")),
            "v": np.cumsum(rng.normal(size=N)),
            "w": rng.normal(size=N),
            "g": pa.array(rng.choice(["a", "b", "c"], N)),
            "lat": rng.uniform(-60, 60, N),
            "lon": rng.uniform(-180, 180, N),
        }
    )
    path = tmp_path_factory.mktemp("million") / "m.parquet"
    pq.write_table(table, path, row_group_size=128 * 1024)
    return path


def spec(mark: str, encoding: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"version": 1, "dataset": {"id": "e" * 32}, "mark": mark, "encoding": encoding, **extra}


# ----------------------------------------------------------------------------- the budget


def test_a_million_point_line_is_downsampled_with_m4_within_the_budget(lg_million):
    r = run_chart_file(lg_million, COLS, spec("line", {"x": {"field": "t"}, "y": {"field": "v"}}), rows=N)
    assert 0 < r.marks <= 5000
    assert r.source_rows == N
    assert r.reduction is not None
    assert r.reduction["kind"] == "downsampled" and r.reduction["method"] == "m4"
    assert r.reduction["message"] == f"{r.marks:,} of 1,000,000 points, downsampled (M4)"
    v = r.table.column("v" if "v" in r.table.column_names else "y").to_numpy()
    # M4 keeps every extreme: the global min and max of the series survive
    full = pq.read_table(lg_million, columns=["v"]).column("v").to_numpy()
    assert v.min() == full.min() and v.max() == full.max()
    xs = r.table.column("x").cast(pa.int64()).to_numpy()
    assert np.all(np.diff(xs) >= 0)


def test_lttb_and_a_smaller_budget_are_honoured_per_line(lg_million):
    s = spec(
        "line",
        {"x": {"field": "t"}, "y": {"field": "w"}, "color": {"field": "g"}},
        options={"downsample": "lttb"},
        max_marks=900,
    )
    r = run_chart_file(lg_million, COLS, s, rows=N, max_marks=5000)
    assert r.marks <= 900
    assert r.reduction is not None and r.reduction["method"] == "lttb"
    assert "(LTTB)" in r.reduction["message"]
    assert sorted(set(r.table.column("color").to_pylist())) == ["a", "b", "c"]


def test_a_million_point_scatter_becomes_a_grid_of_counts(lg_million):
    r = run_chart_file(lg_million, COLS, spec("scatter", {"x": {"field": "v"}, "y": {"field": "w"}}), rows=N)
    assert 0 < r.marks <= 5000
    assert r.reduction is not None and (r.reduction["kind"], r.reduction["method"]) == ("binned", "bin2d")
    assert "from 1,000,000 points, binned" in r.reduction["message"]
    assert sum(r.table.column("count").to_pylist()) == N
    assert [f["name"] for f in r.fields] == ["x", "x_end", "y", "y_end", "count"]


def test_a_grid_over_time_steps_in_readable_units_on_their_own_edges(lg_million):
    r = run_chart_file(lg_million, COLS, spec("scatter", {"x": {"field": "t"}, "y": {"field": "w"}}), rows=N)
    assert r.reduction is not None and r.reduction["method"] == "bin2d"
    x, x_end = r.fields[0], r.fields[1]
    # a million seconds (11.6 days) over at most 70 cells: 6 hours a cell, 47 cells from midnight
    assert x["bin"] == x_end["bin"] == {"step": 6, "unit": "hour"}
    assert x["type"] == "datetime" and r.fields[2]["bin"]["step"] > 0 and "unit" not in r.fields[2]["bin"]
    starts = r.table.column("x").to_pylist()
    ends = r.table.column("x_end").to_pylist()
    assert min(starts) == dt.datetime(2024, 1, 1) and max(starts) == dt.datetime(2024, 1, 12, 12)
    assert all(e - b == dt.timedelta(hours=6) for b, e in zip(starts, ends, strict=True))
    assert sum(r.table.column("count").to_pylist()) == N
    # and w (about -5 to 5) in steps of 0.2, 52 cells
    assert r.fields[2]["bin"] == {"step": 0.2}
    assert "of a 47 by 52 grid from 1,000,000 points" in r.reduction["message"]


def test_time_steps_are_whole_readable_units():
    sec, minute, hour, day, week = 10**6, 60 * 10**6, 3600 * 10**6, 86400 * 10**6, 7 * 86400 * 10**6
    assert nice_time_step(59 * sec, 69) == (1 * sec, "second", 1)
    assert nice_time_step(3 * hour, 69) == (5 * minute, "minute", 5)
    assert nice_time_step(40 * day, 69) == (1 * day, "day", 1)
    assert nice_time_step(365 * day, 69) == (1 * week, "week", 1)
    assert nice_time_step(30 * 365 * day, 69) == (26 * week, "week", 26)
    assert nice_time_step(3000 * 365 * day, 69) == (5000 * week, "week", 5000)
    assert nice_time_step(0, 69) == (1, "microsecond", 1)
    # weeks start on Mondays: 2024-01-03 (a Wednesday) falls in the week of Monday 2024-01-01
    f = FieldRef("x", "x", "t", "datetime")
    wed = (dt.datetime(2024, 1, 3) - dt.datetime(1970, 1, 1)) // dt.timedelta(microseconds=1)
    origin, step, cells, b = grid_axis(f, wed, wed + 300 * day, 70)
    assert dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=origin) == dt.datetime(2024, 1, 1)
    assert (step, b) == (week, {"step": 1, "unit": "week"}) and cells == 44


def test_a_map_of_a_million_points_and_many_categories_stay_within_the_budget(lg_million):
    m = run_chart_file(
        lg_million, COLS, spec("map", {"latitude": {"field": "lat"}, "longitude": {"field": "lon"}}), rows=N
    )
    assert m.marks <= 5000 and m.reduction is not None and m.reduction["method"] == "bin2d"
    assert m.options == {"map": {"kind": "points"}}
    bars = run_chart_file(
        lg_million,
        COLS,
        spec("bar", {"x": {"field": "w"}, "y": {"aggregate": "count"}}),
        rows=N,
        max_marks=100,
    )
    assert bars.marks == 100
    assert bars.reduction is not None and bars.reduction["kind"] == "top_n"
    assert bars.reduction["message"] == f"100 of {N:,} bars, the largest by count"
    table = run_chart_file(lg_million, COLS, spec("table", {}), rows=N)
    assert table.marks == 100 and table.reduction is not None and table.reduction["kind"] == "paged"
    assert table.options == {"page": {"offset": 0, "limit": 100, "total": N}}


def test_raw_bars_and_pies_past_the_budget_are_summed_never_sampled(lg_million):
    full = pq.read_table(lg_million, columns=["g", "w", "v"]).to_pandas()
    want = full.groupby("g")["w"].sum()
    r = run_chart_file(lg_million, COLS, spec("bar", {"x": {"field": "g"}, "y": {"field": "w"}}), rows=N)
    assert r.table.column("x").to_pylist() == ["a", "b", "c"]
    assert np.allclose(r.table.column("y").to_numpy(), want.to_numpy(), rtol=1e-9, atol=1e-6)
    assert r.source_rows == N
    assert r.reduction == {
        "kind": "aggregated",
        "method": "sum",
        "message": "1,000,000 rows aggregated: sum(w) per g",
    }
    assert r.fields[1]["aggregate"] == "sum" and r.fields[1]["type"] == "float"
    # a pie, text on y of a bar (the bars lie down), and a total per category kept by top-N
    pie = run_chart_file(
        lg_million, COLS, spec("pie", {"color": {"field": "g"}, "y": {"field": "v"}}), rows=N
    )
    assert np.allclose(pie.table.column("y").to_numpy(), full.groupby("g")["v"].sum().to_numpy())
    assert pie.reduction is not None and pie.reduction["kind"] == "aggregated"
    lying = run_chart_file(lg_million, COLS, spec("bar", {"x": {"field": "w"}, "y": {"field": "g"}}), rows=N)
    assert lying.table.column("y").to_pylist() == ["a", "b", "c"]
    assert np.allclose(lying.table.column("x").to_numpy(), want.to_numpy(), rtol=1e-9, atol=1e-6)
    many = run_chart_file(
        lg_million, COLS, spec("bar", {"x": {"field": "w"}, "y": {"field": "v"}}), rows=N, max_marks=50
    )
    assert many.marks == 50 and many.reduction is not None
    assert many.reduction["kind"] == "aggregated"
    assert many.reduction["message"] == (
        f"1,000,000 rows aggregated: sum(v) per w; 50 of {N:,} bars, the largest by sum(v)"
    )
    top = np.sort(full.groupby("w")["v"].sum().to_numpy())[-50:]
    assert np.allclose(np.sort(many.table.column("y").to_numpy()), top)
    # nothing to sum: a sample, and the reduction says so
    text = run_chart_file(
        lg_million, COLS, spec("bar", {"x": {"field": "g"}, "y": {"field": "t"}}), rows=N, max_marks=10
    )
    assert text.reduction is not None and text.reduction["kind"] == "sampled"
    assert text.reduction["message"] == "10 of 1,000,000 rows, a random sample"


# ----------------------------------------------------------------------------- each mark

SALES = (
    "region,revenue,units,day,lat,lon,country\n"
    "EMEA,10,1,2025-01-05,48.8,2.3,FRA\n"
    "APAC,20,2,2025-01-20,35.6,139.7,JPN\n"
    "EMEA,5,3,2025-02-03,52.5,13.4,DEU\n"
    "AMER,7,4,2025-02-14,40.7,-74.0,USA\n"
    "APAC,1,5,2025-03-01,1.3,103.8,SGP\n"
    "EMEA,100,6,2025-03-09,51.5,-0.1,GBR\n"
)


@pytest.fixture
def lg_store(tmp_path: Path) -> DatasetStore:
    store = DatasetStore(StoreConfig(root=tmp_path / "store"))
    yield store
    store.close()


@pytest.fixture
def lg_sales(lg_store: DatasetStore, tmp_path: Path) -> dict[str, Any]:
    src = tmp_path / "sales.csv"
    src.write_text(SALES)
    return lg_store.create_from_file(src, name="sales", owner="ann")


def chart(store: DatasetStore, mark: str, encoding: dict[str, Any], **extra: Any) -> dict[str, Any]:
    s = {"version": 1, "dataset": {"name": "sales"}, "mark": mark, "encoding": encoding, **extra}
    return run_chart(store, s, user="ann").to_json()


def test_stacked_bars_by_month_and_region(lg_store, lg_sales):
    out = chart(
        lg_store,
        "bar",
        {
            "x": {"field": "day", "timeUnit": "month"},
            "y": {"field": "revenue", "aggregate": "sum"},
            "color": {"field": "region"},
        },
        options={"stack": "stacked"},
    )
    assert out["data"] == {
        "x": ["2025-01-01", "2025-01-01", "2025-02-01", "2025-02-01", "2025-03-01", "2025-03-01"],
        "y": [20, 10, 7, 5, 1, 100],
        "color": ["APAC", "EMEA", "AMER", "EMEA", "APAC", "EMEA"],
    }
    assert out["fields"][0]["timeUnit"] == "month"


def test_top_n_keeps_whole_stacks_in_the_sorted_order(lg_store, lg_sales):
    out = chart(
        lg_store,
        "bar",
        {
            "x": {"field": "region"},
            "y": {"field": "revenue", "aggregate": "sum"},
            "color": {"field": "units", "bin": {"step": 3}},
        },
        sort={"by": "y", "order": "descending"},
        limit=2,
    )
    # EMEA (115) then APAC (21); AMER (7) is cut
    assert out["data"]["x"] == ["EMEA", "EMEA", "EMEA", "APAC", "APAC"]
    assert out["data"]["color"] == [0.0, 3.0, 6.0, 0.0, 3.0]
    assert out["data"]["color_end"] == [3.0, 6.0, 9.0, 3.0, 6.0]
    # the chart is computed from every row, AMER's too: it only is not shown
    assert out["source_rows"] == 6
    assert out["reduction"] is None


def test_source_rows_of_a_ranked_stack_count_every_filtered_row(lg_store, lg_sales):
    out = chart(
        lg_store,
        "bar",
        {"x": {"field": "region"}, "color": {"field": "day", "timeUnit": "month"}},
        filters=[{"column": "units", "cmp": "ge", "value": 2}],
        limit=1,
    )
    # 5 rows pass the filter; the top region by count (APAC and EMEA have 2 each: APAC first) keeps 2
    assert out["data"] == {"x": ["APAC", "APAC"], "color": ["2025-01-01", "2025-03-01"], "y": [1, 1]}
    assert out["source_rows"] == 5


def test_line_area_pie_heatmap_histogram(lg_store, lg_sales):
    line = chart(lg_store, "line", {"x": {"field": "day"}, "y": {"field": "revenue"}})
    assert line["data"]["y"] == [10, 20, 5, 7, 1, 100] and line["reduction"] is None
    area = chart(
        lg_store,
        "area",
        {"x": {"field": "day", "timeUnit": "month"}, "y": {"field": "units", "aggregate": "mean"}},
    )
    assert area["data"]["y"] == [1.5, 3.5, 5.5]
    pie = chart(lg_store, "pie", {"color": {"field": "region"}}, options={"hole": 0.5})
    assert pie["data"] == {"y": [1, 2, 3], "color": ["AMER", "APAC", "EMEA"]}
    heat = chart(
        lg_store, "heatmap", {"x": {"field": "region"}, "y": {"field": "day", "timeUnit": "quarter"}}
    )
    assert heat["data"]["color"] == [1, 2, 3]
    hist = chart(lg_store, "histogram", {"x": {"field": "units", "bin": {"maxbins": 3}}})
    assert hist["data"] == {"x": [0.0, 2.0, 4.0], "x_end": [2.0, 4.0, 6.0], "y": [1, 2, 3]}
    assert hist["fields"][0]["bin"] == {"step": 2.0, "last": 4.0}


def bin_conditions(column: str, start: float, end: float, last: float | None) -> list[dict[str, Any]]:
    """What a click on one bin filters: ``[start, end)``, or ``[start, end]`` for the last bin."""
    closing = "le" if start == last else "lt"
    return [{"column": column, "cmp": "ge", "value": start}, {"column": column, "cmp": closing, "value": end}]


@pytest.mark.parametrize(
    "bin_", [{"maxbins": 3}, {"maxbins": 5}, {"maxbins": 20}, {"step": 2}, {"step": 1.5}]
)
def test_each_bin_as_a_filter_keeps_exactly_its_rows(lg_store, lg_sales, bin_):
    # Given a histogram of units (whole numbers 1 to 6; with maxbins 3 the maximum lies on the last
    # edge, with 20 or a step of 1.5 the edges fall between whole numbers)
    hist = chart(lg_store, "histogram", {"x": {"field": "units", "bin": bin_}})
    meta = hist["fields"][0]["bin"]
    # the closed last bin is named only when the engine clamps the maximum into it
    assert ("last" in meta) == ("maxbins" in bin_)
    d = hist["data"]
    for start, end, count in zip(d["x"], d["x_end"], d["y"], strict=True):
        # When the bin is turned into filter conditions
        rows = chart(
            lg_store,
            "kpi",
            {"y": {"aggregate": "count"}},
            filters=bin_conditions("units", start, end, meta.get("last")),
        )
        # Then exactly the bin's rows are left
        assert rows["data"]["y"] == [count], (start, end)
    assert sum(d["y"]) == 6


def test_an_integer_column_compares_with_numbers_between_whole_ones(lg_store, lg_sales):
    # units are 1 to 6; a bin edge of an integer column may be 2.5
    def count(filters: list[dict[str, Any]]) -> int:
        return chart(lg_store, "kpi", {"y": {"aggregate": "count"}}, filters=filters)["data"]["y"][0]

    assert count([{"column": "units", "cmp": "gt", "value": 2.5}]) == 4
    assert count([{"column": "units", "cmp": "between", "value": [1.5, 4.5]}]) == 3
    assert count([{"column": "units", "cmp": "lt", "value": 2.0}]) == 1
    # equality and lists still take whole numbers only
    for cmp, value in [("eq", 2.5), ("in", [2.5])]:
        with pytest.raises(BadInput, match="whole number"):
            count([{"column": "units", "cmp": cmp, "value": value}])


def test_a_time_unit_period_as_a_filter_keeps_exactly_its_rows(lg_store, lg_sales):
    by_month = chart(lg_store, "bar", {"x": {"field": "day", "timeUnit": "month"}})
    assert by_month["data"]["x"] == ["2025-01-01", "2025-02-01", "2025-03-01"]
    ends = ["2025-02-01", "2025-03-01", "2025-04-01"]
    for start, end, count in zip(by_month["data"]["x"], ends, by_month["data"]["y"], strict=True):
        rows = chart(
            lg_store,
            "kpi",
            {"y": {"aggregate": "count"}},
            filters=[
                {"column": "day", "cmp": "ge", "value": start},
                {"column": "day", "cmp": "lt", "value": end},
            ],
        )
        assert rows["data"]["y"] == [count]


def test_box_plots_are_summaries_not_rows(lg_store, lg_sales):
    out = chart(lg_store, "box", {"x": {"field": "region"}, "y": {"field": "revenue"}})
    d = out["data"]
    assert d["x"] == ["AMER", "APAC", "EMEA"]
    assert d["y_median"] == [7.0, 10.5, 10.0]
    assert d["y_q1"] == [7.0, 5.75, 7.5] and d["y_q3"] == [7.0, 15.25, 55.0]
    assert d["y_count"] == [1, 2, 3] and d["y_upper"] == [7.0, 20.0, 100.0]
    assert out["marks"] == 3


def test_maps_kpis_and_tables(lg_store, lg_sales):
    pts = chart(
        lg_store,
        "map",
        {"latitude": {"field": "lat"}, "longitude": {"field": "lon"}, "tooltip": [{"field": "country"}]},
    )
    assert pts["marks"] == 6 and pts["data"]["tooltip_0"][0] == "FRA"
    choro = chart(
        lg_store, "map", {"location": {"field": "country"}, "color": {"field": "revenue", "aggregate": "sum"}}
    )
    assert choro["options"] == {"map": {"kind": "choropleth", "locations": "country"}}
    assert dict(zip(choro["data"]["location"], choro["data"]["color"], strict=True))["GBR"] == 100
    kpi = chart(
        lg_store,
        "kpi",
        {"y": {"field": "revenue", "aggregate": "sum"}, "x": {"field": "day", "timeUnit": "month"}},
        options={"delta": {"compare": "previous_period"}},
    )
    assert kpi["data"] == {
        "x": ["2025-03-01"],
        "y": [101],
        "y_previous": [12],
        "delta": [89],
        "delta_ratio": [89 / 12],
    }
    total = chart(lg_store, "kpi", {"y": {"field": "revenue", "aggregate": "sum"}})
    assert total["data"] == {"y": [143]}
    page = chart(
        lg_store,
        "table",
        {"x": {"field": "region"}, "y": {"field": "revenue"}},
        limit=2,
        options={"offset": 2},
    )
    assert page["data"] == {"x": ["EMEA", "AMER"], "y": [5, 7]}
    assert page["reduction"]["message"] == "rows 3 to 4 of 6"


def test_errors_name_the_channel(lg_store, lg_sales):
    cols = [ColumnInfo.from_json(c) for c in lg_sales["columns"]]
    cases = [
        ({"x": {"field": "region"}, "y": {"field": "region", "aggregate": "mean"}}, "encoding.y.aggregate"),
        ({"x": {"field": "revenue", "timeUnit": "day"}}, "encoding.x.timeUnit"),
        ({"x": {"field": "region", "bin": True}}, "encoding.x.bin"),
        ({"x": {"field": "ghost"}}, "encoding.x.field"),
        ({"x": {"field": "region"}, "tooltip": [{"field": "ghost"}]}, "encoding.tooltip[0].field"),
    ]
    for enc, path in cases:
        with pytest.raises(BadInput) as e:
            validate_spec(spec("bar", enc), cols)
        assert e.value.message.startswith(path + ":"), e.value.message
        assert e.value.status == 400


# ----------------------------------------------------------------------------- the cache


def test_the_cache_hits_and_a_new_version_misses(lg_store, lg_sales):
    engine = ChartEngine(lg_store, max_marks=5000, cache_bytes=1 << 20)
    s = {
        "version": 1,
        "dataset": {"id": lg_sales["id"]},
        "mark": "pie",
        "encoding": {"color": {"field": "region"}},
    }
    first, second = engine.run(s), engine.run(dict(s))
    assert (first.cached, second.cached) == (False, True)
    assert engine.cache.hits == 1 and len(engine.cache) == 1
    lg_store.apply_step(
        lg_sales["id"],
        {"op": "filter", "conditions": [{"column": "region", "cmp": "eq", "value": "EMEA"}]},
        user="ann",
    )
    third = engine.run(s)
    assert third.cached is False and third.dataset["version"] == 2
    assert third.to_json()["data"] == {"y": [3], "color": ["EMEA"]}
    pinned = engine.run({**s, "dataset": {"id": lg_sales["id"], "version": 1}})
    assert pinned.cached is True  # version 1's result is still the right answer


def test_the_cache_is_bounded_and_drops_the_least_recently_used(lg_store, lg_sales):
    cache = ChartCache(max_bytes=3 * 2600)
    base = {"version": 1, "dataset": {"id": lg_sales["id"]}, "mark": "kpi"}
    for agg in ("sum", "mean", "max", "min", "median"):
        run_chart(lg_store, {**base, "encoding": {"y": {"field": "revenue", "aggregate": agg}}}, cache=cache)
    assert 0 < len(cache) < 5
    again = run_chart(
        lg_store, {**base, "encoding": {"y": {"field": "revenue", "aggregate": "sum"}}}, cache=cache
    )
    assert again.cached is False


def test_bins_never_exceed_maxbins():
    for lo, hi, n in [(0, 100, 10), (-3.2, 7.9, 7), (5, 5, 4), (0.001, 0.0093, 20), (-1e6, 3e6, 3)]:
        step = nice_step(lo, hi, n)
        assert bin_count(lo, hi, step) <= n, (lo, hi, n, step)
    assert nice_step(0, 100, 10) == 10


def test_a_pandas_free_notebook_call_gives_json_and_arrow(lg_store, lg_sales):
    r = run_chart(
        lg_store,
        {"version": 1, "dataset": {"name": "sales"}, "mark": "bar", "encoding": {"x": {"field": "day"}}},
    )
    assert r.to_arrow().schema.metadata[b"livegraphs"].startswith(b"{")
    assert r.to_json()["data"]["x"][0] == "2025-01-05"
    assert isinstance(r.table.column("x")[0].as_py(), dt.date)


# ----------------------------------------------------------------------------- KPI delta


def kpi_delta(
    tmp_path: Path, rows: list[tuple[str, float, str]], unit: str, *, count: bool = False, **extra: Any
) -> dict[str, Any]:
    path = tmp_path / "k.parquet"
    pq.write_table(
        pa.table(
            {
                "day": pa.array([dt.date.fromisoformat(d) for d, _, _ in rows], pa.date32()),
                "amount": pa.array([a for _, a, _ in rows], pa.float64()),
                "shop": pa.array([s for _, _, s in rows]),
            }
        ),
        path,
    )
    cols = [ColumnInfo("day", "date"), ColumnInfo("amount", "float"), ColumnInfo("shop", "string")]
    s = spec(
        "kpi",
        {
            "y": {"aggregate": "count"} if count else {"field": "amount", "aggregate": "sum"},
            "x": {"field": "day", "timeUnit": unit},
        },
        options={"delta": {"compare": "previous_period"}},
        **extra,
    )
    return run_chart_file(path, cols, s).to_json()


def test_kpi_delta_is_the_last_period_against_the_calendar_period_before_it(tmp_path):
    rows = [
        ("2025-01-10", 7.0, "a"),
        ("2025-02-01", 10.0, "a"),
        ("2025-02-28", 30.0, "b"),
        ("2025-03-02", 50.0, "a"),
        ("2025-03-09", 10.0, "b"),  # the last day in the data: March is the (partial) last period
    ]
    out = kpi_delta(tmp_path, rows, "month")
    assert out["data"] == {
        "x": ["2025-03-01"],
        "y": [60.0],
        "y_previous": [40.0],
        "delta": [20.0],
        "delta_ratio": [0.5],
    }
    assert out["source_rows"] == 5
    assert [f["stat"] for f in out["fields"][2:]] == ["previous", "delta", "delta_ratio"]
    # filters come first: the last period is the last one with rows left
    b = kpi_delta(tmp_path, rows, "month", filters=[{"column": "shop", "cmp": "eq", "value": "b"}])
    assert b["data"]["y"] == [10.0] and b["data"]["y_previous"] == [30.0]
    assert b["data"]["delta"] == [-20.0] and b["data"]["delta_ratio"] == [-20.0 / 30.0]
    # weeks start on Mondays: Sun 2 March is in the week of 24 February, Sun 9 March in that of 3 March
    w = kpi_delta(tmp_path, rows, "week")
    assert w["data"]["x"] == ["2025-03-03"] and w["data"]["y"] == [10.0]
    assert w["data"]["y_previous"] == [80.0]


def test_kpi_delta_of_an_empty_zero_or_negative_previous_period(tmp_path):
    # no rows in February: nothing to compare with (January is not "the period before")
    gap = kpi_delta(tmp_path, [("2025-01-10", 7.0, "a"), ("2025-03-02", 50.0, "a")], "month")
    assert gap["data"] == {
        "x": ["2025-03-01"],
        "y": [50.0],
        "y_previous": [None],
        "delta": [None],
        "delta_ratio": [None],
    }
    count = kpi_delta(tmp_path, [("2025-01-10", 7.0, "a"), ("2025-03-02", 50.0, "a")], "month", count=True)
    assert count["data"] == {
        "x": ["2025-03-01"],
        "y": [1],
        "y_previous": [0],
        "delta": [1],
        "delta_ratio": [None],
    }
    zero = kpi_delta(tmp_path, [("2025-02-10", 0.0, "a"), ("2025-03-02", 5.0, "a")], "month")
    assert zero["data"]["delta"] == [5.0] and zero["data"]["delta_ratio"] == [None]
    # the ratio is over the size of the previous value: from -10 up to 5 is +150 %
    neg = kpi_delta(tmp_path, [("2025-02-10", -10.0, "a"), ("2025-03-02", 5.0, "a")], "month")
    assert neg["data"]["delta"] == [15.0] and neg["data"]["delta_ratio"] == [1.5]
    none = kpi_delta(
        tmp_path, [("2025-02-10", 1.0, "a")], "month", filters=[{"column": "shop", "cmp": "eq", "value": "z"}]
    )
    assert none["data"]["y"] == [None] and none["data"]["x"] == [None] and none["source_rows"] == 0
