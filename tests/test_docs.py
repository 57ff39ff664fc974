"""Every server setting, of the laptop extension and of the hub service, is documented in the README."""

from pathlib import Path
from typing import Any

import pytest

from livegraphs_ext.app import LiveGraphsApp
from livegraphs_ext.config import StoreSettings
from livegraphs_ext.service import LiveGraphsService

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
APPS = [LiveGraphsApp, LiveGraphsService]


def settings_of(app: type) -> dict[str, Any]:
    """The app's own settings and the store settings it inherits (not jupyter-server's or traitlets')."""
    return {**StoreSettings.class_own_traits(config=True), **app.class_own_traits(config=True)}


@pytest.mark.parametrize("app", APPS)
def test_every_setting_is_in_the_readme(app):
    settings = sorted(settings_of(app))
    assert settings, f"{app.__name__} has no settings"
    missing = [name for name in settings if f"| `{name}` |" not in README]
    assert missing == []


@pytest.mark.parametrize("app", APPS)
def test_every_setting_has_help(app):
    undocumented = [name for name, trait in settings_of(app).items() if not trait.help.strip()]
    assert undocumented == []


@pytest.mark.parametrize("app", APPS)
def test_every_store_setting_is_a_setting_of_both_apps(app):
    # c.LiveGraphsApp.<name> and --LiveGraphsService.<name> both reach the store settings.
    config = app.class_traits(config=True)
    assert set(StoreSettings.class_own_traits(config=True)) <= set(config)
