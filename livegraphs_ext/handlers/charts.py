"""REST handlers of the chart engine: answer a chart spec, and publish the spec's JSON Schema."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..store.charts import spec_schema
from .base import LiveGraphsHandler, QueryBodyHandler


@web.stream_request_body
class ChartQueryHandler(QueryBodyHandler):
    """``POST charts/query {"spec"}``: a chart of a dataset the caller may read, JSON or Arrow IPC.

    The format follows ``Accept``; a ``{"name"}`` dataset is the caller's own, else the newest
    shared with them. The body is at most ``max_query_bytes`` (413), the filters hold at most
    ``max_filter_values`` values (400), and the query runs as :meth:`run_query` says.
    """

    @web.authenticated
    @authorized
    async def post(self) -> None:
        spec = self.chart_spec()
        result = await self.run_query(
            self.guarded.chart,
            self.principal,
            self.host.charts,
            spec,
            view_every=self.host.chart_view_every,
        )
        self.write_chart(result)


class ChartSchemaHandler(LiveGraphsHandler):
    """``GET charts/schema``: the JSON Schema of a chart spec."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.write_json(spec_schema())


#: (path under the API root, handler): the chart routes, served by both hosts.
ROUTES: list[tuple[str, type]] = [
    (r"charts/query", ChartQueryHandler),
    (r"charts/schema", ChartSchemaHandler),
]
