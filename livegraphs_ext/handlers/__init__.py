"""The REST API of livegraphs, under ``{base_url}livegraphs/api/``."""

from __future__ import annotations

from ..kernel.bundle import BUNDLE_ROUTE
from ..rest import api_routes
from . import charts, datasets, meta, static

#: (path under the API root, handler) — the one table of routes (its paths are rest.SHARED_ROUTES).
ROUTES: list[tuple[str, type]] = api_routes([datasets, charts, meta])

#: (path under base_url, handler): what the server serves outside the API, on a laptop and on a hub.
STATIC_ROUTES: list[tuple[str, type]] = [(BUNDLE_ROUTE, static.WidgetBundleHandler)]

__all__ = ["ROUTES", "STATIC_ROUTES"]
