"""``lg.chart`` fills in what the builder does, from the same rules: two numbers make a scatter of the
rows, an integer of few values is a category, and the aggregate follows the mark. The figures are
checked against pandas, with missing values, an empty group and non-ASCII categories."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import livegraphs_ext as lg
from livegraphs_ext.kernel import notebook
from livegraphs_ext.kernel.widgets import decode_result
from livegraphs_ext.store import DatasetStore, StoreConfig

ROWS = 600
ORIGINS = ["EWR", "JFK", "LGA", "Zürich"]
CARRIERS = ["B6", "UA", "ÆØ"]


def flights() -> pd.DataFrame:
    """Delays of many values with gaps; month 12 has no arrival delay at all (an empty group)."""
    rows = []
    for i in range(ROWS):
        month = (i * 7) % 12 + 1
        rows.append(
            {
                "origin": ORIGINS[i % 4],
                "carrier": CARRIERS[(i // 4) % 3],
                "month": month,
                "dep_delay": None if i % 50 == 3 else (i * 37) % 151 - 20,
                "arr_delay": None if i % 40 == 5 or month == 12 else (i * 53) % 181 - 30,
            }
        )
    return pd.DataFrame(rows).astype({"dep_delay": "Int64", "arr_delay": "Int64"})


@pytest.fixture
def lg_nb_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DatasetStore]:
    """A store that this test's kernel-side helpers (``lg.*``) read."""
    monkeypatch.setenv("LIVEGRAPHS_DATA_DIR", str(tmp_path / "nb"))
    notebook._store.cache_clear()
    store = DatasetStore(StoreConfig(root=tmp_path / "nb"))
    yield store
    notebook._store.cache_clear()
    store.close()


@pytest.fixture
def lg_flights(lg_nb_store: DatasetStore) -> dict[str, Any]:
    src = lg_nb_store.staging_path()
    flights().to_csv(src, index=False)
    return lg_nb_store.create_from_file(src, name="flights", owner="ada", content_type="text/csv")


def result(chart: Any) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    assert chart.error == ""
    meta, table = decode_result(chart.result)
    return meta, {name: table.column(name).to_pylist() for name in table.column_names}


def same(a: Any, b: Any) -> bool:
    """Equal, a missing value (None, NaN, pandas' NA) matching a missing one, numbers to 1e-9."""
    missing = [bool(pd.isna(v)) for v in (a, b)]
    if any(missing):
        return all(missing)
    return math.isclose(float(a), float(b), rel_tol=1e-9)


def test_two_numbers_make_a_scatter_of_every_row_with_both(lg_flights: dict[str, Any]):
    df = flights()
    both = df.dropna(subset=["dep_delay", "arr_delay"])

    # When two numbers are given without an aggregate
    c = lg.chart("flights", x="dep_delay", y="arr_delay")

    # Then the chart is a scatter of the rows as they are, not a sum per dep_delay
    assert c.spec["mark"] == "scatter"
    assert c.spec["encoding"] == {"x": {"field": "dep_delay"}, "y": {"field": "arr_delay"}}
    meta, data = result(c)
    assert meta["reduction"] is None
    assert sorted(zip(data["x"], data["y"], strict=True)) == sorted(
        zip(both["dep_delay"].tolist(), both["arr_delay"].tolist(), strict=True)
    )
    assert c.code == 'lg.chart("flights", mark="scatter", x="dep_delay", y="arr_delay")'


def test_past_the_budget_the_scatter_is_binned_and_its_counts_sum_to_the_rows(lg_flights: dict[str, Any]):
    df = flights()
    both = df.dropna(subset=["dep_delay", "arr_delay"])

    # When the same scatter may draw only 60 marks
    c = lg.chart("flights", x="dep_delay", y="arr_delay", max_marks=60)

    # Then the engine bins it, says so, and every row with both values is in one cell
    meta, data = result(c)
    assert meta["reduction"]["kind"] == "binned"
    assert f"from {len(both)} points, binned" in meta["reduction"]["message"]
    assert 0 < meta["marks"] <= 60
    assert sum(data["count"]) == len(both) == meta["source_rows"]
    # each cell counts the rows inside its edges, as pandas counts them
    for x0, x1, y0, y1, n in zip(
        data["x"], data["x_end"], data["y"], data["y_end"], data["count"], strict=True
    ):
        inside = both[
            (both["dep_delay"] >= x0)
            & ((both["dep_delay"] < x1) | (both["dep_delay"] == x1) & (x1 == both["dep_delay"].max()))
            & (both["arr_delay"] >= y0)
            & ((both["arr_delay"] < y1) | (both["arr_delay"] == y1) & (y1 == both["arr_delay"].max()))
        ]
        assert len(inside) == n, (x0, x1, y0, y1)


