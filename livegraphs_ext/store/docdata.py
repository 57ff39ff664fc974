"""A shared document's charts, answered for its readers: the data of a dashboard goes with its shares.

A reader of a dashboard (or chart document) may not read the datasets its charts use. Through
the document they still see its charts: the server takes each chart's spec from the document's
stored state (never from the caller), adds the caller's interactive conditions (dashboard filter
values, cross-filter selections) as extra filters, and runs it with the chart engine.

Rules:

- the caller may read the document;
- the dataset is readable by a user who **lent** it, looked up as that user alone: datasets they
  own or that are shared with them as a user (their group shares do not count: the store does not
  know an absent user's groups on a hub, and admin rights are never lent), or by the caller
  themselves (who could query it directly anyway). A user lends a dataset by making the document
  reference it (``lg_document_lends``: creating or importing it, an edit in its room, a restore);
  an editor cannot lend what only the owner may read. A document stored before lends were
  recorded is lent by its owner;
- a chart's ``{"name"}`` dataset means what it means to a lender (else to the caller);
- extra conditions only restrict rows: they are added to the spec's own filters (all must
  hold), each names a column that the document's filters or charts on that dataset name, and
  formulas are refused (they could read any column);
- a chart whose data is a SQL query (``dataset: {"sql"}``) is never lent: the query runs as in
  the SQL editor, each of its names bound for the caller, so a reader who may not read one of
  its datasets gets a 404 for that chart; its extra conditions name only the chart's own
  columns. It is not published (a snapshot records it as a problem), and its marks cannot be
  drilled into yet;
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

from .charts import ChartEngine, ChartResult, CheckedSpec, check_shape
from .documents import DocumentRow, DocumentUpdateRow, DocumentVersionRow, content_of
from .drill import DRILL_KEYS, Drill, drill, page_args
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


def _sql(spec: Any) -> str | None:
    """The query a spec's data is (``dataset: {"sql"}``), else None."""
    ref = spec.get("dataset") if isinstance(spec, dict) else None
    sql = ref.get("sql") if isinstance(ref, dict) else None
    return sql if isinstance(sql, str) else None


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


