"""What every livegraphs handler shares: auth, the store, the one JSON error shape."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from http.client import responses
from typing import TYPE_CHECKING, Any, TypeVar

import orjson
from jupyter_server.auth.identity import PasswordIdentityProvider
from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from tornado.web import HTTPError

from ..store import DatasetStore, StoreError

if TYPE_CHECKING:
    from ..app import LiveGraphsApp

T = TypeVar("T")

#: The resource name jupyter-server's Authorizer sees for every livegraphs route.
AUTH_RESOURCE = "livegraphs"


def error_body(
    message: str, reason: str | None, errors: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The one error shape of the whole API."""
    return {"message": message, "reason": reason or "", "errors": errors or []}


class LiveGraphsHandler(ExtensionHandlerMixin, APIHandler):
    """Base of the REST handlers: store access off the event loop and uniform errors."""

    auth_resource = AUTH_RESOURCE

    @property
    def lg(self) -> LiveGraphsApp:
        return self.extensionapp  # type: ignore[return-value]

    @property
    def store(self) -> DatasetStore:
        return self.lg.store

    @property
    def username(self) -> str:
        """Who owns what this request makes.

        jupyter-server's own identity provider names token users at random per
        session; on a laptop every one of them is the one local user, so datasets
        belong to that user. Other providers (JupyterHub's) give stable names.
        """
        if isinstance(self.identity_provider, PasswordIdentityProvider):
            return self.lg.local_user
        user = self.current_user
        return getattr(user, "username", None) or str(user)

    async def run(self, fn: Callable[..., T], *args: Any, heavy: bool = False, **kwargs: Any) -> T:
        """Run store work in a worker thread; heavy work (ingest, changes, export) has its own pool."""
        pool = self.lg.heavy_pool if heavy else self.lg.light_pool
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(pool, functools.partial(fn, *args, **kwargs))

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

    def _handle_request_exception(self, e: BaseException) -> None:
        if isinstance(e, StoreError):
            if self._finished:
                return
            self.log.info("livegraphs: %s %s -> %s %s", self.request.method, self.request.path, e.status, e)
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
        self.finish(orjson.dumps(error_body(message, reason)))
