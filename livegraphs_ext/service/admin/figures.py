"""The engagement figures of the admin pages, as chart results in the shape of ``docs/charts.md``.

Each figure is ``{"key", "title", "mark", "fields", "data"}``: ``fields`` names the channels and
``data`` holds one column per field, so the page draws them with the same Plotly renderer logic as
any livegraphs chart. Pure functions over plain rows; no tornado, no hub.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def _days(since: dt.datetime, until: dt.datetime) -> list[dt.date]:
    first, last = since.astimezone(dt.timezone.utc).date(), until.astimezone(dt.timezone.utc).date()
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def figure(
    key: str, title: str, mark: str, x: tuple[str, str, list[Any]], y: tuple[str, str, list[Any]]
) -> dict[str, Any]:
    """A chart result with an ``x`` and a ``y`` field (``(column title, type, values)`` each)."""
    return {
        "key": key,
        "title": title,
        "mark": mark,
        "fields": [
            {"name": "x", "channel": "x", "column": x[0], "type": x[1]},
            {"name": "y", "channel": "y", "column": y[0], "type": y[1], "aggregate": "sum"},
        ],
        "data": {"x": x[2], "y": y[2]},
        "marks": len(x[2]),
    }


def daily(
    key: str, title: str, measure: str, per_day: Mapping[dt.date, int], since: dt.datetime, until: dt.datetime
) -> dict[str, Any]:
    """A line over every day of the range, zero on days with nothing."""
    days = _days(since, until)
    return figure(
        key, title, "line", ("day", "date", [d.isoformat() for d in days]),
        (measure, "integer", [int(per_day.get(d, 0)) for d in days]),
    )  # fmt: skip


def count_per_day(times: Iterable[dt.datetime], users: Iterable[str] | None = None) -> dict[dt.date, int]:
    """Events per UTC day, or distinct users per day when ``users`` runs beside ``times``."""
    if users is None:
        return dict(Counter(_utc(t).date() for t in times))
    seen: dict[dt.date, set[str]] = defaultdict(set)
    for t, u in zip(times, users, strict=True):
        seen[_utc(t).date()].add(u)
    return {d: len(s) for d, s in seen.items()}


def _utc(t: dt.datetime) -> dt.datetime:
    return (t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)).astimezone(dt.timezone.utc)


def top_datasets(datasets: Sequence[Mapping[str, Any]], n: int = 10) -> dict[str, Any]:
    """The busiest datasets (events of any kind in the range), most used first."""
    top = sorted(datasets, key=lambda d: (-int(d["events"]), str(d.get("name") or "")))[:n]
    labels = [f"{d.get('name') or d['dataset_id']} ({d.get('owner') or '?'})" for d in top]
    return figure(
        "top_datasets", "Most used datasets", "bar", ("dataset", "string", labels),
        ("events", "integer", [int(d["events"]) for d in top]),
    )  # fmt: skip


def storage(
    datasets: Sequence[Mapping[str, Any]], members: Mapping[str, Sequence[str]]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Bytes stored per owner, and per team (a hub group: the sum over its members' datasets)."""
    per_user: Counter[str] = Counter()
    for d in datasets:
        per_user[str(d["owner"])] += int(d.get("size") or 0)
    users = sorted(per_user, key=lambda u: (-per_user[u], u))
    per_team = {team: sum(per_user.get(u, 0) for u in people) for team, people in members.items()}
    teams = sorted(per_team, key=lambda t: (-per_team[t], t))
    return (
        figure(
            "storage_users", "Storage per user (bytes)", "bar", ("owner", "string", users),
            ("bytes", "integer", [per_user[u] for u in users]),
        ),
        figure(
            "storage_teams", "Storage per team (bytes)", "bar", ("team", "string", teams),
            ("bytes", "integer", [per_team[t] for t in teams]),
        ),
    )  # fmt: skip
