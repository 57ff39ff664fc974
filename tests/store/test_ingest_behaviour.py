"""What an upload turns into: formats, encodings, types, names, problems and limits."""

from __future__ import annotations

import datetime as dt
import gzip
import threading
import time
from pathlib import Path

import orjson
import pytest

from livegraphs_ext.store.errors import BadInput, Cancelled, TimedOut, TooLarge, Unsupported
from livegraphs_ext.store.ingest import IngestLimits, ingest_file

from .test_ingest_support import run, run_error, types_of

MIXED = b"id,price,name,when,flag\n1,2.5,apple,2024-01-02 10:00:00,true\n2,,pear,2024-01-03 11:30:00,false\n"


def test_csv_columns_get_the_types_a_person_expects(tmp_path: Path) -> None:
    result, rows = run(tmp_path, MIXED)
    assert types_of(result) == {
        "id": "integer",
        "price": "float",
        "name": "string",
        "when": "datetime",
        "flag": "boolean",
    }
    assert rows[1] == {
        "id": 2,
        "price": None,
        "name": "pear",
        "when": dt.datetime(2024, 1, 3, 11, 30),
        "flag": False,
    }
    assert [c.nulls for c in result.columns] == [0, 1, 0, 0, 0]
    assert result.report.format == "csv"
    assert result.report.delimiter == ","
    assert result.report.header is True
    assert result.report.line_ending == "LF"


def test_codes_with_leading_zeros_stay_text(tmp_path: Path) -> None:
    result, rows = run(tmp_path, b"zip,agent\n01234,007\n02139,012\n")
    assert types_of(result) == {"zip": "string", "agent": "string"}
    assert rows[0] == {"zip": "01234", "agent": "007"}


def test_only_true_false_words_make_booleans(tmp_path: Path) -> None:
    result, _ = run(tmp_path, b"a,b,c\ntrue,yes,T\nfalse,no,f\n")
    assert types_of(result) == {"a": "boolean", "b": "string", "c": "boolean"}


def test_dates_in_common_formats_become_dates(tmp_path: Path) -> None:
    result, rows = run(tmp_path, b"d,iso\n1/18/2018,2018-01-18\n12/31/2019,2019-12-31\n")
    assert types_of(result) == {"d": "date", "iso": "date"}
    assert rows[1] == {"d": dt.date(2019, 12, 31), "iso": dt.date(2019, 12, 31)}


def test_zoned_timestamps_are_stored_in_utc(tmp_path: Path) -> None:
    result, rows = run(tmp_path, b"t\n2020-01-01T10:00:00+02:00\n2020-01-01T10:00:00Z\n")
    (col,) = result.columns
    assert (col.type, col.timezone) == ("datetime", "UTC")
    assert rows[0]["t"] == dt.datetime(2020, 1, 1, 8, 0, tzinfo=dt.timezone.utc)


def test_a_late_value_that_breaks_the_type_makes_the_column_text_and_is_reported(tmp_path: Path) -> None:
    body = b"n,m\n" + b"".join(b"%d,%d\n" % (i, i) for i in range(50_000)) + b"oops,7\n"
    result, rows = run(tmp_path, body, limits=IngestLimits(max_problems=5))
    assert result.rows == 50_001
    assert types_of(result) == {"n": "string", "m": "integer"}
    assert rows[-1] == {"n": "oops", "m": 7}
    assert result.report.problem_count == 1
    (problem,) = result.report.problems
    assert (problem.row, problem.column, problem.value, problem.expected) == (50_001, "n", "oops", "integer")


def test_a_mostly_numeric_column_lists_its_outliers(tmp_path: Path) -> None:
    lines = [b"%d" % i if i % 500 else b"n/a" for i in range(1, 2001)]
    result, _ = run(tmp_path, b"v\n" + b"\n".join(lines) + b"\n", limits=IngestLimits(max_problems=2))
    assert types_of(result) == {"v": "string"}
    assert result.report.problem_count == 4
    assert [(p.row, p.value) for p in result.report.problems] == [(500, "n/a"), (1000, "n/a")]


def test_empty_fields_are_nulls(tmp_path: Path) -> None:
    result, rows = run(tmp_path, b'a,b\nx,\n,""\n')
    assert rows == [{"a": "x", "b": None}, {"a": None, "b": None}]
    assert [c.nulls for c in result.columns] == [1, 2]


def test_column_names_are_kept_but_empty_and_repeated_ones_renamed(tmp_path: Path) -> None:
    result, _ = run(tmp_path, b'"<b>x</b>",,a,a,A," sp ace "\n1,2,3,4,5,6\n')
    assert [c.name for c in result.columns] == ["<b>x</b>", "column_2", "a", "a_2", "A_3", " sp ace "]


def test_header_is_not_guessed_when_the_first_row_is_data(tmp_path: Path) -> None:
    result, _rows = run(tmp_path, b"1,2.5,2020-01-01\n2,3.5,2020-01-02\n")
    assert result.report.header is False
    assert [c.name for c in result.columns] == ["column_1", "column_2", "column_3"]
    assert result.rows == 2


