"""Bring the hub's events (logins, server starts and stops) into the service's activity log.

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

from ...store.events import EventLog, EventRow

HUB_ACTIONS = frozenset({"login", "login_failed", "server_start", "server_stop"})


class HubEventsImporter:
    def __init__(self, source: Path | str, events: EventLog, state_file: Path):
        self.source = Path(source)
        self.events = events
        self.state_file = state_file
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
            added = 0
            with self.events.catalog.transaction() as s:
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
                    s.add(EventRow(time=time, user=user, action=action, admin=False, detail=detail))
                    added += 1
            self._save_offset(offset + end + 1)
            return added
