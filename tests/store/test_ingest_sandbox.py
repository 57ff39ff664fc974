"""DuckDB runs sandboxed and in a memory budget.

The ingest and the store's queries touch only their own files.

The store builds every SQL statement itself, so these are second walls: even a statement
that got through could not read another file, write outside scratch space, load an
extension or loosen the settings.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from livegraphs_ext.store import DatasetStore, StoreConfig
from livegraphs_ext.store.errors import TooLarge
from livegraphs_ext.store.ingest import IngestLimits
from livegraphs_ext.store.sql import quote_literal as sql_str

from .test_ingest_support import run, run_error

SECRET = "top secret,42\n"


@pytest.fixture
def store(tmp_path: Path):
    s = DatasetStore(StoreConfig(root=tmp_path / "store"))
    yield s
    s.close()


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "secret.csv"
    path.write_text(SECRET)
    return path


def _upload(store: DatasetStore, tmp_path: Path, name: str) -> dict:
    src = tmp_path / f"{name}.csv"
    src.write_text("a,b\n" + "".join(f"{i},x{i}\n" for i in range(1000)))
    return store.create_from_file(src, name=name, owner="alice", filename=f"{name}.csv")


def _escapes(secret: Path) -> list[str]:
    s = sql_str(str(secret))
    return [
        f"SELECT * FROM read_csv({s})",
        f"SELECT * FROM read_text({s})",
        f"SELECT * FROM read_blob({s})",
        f"SELECT * FROM sniff_csv({s})",
        f"SELECT * FROM glob({sql_str(str(secret.parent) + '/*')})",
        "SELECT * FROM read_text('/etc/passwd')",
        f"COPY (SELECT 1) TO {sql_str(str(secret.parent / 'written.csv'))}",
        f"ATTACH {sql_str(str(secret.parent / 'other.duckdb'))}",
        "INSTALL httpfs",
        "LOAD httpfs",
    ]


SETTINGS = [
    "SET enable_external_access = true",
    "SET lock_configuration = false",
    "RESET lock_configuration",
    "SET memory_limit = '100GB'",
    "SET threads = 64",
    "SET temp_directory = '/tmp'",
    "SET max_temp_directory_size = '1TB'",
    "SET allowed_directories = ['/']",
    "SET max_execution_time = 0",
]


def test_a_query_connection_reads_its_dataset_and_nothing_else(store, tmp_path, secret) -> None:
    ds = _upload(store, tmp_path, "mine")
    other = _upload(store, tmp_path, "other")
    path = store.version_file(ds["id"])
    with store._scratch() as scratch:
        con = store._connect(scratch, read=[path])
        try:
            assert con.execute(f"SELECT count(*) FROM read_parquet({sql_str(str(path))})").fetchone() == (
                1000,
            )
            for sql in [
                *_escapes(secret),
                f"SELECT * FROM read_parquet({sql_str(str(store.version_file(other['id'])))})",
            ]:
                with pytest.raises(duckdb.Error) as err:
                    con.execute(sql).fetchall()
                assert isinstance(err.value, (duckdb.PermissionException, duckdb.InvalidInputException)), sql
            for sql in SETTINGS:
                with pytest.raises(duckdb.InvalidInputException, match="locked"):
                    con.execute(sql)
            assert con.execute("SELECT current_setting('enable_external_access')").fetchone() == (False,)
            assert con.execute("SELECT current_setting('lock_configuration')").fetchone() == (True,)
        finally:
            con.close()
    assert not (tmp_path / "written.csv").exists()
    assert secret.read_text() == SECRET


def test_a_locked_query_can_still_sort_and_spill(tmp_path) -> None:
    store = DatasetStore(StoreConfig(root=tmp_path / "store", duckdb_memory_limit="32MB"))
    try:
        ds = _upload(store, tmp_path, "mine")
        page = store.rows(ds["id"], sort="-a", filter=None, limit=3)
        assert [r[0] for r in page["rows"]] == [999, 998, 997]
        path = store.version_file(ds["id"])
        with store._scratch() as scratch:
            con = store._connect(scratch, read=[path])
            try:
                # a sort far bigger than the memory limit spills to the scratch folder
                top = con.execute(
                    "SELECT max(k) FROM (SELECT r.range * 1000 + a AS k, b "
                    f"FROM read_parquet({sql_str(str(path))}), range(3000) r ORDER BY b, k)"
                ).fetchone()
                assert top == (2_999_999,)
            finally:
                con.close()
    finally:
        store.close()


def test_the_ingest_connection_reads_only_the_upload(tmp_path, secret, monkeypatch) -> None:
    from livegraphs_ext.store.ingest import api

    refused: list[str] = []
    allowed: list[str] = []
    real = api.restrict_files

    def restrict_and_probe(con, **kwargs):
        real(con, **kwargs)
        # probed on the real ingest connection, right before the ingest uses it
        for sql in _escapes(secret):
            try:
                con.execute(sql).fetchall()
                allowed.append(sql)
            except duckdb.Error:
                refused.append(sql)
        with pytest.raises(duckdb.PermissionException):
            con.execute(f"SELECT * FROM read_csv({sql_str(str(secret))})")

    monkeypatch.setattr(api, "restrict_files", restrict_and_probe)
    _, rows = run(tmp_path, b"a,b\n1,2\n")
    assert rows == [{"a": 1, "b": 2}]
    assert allowed == [] and len(refused) == len(_escapes(secret))
    assert not (tmp_path / "written.csv").exists()


def _wide_csv(path: Path) -> Path:
    cols = 200
    with path.open("w") as f:
        f.write(",".join(f"c{i}" for i in range(cols)) + "\n")
        for r in range(4000):
            f.write(",".join(f"value number {r} {i}" for i in range(cols)) + "\n")
    return path


def test_a_copy_that_outgrows_the_working_memory_is_run_again_with_more(tmp_path, monkeypatch) -> None:
    from livegraphs_ext.store.ingest import engine

    budgets: list[int] = []
    real = engine.set_budget

    def record(con, size):
        budgets.append(size)
        real(con, size)

    monkeypatch.setattr(engine, "set_budget", record)
    src = _wide_csv(tmp_path / "wide.csv")
    limits = IngestLimits(working_memory=16 * 2**20, row_groups_in_memory=0)
    result, rows = run(tmp_path, src, limits=limits)
    assert budgets == [16 * 2**20, limits.max_memory]
    assert result.rows == 4000 and len(result.columns) == 200
    assert rows[3999]["c199"] == "value number 3999 199"


def test_a_file_that_needs_more_than_the_most_memory_is_413(tmp_path) -> None:
    src = _wide_csv(tmp_path / "wide.csv")
    err = run_error(tmp_path, src, limits=IngestLimits(working_memory=16 * 2**20, max_memory=16 * 2**20))
    assert isinstance(err, TooLarge) and err.status == 413


def test_the_budget_grows_with_the_width_of_the_rows() -> None:
    from livegraphs_ext.store.ingest.csv_ingest import ROW_GROUP, _budget

    limits = IngestLimits()
    narrow = "id,x\n" + "".join(f"{i},{i}.5\n" for i in range(1000))
    wide = ",".join(f"c{i}" for i in range(100)) + "\n" + ("value number 1234 12," * 100 + "\n") * 50
    row = len(narrow) / narrow.count("\n")
    assert _budget(narrow, limits) == limits.working_memory + int(4 * row * ROW_GROUP)
    assert _budget(narrow, limits) < 300 * 2**20
    # about 2 kB a row: four row groups are more than the cap
    assert _budget(wide, limits) == limits.max_memory
