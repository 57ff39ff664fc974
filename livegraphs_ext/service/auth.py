"""Who is calling the service: JupyterHub tokens and OAuth cookies turned into a :class:`Principal`.

Browsers carry the service's OAuth cookie (``HubOAuth``); kernels, single-user
servers and scripts send ``Authorization: token <hub token>``. Either way the hub
answers ``GET /hub/api/user`` for that token, and only its answer is trusted.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from jupyterhub.services.auth import HubOAuth, HubOAuthenticated, UserNotAllowed
from tornado.web import HTTPError, RequestHandler

from ..store import Principal

F = TypeVar("F", bound=Callable[..., Awaitable[None]])

#: The hub scope that makes a user a livegraphs admin (besides being a hub admin).
ADMIN_SCOPE = "custom:livegraphs:admin"


def principal_of(model: dict[str, Any], admin_scope: str = ADMIN_SCOPE) -> Principal:
    """The store's view of a hub user model (from ``GET /hub/api/user``)."""
    scopes = set(model.get("scopes") or ())
    return Principal(
        name=model["name"],
        groups=frozenset(model.get("groups") or ()),
        is_admin=bool(model.get("admin")) or admin_scope in scopes,
    )


class HubIdentified(HubOAuthenticated, RequestHandler):
    """Resolve the caller with the hub once per request, without blocking the event loop.

    ``hub_scopes`` (default: ``access:services!service=<this service>``, from the
    hub's environment) must be held by the caller's token; a token without them is
    identified but refused (403).
    """

    hub_auth: HubOAuth  # set by the application's settings
    #: Whether a hub *service* (not a user) may call this handler.
    allow_services = False

    def initialize(self, **kwargs: Any) -> None:
        self.hub_auth = self.settings["hub_auth"]

    async def prepare(self) -> None:
        model = await self.hub_auth.get_user(self, sync=False)
        allowed = None
        if model:
            try:
                allowed = self.check_hub_user(model)
            except UserNotAllowed:
                raise HTTPError(
                    403, f"{model.get('kind', 'user')} {model['name']} may not use livegraphs"
                ) from None
            if allowed is not None and allowed.get("kind", "user") != "user" and not self.allow_services:
                raise HTTPError(403, "Only hub users may use this route", reason="Forbidden")
            # ?token=... in a browser's URL: keep it in the service's cookie for the next requests
            self.hub_auth._persist_url_token_if_set(self)
        self._hub_auth_user_cache = allowed

    def get_current_user(self) -> dict[str, Any] | None:
        return getattr(self, "_hub_auth_user_cache", None)

    @property
    def principal(self) -> Principal:
        model = self.current_user
        if not model:
            raise HTTPError(403)
        return principal_of(model, self.settings["admin_scope"])


class APIIdentified(HubIdentified):
    """API routes answer an anonymous caller 403, never a redirect to the login page."""

    def get_login_url(self) -> str:
        raise HTTPError(
            403, "Send a JupyterHub token (Authorization: token ...) or log in", reason="Forbidden"
        )


def authorized(method: F) -> F:
    """Refuse (403) a request whose caller is not an allowed hub user or service.

    ``@web.authenticated`` turns away anonymous callers; this makes the
    authorization decision explicit on every method, as the laptop handlers do
    with jupyter-server's ``@authorized``. Per-dataset rights are the store's
    (:class:`~livegraphs_ext.store.GuardedStore`).
    """

    @functools.wraps(method)
    async def wrapper(self: HubIdentified, *args: Any, **kwargs: Any) -> None:
        model = self.current_user
        if not model:
            raise HTTPError(403, "Not allowed", reason="Forbidden")
        if model.get("kind", "user") != "user" and not self.allow_services:
            raise HTTPError(403, "Only hub users may use this route", reason="Forbidden")
        await method(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]
