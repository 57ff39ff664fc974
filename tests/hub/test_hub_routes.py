"""The hub service's routes and the server extension's backend choice, without starting a hub."""

from __future__ import annotations

import ast
import inspect
import re
from importlib.resources import files

import pytest

from livegraphs_ext.app import LiveGraphsApp
from livegraphs_ext.handlers import API_ROUTES as SHARED_API_ROUTES
from livegraphs_ext.handlers import ROUTES, SERVER_ROUTES, STATIC_ROUTES
from livegraphs_ext.handlers import charts as chart_handlers
from livegraphs_ext.handlers import datasets as dataset_handlers
from livegraphs_ext.handlers import forward as forward_handlers
from livegraphs_ext.handlers import meta as meta_handlers
from livegraphs_ext.handlers import publish as publish_handlers
from livegraphs_ext.handlers import viewer as viewer_handlers
from livegraphs_ext.handlers import voila as voila_handlers
from livegraphs_ext.handlers.forward import FORWARD_ROUTES
from livegraphs_ext.service import LiveGraphsService
from livegraphs_ext.service import app as service_app
from livegraphs_ext.service import handlers as service_handlers
from livegraphs_ext.service.admin import handlers as admin_handlers
from livegraphs_ext.service.handlers import API_ROUTES, SERVICE_ROUTES

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


#: Pages that must answer a caller the hub no longer knows, and so cannot authenticate one.
UNAUTHENTICATED = {
    # Where the hub's logout sends the browser once it has revoked the token in the service's
    # cookie: it forgets what it cached about that (signed) cookie's token and clears the cookie.
    "livegraphs_ext.service.app.LogoutHandler.get",
}


def test_every_service_handler_method_is_authenticated_and_authorized():
    missing, seen = [], 0
    # The service serves the shared dataset, chart and meta handlers too.
    shared = (dataset_handlers, chart_handlers, meta_handlers, publish_handlers, viewer_handlers)
    # a public link's routes and pages, open to anyone: that allow-list and no other
    public = {h.__name__ for h in publish_handlers.PUBLIC_HANDLERS | viewer_handlers.PUBLIC_PAGES}
    for module in (service_handlers, service_app, admin_handlers, forward_handlers, voila_handlers, *shared):
        tree = ast.parse(inspect.getsource(module))
        for cls in [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]:
            for fn in cls.body:
                if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef) and fn.name.upper() in METHODS:
                    seen += 1
                    decos = {ast.unparse(d) for d in fn.decorator_list}
                    name = f"{module.__name__}.{cls.name}.{fn.name}"
                    # a WebSocket answers an anonymous caller 403 (ws_authenticated), never a redirect
                    authenticated = {"web.authenticated", "ws_authenticated"} & decos
                    if cls.name in public and decos == {"allow_unauthenticated"}:
                        continue
                    if not (authenticated and "authorized" in decos) and name not in UNAUTHENTICATED:
                        missing.append(name)
    assert missing == [] and seen >= 25


def test_the_service_serves_every_laptop_route():
    # On a hub the front end reaches the service through the forwarder: a laptop route the service
    # lacks would be a 404 there. Add it to livegraphs_ext/service/handlers.py (behind GuardedStore).
    # (but a user server's own routes, which it answers itself on a hub too: before the forwarder)
    missing = {p for p, _ in ROUTES} - {p for p, _ in API_ROUTES}
    assert missing == {p for p, _ in SERVER_ROUTES}
    assert FORWARD_ROUTES[1 : 1 + len(SERVER_ROUTES)] == SERVER_ROUTES
    assert API_ROUTES[-1][0] == ROUTES[-1][0] == r"(?P<path>.*)"


