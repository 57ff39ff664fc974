"""SQL quoting: any name and any text reach DuckDB exactly as given, and never as SQL."""

from __future__ import annotations

import duckdb
import pytest

from livegraphs_ext.store.errors import BadInput
from livegraphs_ext.store.sql import quote_ident, quote_literal

NASTY_NAMES = [
    "plain",
    "with space",
    'a"b',
    '""',
    '"; DROP TABLE t; --',
    "it's",
    "back\\slash",
    "new\nline\ttab",
    "Größe €",
    "名前",
    "🙂 émoji",
    "SELECT",
    "$$",
]
NASTY_TEXTS = [
    "",
    "'",
    "''",
    "it's",
    "'); DROP TABLE t; --",
    '"double"',
    "back\\slash \\' \\n",
    "new\nline\r\ttab",
    "Größe €, 名前, 🙂",
    "$$ dollar $tag$",
    "nul\x00inside",
]


@pytest.fixture
def con():
    c = duckdb.connect()
    yield c
    c.close()


@pytest.mark.parametrize("name", NASTY_NAMES)
def test_a_quoted_name_is_that_name_in_duckdb(con, name: str) -> None:
    # Given a table whose only column has the name
    con.execute(f"CREATE TABLE t ({quote_ident(name)} INTEGER)")
    con.execute("INSERT INTO t VALUES (7)")
    # When it is selected by that name
    row = con.execute(f"SELECT {quote_ident(name)} AS {quote_ident(name)} FROM t").fetchone()
    # Then the value and the column's name come back unchanged
    assert row == (7,)
    assert con.description[0][0] == name
    assert con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 't'"
    ).fetchall() == [(name,)]


@pytest.mark.parametrize("text", NASTY_TEXTS)
def test_a_quoted_literal_is_that_text_in_duckdb(con, text: str) -> None:
    # When the text is selected as a literal
    row = con.execute(f"SELECT {quote_literal(text)}").fetchone()
    # Then it comes back unchanged, as one value
    assert row == (text,)


def test_a_name_with_nul_is_refused_unless_ingest_keeps_it(con) -> None:
    # The query side never builds a name with NUL
    with pytest.raises(BadInput, match="NUL"):
        quote_ident("a\x00b")
    # Ingest keeps the names a file has, NUL included
    name = quote_ident("a\x00b", allow_nul=True)
    con.execute(f"SELECT 1 AS {name}")
    assert con.description[0][0] == "a\x00b"
