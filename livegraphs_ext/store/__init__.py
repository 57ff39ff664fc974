"""The livegraphs dataset store: ingest, types, versions, changes and queries.

A plain library: it never imports tornado or jupyter_server, so the same code
runs inside the laptop's jupyter-server extension and inside the hub service.
"""

# After the store: these add the shares and events tables to the catalog's schema.
from .accounts import Accounts
from .acl import GuardedStore, Principal
from .documents import DocumentStore
from .errors import BadInput, Conflict, Forbidden, NotFound, Problem, StoreError, TooLarge, Unsupported
from .events import EventLog
from .schema import ColumnInfo, IngestResult, Report
from .store import DatasetStore, ExportFile, StoreConfig, check_name, default_root

__all__ = [
    "Accounts",
    "BadInput",
    "ColumnInfo",
    "Conflict",
    "DatasetStore",
    "DocumentStore",
    "EventLog",
    "ExportFile",
    "Forbidden",
    "GuardedStore",
    "IngestResult",
    "NotFound",
    "Principal",
    "Problem",
    "Report",
    "StoreConfig",
    "StoreError",
    "TooLarge",
    "Unsupported",
    "check_name",
    "default_root",
]