def test_header_only_gives_an_empty_text_dataset(tmp_path: Path) -> None:
    result, rows = run(tmp_path, b"a,b,c\n")
    assert rows == []
    assert types_of(result) == {"a": "string", "b": "string", "c": "string"}


@pytest.mark.parametrize("delim", [b";", b"\t", b"|", b":", b"^"])
def test_any_common_delimiter_is_found(tmp_path: Path, delim: bytes) -> None:
    body = delim.join([b"a", b"b", b"c"]) + b"\n" + delim.join([b"1", b"x,y", b"3"]) + b"\n"
    result, rows = run(tmp_path, body)
    assert result.report.delimiter == delim.decode()
    assert rows == [{"a": 1, "b": "x,y", "c": 3}]


@pytest.mark.parametrize(
    ("header", "values", "expected"),
    [
        # a column of times holds ":", one of names ",", one of codes "|" or "~": none splits the header
        (b"at", [b"2024-01-0%d 10:15:00" % d for d in range(1, 9)], "datetime"),
        (b"name", [b"Smith, Ann", b"Doe, Bo", b"Li, Cy", b"Ng, Di"], "string"),
        (b"code", [b"A|1", b"B|2", b"C|3"], "string"),
        (b"path", [b"~/a", b"~/b"], "string"),
    ],
)
def test_one_column_whose_values_hold_a_delimiter_is_one_column(
    tmp_path: Path, header: bytes, values: list[bytes], expected: str
) -> None:
    result, rows = run(tmp_path, header + b"\n" + b"\n".join(values) + b"\n")
    assert types_of(result) == {header.decode(): expected}
    assert len(rows) == len(values)
    if expected == "string":
        assert [r[header.decode()] for r in rows] == [v.decode() for v in values]
    else:
        assert rows[0] == {"at": dt.datetime(2024, 1, 1, 10, 15)}


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("name,city\nJosé,Zürich\n".encode(), "utf-8"),
        (b"\xef\xbb\xbf" + "name,city\nJosé,Zürich\n".encode(), "utf-8-sig"),
        (b"\xff\xfe" + "name,city\nJosé,Zürich\n".encode("utf-16-le"), "utf-16-le"),
        (b"\xfe\xff" + "name,city\nJosé,Zürich\n".encode("utf-16-be"), "utf-16-be"),
        ("name,city\nJosé,Zürich\n".encode("latin-1"), "cp1252"),
    ],
)
def test_encodings_are_read_to_the_same_text(tmp_path: Path, data: bytes, encoding: str) -> None:
    result, rows = run(tmp_path, data)
    assert rows == [{"name": "José", "city": "Zürich"}]
    assert result.report.encoding == encoding


def test_windows_1252_punctuation_is_decoded(tmp_path: Path) -> None:
    _, rows = run(tmp_path, b"q\n\x93quoted\x94 \x80 5\n")
    assert rows == [{"q": "\u201cquoted\u201d \u20ac 5"}]


@pytest.mark.parametrize(("eol", "name"), [(b"\n", "LF"), (b"\r\n", "CRLF"), (b"\r", "CR")])
def test_line_ends(tmp_path: Path, eol: bytes, name: str) -> None:
    result, rows = run(tmp_path, eol.join([b"a,b", b"1,2", b"3,4"]) + eol)
    assert result.report.line_ending == name
    assert rows == [{"a": 1, "b": 2}, {"a": 3, "b": 4}]


def test_gzip_is_read_and_reported(tmp_path: Path) -> None:
    result, rows = run(tmp_path, gzip.compress(MIXED), name="x.csv.gz", content_type="application/gzip")
    assert result.report.compression == "gzip"
    assert len(rows) == 2


def test_decompressed_size_is_capped(tmp_path: Path) -> None:
    body = gzip.compress(b"a,b\n" + b"1,2\n" * 100_000)
    err = run_error(tmp_path, body, limits=IngestLimits(max_decompressed_bytes=10_000))
    assert isinstance(err, TooLarge)
    assert err.status == 413


def test_too_many_columns_names_the_count(tmp_path: Path) -> None:
    header = b",".join(b"c%d" % i for i in range(30))
    err = run_error(
        tmp_path, header + b"\n" + b",".join([b"1"] * 30) + b"\n", limits=IngestLimits(max_columns=20)
    )
    assert isinstance(err, BadInput)
    assert "30" in err.message


def test_long_lines_are_refused_before_parsing(tmp_path: Path) -> None:
    err = run_error(tmp_path, b"a\n" + b"x" * 5000 + b"\n", limits=IngestLimits(max_line_bytes=1000))
    assert isinstance(err, TooLarge)


def test_ragged_rows_name_their_lines(tmp_path: Path) -> None:
    err = run_error(tmp_path, b"a,b,c\n1,2,3\n4,5\n6,7,8\n9,10,11,12\n")
    assert isinstance(err, BadInput)
    assert "3" in err.message and "5" in err.message
    assert [p.expected for p in err.errors] == ["line 3: 3 fields", "line 5: 3 fields"]


