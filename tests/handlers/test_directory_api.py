"""``GET directory?q=``: who a document can be shared with. On a laptop that is the local user alone."""

from __future__ import annotations

from typing import Any

import pytest

from livegraphs_ext.handlers.directory import MAX_DIRECTORY_LIMIT, MAX_DIRECTORY_QUERY

from ..conftest import body


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any]) -> dict[str, Any]:
    return {**jp_server_config, "LiveGraphsApp": {**jp_server_config["LiveGraphsApp"], "local_user": "Vic"}}


@pytest.mark.parametrize(
    ("q", "users"), [("", ["Vic"]), ("v", ["Vic"]), ("VI", ["Vic"]), ("x", []), ("ic", [])]
)
async def test_a_laptop_lists_its_local_user_when_the_name_starts_with_q(lg_api, q, users):
    r = await lg_api("GET", "directory", params={"q": q})
    assert r.code == 200
    assert body(r) == {"users": users, "groups": []}


async def test_q_and_limit_are_bounded(lg_api):
    ok = await lg_api(
        "GET", "directory", params={"q": "v" * MAX_DIRECTORY_QUERY, "limit": MAX_DIRECTORY_LIMIT}
    )
    assert ok.code == 200
    for params in (
        {"q": "v" * (MAX_DIRECTORY_QUERY + 1)},
        {"limit": 0},
        {"limit": MAX_DIRECTORY_LIMIT + 1},
        {"limit": "many"},
    ):
        r = await lg_api("GET", "directory", params=params)
        assert r.code == 400, params
        assert set(body(r)) == {"message", "reason", "errors"}
