"""REST handlers of published dashboards: publish, snapshots, links, and what a link shows.

Writers of a dashboard (owner, editors, admins) publish it and manage its links
(``livegraphs_ext.store.publications``). A link's holder reads the snapshot and asks its charts
and filter values with their interactive conditions only, never a spec:

- ``links/{token}...``: a "signed in with the link" link (any link, for a signed-in caller);
- ``public/{token}...``: a public link, for anyone. These are the API's only routes open to a
  caller with no account: their classes are listed in :data:`PUBLIC_HANDLERS`, their methods are
  ``@allow_unauthenticated``, and their requests are limited per link and client
  (``public_requests_per_minute``, 429).
"""

from __future__ import annotations

import math
import posixpath

from jupyter_server.auth.decorator import allow_unauthenticated, authorized
from tornado import web

from ..rest import Host, RetryLater
from ..store import Principal
from ..store.charts import ARROW_STREAM
from ..store.publications import token_hash
from .docdata import CHART_ID, FILTER_ID, DocumentQueryBase
from .documents import DOC_ID, DocumentHandlerBase

#: A link's token as :func:`secrets.token_urlsafe` writes it.
TOKEN_PATH = r"(?P<token>[A-Za-z0-9_-]{20,100})"  # noqa: S105 (a route pattern, not a secret)
LINK_ID = r"(?P<link_id>[0-9a-f]{32})"


def pages_url(host: Host, *parts: str) -> str:
    """The URL path of ``parts`` beside the API: ``livegraphs/`` on a laptop, the service's root on a hub."""
    api = host.api_url("x")  # .../api/x
    return "/".join([posixpath.dirname(posixpath.dirname(api)), *parts])


class PublishHandler(DocumentHandlerBase):
    """``POST documents/{id}/publish``: freeze the dashboard into a new snapshot (201; writers)."""

    @web.authenticated
    @authorized
    async def post(self, document_id: str) -> None:
        snap = await self.run(self.guarded.publications.publish, self.principal, document_id)
        self.write_json(snap, status=201)


class SnapshotsHandler(DocumentHandlerBase):
    """``GET documents/{id}/snapshots``: the published snapshots, newest first (writers)."""

    @web.authenticated
    @authorized
    async def get(self, document_id: str) -> None:
        snaps = await self.run(self.guarded.publications.snapshots, self.principal, document_id)
        self.write_json({"snapshots": snaps})


class LinksHandler(DocumentHandlerBase):
    """``GET documents/{id}/links``: the dashboard's links, without tokens;
    ``POST {"kind": "public"|"signed_in", "snapshot"?, "expires"?}``: a new one, with its token and
    its page's URL, shown this once (201). Writers only."""

    @web.authenticated
    @authorized
    async def get(self, document_id: str) -> None:
        links = await self.run(self.guarded.publications.links, self.principal, document_id)
        self.write_json({"links": links})

    @web.authenticated
    @authorized
    async def post(self, document_id: str) -> None:
        body = self.body_fields(frozenset({"kind", "snapshot", "expires"}))
        link = await self.run(
            self.guarded.publications.create_link,
            self.principal,
            document_id,
            body.get("kind"),
            body.get("snapshot"),
            body.get("expires"),
        )
        where = "public" if link["kind"] == "public" else "links"
        link["url"] = pages_url(self.host, where, link["token"])
        self.write_json(link, status=201)


class LinkHandler(DocumentHandlerBase):
    """``DELETE documents/{id}/links/{link_id}``: revoke the link for good (204; writers)."""

    @web.authenticated
    @authorized
    async def delete(self, document_id: str, link_id: str) -> None:
        await self.run(self.guarded.publications.revoke, self.principal, document_id, link_id)
        self.write_no_content()


class LinkDataBase(DocumentQueryBase):
    """What a link shows: its snapshot, its charts and its filters' values, asked as a document's
    are (``{"filters"?}`` or ``{"what", "search"?}``, never a spec)."""

    def viewer(self) -> Principal | None:
        """Who opens the link: the signed-in caller; None for a public link's route."""
        return self.principal

    async def show(self, token: str) -> None:
        view = await self.run(self.guarded.publications.view, token, self.viewer())
        self.write_json(view)

    async def chart(self, token: str, chart_id: str) -> None:
        filters = self.body().get("filters")
        self.check_filter_size(filters)
        arrow = ARROW_STREAM in self.request.headers.get("Accept", "")
        pubs, charts, viewer = self.guarded.publications, self.host.charts, self.viewer()
        # most answers of a snapshot are kept: sent from memory, with no turn, thread or query
        body = pubs.kept_chart_bytes(token, charts, chart_id, filters, viewer, arrow=arrow)
        if body is None:
            body = await self.run_query(
                pubs.chart_bytes, token, charts, chart_id, filters, viewer, arrow=arrow
            )
        self.finish_typed(body, ARROW_STREAM if arrow else "application/json")

    async def filter_values(self, token: str, filter_id: str) -> None:
        body = self.body()
        if body.get("search") in (None, ""):
            # what every page asks: kept and shared as the charts' answers are
            arrow = ARROW_STREAM in self.request.headers.get("Accept", "")
            pubs, args = (
                self.guarded.publications,
                (token, self.host.charts, filter_id, body.get("what"), None),
            )
            kept = pubs.filter_bytes(*args, self.viewer(), arrow=arrow, kept_only=True)
            if kept is None:
                kept = await self.run_query(pubs.filter_bytes, *args, self.viewer(), arrow=arrow)
            assert kept is not None
            self.finish_typed(kept, ARROW_STREAM if arrow else "application/json")
            return
        result = await self.run_query(
            self.guarded.publications.filter_values,
            token,
            self.host.charts,
            filter_id,
            body.get("what"),
            body.get("search"),
            self.viewer(),
        )
        self.write_chart(result)


