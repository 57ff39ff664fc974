"""Hostile and malformed uploads, generated at test time.

Each one must give either a dataset whose rows are exactly the expected ones, or a 4xx
StoreError, and never another exception; nothing may be left in the scratch folder and
``dest`` must be absent after a failure.
"""

from __future__ import annotations

import gzip
import io
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from livegraphs_ext.store.errors import StoreError
from livegraphs_ext.store.ingest import IngestLimits

from .test_ingest_support import run

ERROR = -1  # the upload must be refused with a 4xx


def _png() -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.csv", "a,b\n1,2\n")
    return buf.getvalue()


def _bomb() -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9) as g:
        chunk = b"a,b\n" + b"1,2\n" * (2**20 // 4)
        for _ in range(300):  # 300 MiB of text from about 300 kB
            g.write(chunk)
    return buf.getvalue()


def _zero_bomb() -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9) as g:
        zeros = bytes(2**20)
        for _ in range(200):
            g.write(zeros)
    return buf.getvalue()


def _wide(n: int) -> bytes:
    return (",".join(f"c{i}" for i in range(n)) + "\n" + ",".join("1" for _ in range(n)) + "\n").encode()


#: name -> (bytes maker, filename, expected rows or ERROR)
CASES: dict[str, tuple[Callable[[], bytes], str, int]] = {
    "empty": (lambda: b"", "a.csv", ERROR),
    "whitespace only": (lambda: b"  \n\n \r\n", "a.csv", ERROR),
    "bom only": (lambda: b"\xef\xbb\xbf", "a.csv", ERROR),
    "utf16 bom only": (lambda: b"\xff\xfe", "a.csv", ERROR),
    "header only": (lambda: b"a,b,c\n", "a.csv", 0),
    "header only no newline": (lambda: b"a,b,c", "a.csv", 0),
    "ragged short row": (lambda: b"a,b,c\n1,2,3\n4,5\n", "a.csv", ERROR),
    "ragged long row": (lambda: b"a,b\n1,2\n3,4,5\n", "a.csv", ERROR),
    "ragged everywhere": (lambda: b"a,b,c\n1\n1,2\n1,2,3,4\n", "a.csv", ERROR),
    "unterminated quote": (lambda: b'a,b\n1,"never closed\n2,3\n', "a.csv", ERROR),
    "unterminated quote at end": (lambda: b'a,b\n1,2\n3,"x', "a.csv", ERROR),
    # a quote inside an unquoted field is kept as written, as DuckDB and Python's csv agree
    "stray quote in field": (lambda: b'a,b\n1,x"y\n', "a.csv", 1),
    "nul bytes in bulk": (lambda: b"a,b\n" + bytes(5000), "a.csv", ERROR),
    "one nul byte": (lambda: b"a,b\n1,2\x003\n", "a.csv", ERROR),
    "png as csv": (_png, "a.csv", ERROR),
    "zip as csv": (_zip, "a.csv", ERROR),
    "pdf as csv": (lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "a.csv", ERROR),
    "gif as csv": (lambda: b"GIF89a" + bytes(range(256)), "a.csv", ERROR),
    "elf as csv": (lambda: b"\x7fELF\x02\x01\x01" + bytes(100), "a.csv", ERROR),
    "sqlite as csv": (lambda: b"SQLite format 3\x00" + bytes(100), "a.csv", ERROR),
    "parquet as csv": (lambda: b"PAR1" + bytes(range(256)), "a.csv", ERROR),
    "random binary": (lambda: bytes((i * 7919 + 13) % 256 for i in range(20000)), "a.csv", ERROR),
    "gzip inside gzip": (lambda: gzip.compress(gzip.compress(b"a,b\n1,2\n")), "a.csv.gz", ERROR),
    "truncated gzip": (lambda: gzip.compress(b"a,b\n" + b"1,2\n" * 1000)[:-30], "a.csv.gz", ERROR),
    "corrupt gzip": (lambda: b"\x1f\x8b\x08\x00" + bytes(range(200)), "a.csv.gz", ERROR),
    "gzip bomb of text": (_bomb, "a.csv.gz", ERROR),
    "gzip bomb of zeros": (_zero_bomb, "a.csv.gz", ERROR),
    "two gzip members": (lambda: gzip.compress(b"a,b\n1,2\n") + gzip.compress(b"3,4\n"), "a.csv.gz", 2),
    "50 MB single line": (lambda: b"a\n" + b"x" * (50 * 2**20) + b"\n", "a.csv", ERROR),
    "20,000 columns": (lambda: _wide(20_000), "a.csv", ERROR),
    "2,000 columns": (lambda: _wide(2000), "a.csv", 1),
    "lone CR": (lambda: b"a,b\r1,2\r3,4\r", "a.csv", 2),
    "mixed line ends": (lambda: b"a,b\r\n1,2\n3,4\r5,6\r\n", "a.csv", 3),
    "utf8 bom": (lambda: b"\xef\xbb\xbfa,b\n1,2\n", "a.csv", 1),
    "utf16le bom": (lambda: "a,b\n1,é\n".encode("utf-16"), "a.csv", 1),
    "utf16be bom": (lambda: b"\xfe\xff" + "a,b\n1,é\n".encode("utf-16-be"), "a.csv", 1),
    "utf16 without bom": (lambda: "a,b\n1,2\n3,4\n".encode("utf-16-le"), "a.csv", 2),
    "odd-length utf16": (lambda: b"\xff\xfe" + "a,b\n1,2\n".encode("utf-16-le") + b"\x00", "a.csv", ERROR),
    "utf32 bom": (lambda: "a,b\n".encode("utf-32"), "a.csv", ERROR),
    "latin-1": (lambda: "nom,ville\nJosé,Besançon\n".encode("latin-1"), "a.csv", 1),
    "mixed encodings": (lambda: "a\nJosé\n".encode() + "Zoë\n".encode("latin-1"), "a.csv", 2),
    "truncated utf8 at end": (lambda: b"a\n\xc3", "a.csv", 1),
    "csv injection values": (lambda: b"a,b\n=cmd|' /C calc'!A0,@SUM(1)\n+1,-1+1\n", "a.csv", 2),
    "html in names": (lambda: b'"<img src=x onerror=alert(1)>",<script>\n1,2\n', "a.csv", 1),
    "duplicate names": (lambda: b"a,a,a\n1,2,3\n", "a.csv", 1),
    "empty names": (lambda: b",,\n1,2,3\n", "a.csv", 1),
    "quote in name": (lambda: b'"a""b",c\'d\n1,2\n', "a.csv", 1),
    "huge integers": (lambda: b"n\n123456789012345678901234567890\n-99999999999999999999999\n", "a.csv", 2),
    "huge float text": (lambda: b"n\n1e400\n-1e400\n", "a.csv", 2),
    "nan and inf text": (lambda: b"n\nNaN\ninf\n-Infinity\n1.5\n", "a.csv", 4),
    "comment-like lines": (lambda: b"a,b\n#1,2\n3,4\n", "a.csv", 2),
    "blank lines between": (lambda: b"a,b\n1,2\n\n\n3,4\n", "a.csv", 2),
    "only delimiters": (lambda: b",,,\n,,,\n", "a.csv", 1),
    "single column with commas in quotes": (lambda: b'a\n"x,y"\n"z"\n', "a.csv", 2),
    "quoted newlines": (lambda: b'a,b\n"1\n2",3\n"4\r\n5",6\n', "a.csv", 2),
    "very long field under the limit": (lambda: b"a,b\n" + b"x" * 3_000_000 + b",1\n", "a.csv", 1),
    "json 100k deep arrays": (lambda: b"[" * 100_000 + b"]" * 100_000, "a.json", ERROR),
    "json 100k deep unclosed": (lambda: b"[" * 100_000, "a.json", ERROR),
    "json 5k deep objects": (lambda: b'{"a":' * 5000 + b"1" + b"}" * 5000, "a.json", ERROR),
    "json deep inside a record": (lambda: b'[{"a":' + b"[" * 50_000 + b"]" * 50_000 + b"}]", "a.json", ERROR),
    "json NaN": (lambda: b'[{"a": NaN}]', "a.json", ERROR),
    "json Infinity": (lambda: b'[{"a": Infinity}]', "a.json", ERROR),
    "json 1e400": (lambda: b'[{"a": 1e400}]', "a.json", ERROR),
    "json big integer": (lambda: b'[{"a": 123456789012345678901234567890}]', "a.json", 1),
    "json trailing comma": (lambda: b'[{"a": 1},]', "a.json", ERROR),
    "json comments": (lambda: b'[{"a": 1} /* x */]', "a.json", ERROR),
    "json single quotes": (lambda: b"[{'a': 1}]", "a.json", ERROR),
    "json garbage after": (lambda: b'[{"a": 1}] x', "a.json", ERROR),
    "json two documents": (lambda: b'[{"a": 1}][{"a": 2}]', "a.json", ERROR),
    "json duplicate keys": (lambda: b'[{"a": 1, "a": 2}]', "a.json", 1),
    "json 200k keys": (
        lambda: orjson.dumps([{f"k{i}": i for i in range(200_000)}]),
        "a.json",
        ERROR,
    ),
    "json scalars": (lambda: b"[1, 2, 3]", "a.json", ERROR),
    "json mixed records and scalars": (lambda: b'[{"a": 1}, 2]', "a.json", ERROR),
    "json empty array": (lambda: b"[]", "a.json", ERROR),
    "json empty objects": (lambda: b"[{}, {}]", "a.json", ERROR),
    "json empty key": (lambda: b'[{"": 1, "b": 2}]', "a.json", 1),
    "json lone surrogate": (lambda: b'[{"a": "\\ud800"}]', "a.json", ERROR),
    "json invalid utf8": (lambda: b'[{"a": "\xff"}]', "a.json", ERROR),
    "json utf16": (lambda: '[{"a": "é"}]'.encode("utf-16"), "a.json", 1),
    "json nested values": (lambda: b'[{"a": {"b": [1, {"c": null}]}}]', "a.json", 1),
    "json lines with a bad line": (lambda: b'{"a": 1}\n{"a": \n{"a": 3}\n', "a.jsonl", ERROR),
    "json lines with an array line": (lambda: b'{"a": 1}\n[1]\n', "a.jsonl", ERROR),
    "json lines with CR": (lambda: b'{"a": 1}\r{"a": 2}\r', "a.jsonl", 2),
    "json with html keys": (lambda: b'[{"<script>alert(1)</script>": "<b>x</b>"}]', "a.json", 1),
    "json sent as csv": (lambda: b'[{"a": 1}, {"a": 2}]', "a.csv", 2),
    "csv sent as json": (lambda: b"a,b\n1,2\n", "a.json", 1),
}


