"""The API's own description, and a JSON 404 for anything under the API that is not a route."""

from __future__ import annotations

from importlib.resources import files

from jupyter_server.auth.decorator import authorized
from tornado import web
from tornado.web import HTTPError

from .base import LiveGraphsHandler


class OpenAPIHandler(LiveGraphsHandler):
    """``GET openapi.yaml``: the OpenAPI 3 description of this API."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.set_header("Content-Type", "application/yaml; charset=utf-8")
        self.finish(files("livegraphs_ext").joinpath("openapi.yaml").read_bytes())


class NotFoundHandler(LiveGraphsHandler):
    """Unknown paths under the API answer in the API's error shape (after authentication)."""

    @web.authenticated
    @authorized
    async def get(self, path: str) -> None:
        raise HTTPError(404, f"No such API path: {path[:200]!r}", reason="Not Found")

    post = put = patch = delete = get
