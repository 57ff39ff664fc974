"""Drilling from a chart's mark to its rows: the chart's filters and the mark's conditions, then a page.

The chart is answered again (from the chart cache when it is there), the clicked mark found in its
result, and the mark's conditions derived from the result's fields (:mod:`.charts.drill`). The rows
are the rows API's page (:meth:`DatasetQueries.rows`) of the chart's version under all of the
conditions, so paging, sorting and the kept row orders are those of any filtered page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .charts import ChartEngine, CheckedSpec, validate_spec
from .charts.drill import Empty, find_mark, mark_conditions
from .errors import BadInput
from .filters import check_filter_size, compile_filter, parse_sort
from .schema import ColumnInfo

if TYPE_CHECKING:
    from .store import DatasetStore

#: the keys of a drill's request body
DRILL_KEYS = frozenset({"spec", "mark", "index", "offset", "limit", "sort"})


@dataclass
class Drill:
    """One drill: the chart (pinned to a dataset), the mark, and the page asked for.

    ``fixed`` conditions always hold and are shown but not editable (a document's chart's own
    filters, for its readers); ``filters`` are editable and come before the mark's. ``columns``,
    when given, are the only columns shown and sorted by.
    """

    spec: CheckedSpec
    mark: Any = None
    index: Any = None
    fixed: list[Any] = field(default_factory=list)
    filters: list[Any] = field(default_factory=list)
    offset: int = 0
    limit: int = 100
    sort: Any = None
    columns: set[str] | None = None


def page_args(body: dict[str, Any]) -> dict[str, Any]:
    """``offset``, ``limit`` and ``sort`` of a drill's body, checked (400 otherwise)."""
    out: dict[str, Any] = {}
    for key, default in (("offset", 0), ("limit", 100)):
        value = body.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool):
            raise BadInput(f"'{key}' must be a whole number", "Bad page")
        out[key] = value
    sort = body.get("sort")
    if sort is not None and not isinstance(sort, str | list):
        raise BadInput("'sort' is text like '-price,name' or a list of keys", "Bad sort")
    out["sort"] = sort or None
    return out


def drill(store: DatasetStore, engine: ChartEngine, d: Drill) -> dict[str, Any]:
    """The mark's conditions and a page of the rows under every condition.

    ``{"dataset": {id, version}, "fixed", "filters", "mark", "columns", "types", "rows", "offset",
    "limit", "total"}``: ``filters`` ends with the mark's conditions (``mark``, also alone).
    """
    ref = d.spec["dataset"]
    dataset_id = ref["id"]
    conditions: list[dict[str, Any]] = []
    version = ref.get("version")
    if d.mark is not None:
        result = engine.run(d.spec)
        version = result.dataset["version"]
        columns = _columns(store, dataset_id, version)
        checked = validate_spec(d.spec, columns, max_filter_values=store.config.max_filter_values)
        row = find_mark(result, d.mark, d.index)
        conditions = mark_conditions(
            checked, result, row, columns, _empty(store, dataset_id, version, columns)
        )
    else:
        version = store.version(dataset_id, version)["version"]
        columns = _columns(store, dataset_id, version)
    editable = [*d.filters, *conditions]
    every = [*d.fixed, *editable]
    check_filter_size(every, store.config.max_filter_values)
    sort = d.sort
    if sort is not None and d.columns is not None:
        for key in parse_sort(sort, columns):
            if key["column"] not in d.columns:
                raise BadInput(f"sort: {key['column']!r} is not a column shown here", "Bad sort")
    page = store.rows(
        dataset_id, version=version, offset=d.offset, limit=d.limit, sort=sort, filter=every or None
    )
    types = {c.name: c.type for c in columns}
    page["types"] = [types.get(name, "string") for name in page["columns"]]
    if d.columns is not None:
        page = _project(page, d.columns)
    return {
        "dataset": {"id": dataset_id, "version": version},
        "fixed": d.fixed,
        "filters": editable,
        "mark": conditions,
        **page,
    }


def _empty(store: DatasetStore, dataset_id: str, version: int, columns: list[ColumnInfo]) -> Empty:
    """Whether no row of the version meets every condition given (one small query)."""
    path = store.version_file(dataset_id, version)

    def empty(conditions: list[dict[str, Any]]) -> bool:
        where, params = compile_filter(conditions, columns)
        with store._page_connection(path) as con:
            found = con.execute(f"SELECT EXISTS (SELECT 1 FROM src WHERE {where})", params).fetchall()
        return not found[0][0]

    return empty


def _columns(store: DatasetStore, dataset_id: str, version: int | None) -> list[ColumnInfo]:
    return [ColumnInfo.from_json(c) for c in store.version(dataset_id, version)["columns"]]


def _project(page: dict[str, Any], keep: set[str]) -> dict[str, Any]:
    """The page with only the ``keep`` columns, in the dataset's order."""
    names: Sequence[str] = page["columns"]
    at = [i for i, n in enumerate(names) if n in keep]
    return {
        **page,
        "columns": [names[i] for i in at],
        "types": [page["types"][i] for i in at],
        "rows": [[r[i] for i in at] for r in page["rows"]],
    }
