"""The sample datasets a new hub starts with: the first admin's, shared with everyone, loaded once."""

from __future__ import annotations

import sys
from pathlib import Path

from livegraphs_ext.store import DatasetStore, GuardedStore, Principal, StoreConfig

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "hub"))

from livegraphs_hub.seed import seed


def test_samples_are_loaded_once_and_shared_with_everyone(tmp_path: Path) -> None:
    # Given a fresh data folder, seeded twice
    assert sorted(seed(tmp_path, "admin")) == ["chat_sessions", "sales"]
    assert seed(tmp_path, "admin") == []
    store = DatasetStore(StoreConfig(root=tmp_path))
    try:
        guarded = GuardedStore(store)
        # Then a user in the everyone group reads them, and one outside it sees none
        member = {d["name"]: d for d in guarded.list_datasets(Principal("zoe", frozenset({"everyone"})))}
        assert set(member) == {"chat_sessions", "sales"}
        assert member["sales"]["owner"] == "admin" and member["sales"]["access"] == "viewer"
        assert member["sales"]["rows"] == 20_000
        assert guarded.list_datasets(Principal("outsider")) == []
    finally:
        store.close()
