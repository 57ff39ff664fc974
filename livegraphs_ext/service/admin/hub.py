"""What the admin pages need from JupyterHub, asked through its REST API with the service's own token.

The service's role (``livegraphs-service`` in ``jupyterhub_config.py``) lets it read users, groups
and activity, change group membership and create groups, and list and approve sign-ups; it cannot
make or unmake hub admins. The hub's database is never opened here.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from typing import Any
from urllib.parse import quote, urlencode

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.web import HTTPError

#: Group names the admin pages may create: letters, digits, dot, dash, underscore.
GROUP_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class HubAPI:
    """A small async client of ``$JUPYTERHUB_API_URL`` with ``$JUPYTERHUB_API_TOKEN``."""

    def __init__(self, api_url: str | None = None, token: str | None = None):
        self.api_url = (api_url or os.environ.get("JUPYTERHUB_API_URL", "")).rstrip("/") + "/"
        self.token = token or os.environ.get("JUPYTERHUB_API_TOKEN", "")

    async def call(self, method: str, path: str, body: Any = None, **query: Any) -> Any:
        url = self.api_url + path
        if query:
            url += "?" + urlencode(query)
        request = HTTPRequest(
            url,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
            body=None if body is None and method in {"GET", "DELETE"} else json.dumps(body or {}),
            allow_nonstandard_methods=True,
            request_timeout=30,
        )
        try:
            response = await AsyncHTTPClient().fetch(request)
        except HTTPClientError as e:
            message = f"The hub refused {method} {path}: {e.code}"
            if e.response is not None and e.response.body:
                with contextlib.suppress(ValueError):
                    message = json.loads(e.response.body).get("message") or message
            status = e.code if e.code in (400, 404, 409) else 502
            raise HTTPError(status, message, reason="Hub error") from None
        return json.loads(response.body) if response.body else None

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