def test_there_are_at_least_fifty_hostile_inputs() -> None:
    assert len(CASES) >= 50


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_input(tmp_path: Path, name: str) -> None:
    make, filename, expected = CASES[name]
    data = make()
    started = time.monotonic()
    try:
        result, rows = run(tmp_path, data, name=filename, limits=IngestLimits(time_limit=60))
    except StoreError as exc:
        assert 400 <= exc.status < 500, exc
        assert exc.message
        assert expected == ERROR, f"refused: {exc.message}"
        assert not (tmp_path / "out.parquet").exists()
    else:
        assert expected != ERROR, f"accepted with {result.rows} rows"
        assert result.rows == len(rows) == expected
        assert all(
            c.type in ("integer", "float", "boolean", "date", "datetime", "string") for c in result.columns
        )
    assert list((tmp_path / "work").iterdir()) == []
    assert time.monotonic() - started < 20


def test_a_one_megabyte_gzip_bomb_is_refused_fast(tmp_path: Path) -> None:
    data = _bomb()
    assert len(data) < 2**20
    started = time.monotonic()
    with pytest.raises(StoreError) as info:
        run(tmp_path, data, name="bomb.csv.gz")
    assert info.value.status == 413
    assert time.monotonic() - started < 3


def test_a_50_megabyte_line_is_refused_before_parsing(tmp_path: Path) -> None:
    data = b"a\n" + b"x" * (50 * 2**20) + b"\n"
    started = time.monotonic()
    with pytest.raises(StoreError) as info:
        run(tmp_path, data)
    assert info.value.status == 413
    assert time.monotonic() - started < 2
