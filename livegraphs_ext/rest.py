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
import contextlib
import functools
import math
import threading
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Executor
from http.client import responses
from importlib.resources import files
from logging import Logger
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from urllib.parse import quote

import orjson
from tornado.http1connection import HTTP1Connection
from tornado.log import app_log
from tornado.web import HTTPError, RequestHandler

from .store import GuardedStore, Principal, StoreError, check_name
from .store.charts import ARROW_STREAM, ChartEngine, ChartResult
from .store.files import remove_quietly
from .store.filters import check_filter_size
from .store.store import ExportFile

if TYPE_CHECKING:
    from .documents.rooms import Rooms
    from .store.documents import DocumentStore

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

    def page_login_url(self, handler: RequestHandler) -> str:
        """Where a page (not the API) sends a browser that is not logged in."""

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
    #: seconds between two logged openings of one document (dashboard, chart) by one user; None logs none
    document_view_every: float | None
    #: None: jupyter-server identifies callers and its Authorizer decides
    identity: Identity | None
    #: largest upload accepted, in bytes
    max_upload_bytes: int
    #: largest chart query body, in bytes
    max_query_bytes: int
    #: most values a query's filters may hold, summed over every condition
    max_filter_values: int
    #: seconds a chart, profile or page query may run before it is interrupted
    query_time_limit: int
    #: each user's turns at chart, profile and page queries
    query_gate: QueryGate
    #: requests of a public link, per link and client
    public_limit: RateLimit
    #: largest WebSocket message of a document room, in bytes
    room_max_message_bytes: int

    def principal(self, handler: RequestHandler) -> Principal:
        """The caller as the store sees them (403 when there is none)."""

    def api_url(self, *parts: str) -> str:
        """The URL path of ``parts`` under the API."""

    def make_rooms(self, documents: DocumentStore) -> Rooms:
        """The document rooms of the host's process (made once, at the first room connection)."""

    def notify(self, handler: RequestHandler, action: str, dataset: dict[str, Any] | str) -> None:
        """Tell front ends that a dataset was created, changed or deleted (``action``)."""

    def uploaded(self, size: int) -> None:
        """An upload of ``size`` bytes became a dataset (for the host's metrics)."""

    async def import_file(self, handler: RequestHandler, body: dict[str, Any]) -> tuple[Path, str | None]:
        """``datasets/import``: the local file the ``{"path", "name"}`` body names, and the dataset name
        (None when the body sends the file to an existing dataset: ``{"dataset", "mode"}``)."""

    def request_done(self, handler: RequestHandler) -> None:
        """A request finished (for the host's metrics)."""

    async def files_using(
        self, handler: RequestHandler, dataset: dict[str, Any], columns: list[str]
    ) -> dict[str, Any] | None:
        """The caller's chart and dashboard files using ``columns`` of ``dataset``
        (:func:`~livegraphs_ext.store.usage.files_using`), or None when the host cannot read them."""

    async def directory(self, handler: RequestHandler, prefix: str, limit: int) -> dict[str, list[str]]:
        """``{"users", "groups"}``: up to ``limit`` names of each that start with ``prefix`` (any case)."""


