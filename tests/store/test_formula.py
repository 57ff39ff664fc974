"""The formula language: parsing, type checking, errors, limits and SQL safety."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from livegraphs_ext.store.errors import BadInput
from livegraphs_ext.store.formula import (
    MAX_DEPTH,
    Call,
    Chain,
    Col,
    Compare,
    Lit,
    column_ref,
    compile_formula,
    formula_completions,
    parse_formula,
    tokenize,
)
from livegraphs_ext.store.schema import ColumnInfo

COLS = [
    ColumnInfo("price", "float"),
    ColumnInfo("qty", "integer"),
    ColumnInfo("Unit Price", "float"),
    ColumnInfo("name", "string"),
    ColumnInfo("d", "date"),
    ColumnInfo("t", "datetime"),
    ColumnInfo("ok", "boolean"),
    ColumnInfo("odd]name", "integer"),
    ColumnInfo("and", "integer"),
]


def evaluate(formula: str) -> object:
    """Run a column-free formula in DuckDB."""
    sql, params, _ = compile_formula(formula, COLS)
    return duckdb.connect().execute(f"SELECT {sql}", params).fetchone()[0]


@pytest.mark.parametrize(
    ("text", "type_"),
    [
        ("price * qty", "float"),
        ("qty + 1", "integer"),
        ("qty / 2", "float"),
        ("qty % 2", "integer"),
        ("[Unit Price] > 10", "boolean"),
        ("name + 'x'", "string"),
        ("if(ok, 1, 2.5)", "float"),
        ("ifs(qty > 1, d, t)", "datetime"),
        ("date_trunc('month', d)", "date"),
        ("dateadd('hour', 1, d)", "datetime"),
        ("datediff('day', d, t)", "integer"),
        ("[odd]]name] + [and]", "integer"),
        ("length(name)", "integer"),
        ("null", "string"),
        ("coalesce(null, qty)", "integer"),
        ("today()", "date"),
        ("now()", "datetime"),
        ("int('7')", "integer"),
        ("d > '2024-01-01'", "boolean"),
    ],
)
def test_result_types_are_inferred(text: str, type_: str) -> None:
    assert parse_formula(text, COLS).type == type_


def test_the_tree_keeps_positions_and_flattens_operator_runs() -> None:
    parsed = parse_formula("qty + 2 - price * 3", COLS)
    assert isinstance(parsed.ast, Chain)
    assert parsed.ast.ops == ["+", "-"]
    assert isinstance(parsed.ast.first, Col) and parsed.ast.first.pos == 0
    assert isinstance(parsed.ast.rest[1], Chain) and parsed.ast.rest[1].ops == ["*"]
    assert parsed.columns == ["qty", "price"]


def test_precedence_and_not() -> None:
    ast = parse_formula("not qty > 1 and ok or false", COLS).ast
    assert isinstance(ast, Chain) and ast.ops == ["or"]
    inner = ast.first
    assert isinstance(inner, Chain) and inner.ops == ["and"]
    assert evaluate("1 + 2 * 3 - 4 / 2") == 5.0
    assert evaluate("-2 * -3") == 6
    assert evaluate("not 1 > 2") is True


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("10 / 0", None),
        ("10 % 0", None),
        ("-7 % 3", -1),
        ("7.5 % 2", 1.5),
        ("round(2.5)", 3.0),
        ("round(-2.5)", -3.0),
        ("round(1.2345, 2)", 1.23),
        ("sqrt(-1)", None),
        ("ln(0)", None),
        ('\'It\'\'s\' + "a ""b"""', 'It\'sa "b"'),
        ("concat('a', null, 1, true)", "a1true"),
        ("'a' + null", None),
        ("null = null", None),
        ("int(-2.7)", -2),
        ("int('x')", None),
        ("float(' 1e3 ')", 1000.0),
        ("date('2024-02-30')", None),
        ("#2024-01-31# = date('2024-01-31')", True),
        ("dateadd('month', 1, #2024-01-31#)", dt.date(2024, 2, 29)),
        ("weekday(#2024-01-07#)", 7),
        ("min(3, null, 1)", 1),
        ("if(null, 1, 2)", 2),
        ("substr('hello', 2, 3)", "ell"),
        ("right('hello', 0)", ""),
        ("replace('a.b.c', '.', '')", "abc"),
    ],
)
def test_semantics(text: str, value: object) -> None:
    assert evaluate(text) == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("pric + 1", "Unknown column 'pric'; did you mean 'price'?"),
        ("PRICE", "did you mean 'price'?"),
        ("if(ok, 1)", "if() takes 3 arguments"),
        ("round()", "round() takes 1 to 2 arguments"),
        ("name + 1", "Cannot add text and integer"),
        ("qty > 'a'", "Cannot compare integer with string"),
        ("ok < true", "Cannot compare boolean with boolean using '<'"),
        ("upper(qty)", "upper() argument 1 must be a string, not integer"),
        ("left(name, qty)", "left() argument 2 must be a constant whole number"),
        ("date_trunc('fortnight', d)", "unit must be one of"),
        ("date_trunc('hour', d)", "cannot truncate a date to hours"),
        ("if(qty, 1, 2)", "must be a condition"),
        ("if(ok, 1, 'a')", "values must have one type"),
        ("1 < 2 < 3", "cannot be chained"),
        ("(1 + 2", "Expected ')'"),
        ("1 +", "Unexpected the end of the formula"),
        ("'open", "Unterminated text"),
        ("[open", "Unterminated column name"),
        ("1 $ 2", "Unexpected character '$'"),
        ("a || b", "'||' is not supported"),
        ("", "empty"),
        ("99999999999999999999", "too large"),
        ("d > 'soon'", "is not a date"),
        ("ifs(ok, 1)", "ifs() takes at least 3 arguments"),
        ("ifs(ok, 1, qty > 1, 2)", "pairs of condition"),
        ("read_csv('/etc/passwd')", "Unknown function 'read_csv'"),
        ("glob('*')", "Unknown function 'glob'"),
        ("and + 1", "Unexpected 'and'"),
    ],
)
def test_errors_are_bad_input_with_a_position(text: str, message: str) -> None:
    with pytest.raises(BadInput) as err:
        parse_formula(text, COLS)
    assert message in str(err.value)
    assert " at " in str(err.value)
    assert err.value.status == 400


