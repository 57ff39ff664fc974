"""Logins for the livegraphs hub: sign-up accounts and OAuth providers on one login page.

:class:`LiveGraphsAuthenticator` is NativeAuthenticator (sign up, admin approval, password rules,
lock-out) that also routes OAuth logins. Each enabled provider (GitHub, Google, any OpenID Connect
issuer) is an OAuthenticator instance with its own pair of URLs, ``/hub/oauth/<name>/login`` and
``/hub/oauth/<name>/callback``; the login page lists them under the password form. JupyterHub 6 has
no built-in way to combine authenticators, and a provider's login handler only ever asks
``self.authenticator``, so a per-provider handler subclass that answers with that provider is all the
routing needs.

One hub user name belongs to one way of logging in: a sign-up name cannot be taken over by an OAuth
login of the same name, an OAuth user's name cannot be signed up for, and two providers cannot share
a user (the provider is kept in the user's ``user_info``).

It also creates the first admin at first start, with a random password that is printed once and
stored only as a bcrypt hash, and serves the pending sign-ups to the livegraphs service through a
small hub REST API (``/hub/api/livegraphs/signups``) so the service never touches the hub database.
An approved sign-up becomes a hub user at once (on the admin page or the hub's ``/hub/authorize``),
not at its first login. The sign-up page states its rules up front.
"""

from __future__ import annotations

import secrets
import sys
from typing import TYPE_CHECKING, Any, ClassVar

import bcrypt
import nativeauthenticator.handlers as native_handlers
from jupyterhub import orm
from jupyterhub.apihandlers.base import APIHandler
from jupyterhub.handlers.login import LogoutHandler
from jupyterhub.utils import isoformat, maybe_future, url_path_join
from nativeauthenticator import NativeAuthenticator
from nativeauthenticator.orm import UserInfo
from oauthenticator.generic import GenericOAuthenticator
from oauthenticator.github import GitHubOAuthenticator
from oauthenticator.google import GoogleOAuthenticator
from oauthenticator.oauth2 import OAuthenticator
from tornado import web
from traitlets import Bool, Dict, List, Unicode

from . import ALL_USERS_GROUP, SERVICE_NAME, SIGNUPS_SCOPE
from .events import HubEventFile
from .sharing import SHARE_HANDLERS

# --- NativeAuthenticator 1.3.0 on JupyterHub 6 -------------------------------------------------
# JupyterHub 6 removed ``BaseHandler.statsd``; NativeAuthenticator's login handler still times its
# renders with it and fails with AttributeError. A no-op stand-in keeps it working.


class _NullTimer:
    def start(self) -> _NullTimer:
        return self

    def stop(self, *args: Any, **kwargs: Any) -> None:
        pass


class _NullStatsd:
    def timer(self, *args: Any, **kwargs: Any) -> _NullTimer:
        return _NullTimer()

    def incr(self, *args: Any, **kwargs: Any) -> None:
        pass


if not hasattr(native_handlers.LoginHandler, "statsd"):
    native_handlers.LoginHandler.statsd = _NullStatsd()


# --- OAuth providers ---------------------------------------------------------------------------


# Type checkers see the mixin as the OAuthenticator it is mixed into.
_MixinBase: Any = OAuthenticator if TYPE_CHECKING else object


