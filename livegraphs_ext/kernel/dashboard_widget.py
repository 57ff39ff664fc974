"""A dashboard in a notebook: ``lg.Dashboard("sales.lgdash")`` or ``lg.Dashboard("ada/Sales")``.

From a ``.lgdash`` file the widget reads the file, and reads it again when it changes; from a
shared dashboard document (id, ``owner/title`` or title) it follows the document's room and
redraws as people edit it. Either way the widget only reads. Its view draws the
title, the dashboard filters as controls and every chart in the grid, with cross-filtering,
using the same front-end code as JupyterLab's dashboard. Filter choices and selections made in
the view are the viewer's own and never written back.

The view asks the kernel for each chart's result with a custom message naming the chart and
the extra conditions (its filters and the other charts' selections); the kernel runs the
chart's spec *from the file* with those conditions through :func:`~livegraphs_ext.query_chart`
and answers with Arrow IPC bytes, so results never sit in the notebook's widget state.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from pathlib import Path
from typing import Any

import traitlets

from ..documents.dashboard import DashboardError, parse_dashboard, validate_dashboard
from ..store.errors import StoreError
from .documents import DocumentFollower, document_content, find_document
from .rules import filter_condition
from .widgets import ChartWidget, LiveGraphsWidget, _result_bytes, automatic_mark

#: Most distinct values a dropdown filter offers.
MAX_DROPDOWN_VALUES = 500


class DashboardFileError(DashboardError):
    """A dashboard file that cannot be shown; the message names the file and every problem."""

    def __init__(self, path: Path, errors: list[str]):
        super().__init__(errors)
        self.path = path
        self.args = (f"{path} is not a valid dashboard: " + "; ".join(errors),)


def read_dashboard(path: Path) -> dict[str, Any]:
    """The validated content of a ``.lgdash`` file; raises with the path and the problems."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"No dashboard file at {path}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise DashboardFileError(path, [f"cannot be read: {e}"]) from None
    try:
        return parse_dashboard(text)
    except DashboardError as e:
        raise DashboardFileError(path, e.errors) from None


def _on_dataset(spec: dict[str, Any], dataset: str) -> bool:
    ref = spec.get("dataset") or {}
    return dataset in (ref.get("id"), ref.get("name"))


def with_conditions(spec: dict[str, Any], conditions: list[Any]) -> dict[str, Any]:
    """``spec`` with ``conditions`` added to its filters."""
    if not conditions:
        return spec
    return {**spec, "filters": [*(spec.get("filters") or []), *conditions]}


