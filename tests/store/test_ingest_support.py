"""Helpers shared by the ingest test modules (no tests of its own)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from livegraphs_ext.store.errors import StoreError
from livegraphs_ext.store.ingest import IngestLimits, ingest_file
from livegraphs_ext.store.schema import IngestResult


def _find_corpus() -> Path:
    """``shared/corpus`` next to the checkout (or next to any folder above it, for worktrees)."""
    here = Path(__file__).resolve().parents[2]
    for folder in here.parents:
        if (folder / "shared" / "corpus").is_dir():
            return folder / "shared" / "corpus"
    return here.parent / "shared" / "corpus"


CORPUS = _find_corpus()


def run(
    tmp_path: Path,
    data: bytes | Path,
    *,
    name: str = "upload.csv",
    content_type: str | None = None,
    limits: IngestLimits | None = None,
    bad_values: str | None = None,
) -> tuple[IngestResult, list[dict[str, Any]]]:
    """Ingest ``data`` and return the result and the stored rows; checks the scratch folder is clean."""
    src = data if isinstance(data, Path) else tmp_path / "body"
    if not isinstance(data, Path):
        src.write_bytes(data)
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    dest = tmp_path / "out.parquet"
    dest.unlink(missing_ok=True)
    try:
        result = ingest_file(
            src,
            dest,
            work_dir=work,
            filename=name,
            content_type=content_type,
            limits=limits or IngestLimits(),
            bad_values=bad_values,
        )
    finally:
        assert list(work.iterdir()) == []
    table = pq.read_table(dest)
    assert table.num_rows == result.rows
    assert table.column_names == [c.name for c in result.columns]
    return result, table.to_pylist()


def run_error(tmp_path: Path, data: bytes | Path, **kwargs: Any) -> StoreError:
    """Ingest ``data`` expecting a StoreError; checks nothing is left behind."""
    try:
        run(tmp_path, data, **kwargs)
    except StoreError as exc:
        assert not (tmp_path / "out.parquet").exists()
        assert list((tmp_path / "work").iterdir()) == []
        return exc
    raise AssertionError("the upload was accepted")


def types_of(result: IngestResult) -> dict[str, str]:
    return {c.name: c.type for c in result.columns}
