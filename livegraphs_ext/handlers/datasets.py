"""REST handlers for datasets: list, upload, read, page, change, export, delete."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any

from jupyter_core.paths import is_hidden
from jupyter_server.auth.decorator import authorized
from tornado import web
from tornado.web import HTTPError

from ..rest import UploadBody
from ..store import check_name
from .base import AUTH_RESOURCE, LiveGraphsHandler

#: the jupyter_events schema of dataset change notifications (livegraphs_ext/events/dataset.yaml)
DATASET_EVENT = "https://events.livegraphs.dev/dataset/v1"


@web.stream_request_body
class DatasetsHandler(UploadBody, LiveGraphsHandler):
    """``GET datasets`` lists; ``POST datasets?name=`` streams an upload straight to disk."""

    def upload_limit(self) -> int:
        return self.lg.max_upload_bytes

    async def prepare(self) -> None:  # type: ignore[override]
        await super().prepare()
        if self.request.method != "POST" or self._finished:
            return
        # Authorize before a single body byte is read: in post() it would come after the whole stream.
        if not self.current_user:
            raise HTTPError(403)
        if not self.authorizer.is_authorized(self, self.current_user, "write", AUTH_RESOURCE):
            raise HTTPError(403, "You may not upload datasets", reason="Forbidden")
        self.start_upload(self.store.staging_path)

    @web.authenticated
    @authorized
    async def get(self) -> None:
        datasets = await self.run(self.store.list_datasets)
        self.write_json({"datasets": datasets})

    @web.authenticated
    @authorized
    async def post(self) -> None:
        src = self.take_upload()
        content_type = self.request.headers.get("Content-Type")
        dataset = await self.run(
            self.store.create_from_file,
            src,
            name=self.get_argument("name", None),
            owner=self.username,
            content_type=content_type,
            filename=self.get_argument("filename", None),
            cancel=self._cancel,
            heavy=True,
        )
        notify(self, "created", dataset)
        self.set_header("Location", self.lg.api_url("datasets", dataset["id"]))
        self.write_json(dataset, status=201)


class DatasetHandler(LiveGraphsHandler):
    """One dataset: read, rename, delete."""

    @web.authenticated
    @authorized
    async def get(self, dataset_id: str) -> None:
        self.write_json(await self.run(self.store.get, dataset_id))

    @web.authenticated
    @authorized
    async def patch(self, dataset_id: str) -> None:
        dataset = await self.run(self.store.rename, dataset_id, self.new_name())
        notify(self, "changed", dataset)
        self.write_json(dataset)

    @web.authenticated
    @authorized
    async def delete(self, dataset_id: str) -> None:
        await self.run(self.store.delete, dataset_id, heavy=True)
        notify(self, "deleted", dataset_id)
        self.write_no_content()


class RowsHandler(LiveGraphsHandler):
    @web.authenticated
    @authorized
    async def get(self, dataset_id: str) -> None:
        self.write_json(await self.run(self.store.rows, dataset_id, **self.rows_args()))


class VersionsHandler(LiveGraphsHandler):
    @web.authenticated
    @authorized
    async def get(self, dataset_id: str) -> None:
        self.write_json({"versions": await self.run(self.store.versions, dataset_id)})


class VersionHandler(LiveGraphsHandler):
    @web.authenticated
    @authorized
    async def get(self, dataset_id: str, number: str) -> None:
        self.write_json(await self.run(self.store.version, dataset_id, int(number)))


class RevertHandler(LiveGraphsHandler):
    @web.authenticated
    @authorized
    async def post(self, dataset_id: str) -> None:
        version = self.revert_version()
        dataset = await self.run(self.store.revert, dataset_id, version, user=self.username)
        notify(self, "changed", dataset)
        self.write_json(dataset, status=201)


class TransformsHandler(LiveGraphsHandler):
    """``POST {"step": {...}, "base_version": N}``: apply one cleaning step as a new version."""

    @web.authenticated
    @authorized
    async def post(self, dataset_id: str) -> None:
        step, base = self.step_body()
        result = await self.run(
            self.store.apply_step, dataset_id, step, user=self.username, base_version=base, heavy=True
        )
        notify(self, "changed", result)
        self.write_json(result, status=201)


class RecipeHandler(LiveGraphsHandler):
    """The steps behind a version, as JSON or as pandas code (``?format=python``)."""

    @web.authenticated
    @authorized
    async def get(self, dataset_id: str) -> None:
        version, fmt = self.recipe_args()
        if fmt == "python":
            self.write_json({"code": await self.run(self.store.recipe_code, dataset_id, version)})
        else:
            self.write_json({"steps": await self.run(self.store.recipe, dataset_id, version)})


class ExportHandler(LiveGraphsHandler):
    """Download a version as CSV, Parquet or JSON; always an attachment, never rendered."""

    @web.authenticated
    @authorized
    async def get(self, dataset_id: str) -> None:
        fmt, version = self.export_args()
        await self.send_export(await self.run(self.store.export, dataset_id, fmt, version, heavy=True))


class ProfileHandler(LiveGraphsHandler):
    """``GET profile?column=NAME&version=``: one column's counts, range and histogram or top values."""

    @web.authenticated
    @authorized
    async def get(self, dataset_id: str) -> None:
        column = self.column_arg()
        self.write_json(await self.run(self.store.profile, dataset_id, column, self.int_arg("version")))


