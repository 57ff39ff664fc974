"""On a hub, a user's server adds the user's chart files to the service's answers about changed columns.

The service here is a stand-in tornado app on loopback answering ``compare`` and a dataset the way
the service does (and, on request, badly); the real forwarder runs in a real jupyter server in front
of it, with the user's files in its root, as on a hub.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from tornado.httpclient import HTTPClientError
from tornado.httpserver import HTTPServer
from tornado.web import Application, RequestHandler

from livegraphs_ext.rest import error_body

from ..servers import free_port
from .forwarding import SERVER_TOKEN, hub_server_config

DATASET = {"id": "ab" * 16, "name": "weather", "owner": "ada"}
COMPARE = {
    "from": 1,
    "to": 2,
    "rows": {"from": 3, "to": 3, "added": 0, "removed": 0},
    "columns": {"added": [], "removed": [{"name": "temp", "type": "float"}], "retyped": []},
    "charts": {"documents": [], "hidden": 0},
}


class Compare(RequestHandler):
    """The service's ``GET datasets/{id}/compare``; ``to`` picks how it answers."""

    async def get(self, dataset_id: str) -> None:
        assert self.request.headers["Authorization"] == f"token {SERVER_TOKEN}"
        how = self.get_argument("to")
        if how == "cut":  # the headers promise more than comes: the connection ends early
            self.set_header("Content-Type", "application/json")
            self.set_header("Content-Length", "1000")
            self.request.connection.stream.write(  # type: ignore[attr-defined]
                b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"from": 1'
            )
            self.request.connection.stream.close()  # type: ignore[attr-defined]
            self._finished = True
            return
        if how == "missing":
            self.set_status(404)
            self.set_header("Content-Type", "application/json")
            self.finish(orjson.dumps(error_body("No such version", "Not Found")))
            return
        if how == "none":
            self.set_status(204)
            self.finish()
            return
        self.set_header("Content-Type", "application/json")
        self.set_header("Etag", '"of-the-answer-without-files"')
        self.finish(orjson.dumps(COMPARE))


class Dataset(RequestHandler):
    def get(self, dataset_id: str) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish(orjson.dumps({**DATASET, "id": dataset_id}))


@pytest.fixture
def lg_service_port() -> int:
    return free_port()


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any], lg_service_port: int, monkeypatch) -> dict[str, Any]:
    monkeypatch.setenv("JUPYTERHUB_USER", "ada")  # the server's owner, whose files these are
    return hub_server_config(jp_server_config, lg_service_port, monkeypatch)


@pytest.fixture
def lg_service(lg_service_port: int) -> Iterator[None]:
    api = "/services/livegraphs/api/datasets/([0-9a-f]{32})"
    server = HTTPServer(Application([(api + "/compare", Compare), (api, Dataset)]))
    server.listen(lg_service_port, "127.0.0.1")
    yield
    server.stop()


def compare(jp_fetch: Any, how: str) -> Any:
    return jp_fetch("livegraphs", "api", "datasets", DATASET["id"], "compare", params={"to": how})


async def test_compare_names_the_users_chart_files_and_drops_the_services_etag(
    jp_fetch, jp_root_dir, lg_service
):
    chart = {"version": 1, "title": "Temps", "dataset": {"name": "weather"}, "mark": "bar"}
    (jp_root_dir / "reports").mkdir()
    (jp_root_dir / "reports" / "t.lgchart").write_text(
        json.dumps({**chart, "encoding": {"x": {"field": "temp"}}})
    )
    (jp_root_dir / "fine.lgchart").write_text(json.dumps({**chart, "encoding": {"x": {"field": "city"}}}))
    r = await compare(jp_fetch, "ok")
    out = orjson.loads(r.body)
    assert [(f["path"], f["title"], f["columns"]) for f in out["charts"]["files"]] == [
        ("reports/t.lgchart", "Temps", ["temp"])
    ]
    assert out["charts"]["files_complete"] is True
    # the rest of the answer is the service's; its length and validator are of what was sent
    assert {k: v for k, v in out.items() if k != "charts"} == {
        k: v for k, v in COMPARE.items() if k != "charts"
    }
    assert int(r.headers["Content-Length"]) == len(r.body)
    assert r.headers.get("Etag") != '"of-the-answer-without-files"'


async def test_a_broken_off_answer_is_a_502_and_others_pass_as_they_came(jp_fetch, lg_service):
    with pytest.raises(HTTPClientError) as cut:
        await compare(jp_fetch, "cut")
    assert cut.value.code == 502
    assert orjson.loads(cut.value.response.body)["reason"] == "Bad Gateway"
    with pytest.raises(HTTPClientError) as missing:
        await compare(jp_fetch, "missing")
    assert missing.value.code == 404
    assert orjson.loads(missing.value.response.body) == error_body("No such version", "Not Found")
    none = await compare(jp_fetch, "none")
    assert none.code == 204 and none.body == b""
