"""REST handlers of drilling: the rows behind a chart's mark, from a dataset or through a document.

``POST datasets/{id}/drill`` takes the chart's spec and the clicked mark and answers the mark's
conditions with the first page of rows; later pages with an edited list are the rows route's. A
document's reader sends no spec (the document's chart is used) and pages through the same route.
Both are bounded as ``charts/query`` is: the body's size, the filters' values, the caller's turns,
the time limit, stopped when the caller leaves.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..rest import DATASET_ID
from .base import QueryBodyHandler
from .docdata import CHART_ID
from .documents import DOC_ID


@web.stream_request_body
class DrillBase(QueryBodyHandler):
    """A drill route: a JSON body of at most ``max_query_bytes`` (413)."""

    def drill_body(self) -> dict[str, Any]:
        body = self.json_body()
        spec = body.get("spec")
        # counted before anything else is read, as charts/query counts a spec's filters
        self.check_filter_size(spec.get("filters") if isinstance(spec, dict) else None)
        self.check_filter_size(body.get("filters"))
        return body


class DatasetDrillHandler(DrillBase):
    """``POST datasets/{id}/drill {"spec", "mark", "index"?, "offset"?, "limit"?, "sort"?}``."""

    @web.authenticated
    @authorized
    async def post(self, dataset_id: str) -> None:
        body = self.drill_body()
        out = await self.run_query(self.guarded.drill, self.principal, self.host.charts, dataset_id, body)
        self.write_json(out)


class DashboardDrillHandler(DrillBase):
    """``POST documents/{id}/charts/{chart_id}/drill {"filters"?, "mark"?, ...}``: for its readers."""

    @web.authenticated
    @authorized
    async def post(self, document_id: str, chart_id: str) -> None:
        await self._answer(document_id, chart_id)

    async def _answer(self, document_id: str, chart_id: str | None) -> None:
        body = self.drill_body()
        out = await self.run_query(
            self.guarded.document_data.drill, self.principal, self.host.charts, document_id, chart_id, body
        )
        self.write_json(out)


class ChartDocumentDrillHandler(DashboardDrillHandler):
    """``POST documents/{id}/drill``: the same for a chart document."""

    @web.authenticated
    @authorized
    async def post(self, document_id: str) -> None:
        await self._answer(document_id, None)


#: (path under the API root, handler): the drill routes, served by both hosts.
ROUTES: list[tuple[str, type]] = [
    (rf"datasets/{DATASET_ID}/drill", DatasetDrillHandler),
    (rf"documents/{DOC_ID}/charts/{CHART_ID}/drill", DashboardDrillHandler),
    (rf"documents/{DOC_ID}/drill", ChartDocumentDrillHandler),
]
