"""The chart query engine: a chart spec in, at most ``max_marks`` marks out.

A plain library like the rest of the store (no tornado, no jupyter_server):
the server extension, the hub service and notebook kernels all call it.

    from livegraphs_ext.store.charts import run_chart, validate_spec
    result = run_chart(store, spec, max_marks=5000)  # -> ChartResult (.to_json(), .to_arrow())

By job: ``spec`` checks and normalises a spec, ``compile`` turns it into SQL,
``engine`` runs it (``downsample`` thins lines of raw points), ``cache`` keeps
results, ``pool`` keeps the locked DuckDB connections, ``result`` is what comes
back. See ``docs/charts.md`` for the spec and the result.
"""

from .cache import ChartCache
from .engine import DEFAULT_MAX_MARKS, ChartEngine, run_chart, run_chart_file
from .pool import ConnectionPool, EngineConfig
from .result import ARROW_STREAM, ChartResult, read_arrow_stream
from .spec import ChartSpec, CheckedSpec, FieldRef, check_shape, spec_schema, validate_spec

__all__ = [
    "ARROW_STREAM",
    "DEFAULT_MAX_MARKS",
    "ChartCache",
    "ChartEngine",
    "ChartResult",
    "ChartSpec",
    "CheckedSpec",
    "ConnectionPool",
    "EngineConfig",
    "FieldRef",
    "check_shape",
    "read_arrow_stream",
    "run_chart",
    "run_chart_file",
    "spec_schema",
    "validate_spec",
]
