"""Trend lines and forecasts: the engine's figures against numpy, scipy and statsmodels called here
on the same data read with pandas; the limits; and the clear 400s."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy import stats
from statsmodels.nonparametric.smoothers_lowess import lowess
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

from livegraphs_ext.documents.specmap import check_spec
from livegraphs_ext.store.charts import overlays as O
from livegraphs_ext.store.charts import run_chart_file
from livegraphs_ext.store.errors import BadInput
from livegraphs_ext.store.schema import ColumnInfo

N = 3_000
GROUPS = ["café", "東京", "Zürich"]
COLS = [
    ColumnInfo("x", "float"),
    ColumnInfo("y", "float"),
    ColumnInfo("g", "string"),
    ColumnInfo("t", "datetime"),
    ColumnInfo("d", "date"),
    ColumnInfo("v", "float"),
]


@pytest.fixture(scope="module")
def path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(17)
    x = rng.normal(10, 3, N)
    g = rng.choice(GROUPS, N).astype(object)
    slope = np.select([g == "café", g == "東京"], [2.0, -1.0], 0.5)
    y = slope * x + 4 + rng.normal(0, 2, N)
    month = np.arange(N) % 96  # eight years of months, a season of 12 in v
    t = pd.to_datetime("2017-01-01") + pd.to_timedelta(rng.integers(0, 28, N), unit="D")
    t = t + pd.to_timedelta(0, unit="D")
    stamps = [
        dt.datetime(2017 + int(m) // 12, int(m) % 12 + 1, 1) + (s - pd.Timestamp("2017-01-01"))
        for m, s in zip(month, t, strict=True)
    ]
    v = 50 + month * 0.8 + 12 * np.sin(month * 2 * np.pi / 12) + rng.normal(0, 3, N)
    # quarters add up exactly in any order, so DuckDB's sums and pandas' agree to the last bit
    # (a model fitted by an optimiser follows a different path on inputs 1e-12 apart)
    v = np.round(v * 4) / 4
    frame = pd.DataFrame(
        {
            "x": x,
            "y": y,
            "g": g,
            "t": pd.Series(stamps, dtype="datetime64[us]"),
            "d": [dt.date(2020, 1, 1) + dt.timedelta(days=i % 200) for i in range(N)],
            "v": v,
        }
    )
    frame.loc[rng.random(N) < 0.05, "x"] = np.nan
    frame.loc[rng.random(N) < 0.05, "y"] = np.nan
    frame.loc[rng.random(N) < 0.03, "v"] = np.nan
    frame.loc[0, "g"] = "solo ✓"  # a group of one row
    schema = pa.schema(
        [
            ("x", pa.float64()),
            ("y", pa.float64()),
            ("g", pa.string()),
            ("t", pa.timestamp("us")),
            ("d", pa.date32()),
            ("v", pa.float64()),
        ]
    )
    out = tmp_path_factory.mktemp("overlays") / "o.parquet"
    pq.write_table(pa.Table.from_pandas(frame, schema=schema, preserve_index=False), out)
    return out


@pytest.fixture(scope="module")
def frame(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path)


def run(path: Path, mark: str, encoding: dict[str, Any], overlays: list[Any], **extra: Any) -> dict[str, Any]:
    spec = {"version": 1, "dataset": {"id": "a" * 32}, "mark": mark, "encoding": encoding}
    spec.update(overlays=overlays, **extra)
    return run_chart_file(path, COLS, spec, rows=N).to_json()


SCATTER = {"x": {"field": "x"}, "y": {"field": "y"}}


# ---------------------------------------------------------------------------- linear trends


def test_a_linear_trend_is_least_squares_over_every_filtered_row(path: Path, frame: pd.DataFrame) -> None:
    # Given a scatter plot of x and y, with nulls in both
    out = run(path, "scatter", SCATTER, [{"kind": "trend"}])
    # Then its trend is the least-squares line of the rows where both are present
    [trend] = out["overlays"]
    [line] = trend["series"]
    rows = frame.dropna(subset=["x", "y"])
    ref = stats.linregress(rows["x"], rows["y"])
    assert line["n"] == len(rows) == out["source_rows"]
    assert line["slope"] == pytest.approx(ref.slope, rel=1e-9)
    assert line["intercept"] == pytest.approx(ref.intercept, rel=1e-9)
    assert line["r2"] == pytest.approx(ref.rvalue**2, rel=1e-9)
    assert line["x"] == pytest.approx([rows["x"].min(), rows["x"].max()])
    assert line["y"] == pytest.approx([ref.intercept + ref.slope * v for v in line["x"]])
    assert line["equation"] == f"y = {ref.slope:.4g}·x + {ref.intercept:.4g}"
    assert trend["method"] == "linear" and "group" not in line


def test_a_trend_per_color_group_with_non_ascii_names_and_a_group_of_one_row(
    path: Path, frame: pd.DataFrame
) -> None:
    out = run(path, "scatter", {**SCATTER, "color": {"field": "g"}}, [{"kind": "trend", "method": "linear"}])
    by_group = {s["group"]: s for s in out["overlays"][0]["series"]}
    assert set(by_group) == {*GROUPS, "solo ✓"}
    rows = frame.dropna(subset=["x", "y"])
    for name in GROUPS:
        part = rows[rows["g"] == name]
        slope, intercept = np.polyfit(part["x"], part["y"], 1)
        assert by_group[name]["n"] == len(part)
        assert by_group[name]["slope"] == pytest.approx(slope, rel=1e-9)
        assert by_group[name]["intercept"] == pytest.approx(intercept, rel=1e-9)
    # one row draws no line, and says why
    solo = by_group["solo ✓"]
    assert solo["n"] == 1 and "x" not in solo and "too few" in solo["message"]


def test_an_empty_filtered_result_and_a_single_point_draw_no_trend(path: Path) -> None:
    empty = run(
        path, "scatter", SCATTER, [{"kind": "trend"}], filters=[{"column": "x", "cmp": "gt", "value": 1e9}]
    )
    assert empty["overlays"][0]["series"] == [] and empty["overlays"][0]["message"] == "no points to fit"
    for method in ("linear", "loess"):
        one = run(
            path,
            "scatter",
            SCATTER,
            [{"kind": "trend", "method": method}],
            filters=[{"column": "g", "cmp": "eq", "value": "solo ✓"}],
        )
        [series] = one["overlays"][0]["series"]
        assert series["n"] == (1 if one["source_rows"] else 0) and "x" not in series


def test_a_trend_of_an_aggregated_line_fits_the_points_it_draws(path: Path, frame: pd.DataFrame) -> None:
    # Given the monthly mean of v
    enc = {"x": {"field": "t", "timeUnit": "month"}, "y": {"field": "v", "aggregate": "mean"}}
    out = run(path, "line", enc, [{"kind": "trend"}])
    [line] = out["overlays"][0]["series"]
    monthly = frame.dropna(subset=["v"]).groupby(frame["t"].dt.to_period("M"))["v"].mean()
    days = np.array([(p.to_timestamp() - monthly.index[0].to_timestamp()).days for p in monthly.index], float)
    slope, intercept = np.polyfit(days, monthly.to_numpy(), 1)
    fitted = intercept + slope * days
    r2 = 1 - ((monthly.to_numpy() - fitted) ** 2).sum() / ((monthly.to_numpy() - monthly.mean()) ** 2).sum()
    # Then the slope is per day from the first month, and the line spans the months
    assert line["n"] == len(monthly)
    assert line["slope"] == pytest.approx(slope, rel=1e-9)
    assert line["intercept"] == pytest.approx(intercept, rel=1e-9)
    assert line["r2"] == pytest.approx(r2, rel=1e-9)
    assert line["x"] == ["2017-01-01T00:00:00", "2024-12-01T00:00:00"]
    assert line["equation"].endswith("t in days since 2017-01-01")


# ---------------------------------------------------------------------------- LOESS


def test_a_loess_trend_is_statsmodels_lowess_on_the_points(path: Path, frame: pd.DataFrame) -> None:
    out = run(path, "scatter", {**SCATTER, "color": {"field": "g"}}, [{"kind": "trend", "method": "loess"}])
    trend = out["overlays"][0]
    assert "message" not in trend  # fewer points than the sample size: all of them
    rows = frame.dropna(subset=["x", "y"])
    part = rows[rows["g"] == "東京"]
    x, y = part["x"].to_numpy(), part["y"].to_numpy()
    ref = lowess(y, x, frac=O.LOESS_FRAC, it=3, delta=0.01 * np.ptp(x))
    curve = next(s for s in trend["series"] if s["group"] == "東京")
    assert len(curve["x"]) <= O.CURVE_POINTS and curve["n"] == len(part)
    got = dict(zip(curve["x"], curve["y"], strict=True))
    expected = dict(zip(ref[:, 0], ref[:, 1], strict=True))
    assert all(got[k] == pytest.approx(expected[k], rel=1e-9) for k in got)
    resid = y[np.argsort(x, kind="stable")] - ref[:, 1]
    assert curve["r2"] == pytest.approx(1 - (resid**2).sum() / ((y - y.mean()) ** 2).sum(), rel=1e-9)


def test_loess_over_more_points_than_its_bound_fits_a_sample_and_says_so(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    n = O.LOESS_POINTS * 3
    x = rng.uniform(0, 10, n)
    table = pa.table({"x": x, "y": np.sin(x) + rng.normal(0, 0.1, n)})
    file = tmp_path / "big.parquet"
    pq.write_table(table, file)
    cols = [ColumnInfo("x", "float"), ColumnInfo("y", "float")]
    spec = {"version": 1, "dataset": {"id": "b" * 32}, "mark": "scatter", "encoding": SCATTER}
    out = run_chart_file(
        file, cols, {**spec, "overlays": [{"kind": "trend", "method": "loess"}]}, rows=n
    ).to_json()
    trend = out["overlays"][0]
    [curve] = trend["series"]
    assert curve["n"] == O.LOESS_POINTS
    assert trend["message"] == f"LOESS on a sample of {O.LOESS_POINTS:,} of {n:,} points"
    # the sample's curve is close to LOESS over every point
    full = lowess(table["y"].to_numpy(), x, frac=O.LOESS_FRAC, it=3, xvals=np.array(curve["x"]))
    assert np.abs(np.array(curve["y"]) - full).max() < 0.05


def test_trends_are_drawn_for_the_largest_groups_only(tmp_path: Path) -> None:
    groups = O.MAX_TREND_GROUPS + 5
    rng = np.random.default_rng(2)
    g = np.repeat([f"g{i:02d}" for i in range(groups)], np.arange(groups) + 3)
    table = pa.table({"x": rng.normal(size=len(g)), "y": rng.normal(size=len(g)), "g": g})
    file = tmp_path / "groups.parquet"
    pq.write_table(table, file)
    cols = [ColumnInfo("x", "float"), ColumnInfo("y", "float"), ColumnInfo("g", "string")]
    spec = {
        "version": 1,
        "dataset": {"id": "c" * 32},
        "mark": "scatter",
        "encoding": {**SCATTER, "color": {"field": "g"}},
    }
    trend = run_chart_file(file, cols, {**spec, "overlays": [{"kind": "trend"}]}).to_json()["overlays"][0]
    assert [s["group"] for s in trend["series"]] == [f"g{i:02d}" for i in range(groups - 1, 4, -1)]
    assert trend["message"] == f"trends for the {O.MAX_TREND_GROUPS} largest of {groups} groups"


# ---------------------------------------------------------------------------- forecasts

MONTHLY = {"x": {"field": "t", "timeUnit": "month"}, "y": {"field": "v", "aggregate": "sum"}}


def reference_forecast(series: pd.Series, model: str, periods: int, alpha: float) -> pd.DataFrame:
    """ETSModel fitted directly, as the engine's result names the model (e.g. "ETS(A,Ad,A), season of 12")."""
    parts = model.split(",")
    trend, season = parts[1], parts[2].split(")")[0]
    m = int(model.rsplit(" ", 1)[1]) if "season of" in model else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = ETSModel(
            pd.Series(series.to_numpy(float)),
            error="add",
            trend=None if trend == "N" else "add",
            damped_trend=trend == "Ad",
            seasonal=None if season == "N" else "add",
            seasonal_periods=m,
        ).fit(disp=False)
        n = len(series)
        return fit.get_prediction(start=n, end=n + periods - 1).summary_frame(alpha=alpha)


