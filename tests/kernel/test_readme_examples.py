"""Every notebook example of the README runs, on the sample data, in a real local kernel (a laptop)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.manager import KernelManager

from livegraphs_ext.kernel import notebook
from livegraphs_ext.kernel.sample_data import load_samples

from .readme_examples import CHECK as CHECK_CELL
from .readme_examples import assert_check, assert_displays, cells, example_files

#: Each expression of a cell is shown, as if each README line were its own cell.
EVERY_EXPRESSION = 'get_ipython().ast_node_interactivity = "all"'


def run_cell(client: Any, code: str, timeout: float = 120) -> dict[str, Any]:
    """Run ``code``; its displayed outputs (mimetype -> data), stdout and error (``ename: evalue``)."""
    msg_id = client.execute(code, store_history=False)
    out: dict[str, Any] = {"outputs": [], "stdout": "", "error": None}
    while True:
        msg = client.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind in ("display_data", "execute_result"):
            out["outputs"].append(content["data"])
        elif kind == "stream" and content["name"] == "stdout":
            out["stdout"] += content["text"]
        elif kind == "error":
            out["error"] = f"{content['ename']}: {content['evalue']}"
        elif kind == "status" and content["execution_state"] == "idle":
            return out


@pytest.fixture
def lg_laptop_kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A kernel in a folder holding the README's example files, over a store with the sample data."""
    data = tmp_path / "data"
    monkeypatch.setenv("LIVEGRAPHS_DATA_DIR", str(data))
    for name in ("LIVEGRAPHS_SERVICE_URL", "JUPYTERHUB_API_TOKEN", "LIVEGRAPHS_CATALOG_URL"):
        monkeypatch.delenv(name, raising=False)
    notebook._store.cache_clear()
    try:
        assert sorted(load_samples(tmp_path / "csv", "ada")) == ["chat_sessions", "sales"]
    finally:
        notebook.store().close()
        notebook._store.cache_clear()
    work = tmp_path / "work"
    work.mkdir()
    for name, text in example_files().items():
        (work / name).write_text(text, encoding="utf-8")
    km = KernelManager(kernel_name="python3")
    km.start_kernel(
        cwd=str(work), env={**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    )
    client = km.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=120)
        yield client
    finally:
        client.stop_channels()
        km.shutdown_kernel(now=True)


def test_every_readme_notebook_example_runs_on_the_sample_data(lg_laptop_kernel: Any) -> None:
    # Given a kernel that shows every expression
    assert run_cell(lg_laptop_kernel, EVERY_EXPRESSION)["error"] is None
    # When each python block of the README runs as a cell
    ran = [run_cell(lg_laptop_kernel, code) for code in cells()]
    # Then none fails
    assert [r["error"] for r in ran] == [None] * len(ran), [
        (c[:80], r["error"]) for c, r in zip(cells(), ran, strict=True)
    ]
    # and every widget was shown, with the charts' specs beside them
    assert_displays([o for r in ran for o in r["outputs"]])
    # and what they made holds the sample data's regions, dates and charts
    check = run_cell(lg_laptop_kernel, CHECK_CELL)
    assert check["error"] is None, check["error"]
    assert_check(check["stdout"])
