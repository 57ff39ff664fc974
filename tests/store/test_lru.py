"""The store's one bounded LRU map (chart results, kept answers, Parquet footers)."""

from __future__ import annotations

from livegraphs_ext.store.lru import Lru


def test_the_least_recently_used_go_first_by_count() -> None:
    lru: Lru[str] = Lru(2)
    lru.put("a", "A")
    lru.put("b", "B")
    assert lru.get("a") == "A"  # a is now the most recent
    lru.put("c", "C")
    assert lru.get("b") is None and lru.get("a") == "A" and lru.get("c") == "C"
    assert len(lru) == 2


def test_a_weighed_bound_counts_each_value_once_and_keeps_nothing_heavier() -> None:
    lru: Lru[bytes] = Lru(10, len)
    lru.put("a", b"123456")
    lru.put("a", b"1234")  # the same key again: its old weight goes
    lru.put("b", b"12345")
    assert lru.get("a") == b"1234" and lru.get("b") == b"12345"
    lru.put("c", b"x" * 11)  # heavier than the bound: not kept, nothing dropped for it
    assert lru.get("c") is None and len(lru) == 2
    lru.put("d", b"123")  # 4 + 5 + 3 > 10: the least recently used (a) goes
    assert lru.get("a") is None and lru.get("b") == b"12345" and lru.get("d") == b"123"
    lru.clear()
    assert len(lru) == 0
    lru.put("e", b"1234567890")
    assert lru.get("e") == b"1234567890"


def test_a_zero_bound_keeps_nothing() -> None:
    lru: Lru[bytes] = Lru(0, len)
    lru.put("a", b"")
    lru.put("b", b"1")
    assert lru.get("b") is None
