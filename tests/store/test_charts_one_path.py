"""One path for every chart query: the spec checked once at the entry, run on a store's pooled connections."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import livegraphs_ext as lg
from livegraphs_ext.kernel import notebook
from livegraphs_ext.store import BadInput, Conflict, DatasetStore, GuardedStore, NotFound, Principal
from livegraphs_ext.store.charts import ChartEngine, CheckedSpec, check_shape, run_chart_file, validate_spec
from livegraphs_ext.store.charts import spec as spec_module
from livegraphs_ext.store.schema import ColumnInfo

SALES = (
    "order_date,region,product,revenue,units\n"
    "2025-01-03,EMEA,Widget,120.5,3\n"
    "2025-01-17,APAC,Gadget,80.0,2\n"
    "2025-02-02,EMEA,Gadget,200.0,5\n"
    "2025-02-20,AMER,Widget,50.25,1\n"
    "2025-03-05,APAC,Widget,75.0,2\n"
)


@pytest.fixture
def lg_kernel_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DatasetStore]:
    """The store a notebook kernel's ``lg.*`` helpers open (the same object each call)."""
    monkeypatch.setenv("LIVEGRAPHS_DATA_DIR", str(tmp_path / "nb"))
    monkeypatch.delenv("LIVEGRAPHS_SERVICE_URL", raising=False)
    notebook._store.cache_clear()
    store = notebook.store()
    yield store
    notebook._store.cache_clear()
    store.close()


@pytest.fixture
def lg_sales(lg_kernel_store: DatasetStore) -> dict[str, Any]:
    src = lg_kernel_store.staging_path()
    src.write_text(SALES)
    return lg_kernel_store.create_from_file(src, name="sales", owner="ada", content_type="text/csv")


