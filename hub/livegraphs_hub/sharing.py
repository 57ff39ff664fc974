"""Sharing a named server with chosen users (JupyterHub shares); never the default server.

Users hold ``shares!user``: they may share their own servers, and only theirs. A named server is
a project to work on with others (jupyter-collaboration on that server); whoever it is shared with
runs code as its owner. The default server is the owner's own: it is the one that holds the
livegraphs token to the owner's datasets. So:

- the hub refuses to share a default server, or make a share code for it (403), to everyone,
  hub admins included;
- only default servers get the livegraphs token: a named server's ``$JUPYTERHUB_API_TOKEN`` has no
  livegraphs scope, so collaborators cannot reach the owner's datasets through it (save a
  publication, a ``voila-`` server, where nobody but its notebook runs code: publishing.py);
- browser tokens may carry ``shares!server`` (the server they are issued for, and only if the
  visitor may share it: its owner), ``list:users`` and ``read:users:name``, which
  jupyter-collaboration's share dialog needs to offer users, and to list and change shares. (On
  every server alike: JupyterHub 6.1 cannot take a callable ``Spawner.oauth_client_allowed_scopes``,
  it puts it in the server's environment as JSON. On a default server the hub refuses the share.)
"""

from __future__ import annotations

from typing import Any

from jupyterhub.apihandlers.shares import ServerShareAPIHandler, ServerShareCodeAPIHandler
from tornado import web

from .publishing import is_publication

DEFAULT_SERVER_REFUSED = (
    "A default server cannot be shared: it holds its owner's home and the token to their datasets. "
    "Share a named server (a project) instead."
)


def _refuse_default(server_name: str | None) -> None:
    if server_name == "":
        raise web.HTTPError(403, DEFAULT_SERVER_REFUSED)


class NamedServerShareAPIHandler(ServerShareAPIHandler):
    """JupyterHub's ``/api/shares/<user>/<server>``; granting a share of a default server is refused."""

    async def post(self, user_name: str, server_name: str | None = None) -> None:
        _refuse_default(server_name)
        await super().post(user_name, server_name)


class NamedServerShareCodeAPIHandler(ServerShareCodeAPIHandler):
    """JupyterHub's ``/api/share-codes/<user>/<server>``; no share code for a default server."""

    async def post(self, user_name: str, server_name: str | None = None) -> None:
        _refuse_default(server_name)
        await super().post(user_name, server_name)


#: Ahead of JupyterHub's own routes of the same paths (an authenticator's handlers come first).
SHARE_HANDLERS: list[tuple[str, type]] = [
    (r"/api/shares/([^/]+)/([^/]*)", NamedServerShareAPIHandler),
    (r"/api/share-codes/([^/]+)/([^/]*)", NamedServerShareCodeAPIHandler),
]

#: What a server's browser tokens may carry beyond access to it: jupyter-collaboration's share
#: dialog reads the user's scopes and calls the hub's shares API with that token.
BROWSER_TOKEN_SCOPES = ["shares!server", "list:users", "read:users:name"]


def include_group_shares() -> None:
    """Give a user's tokens what is shared with the user's groups, as the user's own shares are.

    JupyterHub 6.1 counts a server shared with a group as the members' permission when it checks
    their login, but not when it checks a token of theirs (``scopes.get_scopes_for`` reads
    ``owner.shared_with_me``, not the groups' shares). A server's own login uses a token, so without
    this a share with a group lets none of its members in (403). A token gets a group's share scopes
    when it inherits its owner's permissions, or when it is the OAuth token of the shared server.
    """
    from jupyterhub import orm, scopes

    original = scopes.get_scopes_for
    if getattr(original, "includes_group_shares", False):
        return

    def get_scopes_for(orm_object: Any) -> frozenset[str]:
        found = original(orm_object)
        if not isinstance(orm_object, orm.APIToken) or orm_object.user is None:
            return frozenset(found)
        shared = {
            scope
            for group in orm_object.user.groups
            for share in group.shared_with_me
            for scope in share.scopes
        }
        if shared and "inherit" not in orm_object.scopes:
            wanted = set(orm_object.scopes)
            if orm_object.client_id != "jupyterhub":
                wanted |= scopes.access_scopes(orm_object.oauth_client)
            shared &= wanted
        return frozenset(found) | shared

    get_scopes_for.includes_group_shares = True  # type: ignore[attr-defined]
    scopes.get_scopes_for = get_scopes_for


def server_token_scopes(default_server_scopes: list[str], publication_scopes: list[str]) -> Any:
    """``Spawner.server_token_scopes``: the livegraphs scopes for default servers, and for
    publications (``voila-`` servers, publishing.py: they run their owner's notebook only)."""

    def scopes(spawner: Any) -> list[str]:
        if is_publication(spawner.name):
            return list(publication_scopes)
        if spawner.name:
            return ["users:activity!user"]
        return list(default_server_scopes)

    return scopes
