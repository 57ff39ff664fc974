"""The servers tests start die with the test process, however it ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent

STARTER = """
import sys, time
from pathlib import Path
from tests.servers import LiveServer
server = LiveServer(Path(sys.argv[1]) / "data", Path(sys.argv[1]) / "root").start()
print(server.proc.pid, flush=True)
time.sleep(600)
"""


def alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_a_live_server_dies_when_the_process_that_started_it_is_killed(tmp_path: Path) -> None:
    starter = subprocess.Popen(
        [sys.executable, "-c", STARTER, str(tmp_path)],
        cwd=REPO, stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    try:
        assert starter.stdout is not None
        server = psutil.Process(int(starter.stdout.readline()))
        assert server.is_running() and server.ppid() == starter.pid
        starter.send_signal(signal.SIGKILL)  # no cleanup, no atexit
        starter.wait(10)
        deadline = time.monotonic() + 15
        while alive(server):
            assert time.monotonic() < deadline, "the server outlived the process that started it"
            time.sleep(0.1)
    finally:
        starter.kill()
        starter.wait(10)
