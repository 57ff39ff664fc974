"""Bring the hub's events (logins, server starts and stops, deleted users) into the service's activity log.

A ``user_deleted`` event also retires that account in the store (``store.accounts``): its datasets
are archived and the shares made to it removed, so a later user of the name inherits nothing.

The hub appends JSON Lines to a file (``livegraphs_hub.events``); this reads what is new since the last
import, adds it to the event table in one transaction, then records how far it got. A line the hub
is still writing (no newline yet) waits for the next import.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from pathlib import Path

from ...store.accounts import Accounts
from ...store.events import EventLog, EventRow

HUB_ACTIONS = frozenset({"login", "login_failed", "server_start", "server_stop", "user_deleted"})


class HubEventsImporter:
    def __init__(
        self, source: Path | str, events: EventLog, state_file: Path, accounts: Accounts | None = None
    ):
        self.source = Path(source)
        self.events = events
        self.state_file = state_file
        self.accounts = accounts
        self._lock = threading.Lock()

    def _offset(self) -> int:
        try:
            return int(self.state_file.read_text().strip() or 0)
        except (OSError, ValueError):
            return 0

    def _save_offset(self, offset: int) -> None:
        tmp = self.state_file.with_suffix(".tmp")
        with open(tmp, "w") as f:
            f.write(str(offset))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.state_file)

    def run(self) -> int:
        """Import what is new; return how many events were added."""
        with self._lock:
            try:
                size = self.source.stat().st_size
            except FileNotFoundError:
                return 0
            offset = self._offset()
            if offset > size:  # the file was replaced: start again
                offset = 0
            with open(self.source, "rb") as f:
                f.seek(offset)
                chunk = f.read(size - offset)
            end = chunk.rfind(b"\n")
            if end < 0:
                return 0
            rows: list[EventRow] = []
            for raw in chunk[: end + 1].splitlines():
                try:
                    item = json.loads(raw)
                    action = item["action"]
                    user = str(item["user"])[:255]
                    time = dt.datetime.fromisoformat(item["time"])
                except (ValueError, KeyError, TypeError):
                    continue
                if action not in HUB_ACTIONS or not user:
                    continue
                detail = item.get("detail") if isinstance(item.get("detail"), dict) else {}
                rows.append(EventRow(time=time, user=user, action=action, admin=False, detail=detail))
            for row in rows:
                if row.action == "user_deleted" and self.accounts is not None:
                    # before the offset moves on: a retirement is never skipped, at worst done twice
                    self.accounts.retire(
                        row.user, row.detail.get("created"), by="hub", reason="deleted on the hub"
                    )
            with self.events.catalog.transaction() as s:
                s.add_all(rows)
            self._save_offset(offset + end + 1)
            return len(rows)
