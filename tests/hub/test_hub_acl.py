"""The store's sharing model and activity log, without a hub: SQLite and real PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from livegraphs_ext.store import (
    BadInput,
    Conflict,
    DatasetStore,
    Forbidden,
    GuardedStore,
    NotFound,
    Principal,
    StoreConfig,
)
from livegraphs_ext.store.acl import ShareRow
from livegraphs_ext.store.events import EventRow

from ..store.test_store import CSV

ADA = Principal("ada")
BO = Principal("bo")
CY = Principal("cy", frozenset({"analysts"}))
DEE = Principal("dee", frozenset({"editors"}))
ROOT = Principal("root", is_admin=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def lg_guarded(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GuardedStore]:
    url = request.getfixturevalue("lg_postgres_url") if request.param == "postgresql" else None
    store = DatasetStore(StoreConfig(root=tmp_path / "store", catalog_url=url))
    yield GuardedStore(store)
    store.close()


def upload(g: GuardedStore, who: Principal, name: str) -> dict:
    src = g.store.staging_path()
    src.write_text(CSV)
    return g.create_from_file(who, src, name=name, content_type="text/csv")


def test_a_dataset_is_its_owners_until_shared(lg_guarded: GuardedStore):
    ds = upload(lg_guarded, ADA, "weather")
    assert ds["owner"] == "ada" and ds["access"] == "owner"
    assert [d["id"] for d in lg_guarded.list_datasets(ADA)] == [ds["id"]]
    assert lg_guarded.list_datasets(BO) == []
    for call in (
        lambda: lg_guarded.get(BO, ds["id"]),
        lambda: lg_guarded.rows(BO, ds["id"]),
        lambda: lg_guarded.export(BO, ds["id"], "csv"),
        lambda: lg_guarded.rename(BO, ds["id"], "mine"),
        lambda: lg_guarded.delete(BO, ds["id"]),
        lambda: lg_guarded.share(BO, ds["id"], "user", "bo", "editor"),
        lambda: lg_guarded.shares(BO, ds["id"]),
    ):
        with pytest.raises(NotFound):
            call()
    # an unknown id and a hidden one answer the same
    with pytest.raises(NotFound) as hidden:
        lg_guarded.get(BO, ds["id"])
    with pytest.raises(NotFound) as missing:
        lg_guarded.get(BO, "0" * 32)
    assert hidden.value.reason == missing.value.reason


def test_group_viewers_read_editors_change_only_the_owner_shares_and_deletes(lg_guarded: GuardedStore):
    ds = upload(lg_guarded, ADA, "weather")
    lg_guarded.share(ADA, ds["id"], "group", "analysts", "viewer")
    lg_guarded.share(ADA, ds["id"], "group", "editors", "editor")
    assert lg_guarded.get(CY, ds["id"])["access"] == "viewer"
    assert lg_guarded.rows(CY, ds["id"])["total"] == 4
    with pytest.raises(Forbidden):
        lg_guarded.apply_step(CY, ds["id"], {"op": "dedupe"})
    assert lg_guarded.apply_step(DEE, ds["id"], {"op": "dedupe"})["version"] == 2
    assert lg_guarded.rename(DEE, ds["id"], "weather 2")["access"] == "editor"
    for who in (CY, DEE):
        with pytest.raises(Forbidden):
            lg_guarded.delete(who, ds["id"])
        with pytest.raises(Forbidden):
            lg_guarded.share(who, ds["id"], "user", "bo", "viewer")
    assert lg_guarded.list_datasets(BO) == []
    assert [d["access"] for d in lg_guarded.list_datasets(CY)] == ["viewer"]
    # a user share and a group share: the stronger role wins
    lg_guarded.share(ADA, ds["id"], "user", "cy", "editor")
    assert lg_guarded.get(CY, ds["id"])["access"] == "editor"
    lg_guarded.unshare(ADA, ds["id"], "user", "cy")
    assert lg_guarded.get(CY, ds["id"])["access"] == "viewer"
    lg_guarded.unshare(ADA, ds["id"], "group", "analysts")
    with pytest.raises(NotFound):
        lg_guarded.get(CY, ds["id"])


def test_admins_see_and_delete_everything_and_it_is_logged_as_admin(lg_guarded: GuardedStore):
    ds = upload(lg_guarded, ADA, "weather")
    assert [d["access"] for d in lg_guarded.list_datasets(ROOT)] == ["admin"]
    lg_guarded.delete(ROOT, ds["id"])
    assert lg_guarded.list_datasets(ADA) == []
    log = lg_guarded.list_events(ROOT, action=["delete"])
    assert log["total"] == 1
    assert log["events"][0] | {"time": None, "id": None} == {
        "id": None, "time": None, "user": "root", "action": "delete", "dataset_id": ds["id"],
        "dataset_name": "weather", "owner": "ada", "admin": True, "detail": {},
    }  # fmt: skip
    with pytest.raises(Forbidden):
        lg_guarded.list_events(ADA)
    with pytest.raises(Forbidden):
        lg_guarded.engagement(ADA, since=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1))


def test_deleting_a_dataset_drops_its_shares_in_the_same_transaction(lg_guarded: GuardedStore):
    ds = upload(lg_guarded, ADA, "weather")
    lg_guarded.share(ADA, ds["id"], "user", "bo", "viewer")
    lg_guarded.delete(ADA, ds["id"])
    with lg_guarded.catalog.transaction() as s:
        assert s.scalars(select(ShareRow)).all() == []


def test_a_refused_change_leaves_no_event_and_no_change(lg_guarded: GuardedStore):
    ds = upload(lg_guarded, ADA, "weather")
    lg_guarded.share(ADA, ds["id"], "user", "bo", "viewer")
    with pytest.raises(Forbidden):
        lg_guarded.rename(BO, ds["id"], "stolen")
    with pytest.raises(Forbidden):
        lg_guarded.delete(BO, ds["id"])
    assert lg_guarded.get(ADA, ds["id"])["name"] == "weather"
    with lg_guarded.catalog.transaction() as s:
        actions = sorted(e.action for e in s.scalars(select(EventRow)))
    assert actions == ["share", "upload"]


def test_bad_shares_are_400(lg_guarded: GuardedStore):

    ds = upload(lg_guarded, ADA, "weather")
    for kind, name, role in [
        ("team", "x", "viewer"), ("user", "", "viewer"), ("user", "bo", "owner"),
        ("user", "a\x00b", "viewer"), ("user", 7, "viewer"), ("user", "ada", "viewer"),
    ]:  # fmt: skip
        with pytest.raises(BadInput):
            lg_guarded.share(ADA, ds["id"], kind, name, role)
    with pytest.raises(NotFound):
        lg_guarded.unshare(ADA, ds["id"], "user", "nobody")


def test_engagement_counts_users_days_and_datasets(lg_guarded: GuardedStore):
    ds = upload(lg_guarded, ADA, "weather")
    lg_guarded.share(ADA, ds["id"], "group", "analysts", "viewer")
    lg_guarded.report_view(CY, "chart_view", ds["id"], {"chart": "bar"})
    lg_guarded.report_view(CY, "chart_view", ds["id"])
    lg_guarded.export(CY, ds["id"], "csv")
    with pytest.raises(NotFound):
        lg_guarded.report_view(BO, "chart_view", ds["id"])
    now = dt.datetime.now(dt.timezone.utc)
    e = lg_guarded.engagement(ROOT, since=now - dt.timedelta(hours=1))
    assert e["active_users"] == 2 and e["events"] == 5
    by_user = {u["user"]: u for u in e["users"]}
    assert by_user["cy"]["views"] == 2 and by_user["cy"]["exports"] == 1
    assert by_user["ada"]["uploads"] == 1 and by_user["ada"]["shares"] == 1
    assert e["days"] == [{"day": now.date().isoformat(), "active_users": 2, "events": 5}]
    assert e["datasets"][0] | {"events": 0} == {
        "dataset_id": ds["id"], "name": "weather", "owner": "ada", "views": 2, "exports": 1,
        "loads": 0, "changes": 0, "events": 0, "users": 2,
    }  # fmt: skip
    page = lg_guarded.list_events(ROOT, user="cy", limit=2)
    assert page["total"] == 3 and [x["action"] for x in page["events"]] == ["export", "chart_view"]
    assert lg_guarded.events.active_users(now + dt.timedelta(minutes=1)) == 0


def test_a_notebooks_load_is_logged_as_a_load_not_an_export(lg_guarded: GuardedStore):
    # Given a dataset shared with cy
    ds = upload(lg_guarded, ADA, "weather")
    lg_guarded.share(ADA, ds["id"], "group", "analysts", "viewer")
    # When cy downloads it, then reads it into a notebook (lg.load asks for the Parquet file to load)
    lg_guarded.export(CY, ds["id"], "csv")
    lg_guarded.export(CY, ds["id"], "parquet", purpose="load")
    # Then the log says what happened, by its name
    events = lg_guarded.list_events(ROOT, user="cy")["events"]
    assert [(e["action"], e["detail"]["format"]) for e in events] == [("load", "parquet"), ("export", "csv")]
    e = lg_guarded.engagement(ROOT, since=dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1))
    cy = next(u for u in e["users"] if u["user"] == "cy")
    assert (cy["exports"], cy["loads"]) == (1, 1)
    assert (e["datasets"][0]["exports"], e["datasets"][0]["loads"]) == (1, 1)
    # and nothing else is a purpose; a reader-only check still comes first
    with pytest.raises(BadInput):
        lg_guarded.export(CY, ds["id"], "csv", purpose="peek")
    with pytest.raises(NotFound):
        lg_guarded.export(BO, ds["id"], "parquet", purpose="load")


def test_opening_a_document_is_one_view_per_user_and_window(lg_guarded: GuardedStore):
    docs = lg_guarded.documents
    board = docs.create(ADA, "dashboard", "Harbour board")
    chart = docs.create(ADA, "chart", "Harbour chart")
    docs.share(ADA, board["id"], "group", "analysts", "viewer")
    # cy opens the dashboard's room, reloads (its content), reconnects: one view in the window
    assert docs.record_view(CY, board["id"], 1800, "room") is True
    assert docs.record_view(CY, board["id"], 1800, "content") is False
    assert docs.record_view(CY, board["id"], 1800, "room") is False
    # ada's own opening, of either document, is a view of her own
    assert docs.record_view(ADA, board["id"], 1800, "room") is True
    assert docs.record_view(ADA, chart["id"], 1800, "room") is True
    # a window of 0 logs every opening; no window (a laptop) logs none
    assert docs.record_view(CY, board["id"], 0, "room") is True
    assert docs.record_view(BO, board["id"], None, "room") is False
    views = lg_guarded.list_events(ROOT, action=["dashboard_view", "chart_view"])["events"]
    assert [(e["user"], e["action"], e["detail"]["title"], e["detail"]["via"]) for e in reversed(views)] == [
        ("cy", "dashboard_view", "Harbour board", "room"),
        ("ada", "dashboard_view", "Harbour board", "room"),
        ("ada", "chart_view", "Harbour chart", "room"),
        ("cy", "dashboard_view", "Harbour board", "room"),
    ]
    assert {e["detail"]["document_id"] for e in views} == {board["id"], chart["id"]}
    assert all(e["owner"] == "ada" and e["dataset_id"] is None for e in views)
    # someone who may not read the document gets no view of it
    with pytest.raises(NotFound):
        docs.record_view(BO, chart["id"], 1800, "room")


def test_an_admin_is_shown_as_admin_even_where_a_share_names_them(lg_guarded: GuardedStore):
    ds = upload(lg_guarded, ADA, "weather")
    lg_guarded.share(ADA, ds["id"], "user", "root", "viewer")
    assert lg_guarded.get(ROOT, ds["id"])["access"] == "admin"
    assert [d["access"] for d in lg_guarded.list_datasets(ROOT)] == ["admin"]
    # and their own datasets are theirs
    mine = upload(lg_guarded, ROOT, "root's")
    assert lg_guarded.get(ROOT, mine["id"])["access"] == "owner"
    # an admin's delete of a dataset shared with them still needed admin rights
    lg_guarded.delete(ROOT, ds["id"])
    assert lg_guarded.list_events(ROOT, action=["delete"])["events"][0]["admin"] is True


def _bar(ref: dict) -> dict:
    return {"version": 1, "dataset": ref, "mark": "bar", "encoding": {"x": {"field": "city"}}}


def test_a_chart_reads_only_what_its_caller_may_and_names_prefer_their_own(lg_guarded: GuardedStore):
    from livegraphs_ext.store.charts import ChartEngine

    engine = ChartEngine(lg_guarded.store, cache_bytes=1 << 20)
    try:
        theirs = upload(lg_guarded, ADA, "weather")
        assert lg_guarded.chart(ADA, engine, _bar({"name": "weather"})).dataset["id"] == theirs["id"]
        # another user: by id or by name, it does not exist (the cache does not leak it either)
        for ref in ({"id": theirs["id"]}, {"name": "weather"}):
            with pytest.raises(NotFound):
                lg_guarded.chart(BO, engine, _bar(ref))
        # shared with cy: by name; once bo has a "weather" of his own, that one is his
        lg_guarded.share(ADA, theirs["id"], "group", "analysts", "viewer")
        assert lg_guarded.chart(CY, engine, _bar({"name": "weather"})).dataset["id"] == theirs["id"]
        mine = upload(lg_guarded, BO, "weather")
        lg_guarded.share(ADA, theirs["id"], "user", "bo", "viewer")
        assert lg_guarded.chart(BO, engine, _bar({"name": "weather"})).dataset["id"] == mine["id"]
        assert lg_guarded.chart(BO, engine, _bar({"id": theirs["id"]})).dataset["id"] == theirs["id"]
        # an admin reads anyone's: a name two owners use is ambiguous, owner/name is not
        with pytest.raises(Conflict):
            lg_guarded.chart(ROOT, engine, _bar({"name": "weather"}))
        assert lg_guarded.chart(ROOT, engine, _bar({"name": "ada/weather"})).dataset["id"] == theirs["id"]
        with pytest.raises(NotFound):
            lg_guarded.chart(ROOT, engine, _bar({"name": "no such"}))
        # viewers may profile and check formulas; outsiders may not
        assert lg_guarded.profile(CY, theirs["id"], "city")["count"] == 4
        assert lg_guarded.check_formula(CY, theirs["id"], "[temp] * 2")["valid"] is True
        assert any(c["name"] == "temp" for c in lg_guarded.formula_completions(CY, theirs["id"]))
        for call in (
            lambda: lg_guarded.profile(DEE, theirs["id"], "city"),
            lambda: lg_guarded.check_formula(DEE, theirs["id"], "1"),
            lambda: lg_guarded.formula_completions(DEE, theirs["id"]),
        ):
            with pytest.raises(NotFound):
                call()
    finally:
        engine.close()


def test_chart_views_are_logged_at_most_once_a_period(lg_guarded: GuardedStore):
    from livegraphs_ext.store.charts import ChartEngine

    engine = ChartEngine(lg_guarded.store)
    try:
        ds = upload(lg_guarded, ADA, "viewed")
        lg_guarded.share(ADA, ds["id"], "user", "cy", "viewer")
        for _ in range(3):
            lg_guarded.chart(CY, engine, _bar({"id": ds["id"]}), view_every=300)
        lg_guarded.chart(ROOT, engine, _bar({"id": ds["id"]}), view_every=300)
        lg_guarded.chart(ADA, engine, _bar({"id": ds["id"]}))  # no period: not logged
        views = lg_guarded.list_events(ROOT, action=["chart_view"], dataset_id=ds["id"])["events"]
        assert sorted((e["user"], e["admin"], e["detail"]) for e in views) == [
            ("cy", False, {"mark": "bar"}),
            ("root", True, {"mark": "bar"}),
        ]
        for _ in range(2):
            lg_guarded.chart(CY, engine, _bar({"id": ds["id"]}), view_every=0)
        assert lg_guarded.list_events(ROOT, action=["chart_view"], user="cy")["total"] == 3
    finally:
        engine.close()
