"""Full-text search in a version's rows equals an independent Python reference, by scan and by index.

The reference reads the same rules with the standard library only: a value's words are its runs
of letters and digits after NFD, dropping combining marks and lower-casing; a word clause is one
of them, a prefix starts one, a phrase is consecutive ones of one value; a row matches when every
clause holds in one of its text columns.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import random
import re
import shutil
import unicodedata
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from livegraphs_ext.store import (
    BadInput,
    DatasetStore,
    GuardedStore,
    Principal,
    StoreConfig,
    searching,
    textsearch,
)
from livegraphs_ext.store.pages import RowOrders
from livegraphs_ext.store.textsearch import (
    MAX_QUERY_CHARS,
    MAX_WORDS,
    OpenIndex,
    _build_child,
    index_dir,
    parse_query,
)

WORDS = [
    "café", "Cafe", "CAFÉ", "crème", "naïve", "Zürich", "zurich", "São", "Paulo", "Kraków", "straße",
    "Москва", "москва", "Ελλάδα", "ελλαδα", "東京", "quick", "brown", "fox", "Quick", "foxes", "e-mail",
    "email", "the", "data", "dataset", "datum", "42", "4x4", "O'Brien", "obrien", "résumé", "resume",
]  # fmt: skip
ROWS = 600
WINDOW = 40


def _value(rnd: random.Random) -> str | None:
    if rnd.random() < 0.12:
        return None
    return " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(1, 6))) + rnd.choice(["", ".", ",", "!"])


def _rows(seed: int = 11) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    return [
        {"id": i, "title": _value(rnd), "body": _value(rnd), "price": rnd.randint(0, 50)} for i in range(ROWS)
    ]


def _csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["id", "title", "body", "price"])
    for r in rows:
        w.writerow([r["id"], r["title"] or "", r["body"] or "", r["price"]])
    return out.getvalue()


# ---------------------------------------------------------------------- the reference


def ref_words(value: str | None) -> list[str]:
    if value is None:
        return []
    decomposed = unicodedata.normalize("NFD", value.lower())
    folded = "".join(ch for ch in decomposed if not unicodedata.category(ch).startswith("M"))
    return re.findall(r"[^\W_]+", folded)


def ref_clause(words: list[str], clause: tuple[list[str], bool]) -> bool:
    want, prefix = clause
    if prefix:
        return any(w.startswith(want[0]) for w in words)
    n = len(want)
    return any(words[i : i + n] == want for i in range(len(words) - n + 1))


def ref_clauses(q: str) -> list[tuple[list[str], bool]]:
    out = []
    for part in re.findall(r'"[^"]*"|\S+', q):
        quoted = part.startswith('"')
        body = part.strip('"') if quoted else part
        words = ref_words(body)
        if words:
            out.append((words, not quoted and body.endswith("*")))
    return out


def ref_ids(rows: list[dict[str, Any]], q: str) -> list[int]:
    clauses = ref_clauses(q)
    return [
        r["id"]
        for r in rows
        if all(any(ref_clause(ref_words(r[c]), cl) for c in ("title", "body")) for cl in clauses)
    ]


QUERIES = [
    "cafe", "CAFÉ", "café crème", "caf*", "zurich", "ZÜRICH", '"quick brown"', '"brown quick"', "quick brown",
    "москва", "москва".upper(), "ελλαδα", "Ελλάδα", "東京", "straße", "strasse", "e-mail", "email",
    "da*", "data",
    "datum*", "42", "4x*", "o'brien", "obrien", '"sao paulo"', "resume", "résumé", "fox -fox", "the the",
    '"quick brown fox"', "nothing", "sa*", "qu* br*",
]  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DatasetStore]:
    s = DatasetStore(StoreConfig(root=tmp_path / "store", page_top_window=WINDOW))
    yield s
    s.close()


@pytest.fixture
def data() -> list[dict[str, Any]]:
    return _rows()


def _upload(store: DatasetStore, text: str, name: str = "texts", owner: str = "ada") -> dict[str, Any]:
    src = store.staging_path()
    src.write_text(text, encoding="utf-8")
    return store.create_from_file(src, name=name, owner=owner, content_type="text/csv")


def _all_ids(store: DatasetStore, ds_id: str, q: str, **kw: Any) -> tuple[list[int], dict[str, Any]]:
    page = store.rows(ds_id, q=q, limit=10_000, **kw)
    return [r[0] for r in page["rows"]], page


def _indexed(store: DatasetStore, ds: dict[str, Any]) -> None:
    store.rows(ds["id"], q="anything")
    store.search_indexes.settle()
    assert index_dir(store.version_file(ds["id"])).is_dir()


def _without_sort_keys(store: DatasetStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages sorted by one column are answered as by an index built before its sort key fields."""
    monkeypatch.setattr(store, "_keyed_page", lambda *args: None)


