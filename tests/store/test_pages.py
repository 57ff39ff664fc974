"""Sorted and filtered pages at any offset equal a pandas reference; row orders are bounded, per version."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from livegraphs_ext.store import DatasetStore, StoreConfig
from livegraphs_ext.store.pages import table_rows

NAMES = [
    "Zoë",
    "zoe",
    "Ärger",
    "apple",
    "Äpfel",
    "日本",
    "東京",
    "b",
    "B",
    "ß",
    "émile",
    "Émile",
    "😀",
    "a b",
]
ROWS = 1500
WINDOW = 50


def _csv(seed: int = 7) -> str:
    rnd = random.Random(seed)
    lines = ["id,name,price,day,flag,qty"]
    for i in range(ROWS):
        name = "" if rnd.random() < 0.08 else f'"{rnd.choice(NAMES)}"'
        price = "" if rnd.random() < 0.1 else str(rnd.choice([1.5, 2.25, -3.0, 10.0, 0.0, 99.75]))
        day = "" if rnd.random() < 0.05 else f"2024-0{rnd.randint(1, 9)}-1{rnd.randint(0, 9)}"
        flag = "" if rnd.random() < 0.1 else rnd.choice(["true", "false"])
        qty = "" if rnd.random() < 0.1 else str(rnd.randint(-5, 5))
        lines.append(f"{i},{name},{price},{day},{flag},{qty}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DatasetStore]:
    s = DatasetStore(StoreConfig(root=tmp_path / "store", page_top_window=WINDOW))
    yield s
    s.close()


def _upload(store: DatasetStore, name: str = "mixed", data: str | None = None) -> dict[str, Any]:
    src = store.staging_path()
    src.write_text(data or _csv(), encoding="utf-8")
    return store.create_from_file(src, name=name, owner="ada", content_type="text/csv")


def _reference(table: pa.Table, sort: list[tuple[str, bool]], keep: Any = None) -> list[int]:
    """Row indexes in pandas' order: stable, nulls last, descending keys reversed but ties in file order."""
    df = table.to_pandas()
    if keep is not None:
        df = df[keep(df)]
    if not sort:
        return list(df.index)
    ordered = df.sort_values(
        by=[c for c, _ in sort], ascending=[not d for _, d in sort], na_position="last", kind="stable"
    )
    return list(ordered.index)


def _expected(table: pa.Table, order: list[int], offset: int, limit: int) -> list[list[Any]]:
    return table_rows(table.take(pa.array(order[offset : offset + limit], pa.int64())))


SORTS = [
    ("price", [("price", False)]),
    ("-price", [("price", True)]),
    ("name", [("name", False)]),
    ("-name,id", [("name", True), ("id", False)]),
    ("-day,name", [("day", True), ("name", False)]),
    ("flag,-price", [("flag", False), ("price", True)]),
    ("qty,-flag,name", [("qty", False), ("flag", True), ("name", False)]),
]
OFFSETS = [(0, 10), (30, 20), (45, 10), (100, 100), (777, 33), (ROWS - 5, 10), (ROWS + 10, 10)]


@pytest.mark.parametrize("text,keys", SORTS, ids=[s for s, _ in SORTS])
def test_sorted_pages_at_any_offset_match_pandas(store: DatasetStore, text: str, keys: list) -> None:
    ds = _upload(store)
    table = store.arrow(ds["id"])
    order = _reference(table, keys)
    for offset, limit in OFFSETS:
        page = store.rows(ds["id"], sort=text, offset=offset, limit=limit)
        assert page["total"] == ROWS
        assert page["rows"] == _expected(table, order, offset, limit), (text, offset)
    # once the order and its sorted copy are built, every page comes from the copy
    store._orders.settle()
    assert store._orders.stats() == {"entries": 1, "bytes": store._orders.stats()["bytes"], "copies": 1}
    for offset, limit in OFFSETS:
        page = store.rows(ds["id"], sort=text, offset=offset, limit=limit)
        assert page["total"] == ROWS
        assert page["rows"] == _expected(table, order, offset, limit), (text, offset)


