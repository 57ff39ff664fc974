"""One system account per hub user, and one for the livegraphs service, on a hub run as root.

A hub on one machine that runs as root keeps its users apart with the operating system: each hub
user's server and kernels run as that user's own account (``lg-<name>``, made at the first spawn,
home folder ``<state>/users/<name>`` mode 0700), and the livegraphs service runs as its own account
(``livegraphs``) that alone can open its data folder (mode 0700). The hub's database, cookie
secret and events file stay the hub's (root's): mode 0600, the events file readable by the
service's group so the activity log can import it.

Hub names become account names one-to-one: a name made only of ``a-z 0-9 _ -`` (not starting with
``-``, without ``--``) that fits keeps its spelling after the prefix; any other name becomes a
cleaned stem, ``--`` and 10 hex digits of its SHA-256, which no kept spelling can equal. Each account
records the SHA-256 of its hub name in its comment field, and the hub refuses to run a user as an
account that records another name (or that it did not make).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import pwd
import re
import secrets
import stat
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyterhub.spawner import LocalProcessSpawner, set_user_setuid
from traitlets import Unicode

#: Longest account name ``useradd`` accepts.
MAX_NAME = 32
USER_MARK = "livegraphs hub user"
SERVICE_MARK = "livegraphs service"
USER_SHELL = "/bin/bash"
SERVICE_SHELL = "/usr/sbin/nologin"
_PREFIX = re.compile(r"[a-z_][a-z0-9_-]{0,11}")
_KEPT = re.compile(r"[a-z0-9_][a-z0-9_-]*")


class AccountError(RuntimeError):
    """The host cannot give a hub user or the service the account it needs."""


def check_prefix(prefix: str) -> str:
    if not _PREFIX.fullmatch(prefix):
        raise ValueError(f"account prefix {prefix!r}: 1-12 characters of a-z 0-9 _ -, starting with a letter")
    return prefix


def folder_name(hub_name: str, prefix: str = "lg-") -> str:
    """The part of the account name after the prefix; also the name of the user's home folder."""
    room = MAX_NAME - len(prefix)
    if _KEPT.fullmatch(hub_name) and "--" not in hub_name and len(hub_name) <= room:
        return hub_name
    digest = hashlib.sha256(hub_name.encode()).hexdigest()[:10]
    stem = re.sub(r"[^a-z0-9_]+", "_", hub_name.lower()).strip("_")[: max(room - 12, 0)]
    return f"{stem}--{digest}"


def system_username(hub_name: str, prefix: str = "lg-") -> str:
    """The account a hub user's server runs as."""
    return check_prefix(prefix) + folder_name(hub_name, prefix)


def user_comment(hub_name: str) -> str:
    return f"{USER_MARK} {hashlib.sha256(hub_name.encode()).hexdigest()}"


def _chown_tree(top: Path, uid: int, gid: int) -> None:
    """Give ``top`` and everything under it to ``uid``, not following links."""
    os.lchown(top, uid, gid)
    for folder, dirs, files in os.walk(top):
        for name in [*dirs, *files]:
            path = os.path.join(folder, name)
            if os.lstat(path).st_uid != uid:
                os.lchown(path, uid, gid)


def ensure_account(
    name: str, home: Path, comment: str, *, shell: str, system: bool = False
) -> pwd.struct_passwd:
    """The account ``name`` with ``home`` (made 0700 and owned by it), created if missing.

    Refuses an existing account whose comment is not ``comment``: livegraphs did not make it for this
    user, and running someone as it would hand them another account's files.
    """
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        cmd = ["useradd", "--comment", comment, "--home-dir", str(home), "--no-create-home",
               "--shell", shell, "--user-group"]  # fmt: skip
        if system:
            cmd.append("--system")
        done = subprocess.run([*cmd, name], capture_output=True, text=True, check=False)
        if done.returncode != 0 and not _exists(name):
            raise AccountError(f"could not create the system account {name}: {done.stderr.strip()}") from None
        entry = pwd.getpwnam(name)
    if entry.pw_gecos != comment or entry.pw_uid == 0:
        raise AccountError(
            f"the system account {name} exists but livegraphs did not make it for this purpose "
            f"(its comment is {entry.pw_gecos!r}); refusing to run as it"
        )
    if entry.pw_dir != str(home):
        subprocess.run(["usermod", "--home", str(home), name], capture_output=True, check=True)
        entry = pwd.getpwnam(name)
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    if home.stat().st_uid != entry.pw_uid:
        _chown_tree(home, entry.pw_uid, entry.pw_gid)
    os.chmod(home, 0o700)
    return entry


def _exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


