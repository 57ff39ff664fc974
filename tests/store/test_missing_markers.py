"""The step "Treat NA as missing" (``markers_to_null``): its rules, its limits, and that the server,
"Copy as code" and pandas itself give the same data, on both catalogs (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from livegraphs_ext.store import BadInput, DatasetStore, StoreConfig
from livegraphs_ext.store.ingest.coerce import MISSING_TEXT, NULL_MARKERS
from livegraphs_ext.store.missing import MAX_MARKER_LENGTH, MAX_MARKERS
from livegraphs_ext.store.transforms import complete_plan, plan_step

from .test_transforms_support import assert_same, check_step, columns_of, src_view, write

#: every kind of text column: markers among words, numbers, dates, true/false, codes, long
#: whole numbers, nothing but markers, nothing at all, and names and values beyond ASCII
TABLE = pa.table(
    {
        "id": pa.array([1, 2, 3, 4, 5, 6], pa.int64()),
        "sex": pa.array(["male", "NA", "female", None, "", "-"]),
        "score": pa.array(["12", "NA", "7", "N/A", " 3 ", "-4"]),
        "ratio": pa.array(["1.5", "NA", "2", "#N/A", "1e3", None]),
        "codes": pa.array(["007", "NA", "012", "1", "2", "3"]),
        "flag": pa.array(["true", "NA", "f", "T", "false", ""]),
        "when": pa.array(["2024-01-31", "NA", "2023-12-01", "null", None, "2020-02-29"]),
        "dmy": pa.array(["31/01/2024 10:30", "NA", "01/12/2023 00:00", "None", None, "29/02/2020 23:59"]),
        "only markers": pa.array(["NA", "NaN", "N/A", "", "-", "null"]),
        "nothing": pa.array([None] * 6, pa.string()),
        "Ünïcode ñame": pa.array(["café", "NA", "naïve", "日本", "", None]),
        "long": pa.array(["12345678901234567", "NA", "1", "2", "3", "4"]),
        "na lower": pa.array(["na", "n/a", "1", "2", "NA", "Na"]),
        "price": pa.array([1.5, None, 2.0, 3.0, None, 4.0]),
    }
)


@pytest.fixture(scope="module")
def parent(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write(TABLE, tmp_path_factory.mktemp("missing"))


def completed(parent: Path, step: dict[str, Any]) -> Any:
    """The step's plan once it has read the data, as the store completes it."""
    con = duckdb.connect()
    try:
        src_view(con, parent)
        return complete_plan(con, plan_step(step, columns_of(TABLE)), columns_of(TABLE))
    finally:
        con.close()


