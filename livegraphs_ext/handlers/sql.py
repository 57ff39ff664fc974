"""REST handlers of SQL: run a query, save it as a dataset, refresh a dataset a query made.

Served by both hosts. Each dataset a query names is bound by the host for the caller (see
``store/sqlquery``); a query runs as :meth:`~.base.LiveGraphsHandler.run_query` says: the caller's
turns, the time limit, and stopped when the caller goes away.
"""

from __future__ import annotations

from typing import Any

import orjson
import pyarrow as pa
from jupyter_server.auth.decorator import authorized
from tornado import web

from ..rest import DATASET_ID, bad_request, is_int
from ..store.charts import ARROW_STREAM
from .base import LiveGraphsHandler, QueryBodyHandler

#: the schema metadata key of an Arrow answer that holds the columns' descriptions (JSON)
ARROW_COLUMNS = b"livegraphs.columns"


class SqlBody(QueryBodyHandler):
    """A route whose JSON body holds a query: at most ``max_query_bytes`` (413), read into memory."""

    def sql_body(self) -> dict[str, Any]:
        body = self.json_body()
        if not isinstance(body.get("sql"), str):
            raise bad_request('Send {"sql": "select ..."}', "Bad SQL")
        return body


def _int_field(body: dict[str, Any], key: str, default: int) -> int:
    value = body.get(key, default)
    if value is None:
        return default
    if not is_int(value):
        raise bad_request(f"{key} must be an integer", "Bad page")
    return int(value)


@web.stream_request_body
class SqlQueryHandler(SqlBody):
    """``POST sql/query {"sql", "offset"?, "limit"?, "count"?}``: a page of the query's result.

    With ``Accept: application/vnd.apache.arrow.stream`` the whole result instead (at most
    ``sql_max_rows`` rows, else 413), its columns' descriptions in the schema's metadata.
    """

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.sql_body()
        if ARROW_STREAM in self.request.headers.get("Accept", ""):
            table, columns = await self.run_query(self.guarded.sql_table, self.principal, body["sql"])
            table = table.replace_schema_metadata({ARROW_COLUMNS: orjson.dumps(columns)})
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, table.schema) as writer:
                writer.write_table(table)
            self.finish_typed(sink.getvalue().to_pybytes(), ARROW_STREAM)
            return
        count = body.get("count", True)
        if not isinstance(count, bool):
            raise bad_request("count must be true or false", "Bad page")
        page = await self.run_query(
            self.guarded.sql_query,
            self.principal,
            body["sql"],
            offset=_int_field(body, "offset", 0),
            limit=_int_field(body, "limit", 100),
            count=count,
        )
        self.write_json(page)


@web.stream_request_body
class SqlDatasetsHandler(SqlBody):
    """``POST sql/datasets {"sql", "name"}``: the query's whole result as a new dataset of the caller's.

    Its first version is of kind ``sql``: the query and the versions of its sources are its recipe,
    and ``POST datasets/{id}/refresh`` runs it again when a source changes.
    """

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.sql_body()
        dataset = await self.run_query(
            self.guarded.sql_save, self.principal, body["sql"], body.get("name"), heavy=True
        )
        self.host.notify(self, "created", dataset)
        self.set_header("Location", self.host.api_url("datasets", dataset["id"]))
        self.write_json(dataset, status=201)


class RefreshHandler(LiveGraphsHandler):
    """A dataset made by a query: ``GET`` its query and whether its sources moved on (readers);
    ``POST`` runs the query again over their current versions (owners and editors who may read
    every source): 201 with the new version, or 200 with ``"refreshed": false`` when no source moved.
    """

    @web.authenticated
    @authorized
    async def get(self, dataset_id: str) -> None:
        self.write_json(await self.run(self.guarded.sql_sources, self.principal, dataset_id))

    @web.authenticated
    @authorized
    async def post(self, dataset_id: str) -> None:
        out = await self.run_query(self.guarded.sql_refresh, self.principal, dataset_id, heavy=True)
        if out["refreshed"]:
            self.host.notify(self, "changed", out)
        self.write_json(out, status=201 if out["refreshed"] else 200)


#: (path under the API root, handler): the SQL routes, served by both hosts.
ROUTES: list[tuple[str, type]] = [
    (r"sql/query", SqlQueryHandler),
    (r"sql/datasets", SqlDatasetsHandler),
    (rf"datasets/{DATASET_ID}/refresh", RefreshHandler),
]