# ---------------------------------------------------------------------- rows and counts


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One dataset in two stores: one that never builds its index (scans), one with it built."""
    data = _rows()
    out: dict[str, Any] = {"data": data}
    opened = []
    for mode in ("scan", "index"):
        s = DatasetStore(StoreConfig(root=tmp_path_factory.mktemp(mode), page_top_window=WINDOW))
        opened.append(s)
        ds = _upload(s, _csv(data))
        if mode == "scan":
            s.search_indexes.build = lambda path: None  # type: ignore[method-assign]
        else:
            _indexed(s, ds)
        out[mode] = (s, ds)
    yield out
    for s in opened:
        s.close()


@pytest.mark.parametrize("mode", ["scan", "index"])
@pytest.mark.parametrize("q", QUERIES)
def test_a_search_by_scan_and_by_index_equals_the_reference(stores, q, mode):
    # Given a dataset of two text columns (with nulls and many scripts) and a number column
    store, ds = stores[mode]
    want = ref_ids(stores["data"], q)
    # When it is searched, before its index exists or after
    ids, page = _all_ids(store, ds["id"], q)
    # Then the rows and the count are the reference's
    assert page["search"]["indexed"] is (mode == "index")
    assert (ids, page["total"]) == (want, len(want))


def test_the_index_counts_each_query_as_the_reference_does(stores):
    # Given the indexed dataset, where a word may be in both columns of a row and twice in one
    store, ds = stores["index"]
    index = store.search_indexes.get(store.version_file(ds["id"]))
    assert any(len(re.findall(r"\bquick\b", (r["title"] or "").lower())) > 1 for r in stores["data"])
    for q in QUERIES:
        # Then its count of a query's matches (a word's from the term dictionary) is the reference's
        assert index.count(parse_query(q)) == len(ref_ids(stores["data"], q)), q


def test_a_querys_words_are_read_once_until_searches_are_forgotten(store, monkeypatch):
    # Given a store whose normaliser is watched
    calls: list[list[str]] = []
    real = textsearch.normalise_words

    def watched(texts: Any) -> Any:
        calls.append(list(texts))
        return real(texts)

    monkeypatch.setattr(textsearch, "normalise_words", watched)
    store.search_indexes.forget()
    # When the same query is read for each of its pages
    first = parse_query('Zürich "new york" caf*')
    assert parse_query('Zürich "new york" caf*') == first
    # Then its words are asked of DuckDB once, the same as a new reading gives them
    assert calls == [["Zürich", "new york", "caf*"]]
    assert [c.words for c in first.clauses] == [("zurich",), ("new", "york"), ("caf",)]
    # And once the searches are forgotten, the next reading asks again
    store.search_indexes.forget()
    assert parse_query('Zürich "new york" caf*') == first
    assert len(calls) == 2


def test_an_index_counts_each_search_once_and_a_word_from_its_term(store, data, monkeypatch):
    # Given an index whose searches are counted
    ds = _upload(store, _csv(data))
    _indexed(store, ds)
    index = store.search_indexes.get(store.version_file(ds["id"]))
    assert index is not None
    real = index.searcher
    searched: list[int] = []

    class Counting:
        def search(self, *args: Any, **kwargs: Any) -> Any:
            searched.append(1)
            return real.search(*args, **kwargs)

        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

    monkeypatch.setattr(index, "searcher", Counting())
    monkeypatch.setattr(textsearch, "COUNTS_KEPT", 2)
    # When searches are counted twice over
    for q in ("da*", "cafe da*", '"quick brown"', "da*", "quick"):
        for _ in range(2):
            assert index.count(parse_query(q)) == len(ref_ids(data, q)), q
    # Then each is searched once, as long as it is among the last counted, and a word never
    assert len(searched) == 4
    # And once the store forgets what its indexes keep, a search is counted anew
    store.search_indexes.forget()
    assert index.count(parse_query("da*")) == len(ref_ids(data, "da*"))
    assert len(searched) == 5


def test_the_first_search_answers_by_scan_and_starts_the_index(store, data):
    ds = _upload(store, _csv(data))
    ids, page = _all_ids(store, ds["id"], "quick")
    assert page["search"]["indexed"] is False
    store.search_indexes.settle()
    again, page = _all_ids(store, ds["id"], "quick")
    assert page["search"]["indexed"] is True
    assert again == ids == ref_ids(data, "quick")


def test_the_index_build_starts_once_the_first_search_has_scanned(store, data):
    # Given a dataset never searched
    ds = _upload(store, _csv(data))
    events: list[str] = []
    scan, build = store._scan_first, store.search_indexes.build

    def scanning(*args: Any) -> Any:
        events.append("scan")
        return scan(*args)

    def building(path: Path) -> Any:
        events.append("build")
        return build(path)

    store._scan_first = scanning  # type: ignore[method-assign]
    store.search_indexes.build = building  # type: ignore[method-assign]
    # When it is searched, in its rows and across datasets
    store.rows(ds["id"], q="quick", limit=10)
    store.search_datasets("brown", store.list_datasets())
    # Then each scan has the machine to itself: the build is started after it
    assert events == ["scan", "build", "scan", "build"]


@pytest.mark.parametrize("dense", [0, 2], ids=["dense count", "scan count"])
@pytest.mark.parametrize("share", [1, 3, 10**9])
def test_a_first_search_takes_its_page_from_the_first_rows_when_they_hold_it(
    store, data, monkeypatch, share, dense
):
    # Given a dataset without an index, whose first search looks first among its first rows (a
    # share of them: all, a third, none), and counts by windows when they hold the page densely
    # enough (always, never)
    ds = _upload(store, _csv(data))
    monkeypatch.setattr(store.search_indexes, "build", lambda path: None)
    monkeypatch.setattr(searching, "NEAR_MIN_ROWS", 0)
    monkeypatch.setattr(searching, "NEAR_SHARE", share)
    monkeypatch.setattr(searching, "DENSE_SHARE", dense)
    asked: list[str] = []
    connect = store._page_connection

    @contextlib.contextmanager
    def recorded(path: Path) -> Iterator[Any]:
        with connect(path) as con:
            real = con.sql

            def sql(query: str, **kwargs: Any) -> Any:
                asked.append(query)
                return real(query, **kwargs)

            def execute(query: str, *args: Any) -> Any:
                asked.append(query)
                return con.execute(query, *args)

            yield SimpleNamespace(sql=sql, execute=execute)

    monkeypatch.setattr(store, "_page_connection", recorded)
    for q in ("quick", "cafe", "da*", "nothing"):
        want = ref_ids(data, q)
        for offset, limit in ((0, 5), (3, 7), (0, 0), (0, WINDOW)):
            asked.clear()
            # When a page of it is asked for
            page = store.rows(ds["id"], q=q, offset=offset, limit=limit)
            # Then it is the matches' page and their count, whichever way it came
            assert [r[0] for r in page["rows"]] == want[offset : offset + limit], (q, offset, limit)
            assert page["total"] == len(want)
            near = len(data) // share
            held = len([i for i in want if i < near]) >= offset + limit and offset + limit <= near
            # and the scan of every row kept no row when the first rows held the page
            assert any("min_by" in a for a in asked) is not held, (q, offset, limit)
            # and counted by windows when they held it densely enough
            windowed = held and dense == 0
            assert any("lg_match" in a for a in asked) is windowed, (q, offset, limit)


def test_the_clauses_come_back_normalised_for_highlighting(store, data):
    ds = _upload(store, _csv(data))
    page = store.rows(ds["id"], q='Café "Quick  Brown" ZÜR*', limit=1)
    assert page["search"]["clauses"] == [
        {"words": ["cafe"], "prefix": False},
        {"words": ["quick", "brown"], "prefix": False},
        {"words": ["zur"], "prefix": True},
    ]
    assert page["search"]["columns"] == ["title", "body"]


@pytest.mark.parametrize("mode", ["scan", "index"])
def test_pages_of_a_search_sorted_and_filtered_equal_the_reference(stores, mode):
    store, ds = stores[mode]
    data = stores["data"]
    q = "quick"
    matching = [r for r in data if r["id"] in set(ref_ids(data, q))]
    # sorted by price descending, ties in file order
    want = [r["id"] for r in sorted(matching, key=lambda r: -r["price"])]
    got: list[int] = []
    for offset in range(0, len(want) + 30, 30):
        page = store.rows(ds["id"], q=q, sort="-price", offset=offset, limit=30)
        assert page["total"] == len(want)
        got += [r[0] for r in page["rows"]]
    assert got == want
    # filtered too
    flt = [{"column": "price", "cmp": "ge", "value": 25}]
    want_f = [r["id"] for r in matching if r["price"] >= 25]
    ids, page = _all_ids(store, ds["id"], q, filter=flt)
    assert (ids, page["total"]) == (want_f, len(want_f))


@pytest.mark.parametrize("mode", ["scan", "index"])
def test_unsorted_pages_at_any_offset_join_up(stores, mode):
    store, ds = stores[mode]
    want = ref_ids(stores["data"], "da*")
    got = []
    for offset in range(0, len(want) + 17, 17):
        page = store.rows(ds["id"], q="da*", offset=offset, limit=17)
        assert page["total"] == len(want)
        got += [r[0] for r in page["rows"]]
    assert got == want


def test_unsorted_pages_of_a_search_come_from_its_matches_among_the_first_rows(store, data, monkeypatch):
    # Given an indexed dataset, and one whose matches all lie in its second half
    ds = _upload(store, _csv(data))
    _indexed(store, ds)
    late = [
        {"id": i, "title": "zebra" if i >= 150 else "horse", "body": None, "price": i} for i in range(300)
    ]
    ds_late = _upload(store, _csv(late), name="late")
    _indexed(store, ds_late)
    calls: list[str] = []
    for name in ("first_page_values", "page_values"):
        run = getattr(OpenIndex, name)

        def spy(self: Any, *args: Any, run: Any = run, name: str = name) -> Any:
            calls.append(name)
            return run(self, *args)

        monkeypatch.setattr(OpenIndex, name, spy)
    # (words, whose count is their term's; a prefix and two clauses, counted once)
    queries = ("quick", "cafe", "the", "42", "da*", "cafe da*")
    for rows, ds_id, q in [(data, ds["id"], w) for w in queries] + [(late, ds_late["id"], "zebra")]:
        want = ref_ids(rows, q)
        got: list[int] = []
        calls.clear()
        # When its unsorted pages are asked, a few rows at a time
        for offset in range(0, len(want) + 7, 7):
            page = store.rows(ds_id, q=q, offset=offset, limit=7)
            assert page["total"] == len(want)
            got += [r[0] for r in page["rows"]]
        # Then they join up into the matches in file order
        assert got == want, q
        # from the matches among the first rows, as far as the word is dense enough there
        assert calls.count("first_page_values") > 0, q
    # and past them, from every match in file order
    assert calls.count("page_values") > 0


@pytest.mark.parametrize("ranked", [True, False])
def test_the_next_pages_of_a_search_take_the_matches_it_kept(store, data, monkeypatch, ranked):
    # Given an indexed dataset whose sorted searches take every match from the index, sorted by
    # the ranks of the sort's row order, or (before they are written) by DuckDB
    ds = _upload(store, _csv(data))
    _indexed(store, ds)
    monkeypatch.setattr(searching, "SEARCH_STORED_MAX", 0)
    _without_sort_keys(store, monkeypatch)
    flt = [{"column": "price", "cmp": "ge", "value": 10}]
    if ranked:
        store.rows(ds["id"], q="brown", sort="-price", filter=flt, limit=5)
        store._orders.settle()
    else:
        monkeypatch.setattr(store, "_ranked_page", lambda *args: None)
    index = store.search_indexes.get(store.version_file(ds["id"]))
    assert index is not None
    asked: list[str] = []
    hits, count = index.all_hits, index.count
    monkeypatch.setattr(index, "all_hits", lambda q, n: asked.append(f"hits {q.key()}") or hits(q, n))
    monkeypatch.setattr(index, "count", lambda q: asked.append(f"count {q.key()}") or count(q))
    kept = store.search_indexes.kept
    # When a sorted, filtered search is paged through, twice over
    for q in ("quick", "da*"):
        want = _sorted_ref(data, [i for i in ref_ids(data, q) if data[i]["price"] >= 10], "-price")
        for _ in range(2):
            got: list[int] = []
            for offset in range(0, len(want) + 13, 13):
                page = store.rows(ds["id"], q=q, sort="-price", filter=flt, offset=offset, limit=13)
                assert page["total"] == len(want)
                got += [r[0] for r in page["rows"]]
            # Then every page is the reference's
            assert got == want
        # and the index counted and gave the matches once: the next pages took those it kept
        key = parse_query(q).key()
        assert asked == [f"count {key}", f"hits {key}"]
        asked.clear()
    # And another dataset's search of the same words is its own
    backwards = data[::-1]
    other = _upload(store, _csv(backwards), name="backwards")
    _indexed(store, other)
    want = _sorted_ref(backwards, ref_ids(backwards, "quick"), "-price")
    assert [r[0] for r in store.rows(other["id"], q="quick", sort="-price", limit=500)["rows"]] == want
    # And the matches kept are bounded: past the limit, the searches used longest ago go
    cost = textsearch.KEPT_ENTRY_COST
    monkeypatch.setattr(kept, "limit", len(ref_ids(data, "cafe")) + cost)
    store.rows(ds["id"], q="cafe", sort="-price", limit=5)
    assert asked == [f"count {parse_query('cafe').key()}", f"hits {parse_query('cafe').key()}"]
    gone = [kept.get(index, parse_query(q).key()) is None for q in ("brown", "quick", "da*", "cafe")]
    assert gone == [True, True, True, False]
    # and a search with more matches than the limit is not kept, nor makes room
    monkeypatch.setattr(kept, "limit", len(ref_ids(data, "quick")) + cost - 1)
    store.rows(ds["id"], q="quick", sort="-price", limit=5)
    assert kept.get(index, parse_query("quick").key()) is None
    assert kept.get(index, parse_query("cafe").key()) is not None
    # and they go with their index when it is dropped, which keeps none from then on
    kept.drop(index)
    assert kept.get(index, parse_query("cafe").key()) is None
    store.rows(ds["id"], q="cafe", sort="-price", limit=5)
    assert kept.get(index, parse_query("cafe").key()) is None


def _orderable_rows(seed: int = 5) -> tuple[str, list[dict[str, Any]]]:
    """A CSV of 400 rows with a column of each orderable kind (duplicates, nulls, -0.0, non-ASCII
    text in mixed case), and the rows as Python values."""
    rnd = random.Random(seed)
    words = ["zürich", "Zurich", "ZÜRICH", "東京", "apple", "Apple", "été", "ete", "b", "a b", ""]
    rows = []
    for i in range(400):
        rows.append(
            {
                "id": i,
                "title": "zebra" if rnd.random() < 0.7 else "horse",
                "n": rnd.choice([None, -3, 0, 7, 7, 12, 2**40]),
                "x": rnd.choice([None, -1.5, -0.0, 0.0, 0.25, 0.25, 1e300]),
                "word": rnd.choice([None, *words[:-1]]),
                "day": rnd.choice([None, "2024-02-29", "1999-12-31", "2024-01-01"]),
                "flag": rnd.choice([None, True, False]),
            }
        )
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(list(rows[0]))
    for r in rows:
        w.writerow(["" if v is None else str(v).lower() if isinstance(v, bool) else v for v in r.values()])
    return out.getvalue(), rows


def test_pages_sorted_by_columns_come_from_the_indexs_sort_groups(store, monkeypatch):
    # Given an indexed dataset with a column of each orderable kind, whose searches take every
    # match from the index
    text, rows = _orderable_rows()
    ds = _upload(store, text)
    _indexed(store, ds)
    monkeypatch.setattr(searching, "SEARCH_STORED_MAX", 0)
    index = store.search_indexes.get(store.version_file(ds["id"]))
    assert index is not None
    # (its groups: each value's place among the column's distinct values, null last)
    groups, nulls = index.sort_groups("n")
    values = sorted({r["n"] for r in rows if r["n"] is not None})
    assert groups.tolist() == [len(values) if r["n"] is None else values.index(r["n"]) for r in rows]
    assert nulls == len(values)

    def no_file(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the file was read for a page sorted by columns with groups")

    want_ids = ref_ids([{**r, "body": None} for r in rows], "zebra")
    # When pages of the matches are asked, sorted by each column either way, with DuckDB, the
    # file and the sort's row order forbidden
    with monkeypatch.context() as m:
        for name in ("_joined_page", "_ranked_page", "_ordered_rows", "_page_connection"):
            m.setattr(store, name, no_file)
        m.setattr(searching, "read_rows", no_file)
        for keyed in (True, False):
            with monkeypatch.context() as way:
                if keyed:
                    # by the sort key fields alone: no match but a page's taken out of the index
                    way.setattr(store, "_grouped_page", no_file)
                    way.setattr(index, "all_hits", no_file)
                else:
                    _without_sort_keys(store, way)
                for column in ("id", "title", "n", "x", "word", "day", "flag"):
                    for sort in (column, f"-{column}"):
                        # Then they join up into the matches sorted as a sorted grid sorts them:
                        # nulls last either way, ties in file order (-0.0 and 0.0 are equal)
                        want = _sorted_ref(rows, want_ids, sort)
                        assert _pages(store, ds["id"], "zebra", sort, 37, len(want)) == want, (sort, keyed)
                        assert store.rows(ds["id"], q="zebra", sort=sort, limit=0)["total"] == len(want)
        # And sorted by several columns, each key breaking the ties of the one before (by one
        # key made of the groups, or, were they too many for it, by a sort of each)
        for most in (searching.GROUPED_KEY_MAX, 0):
            m.setattr(searching, "GROUPED_KEY_MAX", most)
            for sort in ("flag,-n", "-flag,word,-day", "word,-x", "-day,title", "flag,-word,-n,x", "-id"):
                want = _sorted_ref(rows, want_ids, sort)
                assert _pages(store, ds["id"], "zebra", sort, 37, len(want)) == want, (sort, most)
        # And the one key is as small as the groups of the matches make it, descending and with
        # nulls too: a few thousand places, where it fits no sort by each
        m.setattr(searching, "GROUPED_KEY_MAX", 10**6)
        m.setattr(searching.np, "lexsort", no_file)
        for sort in ("-flag,-n,-x", "-x,flag,-word"):
            want = _sorted_ref(rows, want_ids, sort)
            assert _pages(store, ds["id"], "zebra", sort, 37, len(want)) == want, sort
    # And a filtered sort is not theirs; its pages are still right
    want = [i for i in _sorted_ref(rows, want_ids, "-x,id") if next(r for r in rows if r["id"] == i)["flag"]]
    page = store.rows(
        ds["id"], q="zebra", sort="-x,id", filter=[{"column": "flag", "cmp": "eq", "value": True}], limit=500
    )
    assert [r[0] for r in page["rows"]] == want
    want = _sorted_ref(rows, want_ids, "-x")
    # And an index without groups (built before them) answers as before
    shutil.rmtree(index_dir(store.version_file(ds["id"])) / textsearch.SORTS)
    store.search_indexes.close()
    store.search_indexes = type(store.search_indexes)(store._build_search_index)
    assert store.search_indexes.get(store.version_file(ds["id"])).sort_groups("n") is None
    assert [r[0] for r in store.rows(ds["id"], q="zebra", sort="-x", limit=500)["rows"]] == want


@pytest.mark.parametrize("seed", range(4))
def test_the_first_rows_of_a_sort_from_its_groups_are_the_sorts(seed):
    # Given the sort groups of a column of few distinct values, some null (the last group)
    rnd = random.Random(seed)
    distinct = rnd.randint(1, 9)
    nulls = distinct if seed % 2 == 0 else None
    values = [rnd.choice([*range(distinct), *([nulls] if nulls is not None else [])]) for _ in range(300)]
    groups = np.array(values, dtype=np.int32)
    for descending in (False, True):
        # the sort, as a grid sorts: nulls last either way, ties in file order
        present = sorted(
            (i for i, g in enumerate(values) if g != nulls),
            key=lambda i: -values[i] if descending else values[i],
        )
        want = present + [i for i, g in enumerate(values) if g == nulls]
        for k in (0, 1, 5, 37, 299, 300, 400):
            # When its first k rows are taken from the groups
            got = searching.first_of_groups(groups, nulls, descending, k)
            # Then they are the sort's
            assert got.tolist() == want[:k]


def _sorted_ref(rows: list[dict[str, Any]], ids: list[int], sort: str) -> list[int]:
    """``ids`` sorted as a page sorts them by ``sort`` (``"-a,b"``): nulls last either way, ties
    in file order."""
    chosen = [r for r in rows if r["id"] in set(ids)]
    # stable sorts, the last key first: equal values keep the order they had, descending too
    for item in reversed(sort.split(",")):
        column = item.lstrip("-")
        present = [r for r in chosen if r[column] is not None]
        present.sort(key=lambda r: r[column], reverse=item.startswith("-"))
        chosen = present + [r for r in chosen if r[column] is None]
    return [r["id"] for r in chosen]


def _pages(store: DatasetStore, ds_id: str, q: str, sort: str, step: int, end: int) -> list[int]:
    got: list[int] = []
    for offset in range(0, end + step, step):
        page = store.rows(ds_id, q=q, sort=sort, offset=offset, limit=step)
        got += [r[0] for r in page["rows"]]
    return got


@pytest.mark.parametrize(
    ("sort", "source", "few"),
    # the first rows of the sort's row order, of the index's sort groups of its column (as the
    # index build wrote them, or from the groups), of a top-N of its keys (the index tests
    # them), of its copy and of a top-N of the rows (DuckDB tests them, each way)
    [
        ("-price", "order", True),
        ("-body", "groups", True),
        ("price", "groups", True),
        ("title", "groups", True),
        ("-price", "first rows", True),
        ("body", "first rows", False),
        ("body", "keys", False),
        ("title", "keys", True),
        ("price", "copy", False),
        ("-title", "copy", True),
        ("title", "top-N", True),
        ("-body", "top-N", False),
    ],
)
def test_sorted_pages_of_many_matches_come_from_the_first_rows_of_the_sort(
    store, data, monkeypatch, sort, source, few
):
    # Given an indexed dataset where a search has more matches than are sorted from the index
    # (an index without sort keys)
    ds = _upload(store, _csv(data))
    _indexed(store, ds)
    monkeypatch.setattr(searching, "SEARCH_STORED_MAX", 0)
    monkeypatch.setattr(searching, "SEARCH_JOIN_MAX", 0)
    _without_sort_keys(store, monkeypatch)
    if not few:
        monkeypatch.setattr(searching, "FEW_ROWS", 0)
    copied: list[int] = []
    tops: list[int] = []
    grouped: list[int] = []
    if source in ("keys", "top-N", "groups", "first rows"):
        monkeypatch.setattr(store, "_build_order", lambda *args: None)
        top_rows, group_rows = store._top_rows, store._group_rows
        by_groups = source in ("groups", "first rows")
        if by_groups:
            monkeypatch.setattr(store, "_page_connection", lambda *args: 1 / 0)
        if source == "groups":
            # an index built before the first rows were written with the groups
            monkeypatch.setattr(OpenIndex, "sort_first_rows", lambda *args: None)
        if source == "first rows":
            monkeypatch.setattr(searching, "first_of_groups", lambda *args: 1 / 0)
        monkeypatch.setattr(
            store,
            "_group_rows",
            lambda *args: (grouped.append(1) or group_rows(*args)) if by_groups else None,
        )

        def keys(*args: Any) -> Any:
            tops.append(1)
            return top_rows(*args) if source == "keys" else lambda k: None

        monkeypatch.setattr(store, "_top_rows", keys)
    else:
        # the sort's row order and sorted copy of the whole version, as a sorted grid leaves them
        store.rows(ds["id"], sort=sort)
        store._orders.settle()
        run = store._copy_prefix

        def copy_prefix(*args: Any) -> Any:
            copied.append(1)
            return run(*args)

        monkeypatch.setattr(store, "_copy_prefix", copy_prefix)
        if source == "copy":
            monkeypatch.setattr(store, "_order_prefix", lambda *args: None)
        else:
            # the index alone tells which of the order's first rows match: no DuckDB
            monkeypatch.setattr(store, "_page_connection", lambda *args: 1 / 0)

    def no_sort_of_the_matches(*args: Any) -> Any:
        raise AssertionError("the matches were sorted by a scan of every row")

    monkeypatch.setattr(store, "_ordered_rows", no_sort_of_the_matches)
    for q in ("quick", "da*", "cafe"):
        want = _sorted_ref(data, ref_ids(data, q), sort)
        assert len(want) > 60
        # When its pages are asked sorted
        got = _pages(store, ds["id"], q, sort, 13, len(want))
        # Then they join up into the sorted matches, ties in file order, nulls last
        assert got == want
        assert store.rows(ds["id"], q=q, sort=sort, limit=1)["total"] == len(want)
        assert store.rows(ds["id"], q=q, sort=sort, limit=0)["total"] == len(want)
    # (from the copy when it is read)
    assert bool(copied) is (source == "copy")
    assert bool(tops) is (source in ("keys", "top-N"))
    assert bool(grouped) is (source in ("groups", "first rows"))


@pytest.mark.parametrize(
    ("sort", "flt", "grid"),
    [
        ("-price", None, False),
        ("title", None, True),
        ("-body", [{"column": "price", "cmp": "ge", "value": 25}], False),
        (None, [{"column": "price", "cmp": "lt", "value": 10}], True),
    ],
)
def test_pages_of_matches_take_the_ranks_of_the_sorts_row_order(store, data, monkeypatch, sort, flt, grid):
    # Given an indexed dataset whose searches have more matches than the index sorts alone
    ds = _upload(store, _csv(data))
    _indexed(store, ds)
    monkeypatch.setattr(searching, "SEARCH_STORED_MAX", 0)
    # (an unfiltered sort is the index's sort keys' or groups': see the tests before)
    monkeypatch.setattr(store, "_grouped_page", lambda *args: None)
    _without_sort_keys(store, monkeypatch)
    kept = {r["id"] for r in data if flt is None or (r["price"] >= 25 if sort else r["price"] < 10)}
    queries = ("quick", "da*", "cafe", "brown fox")
    if grid:
        # the sort's row order, as a sorted grid leaves it (without ranks)
        store.rows(ds["id"], sort=sort, filter=flt, offset=100)
        store._orders.settle()
    # the first page of each sort starts its row order or its ranks
    for q in queries:
        store.rows(ds["id"], q=q, sort=sort, filter=flt, limit=5)
    store._orders.settle()

    def no_scan(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the file was read for a page of matches")

    def wanted(q: str) -> list[int]:
        ids = [i for i in ref_ids(data, q) if i in kept]
        return _sorted_ref(data, ids, sort) if sort else ids

    with monkeypatch.context() as m:
        # When pages of the matches are asked, and neither DuckDB nor the file may answer them
        for name in ("_joined_page", "_ordered_rows", "_page_connection"):
            m.setattr(store, name, no_scan)
        m.setattr(searching, "read_rows", no_scan)
        for q in queries:
            want = wanted(q)
            assert want
            got: list[int] = []
            for offset in range(0, len(want) + 13, 13):
                page = store.rows(ds["id"], q=q, sort=sort, filter=flt, offset=offset, limit=13)
                # Then each page is the matches' in the order of the sort, past the filter
                assert page["total"] == len(want)
                got += [r[0] for r in page["rows"]]
            assert got == want
            assert store.rows(ds["id"], q=q, sort=sort, filter=flt, limit=0)["total"] == len(want)
    # And an order whose ranks are gone answers from the file, and its ranks are written again
    ranked = [o for o in store._orders._items.values() if o.ranks is not None]
    assert len(ranked) == 1
    ranked[0].ranks.unlink()
    page = store.rows(ds["id"], q="quick", sort=sort, filter=flt, limit=10_000)
    assert [r[0] for r in page["rows"]] == wanted("quick")
    store._orders.settle()
    ranked = [o for o in store._orders._items.values() if o.ranks is not None and o.ranks.exists()]
    assert len(ranked) == 1
    # (counted once in the room orders take on disk)
    assert ranked[0].size == sum(f.stat().st_size for f in ranked[0].files())


def _late_matches() -> list[dict[str, Any]]:
    """300 rows whose 150 matches of "zebra" sort after every other row by price."""
    return [
        {
            "id": i,
            "title": f"zebra {i}" if i >= 150 else "horse",
            "body": None,
            "price": 1000 + i if i >= 150 else i,
        }
        for i in range(300)
    ]


def _assert_late_pages_look_as_far_as_they_need(
    store: Any, ds: dict[str, Any], looked: list[int], further: int
) -> None:
    """Pages of :func:`_late_matches` by ascending price, and how many of the sort's first rows
    each look took (``looked``): as many as a page needs, growing fourfold from 40; the second
    page's look takes ``further`` rows."""
    page = store.rows(ds["id"], q="zebra", sort="price", limit=10)
    assert [r[0] for r in page["rows"]] == list(range(150, 160))
    assert page["total"] == 150
    assert looked == [40, 160]
    page = store.rows(ds["id"], q="zebra", sort="price", offset=140, limit=20)
    assert [r[0] for r in page["rows"]] == list(range(290, 300))
    assert looked[2:] == [further]
    assert store.rows(ds["id"], q="zebra", sort="price", offset=150)["rows"] == []
    assert looked[3:] == []