class FormulaHandler(LiveGraphsHandler):
    """``GET formula``: what an editor may complete; ``POST formula {"formula"}``: check one."""

    @web.authenticated
    @authorized
    async def get(self, dataset_id: str) -> None:
        items = await self.run(self.store.formula_completions, dataset_id, self.int_arg("version"))
        self.write_json({"completions": items})

    @web.authenticated
    @authorized
    async def post(self, dataset_id: str) -> None:
        formula, version = self.formula_body()
        self.write_json(await self.run(self.store.check_formula, dataset_id, formula, version))


class ImportHandler(LiveGraphsHandler):
    """``POST datasets/import {"path", "name"}``: a file of the Jupyter file browser becomes a dataset.

    The server copies the file itself, so a big file never passes through the browser.
    """

    @web.authenticated
    @authorized
    async def post(self) -> None:
        source, name = import_request(self, self.json_body())
        staged = self.store.staging_path()
        self._cancel = threading.Event()
        await self.run(shutil.copyfile, source, staged, heavy=True)
        dataset = await self.run(
            self.store.create_from_file,
            staged,
            name=name,
            owner=self.username,
            filename=source.name,
            cancel=self._cancel,
            heavy=True,
        )
        notify(self, "created", dataset)
        self.set_header("Location", self.lg.api_url("datasets", dataset["id"]))
        self.write_json(dataset, status=201)

    _cancel: threading.Event | None = None

    def on_connection_close(self) -> None:
        if self._cancel is not None:
            self._cancel.set()


def local_file(handler: LiveGraphsHandler, path: str) -> Path:
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


def import_request(handler: LiveGraphsHandler, body: dict[str, Any]) -> tuple[Path, str]:
    """Check a ``datasets/import`` body and the caller's right to read files: (local file, dataset name)."""
    path, name = body.get("path"), body.get("name")
    if not isinstance(path, str) or not path:
        raise HTTPError(400, 'Send {"path": "folder/file.csv", "name": "..."}', reason="Bad Request")
    if not handler.authorizer.is_authorized(handler, handler.current_user, "read", "contents"):
        raise HTTPError(403, "You may not read files", reason="Forbidden")
    return local_file(handler, path), check_name(name if isinstance(name, str) else None)


def notify(handler: LiveGraphsHandler, action: str, dataset: dict[str, Any] | str) -> None:
    """Tell every open front end that a dataset was created, changed or deleted."""
    logger = getattr(handler.serverapp, "event_logger", None)
    if logger is None:
        return
    dataset_id = dataset if isinstance(dataset, str) else dataset["id"]
    version = None if isinstance(dataset, str) else dataset.get("version")
    try:
        logger.emit(schema_id=DATASET_EVENT, data={"action": action, "id": dataset_id, "version": version})
    except Exception:  # a notification must never fail the change itself
        handler.log.warning("livegraphs: could not emit a dataset event", exc_info=True)
