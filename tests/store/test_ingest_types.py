"""Types a person expects: missing-value markers, values that break a column's type, decimal commas."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import orjson
import pytest

from livegraphs_ext.store.errors import BadInput
from livegraphs_ext.store.ingest import IngestLimits

from .test_ingest_support import CORPUS, run, run_error, types_of

DATA = Path(__file__).parent / "data"


def _column(path: Path, name: str, delimiter: str = ",") -> list[str]:
    with path.open(newline="", encoding="utf-8-sig") as f:
        return [row[name] for row in csv.DictReader(f, delimiter=delimiter)]


def _nulls(result: object) -> dict[str, int]:
    return {c.name: c.nulls for c in result.columns}  # type: ignore[attr-defined]


def test_markers_are_missing_values_in_a_typed_column_and_text_elsewhere(tmp_path: Path) -> None:
    result, rows = run(tmp_path, DATA / "markers.csv")
    assert types_of(result) == {
        "id": "integer",
        "score": "float",
        "code": "string",
        "when": "date",
        "ok": "boolean",
        "note": "string",
    }
    assert [r["score"] for r in rows] == [3.5, *[None] * 9, 2.25, -1.5]
    # a country code "NA" among codes is text, as are "-" and "NA" in a column of words
    assert [r["code"] for r in rows][:5] == ["US", "NA", "FR", "DE", "NA"]
    assert [r["note"] for r in rows][:6] == ["fine", "-", "ok", "-", "x", "NA"]
    assert [r["when"] for r in rows][:6] == [
        dt.date(2024, 1, 2),
        None,
        dt.date(2024, 1, 4),
        None,
        dt.date(2024, 1, 6),
        None,
    ]
    assert [r["ok"] for r in rows] == [
        True,
        None,
        False,
        None,
        True,
        False,
        True,
        False,
        None,
        None,
        True,
        False,
    ]
    assert _nulls(result) == {"id": 0, "score": 9, "code": 0, "when": 6, "ok": 4, "note": 1}
    assert result.report.problem_count == 0
    assert any("'score'" in n and "read as missing" in n for n in result.report.notes)


def test_nan_next_to_floats_is_missing(tmp_path: Path) -> None:
    result, rows = run(tmp_path, b"v,w\n1.5,a\nNaN,b\n2.5,c\n")
    assert types_of(result) == {"v": "float", "w": "string"}
    assert [r["v"] for r in rows] == [1.5, None, 2.5]


def test_real_beers_abv_and_ibu_are_numbers_with_na_as_missing(tmp_path: Path) -> None:
    path = CORPUS / "real" / "beers.csv"
    result, rows = run(tmp_path, path, name="beers.csv")
    types = types_of(result)
    assert (types["abv"], types["ibu"], types["style2"]) == ("float", "integer", "string")
    abv, ibu = _column(path, "abv"), _column(path, "ibu")
    assert _nulls(result)["abv"] == abv.count("NA") > 0
    assert _nulls(result)["ibu"] == ibu.count("NA") > 0
    assert [r["abv"] for r in rows] == [None if v == "NA" else float(v) for v in abv]
    # in a text column "NA" stays as written
    assert [r["style2"] for r in rows] == _column(path, "style2")
    assert result.report.problem_count == 0


def test_real_weather_with_a_few_na_far_down_is_integers(tmp_path: Path) -> None:
    path = CORPUS / "real" / "2016-weather-data-seattle.csv"
    result, rows = run(tmp_path, path)
    mean = _column(path, "Mean_TemperatureC")
    assert 0 < mean.count("NA") < 10
    assert types_of(result)["Mean_TemperatureC"] == "integer"
    assert [r["Mean_TemperatureC"] for r in rows] == [None if v == "NA" else int(v) for v in mean]


def test_real_spss_null_markers_leave_numbers(tmp_path: Path) -> None:
    path = CORPUS / "real" / "hofstede-cultural-dimensions.csv"
    result, rows = run(tmp_path, path)
    pdi = _column(path, "pdi", ";")
    assert "#NULL!" in pdi
    assert types_of(result)["pdi"] == "integer"
    assert [r["pdi"] for r in rows] == [None if v == "#NULL!" else int(v) for v in pdi]


BAD = [
    (4, "day", "2024-02-30", "date"),
    (5, "flag", "maybe", "boolean"),
    (6, "count", "six", "integer"),
    (7, "stamp", "soon", "datetime"),
]


def test_values_that_break_a_date_boolean_or_number_column_are_listed(tmp_path: Path) -> None:
    result, rows = run(tmp_path, DATA / "bad_values.csv")
    assert types_of(result) == {"day": "string", "flag": "string", "count": "string", "stamp": "string"}
    assert rows[3] == {"day": "2024-02-30", "flag": "true", "count": "4", "stamp": "03/04/2024 13:15"}
    # the NA markers of row 9 are missing values, not bad ones
    assert [(p.row, p.column, p.value, p.expected) for p in result.report.problems] == BAD
    assert result.report.problem_count == 4
    assert sum("bad_values=null" in n for n in result.report.notes) == 4


def test_bad_values_null_keeps_the_type_and_stores_them_as_missing(tmp_path: Path) -> None:
    result, rows = run(tmp_path, DATA / "bad_values.csv", bad_values="null")
    assert types_of(result) == {"day": "date", "flag": "boolean", "count": "integer", "stamp": "datetime"}
    assert rows[0] == {
        "day": dt.date(2024, 1, 1),
        "flag": True,
        "count": 1,
        "stamp": dt.datetime(2024, 3, 1, 10),
    }
    assert [r["day"] for r in rows][2:5] == [dt.date(2024, 1, 3), None, dt.date(2024, 1, 5)]
    assert [r["flag"] for r in rows][3:6] == [True, None, False]
    assert [r["count"] for r in rows][4:7] == [5, None, 7]
    assert [r["stamp"] for r in rows][5:8] == [
        dt.datetime(2024, 3, 6, 15, 45),
        None,
        dt.datetime(2024, 3, 8, 17),
    ]
    assert _nulls(result) == {"day": 2, "flag": 2, "count": 2, "stamp": 2}
    assert [(p.row, p.column, p.value, p.expected) for p in result.report.problems] == BAD
    assert any("'day'" in n and "stored as missing" in n for n in result.report.notes)


def test_a_late_marker_beyond_the_sample_is_a_missing_value(tmp_path: Path) -> None:
    body = b"n,m\n" + b"".join(b"%d,%d\n" % (i, i) for i in range(50_000)) + b"NA,7\n"
    result, rows = run(tmp_path, body)
    assert types_of(result) == {"n": "integer", "m": "integer"}
    assert rows[-1] == {"n": None, "m": 7}
    assert result.report.problem_count == 0


def test_a_late_bad_value_with_bad_values_null_keeps_the_type(tmp_path: Path) -> None:
    body = b"n,m\n" + b"".join(b"%d,%d\n" % (i, i) for i in range(50_000)) + b"oops,7\n"
    result, rows = run(tmp_path, body, bad_values="null")
    assert types_of(result) == {"n": "integer", "m": "integer"}
    assert rows[-1] == {"n": None, "m": 7}
    assert rows[-2] == {"n": 49_999, "m": 49_999}
    assert [(p.row, p.column, p.value, p.expected) for p in result.report.problems] == [
        (50_001, "n", "oops", "integer")
    ]


def test_a_column_with_many_bad_values_is_text_without_problems(tmp_path: Path) -> None:
    body = b"v\n" + b"".join(b"%d\n" % i for i in range(80)) + b"".join(b"w%d\n" % i for i in range(20))
    result, rows = run(tmp_path, body, bad_values="null")
    assert types_of(result) == {"v": "string"}
    assert rows[-1] == {"v": "w19"}
    assert result.report.problem_count == 0


def test_zip_codes_far_down_keep_a_column_text(tmp_path: Path) -> None:
    body = b"zip,x\n" + b"".join(b"%d,a\n" % (10_000 + i) for i in range(3000)) + b"NA,b\n01234,c\n"
    result, rows = run(tmp_path, body)
    assert types_of(result) == {"zip": "string", "x": "string"}
    assert rows[-1] == {"zip": "01234", "x": "c"}


def test_decimal_commas_with_thousands_dots_are_numbers(tmp_path: Path) -> None:
    path = DATA / "decimal_comma.csv"
    result, rows = run(tmp_path, path)
    assert result.report.delimiter == ";"
    assert types_of(result) == {
        "Artikel": "string",
        "Preis": "float",
        "Gewicht": "float",
        "Bestand": "integer",
        "Nummer": "string",
        "Datum": "date",
    }
    assert [r["Preis"] for r in rows] == [1234.56, 89.9, 1045.0, 2399.99, 12345678.9, -0.5]
    assert [r["Gewicht"] for r in rows] == [12.5, 4.25, 1.1, 30.0, None, 2.0]
    assert rows[0]["Nummer"] == "0012"
    assert rows[0]["Datum"] == dt.date(2023, 12, 24)
    assert any("'Preis'" in n and "decimal comma" in n for n in result.report.notes)


def test_a_point_in_a_decimal_comma_column_is_a_bad_value_not_a_thousands_dot(tmp_path: Path) -> None:
    lines = [b"k;v"] + [b"r%d;%d,5" % (i, i) for i in range(40)]
    lines[10] = b"r9;1.5"
    result, rows = run(tmp_path, b"\n".join(lines) + b"\n")
    assert types_of(result) == {"k": "string", "v": "string"}
    assert [(p.row, p.value, p.expected) for p in result.report.problems] == [(10, "1.5", "float")]
    result, rows = run(tmp_path, b"\n".join(lines) + b"\n", bad_values="null")
    assert types_of(result) == {"k": "string", "v": "float"}
    assert [r["v"] for r in rows][8:11] == [8.5, None, 10.5]


def test_late_decimal_comma_values_are_checked_over_the_whole_file(tmp_path: Path) -> None:
    body = b"k;v\n" + b"".join(b"a;%d,25\n" % i for i in range(5000)) + b"b;1.234,5\nc;x\n"
    result, rows = run(tmp_path, body, limits=IngestLimits(max_problems=3))
    assert types_of(result) == {"k": "string", "v": "string"}
    assert [(p.row, p.value) for p in result.report.problems] == [(5002, "x")]
    result, rows = run(tmp_path, body, bad_values="null")
    assert rows[-2:] == [{"k": "b", "v": 1234.5}, {"k": "c", "v": None}]


def test_commas_in_a_comma_delimited_file_are_not_decimal_commas(tmp_path: Path) -> None:
    result, rows = run(tmp_path, b'a,b\n"1,5",x\n"2,5",y\n"3,25",z\n')
    assert types_of(result) == {"a": "string", "b": "string"}
    assert rows[0] == {"a": "1,5", "b": "x"}


def test_a_marker_and_a_bad_value_leave_the_column_text_listing_only_the_bad_value(tmp_path: Path) -> None:
    body = b"d\n" + b"".join(b"2024-01-%02d\n" % i for i in range(1, 29)) + b"NA\nlater\n"
    result, rows = run(tmp_path, body)
    assert types_of(result) == {"d": "string"}
    assert [r["d"] for r in rows][-2:] == ["NA", "later"]
    assert [(p.row, p.value, p.expected) for p in result.report.problems] == [(30, "later", "date")]


def test_an_unknown_bad_values_choice_is_refused(tmp_path: Path) -> None:
    err = run_error(tmp_path, b"a\n1\n", bad_values="drop")
    assert isinstance(err, BadInput)
    assert "bad_values" in err.message and err.status == 400


@pytest.mark.parametrize("marker", ["NA", "N/A", "NaN", "null", "NULL", "None", "#N/A", "-", "#NULL!"])
def test_each_marker_is_a_missing_number(tmp_path: Path, marker: str) -> None:
    result, rows = run(tmp_path, f"v\n1\n{marker}\n3\n".encode())
    assert types_of(result) == {"v": "integer"}
    assert [r["v"] for r in rows] == [1, None, 3]


def test_a_late_decimal_makes_a_marked_integer_column_float_not_rounded(tmp_path: Path) -> None:
    body = b"v\nNA\n" + b"".join(b"%d\n" % i for i in range(3000)) + b"2.5\n"
    result, rows = run(tmp_path, body)
    assert types_of(result) == {"v": "float"}
    assert [r["v"] for r in rows][-2:] == [2999.0, 2.5]
    assert rows[0] == {"v": None}


def test_inf_and_nan_words_in_a_marked_number_column_are_bad_values(tmp_path: Path) -> None:
    body = b"v\nNA\n" + b"".join(b"%d.5\n" % i for i in range(40)) + b"inf\nnan\n"
    result, rows = run(tmp_path, body, bad_values="null")
    assert types_of(result) == {"v": "float"}
    assert [(p.row, p.value) for p in result.report.problems] == [(42, "inf"), (43, "nan")]
    assert [r["v"] for r in rows][-3:] == [39.5, None, None]


# JSON and JSON Lines follow the same rules; their numbers, true/false and nulls are typed already


def test_json_markers_are_missing_values_in_a_typed_column_and_text_elsewhere(tmp_path: Path) -> None:
    result, rows = run(tmp_path, DATA / "markers.jsonl", name="markers.jsonl")
    assert types_of(result) == {
        "id": "integer",
        "score": "float",
        "code": "string",
        "when": "date",
        "ok": "boolean",
        "note": "string",
        "city": "string",
    }
    assert [r["score"] for r in rows] == [3.5, *[None] * 9, 2.25, -1.5]
    # a country code "NA" among codes is text, as are "-" and "NA" among words
    assert [r["code"] for r in rows][:5] == ["US", "NA", "FR", "DE", "NA"]
    assert [r["note"] for r in rows][:7] == ["fine", "-", "ok", "-", "x", "NA", None]
    assert [r["when"] for r in rows][:6] == [
        dt.date(2024, 1, 2),
        None,
        dt.date(2024, 1, 4),
        None,
        dt.date(2024, 1, 6),
        None,
    ]
    assert [r["ok"] for r in rows] == [
        True,
        None,
        False,
        None,
        True,
        False,
        True,
        False,
        None,
        None,
        True,
        False,
    ]
    # non-ASCII text as written; a null and a missing key are both missing
    assert [r["city"] for r in rows][:5] == ["Zürich", "São Paulo", "東京", None, None]
    assert _nulls(result) == {"id": 0, "score": 9, "code": 0, "when": 6, "ok": 4, "note": 1, "city": 2}
    assert result.report.problem_count == 0
    assert any("'score'" in n and "8 values such as NA" in n for n in result.report.notes)
    assert any("'when'" in n and "read as missing" in n for n in result.report.notes)


def test_json_array_and_json_lines_give_the_same_result(tmp_path: Path) -> None:
    lines = (DATA / "markers.jsonl").read_bytes().splitlines()
    lines_result, lines_rows = run(tmp_path, DATA / "markers.jsonl", name="m.jsonl")
    array_result, array_rows = run(tmp_path, b"[" + b",\n".join(lines) + b"]", name="m.json")
    assert array_rows == lines_rows
    assert array_result.columns == lines_result.columns
    assert array_result.report.notes == lines_result.report.notes


JSON_BAD = [
    (4, "day", "2024-02-30", "date"),
    (5, "flag", "maybe", "boolean"),
    (6, "count", "six", "integer"),
    (7, "stamp", "soon", "datetime"),
]


def test_json_values_that_break_a_date_boolean_or_number_column_are_listed(tmp_path: Path) -> None:
    result, rows = run(tmp_path, DATA / "bad_values.json", name="bad_values.json")
    assert types_of(result) == {
        "day": "string",
        "flag": "string",
        "count": "string",
        "stamp": "string",
        "big": "float",
        "meta": "string",
        "name": "string",
    }
    # every value as written: JSON numbers and true/false as their text, objects as compact JSON
    assert rows[0] == {
        "day": "2024-01-01",
        "flag": "true",
        "count": "1",
        "stamp": "2024-03-01T10:01:00",
        "big": 1000.0,
        "meta": '{"tags":["a",1]}',
        "name": "Ünïcødé 1",
    }
    assert rows[8]["day"] == rows[8]["count"] == "NA"
    # an integer past 64 bits makes its column float
    assert rows[2]["big"] == float(2**70 + 3)
    assert [(p.row, p.column, p.value, p.expected) for p in result.report.problems] == JSON_BAD
    assert result.report.problem_count == 4
    assert sum("bad_values=null" in n for n in result.report.notes) == 4


def test_json_bad_values_null_keeps_the_type_and_stores_them_as_missing(tmp_path: Path) -> None:
    result, rows = run(tmp_path, DATA / "bad_values.json", name="bad_values.json", bad_values="null")
    assert types_of(result) == {
        "day": "date",
        "flag": "boolean",
        "count": "integer",
        "stamp": "datetime",
        "big": "float",
        "meta": "string",
        "name": "string",
    }
    assert [r["day"] for r in rows][2:5] == [dt.date(2024, 1, 3), None, dt.date(2024, 1, 5)]
    assert [r["flag"] for r in rows][3:6] == [False, None, False]
    assert [r["count"] for r in rows][4:7] == [5, None, 7]
    assert [r["stamp"] for r in rows][5:8] == [
        dt.datetime(2024, 3, 6, 10, 6),
        None,
        dt.datetime(2024, 3, 8, 10, 8),
    ]
    # the NA markers of row 9 are missing values, not bad ones
    assert _nulls(result) == {"day": 2, "flag": 2, "count": 2, "stamp": 2, "big": 0, "meta": 0, "name": 0}
    assert [(p.row, p.column, p.value, p.expected) for p in result.report.problems] == JSON_BAD
    assert any(
        "'count'" in n and "1 value not an integer stored as missing" in n for n in result.report.notes
    )


def test_json_a_late_bad_value_and_a_late_marker_past_the_sample(tmp_path: Path) -> None:
    body = b"".join(b'{"n": %d, "m": %d}\n' % (i, i) for i in range(50_000))
    body += b'{"n": "oops", "m": "NA"}\n{"n": 7, "m": null}\n'
    result, rows = run(tmp_path, body, name="late.jsonl")
    assert types_of(result) == {"n": "string", "m": "integer"}
    assert rows[-2:] == [{"n": "oops", "m": None}, {"n": "7", "m": None}]
    assert [(p.row, p.column, p.value, p.expected) for p in result.report.problems] == [
        (50_001, "n", "oops", "integer")
    ]
    result, rows = run(tmp_path, body, name="late.jsonl", bad_values="null")
    assert types_of(result) == {"n": "integer", "m": "integer"}
    assert rows[-3:] == [{"n": 49_999, "m": 49_999}, {"n": None, "m": None}, {"n": 7, "m": None}]
    assert result.report.problem_count == 1


def test_json_a_column_with_many_bad_values_is_text_without_problems(tmp_path: Path) -> None:
    data = [{"v": i} for i in range(80)] + [{"v": f"w{i}"} for i in range(20)]
    result, rows = run(tmp_path, orjson.dumps(data), name="many.json", bad_values="null")
    assert types_of(result) == {"v": "string"}
    assert rows[0] == {"v": "0"} and rows[-1] == {"v": "w19"}
    assert result.report.problem_count == 0


def test_json_strings_of_digits_and_nested_values_are_not_numbers(tmp_path: Path) -> None:
    # a JSON string is text even when it holds digits; an object or array is text too
    data = [{"v": i, "w": str(i)} for i in range(40)] + [{"v": [1, 2], "w": {"a": "é"}}]
    result, rows = run(tmp_path, orjson.dumps(data), name="s.json")
    assert types_of(result) == {"v": "string", "w": "string"}
    assert [(p.row, p.value, p.expected) for p in result.report.problems] == [(41, "[1,2]", "integer")]
    assert rows[-1] == {"v": "[1,2]", "w": '{"a":"é"}'}


def test_real_beers_as_json_lines_with_na_strings(tmp_path: Path) -> None:
    # R's jsonlite with na="string" writes a missing number as "NA" next to real numbers
    path = CORPUS / "real" / "beers.csv"
    with path.open(newline="", encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    lines = []
    for r in table:
        rec: dict[str, object] = dict(r)
        rec["abv"] = "NA" if r["abv"] == "NA" else float(r["abv"])
        rec["ibu"] = "NA" if r["ibu"] == "NA" else int(r["ibu"])
        lines.append(orjson.dumps(rec))
    result, rows = run(tmp_path, b"\n".join(lines), name="beers.jsonl")
    types = types_of(result)
    assert (types["abv"], types["ibu"], types["style2"]) == ("float", "integer", "string")
    assert _nulls(result)["abv"] == sum(r["abv"] == "NA" for r in table) > 0
    assert [r["abv"] for r in rows] == [None if r["abv"] == "NA" else float(r["abv"]) for r in table]
    assert [r["style2"] for r in rows] == [r["style2"] for r in table]
    assert result.report.problem_count == 0


def _dates_past_python(rows: int) -> bytes:
    """Dates, times, zoned times and day-first dates, each column with one value DuckDB's
    reader takes but Python's dates cannot hold, far down the file."""
    lines = [b"day,stamp,zoned,dayfirst"]
    for i in range(rows):
        d = dt.date(2020, 1, 1) + dt.timedelta(days=i)
        lines.append(
            b"%s,%s 10:00:00,%s 10:00:00+02:00,%s"
            % (
                d.isoformat().encode(),
                d.isoformat().encode(),
                d.isoformat().encode(),
                d.strftime("%d/%m/%Y").encode(),
            )
        )
    lines.append(b"0000-01-01,10000-01-01 10:00:00,9999-12-31 23:00:00-05:00,01/01/0000")
    lines.append(b"2020-01-01 (BC),2021-01-01 10:00:00,2021-01-01 10:00:00+00:00,02/01/2021")
    return b"\n".join(lines) + b"\n"


