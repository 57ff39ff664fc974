"""Domain errors of the dataset store.

The store never speaks HTTP, but every error carries the status a host should
answer with, so that one place in each host (the server extension's base
handler, the hub service) turns them into the one JSON error shape::

    {"message": "...", "reason": "...", "errors": [{"row", "column", "value", "expected"}]}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One validation problem: a value that does not fit its column's type.

    ``row`` is the 1-based data row (the header is not counted); ``None`` when
    the problem is not tied to one row.
    """

    row: int | None
    column: str | None
    value: Any
    expected: str

    def to_json(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "value": self.value, "expected": self.expected}


@dataclass
class StoreError(Exception):
    """Base of every error the store raises on purpose."""

    message: str
    reason: str = "Bad Request"
    errors: list[Problem] = field(default_factory=list)
    status = 400

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class BadInput(StoreError):
    """The request or the uploaded file cannot be used (400)."""

    status = 400


class NotFound(StoreError):
    """No such dataset or version (404)."""

    status = 404

    def __init__(self, message: str, reason: str = "Not Found", errors: list[Problem] | None = None):
        super().__init__(message, reason, errors or [])


class Forbidden(StoreError):
    """The caller may not do this (403)."""

    status = 403

    def __init__(self, message: str, reason: str = "Forbidden", errors: list[Problem] | None = None):
        super().__init__(message, reason, errors or [])


class Conflict(StoreError):
    """The request conflicts with the dataset's current state (409)."""

    status = 409

    def __init__(self, message: str, reason: str = "Conflict", errors: list[Problem] | None = None):
        super().__init__(message, reason, errors or [])


class TooLarge(StoreError):
    """A size limit was exceeded (413)."""

    status = 413

    def __init__(self, message: str, reason: str = "Payload Too Large", errors: list[Problem] | None = None):
        super().__init__(message, reason, errors or [])


class Unsupported(StoreError):
    """The file's format is not one the store reads (415)."""

    status = 415

    def __init__(
        self, message: str, reason: str = "Unsupported Media Type", errors: list[Problem] | None = None
    ):
        super().__init__(message, reason, errors or [])


class TimedOut(StoreError):
    """The work ran past its time limit (408 for uploads, 400-class by design)."""

    status = 408

    def __init__(self, message: str, reason: str = "Request Timeout", errors: list[Problem] | None = None):
        super().__init__(message, reason, errors or [])


class Cancelled(StoreError):
    """The caller cancelled the work; nothing was kept."""

    status = 499

    def __init__(
        self, message: str = "cancelled", reason: str = "Cancelled", errors: list[Problem] | None = None
    ):
        super().__init__(message, reason, errors or [])


class Gone(StoreError):
    """The thing existed but is no longer there to be had, such as an expired link (410)."""

    status = 410

    def __init__(self, message: str, reason: str = "Gone", errors: list[Problem] | None = None):
        super().__init__(message, reason, errors or [])
