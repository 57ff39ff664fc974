"""REST handlers for the comment threads on a document's charts (:mod:`livegraphs_ext.store.comments`).

Served by both hosts. Anyone who may read the document reads and writes comments; who may edit,
delete, resolve and reopen is decided by the store. A change is reported to the document's open
room, which bumps its server awareness field ``comments_version`` so that clients re-fetch.
"""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..rest import bad_request
from ..store.comments import CommentStore
from .documents import DOC_ID, DocumentHandlerBase

THREAD_ID = r"(?P<thread_id>[0-9a-f]{32})"
COMMENT_ID = r"(?P<comment_id>[0-9a-f]{32})"


class CommentHandlerBase(DocumentHandlerBase):
    @property
    def comments(self) -> CommentStore:
        return self.guarded.comments


class ThreadsHandler(CommentHandlerBase):
    """``GET comments[?chart=]``: ``{"threads": [...]}``; ``POST comments {"chart", "anchor"?, "text"}``:
    a new thread with its first comment (201)."""

    @web.authenticated
    @authorized
    async def get(self, document_id: str) -> None:
        chart = self.get_argument("chart", None)
        threads = await self.run(self.comments.threads, self.principal, document_id, chart)
        self.write_json({"threads": threads})

    @web.authenticated
    @authorized
    async def post(self, document_id: str) -> None:
        body = self.body_fields(frozenset({"chart", "anchor", "text"}))
        thread = await self.run(
            self.comments.create,
            self.principal,
            document_id,
            body.get("chart", ""),
            body.get("text"),
            body.get("anchor"),
        )
        self.write_json(thread, status=201)


class ThreadHandler(CommentHandlerBase):
    """``PATCH comments/{thread} {"resolved"}``: resolve or reopen (editors; the thread's author)."""

    @web.authenticated
    @authorized
    async def patch(self, document_id: str, thread_id: str) -> None:
        body = self.body_fields(frozenset({"resolved"}))
        if "resolved" not in body:
            raise bad_request('Send {"resolved": true} or {"resolved": false}')
        self.write_json(
            await self.run(self.comments.resolve, self.principal, document_id, thread_id, body["resolved"])
        )


class RepliesHandler(CommentHandlerBase):
    """``POST comments/{thread}/replies {"text"}``: add a comment to the thread (201, the thread)."""

    @web.authenticated
    @authorized
    async def post(self, document_id: str, thread_id: str) -> None:
        body = self.body_fields(frozenset({"text"}))
        thread = await self.run(self.comments.reply, self.principal, document_id, thread_id, body.get("text"))
        self.write_json(thread, status=201)


class CommentHandler(CommentHandlerBase):
    """``PATCH comments/{thread}/{comment} {"text"}``: edit (its author); ``DELETE``: delete (its
    author, the owner; the first comment takes its thread along)."""

    @web.authenticated
    @authorized
    async def patch(self, document_id: str, thread_id: str, comment_id: str) -> None:
        body = self.body_fields(frozenset({"text"}))
        self.write_json(
            await self.run(
                self.comments.edit, self.principal, document_id, thread_id, comment_id, body.get("text")
            )
        )

    @web.authenticated
    @authorized
    async def delete(self, document_id: str, thread_id: str, comment_id: str) -> None:
        await self.run(self.comments.delete, self.principal, document_id, thread_id, comment_id)
        self.write_no_content()


#: (path under the API root, handler): the comment routes, served by both hosts.
ROUTES: list[tuple[str, type]] = [
    (rf"documents/{DOC_ID}/comments", ThreadsHandler),
    (rf"documents/{DOC_ID}/comments/{THREAD_ID}", ThreadHandler),
    (rf"documents/{DOC_ID}/comments/{THREAD_ID}/replies", RepliesHandler),
    (rf"documents/{DOC_ID}/comments/{THREAD_ID}/{COMMENT_ID}", CommentHandler),
]
