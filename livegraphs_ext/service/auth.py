"""Who is calling the service: JupyterHub tokens and OAuth cookies turned into a :class:`Principal`.

Browsers carry the service's OAuth cookie (``HubOAuth``); kernels, single-user
servers and scripts send ``Authorization: token <hub token>``. Either way the hub
answers ``GET /hub/api/user`` for that token, and only its answer is trusted.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import quote

from jupyter_server.auth import Authorizer
from jupyterhub._xsrf_utils import get_xsrf_token
from jupyterhub.services.auth import HubOAuth, HubOAuthenticated, UserNotAllowed
from tornado.httputil import url_concat
from tornado.web import HTTPError, RequestHandler

from ..handlers.base import HOST_SETTING
from ..store import Principal, StoreError
from ..store.accounts import canonical_time

F = TypeVar("F", bound=Callable[..., Awaitable[None]])

#: The hub scope that makes a user a livegraphs admin (besides being a hub admin).
ADMIN_SCOPE = "custom:livegraphs:admin"
#: How token callers start their Authorization header (they need no xsrf token).
TOKEN_HEADERS = ("token ", "bearer ")


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
        await identify(self, self.hub_auth, self.check_hub_user, allow_services=self.allow_services)

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
        raise anonymous()


def anonymous() -> HTTPError:
    return HTTPError(403, "Send a JupyterHub token (Authorization: token ...) or log in", reason="Forbidden")


async def identify(
    handler: RequestHandler,
    hub_auth: HubOAuth,
    check: Callable[[dict[str, Any]], dict[str, Any] | None],
    *,
    allow_services: bool,
) -> None:
    """Ask the hub who ``handler``'s caller is (once per request); keep the answer if ``check`` allows it."""
    model = await hub_auth.get_user(handler, sync=False)
    allowed = None
    if model:
        try:
            allowed = check(model)
        except UserNotAllowed:
            raise HTTPError(
                403, f"{model.get('kind', 'user')} {model['name']} may not use livegraphs"
            ) from None
        if allowed is not None and allowed.get("kind", "user") != "user" and not allow_services:
            raise HTTPError(403, "Only hub users may use this route", reason="Forbidden")
        # ?token=... in a browser's URL: keep it in the service's cookie for the next requests
        hub_auth._persist_url_token_if_set(handler)
        if allowed is not None and allowed.get("kind", "user") == "user":
            await check_account(handler, allowed)
    handler._hub_auth_user_cache = allowed  # type: ignore[attr-defined]


#: Where the hub user's ``created`` is kept in the hub's (cached, per token) answer about them.
CREATED_KEY = "livegraphs_created"


async def check_account(handler: RequestHandler, model: dict[str, Any]) -> None:
    """Make sure the caller's name is served as *their* account (``store.accounts``).

    A hub user is told apart from an earlier user of the same name by the ``created`` time of its
    hub user model. The identifying answer of the hub does not carry it, so the service asks the
    hub (``GET users/<name>``, with its own token) and keeps it with that answer, which the hub's
    client reuses for the token up to ``identity_cache_seconds``.
    A name the store knew with another ``created`` belonged to a deleted account, which is
    retired before this caller sees anything.
    """
    host = handler.settings.get(HOST_SETTING)
    hub_api = handler.settings.get("hub_api")
    if host is None or hub_api is None:
        return
    created = model.get(CREATED_KEY)
    if not created:
        created = _canonical(model.get("created") or await _hub_created(hub_api, model["name"]))
    model[CREATED_KEY] = created
    if host.accounts.known(model["name"], created):
        return
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(host.light_pool, host.accounts.check, model["name"], created)


async def _hub_created(hub_api: Any, name: str) -> Any:
    """The ``created`` of the hub's user model of ``name``, asked with the service's own token."""
    try:
        found = await hub_api.call("GET", f"users/{quote(name, safe='')}")
    except HTTPError as e:
        if e.status_code == 404:
            raise HTTPError(403, "Your hub account no longer exists", reason="Forbidden") from None
        raise HTTPError(
            503, "Could not check your account with the hub; try again", reason="Service Unavailable"
        ) from None
    return (found or {}).get("created")