@pytest.mark.parametrize("rows", [40, 30_000])
def test_dates_outside_years_1_to_9999_are_bad_values_in_csv(tmp_path: Path, rows: int) -> None:
    # DuckDB reads year 0, five-digit years and "(BC)"; no page, chart or export could show them
    body = _dates_past_python(rows)
    result, stored = run(tmp_path, body)
    assert types_of(result) == {"day": "string", "stamp": "string", "zoned": "string", "dayfirst": "string"}
    assert [(p.row, p.column, p.value) for p in result.report.problems] == [
        (rows + 1, "day", "0000-01-01"),
        (rows + 1, "stamp", "10000-01-01 10:00:00"),
        (rows + 1, "zoned", "9999-12-31 23:00:00-05:00"),
        (rows + 1, "dayfirst", "01/01/0000"),
        (rows + 2, "day", "2020-01-01 (BC)"),
    ]
    assert stored[rows]["day"] == "0000-01-01"
    result, stored = run(tmp_path, body, bad_values="null")
    assert types_of(result) == {"day": "date", "stamp": "datetime", "zoned": "datetime", "dayfirst": "date"}
    assert stored[rows] == {"day": None, "stamp": None, "zoned": None, "dayfirst": None}
    assert stored[rows + 1]["day"] is None
    assert stored[rows + 1]["stamp"] == dt.datetime(2021, 1, 1, 10)
    assert stored[rows + 1]["dayfirst"] == dt.date(2021, 1, 2)
    assert stored[0] == {
        "day": dt.date(2020, 1, 1),
        "stamp": dt.datetime(2020, 1, 1, 10),
        "zoned": dt.datetime(2020, 1, 1, 8, tzinfo=dt.timezone.utc),
        "dayfirst": dt.date(2020, 1, 1),
    }
    assert _nulls(result) == {"day": 2, "stamp": 1, "zoned": 1, "dayfirst": 1}


