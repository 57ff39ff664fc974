"""SQL over datasets: results against pandas, pages, types, names, errors' places, saved queries.

Every query runs for real: checked by sqlglot, then in a worker process on DuckDB.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from livegraphs_ext.store import (
    BadInput,
    Conflict,
    DatasetStore,
    Forbidden,
    GuardedStore,
    NotFound,
    Principal,
    StoreConfig,
)
from livegraphs_ext.store.charts import run_chart
from livegraphs_ext.store.sqlsets import MAX_SQL_PAGE

ADA, BO, CY = Principal("ada"), Principal("bo"), Principal("cy", frozenset({"analysts"}))
SALES = (
    "city,amount,day\n"
    "Oslo,10,2024-01-01\nLima,5,2024-01-02\nZürich,,2024-01-03\n,7,2024-01-04\n"
    "Oslo,1,2024-02-01\nSão Paulo,3,2024-02-02\nLima,,2024-02-03\n"
)
CITIES = "city,country\nOslo,NO\nLima,PE\nZürich,CH\nSão Paulo,BR\nBern,CH\n"


@pytest.fixture(params=["sqlite", "postgresql"])
def lg_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DatasetStore]:
    url = request.getfixturevalue("lg_postgres_url") if request.param == "postgresql" else None
    store = DatasetStore(StoreConfig(root=tmp_path / "store", catalog_url=url, query_timeout_ms=30_000))
    yield store
    store.close()


@pytest.fixture
def lg_guarded(lg_store: DatasetStore) -> GuardedStore:
    return GuardedStore(lg_store)


def upload(g: GuardedStore, p: Principal, name: str, data: str) -> dict[str, Any]:
    src = g.store.staging_path()
    src.write_text(data, encoding="utf-8")
    return g.create_from_file(p, src, name=name, content_type="text/csv", filename=f"{name}.csv")


def same(a: Any, b: Any) -> bool:
    """Equal, nulls (None, NaN, NA) being equal to each other."""
    if a is None or (isinstance(a, float) and math.isnan(a)) or a is pd.NA:
        return b is None or (isinstance(b, float) and math.isnan(b)) or b is pd.NA
    if isinstance(a, float) or isinstance(b, float):
        return b is not None and math.isclose(float(a), float(b), rel_tol=1e-12)
    return bool(a == b)


def test_a_join_of_two_datasets_matches_pandas(lg_guarded: GuardedStore):
    g = lg_guarded
    upload(g, ADA, "sales", SALES)
    upload(g, ADA, "cities", CITIES)
    sql = """
        select c.country, s.city, sum(s.amount) as total, count(s.amount) as n, avg(s.amount) as mean
        from sales s left join cities c on s.city = c.city
        group by all
        order by c.country nulls last, s.city nulls last
    """
    out = g.sql_query(ADA, sql)
    assert [(c["name"], c["type"]) for c in out["columns"]] == [
        ("country", "string"),
        ("city", "string"),
        ("total", "integer"),
        ("n", "integer"),
        ("mean", "float"),
    ]
    # the same figures from pandas, on the same files
    sales = pd.read_csv(pd.io.common.StringIO(SALES))
    cities = pd.read_csv(pd.io.common.StringIO(CITIES))
    merged = sales.merge(cities, on="city", how="left")
    ref = (
        merged.groupby(["country", "city"], dropna=False)["amount"]
        .agg(total=lambda s: s.sum(min_count=1), n="count", mean="mean")
        .reset_index()
        .sort_values(["country", "city"], na_position="last")
    )
    expected = [list(r) for r in ref[["country", "city", "total", "n", "mean"]].itertuples(index=False)]
    assert out["total"] == len(expected) == len(out["rows"])
    for got, want in zip(out["rows"], expected, strict=True):
        assert all(same(w, x) for w, x in zip(want, got, strict=True)), (got, want)
    # a group of only nulls sums to null, not 0; the city no sale names is not there
    assert ["CH", "Zürich", None, 0, None] in out["rows"]
    assert not any(r[1] == "Bern" for r in out["rows"])
    assert [s["name"] for s in out["sources"]] == ["sales", "cities"]


def test_pages_follow_the_order_and_count_the_whole_result(lg_guarded: GuardedStore):
    g = lg_guarded
    upload(g, ADA, "numbers", "n\n" + "".join(f"{i}\n" for i in range(2500)))
    sql = "select n, n % 7 as r from numbers where n % 2 = 0 order by n desc"
    first = g.sql_query(ADA, sql, offset=0, limit=100)
    assert first["total"] == 1250 and len(first["rows"]) == 100
    assert first["rows"][0] == [2498, 2498 % 7]
    later = g.sql_query(ADA, sql, offset=1200, limit=100, count=False)
    assert later["total"] is None
    assert [r[0] for r in later["rows"]] == list(range(98, -1, -2))
    with pytest.raises(BadInput, match="limit is at most"):
        g.sql_query(ADA, sql, limit=MAX_SQL_PAGE + 1)


def test_result_columns_take_the_types_a_dataset_has(lg_guarded: GuardedStore):
    g = lg_guarded
    upload(g, ADA, "sales", SALES)
    out = g.sql_query(
        ADA,
        """select sum(amount) as hugeint_sum, avg(amount)::decimal(10, 2) as dec,
                  max(day)::timestamptz as tz, min(day) as first_day, list(city order by city) as cities,
                  interval 2 day as span, amount as a, amount as a, 1 as "__row", true as yes
           from sales group by amount order by amount nulls first limit 1""",
    )
    assert [(c["name"], c["type"]) for c in out["columns"]] == [
        ("hugeint_sum", "integer"),
        ("dec", "float"),
        ("tz", "datetime"),
        ("first_day", "date"),
        ("cities", "string"),
        ("span", "string"),
        ("a", "integer"),
        ("a_1", "integer"),
        ("__row_1", "integer"),
        ("yes", "boolean"),
    ]
    assert out["columns"][2]["timezone"] == "UTC"
    row = out["rows"][0]
    assert row[0] is None and row[4] == "[Lima, Zürich]" and row[5] == "2 days" and row[9] is True


def test_names_mean_what_they_mean_everywhere_and_others_datasets_do_not_exist(lg_guarded: GuardedStore):
    g = lg_guarded
    sales = upload(g, ADA, "sales", SALES)
    secret = upload(g, BO, "secret", "k\nTOP SECRET\n")
    upload(g, BO, "sales", "city,amount\nNowhere,1\n")
    g.share(ADA, sales["id"], "group", "analysts", "viewer")
    # the caller's own first; a shared one by its bare name or as owner/name; any by id
    assert g.sql_query(ADA, "select count(*) from sales")["rows"] == [[7]]
    assert g.sql_query(BO, "select count(*) from sales")["rows"] == [[1]]
    assert g.sql_query(CY, "select count(*) from sales")["rows"] == [[7]]
    assert g.sql_query(CY, 'select count(*) from "ada/sales"')["rows"] == [[7]]
    assert g.sql_query(CY, f'select count(*) from "{sales["id"]}"')["rows"] == [[7]]
    before = g.store.sql_runs
    # another user's dataset: not there, by name, by owner/name or by id, pointing at it
    for who, ref in ((CY, "secret"), (CY, '"bo/secret"'), (CY, f'"{secret["id"]}"'), (BO, '"ada/sales"')):
        with pytest.raises(NotFound) as e:
            g.sql_query(who, f"select *\n  from {ref}")
        assert e.value.status == 404
        assert e.value.message.startswith("Line 2, column 8: No dataset named")
        assert (e.value.errors[0].row, e.value.errors[0].column) == (2, "8")
    assert g.store.sql_runs == before  # nothing ran
    # two owners share "sales" with cy: the bare name is ambiguous, owner/name is not
    g.share(BO, g.find_readable(BO, "sales"), "user", "cy", "viewer")
    with pytest.raises(Conflict, match="ada/sales, bo/sales"):
        g.sql_query(CY, "select * from sales")
    assert g.sql_query(CY, 'select count(*) from "bo/sales"')["rows"] == [[1]]


def test_names_that_differ_only_in_case_are_one_name_to_sql(lg_guarded: GuardedStore):
    g = lg_guarded
    upload(g, ADA, "Sales", "x\n1\n")
    upload(g, ADA, "sales", "x\n2\n")
    with pytest.raises(BadInput, match="one name to SQL"):
        g.sql_query(ADA, 'select * from "Sales", "sales"')
    assert g.sql_query(ADA, 'select x from "Sales"')["rows"] == [[1]]


@pytest.mark.parametrize(
    ("sql", "line", "column", "text"),
    [
        # sqlglot's parse
        ("select city,\n  amount\n  frm sales", 3, 7, "Invalid expression"),
        # DuckDB's binder: a column that is not there (after a non-ASCII letter)
        ("select 'Zürich',\n     nope from sales", 2, 6, 'column "nope" not found'),
        # DuckDB, as the query runs: a value that does not convert
        ("select\n  city::integer from sales", 2, 7, "Could not convert"),
        # a refused function, where it is called
        ("select upper(city),\n  getenv('HOME') from sales", 2, 3, "'getenv' may not be used"),
    ],
)
def test_errors_point_at_the_line_and_column(
    lg_guarded: GuardedStore, sql: str, line: int, column: int, text: str
):
    upload(lg_guarded, ADA, "sales", SALES)
    with pytest.raises(BadInput) as e:
        lg_guarded.sql_query(ADA, sql)
    assert text in e.value.message
    assert e.value.message.startswith(f"Line {line}, column {column}: ")
    problem = e.value.errors[0]
    assert (problem.row, problem.column) == (line, str(column))


def test_a_saved_query_is_a_dataset_whose_recipe_it_is_and_it_refreshes(lg_guarded: GuardedStore):
    g, st = lg_guarded, lg_guarded.store
    sales = upload(g, ADA, "sales", SALES)
    cities = upload(g, ADA, "cities", CITIES)
    sql = (
        "select c.country, sum(s.amount) as total from sales s "
        "join cities c using (city) group by c.country order by c.country"
    )
    saved = g.sql_save(ADA, sql, "by country")
    assert (saved["owner"], saved["access"], saved["version"]) == ("ada", "owner", 1)
    version = st.version(saved["id"])
    assert version["kind"] == "sql" and version["step"]["sql"] == sql
    assert [(s["name"], s["id"], s["version"]) for s in version["step"]["sources"]] == [
        ("sales", sales["id"], 1),
        ("cities", cities["id"], 1),
    ]
    assert st.recipe(saved["id"]) == []
    assert st.rows(saved["id"])["rows"] == [["BR", 3], ["CH", None], ["NO", 11], ["PE", 5]]
    assert g.sql_sources(ADA, saved["id"])["stale"] is False
    # nothing moved: nothing to do
    assert g.sql_refresh(ADA, saved["id"])["refreshed"] is False
    assert st.get(saved["id"])["version"] == 1

    # a cleaning step on the saved dataset, then new rows for a source
    g.apply_step(ADA, saved["id"], {"op": "drop_nulls", "columns": ["total"]})
    src = st.staging_path()
    src.write_text("city,amount,day\nBern,4,2024-03-01\nOslo,2,2024-03-02\n")
    g.new_data(ADA, sales["id"], src, mode="append", filename="march.csv")
    status = g.sql_sources(ADA, saved["id"])
    assert status["stale"] is True and status["sql"] == sql
    assert [(s["version"], s["current"]) for s in status["sources"]] == [(1, 2), (1, 1)]
    out = g.sql_refresh(ADA, saved["id"])
    assert out["refreshed"] is True and out["version"] == 4
    # the query ran over the new rows, then the step again (CH is no longer null: Bern)
    assert st.rows(saved["id"])["rows"] == [["BR", 3], ["CH", 4], ["NO", 13], ["PE", 5]]
    kinds = [(v["kind"], v["parent"]) for v in st.versions(saved["id"])]
    assert kinds == [("sql", None), ("transform", 1), ("sql", 2), ("transform", 3)]
    assert [s["version"] for s in st.version(saved["id"], 3)["step"]["sources"]] == [2, 1]
    assert [st["step"]["op"] for st in st.recipe(saved["id"])] == ["drop_nulls"]
    assert g.sql_refresh(ADA, saved["id"])["refreshed"] is False


def test_refreshing_needs_write_on_the_dataset_and_read_on_every_source(lg_guarded: GuardedStore):
    g, st = lg_guarded, lg_guarded.store
    sales = upload(g, ADA, "sales", SALES)
    g.share(ADA, sales["id"], "user", "bo", "viewer")
    saved = g.sql_save(BO, 'select city from "ada/sales" where amount > 4', "big sales")
    assert saved["owner"] == "bo"
    g.share(BO, saved["id"], "group", "analysts", "viewer")
    src = st.staging_path()
    src.write_text("city,amount,day\nBern,40,2024-03-01\n")
    g.new_data(ADA, sales["id"], src, mode="append")
    # a viewer may see that it is stale but not refresh it; an outsider does not see it
    assert g.sql_sources(CY, saved["id"])["stale"] is False  # cy may not read the source
    with pytest.raises(Forbidden):
        g.sql_refresh(CY, saved["id"])
    with pytest.raises(NotFound):
        g.sql_refresh(Principal("dee"), saved["id"])
    # the owner of the query loses the source: the query cannot run for them any more
    g.unshare(ADA, sales["id"], "user", "bo")
    with pytest.raises(NotFound):
        g.sql_refresh(BO, saved["id"])
    g.share(ADA, sales["id"], "user", "bo", "viewer")
    assert sorted(map(str, st.rows(saved["id"])["rows"])) == ["['Lima']", "['Oslo']", "[None]"]
    assert g.sql_refresh(BO, saved["id"])["refreshed"] is True
    assert sorted(map(str, st.rows(saved["id"])["rows"])) == ["['Bern']", "['Lima']", "['Oslo']", "[None]"]
    g.delete(ADA, sales["id"])
    with pytest.raises(Conflict, match="was deleted"):
        g.sql_refresh(BO, saved["id"])
    with pytest.raises(BadInput, match="Only a dataset made by a SQL query"):
        g.sql_refresh(ADA, upload(g, ADA, "plain", "x\n1\n")["id"])


def test_dates_past_years_1_to_9999_show_as_their_text_in_pages_and_charts(lg_guarded: GuardedStore):
    # DuckDB's date arithmetic reaches year 0 and five-digit years, which Python's dates cannot hold
    g = lg_guarded
    upload(g, ADA, "sales", SALES)
    sql = (
        "select make_date(0, 1, 1) as early, make_timestamp(10000, 1, 1, 0, 0, 0) as late, "
        "day, amount from sales order by day limit 2"
    )
    out = g.sql_query(ADA, sql)
    assert [c["type"] for c in out["columns"]] == ["date", "datetime", "date", "integer"]
    assert out["rows"] == [
        ["0000-01-01", "10000-01-01 00:00:00.000000", dt.date(2024, 1, 1), 10],
        ["0000-01-01", "10000-01-01 00:00:00.000000", dt.date(2024, 1, 2), 5],
    ]
    saved = g.sql_save(ADA, "select (day - interval 2024 year)::date as day, amount from sales", "shifted")
    page = g.rows(ADA, saved["id"], sort="-day", limit=3)
    assert page["rows"] == [["0000-02-03", None], ["0000-02-02", 3], ["0000-02-01", 1]]
    spec = {
        "version": 1,
        "dataset": {"name": "shifted"},
        "mark": "bar",
        "encoding": {
            "x": {"field": "day", "timeUnit": "month"},
            "y": {"field": "amount", "aggregate": "sum"},
        },
    }
    data = run_chart(g.store, spec, user="ada").to_json()["data"]
    assert data == {"x": ["0000-01-01", "0000-02-01"], "y": [22, 4]}
