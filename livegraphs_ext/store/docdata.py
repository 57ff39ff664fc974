"""A shared document's charts, answered for its readers: the data of a dashboard goes with its shares.

A reader of a dashboard (or chart document) may not read the datasets its charts use. Through
the document they still see its charts: the server takes each chart's spec from the document's
stored state (never from the caller), adds the caller's interactive conditions (dashboard filter
values, cross-filter selections) as extra filters, and runs it with the chart engine.

Rules:

- the caller may read the document;
- the dataset is readable by the document's **owner**, looked up as the owner alone: datasets the
  owner owns or that are shared with the owner as a user (their group shares do not count: the
  store does not know an absent owner's groups on a hub, and admin rights are never lent), or by
  the caller themselves (who could query it directly anyway);
- a chart's ``{"name"}`` dataset means what it means to the owner (else to the caller);
- extra conditions only restrict rows: they are added to the spec's own filters (all must
  hold), each names a column that the document's filters or charts on that dataset name, and
  formulas are refused (they could read any column);
- a filter's values and extent are asked with the spec the front end uses (``charts/filtervalues.ts``);
- what the builder derives and the document does not hold (the automatic mark, y = count for x
  alone) is derived here as ``charts/builder/state.ts`` does (``chartSpec``).

A plain library like the rest of the store (no tornado).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from .charts import ChartEngine, ChartResult, check_shape
from .documents import DocumentRow, DocumentUpdateRow, DocumentVersionRow, content_of
from .errors import BadInput, Forbidden, NotFound
from .sharing import Principal

if TYPE_CHECKING:
    from .acl import GuardedStore

#: The most values a filter's value list holds (as ``VALUES_LIMIT`` in ``charts/filtervalues.ts``).
VALUES_LIMIT = 1000
#: The longest search text of a filter's value list.
MAX_SEARCH = 200
#: How many documents' contents are kept, keyed by their state.
CACHE_SIZE = 256
#: The marks that count records on y when only x is placed (``NEEDS_Y`` of ``charts/builder/state.ts``).
NEEDS_Y = frozenset({"bar", "line", "area", "histogram", "pie"})


def _fields(spec: dict[str, Any]) -> Iterator[str]:
    """The columns a spec names: its channels' fields, its filters' columns and its sort."""
    encoding = spec.get("encoding")
    if isinstance(encoding, dict):
        for channel, ref in encoding.items():
            for r in ref if channel == "tooltip" and isinstance(ref, list) else [ref]:
                if isinstance(r, dict) and isinstance(r.get("field"), str):
                    yield r["field"]
    yield from _condition_columns(spec.get("filters"))
    sort = spec.get("sort")
    if isinstance(sort, dict) and isinstance(sort.get("by"), str):
        yield sort["by"]


def _condition_columns(conditions: Any) -> Iterator[str]:
    items = conditions if isinstance(conditions, list) else [conditions]
    for c in items:
        if isinstance(c, dict):
            if isinstance(c.get("column"), str):
                yield c["column"]
            if "conditions" in c:
                yield from _condition_columns(c["conditions"])


def _key(ref: Any) -> set[str]:
    """A spec's dataset reference as the keys a dashboard filter may name it by (id and name)."""
    if not isinstance(ref, dict):
        return set()
    return {v for k, v in ref.items() if k in ("id", "name") and isinstance(v, str)}


def check_extra(conditions: Any, allowed: set[str], path: str = "filters") -> None:
    """BadInput unless ``conditions`` is a list of conditions on ``allowed`` columns only."""
    if not isinstance(conditions, list):
        raise BadInput(f"'{path}' must be a list of conditions", "Bad filters")
    for i, c in enumerate(conditions):
        where = f"{path}[{i}]"
        if not isinstance(c, dict):
            raise BadInput(f"{where} must be an object", "Bad filters")
        if "formula" in c:
            raise BadInput(f"{where}: a document's chart takes no formula conditions", "Bad filters")
        if "conditions" in c:
            check_extra(c["conditions"], allowed, f"{where}.conditions")
            continue
        column = c.get("column")
        if column not in allowed:
            raise BadInput(
                f"{where}: {column!r} is not a column this document's filters or charts use",
                "Bad filters",
            )


