"""Every route needs an authenticated and authorized user; a test walks them all."""

from __future__ import annotations

import ast
import inspect
import re
from typing import Any

import orjson
import pytest
from jupyter_server.auth import Authorizer

from livegraphs_ext import handlers as handlers_pkg
from livegraphs_ext.handlers import ROUTES

DATASET = "0123456789abcdef0123456789abcdef"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def concrete(pattern: str) -> str:
    path = re.sub(r"\(\?P<(dataset|document)_id>[^)]*\)", DATASET, pattern)
    path = re.sub(r"\(\?P<kind>[^)]*\)", "user", path)
    path = re.sub(r"\(\?P<name>[^)]*\)", "someone", path)
    path = re.sub(r"\(\?P<number>[^)]*\)", "1", path)
    return re.sub(r"\(\?P<path>\.\*\)", "anything/else", path)


def routes_and_methods() -> list[tuple[str, str]]:
    out = []
    for pattern, handler in ROUTES:
        for method in METHODS:
            if method.lower() in handler.__dict__ or any(
                method.lower() in base.__dict__
                for base in handler.__mro__[1:]
                if base.__module__.startswith("livegraphs")
            ):
                out.append((concrete(pattern), method))
    return out


ALL = routes_and_methods()


def test_the_walk_covers_every_route():
    assert {p for p, _ in ALL} == {concrete(p) for p, _ in ROUTES}
    assert len(ALL) >= 14


@pytest.mark.parametrize(("path", "method"), ALL)
async def test_anonymous_callers_get_403_everywhere(jp_fetch, path, method):
    body = b"name,x\na,1\n" if method in {"POST", "PUT", "PATCH"} else None
    r = await jp_fetch(
        "livegraphs",
        "api",
        *path.split("/"),
        method=method,
        body=body,
        params={"name": "anon"},
        headers={"Authorization": ""},
        raise_error=False,
        follow_redirects=False,
    )
    assert r.code == 403, (method, path, r.code)


class DenyAll(Authorizer):
    """An authenticated user who may do nothing."""

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        return False


@pytest.fixture
def jp_server_config(jp_server_config):
    config = dict(jp_server_config)
    config["ServerApp"] = {**config["ServerApp"], "authorizer_class": DenyAll}
    return config


@pytest.mark.parametrize(("path", "method"), ALL)
async def test_users_without_the_right_get_403_everywhere(jp_fetch, lg_data_dir, path, method):
    body = b"name,x\na,1\n" if method in {"POST", "PUT", "PATCH"} else None
    r = await jp_fetch(
        "livegraphs",
        "api",
        *path.split("/"),
        method=method,
        body=body,
        params={"name": "x"},
        raise_error=False,
    )
    assert r.code == 403, (method, path, r.code)
    assert set(orjson.loads(r.body)) == {"message", "reason", "errors"}
    # nothing reached the store: no upload was staged or kept
    assert not any((lg_data_dir / "datasets").iterdir())
    assert not any((lg_data_dir / "staging").iterdir())


def test_every_handler_method_is_decorated_authenticated_and_authorized():
    missing = []
    for module in [m for m in vars(handlers_pkg).values() if inspect.ismodule(m)]:
        tree = ast.parse(inspect.getsource(module))
        for cls in [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]:
            for fn in cls.body:
                if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef) and fn.name.upper() in METHODS:
                    decos = {ast.unparse(d) for d in fn.decorator_list}
                    # a WebSocket answers an anonymous caller 403 (ws_authenticated), never a redirect
                    authenticated = {"web.authenticated", "ws_authenticated"} & decos
                    if not (authenticated and "authorized" in decos):
                        missing.append(f"{module.__name__}.{cls.name}.{fn.name}")
    assert missing == []