class SignedInLinkHandler(LinkDataBase):
    """``GET links/{token}``: the snapshot a link shows, for anyone signed in who has it."""

    @web.authenticated
    @authorized
    async def get(self, token: str) -> None:
        await self.show(token)


class SignedInLinkChartHandler(LinkDataBase):
    """``POST links/{token}/charts/{chart_id}/query {"filters"?}``: a chart of the link's snapshot."""

    keys = frozenset({"filters"})

    @web.authenticated
    @authorized
    async def post(self, token: str, chart_id: str) -> None:
        await self.chart(token, chart_id)


class SignedInLinkFilterHandler(LinkDataBase):
    """``POST links/{token}/filters/{filter_id}/query {"what", "search"?}``: a filter's values."""

    keys = frozenset({"what", "search"})

    @web.authenticated
    @authorized
    async def post(self, token: str, filter_id: str) -> None:
        await self.filter_values(token, filter_id)


class PublicLinkBase(LinkDataBase):
    """A public link's route: no account needed, no identity asked, limited per link and client."""

    public = True

    def viewer(self) -> Principal | None:
        return None

    def client_key(self) -> str:
        token = self.path_kwargs.get("token", "")
        return f"public {token_hash(token)[:24]} {self.request.remote_ip}"

    def gate_key(self) -> str:
        return self.client_key()

    async def prepare(self) -> None:  # type: ignore[override]
        await super().prepare()
        if self._finished:
            return
        wait = self.host.public_limit.take(self.client_key())
        if wait:
            raise RetryLater("Too many requests through this link: try again later", max(1, math.ceil(wait)))

    def check_xsrf_cookie(self) -> None:
        # No cookie or session speaks for the caller here, so another site has none to ride on.
        return


class PublicLinkHandler(PublicLinkBase):
    """``GET public/{token}``: the snapshot a public link shows, for anyone."""

    @allow_unauthenticated
    async def get(self, token: str) -> None:
        await self.show(token)


class PublicLinkChartHandler(PublicLinkBase):
    """``POST public/{token}/charts/{chart_id}/query {"filters"?}``: a chart of a public link's snapshot."""

    keys = frozenset({"filters"})

    @allow_unauthenticated
    async def post(self, token: str, chart_id: str) -> None:
        await self.chart(token, chart_id)


class PublicLinkFilterHandler(PublicLinkBase):
    """``POST public/{token}/filters/{filter_id}/query {"what", "search"?}``: a public link's
    filter values."""

    keys = frozenset({"what", "search"})

    @allow_unauthenticated
    async def post(self, token: str, filter_id: str) -> None:
        await self.filter_values(token, filter_id)


#: The API's handlers open to callers with no account (the auth tests check there are no others).
PUBLIC_HANDLERS: frozenset[type] = frozenset(
    {PublicLinkHandler, PublicLinkChartHandler, PublicLinkFilterHandler}
)

#: (path under the API root, handler): publishing and links, served by both hosts.
ROUTES: list[tuple[str, type]] = [
    (rf"documents/{DOC_ID}/publish", PublishHandler),
    (rf"documents/{DOC_ID}/snapshots", SnapshotsHandler),
    (rf"documents/{DOC_ID}/links", LinksHandler),
    (rf"documents/{DOC_ID}/links/{LINK_ID}", LinkHandler),
    (rf"links/{TOKEN_PATH}", SignedInLinkHandler),
    (rf"links/{TOKEN_PATH}/charts/{CHART_ID}/query", SignedInLinkChartHandler),
    (rf"links/{TOKEN_PATH}/filters/{FILTER_ID}/query", SignedInLinkFilterHandler),
    (rf"public/{TOKEN_PATH}", PublicLinkHandler),
    (rf"public/{TOKEN_PATH}/charts/{CHART_ID}/query", PublicLinkChartHandler),
    (rf"public/{TOKEN_PATH}/filters/{FILTER_ID}/query", PublicLinkFilterHandler),
]
