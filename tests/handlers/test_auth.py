"""Every route needs an authenticated and authorized user, but a public link's (the allow-list
``PUBLIC_HANDLERS``); a test walks them all."""

from __future__ import annotations

import ast
import inspect
import re
from typing import Any

import orjson
import pytest
from jupyter_server.auth import Authorizer

from livegraphs_ext import handlers as handlers_pkg
from livegraphs_ext.handlers import PAGE_ROUTES, ROUTES
from livegraphs_ext.handlers.publish import PUBLIC_HANDLERS
from livegraphs_ext.handlers.viewer import PUBLIC_PAGES

DATASET = "0123456789abcdef0123456789abcdef"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def concrete(pattern: str) -> str:
    path = re.sub(r"\(\?P<(dataset|document)_id>[^)]*\)", DATASET, pattern)
    path = re.sub(r"\(\?P<kind>[^)]*\)", "user", path)
    path = re.sub(r"\(\?P<name>[^)]*\)", "someone", path)
    path = re.sub(r"\(\?P<number>[^)]*\)", "1", path)
    path = re.sub(r"\(\?P<path>\.\*\)", "anything/else", path)
    # any other id (chart, filter, thread, link, a link's token): one every pattern of them takes
    return re.sub(r"\(\?P<\w+>[^)]*\)", DATASET, path)


def routes_and_methods(public: bool = False) -> list[tuple[str, str]]:
    out = []
    for pattern, handler in ROUTES:
        if (handler in PUBLIC_HANDLERS) != public:
            continue
        for method in METHODS:
            if method.lower() in handler.__dict__ or any(
                method.lower() in base.__dict__
                for base in handler.__mro__[1:]
                if base.__module__.startswith("livegraphs")
            ):
                out.append((concrete(pattern), method))
    return out


ALL = routes_and_methods()
PUBLIC = routes_and_methods(public=True)


def test_the_walk_covers_every_route():
    assert {p for p, _ in ALL + PUBLIC} == {concrete(p) for p, _ in ROUTES}
    assert len(ALL) >= 14
    # the public routes are a public link's only: what it shows, its charts and its filters
    assert sorted(PUBLIC) == [
        (f"public/{DATASET}", "GET"),
        (f"public/{DATASET}/charts/{DATASET}/query", "POST"),
        (f"public/{DATASET}/filters/{DATASET}/query", "POST"),
    ]


@pytest.mark.parametrize(("path", "method"), PUBLIC)
async def test_public_routes_answer_anonymous_callers_but_reach_nothing_without_a_link(
    jp_fetch, path, method
):
    body = b"{}" if method == "POST" else None
    r = await jp_fetch(
        "livegraphs", "api", *path.split("/"), method=method, body=body,
        headers={"Authorization": ""}, raise_error=False, follow_redirects=False,
    )  # fmt: skip
    assert r.code == 404, (method, path, r.code)
    assert set(orjson.loads(r.body)) == {"message", "reason", "errors"}


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
    missing, public = [], []
    public_names = {h.__name__ for h in PUBLIC_HANDLERS | PUBLIC_PAGES}
    for module in [m for m in vars(handlers_pkg).values() if inspect.ismodule(m)]:
        tree = ast.parse(inspect.getsource(module))
        for cls in [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]:
            for fn in cls.body:
                if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef) and fn.name.upper() in METHODS:
                    decos = {ast.unparse(d) for d in fn.decorator_list}
                    # a WebSocket answers an anonymous caller 403 (ws_authenticated), never a redirect
                    authenticated = {"web.authenticated", "ws_authenticated"} & decos
                    if cls.name in public_names and decos == {"allow_unauthenticated"}:
                        public.append(f"{cls.name}.{fn.name}")
                    elif not (authenticated and "authorized" in decos):
                        missing.append(f"{module.__name__}.{cls.name}.{fn.name}")
    assert missing == []
    allowed = PUBLIC_HANDLERS | PUBLIC_PAGES
    assert sorted(public) == sorted(
        f"{h.__name__}.{m}" for h in allowed for m in ("get", "post") if m in vars(h)
    )


@pytest.mark.parametrize(("pattern", "handler"), PAGE_ROUTES)
async def test_viewer_pages_send_anonymous_callers_to_log_in_but_public_ones(jp_fetch, pattern, handler):
    path = concrete(pattern.replace(r"(?P<asset>viewer\.(?:js|css))", "viewer.css"))
    r = await jp_fetch(
        "livegraphs",
        *path.split("/"),
        headers={"Authorization": ""},
        raise_error=False,
        follow_redirects=False,
    )
    if handler in PUBLIC_PAGES:
        assert r.code in (200, 404), (path, r.code)  # an asset, or no such link
    else:
        assert r.code == 302 and "/login" in r.headers["Location"], (path, r.code)
