"""The admin pages (``admin/<page>``) and the JSON they read and write (``admin/api/...``).

For livegraphs admins only: hub admins and holders of ``custom:livegraphs:admin`` (the
``livegraphs-admins`` group). Pages are one HTML shell each; the script bundled from ``js/admin/``
fills them from the JSON routes, writes every user-supplied string with ``textContent`` and draws
the charts with the JupyterLab extension's chart view. Every response carries a
Content-Security-Policy that allows scripts from this service only.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from tornado import web
from tornado.web import HTTPError

from ...store import Principal
from ...store.events import EventRow
from ..auth import HubIdentified, authorized
from ..handlers import ServiceHandler
from . import figures
from .hub import GROUP_NAME, HubAPI
from .hubevents import HubEventsImporter

HERE = Path(__file__).parent
PAGES = {
    "datasets": "Datasets",
    "users": "Users and roles",
    "activity": "Activity",
    "engagement": "Engagement",
}
CSP = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self' data:; "
    # Plotly adds one <style> element for its own rules.
    "style-src 'self' 'unsafe-inline'; font-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'self'"
)


def admin_group() -> str:
    return os.environ.get("LIVEGRAPHS_ADMIN_GROUP", "livegraphs-admins")


def all_users_group() -> str:
    """The group the hub puts every user in (the sample datasets are shared with it)."""
    return os.environ.get("LIVEGRAPHS_ALL_USERS_GROUP", "everyone")


class _Secured:
    """Headers shared by every admin response."""

    def set_default_headers(self) -> None:
        self.set_header("Content-Security-Policy", CSP)  # type: ignore[attr-defined]
        self.set_header("X-Content-Type-Options", "nosniff")  # type: ignore[attr-defined]
        self.set_header("Referrer-Policy", "same-origin")  # type: ignore[attr-defined]
        self.set_header("Cache-Control", "no-store")  # type: ignore[attr-defined]


def require_admin(p: Principal) -> None:
    if not p.is_admin:
        raise HTTPError(403, "Only livegraphs admins may open the admin pages", reason="Forbidden")


class AdminPageHandler(_Secured, HubIdentified):
    """``admin/`` and ``admin/<page>``: the HTML shell of one page (a browser logs in through the hub)."""

    @web.authenticated
    @authorized
    async def get(self, page: str = "") -> None:
        if not page:
            self.redirect(self.reverse_page("datasets"))
            return
        if page not in PAGES:
            raise HTTPError(404)
        if not self.principal.is_admin:
            self.set_status(403)
            self.finish(self.render_string("forbidden.html", user=self.principal.name))
            return
        self.finish(
            self.render_string(
                "admin.html",
                page=page,
                pages=PAGES,
                title=PAGES[page],
                me=self.principal.name,
                base=self.settings["admin_prefix"],
                api=self.settings["admin_prefix"] + "api/",
                datasets_api=self.settings["api_prefix"].rstrip("/") + "/datasets/",
                static=self.settings["admin_prefix"] + "static/",
                # the hub's origin (the service has its own when users' servers are on subdomains)
                hub_prefix=self.hub_auth.hub_host + self.hub_auth.hub_prefix,
            )
        )

    def reverse_page(self, page: str) -> str:
        return self.settings["admin_prefix"] + page

    def get_template_path(self) -> str:
        return str(HERE / "templates")


class AdminStaticHandler(_Secured, web.StaticFileHandler):
    """The pages' bundle: script, styles and the Plotly chunk (``livegraphs_ext/static/admin/``)."""


class AdminAPIHandler(_Secured, ServiceHandler):
    """Base of ``admin/api/...``: admins only."""

    @property
    def hub(self) -> HubAPI:
        return self.settings["hub_api"]

    def admin(self) -> Principal:
        p = self.principal
        require_admin(p)
        return p

    def import_hub_events(self) -> None:
        importer: HubEventsImporter | None = self.settings.get("hub_events")
        if importer is not None:
            importer.run()

    def audit(self, p: Principal, action: str, target: str, **detail: Any) -> None:
        self.guarded.events.record(p.name, action, admin=True, detail={"target": target, **detail})


