"""Column types and the per-upload validation report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from .errors import Problem

ColumnType = Literal["integer", "float", "boolean", "date", "datetime", "string"]
COLUMN_TYPES: tuple[ColumnType, ...] = ("integer", "float", "boolean", "date", "datetime", "string")

#: The DuckDB type each column type is stored as.
DUCKDB_TYPES: dict[str, str] = {
    "integer": "BIGINT",
    "float": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "datetime": "TIMESTAMP",
    "string": "VARCHAR",
}


def column_type_of(duckdb_type: str) -> ColumnType:
    """Map a DuckDB type name to a column type (anything unknown is a string)."""
    t = duckdb_type.upper()
    if t in {
        "BIGINT",
        "INTEGER",
        "SMALLINT",
        "TINYINT",
        "HUGEINT",
        "UBIGINT",
        "UINTEGER",
        "USMALLINT",
        "UTINYINT",
    }:
        return "integer"
    if t in {"DOUBLE", "FLOAT", "REAL"} or t.startswith("DECIMAL"):
        return "float"
    if t == "BOOLEAN":
        return "boolean"
    if t == "DATE":
        return "date"
    if t.startswith("TIMESTAMP"):
        return "datetime"
    return "string"


@dataclass
class ColumnInfo:
    name: str
    type: ColumnType
    nulls: int = 0
    #: "UTC" etc. for a datetime column whose values carried a zone offset.
    timezone: str | None = None
    #: The exact number of values (nulls aside) of an integer column that has few
    #: (``profile.DISTINCT_UP_TO``); None for other columns, and for versions written before it was kept.
    distinct: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type, "nulls": self.nulls}
        if self.timezone:
            out["timezone"] = self.timezone
        if self.distinct is not None:
            out["distinct"] = self.distinct
        return out

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ColumnInfo:
        distinct = d.get("distinct")
        return cls(
            name=d["name"],
            type=d["type"],
            nulls=int(d.get("nulls", 0)),
            timezone=d.get("timezone"),
            distinct=None if distinct is None else int(distinct),
        )


@dataclass
class Report:
    """What an ingest found: how the file was read and what did not fit."""

    format: str  # "csv" | "json" | "jsonl"
    encoding: str | None = None
    delimiter: str | None = None
    header: bool | None = None
    line_ending: str | None = None  # "LF" | "CRLF" | "CR"
    compression: str | None = None  # "gzip" or None
    problems: list[Problem] = field(default_factory=list)
    #: number of problems found in all (``problems`` holds at most the configured number)
    problem_count: int = 0
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "header": self.header,
            "line_ending": self.line_ending,
            "compression": self.compression,
            "problems": [p.to_json() for p in self.problems],
            "problem_count": self.problem_count,
            "notes": list(self.notes),
        }


@dataclass
class IngestResult:
    rows: int
    columns: list[ColumnInfo]
    report: Report
