"""``GET datasets/{id}/rows?q=`` and ``GET datasets/search?q=`` on a laptop: answers, limits, errors.

The hub's side (another user's dataset never appears) is in ``tests/hub/test_hub_service.py``.
"""

from __future__ import annotations

import pytest

from livegraphs_ext.store import searching
from livegraphs_ext.store.textsearch import MAX_QUERY_CHARS

from ..conftest import body
from .test_api import assert_error_shape

CSV = "id,city,note\n1,Zürich,quick brown fox\n2,Oslo,Café crème\n3,São Paulo,\n4,zurich,brown quick\n"


async def test_rows_with_q_is_a_page_of_the_matches_with_their_count(lg_api, lg_upload):
    ds = await lg_upload("cities", CSV)
    r = await lg_api("GET", "datasets", ds["id"], "rows", params={"q": "ZURICH", "sort": "-id"})
    assert r.code == 200
    page = body(r)
    assert page["total"] == 2
    assert [row[0] for row in page["rows"]] == [4, 1]
    assert page["search"]["clauses"] == [{"words": ["zurich"], "prefix": False}]
    assert page["search"]["columns"] == ["city", "note"]
    r = await lg_api("GET", "datasets", ds["id"], "rows", params={"q": '"quick brown"', "limit": "1"})
    assert (body(r)["total"], [row[0] for row in body(r)["rows"]]) == (1, [1])
    # an empty q is no search
    r = await lg_api("GET", "datasets", ds["id"], "rows", params={"q": ""})
    assert body(r)["total"] == 4 and "search" not in body(r)


@pytest.mark.parametrize(
    ("q", "reason"),
    [
        ("x" * (MAX_QUERY_CHARS + 1), "Bad search"),
        ('"unclosed', "Bad search"),
        ("***", "Bad search"),
        ("z*", "Bad search"),
    ],
)
async def test_a_bad_query_is_a_400_in_the_one_error_shape(lg_api, lg_upload, q, reason):
    ds = await lg_upload("cities", CSV)
    for path, params in ((("datasets", ds["id"], "rows"), {"q": q}), (("datasets", "search"), {"q": q})):
        r = await lg_api("GET", *path, params=params)
        assert r.code == 400, path
        error = body(r)
        assert_error_shape(error)
        assert error["reason"] == reason


async def test_search_everything_groups_matches_by_dataset(lg_api, lg_upload):
    cities = await lg_upload("cities", CSV)
    await lg_upload("other", "id,word\n1,nothing here\n")
    zurich = await lg_upload("Zurich trams", "line,stop\n4,Bahnhof\n")
    r = await lg_api("GET", "datasets", "search", params={"q": "zürich", "rows": "1"})
    assert r.code == 200
    out = body(r)
    got = {x["dataset"]["id"]: x for x in out["results"]}
    assert set(got) == {cities["id"], zurich["id"]}
    assert got[cities["id"]]["rows"]["total"] == 2 and len(got[cities["id"]]["rows"]["rows"]) == 1
    assert got[zurich["id"]]["name"] is True
    assert got[cities["id"]]["dataset"]["access"] == "owner"
    assert out["pending"] == [] and out["truncated"] is False


async def test_search_everything_needs_q_and_bounds_rows(lg_api):
    r = await lg_api("GET", "datasets", "search")
    assert r.code == 400 and body(r)["reason"] == "Bad search"
    for rows in (str(searching.SEARCH_MAX_ROWS + 1), "-1", "many"):
        r = await lg_api("GET", "datasets", "search", params={"q": "x", "rows": rows})
        assert r.code == 400
        assert_error_shape(body(r))
