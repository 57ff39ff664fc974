"""Publish with Voila from JupyterLab on a hub: ``voila/publications`` of the caller's own server.

A publication is a named server ``voila-<name>`` of its publisher that runs standalone Voila on one
notebook of the publisher's home (``hub/livegraphs_hub/publishing.py``), shared with users and
groups through JupyterHub's shares. These routes do what the hub's REST API does for it (start or
restart the server on a notebook, share it, list the publications with their shares, unshare, stop
and remove one), with this server's own ``$JUPYTERHUB_API_TOKEN``: the browser, on the user's
origin, never calls the hub. A default server's token may start, stop and share its owner's servers
(``servers!user``, ``shares!user``: ``livegraphs_hub/config.py``); nobody but the owner uses a
default server (the hub refuses to share one), so only the owner publishes. The routes touch
``voila-`` servers only.

On a laptop there is no hub: the routes answer 404 (use "Open in Voila").
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import ensure_async
from tornado import web
from tornado.web import HTTPError

from ..hubclient import HubClient
from ..rest import bad_request
from .base import LiveGraphsHandler

#: Named servers with this prefix are publications (as ``livegraphs_hub.publishing.PREFIX``).
PREFIX = "voila-"
#: JupyterHub's rules for a new server name (``jupyterhub.slugs.is_valid_safe_slug``): lowercase
#: ASCII letters and digits in words joined by single hyphens, at most 30 characters in all.
SERVER_NAME_MAX = 30
NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
NAME_MAX = SERVER_NAME_MAX - len(PREFIX)
#: The longest notebook path accepted (as the hub's own check).
NOTEBOOK_MAX = 1024
#: Most users and groups one request may share with, and the longest name of one.
MAX_SHARES, SHARE_NAME_MAX = 50, 255
#: The largest request body, in bytes.
BODY_MAX = 64 << 10
#: Seconds a request waits for the hub to start or stop a publication's server.
WAIT_SECONDS = 90.0
POLL_SECONDS = 0.5

NO_HUB = 'Publishing with Voila needs JupyterHub; on this server use "Open in Voila".'


def check_publication_name(raw: Any) -> str:
    """A publication's name, from which its server's name is ``voila-<name>`` (400 if not one)."""
    if not isinstance(raw, str) or not NAME.match(raw) or len(raw) > NAME_MAX:
        raise bad_request(
            f"A publication's name is 1 to {NAME_MAX} lowercase letters and digits, in words joined by "
            f"single hyphens (sales-2026), not {str(raw)[:80]!r}",
            "Bad name",
        )
    return raw


def check_notebook_path(raw: Any) -> str:
    """A notebook of this server's files: a relative path to an ``.ipynb`` file (400 if not one)."""
    if not isinstance(raw, str) or not raw.strip():
        raise bad_request('Name the notebook to publish: {"notebook": "<path>.ipynb"}', "Bad notebook")
    text = raw.strip()
    if len(text) > NOTEBOOK_MAX or any(ord(ch) < 32 for ch in text):
        raise bad_request("The notebook's path is too long or has control characters", "Bad notebook")
    path = PurePosixPath(text)
    if path.is_absolute() or ".." in path.parts or text.startswith("-") or path.suffix != ".ipynb":
        raise bad_request(
            f"notebook must be the path of an .ipynb file among this server's files, not {text[:200]!r}",
            "Bad notebook",
        )
    return str(path)


def check_share_names(body: dict[str, Any], key: str) -> list[str]:
    """``body[key]``: a list of user or group names (absent: none)."""
    raw = body.get(key, [])
    if not isinstance(raw, list) or not all(isinstance(n, str) and n.strip() for n in raw):
        raise bad_request(f"{key} must be a list of names", "Bad share")
    names = list(dict.fromkeys(n.strip() for n in raw))
    if any(len(n) > SHARE_NAME_MAX or any(ord(ch) < 32 for ch in n) for n in names):
        raise bad_request(f"A name in {key} is too long or has control characters", "Bad share")
    return names


