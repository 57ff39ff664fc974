"""Bin edges as their step writes them (-27.8, not -27.800000000000004), checked against an
independent reference: the edges written out in exact decimals, and numpy's histograms over them.
"""

from __future__ import annotations

import io
import math
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest

from livegraphs_ext.store import DatasetStore, StoreConfig
from livegraphs_ext.store.charts import run_chart
from livegraphs_ext.store.charts.compile import edge_decimals, tidy_edge

from ..conftest import CORPUS

WIND = CORPUS / "real" / "wind_dataset.csv"
#: negatives, nulls, a value on an edge, and a maximum exactly on the last edge (-24.0)
DELAYS = "delay,where\n-27.75,Tromsø\n-27.7,Tromsø\n-27.61,Ørland\n,Ørland\n-26.3,Bodø\n-25.0,Bodø\n-24.0,\n"


@pytest.fixture
def lg_store(tmp_path: Path) -> Any:
    store = DatasetStore(StoreConfig(root=tmp_path / "store"))
    yield store
    store.close()


def upload(store: DatasetStore, tmp_path: Path, name: str, text: str) -> dict[str, Any]:
    src = tmp_path / f"{name}.csv"
    src.write_text(text, encoding="utf-8")
    return store.create_from_file(src, name=name, owner="ann")


def chart(store: DatasetStore, name: str, mark: str, encoding: dict[str, Any], **extra: Any) -> Any:
    spec = {"version": 1, "dataset": {"name": name}, "mark": mark, "encoding": encoding, **extra}
    return run_chart(store, spec, user="ann")


def decimal_edges(first: int, count: int, step: float) -> list[float]:
    """``count + 1`` edges from bin ``first``: each n * step worked out in decimals, then rounded
    once to the nearest double (the reference; the engine multiplies doubles)."""
    d = Decimal(repr(step))
    return [float(Decimal(n) * d) for n in range(first, first + count + 1)]


def reference_histogram(values: pd.Series, step: float) -> tuple[list[float], list[float], list[int]]:
    """Starts, ends and counts of the non-empty bins of ``step`` over ``values`` (nulls left out),
    the last bin closed, as numpy's histogram counts."""
    v = values.dropna().astype(float).to_numpy()
    lo, hi = v.min(), v.max()
    first = math.floor(lo / step)
    count = max(1, math.ceil(hi / step) - first)  # the maximum on an edge closes the bin below
    edges = decimal_edges(first, count, step)
    counts, _ = np.histogram(v, bins=np.array(edges))
    keep = [i for i, c in enumerate(counts) if c]
    return [edges[i] for i in keep], [edges[i + 1] for i in keep], [int(counts[i]) for i in keep]


@pytest.mark.parametrize(("maxbins", "step"), [(20, 0.2), (50, 0.1), (200, 0.02)])
def test_histogram_edges_of_real_wind_data_are_the_decimal_edges_and_numpy_counts(
    lg_store: DatasetStore, tmp_path: Path, maxbins: int, step: float
) -> None:
    # Given how often the wind blows from each direction at each strength, uploaded and read by pandas
    upload(lg_store, tmp_path, "wind", WIND.read_text(encoding="utf-8"))
    frequency = pd.read_csv(WIND)["frequency"]
    # When the engine bins it in steps whose multiples doubles cannot write (3 * 0.1 is 0.30000000000000004)
    r = chart(lg_store, "wind", "histogram", {"x": {"field": "frequency", "bin": {"maxbins": maxbins}}})
    assert r.fields[0]["bin"]["step"] == step
    data = r.to_json()["data"]
    # Then every edge is the decimal edge, and every count numpy's
    starts, ends, counts = reference_histogram(frequency, step)
    assert data["x"] == starts
    assert data["x_end"] == ends
    assert data["y"] == counts
    assert r.fields[0]["bin"]["last"] == starts[-1]
    assert max(len(repr(x)) for x in data["x"] + data["x_end"]) <= 4, data["x"]


def decimal_start(v: float, step: float, last: float | None = None) -> float:
    """The start of ``v``'s bin: the bin number in doubles (as the engine numbers bins), its
    start in exact decimals; clamped to the last bin's start when the engine chose the bins."""
    start = float(Decimal(math.floor(v / step)) * Decimal(repr(step)))
    return start if last is None else min(start, last)


def test_given_steps_over_negatives_nulls_and_non_ascii_rows(lg_store: DatasetStore, tmp_path: Path) -> None:
    # Given delays with negatives, a null, non-ASCII places (one missing) and -24.0 on an edge
    upload(lg_store, tmp_path, "delays", DELAYS)
    frame = pd.read_csv(io.StringIO(DELAYS))
    for step in (0.2, 0.1, 0.3, 2.5):
        # When binned by a given step (every bin half-open, so -24.0 starts a bin of its own)
        r = chart(lg_store, "delays", "histogram", {"x": {"field": "delay", "bin": {"step": step}}})
        data = r.to_json()["data"]
        # Then the bins and counts are pandas' count of the decimal starts
        want = frame["delay"].dropna().map(lambda v, s=step: decimal_start(v, s)).value_counts().sort_index()
        assert data["x"] == list(want.index), step
        assert data["y"] == [int(n) for n in want]
        d = Decimal(repr(step))
        assert data["x_end"] == [float(Decimal(round(x / step)) * d + d) for x in data["x"]]


