"""Dataset names on a laptop: ``datasets/resolve``, chart specs and ``lg.load`` follow one rule.

The laptop's one user may read everything; datasets of other owners (loaded samples, a store
shared with a hub-identified server) are theirs to name as ``owner/name``, and a bare name that
several owners use is a 409 listing the choices. The hub's side is ``tests/hub/test_hub_names.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from livegraphs_ext.kernel import notebook
from livegraphs_ext.store import Conflict, DatasetStore, StoreConfig

from ..conftest import body
from .test_api import assert_error_shape

CSV = "city,temp\nOslo,-3.5\nLima,24.0\n"


def table(name: str) -> dict[str, Any]:
    return {"version": 1, "dataset": {"name": name}, "mark": "table", "encoding": {}}


def others_upload(jp_serverapp: Any, owner: str, name: str) -> dict[str, Any]:
    """A dataset of another owner, put into the server's store directly."""
    store: DatasetStore = jp_serverapp.web_app.settings["livegraphs_host"].store
    src = store.staging_path()
    src.write_text(CSV)
    return store.create_from_file(src, name=name, owner=owner, content_type="text/csv")


async def test_a_name_several_owners_use_is_a_409_listing_them(lg_api, lg_upload, jp_serverapp):
    # Given "sales" of ada and of bo, and none of the local user
    ada = others_upload(jp_serverapp, "ada", "sales")
    bo = others_upload(jp_serverapp, "bo", "sales")
    # When the bare name is resolved or charted, Then 409 names both as owner/name
    for r in (
        await lg_api("GET", "datasets/resolve", params={"name": "sales"}),
        await lg_api("POST", "charts/query", body={"spec": table("sales")}),
    ):
        assert r.code == 409
        error = body(r)
        assert_error_shape(error)
        assert error["reason"] == "Ambiguous name"
        assert [e["value"] for e in error["errors"]] == ["ada/sales", "bo/sales"]
    # owner/name picks one, in every place a name is taken
    r = await lg_api("GET", "datasets/resolve", params={"name": "bo/sales"})
    assert r.code == 200 and body(r)["id"] == bo["id"]
    r = await lg_api("POST", "charts/query", body={"spec": table("ada/sales")})
    assert r.code == 200 and body(r)["dataset"]["id"] == ada["id"]
    r = await lg_api("GET", "datasets", params={"name": "ada/sales"})
    assert [d["id"] for d in body(r)["datasets"]] == [ada["id"]]

    # Given the local user's own "sales", Then the bare name is theirs
    mine = await lg_upload("sales", CSV)
    r = await lg_api("GET", "datasets/resolve", params={"name": "sales"})
    assert r.code == 200 and body(r)["id"] == mine["id"] and body(r)["access"] == "owner"
    r = await lg_api("POST", "charts/query", body={"spec": table("sales")})
    assert r.code == 200 and body(r)["dataset"]["id"] == mine["id"]


async def test_resolve_answers_bad_and_unknown_names_in_the_error_shape(lg_api, lg_upload):
    await lg_upload("sales", CSV)
    for params, code in (({}, 400), ({"name": "/sales"}, 400), ({"name": "nobody/sales"}, 404)):
        r = await lg_api("GET", "datasets/resolve", params=params)
        assert r.code == code, (params, r.body)
        assert_error_shape(body(r))
    r = await lg_api("POST", "datasets", body=CSV, params={"name": "q1/sales"})
    assert r.code == 400 and "'/'" in body(r)["message"]


@pytest.fixture
def lg_kernel_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The store a laptop kernel's ``lg.load`` reads, as the local user ``vic``."""
    monkeypatch.setenv("LIVEGRAPHS_DATA_DIR", str(tmp_path / "nb"))
    monkeypatch.setenv("LIVEGRAPHS_LOCAL_USER", "vic")
    for var in ("JUPYTERHUB_USER", "LIVEGRAPHS_SERVICE_URL", "LIVEGRAPHS_CATALOG_URL"):
        monkeypatch.delenv(var, raising=False)
    notebook._store.cache_clear()
    store = DatasetStore(StoreConfig(root=tmp_path / "nb"))
    yield store
    notebook._store.cache_clear()
    store.close()


def test_lg_load_takes_your_own_then_the_only_one_then_owner_name(lg_kernel_store: DatasetStore):
    def put(owner: str, csv: str) -> dict[str, Any]:
        src = lg_kernel_store.staging_path()
        src.write_text(csv)
        return lg_kernel_store.create_from_file(src, name="sales", owner=owner, content_type="text/csv")

    put("ada", "city\nOslo\n")
    assert notebook.load("sales")["city"].tolist() == ["Oslo"]
    put("bo", "city\nLima\n")
    with pytest.raises(Conflict, match="ada/sales, bo/sales"):
        notebook.load("sales")
    assert notebook.load("bo/sales")["city"].tolist() == ["Lima"]
    put("vic", "city\nRome\n")
    assert notebook.load("sales")["city"].tolist() == ["Rome"]
    # a chart spec run in the kernel follows the same rule
    assert notebook.query_chart(table("sales")).to_json()["data"]["c0"] == ["Rome"]
    assert notebook.query_chart(table("ada/sales")).to_json()["data"]["c0"] == ["Oslo"]