class RetryLater(HTTPError):
    """429 Too Many Requests, with ``Retry-After: retry_after`` (seconds)."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(429, message, reason="Too Many Requests")
        self.retry_after = retry_after


class QueryGate:
    """Each user's turns at chart, profile and page queries: at most ``per_user`` at once.

    A query past that waits (on the event loop, holding no worker thread) up to ``wait``
    seconds for one of the user's own queries to end, then gets :class:`RetryLater`. One
    user can so hold at most ``per_user`` of the read threads, however many requests they
    send; other users' turns are never affected. ``per_user`` 0 is no limit.
    """

    def __init__(self, per_user: int, wait: float):
        self.per_user, self.wait = per_user, wait
        self._turns: dict[str, tuple[asyncio.Semaphore, int]] = {}  # user: (turns, holders + waiters)

    def running(self, user: str) -> int:
        """How many queries of ``user`` hold or wait for a turn."""
        return self._turns.get(user, (None, 0))[1]

    @contextlib.asynccontextmanager
    async def turn(self, user: str) -> AsyncIterator[None]:
        if self.per_user <= 0:
            yield
            return
        sem, n = self._turns.get(user) or (asyncio.Semaphore(self.per_user), 0)
        self._turns[user] = (sem, n + 1)
        try:
            acquire = asyncio.ensure_future(sem.acquire())
            try:
                await asyncio.wait({acquire}, timeout=self.wait)
            finally:
                if not acquire.done():
                    acquire.cancel()
                    # a turn that comes as the wait ends is still taken (then cancel() did nothing)
                    with contextlib.suppress(asyncio.CancelledError):
                        await acquire
            if acquire.cancelled():
                raise RetryLater(
                    f"You already run {self.per_user} queries at once and more are waiting: "
                    "try again when they have finished",
                    max(1, math.ceil(self.wait / 2)),
                )
            try:
                yield
            finally:
                sem.release()
        finally:
            sem, n = self._turns[user]
            if n <= 1:
                del self._turns[user]
            else:
                self._turns[user] = (sem, n - 1)


class RateLimit:
    """A token bucket per user: ``per_minute`` requests a minute, in bursts of up to ``per_minute``.

    ``per_minute`` 0 means no limit.
    """

    def __init__(self, per_minute: int):
        self.per_minute = per_minute
        self._buckets: dict[str, tuple[float, float]] = {}  # user: (tokens, when counted)
        self._lock = threading.Lock()

    def take(self, user: str) -> float:
        """Count one request of ``user``: 0 if allowed, else the seconds until the next one is."""
        if self.per_minute <= 0:
            return 0.0
        rate = self.per_minute / 60.0
        now = time.monotonic()
        with self._lock:
            tokens, then = self._buckets.get(user, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - then) * rate)
            if tokens >= 1:
                self._buckets[user] = (tokens - 1, now)
                return 0.0
            self._buckets[user] = (tokens, now)
            if len(self._buckets) > 10_000:  # forget full buckets: they are the default
                full = [u for u, (t, w) in self._buckets.items() if t + (now - w) * rate >= self.per_minute]
                for u in full:
                    del self._buckets[u]
            return (1 - tokens) / rate


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

    def request_body(self) -> bytes:
        """The request's whole body (a handler that streams its body keeps it elsewhere)."""
        return self.request.body

    def json_body(self) -> dict[str, Any]:
        try:
            body = orjson.loads(self.request_body() or b"{}")
        except orjson.JSONDecodeError:
            raise bad_request("The request body is not valid JSON", "Bad JSON") from None
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object", "Bad JSON")
        return body

    def rows_args(self) -> dict[str, Any]:
        """``?version=&offset=&limit=&sort=&filter=&q=`` of ``GET rows``, as the store's keyword arguments."""
        raw_filter = self.get_argument("filter", None)
        flt: Any = None
        if raw_filter:
            try:
                flt = orjson.loads(raw_filter)
            except orjson.JSONDecodeError:
                raise bad_request("filter must be JSON", "Bad argument") from None
            self.check_filter_size(flt)
        return {
            "version": self.int_arg("version"),
            "offset": self.int_arg("offset", 0),
            "limit": self.int_arg("limit", 100),
            "sort": self.get_argument("sort", None) or None,
            "filter": flt,
            "q": self.get_argument("q", None) or None,
        }

    def recipe_args(self) -> tuple[int | None, str]:
        """``?version=&format=`` of ``GET recipe``: (version, "json" or "python")."""
        version = self.int_arg("version")
        fmt = self.get_argument("format", "json")
        if fmt not in ("json", "python"):
            raise bad_request("format is json or python", "Bad argument")
        return version, fmt

    def export_args(self) -> tuple[str, int | None, str]:
        """``?format=&version=&purpose=`` of ``GET export`` (purpose: ``export``, or ``load`` from
        ``lg.load``, which names the logged event)."""
        return (
            self.get_argument("format", "csv"),
            self.int_arg("version"),
            self.get_argument("purpose", "export"),
        )

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

    def new_data_args(self) -> tuple[str, bool, int | None, int | None]:
        """``?mode=append|replace&replay=true|false&base_version=&onto_version=`` of ``POST data``."""
        mode = self.get_argument("mode", None)
        if mode not in ("append", "replace"):
            raise bad_request("mode is append or replace: ?mode=append", "Bad argument")
        replay = self.get_argument("replay", "true").lower()
        if replay not in ("true", "false", "1", "0"):
            raise bad_request("replay is true or false", "Bad argument")
        base, onto = self.int_arg("base_version"), self.int_arg("onto_version")
        if onto is not None and base is None:
            # what followed version `onto` is undone: only what the caller saw may be
            raise bad_request("onto_version needs base_version, the version you saw", "Bad argument")
        return mode, replay in ("true", "1"), base, onto

    def compare_args(self) -> tuple[int | None, int | None]:
        """``?to=&from=`` of ``GET compare``: (to, from), each None for its default."""
        return self.int_arg("to"), self.int_arg("from")

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
        """The ``{"spec"}`` body of a chart query (its filters counted before any other check)."""
        spec = self.json_body().get("spec")
        if not isinstance(spec, dict):
            raise bad_request('Send {"spec": {...}} (see charts/schema)', "Bad chart spec")
        self.check_filter_size(spec.get("filters"))
        return spec

    def check_filter_size(self, conditions: Any) -> None:
        """400 when a filter holds more values or conditions than the host allows (a cheap count)."""
        if conditions:
            check_filter_size(conditions, self.max_filter_values())

    def max_filter_values(self) -> int:
        """The host's ``max_filter_values`` (a base class with a host supplies it)."""
        raise NotImplementedError

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
            self._close_if_body_unread()
            self.finish(orjson.dumps(error_body(e.message, e.reason, [p.to_json() for p in e.errors])))
            return
        super()._handle_request_exception(e)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        message = responses.get(status_code, "Unknown HTTP Error")
        reason: str | None = message
        exc_info = kwargs.get("exc_info")
        if exc_info:
            e = exc_info[1]
            if isinstance(e, RetryLater):
                self.set_header("Retry-After", str(e.retry_after))
            if isinstance(e, HTTPError):
                message = e.log_message or message
                reason = e.reason or reason
            else:
                # No tracebacks or paths leave the server; the log has them.
                message, reason = "Internal server error", "Server Error"
        self.set_header("Content-Type", "application/json")
        self._close_if_body_unread()
        self.finish(orjson.dumps(error_body(message, reason)))

    def _close_if_body_unread(self) -> None:
        """A streamed body refused before it was read: say the connection closes.

        Tornado closes such a connection after the answer; without ``Connection: close`` a
        proxy that keeps connections alive (configurable-http-proxy does) may send the next
        request, maybe another user's, on that socket and answer it 503.
        """
        if getattr(self, "_stream_request_body", False):  # set by @web.stream_request_body
            self.set_header("Connection", "close")