def test_a_sorted_page_of_matches_at_the_end_of_the_sort_looks_further(store, monkeypatch):
    # Given matches that all sort after every other row
    ds = _upload(store, _csv(_late_matches()))
    _indexed(store, ds)
    monkeypatch.setattr(searching, "SEARCH_STORED_MAX", 0)
    monkeypatch.setattr(searching, "SEARCH_JOIN_MAX", 0)
    monkeypatch.setattr(searching, "SEARCH_PREFIX_MAX", 100)
    _without_sort_keys(store, monkeypatch)
    # (a top-N of the rows, not of the sort's keys)
    monkeypatch.setattr(store, "_top_rows", lambda *args: lambda k: None)
    # When a page lies further in than the first rows a top-N sort looks at, before the sort's copy
    page = store.rows(ds["id"], q="zebra", sort="-price", offset=100, limit=10)
    # Then it comes from the stored order of the matches
    assert [r[0] for r in page["rows"]] == list(range(199, 189, -1))
    store._orders.settle()
    looked: list[int] = []
    run = store._copy_prefix

    def copy_prefix(copy: Path, select: str, found: str, k: int, *args: Any) -> Any:
        looked.append(k)
        return run(copy, select, found, k, *args)

    monkeypatch.setattr(store, "_copy_prefix", copy_prefix)
    store.rows(ds["id"], sort="price")
    store._orders.settle()
    # (the copy's rows, not the order's: see the next test)
    monkeypatch.setattr(store, "_order_prefix", lambda *args: None)
    # When pages of them are asked, by ascending price, once the sort's copy is written
    # Then each is found once the copy's rows looked at reached it, and no further than the last match
    _assert_late_pages_look_as_far_as_they_need(store, ds, looked, 300)