def test_markers_become_missing_and_number_date_and_boolean_columns_are_retyped(
    parent: Path, tmp_path: Path
) -> None:
    # Given text columns holding NA and the other markers of uploads
    # When the step runs on every text column
    plan = completed(parent, {"op": "markers_to_null"})
    # Then it names the columns that held markers, and retypes those whose other values share a type
    assert plan.step["columns"] == [
        "sex", "score", "ratio", "codes", "flag", "when", "dmy", "only markers", "Ünïcode ñame", "long",
        "na lower",
    ]  # fmt: skip
    assert plan.step["markers"] == list(MISSING_TEXT) == ["", *NULL_MARKERS]
    assert plan.step["casts"] == [
        {"column": "score", "to": "integer", "format": None},
        {"column": "ratio", "to": "float", "format": None},
        {"column": "flag", "to": "boolean", "format": None},
        {"column": "when", "to": "date", "format": "%Y-%m-%d"},
        {"column": "dmy", "to": "datetime", "format": "%d/%m/%Y %H:%M"},
    ]
    assert plan.describe.startswith(
        "Treat missing-value markers (empty text, NA, N/A, NaN, null, NULL, None, #N/A"
    )
    assert "score becomes integer" in plan.describe
    assert "column 'sex': 3 values read as missing" in plan.notes
    assert "column 'score' is now integer: its other values are all whole numbers" in plan.notes
    # And DuckDB and the generated pandas give the same rows and types
    duck, again, problems = check_step(parent, plan.step, tmp_path)
    assert problems == []
    got = {n: duck.column(n).to_pylist() for n in duck.column_names}
    assert got["sex"] == ["male", None, "female", None, None, None]
    assert got["score"] == [12, None, 7, None, 3, -4]
    assert got["ratio"] == [1.5, None, 2.0, None, 1000.0, None]
    assert got["flag"] == [True, None, False, True, False, None]
    assert [str(d) if d else None for d in got["when"]] == [
        "2024-01-31",
        None,
        "2023-12-01",
        None,
        None,
        "2020-02-29",
    ]
    assert got["dmy"][5] is not None and got["dmy"][5].isoformat() == "2020-02-29T23:59:00"
    assert got["only markers"] == [None] * 6
    assert got["nothing"] == [None] * 6
    assert got["Ünïcode ñame"] == ["café", None, "naïve", "日本", None, None]
    # a code with a leading zero stays text, as on upload; so do whole numbers a float would change
    assert got["codes"] == ["007", None, "012", "1", "2", "3"]
    assert got["long"] == ["12345678901234567", None, "1", "2", "3", "4"]
    # markers match exactly as written: "na" and "n/a" are text
    assert got["na lower"] == ["na", "n/a", "1", "2", None, "Na"]
    # columns that are not text are left as they are
    assert got["price"] == TABLE.column("price").to_pylist()
    assert [c.type for c in again.columns_after][:3] == ["integer", "string", "integer"]


def test_the_same_columns_as_pandas_reading_the_markers_as_missing(parent: Path, tmp_path: Path) -> None:
    # An independent reference: pandas' own CSV reader told that the markers mean "missing"
    frame = pd.read_parquet(parent)
    text = frame.to_csv(index=False)
    reference = pd.read_csv(
        io.StringIO(text), keep_default_na=False, na_values=list(MISSING_TEXT), dtype_backend="pyarrow"
    )
    duck, _, _ = check_step(parent, completed(parent, {"op": "markers_to_null"}).step, tmp_path)
    for name in ["id", "sex", "score", "ratio", "only markers", "Ünïcode ñame", "price"]:
        want = [None if pd.isna(v) else v for v in reference[name].tolist()]
        got = duck.column(name).to_pylist()
        if name == "only markers":
            want = [None] * len(got)  # pandas reads a column of nothing as floats; it is empty either way
        assert got == want, name


def test_only_the_columns_and_markers_asked_for_without_retyping(parent: Path, tmp_path: Path) -> None:
    step = {
        "op": "markers_to_null",
        "columns": ["score", "Ünïcode ñame"],
        "markers": ["NA", "日本"],
        "retype": False,
    }
    plan = completed(parent, step)
    assert plan.step == {
        "op": "markers_to_null",
        "columns": ["score", "Ünïcode ñame"],
        "markers": ["NA", "日本"],
        "casts": [],
    }
    assert plan.describe == "Treat NA, 日本 as missing in score, Ünïcode ñame"
    duck, _, _ = check_step(parent, plan.step, tmp_path)
    assert duck.column("score").to_pylist() == ["12", None, "7", "N/A", " 3 ", "-4"]
    assert duck.column("Ünïcode ñame").to_pylist() == ["café", None, "naïve", None, "", None]
    assert duck.column("sex").to_pylist() == TABLE.column("sex").to_pylist()


