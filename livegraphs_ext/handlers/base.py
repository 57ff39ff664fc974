"""The base of every livegraphs REST handler, on a laptop and on a hub.

A handler is a jupyter-server ``APIHandler`` that works through its host (``Host`` in
``livegraphs_ext.rest``), found in the application's settings as ``livegraphs_host``: the
extension app on a laptop, the service app on a hub. On a laptop jupyter-server identifies the
caller and its Authorizer decides (``@authorized``); a host with its own ``identity`` (the hub
service, with the hub's tokens) takes those steps over, and its Authorizer decides.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor
from logging import Logger
from typing import Any, TypeVar, cast

from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.base.handlers import APIHandler
from tornado import web
from tornado.web import HTTPError, RequestHandler

from ..rest import APIMixin, BoundedBody, Host, error_body
from ..store import GuardedStore, Principal
from ..store.stopping import GONE, TIMEOUT, QueryControl

T = TypeVar("T")

#: The resource name the Authorizer sees for every livegraphs route.
AUTH_RESOURCE = "livegraphs"
#: The application setting that holds the host.
HOST_SETTING = "livegraphs_host"

__all__ = ["AUTH_RESOURCE", "HOST_SETTING", "LiveGraphsHandler", "QueryBodyHandler", "error_body"]


class LiveGraphsHandler(APIMixin, APIHandler):
    """Base of the REST handlers: the host's guarded store, pools and caller."""

    auth_resource = AUTH_RESOURCE

    @property
    def host(self) -> Host:
        return cast(Host, self.settings[HOST_SETTING])

    @property
    def guarded(self) -> GuardedStore:
        return self.host.guarded

    @property
    def principal(self) -> Principal:
        return self.host.principal(self)

    @property
    def api_log(self) -> Logger:
        return self.log

    def pool(self, heavy: bool) -> Executor:
        return self.host.heavy_pool if heavy else self.host.light_pool

    def max_filter_values(self) -> int:
        return self.host.max_filter_values

    # -- chart, profile and page queries: turns, a time limit, stopped when the caller leaves -----

    _control: QueryControl | None = None

    def gate_key(self) -> str:
        """Whose turns a query takes (``user_queries``): the caller's."""
        return self.principal.name

    async def run_query(self, fn: Callable[..., T], *args: Any, heavy: bool = False, **kwargs: Any) -> T:
        """Run a read query in a worker thread, bounded.

        It waits for one of the caller's turns (``user_queries``; 429 after
        ``user_queue_seconds``), is interrupted past ``query_time_limit`` seconds (408), and
        when the caller closes the connection its DuckDB work is interrupted at once.
        ``heavy`` work (a query whose result becomes a dataset) runs in the heavy pool.
        """
        host = self.host
        async with host.query_gate.turn(self.gate_key()):
            limit = float(host.query_time_limit)
            control = QueryControl(limit or None)
            if self._gone:
                control.stop(GONE)
            self._control = control
            # 0 is no limit, as DuckDB's max_execution_time reads it
            timer = asyncio.get_running_loop().call_later(limit, control.stop, TIMEOUT) if limit > 0 else None
            try:
                return await self.run(control.call, fn, *args, heavy=heavy, **kwargs)
            finally:
                if timer is not None:
                    timer.cancel()
                self._control = None

    _gone = False

    def on_connection_close(self) -> None:
        self._gone = True
        if self._control is not None:
            self._control.stop(GONE)
        super().on_connection_close()

    def finish_typed(self, body: bytes, content_type: str) -> None:
        # APIHandler.finish would label the body application/json otherwise
        self.finish(body, set_content_type=content_type)

    def on_finish(self) -> None:
        self.host.request_done(self)
        super().on_finish()

    # -- identity: jupyter-server's, unless the host brings its own ------------------------------

    #: A public link's route (``handlers/publish.py``): open to callers with no account, so the
    #: hub is never asked who they are.
    public = False

    async def prepare(self) -> None:  # type: ignore[override]
        identity = self.host.identity
        if identity is None:
            await super().prepare()
        elif not self.public:
            await identity.prepare(self)

    def get_current_user(self) -> Any:
        identity = self.host.identity
        return super().get_current_user() if identity is None else identity.current_user(self)

    def get_login_url(self) -> str:
        identity = self.host.identity
        return super().get_login_url() if identity is None else identity.login_url(self)

    def check_xsrf_cookie(self) -> None:
        identity = self.host.identity
        if identity is None:
            super().check_xsrf_cookie()
        else:
            identity.check_xsrf_cookie(self)

    @property
    def xsrf_token(self) -> bytes:
        identity = self.host.identity
        return super().xsrf_token if identity is None else identity.xsrf_token(self)

    @property
    def _xsrf_token_id(self) -> str:
        # JupyterHub's xsrf tokens are bound to the caller's session. In a single-user server
        # JupyterHub gives jupyter-server's handlers this property itself; keep that one there.
        identity = self.host.identity
        if identity is None:
            return super()._xsrf_token_id  # type: ignore[misc]
        return identity.xsrf_token_id(self)

    def set_default_headers(self) -> None:
        if self.host.identity is None:
            super().set_default_headers()
        else:
            RequestHandler.set_default_headers(self)

    @allow_unauthenticated
    def options(self, *args: Any, **kwargs: Any) -> None:
        if self.host.identity is not None:
            raise HTTPError(405)
        super().options(*args, **kwargs)


@web.stream_request_body
class QueryBodyHandler(BoundedBody, LiveGraphsHandler):
    """A route whose JSON body (a chart spec, a query) is read into memory: at most ``max_query_bytes`` (413).

    The size is checked before a body byte is read.
    """

    def body_limit(self) -> int:
        return self.host.max_query_bytes

    async def prepare(self) -> None:  # type: ignore[override]
        await super().prepare()
        if not self._finished:
            self.start_body()
