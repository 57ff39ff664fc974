"""The hub service with its catalog in a throwaway database on the real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from .hubutil import USERS, Hub, running_hub
from .test_hub_service import CSV, call, listed

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture(scope="module")
def pg_hub(tmp_path_factory: pytest.TempPathFactory, lg_module_postgres_url: str) -> Iterator[Hub]:
    with running_hub(tmp_path_factory.mktemp("pghub"), USERS, catalog_url=lg_module_postgres_url) as h:
        yield h


def test_the_service_keeps_its_catalog_in_postgresql(pg_hub: Hub, lg_module_postgres_url: str):
    tokens = {u: pg_hub.token(u) for u in ("ada", "bo", "cy", "root")}
    api = pg_hub.service_url + "api/"
    r = call(api, tokens["ada"], "POST", "datasets?name=tides", CSV)
    assert r.status_code == 201, r.text
    ds = r.json()
    r = call(api, tokens["ada"], "POST", f"datasets/{ds['id']}/shares", {"kind": "group", "name": "analysts"})
    assert r.status_code == 201 and r.json()["role"] == "viewer"
    assert ds["id"] in listed(api, tokens["cy"]) and ds["id"] not in listed(api, tokens["bo"])
    assert call(api, tokens["bo"], "GET", f"datasets/{ds['id']}/rows").status_code == 404
    r = call(api, tokens["cy"], "POST", f"datasets/{ds['id']}/transforms", {"step": {"op": "dedupe"}})
    assert r.status_code == 403
    # the rows are where PostgreSQL says they are, and nowhere else
    engine = create_engine(lg_module_postgres_url)
    try:
        with engine.connect() as c:
            assert c.execute(text("SELECT owner, name FROM lg_datasets")).all() == [("ada", "tides")]
            assert c.execute(text("SELECT kind, name, role FROM lg_shares")).all() == [
                ("group", "analysts", "viewer")
            ]
        assert not (pg_hub.data_dir / "catalog.sqlite").exists()
        assert call(api, tokens["root"], "DELETE", f"datasets/{ds['id']}").status_code == 204
        with engine.connect() as c:
            assert c.execute(text("SELECT count(*) FROM lg_datasets")).scalar() == 0
            assert c.execute(text("SELECT count(*) FROM lg_shares")).scalar() == 0
            events = c.execute(text('SELECT "user", action, admin FROM lg_events ORDER BY id')).all()
    finally:
        engine.dispose()
    assert [tuple(e) for e in events] == [
        ("ada", "upload", False),
        ("ada", "share", False),
        ("root", "delete", True),
    ]