def test_names_and_markers_that_look_like_sql_or_templates_stay_inert(tmp_path: Path) -> None:
    table = pa.table(
        {"{0}": pa.array(["1", "{1}?", "2", "x'); DROP TABLE t;--"]), '"q"': pa.array(["?", "a", "b", "c"])}
    )
    parent = write(table, tmp_path)
    markers = ["{1}?", "x'); DROP TABLE t;--", "?"]
    con = duckdb.connect()
    src_view(con, parent)
    cols = columns_of(table)
    plan = complete_plan(con, plan_step({"op": "markers_to_null", "markers": markers}, cols), cols)
    con.close()
    assert plan.step["casts"] == [{"column": "{0}", "to": "integer", "format": None}]
    duck, _, problems = check_step(parent, plan.step, tmp_path)
    assert duck.column("{0}").to_pylist() == [1, None, 2, None]
    assert duck.column('"q"').to_pylist() == [None, "a", "b", "c"]
    assert problems == []


def test_a_recorded_retyping_reports_values_that_no_longer_fit(tmp_path: Path) -> None:
    # Given the completed step of a column of numbers, replayed on data with a word in it
    table = pa.table({"n": pa.array(["1", "NA", "two", "", "4"])})
    parent = write(table, tmp_path)
    step = {"op": "markers_to_null", "columns": ["n"], "markers": list(MISSING_TEXT), "casts": [
        {"column": "n", "to": "integer", "format": None}
    ]}  # fmt: skip
    duck, _, problems = check_step(parent, step, tmp_path)
    # Then the word is a problem and missing; markers are missing and no problem
    assert duck.column("n").to_pylist() == [1, None, None, None, 4]
    assert problems == [(3, "n", "two", "integer")]


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ({"op": "markers_to_null", "columns": ["price"]}, "'price' is float: only text columns hold markers"),
        ({"op": "markers_to_null", "columns": ["nope"]}, "Unknown column 'nope'"),
        ({"op": "markers_to_null", "columns": []}, "non-empty list"),
        ({"op": "markers_to_null", "markers": []}, f"1 to {MAX_MARKERS} texts"),
        ({"op": "markers_to_null", "markers": "NA"}, f"1 to {MAX_MARKERS} texts"),
        (
            {"op": "markers_to_null", "markers": [f"m{i}" for i in range(MAX_MARKERS + 1)]},
            f"1 to {MAX_MARKERS}",
        ),
        (
            {"op": "markers_to_null", "markers": ["x" * (MAX_MARKER_LENGTH + 1)]},
            f"at most {MAX_MARKER_LENGTH}",
        ),
        ({"op": "markers_to_null", "markers": ["a\x00b"]}, "without NUL"),
        ({"op": "markers_to_null", "markers": [1]}, "without NUL"),
        ({"op": "markers_to_null", "markers": ["NA", "NA"]}, "lists a text twice"),
        ({"op": "markers_to_null", "retype": "yes"}, "'retype' must be true or false"),
        ({"op": "markers_to_null", "retype": True, "casts": []}, "not both"),
        ({"op": "markers_to_null", "casts": {}}, "'casts' must be a list"),
        (
            {"op": "markers_to_null", "casts": [{"column": "price", "to": "integer"}]},
            "not one of the step's text",
        ),
        ({"op": "markers_to_null", "casts": [{"column": "score", "to": "string"}]}, "may retype text to"),
        (
            {"op": "markers_to_null", "casts": [{"column": "score", "to": "integer", "format": "%Y"}]},
            "'format'",
        ),
        (
            {
                "op": "markers_to_null",
                "casts": [{"column": "score", "to": "float"}, {"column": "score", "to": "float"}],
            },
            "retypes a column twice",
        ),
        (
            {"op": "markers_to_null", "casts": [{"column": "score", "to": "float", "x": 1}]},
            "{column, to, format}",
        ),
        ({"op": "markers_to_null", "marker": ["NA"]}, "unexpected field(s) for 'markers_to_null': marker"),
    ],
)
def test_bad_steps_name_the_problem(step: dict[str, Any], message: str) -> None:
    with pytest.raises(BadInput) as e:
        plan_step(step, columns_of(TABLE))
    assert message in e.value.message


