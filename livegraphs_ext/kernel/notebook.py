"""Reach the dataset store from a notebook kernel: ``lg.datasets()``, ``lg.load()``,
``lg.query_chart()``.

On a laptop the kernel opens the store its server uses. Under JupyterHub (the server
set ``$LIVEGRAPHS_SERVICE_URL``) it asks the livegraphs service instead, with the
server's ``$JUPYTERHUB_API_TOKEN``, so it sees exactly what its user may see.
"""

from __future__ import annotations

import io
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    import pandas as pd

    from ..store import DatasetStore
    from ..store.charts import ChartResult


@lru_cache(maxsize=4)
def _store(root: str, catalog_url: str | None) -> DatasetStore:
    from ..store import DatasetStore, StoreConfig

    # A kernel is a reader beside the server: it must not sweep the server's staging files.
    return DatasetStore(StoreConfig(root=Path(root), catalog_url=catalog_url), sweep=False)


class OnHubError(RuntimeError):
    """Asked for the local store in a kernel under JupyterHub, where datasets live in the service."""


def store() -> DatasetStore:
    """The store this kernel's server uses (``$LIVEGRAPHS_DATA_DIR`` / ``$LIVEGRAPHS_CATALOG_URL``).

    Under JupyterHub there is none: datasets live in the livegraphs service, which
    ``lg.datasets``, ``lg.load``, ``lg.query_chart`` and the widgets reach; this raises
    :class:`OnHubError` rather than make an empty store in the user's home.
    """
    from ..store import default_root

    if _service() is not None:
        raise OnHubError(
            "this kernel runs under JupyterHub: its datasets are in the livegraphs service "
            "($LIVEGRAPHS_SERVICE_URL), not in a local store; use lg.datasets(), lg.load(), "
            "lg.chart() or lg.query_chart()"
        )
    return _store(str(default_root()), os.environ.get("LIVEGRAPHS_CATALOG_URL") or None)


class ServiceError(RuntimeError):
    """The livegraphs service refused a request; ``status`` is its HTTP status."""

    def __init__(self, status: int, message: str):
        super().__init__(f"{status}: {message}")
        self.status = status


def _service() -> tuple[str, str] | None:
    """(service URL, token) when this kernel runs under a hub with the livegraphs service."""
    url, token = os.environ.get("LIVEGRAPHS_SERVICE_URL"), os.environ.get("JUPYTERHUB_API_TOKEN")
    return (url.rstrip("/") + "/", token) if url and token else None


def _call(
    path: str,
    params: dict[str, Any] | None = None,
    *,
    json_body: Any = None,
    accept: str | None = None,
) -> bytes:
    svc = _service()
    assert svc is not None
    base, token = svc
    query = (
        ("?" + urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})) if params else ""
    )
    if urllib.parse.urlparse(base).scheme not in ("http", "https"):
        raise ValueError(f"LIVEGRAPHS_SERVICE_URL must be http(s), not {base!r}")
    url = base + "api/" + path + query
    headers = {"Authorization": f"token {token}"}
    data = None
    if json_body is not None:
        data = orjson.dumps(json_body)
        headers["Content-Type"] = "application/json"
    if accept:
        headers["Accept"] = accept
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=600) as r:  # noqa: S310 - URL set by the server's config
            return bytes(r.read())
    except urllib.error.HTTPError as e:
        try:
            message = orjson.loads(e.read()).get("message", e.reason)
        except (orjson.JSONDecodeError, AttributeError):
            message = str(e.reason)
        raise ServiceError(e.code, message) from None


def _list() -> list[dict[str, Any]]:
    if _service() is None:
        return store().list_datasets()
    return list(orjson.loads(_call("datasets"))["datasets"])


def _me() -> str:
    """Who this kernel acts for when it opens the store itself: the server's user."""
    import getpass

    return os.environ.get("JUPYTERHUB_USER") or os.environ.get("LIVEGRAPHS_LOCAL_USER") or getpass.getuser()


def _find(name: str) -> dict[str, Any]:
    """A dataset by id or name: ``owner/name``, or a bare name (your own first, else the one shared
    with you; ambiguous names are refused with their ``owner/name`` choices)."""
    if _service() is None:
        return store().find(name, owner=_me())
    if re.fullmatch(r"[0-9a-f]{32}", name):
        return dict(orjson.loads(_call(f"datasets/{name}")))
    return dict(orjson.loads(_call("datasets/resolve", {"name": name})))


def datasets() -> pd.DataFrame:
    """Every dataset you may read: id, name, owner, rows, columns, version, size and last change."""
    import pandas as pd

    rows = [
        {
            "name": d["name"],
            "id": d["id"],
            "owner": d["owner"],
            "rows": d["rows"],
            "columns": len(d["columns"]),
            "version": d["version"],
            "size": d["size"],
            "updated": pd.Timestamp(d["updated"]),
        }
        for d in _list()
    ]
    cols = ["name", "id", "owner", "rows", "columns", "version", "size", "updated"]
    return pd.DataFrame(rows, columns=cols)


def load(name: str, version: int | None = None) -> pd.DataFrame:
    """A dataset (by id, ``owner/name`` or name) as a pandas DataFrame with Arrow-backed dtypes.

    A bare name is your own dataset of that name, else the one shared with you; when several
    users share one by that name, name it as ``owner/name`` (the error lists them).
    ``version`` picks an older version; the default is the current one.
    """
    import pandas as pd

    ds = _find(name)
    if _service() is None:
        table = store().arrow(ds["id"], version)
    else:
        import pyarrow.parquet as pq

        data = _call(f"datasets/{ds['id']}/export", {"format": "parquet", "version": version})
        table = pq.read_table(io.BytesIO(data))
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def query_chart(spec: dict[str, Any], max_marks: int | None = None) -> ChartResult:
    """Run a chart spec (``docs/charts.md``): in-process on a laptop, by the service on a hub.

    Returns the engine's result (``.to_json()``, ``.to_arrow()``); raises the
    store's ``BadInput`` / ``NotFound`` for a spec that cannot be drawn (on a hub,
    ``ServiceError`` with the service's status and message).
    """
    if _service() is not None:
        return _query_chart_on_service(spec, max_marks)
    # the store's own engine: every chart of this kernel runs on its pooled connections
    return store().charts.run(spec, max_marks=max_marks, user=_me())


def _query_chart_on_service(spec: dict[str, Any], max_marks: int | None) -> ChartResult:
    from ..store.charts import ChartResult
    from ..store.charts.result import read_arrow_stream

    if max_marks is not None:
        spec = {**spec, "max_marks": max_marks}
    data = _call("charts/query", json_body={"spec": spec}, accept="application/vnd.apache.arrow.stream")
    table, meta = read_arrow_stream(data)
    return ChartResult(
        dataset=meta["dataset"],
        fields=meta["fields"],
        table=table.replace_schema_metadata(None),
        marks=meta["marks"],
        source_rows=meta["source_rows"],
        reduction=meta.get("reduction"),
        cached=meta.get("cached", False),
        options=meta.get("options"),
    )