def test_a_sorted_page_of_matches_past_the_first_rows_of_the_order_looks_further(store, monkeypatch):
    # Given matches that all sort after every other row, and the sort's row order
    ds = _upload(store, _csv(_late_matches()))
    _indexed(store, ds)
    monkeypatch.setattr(searching, "SEARCH_STORED_MAX", 0)
    monkeypatch.setattr(searching, "SEARCH_JOIN_MAX", 0)
    _without_sort_keys(store, monkeypatch)
    store.rows(ds["id"], sort="price")
    store._orders.settle()
    looked: list[int] = []
    index = store.search_indexes.get(store.version_file(ds["id"]))
    among = index.hits_among

    def hits_among(query: Any, rownums: list[int]) -> Any:
        looked.append(len(rownums))
        return among(query, rownums)

    monkeypatch.setattr(index, "hits_among", hits_among)
    run = store._copy_prefix
    monkeypatch.setattr(store, "_copy_prefix", lambda *args: 1 / 0)
    # When pages of them are asked, by ascending price
    # Then each is found once the order's rows looked at reached it, and no further than its last
    # row; the second page looks only at the rows after those the first one looked at
    _assert_late_pages_look_as_far_as_they_need(store, ds, looked, 100)
    # and a page among the rows looked at already needs no look
    page = store.rows(ds["id"], q="zebra", sort="price", offset=20, limit=10)
    assert [r[0] for r in page["rows"]] == list(range(170, 180))
    assert looked[3:] == []
    # and a search looks no further than ORDER_PREFIX_MAX rows: then the sort's copy answers
    monkeypatch.setattr(searching, "ORDER_PREFIX_MAX", 100)
    copied: list[int] = []
    monkeypatch.setattr(store, "_copy_prefix", lambda *args: copied.append(1) or run(*args))
    page = store.rows(ds["id"], q="zebr*", sort="price", limit=10)
    assert [r[0] for r in page["rows"]] == list(range(150, 160))
    assert looked[3:] == [40]
    assert copied
    # and, until the copy is written, no further than ORDER_PREFIX_FAR rows
    key = RowOrders.key(store.version_file(ds["id"]), '"price" ASC NULLS LAST', "", [])
    store._orders._items[key] = replace(store._orders._items[key], copy=None)
    monkeypatch.setattr(searching, "ORDER_PREFIX_FAR", 200)
    copied.clear()
    page = store.rows(ds["id"], q="zeb*", sort="price", limit=10)
    assert [r[0] for r in page["rows"]] == list(range(150, 160))
    assert looked[4:] == [40, 160]
    assert not copied