class Dashboard(LiveGraphsWidget):
    """A ``.lgdash`` dashboard file or a shared dashboard document drawn in a notebook, following
    it as it changes."""

    _view_kind = traitlets.Unicode("dashboard").tag(sync=True)
    dashboard: traitlets.Dict[str, Any] = traitlets.Dict(
        help="The dashboard as last read from the file or document (docs/charts.md, Dashboards)."
    ).tag(sync=True)
    error = traitlets.Unicode(
        "", help="Why the file's latest content cannot be shown (the last good one still is); empty if none."
    ).tag(sync=True)
    poll_interval = traitlets.Float(1.0, help="Seconds between checks of the file for changes.")

    def __init__(self, path: str | Path, **kwargs: Any) -> None:
        """``path``: a ``.lgdash`` file, or a dashboard document's id, ``owner/title`` or title."""
        self._watch: asyncio.Task[None] | None = None
        self._follower: DocumentFollower | None = None
        self._document: dict[str, Any] | None = None
        if isinstance(path, Path) or str(path).endswith(".lgdash") or Path(path).expanduser().exists():
            self._path: Path | None = Path(path).expanduser().absolute()
            data = read_dashboard(self._path)
        else:
            self._path = None
            self._document = find_document(str(path), "dashboard")
            data = validate_dashboard(document_content(self._document["id"]))
        self._stamp = self._file_stamp()
        super().__init__(dashboard=data, **kwargs)
        self.on_msg(_on_view_message)
        if self._document is not None:
            self._follower = DocumentFollower(self._document, self._on_content, self._on_gone)
            self._follower.start()
        else:
            self._start_watching()

    @property
    def path(self) -> Path | None:
        """The dashboard file (None for a document)."""
        return self._path

    @property
    def document(self) -> dict[str, Any] | None:
        """The shared dashboard document followed (id, kind, title, owner, access); None for a file."""
        return self._document

    @property
    def source(self) -> str:
        """What the dashboard was read from: the file, or the document as ``owner/title``."""
        if self._document is not None:
            return f"{self._document['owner']}/{self._document['title']}"
        return str(self._path)

    @property
    def title(self) -> str:
        return str(self.dashboard.get("title", ""))

    @property
    def charts(self) -> dict[str, dict[str, Any]]:
        """Chart id -> chart spec, as in the file."""
        return {cid: chart["spec"] for cid, chart in self.dashboard.get("charts", {}).items()}

    @property
    def filters(self) -> list[dict[str, Any]]:
        """The dashboard filters, with the values saved in the file."""
        return list(self.dashboard.get("filters", []))

    def spec(self, chart_id: str, conditions: list[Any] | None = None) -> dict[str, Any]:
        """The spec a chart queries: its own, plus the saved dashboard filters on its dataset,
        plus ``conditions`` (if given)."""
        spec = self._chart_spec(chart_id)
        saved = [
            c
            for f in self.filters
            if _on_dataset(spec, f.get("dataset", "")) and (c := filter_condition(f)) is not None
        ]
        return with_conditions(spec, [*saved, *(conditions or [])])

    def chart(self, chart_id: str, **kwargs: Any) -> ChartWidget:
        """One chart of the dashboard, with the saved dashboard filters applied, as a chart widget."""
        return ChartWidget(self.spec(chart_id), **kwargs)

    def refresh(self) -> None:
        """Read the file or document again and have every view run its charts again (e.g. after
        new data).

        Raises like the constructor when the file is missing or invalid.
        """
        if self._path is None:
            assert self._document is not None
            data = validate_dashboard(document_content(self._document["id"]))
        else:
            data = read_dashboard(self._path)
        self._stamp = self._file_stamp()
        self.error = ""
        if data != self.dashboard:
            self.dashboard = data
        self.send({"type": "refresh"})

    def close(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None
        if self._follower is not None:
            self._follower.stop()
        super().close()

    def _on_content(self, content: dict[str, Any]) -> None:
        try:
            data = validate_dashboard(content)
        except DashboardError as e:
            self.error = f"{self.source} is not a valid dashboard: " + "; ".join(e.errors)
            return
        self.error = ""
        if data != self.dashboard:
            self.dashboard = data

    def _on_gone(self, why: str) -> None:
        self.error = why

    def query(self, chart_id: str, conditions: list[Any] | None = None) -> bytes:
        """Run a chart of the file with extra ``conditions``; its result as Arrow IPC bytes.

        The view's filter choices and selections arrive here as ``conditions``.
        """
        from .notebook import query_chart

        spec = with_conditions(self._chart_spec(chart_id), list(conditions or []))
        return _result_bytes(query_chart(spec))

    def values(self, filter_id: str) -> list[Any]:
        """The values a dropdown filter offers: the column's most frequent values."""
        from .notebook import query_chart

        f = next((f for f in self.filters if f.get("id") == filter_id), None)
        if f is None:
            raise KeyError(f"No filter {filter_id!r} in {self.source}")
        ref = (
            "id" if len(f["dataset"]) == 32 and all(c in "0123456789abcdef" for c in f["dataset"]) else "name"
        )
        spec = {
            "version": 1,
            "dataset": {ref: f["dataset"]},
            "mark": "bar",
            "encoding": {"x": {"field": f["column"]}, "y": {"aggregate": "count"}},
            "sort": {"by": "y", "order": "descending"},
            "limit": MAX_DROPDOWN_VALUES,
        }
        table = query_chart(spec).table
        column = [v for v in table.column(0).to_pylist() if v is not None]
        # Dates and times as the ISO text a filter value holds.
        values = [v.isoformat() if hasattr(v, "isoformat") else v for v in column]
        return sorted(values, key=lambda v: (str(type(v)), v))

    def _chart_spec(self, chart_id: str) -> dict[str, Any]:
        chart = self.dashboard.get("charts", {}).get(chart_id)
        if chart is None:
            raise KeyError(f"No chart {chart_id!r} in {self.source}")
        return automatic_mark(dict(chart["spec"]))

    def _file_stamp(self) -> tuple[int, int] | None:
        if self._path is None:
            return None
        try:
            st = self._path.stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def check_file(self) -> bool:
        """Read the file again if it changed since last read; answers whether it did.

        A file that became invalid or went away leaves the last good dashboard shown, with
        ``error`` saying why. A document is followed live instead: this answers False.
        """
        if self._path is None:
            return False
        stamp = self._file_stamp()
        if stamp == self._stamp:
            return False
        self._stamp = stamp
        try:
            data = read_dashboard(self._path)
        except (DashboardError, FileNotFoundError) as e:
            self.error = str(e)
            return True
        self.error = ""
        if data != self.dashboard:
            self.dashboard = data
        return True

    def _start_watching(self) -> None:
        # ipykernel runs cells inside its asyncio loop; elsewhere (a plain script) nothing watches.
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._watch = loop.create_task(_watch(weakref.ref(self)))


async def _watch(ref: weakref.ref[Dashboard]) -> None:
    """Check the dashboard's file every ``poll_interval`` seconds until it is closed or gone."""
    while True:
        widget = ref()
        if widget is None or widget.comm is None:
            return
        interval = widget.poll_interval
        with contextlib.suppress(Exception):
            widget.check_file()
        del widget
        await asyncio.sleep(interval)


def _on_view_message(widget: Dashboard, content: dict[str, Any], buffers: list[bytes]) -> None:
    """Answer a view's request for a chart's result or a dropdown's values."""
    kind, request = content.get("type"), content.get("request")
    if kind == "query":
        chart_id = str(content.get("chart", ""))
        reply: dict[str, Any] = {"type": "result", "request": request, "chart": chart_id, "error": ""}
        conditions = content.get("conditions")
        try:
            if not isinstance(conditions, list):
                raise TypeError("conditions must be a list")
            data = widget.query(chart_id, conditions)
        except StoreError as e:
            widget.send({**reply, "error": str(e)})
        except Exception as e:
            # Shown in the chart's cell rather than lost in the kernel's log.
            widget.send({**reply, "error": f"{type(e).__name__}: {e}"})
        else:
            widget.send(reply, [data])
    elif kind == "values":
        filter_id = str(content.get("filter", ""))
        answer: dict[str, Any] = {"type": "values", "request": request, "filter": filter_id}
        try:
            widget.send({**answer, "values": widget.values(filter_id), "error": ""})
        except Exception as e:
            widget.send({**answer, "values": [], "error": f"{type(e).__name__}: {e}"})
