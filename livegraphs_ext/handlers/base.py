"""What every laptop handler shares: jupyter-server auth and the store; the rest is livegraphs_ext.rest."""

from __future__ import annotations

from concurrent.futures import Executor
from logging import Logger
from typing import TYPE_CHECKING

from jupyter_server.auth.identity import PasswordIdentityProvider
from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin

from ..rest import APIMixin, error_body
from ..store import DatasetStore

if TYPE_CHECKING:
    from ..app import LiveGraphsApp

#: The resource name jupyter-server's Authorizer sees for every livegraphs route.
AUTH_RESOURCE = "livegraphs"

__all__ = ["AUTH_RESOURCE", "LiveGraphsHandler", "error_body"]


class LiveGraphsHandler(APIMixin, ExtensionHandlerMixin, APIHandler):
    """Base of the REST handlers on a laptop: the extension's store, its pools and its user."""

    auth_resource = AUTH_RESOURCE

    @property
    def lg(self) -> LiveGraphsApp:
        return self.extensionapp  # type: ignore[return-value]

    @property
    def store(self) -> DatasetStore:
        return self.lg.store

    @property
    def api_log(self) -> Logger:
        return self.log

    @property
    def username(self) -> str:
        """Who owns what this request makes.

        jupyter-server's own identity provider names token users at random per
        session; on a laptop every one of them is the one local user, so datasets
        belong to that user. Other providers (JupyterHub's) give stable names.
        """
        if isinstance(self.identity_provider, PasswordIdentityProvider):
            return self.lg.local_user
        user = self.current_user
        return getattr(user, "username", None) or str(user)

    def pool(self, heavy: bool) -> Executor:
        return self.lg.heavy_pool if heavy else self.lg.light_pool

    def finish_typed(self, body: bytes, content_type: str) -> None:
        # APIHandler.finish would label the body application/json otherwise
        self.finish(body, set_content_type=content_type)
