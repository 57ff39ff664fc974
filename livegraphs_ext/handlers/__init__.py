"""The REST API of livegraphs, under ``{base_url}livegraphs/api/``."""

from __future__ import annotations

from ..rest import api_routes
from . import charts, datasets, meta

#: (path under the API root, handler) — the one table of routes (its paths are rest.SHARED_ROUTES).
ROUTES: list[tuple[str, type]] = api_routes([datasets, charts, meta])

__all__ = ["ROUTES"]