def test_nothing_to_treat_is_a_clear_error(tmp_path: Path) -> None:
    parent = write(pa.table({"a": pa.array(["x", None]), "b": pa.array([1, 2])}), tmp_path)
    con = duckdb.connect()
    src_view(con, parent)
    cols = columns_of(pq.read_table(parent))
    with pytest.raises(BadInput, match="no text column holds missing-value markers"):
        complete_plan(con, plan_step({"op": "markers_to_null"}, cols), cols)
    with pytest.raises(BadInput, match="no text columns"):
        complete_plan(con, plan_step({"op": "markers_to_null"}, cols[1:]), cols[1:])
    con.close()


# ---- the store, on both catalogs -------------------------------------------------------------

#: penguins with NA; "score" is text on upload (a third of it says "pending")
CSV = "species,island,bill_length_mm,sex,score,note,Ünïcode\n" + "".join(
    f"{s},{i},{b},{x},{c},{n},{u}\n"
    for s, i, b, x, c, n, u in [
        ("Adelie", "Torgersen", "39.1", "male", "12", "ok", "é"),
        ("Adelie", "Torgersen", "NA", "NA", "NA", "-", "NA"),
        ("Gentoo", "Biscoe", "46.1", "female", "pending", "", "ü"),
        ("Gentoo", "Biscoe", "50.0", "male", "7", "late", "NA"),
        ("Chinstrap", "Dream", "NA", "NA", "pending", "-", ""),
        ("Chinstrap", "Dream", "45.2", "female", "30", "ok", "ß"),
    ]
)


@pytest.fixture(params=["sqlite", "postgresql"])
def lg_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DatasetStore]:
    url = request.getfixturevalue("lg_postgres_url") if request.param == "postgresql" else None
    store = DatasetStore(StoreConfig(root=tmp_path / "store", catalog_url=url))
    store.test_catalog_url = url  # type: ignore[attr-defined]
    yield store
    store.close()


def upload(store: DatasetStore, name: str, data: str) -> dict[str, Any]:
    src = store.staging_path()
    src.write_text(data, encoding="utf-8")
    return store.create_from_file(src, name=name, owner="ada", content_type="text/csv")


