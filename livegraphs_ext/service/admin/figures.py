"""The engagement figures of the admin pages, computed by the product's own chart engine.

The facts (events of the period; datasets with their owners and sizes) go to a temporary Parquet
file, and each figure is a chart spec answered by :func:`~livegraphs_ext.store.charts.run_chart_file`,
so the page gets the same result shape as any livegraphs chart (``docs/charts.md``) plus ``key``,
``title``, ``mark`` and the ``spec`` it answers (the page draws it with the chart view). No
tornado, no hub.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ...store.charts import run_chart_file
from ...store.schema import ColumnInfo

#: The spec schema asks for a dataset id; these facts are no stored dataset.
FACTS_ID = "0" * 32
TOP_DATASETS = 10


def _chart(key: str, table: pa.Table, columns: list[ColumnInfo], spec: dict[str, Any]) -> dict[str, Any]:
    spec = {"version": 1, "dataset": {"id": FACTS_ID}, **spec}
    with tempfile.TemporaryDirectory(prefix="livegraphs-figures-") as tmp:
        path = Path(tmp) / "facts.parquet"
        pq.write_table(table, path)
        result = run_chart_file(path, columns, spec).to_json()
    return {"key": key, "title": spec["title"], "mark": spec["mark"], "spec": spec, **result}


def _fill_days(fig: dict[str, Any], since: dt.datetime, until: dt.datetime) -> dict[str, Any]:
    """Every day of the range on the x axis, zero where the engine found nothing."""
    by_day = {str(x)[:10]: y for x, y in zip(fig["data"]["x"], fig["data"]["y"], strict=True)}
    first, last = since.astimezone(dt.timezone.utc).date(), until.astimezone(dt.timezone.utc).date()
    days = [(first + dt.timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]
    fig["data"] = {"x": days, "y": [int(by_day.get(d, 0)) for d in days]}
    fig["marks"] = len(days)
    return fig


def activity(
    events: Sequence[tuple[dt.datetime, str, str, str | None]], since: dt.datetime, until: dt.datetime
) -> list[dict[str, Any]]:
    """Daily active users, uploads per day and the most used datasets, from ``(time, user, action,
    dataset label or None)`` rows of the period."""
    table = pa.table(
        {
            "time": pa.array([_utc(e[0]) for e in events], pa.timestamp("us", tz="UTC")),
            "user": pa.array([e[1] for e in events], pa.string()),
            "action": pa.array([e[2] for e in events], pa.string()),
            "dataset": pa.array([e[3] for e in events], pa.string()),
        }
    )
    columns = [
        ColumnInfo("time", "datetime", timezone="UTC"),
        ColumnInfo("user", "string"),
        ColumnInfo("action", "string"),
        ColumnInfo("dataset", "string"),
    ]
    day = {"field": "time", "timeUnit": "day", "title": "day"}
    active = _chart(
        "daily_active_users", table, columns,
        {"title": "Daily active users", "mark": "line",
         "encoding": {"x": day, "y": {"field": "user", "aggregate": "distinct", "title": "users"}}},
    )  # fmt: skip
    uploads = _chart(
        "uploads_per_day", table, columns,
        {"title": "Uploads per day", "mark": "line",
         "encoding": {"x": day, "y": {"aggregate": "count", "title": "uploads"}},
         "filters": [{"column": "action", "cmp": "eq", "value": "upload"}]},
    )  # fmt: skip
    top = _chart(
        "top_datasets", table, columns,
        {"title": "Most used datasets", "mark": "bar",
         "encoding": {"x": {"field": "dataset", "title": "dataset"},
                      "y": {"aggregate": "count", "title": "events"}},
         "filters": [{"column": "dataset", "cmp": "not_null"}],
         "sort": {"by": "y", "order": "descending"}, "limit": TOP_DATASETS},
    )  # fmt: skip
    return [_fill_days(active, since, until), _fill_days(uploads, since, until), top]


def storage(
    datasets: Sequence[Mapping[str, Any]], members: Mapping[str, Sequence[str]]
) -> list[dict[str, Any]]:
    """Bytes stored per owner, and per team (a hub group: the sum over its members' datasets)."""
    owners = pa.table(
        {
            "owner": pa.array([str(d["owner"]) for d in datasets], pa.string()),
            "bytes": pa.array([int(d.get("size") or 0) for d in datasets], pa.int64()),
        }
    )
    sizes: dict[str, int] = {}
    for d in datasets:
        sizes[str(d["owner"])] = sizes.get(str(d["owner"]), 0) + int(d.get("size") or 0)
    team_rows = [(team, sizes[u]) for team, people in members.items() for u in people if u in sizes]
    teams = pa.table(
        {
            "team": pa.array([t for t, _ in team_rows], pa.string()),
            "bytes": pa.array([b for _, b in team_rows], pa.int64()),
        }
    )
    by = {"by": "y", "order": "descending"}
    per_user = _chart(
        "storage_users", owners, [ColumnInfo("owner", "string"), ColumnInfo("bytes", "integer")],
        {"title": "Storage per user (bytes)", "mark": "bar", "sort": by,
         "encoding": {"x": {"field": "owner", "title": "owner"},
                      "y": {"field": "bytes", "aggregate": "sum", "title": "bytes"}}},
    )  # fmt: skip
    per_team = _chart(
        "storage_teams", teams, [ColumnInfo("team", "string"), ColumnInfo("bytes", "integer")],
        {"title": "Storage per team (bytes)", "mark": "bar", "sort": by,
         "encoding": {"x": {"field": "team", "title": "team"},
                      "y": {"field": "bytes", "aggregate": "sum", "title": "bytes"}}},
    )  # fmt: skip
    return [per_user, per_team]


def _utc(t: dt.datetime) -> dt.datetime:
    return (t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)).astimezone(dt.timezone.utc)
