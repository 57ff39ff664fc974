"""The REST API of livegraphs: ``{base_url}livegraphs/api/`` on a laptop, ``api/`` of the hub service.

Each module ends with its own route table; both hosts serve :data:`API_ROUTES`, the same
handler classes over their own ``Host`` (``livegraphs_ext.rest``).
"""

from __future__ import annotations

from ..kernel.bundle import BUNDLE_ROUTE
from . import (
    charts,
    comments,
    datasets,
    directory,
    docdata,
    documents,
    drill,
    meta,
    models,
    publish,
    sql,
    static,
    viewer,
    voila,
)

#: (path under the API root, handler): the API both hosts serve.
API_ROUTES: list[tuple[str, type]] = [
    *datasets.ROUTES,
    *charts.ROUTES,
    *documents.ROUTES,
    *comments.ROUTES,
    *docdata.ROUTES,
    *publish.ROUTES,
    *drill.ROUTES,
    *directory.ROUTES,
    *meta.ROUTES,
    *sql.ROUTES,
    *models.ROUTES,
]

#: (path under the API root, handler): a user's server's own routes, on a laptop and on a hub
#: (Voila publications: JupyterHub named servers, so a laptop answers them 404).
SERVER_ROUTES: list[tuple[str, type]] = [*voila.ROUTES]

#: (path under the API root, handler): the laptop's API, then a JSON 404 for anything else.
ROUTES: list[tuple[str, type]] = [*API_ROUTES, *SERVER_ROUTES, meta.NOT_FOUND_ROUTE]

#: (path under base_url, handler): what the server serves outside the API, on a laptop and on a hub.
STATIC_ROUTES: list[tuple[str, type]] = [(BUNDLE_ROUTE, static.WidgetBundleHandler)]

#: (path beside the API, handler): the viewer pages, under ``livegraphs/`` on a laptop and the
#: service's prefix on a hub (a user server in hub mode has no store, and serves none).
PAGE_ROUTES: list[tuple[str, type]] = viewer.PAGE_ROUTES

__all__ = ["API_ROUTES", "PAGE_ROUTES", "ROUTES", "SERVER_ROUTES", "STATIC_ROUTES"]
