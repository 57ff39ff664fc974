"""Reach the dataset store from a notebook kernel: ``lg.datasets()``, ``lg.load()``,
``lg.sql()``, ``lg.upload()``, ``lg.query_chart()``.

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
from typing import TYPE_CHECKING, Any, BinaryIO

import orjson

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

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
    raw_body: BinaryIO | None = None,
    raw_length: int | None = None,
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
    body: bytes | BinaryIO | None = data
    if raw_body is not None:
        # streamed from the file, never held in memory whole
        body = raw_body
        headers["Content-Type"] = "application/octet-stream"
        headers["Content-Length"] = str(raw_length)
    request = urllib.request.Request(url, data=body, headers=headers)  # noqa: S310
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

    return _arrow(_find(name), version).to_pandas(types_mapper=pd.ArrowDtype)


def _arrow(ds: dict[str, Any], version: int | None) -> pa.Table:
    """A version of the dataset ``ds`` (as :func:`_find` gives it) as an Arrow table."""
    if _service() is None:
        return store().arrow(ds["id"], version)
    import pyarrow.parquet as pq

    data = _call(f"datasets/{ds['id']}/export", {"format": "parquet", "version": version, "purpose": "load"})
    return pq.read_table(io.BytesIO(data))


def sql(query: str) -> pd.DataFrame:
    """The result of a SQL query (DuckDB's dialect) over the datasets you may read, as a DataFrame.

    Name datasets as tables: ``sales``, ``"owner/name"`` or ``"<id>"`` (quote names with spaces,
    capitals or a ``/``). One SELECT only, read-only, with the functions listed in the SQL docs; the
    whole result comes back (at most ``sql_max_rows`` rows). Columns are typed as a dataset saved
    from the query would be. Under JupyterHub the service runs it, as you.
    """
    import pandas as pd
    import pyarrow as pa

    if _service() is None:
        from ..store import GuardedStore, Principal

        # as the laptop's server sees its one user: who may read every dataset of the store
        table, _ = GuardedStore(store()).sql_table(Principal(_me(), is_admin=True), query)
    else:
        data = _call("sql/query", json_body={"sql": query}, accept="application/vnd.apache.arrow.stream")
        table = pa.ipc.open_stream(data).read_all()
    return table.replace_schema_metadata(None).to_pandas(types_mapper=pd.ArrowDtype)


def sql_columns(query: str) -> list[dict[str, Any]]:
    """The columns (``{"name", "type"}``) of a query's result, as :func:`sql` would give them."""
    if _service() is None:
        from ..store import GuardedStore, Principal

        page = GuardedStore(store()).sql_query(Principal(_me(), is_admin=True), query, limit=0, count=False)
    else:
        page = orjson.loads(_call("sql/query", json_body={"sql": query, "limit": 0, "count": False}))
    return list(page["columns"])


UPLOAD_MODES = ("new", "append", "replace")


def upload(
    data: pd.DataFrame | str | os.PathLike[str],
    name: str,
    mode: str = "new",
    *,
    replay: bool = True,
    bad_values: str | None = None,
) -> dict[str, Any]:
    """Store a DataFrame or a file (CSV, TSV, JSON, JSON Lines, maybe gzip) as a dataset.

    ``mode="new"`` makes the dataset ``name`` (an error if you have one of that name);
    ``"append"`` adds the rows to the dataset ``name`` (by id, ``owner/name`` or name) and
    ``"replace"`` replaces its data, each as a new version: charts that follow the dataset
    show the new data, charts pinned to a version keep theirs. ``replay`` applies the
    dataset's cleaning recipe to the new data again. A DataFrame is sent as CSV, so its
    columns are typed as an uploaded file's (``docs/uploads.md``); ``bad_values`` as there.

    Returns the dataset; after an append or a replace, its ``changes`` (columns added,
    removed, retyped; rows before and after). Under JupyterHub the service does the work,
    as you; only the dataset's owner and its editors may append or replace.
    """
    if mode not in UPLOAD_MODES:
        raise ValueError(f"mode is one of {', '.join(UPLOAD_MODES)}, not {mode!r}")
    if isinstance(data, str | os.PathLike):
        given = Path(data)
        path: Path | None = given
        filename = given.name
    else:
        path, filename = None, f"{name.split('/')[-1]}.csv"
    if _service() is None:
        return _upload_here(data, path, name, mode, filename, replay=replay, bad_values=bad_values)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        if path is None:
            path = Path(tmp) / "data.csv"
            data.to_csv(path, index=False)  # type: ignore[union-attr]
        params: dict[str, Any] = {"filename": filename, "bad_values": bad_values}
        if mode == "new":
            target = "datasets"
            params["name"] = name
        else:
            target = f"datasets/{_find(name)['id']}/data"
            params.update(mode=mode, replay="true" if replay else "false")
        with open(path, "rb") as f:
            answer = _call(target, params, raw_body=f, raw_length=path.stat().st_size)
    return dict(orjson.loads(answer))


def _upload_here(
    data: Any,
    path: Path | None,
    name: str,
    mode: str,
    filename: str,
    *,
    replay: bool,
    bad_values: str | None,
) -> dict[str, Any]:
    """:func:`upload` into the store this kernel's server uses, as this server's user."""
    import shutil

    from ..store import GuardedStore, Principal

    st = store()
    guarded = GuardedStore(st)
    me = Principal(_me())
    dataset_id = _find(name)["id"] if mode != "new" else None
    src = st.staging_path()
    try:
        if path is None:
            data.to_csv(src, index=False)
        else:
            shutil.copyfile(path, src)
    except BaseException:
        src.unlink(missing_ok=True)
        raise
    if dataset_id is None:
        return guarded.create_from_file(me, src, name=name, filename=filename, bad_values=bad_values)
    return guarded.new_data(
        me, dataset_id, src, mode=mode, replay=replay, filename=filename, bad_values=bad_values
    )


def query_chart(spec: dict[str, Any], max_marks: int | None = None) -> ChartResult:
    """Run a chart spec (``docs/charts.md``): in-process on a laptop, by the service on a hub.

    Returns the engine's result (``.to_json()``, ``.to_arrow()``); raises the
    store's ``BadInput`` / ``NotFound`` for a spec that cannot be drawn (on a hub,
    ``ServiceError`` with the service's status and message).
    """
    if _service() is not None:
        return _query_chart_on_service(spec, max_marks)
    if isinstance(spec.get("dataset"), dict) and "sql" in spec["dataset"]:
        from ..store import GuardedStore, Principal

        # a query's chart, as lg.sql runs a query: for the laptop's one user, who may read everything
        if max_marks is not None:
            spec = {**spec, "max_marks": max_marks}
        return GuardedStore(store()).chart(Principal(_me(), is_admin=True), store().charts, spec)
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
