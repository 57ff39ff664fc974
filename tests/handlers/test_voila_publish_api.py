"""``voila/publications``: what a user's server checks itself before it asks the hub.

A laptop has no hub: the routes answer 404 in the API's error shape. A server on a hub (its
``$JUPYTERHUB_*`` environment set; the hub itself is tried only once a request is valid, and is not
there: 502) refuses a bad name, a missing notebook, a file that is not one, and bad shares with 400.
The publishing itself, on a real hub, is in ``tests/hub/test_hub_voila.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from jupyterhub.slugs import is_valid_safe_slug

from livegraphs_ext.handlers.voila import BODY_MAX, MAX_SHARES, NAME, NAME_MAX, NO_HUB, PREFIX

from ..conftest import body
from ..servers import free_port

HUB_ENV = ("JUPYTERHUB_API_URL", "JUPYTERHUB_API_TOKEN", "JUPYTERHUB_USER", "JUPYTERHUB_SERVER_NAME")
NOTEBOOK = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def assert_error(r: Any, status: int, reason: str | None = None) -> dict[str, Any]:
    assert r.code == status, r.body
    assert r.headers["Content-Type"].startswith("application/json")
    err = body(r)
    assert set(err) == {"message", "reason", "errors"} and err["message"], err
    if reason is not None:
        assert err["reason"] == reason, err
    return err


@pytest.fixture
def laptop(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in HUB_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("method", "path", "payload"),
    [
        ("GET", ("voila", "publications"), None),
        ("POST", ("voila", "publications"), {"name": "sales", "notebook": "sales.ipynb"}),
        ("DELETE", ("voila", "publications", "sales"), None),
        ("DELETE", ("voila", "publications", "sales", "shares", "user", "bo"), None),
    ],
)
async def test_a_laptop_answers_the_publications_404_as_it_has_no_hub(laptop, lg_api, method, path, payload):
    r = await lg_api(method, *path, body=payload)
    err = assert_error(r, 404, "Not Found")
    assert err["message"] == NO_HUB


class TestOnAHub:
    """A user's default server on a hub whose API does not answer."""

    @pytest.fixture
    def jp_server_config(
        self, jp_server_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
    ) -> dict[str, Any]:
        monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "the-servers-own-hub-token")
        monkeypatch.setenv("JUPYTERHUB_API_URL", f"http://127.0.0.1:{free_port()}/hub/api")
        monkeypatch.setenv("JUPYTERHUB_USER", "ada")
        monkeypatch.delenv("JUPYTERHUB_SERVER_NAME", raising=False)
        monkeypatch.setenv("LIVEGRAPHS_SERVICE_URL", f"http://127.0.0.1:{free_port()}/services/livegraphs/")
        return {**jp_server_config, "LiveGraphsApp": {**jp_server_config["LiveGraphsApp"], "backend": "hub"}}

    @pytest.fixture
    def notebook(self, jp_root_dir: Path, monkeypatch: pytest.MonkeyPatch) -> str:
        """``reports/dash.ipynb`` among this server's files, beside a ``.py`` file and a folder."""
        # the server's files are its user's home folder, as on the hub
        monkeypatch.setenv("HOME", str(jp_root_dir))
        reports = jp_root_dir / "reports"
        reports.mkdir()
        (reports / "dash.ipynb").write_bytes(orjson.dumps(NOTEBOOK))
        (reports / "notes.py").write_text("print(1)")
        (reports / "folder.ipynb").mkdir()
        return "reports/dash.ipynb"

    @pytest.mark.parametrize(
        "name",
        [
            "",
            "Sales",
            "sales_2026",
            "-sales",
            "sales-",
            "sales--q1",
            "sales.q1",
            "sa les",
            "ünï",
            "x" * (NAME_MAX + 1),
            7,
            None,
            ["sales"],
        ],
    )
    async def test_a_bad_name_is_refused(self, lg_api, notebook, name):
        r = await lg_api("POST", "voila", "publications", body={"name": name, "notebook": notebook})
        err = assert_error(r, 400, "Bad name")
        assert "lowercase letters and digits" in err["message"]

    async def test_a_bad_name_in_the_path_is_refused(self, lg_api):
        for path in (
            ("voila", "publications", "Sales"),
            ("voila", "publications", "a_b", "shares", "user", "bo"),
        ):
            assert_error(await lg_api("DELETE", *path), 400, "Bad name")

    @pytest.mark.parametrize(
        "path",
        [
            None,
            "",
            "   ",
            7,
            "reports/missing.ipynb",
            "reports/notes.py",
            "reports/folder.ipynb",
            "../dash.ipynb",
            "reports/../../dash.ipynb",
            "/etc/dash.ipynb",
            "-x.ipynb",
            "reports/da\tsh.ipynb",
            "reports/da\x00sh.ipynb",
            "a/" * 600 + "x.ipynb",
        ],
    )
    async def test_a_notebook_that_is_missing_or_not_one_is_refused(self, lg_api, notebook, path):
        r = await lg_api("POST", "voila", "publications", body={"name": "sales", "notebook": path})
        assert_error(r, 400, "Bad notebook")

    @pytest.mark.parametrize(
        "extra",
        [
            {"users": "bo"},
            {"users": [7]},
            {"groups": [""]},
            {"groups": {"analysts": 1}},
            {"users": ["x" * 256]},
            {"users": ["b\no"]},
            {"users": [f"u{i}" for i in range(MAX_SHARES)], "groups": ["g"]},
        ],
    )
    async def test_bad_shares_are_refused(self, lg_api, notebook, extra):
        r = await lg_api(
            "POST", "voila", "publications", body={"name": "sales", "notebook": notebook, **extra}
        )
        assert_error(r, 400, "Bad share")

    async def test_a_bad_body_is_refused(self, lg_api, notebook):
        assert_error(await lg_api("POST", "voila", "publications", body=b"{not json"), 400, "Bad JSON")
        assert_error(await lg_api("POST", "voila", "publications", body=b"[]"), 400, "Bad JSON")
        r = await lg_api(
            "POST", "voila", "publications", body={"name": "sales", "notebook": notebook, "server": "x"}
        )
        assert_error(r, 400, "Bad key")
        big = {"name": "sales", "notebook": notebook, "users": ["x" * 200] * (BODY_MAX // 200)}
        assert_error(await lg_api("POST", "voila", "publications", body=big), 413)

    async def test_a_valid_request_goes_to_the_hub(self, lg_api, notebook):
        # Given a valid publication, when the hub does not answer, then 502 in the API's shape
        r = await lg_api(
            "POST", "voila", "publications",
            body={"name": "sales-2026", "notebook": notebook, "users": ["bo"], "groups": ["analysts"]},
        )  # fmt: skip
        err = assert_error(r, 502, "Hub error")
        assert "cannot be reached" in err["message"]
        assert_error(await lg_api("GET", "voila", "publications"), 502, "Hub error")

    async def test_a_notebook_outside_the_home_folder_is_refused(
        self, lg_api, notebook, jp_root_dir, monkeypatch
    ):
        # the hub starts a publication's Voila in its publisher's home folder
        monkeypatch.setenv("HOME", str(jp_root_dir / "elsewhere"))
        r = await lg_api("POST", "voila", "publications", body={"name": "sales", "notebook": notebook})
        err = assert_error(r, 400, "Bad notebook")
        assert "home folder" in err["message"]

    async def test_a_named_server_does_not_publish(self, lg_api, notebook, monkeypatch):
        monkeypatch.setenv("JUPYTERHUB_SERVER_NAME", "pair")
        r = await lg_api("POST", "voila", "publications", body={"name": "sales", "notebook": notebook})
        assert_error(r, 403, "Forbidden")


@pytest.mark.parametrize(
    "name",
    [
        "sales",
        "q1",
        "1st",
        "sales-2026",
        "a-b-c",
        "x" * NAME_MAX,
        "x" * (NAME_MAX + 1),
        "Sales",
        "a--b",
        "a_b",
        "-a",
        "a-",
        "é",
        "",
    ],
)
def test_a_publication_name_follows_jupyterhubs_server_name_rules(name):
    ours = bool(NAME.match(name)) and len(name) <= NAME_MAX
    assert ours == is_valid_safe_slug(PREFIX + name)