class DocumentData:
    """Charts and filter values of shared documents, for anyone who may read the document."""

    def __init__(self, guarded: GuardedStore):
        self.guarded = guarded
        self.documents = guarded.documents
        self.catalog = guarded.catalog
        self._cache: OrderedDict[str, tuple[tuple[Any, ...], dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ the document

    def content(self, doc_id: str) -> tuple[DocumentRow, dict[str, Any]]:
        """The document's row and its current content, cached while its state is unchanged."""
        with self.catalog.transaction() as s:
            row = s.get(DocumentRow, doc_id)
            if row is None:
                raise NotFound(f"No document with id {doc_id!r}", "No such document")
            s.expunge(row)
            # Appends raise the last seq, a snapshot adds a version: either changes the key.
            key = (
                s.scalar(
                    select(func.max(DocumentUpdateRow.seq)).where(DocumentUpdateRow.document_id == doc_id)
                ),
                s.scalar(
                    select(func.max(DocumentVersionRow.number)).where(
                        DocumentVersionRow.document_id == doc_id
                    )
                ),
            )
        with self._lock:
            hit = self._cache.get(doc_id)
            if hit is not None and hit[0] == key:
                self._cache.move_to_end(doc_id)
                return row, hit[1]
        # Loaded after the key was read: at worst newer than the key, so the next call reloads.
        content = content_of(row.kind, self.documents.load(doc_id))
        with self._lock:
            self._cache[doc_id] = (key, content)
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return row, content

    def _document(self, p: Principal, doc_id: str, kind: str) -> tuple[DocumentRow, dict[str, Any]]:
        self.documents.require(p, doc_id, "read")
        row, content = self.content(doc_id)
        if row.kind != kind:
            what = "charts/{chart_id}/query" if row.kind == "dashboard" else "query"
            raise NotFound(
                f"Document {doc_id!r} is a {row.kind}: ask documents/{doc_id}/{what}", "No such chart"
            )
        return row, content

    # ------------------------------------------------------------------ the dataset

    def _dataset(self, p: Principal, owner: str, ref: Any) -> tuple[str, Principal]:
        """The dataset id ``ref`` names, and who reads it: the owner alone, else the caller."""
        if not isinstance(ref, dict) or not _key(ref):
            raise BadInput("The chart has no dataset yet", "Bad chart spec")
        readers = [p] if p.name == owner else [Principal(owner), p]
        for reader in readers:
            try:
                dataset_id = ref["id"] if "id" in ref else self.guarded.find_readable(reader, ref["name"])
                self.guarded.require(reader, dataset_id, "read")
            except (NotFound, Forbidden):
                continue
            return dataset_id, reader
        label = ref.get("id") or ref.get("name")
        raise NotFound(f"No dataset {label!r} readable through this document", "No such dataset")

    def _run(
        self,
        p: Principal,
        engine: ChartEngine,
        row: DocumentRow,
        spec: dict[str, Any],
        view_every: float | None,
    ) -> ChartResult:
        ref = spec.get("dataset")
        dataset_id, reader = self._dataset(p, row.owner, ref)
        spec = self._derived(spec, dataset_id)
        checked = check_shape(spec)
        ref = checked["dataset"]
        pinned = {"id": dataset_id, **({"version": ref["version"]} if "version" in ref else {})}
        result = engine.run(checked.with_dataset(pinned))
        if view_every is not None and self.guarded._view_due(p.name, dataset_id, view_every):
            self.guarded.events.record(
                p.name, "chart_view", dataset_id=dataset_id,
                detail={"mark": spec.get("mark"), "document_id": row.id, "via": reader.name},
            )  # fmt: skip
        return result

    def _derived(self, spec: dict[str, Any], dataset_id: str) -> dict[str, Any]:
        """``spec`` with the mark and channels the builder derives when the document holds none."""
        from ..kernel.rules import suggest_mark  # plain data rules, shared with the notebook side

        mark = spec.get("mark")
        encoding = dict(spec.get("encoding") or {})
        if mark is None:
            columns = self.guarded.store.get(dataset_id).get("columns") or []
            mark = suggest_mark(encoding, {c["name"]: c["type"] for c in columns})
            if mark is None:
                raise BadInput("The chart has no fields on its shelves yet", "Bad chart spec")
        if mark in NEEDS_Y and not encoding.get("y") and encoding.get("x"):
            encoding["y"] = {"aggregate": "count"}
        y = encoding.get("y")
        if mark == "box" and isinstance(y, dict) and y.get("aggregate") and y.get("field"):
            encoding["y"] = {k: v for k, v in y.items() if k != "aggregate"}
        return {**spec, "mark": mark, "encoding": encoding}

    # ------------------------------------------------------------------ what the routes answer

    def chart(
        self,
        p: Principal,
        engine: ChartEngine,
        doc_id: str,
        chart_id: str | None,
        extra: Any = None,
        *,
        view_every: float | None = None,
    ) -> ChartResult:
        """A chart of a dashboard (``chart_id``) or a chart document (None), with ``extra`` conditions."""
        extra = [] if extra is None else extra
        if chart_id is None:
            row, spec = self._document(p, doc_id, "chart")
            allowed = set(_fields(spec))
        else:
            row, content = self._document(p, doc_id, "dashboard")
            charts = content.get("charts") or {}
            if chart_id not in charts:
                raise NotFound(f"No chart {chart_id!r} in this dashboard", "No such chart")
            spec = charts[chart_id]["spec"]
            allowed = self._columns(content, _key(spec.get("dataset")))
        check_extra(extra, allowed)
        own = spec.get("filters") or []
        return self._run(p, engine, row, {**spec, "filters": [*own, *extra]}, view_every)

    @staticmethod
    def _columns(content: dict[str, Any], keys: set[str]) -> set[str]:
        """The columns a dashboard's filters and charts name on the dataset known by ``keys``."""
        out: set[str] = set()
        for f in content.get("filters") or []:
            if f.get("dataset") in keys and isinstance(f.get("column"), str):
                out.add(f["column"])
        for chart in (content.get("charts") or {}).values():
            spec = chart.get("spec") or {}
            if _key(spec.get("dataset")) & keys:
                out.update(_fields(spec))
        return out

    def filter_values(
        self, p: Principal, engine: ChartEngine, doc_id: str, filter_id: str, what: Any, search: Any = None
    ) -> ChartResult:
        """A dashboard filter's values (``what="values"``, most frequent first, narrowed by
        ``search``) or extent (``"extent"``), as the chart result the front end's spec gives."""
        row, content = self._document(p, doc_id, "dashboard")
        f = next((f for f in content.get("filters") or [] if f.get("id") == filter_id), None)
        if f is None:
            raise NotFound(f"No filter {filter_id!r} in this dashboard", "No such filter")
        column, key = f.get("column"), f.get("dataset")
        if not column or not key:
            raise BadInput("The filter has no dataset or column yet", "Bad filter")
        ref = {"id": key} if len(key) == 32 and all(c in "0123456789abcdef" for c in key) else {"name": key}
        spec: dict[str, Any]
        if what == "values":
            if search is not None and not isinstance(search, str):
                raise BadInput("'search' must be text", "Bad filter")
            if search and len(search) > MAX_SEARCH:
                raise BadInput(f"'search' is longer than {MAX_SEARCH} characters", "Bad filter")
            filters: list[dict[str, Any]] = [{"column": column, "cmp": "not_null"}]
            if search:
                filters.append({"column": column, "cmp": "contains", "value": search})
            spec = {
                "version": 1, "dataset": ref, "mark": "bar",
                "encoding": {"x": {"field": column}, "y": {"aggregate": "count"}},
                "filters": filters, "sort": {"by": "y", "order": "descending"},
                "limit": VALUES_LIMIT + 1, "max_marks": VALUES_LIMIT + 1,
            }  # fmt: skip
        elif what == "extent":
            spec = {
                "version": 1, "dataset": ref, "mark": "table",
                "encoding": {
                    "x": {"field": column, "aggregate": "min"}, "y": {"field": column, "aggregate": "max"},
                },
            }  # fmt: skip
        else:
            raise BadInput("'what' is 'values' or 'extent'", "Bad filter")
        return self._run(p, engine, row, spec, None)
