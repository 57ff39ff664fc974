"""New data that removes or retypes columns names the shared charts and dashboards using them.

On SQLite and on real PostgreSQL, with documents stored as real Yjs state.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Doc

from livegraphs_ext.documents.dashboard import YDashboard
from livegraphs_ext.store import DatasetStore, GuardedStore, Principal, StoreConfig
from livegraphs_ext.store.usage import files_using, spec_columns

ADA = Principal("ada")
BO = Principal("bo")
ROOT = Principal("root", is_admin=True)
CSV = "city,temp,day\nOslo,-3.5,2024-01-01\nLima,24.0,2024-01-02\n"
LAYOUT = {"x": 0, "y": 0, "w": 6, "h": 4}


@pytest.fixture(params=["sqlite", "postgresql"])
def guarded(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GuardedStore]:
    url = request.getfixturevalue("lg_postgres_url") if request.param == "postgresql" else None
    store = DatasetStore(StoreConfig(root=tmp_path / "store", catalog_url=url))
    yield GuardedStore(store)
    store.close()


def staged(g: GuardedStore, data: str) -> Path:
    src = g.store.staging_path()
    src.write_text(data)
    return src


def upload(g: GuardedStore, p: Principal, name: str, data: str = CSV) -> dict[str, Any]:
    return g.create_from_file(p, staged(g, data), name=name, content_type="text/csv")


def chart(ref: dict[str, Any], **encoding: Any) -> dict[str, Any]:
    return {"version": 1, "dataset": ref, "mark": "bar", "encoding": encoding}


def make(g: GuardedStore, p: Principal, kind: str, title: str, content: dict[str, Any]) -> str:
    return str(g.documents.create(p, kind, title, content)["id"])


@pytest.fixture
def world(guarded: GuardedStore) -> dict[str, Any]:
    """ada's weather dataset (shared with bo) and documents of both on it and on another dataset."""
    g = guarded
    ds = upload(g, ADA, "weather")
    other = upload(g, ADA, "other")
    g.share(ADA, ds["id"], "user", "bo", "viewer")
    ids = {
        # by id, temp on a channel
        "by_id": make(
            g, ADA, "chart", "By id", chart({"id": ds["id"]}, x={"field": "city"}, y={"field": "temp"})
        ),
        # by bare name in the owner's document, day in a filter group
        "by_name": make(
            g,
            ADA,
            "chart",
            "By name",
            {
                **chart({"name": "weather"}, x={"field": "city"}),
                "filters": [{"combine": "or", "conditions": [{"column": "day", "cmp": "is_null"}]}],
            },
        ),
        # uses no changed column
        "city_only": make(g, ADA, "chart", "City only", chart({"id": ds["id"]}, x={"field": "city"})),
        # the same columns of another dataset
        "other": make(g, ADA, "chart", "Other", chart({"id": other["id"]}, y={"field": "temp"})),
        "dash": make(
            g,
            ADA,
            "dashboard",
            "Board",
            {
                "version": 1,
                "title": "Board",
                "crossfilter": True,
                "filters": [
                    {"id": "f1", "kind": "daterange", "dataset": ds["id"], "column": "day", "value": None},
                    {"id": "f2", "kind": "dropdown", "dataset": other["id"], "column": "day", "value": None},
                ],
                "charts": {
                    "c1": {
                        "spec": {
                            **chart({"name": "ada/weather"}, tooltip=[{"field": "temp"}]),
                            "title": "Tips",
                        },
                        "layout": LAYOUT,
                    },
                    "c2": {"spec": chart({"id": other["id"]}, y={"field": "temp"}), "layout": LAYOUT},
                    "c3": {"spec": chart({"id": ds["id"]}, x={"field": "city"}), "layout": LAYOUT},
                },
            },
        ),
        # bo's own chart on ada's dataset by owner/name: ada may not read it
        "bo_chart": make(g, BO, "chart", "Bo's", chart({"name": "ada/weather"}, x={"field": "day"})),
        # a bare name in bo's document means bo's own dataset first: not ada's
        "bo_bare": make(g, BO, "chart", "Bo's bare", chart({"name": "weather"}, x={"field": "day"})),
    }
    return {"ds": ds, "other": other, "ids": ids}


