"""Hub events for the livegraphs activity log: logins and server starts and stops.

The hub appends one JSON object per line to a file; the livegraphs service imports new lines into its
own event table when an admin opens the activity or engagement pages. The hub never writes to the
service's database, and the service never reads the hub's.

Line format: ``{"time": ISO 8601 UTC, "user": name, "action": "login" | "login_failed" |
"server_start" | "server_stop", "detail": {...}}``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
from pathlib import Path
from typing import Any


class HubEventFile:
    """Append-only JSON Lines; each write is one ``write(2)`` of a whole line (O_APPEND)."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._lock = threading.Lock()

    def append(self, action: str, user: str, detail: dict[str, Any] | None = None) -> None:
        line = json.dumps(
            {
                "time": dt.datetime.now(dt.timezone.utc).isoformat(),
                "user": user,
                "action": action,
                "detail": detail or {},
            },
            separators=(",", ":"),
        )
        data = (line + "\n").encode()
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)


class ServerActionHandler(logging.Handler):
    """A jupyter-events handler (``c.EventLogger.handlers``) that keeps the hub's server-action events."""

    ACTIONS = {"start": "server_start", "stop": "server_stop"}

    def __init__(self, events: HubEventFile):
        super().__init__()
        self.events = events

    def emit(self, record: logging.LogRecord) -> None:
        try:
            data = record.msg if isinstance(record.msg, dict) else json.loads(record.getMessage())
            if not str(data.get("__schema__", "")).endswith("/server-action"):
                return
            action = self.ACTIONS.get(data.get("action", ""))
            if action and data.get("username"):
                self.events.append(action, str(data["username"]), {"server": data.get("servername", "")})
        except Exception:
            self.handleError(record)
