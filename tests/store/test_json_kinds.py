"""The kind of each JSON value, as the exact JSON path counts it (``json_ingest._kind_sql``).

Each value is read by DuckDB from a JSON Lines file as its JSON text, the way the upload reads it,
and its kind compared with the one a person reading the value would give it.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import orjson
import pytest

from livegraphs_ext.store.ingest.json_ingest import _kind, _kind_sql

#: a value's JSON -> its kind: b boolean, i integer, h integer past 64 bits, f float, x NaN or
#: infinite, n object or array, m missing-value marker, d date, t date and time, z with an offset,
#: s other text
KINDS = {
    "true": "b",
    "false": "b",
    "0": "i",
    "-0": "i",
    "42": "i",
    "-9223372036854775808": "i",
    "9223372036854775807": "i",
    "9223372036854775808": "h",
    "-9223372036854775809": "h",
    "123456789012345678901234567890": "h",
    "1.5": "f",
    "-0.0": "f",
    "1e2": "f",
    "1E-2": "f",
    "2.5e+300": "f",
    "1e400": "x",
    '{"a": 1}': "n",
    "[1, 2]": "n",
    "[]": "n",
    '"NA"': "m",
    '"N/A"': "m",
    '"-"': "m",
    '"#N/A"': "m",
    # a blank cell: missing next to numbers, dates and booleans, as an empty CSV field is
    '""': "m",
    # and so is one of spaces, tabs or line ends alone (escaped in JSON text)
    '"   "': "m",
    '"\\t"': "m",
    '" \\r\\n "': "m",
    '" a"': "s",
    '"\\\\"': "s",
    '"\\u00a0"': "s",
    '"word"': "s",
    '"12"': "s",
    '"1.5"': "s",
    '"true"': "s",
    '"2024-02-29"': "d",
    '"2023-02-29"': "s",
    '"2024-13-01"': "s",
    '"2024-1-01"': "s",
    '"2024-02-03T04:05"': "t",
    '"2024-02-03 04:05:06.123456"': "t",
    '"2024-02-03T25:05:06"': "s",
    # DuckDB's casts take year 0 and 24:00; Python's fromisoformat, as a person, does not
    '"0000-01-01"': "s",
    '"0001-01-01"': "d",
    '"0000-06-01T04:05"': "s",
    '"2024-02-03T24:00:00"': "s",
    '"2024-02-03T23:60"': "s",
    '"2024-02-03T04:05:06+24:00"': "s",
    '"2024-02-03T04:05:06-23:59"': "z",
    '"2024-02-03T04:05:06Z"': "z",
    '"2024-02-03T04:05:06+02:00"': "z",
    '"2024-02-03x"': "s",
    '"9 lives"': "s",
    '"é 2024-01-01"': "s",
    '"\\u0032024-01-01"': "d",
}


@pytest.fixture(scope="module")
def kinds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    path: Path = tmp_path_factory.mktemp("kinds") / "values.jsonl"
    values = list(KINDS)
    path.write_text("".join(f'{{"i": {i}, "v": {v}}}\n' for i, v in enumerate(values)))
    con = duckdb.connect()
    try:
        rows = con.execute(
            f"SELECT i, {_kind_sql('v')} FROM read_json('{path}', format='newline_delimited', "
            "records=true, columns={'i': 'BIGINT', 'v': 'JSON'}) ORDER BY i"
        ).fetchall()
    finally:
        con.close()
    return {values[i]: kind for i, kind in rows}


@pytest.mark.parametrize("value", list(KINDS))
def test_each_value_has_the_kind_a_person_gives_it(kinds: dict[str, str], value: str) -> None:
    assert kinds[value] == KINDS[value]


#: the record reader's kind of a value (``json_ingest._kind``) -> the letter its SQL kind has
#: (markers and integers past 64 bits are told apart later on that path)
_LETTERS = {"boolean": "b", "integer": "i", "float": "f", "nested": "n", "date": "d"}
_LETTERS |= {"datetime": "t", "datetimetz": "z", "text": "s"}


@pytest.mark.parametrize("value", [v for v in KINDS if KINDS[v] != "x"])
def test_the_record_reader_gives_each_value_the_same_kind(value: str) -> None:
    # the exact path reads a file in DuckDB, or record by record when DuckDB reads it otherwise
    sql = {"m": "s", "h": "f"}.get(KINDS[value], KINDS[value])
    assert _LETTERS[_kind(orjson.loads(value))] == sql
