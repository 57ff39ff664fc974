"""What every REST handler of livegraphs shares, on a laptop and on a hub.

Both hosts serve the same handler classes (``livegraphs_ext.handlers``) over the same
:class:`~livegraphs_ext.store.GuardedStore`; a host differs only in what :class:`Host`
gives those handlers: who the caller is (a :class:`~livegraphs_ext.store.Principal`),
its pools, where its API lives, what it tells front ends about changes. Here too: the one
JSON error shape, request parsing, the streamed upload body, sending an export or a chart.
Only tornado and the store are imported, never jupyter_server or jupyterhub.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from http.client import responses
from importlib.resources import files
from logging import Logger
from pathlib import Path
from typing import Any, Protocol, TypeVar
from urllib.parse import quote

import orjson
from tornado.http1connection import HTTP1Connection
from tornado.log import app_log
from tornado.web import HTTPError, RequestHandler

from .store import GuardedStore, Principal, StoreError, check_name
from .store.charts import ARROW_STREAM, ChartEngine, ChartResult
from .store.files import remove_quietly
from .store.store import ExportFile

T = TypeVar("T")
CHUNK = 1 << 20

DATASET_ID = r"(?P<dataset_id>[0-9a-f]{32})"
CATCH_ALL = r"(?P<path>.*)"


class Identity(Protocol):
    """A host's own way of identifying callers, replacing jupyter-server's (the hub service's tokens)."""

    async def prepare(self, handler: RequestHandler) -> None:
        """Identify the caller (or refuse them) before the request's method runs."""

    def current_user(self, handler: RequestHandler) -> Any: ...

    def login_url(self, handler: RequestHandler) -> str: ...

    def check_xsrf_cookie(self, handler: RequestHandler) -> None: ...

    def xsrf_token(self, handler: RequestHandler) -> bytes: ...

    def xsrf_token_id(self, handler: RequestHandler) -> str: ...


class Host(Protocol):
    """What a host gives the shared handlers: the laptop extension and the hub service each are one."""

    guarded: GuardedStore
    charts: ChartEngine
    heavy_pool: Executor
    light_pool: Executor
    #: seconds between two logged views of one chart by one user; None logs none
    chart_view_every: float | None
    #: None: jupyter-server identifies callers and its Authorizer decides
    identity: Identity | None
    #: largest upload accepted, in bytes
    max_upload_bytes: int

    def principal(self, handler: RequestHandler) -> Principal:
        """The caller as the store sees them (403 when there is none)."""

    def api_url(self, *parts: str) -> str:
        """The URL path of ``parts`` under the API."""

    def notify(self, handler: RequestHandler, action: str, dataset: dict[str, Any] | str) -> None:
        """Tell front ends that a dataset was created, changed or deleted (``action``)."""

    def uploaded(self, size: int) -> None:
        """An upload of ``size`` bytes became a dataset (for the host's metrics)."""

    def import_file(self, handler: RequestHandler, body: dict[str, Any]) -> tuple[Path, str]:
        """``datasets/import``: the local file the ``{"path", "name"}`` body names, and the dataset name."""

    def request_done(self, handler: RequestHandler) -> None:
        """A request finished (for the host's metrics)."""


def error_body(
    message: str, reason: str | None, errors: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The one error shape of the whole API."""
    return {"message": message, "reason": reason or "", "errors": errors or []}


def bad_request(message: str, reason: str = "Bad Request") -> HTTPError:
    return HTTPError(400, message, reason=reason)


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class APIMixin(RequestHandler):
    """JSON in and out, store work off the event loop, and the one error shape.

    A base class supplies :meth:`pool` (and may supply :attr:`api_log`): ``LiveGraphsHandler``
    for the handlers both hosts serve, ``ServiceHandler`` for the hub service's own.
    """

    @property
    def api_log(self) -> Logger:
        return app_log

    def pool(self, heavy: bool) -> Executor:
        """The worker pool for store work; heavy work (ingest, changes, export) has its own."""
        raise NotImplementedError

    async def run(self, fn: Callable[..., T], *args: Any, heavy: bool = False, **kwargs: Any) -> T:
        """Run store work in a worker thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool(heavy), functools.partial(fn, *args, **kwargs))

    def finish_typed(self, body: bytes, content_type: str) -> None:
        """Finish with a body of ``content_type`` (a host whose ``finish`` labels bodies overrides this)."""
        self.set_header("Content-Type", content_type)
        self.finish(body)

    # -- answers --------------------------------------------------------------------------------

    def write_json(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY))

    def write_no_content(self) -> None:
        self.set_status(204)
        self.finish()

    def write_chart(self, result: ChartResult) -> None:
        """A chart's data: Arrow IPC when the caller accepts it, else JSON."""
        if ARROW_STREAM in self.request.headers.get("Accept", ""):
            self.finish_typed(result.to_arrow_bytes(), ARROW_STREAM)
        else:
            self.write_json(result.to_json())

    async def send_export(self, export: ExportFile) -> None:
        """Stream an exported version as an attachment (never rendered), then drop a temporary file."""
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

    def send_openapi(self) -> None:
        """The OpenAPI 3 description of the API."""
        body = files("livegraphs_ext").joinpath("openapi.yaml").read_bytes()
        self.finish_typed(body, "application/yaml; charset=utf-8")

    # -- request parsing ------------------------------------------------------------------------

    def int_arg(self, name: str, default: int | None = None) -> int | None:
        raw = self.get_argument(name, None)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise bad_request(f"{name} must be an integer, not {raw[:40]!r}", "Bad argument") from None

    def json_body(self) -> dict[str, Any]:
        try:
            body = orjson.loads(self.request.body or b"{}")
        except orjson.JSONDecodeError:
            raise bad_request("The request body is not valid JSON", "Bad JSON") from None
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object", "Bad JSON")
        return body

    def rows_args(self) -> dict[str, Any]:
        """``?version=&offset=&limit=&sort=&filter=`` of ``GET rows``, as the store's keyword arguments."""
        raw_filter = self.get_argument("filter", None)
        flt: Any = None
        if raw_filter:
            try:
                flt = orjson.loads(raw_filter)
            except orjson.JSONDecodeError:
                raise bad_request("filter must be JSON", "Bad argument") from None
        return {
            "version": self.int_arg("version"),
            "offset": self.int_arg("offset", 0),
            "limit": self.int_arg("limit", 100),
            "sort": self.get_argument("sort", None) or None,
            "filter": flt,
        }

    def recipe_args(self) -> tuple[int | None, str]:
        """``?version=&format=`` of ``GET recipe``: (version, "json" or "python")."""
        version = self.int_arg("version")
        fmt = self.get_argument("format", "json")
        if fmt not in ("json", "python"):
            raise bad_request("format is json or python", "Bad argument")
        return version, fmt

    def export_args(self) -> tuple[str, int | None]:
        """``?format=&version=`` of ``GET export``."""
        return self.get_argument("format", "csv"), self.int_arg("version")

    def column_arg(self) -> str:
        """``?column=`` of ``GET profile``, which must name one."""
        column = self.get_argument("column", None)
        if not column:
            raise bad_request("Name a column: ?column=...", "Bad argument")
        return column

    def new_name(self) -> str:
        """The ``{"name"}`` body of a rename."""
        body = self.json_body()
        if "name" not in body or not isinstance(body["name"], str):
            raise bad_request('Send {"name": "new name"}')
        return body["name"]

    def revert_version(self) -> int:
        """The ``{"version": N}`` body of a revert."""
        version = self.json_body().get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise bad_request('Send {"version": N}')
        return version

    def step_body(self) -> tuple[dict[str, Any], int | None]:
        """The ``{"step", "base_version"}`` body of a transform: (step, base version or None)."""
        body = self.json_body()
        step = body.get("step")
        if not isinstance(step, dict):
            raise bad_request('Send {"step": {"op": ...}}')
        return step, optional_int(body, "base_version")

    def formula_body(self) -> tuple[Any, int | None]:
        """The ``{"formula", "version"}`` body of a formula check: (formula, version or None)."""
        body = self.json_body()
        version = optional_int(body, "version")
        return body.get("formula"), version

    def chart_spec(self) -> dict[str, Any]:
        """The ``{"spec"}`` body of a chart query."""
        spec = self.json_body().get("spec")
        if not isinstance(spec, dict):
            raise bad_request('Send {"spec": {...}} (see charts/schema)', "Bad chart spec")
        return spec

    # -- errors ---------------------------------------------------------------------------------

    def _handle_request_exception(self, e: BaseException) -> None:
        if isinstance(e, StoreError):
            if self._finished:
                return
            self.api_log.info(
                "livegraphs: %s %s -> %s %s", self.request.method, self.request.path, e.status, e
            )
            self.clear()
            self.set_status(e.status if e.status in responses else 400, reason=e.reason or None)
            self.set_header("Content-Type", "application/json")
            self.finish(orjson.dumps(error_body(e.message, e.reason, [p.to_json() for p in e.errors])))
            return
        super()._handle_request_exception(e)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        message = responses.get(status_code, "Unknown HTTP Error")
        reason: str | None = message
        exc_info = kwargs.get("exc_info")
        if exc_info:
            e = exc_info[1]
            if isinstance(e, HTTPError):
                message = e.log_message or message
                reason = e.reason or reason
            else:
                # No tracebacks or paths leave the server; the log has them.
                message, reason = "Internal server error", "Server Error"
        self.set_header("Content-Type", "application/json")
        if isinstance(self, UploadBody):
            # An upload refused before its body was read: close the connection, so a proxy
            # (configurable-http-proxy keeps connections alive) never reuses a socket that
            # still has the unread body in flight.
            self.set_header("Connection", "close")
        self.finish(orjson.dumps(error_body(message, reason)))


