"""The admin pages' engagement figures, computed by the chart engine from plain facts."""

from __future__ import annotations

import datetime as dt

from livegraphs_ext.service.admin import figures

UTC = dt.timezone.utc


def test_activity_figures_fill_every_day_and_rank_datasets() -> None:
    until = dt.datetime(2026, 3, 10, 15, tzinfo=UTC)
    since = dt.datetime(2026, 3, 4, tzinfo=UTC)
    t = dt.datetime(2026, 3, 9, 12, tzinfo=UTC)
    events = [
        (t, "ann", "upload", "a (ann)"),
        (t, "ann", "chart_view", "a (ann)"),
        (t, "ben", "upload", "b (ben)"),
        (t + dt.timedelta(days=1), "ann", "login", None),
        (t + dt.timedelta(days=1), "ann", "export", "a (ann)"),
    ]
    active, uploads, top = figures.activity(events, since, until)
    assert active["data"]["x"] == [f"2026-03-{d:02d}" for d in range(4, 11)]
    assert active["data"]["y"] == [0, 0, 0, 0, 0, 2, 1]
    assert uploads["data"]["y"] == [0, 0, 0, 0, 0, 2, 0]
    assert top["data"] == {"x": ["a (ann)", "b (ben)"], "y": [3, 1]}
    assert [f["name"] for f in top["fields"]] == ["x", "y"] and top["mark"] == "bar"


def test_storage_per_user_and_team() -> None:
    datasets = [{"owner": "ann", "size": 100}, {"owner": "ann", "size": 50}, {"owner": "ben", "size": 400}]
    per_user, per_team = figures.storage(datasets, {"red": ["ann", "ben"], "blue": ["ann"], "empty": []})
    assert per_user["data"] == {"x": ["ben", "ann"], "y": [400, 150]}
    assert per_team["data"] == {"x": ["red", "blue"], "y": [550, 150]}


def test_nothing_to_show() -> None:
    now = dt.datetime(2026, 3, 10, tzinfo=UTC)
    active, uploads, top = figures.activity([], now - dt.timedelta(days=2), now)
    assert active["data"]["y"] == uploads["data"]["y"] == [0, 0, 0] and top["data"] == {"x": [], "y": []}
    per_user, per_team = figures.storage([], {})
    assert per_user["data"] == {"x": [], "y": []} and per_team["data"] == {"x": [], "y": []}
