"""REST handlers for datasets: list, upload, read, page, change, export, delete."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
from jupyter_server.auth.decorator import authorized
from tornado import web
from tornado.http1connection import HTTP1Connection
from tornado.web import HTTPError

from ..store import check_name
from ..store.files import remove_quietly
from .base import AUTH_RESOURCE, LiveGraphsHandler

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
        self.write_json(await self.run(self.store.rename, dataset_id, body["name"]))

    @web.authenticated
    @authorized
    async def delete(self, dataset_id: str) -> None:
        await self.run(self.store.delete, dataset_id, heavy=True)
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
        self.write_json(
            await self.run(self.store.revert, dataset_id, version, user=self.username), status=201
        )


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
