"""The REST API of livegraphs, under ``{base_url}livegraphs/api/``."""

from __future__ import annotations

from .charts import ChartQueryHandler, ChartSchemaHandler
from .datasets import (
    DatasetHandler,
    DatasetsHandler,
    ExportHandler,
    FormulaHandler,
    ImportHandler,
    ProfileHandler,
    RecipeHandler,
    RevertHandler,
    RowsHandler,
    TransformsHandler,
    VersionHandler,
    VersionsHandler,
)
from .meta import NotFoundHandler, OpenAPIHandler

_ID = r"(?P<dataset_id>[0-9a-f]{32})"

#: (path under the API root, handler) — the one table of routes.
ROUTES: list[tuple[str, type]] = [
    (r"datasets", DatasetsHandler),
    (rf"datasets/{_ID}", DatasetHandler),
    (rf"datasets/{_ID}/rows", RowsHandler),
    (rf"datasets/{_ID}/versions", VersionsHandler),
    (rf"datasets/{_ID}/versions/(?P<number>[0-9]{{1,9}})", VersionHandler),
    (rf"datasets/{_ID}/revert", RevertHandler),
    (rf"datasets/{_ID}/transforms", TransformsHandler),
    (rf"datasets/{_ID}/recipe", RecipeHandler),
    (rf"datasets/{_ID}/export", ExportHandler),
    (r"datasets/import", ImportHandler),
    (rf"datasets/{_ID}/profile", ProfileHandler),
    (rf"datasets/{_ID}/formula", FormulaHandler),
    (r"openapi.yaml", OpenAPIHandler),
    (r"charts/query", ChartQueryHandler),
    (r"charts/schema", ChartSchemaHandler),
    (r"(?P<path>.*)", NotFoundHandler),
]

__all__ = ["ROUTES"]
