"""The dataset store: one library, hosted by the server extension on a laptop and by the hub service.

It never imports tornado or jupyter_server. Hosts call it from worker threads;
every public method is safe to call concurrently.

Layout under ``root``::

    catalog.sqlite          the default catalog (any SQLAlchemy URL may replace it)
    datasets/<id>/<f>.parquet   one immutable file per version (a revert reuses a file)
    datasets/<id>/<f>.search4/  the version file's search index, once a search built it,
                                with lg_sorts/: each column's sort groups
    staging/                uploads being received and files being written
    work/                   scratch space of ingests and transforms

:class:`DatasetStore` is built by job: :mod:`.core` (settings, folders, locks,
connections), :mod:`.versions` (reading the catalog), :mod:`.changes` (uploads,
steps, reverts), :mod:`.refresh` (appends, replaces, comparisons), :mod:`.queries`
(pages, profiles, exports), :mod:`.searching` (full-text search), :mod:`.sqlsets` (SQL queries
and the datasets they make) and its chart engine (:mod:`.charts`).
"""

from __future__ import annotations

import threading

from .charts import ChartEngine
from .core import InTransaction, StoreConfig, check_name, default_root
from .errors import StoreError
from .models.store import DatasetModels
from .queries import MAX_PAGE, ExportFile
from .searching import DatasetSearch
from .sqlsets import DatasetSql


class DatasetStore(DatasetSql, DatasetSearch, DatasetModels):
    """Datasets, their versions, and everything done to them."""

    def __init__(self, config: StoreConfig, *, sweep: bool = True):
        super().__init__(config, sweep=sweep)
        self._charts: ChartEngine | None = None
        self._charts_guard = threading.Lock()

    @property
    def charts(self) -> ChartEngine:
        """The chart engine of in-process callers (notebook kernels), made on first use.

        Every chart query of this store that names no other engine runs here, on its
        pooled connections (settings: ``StoreConfig.chart_*``).
        """
        with self._charts_guard:
            if self._charts is None:
                c = self.config
                self._charts = ChartEngine(
                    self,
                    max_marks=c.chart_max_marks,
                    cache_bytes=c.chart_cache_bytes,
                    idle_connections=c.chart_idle_connections,
                )
            return self._charts

    def close(self) -> None:
        with self._charts_guard:
            charts, self._charts = self._charts, None
        if charts is not None:
            charts.close()
        super().close()


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
