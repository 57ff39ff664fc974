"""First look at an upload: compression, binary content, encoding, line ends, line lengths.

Everything here streams over the bytes in fixed-size chunks, so memory stays flat however
large the file is. The result is a UTF-8 text file (the upload itself when it already is
one, otherwise a scratch copy) that DuckDB can read with pinned options.
"""

from __future__ import annotations

import codecs
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import orjson

from ..errors import BadInput, TooLarge, Unsupported
from .jsonsplit import JSON_SPACE
from .limits import Guard, IngestLimits

CHUNK = 4 * 2**20
HEAD = 64 * 2**10
SAMPLE = 2**20
#: a gzip stream that expands more than this many times, past BOMB_FLOOR bytes, is refused
BOMB_RATIO = 250
BOMB_FLOOR = 64 * 2**20

_MAGIC: list[tuple[bytes, str]] = [
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or an Excel/OpenDocument file)"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office document"),
    (b"\x1f\x8b", "a gzip file inside a gzip file"),
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x28\xb5\x2f\xfd", "a zstd archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"PAR1", "a Parquet file"),
    (b"ARROW1", "an Arrow file"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\x7fELF", "a program"),
    (b"\x00asm", "a WebAssembly module"),
    (b"RIFF", "a RIFF media file"),
    (b"OggS", "an Ogg media file"),
    (b"\x00\x00\x00\x18ftyp", "an MP4 video"),
    (b"\x00\x00\x00\x20ftyp", "an MP4 video"),
]


def _latin1_fallback(err: UnicodeError) -> tuple[str, int]:
    # cp1252 leaves five bytes undefined; read those as Latin-1 so no byte is ever lost.
    assert isinstance(err, UnicodeDecodeError)
    return err.object[err.start : err.end].decode("latin-1"), err.end


codecs.register_error("livegraphs-latin1", _latin1_fallback)


@dataclass
class Prepared:
    """A UTF-8 text file ready to parse, and what was learnt on the way."""

    path: Path
    #: bytes to skip at the start of ``path`` (a UTF-8 byte order mark)
    offset: int
    format: str
    encoding: str
    compression: str | None
    line_ending: str | None
    sample: str
    #: True when ``sample`` holds the whole file
    sample_complete: bool
    notes: list[str] = field(default_factory=list)


def _read_head(path: Path, size: int = HEAD, offset: int = 0) -> bytes:
    with path.open("rb") as f:
        f.seek(offset)
        return f.read(size)


def _gunzip(src: Path, dst: Path, limits: IngestLimits, guard: Guard) -> None:
    cap = limits.max_decompressed_bytes
    produced = 0
    consumed = 0
    d = zlib.decompressobj(wbits=31)
    first = True
    try:
        with src.open("rb") as fin, dst.open("wb") as fout:
            pending = b""
            while True:
                guard.check()
                data = pending or fin.read(2**20)
                pending = b""
                if not data:
                    break
                consumed += len(data)
                while data:
                    out = d.decompress(data, CHUNK)
                    data = d.unconsumed_tail
                    if out:
                        if first:
                            _refuse_binary(out)
                            first = False
                        produced += len(out)
                        if produced > cap:
                            raise TooLarge(f"the file is larger than {cap:,} bytes once decompressed")
                        if produced > BOMB_FLOOR and produced > BOMB_RATIO * consumed:
                            raise TooLarge(
                                "the gzip file expands more than "
                                f"{BOMB_RATIO} times; it looks like a decompression bomb"
                            )
                        fout.write(out)
                        guard.check()
                    if d.eof:
                        rest = d.unused_data + data
                        if rest.strip(b"\x00"):
                            # another gzip member follows (concatenated gzip files are valid)
                            d = zlib.decompressobj(wbits=31)
                            pending = rest
                        break
                if pending:
                    continue
            if not d.eof:
                raise BadInput("the gzip data is truncated")
    except zlib.error as exc:
        raise BadInput(f"the gzip data is corrupt: {exc}") from None


