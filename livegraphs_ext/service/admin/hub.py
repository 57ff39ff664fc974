"""What the admin pages need from JupyterHub, asked through its REST API with the service's own token.

The service's role (``livegraphs-service`` in ``jupyterhub_config.py``) lets it read users, groups
and activity, change group membership and create groups, and list and approve sign-ups; it cannot
make or unmake hub admins. The hub's database is never opened here.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from tornado.web import HTTPError

from ...hubclient import HubClient

#: Group names the admin pages may create: letters, digits, dot, dash, underscore.
GROUP_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class HubAPI(HubClient):
    """The hub's API as the admin pages use it (``call`` and the helpers below)."""

    async def users(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        offset = 0
        while True:
            page = await self.call(
                "GET", "users", include_stopped_servers="1", limit="200", offset=str(offset)
            )
            items = page["items"] if isinstance(page, dict) else page
            out.extend(items)
            if not isinstance(page, dict) or not page.get("_pagination", {}).get("next"):
                return out
            offset += len(items)

    async def groups(self) -> list[dict[str, Any]]:
        page = await self.call("GET", "groups", limit="500")
        return list(page["items"] if isinstance(page, dict) else page)

    async def signups(self) -> list[dict[str, Any]]:
        """Sign-up accounts (the hub's livegraphs sign-ups API); empty when sign-up is not in use."""
        try:
            return list((await self.call("GET", "livegraphs/signups"))["signups"])
        except HTTPError as e:
            if e.status_code == 404:
                return []
            raise

    async def set_signup(self, name: str, approved: bool) -> Any:
        return await self.call("PATCH", f"livegraphs/signups/{quote(name, safe='')}", {"approved": approved})

    async def discard_signup(self, name: str) -> None:
        await self.call("DELETE", f"livegraphs/signups/{quote(name, safe='')}")

    async def add_to_group(self, group: str, user: str) -> None:
        existing = {g["name"] for g in await self.groups()}
        if group not in existing:
            if not GROUP_NAME.match(group):
                raise HTTPError(400, "A group name is letters, digits, '.', '-' or '_'", reason="Bad group")
            await self.call("POST", f"groups/{quote(group, safe='')}", {})
        await self.call("POST", f"groups/{quote(group, safe='')}/users", {"users": [user]})

    async def remove_from_group(self, group: str, user: str) -> None:
        await self.call("DELETE", f"groups/{quote(group, safe='')}/users", {"users": [user]})
