"""A user's jupyter server on a hub, in front of a stand-in livegraphs service on loopback."""

from __future__ import annotations

from typing import Any

import pytest

#: the token the hub gives the user's server, with which it calls the service
SERVER_TOKEN = "the-servers-own-hub-token"


def hub_server_config(
    config: dict[str, Any], service_port: int, monkeypatch: pytest.MonkeyPatch, **app: Any
) -> dict[str, Any]:
    """``config`` for a server that forwards the API to the service at ``service_port`` (``app``: more
    ``LiveGraphsApp`` settings), with the environment the hub gives it."""
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", SERVER_TOKEN)
    monkeypatch.setenv("LIVEGRAPHS_SERVICE_URL", f"http://127.0.0.1:{service_port}/services/livegraphs/")
    return {**config, "LiveGraphsApp": {**config["LiveGraphsApp"], "backend": "hub", **app}}
