"""What a chart query gives back: the fields, a small columnar table, and how it was reduced."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, replace
from typing import Any

import orjson
import pyarrow as pa

from ..pages import column_values
from .spec import SPEC_VERSION

ARROW_STREAM = "application/vnd.apache.arrow.stream"


def _json_value(v: Any) -> Any:
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, dt.datetime):
        return v.replace(tzinfo=None).isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, dt.timedelta):
        return v.total_seconds()
    return v


def _json_column(col: pa.ChunkedArray) -> list[Any]:
    values = column_values(col)
    if pa.types.is_integer(col.type) or pa.types.is_string(col.type) or pa.types.is_boolean(col.type):
        return values
    return [_json_value(v) for v in values]


@dataclass(frozen=True)
class ChartResult:
    """A chart's data: at most the mark budget's worth of rows, one column per field.

    ``fields`` describe the columns of ``table`` in order (``name``, ``channel``,
    ``column``, ``type`` and, where they apply, ``aggregate``, ``timeUnit``,
    ``bin``, ``stat``, ``title``).
    """

    dataset: dict[str, Any]
    fields: list[dict[str, Any]]
    table: pa.Table
    marks: int
    source_rows: int
    reduction: dict[str, Any] | None = None
    cached: bool = False
    #: options the renderer needs that the engine settled (e.g. the map kind)
    options: dict[str, Any] | None = None
    #: the spec's trend lines and forecasts, computed (see :mod:`.overlays`)
    overlays: list[dict[str, Any]] | None = None

    def meta(self) -> dict[str, Any]:
        """Everything but the data."""
        out: dict[str, Any] = {
            "spec_version": SPEC_VERSION,
            "dataset": self.dataset,
            "fields": self.fields,
            "marks": self.marks,
            "source_rows": self.source_rows,
            "reduction": self.reduction,
            "cached": self.cached,
        }
        if self.options:
            out["options"] = self.options
        if self.overlays is not None:
            out["overlays"] = self.overlays
        return out

    def to_json(self) -> dict[str, Any]:
        """The result as JSON-ready Python: ``data`` is columnar, dates are ISO 8601, NaN is null."""
        out = self.meta()
        out["data"] = {f["name"]: _json_column(self.table.column(f["name"])) for f in self.fields}
        return out

    def to_json_bytes(self) -> bytes:
        return orjson.dumps(self.to_json())

    def to_arrow(self) -> pa.Table:
        """The data as an Arrow table whose schema metadata holds the rest under ``livegraphs``."""
        meta = orjson.dumps(self.meta())
        return self.table.replace_schema_metadata({b"livegraphs": meta})

    def to_arrow_bytes(self) -> bytes:
        """Arrow IPC stream bytes: what the REST API sends to clients that accept ``ARROW_STREAM``."""
        table = self.to_arrow()
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        return bytes(sink.getvalue())

    def as_cached(self) -> ChartResult:
        return replace(self, cached=True)

    @property
    def nbytes(self) -> int:
        return int(self.table.nbytes) + 2048


def read_arrow_stream(data: bytes) -> tuple[pa.Table, dict[str, Any]]:
    """The table and the result's other keys from Arrow IPC bytes (for clients and tests)."""
    table = pa.ipc.open_stream(pa.py_buffer(data)).read_all()
    meta = orjson.loads((table.schema.metadata or {})[b"livegraphs"])
    return table, meta
