"""REST handlers of the chart engine: answer a chart spec, and publish the spec's JSON Schema."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..store.charts import spec_schema
from .base import LiveGraphsHandler


class ChartQueryHandler(LiveGraphsHandler):
    """``POST charts/query`` with ``{"spec": {...}}``: the chart's data, JSON or Arrow IPC (by ``Accept``)."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        spec = self.chart_spec()
        self.write_chart(await self.run(self.lg.charts.run, spec, user=self.username))


class ChartSchemaHandler(LiveGraphsHandler):
    """``GET charts/schema``: the JSON Schema of a chart spec."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.write_json(spec_schema())