def test_a_sort_whose_copy_is_too_big_to_keep_is_not_waited_for(store, data, monkeypatch):
    # Given a sort of the whole version whose copy was refused as too big to keep
    ds = _upload(store, _csv(data))
    _indexed(store, ds)
    monkeypatch.setattr(searching, "SEARCH_STORED_MAX", 0)
    monkeypatch.setattr(searching, "SEARCH_JOIN_MAX", 0)
    _without_sort_keys(store, monkeypatch)
    monkeypatch.setattr(store._orders, "_max_bytes", 1)
    store.rows(ds["id"], sort="-price", offset=100)
    store._orders.settle()
    assert store._orders.stats() == {"entries": 1, "bytes": store._orders.stats()["bytes"], "copies": 0}
    (refused,) = store._orders._items.values()
    assert refused.copy_refused and refused.path.exists()
    monkeypatch.setattr(store._orders, "_max_bytes", 1 << 30)
    # (past what the first rows of the order answer from the index)
    monkeypatch.setattr(store, "_order_prefix", lambda *args: None)
    ordered: list[int] = []
    run = store._ordered_rows

    def ordered_rows(*args: Any) -> Any:
        ordered.append(1)
        return run(*args)

    monkeypatch.setattr(store, "_ordered_rows", ordered_rows)
    # When a sorted search of many matches is paged
    want = _sorted_ref(data, ref_ids(data, "quick"), "-price")
    got = _pages(store, ds["id"], "quick", "-price", 30, len(want))
    # Then its pages come from the stored order of the matches, never looked for in the sort
    assert got == want
    # (but the page past the last match, which is empty whatever the sort)
    assert len(ordered) == len(range(0, len(want), 30))


@pytest.mark.parametrize("q", QUERIES)
def test_the_condition_for_a_few_rows_selects_what_the_scan_does(stores, q):
    store, ds = stores["scan"]
    path = store.version_file(ds["id"])
    query = parse_query(q)
    with duckdb.connect() as con:
        con.execute(f"CREATE VIEW src AS SELECT * FROM read_parquet('{path}')")
        picked = [
            [r[0] for r in con.execute(f"SELECT id FROM src WHERE {where} ORDER BY id").fetchall()]
            for where in (
                textsearch.scan_where(query, ["title", "body"]),
                textsearch.few_rows_where(query, ["title", "body"]),
            )
        ]
    assert picked[0] == picked[1] == ref_ids(stores["data"], q)


def test_nulls_never_match_and_a_row_is_found_by_its_other_column(store):
    ds = _upload(store, 'id,a,b\n1,,"null"\n2,,\n3,,findme\n4,findme,\n5,,\n6,none,x\n')
    stored = store.rows(ds["id"])["rows"]
    assert {r[0] for r in stored if r[1] is None and r[2] is None} == {2, 5}
    for _ in range(2):
        assert _all_ids(store, ds["id"], "findme")[0] == [3, 4]
        # only text that says so matches, never a missing value
        assert _all_ids(store, ds["id"], "null")[0] == [1]
        assert _all_ids(store, ds["id"], "none")[0] == [6]
        _indexed(store, ds)


def test_a_phrase_never_spans_two_columns(store):
    ds = _upload(store, "id,a,b\n1,hello world,foo bar\n2,world foo,x\n")
    for _ in range(2):
        assert _all_ids(store, ds["id"], '"world foo"')[0] == [2]
        assert _all_ids(store, ds["id"], "world foo")[0] == [1, 2]
        _indexed(store, ds)


def test_a_version_without_text_columns_matches_nothing(store):
    ds = _upload(store, "id,x\n1,2\n3,4\n")
    page = store.rows(ds["id"], q="1")
    assert (page["rows"], page["total"], page["search"]["columns"]) == ([], 0, [])
    store.search_indexes.settle()
    assert not index_dir(store.version_file(ds["id"])).exists()


def test_a_search_is_a_view_not_a_version(store, data):
    ds = _upload(store, _csv(data))
    store.rows(ds["id"], q="quick", sort="price")
    assert store.get(ds["id"])["version"] == 1
    assert len(store.versions(ds["id"])) == 1


PIECES = [
    "cafe", "Café", "CAFÉ", "cafe\u0301", "Zu\u0308rich", "zürich", "ZÜRICH", "straße", "STRASSE",
    "ﬁne", "İstanbul", "Ελλάδα", "ελλαδα", "Москва", "東京", "한국", "\u1112\u1161\u11ab", "ǅemal",
    "o'brien", "e-mail", "42", "4x4", "résumé", "RÉSUMÉ", "naïve", "ﬀ", "Ⅻ", "①", "x\u0301", "\u0301",
    "_", ".", ",", "-", "«", "»", "\u00a0", "\u3000", "\u2014", "\x00", "\t", "", "한가", "\u11a8",
    "ab\u1112", "\u1161",
]  # fmt: skip
GLUE = [" ", "", "-", "\x00", "\u00a0", "\u0301", "«", "/"]


def _tricky_value(rnd: random.Random) -> str | None:
    if rnd.random() < 0.1:
        return None
    return "".join(rnd.choice(PIECES) + rnd.choice(GLUE) for _ in range(rnd.randint(1, 5)))


@pytest.mark.parametrize("seed", range(2))
def test_the_scan_condition_is_the_exact_test_of_every_value(seed):
    # Given values of every kind of character: accents composed and not, folds into several
    # letters, boundaries outside ASCII, NUL, and queries of their own words
    rnd = random.Random(seed)
    rows = [(i, _tricky_value(rnd), _tricky_value(rnd), _tricky_value(rnd)) for i in range(400)]
    words = sorted({w for r in rows for v in r[1:] for w in textsearch.normalise_words([v or ""])[0]})
    queries = {rnd.choice(words) for _ in range(25)}
    queries |= {rnd.choice(words)[:2] + "*" for _ in range(10)}
    queries |= {f'"{rnd.choice(words)} {rnd.choice(words)}"' for _ in range(10)}
    queries |= {f"{rnd.choice(words)} {rnd.choice(words)}*" for _ in range(5)}
    # prefixes that end where the fold may join a letter with the next one (가 then ᆨ is 각)
    queries |= {"한가*", "ab\u1112*", "\u1112\u1161*"}
    for v in (r[1] for r in rows[:20]):
        found = textsearch.normalise_words([v or ""])[0]
        if len(found) > 1:
            queries.add('"' + " ".join(found[:2]) + '"')
    columns = ["a", "b", "c"]
    windows = 0
    with duckdb.connect() as con:
        con.execute("CREATE TABLE src (id INTEGER, a VARCHAR, b VARCHAR, c VARCHAR)")
        con.executemany("INSERT INTO src VALUES (?, ?, ?, ?)", rows)
        for q in sorted(queries):
            try:
                query = parse_query(q)
            except BadInput:
                continue
            # the definition: each clause's pattern on some column's normalised value (a NUL
            # ends a word, as a space does)
            exact = " AND ".join(
                "(" + " OR ".join(
                    f"regexp_matches(strip_accents(lower(replace({c}, chr(0), ' '))), "
                    f"{textsearch.quote_literal(cl.pattern())})" for c in columns
                ) + ")"
                for cl in query.clauses
            )  # fmt: skip
            # When the scan's condition selects rows, and the count of a query most rows match
            picked = [
                [r[0] for r in con.execute(f"SELECT id FROM src WHERE {where} ORDER BY id").fetchall()]
                for where in (exact, textsearch.scan_where(query, columns))
            ]
            dense = textsearch.dense_match_sql(query, columns, "src", keep=["id"])
            if dense is not None:
                windows += 1
                picked.append(
                    [
                        r[0]
                        for r in con.execute(
                            f"SELECT id FROM ({dense}) WHERE lg_match ORDER BY id"
                        ).fetchall()
                    ]
                )
            # Then they are the rows whose values hold every clause exactly
            assert picked[1:] == [picked[0]] * (len(picked) - 1), q
    assert windows > len(queries) // 3