def test_a_forecast_of_a_monthly_sum_is_ets_with_a_season_of_12(path: Path, frame: pd.DataFrame) -> None:
    out = run(path, "line", MONTHLY, [{"kind": "forecast", "periods": 6, "interval": 0.9}])
    forecast = out["overlays"][0]
    [s] = forecast["series"]
    monthly = frame.groupby(frame["t"].dt.to_period("M"))["v"].sum()
    # the season is found from the time unit, and the model is named
    assert s["seasonality"] == 12 and s["model"].endswith("season of 12") and forecast["model"] == s["model"]
    assert s["n"] == len(monthly) == 96
    assert s["x"] == [f"2025-0{m}-01T00:00:00" for m in range(1, 7)]
    assert s["start"] == {"x": "2024-12-01T00:00:00", "y": pytest.approx(monthly.iloc[-1])}
    ref = reference_forecast(monthly, s["model"], 6, 0.1)
    assert s["y"] == pytest.approx(ref["mean"].tolist(), rel=1e-6)
    assert s["lower"] == pytest.approx(ref["pi_lower"].tolist(), rel=1e-6)
    assert s["upper"] == pytest.approx(ref["pi_upper"].tolist(), rel=1e-6)
    assert all(lo < y < hi for lo, y, hi in zip(s["lower"], s["y"], s["upper"], strict=True))