async def check_on_hub(handler: RequestHandler, kind: str, name: str) -> None:
    """A share names a hub user or group that exists (a typo should not share with nobody).

    Asked of the hub only where the host has one (the service's ``hub_api`` setting).
    """
    hub_api = handler.settings.get("hub_api")
    if hub_api is None:
        return
    try:
        await hub_api.call("GET", f"{kind}s/{quote(name, safe='')}")
    except HTTPError as e:
        if e.status_code == 404:
            raise HTTPError(400, f"There is no hub {kind} named {name!r}", reason="Bad share") from None
        # The hub could not be asked (or this service may not read names): the share is kept.
        app_log.warning("livegraphs: could not check hub %s %r: %s", kind, name, e)


def optional_int(body: dict[str, Any], key: str) -> int | None:
    """``body[key]``: absent, null or an integer (400 otherwise)."""
    value = body.get(key)
    if value is not None and not is_int(value):
        raise bad_request(f"{key} must be an integer")
    return value


def not_found(path: str) -> HTTPError:
    """The JSON 404 of an unknown path under the API."""
    return HTTPError(404, f"No such API path: {path[:200]!r}", reason="Not Found")


class BoundedBody(APIMixin):
    """A handler (``@stream_request_body``) whose body is kept in memory up to ``body_limit()`` bytes.

    The host's ``prepare`` calls :meth:`start_body` before a single body byte is read: a
    larger ``Content-Length`` gets 413 at once; a longer body without one is dropped as it
    arrives and gets 413 when the handler asks for it.
    """

    _body: bytearray | None = None
    _over = False

    def body_limit(self) -> int:
        raise NotImplementedError

    def start_body(self) -> None:
        limit = self.body_limit()
        length = self.request.headers.get("Content-Length")
        if length is not None and length.isdigit() and int(length) > limit:
            raise self._too_large()
        self._body = bytearray()

    def _too_large(self) -> HTTPError:
        limit = self.body_limit()
        return HTTPError(
            413, f"The request body is over the {limit}-byte limit for a query", reason="Payload Too Large"
        )

    def data_received(self, chunk: bytes) -> None:
        if self._body is None or self._over:
            return
        if len(self._body) + len(chunk) > self.body_limit():
            self._over = True
            self._body = bytearray()
            return
        self._body += chunk

    def request_body(self) -> bytes:
        if self._over:
            raise self._too_large()
        return bytes(self._body) if self._body is not None else self.request.body


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

    def start_upload(self, staging_path: Callable[[], Path], *, named: bool = True) -> None:
        """Check the request, open the staging file; ``named``: check a new dataset's ``?name=`` too."""
        if named:
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