def test_both_hosts_serve_the_same_api_with_the_same_handler_classes(monkeypatch, tmp_path):
    # Given a laptop extension keeping its own data, and a hub service
    for name in ("JUPYTERHUB_API_TOKEN", "LIVEGRAPHS_SERVICE_URL", "JUPYTERHUB_PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    laptop = LiveGraphsApp()
    laptop.initialize_handlers()
    service = LiveGraphsService(data_dir=str(tmp_path / "service"), prefix="/services/livegraphs/")
    service.initialize([])
    try:
        app = service.make_app()
    finally:
        service.heavy_pool.shutdown()
        service.light_pool.shutdown()
        service.charts.close()
        service.store.close()

    # When each one's routes under its API prefix are listed
    laptop_prefix = laptop.api_prefix + "/"
    laptop_api = [(p[len(laptop_prefix) :], h) for p, h in laptop.handlers if p.startswith(laptop_prefix)]
    service_prefix = "/services/livegraphs/api/"
    service_api = [
        (rule.matcher.regex.pattern[len(service_prefix) : -1], rule.target)
        for rule in app.wildcard_router.rules
        if rule.matcher.regex.pattern.startswith(service_prefix)
    ]

    # Then both serve the one shared table, the same classes in the same order, then a JSON 404;
    # the service adds only its own routes (shares, user, events, admin) in between, the laptop a
    # user server's own (Voila publications, 404 without a hub)
    shared = len(SHARED_API_ROUTES)
    assert laptop_api[:shared] == service_api[:shared] == SHARED_API_ROUTES
    assert laptop_api[shared:] == [*SERVER_ROUTES, ROUTES[-1]]
    assert service_api[shared:] == [*SERVICE_ROUTES, ROUTES[-1]]
    assert laptop_api == ROUTES and service_api == API_ROUTES


def test_openapi_names_every_service_route():
    text = files("livegraphs_ext").joinpath("openapi.yaml").read_text()
    for pattern, _ in API_ROUTES[:-1]:
        path = "/" + re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", pattern.replace("{1,9}", ""))
        assert f"  {path}:" in text, path


@pytest.mark.parametrize(
    ("backend", "env", "hub"),
    [
        ("auto", {}, False),
        ("auto", {"JUPYTERHUB_API_TOKEN": "t"}, False),  # a hub without the service: keep data locally
        ("auto", {"JUPYTERHUB_API_TOKEN": "t", "LIVEGRAPHS_SERVICE_URL": "http://127.0.0.1:1/s/"}, True),
        ("local", {"JUPYTERHUB_API_TOKEN": "t", "LIVEGRAPHS_SERVICE_URL": "http://127.0.0.1:1/s/"}, False),
        ("hub", {"JUPYTERHUB_API_TOKEN": "t", "JUPYTERHUB_PUBLIC_URL": "https://hub.example/"}, True),
    ],
)
def test_the_backend_follows_the_setting_and_the_environment(monkeypatch, backend, env, hub):
    for name in ("JUPYTERHUB_API_TOKEN", "LIVEGRAPHS_SERVICE_URL", "JUPYTERHUB_PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    app = LiveGraphsApp(backend=backend)
    assert app.uses_hub is hub
    if hub and backend == "hub":
        assert app.service_api_url() == "https://hub.example/services/livegraphs/api"
        assert app.service_prefix_path() == "/services/livegraphs/"


def test_a_hub_backend_without_a_service_url_refuses_to_start(monkeypatch):
    for name in ("JUPYTERHUB_API_TOKEN", "LIVEGRAPHS_SERVICE_URL", "JUPYTERHUB_PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ValueError, match="service_url"):
        LiveGraphsApp(backend="hub").initialize_settings()


def test_in_hub_mode_the_extension_registers_only_the_forwarder_and_the_widget_bundle(monkeypatch):
    # No data route runs in the user's server: the store is the service's alone. The widget
    # bundle is the package's own JavaScript, the same for everyone.
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "t")
    monkeypatch.setenv("LIVEGRAPHS_SERVICE_URL", "http://127.0.0.1:1/services/livegraphs/")
    app = LiveGraphsApp()
    app.initialize_handlers()
    assert [h for _, h in app.handlers] == [h for _, h in FORWARD_ROUTES + STATIC_ROUTES]