def test_bins_by_a_category_keep_their_decimal_edges(lg_store: DatasetStore, tmp_path: Path) -> None:
    upload(lg_store, tmp_path, "delays", DELAYS)
    frame = pd.read_csv(io.StringIO(DELAYS), keep_default_na=False, na_values={"delay": [""]})
    r = chart(
        lg_store, "delays", "bar",
        {"x": {"field": "delay", "bin": {"maxbins": 20}}, "y": {"aggregate": "count"},
         "color": {"field": "where"}},
    )  # fmt: skip
    data = r.to_json()["data"]
    meta = r.fields[0]["bin"]
    assert meta == {"step": 0.2, "last": -24.2}
    rows = frame.dropna(subset=["delay"])
    want = (
        rows.assign(bin=[decimal_start(v, 0.2, meta["last"]) for v in rows["delay"]])
        .groupby(["bin", "where"])
        .size()
    )
    got = {(x, w or ""): n for x, w, n in zip(data["x"], data["color"], data["y"], strict=True)}
    assert got == {k: int(n) for k, n in want.items()}
    assert data["x_end"] == [float(Decimal(repr(x)) + Decimal("0.2")) for x in data["x"]]


def test_a_dense_scatter_is_binned_on_decimal_edges_counted_as_numpy_does(
    lg_store: DatasetStore, tmp_path: Path
) -> None:
    # Given a thousand delays within 1.3 minutes of each other (and some nulls), charted as a
    # scatter with room for fifty marks: a grid of 7 by 7 cells at most
    rng = np.random.default_rng(14)
    dep = np.round(-27.9 + rng.uniform(0, 1.3, 1000), 2)
    arr = np.round(rng.normal(3, 1, 1000), 1)
    lines = ["dep_delay,arr_delay"] + [f"{d},{a}" for d, a in zip(dep, arr, strict=True)] + [",1.5", "2.0,"]
    upload(lg_store, tmp_path, "flights", "\n".join(lines) + "\n")
    r = chart(lg_store, "flights", "scatter", {"x": {"field": "dep_delay"}, "y": {"field": "arr_delay"}},
              max_marks=50)  # fmt: skip
    assert r.reduction is not None and r.reduction["method"] == "bin2d"
    data = r.to_json()["data"]
    xstep, ystep = r.fields[0]["bin"]["step"], r.fields[2]["bin"]["step"]
    # Then each axis steps by 1, 2 or 5 * 10^k (0.2 minutes across) from a multiple of its step
    assert xstep == 0.2
    for step in (xstep, ystep):
        mantissa = step / 10 ** math.floor(math.log10(step))
        assert min(abs(mantissa - m) for m in (1, 2, 5)) < 1e-9, step
    # and the cells and their counts are numpy's 2-D histogram over the decimal edges
    x0, y0 = math.floor(dep.min() / xstep), math.floor(arr.min() / ystep)
    xe = decimal_edges(x0, max(1, math.ceil(dep.max() / xstep) - x0), xstep)
    ye = decimal_edges(y0, max(1, math.ceil(arr.max() / ystep) - y0), ystep)
    counts, _, _ = np.histogram2d(dep, arr, bins=[np.array(xe), np.array(ye)])
    want = {
        (xe[i], xe[i + 1], ye[j], ye[j + 1]): int(counts[i, j])
        for i in range(len(xe) - 1)
        for j in range(len(ye) - 1)
        if counts[i, j]
    }
    cells = zip(data["x"], data["x_end"], data["y"], data["y_end"], strict=True)
    got = dict(zip(cells, data["count"], strict=True))
    assert got == want
    assert sum(got.values()) == 1000
    assert -27.8 in data["x"] and -27.800000000000004 not in data["x"]


@pytest.mark.parametrize(
    ("step", "decimals"), [(0.2, 1), (50.0, 0), (0.05, 2), (2e-05, 5), (19.400000000000002, 10), (1e-30, 22)]
)
def test_edge_decimals_follow_the_step(step: float, decimals: int) -> None:
    assert edge_decimals(step) == decimals


def test_python_and_duckdb_write_every_edge_alike() -> None:
    # the edges Python reports (a closed last bin, a grid's origin) and those the SQL makes must match
    rng = np.random.default_rng(9)
    steps = [0.2, 0.1, 0.05, 0.02, 0.5, 2e-05, 0.3, 1.7, 19.400000000000002, 1e-30, 5e20]
    pairs = [
        (float(n) * step, edge_decimals(step)) for step in steps for n in rng.integers(-(10**9), 10**9, 300)
    ]
    pairs += [(2.5, 0), (-2.5, 0), (0.125, 2), (1e300, 5), (-27.800000000000004, 1)]
    con = duckdb.connect()
    try:
        got = [con.execute("SELECT round(?::DOUBLE, ?)", [v, k]).fetchone()[0] for v, k in pairs]
    finally:
        con.close()
    assert [tidy_edge(v, k) for v, k in pairs] == got
    assert tidy_edge(-139 * 0.2, 1) == -27.8
