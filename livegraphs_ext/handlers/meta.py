"""The API's own description, and a JSON 404 for anything under the API that is not a route."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..rest import CATCH_ALL, not_found
from .base import LiveGraphsHandler


class OpenAPIHandler(LiveGraphsHandler):
    """``GET openapi.yaml``: the OpenAPI 3 description of this API."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.send_openapi()


class NotFoundHandler(LiveGraphsHandler):
    """Unknown paths under the API answer in the API's error shape (after authentication)."""

    @web.authenticated
    @authorized
    async def get(self, path: str) -> None:
        raise not_found(path)

    post = put = patch = delete = get


#: (path under the API root, handler): the API's description, served by both hosts.
ROUTES: list[tuple[str, type]] = [(r"openapi.yaml", OpenAPIHandler)]

#: The last route of a host's API: anything else under it is a JSON 404.
NOT_FOUND_ROUTE: tuple[str, type] = (CATCH_ALL, NotFoundHandler)