def test_a_forecast_per_color_group_and_a_set_seasonality(path: Path) -> None:
    enc = {**MONTHLY, "color": {"field": "g"}}
    out = run(path, "line", enc, [{"kind": "forecast", "periods": 3, "seasonality": 0}])
    series = {s["group"]: s for s in out["overlays"][0]["series"]}
    assert set(GROUPS) <= set(series)
    assert all(
        series[name]["seasonality"] is None and "season" not in series[name]["model"] for name in GROUPS
    )
    # the group of one row is too short to forecast, and says so; the others are drawn
    assert "at least 5 periods" in series["solo ✓"]["message"] and "x" not in series["solo ✓"]


def test_a_forecast_of_a_raw_daily_line_finds_its_period(path: Path, frame: pd.DataFrame) -> None:
    enc = {"x": {"field": "d"}, "y": {"field": "v"}}
    out = run(path, "line", enc, [{"kind": "forecast", "periods": 2}])
    [s] = out["overlays"][0]["series"]
    daily = frame.dropna(subset=["v"]).groupby("d")["v"].mean()
    assert s["n"] == len(daily) == 200
    assert s["x"] == ["2020-07-19", "2020-07-20"]  # dates stay dates
    ref = reference_forecast(daily, s["model"], 2, 0.05)
    assert s["y"] == pytest.approx(ref["mean"].tolist(), rel=1e-6)