def named(listing: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["title"]: d for d in listing["documents"]}


def test_replace_names_the_documents_using_removed_and_retyped_columns(guarded: GuardedStore, world):
    g, ds, ids = guarded, world["ds"], world["ids"]
    out = g.new_data(
        ADA, ds["id"], staged(g, "city,temp\nRome,mild\n"), mode="replace", content_type="text/csv"
    )
    ch = out["changes"]
    assert [c["name"] for c in ch["removed"]] == ["day"]
    assert [c["name"] for c in ch["retyped"]] == ["temp"]
    docs = named(ch["charts"])
    assert set(docs) == {"By id", "By name", "Board"}
    assert docs["By id"] == {
        "id": ids["by_id"], "kind": "chart", "title": "By id", "owner": "ada",
        "columns": ["temp"], "charts": [], "filters": [],
    }  # fmt: skip
    assert docs["By name"]["columns"] == ["day"]
    board = docs["Board"]
    assert board["kind"] == "dashboard" and board["columns"] == ["day", "temp"]
    assert board["charts"] == [{"id": "c1", "title": "Tips", "columns": ["temp"]}]
    assert board["filters"] == [{"id": "f1", "column": "day"}]
    # bo's chart on ada/weather is counted, not named; bo's bare name is another dataset
    assert ch["charts"]["hidden"] == 1

    # the comparison says the same, to each caller as they may read
    cmp = g.compare(ADA, ds["id"])
    assert set(named(cmp["charts"])) == {"By id", "By name", "Board"} and cmp["charts"]["hidden"] == 1
    as_bo = g.compare(BO, ds["id"])
    assert set(named(as_bo["charts"])) == {"Bo's"} and as_bo["charts"]["hidden"] == 3
    g.documents.share(ADA, ids["dash"], "user", "bo", "viewer")
    as_bo = g.compare(BO, ds["id"])
    assert set(named(as_bo["charts"])) == {"Bo's", "Board"} and as_bo["charts"]["hidden"] == 2
    as_root = g.compare(ROOT, ds["id"])
    assert set(named(as_root["charts"])) == {"By id", "By name", "Board", "Bo's"}
    assert as_root["charts"]["hidden"] == 0


def test_append_adding_columns_only_names_nothing(guarded: GuardedStore, world):
    g, ds = guarded, world["ds"]
    out = g.new_data(
        ADA, ds["id"], staged(g, "city,temp,day,wind\nRome,1.5,2024-02-01,3\n"), mode="append",
        content_type="text/csv",
    )  # fmt: skip
    assert out["changes"]["charts"] == {"documents": [], "hidden": 0}
    assert g.compare(ADA, ds["id"])["charts"] == {"documents": [], "hidden": 0}


def test_documents_follow_their_live_yjs_state(guarded: GuardedStore, world):
    """Documents are read as their rooms hold them: the newest version and the updates after it."""
    g, ds, ids = guarded, world["ds"], world["ids"]
    out = g.new_data(
        ADA, ds["id"], staged(g, "city,temp\nRome,mild\n"), mode="replace", content_type="text/csv"
    )
    assert named(out["changes"]["charts"])["Board"]["filters"] == [{"id": "f1", "column": "day"}]
    doc: Doc = Doc()
    doc.apply_update(g.documents.load(ids["dash"]))
    ydash = YDashboard(doc)
    # the filter removed, then folded into a new version
    before = doc.get_state()
    ydash.yfilters.clear()
    seq = g.documents.append(ids["dash"], doc.get_update(before), "ada")
    assert g.documents.snapshot(ids["dash"], doc.get_update(), seq) == 2
    cmp = g.compare(ADA, ds["id"])
    board = named(cmp["charts"])["Board"]
    assert board["filters"] == [] and board["columns"] == ["temp"]
    # the chart removed, an update not yet in a version
    before = doc.get_state()
    ydash.ycharts.pop("c1")
    g.documents.append(ids["dash"], doc.get_update(before), "ada")
    assert "Board" not in named(g.compare(ADA, ds["id"])["charts"])


