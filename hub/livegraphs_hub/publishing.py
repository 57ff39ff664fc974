"""Publishing a notebook with Voila: a named server ``voila-<name>`` of the publisher.

A named server whose name starts with ``voila-`` is a publication: it always runs standalone Voila
on one notebook (``python -m livegraphs_ext.hubvoila``), never JupyterLab. The publisher starts it
with the notebook's path (relative to their home) as its option::

    POST /hub/api/users/<me>/servers/voila-sales   {"notebook": "reports/sales.ipynb"}

and shares it with users or groups through JupyterHub's shares (``POST /hub/api/shares/<me>/voila-sales``).
Whoever it is shared with opens ``/user/<me>/voila-sales/`` on the publisher's origin; anyone else
gets 403. Visitors can run no code: the page has no contents, kernels or terminals API, and its
kernels take only widget messages. The notebook itself runs as the publisher, with a token that
reads the publisher's livegraphs datasets (its charts need them).
"""

from __future__ import annotations

import sys
from pathlib import PurePosixPath
from typing import Any

from tornado import web

#: Named servers with this prefix are publications.
PREFIX = "voila-"
#: What a publication runs (the notebook's path follows).
COMMAND = [sys.executable, "-m", "livegraphs_ext.hubvoila"]


def is_publication(server_name: str | None) -> bool:
    return bool(server_name) and str(server_name).startswith(PREFIX)


def notebook_option(options: dict[str, Any] | None) -> str:
    """The notebook to publish, from a server's options: a relative path to an ``.ipynb`` file."""
    raw = (options or {}).get("notebook")
    if not isinstance(raw, str) or not raw.strip():
        raise web.HTTPError(
            400, 'A voila- server needs its notebook to publish: {"notebook": "<path>.ipynb"}'
        )
    path = PurePosixPath(raw.strip())
    if path.is_absolute() or ".." in path.parts or path.suffix != ".ipynb" or str(path).startswith("-"):
        raise web.HTTPError(400, f"notebook must be a path to an .ipynb file in your home, not {raw!r}")
    if len(str(path)) > 1024 or any(ord(ch) < 32 for ch in str(path)):
        raise web.HTTPError(400, "notebook path too long or with control characters")
    return str(path)


def apply_user_options(spawner: Any, options: dict[str, Any]) -> None:
    """``Spawner.apply_user_options``: a ``voila-`` server runs Voila on the notebook it was given."""
    if not is_publication(spawner.name):
        return
    spawner.cmd = list(COMMAND)
    spawner.args = [notebook_option(options)]
