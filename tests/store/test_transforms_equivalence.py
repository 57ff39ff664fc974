"""Every step kind and a broad set of formulas give the same rows in DuckDB and in "Copy as code"."""

from __future__ import annotations

from pathlib import Path

import pytest

from .test_transforms_support import assert_same, check_step, run_duckdb, run_pandas, sample_table, write


@pytest.fixture(scope="module")
def parent(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write(sample_table(), tmp_path_factory.mktemp("eq"))


STEPS = [
    {"op": "drop_nulls", "columns": None},
    {"op": "drop_nulls", "columns": ["qty", "name"]},
    {"op": "fill_nulls", "column": "qty", "value": 0},
    {"op": "fill_nulls", "column": "price", "value": 3},
    {"op": "fill_nulls", "column": "name", "value": "n/a"},
    {"op": "fill_nulls", "column": "ok", "value": True},
    {"op": "fill_nulls", "column": "d", "value": "2000-01-01"},
    {"op": "fill_nulls", "column": "t", "value": "2000-01-01 12:30:00"},
    {"op": "fill_nulls", "column": "qty", "method": "mean"},
    {"op": "fill_nulls", "column": "qty", "method": "median"},
    {"op": "fill_nulls", "column": "price", "method": "mean"},
    {"op": "fill_nulls", "column": "price", "method": "median"},
    {"op": "fill_nulls", "column": "price", "method": "zero"},
    {"op": "fill_nulls", "column": "qty", "method": "mode"},
    {"op": "fill_nulls", "column": "name", "method": "mode"},
    {"op": "fill_nulls", "column": "ok", "method": "forward"},
    {"op": "fill_nulls", "column": "qty", "method": "backward"},
    {"op": "fill_nulls", "column": "d", "method": "forward"},
    {"op": "cast", "column": "qty", "to": "float"},
    {"op": "cast", "column": "qty", "to": "string"},
    {"op": "cast", "column": "qty", "to": "boolean"},
    {"op": "cast", "column": "price", "to": "integer"},
    {"op": "cast", "column": "price", "to": "string"},
    {"op": "cast", "column": "ok", "to": "integer"},
    {"op": "cast", "column": "ok", "to": "string"},
    {"op": "cast", "column": "num_text", "to": "integer"},
    {"op": "cast", "column": "num_text", "to": "float"},
    {"op": "cast", "column": "num_text", "to": "boolean"},
    {"op": "cast", "column": "date_text", "to": "date"},
    {"op": "cast", "column": "date_text", "to": "date", "format": "%d/%m/%Y"},
    {"op": "cast", "column": "date_text", "to": "datetime"},
    {"op": "cast", "column": "d", "to": "datetime"},
    {"op": "cast", "column": "d", "to": "string"},
    {"op": "cast", "column": "t", "to": "date"},
    {"op": "cast", "column": "t", "to": "string"},
    {"op": "rename", "column": "qty", "to": "quantity"},
    {"op": "rename", "mapping": {"qty": "price", "price": "qty"}},
    {"op": "drop_columns", "columns": ["qty", "Unit Price"]},
    {"op": "dedupe", "columns": ["qty"], "keep": "first"},
    {"op": "dedupe", "columns": ["qty", "ok"], "keep": "last"},
    {"op": "dedupe", "columns": None, "keep": "first"},
    {"op": "sort", "by": "-price,name"},
    {"op": "sort", "by": "qty"},
    {"op": "sort", "by": [{"column": "ok", "descending": True}, {"column": "d", "descending": False}]},
    {"op": "filter", "formula": "price > 2 or isnull(qty)"},
]

CONDITIONS = [
    {"column": "qty", "cmp": "eq", "value": 3},
    {"column": "qty", "cmp": "ne", "value": 3},
    {"column": "price", "cmp": "lt", "value": 2.25},
    {"column": "price", "cmp": "le", "value": 2.25},
    {"column": "price", "cmp": "gt", "value": 0},
    {"column": "price", "cmp": "ge", "value": 0},
    {"column": "qty", "cmp": "in", "value": [3, 0]},
    {"column": "qty", "cmp": "in", "value": []},
    {"column": "name", "cmp": "not_in", "value": ["Apple", ""]},
    {"column": "d", "cmp": "between", "value": ["2020-01-01", "2024-01-31"]},
    {"column": "t", "cmp": "gt", "value": "2024-01-01 00:00:00"},
    {"column": "ok", "cmp": "eq", "value": False},
    {"column": "name", "cmp": "contains", "value": "APP"},
    {"column": "name", "cmp": "contains", "value": "APP", "ignore_case": False},
    {"column": "name", "cmp": "not_contains", "value": "p"},
    {"column": "name", "cmp": "starts_with", "value": "ü"},
    {"column": "name", "cmp": "ends_with", "value": ";--"},
    {"column": "name", "cmp": "matches", "value": "^a.*e$"},
    {"column": "name", "cmp": "matches", "value": "^a", "ignore_case": False},
    {"column": "name", "cmp": "is_null"},
    {"column": "qty", "cmp": "not_null"},
]


@pytest.mark.parametrize("step", STEPS, ids=lambda s: str(s)[:70])
def test_step_matches_pandas(parent: Path, tmp_path: Path, step: dict) -> None:
    duck, plan, _ = check_step(parent, step, tmp_path)
    assert plan.describe
    assert "__row" not in duck.column_names


@pytest.mark.parametrize("cond", CONDITIONS, ids=lambda c: f"{c['column']}-{c['cmp']}")
def test_condition_matches_pandas(parent: Path, tmp_path: Path, cond: dict) -> None:
    check_step(parent, {"op": "filter", "conditions": [cond]}, tmp_path)


def test_condition_groups_nest_and_match_pandas(parent: Path, tmp_path: Path) -> None:
    step = {
        "op": "filter",
        "combine": "or",
        "conditions": [
            {"column": "qty", "cmp": "gt", "value": 2},
            {
                "combine": "and",
                "conditions": [{"column": "ok", "cmp": "eq", "value": True}, {"formula": "price < 5"}],
            },
        ],
    }
    duck, _, _ = check_step(parent, step, tmp_path)
    assert duck.column("id").to_pylist() == [1, 4, 5, 6, 7]


FORMULAS = [
    "price * qty + 1", "price / qty", "qty / 0", "qty % 4", "price % 2", "-qty", "qty - 2 * 3",
    "[Unit Price] * 2 - price", "round(price, 1)", "round(price)", "round(qty)", "round(price * 10, -1)",
    "floor(price)", "ceil(price)", "abs(qty)", "sqrt(price)", "ln(price)", "log10(qty)", "exp(qty / 10)",
    "power(price, 2)", "min(price, qty)", "max(price, qty, 3)", "min(name, 'b')", "coalesce(qty, 0)",
    "ifnull(price, qty)", "upper(name)", "lower(name)", "trim(name)", "length(name)", "len(name)",
    "left(name, 2)", "right(name, 3)", "right(name, 0)", "substr(name, 2, 3)", "mid(name, 2)",
    "replace(name, 'p', 'P')", "contains(name, 'pp')", "startswith(name, 'A')", "endswith(name, 'e')",
    "concat(name, '-', qty, ok, d)", "name + '!'", "str(qty)", "str(price)", "str(ok)", "str(d)", "str(t)",
    "text(price * 3)", "year(d)", "month(t)", "day(d)", "hour(t)", "minute(t)", "weekday(d)", "quarter(t)",
    "date_trunc('month', d)", "date_trunc('year', t)", "datetrunc('quarter', d)", "date_trunc('week', d)",
    "date_trunc('day', t)", "date_trunc('hour', t)", "date_trunc('minute', t)", "datediff('day', d, t)",
    "datediff('month', d, '2024-06-30')", "datediff('year', t, d)", "datediff('hour', t, d)",
    "datediff('quarter', d, t)", "datediff('second', t, d)", "dateadd('day', 10, d)",
    "dateadd('month', 1, d)",
    "dateadd('year', -1, t)", "dateadd('hour', 5, d)", "dateadd('week', 2, t)", "dateadd('quarter', 1, d)",
    "date('2024-05-01')", "date(date_text)", "date(date_text, '%d/%m/%Y')", "date(t)", "datetime(d)",
    "int(price)", "int(num_text)", "int(ok)", "float(num_text)", "number(qty)", "isnull(qty)",
    "is_null(name)", "if(price > 2, 'high', 'low')", "if(ok, qty, price)", "if(ok, null, 1)",
    "ifs(qty > 4, 'big', qty > 0, 'small', 'none')", "d >= '2024-01-01'", "t < #2024-01-01#", "d = t",
    "qty = 3 and not ok", "ok or qty > 1", "name != 'Apple'", "name <> 'Apple' and name == name",
    "price >= qty", "null + 1", "qty + null", "coalesce(null, name)", "1 + 2 * 3", "10 / 4", "'a' + 'b'",
    "true", "null", "[Unit Price] > 9.5", "if(isnull(price), 0, price) / 2", "str(qty) + name",
]  # fmt: skip


@pytest.mark.parametrize("formula", FORMULAS)
def test_formula_matches_pandas(parent: Path, tmp_path: Path, formula: str) -> None:
    _, plan, _ = check_step(parent, {"op": "derive", "name": "out", "formula": formula}, tmp_path)
    assert plan.columns_after[-1].name == "out"
    if plan.columns_after[-1].type == "boolean":
        check_step(parent, {"op": "filter", "formula": formula}, tmp_path)


def test_whole_recipe_replays_in_order(parent: Path, tmp_path: Path) -> None:
    steps = [
        {"op": "fill_nulls", "column": "qty", "method": "zero"},
        {"op": "derive", "name": "total", "formula": "qty * price"},
        {"op": "filter", "conditions": [{"column": "total", "cmp": "not_null"}]},
        {"op": "rename", "column": "total", "to": "Total €"},
        {"op": "sort", "by": "-[Total €]"},
    ]
    path, normal = parent, []
    for step in steps:
        duck, plan, _ = run_duckdb(path, step, tmp_path)
        normal.append(plan.step)
        path = write(duck, tmp_path)
    assert_same(duck, run_pandas(parent, normal))
    assert duck.column("Total €").to_pylist()[0] == pytest.approx(300.375)