@pytest.mark.parametrize("rows", [40, 30_000])
@pytest.mark.parametrize("name", ["zoned.jsonl", "zoned.json"])
def test_json_zoned_times_an_offset_carries_past_year_9999_or_before_year_1_are_bad_values(
    tmp_path: Path, rows: int, name: str
) -> None:
    # in UTC, as stored, these are in year 10000 and year 0: no page could show them
    records = [{"at": f"2020-01-01T10:{i % 60:02d}:00+02:00", "n": i} for i in range(rows)]
    records += [{"at": "9999-12-31T23:00:00-05:00", "n": rows}, {"at": "0001-01-01T00:30:00+01:00", "n": 0}]
    records.append({"at": "9999-12-31T23:00:00+05:00", "n": 1})
    if name.endswith(".jsonl"):
        body = b"".join(orjson.dumps(r) + b"\n" for r in records)
    else:
        body = orjson.dumps(records)
    result, stored = run(tmp_path, body, name=name)
    assert types_of(result) == {"at": "string", "n": "integer"}
    assert [(p.row, p.column, p.value, p.expected) for p in result.report.problems] == [
        (rows + 1, "at", "9999-12-31T23:00:00-05:00", "datetime"),
        (rows + 2, "at", "0001-01-01T00:30:00+01:00", "datetime"),
    ]
    result, stored = run(tmp_path, body, name=name, bad_values="null")
    assert types_of(result) == {"at": "datetime", "n": "integer"}
    assert [r["at"] for r in stored[-3:]] == [
        None,
        None,
        dt.datetime(9999, 12, 31, 18, tzinfo=dt.timezone.utc),
    ]
    assert stored[0]["at"] == dt.datetime(2020, 1, 1, 8, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(
    "values",
    [
        [
            "2024-01-02T10:15:00+05:30",
            "2024-01-03T11:00:00+0530",
            "2024-01-04T12:00:00+05",
            "2024-01-05T09:00Z",
        ],
        ["2024-01-02T10:15:00.123456789", "2024-01-03T11:00:00.5", "2024-01-04 12:00", "2024-01-05T09:00:00"],
        ["2024-01-02T10:15:00.1234567-09:30", "2024-01-03T11:00:00-0930", "2024-01-04T12:00:00Z"],
    ],
)
def test_json_and_csv_read_the_same_iso_times_alike(tmp_path: Path, values: list[str]) -> None:
    # offsets with and without a colon or minutes, and fractions past microseconds (cut to them)
    rows = values * 10
    csv_result, csv_rows = run(tmp_path, ("at\n" + "\n".join(rows) + "\n").encode(), name="times.csv")
    for name, body in (
        ("times.jsonl", b"".join(orjson.dumps({"at": v}) + b"\n" for v in rows)),
        ("times.json", orjson.dumps([{"at": v} for v in rows])),
    ):
        result, json_rows = run(tmp_path, body, name=name)
        assert types_of(result) == types_of(csv_result) == {"at": "datetime"}
        assert json_rows == csv_rows
        assert not result.report.problems
    parsed = [dt.datetime.fromisoformat(v.replace("Z", "+00:00")) for v in values]
    zoned = parsed[0].tzinfo is not None
    assert [r["at"] for r in csv_rows[: len(values)]] == [
        p.astimezone(dt.timezone.utc) if zoned else p for p in parsed
    ]


@pytest.mark.parametrize("rows", [1000, 50_000])
def test_floats_that_are_not_finite_are_markers_or_bad_values_in_csv(tmp_path: Path, rows: int) -> None:
    # DuckDB's reader takes NaN, inf and 1e400 as floats; an average over them would be NaN or inf
    late = ["NaN", "inf", "-Infinity", "1e400", "nan"]
    body = "x,n\n" + "".join(f"{i}.5,{i}\n" for i in range(rows)) + "".join(f"{v},1\n" for v in late)
    result, stored = run(tmp_path, body.encode())
    assert types_of(result) == {"x": "string", "n": "integer"}
    assert [(p.row, p.value, p.expected) for p in result.report.problems] == [
        (rows + 2, "inf", "float"),
        (rows + 3, "-Infinity", "float"),
        (rows + 4, "1e400", "float"),
        (rows + 5, "nan", "float"),
    ]
    result, stored = run(tmp_path, body.encode(), bad_values="null")
    assert types_of(result) == {"x": "float", "n": "integer"}
    assert [r["x"] for r in stored[-6:]] == [rows - 0.5, None, None, None, None, None]
    assert _nulls(result)["x"] == 5
    assert any("1 value such as NA" in n for n in result.report.notes)


@pytest.mark.parametrize("late", ["2.5", "-0.25", "7.0", "1e5"])
@pytest.mark.parametrize("first", [0, 2**62])
def test_a_late_fraction_in_an_integer_column_is_never_rounded(tmp_path: Path, late: str, first: int) -> None:
    # DuckDB's reader casts "2.5" in an integer column to 3: the column is float, its values as written
    ints = [first + i for i in range(50_000)]
    body = b"n,m\n" + b"".join(b"%d,%d\n" % (n, i) for i, n in enumerate(ints)) + f"{late},7\n".encode()
    result, rows = run(tmp_path, body)
    whole = float(late).is_integer()
    assert types_of(result)["n"] in (("integer", "float") if whole else ("float",))
    assert rows[-1] == {"n": float(late), "m": 7}
    floats = types_of(result)["n"] == "float"
    assert [r["n"] for r in rows[:3]] == ([float(n) for n in ints[:3]] if floats else ints[:3])
    assert result.report.problem_count == 0


@pytest.mark.parametrize("rows", [40, 50_000])
def test_integers_past_2_to_the_53_stay_exact_in_or_after_the_sample(tmp_path: Path, rows: int) -> None:
    # integer columns are read as floats where that is exact; past 2**53 they are not
    ints = [i * 7 for i in range(rows)] + [2**53 + 1, -(2**62) - 3, 2**63 - 1]
    result, stored = run(tmp_path, b"n\n" + b"".join(b"%d\n" % n for n in ints))
    assert types_of(result) == {"n": "integer"}
    assert [r["n"] for r in stored] == ints


@pytest.mark.parametrize("rows", [40, 50_000])
@pytest.mark.parametrize("late", ["0x1A", "0b101", "0XFF"])
def test_hexadecimal_and_binary_integers_are_bad_values_not_numbers(
    tmp_path: Path, rows: int, late: str
) -> None:
    # DuckDB's integer cast reads "0x1A" as 26 and "0b101" as 5; in a data file they are codes
    body = b"n,m\n" + b"".join(b"%d,%d\n" % (i, i) for i in range(1, rows)) + f"{late},0\n".encode()
    result, stored = run(tmp_path, body)
    assert types_of(result)["n"] == "string"
    assert stored[-1]["n"] == late and stored[0]["n"] == "1"
    assert [(p.value, p.column, p.expected) for p in result.report.problems] == [(late, "n", "integer")]
    (tmp_path / "null").mkdir()
    result, stored = run(tmp_path / "null", body, bad_values="null")
    assert types_of(result)["n"] == "integer"
    assert stored[-1]["n"] is None and stored[-2]["n"] == rows - 1
    # one past 2**53 in the sample reads the column as text: the same rule holds there
    wide = b"n\n" + b"%d\n" % (2**60) + b"".join(b"%d\n" % i for i in range(1, rows)) + f"{late}\n".encode()
    (tmp_path / "wide").mkdir()
    result, stored = run(tmp_path / "wide", wide)
    assert types_of(result)["n"] == "string" and stored[-1]["n"] == late
    assert [p.value for p in result.report.problems] == [late]


@pytest.mark.parametrize(("rows", "word"), [(40, False), (30_000, False), (30_000, True)])
def test_a_csv_time_with_an_offset_is_its_utc_time_in_or_after_the_sample(
    tmp_path: Path, rows: int, word: bool
) -> None:
    # DuckDB's TIMESTAMP read and cast drop an offset: "10:00:00+02" was stored as 10:00. After
    # the sample, with a word too: the column a read refused is converted from its text.
    zoned = {
        "2024-01-05 10:00:00+02": dt.datetime(2024, 1, 5, 8),
        "2024-01-05T10:00:00-05:30": dt.datetime(2024, 1, 5, 15, 30),
        "2024-01-05 10:00:00.5+0100": dt.datetime(2024, 1, 5, 9, 0, 0, 500_000),
        "2024-01-05T10:00:00Z": dt.datetime(2024, 1, 5, 10),
    }
    naive = [dt.datetime(2024, 1, 1) + dt.timedelta(minutes=7 * i) for i in range(rows)]
    tail = ["oops"] if word else []
    body = (
        "t\n"
        + "".join(f"{v:%Y-%m-%d %H:%M:%S}\n" for v in naive)
        + "".join(f"{v}\n" for v in [*zoned, *tail])
    )
    result, stored = run(tmp_path, body.encode(), bad_values="null")
    assert types_of(result) == {"t": "datetime"}
    times = [r["t"] for r in stored]
    # a zone in the sample makes the column a zoned one (UTC); past it the column stays as sampled
    utc = [t.astimezone(dt.UTC).replace(tzinfo=None) if t is not None and t.tzinfo else t for t in times]
    assert utc == naive + list(zoned.values()) + ([None] if word else [])
    assert [p.value for p in result.report.problems] == tail


@pytest.mark.parametrize("rows", [40, 30_000])
@pytest.mark.parametrize("late", ["1", "0", "yes", "N"])
def test_only_true_false_t_and_f_are_booleans_in_or_after_the_sample(
    tmp_path: Path, rows: int, late: str
) -> None:
    # DuckDB's reader took 1/0, yes/no and y/n past the sample as booleans; in it they break the type
    body = "b\n" + "".join(("true\n", "F\n", "t\n")[i % 3] for i in range(rows)) + f"{late}\n"
    result, stored = run(tmp_path, body.encode(), bad_values="null")
    assert types_of(result) == {"b": "boolean"}
    assert [r["b"] for r in stored[:3]] == [True, False, True] and stored[-1]["b"] is None
    assert [(p.value, p.expected) for p in result.report.problems] == [(late, "boolean")]


def _json_body(records: list[dict[str, object]], fmt: str) -> bytes:
    lines = [orjson.dumps(r) for r in records]
    return b"\n".join(lines) + b"\n" if fmt == "jsonl" else b"[" + b",\n".join(lines) + b"]"


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
@pytest.mark.parametrize("rows", [40, 30_000])
def test_an_empty_json_string_is_missing_next_to_numbers_dates_and_booleans_and_text_among_text(
    tmp_path: Path, fmt: str, rows: int
) -> None:
    # a blank cell exported to JSON is "": as an empty CSV field, it is a missing value
    records = [
        {"n": i, "x": i + 0.5, "d": f"2024-01-{i % 28 + 1:02d}", "b": i % 2 == 0, "s": f"w{i}"}
        for i in range(rows)
    ]
    records.append({"n": "", "x": "", "d": "", "b": "", "s": ""})
    result, stored = run(tmp_path, _json_body(records, fmt), name=f"data.{fmt}")
    assert types_of(result) == {"n": "integer", "x": "float", "d": "date", "b": "boolean", "s": "string"}
    assert stored[-1] == {"n": None, "x": None, "d": None, "b": None, "s": ""}
    assert stored[0] == {"n": 0, "x": 0.5, "d": dt.date(2024, 1, 1), "b": True, "s": "w0"}
    assert result.report.problem_count == 0


@pytest.mark.parametrize("at", ["sample", "late"])
def test_a_cell_of_spaces_is_missing_next_to_numbers_dates_and_booleans_and_text_among_text(
    tmp_path: Path, at: str
) -> None:
    # a cell that looks empty (spaces, a tab) made a whole column of 30,000 numbers, dates or
    # booleans text, its "value" listed as a problem; it is a missing value, as an empty one is
    rows = 40 if at == "sample" else 30_000
    lines = [f"{i},{i}.5,2024-01-{i % 28 + 1:02d},{'true' if i % 2 else 'false'},w{i}" for i in range(rows)]
    blank = rows // 2 if at == "sample" else rows - 3
    lines[blank] = '   ,\t, ,"  ",  '
    body = ("n,x,d,b,s\n" + "\n".join(lines) + "\n").encode()
    result, stored = run(tmp_path, body)
    assert types_of(result) == {"n": "integer", "x": "float", "d": "date", "b": "boolean", "s": "string"}
    assert stored[blank] == {"n": None, "x": None, "d": None, "b": None, "s": "  "}
    assert stored[blank + 1] == {
        "n": blank + 1,
        "x": blank + 1.5,
        "d": dt.date(2024, 1, (blank + 1) % 28 + 1),
        "b": (blank + 1) % 2 == 1,
        "s": f"w{blank + 1}",
    }
    assert result.report.problem_count == 0
    assert any("'n'" in n and "1 value such as NA, N/A or blank" in n for n in result.report.notes)


def test_blank_cells_of_a_real_file_leave_its_coordinates_numbers(tmp_path: Path) -> None:
    # earthquake.csv has a few latitudes of spaces alone: those columns were text, so no map
    result, stored = run(tmp_path, CORPUS / "real" / "earthquake.csv", name="earthquake.csv")
    coordinates = [c for c in types_of(result) if c.endswith((", lat", ", lon"))]
    assert len(coordinates) == 12
    assert {types_of(result)[c] for c in coordinates} == {"float"}
    assert result.report.problem_count == 0
    with (CORPUS / "real" / "earthquake.csv").open(newline="") as f:
        written = list(csv.DictReader(f))
    assert len(written) == len(stored)
    for row, values in zip(stored, written, strict=True):
        for c in coordinates:
            text = values[c].strip()
            assert row[c] == (float(text) if text not in ("", "NA", "N/A", "None") else None), (c, values[c])


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
@pytest.mark.parametrize("rows", [40, 30_000])
def test_a_json_string_of_spaces_is_missing_next_to_numbers_dates_and_booleans_and_text_among_text(
    tmp_path: Path, fmt: str, rows: int
) -> None:
    records: list[dict[str, object]] = [
        {"n": i, "x": i + 0.5, "d": f"2024-01-{i % 28 + 1:02d}", "b": i % 2 == 0, "s": f"w{i}"}
        for i in range(rows)
    ]
    records.append({"n": "   ", "x": "\t", "d": " \r\n", "b": " ", "s": "  "})
    records.append({"n": " 1", "x": 2, "d": "2024-01-01", "b": True, "s": "\t"})
    result, stored = run(tmp_path, _json_body(records, fmt), name=f"data.{fmt}", bad_values="null")
    assert types_of(result) == {"n": "integer", "x": "float", "d": "date", "b": "boolean", "s": "string"}
    assert stored[-2] == {"n": None, "x": None, "d": None, "b": None, "s": "  "}
    assert stored[-1] == {"n": None, "x": 2.0, "d": dt.date(2024, 1, 1), "b": True, "s": "\t"}
    # a number written with a space is text, not a blank: still a value of another kind
    assert [(p.value, p.expected) for p in result.report.problems] == [(" 1", "integer")]


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
@pytest.mark.parametrize("rows", [40, 30_000])
def test_json_strings_of_numbers_dates_and_booleans_are_typed_as_csv_fields_are(
    tmp_path: Path, fmt: str, rows: int
) -> None:
    # APIs and exports often write numbers as strings ("45.47"): a column of such strings alone
    # is typed as the same column of a CSV file would be; codes with leading zeros stay text
    records: list[dict[str, object]] = [
        {
            "lat": f"{45 + i / 1000:.3f}",
            "n": str(i - 7),
            "day": f"{i % 12 + 1:02d}/{i % 28 + 1:02d}/2024",
            "ok": ("true", "false")[i % 2],
            "zip": f"{i % 100:05d}",
            "word": f"w{i}",
        }
        for i in range(rows)
    ]
    records[rows // 2] = {"lat": "NA", "n": "", "day": "  ", "ok": "N/A", "zip": "NA", "word": "NA"}
    result, stored = run(tmp_path, _json_body(records, fmt), name=f"data.{fmt}")
    assert types_of(result) == {
        "lat": "float",
        "n": "integer",
        "day": "date",
        "ok": "boolean",
        "zip": "string",
        "word": "string",
    }
    assert stored[0] == {
        "lat": 45.0,
        "n": -7,
        "day": dt.date(2024, 1, 1),
        "ok": True,
        "zip": "00000",
        "word": "w0",
    }
    assert stored[rows // 2] == {"lat": None, "n": None, "day": None, "ok": None, "zip": "NA", "word": "NA"}
    assert [r["lat"] for r in stored[-3:]] == [45 + i / 1000 for i in range(rows - 3, rows)]
    assert result.report.problem_count == 0
    assert any("'lat'" in n and "written as JSON strings" in n for n in result.report.notes)
    (tmp_path / "x").mkdir()
    result, _ = run(tmp_path / "x", _json_body([{"a": 1, **r} for r in records], fmt), name=f"a.{fmt}")
    assert types_of(result)["lat"] == "float"


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
@pytest.mark.parametrize("bad_values", ["text", "null"])
def test_a_word_among_json_strings_of_numbers_is_a_problem_as_in_csv(
    tmp_path: Path, fmt: str, bad_values: str
) -> None:
    records: list[dict[str, object]] = [{"x": f"{i}.5", "k": i} for i in range(30_000)]
    records[-2]["x"] = "six"
    result, stored = run(tmp_path, _json_body(records, fmt), name=f"data.{fmt}", bad_values=bad_values)
    assert [(p.row, p.column, p.value, p.expected) for p in result.report.problems] == [
        (29_999, "x", "six", "float")
    ]
    assert result.report.problem_count == 1
    if bad_values == "null":
        assert types_of(result)["x"] == "float"
        assert [r["x"] for r in stored[-3:]] == [29_997.5, None, 29_999.5]
    else:
        assert types_of(result)["x"] == "string"
        assert [r["x"] for r in stored[-3:]] == ["29997.5", "six", "29999.5"]


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_json_strings_next_to_numbers_stay_values_of_another_kind(tmp_path: Path, fmt: str) -> None:
    # only a column of strings alone is typed from their text: "12" among JSON numbers is listed
    records: list[dict[str, object]] = [{"x": i} for i in range(100)]
    records[50]["x"] = "12"
    result, _ = run(tmp_path, _json_body(records, fmt), name=f"data.{fmt}")
    assert types_of(result) == {"x": "string"}
    assert [(p.value, p.expected) for p in result.report.problems] == [("12", "integer")]


def test_iso_times_written_several_ways_keep_their_type_next_to_a_word(tmp_path: Path) -> None:
    # DuckDB types the column itself without the word; with it, one strptime format read one
    # way of writing the times only, so the others were misfits and the column was text, unlisted
    written = {
        "2024-01-05 10:00:00": dt.datetime(2024, 1, 5, 10),
        "2024-01-05T10:30:00": dt.datetime(2024, 1, 5, 10, 30),
        "2024-01-05 11:00:00.25": dt.datetime(2024, 1, 5, 11, 0, 0, 250_000),
        "2024-01-05T12:00:00+02:00": dt.datetime(2024, 1, 5, 10),
    }
    values = [v for v in written for _ in range(10)] + ["oops"]
    body = ("t\n" + "".join(f"{v}\n" for v in values)).encode()
    result, stored = run(tmp_path, body)
    assert types_of(result) == {"t": "string"}
    assert [(p.value, p.expected) for p in result.report.problems] == [("oops", "datetime")]
    (tmp_path / "null").mkdir()
    result, stored = run(tmp_path / "null", body, bad_values="null")
    assert types_of(result) == {"t": "datetime"}
    assert [r["t"] for r in stored] == [written[v] for v in values[:-1]] + [None]