def test_an_integer_of_few_values_is_a_category(lg_flights: dict[str, Any]):
    df = flights()

    # The store counted month's 12 values; the delays have too many to be categories
    columns = {col["name"]: col for col in lg_flights["columns"]}
    assert columns["month"]["distinct"] == df["month"].nunique() == 12
    assert columns["dep_delay"]["distinct"] == df["dep_delay"].nunique() > 31

    # An origin by month is a heatmap counting the flights, not a sum of month
    heat = lg.chart("flights", x="origin", y="month")
    assert heat.spec["mark"] == "heatmap"
    assert heat.spec["encoding"] == {
        "x": {"field": "origin"},
        "y": {"field": "month"},
        "color": {"aggregate": "count"},
    }
    _, data = result(heat)
    expected = df.groupby(["origin", "month"]).size()
    got = {(o, m): n for o, m, n in zip(data["x"], data["y"], data["color"], strict=True)}
    assert got == expected.to_dict()
    assert sum(got.values()) == ROWS

    # Month alone: bars counting each month's flights
    bars = lg.chart("flights", x="month")
    assert (bars.spec["mark"], bars.spec["encoding"]["y"]) == ("bar", {"aggregate": "count"})
    _, data = result(bars)
    assert dict(zip(data["x"], data["y"], strict=True)) == df["month"].value_counts().to_dict()

    # A category alone on y: bars lying across, counting each origin's flights
    across = lg.chart("flights", y="origin")
    assert across.spec["encoding"] == {"x": {"field": "origin"}, "y": {"aggregate": "count"}}
    assert across.spec["options"] == {"orientation": "horizontal"}
    _, data = result(across)
    assert dict(zip(data["x"], data["y"], strict=True)) == df["origin"].value_counts().to_dict()


def test_the_aggregate_follows_the_mark(lg_flights: dict[str, Any]):
    df = flights()

    # A number by month is a line of its mean; month 12 has no value, and no mean
    line = lg.chart("flights", x="month", y="arr_delay")
    assert line.spec["mark"] == "line"
    assert line.spec["encoding"]["y"] == {"field": "arr_delay", "aggregate": "mean"}
    _, data = result(line)
    means = df.groupby("month")["arr_delay"].mean()
    assert data["x"] == sorted(means.index)
    assert all(same(got, means[m]) for m, got in zip(data["x"], data["y"], strict=True))
    assert data["y"][data["x"].index(12)] is None
    assert line.code == 'lg.chart("flights", mark="line", x="month", y="mean(arr_delay)")'

    # A number by carrier is bars of its sum
    bars = lg.chart("flights", x="carrier", y="arr_delay")
    assert bars.spec["mark"] == "bar"
    assert bars.spec["encoding"]["y"] == {"field": "arr_delay", "aggregate": "sum"}
    _, data = result(bars)
    sums = df.groupby("carrier")["arr_delay"].sum(min_count=1)
    assert {k: v for k, v in zip(data["x"], data["y"], strict=True)} == sums.to_dict()

    # A chosen aggregate, or a chosen mark, is kept; the mark's default follows it
    assert lg.chart("flights", x="carrier", y="max(arr_delay)").spec["encoding"]["y"]["aggregate"] == "max"
    assert lg.chart("flights", "box", x="carrier", y="arr_delay").spec["encoding"]["y"] == {
        "field": "arr_delay"
    }
    assert lg.chart("flights", "bar", x="month", y="arr_delay").spec["encoding"]["y"]["aggregate"] == "sum"


def test_a_stored_chart_is_drawn_with_the_same_defaults_and_keeps_only_what_was_placed(
    lg_flights: dict[str, Any], tmp_path: Path
):
    # Given a chart file that holds only the fields placed (as the builder stores them)
    stored = {
        "version": 1,
        "dataset": {"id": lg_flights["id"]},
        "encoding": {"x": {"field": "month"}, "y": {"field": "arr_delay"}},
    }
    path = tmp_path / "delays.lgchart"
    path.write_text(json.dumps(stored))

    # When the kernel draws it
    c = lg.chart(str(path))

    # Then it draws what lg.chart with the same fields draws
    assert c.spec == lg.chart("flights", x="month", y="arr_delay").spec
    assert c.result == lg.chart("flights", x="month", y="arr_delay").result
    # and the file still holds only what was placed
    assert json.loads(path.read_text()) == stored


def test_the_builder_widget_knows_each_columns_count_of_values(lg_flights: dict[str, Any]):
    b = lg.ChartBuilder("flights")
    assert b.dataset["rows"] == ROWS
    columns = {c["name"]: c for c in b.dataset["columns"]}
    assert columns["month"] == {"name": "month", "type": "integer", "nulls": 0, "distinct": 12}
    assert columns["arr_delay"]["nulls"] == flights()["arr_delay"].isna().sum()