class ProviderMixin(_MixinBase):
    """What every OAuth provider adds: its own URLs and the one-name-one-login rule."""

    provider_name: ClassVar[str] = ""
    provider_label: ClassVar[str] = ""

    #: Set by :class:`LiveGraphsAuthenticator`; sign-up accounts live there.
    owner: LiveGraphsAuthenticator | None = None

    def login_path(self) -> str:
        return f"oauth/{self.provider_name}/login"

    def callback_path(self) -> str:
        return f"oauth/{self.provider_name}/callback"

    def get_callback_url(self, handler: Any = None) -> str:
        explicit = getattr(self, "oauth_callback_url", "")
        if explicit:
            return str(explicit)
        if handler is None:
            raise ValueError("oauth_callback_url is not set and there is no request to derive it from")
        base = url_path_join(handler.hub.server.base_url, self.callback_path())
        return f"{handler.request.protocol}://{handler.request.host}{base}"

    async def check_allowed(self, username: str, auth_model: Any) -> bool:
        # allow_existing_users: OAuthenticator learns existing users from add_user() at hub start,
        # which the hub calls on the main authenticator only; ask the database instead.
        if (
            auth_model is not None
            and getattr(self, "allow_existing_users", False)
            and self.owner is not None
            and orm.User.find(self.owner.db, username) is not None
        ):
            return True
        return bool(await super().check_allowed(username, auth_model))

    def add_user(self, user: Any) -> Any:
        result = super().add_user(user)
        if self.owner is not None:
            self.owner.join_all_users_group(user)
        return result

    async def authenticate(self, handler: Any, data: Any = None, **kwargs: Any) -> Any:
        model = await super().authenticate(handler, data, **kwargs)
        if not model:
            return model
        name = self.normalize_username(model["name"])
        reason = self.owner.login_conflict(name, self.provider_name) if self.owner else None
        if reason:
            self.log.warning("OAuth login of %r through %s refused: %s", name, self.provider_name, reason)
            raise web.HTTPError(403, reason)
        if isinstance(model.get("groups"), list) and ALL_USERS_GROUP not in model["groups"]:
            # The provider's groups replace the user's hub groups at each login; keep this one.
            model["groups"].append(ALL_USERS_GROUP)
        user_info = dict(model.get("user_info") or {})
        user_info["provider"] = self.provider_name
        oauth_user = (model.get("auth_state") or {}).get("oauth_user") or {}
        display = oauth_user.get("name") or oauth_user.get("login")
        if isinstance(display, str) and display:
            user_info["display_name"] = display[:200]
        model["user_info"] = user_info
        return model

    async def get_authenticated_user(self, handler: Any, data: Any) -> Any:
        # Recorded here, after the allow and block checks that follow authenticate().
        model = await super().get_authenticated_user(handler, data)
        if model and self.owner is not None:
            self.owner.record("login", model["name"], {"provider": self.provider_name})
        return model


class GitHubProvider(ProviderMixin, GitHubOAuthenticator):
    provider_name = "github"
    provider_label = "GitHub"


class GoogleProvider(ProviderMixin, GoogleOAuthenticator):
    provider_name = "google"
    provider_label = "Google"


class OIDCProvider(ProviderMixin, GenericOAuthenticator):
    provider_name = "oidc"
    provider_label = "single sign-on"


PROVIDER_CLASSES: dict[str, type[OAuthenticator]] = {
    cls.provider_name: cls for cls in (GitHubProvider, GoogleProvider, OIDCProvider)
}


def _routed(handler_cls: type, provider: OAuthenticator) -> type:
    """A subclass of an OAuthenticator handler whose ``authenticator`` is ``provider``."""

    def authenticator(self: Any) -> OAuthenticator:
        return provider

    return type(
        f"{provider.provider_name.title()}{handler_cls.__name__}",
        (handler_cls,),
        {"authenticator": property(authenticator)},
    )


# --- sign-up and approval ----------------------------------------------------------------------


async def ensure_hub_user(handler: Any, name: str) -> None:
    """Make the approved sign-up ``name`` a hub user now, as the hub's own users API would.

    NativeAuthenticator makes the hub user only at the first login; until then an approved account
    is in neither list of the admin pages, cannot be put in a team and cannot be shared with.
    """
    if handler.find_user(name) is not None:
        return
    user = handler.user_from_username(name)
    try:
        await maybe_future(handler.authenticator.add_user(user))
    except Exception:
        handler.log.exception("Could not make the approved sign-up %s a hub user", name)
        handler.users.delete(user)
        raise
    handler.log.info("Approved sign-up %s is a hub user", name)


class SignUpHandler(native_handlers.SignUpHandler):
    """``/hub/signup``: NativeAuthenticator's, with its rules on the page before anyone fails them.

    The page (``templates/signup.html``) states the password's length and that it may not be a
    common one, as the authenticator checks them, and keeps the name and email typed when a sign-up
    is refused (never the password).
    """

    @property
    def template_namespace(self) -> dict[str, Any]:
        ns = dict(super().template_namespace)
        auth = self.authenticator
        ns.update(
            minimum_password_length=auth.minimum_password_length,
            check_common_password=auth.check_common_password,
            open_signup=auth.open_signup,
        )
        if self.request.method == "POST":
            ns["username"] = self.get_body_argument("username", "", strip=True)[:100]
            ns["email"] = self.get_body_argument("email", "", strip=True)[:200]
        return ns


class ToggleAuthorizationHandler(native_handlers.ToggleAuthorizationHandler):
    """``/hub/authorize/<name>`` (the hub's own approval page): an approved sign-up becomes a hub user."""

    async def get(self, slug: str) -> None:
        await super().get(slug)  # checks admin:users, toggles, redirects back
        row = UserInfo.find(self.db, slug)
        if row is not None and row.is_authorized:
            await ensure_hub_user(self, row.username)


# --- the sign-ups API the service uses -------------------------------------------------------


