"""Users' SQL over the datasets they may read, locked down.

A query passes three gates before and while it runs: sqlglot's parse held to an allowlist
(:mod:`.check`, in the host), DuckDB's own parse held to one (:mod:`.duckast`, in the worker), and
a DuckDB that can read only the bound datasets' files and change no setting, in a worker process
whose time and memory are capped and which is killed when the caller goes away
(:mod:`.worker`, :mod:`.engine`). The host binds every dataset name for the caller
(:mod:`.access`); the store runs and saves queries (:mod:`..sqlsets`). Allowed node types and
functions: :mod:`.allow`.
"""

from typing import Any

from .checked import Checked, SqlRefused
from .engine import SqlLimits


def __getattr__(name: str) -> Any:
    # sqlglot is imported by the first check of a query, not by the store
    if name == "check_sql":
        from .check import check_sql

        return check_sql
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Checked", "SqlLimits", "SqlRefused", "check_sql"]