def optional_int(body: dict[str, Any], key: str) -> int | None:
    """``body[key]``: absent, null or an integer (400 otherwise)."""
    value = body.get(key)
    if value is not None and not is_int(value):
        raise bad_request(f"{key} must be an integer")
    return value


def not_found(path: str) -> HTTPError:
    """The JSON 404 of an unknown path under the API."""
    return HTTPError(404, f"No such API path: {path[:200]!r}", reason="Not Found")


class UploadBody(APIMixin):
    """``POST datasets?name=``: the body streamed straight into a staging file, never held in memory.

    The host authorizes the caller in ``prepare`` and then calls :meth:`start_upload`
    (before a single body byte is read); its ``post`` takes the file with :meth:`take_upload`.
    A cancelled or over-long upload leaves nothing behind.
    """

    _upload: Path | None = None
    _file: Any = None
    _received = 0
    _too_large = False
    _cancel: threading.Event | None = None

    def upload_limit(self) -> int:
        raise NotImplementedError

    def start_upload(self, staging_path: Callable[[], Path]) -> None:
        check_name(self.get_argument("name", None))
        limit = self.upload_limit()
        length = self.request.headers.get("Content-Length")
        if length is not None and length.isdigit() and int(length) > limit:
            raise HTTPError(413, f"The file is {int(length)} bytes; the limit is {limit}", reason="Too Large")
        connection = self.request.connection
        if isinstance(connection, HTTP1Connection):
            connection.set_max_body_size(limit)
        self._cancel = threading.Event()
        self._upload = staging_path()
        self._file = open(self._upload, "wb")  # noqa: SIM115 - closed in take_upload() or on_finish()

    def data_received(self, chunk: bytes) -> None:
        if self._file is None:
            return
        self._received += len(chunk)
        if self._received > self.upload_limit():
            self._too_large = True
            self._discard()
            return
        self._file.write(chunk)

    def take_upload(self) -> Path:
        """The complete uploaded file, now the caller's to ingest (413/400 if it is not whole)."""
        if self._too_large:
            raise HTTPError(413, f"The file is over the {self.upload_limit()}-byte limit", reason="Too Large")
        if self._file is None or self._upload is None:
            raise bad_request("The upload was interrupted")
        self._file.close()
        self._file = None
        src, self._upload = self._upload, None
        return src

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
        super().on_finish()