def test_spec_columns_reads_encoding_sort_and_filters():
    spec = {
        "encoding": {"x": {"field": "a"}, "tooltip": [{"field": "b"}, {"aggregate": "count"}]},
        "sort": {"by": "c"},
        "filters": [
            {"column": "d", "cmp": "eq", "value": 1},
            {"combine": "and", "conditions": [{"column": "e"}]},
        ],
    }
    assert spec_columns(spec) == {"a", "b", "c", "d", "e"}
    assert spec_columns(None) == set()
    # the columns a filter formula reads, bare or bracketed, in groups too; a formula that does
    # not parse names none
    spec["filters"] = [
        {"formula": "[Unit Price] * qty > 100 and if(isnull(région), true, false)"},
        {"combine": "or", "conditions": [{"formula": "year(day) = 2024"}, {"formula": "((("}]},
    ]
    assert spec_columns(spec) == {"a", "b", "c", "Unit Price", "qty", "région", "day"}


def test_a_column_read_only_by_a_filter_formula_is_named(guarded: GuardedStore, world):
    g, ds = guarded, world["ds"]
    spec = {
        **chart({"id": ds["id"]}, x={"field": "city"}),
        "filters": [{"formula": "[temp] > 0 or isnull(day)"}],
    }
    make(g, ADA, "chart", "Formula", spec)
    out = g.new_data(
        ADA, ds["id"], staged(g, "city,temp\nRome,mild\n"), mode="replace", content_type="text/csv"
    )
    assert named(out["changes"]["charts"])["Formula"]["columns"] == ["day", "temp"]


# ---------------------------------------------------------------------- files of a folder

DATASET = {"id": "d" * 32, "name": "weather", "owner": "ada"}


def write_json(path: Path, content: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content))


def test_files_using_names_chart_and_dashboard_files_of_a_folder(tmp_path: Path):
    by_id, by_name = {"id": DATASET["id"]}, {"name": "weather"}
    write_json(
        tmp_path / "temps.lgchart", {"version": 1, "title": "Temps", **chart(by_id, x={"field": "temp"})}
    )
    write_json(
        tmp_path / "work" / "untitled.lgchart", chart(by_name, x={"field": "city"}, y={"field": "temp"})
    )
    board = {
        "version": 1, "title": "Board",
        "filters": [{"id": "f1", "kind": "dropdown", "dataset": "weather", "column": "temp"}],
        "charts": {
            "c1": {"spec": {**chart(by_id, x={"field": "temp"}), "title": "T"}},
            "c2": {"spec": chart(by_id, x={"field": "city"})},
        },
    }  # fmt: skip
    write_json(tmp_path / "work" / "board.lgdash", board)
    # not named: another dataset, columns still there, not JSON, hidden, packages, a link out
    write_json(tmp_path / "other.lgchart", chart({"id": "e" * 32}, x={"field": "temp"}))
    write_json(tmp_path / "fine.lgchart", chart(by_id, x={"field": "city"}))
    (tmp_path / "broken.lgdash").write_text('{"charts": weather temp')
    write_json(tmp_path / ".hidden" / "h.lgchart", chart(by_id, x={"field": "temp"}))
    write_json(tmp_path / "node_modules" / "p.lgchart", chart(by_id, x={"field": "temp"}))
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    write_json(outside / "o.lgchart", chart(by_id, x={"field": "temp"}))
    (tmp_path / "link").symlink_to(outside, target_is_directory=True)

    got = files_using(tmp_path, DATASET, "ada", ["temp"])
    assert [(f["path"], f["kind"], f["title"], f["columns"]) for f in got["files"]] == [
        ("temps.lgchart", "chart", "Temps", ["temp"]),
        ("work/board.lgdash", "dashboard", "Board", ["temp"]),
        ("work/untitled.lgchart", "chart", "untitled", ["temp"]),
    ]
    assert got["files"][1]["charts"] == [{"id": "c1", "title": "T", "columns": ["temp"]}]
    assert got["files"][1]["filters"] == [{"id": "f1", "column": "temp"}]
    # the broken file naming the dataset was passed over: the search says it is not complete
    assert got["complete"] is False
    (tmp_path / "broken.lgdash").unlink()
    assert files_using(tmp_path, DATASET, "ada", ["temp"])["complete"] is True
    # a bare name means the owner's dataset: not someone else's files
    assert [f["path"] for f in files_using(tmp_path, DATASET, "bo", ["temp"])["files"]] == [
        "temps.lgchart",
        "work/board.lgdash",
    ]
    # hidden files when the server shows them; nothing when no column is missing
    hidden = files_using(tmp_path, DATASET, "ada", ["temp"], hidden=True)["files"]
    assert ".hidden/h.lgchart" in [f["path"] for f in hidden]
    assert files_using(tmp_path, DATASET, "ada", []) == {"files": [], "complete": True}
    # what the file browser hides by its globs (a folder's name, a file's) is hidden here too
    shown = files_using(tmp_path, DATASET, "ada", ["temp"], hide_globs=["wo?k", "temps.*"])["files"]
    assert shown == []
    shown = files_using(tmp_path, DATASET, "ada", ["temp"], hide_globs=["*.pyc", "board*"])["files"]
    assert [f["path"] for f in shown] == ["temps.lgchart", "work/untitled.lgchart"]


