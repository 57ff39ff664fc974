"""REST handlers of models: fit one on a dataset (a report), or add its predictions as a version."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..rest import DATASET_ID, bad_request, optional_int
from ..store.stopping import GONE, QueryControl
from .base import LiveGraphsHandler

T = TypeVar("T")


class ModelHandler(LiveGraphsHandler):
    """Runs a fit in the heavy pool; it is stopped (its process killed) when the caller goes away.

    The fit's own time limit (``StoreConfig.models``) applies, not the query time limit.
    """

    def spec_body(self) -> tuple[dict[str, Any], dict[str, Any]]:
        body = self.json_body()
        spec = body.get("spec")
        if not isinstance(spec, dict):
            raise bad_request('Send {"spec": {"target": ..., "features": [...]}}', "Bad model")
        return spec, body

    async def fit(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        control = QueryControl(None)
        if self._gone:
            control.stop(GONE)
        self._control = control
        try:
            return await self.run(control.call, fn, *args, heavy=True, **kwargs)
        finally:
            self._control = None


class ModelsHandler(ModelHandler):
    """``POST {"spec", "version"?}``: fit a model and answer its report (with ``code``); readers may."""

    @web.authenticated
    @authorized
    async def post(self, dataset_id: str) -> None:
        spec, body = self.spec_body()
        version = optional_int(body, "version")
        report = await self.fit(self.guarded.fit_model, self.principal, dataset_id, spec, version)
        self.write_json(report)


class PredictionsHandler(ModelHandler):
    """``POST {"spec", "base_version"}``: the model's predictions as a new column, in a new version."""

    @web.authenticated
    @authorized
    async def post(self, dataset_id: str) -> None:
        spec, body = self.spec_body()
        base = optional_int(body, "base_version")
        result = await self.fit(
            self.guarded.add_predictions, self.principal, dataset_id, spec, base_version=base
        )
        self.host.notify(self, "changed", result)
        self.write_json(result, status=201)


#: (path under the API root, handler): the model routes, served by both hosts.
ROUTES: list[tuple[str, type]] = [
    (rf"datasets/{DATASET_ID}/models", ModelsHandler),
    (rf"datasets/{DATASET_ID}/models/predictions", PredictionsHandler),
]