def test_a_scan_first_tests_raw_values_for_every_form_that_folds_to_a_word():
    # Given every code point that lower-casing and accent stripping turn into another character
    folds = textsearch._fold_table()
    cases = [
        (chr(point) + "".join(chr(v) for v in folds.vanish[:3]), target)
        for target, points in folds.into.items()
        for point in points
        if target not in folds.unsure
    ]
    assert len(cases) > 1000
    # When each is tested, as it is, against the scan's first test for what it becomes
    con = duckdb.connect()
    missed = con.execute(
        "SELECT list(v) FROM (SELECT unnest(?::VARCHAR[]) AS v, unnest(?::VARCHAR[]) AS p) "
        "WHERE NOT regexp_matches(v, p)",
        [[v for v, _ in cases], [textsearch.raw_pattern(t) for _, t in cases]],
    ).fetchall()[0][0]
    con.close()
    # Then it passes (a necessary condition), so no matching value is left out of a scan
    assert missed is None and None not in [textsearch.raw_pattern(t) for _, t in cases]
    assert textsearch.raw_pattern("zurich") is not None
    # a character the fold itself changes cannot be told from the raw value: no first test
    assert textsearch.raw_pattern("É") is None


def test_decomposed_and_compatibility_forms_match_by_scan_and_by_index(store):
    # Given values with decomposed accents, compatibility signs, title-case digraphs and a
    # Hangul syllable written as its jamo
    values = [
        "Zu\u0308rich",
        "\u212bngstro\u0308m",
        "ÉLAN vital",
        "KELVIN \u212aelvin",
        "plain zurich",
        "ǅemal",
        "CAFE\u0301 noir",
        "cafeteria",
        "\u1112\u1161\u11ab\uad6d \uc5b4",
    ]
    rows = [{"id": i, "title": v, "body": None} for i, v in enumerate(values)]
    ds = _upload(store, "id,title\n" + "".join(f"{i},{v}\n" for i, v in enumerate(values)))
    queries = [
        "zurich",
        "angstrom",
        "élan",
        "kelvin",
        "angst*",
        "ZU\u0308R*",
        "ǆemal",
        "cafe",
        "caf*",
        "한국",
        "한국*",
        "어",
    ]
    for indexed in (False, True):
        for q in queries:
            # When searched, by scan and then by index
            ids, page = _all_ids(store, ds["id"], q)
            # Then the rows are the reference's
            assert (page["search"]["indexed"], ids) == (indexed, ref_ids(rows, q))
            assert ids, q
        _indexed(store, ds)


TYPED = (
    "id,word,x,flag,day,at,atz\n"
    "1,Zürich café,0.1,true,1969-12-31,2024-01-02 03:04:05.123456,2024-01-02T03:04:05+02:00\n"
    "2,,-0.0,,,,\n"
    '3,"zurich ""東京""\nline",1e-300,false,2024-02-29,1970-01-01 00:00:00,1969-12-31T23:59:59Z\n'
    "4,ZURICH,0.30000000000000004,true,0001-01-01,1900-06-30 12:00:00.5,2262-04-11T23:47:16Z\n"
    "5,other,1.7976931348623157e308,false,2024-01-01,2024-01-01 00:00:00,2024-01-01T00:00:00Z\n"
)


