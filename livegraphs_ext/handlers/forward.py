"""On a hub, the single-user server keeps no data: it forwards the REST API to the livegraphs service.

The browser keeps calling ``{base_url}livegraphs/api/...`` exactly as on a laptop.
Each request is passed on, body and answer streamed both ways, with this server's
``$JUPYTERHUB_API_TOKEN``: the service sees the server's owner and applies that
user's rights. Whoever may use this server (its owner, or people it is shared with)
already runs code as its owner, so they get the owner's rights and no more.

Two kinds of answer are completed here, where the owner's files are: new data and a comparison
name the owner's chart and dashboard files that use a removed or retyped column.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlencode

import orjson
from jupyter_server.auth.decorator import authorized, ws_authenticated
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from jupyter_server.utils import url_path_join
from tornado import httputil, web
from tornado.http1connection import HTTP1Connection
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.iostream import IOStream, StreamClosedError
from tornado.simple_httpclient import SimpleAsyncHTTPClient
from tornado.tcpclient import TCPClient
from tornado.web import HTTPError
from tornado.websocket import (
    WebSocketClientConnection,
    WebSocketClosedError,
    WebSocketError,
    WebSocketHandler,
    websocket_connect,
)

from ..rest import APIMixin
from . import voila
from .base import AUTH_RESOURCE, HOST_SETTING, LiveGraphsHandler
from .datasets import bad_values_choice, with_files
from .documents import DOC_ID
from .local import allowed, import_request, import_target

if TYPE_CHECKING:
    from ..app import LiveGraphsApp

#: Request headers passed on to the service; cookies and the caller's credentials never are.
_REQUEST_HEADERS = ("Content-Type", "Content-Length", "Accept", "Content-Encoding")
#: Response headers passed back to the browser.
_RESPONSE_HEADERS = (
    "Content-Type",
    "Content-Disposition",
    "Content-Length",
    "X-Content-Type-Options",
    "Cache-Control",
    "ETag",
    "Last-Modified",
)
_BODY_METHODS = {"POST", "PUT", "PATCH"}
#: The one route this server answers itself: the file to import is on its disk, not the service's.
IMPORT_PATH = "datasets/import"
_IMPORT_BODY_MAX = 64 << 10
CHUNK = 1 << 20
_DONE = b""
#: Answers that name the chart and dashboard files using a removed or retyped column: the
#: service cannot read this server's files, so these are held whole and the files added here.
_NEW_DATA = re.compile(r"datasets/(?P<dataset>[0-9a-f]{32})/data")
_COMPARE = re.compile(r"datasets/(?P<dataset>[0-9a-f]{32})/compare")
#: The most of such an answer held (a dataset with its changes, or a comparison).
_HELD_MAX = 16 << 20


@web.stream_request_body
class ForwardHandler(LiveGraphsHandler):
    """Every ``livegraphs/api/<path>`` request, forwarded to ``<service>/api/<path>``."""

    _queue: asyncio.Queue[bytes] | None = None
    _fetch: asyncio.Future[None] | None = None
    _status: tuple[int, str] | None = None
    _headers_sent = False
    #: the JSON body of a ``POST datasets/import``, which this server answers itself
    _import_body: bytearray | None = None
    _gone = False
    #: the connections to the service this request opened
    _upstream_streams: list[IOStream] = []
    #: the answer held whole, to add this server's chart files to (``_NEW_DATA``, ``_COMPARE``)
    _held: bytearray | None = None
    _held_dataset: str | None = None
    #: the service's answer ended before its end (its connection failed or was cut)
    _broken = False

    @property
    def lg(self) -> LiveGraphsApp:
        return cast("LiveGraphsApp", self.host)

    async def prepare(self) -> None:  # type: ignore[override]
        await super().prepare()
        if self._finished or self.request.method not in _BODY_METHODS:
            return
        # Decide before the first body byte is read: in post() it would come after the whole stream.
        if not self.current_user:
            raise HTTPError(403)
        if not await allowed(self, "write", AUTH_RESOURCE):
            raise HTTPError(403, "You may not change livegraphs data", reason="Forbidden")
        if self.request.method == "POST" and self.path_kwargs["path"] == IMPORT_PATH:
            self._import_body = bytearray()
            if isinstance(self.request.connection, HTTP1Connection):
                self.request.connection.set_max_body_size(_IMPORT_BODY_MAX)
            return
        if isinstance(self.request.connection, HTTP1Connection):
            self.request.connection.set_max_body_size(self.lg.max_upload_bytes)
        if self.request.method == "POST":
            self._hold(_NEW_DATA.fullmatch(self.path_kwargs["path"]))
        # The upstream request starts now and reads the body as it arrives.
        self._queue = asyncio.Queue(maxsize=8)
        self._fetch = asyncio.ensure_future(self._upstream(self.path_kwargs["path"]))

    async def data_received(self, chunk: bytes) -> None:
        if self._import_body is not None:
            self._import_body += chunk
            return
        if self._queue is None or self._fetch is None or not chunk:
            return
        # Wait while the service is slower than the browser; drop the rest if it has already answered.
        put = asyncio.ensure_future(self._queue.put(chunk))
        await asyncio.wait({put, self._fetch}, return_when=asyncio.FIRST_COMPLETED)
        if not put.done():
            put.cancel()

    def on_connection_close(self) -> None:
        # The browser went away: end the upstream body early, so the service drops the upload,
        # and close the connection to the service, so it stops the query it is running for us.
        self._gone = True
        if self._queue is not None:
            self._queue.put_nowait(b"\x00abort")
        for stream in self._upstream_streams:
            stream.close()

    async def _body(self, write: Any) -> None:
        assert self._queue is not None
        while True:
            chunk = await self._queue.get()
            if chunk is _DONE:
                return
            if chunk == b"\x00abort":
                raise ConnectionAbortedError("the client went away")
            await write(chunk)

    def _on_header(self, line: str) -> None:
        if line.startswith("HTTP/"):
            start = httputil.parse_response_start_line(line.strip())
            self._status = (start.code, start.reason)
            self._upstream_headers = httputil.HTTPHeaders()
        elif line.strip():
            self._upstream_headers.parse_line(line)
        elif self._status is not None and self._status[0] != 100:
            self._send_headers()

    def _send_headers(self) -> None:
        assert self._status is not None
        self.clear()
        self.set_status(self._status[0], self._status[1] or None)
        for name in _RESPONSE_HEADERS:
            value = self._upstream_headers.get(name)
            if value is not None:
                self.set_header(name, value)
        location = self._upstream_headers.get("Location")
        if location:
            service_api = url_path_join(self.lg.service_prefix_path(), "api")
            if location.startswith(service_api):
                location = self.lg.api_url(location[len(service_api) :].lstrip("/"))
            self.set_header("Location", location)
        self._headers_sent = True

    def _on_chunk(self, chunk: bytes) -> None:
        if not self._headers_sent:
            self._send_headers()
        if self._held is not None:
            if len(self._held) + len(chunk) > _HELD_MAX:
                # not an answer to complete: what was held goes on, and the rest as it comes
                self.write(bytes(self._held))
                self._held = None
            else:
                self._held += chunk
                return
        self.write(chunk)
        self.flush()

    def _hold(self, match: re.Match[str] | None) -> None:
        """Hold the answer about the dataset ``match`` names whole, to add the files to it."""
        if match is not None:
            self._held, self._held_dataset = bytearray(), match["dataset"]

    async def _release(self) -> None:
        """Send the held answer, with the chart and dashboard files of this server that use the
        removed or retyped columns it names (as on a laptop: :func:`with_files`).

        Nothing of it has been sent yet: an answer the service broke off is a 502, not a part.
        """
        held, self._held = self._held, None
        if held is None or self._gone:
            return
        expected = self._upstream_headers.get("Content-Length") if self._status else None
        if self._broken or (expected is not None and expected.isdigit() and int(expected) != len(held)):
            raise HTTPError(502, "The livegraphs service broke off its answer", reason="Bad Gateway")
        body = bytes(held)
        status = self._status[0] if self._status else 0
        if 200 <= status < 300 and status != 204 and self._held_dataset is not None:
            try:
                body = await self._with_files(orjson.loads(body), self._held_dataset)
            except Exception:  # the answer goes as it came, without the files
                self.log.warning("livegraphs: could not name the chart files in an answer", exc_info=True)
            else:
                self.clear_header("Etag")  # the service's was of the answer without them
        if self._gone or status in (204, 304):
            return
        self.set_header("Content-Length", str(len(body)))
        self.write(body)

    async def _with_files(self, answer: Any, dataset_id: str) -> bytes:
        if "changes" in answer:
            # new data: the answer is the dataset, with its changes
            await with_files(self, answer, answer["changes"], answer["changes"]["charts"])
        elif answer["columns"]["removed"] or answer["columns"]["retyped"]:
            dataset = await self._service_json(f"datasets/{dataset_id}")
            if self._gone:
                return b""
            await with_files(self, dataset, answer["columns"], answer["charts"])
        return orjson.dumps(answer)

    async def _service_json(self, path: str) -> Any:
        """The service's JSON answer to ``GET path``, asked with this server's token."""
        client = make_forward_client()
        try:
            response = await client.fetch(
                url_path_join(self.lg.service_api_url(), path),
                headers={"Authorization": f"token {self.lg.hub_api_token}"},
                connect_timeout=30,
                request_timeout=60,
            )
        finally:
            client.close()
        return orjson.loads(response.body)

    async def _forward(self, path: str) -> None:
        if self._fetch is None:
            self._fetch = asyncio.ensure_future(self._upstream(path))
        elif self._queue is not None:
            self._queue.put_nowait(_DONE)  # the whole body has arrived
        await self._fetch
        await self._release()
        self.finish()

    async def _import(self) -> None:
        """``POST datasets/import {"path", "name", "bad_values"?}``: a file of this server to the upload.

        With ``{"dataset", "mode"}`` it goes to ``POST datasets/{id}/data`` instead (append, replace).

        The file is checked as on a laptop (inside the contents root, not hidden, the caller may
        read files), then sent a chunk at a time, each only once the last has left, to
        ``POST datasets?name=&filename=`` with this server's token: the service makes the dataset.
        """
        assert self._import_body is not None
        try:
            body = orjson.loads(bytes(self._import_body) or b"{}")
        except orjson.JSONDecodeError:
            raise HTTPError(400, "The request body is not valid JSON", reason="Bad JSON") from None
        if not isinstance(body, dict):
            raise HTTPError(400, "The request body must be a JSON object", reason="Bad JSON")
        bad_values = bad_values_choice(body.get("bad_values"))
        target = import_target(body)
        source, name = await import_request(self, body)
        size = source.stat().st_size
        if size > self.lg.max_upload_bytes:
            # the service would refuse it too, but only after the whole file was offered
            limit = self.lg.max_upload_bytes
            raise HTTPError(413, f"The file is {size} bytes; the limit is {limit}", reason="Too Large")
        query: dict[str, str] = {"filename": source.name} | ({"bad_values": bad_values} if bad_values else {})
        if target is None:
            path, query["name"] = "datasets", str(name)
        else:
            path = f"datasets/{target.dataset}/data"
            query |= {"mode": target.mode, "replay": "true" if target.replay else "false"}
            self._hold(_NEW_DATA.fullmatch(path))
        self._fetch = asyncio.ensure_future(
            self._upstream(
                path,
                query=urlencode(query),
                headers={"Content-Length": str(size)},
                body=functools.partial(self._file_body, source, size),
            )
        )
        await self._fetch
        await self._release()
        self.finish()

    async def _file_body(self, source: Path, size: int, write: Any) -> None:
        loop = asyncio.get_running_loop()
        with open(source, "rb") as f:
            left = size
            while left > 0:
                chunk = await loop.run_in_executor(None, f.read, min(CHUNK, left))
                if not chunk:
                    raise ConnectionAbortedError(f"{source.name} shrank while it was sent")
                if self._gone:
                    raise ConnectionAbortedError("the client went away")
                left -= len(chunk)
                await write(chunk)  # resolves once the chunk is on its way: the service sets the pace

    async def _upstream(
        self,
        path: str,
        *,
        query: str | None = None,
        headers: dict[str, str] | None = None,
        body: Any = None,
    ) -> None:
        method = self.request.method or "GET"
        url = url_path_join(self.lg.service_api_url(), path)
        query = self.request.query if query is None else query
        if query:
            url += "?" + query
        if headers is None:
            headers = {k: v for k in _REQUEST_HEADERS if (v := self.request.headers.get(k)) is not None}
        headers["Authorization"] = f"token {self.lg.hub_api_token}"
        if body is None and self._queue is not None:
            body = self._body
        request = HTTPRequest(
            url,
            method=method,
            headers=headers,
            body_producer=body,
            allow_nonstandard_methods=True,
            header_callback=self._on_header,
            streaming_callback=self._on_chunk,
            follow_redirects=False,
            connect_timeout=30,
            request_timeout=float(self.lg.ingest_time_limit + 600),
            decompress_response=False,
        )
        # a client of this request's own, so that a caller who leaves cuts the service off too
        client = make_forward_client()
        tracked = _TrackedTCPClient()
        client.tcp_client = tracked
        self._upstream_streams = tracked.streams
        try:
            response = await client.fetch(request, raise_error=False)
            # 599: no HTTP answer, or one cut short
            self._broken = response.code == 599
        except (OSError, HTTPClientError) as e:
            self._broken = True
            if self._gone:
                return
            self.log.warning("livegraphs: the service at %s did not answer: %s", url, e)
            if not self._headers_sent:
                raise HTTPError(502, "The livegraphs service cannot be reached", reason="Bad Gateway") from e
        finally:
            client.close()
        if self._gone:
            return
        if not self._headers_sent:
            if self._status is None:
                raise HTTPError(502, "The livegraphs service gave no answer", reason="Bad Gateway")
            self._send_headers()

    @web.authenticated
    @authorized
    async def get(self, path: str) -> None:
        self._hold(_COMPARE.fullmatch(path))
        await self._forward(path)

    @web.authenticated
    @authorized
    async def post(self, path: str) -> None:
        if self._import_body is not None:
            await self._import()
        else:
            await self._forward(path)

    @web.authenticated
    @authorized
    async def put(self, path: str) -> None:
        await self._forward(path)

    @web.authenticated
    @authorized
    async def patch(self, path: str) -> None:
        await self._forward(path)

    @web.authenticated
    @authorized
    async def delete(self, path: str) -> None:
        await self._forward(path)


class _TrackedTCPClient(TCPClient):
    """A TCP client that keeps the streams it opens, so that its request can be cut off."""

    def __init__(self) -> None:
        super().__init__()
        self.streams: list[IOStream] = []

    async def connect(self, *args: Any, **kwargs: Any) -> IOStream:
        stream = await super().connect(*args, **kwargs)
        self.streams.append(stream)
        return stream


def make_forward_client() -> SimpleAsyncHTTPClient:
    """An HTTP client of its own: no response size cap (exports can be large), a few connections."""
    return SimpleAsyncHTTPClient(force_instance=True, max_clients=20, max_body_size=1 << 50)


#: Seconds to wait for the service to accept a room connection, and between two pings of it.
ROOM_CONNECT_TIMEOUT = ROOM_PING_SECONDS = 30


def sendable_close_code(code: int | None) -> int | None:
    """``code`` if an endpoint may send it in a close frame (RFC 6455 7.4), else None."""
    if code is None:
        return None
    return code if 1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999 else None


class RoomForwardHandler(WebSocketMixin, WebSocketHandler, APIMixin, JupyterHandler):
    """``livegraphs/api/documents/{id}/room``: the document's room, a WebSocket to the service's.

    The caller is authenticated and authorized by this server (jupyter-server's identity,
    Authorizer and origin check) before anything reaches the service; then the service's room is
    opened with this server's token, so the service decides what the owner of this server may do
    with the document. A refusal by the service (404, 403) is this request's answer. Once both are
    open, frames go both ways as they are (text stays text, bytes stay bytes), one at a time each
    way, so a slow side slows the other rather than filling memory; each side is closed with the
    other's close code.
    """

    auth_resource = AUTH_RESOURCE
    _upstream: WebSocketClientConnection | None = None
    _pump: asyncio.Task[None] | None = None
    _closed = False

    @property
    def lg(self) -> LiveGraphsApp:
        return cast("LiveGraphsApp", self.settings[HOST_SETTING])

    @property
    def max_message_size(self) -> int:
        # the largest message passed on, either way: the rooms' own limit (room_max_message_bytes)
        return int(self.lg.room_max_message_bytes)

    @ws_authenticated
    @authorized
    async def get(self, document_id: str) -> None:
        # The room carries edits, made with the owner's rights: reading this server is not enough.
        if not await allowed(self, "write", AUTH_RESOURCE):
            raise HTTPError(403, "You may not change livegraphs data", reason="Forbidden")
        if self.request.headers.get("Upgrade", "").lower() != "websocket":
            raise HTTPError(400, "This is a WebSocket: send Upgrade: websocket", reason="Bad Request")
        # tornado checks the origin again when it upgrades; the service must not be asked first
        if not self.check_origin(self.request.headers.get("Origin")):
            raise HTTPError(403, "Cross-origin WebSocket refused", reason="Forbidden")
        upstream = await self._connect(document_id)
        if upstream is None:
            return
        if self._closed:  # the caller left while the service was answering
            upstream.close(1001)
            return
        self._upstream = upstream
        try:
            await super().get(document_id)
        finally:
            if self._pump is None:  # never opened: the service must not keep a room for nobody
                upstream.close(1001)

    async def _connect(self, document_id: str) -> WebSocketClientConnection | None:
        """The service's room, or None once the caller has been answered with the service's refusal."""
        url = url_path_join(self.lg.service_api_url(), "documents", document_id, "room")
        url = "ws" + url.removeprefix("http")  # http: -> ws:, https: -> wss:
        request = HTTPRequest(
            url,
            headers={"Authorization": f"token {self.lg.hub_api_token}"},
            connect_timeout=ROOM_CONNECT_TIMEOUT,
            request_timeout=ROOM_CONNECT_TIMEOUT,
        )
        try:
            # pings find a service that vanished without closing (its host gone, say)
            return await websocket_connect(
                request, max_message_size=self.max_message_size, ping_interval=ROOM_PING_SECONDS
            )
        except HTTPClientError as e:
            response = e.response
            if response is None or e.code >= 599:
                self.log.warning("livegraphs: the service's room at %s did not answer: %s", url, e)
                raise HTTPError(502, "The livegraphs service cannot be reached", reason="Bad Gateway") from e
            # the service's own answer (its JSON error), as the REST forwarder passes it on
            self.set_status(e.code, response.reason or None)
            self.set_header("Content-Type", response.headers.get("Content-Type", "application/json"))
            self.finish(response.body)
            return None
        except (OSError, StreamClosedError, WebSocketError) as e:
            self.log.warning("livegraphs: the service's room at %s did not answer: %s", url, e)
            raise HTTPError(502, "The livegraphs service cannot be reached", reason="Bad Gateway") from e

    def open(self, *args: Any, **kwargs: Any) -> None:
        super().open(*args, **kwargs)
        # small messages both ways, each passed on at once (no Nagle delay on either socket)
        self.set_nodelay(True)
        if self._upstream is not None and self._upstream.protocol is not None:
            self._upstream.protocol.set_nodelay(True)
        self._pump = asyncio.ensure_future(self._from_service())

    async def _from_service(self) -> None:
        upstream = self._upstream
        assert upstream is not None
        while True:
            message = await upstream.read_message()
            if message is None:
                break
            try:
                await self.write_message(message, binary=isinstance(message, bytes))
            except WebSocketClosedError:
                upstream.close(1001)
                return
        # The service closed (a lost share: 4403, a deleted document: 4404...): so does the caller.
        code = sendable_close_code(upstream.close_code)
        reason = upstream.close_reason if code is not None else "The livegraphs service went away"
        self.close(code if code is not None else 1011, reason)

    async def on_message(self, message: str | bytes) -> None:
        # awaited before the next frame is read: the caller goes at the service's pace
        upstream = self._upstream
        if upstream is None:
            return
        # once the service has closed, _from_service closes the caller with its code
        with contextlib.suppress(WebSocketClosedError, StreamClosedError):
            await upstream.write_message(message, binary=isinstance(message, bytes))

    def on_close(self) -> None:
        self._closed = True
        upstream = self._upstream
        if upstream is not None:
            code = sendable_close_code(self.close_code)
            upstream.close(code if code is not None else 1001, self.close_reason if code else None)


#: The routes of the hub backend: a document's room, then everything else under the API, to the service
#: (but the server's own Voila publications, which it asks the hub about itself).
FORWARD_ROUTES: list[tuple[str, type]] = [
    (rf"documents/{DOC_ID}/room", RoomForwardHandler),
    *voila.ROUTES,
    (r"(?P<path>.*)", ForwardHandler),
]