def run_recipe_code(store: DatasetStore, ds: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> pd.DataFrame:
    """Run "Copy as code" as a notebook would: ``lg.load`` reads the same store."""
    from livegraphs_ext.kernel import notebook

    monkeypatch.setenv("LIVEGRAPHS_DATA_DIR", str(store.root))
    monkeypatch.setenv("LIVEGRAPHS_LOCAL_USER", "ada")
    url = store.test_catalog_url  # type: ignore[attr-defined]
    if url:
        monkeypatch.setenv("LIVEGRAPHS_CATALOG_URL", url)
    else:
        monkeypatch.delenv("LIVEGRAPHS_CATALOG_URL", raising=False)
    notebook._store.cache_clear()
    try:
        ns: dict[str, Any] = {}
        exec(compile(store.recipe_code(ds["id"]), "<recipe>", "exec"), ns)
        return ns["df"]
    finally:
        notebook._store.cache_clear()


def test_one_step_on_the_store_undoable_reported_and_reproduced_by_its_code(
    lg_store: DatasetStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given penguins whose sex holds NA as a category, and scores still text
    ds = upload(lg_store, "penguins", CSV)
    types = {c["name"]: c["type"] for c in ds["columns"]}
    assert types == {
        "species": "string", "island": "string", "bill_length_mm": "float", "sex": "string",
        "score": "string", "note": "string", "Ünïcode": "string",
    }  # fmt: skip
    ds = lg_store.apply_step(
        ds["id"],
        {"op": "filter", "conditions": [{"column": "score", "cmp": "ne", "value": "pending"}]},
        user="ada",
    )
    # When NA is treated as missing in all columns, as one step
    out = lg_store.apply_step(ds["id"], {"op": "markers_to_null"}, user="ada", base_version=ds["version"])
    # Then it is one new version, whose report says what it did, with no problems
    assert out["version"] == 3 and out["problems"] == []
    cols = {c["name"]: (c["type"], c["nulls"]) for c in out["columns"]}
    assert cols == {
        "species": ("string", 0), "island": ("string", 0), "bill_length_mm": ("float", 1),
        "sex": ("string", 1), "score": ("integer", 1), "note": ("string", 1), "Ünïcode": ("string", 2),
    }  # fmt: skip
    report = lg_store.version(ds["id"])["report"]
    assert report["problem_count"] == 0
    assert report["notes"] == [
        "column 'sex': 1 value read as missing",
        "column 'score': 1 value read as missing",
        "column 'note': 1 value read as missing",
        "column 'Ünïcode': 2 values read as missing",
        "column 'score' is now integer: its other values are all whole numbers",
    ]
    rows = pq.read_table(lg_store.version_file(ds["id"])).to_pylist()
    assert [r["sex"] for r in rows] == ["male", None, "male", "female"]
    assert [r["score"] for r in rows] == [12, None, 7, 30]
    assert [r["Ünïcode"] for r in rows] == ["é", None, None, "ß"]
    # And the recipe lists it, and its code reproduces the dataset exactly
    steps = lg_store.recipe(ds["id"])
    assert [s["step"]["op"] for s in steps] == ["filter", "markers_to_null"]
    assert steps[-1]["step"]["casts"] == [{"column": "score", "to": "integer", "format": None}]
    code = lg_store.recipe_code(ds["id"])
    assert "# markers_to_null" in code and ".mask(" in code
    assert_same(pq.read_table(lg_store.version_file(ds["id"])), run_recipe_code(lg_store, out, monkeypatch))
    # And a second time there is nothing to treat
    with pytest.raises(BadInput, match="no text column holds"):
        lg_store.apply_step(ds["id"], {"op": "markers_to_null"}, user="ada")
    # And undo brings back the text and the report of the version before
    back = lg_store.revert(ds["id"], 2, user="ada")
    assert {c["name"]: c["type"] for c in back["columns"]}["score"] == "string"
    assert back["report"] == lg_store.version(ds["id"], 2)["report"]


def test_new_data_replays_the_step_and_reports_what_no_longer_fits(lg_store: DatasetStore) -> None:
    # Given the step in the recipe
    ds = upload(lg_store, "scores", "who,score\nAda,12\nBo,NA\nCy,7\nDi,-\nEd,unknown\nFi,unknown\n")
    assert ds["columns"][1]["type"] == "string"
    lg_store.apply_step(
        ds["id"],
        {"op": "filter", "conditions": [{"column": "score", "cmp": "ne", "value": "unknown"}]},
        user="ada",
    )
    lg_store.apply_step(ds["id"], {"op": "markers_to_null"}, user="ada")
    # When rows are appended with another marker and a word
    src = lg_store.staging_path()
    src.write_text("who,score\nGus,N/A\nHal,lots\nIda,5\n")
    out = lg_store.new_data(
        ds["id"], src, mode="append", user="ada", content_type="text/csv", filename="more.csv"
    )
    # Then the recipe ran again: the marker is missing, the word a problem, the column integer
    replayed = out["changes"]["replayed"]
    assert [r["step"]["op"] for r in replayed] == ["filter", "markers_to_null"]
    assert replayed[-1]["problems"] == [{"row": 6, "column": "score", "value": "lots", "expected": "integer"}]
    rows = pq.read_table(lg_store.version_file(ds["id"])).to_pylist()
    assert [(r["who"], r["score"]) for r in rows] == [
        ("Ada", 12), ("Bo", None), ("Cy", 7), ("Di", None), ("Gus", None), ("Hal", None), ("Ida", 5),
    ]  # fmt: skip