class AdminDatasetsHandler(AdminAPIHandler):
    """``GET admin/api/datasets``: every dataset of every user, with when it was last used."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        p = self.admin()
        self.write_json({"datasets": await self.run(self._datasets, p)})

    def _datasets(self, p: Principal) -> list[dict[str, Any]]:
        items = self.guarded.list_datasets(p)
        with self.guarded.catalog.transaction() as s:
            last = dict(
                s.execute(
                    select(EventRow.dataset_id, func.max(EventRow.time))
                    .where(EventRow.dataset_id.is_not(None))
                    .group_by(EventRow.dataset_id)
                ).all()
            )
        out = []
        for d in items:
            used = last.get(d["id"])
            out.append(
                {
                    "id": d["id"],
                    "name": d["name"],
                    "owner": d["owner"],
                    "rows": d["rows"],
                    "size": d["size"],
                    "versions": d["versions"],
                    "created": d["created"],
                    "updated": d["updated"],
                    "last_used": _iso(used) if used else d["updated"],
                }
            )
        return out


class AdminUsersHandler(AdminAPIHandler):
    """``GET admin/api/users``: hub users with groups, roles and activity, and pending sign-ups."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        p = self.admin()
        users = await self.hub.users()
        groups = await self.hub.groups()
        signups = await self.hub.signups()
        datasets = await self.run(self.guarded.list_datasets, p)
        stored: dict[str, int] = {}
        for d in datasets:
            stored[d["owner"]] = stored.get(d["owner"], 0) + int(d["size"] or 0)
        group = admin_group()
        rows = []
        for u in sorted(users, key=lambda u: u["name"]):
            server = (u.get("servers") or {}).get("") or {}
            rows.append(
                {
                    "name": u["name"],
                    "hub_admin": bool(u.get("admin")),
                    "livegraphs_admin": bool(u.get("admin")) or group in (u.get("groups") or []),
                    "groups": sorted(u.get("groups") or []),
                    "login": ((u.get("user_info") or {}).get("provider")) or "password",
                    "created": u.get("created"),
                    "last_activity": u.get("last_activity"),
                    "server": "running"
                    if server.get("ready")
                    else ("starting" if server.get("pending") else ""),
                    "datasets": sum(1 for d in datasets if d["owner"] == u["name"]),
                    "storage": stored.get(u["name"], 0),
                }
            )
        pending = [s for s in signups if not s["approved"]]
        self.write_json(
            {
                "users": rows,
                "pending": pending,
                "groups": sorted(g["name"] for g in groups),
                "admin_group": group,
                "all_users_group": all_users_group(),
                "me": p.name,
            }
        )


class AdminRoleHandler(AdminAPIHandler):
    """``PUT admin/api/users/<name>/role`` ``{"admin": bool}``: promote or demote (the admins' group)."""

    @web.authenticated
    @authorized
    async def put(self, name: str) -> None:
        p = self.admin()
        want = self.json_body().get("admin")
        if not isinstance(want, bool):
            raise HTTPError(400, 'Send {"admin": true} or {"admin": false}', reason="Bad Request")
        user = await self.hub.call("GET", f"users/{_q(name)}")
        if not want:
            if user.get("admin"):
                raise HTTPError(
                    409, f"{name} is a hub admin; change that in the hub's admin panel", reason="Conflict"
                )
            if name == p.name:
                raise HTTPError(409, "You cannot demote yourself", reason="Conflict")
        group = admin_group()
        if want:
            await self.hub.add_to_group(group, name)
        else:
            await self.hub.remove_from_group(group, name)
        await self.run(self.audit, p, "role_change", name, livegraphs_admin=want)
        self.write_json({"name": name, "livegraphs_admin": want})