@pytest.fixture
def lg_schema_checks(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The specs checked against the JSON Schema, one entry per check (a spy on the real validator)."""
    real = spec_module._validator()
    seen: list[Any] = []

    class Spy:
        def iter_errors(self, instance: Any) -> Any:
            seen.append(instance)
            return real.iter_errors(instance)

    monkeypatch.setattr(spec_module, "_validator", lambda: Spy())
    return seen


def bar(ref: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "version": 1,
        "dataset": ref,
        "mark": "bar",
        "encoding": {"x": {"field": "region"}, "y": {"field": "revenue", "aggregate": "sum"}},
        **extra,
    }


def test_notebook_chart_queries_share_the_stores_engine_and_its_connections(
    lg_sales: dict[str, Any], lg_kernel_store: DatasetStore, lg_schema_checks: list[Any]
):
    # Given a kernel's store and its engine
    engine = lg_kernel_store.charts
    spec = bar({"id": lg_sales["id"]})

    # When the notebook API runs five chart queries over one version, and a widget one more
    results = [lg.query_chart(spec).to_json() for _ in range(5)]
    widget = lg.chart("sales", mark="bar", x="region", y="sum(revenue)")

    # Then every query ran on the store's one engine, on a single pooled connection
    assert notebook.store() is lg_kernel_store and lg_kernel_store.charts is engine
    assert widget.error == ""
    assert (engine.pool.opened, len(engine.pool)) == (1, 1)
    # and each spec was checked against the JSON Schema exactly once
    assert len(lg_schema_checks) == 6
    # and the answers are those of a fresh, unpooled query of the same file
    columns = [ColumnInfo.from_json(c) for c in lg_sales["columns"]]
    alone = run_chart_file(
        lg_kernel_store.version_file(lg_sales["id"]),
        columns,
        spec,
        rows=lg_sales["rows"],
        dataset={"id": lg_sales["id"], "version": 1},
    ).to_json()
    assert all(r == alone for r in results)
    assert alone["data"] == {"x": ["AMER", "APAC", "EMEA"], "y": [50.25, 155.0, 320.5]}


def test_a_host_engine_and_a_guarded_query_check_the_spec_once(
    lg_sales: dict[str, Any], lg_kernel_store: DatasetStore, lg_schema_checks: list[Any]
):
    # Given a host's engine over the same store
    engine = ChartEngine(lg_kernel_store, cache_bytes=0)
    try:
        # When one query comes by the engine and one through the sharing guard, by name
        engine.run(bar({"id": lg_sales["id"]}))
        guarded = GuardedStore(lg_kernel_store).chart(Principal("ada"), engine, bar({"name": "sales"}))

        # Then each was checked once, and the guard pinned the dataset it resolved
        assert len(lg_schema_checks) == 2
        assert guarded.dataset == {"id": lg_sales["id"], "version": 1}
        assert engine.pool.opened == 1
    finally:
        engine.close()


def test_a_checked_spec_is_not_checked_again_and_cannot_change(lg_schema_checks: list[Any]):
    raw = bar({"id": "a" * 32})

    checked = check_shape(raw)
    again = check_shape(checked)
    validate_spec(checked, [ColumnInfo("region", "string"), ColumnInfo("revenue", "float")])

    assert again is checked and isinstance(checked, CheckedSpec) and checked == raw
    assert len(lg_schema_checks) == 1
    with pytest.raises(TypeError):
        checked["mark"] = "line"
    assert copy.deepcopy(checked) == checked and dict(checked) == raw
    # a resolved dataset may be pinned without a new check; anything else is refused
    assert checked.with_dataset({"id": "b" * 32, "version": 2})["dataset"] == {"id": "b" * 32, "version": 2}
    with pytest.raises(BadInput):
        checked.with_dataset({"name": "sales"})
    assert len(lg_schema_checks) == 1


def test_a_chart_asks_the_catalog_for_its_dataset_once(
    lg_sales: dict[str, Any], lg_kernel_store: DatasetStore, monkeypatch: pytest.MonkeyPatch
):
    # Given a spy on the catalog's transactions and single statements
    catalog = lg_kernel_store.catalog
    real_transaction, real_first = catalog.transaction, catalog.first
    opened: list[str] = []

    def transaction() -> Any:
        opened.append("transaction")
        return real_transaction()

    def first(statement: Any, params: Any = None) -> Any:
        opened.append("statement")
        return real_first(statement, params)

    monkeypatch.setattr(catalog, "transaction", transaction)
    monkeypatch.setattr(catalog, "first", first)
    ds = lg_sales["id"]
    # When charts name their dataset every way a spec may (a name, an id, an id given as a name,
    # a pinned version), each finds its dataset, version, file and columns in one statement
    # (an id given as a name: one transaction, which tries it as an id first)
    for ref, asked in (
        ({"name": "sales"}, ["statement"]),
        ({"id": ds}, ["statement"]),
        ({"name": ds}, ["transaction"]),
        ({"name": "sales", "version": 1}, ["statement"]),
    ):
        opened.clear()
        result = lg_kernel_store.charts.run(bar(ref), user="ada")
        assert opened == asked, ref
        assert result.dataset == {"id": ds, "version": 1}
        assert sorted(result.table.column("x").to_pylist()) == ["AMER", "APAC", "EMEA"]
    # And after an append, a chart follows the new version unless it pins the old one
    src = lg_kernel_store.staging_path()
    src.write_text("order_date,region,product,revenue,units\n2025-04-01,LATAM,Widget,10.0,1\n")
    lg_kernel_store.new_data(ds, src, mode="append", user="ada", content_type="text/csv")
    latest = lg_kernel_store.charts.run(bar({"name": "sales"}), user="ada")
    pinned = lg_kernel_store.charts.run(bar({"id": ds, "version": 1}), user="ada")
    assert latest.dataset == {"id": ds, "version": 2} and pinned.dataset == {"id": ds, "version": 1}
    assert "LATAM" in latest.table.column("x").to_pylist()
    assert "LATAM" not in pinned.table.column("x").to_pylist()
    # And what is missing is named as before
    with pytest.raises(NotFound, match="has no version 7"):
        lg_kernel_store.charts.run(bar({"id": ds, "version": 7}), user="ada")
    with pytest.raises(NotFound, match="No dataset named 'nothing'"):
        lg_kernel_store.charts.run(bar({"name": "nothing"}), user="ada")
    with pytest.raises(NotFound, match="No dataset with id"):
        lg_kernel_store.charts.run(bar({"id": "0" * 32}), user="ada")
    # And a bare name that is someone else's is found as before (the kernel's user may read all),
    # one that several others carry is named ambiguous, and one's own comes before theirs
    for who in ("bob", "cy"):
        src = lg_kernel_store.staging_path()
        src.write_text("region,revenue\nMARS,1.0\n")
        lg_kernel_store.create_from_file(src, name="theirs", owner=who, content_type="text/csv")
    with pytest.raises(Conflict, match="bob/theirs"):
        lg_kernel_store.charts.run(bar({"name": "theirs"}), user="ada")
    assert lg_kernel_store.charts.run(bar({"name": "theirs"}), user="bob").table.column("x").to_pylist() == [
        "MARS"
    ]
    opened.clear()
    assert lg_kernel_store.charts.run(bar({"name": "cy/theirs"}), user="ada").marks == 1
    assert opened == ["statement"]


def test_a_chart_by_name_asks_the_catalog_for_its_dataset_and_version_only(
    lg_sales: dict[str, Any], lg_kernel_store: DatasetStore
):
    # Given the catalog's statements counted
    from sqlalchemy import event

    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = lg_kernel_store.catalog.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        # When a chart names its dataset by name (pinned or not, bare or owner/name) or by its id
        # as a name, the catalog is asked once for the dataset and its version's file (an id as
        # a name: twice, which dataset, then its version's file)
        for ref, asked in (
            ({"name": "sales"}, 1),
            ({"name": " sales", "version": 1}, 1),
            ({"name": lg_sales["id"]}, 2),
            ({"name": "ada/sales"}, 1),
            ({"id": lg_sales["id"]}, 1),
        ):
            statements.clear()
            result = lg_kernel_store.charts.run(bar(ref), user="ada")
            assert len(statements) == asked, (ref, statements)
            assert result.dataset == {"id": lg_sales["id"], "version": 1}
        # And an own dataset's missing version is named as before
        with pytest.raises(NotFound, match="has no version 7"):
            lg_kernel_store.charts.run(bar({"name": "sales", "version": 7}), user="ada")
    finally:
        event.remove(engine, "before_cursor_execute", count)
