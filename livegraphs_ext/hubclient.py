"""A small async client of the JupyterHub REST API, with a token: the hub service's own, or a user's server's.

Only tornado is imported. The hub's refusals become the API's errors: 400, 404 and 409 as they are,
anything else (and a hub that does not answer) 502.
"""

from __future__ import annotations

import contextlib
import json
import os
from typing import Any
from urllib.parse import urlencode

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.web import HTTPError


class HubClient:
    """A small async client of ``$JUPYTERHUB_API_URL`` with ``$JUPYTERHUB_API_TOKEN``."""

    def __init__(self, api_url: str | None = None, token: str | None = None):
        self.api_url = (api_url or os.environ.get("JUPYTERHUB_API_URL", "")).rstrip("/") + "/"
        self.token = token or os.environ.get("JUPYTERHUB_API_TOKEN", "")

    async def call(self, method: str, path: str, body: Any = None, **query: Any) -> Any:
        url = self.api_url + path
        if query:
            url += "?" + urlencode(query)
        request = HTTPRequest(
            url,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
            body=None if body is None and method in {"GET", "DELETE"} else json.dumps(body or {}),
            allow_nonstandard_methods=True,
            request_timeout=30,
        )
        try:
            response = await AsyncHTTPClient().fetch(request)
        except HTTPClientError as e:
            message = f"The hub refused {method} {path}: {e.code}"
            if e.response is not None and e.response.body:
                with contextlib.suppress(ValueError):
                    message = json.loads(e.response.body).get("message") or message
            status = e.code if e.code in (400, 404, 409) else 502
            raise HTTPError(status, message, reason="Hub error") from None
        except OSError as e:
            raise HTTPError(
                502, f"The hub cannot be reached: {e.strerror or e}", reason="Hub error"
            ) from None
        return json.loads(response.body) if response.body else None