def test_ragged_rows_beyond_the_sample_are_found_by_the_full_read(tmp_path: Path) -> None:
    body = b"a,b\n" + b"1,2\n" * 400_000 + b"3,4,5\n"
    err = run_error(tmp_path, body)
    assert isinstance(err, BadInput)
    assert "400002" in err.message


def test_png_disguised_as_csv_is_unsupported(tmp_path: Path) -> None:
    err = run_error(tmp_path, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10)
    assert isinstance(err, Unsupported)
    assert err.status == 415


def test_json_array_of_records(tmp_path: Path) -> None:
    data = [{"a": 1, "b": "x", "c": 1.5, "d": True, "e": "2024-01-02", "f": {"n": [1]}}, {"a": 2, "b": None}]
    result, rows = run(tmp_path, orjson.dumps(data), name="x.json")
    assert types_of(result) == {
        "a": "integer",
        "b": "string",
        "c": "float",
        "d": "boolean",
        "e": "date",
        "f": "string",
    }
    assert rows[0]["f"] == '{"n":[1]}'
    assert rows[1] == {"a": 2, "b": None, "c": None, "d": None, "e": None, "f": None}
    assert [c.nulls for c in result.columns] == [0, 1, 1, 1, 1, 1]
    assert result.report.format == "json"


def test_json_lines(tmp_path: Path) -> None:
    body = b'{"a": 1, "t": "2024-01-02T03:04:05Z"}\n\n{"a": 2, "t": "2024-01-02T05:04:05+02:00"}\n'
    result, rows = run(tmp_path, body, name="x.jsonl")
    assert result.report.format == "jsonl"
    assert types_of(result) == {"a": "integer", "t": "datetime"}
    assert rows[1]["t"] == dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)


def test_json_object_holding_an_array_says_which_key_was_used(tmp_path: Path) -> None:
    body = orjson.dumps({"meta": {"v": 1}, "rows": [{"a": 1}, {"a": 2}], "more": [{"b": 1}]})
    result, rows = run(tmp_path, body, name="x.json")
    assert rows == [{"a": 1}, {"a": 2}]
    assert any("'rows'" in n and "'more'" in n for n in result.report.notes)


def test_json_mixed_column_becomes_text_with_problems(tmp_path: Path) -> None:
    data = [{"v": i} for i in range(1, 100)] + [{"v": "n/a"}]
    result, rows = run(tmp_path, orjson.dumps(data), name="x.json")
    assert types_of(result) == {"v": "string"}
    assert rows[0] == {"v": "1"}
    assert result.report.problem_count == 1
    assert result.report.problems[0].row == 100


def test_json_array_of_scalars_holds_no_table(tmp_path: Path) -> None:
    err = run_error(tmp_path, b"[1, 2, 3]", name="x.json")
    assert isinstance(err, BadInput)
    assert "no table" in err.message


def test_big_json_array_is_streamed(tmp_path: Path) -> None:
    src = tmp_path / "big.json"
    with src.open("wb") as f:
        f.write(b"[")
        f.write(b",".join(orjson.dumps({"i": i, "s": 'a,"]}[{ ' + str(i)}) for i in range(200_000)))
        f.write(b"]")
    result, rows = run(tmp_path, src, name="big.json")
    assert result.rows == 200_000
    assert rows[-1] == {"i": 199_999, "s": 'a,"]}[{ 199999'}


def test_cancel_stops_the_ingest(tmp_path: Path) -> None:
    cancel = threading.Event()
    cancel.set()
    work = tmp_path / "w"
    work.mkdir()
    (tmp_path / "a.csv").write_bytes(MIXED)
    with pytest.raises(Cancelled):
        ingest_file(tmp_path / "a.csv", tmp_path / "o.parquet", work_dir=work, cancel=cancel)
    assert list(work.iterdir()) == []
    assert not (tmp_path / "o.parquet").exists()


def test_cancel_interrupts_a_running_read(tmp_path: Path) -> None:
    src = tmp_path / "a.csv"
    with src.open("wb") as f:
        f.write(b"a,b,c\n")
        for _ in range(40):
            f.write(b"123,4.5,hello world\n" * 100_000)
    cancel = threading.Event()
    work = tmp_path / "w"
    work.mkdir()

    def cancel_once_duckdb_runs() -> None:
        deadline = time.monotonic() + 30
        while not list(work.glob("ingest-*/spill")) and time.monotonic() < deadline:
            time.sleep(0.005)
        cancel.set()

    canceller = threading.Thread(target=cancel_once_duckdb_runs)
    canceller.start()
    started = time.monotonic()
    with pytest.raises(Cancelled):
        ingest_file(src, tmp_path / "o.parquet", work_dir=work, cancel=cancel)
    canceller.join()
    assert time.monotonic() - started < 5
    assert list(work.iterdir()) == []
    assert not (tmp_path / "o.parquet").exists()


def test_time_limit_gives_408(tmp_path: Path) -> None:
    err = run_error(tmp_path, MIXED, limits=IngestLimits(time_limit=0))
    assert isinstance(err, TimedOut)
    assert err.status == 408
