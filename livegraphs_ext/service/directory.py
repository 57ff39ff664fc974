"""The hub's user and group names for the share dialog, asked with the service's own token, kept briefly.

The service's role (``livegraphs-service``) lists users and groups and reads their names; any hub user
may read those names too (``read:users:name``, ``read:groups:name``), so the directory shows nobody
more than the hub would.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

#: Seconds an answer of the hub is reused: typing in the share dialog asks again and again.
CACHE_SECONDS = 30
#: Prefixes (and the group list) kept at once.
CACHE_ENTRIES = 256
#: Names asked of the hub per request, and the most requests for one answer.
PAGE, MAX_PAGES = 200, 10


class HubDirectory:
    """User names (by prefix) and group names of a hub, each answer kept :data:`CACHE_SECONDS`."""

    def __init__(self, hub_api: Any, cache_seconds: float = CACHE_SECONDS):
        self.hub_api = hub_api
        self.cache_seconds = cache_seconds
        # key: (when asked, the answer being made or made); one request to the hub per key at a time
        self._cache: OrderedDict[str, tuple[float, asyncio.Future[list[str]]]] = OrderedDict()

    async def find(self, prefix: str, limit: int) -> dict[str, list[str]]:
        key = prefix.casefold()
        users = await self._cached(f"users:{key}", lambda: self._users(key))
        groups = await self._cached("groups", self._groups)
        return {
            "users": sorted(u for u in users if u.casefold().startswith(key))[:limit],
            "groups": sorted(g for g in groups if g.casefold().startswith(key))[:limit],
        }

    async def _cached(self, key: str, load: Callable[[], Awaitable[list[str]]]) -> list[str]:
        now = time.monotonic()
        found = self._cache.get(key)
        if found is None or now - found[0] > self.cache_seconds:
            future: asyncio.Future[list[str]] = asyncio.ensure_future(load())
            self._cache[key] = found = (now, future)
            while len(self._cache) > CACHE_ENTRIES:
                self._cache.popitem(last=False)
        try:
            return list(await asyncio.shield(found[1]))
        except Exception:
            if self._cache.get(key) is found:  # a failure is not kept: the next caller asks again
                del self._cache[key]
            raise

    async def _users(self, prefix: str) -> list[str]:
        # The hub's name_filter matches anywhere in the name; the prefix is checked in find().
        return await self._names("users", name_filter=prefix) if prefix else await self._names("users")

    async def _groups(self) -> list[str]:
        return await self._names("groups")

    async def _names(self, path: str, **query: str) -> list[str]:
        names: list[str] = []
        for page in range(MAX_PAGES):
            answer = await self.hub_api.call("GET", path, limit=str(PAGE), offset=str(page * PAGE), **query)
            items = answer["items"] if isinstance(answer, dict) else answer
            names += [item["name"] for item in items]
            if len(items) < PAGE:
                break
        return names
