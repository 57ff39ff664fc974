"""Which dataset a name means, who may refuse a share, and names used again by new accounts.

Without a hub, on SQLite and on real PostgreSQL; ``tests/hub/test_hub_names.py`` runs the same
story through a real JupyterHub.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from livegraphs_ext.service.admin.hubevents import HubEventsImporter
from livegraphs_ext.store import (
    Accounts,
    BadInput,
    Conflict,
    DatasetStore,
    Forbidden,
    GuardedStore,
    NotFound,
    Principal,
    StoreConfig,
)

from .test_store import CSV

ADA = Principal("ada")
BO = Principal("bo")
CY = Principal("cy", frozenset({"analysts"}))
VIC = Principal("vic")
ROOT = Principal("root", is_admin=True)
SPEC = {"version": 1, "mark": "table", "encoding": {}}


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


def chart_of(g: GuardedStore, who: Principal, name: str) -> str:
    """The id of the dataset a chart spec naming ``name`` is drawn from, as ``who``."""
    return str(g.chart(who, g.store.charts, {**SPEC, "dataset": {"name": name}}).dataset["id"])


# ---------------------------------------------------------------------------- names


def test_a_share_cannot_take_over_a_name(lg_guarded: GuardedStore):
    # Given vic's own "sales", and an attacker's "sales" shared with vic
    mine = upload(lg_guarded, VIC, "sales")
    theirs = upload(lg_guarded, BO, "sales")
    lg_guarded.share(BO, theirs["id"], "user", "vic", "viewer")
    # Then a bare name is still vic's own, in a lookup and in a chart spec
    assert lg_guarded.find_readable(VIC, "sales") == mine["id"]
    assert chart_of(lg_guarded, VIC, "sales") == mine["id"]
    # and the shared one is reached as owner/name
    assert lg_guarded.find_readable(VIC, "bo/sales") == theirs["id"]
    assert chart_of(lg_guarded, VIC, "bo/sales") == theirs["id"]
    assert lg_guarded.find_readable(VIC, "vic/sales") == mine["id"]


def test_a_bare_name_shared_by_one_owner_is_theirs_and_by_two_is_ambiguous(lg_guarded: GuardedStore):
    ada_sales = upload(lg_guarded, ADA, "sales")
    lg_guarded.share(ADA, ada_sales["id"], "user", "vic", "viewer")
    assert lg_guarded.find_readable(VIC, "sales") == ada_sales["id"]
    assert lg_guarded.find(VIC, "sales")["access"] == "viewer"

    # a second owner shares a "sales" (through a group, too): the name no longer picks one
    bo_sales = upload(lg_guarded, BO, "sales")
    lg_guarded.share(BO, bo_sales["id"], "user", "vic", "viewer")
    for call in (lambda: lg_guarded.find_readable(VIC, "sales"), lambda: chart_of(lg_guarded, VIC, "sales")):
        with pytest.raises(Conflict) as e:
            call()
        assert e.value.status == 409 and e.value.reason == "Ambiguous name"
        assert [p.value for p in e.value.errors] == ["ada/sales", "bo/sales"]
        assert "ada/sales, bo/sales" in e.value.message
    assert lg_guarded.find_readable(VIC, "ada/sales") == ada_sales["id"]
    assert lg_guarded.find_readable(VIC, "bo/sales") == bo_sales["id"]


def test_owner_name_never_reaches_what_the_caller_may_not_read(lg_guarded: GuardedStore):
    hidden = upload(lg_guarded, ADA, "sales")
    shared = upload(lg_guarded, ADA, "costs")
    lg_guarded.share(ADA, shared["id"], "group", "analysts", "viewer")
    for ref in ("ada/sales", "sales", "nobody/sales", "ada/nothing"):
        with pytest.raises(NotFound) as e:
            lg_guarded.find_readable(CY, ref)
        assert e.value.reason == "No such dataset"
    assert lg_guarded.find_readable(CY, "ada/costs") == shared["id"]
    assert lg_guarded.find_readable(CY, "costs") == shared["id"]
    # an admin reads everything: the one dataset of that name of anyone, or a 409 among several
    assert lg_guarded.find_readable(ROOT, "sales") == hidden["id"]
    upload(lg_guarded, BO, "sales")
    with pytest.raises(Conflict):
        lg_guarded.find_readable(ROOT, "sales")
    assert lg_guarded.find_readable(ROOT, "ada/sales") == hidden["id"]


@pytest.mark.parametrize("ref", ["/sales", "ada/", " / "])
def test_an_owner_name_with_a_part_missing_is_bad_input(lg_guarded: GuardedStore, ref: str):
    with pytest.raises(BadInput):
        lg_guarded.find_readable(ADA, ref)


def test_a_dataset_name_cannot_contain_a_slash(lg_guarded: GuardedStore):
    with pytest.raises(BadInput, match="cannot contain '/'"):
        upload(lg_guarded, ADA, "ada/sales")
    ds = upload(lg_guarded, ADA, "sales")
    with pytest.raises(BadInput, match="cannot contain '/'"):
        lg_guarded.rename(ADA, ds["id"], "q1/sales")
    assert lg_guarded.get(ADA, ds["id"])["name"] == "sales"


def test_the_list_filter_takes_owner_name(lg_guarded: GuardedStore):
    a = upload(lg_guarded, ADA, "sales")
    b = upload(lg_guarded, BO, "sales")
    lg_guarded.share(BO, b["id"], "user", "ada", "viewer")
    assert sorted(d["owner"] for d in lg_guarded.list_datasets(ADA, name="sales")) == ["ada", "bo"]
    assert [d["id"] for d in lg_guarded.list_datasets(ADA, name="bo/sales")] == [b["id"]]
    assert [d["id"] for d in lg_guarded.list_datasets(ADA, name="ada/sales")] == [a["id"]]


def test_the_unguarded_store_of_one_local_user_prefers_theirs_then_the_only_one(lg_guarded: GuardedStore):
    # a laptop's kernel reads the store directly, as its one user, who may read everything
    store = lg_guarded.store
    other = upload(lg_guarded, BO, "sales")
    assert store.find("sales", owner="me")["id"] == other["id"]
    mine = upload(lg_guarded, Principal("me"), "sales")
    assert store.find("sales", owner="me")["id"] == mine["id"]
    assert store.find("bo/sales", owner="me")["id"] == other["id"]
    with pytest.raises(Conflict):
        store.find("sales", owner="someone-else")


def test_recipe_code_loads_another_owners_dataset_by_owner_name(lg_guarded: GuardedStore):
    ds = upload(lg_guarded, BO, "sales")
    lg_guarded.share(BO, ds["id"], "user", "vic", "viewer")
    assert "lg.load('sales', version=1)" in lg_guarded.recipe_code(BO, ds["id"])
    assert "lg.load('bo/sales', version=1)" in lg_guarded.recipe_code(VIC, ds["id"])


# ---------------------------------------------------------------------------- refusing a share


def test_the_recipient_removes_a_share_made_to_them(lg_guarded: GuardedStore):
    theirs = upload(lg_guarded, BO, "sales")
    lg_guarded.share(BO, theirs["id"], "user", "vic", "editor")
    lg_guarded.share(BO, theirs["id"], "user", "ada", "viewer")
    # vic may not remove ada's share, only their own
    with pytest.raises(Forbidden):
        lg_guarded.unshare(VIC, theirs["id"], "user", "ada")
    lg_guarded.unshare(VIC, theirs["id"], "user", "vic")
    with pytest.raises(NotFound):
        lg_guarded.get(VIC, theirs["id"])
    assert [s["name"] for s in lg_guarded.shares(BO, theirs["id"])] == ["ada"]
    events = lg_guarded.list_events(ROOT, action=["unshare"])["events"]
    assert events[0]["user"] == "vic" and events[0]["detail"] == {
        "kind": "user",
        "name": "vic",
        "recipient": True,
    }


def test_a_group_member_cannot_remove_the_groups_share(lg_guarded: GuardedStore):
    theirs = upload(lg_guarded, BO, "sales")
    lg_guarded.share(BO, theirs["id"], "group", "analysts", "viewer")
    with pytest.raises(Forbidden):
        lg_guarded.unshare(CY, theirs["id"], "group", "analysts")
    assert lg_guarded.access(CY, theirs["id"]) == "viewer"


# ---------------------------------------------------------------------------- names used again

T1 = "2026-01-02T03:04:05.000006Z"
T2 = "2026-06-01T00:00:00Z"


def test_a_new_account_under_an_old_name_inherits_nothing(lg_guarded: GuardedStore):
    accounts = Accounts(lg_guarded.catalog)
    # Given gus (created T1) with a dataset shared with ada, and ada's dataset shared with gus
    assert accounts.check("gus", T1) is None
    gus_data = upload(lg_guarded, Principal("gus"), "notes")
    lg_guarded.share(Principal("gus"), gus_data["id"], "user", "ada", "viewer")
    ada_data = upload(lg_guarded, ADA, "sales")
    lg_guarded.share(ADA, ada_data["id"], "user", "gus", "editor")
    assert accounts.check("gus", "2026-01-02T03:04:05.000006+00:00") is None  # the same account
    # When a new account (created T2) uses the name
    retired = accounts.check("gus", T2)
    # Then the old account's datasets are archived and every share of and to it is gone
    assert retired is not None and retired["datasets"] == 1
    assert retired["shares_of_theirs_removed"] == 1 and retired["shares_to_them_removed"] == 1
    newcomer = Principal("gus")
    assert lg_guarded.list_datasets(newcomer) == []
    for ref in ("sales", "notes", "ada/sales", "gus/notes"):
        with pytest.raises(NotFound):
            lg_guarded.find_readable(newcomer, ref)
    with pytest.raises(NotFound):
        lg_guarded.get(ADA, gus_data["id"])
    archived = lg_guarded.get(ROOT, gus_data["id"])
    assert archived["owner"] == retired["archived_as"] and archived["owner"].startswith("deleted/")
    assert archived["owner"].endswith("/gus")
    (event,) = lg_guarded.list_events(ROOT, action=["account_retired"])["events"]
    assert event["user"] == "gus" and event["detail"]["created"] == "2026-01-02T03:04:05.000006+00:00"
    assert accounts.created("gus") == "2026-06-01T00:00:00+00:00"
    # the newcomer's own uploads are theirs, and another check changes nothing
    upload(lg_guarded, newcomer, "notes")
    assert accounts.check("gus", T2) is None
    assert [d["name"] for d in lg_guarded.list_datasets(newcomer)] == ["notes"]


def test_a_fresh_service_records_a_name_it_knew_before_without_retiring_it(lg_guarded: GuardedStore):
    Accounts(lg_guarded.catalog).check("gus", T1)
    mine = upload(lg_guarded, Principal("gus"), "notes")
    # another process (a restarted service) knows nothing in memory, but the catalog remembers
    assert Accounts(lg_guarded.catalog).check("gus", T1) is None
    assert lg_guarded.get(Principal("gus"), mine["id"])["owner"] == "gus"
    assert Accounts(lg_guarded.catalog).check("gus", T2) is not None


def test_the_hubs_user_deleted_event_retires_exactly_that_account(lg_guarded: GuardedStore, tmp_path: Path):
    accounts = Accounts(lg_guarded.catalog)
    accounts.check("gus", T1)
    old = upload(lg_guarded, Principal("gus"), "notes")
    source = tmp_path / "hub-events.jsonl"
    importer = HubEventsImporter(source, lg_guarded.events, tmp_path / "offset", accounts)

    def hub_event(user: str, created: str) -> None:
        line = {"time": "2026-07-01T00:00:00+00:00", "user": user, "action": "user_deleted",
                "detail": {"created": created}}  # fmt: skip
        with open(source, "a") as f:
            f.write(json.dumps(line) + "\n")

    hub_event("gus", T1)
    assert importer.run() == 1
    assert lg_guarded.get(ROOT, old["id"])["owner"].startswith("deleted/")
    assert accounts.created("gus") is None
    # a new gus checks in and uploads; a late copy of the old deletion leaves the new account alone
    accounts.check("gus", T2)
    new = upload(lg_guarded, Principal("gus"), "notes")
    hub_event("gus", T1)
    assert importer.run() == 1
    assert lg_guarded.get(Principal("gus"), new["id"])["owner"] == "gus"
    actions = [
        e["action"]
        for e in lg_guarded.list_events(ROOT, action=["user_deleted", "account_retired"])["events"]
    ]
    assert sorted(actions) == ["account_retired", "user_deleted", "user_deleted"]


def test_an_account_needs_a_time_the_hub_gave(lg_guarded: GuardedStore):
    accounts = Accounts(lg_guarded.catalog)
    for bad in ("", "yesterday", None):
        with pytest.raises(BadInput):
            accounts.check("gus", bad)
