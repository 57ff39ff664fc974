"""Fixtures shared by the server tests (prefixed ``lg_``)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

pytest_plugins = ("pytest_jupyter.jupyter_server",)

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
PG_URL = os.environ.get(
    "LIVEGRAPHS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def postgres_database(prefix: str) -> Iterator[str]:
    """Create a fresh database on the real PostgreSQL server, yield its URL, then drop it."""
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = prefix + uuid.uuid4().hex[:12]
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def lg_postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    with postgres_database("lg_test_") as url:
        yield url


@pytest.fixture(scope="module")
def lg_module_postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database shared by one test module, dropped afterwards."""
    with postgres_database("lg_mod_test_") as url:
        yield url


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
