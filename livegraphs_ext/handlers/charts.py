"""REST handlers of the chart engine: answer a chart spec, and publish the spec's JSON Schema."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web
from tornado.web import HTTPError

from ..store.charts import ARROW_STREAM, spec_schema
from .base import LiveGraphsHandler


class ChartQueryHandler(LiveGraphsHandler):
    """``POST charts/query`` with ``{"spec": {...}}``: the chart's data, JSON or Arrow IPC (by ``Accept``)."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_body()
        spec = body.get("spec")
        if not isinstance(spec, dict):
            raise HTTPError(400, 'Send {"spec": {...}} (see charts/schema)', reason="Bad chart spec")
        result = await self.run(self.lg.charts.run, spec, user=self.username)
        if ARROW_STREAM in self.request.headers.get("Accept", ""):
            # APIHandler.finish would label the body application/json otherwise
            self.finish(result.to_arrow_bytes(), set_content_type=ARROW_STREAM)
        else:
            self.write_json(result.to_json())


class ChartSchemaHandler(LiveGraphsHandler):
    """``GET charts/schema``: the JSON Schema of a chart spec."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.write_json(spec_schema())
