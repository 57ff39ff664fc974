"""Missing values: a null binned value is in no bin; a null category or period is a group of its own."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from livegraphs_ext.store.charts import run_chart_file
from livegraphs_ext.store.schema import ColumnInfo

N = 2_000
COLS = [
    ColumnInfo("v", "float"),
    ColumnInfo("g", "string"),
    ColumnInfo("t", "datetime"),
    ColumnInfo("w", "float"),
]


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    v = rng.gamma(3.0, 60.0, N).round(1)
    t0 = dt.datetime(2024, 1, 1)
    df = pd.DataFrame(
        {
            "v": pd.Series(v, dtype="float64"),
            "g": pd.Series(rng.choice(["a", "b", "c"], N), dtype=object),
            "t": pd.Series([t0 + dt.timedelta(days=int(d)) for d in rng.integers(0, 365, N)]),
            "w": pd.Series(rng.normal(size=N), dtype="float64"),
        }
    )
    # about a third of the values are missing, more of them than any one bin holds
    df.loc[rng.random(N) < 0.35, "v"] = np.nan
    df.loc[rng.random(N) < 0.1, "g"] = None
    df.loc[rng.random(N) < 0.1, "t"] = pd.NaT
    return df


@pytest.fixture(scope="module")
def path(frame: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    schema = pa.schema(
        [("v", pa.float64()), ("g", pa.string()), ("t", pa.timestamp("us")), ("w", pa.float64())]
    )
    out = tmp_path_factory.mktemp("nulls") / "n.parquet"
    pq.write_table(pa.Table.from_pandas(frame, schema=schema, preserve_index=False), out)
    return out


def chart(path: Path, mark: str, encoding: dict[str, Any]) -> Any:
    spec = {"version": 1, "dataset": {"id": "a" * 32}, "mark": mark, "encoding": encoding}
    return run_chart_file(path, COLS, spec, rows=N)


def rows(result: Any) -> list[dict[str, Any]]:
    return result.table.to_pylist()


def test_a_histogram_leaves_null_values_out_of_every_bin(path, frame):
    r = chart(path, "histogram", {"x": {"field": "v"}})
    x = next(f for f in r.fields if f["name"] == "x")
    step, last = x["bin"]["step"], x["bin"]["last"]
    got = {row["x"]: row["y"] for row in rows(r)}
    # numpy's own histogram over the non-null values, on the same edges (its last bin is closed too)
    values = frame["v"].dropna().to_numpy()
    first = np.floor(values.min() / step) * step
    edges = np.arange(first, last + 1.5 * step, step)[: round((last - first) / step) + 2]
    counts, _ = np.histogram(values, bins=edges)
    want = {float(e): int(c) for e, c in zip(edges[:-1], counts, strict=True) if c}
    assert sorted(got) == pytest.approx(sorted(want))
    assert [got[k] for k in sorted(got)] == [want[k] for k in sorted(want)]
    assert sum(got.values()) == len(values) == r.source_rows
    assert None not in got


def test_a_given_step_gives_no_bin_of_missing_values(path, frame):
    r = chart(path, "histogram", {"x": {"field": "v", "bin": {"step": 50}}})
    got = {row["x"]: row["y"] for row in rows(r)}
    values = frame["v"].dropna()
    want = values.groupby(np.floor(values / 50) * 50).size()
    assert got == {float(k): int(n) for k, n in want.items()}
    assert r.source_rows == len(values)


def test_binned_x_with_a_color_matches_pandas_cut(path, frame):
    r = chart(path, "bar", {"x": {"field": "v", "bin": {"step": 100}}, "color": {"field": "g"}})
    got = {(row["x"], row["color"]): row["y"] for row in rows(r)}
    df = frame[frame["v"].notna()]
    edges = np.arange(0, df["v"].max() + 100, 100)
    cut = pd.cut(df["v"], edges, right=False).map(lambda iv: float(iv.left))
    want = df.assign(b=cut).groupby(["b", df["g"].fillna("<null>")]).size()
    assert got == {(b, None if g == "<null>" else g): int(n) for (b, g), n in want.items()}


def test_a_box_by_bin_has_no_box_of_missing_values(path, frame):
    r = chart(path, "box", {"x": {"field": "v", "bin": {"step": 100}}, "y": {"field": "w"}})
    got = {row["x"]: row["y_count"] for row in rows(r)}
    values = frame["v"].dropna()
    want = values.groupby(np.floor(values / 100) * 100).size()
    assert got == {float(k): int(n) for k, n in want.items()}


def test_null_categories_and_periods_are_a_group_of_their_own_shown_last(path, frame):
    bars = rows(chart(path, "bar", {"x": {"field": "g"}}))
    assert [b["x"] for b in bars] == ["a", "b", "c", None]
    assert bars[-1]["y"] == int(frame["g"].isna().sum())
    months = rows(
        chart(path, "line", {"x": {"field": "t", "timeUnit": "month"}, "y": {"aggregate": "count"}})
    )
    assert months[-1]["x"] is None and months[-1]["y"] == int(frame["t"].isna().sum())
    assert sum(m["y"] for m in months) == N
    cells = rows(chart(path, "heatmap", {"x": {"field": "g"}, "y": {"field": "t", "timeUnit": "quarter"}}))
    nulls = [c for c in cells if c["x"] is None and c["y"] is None]
    assert nulls == [{"x": None, "y": None, "color": int((frame["g"].isna() & frame["t"].isna()).sum())}]
    boxes = rows(chart(path, "box", {"x": {"field": "g"}, "y": {"field": "v"}}))
    assert boxes[-1]["x"] is None
    assert boxes[-1]["y_count"] == int((frame["g"].isna() & frame["v"].notna()).sum())
    assert sum(b["y_count"] for b in boxes) == int(frame["v"].notna().sum())
