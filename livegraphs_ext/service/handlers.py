"""The service's REST API: the laptop extension's routes, plus shares, activity and admin figures.

Every dataset route goes through :class:`~livegraphs_ext.store.GuardedStore`, so
what a caller may see or do is decided by the store's ACL for the
:class:`~livegraphs_ext.store.Principal` the hub vouched for.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import threading
from collections.abc import Callable
from http.client import responses
from importlib.resources import files
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import orjson
from tornado import web
from tornado.http1connection import HTTP1Connection
from tornado.log import app_log
from tornado.web import HTTPError

from ..store import GuardedStore, StoreError, check_name
from ..store.events import parse_time
from ..store.files import remove_quietly
from .auth import APIIdentified, authorized

T = TypeVar("T")
CHUNK = 1 << 20
_TOKEN_HEADER = ("token ", "bearer ")


def error_body(
    message: str, reason: str | None, errors: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The one error shape of the whole API (the same as the laptop extension's)."""
    return {"message": message, "reason": reason or "", "errors": errors or []}


class ServiceHandler(APIIdentified):
    """Base of the API handlers: the guarded store, worker threads, JSON in and out, one error shape."""

    @property
    def guarded(self) -> GuardedStore:
        return self.settings["guarded"]

    def check_xsrf_cookie(self) -> None:
        # Token callers (kernels, servers, scripts) cannot be driven by another site; cookie callers must
        # echo the _xsrf cookie in X-XSRFToken.
        auth = self.request.headers.get("Authorization", "").lower()
        if auth.startswith(_TOKEN_HEADER):
            return
        super().check_xsrf_cookie()

    async def run(self, fn: Callable[..., T], *args: Any, heavy: bool = False, **kwargs: Any) -> T:
        pool = self.settings["heavy_pool" if heavy else "light_pool"]
        return await asyncio.get_running_loop().run_in_executor(pool, functools.partial(fn, *args, **kwargs))

    def api_url(self, *parts: str) -> str:
        return "/".join([self.settings["api_prefix"].rstrip("/"), *parts])

    def write_json(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY))

    def int_arg(self, name: str, default: int | None = None) -> int | None:
        raw = self.get_argument(name, None)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise HTTPError(
                400, f"{name} must be an integer, not {raw[:40]!r}", reason="Bad argument"
            ) from None

    def json_body(self) -> dict[str, Any]:
        try:
            body = orjson.loads(self.request.body or b"{}")
        except orjson.JSONDecodeError:
            raise HTTPError(400, "The request body is not valid JSON", reason="Bad JSON") from None
        if not isinstance(body, dict):
            raise HTTPError(400, "The request body must be a JSON object", reason="Bad JSON")
        return body

    def on_finish(self) -> None:
        metrics = self.settings.get("metrics")
        if metrics is not None:
            metrics.observe_request(self)

    def _handle_request_exception(self, e: BaseException) -> None:
        if isinstance(e, StoreError):
            if self._finished:
                return
            app_log.info("livegraphs: %s %s -> %s %s", self.request.method, self.request.path, e.status, e)
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
                message, reason = "Internal server error", "Server Error"
        self.set_header("Content-Type", "application/json")
        self.finish(orjson.dumps(error_body(message, reason)))


@web.stream_request_body
class DatasetsHandler(ServiceHandler):
    """``GET datasets[?owner=&name=]`` lists what the caller may read; ``POST datasets?name=`` uploads."""

    _upload: Path | None = None
    _file: Any = None
    _received = 0
    _too_large = False
    _cancel: threading.Event | None = None

    async def prepare(self) -> None:
        await super().prepare()
        if self.request.method != "POST" or self._finished:
            return
        # Identify the caller before a single body byte is kept.
        if not self.current_user:
            raise HTTPError(403, "Send a JupyterHub token or log in", reason="Forbidden")
        check_name(self.get_argument("name", None))
        limit = self.settings["max_upload_bytes"]
        length = self.request.headers.get("Content-Length")
        if length is not None and length.isdigit() and int(length) > limit:
            raise HTTPError(413, f"The file is {int(length)} bytes; the limit is {limit}", reason="Too Large")
        if isinstance(self.request.connection, HTTP1Connection):
            self.request.connection.set_max_body_size(limit)
        self._cancel = threading.Event()
        self._upload = self.guarded.store.staging_path()
        self._file = open(self._upload, "wb")  # noqa: SIM115 - closed in post() or on_finish()

    def data_received(self, chunk: bytes) -> None:
        if self._file is None:
            return
        self._received += len(chunk)
        if self._received > self.settings["max_upload_bytes"]:
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
        if self._cancel is not None:
            self._cancel.set()
        self._discard()

    def on_finish(self) -> None:
        self._discard()
        super().on_finish()

    @web.authenticated
    @authorized
    async def get(self) -> None:
        datasets = await self.run(
            self.guarded.list_datasets,
            self.principal,
            owner=self.get_argument("owner", None) or None,
            name=self.get_argument("name", None) or None,
        )
        self.write_json({"datasets": datasets})

    @web.authenticated
    @authorized
    async def post(self) -> None:
        if self._too_large:
            raise HTTPError(
                413,
                f"The file is over the {self.settings['max_upload_bytes']}-byte limit",
                reason="Too Large",
            )
        if self._file is None or self._upload is None:
            raise HTTPError(400, "The upload was interrupted", reason="Bad Request")
        self._file.close()
        self._file = None
        src, self._upload = self._upload, None
        dataset = await self.run(
            self.guarded.create_from_file,
            self.principal,
            src,
            name=self.get_argument("name", None),
            content_type=self.request.headers.get("Content-Type"),
            filename=self.get_argument("filename", None),
            cancel=self._cancel,
            heavy=True,
        )
        metrics = self.settings.get("metrics")
        if metrics is not None:
            metrics.upload(self._received)
        self.set_header("Location", self.api_url("datasets", dataset["id"]))
        self.write_json(dataset, status=201)


