"""The Parquet layout the pages and charts rely on: small row groups, rows in file order."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from livegraphs_ext.store.ingest import IngestLimits, ingest_file

#: a 100-row page decodes one row group; above this a page costs several times more
MAX_GROUP = 128 * 1024


def _csv(path: Path, rows: int) -> Path:
    with path.open("w") as f:
        f.write("id,label,value\n")
        f.writelines(f"{i},row {i % 97},{i * 0.5}\n" for i in range(rows))
    return path


def test_row_groups_stay_small_and_rows_keep_their_order(tmp_path: Path) -> None:
    rows = 400_000
    src = _csv(tmp_path / "big.csv", rows)
    work = tmp_path / "work"
    work.mkdir()
    dest = tmp_path / "out.parquet"
    # a small working memory: the budget must not cost the order or the layout
    result = ingest_file(
        src, dest, work_dir=work, limits=IngestLimits(working_memory=64 * 2**20, row_groups_in_memory=0)
    )
    assert result.rows == rows
    meta = pq.read_metadata(dest)
    sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    assert sum(sizes) == rows and len(sizes) >= 3
    assert max(sizes) <= MAX_GROUP
    ids = pq.read_table(dest, columns=["id"]).column("id").to_pylist()
    assert ids == list(range(rows))


def test_null_counts_come_from_the_file_footer_and_match_the_data(tmp_path: Path) -> None:
    src = tmp_path / "nulls.csv"
    src.write_text(
        "a,b\n" + "".join(f"{'' if i % 3 == 0 else i},{'' if i % 5 == 0 else 'x'}\n" for i in range(300_000))
    )
    work = tmp_path / "work"
    work.mkdir()
    result = ingest_file(src, tmp_path / "out.parquet", work_dir=work)
    table = pq.read_table(tmp_path / "out.parquet")
    assert {c.name: c.nulls for c in result.columns} == {
        "a": table.column("a").null_count,
        "b": table.column("b").null_count,
    }
    assert result.columns[0].nulls == 100_000 and result.columns[1].nulls == 60_000
