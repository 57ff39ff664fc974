"""``round`` gives the same doubles on the server and in "Copy as code": half away from zero, scaled."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from livegraphs_ext.store.errors import BadInput
from livegraphs_ext.store.formula import compile_formula
from livegraphs_ext.store.formula.rounding import round_half_away
from livegraphs_ext.store.schema import ColumnInfo

from .test_transforms_support import run_duckdb, run_pandas, write

#: (price, qty): quotients on a half after scaling (15.75 / 5 is 3.1499…, times 10 is 31.5), exact
#: halves, a hair below a half, negatives, huge and tiny values, nulls
PAIRS = [
    (15.75, 5), (-15.75, 5), (15.75, -5), (5.75, 5), (2.5, 1), (-2.5, 1), (-0.125, 1), (0.125, 1),
    (1.15, 1), (2.675, 1), (-2.675, 1), (0.49999999999999994, 1), (-0.49999999999999994, 1),
    (2.0**52 + 0.5, 1), (2.0**53 + 2, 1), (1e300, 3), (5e-324, 1), (-0.0, 1), (None, 1), (7.0, None),
]  # fmt: skip

V = [ColumnInfo("v", "float")]


def server_round(values: list[float | None], digits: int) -> list[float | None]:
    """``round(v, digits)`` as the server's SQL computes it."""
    sql, params, _ = compile_formula(f"round(v, {digits})", V)
    con = duckdb.connect()
    try:
        numbers = pa.table({"v": pa.array(values, pa.float64())})  # noqa: F841 - read by the query
        return [r[0] for r in con.execute(f"SELECT {sql} FROM numbers", params).fetchall()]
    finally:
        con.close()


def same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return (math.isnan(a) and math.isnan(b)) or a == b


@pytest.mark.parametrize("digits", [-2, -1, 0, 1, 2, 3, 22])
def test_a_derived_round_gives_the_servers_digits(tmp_path: Path, digits: int) -> None:
    # Given prices and quantities whose quotients sit on or next to a half
    table = pa.table(
        {
            "price": pa.array([p for p, _ in PAIRS], pa.float64()),
            "qty": pa.array([q for _, q in PAIRS], pa.int64()),
        }
    )
    parent = write(table, tmp_path)
    step = {"op": "derive", "name": "r", "formula": f"round(price / qty, {digits})"}
    # When DuckDB and the recipe's pandas code both run it
    duck, plan, _ = run_duckdb(parent, step, tmp_path)
    pdf = run_pandas(parent, [plan.step])
    # Then every value is the same double (no tolerance)
    want = duck.column("r").to_pylist()
    got = pa.Array.from_pandas(pdf["r"]).to_pylist()
    assert [(w, g) for w, g in zip(want, got, strict=True) if not same(w, g)] == []


def test_halves_go_away_from_zero_and_the_scaled_value_decides() -> None:
    values = pd.Series(
        [15.75 / 5, -15.75 / 5, 2.5, -2.5, -0.125, 0.49999999999999994, None], dtype="double[pyarrow]"
    )
    # 15.75 / 5 * 10 is 31.5 in doubles: 3.2, as the server says (numpy's half-to-even gives 3.2 too, but
    # -0.125 * 100 = -12.5 goes to -0.13 here and -0.12 there)
    assert round_half_away(values, 1).tolist()[:6] == [3.2, -3.2, 2.5, -2.5, -0.1, 0.5]
    assert round_half_away(values, 0).tolist()[:6] == [3.0, -3.0, 3.0, -3.0, -0.0, 0.0]
    assert round_half_away(values, 2).tolist()[4] == -0.13
    assert round_half_away(values, 1).isna().tolist() == [False] * 6 + [True]
    assert server_round([15.75 / 5, -15.75 / 5, -2.5, -0.125, 0.49999999999999994], 1) == [
        3.2,
        -3.2,
        -2.5,
        -0.1,
        0.5,
    ]
    assert server_round([-0.125, 0.49999999999999994, 2.5, -2.5], 0) == [-0.0, 0.0, 3.0, -3.0]
    assert server_round([-0.125, 0.125], 2) == [-0.13, 0.13]


def test_round_takes_at_most_22_digits_either_way() -> None:
    assert compile_formula("round(v, -22) + round(v, 22)", V)[2] == "float"
    for digits in (23, -23):
        with pytest.raises(BadInput, match="round\\(\\) digits must be between -22 and 22"):
            compile_formula(f"round(v, {digits})", V)


@pytest.mark.parametrize("digits", [-22, -20, -3, -1, 0, 1, 2, 3, 6, 15, 22])
def test_round_half_away_is_the_servers_round(digits: int) -> None:
    # Given doubles of every size, many of them halves or a hair from one at some digit
    rng = np.random.default_rng(digits + 1000)
    n = 4000
    near_halves = rng.integers(-(10**6), 10**6, n) / rng.choice([2, 4, 8, 16, 5, 20, 40, 200, 2000, 3, 7], n)
    values = [
        *near_halves.tolist(),
        *rng.normal(0, 1e7, 500).tolist(),
        *rng.normal(0, 1e-4, 500).tolist(),
        *(10.0 ** rng.uniform(-320, 308, 500)).tolist(),
        0.5, -0.5, 1.5, 2.0**52 + 0.5, 2.0**53 + 1, 1.7976931348623157e308, 5e-324, -0.0, None,
        math.inf, -math.inf, math.nan,
    ]  # fmt: skip
    # When the server and the helper round them
    want = server_round(values, digits)
    series = pd.Series(pd.arrays.ArrowExtensionArray(pa.array(values, pa.float64())))
    got = round_half_away(series, digits).tolist()
    got = [None if v is pd.NA else v for v in got]
    # Then they agree on every value
    bad = [(v, w, g) for v, w, g in zip(values, want, got, strict=True) if not same(w, g)]
    assert bad == [], bad[:5]
