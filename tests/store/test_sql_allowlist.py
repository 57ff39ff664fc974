"""The two allowlists agree with each other, with DuckDB, and with the docs."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from livegraphs_ext.store.sqlquery.allow import FUNCTIONS
from livegraphs_ext.store.sqlquery.check import SqlRefused, check_sql
from livegraphs_ext.store.sqlquery.duckast import AstRefused, check_tree, parse_tree

DOCS = (Path(__file__).resolve().parents[2] / "docs" / "sql.md").read_text(encoding="utf-8")
NAMES = sorted(f for f in FUNCTIONS if f[0].isalpha())
#: argument lists to try: each allowed function takes one of them
ARGS = ["", "a", "a, b", "a, b, c", "'day', a", "a, 'x'", "interval 1 day, a", "a, 1, 2", "'a' in b"]


def duckdb_reads(con: duckdb.DuckDBPyConnection, sql: str) -> bool:
    """Whether DuckDB's parse of ``sql`` passes the second gate (False when DuckDB cannot parse it)."""
    try:
        return check_tree(parse_tree(con, sql)) == ["t"]
    except AstRefused as e:
        assert "may not be used" not in e.message, e.message
        return False


@pytest.mark.parametrize("name", NAMES)
def test_every_allowed_function_passes_both_gates_and_is_documented(name: str):
    assert f"`{name}`" in DOCS
    con = duckdb.connect()
    try:
        for args in ARGS:
            sql = f"select {name}({args}) from t"
            try:
                check_sql(sql)
            except SqlRefused as e:
                # a wrong number of arguments, not a refusal of the function
                assert "may not be used" not in e.message or args == "", e.message
                continue
            if duckdb_reads(con, sql):
                return
    finally:
        con.close()
    pytest.fail(f"no call of {name} passes both gates")


def test_every_function_the_docs_list_is_allowed():
    listed = DOCS.split("and these functions:")[1].split("and the operators")[0]
    names = {part.strip().strip("`") for part in listed.replace("\n", " ").split(",")}
    assert names == set(NAMES)