def _check_magic(head: bytes) -> None:
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise Unsupported(f"the file is {what}, not CSV, TSV or JSON text")
    if head.startswith((b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")):
        raise Unsupported("UTF-32 text is not supported; save the file as UTF-8")


def _refuse_binary(head: bytes) -> None:
    _check_magic(head)
    if not head:
        return
    a = np.frombuffer(head, dtype=np.uint8)
    # C0 controls other than tab, LF, CR, form feed and ESC: rare in text, everywhere in binary.
    controls = int(np.count_nonzero((a < 9) | ((a > 13) & (a < 32) & (a != 27)) | (a == 11)))
    if controls > max(8, len(head) // 100):
        raise Unsupported("the file holds binary data, not CSV, TSV or JSON text")


def _detect_bom(head: bytes) -> tuple[str | None, int]:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", 3
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", 2
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", 2
    # UTF-16 without a byte order mark: ASCII text leaves every other byte NUL.
    probe = head[:4096]
    if len(probe) >= 16:
        even, odd = probe[0::2], probe[1::2]
        if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
            return "utf-16-le", 0
        if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
            return "utf-16-be", 0
    return None, 0


def _sniff_format(head: bytes, content_type: str | None, filename: str | None) -> str:
    text = head.lstrip(JSON_SPACE)
    if not text:
        raise BadInput("the file is empty")
    if text[:1] == b"[":
        return "json"
    if text[:1] == b"{":
        ends = [i for i in (text.find(b"\n"), text.find(b"\r")) if i >= 0]
        nl = min(ends) if ends else -1
        if nl < 0:
            return "json"
        try:
            orjson.loads(text[:nl])
        except orjson.JSONDecodeError:
            return "json"
        return "jsonl" if text[nl:].strip() else "json"
    if _declared_json(content_type, filename):
        # A file sent as JSON is parsed as JSON (and refused if it is not), unless its first
        # line is plainly delimited text.
        first = text.split(b"\n", 1)[0]
        if not any(d in first for d in (b",", b"\t", b";", b"|")):
            return "json"
    return "csv"


def _declared_json(content_type: str | None, filename: str | None) -> bool:
    ct = (content_type or "").split(";")[0].strip().lower()
    name = (filename or "").lower().removesuffix(".gz")
    return "json" in ct or name.endswith((".json", ".jsonl", ".ndjson"))


@dataclass
class _Scan:
    lf: int = 0
    crlf: int = 0
    cr: int = 0
    valid_utf8: bool = True
    size: int = 0


def _line_at(path: Path, offset: int, position: int) -> int:
    """1-based line number of byte ``position`` (counted from ``offset``); only used for messages."""
    lines = 1
    with path.open("rb") as f:
        f.seek(offset)
        while position > 0:
            chunk = f.read(min(CHUNK, position))
            if not chunk:
                break
            lines += chunk.count(b"\n")
            position -= len(chunk)
    return lines


def _scan(path: Path, offset: int, enforce_lines: bool, limits: IngestLimits, guard: Guard) -> _Scan:
    """One streaming pass: NUL bytes, line ends, longest line, UTF-8 validity.

    The common case (an LF file of ASCII or valid UTF-8) costs a few memchr-speed searches
    per chunk; counting is done only for chunks that hold a CR.
    """
    res = _Scan()
    limit = limits.max_line_bytes
    run = 0  # bytes since the last line break
    last = b""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    pending_utf8 = False
    with path.open("rb") as f:
        f.seek(offset)
        while True:
            guard.check()
            chunk = f.read(CHUNK)
            if not chunk:
                break
            nul = chunk.find(b"\x00")
            if nul >= 0:
                line = _line_at(path, offset, res.size + nul)
                raise BadInput(f"line {line} holds a NUL byte: the file is binary or corrupt")
            has_lf = b"\n" in chunk
            has_cr = b"\r" in chunk
            if has_cr:
                a = np.frombuffer(chunk, dtype=np.uint8)
                crs = np.flatnonzero(a == 13)
                follow = crs[crs + 1 < len(a)] + 1
                n_crlf = int(np.count_nonzero(a[follow] == 10))
                n_crlf += 1 if last == b"\r" and chunk[:1] == b"\n" else 0
                res.crlf += n_crlf
                res.cr += len(crs)
                res.lf += int(np.count_nonzero(a == 10))
            elif has_lf:
                # without a CR only "are there bare LFs?" matters, not how many
                if last == b"\r" and chunk[:1] == b"\n":
                    res.crlf += 1
                    res.lf += 1
                    if chunk.find(b"\n", 1) >= 0:
                        res.lf += 1
                else:
                    res.lf += 1
            if enforce_lines:
                if not has_lf and not has_cr:
                    run += len(chunk)
                    longest = run
                elif len(chunk) <= limit:
                    # lines wholly inside a chunk are shorter than the chunk, so only the
                    # line running across chunk ends needs measuring; find/rfind are memchr-fast
                    first = min(i for i in (chunk.find(b"\n"), chunk.find(b"\r")) if i >= 0)
                    end = max(chunk.rfind(b"\n"), chunk.rfind(b"\r"))
                    longest = run + first
                    run = len(chunk) - end - 1
                else:
                    a = np.frombuffer(chunk, dtype=np.uint8)
                    idx = np.flatnonzero((a == 10) | (a == 13))
                    longest = max(run + int(idx[0]), int(np.diff(idx).max(initial=1)) - 1)
                    run = len(chunk) - int(idx[-1]) - 1
                longest = max(longest, run)
                if longest > limit:
                    line = _line_at(path, offset, res.size)
                    raise TooLarge(f"a line near line {line:,} is longer than the limit of {limit:,} bytes")
            res.size += len(chunk)
            if res.valid_utf8 and (pending_utf8 or not chunk.isascii()):
                try:
                    decoder.decode(chunk)
                    pending_utf8 = decoder.getstate()[0] != b""
                except UnicodeDecodeError:
                    res.valid_utf8 = False
            last = chunk[-1:]
    if res.valid_utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            res.valid_utf8 = False
    # the counts of LF and CR include the pairs; keep only the lone ones
    res.lf -= res.crlf
    res.cr -= res.crlf
    return res


def _fix_newlines(text: str, carry: str) -> tuple[str, str]:
    text = carry + text
    carry = ""
    if text.endswith("\r"):
        text, carry = text[:-1], "\r"
    return text.replace("\r\n", "\n").replace("\r", "\n"), carry


def _rewrite(
    src: Path, offset: int, dst: Path, codec: str, errors: str, fix_newlines: bool, guard: Guard
) -> None:
    """Re-encode ``src`` as UTF-8 (and optionally turn every line end into LF) into ``dst``."""
    decoder = codecs.getincrementaldecoder(codec)(errors)
    carry = ""
    try:
        with src.open("rb") as fin, dst.open("w", encoding="utf-8", newline="") as fout:
            fin.seek(offset)
            while True:
                guard.check()
                chunk = fin.read(CHUNK)
                text = decoder.decode(chunk, final=not chunk)
                if fix_newlines:
                    text, carry = _fix_newlines(text, carry)
                fout.write(text)
                if not chunk:
                    break
            fout.write(carry.replace("\r", "\n"))
    except UnicodeDecodeError as exc:
        raise BadInput(
            f"the file is not valid {codec.upper()} text: {exc.reason} at byte {exc.start}"
        ) from None
    except UnicodeEncodeError as exc:
        raise BadInput(f"the file holds characters that cannot be stored as UTF-8: {exc.reason}") from None


def _line_ending(scan: _Scan) -> str | None:
    kinds = [name for name, n in (("LF", scan.lf), ("CRLF", scan.crlf), ("CR", scan.cr)) if n]
    if not kinds:
        return None
    return kinds[0] if len(kinds) == 1 else "mixed"


def _sample(path: Path, offset: int) -> tuple[str, bool]:
    raw = _read_head(path, SAMPLE + 1, offset)
    complete = len(raw) <= SAMPLE
    raw = raw[:SAMPLE]
    if not complete:
        # cut at the last line break so no row is split (a quoted field may still be)
        cut = raw.rfind(b"\n")
        if cut > 0:
            raw = raw[: cut + 1]
    text = codecs.getincrementaldecoder("utf-8")("replace").decode(raw)
    return text, complete


def prepare(
    src: Path,
    scratch: Path,
    limits: IngestLimits,
    guard: Guard,
    content_type: str | None = None,
    filename: str | None = None,
) -> Prepared:
    """Stream over the upload once (twice when it must be re-encoded) and return a UTF-8 text file."""
    notes: list[str] = []
    path = src
    compression = None
    head = _read_head(path)
    if not head:
        raise BadInput("the file is empty")
    if head.startswith(b"\x1f\x8b"):
        path = scratch / "gunzipped"
        _gunzip(src, path, limits, guard)
        compression = "gzip"
        head = _read_head(path)
        if not head:
            raise BadInput("the file is empty once decompressed")
    _check_magic(head)
    encoding, offset = _detect_bom(head)
    if encoding in ("utf-16-le", "utf-16-be"):
        assert encoding is not None
        utf8 = scratch / "utf8"
        _rewrite(path, offset, utf8, encoding, "strict", False, guard)
        path, offset = utf8, 0
        head = _read_head(path)
    else:
        _refuse_binary(head[offset:])
    fmt = _sniff_format(head[offset:], content_type, filename)
    scan = _scan(path, offset, fmt != "json", limits, guard)
    if scan.size == 0 or not _read_head(path, HEAD, offset).strip():
        raise BadInput("the file is empty")
    line_ending = _line_ending(scan)
    codec = "utf-8"
    if encoding is None:
        encoding = "utf-8"
    if not scan.valid_utf8:
        if fmt != "csv":
            raise BadInput("JSON text must be UTF-8 encoded; the file holds bytes that are not UTF-8")
        codec = encoding = "cp1252"
        notes.append("the file is not valid UTF-8; it was read as Windows-1252 (Latin-1)")
    fix_newlines = fmt != "json" and (scan.cr > 0 or line_ending == "mixed")
    if codec != "utf-8" or fix_newlines:
        fixed = scratch / "normalised"
        _rewrite(path, offset, fixed, codec, "livegraphs-latin1", fix_newlines, guard)
        path, offset = fixed, 0
        if fix_newlines:
            notes.append(f"line ends ({line_ending}) were read as LF")
    sample, complete = _sample(path, offset)
    return Prepared(
        path=path,
        offset=offset,
        format=fmt,
        encoding=encoding,
        compression=compression,
        line_ending=line_ending,
        sample=sample,
        sample_complete=complete,
        notes=notes,
    )
