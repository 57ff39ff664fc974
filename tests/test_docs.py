"""Every server setting is documented in the README's settings table."""

from pathlib import Path

from livegraphs_ext.app import LiveGraphsApp

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_readme():
    settings = sorted(LiveGraphsApp.class_own_traits(config=True))
    assert settings, "LiveGraphsApp has no settings"
    missing = [name for name in settings if f"| `{name}` |" not in README]
    assert missing == []


def test_every_setting_has_help():
    undocumented = [
        name for name, trait in LiveGraphsApp.class_own_traits(config=True).items() if not trait.help.strip()
    ]
    assert undocumented == []
