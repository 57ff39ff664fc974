"""Who a document can be shared with: user and group names starting with what the caller typed."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..rest import bad_request
from .base import LiveGraphsHandler

#: The longest prefix asked for: longer than any name a hub gives.
MAX_DIRECTORY_QUERY = 100
#: Names of each kind returned by default, and at most (``limit``).
DIRECTORY_LIMIT, MAX_DIRECTORY_LIMIT = 20, 50


class DirectoryHandler(LiveGraphsHandler):
    """``GET directory?q=&limit=``: ``{"users": [...], "groups": [...]}``, names starting with ``q``.

    For the share dialog. On a hub the service asks the hub (names of every user and group, as any
    hub user may read); on a laptop the one local user is the only one there is.
    """

    @web.authenticated
    @authorized
    async def get(self) -> None:
        prefix = self.get_argument("q", "")
        if len(prefix) > MAX_DIRECTORY_QUERY:
            raise bad_request(f"q is at most {MAX_DIRECTORY_QUERY} characters", "Bad argument")
        limit = self.int_arg("limit", DIRECTORY_LIMIT)
        if limit is None or not 1 <= limit <= MAX_DIRECTORY_LIMIT:
            raise bad_request(f"limit is between 1 and {MAX_DIRECTORY_LIMIT}", "Bad argument")
        self.write_json(await self.host.directory(self, prefix, limit))


#: (path under the API root, handler): served by both hosts.
ROUTES: list[tuple[str, type]] = [(r"directory", DirectoryHandler)]
