"""Published dashboards: snapshots freeze the content and the dataset versions; links show them to
people without access, and only them. On SQLite and on real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson
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
from livegraphs_ext.store.charts import ChartEngine, read_arrow_stream
from livegraphs_ext.store.errors import Gone
from livegraphs_ext.store.publications import PublicationLinkRow, PublicationRow

ADA = Principal("ada")  # owner
ED = Principal("ed")  # editor
VIC = Principal("vic")  # viewer
BO = Principal("bo")  # nobody to the dashboard

ROWS = [("north", "a", 1), ("north", "b", 2), ("south", "a", 3), ("east", "b", 4), ("north", "a", 5)]
CSV = "region,kind,amount\n" + "".join(f"{r},{k},{a}\n" for r, k, a in ROWS)


@pytest.fixture(params=["sqlite", "postgresql"])
def lg_guarded(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GuardedStore]:
    url = request.getfixturevalue("lg_postgres_url") if request.param == "postgresql" else None
    store = DatasetStore(StoreConfig(root=tmp_path / "store", catalog_url=url))
    yield GuardedStore(store)
    store.close()


@pytest.fixture
def engine(lg_guarded: GuardedStore) -> Iterator[ChartEngine]:
    e = ChartEngine(lg_guarded.store, cache_bytes=0)
    yield e
    e.close()


def upload(g: GuardedStore, who: Principal, name: str, text: str = CSV) -> dict[str, Any]:
    src = g.store.staging_path()
    src.write_text(text)
    return g.create_from_file(who, src, name=name, content_type="text/csv")


def dashboard(sales: str, other: str | None = None) -> dict[str, Any]:
    def chart(ref: dict[str, Any], x: str, y: int) -> dict[str, Any]:
        spec = {"version": 1, "dataset": ref, "mark": "bar", "encoding": {"x": {"field": x}}}
        return {"spec": spec, "layout": {"x": 0, "y": y, "w": 6, "h": 4}}

    charts = {"regions": chart({"id": sales}, "region", 0), "kinds": chart({"name": "sales"}, "kind", 4)}
    if other:
        charts["other"] = chart({"id": other}, "region", 8)
    filters = [{"id": "f1", "kind": "dropdown", "dataset": sales, "column": "region", "value": []}]
    return {"version": 1, "title": "Sales", "crossfilter": True, "filters": filters, "charts": charts}


@pytest.fixture
def board(lg_guarded: GuardedStore) -> tuple[str, str]:
    g = lg_guarded
    sales = upload(g, ADA, "sales")["id"]
    doc = g.documents.create(ADA, "dashboard", content=dashboard(sales))
    g.documents.share(ADA, doc["id"], "user", "ed", "editor")
    g.documents.share(ADA, doc["id"], "user", "vic", "viewer")
    return str(doc["id"]), str(sales)


def counts(result: Any) -> dict[str, int]:
    data = result.to_json()["data"]
    xs, ys = data["x"], data["y"]
    return dict(zip(xs, ys, strict=True))


def test_publishing_freezes_the_charts_and_the_dataset_versions(
    lg_guarded: GuardedStore, engine: ChartEngine, board: tuple[str, str]
):
    g, (doc_id, sales) = lg_guarded, board
    # Given a published dashboard and a public link to it
    snap = g.publications.publish(ADA, doc_id)
    assert snap["number"] == 1 and snap["datasets"] == [{"id": sales, "version": 1}]
    link = g.publications.create_link(ADA, doc_id, "public")
    token = link["token"]
    # Then the link draws the charts as counted independently
    expected = Counter(r for r, _, _ in ROWS)
    assert counts(g.publications.chart(token, engine, "regions")) == expected
    assert counts(g.publications.chart(token, engine, "kinds")) == Counter(k for _, k, _ in ROWS)
    # When the data and the dashboard change
    src = g.store.staging_path()
    src.write_text("region,kind,amount\nwest,c,9\n")
    g.new_data(ADA, sales, src, mode="append")
    g.documents.rename(ADA, doc_id, "Renamed")
    # Then the snapshot still shows version 1, and the live dashboard the new data
    assert counts(g.publications.chart(token, engine, "regions")) == expected
    assert g.publications.view(token)["title"] == "Sales"
    live = counts(g.document_data.chart(ADA, engine, doc_id, "regions"))
    assert live == {**expected, "west": 1}
    # When republished, the newest-snapshot link follows; a link pinned to snapshot 1 does not
    pinned = g.publications.create_link(ADA, doc_id, "public", snapshot=1)["token"]
    assert g.publications.publish(ED, doc_id)["number"] == 2
    assert counts(g.publications.chart(token, engine, "regions")) == {**expected, "west": 1}
    assert counts(g.publications.chart(pinned, engine, "regions")) == expected
    assert [s["number"] for s in g.publications.snapshots(ED, doc_id)] == [2, 1]


def test_a_link_narrows_by_the_dashboards_columns_only(
    lg_guarded: GuardedStore, engine: ChartEngine, board: tuple[str, str]
):
    g, (doc_id, _) = lg_guarded, board
    g.publications.publish(ADA, doc_id)
    token = g.publications.create_link(ADA, doc_id, "public")["token"]
    north = [{"column": "region", "cmp": "in", "value": ["north"]}]
    assert counts(g.publications.chart(token, engine, "kinds", north)) == Counter(
        k for r, k, _ in ROWS if r == "north"
    )
    refused = [
        [{"column": "amount", "cmp": "gt", "value": 0}],  # a column the dashboard does not use
        [{"formula": "amount > 0"}],  # a formula could read any column
        {"spec": {"mark": "table"}},  # never a spec
    ]
    for extra in refused:
        with pytest.raises(BadInput):
            g.publications.chart(token, engine, "kinds", extra)


def test_a_link_reaches_nothing_but_its_own_dashboard(
    lg_guarded: GuardedStore, engine: ChartEngine, board: tuple[str, str]
):
    g, (doc_id, _) = lg_guarded, board
    secret = upload(g, ADA, "secret")["id"]
    other = g.documents.create(ADA, "dashboard", content={**dashboard(secret), "title": "Other"})
    g.publications.publish(ADA, doc_id)
    g.publications.publish(ADA, other["id"])
    token = g.publications.create_link(ADA, doc_id, "public")["token"]
    # another dashboard's chart id, a chart id that is a dataset id, a filter that is not there
    for chart_id in ("other", secret, other["id"], None, 7):
        with pytest.raises(NotFound):
            g.publications.chart(token, engine, chart_id)
    with pytest.raises(NotFound):
        g.publications.filter_values(token, engine, "f9", "values")
    values = g.publications.filter_values(token, engine, "f1", "values").to_json()["data"]
    assert dict(zip(values["x"], values["y"], strict=True)) == Counter(r for r, _, _ in ROWS)


def test_tokens_are_stored_hashed_and_links_expire_and_revoke(
    lg_guarded: GuardedStore, engine: ChartEngine, board: tuple[str, str]
):
    g, (doc_id, _) = lg_guarded, board
    with pytest.raises(NotFound):  # nothing published yet
        g.publications.create_link(ADA, doc_id, "public")
    g.publications.publish(ADA, doc_id)
    soon = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)).isoformat()
    link = g.publications.create_link(ED, doc_id, "public", expires=soon)
    with g.catalog.transaction() as s:
        row = s.scalars(select(PublicationLinkRow)).one()
        assert row.token_hash == hashlib.sha256(link["token"].encode()).hexdigest()
        assert link["token"] not in repr([getattr(row, c.name) for c in PublicationLinkRow.__table__.columns])
    listed = g.publications.links(ADA, doc_id)
    assert [(x["id"], x["state"]) for x in listed] == [(link["id"], "active")]
    assert "token" not in listed[0]
    # expired
    with g.catalog.transaction() as s:
        s.scalars(select(PublicationLinkRow)).one().expires = dt.datetime.now(dt.timezone.utc) - dt.timedelta(
            1
        )
    with pytest.raises(Gone):
        g.publications.chart(link["token"], engine, "regions")
    assert g.publications.links(ADA, doc_id)[0]["state"] == "expired"
    # revoked: as if it never existed
    live = g.publications.create_link(ADA, doc_id, "public")
    g.publications.revoke(ADA, doc_id, live["id"])
    with pytest.raises(NotFound):
        g.publications.view(live["token"])
    with pytest.raises(NotFound):
        g.publications.view("x" * 43)
    for bad in ({"kind": "everyone"}, {"kind": "public", "expires": "2000-01-01T00:00:00+00:00"},
                {"kind": "public", "expires": "tomorrow"}, {"kind": "public", "snapshot": "1"}):  # fmt: skip
        with pytest.raises(BadInput):
            g.publications.create_link(ADA, doc_id, **bad)


def test_signed_in_links_need_an_account(lg_guarded: GuardedStore, board: tuple[str, str]):
    g, (doc_id, _) = lg_guarded, board
    g.publications.publish(ADA, doc_id)
    token = g.publications.create_link(ADA, doc_id, "signed_in")["token"]
    with pytest.raises(NotFound):
        g.publications.view(token)  # no account
    assert g.publications.view(token, BO)["title"] == "Sales"  # anyone signed in with the link


def test_only_owners_editors_and_admins_publish_and_manage_links(
    lg_guarded: GuardedStore, board: tuple[str, str]
):
    g, (doc_id, _) = lg_guarded, board
    with pytest.raises(Forbidden):
        g.publications.publish(VIC, doc_id)
    with pytest.raises(NotFound):
        g.publications.publish(BO, doc_id)
    g.publications.publish(Principal("root", is_admin=True), doc_id)
    link = g.publications.create_link(ADA, doc_id, "public")
    for call in (
        lambda: g.publications.create_link(VIC, doc_id, "public"),
        lambda: g.publications.links(VIC, doc_id),
        lambda: g.publications.snapshots(VIC, doc_id),
        lambda: g.publications.revoke(VIC, doc_id, link["id"]),
    ):
        with pytest.raises(Forbidden):
            call()
    g.publications.view(link["token"])  # still works


def test_deleting_the_dashboard_deletes_its_snapshots_and_links(
    lg_guarded: GuardedStore, board: tuple[str, str]
):
    g, (doc_id, _) = lg_guarded, board
    g.publications.publish(ADA, doc_id)
    token = g.publications.create_link(ADA, doc_id, "public")["token"]
    g.documents.delete(ADA, doc_id)
    with pytest.raises(NotFound):
        g.publications.view(token)
    with g.catalog.transaction() as s:
        assert s.scalars(select(PublicationRow)).all() == []
        assert s.scalars(select(PublicationLinkRow)).all() == []


def test_snapshots_and_links_are_bounded_per_dashboard(lg_guarded: GuardedStore, board: tuple[str, str]):
    g, (doc_id, _) = lg_guarded, board
    g.publications.max_snapshots, g.publications.max_links = 2, 2
    g.publications.publish(ADA, doc_id)
    g.publications.publish(ADA, doc_id)
    with pytest.raises(Conflict):
        g.publications.publish(ADA, doc_id)
    first = g.publications.create_link(ADA, doc_id, "public")
    g.publications.create_link(ADA, doc_id, "signed_in")
    # revoked links still count: a revoked link stays listed for the record
    g.publications.revoke(ADA, doc_id, first["id"])
    with pytest.raises(Conflict):
        g.publications.create_link(ADA, doc_id, "public")
    assert [s["number"] for s in g.publications.snapshots(ADA, doc_id)] == [2, 1]


def test_chart_answers_are_computed_once_and_a_revoke_counts_at_once(
    lg_guarded: GuardedStore, engine: ChartEngine, board: tuple[str, str]
):
    g, (doc_id, _) = lg_guarded, board
    g.publications.publish(ADA, doc_id)
    link = g.publications.create_link(ADA, doc_id, "public")
    token = link["token"]
    assert g.publications.kept_chart_bytes(token, engine, "regions") is None  # nothing read yet
    # Given many viewers asking the same chart at once
    with ThreadPoolExecutor(6) as pool:
        got = list(pool.map(lambda _: g.publications.chart_bytes(token, engine, "regions"), range(12)))
    # Then it was computed once, and is the chart's Arrow answer
    assert g.publications.answers.computed == 1
    table, meta = read_arrow_stream(got[0])
    assert set(got) == {got[0]} and meta["source_rows"] == len(ROWS)
    assert g.publications.kept_chart_bytes(token, engine, "regions") == got[0]  # from memory alone
    expected = counts(g.publications.chart(token, engine, "regions"))
    assert dict(zip(table.column("x").to_pylist(), table.column("y").to_pylist(), strict=True)) == expected
    # other conditions, or JSON, are other answers
    north = [{"column": "region", "cmp": "in", "value": ["north"]}]
    assert orjson.loads(g.publications.chart_bytes(token, engine, "kinds", north, arrow=False))["data"]
    assert g.publications.answers.computed == 2
    # When the link is revoked right after being served from memory, Then it is gone at once
    g.publications.revoke(ADA, doc_id, link["id"])
    assert g.publications.kept_chart_bytes(token, engine, "regions") is None
    for call in (
        lambda: g.publications.chart_bytes(token, engine, "regions"),
        lambda: g.publications.view(token),
    ):
        with pytest.raises(NotFound):
            call()


def test_a_deleted_dataset_is_no_longer_shown_from_memory(
    lg_guarded: GuardedStore, engine: ChartEngine, board: tuple[str, str]
):
    g, (doc_id, sales) = lg_guarded, board
    g.publications.publish(ADA, doc_id)
    token = g.publications.create_link(ADA, doc_id, "public")["token"]
    assert g.publications.chart_bytes(token, engine, "regions")
    assert g.publications.filter_bytes(token, engine, "f1", "values")
    g.delete(ADA, sales)
    with pytest.raises(NotFound):
        g.publications.chart_bytes(token, engine, "regions")
    with pytest.raises(NotFound):
        g.publications.filter_bytes(token, engine, "f1", "values")


def test_a_change_made_beside_the_store_counts_once_links_are_read_again(
    lg_guarded: GuardedStore, engine: ChartEngine, board: tuple[str, str]
):
    g, (doc_id, _) = lg_guarded, board
    g.publications.publish(ADA, doc_id)
    link = g.publications.create_link(ADA, doc_id, "public")
    g.publications.view(link["token"])
    # as another process on the same catalog (a notebook's store) would revoke it
    with g.catalog.transaction() as s:
        s.get(PublicationLinkRow, link["id"]).revoked = dt.datetime.now(dt.timezone.utc)
    g.publications.recheck_seconds = 0
    with pytest.raises(NotFound):
        g.publications.view(link["token"])


def test_a_links_page_carries_only_its_own_kept_answers_without_conditions(
    lg_guarded: GuardedStore, engine: ChartEngine, board: tuple[str, str]
):
    g, (doc_id, sales) = lg_guarded, board
    pubs = g.publications
    secret = upload(g, ADA, "secret")["id"]
    other = g.documents.create(ADA, "dashboard", content={**dashboard(secret), "title": "Other"})
    pubs.publish(ADA, doc_id)
    pubs.publish(ADA, other["id"])
    token = pubs.create_link(ADA, doc_id, "public")["token"]
    pinned = pubs.create_link(ADA, doc_id, "public", snapshot=1)["token"]
    elsewhere = pubs.create_link(ADA, other["id"], "public")["token"]
    # Given a link whose charts were not asked yet: the page carries the snapshot and no answer
    pre = pubs.preload(token, engine)
    assert pre is not None and pre.view == pubs.view(token)
    assert pre.answers == {} and not pre.complete
    # When a viewer narrows a chart: that answer is kept, but never carried as the bare chart
    north = [{"column": "region", "cmp": "in", "value": ["north"]}]
    narrowed = pubs.chart_bytes(token, engine, "kinds", north)
    assert pubs.preload(token, engine).answers == {}  # type: ignore[union-attr]
    # When the charts are asked with no conditions (and one as JSON, which is not carried)
    pubs.chart_bytes(token, engine, "regions", arrow=False)
    assert pubs.preload(token, engine).answers == {}  # type: ignore[union-attr]
    bare = {chart: pubs.chart_bytes(token, engine, chart, []) for chart in ("regions", "kinds")}
    # Then the page carries exactly those Arrow bytes, and the narrowed answer is another one
    pre = pubs.preload(token, engine)
    assert pre is not None and pre.answers == bare and not pre.complete  # the filter's values yet
    # a search among the dropdown's values is not its values
    assert pubs.filter_bytes(token, engine, "f1", "values", "nor")
    assert pubs.preload(token, engine).values == {}  # type: ignore[union-attr]
    values = pubs.filter_bytes(token, engine, "f1", "values")
    assert values is not None and orjson.loads(values)["data"]["x"][0] == "north"
    pre = pubs.preload(token, engine)
    assert pre is not None and pre.answers == bare and pre.values == {"f1": values} and pre.complete
    assert narrowed != bare["kinds"]
    assert counts(read_arrow_answer(bare["kinds"])) == Counter(k for _, k, _ in ROWS)
    # and another dashboard's link, with the same chart ids, carries none of them
    assert pubs.preload(elsewhere, engine).answers == {}  # type: ignore[union-attr]
    assert pubs.preload(elsewhere, engine).values == {}  # type: ignore[union-attr]
    # When the dashboard is republished over new data, the link's page is the new snapshot's,
    # with no answer of the old one; the link pinned to snapshot 1 keeps its answers
    src = g.store.staging_path()
    src.write_text("region,kind,amount\nwest,c,9\n")
    g.new_data(ADA, sales, src, mode="append")
    pubs.publish(ADA, doc_id)
    new = pubs.preload(token, engine)
    assert new is not None and new.view["snapshot"] == 2 and new.key != pre.key and new.answers == {}
    assert pubs.preload(pinned, engine).answers == bare  # type: ignore[union-attr]
    assert pubs.preload(token, engine).values == {}  # type: ignore[union-attr]
    # When the link is revoked, its page is refused at once
    link_id = next(x["id"] for x in pubs.links(ADA, doc_id) if x["snapshot"] is None)
    pubs.revoke(ADA, doc_id, link_id)
    assert pubs.preload(token, engine, read=False) is None  # not from memory: read again
    with pytest.raises(NotFound):
        pubs.preload(token, engine)


def read_arrow_answer(data: bytes) -> Any:
    """An Arrow answer as :func:`counts` reads a result."""
    table, _ = read_arrow_stream(data)

    class Result:
        def to_json(self) -> dict[str, Any]:
            return {"data": {"x": table.column("x").to_pylist(), "y": table.column("y").to_pylist()}}

    return Result()
