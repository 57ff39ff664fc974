"""A notebook published with Voila on a hub: ``python -m livegraphs_ext.hubvoila <notebook>``.

The hub runs this as a named server of the publisher (``voila-<name>``; see
``hub/livegraphs_hub/publishing.py``), on the server's own origin. It is Voila's standalone app, not
the Voila server extension of a Jupyter server, so the server has no contents, kernels, sessions
or terminals API, no JupyterLab and no file browser: only the one notebook, at the server's root.

- Visitors log in with the hub (the hub's OAuth, as jupyterhub-singleuser does) and need access to
  this server: its owner shares it with users or groups through JupyterHub's shares; anyone else
  gets 403.
- Each visit runs the saved notebook in a new kernel, as the publisher, and shows its outputs with
  the sources stripped. The page cannot ask the kernel to run code: the kernels take only widget
  (comm) and kernel-info messages (Voila's standalone kernel manager).
- No file of the publisher's folder is served (``/voila/files`` allows nothing).
"""

from __future__ import annotations

import os
import sys
from typing import Any
from urllib.parse import urlsplit

from jupyter_server.utils import url_path_join
from jupyterhub.singleuser.extension import JupyterHubAuthorizer, JupyterHubIdentityProvider
from voila.app import Voila
from voila.tornado.handler import TornadoVoilaHandler


def service_prefix() -> str:
    return os.environ.get("JUPYTERHUB_SERVICE_PREFIX") or "/"


class HubVoilaIdentityProvider(JupyterHubIdentityProvider):
    """The hub's login for Voila: its OAuth callback and logout under the server's prefix.

    (Voila adds an identity provider's routes as they are; jupyter-server prefixes them itself.)
    """

    def __init__(self, **kwargs: Any) -> None:
        # Voila passes the token it would check; the hub's identity provider has its own (the hub's).
        kwargs.pop("token", None)
        super().__init__(**kwargs)

    def get_handlers(self) -> list[Any]:
        return [(url_path_join(service_prefix(), path), *rest) for path, *rest in super().get_handlers()]


class HubVoila(Voila):
    """Voila serving one notebook as a hub server, behind the hub's login."""

    name = "livegraphs-hub-voila"

    def initialize(self, argv: Any = None) -> None:
        super().initialize(argv)
        if not self.notebook_path:
            raise SystemExit("livegraphs hub voila: give the notebook to publish")
        # Set after Voila has read its config files: none of them can loosen these.
        url = urlsplit(os.environ["JUPYTERHUB_SERVICE_URL"])
        self.ip = url.hostname or "127.0.0.1"
        self.port = url.port or 8888
        self.port_retries = 0
        self.open_browser = False
        self.base_url = self.server_url = service_prefix()
        self.root_dir = os.path.dirname(os.path.abspath(self.notebook_path))
        self.identity_provider_class = HubVoilaIdentityProvider
        self.authorizer_class = JupyterHubAuthorizer
        self.token = None
        # As on the hub's other servers (server_config): the hub is asked again about a visitor's
        # token after 10 s, so a revoked share shuts them out within that.
        self.config.HubOAuth.cache_max_age = 10
        conf = self.voila_configuration
        conf.strip_sources = True
        conf.show_tracebacks = False
        conf.file_allowlist = []
        conf.preheat_kernel = False
        conf.prelaunch_hook = None

    def init_handlers(self) -> list[Any]:
        """Voila's routes, with the notebook at the server's root only (not at every path)."""
        notebook_route = url_path_join(self.server_url, r"/(.*)")
        handlers = []
        for route in super().init_handlers():
            if route[0] == notebook_route and route[1] is TornadoVoilaHandler:
                route = (url_path_join(self.server_url, "/") + "?", *route[1:])
            handlers.append(route)
        return handlers


def main(argv: list[str] | None = None) -> None:
    HubVoila.launch_instance(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
