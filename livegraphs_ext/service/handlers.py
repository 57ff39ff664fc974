"""The service's REST API: the laptop extension's routes, plus shares, activity and admin figures.

Every dataset route goes through :class:`~livegraphs_ext.store.GuardedStore`, so
what a caller may see or do is decided by the store's ACL for the
:class:`~livegraphs_ext.store.Principal` the hub vouched for.
"""

from __future__ import annotations

import datetime as dt
import sys
from concurrent.futures import Executor
from urllib.parse import quote

import orjson
from tornado import web
from tornado.log import app_log
from tornado.web import HTTPError

from ..rest import DATASET_ID, APIMixin, UploadBody, api_routes, not_found
from ..store import GuardedStore, StoreError
from ..store.charts import spec_schema
from ..store.events import parse_time
from .auth import APIIdentified, authorized

_TOKEN_HEADER = ("token ", "bearer ")


class ServiceHandler(APIMixin, APIIdentified):
    """Base of the API handlers: hub identity, the guarded store, its pools, metrics (the rest: ..rest)."""

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

    def pool(self, heavy: bool) -> Executor:
        return self.settings["heavy_pool" if heavy else "light_pool"]

    def api_url(self, *parts: str) -> str:
        return "/".join([self.settings["api_prefix"].rstrip("/"), *parts])

    def on_finish(self) -> None:
        metrics = self.settings.get("metrics")
        if metrics is not None:
            metrics.observe_request(self)


@web.stream_request_body
class DatasetsHandler(UploadBody, ServiceHandler):
    """``GET datasets[?owner=&name=]`` lists what the caller may read; ``POST datasets?name=`` uploads."""

    def upload_limit(self) -> int:
        return self.settings["max_upload_bytes"]

    async def prepare(self) -> None:
        await super().prepare()
        if self.request.method != "POST" or self._finished:
            return
        # Identify the caller before a single body byte is kept.
        if not self.current_user:
            raise HTTPError(403, "Send a JupyterHub token or log in", reason="Forbidden")
        self.start_upload(self.guarded.store.staging_path)

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
        src = self.take_upload()
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
        name = self.new_name()
        self.write_json(await self.run(self.guarded.rename, self.principal, dataset_id, name))

    @web.authenticated
    @authorized
    async def delete(self, dataset_id: str) -> None:
        await self.run(self.guarded.delete, self.principal, dataset_id, heavy=True)
        self.write_no_content()


class RowsHandler(ServiceHandler):
    @web.authenticated
    @authorized
    async def get(self, dataset_id: str) -> None:
        args = self.rows_args()
        self.write_json(await self.run(self.guarded.rows, self.principal, dataset_id, **args))


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
        version = self.revert_version()
        self.write_json(await self.run(self.guarded.revert, self.principal, dataset_id, version), status=201)


class TransformsHandler(ServiceHandler):
    @web.authenticated
    @authorized
    async def post(self, dataset_id: str) -> None:
        step, base = self.step_body()
        result = await self.run(
            self.guarded.apply_step, self.principal, dataset_id, step, base_version=base, heavy=True
        )
        self.write_json(result, status=201)


class RecipeHandler(ServiceHandler):
    @web.authenticated
    @authorized
    async def get(self, dataset_id: str) -> None:
        version, fmt = self.recipe_args()
        if fmt == "python":
            code = await self.run(self.guarded.recipe_code, self.principal, dataset_id, version)
            self.write_json({"code": code})
        else:
            steps = await self.run(self.guarded.recipe, self.principal, dataset_id, version)
            self.write_json({"steps": steps})


class ExportHandler(ServiceHandler):
    """Download a version as CSV, Parquet or JSON; always an attachment, never rendered."""

    @web.authenticated
    @authorized
    async def get(self, dataset_id: str) -> None:
        fmt, version = self.export_args()
        export = await self.run(self.guarded.export, self.principal, dataset_id, fmt, version, heavy=True)
        await self.send_export(export)


class ProfileHandler(ServiceHandler):
    """``GET profile?column=NAME&version=``: one column's counts, range and histogram or top values."""

    @web.authenticated
    @authorized
    async def get(self, dataset_id: str) -> None:
        column = self.column_arg()
        self.write_json(
            await self.run(self.guarded.profile, self.principal, dataset_id, column, self.int_arg("version"))
        )


class FormulaHandler(ServiceHandler):
    """``GET formula``: what an editor may complete; ``POST formula {"formula"}``: check one (readers)."""

    @web.authenticated
    @authorized
    async def get(self, dataset_id: str) -> None:
        items = await self.run(
            self.guarded.formula_completions, self.principal, dataset_id, self.int_arg("version")
        )
        self.write_json({"completions": items})

    @web.authenticated
    @authorized
    async def post(self, dataset_id: str) -> None:
        formula, version = self.formula_body()
        self.write_json(
            await self.run(self.guarded.check_formula, self.principal, dataset_id, formula, version)
        )


class ImportHandler(ServiceHandler):
    """``POST datasets/import``: the file is in the user's own server, which the service cannot read.

    The user's server answers this route itself (it reads the file and streams it to
    ``POST datasets?name=``); called on the service directly it explains where to send it.
    """

    @web.authenticated
    @authorized
    async def post(self) -> None:
        raise HTTPError(
            400,
            "datasets/import copies a file of your Jupyter server: call it on your server "
            "(livegraphs/api/datasets/import), or upload the file with POST datasets?name=",
            reason="Bad Request",
        )


class ChartQueryHandler(ServiceHandler):
    """``POST charts/query {"spec"}``: a chart of a dataset the caller may read, JSON or Arrow IPC."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        spec = self.chart_spec()
        result = await self.run(
            self.guarded.chart,
            self.principal,
            self.settings["charts"],
            spec,
            view_every=self.settings.get("chart_view_seconds"),
        )
        self.write_chart(result)


class ChartSchemaHandler(ServiceHandler):
    """``GET charts/schema``: the JSON Schema of a chart spec."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.write_json(spec_schema())


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
        self.send_openapi()


class NotFoundHandler(ServiceHandler):
    """Unknown paths under the API answer in the API's error shape (after authentication)."""

    @web.authenticated
    @authorized
    async def get(self, path: str) -> None:
        raise not_found(path)

    post = put = patch = delete = get


#: (path under the service's api/, handler): the laptop API's routes, then the service's own.
API_ROUTES: list[tuple[str, type]] = api_routes(
    [sys.modules[__name__]],
    extra=[
        (rf"datasets/{DATASET_ID}/shares", SharesHandler),
        (rf"datasets/{DATASET_ID}/shares/(?P<kind>user|group)/(?P<name>[^/]+)", ShareHandler),
        (r"user", UserHandler),
        (r"events", EventsHandler),
        (r"admin/engagement", EngagementHandler),
    ],
)
