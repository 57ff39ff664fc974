"""Step validation, cast problem reports, the rows-API helpers and injection properties."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from livegraphs_ext.store.errors import BadInput
from livegraphs_ext.store.transforms import compile_filter, compile_sort, plan_step, recipe_to_pandas

from .test_transforms_support import (
    assert_same,
    check_step,
    columns_of,
    run_duckdb,
    run_pandas,
    sample_table,
    src_view,
    write,
)

COLS = columns_of(sample_table())


@pytest.fixture(scope="module")
def parent(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write(sample_table(), tmp_path_factory.mktemp("tr"))


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ("drop", "a step must be an object"),
        ({"op": "explode"}, "'op' must be one of"),
        (
            {"op": "drop_nulls", "columns": ["nope"]},
            "Unknown column 'nope' in 'columns'; known columns: 'id'",
        ),
        ({"op": "drop_nulls", "columns": []}, "non-empty list"),
        ({"op": "drop_nulls", "colums": None}, "unexpected field(s) for 'drop_nulls': colums"),
        ({"op": "fill_nulls", "column": "qty"}, "exactly one of 'value' or 'method'"),
        ({"op": "fill_nulls", "column": "qty", "value": 1.5}, "'value' must be a whole number"),
        ({"op": "fill_nulls", "column": "qty", "value": True}, "'value' must be a whole number"),
        ({"op": "fill_nulls", "column": "d", "value": "31/01/2024"}, "'value' must be a date"),
        ({"op": "fill_nulls", "column": "name", "method": "mean"}, "'mean' needs a number column"),
        ({"op": "fill_nulls", "column": "qty", "method": "avg"}, "'method' must be one of"),
        ({"op": "cast", "column": "qty", "to": "integer"}, "already integer"),
        ({"op": "cast", "column": "d", "to": "integer"}, "cannot cast 'd' from date to integer"),
        ({"op": "cast", "column": "qty", "to": "decimal"}, "'to' must be one of"),
        ({"op": "cast", "column": "qty", "to": "date", "format": "%Y"}, "cannot cast"),
        ({"op": "cast", "column": "name", "to": "float", "format": "%Y"}, "'format' applies only"),
        ({"op": "rename", "column": "qty", "to": "price"}, "two columns the name 'price'"),
        ({"op": "rename", "column": "qty", "to": " "}, "non-empty column name"),
        ({"op": "rename", "column": "qty", "to": "__row"}, "reserved"),
        ({"op": "rename", "mapping": {"zz": "a"}}, "Unknown column 'zz'"),
        ({"op": "drop_columns", "columns": [c.name for c in COLS]}, "cannot drop every column"),
        ({"op": "drop_columns", "columns": ["qty", "qty"]}, "lists a column twice"),
        ({"op": "filter"}, "needs 'conditions' or 'formula'"),
        ({"op": "filter", "formula": "qty + 1"}, "must be true/false"),
        ({"op": "filter", "formula": "null"}, "must be true/false"),
        (
            {"op": "filter", "conditions": [{"column": "qty", "cmp": "like", "value": 1}]},
            "'cmp' must be one of",
        ),
        ({"op": "filter", "conditions": [{"column": "qty", "cmp": "eq"}]}, "needs a 'value'"),
        ({"op": "filter", "conditions": [{"column": "qty", "cmp": "eq", "value": "3"}]}, "whole number"),
        (
            {"op": "filter", "conditions": [{"column": "qty", "cmp": "contains", "value": "3"}]},
            "text columns",
        ),
        ({"op": "filter", "conditions": [{"column": "name", "cmp": "matches", "value": "("}]}, "regular exp"),
        ({"op": "filter", "conditions": [{"column": "qty", "cmp": "between", "value": [1]}]}, "[low, high]"),
        ({"op": "filter", "conditions": [{"column": "ok", "cmp": "lt", "value": True}]}, "true/false"),
        (
            {"op": "filter", "combine": "xor", "conditions": [{"column": "qty", "cmp": "is_null"}]},
            "'combine'",
        ),
        ({"op": "dedupe", "keep": "middle"}, "'keep' must be 'first' or 'last'"),
        ({"op": "derive", "name": "qty", "formula": "1"}, "already exists"),
        ({"op": "derive", "name": "x", "formula": "pric"}, "did you mean 'price'"),
        ({"op": "sort", "by": "-nope"}, "Unknown column 'nope' in 'sort'"),
    ],
)
def test_bad_steps_are_bad_input(step: object, message: str) -> None:
    with pytest.raises(BadInput) as err:
        plan_step(step, COLS)  # type: ignore[arg-type]
    assert message in str(err.value)


def test_normalised_steps_are_json_safe_and_replan_identically() -> None:
    steps = [
        {"op": "fill_nulls", "column": "d", "value": "2000-01-01"},
        {
            "op": "filter",
            "conditions": [{"column": "t", "cmp": "between", "value": ["2020-01-01", "2024-12-31"]}],
        },
        {"op": "derive", "name": "x", "formula": "if(d > '2024-01-01', 1, 2)"},
        {"op": "rename", "column": "qty", "to": "n"},
        {"op": "sort", "by": "-qty, [Unit Price]"},
    ]
    for step in steps:
        plan = plan_step(step, COLS)
        again = plan_step(json.loads(json.dumps(plan.step)), COLS)
        assert (again.sql, again.params, again.step) == (plan.sql, plan.params, plan.step)


def test_cast_reports_values_that_did_not_convert(parent: Path, tmp_path: Path) -> None:
    duck, plan, problems = check_step(parent, {"op": "cast", "column": "num_text", "to": "integer"}, tmp_path)
    assert duck.column("num_text").to_pylist() == [12, 7, 1, None, None, -3, 1000, 4]
    assert problems == [(4, "num_text", "abc", "integer")]
    assert plan.describe == "Cast num_text to integer"
    _, _, problems = check_step(
        parent, {"op": "cast", "column": "date_text", "to": "date", "format": "%Y-%m-%d"}, tmp_path
    )
    assert [(p[0], p[2], p[3]) for p in problems] == [
        (2, "31/12/2023", "date (%Y-%m-%d)"),
        (4, "2024-02-30", "date (%Y-%m-%d)"),
        (6, "x", "date (%Y-%m-%d)"),
    ]  # empty text (row 8) is a missing value, as on upload, not a problem


def test_cast_of_text_reads_missing_value_markers_as_missing_not_as_problems(tmp_path: Path) -> None:
    # Given text holding numbers, the upload's markers and one value that is no number
    table = pa.table({"n": pa.array(["1", "NA", "N/A", "-", "", "null", "two", None, "#N/A", "5"])})
    parent = write(table, tmp_path)
    # When it is cast to integer
    duck, _, problems = check_step(parent, {"op": "cast", "column": "n", "to": "integer"}, tmp_path)
    # Then the markers are missing values, and only "two" is listed as a problem
    assert duck.column("n").to_pylist() == [1, None, None, None, None, None, None, None, None, 5]
    assert problems == [(7, "n", "two", "integer")]


def test_fill_mean_of_integers_turns_the_column_into_float(parent: Path, tmp_path: Path) -> None:
    duck, plan, _ = check_step(parent, {"op": "fill_nulls", "column": "qty", "method": "mean"}, tmp_path)
    assert plan.columns_after[1].type == "float"
    assert duck.column("qty").to_pylist()[1] == pytest.approx(16 / 6)


def test_dedupe_keeps_first_or_last_in_original_order(parent: Path, tmp_path: Path) -> None:
    first, _, _ = check_step(parent, {"op": "dedupe", "columns": ["qty"], "keep": "first"}, tmp_path)
    last, _, _ = check_step(parent, {"op": "dedupe", "columns": ["qty"], "keep": "last"}, tmp_path)
    assert first.column("id").to_pylist() == [1, 2, 3, 4, 5, 7]
    assert last.column("id").to_pylist() == [3, 4, 5, 6, 7, 8]


def test_negative_conditions_keep_nulls(parent: Path, tmp_path: Path) -> None:
    ne, _, _ = check_step(
        parent, {"op": "filter", "conditions": [{"column": "qty", "cmp": "ne", "value": 3}]}, tmp_path
    )
    assert ne.column("id").to_pylist() == [2, 3, 4, 5, 7, 8]
    eq, _, _ = check_step(parent, {"op": "filter", "formula": "qty != 3"}, tmp_path)
    assert eq.column("id").to_pylist() == [3, 4, 5, 7]  # formulas follow SQL: null is not "not 3"


def test_plan_runs_with_con_sql_params_and_write_parquet(parent: Path, tmp_path: Path) -> None:
    plan = plan_step(
        {"op": "filter", "conditions": [{"column": "name", "cmp": "eq", "value": "x'y\"z"}]}, COLS
    )
    con = duckdb.connect()
    src_view(con, parent)
    out = tmp_path / "out.parquet"
    con.sql(plan.sql, params=plan.params).write_parquet(str(out))
    assert pq.read_table(out).column("id").to_pylist() == [3]
    assert pq.read_table(out).column_names == [c.name for c in COLS]


def test_rows_api_helpers(parent: Path) -> None:
    con = duckdb.connect()
    src_view(con, parent)
    where, params = compile_filter([{"column": "price", "cmp": "gt", "value": 2}], COLS)
    order = compile_sort("-price,[Unit Price]", COLS)
    assert order == '"price" DESC NULLS LAST, "Unit Price" ASC NULLS LAST'
    rows = con.execute(f'SELECT id FROM src WHERE {where} ORDER BY {order}, "__row" LIMIT ?', [*params, 3])
    assert [r[0] for r in rows.fetchall()] == [6, 8, 7]
    where, params = compile_filter({"formula": "contains(lower(name), 'apple')"}, COLS)
    assert con.execute(f"SELECT id FROM src WHERE {where}", params).fetchall() == [(1,), (7,)]
    where, params = compile_filter({"column": "d", "cmp": "ge", "value": "2024-03-01"}, COLS)
    assert params == [dt.date(2024, 3, 1)]
    assert (
        compile_sort(["qty", "-[Unit Price]"], COLS) == '"qty" ASC NULLS LAST, "Unit Price" DESC NULLS LAST'
    )


def test_recipe_code_is_readable_and_starts_from_the_load_expression() -> None:
    steps = [plan_step({"op": "derive", "name": "y", "formula": "price * 2"}, COLS).step]
    code = recipe_to_pandas(steps, "lg.load('sales', version=1)")
    assert "df = lg.load('sales', version=1)" in code
    assert "df['y'] = (df['price'] * 2)" in code
    compile(code, "<recipe>", "exec")


def test_the_store_library_does_not_import_the_server() -> None:
    code = (
        "import sys; import livegraphs_ext.store.transforms, livegraphs_ext.store.formula; "
        "print([m for m in sys.modules if m.split('.')[0] in ('tornado', 'jupyter_server')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ---- properties ---------------------------------------------------------------------------------

HOSTILE = st.sampled_from(
    [
        "'",
        '"',
        ";",
        "--",
        "]",
        "[",
        "]]",
        "DROP TABLE src;",
        "read_csv('/etc/passwd')",
        "{0}",
        "?",
        "$1",
        "ü",
        "🙂",
        "\\",
        " ",
    ]
)
TEXT = st.lists(st.one_of(HOSTILE, st.text(alphabet="aAbZ 09_.,", max_size=3)), max_size=4).map("".join)
NAME = TEXT.filter(lambda s: s.strip() != "" and s not in ("__row", "n"))
SLOW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SLOW
@given(name=NAME, values=st.lists(st.one_of(st.none(), TEXT), min_size=1, max_size=6), probe=TEXT)
def test_hostile_names_and_values_match_pandas_and_a_plain_reference(
    tmp_path: Path, name: str, values: list, probe: str
) -> None:
    table = pa.table({name: pa.array(values, pa.string()), "n": pa.array(range(len(values)), pa.int64())})
    parent = write(table, tmp_path)
    ref = "[" + name.replace("]", "]]") + "]"
    contains = {"column": name, "cmp": "contains", "value": probe, "ignore_case": False}
    starts = f"startswith({ref}, {_quote(probe)})"
    cases = [
        (
            {"op": "filter", "conditions": [{"column": name, "cmp": "eq", "value": probe}]},
            [v == probe for v in values],
        ),
        ({"op": "filter", "conditions": [contains]}, [v is not None and probe in v for v in values]),
        ({"op": "filter", "formula": f"{ref} = {_quote(probe)}"}, [v == probe for v in values]),
        ({"op": "filter", "formula": starts}, [v is not None and v.startswith(probe) for v in values]),
    ]
    for step, keep in cases:
        duck, _, _ = run_duckdb(parent, step, tmp_path)
        assert duck.column("n").to_pylist() == [i for i, k in enumerate(keep) if k]
        assert_same(duck, run_pandas(parent, [plan_step(step, columns_of(table)).step]))
    derive = {"op": "derive", "name": name + "!", "formula": f"{ref} + {_quote(probe)}"}
    duck, _, _ = run_duckdb(parent, derive, tmp_path)
    assert duck.column(name + "!").to_pylist() == [None if v is None else v + probe for v in values]
    assert_same(duck, run_pandas(parent, [plan_step(derive, columns_of(table)).step]))


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


NUM_COLS = ["qty", "price", "[Unit Price]", "id"]


@st.composite
def numeric_formula(draw: st.DrawFn, depth: int = 0) -> str:
    """Random well-typed numeric formulas over the sample table."""
    if depth > 3 or draw(st.booleans()):
        return draw(
            st.one_of(
                st.sampled_from(NUM_COLS),
                st.integers(-5, 5).map(str),
                st.sampled_from(["0.5", "2.25", "float(null)"]),
            )
        )
    a, b = draw(numeric_formula(depth + 1)), draw(numeric_formula(depth + 1))
    form = draw(
        st.sampled_from(["+", "-", "*", "/", "%", "abs", "round", "min", "max", "coalesce", "if", "floor"])
    )
    if form in "+-*/%":
        return f"({a} {form} {b})"
    if form in ("abs", "floor"):
        return f"{form}({a})"
    if form == "round":
        return f"round({a}, {draw(st.integers(0, 2))})"
    if form == "if":
        cmp = draw(st.sampled_from(["<", ">=", "=", "!="]))
        return f"if({a} {cmp} {b}, {a}, {b})"
    return f"{form}({a}, {b})"


@SLOW
@given(formula=numeric_formula())
def test_random_numeric_formulas_match_pandas(parent: Path, tmp_path: Path, formula: str) -> None:
    check_step(parent, {"op": "derive", "name": "out", "formula": formula}, tmp_path)
    check_step(parent, {"op": "filter", "formula": f"{formula} > 1"}, tmp_path)


@SLOW
@given(
    qty=st.lists(st.one_of(st.none(), st.integers(-50, 50)), min_size=1, max_size=8),
    price=st.lists(st.one_of(st.none(), st.integers(-400, 400).map(lambda i: i / 8)), min_size=8, max_size=8),
)
def test_random_data_matches_pandas(tmp_path: Path, qty: list, price: list) -> None:
    price = price[: len(qty)]
    table = pa.table({"qty": pa.array(qty, pa.int64()), "price": pa.array(price, pa.float64())})
    parent = write(table, tmp_path)
    for step in [
        {"op": "derive", "name": "f", "formula": "round(price / qty, 1) + qty % 3 - sqrt(abs(price))"},
        {"op": "derive", "name": "g", "formula": "str(price) + '/' + str(qty)"},
        {"op": "fill_nulls", "column": "price", "method": "median"},
        {"op": "fill_nulls", "column": "qty", "method": "mode"},
        {"op": "fill_nulls", "column": "qty", "method": "forward"},
        {"op": "dedupe", "columns": ["qty"], "keep": "last"},
        {"op": "sort", "by": "-price,qty"},
        {"op": "cast", "column": "price", "to": "integer"},
    ]:
        check_step(parent, step, tmp_path)
