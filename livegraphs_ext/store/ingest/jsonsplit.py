"""Split a top-level JSON array into its elements without loading the document.

A vectorised pass per chunk finds the commas and brackets that sit outside strings at
depth 1; only element boundaries reach Python. The splitter does not have to be a
validator: every element is parsed strictly by orjson, and the text between elements
is checked to be exactly whitespace and one comma, so the document as a whole is
accepted only if it is ``[ value , value ... ]`` with every value valid RFC 8259 JSON.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from ..errors import BadInput, TooLarge
from .limits import Guard

CHUNK = 2**20
#: JSON's whitespace (RFC 8259): the four bytes allowed around its tokens
JSON_SPACE = b" \t\r\n"


def _bad(message: str) -> BadInput:
    return BadInput(f"the file is not valid JSON: {message}")


def _parse(raw: bytes, index: int) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise _bad(f"element {index} of the top-level array: {exc}") from None


def iter_array(path: Path, offset: int, max_element: int, guard: Guard) -> Iterator[Any]:
    """Yield each element of the top-level array in ``path`` (starting at byte ``offset``)."""
    in_string = False
    bs_run = 0  # backslashes at the end of the previous chunk
    depth = 0
    state = "before"  # before "[" -> inside -> after "]"
    pending: list[bytes] = []
    pending_size = 0
    index = 0
    expect_value = True  # just after "[" or ","
    with path.open("rb") as f:
        f.seek(offset)
        while True:
            guard.check()
            chunk = f.read(CHUNK)
            if not chunk:
                break
            a = np.frombuffer(chunk, dtype=np.uint8)
            n = len(a)
            pos = np.arange(n)
            bs = a == 92
            last_plain = np.maximum.accumulate(np.where(bs, -1, pos))
            quotes = np.flatnonzero(a == 34)
            if len(quotes):
                before = quotes - 1
                prev_plain = np.where(before >= 0, last_plain[np.maximum(before, 0)], -1)
                runs = before - prev_plain
                runs = np.where(prev_plain < 0, runs + bs_run, runs)
                real = quotes[(runs % 2) == 0]
            else:
                real = quotes
            toggles = np.zeros(n, dtype=np.int8)
            toggles[real] = 1
            parity = (np.cumsum(toggles, dtype=np.int64) + int(in_string)) % 2
            # a quote that opens a string is itself "inside"; structural characters are never quotes
            outside = parity == 0
            opens = ((a == 91) | (a == 123)) & outside
            closes = ((a == 93) | (a == 125)) & outside
            step = opens.astype(np.int32) - closes.astype(np.int32)
            depths = np.cumsum(step, dtype=np.int64) + depth
            commas = (a == 44) & outside & (depths == 1)
            first_open = (a == 91) & outside & (depths == 1) & (step == 1)
            last_close = closes & (depths == 0)
            marks = np.flatnonzero(commas | first_open | last_close | (depths < 0))
            start = 0
            for m in marks.tolist():
                if depths[m] < 0:
                    raise _bad("a closing bracket has no opening one")
                piece = chunk[start:m]
                ch = chunk[m]
                if state == "before":
                    if (b"".join(pending) + piece).strip(JSON_SPACE) or ch != 91:
                        raise _bad("the document does not start with an array")
                    state = "inside"
                elif state == "inside":
                    raw = (b"".join(pending) + piece).strip(JSON_SPACE)
                    if raw:
                        index += 1
                        yield _parse(raw, index)
                        expect_value = False
                    elif ch == 44 or not expect_value or index > 0:
                        # "[,", ",,", ",]" and "[1,]" are all invalid
                        raise _bad(f"a value is missing after element {index} of the top-level array")
                    if ch == 44:
                        expect_value = True
                    else:
                        state = "after"
                else:
                    raise _bad("there is more text after the top-level array")
                pending, pending_size = [], 0
                start = m + 1
            rest = chunk[start:]
            if state == "after":
                if rest.strip(JSON_SPACE):
                    raise _bad("there is more text after the top-level array")
            elif rest:
                pending.append(rest)
                pending_size += len(rest)
                if pending_size > max_element:
                    raise TooLarge(
                        f"element {index + 1} of the top-level array is larger than {max_element:,} bytes"
                    )
            depth = int(depths[-1])
            in_string = bool(parity[-1])
            tail_plain = int(last_plain[-1])
            bs_run = (n - 1 - tail_plain) + (bs_run if tail_plain < 0 else 0)
    if state != "after":
        raise _bad("the top-level array is not closed" if state == "inside" else "the document is empty")
