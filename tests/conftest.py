"""Fixtures shared by the server tests (prefixed ``lg_``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

pytest_plugins = ("pytest_jupyter.jupyter_server",)

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"


@pytest.fixture
def lg_data_dir(tmp_path: Path) -> Path:
    return tmp_path / "livegraphs-data"


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any], lg_data_dir: Path) -> dict[str, Any]:
    return {
        "ServerApp": {"jpserver_extensions": {"livegraphs_ext": True}, "allow_unauthenticated_access": False},
        "LiveGraphsApp": {"data_dir": str(lg_data_dir)},
    }


Fetch = Callable[..., Awaitable[Any]]


@pytest.fixture
def lg_api(jp_fetch: Fetch) -> Fetch:
    """Call the livegraphs API; never raises on 4xx/5xx, so tests assert on the status."""

    async def call(method: str, *path: str, body: Any = None, **kwargs: Any) -> Any:
        if body is not None and not isinstance(body, bytes | str):
            body = orjson.dumps(body)
        if body is None and method in {"POST", "PUT", "PATCH"}:
            body = b""
        return await jp_fetch(
            "livegraphs", "api", *path, method=method, body=body, raise_error=False, **kwargs
        )

    return call


@pytest.fixture
def lg_upload(lg_api: Fetch) -> Callable[..., Awaitable[dict[str, Any]]]:
    """Upload ``data`` as dataset ``name`` and return the 201 body (fails the test otherwise)."""

    async def upload(name: str, data: bytes | str, content_type: str = "text/csv") -> dict[str, Any]:
        r = await lg_api(
            "POST", "datasets", body=data, params={"name": name}, headers={"Content-Type": content_type}
        )
        assert r.code == 201, r.body
        return orjson.loads(r.body)

    return upload


def body(response: Any) -> Any:
    return orjson.loads(response.body)
