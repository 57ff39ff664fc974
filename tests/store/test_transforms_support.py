"""Shared harness: run a step through DuckDB and through the generated pandas code.

Both paths start from the same Parquet file; the results must agree row by row
(floats within a tolerance, nulls equal to nulls).
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from livegraphs_ext.store.schema import ColumnInfo
from livegraphs_ext.store.transforms import StepPlan, execute_plan, plan_step, recipe_to_pandas


def sample_table() -> pa.Table:
    """Small data with nulls, negatives, zero, odd text and edge dates in every column type."""
    return pa.table(
        {
            "id": pa.array([1, 2, 3, 4, 5, 6, 7, 8], pa.int64()),
            "qty": pa.array([3, None, -7, 0, 12, 3, 5, None], pa.int64()),
            "price": pa.array([1.5, 2.25, None, -2.5, 0.0, 100.125, 2.25, 7.0]),
            "name": pa.array(["Apple", None, "x'y\"z", "", "  pad  ", "Ünïcode", "apple", "DROP TABLE t;--"]),
            "ok": pa.array([True, None, False, True, False, True, None, False]),
            "d": pa.array(
                [
                    dt.date(2024, 1, 31),
                    None,
                    dt.date(2023, 12, 1),
                    dt.date(2020, 2, 29),
                    dt.date(2024, 3, 15),
                    dt.date(1999, 12, 31),
                    dt.date(2024, 1, 1),
                    dt.date(2024, 7, 4),
                ]
            ),
            "t": pa.array(
                [
                    dt.datetime(2024, 1, 31, 10, 5, 3, 123),
                    None,
                    dt.datetime(2023, 12, 1),
                    dt.datetime(2020, 2, 29, 23, 59),
                    dt.datetime(2024, 3, 15, 12),
                    dt.datetime(1999, 12, 31, 23, 59, 59),
                    dt.datetime(2024, 1, 1, 0, 0, 1),
                    dt.datetime(2024, 7, 4, 6, 30),
                ]
            ),
            "Unit Price": pa.array([10.0, 20.0, 30.0, None, 5.5, 1.0, 2.0, 3.0]),
            "num_text": pa.array(["12", " 7 ", "1.5", "abc", None, "-3", "1e3", "+4."]),
            "date_text": pa.array(
                ["2024-01-02", "31/12/2023", None, "2024-02-30", "2023-06-01", "x", "2020-02-29", ""]
            ),
        }
    )


_KIND = {
    pa.int64(): "integer",
    pa.float64(): "float",
    pa.bool_(): "boolean",
    pa.date32(): "date",
    pa.timestamp("us"): "datetime",
    pa.string(): "string",
    pa.large_string(): "string",
}


def columns_of(table: pa.Table) -> list[ColumnInfo]:
    return [ColumnInfo(f.name, _KIND[f.type]) for f in table.schema]  # type: ignore[arg-type]


def write(table: pa.Table, tmp: Path) -> Path:
    path = tmp / f"{uuid.uuid4().hex}.parquet"
    pq.write_table(table, path)
    return path


def src_view(con: duckdb.DuckDBPyConnection, parent: Path) -> None:
    quoted = "'" + str(parent).replace("'", "''") + "'"
    con.execute(
        'CREATE OR REPLACE VIEW src AS SELECT * EXCLUDE (file_row_number), file_row_number + 1 AS "__row" '
        f"FROM read_parquet({quoted}, file_row_number = true)"
    )


def run_duckdb(parent: Path, step: dict[str, Any], tmp: Path) -> tuple[pa.Table, StepPlan, list[tuple]]:
    table = pq.read_table(parent)
    plan = plan_step(step, columns_of(table))
    con = duckdb.connect()
    try:
        src_view(con, parent)
        problems = con.execute(plan.check_sql, plan.check_params).fetchall() if plan.check_sql else []
        out = tmp / f"{uuid.uuid4().hex}.parquet"
        execute_plan(con, plan, out)
    finally:
        con.close()
    return pq.read_table(out), plan, problems


def run_pandas(parent: Path, steps: list[dict[str, Any]]) -> pd.DataFrame:
    code = recipe_to_pandas(steps, "df")
    ns: dict[str, Any] = {"df": pd.read_parquet(parent, dtype_backend="pyarrow")}
    exec(compile(code, "<recipe>", "exec"), ns)
    return ns["df"]


def _norm(v: Any) -> Any:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    return v


def _same(a: Any, b: Any) -> bool:
    a, b = _norm(a), _norm(b)
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9) or a == b
    return type(a) is type(b) and a == b if a is not None and b is not None else a is b


def assert_same(duck: pa.Table, pdf: pd.DataFrame, plan: StepPlan | None = None) -> None:
    assert list(pdf.columns) == duck.column_names
    assert len(pdf) == duck.num_rows
    for name in duck.column_names:
        want = duck.column(name).to_pylist()
        got = pa.Array.from_pandas(pdf[name]).to_pylist()
        bad = [(i, w, g) for i, (w, g) in enumerate(zip(want, got, strict=True)) if not _same(w, g)]
        assert not bad, f"column {name!r} differs (row, duckdb, pandas): {bad[:5]}"
        kind = _KIND.get(pa.Array.from_pandas(pdf[name]).type)
        assert kind == _KIND[duck.schema.field(name).type], f"column {name!r}: pandas {pdf[name].dtype}"
    if plan is not None:
        assert [c.name for c in plan.columns_after] == duck.column_names
        assert [c.type for c in plan.columns_after] == [_KIND[f.type] for f in duck.schema]


def check_step(parent: Path, step: dict[str, Any], tmp: Path) -> tuple[pa.Table, StepPlan, list[tuple]]:
    """Run both paths and assert they agree; returns the DuckDB result."""
    duck, plan, problems = run_duckdb(parent, step, tmp)
    pdf = run_pandas(parent, [plan.step])
    assert_same(duck, pdf, plan)
    return duck, plan, problems
