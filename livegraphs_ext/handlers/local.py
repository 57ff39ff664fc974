"""What only the laptop host does for the shared handlers: files of its own disk, and notifications.

``datasets/import`` reads a file of the Jupyter file browser (also when the server forwards the
API to a hub service), new data names the chart and dashboard files of the file browser that use
a removed or retyped column, and a dataset change is told to front ends over jupyter-server's
event stream (jupyter_events).
"""

from __future__ import annotations

import asyncio
import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_core.paths import is_hidden
from jupyter_core.utils import ensure_async
from tornado.web import HTTPError

from ..store import check_name, usage

#: the jupyter_events schema of dataset change notifications (livegraphs_ext/events/dataset.yaml)
DATASET_EVENT = "https://events.livegraphs.dev/dataset/v1"


def local_file(handler: Any, path: str) -> Path:
    """The file ``path`` of the Jupyter file browser on this server's disk: inside its root, not hidden.

    The root and the file are compared by their real paths, so a symbolic link (to a file or a
    folder) cannot lead out of the root. 404 for anything else, the same answer as for a missing
    file, so what exists outside the root cannot be probed. The real path is what is read.
    """
    contents = handler.serverapp.contents_manager
    resolve = getattr(contents, "_get_os_path", None)
    if resolve is None:
        raise HTTPError(
            400, "This server's files are not on its disk; upload the file instead", reason="Bad Request"
        )
    missing = HTTPError(404, f"No such file: {path[:200]!r}", reason="Not Found")
    try:
        # _get_os_path refuses paths outside the server's root folder (404), but not links out of it.
        local = Path(resolve(path.strip("/")))
    except HTTPError:
        raise missing from None
    root_dir = getattr(contents, "root_dir", None)
    if root_dir is None:
        raise missing
    root = Path(os.path.realpath(root_dir))
    real = Path(os.path.realpath(local))
    if not real.is_relative_to(root) or not real.is_file():
        raise missing
    hidden = is_hidden(str(local), root_dir) or is_hidden(str(real), str(root))
    if hidden and not contents.allow_hidden:
        raise missing
    return real


@dataclass(frozen=True)
class ImportTarget:
    """An import into an existing dataset: ``{"dataset": id, "mode": "append"|"replace", "replay"?}``."""

    dataset: str
    mode: str
    replay: bool


def import_target(body: dict[str, Any]) -> ImportTarget | None:
    """The existing dataset a ``datasets/import`` body sends its file to; None for a new dataset."""
    mode = body.get("mode")
    if mode is None or mode == "new":
        return None
    if mode not in ("append", "replace"):
        raise HTTPError(400, "mode is new, append or replace", reason="Bad Request")
    dataset, replay = body.get("dataset"), body.get("replay", True)
    if not isinstance(dataset, str) or not re.fullmatch(r"[0-9a-f]{32}", dataset):
        raise HTTPError(400, 'Name the dataset to send the file to: {"dataset": id}', reason="Bad Request")
    if not isinstance(replay, bool):
        raise HTTPError(400, "replay is true or false", reason="Bad Request")
    return ImportTarget(dataset, mode, replay)


async def allowed(handler: Any, action: str, resource: str) -> bool:
    """jupyter-server's authorizer's answer for the caller, awaited when it answers asynchronously
    (it may, as its ``@authorized`` decorator knows): a coroutine is not a yes."""
    return bool(
        await ensure_async(handler.authorizer.is_authorized(handler, handler.current_user, action, resource))
    )


async def may_read_files(handler: Any) -> bool:
    """Whether the caller may read the files of the Jupyter file browser."""
    return await allowed(handler, "read", "contents")


async def import_request(handler: Any, body: dict[str, Any]) -> tuple[Path, str | None]:
    """Check a ``datasets/import`` body and the caller's right to read files.

    (local file, new dataset's name); the name is None when the body sends the file to an existing
    dataset (:func:`import_target`).
    """
    path, name = body.get("path"), body.get("name")
    if not isinstance(path, str) or not path:
        raise HTTPError(400, 'Send {"path": "folder/file.csv", "name": "..."}', reason="Bad Request")
    new = import_target(body) is None
    if not await may_read_files(handler):
        raise HTTPError(403, "You may not read files", reason="Forbidden")
    return local_file(handler, path), check_name(name if isinstance(name, str) else None) if new else None


async def files_using(
    handler: Any, owner: str, dataset: dict[str, Any], columns: list[str]
) -> dict[str, Any] | None:
    """The chart and dashboard files of the Jupyter file browser using ``columns`` of ``dataset``
    (looked through in a worker thread); None when the server's files are not on its disk or the
    caller may not read them."""
    contents = handler.serverapp.contents_manager
    root_dir = getattr(contents, "root_dir", None)
    if root_dir is None or getattr(contents, "_get_os_path", None) is None:
        return None
    if not await may_read_files(handler):
        return None
    root = Path(os.path.realpath(root_dir))
    hidden = bool(contents.allow_hidden)
    globs = list(getattr(contents, "hide_globs", ()))
    search = functools.partial(
        usage.files_using, root, dataset, owner, columns, hidden=hidden, hide_globs=globs
    )
    if getattr(handler.host, "light_pool", None) is None:
        # a hub's user server, which forwards the API to the service, has no query pools
        return await asyncio.to_thread(search)
    return await handler.run(search)


def notify(serverapp: Any, action: str, dataset: dict[str, Any] | str) -> None:
    """Tell every open front end that a dataset was created, changed or deleted."""
    logger = getattr(serverapp, "event_logger", None)
    if logger is None:
        return
    dataset_id = dataset if isinstance(dataset, str) else dataset["id"]
    version = None if isinstance(dataset, str) else dataset.get("version")
    try:
        logger.emit(schema_id=DATASET_EVENT, data={"action": action, "id": dataset_id, "version": version})
    except Exception:  # a notification must never fail the change itself
        serverapp.log.warning("livegraphs: could not emit a dataset event", exc_info=True)
