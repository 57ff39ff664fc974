"""The room tests' check for lost updates finds a lost insert and a lost deletion."""

from __future__ import annotations

from pycrdt import Doc, Map, TransactionEvent

from livegraphs_ext.documents.dashboard import YDashboard

from .roomclient import missing_from


def edits() -> tuple[Doc, list[bytes]]:
    """A replica and the updates of its edits, in order: set a title, add a chart, delete it."""
    doc = YDashboard()
    updates: list[bytes] = []

    def record(event: TransactionEvent) -> None:
        updates.append(event.update)

    doc.ydoc.observe(record)
    doc.ymeta["title"] = "Sales"
    doc.ycharts["c1"] = Map(
        {"spec": Map({"version": 1.0}), "layout": Map({"x": 0.0, "y": 0.0, "w": 6.0, "h": 4.0})}
    )
    del doc.ycharts["c1"]
    return doc.ydoc, updates


def replay(updates: list[bytes]) -> Doc:
    doc: Doc = Doc()
    for update in updates:
        doc.apply_update(update)
    return doc


def test_a_replica_that_holds_every_update_misses_nothing() -> None:
    doc, updates = edits()
    assert missing_from(replay(updates), [updates[:1], updates]) == []
    assert missing_from(doc, [updates]) == []


def test_a_lost_update_is_found() -> None:
    _, updates = edits()
    assert missing_from(replay(updates[:1]), [updates[:2]]) != []


def test_a_lost_deletion_is_found() -> None:
    _, updates = edits()
    missing = missing_from(replay(updates[:2]), [updates])
    assert missing and "changes the content" in missing[-1]