def test_a_page_of_matches_is_never_read_from_the_file_a_second_time(store, monkeypatch):
    # Given a dataset of every column type, with nulls, non-ASCII text and awkward numbers
    ds = _upload(store, TYPED)
    want = {r[0]: r for r in store.rows(ds["id"])["rows"]}

    def no_read(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the Parquet file was read for a page of matches")

    # When searches cannot fetch rows from the Parquet file by row number
    monkeypatch.setattr(searching, "read_rows", no_read)
    monkeypatch.setattr(searching, "_fetch_rows", no_read)
    for indexed in (False, True):
        for q in ("zurich", "zur*", '"zurich 東京"', "line", "other", "cafe", "nothing"):
            page = store.rows(ds["id"], q=q)
            # Then their rows (from the scan itself, or stored in the index) are those of the
            # file, value for value and type for type
            assert page["search"]["indexed"] is indexed
            assert page["rows"] == [want[i] for i in ref_ids_typed(q)]
            types = [[type(v) for v in r] for r in page["rows"]]
            assert types == [[type(v) for v in want[r[0]]] for r in page["rows"]]
        out = store.search_datasets("zurich", store.list_datasets(), rows=2)
        assert out["results"][0]["rows"]["rows"] == [want[1], want[3]]
        if indexed:
            # a sorted or filtered page of a few matches is sorted and filtered from the index too
            assert store.rows(ds["id"], q="zurich", sort="-x")["rows"] == [want[4], want[1], want[3]]
            flt = [{"column": "x", "cmp": "ge", "value": 0.2}]
            page = store.rows(ds["id"], q="zurich", filter=flt, sort="day")
            assert (page["rows"], page["total"]) == ([want[4]], 1)
            # and one of more matches, which DuckDB sorts and filters over those rows of the file
            with monkeypatch.context() as more:
                more.setattr(searching, "SEARCH_STORED_MAX", 0)
                more.setattr(searching, "SEARCH_TOP_MAX", 0)
                assert store.rows(ds["id"], q="zurich", sort="-x")["rows"] == [want[4], want[1], want[3]]
                page = store.rows(ds["id"], q="zurich", filter=flt, sort="day")
                assert (page["rows"], page["total"]) == ([want[4]], 1)
                page = store.rows(ds["id"], q="zurich", offset=1, limit=5)
                assert (page["rows"], page["total"]) == ([want[3], want[4]], 3)
                assert store.rows(ds["id"], q="zurich", sort="x", offset=5)["rows"] == []
        monkeypatch.undo()
        _indexed(store, ds)
        monkeypatch.setattr(searching, "read_rows", no_read)
        monkeypatch.setattr(searching, "_fetch_rows", no_read)


def ref_ids_typed(q: str) -> list[int]:
    words = {1: "Zürich café", 2: None, 3: 'zurich "東京"\nline', 4: "ZURICH", 5: "other"}
    rows = [{"id": i, "title": w, "body": None} for i, w in words.items()]
    return ref_ids(rows, q)


@pytest.mark.parametrize("source", ["order", "copy", "groups", "keys", "top-N", "key fields"])
def test_sorted_pages_of_many_matches_keep_every_type(tmp_path, monkeypatch, source):
    # Given a dataset of every column type, indexed, whose searches all count as many matches
    store = DatasetStore(StoreConfig(root=tmp_path / "store", page_top_window=2))
    try:
        ds = _upload(store, TYPED)
        _indexed(store, ds)
        monkeypatch.setattr(searching, "SEARCH_STORED_MAX", 0)
        monkeypatch.setattr(searching, "SEARCH_JOIN_MAX", 0)
        sorts = ["x", "-x", "day", "-at", "atz", "-flag", "word", "-id"]
        # the reference: each page from the stored order of the matches, the way before
        with monkeypatch.context() as before:
            before.setattr(store, "_prefix_page", lambda *args: None)
            before.setattr(store, "_keyed_page", lambda *args: None)
            want = {s: store.rows(ds["id"], q="zurich", sort=s)["rows"] for s in sorts}
        if source == "key fields":
            # (the index's sort key fields alone: no other way of sorting, no file read)
            for name in ("_prefix_page", "_grouped_page", "_ranked_page", "_joined_page", "_fetch"):
                monkeypatch.setattr(store, name, lambda *args: 1 / 0)
        else:
            _without_sort_keys(store, monkeypatch)
        read: list[str] = []
        run = store._copy_prefix

        def copy_prefix(*args: Any) -> Any:
            read.append("copy")
            return run(*args)

        monkeypatch.setattr(store, "_copy_prefix", copy_prefix)
        if source == "copy":
            monkeypatch.setattr(store, "_order_prefix", lambda *args: None)
        if source == "top-N":
            # a top-N of the rows, not of the sort's keys
            monkeypatch.setattr(store, "_top_rows", lambda *args: lambda k: None)
        if source == "groups":
            monkeypatch.setattr(store, "_top_rows", lambda *args: 1 / 0)
        else:
            monkeypatch.setattr(store, "_group_rows", lambda *args: None)
        for s in sorts:
            if source in ("order", "copy"):
                store.rows(ds["id"], sort=s)
                store._orders.settle()
            else:
                monkeypatch.setattr(store, "_build_order", lambda *args: None)
            # When the same pages come from the first rows of the whole sort (or from its places)
            page = store.rows(ds["id"], q="zurich", sort=s)
            # Then they hold the same values, of the same types, in the same order
            assert page["rows"] == want[s], s
            assert [[type(v) for v in r] for r in page["rows"]] == [[type(v) for v in r] for r in want[s]]
        assert read == (["copy"] * len(sorts) if source == "copy" else [])
        if source == "groups":
            # And pages of the matches sorted by their sort groups hold them too
            monkeypatch.setattr(searching, "SEARCH_JOIN_MAX", 200_000)
            monkeypatch.setattr(store, "_joined_page", lambda *args: 1 / 0)
            monkeypatch.setattr(store, "_ranked_page", lambda *args: 1 / 0)
            for s in sorts:
                page = store.rows(ds["id"], q="zurich", sort=s)
                assert page["rows"] == want[s], s
                assert [[type(v) for v in r] for r in page["rows"]] == [[type(v) for v in r] for r in want[s]]
    finally:
        store.close()


def test_pages_of_matches_are_read_from_the_file_when_the_index_stores_no_values(store, monkeypatch):
    # Given an index that holds no values (as for a column type without an exact stored form)
    ds = _upload(store, TYPED)
    want = {r[0]: r for r in store.rows(ds["id"])["rows"]}
    _indexed(store, ds)
    monkeypatch.setattr(OpenIndex, "stored_rows", lambda self, addresses, schema: None)
    monkeypatch.setattr(searching, "SEARCH_STORED_MAX", 0)
    monkeypatch.setattr(searching, "SEARCH_TOP_MAX", 0)
    # When pages of the matches are sorted, filtered or taken further in
    # Then their rows are read from the file
    assert store.rows(ds["id"], q="zurich", sort="-x")["rows"] == [want[4], want[1], want[3]]
    flt = [{"column": "x", "cmp": "ge", "value": 0.2}]
    assert store.rows(ds["id"], q="zurich", filter=flt, sort="day")["rows"] == [want[4]]
    assert store.rows(ds["id"], q="zurich", offset=1)["rows"] == [want[3], want[4]]


def test_the_stored_values_read_back_exactly(store):
    # Given every row of the test data, indexed
    ds = _upload(store, _csv(_rows()))
    _indexed(store, ds)
    plain = store.rows(ds["id"], limit=10_000)["rows"]
    for q in ("da*", "quick", '"sao paulo"', "москва"):
        # When searched, then each match is its row as the file has it
        page = store.rows(ds["id"], q=q, limit=10_000)
        assert page["rows"] == [plain[i] for i in ref_ids(_rows(), q)]


def test_a_file_with_a_type_without_a_stored_form_is_read_from_the_file(tmp_path):
    # Given a version file with a decimal column, which the index does not store
    path = tmp_path / "v.parquet"
    pq.write_table(
        pa.table(
            {"t": ["a zurich", None, "Zürich"], "d": pa.array([Decimal("1.50"), None, Decimal("2.25")])}
        ),
        path,
    )
    dest = tmp_path / "index"
    _build_child(str(path), ["t"], str(dest), str(tmp_path), "64MB", "1GB")
    # When its index is searched
    rows, stored, count = OpenIndex(dest).page_values(parse_query("zurich"), 0, 10, pq.read_schema(path))
    # Then it gives the row numbers only, for the store to read the rows from the file
    assert (rows, stored, count) == ([0, 2], None, 2)


# ---------------------------------------------------------------------- bad queries


@pytest.mark.parametrize(
    ("q", "says"),
    [
        ("x" * (MAX_QUERY_CHARS + 1), "at most"),
        ('"open phrase', "quote"),
        ("!!! ... ???", "at least one word"),
        ("a*", "at least 2"),
        ("e-ma*", "one word"),
        (" ".join(f"w{i}" for i in range(MAX_WORDS + 1)), f"at most {MAX_WORDS} words"),
    ],
)
def test_bad_queries_are_refused_with_a_clear_message(store, q, says):
    ds = _upload(store, "id,a\n1,x\n")
    with pytest.raises(BadInput) as e:
        store.rows(ds["id"], q=q)
    assert says in e.value.message
    assert e.value.status == 400


def test_the_parser_never_passes_syntax_through():
    # tantivy query syntax is only text here: no field, boolean or range operator survives
    parsed = parse_query("title:foo AND [a TO z] OR bar^2")
    assert [c.words for c in parsed.clauses] == [
        ("title", "foo"),
        ("and",),
        ("a",),
        ("to",),
        ("z",),
        ("or",),
        ("bar", "2"),
    ]


# ---------------------------------------------------------------------- the index's files


def test_the_index_lives_beside_its_version_and_goes_with_it(store, data):
    ds = _upload(store, _csv(data))
    _indexed(store, ds)
    folder = index_dir(store.version_file(ds["id"]))
    assert folder.parent == store.version_file(ds["id"]).parent
    # a new version has its own index; the old one stays with the old file
    store.apply_step(ds["id"], {"op": "drop_columns", "columns": ["price"]}, user="ada")
    _indexed(store, store.get(ds["id"]))
    v2 = index_dir(store.version_file(ds["id"]))
    assert v2 != folder and v2.is_dir() and folder.is_dir()
    assert _all_ids(store, ds["id"], "quick", version=1)[0] == ref_ids(data, "quick")
    # deleting the dataset removes every index with its versions
    store.delete(ds["id"])
    assert not folder.exists() and not v2.exists()
    assert not (store.datasets_dir / ds["id"]).exists()


def test_sweep_keeps_the_index_of_a_known_file_and_removes_any_other(store, data):
    ds = _upload(store, _csv(data))
    _indexed(store, ds)
    folder = index_dir(store.version_file(ds["id"]))
    orphan = folder.with_name("0" * 32 + folder.suffix)
    old_format = folder.with_name(folder.stem + ".search0")
    for extra in (orphan, old_format):
        extra.mkdir()
    store.sweep()
    assert folder.is_dir()
    assert not orphan.exists() and not old_format.exists()
    assert _all_ids(store, ds["id"], "quick")[1]["search"]["indexed"] is True


def test_a_build_for_a_deleted_dataset_leaves_nothing(store, data):
    ds = _upload(store, _csv(data))
    path = store.version_file(ds["id"])
    store.delete(ds["id"])
    future = store.search_indexes.build(path)
    assert future is not None and future.result() is False
    assert not (store.datasets_dir / ds["id"]).exists()
    assert list(store.work_dir.iterdir()) == []


# ---------------------------------------------------------------------- every dataset


def test_search_everything_finds_names_columns_and_values_grouped_by_dataset(store):
    a = _upload(store, "id,Ville,note\n1,Zürich,quiet\n2,Oslo,busy\n", name="Städte")
    b = _upload(store, "id,city\n1,zurich hbf\n", name="stations")
    _upload(store, "id,x\n1,2\n", name="numbers")
    out = store.search_datasets("zurich", store.list_datasets())
    got = {r["dataset"]["id"]: r for r in out["results"]}
    assert set(got) == {a["id"], b["id"]}
    assert got[a["id"]]["rows"]["rows"] == [[1, "Zürich", "quiet"]] and got[a["id"]]["rows"]["total"] == 1
    assert got[b["id"]]["rows"]["total"] == 1
    by_name = store.search_datasets("stadte", store.list_datasets())["results"]
    assert [(r["dataset"]["id"], r["name"], r["rows"]["total"]) for r in by_name] == [(a["id"], True, 0)]
    by_column = store.search_datasets("vil*", store.list_datasets())["results"]
    assert [(r["dataset"]["id"], r["columns"]) for r in by_column] == [(a["id"], ["Ville"])]


def test_a_big_dataset_without_an_index_is_pending_not_scanned(store, data, monkeypatch):
    monkeypatch.setattr(searching, "SEARCH_SCAN_ROWS", 10)
    ds = _upload(store, _csv(data))
    out = store.search_datasets("quick", store.list_datasets())
    assert out["pending"] == [{"id": ds["id"], "name": "texts", "owner": "ada"}]
    assert out["results"] == []
    store.search_indexes.settle()
    out = store.search_datasets("quick", store.list_datasets())
    assert out["pending"] == []
    assert out["results"][0]["rows"]["total"] == len(ref_ids(data, "quick"))


def test_search_everything_bounds_the_rows_it_shows(store, data):
    _upload(store, _csv(data))
    with pytest.raises(BadInput):
        store.search_datasets("quick", store.list_datasets(), rows=searching.SEARCH_MAX_ROWS + 1)
    out = store.search_datasets("quick", store.list_datasets(), rows=3)
    assert len(out["results"][0]["rows"]["rows"]) == 3


def test_another_users_dataset_never_appears(store):
    guarded = GuardedStore(store)
    ada, bo, cy = Principal("ada"), Principal("bo"), Principal("cy", frozenset({"team"}))
    mine = _upload(store, "id,t\n1,secret plan\n", name="secret plan", owner="ada")
    theirs = _upload(store, "id,t\n1,secret plan\n", name="secret plan", owner="bo")
    ids = lambda p: {r["dataset"]["id"] for r in guarded.search(p, "secret")["results"]}  # noqa: E731
    assert ids(ada) == {mine["id"]}
    assert ids(bo) == {theirs["id"]}
    assert ids(cy) == set()
    guarded.share(ada, mine["id"], "group", "team", "viewer")
    assert ids(cy) == {mine["id"]}
    assert ids(Principal("root", is_admin=True)) == {mine["id"], theirs["id"]}


@pytest.mark.parametrize("batch", [8192, 1])
def test_sort_groups_are_written_for_each_column_duckdb_can_sort(tmp_path, monkeypatch, batch):
    # Given a version file, and a schema that names one column more than the file holds (its
    # groups taken from DuckDB in one batch or a row at a time)
    monkeypatch.setattr(textsearch, "BUILD_BATCH", batch)
    monkeypatch.setattr(textsearch, "SORT_FIRST_ROWS", 3)
    path = tmp_path / "v.parquet"
    pq.write_table(
        pa.table({"n": [3, None, 3, -1], "s": ["b", "a", None, "b"], "l": [[1], [2], [], None]}), path
    )
    schema = pq.read_schema(path).append(pa.field("gone", pa.int64()))
    con = duckdb.connect()
    try:
        # When the sort groups are written
        textsearch.write_sort_groups(con, str(path), schema, tmp_path / "sorts")
    finally:
        con.close()
    about = json.loads((tmp_path / "sorts" / "sorts.json").read_text())["columns"]
    # Then the columns that can be sorted have them, nulls last; a list has none, and a column
    # DuckDB cannot sort (here: not there) is left out without failing the rest
    assert sorted(about) == ["n", "s"]
    assert np.load(tmp_path / "sorts" / about["n"]["file"]).tolist() == [1, 2, 1, 0]
    assert about["n"]["nulls"] == 2
    assert np.load(tmp_path / "sorts" / about["s"]["file"]).tolist() == [1, 0, 2, 1]
    assert about["s"]["nulls"] == 2
    # and the first rows of each sort, ascending then descending (nulls last, ties in file
    # order), as many as SORT_FIRST_ROWS
    assert np.load(tmp_path / "sorts" / about["n"]["first"]).tolist() == [[3, 0, 2], [0, 2, 3]]
    assert np.load(tmp_path / "sorts" / about["s"]["first"]).tolist() == [[1, 0, 3], [0, 3, 1]]


@pytest.mark.parametrize("room", ["1GB", "1KB"])
def test_the_sorts_of_an_index_build_spill_within_the_temp_limit(tmp_path, room):
    # Given a version file whose text column takes more memory to sort than its build may use
    path = tmp_path / "v.parquet"
    rnd = random.Random(3)
    words = [f"{rnd.getrandbits(256):064x} zurich" for _ in range(200_000)]
    pq.write_table(pa.table({"t": words, "n": list(range(len(words)))}), path)
    dest = tmp_path / "index"
    # When its index is built with room for spill files, or with almost none
    _build_child(str(path), ["t"], str(dest), str(tmp_path), "32MB", room)
    about = json.loads((dest / textsearch.SORTS / "sorts.json").read_text())["columns"]
    # Then the sort spills into that room, or stops at its end; the index is built either way
    assert ("t" in about) is (room == "1GB")
    assert "n" in about
    index = OpenIndex(dest)
    assert index.count(parse_query("zurich")) == len(words)
    # and each column with groups has its sort key fields
    assert (index.sort_key("t", True) is not None) is (room == "1GB")
    assert index.sort_key("n", False) is not None
    if room == "1GB":
        groups = np.load(dest / textsearch.SORTS / about["t"]["file"])
        assert groups.tolist() == np.argsort(np.argsort(np.array(words))).tolist()


@pytest.mark.parametrize("seed", range(3))
def test_the_sort_keys_are_each_rows_place_in_the_sort(tmp_path, seed):
    # Given a version file with a column of a few values, some of them null, then as many more
    # columns as have sort keys, and their sort groups
    rnd = random.Random(seed)
    values = [rnd.choice([None, -2, 0, 0, 5, 9]) for _ in range(200)]
    path = tmp_path / "v.parquet"
    more = {f"c{i}": list(range(200)) for i in range(textsearch.SORT_KEY_COLUMNS)}
    pq.write_table(pa.table({"n": pa.array(values, pa.int64()), **more}), path)
    con = duckdb.connect()
    try:
        textsearch.write_sort_groups(con, str(path), pq.read_schema(path), tmp_path / "sorts")
    finally:
        con.close()
    # When its sort keys are written
    keys = textsearch.write_sort_keys(tmp_path / "sorts", tmp_path)
    about = json.loads((tmp_path / "sorts" / "sorts.json").read_text())["columns"]
    asc, desc = about["n"]["keys"]
    # (for the first SORT_KEY_COLUMNS columns: the others' sorts are answered by their groups)
    keyed = ["n", *more][: textsearch.SORT_KEY_COLUMNS]
    assert [c for c, e in about.items() if "keys" in e] == keyed
    assert sorted(keys) == sorted(k for c in keyed for k in about[c]["keys"])
    # Then each row's key is its place in the sort that way: nulls last either way, ties in
    # file order
    for field, descending in ((asc, False), (desc, True)):
        present = [i for i, v in enumerate(values) if v is not None]
        present.sort(key=lambda i: -values[i] if descending else values[i])
        order = present + [i for i, v in enumerate(values) if v is None]
        assert np.argsort(keys[field]).tolist() == order, descending


def test_sort_keys_that_cannot_be_written_leave_the_groups_and_the_index(tmp_path, monkeypatch):
    # Given a version file, and sort keys that cannot be written (no room, no memory)
    path = tmp_path / "v.parquet"
    pq.write_table(pa.table({"t": ["a b", "c", "a"], "n": [3, 1, 2]}), path)

    def full(*args: Any) -> Any:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(textsearch, "write_sort_keys", full)
    # When its index is built
    dest = tmp_path / "index"
    _build_child(str(path), ["t"], str(dest), str(tmp_path), "64MB", "1GB")
    # Then it is, with the sort groups and without sort keys: a sort is answered by the groups
    index = OpenIndex(dest)
    assert index.count(parse_query("a")) == 2
    assert index.sort_groups("n") is not None
    assert index.sort_key("n", False) is None and index.sort_key("n", True) is None


def test_sort_files_that_do_not_read_as_written_are_left_out(tmp_path):
    # Given an index whose sorts.json lost a column's nulls' group, and names the groups of
    # another as its first rows and one field as its sort keys
    path = tmp_path / "v.parquet"
    pq.write_table(pa.table({"t": ["a b", "c", "a"], "n": [3, 1, 2]}), path)
    dest = tmp_path / "index"
    _build_child(str(path), ["t"], str(dest), str(tmp_path), "64MB", "1GB")
    sorts = dest / textsearch.SORTS / "sorts.json"
    about = json.loads(sorts.read_text())
    del about["columns"]["n"]["nulls"]
    about["columns"]["t"]["first"] = about["columns"]["t"]["file"]
    about["columns"]["t"]["keys"] = about["columns"]["t"]["keys"][:1]
    sorts.write_text(json.dumps(about))
    # When they are asked for, then what does not read as written is none, the rest as before
    index = OpenIndex(dest)
    assert index.sort_groups("n") is None and index.sort_first_rows("n", False) is None
    assert index.sort_key("n", False) is None and index.sort_key("t", False) is None
    assert index.sort_groups("t") is not None and index.sort_first_rows("t", True) is None
    # And a file that names no columns gives none at all
    sorts.write_text(json.dumps({"columns": [1]}))
    assert OpenIndex(dest).sort_groups("t") is None


def test_sort_groups_that_cannot_be_written_leave_none_and_no_half(tmp_path, monkeypatch):
    # Given a version file, and a disk that fills while its sort groups are written
    path = tmp_path / "v.parquet"
    pq.write_table(pa.table({"n": [3, 1, 2], "s": ["b", "a", "c"]}), path)
    real = np.save
    calls: list[int] = []

    def full(*args: Any, **kwargs: Any) -> None:
        calls.append(1)
        if len(calls) > 1:
            raise OSError(28, "No space left on device")
        real(*args, **kwargs)

    monkeypatch.setattr(textsearch.np, "save", full)
    con = duckdb.connect()
    try:
        # When they are written
        written = textsearch.write_sort_groups_or_none(
            con, str(path), pq.read_schema(path), tmp_path / "sorts"
        )
    finally:
        con.close()
    # Then none is kept, not the first column's alone, and the build goes on
    assert written is False
    assert not (tmp_path / "sorts").exists()


def test_a_dense_sorted_search_takes_its_first_pages_from_the_first_rows_of_the_sort(
    store, data, monkeypatch
):
    # Given an indexed dataset, and a search that most rows match, so that the first rows of
    # its sort (as the index build wrote them) hold its first pages
    ds = _upload(store, _csv(data))
    _indexed(store, ds)
    q = "da*"
    want = _sorted_ref(data, ref_ids(data, q), "-price")
    assert len(want) > len(data) // 3
    # (looking among half as many rows as it has matches: the first pages' rows)
    monkeypatch.setattr(searching, "KEYED_ROW_COST", 2)
    index = store.search_indexes.get(store.version_file(ds["id"]))
    ways: list[str] = []
    among, ordered = index.hits_among, index.sorted_page_values
    monkeypatch.setattr(index, "hits_among", lambda *args: ways.append("first rows") or among(*args))
    monkeypatch.setattr(index, "sorted_page_values", lambda *args: ways.append("keys") or ordered(*args))
    for name in ("_prefix_page", "_grouped_page", "_ranked_page", "_joined_page", "_page_connection"):
        monkeypatch.setattr(store, name, lambda *args: 1 / 0)
    # When its pages are asked sorted
    got = _pages(store, ds["id"], q, "-price", 13, len(want))
    # Then they join up into the sorted matches, the first from the first rows of the sort, the
    # ones further in by the sort key field
    assert got == want
    assert ways[0] == "first rows" and "keys" in ways