def publication_model(server: dict[str, Any], shares: list[dict[str, Any]]) -> dict[str, Any]:
    """What the routes answer about one publication, from the hub's server and share models."""
    options = server.get("user_options") or {}
    return {
        "name": server["name"].removeprefix(PREFIX),
        "server": server["name"],
        "notebook": options.get("notebook"),
        "url": server.get("url"),
        "ready": bool(server.get("ready")),
        "pending": server.get("pending"),
        "shares": [
            {"kind": share["kind"], "name": (share.get(share["kind"]) or {}).get("name")} for share in shares
        ],
    }


class Publisher:
    """One user's Voila publications, through the hub's REST API with the server's own token."""

    def __init__(self, hub: HubClient, user: str):
        self.hub = hub
        self.user = user

    def _server_path(self, server: str) -> str:
        return f"users/{quote(self.user, safe='')}/servers/{quote(server, safe='')}"

    def _shares_path(self, server: str) -> str:
        return f"shares/{quote(self.user, safe='')}/{quote(server, safe='')}"

    async def servers(self) -> dict[str, dict[str, Any]]:
        """The user's publications' server models (stopped ones too), by server name."""
        model = await self.hub.call("GET", f"users/{quote(self.user, safe='')}", include_stopped_servers="1")
        servers = model.get("servers") or {}
        return {name: server for name, server in servers.items() if name.startswith(PREFIX)}

    async def shares(self, server: str) -> list[dict[str, Any]]:
        answer = await self.hub.call("GET", self._shares_path(server), limit="200")
        return list(answer["items"] if isinstance(answer, dict) else answer)

    async def publications(self) -> list[dict[str, Any]]:
        servers = await self.servers()
        return [publication_model(servers[name], await self.shares(name)) for name in sorted(servers)]

    async def publication(self, server: str) -> dict[str, Any]:
        found = (await self.servers()).get(server)
        if found is None:
            raise HTTPError(404, f"You have no publication named {server.removeprefix(PREFIX)!r}")
        return publication_model(found, await self.shares(server))

    async def _wait(
        self, server: str, done: Callable[[dict[str, Any] | None], bool], what: str
    ) -> dict[str, Any] | None:
        """Poll the server's model until ``done(model)`` (None: no such server), at most WAIT_SECONDS."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            model = (await self.servers()).get(server)
            if done(model):
                return model
            if time.monotonic() > deadline:
                raise HTTPError(504, f"The hub did not {what} {server} in time", reason="Hub timeout")
            await asyncio.sleep(POLL_SECONDS)

    async def check_exists(self, kind: str, name: str) -> None:
        """A share names a hub user or group that exists (checked before anything starts)."""
        try:
            await self.hub.call("GET", f"{kind}s/{quote(name, safe='')}")
        except HTTPError as e:
            if e.status_code == 404:
                raise bad_request(f"There is no hub {kind} named {name!r}", "Bad share") from None
            raise

    async def publish(
        self, server: str, notebook: str, users: list[str], groups: list[str]
    ) -> dict[str, Any]:
        """Start (or restart) ``server`` on ``notebook``, share it with ``users`` and ``groups``."""
        for kind, names in (("user", users), ("group", groups)):
            for name in names:
                await self.check_exists(kind, name)
        current = (await self.servers()).get(server)
        if current is not None and (current.get("pending") or current.get("ready")):
            # A stop keeps the server and its shares; a pending start is interrupted.
            await self.hub.call("DELETE", self._server_path(server))
            await self._wait(
                server, lambda m: m is None or (not m.get("pending") and not m.get("ready")), "stop"
            )
        await self.hub.call("POST", self._server_path(server), {"notebook": notebook})
        for kind, names in (("user", users), ("group", groups)):
            for name in names:
                await self.hub.call("POST", self._shares_path(server), {kind: name})
        started = await self._wait(server, lambda m: m is None or not m.get("pending"), "start")
        if started is None or not started.get("ready"):
            raise HTTPError(502, f"{server} did not start (the hub's log says why)", reason="Hub error")
        return await self.publication(server)

    async def unpublish(self, server: str) -> None:
        """Stop and remove ``server``: its shares go with it."""
        if server not in await self.servers():
            raise HTTPError(404, f"You have no publication named {server.removeprefix(PREFIX)!r}")
        await self.hub.call("DELETE", self._server_path(server), {"remove": True})
        await self._wait(server, lambda m: m is None, "remove")

    async def unshare(self, server: str, kind: str, name: str) -> None:
        if server not in await self.servers():
            raise HTTPError(404, f"You have no publication named {server.removeprefix(PREFIX)!r}")
        await self.hub.call("PATCH", self._shares_path(server), {kind: name})


class VoilaPublicationsHandler(LiveGraphsHandler):
    """Base of the routes: the caller's publisher, or 404 without a hub and 403 for anyone but the
    owner of this (default) server."""

    def publisher(self) -> Publisher:
        api_url, token = os.environ.get("JUPYTERHUB_API_URL"), os.environ.get("JUPYTERHUB_API_TOKEN")
        owner = os.environ.get("JUPYTERHUB_USER")
        if not (api_url and token and owner):
            raise HTTPError(404, NO_HUB, reason="Not Found")
        if os.environ.get("JUPYTERHUB_SERVER_NAME"):
            raise HTTPError(403, "Publish with Voila from your default server", reason="Forbidden")
        hub_user = getattr(self.current_user, "hub_user", None)
        if isinstance(hub_user, dict) and hub_user.get("name") != owner:
            raise HTTPError(403, f"Only {owner} publishes from this server", reason="Forbidden")
        return Publisher(HubClient(api_url, token), owner)


class PublicationsHandler(VoilaPublicationsHandler):
    """``GET voila/publications``: ``{"publications": [...]}``; ``POST`` publishes a notebook:
    ``{"name", "notebook", "users"?, "groups"?}``, answered with the publication once it runs."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.write_json({"publications": await self.publisher().publications()})

    @web.authenticated
    @authorized
    async def post(self) -> None:
        publisher = self.publisher()
        if len(self.request.body) > BODY_MAX:
            raise HTTPError(413, f"The request body is over {BODY_MAX} bytes", reason="Payload Too Large")
        body = self.json_body()
        unknown = set(body) - {"name", "notebook", "users", "groups"}
        if unknown:
            raise bad_request(f"Unknown keys: {', '.join(sorted(unknown))}", "Bad key")
        server = PREFIX + check_publication_name(body.get("name"))
        notebook = check_notebook_path(body.get("notebook"))
        users, groups = check_share_names(body, "users"), check_share_names(body, "groups")
        if len(users) + len(groups) > MAX_SHARES:
            raise bad_request(f"Share with at most {MAX_SHARES} users and groups at once", "Bad share")
        if not await ensure_async(self.contents_manager.file_exists(notebook)):
            raise bad_request(f"There is no notebook {notebook!r}", "Bad notebook")
        self.write_json(await publisher.publish(server, self.home_path(notebook), users, groups))

    def home_path(self, notebook: str) -> str:
        """The notebook's path from the home folder, where the hub starts a publication's Voila."""
        root = os.path.realpath(self.contents_manager.root_dir)
        home = os.path.realpath(os.path.expanduser("~"))
        path = os.path.relpath(os.path.join(root, notebook), home)
        if path == ".." or path.startswith("../"):
            raise bad_request("Only a notebook in your home folder can be published", "Bad notebook")
        return PurePosixPath(*PurePosixPath(path).parts).as_posix()


class PublicationHandler(VoilaPublicationsHandler):
    """``DELETE voila/publications/{name}``: stop the publication and remove its server and shares."""

    @web.authenticated
    @authorized
    async def delete(self, name: str) -> None:
        publisher = self.publisher()
        await publisher.unpublish(PREFIX + check_publication_name(name))
        self.write_no_content()


class PublicationShareHandler(VoilaPublicationsHandler):
    """``DELETE voila/publications/{name}/shares/{user|group}/{who}``: unshare one user or group."""

    @web.authenticated
    @authorized
    async def delete(self, name: str, kind: str, who: str) -> None:
        publisher = self.publisher()
        await publisher.unshare(PREFIX + check_publication_name(name), kind, who)
        self.write_no_content()


#: (path under the API root, handler): served by a user's server, on a laptop (404) and on a hub.
ROUTES: list[tuple[str, type]] = [
    (r"voila/publications", PublicationsHandler),
    (r"voila/publications/(?P<name>[^/]+)", PublicationHandler),
    (
        r"voila/publications/(?P<name>[^/]+)/shares/(?P<kind>user|group)/(?P<who>[^/]+)",
        PublicationShareHandler,
    ),
]