class AdminGroupMemberHandler(AdminAPIHandler):
    """``PUT``/``DELETE admin/api/groups/<group>/users/<name>``: add to or remove from a team."""

    @web.authenticated
    @authorized
    async def put(self, group: str, name: str) -> None:
        await self._change(group, name, add=True)

    @web.authenticated
    @authorized
    async def delete(self, group: str, name: str) -> None:
        await self._change(group, name, add=False)

    async def _change(self, group: str, name: str, *, add: bool) -> None:
        p = self.admin()
        if not GROUP_NAME.match(group):
            raise HTTPError(400, "A group name is letters, digits, '.', '-' or '_'", reason="Bad group")
        if group == admin_group():
            raise HTTPError(409, "Use promote and demote for the admins' group", reason="Conflict")
        if group == all_users_group():
            raise HTTPError(409, f"Every user is in {group}; the hub keeps it so", reason="Conflict")
        await self.hub.call("GET", f"users/{_q(name)}")  # 404 for an unknown user
        if add:
            await self.hub.add_to_group(group, name)
        else:
            await self.hub.remove_from_group(group, name)
        await self.run(self.audit, p, "group_change", name, group=group, added=add)
        self.write_json({"name": name, "group": group, "member": add})


class AdminSignupHandler(AdminAPIHandler):
    """``PUT admin/api/signups/<name>`` approves a pending sign-up; ``DELETE`` discards it."""

    @web.authenticated
    @authorized
    async def put(self, name: str) -> None:
        p = self.admin()
        await self.hub.set_signup(name, True)
        await self.run(self.audit, p, "signup_approve", name)
        self.write_json({"name": name, "approved": True})

    @web.authenticated
    @authorized
    async def delete(self, name: str) -> None:
        p = self.admin()
        await self.hub.discard_signup(name)
        await self.run(self.audit, p, "signup_discard", name)
        self.set_status(204)
        self.finish()


class AdminActivityHandler(AdminAPIHandler):
    """``GET admin/api/activity?user=&action=&since=&until=&limit=&offset=``: the activity log,
    the hub's logins and server starts included."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        from ..handlers import _time_args

        p = self.admin()
        await self.run(self.import_hub_events)
        actions = [a for raw in self.get_arguments("action") for a in raw.split(",") if a]
        times = _time_args(self)
        result = await self.run(
            self.guarded.list_events,
            p,
            user=self.get_argument("user", None) or None,
            action=actions or None,
            limit=self.int_arg("limit", 100) or 0,
            offset=self.int_arg("offset", 0) or 0,
            since=times["since"],
            until=times["until"],
        )
        from ...store.events import ACTIONS

        result["actions"] = list(ACTIONS)
        self.write_json(result)


class AdminEngagementHandler(AdminAPIHandler):
    """``GET admin/api/engagement?days=30``: the figures of the engagement page."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        p = self.admin()
        days = self.int_arg("days", 30)
        if days is None or not 1 <= days <= 366:
            raise HTTPError(400, "days is 1 to 366", reason="Bad argument")
        await self.run(self.import_hub_events)
        until = dt.datetime.now(dt.timezone.utc)
        since = (until - dt.timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
        groups = await self.hub.groups()
        members = {g["name"]: list(g.get("users") or []) for g in groups if g["name"] != admin_group()}
        self.write_json(await self.run(self._figures, p, since, until, members))

    def _figures(
        self, p: Principal, since: dt.datetime, until: dt.datetime, members: dict[str, list[str]]
    ) -> dict[str, Any]:
        summary = self.guarded.engagement(p, since=since, until=until)
        with self.guarded.catalog.transaction() as s:
            rows = s.execute(
                select(
                    EventRow.time, EventRow.user, EventRow.action, EventRow.dataset_name, EventRow.owner
                ).where(EventRow.time >= since, EventRow.time < until)
            ).all()
        events = [(t, u, a, f"{name} ({owner})" if name else None) for t, u, a, name, owner in rows]
        datasets = self.guarded.list_datasets(p)
        return {
            "since": _iso(since),
            "until": _iso(until),
            "totals": {
                "active_users": summary["active_users"],
                "events": summary["events"],
                "datasets": len(datasets),
                "bytes": sum(int(d["size"] or 0) for d in datasets),
            },
            "figures": [*figures.activity(events, since, until), *figures.storage(datasets, members)],
        }


def _iso(t: dt.datetime) -> str:
    return (t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)).isoformat()


def _q(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")