def filter_spec(f: dict[str, Any], what: Any, search: Any = None) -> dict[str, Any]:
    """The spec that answers a dashboard filter's values (``what="values"``, most frequent first,
    narrowed by ``search``) or extent (``"extent"``), as ``charts/filtervalues.ts`` asks it."""
    column, key = f.get("column"), f.get("dataset")
    if not column or not key:
        raise BadInput("The filter has no dataset or column yet", "Bad filter")
    ref = {"id": key} if len(key) == 32 and all(c in "0123456789abcdef" for c in key) else {"name": key}
    if what == "values":
        if search is not None and not isinstance(search, str):
            raise BadInput("'search' must be text", "Bad filter")
        if search and len(search) > MAX_SEARCH:
            raise BadInput(f"'search' is longer than {MAX_SEARCH} characters", "Bad filter")
        filters: list[dict[str, Any]] = [{"column": column, "cmp": "not_null"}]
        if search:
            filters.append({"column": column, "cmp": "contains", "value": search})
        return {
            "version": 1, "dataset": ref, "mark": "bar",
            "encoding": {"x": {"field": column}, "y": {"aggregate": "count"}},
            "filters": filters, "sort": {"by": "y", "order": "descending"},
            "limit": VALUES_LIMIT + 1, "max_marks": VALUES_LIMIT + 1,
        }  # fmt: skip
    if what == "extent":
        return {
            "version": 1, "dataset": ref, "mark": "table",
            "encoding": {
                "x": {"field": column, "aggregate": "min"}, "y": {"field": column, "aggregate": "max"},
            },
        }  # fmt: skip
    raise BadInput("'what' is 'values' or 'extent'", "Bad filter")


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

    def _dataset(self, p: Principal, doc_id: str, ref: Any) -> tuple[str, Principal]:
        """The dataset id ``ref`` names, and who reads it: a user who lent it alone, else the caller."""
        if not isinstance(ref, dict) or not _key(ref):
            raise BadInput("The chart has no dataset yet", "Bad chart spec")
        key = ref["id"] if isinstance(ref.get("id"), str) else ref["name"]
        lenders = self.documents.lenders(doc_id, key)
        readers = [Principal(name) for name in lenders if name != p.name] + [p]
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
        if _sql(spec) is not None:
            return self._run_sql(p, engine, spec)
        pinned, dataset_id, reader = self.pinned(p, row, spec)
        result = engine.run(pinned)
        if view_every is not None and self.guarded._view_due(p.name, dataset_id, view_every):
            self.guarded.events.record(
                p.name, "chart_view", dataset_id=dataset_id,
                detail={"mark": spec.get("mark"), "document_id": row.id, "via": reader.name},
            )  # fmt: skip
        return result

    def _run_sql(self, p: Principal, engine: ChartEngine, spec: dict[str, Any]) -> ChartResult:
        """A chart of a query, for the caller alone: the query's names bound for ``p`` (never lent)."""
        from ..kernel.rules import columns_by_name, derived_spec

        sql = _sql(spec)
        described = self.guarded.sql_query(p, sql, limit=0, count=False)["columns"]
        derived = derived_spec(spec, columns_by_name(described))
        if derived.get("mark") is None:
            raise BadInput("The chart has no fields on its shelves yet", "Bad chart spec")
        return self.guarded.sql_chart(p, engine, check_shape(derived))

    def pinned(
        self, p: Principal, row: DocumentRow, spec: dict[str, Any]
    ) -> tuple[CheckedSpec, str, Principal]:
        """The document's ``spec`` as it is drawn, over the dataset id it means, and who reads it."""
        if _sql(spec) is not None:
            raise BadInput(
                "The chart's data is a SQL query, which runs for each reader over what they may "
                "read: it is neither published nor drilled into; save the query as a dataset",
                "Query chart",
            )
        dataset_id, reader = self._dataset(p, row.id, spec.get("dataset"))
        checked = check_shape(self._derived(spec, dataset_id))
        ref = checked["dataset"]
        pinned = {"id": dataset_id, **({"version": ref["version"]} if "version" in ref else {})}
        return checked.with_dataset(pinned), dataset_id, reader

    def _derived(self, spec: dict[str, Any], dataset_id: str) -> dict[str, Any]:
        """``spec`` with the mark, channels and aggregates the builder derives (never stored)."""
        from ..kernel.rules import columns_by_name, derived_spec  # plain data rules, shared with the notebook

        dataset = self.guarded.store.get(dataset_id)
        derived = derived_spec(spec, columns_by_name(dataset.get("columns") or [], dataset.get("rows")))
        if derived.get("mark") is None:
            raise BadInput("The chart has no fields on its shelves yet", "Bad chart spec")
        return derived

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
        row, spec, allowed = self._chart(p, doc_id, chart_id)
        check_extra(extra, allowed)
        own = spec.get("filters") or []
        return self._run(p, engine, row, {**spec, "filters": [*own, *extra]}, view_every)

    def _chart(
        self, p: Principal, doc_id: str, chart_id: str | None
    ) -> tuple[DocumentRow, dict[str, Any], set[str]]:
        """The document, the spec of its chart ``chart_id`` (None: a chart document), and the
        columns its readers may name: those the dashboard's filters and charts on that dataset use."""
        if chart_id is None:
            row, spec = self._document(p, doc_id, "chart")
            return row, spec, set(_fields(spec))
        row, content = self._document(p, doc_id, "dashboard")
        charts = content.get("charts") or {}
        if chart_id not in charts:
            raise NotFound(f"No chart {chart_id!r} in this dashboard", "No such chart")
        spec = charts[chart_id]["spec"]
        if _sql(spec) is not None:
            return row, spec, set(_fields(spec))
        return row, spec, self._columns(content, _key(spec.get("dataset")))

    def drill(
        self, p: Principal, engine: ChartEngine, doc_id: str, chart_id: str | None, body: dict[str, Any]
    ) -> dict[str, Any]:
        """The rows behind a mark of a document's chart, for any reader of the document.

        ``body``: ``{"filters"?, "mark"?, "index"?, "offset"?, "limit"?, "sort"?}``. The chart's own
        filters always hold (``fixed``); ``filters`` (the reader's dashboard filters and selections,
        or the list they edited) are checked as a chart's extra conditions; the mark's conditions,
        when a mark is given, are added to them. Only the columns the document names on the
        dataset are shown or sorted by, and the version is the chart's: what the document lends.
        """
        keys = (DRILL_KEYS - {"spec"}) | {"filters"}
        unknown = sorted(set(body) - keys)
        if unknown:
            raise BadInput(f"Unknown keys {unknown}; send {sorted(keys)} (never a spec)", "Bad request")
        extra = body.get("filters")
        extra = [] if extra is None else extra
        row, spec, allowed = self._chart(p, doc_id, chart_id)
        check_extra(extra, allowed)
        own = list(spec.get("filters") or [])
        pinned, _, _ = self.pinned(p, row, {**spec, "filters": [*own, *extra]})
        d = Drill(
            pinned,
            mark=body.get("mark"),
            index=body.get("index"),
            fixed=own,
            filters=list(extra),
            columns=allowed,
            **page_args(body),
        )
        return drill(self.guarded.store, engine, d)

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
        return self._run(p, engine, row, filter_spec(f, what, search), None)