def test_files_using_stops_at_its_bounds(tmp_path: Path):
    for i in range(30):
        write_json(tmp_path / f"f{i:02}" / "c.lgchart", chart({"id": DATASET["id"]}, x={"field": "temp"}))
    got = files_using(tmp_path, DATASET, "ada", ["temp"], max_entries=40)
    assert got["complete"] is False and 0 < len(got["files"]) < 30
    assert files_using(tmp_path, DATASET, "ada", ["temp"], seconds=0)["complete"] is False
    assert len(files_using(tmp_path, DATASET, "ada", ["temp"])["files"]) == 30
    # a file over the size bound is passed over
    assert files_using(tmp_path, DATASET, "ada", ["temp"], max_file_bytes=10)["files"] == []


@pytest.mark.parametrize(
    "content",
    [
        {"charts": [{"spec": {"dataset": {"id": DATASET["id"]}}}]},
        {"filters": [{"dataset": DATASET["id"], "column": ["temp"]}], "charts": {}},
    ],
    ids=["charts-a-list", "column-a-list"],
)
def test_files_using_passes_over_a_file_of_the_wrong_shape(tmp_path: Path, content: Any):
    write_json(tmp_path / "odd.lgdash", content)
    write_json(tmp_path / "good.lgchart", chart({"id": DATASET["id"]}, x={"field": "temp"}))
    got = files_using(tmp_path, DATASET, "ada", ["temp"])
    assert got == {"files": [{"path": "good.lgchart", "kind": "chart", "title": "good", "columns": ["temp"],
                              "charts": [], "filters": []}], "complete": False}  # fmt: skip


def test_files_using_passes_over_deep_json_and_links_and_reads_escaped_names(tmp_path: Path):
    deep = '{"dataset": "' + DATASET["id"] + '", "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    (tmp_path / "deep.lgchart").write_text(deep)
    got = files_using(tmp_path, DATASET, "ada", ["temp"])
    assert got == {"files": [], "complete": False}
    (tmp_path / "deep.lgchart").unlink()
    # a link to a chart file is not followed, and said so
    outside = tmp_path.parent / f"{tmp_path.name}-target.lgchart"
    write_json(outside, chart({"id": DATASET["id"]}, x={"field": "temp"}))
    (tmp_path / "linked.lgchart").symlink_to(outside)
    assert files_using(tmp_path, DATASET, "ada", ["temp"]) == {"files": [], "complete": False}
    (tmp_path / "linked.lgchart").unlink()
    # a non-ASCII name written with JSON escapes, as json.dumps writes it
    accented = {**DATASET, "name": "météo"}
    (tmp_path / "m.lgchart").write_text(json.dumps(chart({"name": "météo"}, x={"field": "temp"})))
    got = files_using(tmp_path, accented, "ada", ["temp"])
    assert [f["path"] for f in got["files"]] == ["m.lgchart"] and got["complete"] is True
