"""New data for a dataset: appends and replaces with schema changes, recipe replay, comparisons."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

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

CSV = (
    "city,temp,day\nOslo,-3.5,2024-01-01\nLima,24.0,2024-01-01\nOslo,-1.0,2024-01-02\nOslo,-1.0,2024-01-02\n"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def lg_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DatasetStore]:
    url = request.getfixturevalue("lg_postgres_url") if request.param == "postgresql" else None
    store = DatasetStore(StoreConfig(root=tmp_path / "store", catalog_url=url))
    yield store
    store.close()


def staged(store: DatasetStore, data: str) -> Path:
    src = store.staging_path()
    src.write_text(data)
    return src


def upload(store: DatasetStore, name: str = "weather", data: str = CSV) -> dict:
    return store.create_from_file(staged(store, data), name=name, owner="ada", content_type="text/csv")


def send(store: DatasetStore, ds: dict, data: str, mode: str, **kw) -> dict:
    return store.new_data(
        ds["id"],
        staged(store, data),
        mode=mode,
        user="ada",
        content_type="text/csv",
        filename="new.csv",
        **kw,
    )


def all_rows(store: DatasetStore, ds: dict, version: int | None = None) -> list[list]:
    return store.rows(ds["id"], version=version, limit=1000)["rows"]


def files(store: DatasetStore, ds: dict) -> set[str]:
    return {p.name for p in (store.datasets_dir / ds["id"]).iterdir()}


def test_append_matches_columns_by_name_and_reports_schema_changes(lg_store: DatasetStore):
    ds = upload(lg_store)
    # temp is an integer here: it fits the float column; day is missing; wind is new
    out = send(lg_store, ds, "wind,city,temp\n5,Rome,12\n", "append")
    assert out["version"] == 2 and out["rows"] == 5
    assert [(c["name"], c["type"]) for c in out["columns"]] == [
        ("city", "string"),
        ("temp", "float"),
        ("day", "date"),
        ("wind", "integer"),
    ]
    rows = all_rows(lg_store, ds)
    assert rows[0] == ["Oslo", -3.5, dt.date(2024, 1, 1), None]
    assert rows[-1] == ["Rome", 12.0, None, 5]
    ch = out["changes"]
    assert ch["added"] == [{"name": "wind", "type": "integer"}]
    assert ch["removed"] == [] and ch["retyped"] == []
    assert (ch["rows_before"], ch["rows_after"], ch["rows_received"]) == (4, 5, 1)
    assert ch["from_version"] == 1 and ch["mode"] == "append"
    v = lg_store.version(ds["id"], 2)
    assert v["kind"] == "append" and v["parent"] == 1
    assert v["step"] == {"op": "append", "rows": 1, "filename": "new.csv", "replay": False}
    # version 1 is untouched
    assert len(all_rows(lg_store, ds, 1)) == 4


def test_append_type_conflict_is_a_400_listing_columns_and_keeps_nothing(lg_store: DatasetStore):
    ds = upload(lg_store)
    before = files(lg_store, ds)
    with pytest.raises(BadInput) as e:
        send(lg_store, ds, "city,temp,day\nRome,warm,soon\n", "append")
    assert e.value.reason == "Type conflict"
    assert "'temp' (float before, string now)" in e.value.message
    assert "'day' (date before, string now)" in e.value.message
    assert [p.column for p in e.value.errors] == ["temp", "day"]
    assert lg_store.get(ds["id"])["version"] == 1
    assert files(lg_store, ds) == before
    assert list(lg_store.staging_dir.iterdir()) == []


def test_append_widens_and_text_takes_anything(lg_store: DatasetStore):
    ds = upload(lg_store, data="code,n,when\nA1,1,2024-01-01\n")
    out = send(lg_store, ds, "code,n,when\n42,2.5,2024-01-02T10:00:00\n", "append")
    assert {c["name"]: c["type"] for c in out["columns"]} == {
        "code": "string",
        "n": "float",
        "when": "datetime",
    }
    assert out["changes"]["retyped"] == [
        {"name": "n", "from": "integer", "to": "float"},
        {"name": "when", "from": "date", "to": "datetime"},
    ]
    assert out["changes"]["note"] and "lgchart" in out["changes"]["note"]
    assert all_rows(lg_store, ds)[1] == ["42", 2.5, dt.datetime(2024, 1, 2, 10, 0)]


def test_replace_reports_removed_and_retyped_columns(lg_store: DatasetStore):
    ds = upload(lg_store)
    out = send(lg_store, ds, "city,temp,rain\nRome,mild,1.5\nBern,cold,0\n", "replace")
    assert out["version"] == 2 and out["rows"] == 2
    ch = out["changes"]
    assert ch["added"] == [{"name": "rain", "type": "float"}]
    assert ch["removed"] == [{"name": "day", "type": "date"}]
    assert ch["retyped"] == [{"name": "temp", "from": "float", "to": "string"}]
    assert ch["charts"] is None and "lgdash" in ch["note"]
    assert lg_store.version(ds["id"])["kind"] == "replace"
    assert all_rows(lg_store, ds) == [["Rome", "mild", 1.5], ["Bern", "cold", 0.0]]


def test_replay_cleans_appended_rows_with_the_whole_recipe(lg_store: DatasetStore):
    ds = upload(lg_store)
    lg_store.apply_step(ds["id"], {"op": "dedupe"}, user="ada")
    lg_store.apply_step(
        ds["id"], {"op": "derive", "name": "temp f", "formula": "temp * 9 / 5 + 32"}, user="ada"
    )
    # one new row repeats an old one: dedupe over the whole data drops it
    out = send(lg_store, ds, "city,temp,day\nOslo,-1.0,2024-01-02\nRome,10,2024-01-03\n", "append")
    assert out["version"] == 6  # the raw data (4), then the two steps again (5, 6)
    assert out["rows"] == 4
    assert [r["description"] for r in out["changes"]["replayed"]] == [
        lg_store.version(ds["id"], 2)["description"],
        lg_store.version(ds["id"], 3)["description"],
    ]
    assert all_rows(lg_store, ds)[-1] == ["Rome", 10.0, dt.date(2024, 1, 3), 50.0]
    raw = lg_store.version(ds["id"], 4)
    assert raw["kind"] == "append" and raw["rows"] == 6 and raw["step"]["replay"] is True
    assert [s["version"] for s in lg_store.recipe(ds["id"])] == [5, 6]
    assert "lg.load('weather', version=4)" in lg_store.recipe_code(ds["id"])
    # a second append replays onto version 4's raw rows, not the cleaned ones
    out = send(lg_store, ds, "city,temp,day\nBern,0,2024-01-04\n", "append")
    assert out["version"] == 9 and out["rows"] == 5
    assert lg_store.version(ds["id"], 7)["rows"] == 7


def test_without_replay_rows_join_the_current_data(lg_store: DatasetStore):
    ds = upload(lg_store)
    lg_store.apply_step(ds["id"], {"op": "dedupe"}, user="ada")
    out = send(lg_store, ds, "city,temp,day\nOslo,-1.0,2024-01-02\n", "append", replay=False)
    assert out["version"] == 3 and out["rows"] == 4 and out["changes"]["replayed"] == []
    assert lg_store.recipe(ds["id"]) == []


def test_replace_with_replay_and_a_step_that_fails_on_the_new_data(lg_store: DatasetStore):
    ds = upload(lg_store)
    lg_store.apply_step(ds["id"], {"op": "filter", "formula": "temp > 0"}, user="ada")
    out = send(lg_store, ds, "city,temp,day\nRome,12,2024-03-01\nOslo,-9,2024-03-01\n", "replace")
    assert out["version"] == 4 and all_rows(lg_store, ds) == [["Rome", 12, dt.date(2024, 3, 1)]]
    assert out["changes"]["retyped"] == [{"name": "temp", "from": "float", "to": "integer"}]
    # the filter's column is gone from the next data: the step is named, nothing is kept
    before = files(lg_store, ds)
    with pytest.raises(BadInput) as e:
        send(lg_store, ds, "city,rain\nRome,1\n", "replace")
    assert e.value.reason == "Recipe failed"
    assert "step 1 of the recipe" in e.value.message and "temp" in e.value.message
    assert lg_store.get(ds["id"])["version"] == 4
    assert files(lg_store, ds) == before
    assert list(lg_store.staging_dir.iterdir()) == []
    # without replay the same data is taken
    out = send(lg_store, ds, "city,rain\nRome,1\n", "replace", replay=False)
    assert out["version"] == 5 and out["changes"]["removed"] == [
        {"name": "temp", "type": "integer"},
        {"name": "day", "type": "date"},
    ]


def test_a_file_sent_again_onto_the_version_before_its_first_try_in_one_step(lg_store: DatasetStore):
    """The same file sent again ("Make them missing") with bad values made missing, in place of the
    first try that kept them as text; the first try is undone in the same step, or nothing is."""
    ds = upload(lg_store)
    lg_store.apply_step(ds["id"], {"op": "dedupe"}, user="ada")  # version 2: 3 rows
    # one bad date among twenty
    bad = "city,temp,day\nRome,12,2024-02-30\n" + "".join(f"Bern,{i},2024-03-{i:02}\n" for i in range(1, 20))
    first = send(lg_store, ds, bad, "replace", bad_values="text")
    # the raw data (3), the dedupe again (4): day became text for one bad date
    assert first["version"] == 4 and first["changes"]["from_version"] == 2
    assert {"name": "day", "from": "date", "to": "string"} in first["changes"]["retyped"]
    before = files(lg_store, ds)
    # a stale base version, an unknown version: refused, nothing changed
    with pytest.raises(Conflict):
        send(lg_store, ds, bad, "replace", bad_values="null", base_version=3, onto_version=2)
    with pytest.raises(NotFound):
        send(lg_store, ds, bad, "replace", bad_values="null", base_version=4, onto_version=9)
    # a failure while adding leaves the first try current
    with pytest.raises(BadInput):
        send(lg_store, ds, "city,temp,day\nRome,warm,soon\n", "append", base_version=4, onto_version=2)
    assert lg_store.get(ds["id"])["version"] == 4
    assert files(lg_store, ds) == before
    assert list(lg_store.staging_dir.iterdir()) == []
    again = send(lg_store, ds, bad, "replace", bad_values="null", base_version=4, onto_version=2)
    # the new data with the recipe again; day is still a date, its bad value missing
    assert again["version"] == 6 and again["rows"] == 20
    assert {c["name"]: c["type"] for c in again["columns"]}["day"] == "date"
    ch = again["changes"]
    assert ch["from_version"] == 2 and ch["rows_before"] == 3
    assert {"name": "day", "from": "date", "to": "string"} not in ch["retyped"]
    assert all_rows(lg_store, ds)[:2] == [["Rome", 12, None], ["Bern", 1, dt.date(2024, 3, 1)]]
    raw = lg_store.version(ds["id"], 5)
    assert raw["kind"] == "replace" and raw["parent"] == 4 and raw["step"]["onto"] == 2
    assert raw["description"].endswith(", onto version 2")
    # what the raw data changed is counted from version 2, not from the undone first try
    assert lg_store.compare(ds["id"], 5)["from"] == 2
    assert lg_store.compare(ds["id"], 6)["from"] == 5
    assert [v["kind"] for v in lg_store.versions(ds["id"])] == [
        "upload", "transform", "replace", "transform", "replace", "transform",
    ]  # fmt: skip
    # and new data onto version 1 (before the dedupe) has no recipe to replay
    out = send(lg_store, ds, "city,temp,day\nOslo,1,2024-01-05\n", "append", onto_version=1)
    assert out["version"] == 7 and out["rows"] == 5 and out["changes"]["replayed"] == []
    assert out["changes"]["from_version"] == 1


def test_stale_base_version_and_bad_mode(lg_store: DatasetStore):
    ds = upload(lg_store)
    lg_store.apply_step(ds["id"], {"op": "dedupe"}, user="ada")
    with pytest.raises(Conflict):
        send(lg_store, ds, CSV, "append", base_version=1)
    with pytest.raises(BadInput):
        send(lg_store, ds, CSV, "merge")
    assert list(lg_store.staging_dir.iterdir()) == []


def test_compare_counts_rows_and_columns(lg_store: DatasetStore):
    ds = upload(lg_store)
    send(lg_store, ds, "city,temp,day,wind\nRome,12,2024-03-01,3\n", "append", replay=False)
    cmp = lg_store.compare(ds["id"])
    assert (cmp["from"], cmp["to"]) == (1, 2)
    assert cmp["rows"] == {"from": 4, "to": 5, "added": 1, "removed": 0}
    assert cmp["columns"]["added"] == [{"name": "wind", "type": "integer"}]
    send(
        lg_store,
        ds,
        "city,temp,day\nRome,12,2024-03-01\nOslo,-3.5,2024-01-01\nParis,5,2024-03-01\n",
        "replace",
    )
    cmp = lg_store.compare(ds["id"], 3, 1)
    # Oslo -3.5 is in both; Rome and Paris are new; Lima and the two Oslo -1.0 rows are gone
    assert cmp["rows"] == {"from": 4, "to": 3, "added": 2, "removed": 3}
    assert cmp["columns"] == {"added": [], "removed": [], "retyped": []}
    cmp = lg_store.compare(ds["id"], 3)
    assert cmp["from"] == 2 and cmp["columns"]["removed"] == [{"name": "wind", "type": "integer"}]


def test_only_owners_and_editors_send_new_data(lg_store: DatasetStore):
    guarded = GuardedStore(lg_store)
    ada, bo, cy = Principal("ada"), Principal("bo"), Principal("cy")
    ds = upload(lg_store)
    guarded.share(ada, ds["id"], "user", "bo", "viewer")
    src = staged(lg_store, CSV)
    with pytest.raises(Forbidden):
        guarded.new_data(bo, ds["id"], src, mode="append", content_type="text/csv")
    assert not src.exists()
    guarded.share(ada, ds["id"], "user", "bo", "editor")
    out = guarded.new_data(bo, ds["id"], staged(lg_store, CSV), mode="append", content_type="text/csv")
    assert out["rows"] == 8 and out["access"] == "editor"
    assert lg_store.version(ds["id"])["created_by"] == "bo"
    events = guarded.list_events(Principal("root", is_admin=True), action=["change"])
    assert [e["detail"]["op"] for e in events["events"]] == ["append"]
    from livegraphs_ext.store import NotFound

    with pytest.raises(NotFound):
        guarded.new_data(cy, ds["id"], staged(lg_store, CSV), mode="replace")