class SignupsAPIHandler(APIHandler):
    """``GET /hub/api/livegraphs/signups``: every sign-up account and whether it is approved."""

    def check_signups_scope(self) -> None:
        if not self.current_user:
            raise web.HTTPError(403, "Missing or invalid credentials.")
        if SIGNUPS_SCOPE not in self.parsed_scopes and "admin:users" not in self.parsed_scopes:
            raise web.HTTPError(
                403, f"Action is not authorized with current scopes; requires {SIGNUPS_SCOPE}"
            )

    def get(self) -> None:
        self.check_signups_scope()
        rows = self.db.query(UserInfo).order_by(UserInfo.id).all()
        signups = [
            {"name": r.username, "email": r.email or "", "approved": bool(r.is_authorized)} for r in rows
        ]
        self.write({"signups": signups})


class SignupAPIHandler(SignupsAPIHandler):
    """``PATCH /hub/api/livegraphs/signups/<name>`` ``{"approved": bool}``; ``DELETE`` discards it."""

    def _find(self, name: str) -> UserInfo:
        row = UserInfo.find(self.db, name)
        if row is None:
            raise web.HTTPError(404, f"No sign-up named {name!r}")
        return row

    async def patch(self, name: str) -> None:
        self.check_signups_scope()
        row = self._find(name)
        body = self.get_json_body() or {}
        approved = body.get("approved")
        if not isinstance(approved, bool):
            raise web.HTTPError(400, 'The body must be {"approved": true|false}')
        row.is_authorized = approved
        self.db.commit()
        if approved:  # listed among the users at once, not only after a first login
            await ensure_hub_user(self, row.username)
        self.log.info(
            "Sign-up %s %s by %s", name, "approved" if approved else "unapproved", self.current_user
        )
        self.write({"name": row.username, "email": row.email or "", "approved": approved})

    def delete(self, name: str) -> None:
        self.check_signups_scope()
        row = self._find(name)
        if row.is_authorized:
            raise web.HTTPError(409, "Only a pending sign-up can be discarded; unapprove it first")
        self.db.delete(row)
        self.db.commit()
        self.log.info("Sign-up %s discarded by %s", name, self.current_user)
        self.set_status(204)
        self.finish()


# --- the authenticator -----------------------------------------------------------------------


class ServiceLogoutHandler(LogoutHandler):
    """``/hub/logout``: the hub's logout (it revokes the session's tokens), then the service's.

    The browser goes on to the service's ``logout`` page, which forgets what it cached about the
    token in its cookie and clears that cookie, then sends the browser to the hub's login page.
    Without it the service would take the revoked token for its identity cache's lifetime.
    """

    async def render_logout_page(self) -> None:
        service = self.services.get(SERVICE_NAME)
        if service is None or not service.url:
            await super().render_logout_page()
            return
        host = service.host or ""  # its own origin with subdomains; else the hub's
        self.redirect(host + url_path_join(service.prefix, "logout"), permanent=False)


