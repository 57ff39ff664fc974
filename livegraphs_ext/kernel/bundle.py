"""The notebook widgets' JavaScript bundle (``static/widget.js``) and its content hash.

Widgets carry only a small loader (``static/loader.js``) in their state; the loader fetches the
bundle once per page, from the server (``{base_url}livegraphs/static/widget.js?v=<hash>``) or,
where no server extension answers, from the kernel. The hash names the exact bundle the
kernel's package was built with, so a page never runs a bundle from another version.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

STATIC = Path(__file__).parents[1] / "static"
BUNDLE = STATIC / "widget.js"
LOADER = STATIC / "loader.js"

#: Where the server serves the bundle, under its base_url.
BUNDLE_ROUTE = "livegraphs/static/widget.js"


@lru_cache(maxsize=4)
def _hash(path: Path, stamp: tuple[int, int]) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:20]


def bundle_hash() -> str:
    """The content hash of the bundle as it is on disk now."""
    st = BUNDLE.stat()
    return _hash(BUNDLE, (st.st_mtime_ns, st.st_size))


def bundle_bytes() -> bytes:
    """The bundle itself."""
    return BUNDLE.read_bytes()
