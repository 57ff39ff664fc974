"""Users kept apart by the operating system on a real hub run as root: each user's server and kernels
run as their own account, the service as its own, and the hub's state is the hub's.

These tests need root (CI and the default deployment run the hub as root); run otherwise they fail.
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .hubs import REPO
from .hubutil import Hub, running_hub
from .test_hub_service import CSV, DATASET_CALLS, call, fill

sys.path.insert(0, str(REPO / "hub"))

from livegraphs_hub.accounts import USER_SHELL, AccountError, ensure_account, user_comment

pytestmark = pytest.mark.slow

#: Run in a kernel: try to read each path (list a folder, read a file's first byte).
PROBE = """
import json, os
seen = {}
for p in json.loads(%r):
    try:
        if os.path.isdir(p):
            os.listdir(p)
        else:
            with open(p, "rb") as f:
                f.read(1)
        seen[p] = "read"
    except PermissionError:
        seen[p] = "denied"
    except FileNotFoundError:
        seen[p] = "missing"
print(json.dumps(seen))
"""


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    assert os.geteuid() == 0, "these tests start a hub as root, as deployed; run them as root (CI does)"
    with running_hub(tmp_path_factory.mktemp("hub-isolation"), ["ada", "bo"]) as h:
        yield h


def probe(hub: Hub, user: str, token: str, paths: list[str]) -> dict[str, str]:
    out = hub.run_in_kernel(user, token, PROBE % json.dumps(paths))
    assert out["error"] is None, out
    return dict(json.loads(out["stdout"]))


def service_pid(hub: Hub) -> int:
    """The livegraphs service of this hub (found as root through /proc)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"livegraphs_ext.service" in cmdline and any(
                str(hub.data_dir.resolve()).encode() in arg for arg in cmdline
            ):
                return int(entry.name)
    raise AssertionError("the livegraphs service is not running")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_each_users_kernel_runs_as_their_own_account_and_cannot_read_the_others(hub: Hub) -> None:
    tokens = {u: hub.token(u) for u in ("ada", "bo")}
    # Given ada's dataset in the service and a file in her home
    r = call(hub.service_url + "api/", tokens["ada"], "POST", "datasets?name=ada-only", CSV)
    assert r.status_code == 201, r.text
    ds = r.json()
    hub.spawn("ada")
    hub.spawn("bo")
    who = "import json, os; print(json.dumps([os.getuid(), os.getppid(), os.path.expanduser('~')]))"
    ada = json.loads(
        hub.run_in_kernel("ada", tokens["ada"], who + "; open('notes.txt', 'w').write('mine')")["stdout"]
    )
    bo = json.loads(hub.run_in_kernel("bo", tokens["bo"], who)["stdout"])
    # Then each kernel runs as its user's own account, neither root nor the other's
    ada_uid, ada_server, ada_home = ada
    bo_uid, _, bo_home = bo
    assert ada_uid != bo_uid and 0 not in (ada_uid, bo_uid)
    assert pwd.getpwuid(ada_uid).pw_name == hub.accounts.prefix + "ada"
    assert pwd.getpwuid(bo_uid).pw_name == hub.accounts.prefix + "bo"
    assert Path(ada_home) == hub.root.resolve() / "users" / "ada" and Path(bo_home).name == "bo"
    assert b"jupyterhub-singleuser" in Path(f"/proc/{ada_server}/cmdline").read_bytes()
    assert Path(f"/proc/{ada_server}").stat().st_uid == ada_uid
    # the service runs as a third account that alone opens its data folder
    service = service_pid(hub)
    service_uid = Path(f"/proc/{service}").stat().st_uid
    assert pwd.getpwuid(service_uid).pw_name == hub.accounts.service
    data = hub.data_dir.resolve()
    assert (data.stat().st_uid, mode(data)) == (service_uid, 0o700)
    # the hub's own state is root's and private; homes are their users' and private
    state = hub.root.resolve()
    for secret in ("jupyterhub.sqlite", "jupyterhub_cookie_secret"):
        assert ((state / secret).stat().st_uid, mode(state / secret)) == (0, 0o600), secret
    assert mode(state / "hub-events.jsonl") == 0o640 and mode(state) == 0o711
    assert (Path(ada_home).stat().st_uid, mode(Path(ada_home))) == (ada_uid, 0o700)
    # What bo's kernel tries, and each of these exists (seen as root here)
    parquet = next(p for p in (data / "datasets" / ds["id"]).rglob("*") if p.is_file())
    targets = [
        ada_home, f"{ada_home}/notes.txt",
        str(data), str(data / "catalog.sqlite"), str(parquet),
        str(state / "jupyterhub.sqlite"), str(state / "jupyterhub_cookie_secret"),
        str(state / "hub-events.jsonl"), str(state / "users"),
        f"/proc/{ada_server}/environ", f"/proc/{service}/environ",
    ]  # fmt: skip
    assert all(Path(t).exists() for t in targets)
    seen = probe(hub, "bo", tokens["bo"], targets)
    assert seen == {t: "denied" for t in targets}
    # while ada's own kernel reads her own things (the probe does see a readable file)
    mine = [ada_home, f"{ada_home}/notes.txt", f"/proc/{ada_server}/environ"]
    assert probe(hub, "ada", tokens["ada"], mine) == {t: "read" for t in mine}
    # and every service route on ada's dataset still answers bo with 403 or 404
    for base in (hub.service_url + "api/", hub.service_direct_url + "api/"):
        for method, path, body in DATASET_CALLS:
            r = call(base, tokens["bo"], method, fill(path, ds["id"]), fill(body, ds["id"]))
            assert r.status_code in (403, 404), (base, method, path, r.status_code, r.text)
    # ada's dataset is untouched
    now = call(hub.service_url + "api/", tokens["ada"], "GET", f"datasets/{ds['id']}").json()
    assert (now["name"], now["version"]) == ("ada-only", 1)


def test_a_user_is_never_run_as_an_account_made_for_someone_else(tmp_path: Path) -> None:
    assert os.geteuid() == 0, "this test makes system accounts; run it as root (CI does)"
    # Given an account of the right name that livegraphs did not make for this hub user
    name = f"lgt{secrets.token_hex(3)}-x"
    subprocess.run(["useradd", "--no-create-home", "--comment", user_comment("y"), name], check=True)
    try:
        # Then the hub refuses to run "x" as it, and makes no home for it
        with pytest.raises(AccountError, match="did not make it"):
            ensure_account(name, tmp_path / "home", user_comment("x"), shell=USER_SHELL)
        assert not (tmp_path / "home").exists()
        # while the user it was made for gets it, with a private home of their own
        entry = ensure_account(name, tmp_path / "home", user_comment("y"), shell=USER_SHELL)
        home = (tmp_path / "home").stat()
        assert (home.st_uid, stat.S_IMODE(home.st_mode)) == (entry.pw_uid, 0o700) and entry.pw_uid != 0
    finally:
        subprocess.run(["userdel", name], check=True)
