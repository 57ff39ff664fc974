"""The dataset store: one library, hosted by the server extension on a laptop and by the hub service.

It never imports tornado or jupyter_server. Hosts call it from worker threads;
every public method is safe to call concurrently.

Layout under ``root``::

    catalog.sqlite          the default catalog (any SQLAlchemy URL may replace it)
    datasets/<id>/<f>.parquet   one immutable file per version (a revert reuses a file)
    staging/                uploads being received and files being written
    work/                   scratch space of ingests and transforms

:class:`DatasetStore` is built by job: :mod:`.core` (settings, folders, locks,
connections), :mod:`.versions` (reading the catalog), :mod:`.changes` (uploads,
steps, reverts), :mod:`.queries` (pages, profiles, exports).
"""

from __future__ import annotations

from .changes import DatasetChanges
from .core import InTransaction, StoreConfig, check_name, default_root
from .errors import StoreError
from .queries import MAX_PAGE, DatasetQueries, ExportFile


class DatasetStore(DatasetChanges, DatasetQueries):
    """Datasets, their versions, and everything done to them."""


__all__ = [
    "MAX_PAGE",
    "DatasetStore",
    "ExportFile",
    "InTransaction",
    "StoreConfig",
    "StoreError",
    "check_name",
    "default_root",
]