def test_filtered_pages_match_pandas(store: DatasetStore) -> None:
    ds = _upload(store)
    table = store.arrow(ds["id"])
    flt = [{"column": "price", "cmp": "gt", "value": 1}, {"column": "name", "cmp": "not_null"}]
    keep = lambda df: (df["price"] > 1) & df["name"].notna()  # noqa: E731
    for sort, keys in [(None, []), ("-price,name", [("price", True), ("name", False)])]:
        order = _reference(table, keys, keep)
        for settled in (False, True):
            for offset, limit in [(0, 10), (60, 40), (len(order) - 3, 10)]:
                page = store.rows(ds["id"], sort=sort, filter=flt, offset=offset, limit=limit)
                assert page["total"] == len(order)
                assert page["rows"] == _expected(table, order, offset, limit), (sort, offset, settled)
            store._orders.settle()


def test_row_orders_are_bounded_on_disk(tmp_path: Path) -> None:
    s = DatasetStore(StoreConfig(root=tmp_path / "store", page_top_window=WINDOW, page_order_bytes=14_000))
    try:
        ds = _upload(s)
        table = s.arrow(ds["id"])
        folders = []
        for text, keys in SORTS:
            page = s.rows(ds["id"], sort=text, offset=600, limit=20)
            assert page["rows"] == _expected(table, _reference(table, keys), 600, 20)
            s._orders.settle()
            stats = s._orders.stats()
            # one order of 1,500 rows takes about 12 kB: one fits in 14 kB, with no room for its copy
            assert stats == {"entries": 1, "bytes": stats["bytes"], "copies": 0}
            assert 12_000 <= stats["bytes"] <= 14_000
            folders = [p for p in s.cache_dir.iterdir() if p.name.endswith("-orders")]
            assert len(folders) == 1 and len(list(folders[0].iterdir())) == 1
        page = s.rows(ds["id"], sort="name", offset=600, limit=20)
        assert page["rows"] == _expected(table, _reference(table, [("name", False)]), 600, 20)
    finally:
        s.close()
    assert not any(folders[0].iterdir())


def test_a_new_version_gets_a_new_order(store: DatasetStore) -> None:
    ds = _upload(store)
    before = store.rows(ds["id"], sort="-price,id", offset=200, limit=50)
    v2 = store.apply_step(
        ds["id"], {"op": "filter", "conditions": [{"column": "qty", "cmp": "ge", "value": 0}]}, user="ada"
    )
    table = store.arrow(ds["id"])
    after = store.rows(ds["id"], sort="-price,id", offset=200, limit=50)
    assert after["total"] == v2["rows"] == table.num_rows < ROWS
    assert after["rows"] == _expected(table, _reference(table, [("price", True), ("id", False)]), 200, 50)
    assert after["rows"] != before["rows"]
    # the old version still pages from its own order
    old = store.rows(ds["id"], version=1, sort="-price,id", offset=200, limit=50)
    assert old["rows"] == before["rows"]
    store._orders.settle()
    assert store._orders.stats()["entries"] == store._orders.stats()["copies"] == 2
    assert store.rows(ds["id"], version=1, sort="-price,id", offset=200, limit=50)["rows"] == before["rows"]
    assert store.rows(ds["id"], sort="-price,id", offset=200, limit=50)["rows"] == after["rows"]


