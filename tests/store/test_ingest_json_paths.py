"""JSON and JSON Lines: the Arrow path gives what the record-by-record path gives, or leaves the file to it.

The Arrow path pins the value kinds of the first records; every case here keeps those
records plain and puts something else far past them, where only the full check can see it.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import orjson
import pytest

from livegraphs_ext.store.errors import Cancelled, StoreError
from livegraphs_ext.store.ingest import json_ingest, json_plain
from livegraphs_ext.store.ingest.limits import Guard, IngestLimits

from .test_ingest_support import run

PLAIN = 2500  # more records than the sample holds


@pytest.fixture(autouse=True)
def _arrays_read_as_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    """Arrays of any size are rewritten as JSON Lines here, as big ones are."""
    monkeypatch.setattr(json_plain, "LINES_MIN_BYTES", 0)


def _record(i: int) -> dict[str, Any]:
    return {
        "id": i,
        "price": i / 4,
        "name": f"item {i}",
        "ok": i % 3 == 0,
        "day": f"2024-01-{i % 28 + 1:02d}",
        "at": f"2024-01-02T03:04:{i % 60:02d}",
        "utc": f"2024-01-02T03:04:{i % 60:02d}Z",
        "note": None if i % 7 else "x",
    }


def _body(late: list[bytes], fmt: str = "jsonl", at: int = PLAIN) -> bytes:
    lines = [orjson.dumps(_record(i)) for i in range(at)] + late + [orjson.dumps(_record(at + 1))]
    if fmt == "json":
        return b"[\n  " + b",\n  ".join(lines) + b"\n]\n"
    return b"\n".join(lines) + b"\n"


def _outcome(
    tmp_path: Path, body: bytes, monkeypatch: pytest.MonkeyPatch, fast: bool, fmt: str
) -> dict[str, Any]:
    used: list[bool] = []
    original = json_ingest.ingest_plain

    def spy(*args: Any, **kwargs: Any) -> Any:
        out = original(*args, **kwargs)
        used.append(out is not None)
        return out

    with monkeypatch.context() as m:
        m.setattr(json_ingest, "ingest_plain", spy)
        if not fast:
            m.setattr(json_ingest, "_ingest_plain", lambda *a, **k: None)
        try:
            result, rows = run(tmp_path, body, name=f"data.{fmt}")
        except StoreError as exc:
            return {"error": (type(exc).__name__, exc.status, exc.message), "arrow": any(used)}
    report = result.report
    return {
        "rows": rows,
        "columns": [(c.name, c.type, c.nulls, c.timezone) for c in result.columns],
        "problems": [p.to_json() for p in report.problems],
        "problem_count": report.problem_count,
        "notes": report.notes,
        "arrow": any(used),
    }


def _same(tmp_path: Path, body: bytes, monkeypatch: pytest.MonkeyPatch, fmt: str = "jsonl") -> dict[str, Any]:
    fast = _outcome(tmp_path, body, monkeypatch, True, fmt)
    exact = _outcome(tmp_path, body, monkeypatch, False, fmt)
    assert exact["arrow"] is False
    assert {k: v for k, v in fast.items() if k != "arrow"} == {k: v for k, v in exact.items() if k != "arrow"}
    return fast


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_a_plain_file_takes_the_arrow_path_with_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    out = _same(tmp_path, _body([], fmt), monkeypatch, fmt)
    assert out["arrow"] is True
    assert [c[:2] for c in out["columns"]] == [
        ("id", "integer"),
        ("price", "float"),
        ("name", "string"),
        ("ok", "boolean"),
        ("day", "date"),
        ("at", "datetime"),
        ("utc", "datetime"),
        ("note", "string"),
    ]
    assert out["columns"][-1][3] is None and out["columns"][-2][3] == "UTC"
    assert len(out["rows"]) == PLAIN + 1


LATE: dict[str, tuple[bytes, str]] = {
    # name: (a line far past the sample, what the exact path makes of it)
    "text in an integer column": (b'{"id": "n/a"}', "ok"),
    "a number as text in an integer column": (b'{"id": "12"}', "ok"),
    "a fraction in an integer column": (b'{"id": 1.5}', "ok"),
    "an exponent in an integer column": (b'{"id": 1e2}', "ok"),
    "a boolean in an integer column": (b'{"id": true}', "ok"),
    "an integer past 64 bits": (b'{"id": 123456789012345678901234567890}', "ok"),
    "a number as text in a float column": (b'{"price": "2.5"}', "ok"),
    "an integer as text in a float column": (b'{"price": "-3"}', "ok"),
    "a boolean in a float column": (b'{"price": false}', "ok"),
    "a number in a text column": (b'{"name": 5}', "ok"),
    "an object in a text column": (b'{"name": {"a": [1]}}', "ok"),
    "a date in a text column": (b'{"name": "2024-05-06"}', "ok"),
    "an invalid date in a date column": (b'{"day": "2024-02-30"}', "ok"),
    "a datetime in a date column": (b'{"day": "2024-02-03T04:05"}', "ok"),
    "an offset in a naive datetime column": (b'{"at": "2024-02-03T04:05:06+02:00"}', "ok"),
    "midnight as 24:00 in a datetime column": (b'{"at": "2024-02-03T24:00:00"}', "ok"),
    "year 0 in a date column": (b'{"day": "0000-01-01"}', "ok"),
    "text in a boolean column": (b'{"ok": "yes"}', "ok"),
    "a boolean as text in a boolean column": (b'{"ok": "true"}', "ok"),
    "a number in a boolean column": (b'{"ok": 1}', "ok"),
    "a new key": (b'{"extra": 1}', "ok"),
    "a new key that is only ever null": (b'{"extra": null}', "ok"),
    "a key in another case": (b'{"ID": 3}', "ok"),
    "a marker in a number column": (b'{"price": "NA"}', "ok"),
    "a marker in a date column": (b'{"day": "N/A"}', "ok"),
    "a marker in a text column": (b'{"name": "NA"}', "ok"),
    "a record after spaces": (b'  {"id": 7}', "ok"),
    "escapes and non-ASCII in a text column": ('{"name": "\\u6771\\u4eac \\"q\\"\\n é"}'.encode(), "ok"),
    "a value in a column null so far": (b'{"note": 5}', "ok"),
    "an empty record": (b"{}", "ok"),
    "a record of nulls": (b'{"id": null, "name": null}', "ok"),
    "a repeated key": (b'{"id": 1, "id": "two"}', "ok"),
    "NaN": (b'{"price": NaN}', "error"),
    "Infinity": (b'{"price": -Infinity}', "error"),
    "a number too big for a double": (b'{"price": 1e400}', "error"),
    "a null record": (b"null", "error"),
    "an array record": (b"[1, 2]", "error"),
    "a trailing comma": (b'{"id": 1,}', "error"),
    "a trailing comma before spaces": (b'{"id": 1 ,  }', "error"),
    "a trailing comma in a list": (b'{"name": [1, 2,]}', "error"),
    "a null record after spaces": (b"   null", "error"),
    "a lone surrogate": (b'{"name": "\\ud800"}', "error"),
    "two records on one line": (b'{"id": 1} {"id": 2}', "error"),
    "a comment": (b'{"id": 1} // one', "error"),
}


#: late lines that keep every column to one kind of value: the fast path takes them
STILL_PLAIN = {
    "a record after spaces",
    "an empty record",
    "a record of nulls",
    "a marker in a text column",
    "escapes and non-ASCII in a text column",
}


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
@pytest.mark.parametrize("name", list(LATE))
def test_a_late_surprise_gives_what_the_exact_path_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, fmt: str
) -> None:
    line, expected = LATE[name]
    out = _same(tmp_path, _body([line], fmt), monkeypatch, fmt)
    assert out["arrow"] is (name in STILL_PLAIN)
    assert ("error" in out) == (expected == "error")
    # and what the record reader makes of it, every record read by orjson
    with monkeypatch.context() as m:
        m.setattr(json_ingest, "_ingest_sql", lambda *a, **k: None)
        reference = _outcome(tmp_path, _body([line], fmt), monkeypatch, False, fmt)
    assert {k: v for k, v in out.items() if k != "arrow"} == {
        k: v for k, v in reference.items() if k != "arrow"
    }


def test_mostly_dates_after_a_sample_of_text_lists_the_text_as_problems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a type holds when at most 10% of the values break it (docs/uploads.md)
    lines = [orjson.dumps({"v": f"word {i}"}) for i in range(PLAIN)]
    lines += [orjson.dumps({"v": f"2024-03-{i % 28 + 1:02d}"}) for i in range(10 * PLAIN)]
    out = _same(tmp_path, b"\n".join(lines), monkeypatch)
    assert out["arrow"] is False
    assert out["columns"][0][1] == "string"
    assert out["problem_count"] == PLAIN
    assert out["problems"][0]["row"] == 1


@pytest.mark.parametrize(
    ("fmt", "body"),
    [
        ("jsonl", b'{"": 1, "b": 2}\n{"": 3, "b": 4}\n'),
        ("jsonl", b'{"A": 1, "a": 2}\n'),
        ("jsonl", b'{"a b": 1, "\\u00e9": "\\u00e9\\n"}\n'),
        ("jsonl", b'{"a": 1}\r\n{"a": 2}\r\n'),
        ("jsonl", b'{"a": []}\n'),
        ("jsonl", b'{"a": null}\n{"a": null}\n'),
        ("json", b'[{"": 1, "b": 2}, {"": 3, "b": 4}]'),
        ("json", b'[{"A": 1, "a": 2}]'),
        ("json", b'[{"a b": 1, "\\u00e9": "\\u00e9\\n", "c": 1.50, "d": -0}]'),
        ("json", b'\r\n[\r\n{"a":\r\n1}\r\n,\t{"a": 2} ]\r\n'),
        ("json", b'[{"a": "x, ]"}, {"a": "y"}]'),
        ("json", b'[{"a": 1}, {"a": 2}, ]'),
        ("json", b'[{"a": 1}, {"a": 2}] [{"a": 3}]'),
        ("json", b'[{"a": 1}, {"a": 2}'),
        ("json", b'{"rows": [{"a": 1}, {"a": 2}]}'),
    ],
)
def test_small_and_odd_files_give_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, body: bytes
) -> None:
    _same(tmp_path, body, monkeypatch, fmt)


def _lines(
    late: bytes = b"", sep: bytes = b",\n  ", lead: bytes = b"[\n  ", end: bytes = b"\n]\n", tail: bytes = b""
) -> bytes:
    """An array of plain records, a record to a line; ``late`` is one more record far past the
    sample, ``tail`` what follows the last record before ``end``."""
    records = [orjson.dumps(_record(i)) for i in range(PLAIN)] + ([late] if late else [])
    return lead + sep.join(records) + tail + end


def _formats_read(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[str]:
    """The formats ``module.name`` (a function of a path and a format) is called with, from now on."""
    formats: list[str] = []
    original = getattr(module, name)

    def spy(path: Path, fmt: str, *args: Any, **kwargs: Any) -> Any:
        formats.append(fmt)
        return original(path, fmt, *args, **kwargs)

    monkeypatch.setattr(module, name, spy)
    return formats


ARRAY_LAYOUTS: dict[str, tuple[bytes, list[str], int | str]] = {
    # name: (body, the plain reads it takes (of the copy as JSON Lines, of the array), the outcome:
    # rows read by the plain path, or "exact" for the exact path's rows, or "error")
    "a record to a line": (_lines(), ["newline_delimited"], PLAIN),
    "all on one line": (_lines(sep=b",", lead=b"[", end=b"]"), ["newline_delimited"], PLAIN),
    "two records to a line": (
        _lines(late=orjson.dumps(_record(1)) + b", " + orjson.dumps(_record(2))),
        ["newline_delimited"],
        PLAIN + 2,
    ),
    "tabs and carriage returns": (
        _lines(sep=b"\r\n\t,\t\r\n", lead=b"\t[", end=b"]\r\n"),
        ["newline_delimited"],
        PLAIN,
    ),
    "records over several lines": (
        b"[\n"
        + b",\n".join(orjson.dumps(_record(i), option=orjson.OPT_INDENT_2) for i in range(PLAIN))
        + b"\n]",
        ["array"],
        PLAIN,
    ),
    "a separator in a string": (
        _lines(late=b'{"id": 9, "name": "a}, {b"}'),
        ["newline_delimited", "array"],
        PLAIN + 1,
    ),
    "a separator in a string at the end": (
        _lines(late=b'{"id": 9, "name": "a},{"}'),
        ["newline_delimited", "array"],
        PLAIN + 1,
    ),
    "records in a record": (
        _lines(late=b'{"id": 9, "name": [{"a": 1}, {"a": 2}]}'),
        ["newline_delimited", "array"],
        "exact",
    ),
    "nine spaces around a comma": (
        _lines(tail=b"         ,         " + orjson.dumps(_record(3))),
        ["newline_delimited", "array"],
        PLAIN + 1,
    ),
    "no comma between two lines": (
        _lines(tail=b"\n  " + orjson.dumps(_record(3))),
        ["newline_delimited"],
        "error",
    ),
    "a trailing comma": (_lines(end=b",\n]\n"), ["newline_delimited", "array"], "error"),
    "a null record": (_lines(late=b"null"), ["newline_delimited", "array"], "error"),
    "text after the array": (_lines(end=b"\n] x"), ["array"], "error"),
    "no closing bracket": (_lines(end=b"\n"), ["array"], "error"),
}


@pytest.mark.parametrize("window", [61, json_plain.WINDOW])
@pytest.mark.parametrize("name", list(ARRAY_LAYOUTS))
def test_an_array_is_read_as_json_lines_only_when_its_copy_reads_as_the_array(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, window: int
) -> None:
    body, reads, outcome = ARRAY_LAYOUTS[name]
    monkeypatch.setattr(json_plain, "WINDOW", window)
    seen = _formats_read(monkeypatch, json_plain, "_read")
    out = _same(tmp_path, body, monkeypatch, "json")
    assert seen == reads
    if outcome == "error":
        assert "error" in out and out["arrow"] is False
    elif outcome == "exact":
        assert "error" not in out and out["arrow"] is False
    else:
        assert out["arrow"] is True and len(out["rows"]) == outcome
    assert not list(tmp_path.rglob("*.jsonl"))


EXACT_LAYOUTS: dict[str, tuple[bytes, list[str]]] = {
    # name: (body, the files the exact path types: the copy as JSON Lines, the array)
    "a value of another kind": (_lines(late=b'{"id": "n/a"}'), ["newline_delimited"]),
    "and a separator in a string": (_lines(late=b'{"id": "n/a", "name": "a}, {b"}'), ["array"]),
    "and no comma between two lines": (
        _lines(late=b'{"id": "n/a"}', tail=b"\n  " + orjson.dumps(_record(3))),
        ["newline_delimited", "array"],
    ),
}


@pytest.mark.parametrize("window", [61, json_plain.WINDOW])
@pytest.mark.parametrize("name", list(EXACT_LAYOUTS))
def test_the_exact_path_types_an_array_from_its_copy_when_it_reads_as_the_array(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, window: int
) -> None:
    body, typed = EXACT_LAYOUTS[name]
    monkeypatch.setattr(json_plain, "WINDOW", window)
    formats = _formats_read(monkeypatch, json_ingest, "_type_and_write")
    out = _outcome(tmp_path, body, monkeypatch, True, "json")
    assert formats == typed
    # the reference: every record read by orjson
    with monkeypatch.context() as m:
        m.setattr(json_ingest, "_ingest_sql", lambda *a, **k: None)
        reference = _outcome(tmp_path, body, monkeypatch, False, "json")
    assert out == reference
    if "comma" in name:
        assert "error" in out
    else:
        assert out["problem_count"] == 1 and out["problems"][0]["row"] == PLAIN + 1
    assert not list(tmp_path.rglob("*.jsonl"))


@pytest.mark.parametrize("over", [False, True])
@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_a_late_record_as_long_as_a_line_may_be_gives_the_exact_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, over: bool
) -> None:
    # the fast read takes a record as long as a line may be (json_plain.OBJECT_MAX); a longer
    # line is left to the exact path
    limit = IngestLimits().max_line_bytes
    name = "é" * ((limit + 64 if over else limit - 64) // 2)
    out = _same(tmp_path, _body([orjson.dumps({"id": 7, "name": name})], fmt), monkeypatch, fmt)
    assert out["arrow"] is not (over and fmt == "jsonl")
    if over and fmt == "jsonl":
        assert out["error"][:2] == ("TooLarge", 413)
        return
    # an array's records are not lines: one a little longer is still read, the same either way
    assert "error" not in out
    assert len(out["rows"]) == PLAIN + 2
    row = out["rows"][PLAIN]
    assert (row["id"], row["price"], row["name"]) == (7, None, name)


@pytest.mark.parametrize(("late", "staged"), [(b'{"price": "NA"}', False), (b'{"id": "n/a"}', True)])
def test_the_exact_path_stages_the_values_only_when_some_break_their_type(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, late: bytes, staged: bool
) -> None:
    # a marker is no problem: the file is typed in one read and written in a second; a value
    # that breaks its column's type needs row numbers, so the values are staged first
    written: list[str] = []
    original = json_ingest.run_copy

    def spy(con: Any, sql: str, dest: Path, *args: Any) -> Any:
        written.append(dest.name)
        return original(con, sql, dest, *args)

    monkeypatch.setattr(json_ingest, "run_copy", spy)
    out = _outcome(tmp_path, _body([late]), monkeypatch, True, "jsonl")
    assert out["arrow"] is False
    assert written == (["values.parquet", "out.parquet"] if staged else ["out.parquet"])
    if staged:
        assert out["problems"] == [{"row": PLAIN + 1, "column": "id", "value": "n/a", "expected": "integer"}]
        assert out["columns"][0][1] == "string" and out["rows"][PLAIN]["id"] == "n/a"
    else:
        assert out["problems"] == [] and out["rows"][PLAIN]["price"] is None
        assert out["columns"][1][1] == "float"


@pytest.mark.parametrize(("late", "error"), [(b'{"id": "n/a"}', False), (b'{"id": "n/a",}', True)])
def test_the_bytes_are_searched_once_when_the_plain_path_gives_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, late: bytes, error: bool
) -> None:
    # what the plain path's search found (a trailing comma or not) decides for the exact path too
    searched: list[bool] = []
    original = json_plain.lenient

    def spy(*args: Any) -> bool:
        searched.append(original(*args))
        return searched[-1]

    monkeypatch.setattr(json_plain, "lenient", spy)
    monkeypatch.setattr(json_ingest, "lenient", spy)
    out = _outcome(tmp_path, _body([late]), monkeypatch, True, "jsonl")
    assert searched == [error]
    assert ("error" in out) is error


@pytest.mark.parametrize(
    ("body", "suspect"),
    [
        (b'{"a": 1}\n{"a": 2}\n', False),
        (b'  {"a": 1, "b": 2 }\n\n\r\n {"a": 2}  \r\n  ', False),
        (b'{"a": 1}', False),
        (b"", False),
        (b'{"a": 1,}\n', True),
        (b'{"a": [1, 2 , ]}\n', True),
        (b'{"a": 1 ,\t\r\n }\n', True),
        (b'{"a": 1}\nnull\n', True),
        (b'{"a": 1}\n \t null', True),
        (b"null\n", True),
        (b'{"a": 1}\n[1]\n', True),
        (b'{"a": 1} {"a": 2}\n"x"\n', True),
        # as long a run of whitespace as the search steps over, and a longer one; or a comma and
        # "}" in a string
        (b'{"a": 1}\n' + b" " * json_plain.WS_REACH + b'{"a": 2}\n' + b" " * json_plain.WS_REACH, False),
        (b'{"a": 1}\n' + b" " * (json_plain.WS_REACH + 1) + b'{"a": 2}\n', True),
        (b'{"a": "x,}"}\n', True),
    ],
)
@pytest.mark.parametrize("window", [3, json_plain.WINDOW])
def test_the_json_lines_search_finds_trailing_commas_and_lines_that_are_not_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: bytes, suspect: bool, window: int
) -> None:
    # windows of 3 bytes put every "}" and newline next to a window's edge
    monkeypatch.setattr(json_plain, "WINDOW", window)
    path = tmp_path / "data.jsonl"
    path.write_bytes(body)
    assert json_plain.lenient(path, "newline_delimited", Guard(60, None)) is suspect


def test_the_json_lines_search_stops_when_the_upload_is_cancelled(tmp_path: Path) -> None:
    # the search maps the file: a cancel is raised as such, and the map is let go
    path = tmp_path / "data.jsonl"
    path.write_bytes(b'{"a": 1}\n' * 1000)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        json_plain.lenient(path, "newline_delimited", Guard(60, cancel))


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
@pytest.mark.parametrize("late", ["none", "word", "number"])
def test_columns_of_strings_are_typed_alike_on_every_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, late: str
) -> None:
    # numbers written as strings: the plain path, the exact path in DuckDB and the record reader
    # type them as a CSV file's column, with the same problems; a JSON number among them is not
    # a string, so that column is typed by its kinds (the number is text)
    def record(i: int) -> dict[str, Any]:
        return {"lat": f"{45 + i / 1000:.3f}", "code": f"{i % 50:04d}", "name": f"item {i}"}

    surprise = {"none": [], "word": [b'{"lat": "north", "code": "0001", "name": "x"}']}
    surprise["number"] = [b'{"lat": 12.5, "code": "0001", "name": "x"}']
    lines = [orjson.dumps(record(i)) for i in range(PLAIN)] + surprise[late] + [orjson.dumps(record(PLAIN))]
    body = b"\n".join(lines) + b"\n" if fmt == "jsonl" else b"[\n  " + b",\n  ".join(lines) + b"\n]\n"
    out = _same(tmp_path, body, monkeypatch, fmt)
    with monkeypatch.context() as m:
        m.setattr(json_ingest, "_ingest_sql", lambda *a, **k: None)
        reference = _outcome(tmp_path, body, monkeypatch, False, fmt)
    assert {k: v for k, v in out.items() if k != "arrow"} == {
        k: v for k, v in reference.items() if k != "arrow"
    }
    types = {name: kind for name, kind, _, _ in out["columns"]}
    assert types == {"lat": "float" if late == "none" else "string", "code": "string", "name": "string"}
    if late == "none":
        assert [r["lat"] for r in out["rows"][:2]] == [45.0, 45.001] and out["problem_count"] == 0
    elif late == "word":
        assert [(p["row"], p["value"], p["expected"]) for p in out["problems"]] == [
            (PLAIN + 1, "north", "float")
        ]
    else:
        # a text column holding one number: its JSON text, as before
        assert out["problem_count"] == 0 and out["rows"][PLAIN]["lat"] == "12.5"
