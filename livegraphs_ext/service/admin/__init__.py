"""The livegraphs admin pages, served by the hub service at ``<service prefix>admin/``.

Datasets (every user's, with delete), Users and roles (through the hub's REST API), Activity (the
event log, with the hub's logins and server starts) and Engagement (charts). :func:`admin_routes`
gives the service app its routes and settings.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from jupyterhub.utils import url_path_join

from .handlers import (
    AdminActivityHandler,
    AdminDatasetsHandler,
    AdminEngagementHandler,
    AdminGroupMemberHandler,
    AdminPageHandler,
    AdminRoleHandler,
    AdminSignupHandler,
    AdminStaticHandler,
    AdminUsersHandler,
)
from .hub import HubAPI
from .hubevents import HubEventsImporter

_NAME = r"(?P<name>[^/]+)"


#: The pages' script, styles and Plotly, bundled from ``js/admin/`` by ``jlpm build:admin``.
BUNDLE = Path(__file__).parents[2] / "static" / "admin"


def admin_routes(
    prefix: str, guarded: Any, data_dir: Path, accounts: Any = None
) -> tuple[list[tuple[Any, ...]], dict[str, Any]]:
    """(routes, settings) of the admin pages under the service's URL ``prefix``.

    With ``accounts``, the hub's ``user_deleted`` events retire those accounts when imported.
    """
    base = url_path_join(prefix, "admin") + "/"
    api = base + "api/"
    routes: list[tuple[Any, ...]] = [
        (base + r"api/datasets", AdminDatasetsHandler),
        (base + r"api/users", AdminUsersHandler),
        (base + rf"api/users/{_NAME}/role", AdminRoleHandler),
        (base + rf"api/groups/(?P<group>[^/]+)/users/{_NAME}", AdminGroupMemberHandler),
        (base + rf"api/signups/{_NAME}", AdminSignupHandler),
        (base + r"api/activity", AdminActivityHandler),
        (base + r"api/engagement", AdminEngagementHandler),
        (base + r"static/(.+)", AdminStaticHandler, {"path": str(BUNDLE)}),
        (base + r"(?P<page>[a-z]*)", AdminPageHandler),
    ]
    source = os.environ.get("LIVEGRAPHS_HUB_EVENTS")
    settings = {
        "admin_prefix": base,
        "admin_api": api,
        "hub_api": HubAPI(),
        "hub_events": HubEventsImporter(source, guarded.events, data_dir / "hub-events.offset", accounts)
        if source
        else None,
    }
    return routes, settings


__all__ = ["admin_routes"]
