"""Load the sample datasets into a hub's dataset store, owned by the first admin and shared with
every user (the ``everyone`` group): ``python -m livegraphs_hub.seed --data-dir <state>/livegraphs``.

Run before the hub starts (``scripts/start.sh`` does), while no service holds the store; loading is
skipped for samples that are there already, so every start may run it.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from livegraphs_ext.kernel.sample_data import write_samples
from livegraphs_ext.store import DatasetStore, GuardedStore, Principal, StoreConfig

from . import ALL_USERS_GROUP


def seed(
    data_dir: Path, owner: str, catalog_url: str | None = None, group: str = ALL_USERS_GROUP
) -> list[str]:
    """Load the samples that are missing; return their names."""
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    store = DatasetStore(StoreConfig(root=data_dir, catalog_url=catalog_url))
    try:
        guarded = GuardedStore(store)
        admin = Principal(owner, is_admin=True)
        existing = {d["name"] for d in guarded.list_datasets(admin, owner=owner)}
        loaded = []
        with tempfile.TemporaryDirectory() as tmp:
            for path in write_samples(Path(tmp)):
                if path.stem in existing:
                    continue
                staged = store.staging_path()
                staged.write_bytes(path.read_bytes())
                ds = guarded.create_from_file(
                    admin, staged, name=path.stem, content_type="text/csv", filename=path.name
                )
                guarded.share(admin, ds["id"], "group", group, "viewer")
                loaded.append(path.stem)
        return loaded
    finally:
        store.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True, help="the service's data folder")
    parser.add_argument("--owner", default=os.environ.get("LIVEGRAPHS_FIRST_ADMIN") or "admin")
    parser.add_argument("--catalog-url", default=os.environ.get("LIVEGRAPHS_CATALOG_URL") or None)
    args = parser.parse_args(argv)
    loaded = seed(args.data_dir, args.owner, args.catalog_url)
    print("sample datasets: " + (", ".join(loaded) + " loaded" if loaded else "already there"))


if __name__ == "__main__":
    main()
