"""Comment threads on shared documents' charts, in the catalog: who may do what, limits, events.

On SQLite and on real PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from livegraphs_ext.store import (
    BadInput,
    Conflict,
    DatasetStore,
    EventLog,
    Forbidden,
    GuardedStore,
    NotFound,
    Principal,
    StoreConfig,
)
from livegraphs_ext.store.comments import CommentRow, CommentStore, CommentThreadRow
from livegraphs_ext.store.errors import TooLarge

ADA = Principal("ada")  # owner
ED = Principal("ed")  # editor
VIC = Principal("vic")  # viewer
CY = Principal("cy", frozenset({"analysts"}))  # viewer through a group
NOBODY = Principal("nobody")
ROOT = Principal("root", is_admin=True)

DASHBOARD: dict[str, Any] = {
    "version": 1,
    "title": "Sales",
    "crossfilter": False,
    "filters": [],
    "charts": {
        "c1": {"spec": {"version": 1, "encoding": {}}, "layout": {"x": 0, "y": 0, "w": 6, "h": 4}},
        "c2": {"spec": {"version": 1, "encoding": {}}, "layout": {"x": 6, "y": 0, "w": 6, "h": 4}},
    },
}


@pytest.fixture(params=["sqlite", "postgresql"])
def lg_guarded(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GuardedStore]:
    url = request.getfixturevalue("lg_postgres_url") if request.param == "postgresql" else None
    store = DatasetStore(StoreConfig(root=tmp_path / "store", catalog_url=url))
    yield GuardedStore(store)
    store.close()


@pytest.fixture
def comments(lg_guarded: GuardedStore) -> CommentStore:
    return lg_guarded.comments


@pytest.fixture
def board(lg_guarded: GuardedStore) -> str:
    docs = lg_guarded.documents
    d = docs.create(ADA, "dashboard", content=DASHBOARD)
    docs.share(ADA, d["id"], "user", "ed", "editor")
    docs.share(ADA, d["id"], "user", "vic", "viewer")
    docs.share(ADA, d["id"], "group", "analysts", "viewer")
    return str(d["id"])


def events(g: GuardedStore, action: str) -> list[dict[str, Any]]:
    return EventLog(g.catalog).list(action=[action])["events"]


def test_a_viewer_starts_an_anchored_thread_that_everyone_with_access_sees(
    comments: CommentStore, board: str
):
    # When
    t = comments.create(VIC, board, "c1", "This spike in July?", {"x": "2024-07-01", "y": 912.5})
    # Then
    assert len(t["id"]) == 32
    assert t["chart"] == "c1" and t["anchor"] == {"x": "2024-07-01", "y": 912.5}
    assert t["resolved"] is False and t["resolved_by"] is None and t["created_by"] == "vic"
    [c] = t["comments"]
    assert c["author"] == "vic" and c["text"] == "This spike in July?" and c["edited"] is None
    for who in (ADA, ED, VIC, CY, ROOT):
        [seen] = comments.threads(who, board)
        assert seen["id"] == t["id"] and seen["comments"][0]["text"] == "This spike in July?"
    assert comments.threads(ADA, board, "c2") == []
    assert [x["id"] for x in comments.threads(ADA, board, "c1")] == [t["id"]]


def test_replies_keep_their_order_and_edits_are_marked(comments: CommentStore, board: str):
    t = comments.create(ADA, board, "c1", "first")
    comments.reply(VIC, board, t["id"], "second")
    t = comments.reply(CY, board, t["id"], "third")
    assert [(c["author"], c["text"]) for c in t["comments"]] == [
        ("ada", "first"),
        ("vic", "second"),
        ("cy", "third"),
    ]
    # When the viewer edits their reply
    t = comments.edit(VIC, board, t["id"], t["comments"][1]["id"], "  second, edited \n")
    # Then
    assert t["comments"][1]["text"] == "second, edited" and t["comments"][1]["edited"] is not None
    assert t["comments"][0]["edited"] is None


def test_no_access_is_not_found_everywhere(comments: CommentStore, board: str):
    t = comments.create(ADA, board, "c1", "hello")
    c = t["comments"][0]["id"]
    calls = [
        lambda: comments.threads(NOBODY, board),
        lambda: comments.create(NOBODY, board, "c1", "hi"),
        lambda: comments.reply(NOBODY, board, t["id"], "hi"),
        lambda: comments.resolve(NOBODY, board, t["id"], True),
        lambda: comments.edit(NOBODY, board, t["id"], c, "hi"),
        lambda: comments.delete(NOBODY, board, t["id"], c),
        lambda: comments.threads(ADA, "0" * 32),
    ]
    for call in calls:
        with pytest.raises(NotFound):
            call()
    assert comments.threads(ADA, board)[0]["comments"][0]["text"] == "hello"


def test_who_may_resolve_and_reopen(comments: CommentStore, board: str):
    mine = comments.create(VIC, board, "c1", "viewer's thread")
    theirs = comments.create(ADA, board, "c2", "owner's thread")
    # A viewer may not resolve another's thread, nor may a viewer of a group
    for who in (VIC, CY):
        with pytest.raises(Forbidden):
            comments.resolve(who, board, theirs["id"], True)
    assert comments.threads(ADA, board, "c2")[0]["resolved"] is False
    assert theirs["can_resolve"] is True
    assert comments.threads(VIC, board, "c2")[0]["can_resolve"] is False
    # The viewer resolves and reopens their own; the editor resolves any
    t = comments.resolve(VIC, board, mine["id"], True)
    assert t["resolved"] is True and t["resolved_by"] == "vic" and t["resolved_at"] is not None
    t = comments.resolve(VIC, board, mine["id"], False)
    assert t["resolved"] is False and t["resolved_by"] is None and t["resolved_at"] is None
    t = comments.resolve(ED, board, theirs["id"], True)
    assert t["resolved"] is True and t["resolved_by"] == "ed"
    assert comments.resolve(ROOT, board, theirs["id"], False)["resolved"] is False
    with pytest.raises(BadInput):
        comments.resolve(ADA, board, mine["id"], "yes")


def test_only_the_author_edits_and_the_author_or_owner_deletes(comments: CommentStore, board: str):
    t = comments.create(ED, board, "c1", "editor's")
    t = comments.reply(VIC, board, t["id"], "viewer's")
    first, reply = (c["id"] for c in t["comments"])
    for who in (ADA, ED, CY, ROOT):
        with pytest.raises(Forbidden):
            comments.edit(who, board, t["id"], reply, "changed")
    with pytest.raises(Forbidden):  # an editor is not the owner: no deleting others' comments
        comments.delete(ED, board, t["id"], reply)
    with pytest.raises(Forbidden):
        comments.delete(CY, board, t["id"], reply)
    assert [c["can_edit"] for c in comments.threads(VIC, board)[0]["comments"]] == [False, True]
    assert [c["can_delete"] for c in comments.threads(ADA, board)[0]["comments"]] == [True, True]
    # the owner deletes the reply; the thread stays
    left = comments.delete(ADA, board, t["id"], reply)
    assert left is not None and [c["id"] for c in left["comments"]] == [first]
    # When the author deletes the first comment, the thread goes with it
    assert comments.delete(ED, board, t["id"], first) is None
    assert comments.threads(ADA, board) == []
    with pytest.raises(NotFound):
        comments.reply(ADA, board, t["id"], "too late")


@pytest.mark.parametrize(
    ("chart", "anchor", "text", "error"),
    [
        ("c1", None, "", BadInput),
        ("c1", None, "   \n ", BadInput),
        ("c1", None, 5, BadInput),
        ("c1", None, "a\x00b", BadInput),
        ("c1", None, "x" * 10_001, TooLarge),
        ("", None, "hi", BadInput),  # a dashboard's thread names its chart
        ("c9", None, "hi", NotFound),
        ("c/1", None, "hi", BadInput),
        (7, None, "hi", BadInput),
        ("c1", {"y": 1}, "hi", BadInput),
        ("c1", {"x": 1, "z": 2}, "hi", BadInput),
        ("c1", {"x": float("nan")}, "hi", BadInput),
        ("c1", {"x": "x" * 201}, "hi", BadInput),
        ("c1", {"x": [1, 2]}, "hi", BadInput),
        ("c1", {"x": 1, "label": 3}, "hi", BadInput),
        ("c1", [1], "hi", BadInput),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    lg_guarded: GuardedStore,
    comments: CommentStore,
    board: str,
    chart: Any,
    anchor: Any,
    text: Any,
    error: type,
):
    with pytest.raises(error):
        comments.create(VIC, board, chart, text, anchor)
    assert comments.threads(ADA, board) == []
    assert events(lg_guarded, "comment_create") == []


def test_the_longest_comment_is_taken(comments: CommentStore, board: str):
    t = comments.create(VIC, board, "c1", "y" * 10_000, {"x": 3, "label": "July"})
    assert len(t["comments"][0]["text"]) == 10_000 and t["anchor"] == {"x": 3, "label": "July"}
    with pytest.raises(TooLarge):
        comments.reply(VIC, board, t["id"], "z" * 10_001)
    with pytest.raises(TooLarge):
        comments.edit(VIC, board, t["id"], t["comments"][0]["id"], "z" * 10_001)


def test_a_chart_document_takes_threads_on_its_one_chart(lg_guarded: GuardedStore, comments: CommentStore):
    chart = lg_guarded.documents.create(ADA, "chart", "Revenue")["id"]
    t = comments.create(ADA, chart, "", "on the chart", {"x": 1})
    assert t["chart"] == ""
    with pytest.raises(BadInput):
        comments.create(ADA, chart, "c1", "a chart has no chart ids")


def test_limits_of_threads_and_comments(comments: CommentStore, board: str):
    comments.max_threads, comments.max_comments = 2, 3
    t = comments.create(VIC, board, "c1", "one")
    comments.create(VIC, board, "c2", "two")
    with pytest.raises(Conflict):
        comments.create(VIC, board, "c1", "three")
    comments.reply(ADA, board, t["id"], "2")
    comments.reply(ADA, board, t["id"], "3")
    with pytest.raises(Conflict):
        comments.reply(ADA, board, t["id"], "4")
    assert len(comments.threads(ADA, board)) == 2
    assert len(comments.threads(ADA, board, "c1")[0]["comments"]) == 3


def test_threads_of_a_thread_id_of_another_document_are_not_found(
    lg_guarded: GuardedStore, comments: CommentStore, board: str
):
    other = lg_guarded.documents.create(VIC, "chart", "Vic's")["id"]
    t = comments.create(VIC, other, "", "on vic's chart")
    # vic reads both documents, but the thread is not the board's
    with pytest.raises(NotFound):
        comments.reply(VIC, board, t["id"], "wrong document")
    with pytest.raises(NotFound):
        comments.resolve(ADA, board, t["id"], True)


def test_changes_are_logged_and_told_to_listeners(
    lg_guarded: GuardedStore, comments: CommentStore, board: str
):
    told: list[str] = []
    unsubscribe = comments.on_change(told.append)
    t = comments.create(VIC, board, "c1", "hi")
    t = comments.reply(ED, board, t["id"], "reply")
    comments.edit(ED, board, t["id"], t["comments"][1]["id"], "edited")
    comments.resolve(ED, board, t["id"], True)
    comments.resolve(ED, board, t["id"], True)  # no change: nothing told, nothing logged
    comments.resolve(VIC, board, t["id"], False)
    comments.delete(ED, board, t["id"], t["comments"][1]["id"])
    assert told == [board] * 6
    for action, who in [
        ("comment_create", "vic"),
        ("comment_reply", "ed"),
        ("comment_edit", "ed"),
        ("comment_resolve", "ed"),
        ("comment_reopen", "vic"),
        ("comment_delete", "ed"),
    ]:
        [e] = events(lg_guarded, action)
        assert (
            e["user"] == who and e["detail"]["document_id"] == board and e["detail"]["thread_id"] == t["id"]
        )
        assert "text" not in e["detail"]
    unsubscribe()
    comments.reply(ADA, board, t["id"], "unheard")
    assert len(told) == 6


def test_deleting_the_document_deletes_its_comments(
    lg_guarded: GuardedStore, comments: CommentStore, board: str
):
    t = comments.create(VIC, board, "c1", "hi")
    comments.reply(ADA, board, t["id"], "there")
    lg_guarded.documents.delete(ADA, board)
    with lg_guarded.catalog.transaction() as s:
        assert s.query(CommentThreadRow).count() == 0
        assert s.query(CommentRow).count() == 0


def test_losing_access_hides_the_comments_one_wrote(
    lg_guarded: GuardedStore, comments: CommentStore, board: str
):
    t = comments.create(VIC, board, "c1", "hi")
    lg_guarded.documents.unshare(ADA, board, "user", "vic")
    with pytest.raises(NotFound):
        comments.threads(VIC, board)
    with pytest.raises(NotFound):
        comments.edit(VIC, board, t["id"], t["comments"][0]["id"], "still mine?")
    assert comments.threads(ADA, board)[0]["created_by"] == "vic"
