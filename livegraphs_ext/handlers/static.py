"""``GET {base_url}livegraphs/static/widget.js``: the notebook widgets' bundle, for signed-in users.

The widgets' loader asks for it with ``?v=<hash>`` of the bundle its kernel has; a server with a
different bundle answers 404, and the loader then asks the kernel instead.
"""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..kernel.bundle import bundle_bytes, bundle_hash
from .base import LiveGraphsHandler


class WidgetBundleHandler(LiveGraphsHandler):
    """The widget bundle; cached for good when asked for by its hash."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        try:
            current = bundle_hash()
        except OSError:
            raise web.HTTPError(404, "The widget bundle is not built.", reason="Not Found") from None
        wanted = self.get_query_argument("v", None)
        if wanted is not None and wanted != current:
            raise web.HTTPError(
                404, "This server has another version of the widget bundle.", reason="Not Found"
            )
        if wanted is not None:
            self.set_header("Cache-Control", "private, max-age=31536000, immutable")
        else:
            self.set_header("Cache-Control", "no-cache")
        self.finish_typed(bundle_bytes(), "text/javascript; charset=utf-8")