class LiveGraphsAuthenticator(NativeAuthenticator):
    """Sign-up accounts with admin approval, plus the OAuth providers named in ``oauth_providers``."""

    oauth_providers = List(
        Unicode(),
        config=True,
        help="OAuth providers offered beside sign-up accounts, from 'github', 'google', 'oidc'. Each is "
        "configured through its OAuthenticator class (c.GitHubOAuthenticator, c.GoogleOAuthenticator, "
        "c.GenericOAuthenticator). Empty (the default): sign-up accounts only.",
    )

    first_admin = Unicode(
        "admin",
        config=True,
        help="Name of the admin account created at the first start with a random password that is "
        "printed once (stored only as a bcrypt hash). Empty: create none.",
    )

    print_first_admin_password = Bool(
        True,
        config=True,
        help="Print the first admin's generated password to the hub's standard output (once).",
    )

    hub_events_file = Unicode(
        "",
        config=True,
        help="JSON Lines file the hub appends logins to (and server starts and stops, through "
        "livegraphs_hub.events.ServerActionHandler); the livegraphs service imports it into its "
        "activity log. Empty: no file.",
    )

    provider_config = Dict(
        config=True,
        help="Extra trait values per provider name, e.g. {'oidc': {'client_id': ...}}; applied over "
        "the class config.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.providers: dict[str, OAuthenticator] = {}
        for name in self.oauth_providers:
            cls = PROVIDER_CLASSES.get(name)
            if cls is None:
                raise ValueError(f"Unknown OAuth provider {name!r}; choose from {sorted(PROVIDER_CLASSES)}")
            provider = cls(parent=self, **self.provider_config.get(name, {}))
            provider.owner = self
            self.providers[name] = provider
        self.events = HubEventFile(self.hub_events_file) if self.hub_events_file else None
        self.first_admin_password: str | None = None
        if self.first_admin:
            self.first_admin_password = self.ensure_first_admin()

    # --- first admin

    def ensure_first_admin(self) -> str | None:
        """Create the first admin's sign-up account unless it exists; return the new password, if any."""
        name = self.normalize_username(self.first_admin)
        if self.get_user(name) is not None:
            self.log.info("First admin %r exists; its password is not shown again", name)
            return None
        password = secrets.token_urlsafe(18)
        hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt())
        self.db.add(UserInfo(username=name, password=hashed, is_authorized=True))
        self.db.commit()
        self.log.info("Created the first admin %r", name)
        if self.print_first_admin_password:
            banner = "=" * 72
            print(
                f"\n{banner}\n  livegraphs: first admin account created (shown only this once)\n"
                f"    user:     {name}\n    password: {password}\n"
                f"  Change it after logging in: /hub/change-password\n{banner}\n",
                file=sys.stdout,
                flush=True,
            )
        return password

    # --- every user is in the all-users group

    def add_user(self, user: Any) -> Any:
        """Called by the hub for each new user, and for every user at start."""
        result = super().add_user(user)
        self.join_all_users_group(user)
        return result

    def join_all_users_group(self, user: Any) -> None:
        group = orm.Group.find(self.db, ALL_USERS_GROUP)
        if group is None:
            group = orm.Group(name=ALL_USERS_GROUP)
            self.db.add(group)
        orm_user = getattr(user, "orm_user", user)
        if orm_user not in group.users:
            group.users.append(orm_user)
        self.db.commit()

    # --- the activity log

    def record(self, action: str, user: str, detail: dict[str, Any] | None = None) -> None:
        if self.events is not None:
            try:
                self.events.append(action, user, detail)
            except OSError as e:  # the log must never stop a login
                self.log.warning("Could not write the hub event %s of %s: %s", action, user, e)

    async def authenticate(self, handler: Any, data: Any) -> Any:
        name = await super().authenticate(handler, data)
        if name:
            self.record("login", name, {"provider": "password"})
        else:
            username = self.normalize_username(str(data.get("username", "")))
            if self.get_user(username) is not None:  # only real accounts, so junk names fill nothing
                reason = "locked out" if self.is_blocked(username) else "wrong password or not approved"
                self.record("login_failed", username, {"reason": reason})
        return name

    # --- a deleted user's data

    def delete_user(self, user: Any) -> None:
        """Called by the hub when a user is deleted: the service archives their datasets.

        The ``user_deleted`` event carries the account's ``created`` time, so the service retires
        exactly that account, never a newer one of the same name. The service also checks that
        time on every new token, so a name used again inherits nothing even if this event is lost.
        """
        created = getattr(getattr(user, "orm_user", user), "created", None)
        super().delete_user(user)
        self.record("user_deleted", user.name, {"created": isoformat(created) if created else None})

    # --- one name, one way of logging in

    def user_exists(self, username: str) -> bool:
        """A name is taken if it has a sign-up account or is any hub user (an OAuth login, say)."""
        if super().user_exists(username):
            return True
        return orm.User.find(self.db, self.normalize_username(username)) is not None

    def login_conflict(self, name: str, provider: str) -> str | None:
        """Why ``name`` may not log in through OAuth ``provider``, or None if it may."""
        if self.get_user(name) is not None:
            return f"The name {name} belongs to a sign-up account; log in with its password"
        user = orm.User.find(self.db, name)
        if user is not None:
            previous = (user.user_info or {}).get("provider")
            if previous and previous != provider:
                return f"The name {name} is already used by a login through another provider"
        return None

    # --- URLs

    def get_handlers(self, app: Any) -> list[tuple[str, type]]:
        ours = {r"/signup": SignUpHandler, r"/authorize/([^/]*)": ToggleAuthorizationHandler}
        handlers = [(path, ours.get(path, cls)) for path, cls in super().get_handlers(app)]
        for provider in self.providers.values():
            handlers.append((f"/{provider.login_path()}", _routed(provider.login_handler, provider)))
            handlers.append((f"/{provider.callback_path()}", _routed(provider.callback_handler, provider)))
        handlers.append((r"/api/livegraphs/signups", SignupsAPIHandler))
        handlers.append((r"/api/livegraphs/signups/([^/]+)", SignupAPIHandler))
        # before JupyterHub's own /logout, which it replaces
        handlers.append((r"/logout", ServiceLogoutHandler))
        # before JupyterHub's own shares API: a default server is never shared
        handlers.extend(SHARE_HANDLERS)
        return handlers

    def login_choices(self) -> list[dict[str, str]]:
        """The OAuth buttons of the login page: label and path under the hub's base URL."""
        return [
            {"name": p.provider_name, "label": p.provider_label, "path": p.login_path()}
            for p in self.providers.values()
        ]
