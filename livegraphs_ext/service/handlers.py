"""The service's REST API: the laptop's API (the same handlers), plus shares, activity and admin figures.

Every dataset route goes through :class:`~livegraphs_ext.store.GuardedStore`, so
what a caller may see or do is decided by the store's ACL for the
:class:`~livegraphs_ext.store.Principal` the hub vouched for. The routes here are the
service's alone; the ones both hosts serve are in ``livegraphs_ext.handlers``.
"""

from __future__ import annotations

import datetime as dt
import math
from concurrent.futures import Executor
from typing import TYPE_CHECKING

from tornado import web
from tornado.web import HTTPError

from ..handlers import API_ROUTES as SHARED_API_ROUTES
from ..handlers.base import HOST_SETTING
from ..handlers.meta import NOT_FOUND_ROUTE
from ..rest import DATASET_ID, APIMixin, check_on_hub, error_body
from ..store import GuardedStore, StoreError
from ..store.events import check_view_detail, parse_time
from .auth import APIIdentified, authorized

if TYPE_CHECKING:
    from .app import LiveGraphsService


class ServiceHandler(APIMixin, APIIdentified):
    """Base of the service's own API handlers: hub identity, and the service's store, pools and metrics."""

    @property
    def host(self) -> LiveGraphsService:
        return self.settings[HOST_SETTING]

    @property
    def guarded(self) -> GuardedStore:
        return self.host.guarded

    def check_xsrf_cookie(self) -> None:
        # as for the shared handlers: token callers need none, cookie callers echo the _xsrf cookie
        self.host.identity.check_xsrf_cookie(self)

    def pool(self, heavy: bool) -> Executor:
        return self.host.heavy_pool if heavy else self.host.light_pool

    def api_url(self, *parts: str) -> str:
        return self.host.api_url(*parts)

    def on_finish(self) -> None:
        self.host.request_done(self)


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
        await check_on_hub(self, kind, name)
        share = await self.run(self.guarded.share, self.principal, dataset_id, kind, name, role)
        self.write_json(share, status=201)


class ShareHandler(ServiceHandler):
    """``DELETE shares/{user|group}/{name}``: stop sharing with them (owner, admins).

    A user may also remove a share made to them (``shares/user/<their name>``): a share needs no
    consent, so its recipient can refuse it.
    """

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


#: The largest ``POST events`` body: a view report is a few short fields.
MAX_VIEW_REPORT_BYTES = 4096


class EventsHandler(ServiceHandler):
    """``GET events`` (admins): the activity log, filtered.

    ``POST events``: report a chart or dashboard view of a dataset the caller may read. The body is
    at most :data:`MAX_VIEW_REPORT_BYTES` (413), each user may report ``view_reports_per_minute``
    times a minute (429 with ``Retry-After``), and ``detail`` has only the documented short fields.
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
        if len(self.request.body or b"") > MAX_VIEW_REPORT_BYTES:
            raise HTTPError(
                413, f"A view report is at most {MAX_VIEW_REPORT_BYTES} bytes", reason="Payload Too Large"
            )
        wait = self.host.view_reports.take(self.principal.name)
        if wait:
            # answered here, not raised: an error answer starts from cleared headers
            self.set_header("Retry-After", str(max(1, math.ceil(wait))))
            self.write_json(error_body("Too many view reports: try again later", "Too Many Requests"), 429)
            return
        body = self.json_body()
        dataset_id, action = body.get("dataset_id"), body.get("action")
        if not isinstance(dataset_id, str) or not isinstance(action, str):
            raise HTTPError(
                400, 'Send {"action": "chart_view", "dataset_id": "...", "detail": {}}', reason="Bad Request"
            )
        try:
            detail = check_view_detail(body.get("detail"))
        except StoreError as e:
            raise HTTPError(400, e.message, reason=e.reason) from None
        await self.run(self.guarded.report_view, self.principal, action, dataset_id, detail)
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


#: (path under the service's api/, handler): the routes only the service answers.
SERVICE_ROUTES: list[tuple[str, type]] = [
    (rf"datasets/{DATASET_ID}/shares", SharesHandler),
    (rf"datasets/{DATASET_ID}/shares/(?P<kind>user|group)/(?P<name>[^/]+)", ShareHandler),
    (r"user", UserHandler),
    (r"events", EventsHandler),
    (r"admin/engagement", EngagementHandler),
]

#: (path under the service's api/, handler): the API both hosts serve, the service's own routes,
#: then a JSON 404 for anything else.
API_ROUTES: list[tuple[str, type]] = [*SHARED_API_ROUTES, *SERVICE_ROUTES, NOT_FOUND_ROUTE]
