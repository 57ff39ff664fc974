"""An authorizer that answers asynchronously (jupyter-server allows it) is awaited, never taken as a
yes: a caller it does not let read files gets no file imported and no file named."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jupyter_server.auth.authorizer import Authorizer

from ..conftest import body


class NoFiles(Authorizer):
    """Everything but reading files, and but the action a request's ``X-Deny`` header names,
    answered asynchronously."""

    async def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:  # type: ignore[override]
        return resource != "contents" and handler.request.headers.get("X-Deny") != action


@pytest.fixture
def jp_server_config(jp_server_config):
    config = dict(jp_server_config)
    config["ServerApp"] = {**config["ServerApp"], "authorizer_class": NoFiles}
    return config


async def test_an_asynchronous_no_to_reading_files_is_a_no(lg_api, lg_upload, jp_root_dir):
    ds = await lg_upload("weather", "city,temp\nOslo,-3.5\n")
    (jp_root_dir / "more.csv").write_text("city,temp\nLima,24\n")
    spec = {"version": 1, "dataset": {"id": ds["id"]}, "mark": "bar", "encoding": {"x": {"field": "temp"}}}
    (jp_root_dir / "temps.lgchart").write_text(json.dumps(spec))

    r = await lg_api("POST", "datasets", "import", body={"path": "more.csv", "name": "more"})
    assert r.code == 403 and body(r)["message"] == "You may not read files"
    r = await lg_api(
        "POST", "datasets", "import", body={"path": "more.csv", "dataset": ds["id"], "mode": "append"}
    )
    assert r.code == 403

    # new data removing temp: the change is made, but no file is looked through for this caller
    r = await lg_api("POST", "datasets", ds["id"], "data", body="city\nBern\n", params={"mode": "replace"})
    assert r.code == 201, r.body
    charts = body(r)["changes"]["charts"]
    assert "files" not in charts and body(r)["changes"]["note"]


async def test_an_asynchronous_no_to_writing_refuses_an_upload_before_its_body(lg_api, lg_data_dir):
    # the upload's own check, made before the body is read, refuses it (not the later decorator)
    r = await lg_api("POST", "datasets", body="a\n1\n", params={"name": "x"}, headers={"X-Deny": "write"})
    assert r.code == 403 and body(r)["message"] == "You may not upload datasets"
    assert not any((lg_data_dir / "datasets").iterdir())
