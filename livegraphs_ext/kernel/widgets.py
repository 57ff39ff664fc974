"""Charts in a notebook: ``lg.chart(...)`` and the drag-and-drop ``lg.ChartBuilder(...)``.

Both are anywidgets drawn by the same Plotly renderer as JupyterLab. The spec
is a synced trait; the kernel runs it (``query_chart``: on the local store on a laptop,
by the livegraphs service on a hub) and sends the result as Arrow IPC bytes, never as
JSON lists::

    import livegraphs_ext as lg
    c = lg.chart("sales", mark="bar", x="month(order_date)", y="sum(revenue)", color="region")
    c.spec          # the chart spec (docs/charts.md); assign a new one to redraw
    b = lg.ChartBuilder("sales")
    b.code          # the lg.chart(...) line that recreates what was built
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anywidget
import traitlets

from ..store.errors import NotFound, StoreError
from .bundle import LOADER, bundle_bytes, bundle_hash
from .rules import columns_by_name, derived_spec, python_code, suggest_mark

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

_STATIC = Path(__file__).parents[1] / "static"

AGGREGATES = ("sum", "mean", "median", "min", "max", "count", "distinct")
TIME_UNITS = ("year", "quarter", "month", "week", "day", "hour", "minute")
_CALL = re.compile(r"^\s*(\w+)\((.*)\)\s*$", re.DOTALL)

FieldArg = str | dict[str, Any]


def field_ref(value: FieldArg, columns: set[str] | None = None) -> dict[str, Any]:
    """A field reference from a shorthand: ``"revenue"``, ``"sum(revenue)"``,
    ``"month(order_date)"``, ``"bin(price)"``, ``"count()"``; a dict is taken as it is.

    A string that is exactly a column name is that column, even if it looks like a call.
    """
    if isinstance(value, dict):
        return dict(value)
    if not isinstance(value, str):
        raise TypeError(f"a field must be a column name, a shorthand or a dict; got {value!r}")
    if columns is not None and value in columns:
        return {"field": value}
    m = _CALL.match(value)
    if not m:
        return {"field": value}
    fn, inner = m.group(1).lower(), m.group(2).strip()
    if fn not in AGGREGATES and fn not in TIME_UNITS and fn != "bin":
        return {"field": value}
    if not inner:
        if fn != "count":
            raise ValueError(f"{fn}() needs a column, e.g. {fn}(revenue)")
        return {"aggregate": "count"}
    ref = field_ref(inner, columns)
    if fn in AGGREGATES:
        ref["aggregate"] = fn
    elif fn in TIME_UNITS:
        ref["timeUnit"] = fn
    else:
        ref["bin"] = True
    return ref


def _result_bytes(result: Any) -> bytes:
    """Arrow IPC stream bytes of an engine result."""
    import pyarrow as pa

    arrow = result.to_arrow() if hasattr(result, "to_arrow") else result
    if isinstance(arrow, bytes | bytearray | memoryview):
        return bytes(arrow)
    if isinstance(arrow, pa.RecordBatch):
        arrow = pa.Table.from_batches([arrow])
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, arrow.schema) as writer:
        writer.write_table(arrow)
    return sink.getvalue().to_pybytes()


def decode_result(data: bytes) -> tuple[dict[str, Any], pa.Table]:
    """The result object (without ``data``) and its table, from Arrow IPC bytes."""
    import pyarrow as pa

    table = pa.ipc.open_stream(data).read_all()
    meta = (table.schema.metadata or {}).get(b"livegraphs")
    return (json.loads(meta) if meta else {}), table


#: The data-only form of a chart in a display bundle: ``{"spec": ..., "height": ...}``. JupyterLab draws
#: it with a safe renderer (no code from the kernel runs), so a collaborator who received the output over
#: the shared notebook, untrusted, still sees the chart (jupyterlab#11435).
CHART_MIMETYPE = "application/vnd.livegraphs.chart+json"


class LiveGraphsWidget(anywidget.AnyWidget):
    """The base of the livegraphs widgets: their ``_esm`` is a small loader of the bundle.

    The bundle (``static/widget.js``, styles included) comes once per page from the server, or
    from the kernel when the page asks (the ``lg-bundle`` message), so it is in no widget's state.
    """

    _esm = LOADER
    _bundle_hash = traitlets.Unicode(help="The content hash of the bundle the loader loads.").tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.on_msg(_send_bundle)

    def set_state(self, sync_data: dict[str, Any]) -> None:
        """Take from the page only what its view may change (:meth:`_from_page`), nothing else.

        A widget's state is the kernel's: a page (a Voila visitor's, say) that sends its own spec
        or kind of view would have the kernel query, as the notebook's owner, what it asked.
        """
        super().set_state(self._from_page(dict(sync_data)))

    def _from_page(self, state: dict[str, Any]) -> dict[str, Any]:
        return {}

    @traitlets.default("_bundle_hash")
    def _default_bundle_hash(self) -> str:
        return bundle_hash()


def _send_bundle(widget: LiveGraphsWidget, content: dict[str, Any], buffers: list[bytes]) -> None:
    if content.get("type") == "lg-bundle":
        widget.send({"type": "lg-bundle", "hash": bundle_hash()}, [bundle_bytes()])


class ChartWidget(LiveGraphsWidget):
    """A chart drawn from a spec; the kernel answers each new spec with its result."""

    _view_kind = traitlets.Unicode("chart").tag(sync=True)
    spec: traitlets.Dict[str, Any] | Any = traitlets.Dict(
        allow_none=True, default_value=None, help="The chart spec (docs/charts.md); None draws nothing."
    ).tag(sync=True)
    result = traitlets.Bytes(b"", help="The result of `spec` as Arrow IPC stream bytes.").tag(sync=True)
    error = traitlets.Unicode("", help="Why `spec` could not be drawn; empty when it was.").tag(sync=True)
    height = traitlets.Int(420, help="The widget's height in pixels.").tag(sync=True)

    def __init__(self, spec: dict[str, Any] | None = None, **kwargs: Any) -> None:
        # The spec (and so the result) is set before the widget's comm opens, so the front end gets
        # the whole chart in the comm's first message: updates sent right after the open can arrive
        # before the new model listens and be lost, leaving an empty chart.
        super().__init__(spec=spec, **kwargs)

    @traitlets.observe("spec")
    def _on_spec(self, change: dict[str, Any]) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Run the spec again (e.g. after the dataset got a new version)."""
        from .notebook import query_chart

        if not self.spec:
            self.set_trait("error", "")
            self.set_trait("result", b"")
            return
        try:
            data = _result_bytes(query_chart(self.spec))
        except StoreError as e:
            self.set_trait("result", b"")
            self.set_trait("error", str(e))
            return
        except Exception as e:
            # Shown in the widget rather than lost in the kernel's log.
            self.set_trait("result", b"")
            self.set_trait("error", f"{type(e).__name__}: {e}")
            return
        self.set_trait("error", "")
        self.set_trait("result", data)

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
        # The widget view first (a client that ran the cell gets the live widget), then the spec alone.
        shown = super()._repr_mimebundle_(**kwargs)
        if shown is None:
            return None
        data, metadata = shown
        if self.spec:
            data = {**data, CHART_MIMETYPE: {"spec": self.spec, "height": self.height}}
        return data, metadata

    @property
    def document(self) -> dict[str, Any] | None:
        """The shared chart document this widget follows (id, kind, title, owner, access), if any."""
        follower = getattr(self, "_follower", None)
        return follower.document if follower is not None else None

    def follow(self, document: dict[str, Any], to_spec: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        """Draw ``to_spec(content)`` whenever the shared document's content changes.

        Only in a running event loop (a kernel's); the widget itself never writes the document.
        """
        from .documents import DocumentFollower

        def on_content(content: dict[str, Any]) -> None:
            try:
                spec = to_spec(content)
            except Exception as e:
                self.set_trait("error", f"{type(e).__name__}: {e}")
                return
            if spec != self.spec:
                self.spec = spec

        def on_gone(why: str) -> None:
            self.set_trait("error", why)

        self._follower = DocumentFollower(document, on_content, on_gone)
        self._follower.start()

    def close(self) -> None:
        follower = getattr(self, "_follower", None)
        if follower is not None:
            follower.stop()
        super().close()

    @property
    def data(self) -> pd.DataFrame:
        """The chart's result as a DataFrame (one column per field).

        Dates are Python dates; where one is outside years 1 to 9999 (a SQL query can make
        one), the frame's columns are Arrow-backed, as ``lg.load`` gives them."""
        if not self.result:
            return _empty_frame()
        table = decode_result(self.result)[1]
        try:
            return table.to_pandas()
        except (ValueError, OverflowError):
            import pandas as pd

            return table.to_pandas(types_mapper=pd.ArrowDtype)

    @property
    def code(self) -> str:
        """The Python line that recreates this chart."""
        return python_code(self.spec or {}, _dataset_name(self.spec))


def _empty_frame() -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame()


def _dataset_name(spec: dict[str, Any] | None) -> str | None:
    from .notebook import ServiceError
    from .notebook import _find as find_dataset

    ds = (spec or {}).get("dataset") or {}
    if ds.get("name"):
        return str(ds["name"])
    try:
        return str(find_dataset(ds["id"])["name"]) if ds.get("id") else None
    except (StoreError, ServiceError):
        return None


def _dataset_info(dataset: str) -> dict[str, Any]:
    # the kernel's store on a laptop, the livegraphs service on a hub (as lg.load)
    from .notebook import _find as find_dataset

    ds = find_dataset(dataset)
    return {
        "id": ds["id"],
        "name": ds["name"],
        "version": ds["version"],
        # the rows and the counts of nulls and values tell an integer of few repeated values (a
        # category such as month) from a short column of numbers
        "rows": ds["rows"],
        "columns": [
            {k: c[k] for k in ("name", "type", "nulls", "distinct") if c.get(k) is not None}
            for c in ds["columns"]
        ],
    }


def automatic_mark(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` as the builder draws it: the mark it shows as "Automatic" when the spec names none,
    and the channels and aggregates that mark fills in (``derived_spec`` of the shared rules).

    Shared chart files and dashboards store only what people chose; each client derives the
    rest from the fields' types, as the builder does.
    """
    from .notebook import ServiceError

    ref = spec.get("dataset") or {}
    key = ref.get("id") or ref.get("name")
    if not key:
        return spec
    try:
        info = _dataset_info(key)
    except (StoreError, ServiceError):
        if spec.get("mark") is None:
            raise
        return spec  # the query says what is wrong with the dataset
    return derived_spec(spec, columns_by_name(info["columns"], info["rows"]))


def chart(
    dataset: str | None = None,
    mark: str | None = None,
    *,
    sql: str | None = None,
    x: FieldArg | None = None,
    y: FieldArg | None = None,
    color: FieldArg | None = None,
    size: FieldArg | None = None,
    row: FieldArg | None = None,
    column: FieldArg | None = None,
    label: FieldArg | None = None,
    latitude: FieldArg | None = None,
    longitude: FieldArg | None = None,
    location: FieldArg | None = None,
    tooltip: list[FieldArg] | None = None,
    filters: list[dict[str, Any]] | None = None,
    sort: dict[str, Any] | None = None,
    limit: int | None = None,
    options: dict[str, Any] | None = None,
    overlays: list[dict[str, Any]] | None = None,
    title: str | None = None,
    version: int | None = None,
    max_marks: int | None = None,
    height: int = 420,
    **mark_options: Any,
) -> ChartWidget:
    """A chart of a dataset (by name or id), or of a ``.lgchart`` file, as a notebook widget.

    Channels take a column name or a shorthand — ``"sum(revenue)"``,
    ``"month(order_date)"``, ``"bin(price)"``, ``"count()"`` — or a field
    reference dict. Other keywords (``stack="stacked"``, ``hole=0.5``, …) are
    mark options. ``mark`` defaults to the builder's suggestion for the fields; with no
    field placed there is none, and ``mark`` must be given. A number given without an
    aggregate gets the mark's default, as in the builder: summed on bars, averaged on a line,
    drawn as it is on a scatter (``kernel/rules.json``, ``defaults``).
    ``overlays`` draws trend lines and forecasts, e.g.
    ``overlays=[{"kind": "trend", "method": "loess"}, {"kind": "forecast", "periods": 6}]``
    (see ``docs/charts.md``).

    A first argument ending in ``.lgchart`` is a chart file (one chart spec as JSON); the
    chart draws that spec, and only ``height`` and ``max_marks`` may be given beside it.

    Given nothing else either, the first argument may name a shared chart document (its id,
    ``owner/title`` or title, see ``lg.list_documents()``): the widget draws it and follows its
    changes live, as others edit it.

    ``sql="select ..."`` instead of a dataset charts a query's result without saving it
    (``docs/sql.md``): the query runs at each draw, over the current versions of the datasets it
    names, and only the marks come back.
    """
    given_args = {k for k, v in locals().items() if k not in ("dataset", "height", "max_marks", "sql") and v}
    channels = {
        "x": x, "y": y, "color": color, "size": size, "row": row, "column": column, "label": label,
        "latitude": latitude, "longitude": longitude, "location": location, "tooltip": tooltip,
    }  # fmt: skip
    extras = {
        "filters": filters, "sort": sort, "limit": limit, "options": {**(options or {}), **mark_options},
        "overlays": overlays, "title": title, "max_marks": max_marks,
    }  # fmt: skip
    if sql is not None:
        if dataset is not None:
            raise TypeError("give a dataset or sql=, not both")
        if version is not None:
            raise TypeError("a query reads the current versions of its datasets: it takes no version")
        if not given_args:
            raise ValueError("nothing to draw: give a field (x=, y=, color=, ...) or a mark=")
        from .notebook import sql_columns

        return _chart_of({"sql": sql}, sql_columns(sql), None, mark, channels, extras, height)
    if dataset is None:
        raise TypeError("give a dataset (its name or id), a chart file, or sql=")
    if dataset.endswith(".lgchart"):
        if given_args:
            raise TypeError(f"a chart file is the whole spec; {sorted(given_args)} cannot be given with it")
        from_file = read_chart_file(Path(dataset))
        if max_marks is not None:
            from_file["max_marks"] = max_marks
        return ChartWidget(automatic_mark(from_file), height=height)
    if not given_args:
        return _chart_document(dataset, height=height, max_marks=max_marks)
    info = _dataset_info(dataset)
    ref = {"id": info["id"], **({"version": version} if version is not None else {})}
    return _chart_of(ref, info["columns"], info["rows"], mark, channels, extras, height)


def _chart_of(
    ref: dict[str, Any],
    described: list[dict[str, Any]],
    rows: int | None,
    mark: str | None,
    channels: dict[str, Any],
    extras: dict[str, Any],
    height: int,
) -> ChartWidget:
    """:func:`chart`'s widget: ``channels`` and ``extras`` over the data ``ref`` of these columns."""
    names = {c["name"] for c in described}
    columns = columns_by_name(described, rows)
    tooltip = channels.get("tooltip")
    encoding: dict[str, Any] = {
        ch: field_ref(v, names) for ch, v in channels.items() if ch != "tooltip" and v is not None
    }
    if tooltip:
        encoding["tooltip"] = [field_ref(v, names) for v in tooltip]
    mark = mark or suggest_mark(encoding, columns)
    if mark is None:
        raise ValueError("nothing to draw: give a field (x=, y=, color=, ...) or a mark=")
    spec: dict[str, Any] = derived_spec(
        {"version": 1, "dataset": ref, "mark": mark, "encoding": encoding},
        columns,
    )
    spec.update({k: v for k, v in extras.items() if v not in (None, [], {}, "")})
    return ChartWidget(spec, height=height)


def _chart_document(ref: str, *, height: int, max_marks: int | None) -> ChartWidget:
    from .documents import document_content, find_document

    try:
        doc = find_document(ref, "chart")
    except NotFound:
        raise ValueError(
            f"nothing to draw: no chart document {ref!r} is yours to read (lg.list_documents() lists "
            "them); to chart a dataset, give a field (x=, y=, color=, ...) or a mark="
        ) from None
    widget = ChartWidget(_document_spec(document_content(doc["id"]), max_marks), height=height)
    widget.follow(doc, lambda content: _document_spec(content, max_marks))
    return widget


def _document_spec(content: dict[str, Any], max_marks: int | None) -> dict[str, Any]:
    from ..documents.chartdoc import validate_chart

    spec = validate_chart(content)
    if max_marks is not None:
        spec = {**spec, "max_marks": max_marks}
    return automatic_mark(spec) if spec.get("dataset") else spec


def read_chart_file(path: Path) -> dict[str, Any]:
    """The chart spec a ``.lgchart`` file holds; raises naming the file and every problem."""
    from ..documents.chartdoc import ChartFileError, parse_chart

    path = path.expanduser()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"No chart file at {path.absolute()}") from None
    try:
        return parse_chart(text)
    except ChartFileError as e:
        raise ValueError(f"{path} is not a valid chart file: " + "; ".join(e.errors)) from None


class ChartBuilder(ChartWidget):
    """The drag-and-drop chart builder of a dataset, as a notebook widget.

    Drag fields onto the shelves; ``spec`` follows every change, and ``code``
    gives the ``lg.chart(...)`` line that recreates the chart.
    """

    _view_kind = traitlets.Unicode("builder").tag(sync=True)
    dataset = traitlets.Dict(help="The dataset: id, name, version and columns.").tag(sync=True)
    height = traitlets.Int(560, help="The widget's height in pixels.").tag(sync=True)

    def __init__(self, dataset: str, spec: dict[str, Any] | None = None, **kwargs: Any) -> None:
        info = _dataset_info(dataset)
        super().__init__(spec, dataset=info, **kwargs)

    @property
    def code(self) -> str:
        return python_code(self.spec, self.dataset["name"]) if self.spec else ""

    def _from_page(self, state: dict[str, Any]) -> dict[str, Any]:
        # The page's edits: a spec of the builder's own dataset, or none
        if "spec" not in state:
            return {}
        spec = state["spec"]
        ref = spec.get("dataset") if isinstance(spec, dict) else None
        if spec is None or (isinstance(ref, dict) and ref.get("id") == self.dataset.get("id")):
            return {"spec": spec}
        return {}
