"""What only the laptop host does for the shared handlers: files of its own disk, and notifications.

``datasets/import`` reads a file of the Jupyter file browser (also when the server forwards the
API to a hub service), and a dataset change is told to front ends over jupyter-server's event
stream (jupyter_events).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jupyter_core.paths import is_hidden
from tornado.web import HTTPError

from ..store import check_name

#: the jupyter_events schema of dataset change notifications (livegraphs_ext/events/dataset.yaml)
DATASET_EVENT = "https://events.livegraphs.dev/dataset/v1"


def local_file(handler: Any, path: str) -> Path:
    """The file ``path`` of the Jupyter file browser on this server's disk: inside its root, not hidden.

    404 for anything else, so what exists outside the root cannot be probed.
    """
    contents = handler.serverapp.contents_manager
    resolve = getattr(contents, "_get_os_path", None)
    if resolve is None:
        raise HTTPError(
            400, "This server's files are not on its disk; upload the file instead", reason="Bad Request"
        )
    try:
        # _get_os_path refuses paths outside the server's root folder (404).
        local = Path(resolve(path.strip("/")))
    except HTTPError:
        raise HTTPError(404, f"No such file: {path[:200]!r}", reason="Not Found") from None
    root = getattr(contents, "root_dir", None)
    hidden = root is not None and is_hidden(str(local), root)
    if (hidden and not contents.allow_hidden) or not local.is_file():
        raise HTTPError(404, f"No such file: {path[:200]!r}", reason="Not Found")
    return local


def import_request(handler: Any, body: dict[str, Any]) -> tuple[Path, str]:
    """Check a ``datasets/import`` body and the caller's right to read files: (local file, dataset name)."""
    path, name = body.get("path"), body.get("name")
    if not isinstance(path, str) or not path:
        raise HTTPError(400, 'Send {"path": "folder/file.csv", "name": "..."}', reason="Bad Request")
    if not handler.authorizer.is_authorized(handler, handler.current_user, "read", "contents"):
        raise HTTPError(403, "You may not read files", reason="Forbidden")
    return local_file(handler, path), check_name(name if isinstance(name, str) else None)


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