def _canonical(created: Any) -> str:
    try:
        return canonical_time(created)
    except StoreError:
        raise HTTPError(
            503, "The hub did not say when your account was made", reason="Service Unavailable"
        ) from None


def forget_token(hub_auth: HubOAuth, token: str) -> int:
    """Drop every answer about ``token`` that ``hub_auth`` cached (whatever session it came with).

    The next request with it asks the hub again; after a logout the hub has revoked it. Returns how
    many answers were dropped.
    """
    # HubAuth.user_for_token caches under "token:<session id>:<sha256 of the token>"
    suffix = ":" + hashlib.sha256(token.encode("utf8", "replace")).hexdigest()
    keys = [key for key in list(hub_auth.cache.values) if key.startswith("token:") and key.endswith(suffix)]
    for key in keys:
        hub_auth.cache.pop(key, None)
    return len(keys)


class HubIdentity:
    """The hub's identity steps for the shared API handlers (``Identity`` in ``livegraphs_ext.rest``).

    What :class:`APIIdentified` does by inheritance, done for a handler that is a jupyter-server
    ``APIHandler``: the hub's token or the service's OAuth cookie names the caller, who needs the
    service's access scopes; cookie callers echo the session-bound ``_xsrf`` token.
    """

    def __init__(self, hub_auth: HubOAuth, admin_scope: str = ADMIN_SCOPE):
        self.hub_auth = hub_auth
        self.admin_scope = admin_scope

    async def prepare(self, handler: RequestHandler) -> None:
        await identify(handler, self.hub_auth, self.check_hub_user, allow_services=False)

    def check_hub_user(self, model: dict[str, Any]) -> dict[str, Any]:
        """The caller holds the service's access scopes (as ``HubAuthenticated.check_hub_user``)."""
        model.setdefault("kind", "user")
        scopes = self.hub_auth.access_scopes
        if scopes and not self.hub_auth.check_scopes(scopes, model):
            raise UserNotAllowed(model)
        return model

    def current_user(self, handler: RequestHandler) -> dict[str, Any] | None:
        return getattr(handler, "_hub_auth_user_cache", None)

    def principal(self, handler: RequestHandler) -> Principal:
        model = self.current_user(handler)
        if not model:
            raise HTTPError(403)
        return principal_of(model, self.admin_scope)

    def login_url(self, handler: RequestHandler) -> str:
        raise anonymous()

    def page_login_url(self, handler: RequestHandler) -> str:
        """The hub's OAuth authorization, back to this page once logged in (as HubOAuthenticated)."""
        params: dict[str, str] = {}
        verifier = None
        if self.hub_auth.pkce_enabled:
            verifier, challenge, method = self.hub_auth.generate_pkce_code_challenge()
            params.update(code_challenge=challenge, code_challenge_method=method)
        params["state"] = self.hub_auth.set_state_cookie(
            handler, next_url=handler.request.uri, code_verifier=verifier
        )
        return url_concat(self.hub_auth.login_url, params)

    def check_xsrf_cookie(self, handler: RequestHandler) -> None:
        # Token callers (kernels, servers, scripts) cannot be driven by another site; cookie callers must
        # echo the _xsrf cookie in X-XSRFToken.
        if handler.request.headers.get("Authorization", "").lower().startswith(TOKEN_HEADERS):
            return
        self.hub_auth.check_xsrf_cookie(handler)

    def xsrf_token(self, handler: RequestHandler) -> bytes:
        return get_xsrf_token(handler, cookie_path=self.hub_auth.base_url)

    def xsrf_token_id(self, handler: RequestHandler) -> str:
        return self.hub_auth._get_xsrf_token_id(handler)


class HubAuthorizer(Authorizer):
    """The service's Authorizer: hub users may call the API; per-dataset rights are the store's."""

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        return bool(user) and user.get("kind", "user") == "user"


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