def test_error_position_points_at_the_problem() -> None:
    with pytest.raises(BadInput, match=r"Unknown column 'pric'.* at 8$"):
        parse_formula("qty + 2*pric", COLS)


@pytest.mark.parametrize(
    "text",
    [
        "(" * 5000 + "1" + ")" * 5000,
        "-" * 5000 + "1",
        "not " * 3000 + "true",
        "abs(" * 2000 + "1" + ")" * 2000,
        "if(ok," * 500 + "1" + ",2)" * 500,
        "+".join(["qty"] * 3000),
    ],
    ids=["parens", "minus", "not", "calls", "ifs", "long-sum"],
)
def test_depth_and_size_limits_raise_bad_input_not_recursion_error(text: str) -> None:
    with pytest.raises(BadInput):
        parse_formula(text, COLS)


def test_length_limit() -> None:
    with pytest.raises(BadInput, match="too long"):
        parse_formula("1" + " " * 10_000, COLS)


def test_nesting_up_to_the_limit_works_and_stays_small() -> None:
    depth = MAX_DEPTH - 2
    text = "sqrt(" * depth + "price" + ")" * depth
    sql, params, t = compile_formula(text, COLS)
    assert t == "float" and params == []
    assert len(sql) < 200 * depth  # arguments are never written twice, so no blow-up
    long_sum = "+".join(["qty"] * 200)
    assert compile_formula(long_sum, COLS)[2] == "integer"


def test_literals_are_parameters_and_columns_are_quoted() -> None:
    cols = [ColumnInfo('we"ird; --', "string"), ColumnInfo("x", "integer")]
    sql, params, _ = compile_formula("""[we"ird; --] + 'DROP TABLE t; --' + "'" """, cols)
    assert params == ["DROP TABLE t; --", "'"]
    assert '"we""ird; --"' in sql
    assert "DROP" not in sql and "'" not in sql.replace("'NaN'", "")


def test_unknown_function_never_reaches_sql() -> None:
    for text in ("read_csv('/etc/passwd')", "read_text('x')", "getenv('HOME')", "query('select 1')"):
        with pytest.raises(BadInput, match="Unknown function"):
            parse_formula(text, COLS)


def test_tokenizer_handles_brackets_and_quotes() -> None:
    toks = tokenize("[a]]b] + 'x''y' + #2024-01-31#")
    assert [(t.kind, t.value) for t in toks[:-1]] == [
        ("col", "a]b"),
        ("op", "+"),
        ("str", "x'y"),
        ("op", "+"),
        ("date", "2024-01-31"),
    ]


def test_aliases_and_case_insensitive_functions() -> None:
    assert isinstance(parse_formula("LEN(name)", COLS).ast, Call)
    assert parse_formula("Mid(name, 2)", COLS).ast.name == "substr"  # type: ignore[attr-defined]
    assert parse_formula("IS_NULL(qty)", COLS).type == "boolean"
    assert parse_formula("TRUE", COLS).ast.value is True  # type: ignore[attr-defined]


def test_string_literal_next_to_a_date_becomes_a_date() -> None:
    ast = parse_formula("'2024-01-31 10:00' < t", COLS).ast
    assert isinstance(ast, Compare) and isinstance(ast.left, Lit)
    assert ast.left.value == dt.datetime(2024, 1, 31, 10, 0)


def test_completions_list_functions_and_columns() -> None:
    items = formula_completions(COLS)
    names = {(i["kind"], i["name"]) for i in items}
    assert ("function", "round") in names and ("function", "len") in names
    assert ("column", "Unit Price") in names
    refs = {i["name"]: i["signature"] for i in items if i["kind"] == "column"}
    assert refs["Unit Price"] == "[Unit Price]"
    assert refs["odd]name"] == "[odd]]name]"
    assert refs["and"] == "[and]"
    assert refs["price"] == "price"
    assert column_ref("odd]name") == "[odd]]name]"
    # every completion for a column parses back to that column
    for name, ref in refs.items():
        assert parse_formula(ref, COLS).columns == [name]


@pytest.mark.parametrize(
    ("text", "type_"),
    [("abs(null)", "integer"), ("upper(null)", "string"), ("year(null)", "integer"), ("sqrt(null)", "float")],
)
def test_bare_null_arguments_take_the_wanted_type(text: str, type_: str) -> None:
    assert parse_formula(text, COLS).type == type_
    assert evaluate(text) is None


def test_typeless_null_expressions_are_rejected() -> None:
    with pytest.raises(BadInput, match="cannot tell the type"):
        parse_formula("abs(if(ok, null, null))", COLS)