def test_concurrent_scrollers_agree_with_pandas(store: DatasetStore) -> None:
    ds = _upload(store)
    table = store.arrow(ds["id"])
    failures: list[str] = []

    def scroll(text: str, keys: list) -> None:
        order = _reference(table, keys)
        for offset in range(0, 900, 150):
            page = store.rows(ds["id"], sort=text, offset=offset, limit=75)
            if page["rows"] != _expected(table, order, offset, 75):
                failures.append(f"{text} at {offset}")

    threads = [threading.Thread(target=scroll, args=s) for s in SORTS[:4]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert store._orders.stats()["entries"] == 4


def test_rows_by_number_read_only_their_row_groups_and_keep_the_order_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import datetime as dt

    import pyarrow.parquet as pq

    from livegraphs_ext.store.pages import ParquetMetaCache, read_rows

    n = 10_000
    table = pa.table(
        {
            "i": pa.array(range(n), pa.int64()),
            "s": pa.array([None if i % 7 == 0 else f"r{i}" for i in range(n)]),
            "d": pa.array([dt.date(2024, 1, 1) + dt.timedelta(days=i % 400) for i in range(n)]),
        }
    )
    path = tmp_path / "groups.parquet"
    pq.write_table(table, path, row_group_size=1000)
    cache = ParquetMetaCache()
    wanted = [9999, 0, 4500, 4501, 1000, 999, 7777, 0]
    got = read_rows(path, wanted, cache)
    assert got.to_pylist() == table.take(wanted).to_pylist()
    assert got.schema == table.schema
    assert read_rows(path, [], cache).num_rows == 0
    # what a page costs: the groups of its rows, not the file
    reads: list[list[int]] = []
    real = pq.ParquetFile.read_row_groups

    def counting(self: Any, groups: Any, *args: Any, **kwargs: Any) -> Any:
        reads.append(list(groups))
        return real(self, groups, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetFile, "read_row_groups", counting)
    assert read_rows(path, [4500, 4999, 4000], cache).column("i").to_pylist() == [4500, 4999, 4000]
    assert reads == [[4]]


@pytest.mark.parametrize("copy_first", [True, False])
def test_an_orders_ranks_and_its_copy_are_both_kept(store: DatasetStore, copy_first: bool) -> None:
    # Given a filtered, sorted row order, its copy and its ranks written in either order
    ds = _upload(store)
    table = store.arrow(ds["id"])
    flt = [{"column": "price", "cmp": "gt", "value": 1}]
    order = _reference(table, [("price", True), ("name", False)], lambda df: df["price"] > 1)
    store.rows(ds["id"], sort="-price,name", filter=flt, offset=WINDOW + 1)
    (key,) = store._orders._items
    if copy_first:
        store._orders.settle()
    store._orders.rank(key, ROWS)
    store._orders.settle()
    # Then the entry holds both, and counts both in its size
    entry = store._orders.get(key)
    assert entry is not None and entry.copy is not None and entry.ranks is not None
    assert entry.size == sum(f.stat().st_size for f in entry.files())
    # And each row's rank is its place in the order, the order's length for a row left out
    ranks = entry.ranks_of(np.arange(ROWS))
    assert ranks is not None
    place = {row: i for i, row in enumerate(order)}
    assert ranks.tolist() == [place.get(r, len(order)) for r in range(ROWS)]
    # And a page still comes from the copy
    page = store.rows(ds["id"], sort="-price,name", filter=flt, offset=7, limit=9)
    assert page["rows"] == _expected(table, order, 7, 9)
    # And nothing is left when the store closes
    folder = entry.path.parent
    store.close()
    assert not any(folder.iterdir())


def test_ranks_too_big_to_keep_are_refused_once(store: DatasetStore) -> None:
    # Given a row order and its copy that fill the room for orders on disk
    ds = _upload(store)
    store.rows(ds["id"], sort="-price", offset=WINDOW + 1)
    store._orders.settle()
    (key,) = store._orders._items
    entry = store._orders.get(key)
    assert entry is not None and entry.copy is not None
    store._orders._max_bytes = entry.size + 10
    # When its ranks are asked for, twice
    for _ in range(2):
        store._orders.rank(key, ROWS)
        store._orders.settle()
        # Then they are refused, and nothing of them is left or counted
        entry = store._orders.get(key)
        assert entry is not None and entry.ranks is None and entry.ranks_refused
        assert sorted(entry.path.parent.iterdir()) == sorted(entry.files())
        assert entry.size == sum(f.stat().st_size for f in entry.files())


def test_a_page_that_finds_its_orders_copy_gone_never_removes_a_newer_order(
    store: DatasetStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a sorted row order and its copy
    from dataclasses import replace

    from livegraphs_ext.store import queries

    ds = _upload(store)
    table = store.arrow(ds["id"])
    order = _reference(table, [("price", True)], None)
    store.rows(ds["id"], sort="-price", offset=WINDOW + 1)
    store._orders.settle()
    (key,) = store._orders._items
    old = store._orders.get(key)
    assert old is not None and old.copy is not None
    # and a newer order of the same sort that takes its place while a page reads the old copy,
    # whose files are gone by then
    newer = replace(old, path=old.path.with_name("newer.arrow"), copy=None, ranks=None, ranks_bytes=0)
    newer.path.write_bytes(old.path.read_bytes())
    read = queries.read_slice

    def gone(path: Path, *args: Any) -> Any:
        if path == old.copy:
            with store._orders._lock:
                store._orders._items[key] = newer
            raise FileNotFoundError(path)
        return read(path, *args)

    monkeypatch.setattr(queries, "read_slice", gone)
    # When the page is asked
    page = store.rows(ds["id"], sort="-price", offset=7, limit=9)
    # Then it comes from the newer order, which is kept with its file
    assert page["rows"] == _expected(table, order, 7, 9)
    assert store._orders.get(key) is newer
    assert newer.path.exists()


@pytest.mark.parametrize("room", ["enough", "under the estimate", "under the rows"])
def test_pages_while_a_sorted_copy_is_written_take_their_rows_from_the_version_held(
    store: DatasetStore, monkeypatch: pytest.MonkeyPatch, room: str
) -> None:
    # Given a version (for the last case with long values repeated, which Parquet stores as a
    # small dictionary: they take much more room read than their estimate says), and sorted
    # copies whose writing waits once the version is held, with room to hold it or not
    from contextlib import contextmanager

    from livegraphs_ext.store import queries

    data = None
    if room == "under the rows":
        long = ["x" * 3000, "y" * 3000]
        data = "".join(
            f"{line},{'note' if i == 0 else long[i % 2]}\n" for i, line in enumerate(_csv().splitlines())
        )
    ds = _upload(store, data=data)
    table = store.arrow(ds["id"])
    path = store.version_file(ds["id"])
    estimate = store._held.estimate(store._meta.get(path)[0])
    if room == "under the estimate":
        store._held.max_bytes = estimate - 1
    elif room == "under the rows":
        store._held.max_bytes = estimate
        assert table.nbytes > 10 * estimate
    fits = room == "enough"
    holding = store._held.holding
    entered, release = threading.Event(), threading.Event()

    @contextmanager
    def waiting(*args: Any) -> Iterator[None]:
        with holding(*args):
            entered.set()
            assert release.wait(30)
            yield

    monkeypatch.setattr(store._held, "holding", waiting)
    fetch = queries._fetch_rows
    fetched: list[int] = []

    def counted(con: Any, names: list[str], rownums: list[int]) -> pa.Table:
        fetched.append(len(rownums))
        return fetch(con, names, rownums)

    monkeypatch.setattr(queries, "_fetch_rows", counted)
    flt = [{"column": "price", "cmp": "gt", "value": 1}]
    cases = [
        ("-day,name", None, _reference(table, [("day", True), ("name", False)])),
        ("name", flt, _reference(table, [("name", False)], lambda df: df["price"] > 1)),
    ]
    try:
        for written, (sort, where, order) in enumerate(cases):
            entered.clear()
            # When pages past the top-N window are asked while the order's copy is being written
            store.rows(ds["id"], sort=sort, filter=where, offset=WINDOW + 1, limit=5)
            assert entered.wait(30)
            assert store._orders.stats()["copies"] == written
            fetched.clear()
            for offset, limit in [(WINDOW + 1, 40), (3, 7), (len(order) - 4, 10), (len(order) + 2, 5)]:
                page = store.rows(ds["id"], sort=sort, filter=where, offset=offset, limit=limit)
                # Then each page is the reference's, taken from the held rows when they fit
                assert page["total"] == len(order)
                assert page["rows"] == _expected(table, order, offset, limit), (sort, offset)
            assert store._held.held() == ([path] if fits else [])
            assert (fetched == []) is fits
            release.set()
            store._orders.settle()
            release.clear()
            # And once the copy is written, the version is let go
            assert store._held.held() == []
    finally:
        release.set()
    assert store._orders.stats()["copies"] == 2