def test_a_long_series_is_fitted_on_its_last_periods(tmp_path: Path) -> None:
    n = O.FORECAST_FIT_POINTS + 500
    t = pd.date_range("2024-01-01", periods=n, freq="min")
    file = tmp_path / "long.parquet"
    pq.write_table(
        pa.table({"t": pa.array(t.to_pydatetime(), pa.timestamp("us")), "v": np.arange(n, dtype=float)}), file
    )
    cols = [ColumnInfo("t", "datetime"), ColumnInfo("v", "float")]
    spec = {
        "version": 1,
        "dataset": {"id": "d" * 32},
        "mark": "line",
        "encoding": {"x": {"field": "t"}, "y": {"field": "v"}},
    }
    out = run_chart_file(
        file, cols, {**spec, "overlays": [{"kind": "forecast", "periods": 3}]}, rows=n
    ).to_json()
    forecast = out["overlays"][0]
    assert forecast["series"][0]["n"] == O.FORECAST_FIT_POINTS
    assert f"fitted on the last {O.FORECAST_FIT_POINTS:,} of {n:,} periods" in forecast["message"]
    assert forecast["series"][0]["y"] == pytest.approx([n, n + 1, n + 2], rel=1e-6)


@pytest.mark.parametrize(
    ("mark", "encoding", "overlays", "message"),
    [
        (
            "line",
            {"x": {"field": "x"}, "y": {"field": "v", "aggregate": "sum"}},
            [{"kind": "forecast"}],
            "overlays[0]: a forecast needs dates or times on x",
        ),
        ("scatter", SCATTER, [{"kind": "forecast"}], "overlays[0]: a forecast is drawn on line charts"),
        (
            "bar",
            {"x": {"field": "g"}},
            [{"kind": "trend"}],
            "overlays[0]: a trend is drawn on scatter charts and line charts",
        ),
        (
            "scatter",
            {"x": {"field": "g"}, "y": {"field": "y"}},
            [{"kind": "trend"}],
            "overlays[0]: a trend needs numbers or dates on x",
        ),
        (
            "scatter",
            {**SCATTER, "row": {"field": "g"}},
            [{"kind": "trend"}],
            "overlays[0]: a trend is not drawn on a chart split",
        ),
        (
            "scatter",
            SCATTER,
            [{"kind": "trend"}, {"kind": "trend"}],
            "overlays[1]: a chart has at most one trend",
        ),
        (
            "scatter",
            SCATTER,
            [{"kind": "trend", "method": "cubic"}],
            "overlays[0].method: 'cubic' is not one of",
        ),
        (
            "line",
            MONTHLY,
            [{"kind": "forecast", "periods": 0}],
            "overlays[0].periods: 0 is less than the minimum",
        ),
        (
            "line",
            MONTHLY,
            [{"kind": "forecast", "seasonality": "yearly"}],
            "overlays[0].seasonality: must be 'auto'",
        ),
        ("line", MONTHLY, [{"kind": "forecast", "interval": 1.5}], "overlays[0].interval:"),
        ("line", MONTHLY, [{"kind": "smooth"}], "overlays[0].kind: 'smooth' is not one of"),
        ("line", MONTHLY, [{"kind": "trend", "periods": 3}], "overlays[0]: unknown field(s)"),
    ],
)
def test_bad_overlays_are_refused_naming_the_overlay(
    path: Path, mark: str, encoding: dict[str, Any], overlays: list[Any], message: str
) -> None:
    with pytest.raises(BadInput) as e:
        run(path, mark, encoding, overlays)
    assert e.value.message.startswith(message), e.value.message