class DatasetHandler(ServiceHandler):
    """One dataset: read (anyone it is shared with), rename (editors), delete (owner, admins)."""

    @web.authenticated
    @authorized
    async def get(self, dataset_id: str) -> None:
        self.write_json(await self.run(self.guarded.get, self.principal, dataset_id))

    @web.authenticated
    @authorized
    async def patch(self, dataset_id: str) -> None:
        body = self.json_body()
        if "name" not in body or not isinstance(body["name"], str):
            raise HTTPError(400, 'Send {"name": "new name"}', reason="Bad Request")
        self.write_json(await self.run(self.guarded.rename, self.principal, dataset_id, body["name"]))

    @web.authenticated
    @authorized
    async def delete(self, dataset_id: str) -> None:
        await self.run(self.guarded.delete, self.principal, dataset_id, heavy=True)
        self.set_status(204)
        self.finish()


class RowsHandler(ServiceHandler):
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
            self.guarded.rows,
            self.principal,
            dataset_id,
            version=self.int_arg("version"),
            offset=self.int_arg("offset", 0),
            limit=self.int_arg("limit", 100),
            sort=self.get_argument("sort", None) or None,
            filter=flt,
        )
        self.write_json(page)


class VersionsHandler(ServiceHandler):
    @web.authenticated
    @authorized
    async def get(self, dataset_id: str) -> None:
        self.write_json({"versions": await self.run(self.guarded.versions, self.principal, dataset_id)})


class VersionHandler(ServiceHandler):
    @web.authenticated
    @authorized
    async def get(self, dataset_id: str, number: str) -> None:
        self.write_json(await self.run(self.guarded.version, self.principal, dataset_id, int(number)))


class RevertHandler(ServiceHandler):
    @web.authenticated
    @authorized
    async def post(self, dataset_id: str) -> None:
        version = self.json_body().get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise HTTPError(400, 'Send {"version": N}', reason="Bad Request")
        self.write_json(await self.run(self.guarded.revert, self.principal, dataset_id, version), status=201)


class TransformsHandler(ServiceHandler):
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
            self.guarded.apply_step, self.principal, dataset_id, step, base_version=base, heavy=True
        )
        self.write_json(result, status=201)


class RecipeHandler(ServiceHandler):
    @web.authenticated
    @authorized
    async def get(self, dataset_id: str) -> None:
        version = self.int_arg("version")
        fmt = self.get_argument("format", "json")
        if fmt == "python":
            code = await self.run(self.guarded.recipe_code, self.principal, dataset_id, version)
            self.write_json({"code": code})
        elif fmt == "json":
            self.write_json(
                {"steps": await self.run(self.guarded.recipe, self.principal, dataset_id, version)}
            )
        else:
            raise HTTPError(400, "format is json or python", reason="Bad argument")


class ExportHandler(ServiceHandler):
    """Download a version as CSV, Parquet or JSON; always an attachment, never rendered."""

    @web.authenticated
    @authorized
    async def get(self, dataset_id: str) -> None:
        fmt = self.get_argument("format", "csv")
        export = await self.run(
            self.guarded.export, self.principal, dataset_id, fmt, self.int_arg("version"), heavy=True
        )
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


class SharesHandler(ServiceHandler):
    """``GET``: who the dataset is shared with; ``POST {"kind", "name", "role"}``: share it.

    Any reader may list the shares; only the owner and admins may change them.
    """

    @web.authenticated
    @authorized
    async def get(self, dataset_id: str) -> None:
        self.write_json({"shares": await self.run(self.guarded.shares, self.principal, dataset_id)})

    @web.authenticated
    @authorized
    async def post(self, dataset_id: str) -> None:
        body = self.json_body()
        kind, name, role = self.guarded.check_share(
            body.get("kind"), body.get("name"), body.get("role", "viewer")
        )
        await self.run(self.guarded.require, self.principal, dataset_id, "manage")
        await self._check_on_hub(kind, name)
        share = await self.run(self.guarded.share, self.principal, dataset_id, kind, name, role)
        self.write_json(share, status=201)

    async def _check_on_hub(self, kind: str, name: str) -> None:
        """A share names a hub user or group that exists: a typo should not share with nobody."""
        hub_api = self.settings.get("hub_api")
        if hub_api is None:
            return
        try:
            await hub_api.call("GET", f"{kind}s/{quote(name, safe='')}")
        except HTTPError as e:
            if e.status_code == 404:
                raise HTTPError(400, f"There is no hub {kind} named {name!r}", reason="Bad share") from None
            # The hub could not be asked (or this service may not read names): the share is kept.
            app_log.warning("livegraphs: could not check hub %s %r: %s", kind, name, e)


