"""REST handlers of a shared document's charts: its readers see them without access to the datasets.

The body carries the caller's interactive state only, never a spec: the spec is the document's
own (``livegraphs_ext.store.docdata`` says who may read what). The queries run as ``charts/query``
does: the caller's turns, the time limit, stopped when the caller leaves, JSON or Arrow IPC.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..rest import bad_request
from .base import QueryBodyHandler
from .documents import DOC_ID

#: A dashboard's chart and filter ids, as the dashboard file allows them.
CHART_ID = r"(?P<chart_id>[A-Za-z0-9_-]+)"
FILTER_ID = r"(?P<filter_id>[A-Za-z0-9_-]+)"


@web.stream_request_body
class DocumentQueryBase(QueryBodyHandler):
    """A document data route: a JSON body of at most ``max_query_bytes`` (413)."""

    keys: frozenset[str] = frozenset()

    def body(self) -> dict[str, Any]:
        body = self.json_body()
        extra = sorted(set(body) - self.keys)
        if extra:
            raise bad_request(f"Unknown keys {extra}; send {sorted(self.keys)} (never a spec)", "Bad request")
        return body

    async def answer(self, document_id: str, chart_id: str | None) -> None:
        filters = self.body().get("filters")
        # counted before anything else is read, as charts/query counts a spec's filters
        self.check_filter_size(filters)
        result = await self.run_query(
            self.guarded.document_data.chart,
            self.principal,
            self.host.charts,
            document_id,
            chart_id,
            filters,
            view_every=self.host.chart_view_every,
        )
        self.write_chart(result)


class DashboardChartQueryHandler(DocumentQueryBase):
    """``POST documents/{id}/charts/{chart_id}/query {"filters"?}``: that chart of the dashboard, with
    the caller's dashboard filters and cross-filter selections as extra conditions."""

    keys = frozenset({"filters"})

    @web.authenticated
    @authorized
    async def post(self, document_id: str, chart_id: str) -> None:
        await self.answer(document_id, chart_id)


class ChartDocumentQueryHandler(DocumentQueryBase):
    """``POST documents/{id}/query {"filters"?}``: the chart of a chart document."""

    keys = frozenset({"filters"})

    @web.authenticated
    @authorized
    async def post(self, document_id: str) -> None:
        await self.answer(document_id, None)


class FilterValuesHandler(DocumentQueryBase):
    """``POST documents/{id}/filters/{filter_id}/query {"what": "values"|"extent", "search"?}``:
    a dashboard filter's values with their counts, or its column's smallest and largest value."""

    keys = frozenset({"what", "search"})

    @web.authenticated
    @authorized
    async def post(self, document_id: str, filter_id: str) -> None:
        body = self.body()
        result = await self.run_query(
            self.guarded.document_data.filter_values,
            self.principal,
            self.host.charts,
            document_id,
            filter_id,
            body.get("what"),
            body.get("search"),
        )
        self.write_chart(result)


#: (path under the API root, handler): the document data routes, served by both hosts.
ROUTES: list[tuple[str, type]] = [
    (rf"documents/{DOC_ID}/query", ChartDocumentQueryHandler),
    (rf"documents/{DOC_ID}/charts/{CHART_ID}/query", DashboardChartQueryHandler),
    (rf"documents/{DOC_ID}/filters/{FILTER_ID}/query", FilterValuesHandler),
]
