"""The REST API of livegraphs: ``{base_url}livegraphs/api/`` on a laptop, ``api/`` of the hub service.

Each module ends with its own route table; both hosts serve :data:`API_ROUTES`, the same
handler classes over their own ``Host`` (``livegraphs_ext.rest``).
"""

from __future__ import annotations

from ..kernel.bundle import BUNDLE_ROUTE
from . import charts, comments, datasets, directory, docdata, documents, meta, static

#: (path under the API root, handler): the API both hosts serve.
API_ROUTES: list[tuple[str, type]] = [
    *datasets.ROUTES,
    *charts.ROUTES,
    *documents.ROUTES,
    *comments.ROUTES,
    *docdata.ROUTES,
    *directory.ROUTES,
    *meta.ROUTES,
]

#: (path under the API root, handler): the laptop's API, then a JSON 404 for anything else.
ROUTES: list[tuple[str, type]] = [*API_ROUTES, meta.NOT_FOUND_ROUTE]

#: (path under base_url, handler): what the server serves outside the API, on a laptop and on a hub.
STATIC_ROUTES: list[tuple[str, type]] = [(BUNDLE_ROUTE, static.WidgetBundleHandler)]

__all__ = ["API_ROUTES", "ROUTES", "STATIC_ROUTES"]