def test_a_series_too_short_to_forecast_still_draws_and_says_why(path: Path) -> None:
    # a filter (a viewer's, say) may leave a line too few periods: the chart draws, as in Tableau,
    # and the forecast's place holds the reason
    cases = [
        (
            [{"column": "t", "cmp": "lt", "value": "2017-04-01"}],
            {},
            "a forecast needs at least 5 periods; the series has 3",
        ),
        ([{"column": "v", "cmp": "gt", "value": 1e9}], {}, "it needs at least 5 periods; the chart has none"),
        ([], {"seasonality": 60}, "a season of 60 needs at least 120"),
    ]
    for filters, extra, reason in cases:
        out = run(path, "line", MONTHLY, [{"kind": "forecast", **extra}], filters=filters)
        [forecast] = out["overlays"]
        assert forecast["message"].startswith("no forecast: ") and reason in forecast["message"], forecast
        assert not any("model" in s for s in forecast["series"])
        plain = run(path, "line", MONTHLY, [], filters=filters)
        assert out["data"] == plain["data"]


def test_overlays_travel_in_the_result_and_its_cache_key(path: Path) -> None:
    from livegraphs_ext.store.charts import ChartCache, validate_spec

    base = {"version": 1, "dataset": {"id": "a" * 32}, "mark": "scatter", "encoding": SCATTER}
    plain = run_chart_file(path, COLS, base, rows=N)
    assert "overlays" not in plain.to_json()
    drawn = run_chart_file(path, COLS, {**base, "overlays": [{"kind": "trend"}]}, rows=N)
    assert drawn.to_arrow().schema.metadata[b"livegraphs"].count(b'"equation"') == 1
    keys = {
        ChartCache.key({"id": "a" * 32, "version": 1}, path, validate_spec(s, COLS), 5000)
        for s in (
            base,
            {**base, "overlays": [{"kind": "trend"}]},
            {**base, "overlays": [{"kind": "trend", "method": "loess"}]},
        )
    }
    assert len(keys) == 3


def test_a_stored_spec_s_overlays_must_be_a_list() -> None:
    errors: list[str] = []
    check_spec("", {"version": 1, "overlays": {"kind": "trend"}}, errors, complete=True)
    assert errors == ["overlays: must be a list"]
