"""The ingest engine: uploaded CSV/TSV/JSON/JSON Lines (optionally gzip) to typed Parquet.

Public API: :func:`ingest_file` and :class:`IngestLimits`. Nothing here imports a web
framework; hosts turn the raised ``StoreError`` subclasses into HTTP answers.
"""

from .api import BAD_VALUES, ingest_file
from .limits import IngestLimits

__all__ = ["BAD_VALUES", "IngestLimits", "ingest_file"]