class ShareHandler(ServiceHandler):
    """``DELETE shares/{user|group}/{name}``: stop sharing with them (owner, admins)."""

    @web.authenticated
    @authorized
    async def delete(self, dataset_id: str, kind: str, name: str) -> None:
        from urllib.parse import unquote

        await self.run(self.guarded.unshare, self.principal, dataset_id, kind, unquote(name))
        self.set_status(204)
        self.finish()


class UserHandler(ServiceHandler):
    """``GET user``: the caller as the service sees them (name, groups, admin)."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.write_json(self.principal.to_json())


def _time_args(handler: ServiceHandler) -> dict[str, dt.datetime | None]:
    try:
        return {
            "since": parse_time(handler.get_argument("since", None), "since"),
            "until": parse_time(handler.get_argument("until", None), "until"),
        }
    except StoreError as e:
        raise HTTPError(400, e.message, reason=e.reason) from None


class EventsHandler(ServiceHandler):
    """``GET events`` (admins): the activity log, filtered.

    ``POST events``: report a chart or dashboard view of a dataset the caller may read.
    """

    @web.authenticated
    @authorized
    async def get(self) -> None:
        actions = [a for raw in self.get_arguments("action") for a in raw.split(",") if a]
        admin_arg = self.get_argument("admin", None)
        if admin_arg not in (None, "", "true", "false"):
            raise HTTPError(400, "admin is true or false", reason="Bad argument")
        times = _time_args(self)
        result = await self.run(
            self.guarded.list_events,
            self.principal,
            user=self.get_argument("user", None) or None,
            action=actions or None,
            dataset_id=self.get_argument("dataset_id", None) or None,
            admin=None if not admin_arg else admin_arg == "true",
            limit=self.int_arg("limit", 100) or 0,
            offset=self.int_arg("offset", 0) or 0,
            since=times["since"],
            until=times["until"],
        )
        self.write_json(result)

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_body()
        dataset_id, action, detail = body.get("dataset_id"), body.get("action"), body.get("detail") or {}
        if not isinstance(dataset_id, str) or not isinstance(detail, dict):
            raise HTTPError(
                400, 'Send {"action": "chart_view", "dataset_id": "...", "detail": {}}', reason="Bad Request"
            )
        if len(orjson.dumps(detail)) > 4096:
            raise HTTPError(400, "detail is at most 4 KiB of JSON", reason="Bad Request")
        await self.run(self.guarded.report_view, self.principal, str(action), dataset_id, detail)
        self.set_status(204)
        self.finish()


class EngagementHandler(ServiceHandler):
    """``GET admin/engagement?since=&until=`` (admins): who is active on what; default the last 30 days."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        times = _time_args(self)
        until = times["until"] or dt.datetime.now(dt.timezone.utc)
        since = times["since"] or until - dt.timedelta(days=30)
        self.write_json(await self.run(self.guarded.engagement, self.principal, since=since, until=until))


class OpenAPIHandler(ServiceHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.set_header("Content-Type", "application/yaml; charset=utf-8")
        self.finish(files("livegraphs_ext").joinpath("openapi.yaml").read_bytes())


class NotFoundHandler(ServiceHandler):
    """Unknown paths under the API answer in the API's error shape (after authentication)."""

    @web.authenticated
    @authorized
    async def get(self, path: str) -> None:
        raise HTTPError(404, f"No such API path: {path[:200]!r}", reason="Not Found")

    post = put = patch = delete = get


_ID = r"(?P<dataset_id>[0-9a-f]{32})"

#: (path under the service's api/, handler): the laptop API's routes first, then the service's own.
API_ROUTES: list[tuple[str, type]] = [
    (r"datasets", DatasetsHandler),
    (rf"datasets/{_ID}", DatasetHandler),
    (rf"datasets/{_ID}/rows", RowsHandler),
    (rf"datasets/{_ID}/versions", VersionsHandler),
    (rf"datasets/{_ID}/versions/(?P<number>[0-9]{{1,9}})", VersionHandler),
    (rf"datasets/{_ID}/revert", RevertHandler),
    (rf"datasets/{_ID}/transforms", TransformsHandler),
    (rf"datasets/{_ID}/recipe", RecipeHandler),
    (rf"datasets/{_ID}/export", ExportHandler),
    (rf"datasets/{_ID}/shares", SharesHandler),
    (rf"datasets/{_ID}/shares/(?P<kind>user|group)/(?P<name>[^/]+)", ShareHandler),
    (r"user", UserHandler),
    (r"events", EventsHandler),
    (r"admin/engagement", EngagementHandler),
    (r"openapi.yaml", OpenAPIHandler),
    (r"(?P<path>.*)", NotFoundHandler),
]