class UserAccountSpawner(LocalProcessSpawner):
    """A local process spawner that runs each hub user as their own system account, made on first spawn."""

    account_prefix = Unicode("lg-", help="Prefix of the users' account names.").tag(config=True)
    homes = Unicode(help="Folder of the users' home folders (every folder above it traversable).").tag(
        config=True
    )

    @property
    def system_user(self) -> str:
        return system_username(self.user.name, self.account_prefix)

    @property
    def home(self) -> Path:
        return Path(self.homes) / folder_name(self.user.name, self.account_prefix)

    async def start(self) -> Any:
        ensure_account(self.system_user, self.home, user_comment(self.user.name), shell=USER_SHELL)
        return await super().start()

    def make_preexec_fn(self, name: str) -> Any:
        return set_user_setuid(self.system_user)

    def user_env(self, env: dict[str, str]) -> dict[str, str]:
        entry = pwd.getpwnam(self.system_user)
        env.update(USER=entry.pw_name, LOGNAME=entry.pw_name, HOME=entry.pw_dir, SHELL=entry.pw_shell)
        return env


@dataclass
class HostLayout:
    """What :func:`prepare_host` sets up before the hub starts its service."""

    state: Path
    homes: Path
    data_dir: Path
    events_file: Path
    cookie_secret: Path
    #: The hub's SQLite database, if it keeps one in a file.
    hub_files: tuple[Path, ...]
    service_account: str
    #: Folders user servers and the service run code from: the Python environment and livegraphs.
    code: tuple[Path, ...]


def _closed_folder(path: Path) -> Path | None:
    """The first folder above (or at) ``path`` that other accounts cannot traverse, if any."""
    for folder in [*reversed(path.parents), path]:
        if folder.exists() and not folder.stat().st_mode & stat.S_IXOTH:
            return folder
    return None


def check_reachable(paths: Iterable[Path], what: str) -> None:
    for path in paths:
        closed = _closed_folder(path)
        if closed is not None:
            mode = stat.S_IMODE(closed.stat().st_mode)
            raise AccountError(
                f"{what} must be reachable by other system accounts, but {closed} (mode {mode:04o}) "
                f"closes {path} to them. Put the livegraphs checkout and its state where every folder "
                f"above is traversable (for example /opt/livegraphs or /srv/livegraphs), or set "
                f"LIVEGRAPHS_HUB_STATE to such a place, or `chmod o+x {closed}`."
            )


def _probe(account: str, layout: HostLayout) -> None:
    """Run the hub's Python as ``account``: it must start and read livegraphs, JupyterHub, and what
    the service needs (a light check: opening files, importing nothing heavy)."""
    import jupyterhub

    spec = importlib.util.find_spec("livegraphs_ext")
    readable = [
        str(layout.events_file),
        jupyterhub.__file__,
        *([spec.origin] if spec and spec.origin else []),
    ]
    code = "import os, sys\nfor p in sys.argv[2:]: open(p, 'rb').close()\nos.listdir(sys.argv[1])"
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, str(layout.data_dir), *readable],
            preexec_fn=set_user_setuid(account, chdir=False),
            capture_output=True, text=True, check=False, cwd="/",
        )  # fmt: skip
        failed, last = done.returncode != 0, (done.stderr.strip().splitlines() or ["(no message)"])[-1]
    except OSError as e:
        failed, last = True, str(e)
    if failed:
        check_reachable(layout.code, "The Python environment and the livegraphs code")
        raise AccountError(f"the account {account} cannot run livegraphs with {sys.executable}: {last}")


def _write_cookie_secret(path: Path) -> None:
    """A new secret written 0600 from the start (JupyterHub would write it first, then chmod)."""
    if path.exists() and path.stat().st_size:
        os.chown(path, 0, 0)
        os.chmod(path, 0o600)
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchown(fd, 0, 0)
        os.fchmod(fd, 0o600)
        os.write(fd, (secrets.token_hex(32) + "\n").encode())
    finally:
        os.close(fd)


def prepare_host(layout: HostLayout) -> None:
    """Accounts, owners and modes for a hub run as root; raises :class:`AccountError` with what to fix."""
    if os.geteuid() != 0:
        raise AccountError("separate accounts per user need the hub to run as root")
    # The state folder: the hub's; others may only pass through to their homes and the service's data.
    layout.state.mkdir(parents=True, exist_ok=True)
    os.chown(layout.state, 0, 0)
    os.chmod(layout.state, 0o711)  # noqa: S103 - traverse only, to homes and the service's data
    layout.homes.mkdir(exist_ok=True)
    os.chown(layout.homes, 0, 0)
    os.chmod(layout.homes, 0o711)  # noqa: S103 - traverse only, each home is 0700
    check_reachable([layout.homes, layout.data_dir.parent], "The users' homes and the service's data folder")
    check_reachable(layout.code, "The Python environment and the livegraphs code")
    for path in layout.hub_files:
        # Made before the hub opens them, so they are never readable by anyone else.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        os.close(fd)
        os.chown(path, 0, 0)
        os.chmod(path, 0o600)
    _write_cookie_secret(layout.cookie_secret)
    service = ensure_account(
        layout.service_account, layout.data_dir, SERVICE_MARK, shell=SERVICE_SHELL, system=True
    )
    _chown_tree(layout.data_dir, service.pw_uid, service.pw_gid)
    fd = os.open(layout.events_file, os.O_WRONLY | os.O_CREAT, 0o640)
    os.close(fd)
    os.chown(layout.events_file, 0, service.pw_gid)
    os.chmod(layout.events_file, 0o640)
    _probe(layout.service_account, layout)
