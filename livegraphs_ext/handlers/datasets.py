"""REST handlers for datasets: list, upload, read, page, change, export, delete."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
from jupyter_core.paths import is_hidden
from jupyter_server.auth.decorator import authorized
from tornado import web
from tornado.http1connection import HTTP1Connection
from tornado.web import HTTPError

from ..store import check_name
from ..store.files import remove_quietly
from .base import AUTH_RESOURCE, LiveGraphsHandler

#: the jupyter_events schema of dataset change notifications (livegraphs_ext/events/dataset.yaml)
DATASET_EVENT = "https://events.livegraphs.dev/dataset/v1"

CHUNK = 1 << 20


@web.stream_request_body
class DatasetsHandler(LiveGraphsHandler):
    """``GET datasets`` lists; ``POST datasets?name=`` streams an upload straight to disk."""

    _upload: Path | None = None
    _file: Any = None
    _received = 0
    _too_large = False
    _cancel: threading.Event | None = None

    async def prepare(self) -> None:  # type: ignore[override]
        await super().prepare()
        if self.request.method != "POST" or self._finished:
            return
        # Authorize before a single body byte is read: in post() it would come after the whole stream.
        if not self.current_user:
            raise HTTPError(403)
        if not self.authorizer.is_authorized(self, self.current_user, "write", AUTH_RESOURCE):
            raise HTTPError(403, "You may not upload datasets", reason="Forbidden")
        check_name(self.get_argument("name", None))
        limit = self.lg.max_upload_bytes
        length = self.request.headers.get("Content-Length")
        if length is not None and length.isdigit() and int(length) > limit:
            raise HTTPError(413, f"The file is {int(length)} bytes; the limit is {limit}", reason="Too Large")
        connection = self.request.connection
        if isinstance(connection, HTTP1Connection):
            connection.set_max_body_size(limit)
        self._cancel = threading.Event()
        self._upload = self.store.staging_path()
        self._file = open(self._upload, "wb")  # noqa: SIM115 - closed in post() or on_finish()

    def data_received(self, chunk: bytes) -> None:
        if self._file is None:
            return
        self._received += len(chunk)
        if self._received > self.lg.max_upload_bytes:
            self._too_large = True
            self._discard()
            return
        self._file.write(chunk)

    def _discard(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._upload is not None:
            remove_quietly(self._upload)
            self._upload = None

    def on_connection_close(self) -> None:
        # The client went away (a cancelled upload): stop the ingest and keep nothing.
        if self._cancel is not None:
            self._cancel.set()
        self._discard()

    def on_finish(self) -> None:
        self._discard()

    @web.authenticated
    @authorized
    async def get(self) -> None:
        datasets = await self.run(self.store.list_datasets)
        self.write_json({"datasets": datasets})

    @web.authenticated
    @authorized
    async def post(self) -> None:
        if self._too_large:
            raise HTTPError(
                413, f"The file is over the {self.lg.max_upload_bytes}-byte limit", reason="Too Large"
            )
        if self._file is None or self._upload is None:
            raise HTTPError(400, "The upload was interrupted", reason="Bad Request")
        self._file.close()
        self._file = None
        src, self._upload = self._upload, None
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
        body = self.json_body()
        if "name" not in body or not isinstance(body["name"], str):
            raise HTTPError(400, 'Send {"name": "new name"}', reason="Bad Request")
        dataset = await self.run(self.store.rename, dataset_id, body["name"])
        notify(self, "changed", dataset)
        self.write_json(dataset)

    @web.authenticated
    @authorized
    async def delete(self, dataset_id: str) -> None:
        await self.run(self.store.delete, dataset_id, heavy=True)
        notify(self, "deleted", dataset_id)
        self.set_status(204)
        self.finish()


class RowsHandler(LiveGraphsHandler):
    @web.authenticated
    @authorized
    async def get(self, dataset_id: str) -> None:
        raw_filter = self.get_argument("filter", None)
        flt: Any = None
        if raw_filter:
            try:
                flt = orjson.loads(raw_filter)
            except orjson.JSONDecodeError:
                raise HTTPError(400, "filter must be JSON", reason="Bad argument") from None
        page = await self.run(
            self.store.rows,
            dataset_id,
            version=self.int_arg("version"),
            offset=self.int_arg("offset", 0),
            limit=self.int_arg("limit", 100),
            sort=self.get_argument("sort", None) or None,
            filter=flt,
        )
        self.write_json(page)


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
        body = self.json_body()
        version = body.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise HTTPError(400, 'Send {"version": N}', reason="Bad Request")
        dataset = await self.run(self.store.revert, dataset_id, version, user=self.username)
        notify(self, "changed", dataset)
        self.write_json(dataset, status=201)


class TransformsHandler(LiveGraphsHandler):
    """``POST {"step": {...}, "base_version": N}``: apply one cleaning step as a new version."""

    @web.authenticated
    @authorized
    async def post(self, dataset_id: str) -> None:
        body = self.json_body()
        step = body.get("step")
        if not isinstance(step, dict):
            raise HTTPError(400, 'Send {"step": {"op": ...}}', reason="Bad Request")
        base = body.get("base_version")
        if base is not None and (not isinstance(base, int) or isinstance(base, bool)):
            raise HTTPError(400, "base_version must be an integer", reason="Bad Request")
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
        version = self.int_arg("version")
        fmt = self.get_argument("format", "json")
        if fmt == "python":
            code = await self.run(self.store.recipe_code, dataset_id, version)
            self.write_json({"code": code})
        elif fmt == "json":
            self.write_json({"steps": await self.run(self.store.recipe, dataset_id, version)})
        else:
            raise HTTPError(400, "format is json or python", reason="Bad argument")


class ExportHandler(LiveGraphsHandler):
    """Download a version as CSV, Parquet or JSON; always an attachment, never rendered."""

    @web.authenticated
    @authorized
    async def get(self, dataset_id: str) -> None:
        fmt = self.get_argument("format", "csv")
        export = await self.run(self.store.export, dataset_id, fmt, self.int_arg("version"), heavy=True)
        try:
            self.set_header("Content-Type", export.media_type)
            self.set_header(
                "Content-Disposition", f"attachment; filename*=UTF-8''{quote(export.filename, safe='')}"
            )
            self.set_header("X-Content-Type-Options", "nosniff")
            self.set_header("Content-Length", str(export.path.stat().st_size))
            with open(export.path, "rb") as f:
                while chunk := f.read(CHUNK):
                    self.write(chunk)
                    await self.flush()
            self.finish()
        finally:
            if export.temporary:
                remove_quietly(export.path)


class ProfileHandler(LiveGraphsHandler):
    """``GET profile?column=NAME&version=``: one column's counts, range and histogram or top values."""

    @web.authenticated
    @authorized
    async def get(self, dataset_id: str) -> None:
        column = self.get_argument("column", None)
        if not column:
            raise HTTPError(400, "Name a column: ?column=...", reason="Bad argument")
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
        body = self.json_body()
        version = body.get("version")
        if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
            raise HTTPError(400, "version must be an integer", reason="Bad Request")
        self.write_json(await self.run(self.store.check_formula, dataset_id, body.get("formula"), version))


class ImportHandler(LiveGraphsHandler):
    """``POST datasets/import {"path", "name"}``: a file of the Jupyter file browser becomes a dataset.

    The server copies the file itself, so a big file never passes through the browser.
    """

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_body()
        path, name = body.get("path"), body.get("name")
        if not isinstance(path, str) or not path:
            raise HTTPError(400, 'Send {"path": "folder/file.csv", "name": "..."}', reason="Bad Request")
        if not self.authorizer.is_authorized(self, self.current_user, "read", "contents"):
            raise HTTPError(403, "You may not read files", reason="Forbidden")
        check_name(name)
        source = self._local_path(path)
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

    def _local_path(self, path: str) -> Path:
        contents = self.serverapp.contents_manager
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
