"""The jupyter-server extension: hosts the dataset store on a laptop.

A laptop is a hub with one user: the extension is the shared handlers' host (``Host`` in
``livegraphs_ext.rest``) over a guarded store, and every caller jupyter-server lets in acts as
the local user, who owns what they make and may do everything to every dataset of the store.
"""

from __future__ import annotations

import getpass
import os
from concurrent.futures import Executor
from pathlib import Path
from typing import Any as AnyType

from jupyter_server.auth.identity import PasswordIdentityProvider
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.extension.application import ExtensionApp
from jupyter_server.utils import url_path_join
from tornado.web import RequestHandler
from traitlets import Enum, Unicode, default

from .config import StoreSettings
from .handlers import PAGE_ROUTES, ROUTES, STATIC_ROUTES, local
from .handlers.base import HOST_SETTING
from .handlers.forward import FORWARD_ROUTES
from .rest import QueryGate, RateLimit
from .store import DatasetStore, GuardedStore, Principal
from .store.charts import ChartEngine
from .store.models.spec import MODEL_LIMITS_VARIABLE


class LiveGraphsApp(StoreSettings, ExtensionApp):
    """Datasets, charts and dashboards inside JupyterLab."""

    name = "livegraphs_ext"
    #: the API lives under {base_url}livegraphs/api/
    api_prefix = "livegraphs/api"
    #: jupyter-server identifies callers; no chart or document view is logged
    identity = None
    chart_view_every = None
    document_view_every = None

    store: DatasetStore
    guarded: GuardedStore
    charts: ChartEngine
    heavy_pool: Executor
    light_pool: Executor
    query_gate: QueryGate
    public_limit: RateLimit

    local_user = Unicode(
        config=True,
        help="""Owner of the datasets made on a laptop, where every token user is the one local user.
        Default: the operating system's user name. Ignored when an identity provider
        (JupyterHub's) names users.""",
    )
    backend = Enum(
        ["auto", "local", "hub"],
        "auto",
        config=True,
        help="""Where datasets live. "local": in this server (a laptop). "hub": in the livegraphs
        JupyterHub service; this server forwards the REST API to it with its $JUPYTERHUB_API_TOKEN
        and keeps no data. "auto" (the default): "hub" when running under JupyterHub
        ($JUPYTERHUB_API_TOKEN set) and service_url or $LIVEGRAPHS_SERVICE_URL names the service,
        else "local".""",
    )
    service_url = Unicode(
        "",
        config=True,
        help="""URL of the livegraphs hub service as this server and its kernels reach it, e.g.
        http://127.0.0.1:10101/services/livegraphs/. Empty (the default) means $LIVEGRAPHS_SERVICE_URL;
        with backend "hub", else $JUPYTERHUB_PUBLIC_URL + services/livegraphs/ (through the proxy).""",
    )

    @default("local_user")
    def _default_local_user(self) -> str:
        return getpass.getuser()

    def resolved_service_url(self) -> str:
        url = self.service_url or os.environ.get("LIVEGRAPHS_SERVICE_URL", "")
        if not url and self.backend == "hub" and os.environ.get("JUPYTERHUB_PUBLIC_URL"):
            url = url_path_join(os.environ["JUPYTERHUB_PUBLIC_URL"], "services", "livegraphs")
        return url.rstrip("/") + "/" if url else ""

    @property
    def uses_hub(self) -> bool:
        if self.backend == "auto":
            return bool(os.environ.get("JUPYTERHUB_API_TOKEN") and self.resolved_service_url())
        return self.backend == "hub"

    @property
    def hub_api_token(self) -> str:
        return os.environ.get("JUPYTERHUB_API_TOKEN", "")

    def service_api_url(self) -> str:
        return url_path_join(self.resolved_service_url(), "api")

    def service_prefix_path(self) -> str:
        from urllib.parse import urlparse

        return urlparse(self.resolved_service_url()).path or "/"

    def initialize_settings(self) -> None:
        self.settings[HOST_SETTING] = self
        # Kernels started by this server fit lg.model() under the same limits as the Model panel.
        os.environ[MODEL_LIMITS_VARIABLE] = self.model_limits().to_json()
        if self.uses_hub:
            if not self.resolved_service_url() or not self.hub_api_token:
                raise ValueError(
                    "livegraphs backend 'hub' needs $JUPYTERHUB_API_TOKEN and a service_url "
                    "(c.LiveGraphsApp.service_url or $LIVEGRAPHS_SERVICE_URL)"
                )
            # Kernels started by this server read datasets from the service too (lg.load).
            os.environ["LIVEGRAPHS_SERVICE_URL"] = self.resolved_service_url()
            self.log.info("livegraphs: datasets live in the hub service at %s", self.resolved_service_url())
            return
        root = self.store_root()
        self.store = self.make_store()
        self.guarded = GuardedStore(self.store)
        self.charts = self.make_charts(self.store)
        self.heavy_pool, self.light_pool = self.make_pools()
        self.query_gate = self.make_query_gate()
        self.public_limit = self.make_public_limit()
        # Kernels started by this server inherit these, so lg.load() reads the same store.
        os.environ["LIVEGRAPHS_DATA_DIR"] = str(root)
        os.environ["LIVEGRAPHS_LOCAL_USER"] = self.local_user
        if self.catalog_url:
            os.environ["LIVEGRAPHS_CATALOG_URL"] = self.catalog_url
        # ...and follow documents through this server's rooms, with the URL and token of its
        # runtime file (written when it starts listening, before any kernel starts).
        if self.serverapp is not None:
            os.environ["LIVEGRAPHS_SERVER_INFO"] = self.serverapp.info_file
        self.log.info("livegraphs: dataset store at %s", root)
        self._register_events()

    def _register_events(self) -> None:
        """Dataset change notifications, sent to front ends over jupyter-server's event stream."""
        logger = getattr(self.serverapp, "event_logger", None)
        if logger is not None:
            logger.register_event_schema(Path(__file__).parent / "events" / "dataset.yaml")

    # -- the host of the shared handlers ---------------------------------------------------------

    def principal(self, handler: RequestHandler) -> Principal:
        """The local user, who may do everything: whoever jupyter-server lets in acts as them.

        jupyter-server's own identity provider names token users at random per session; on a
        laptop every one of them is the one local user, so datasets belong to that user. Other
        providers (JupyterHub's, when the store is kept in the user's server) give stable names.
        """
        assert isinstance(handler, JupyterHandler)
        if isinstance(handler.identity_provider, PasswordIdentityProvider):
            return Principal(self.local_user, is_admin=True)
        user = handler.current_user
        return Principal(getattr(user, "username", None) or str(user), is_admin=True)

    def notify(self, handler: RequestHandler, action: str, dataset: dict[str, AnyType] | str) -> None:
        local.notify(self.serverapp, action, dataset)

    def uploaded(self, size: int) -> None:
        pass

    async def import_file(self, handler: RequestHandler, body: dict[str, AnyType]) -> tuple[Path, str | None]:
        return await local.import_request(handler, body)

    def request_done(self, handler: RequestHandler) -> None:
        pass

    async def files_using(
        self, handler: RequestHandler, dataset: dict[str, AnyType], columns: list[str]
    ) -> dict[str, AnyType] | None:
        # a bare dataset name in a file means the files' owner's: on a hub, this server's user
        # (whoever else it is shared with acts as them), on a laptop the local user
        owner = os.environ.get("JUPYTERHUB_USER") if self.uses_hub else None
        return await local.files_using(handler, owner or self.principal(handler).name, dataset, columns)

    async def directory(self, handler: RequestHandler, prefix: str, limit: int) -> dict[str, list[str]]:
        """The local user, if their name starts with ``prefix``: a laptop has no one else, and no groups."""
        me = self.principal(handler).name
        return {"users": [me] if me.casefold().startswith(prefix.casefold()) else [], "groups": []}

    def initialize_page_config(self) -> None:
        """Tell JupyterLab where browsers reach the service when it has an origin of its own."""
        public = os.environ.get("LIVEGRAPHS_SERVICE_PUBLIC_URL", "")
        if self.uses_hub and public and self.serverapp is not None:
            page_config = self.serverapp.web_app.settings.setdefault("page_config_data", {})
            page_config["livegraphsServicePublicUrl"] = public

    def initialize_handlers(self) -> None:
        self.initialize_page_config()
        # ExtensionApp puts base_url in front of every pattern itself.
        routes = FORWARD_ROUTES if self.uses_hub else ROUTES
        self.handlers.extend((url_path_join(self.api_prefix, path), handler) for path, handler in routes)
        self.handlers.extend(STATIC_ROUTES)
        if not self.uses_hub:
            self.handlers.extend(
                (url_path_join("livegraphs", path), handler) for path, handler in PAGE_ROUTES
            )

    def api_url(self, *parts: str) -> str:
        base = self.serverapp.base_url if self.serverapp else "/"
        return url_path_join(base, self.api_prefix, *parts)

    async def stop_extension(self) -> None:
        rooms = getattr(self, "rooms", None)
        if rooms is not None:
            await rooms.close()  # open documents' rooms save a version
        for pool in (getattr(self, "heavy_pool", None), getattr(self, "light_pool", None)):
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
        charts = getattr(self, "charts", None)
        if charts is not None:
            charts.close()
        store = getattr(self, "store", None)
        if store is not None:
            store.close()
