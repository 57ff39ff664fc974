"""Start a real jupyter server with livegraphs in a child process (for crash and load tests)."""

from __future__ import annotations

import ctypes
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import requests

#: ``prctl`` option: the signal a process gets when the thread that started it ends (Linux)
PR_SET_PDEATHSIG = 1


def dies_with_us(sig: signal.Signals = signal.SIGTERM) -> Callable[[], None] | None:
    """A ``preexec_fn`` that sends the child ``sig`` when this process ends, however it ends (Linux;
    None elsewhere).

    So a test run that is killed or interrupted leaves no server behind (a stray server spinning
    on a busy machine slows every later run). The signal comes when the *thread* that started the
    child ends: start servers from the main thread, as tests and benches do, or from a thread that
    outlives them (asyncio's worker threads last until its loop is closed). ``prctl`` is found
    here, before the fork: the child only calls it (loading a library after a fork can deadlock).
    """
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid()

    def arm() -> None:
        if prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
        if os.getppid() != parent:  # it ended before the signal was armed
            os.kill(os.getpid(), sig)

    return arm


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """``jupyter server`` on loopback with its own token and data dir; killable at any moment."""

    def __init__(self, data_dir: Path, root_dir: Path, extra: list[str] | None = None):
        self.data_dir = data_dir
        self.root_dir = root_dir
        self.token = secrets.token_hex(16)
        self.port = free_port()
        self.extra = extra or []
        self.proc: subprocess.Popen[bytes] | None = None
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"token {self.token}"

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}/livegraphs/api/"

    def start(self, timeout: float = 60) -> LiveServer:
        self.root_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "JUPYTER_PLATFORM_DIRS": "1"}
        cmd = [
            sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root",
            f"--port={self.port}", "--ip=127.0.0.1", f"--IdentityProvider.token={self.token}",
            "--ServerApp.jpserver_extensions={'livegraphs_ext': True}",
            f"--ServerApp.root_dir={self.root_dir}", f"--LiveGraphsApp.data_dir={self.data_dir}",
            "--ServerApp.allow_unauthenticated_access=False", *self.extra,
        ]  # fmt: skip
        log = open(self.root_dir / f"server-{self.port}.log", "ab")  # noqa: SIM115 - child owns it
        self.proc = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, env=env, preexec_fn=dies_with_us()
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}")
            try:
                if self.session.get(self.api + "datasets", timeout=2).status_code == 200:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        raise TimeoutError("server did not start")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
