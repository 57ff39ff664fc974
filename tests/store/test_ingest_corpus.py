"""Files written by other people: csv-spectrum, real-world data and the JSON test suite."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from livegraphs_ext.store.errors import StoreError

from .test_ingest_support import CORPUS, run, types_of

SPECTRUM = sorted((CORPUS / "csv-spectrum" / "csvs").glob("*.csv"))
JSON_SUITE = sorted((CORPUS / "json-test-suite" / "test_parsing").glob("*.json"))


def _as_text(value: Any) -> str:
    # empty fields are stored as nulls; the reference files write them as ""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def test_the_corpus_is_there() -> None:
    assert len(SPECTRUM) == 12
    assert len(JSON_SUITE) == 318


@pytest.mark.parametrize("path", SPECTRUM, ids=lambda p: p.stem)
def test_csv_spectrum_rows_match_the_reference(tmp_path: Path, path: Path) -> None:
    expected = orjson.loads((path.parent.parent / "json" / f"{path.stem}.json").read_bytes())
    _, rows = run(tmp_path, path, name=path.name)
    assert [{k: _as_text(v) for k, v in row.items()} for row in rows] == expected


REAL: dict[str, tuple[int, dict[str, str]]] = {
    "2011_february_us_airport_traffic.csv": (221, {"iata": "string", "lat": "float", "cnt": "integer"}),
    "2014_apple_stock.csv": (240, {"AAPL_x": "date", "AAPL_y": "float"}),
    "2014_us_cities.csv": (3228, {"name": "string", "pop": "integer", "lat": "float"}),
    "2016-weather-data-seattle.csv": (24381, {"Date": "date", "Max_TemperatureC": "integer"}),
    "amazon-purchases-sample.csv": (1816, {"Order Date": "date", "Purchase Price Per Unit": "float"}),
    "beers.csv": (2410, {"count.x": "integer", "beer": "string", "ounces": "float"}),
    # numbers written as JSON strings
    "carshare_data.json": (249, {"peak_hour": "integer", "centroid_lat": "float", "car_hours": "float"}),
    # a few latitudes are spaces alone
    "earthquake.csv": (
        3502,
        {"Unknown Number of Deaths": "string", "Unknown Number of Deaths, lat": "float"},
    ),
    "finance-charts-apple.csv": (506, {"Date": "date", "AAPL.Close": "float", "AAPL.Volume": "integer"}),
    "gapminderDataFiveYear.csv": (1704, {"country": "string", "year": "integer", "lifeExp": "float"}),
    "global_super_store_orders.tsv": (
        1000,
        {"Row ID": "integer", "Order Date": "date", "Quantity": "integer"},
    ),
    "hofstede-cultural-dimensions.csv": (111, {"ctr": "string", "country": "string"}),
    "iris_data.json": (150, {"sepal length": "float", "class": "string"}),
    "miserables.json": (77, {"name": "string", "group": "integer"}),
    "salaries-ai-jobs-net.csv": (637, {"work_year": "integer", "salary_in_usd": "integer"}),
    "state-population-projections-by-race-sex-age-groups.csv": (410, {"Year": "integer", "medage": "float"}),
    "supermarket_Sales.csv": (1000, {"Invoice ID": "string", "Date": "date", "Total": "float"}),
    "tips.csv": (244, {"total_bill": "float", "size": "integer", "smoker": "string"}),
    "titanic.csv": (156, {"PassengerId": "integer", "Age": "float", "Name": "string"}),
    "wind_dataset.csv": (128, {"direction": "string", "strength": "string", "frequency": "float"}),
}


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_files_give_their_rows_and_sensible_types(tmp_path: Path, name: str) -> None:
    rows, types = REAL[name]
    result, _ = run(tmp_path, CORPUS / "real" / name, name=name)
    assert result.rows == rows
    assert {k: v for k, v in types_of(result).items() if k in types} == types


def test_real_file_details(tmp_path: Path) -> None:
    result, rows = run(tmp_path, CORPUS / "real" / "earthquake.csv", name="earthquake.csv")
    assert result.report.line_ending == "CR"
    result, rows = run(tmp_path, CORPUS / "real" / "salaries-ai-jobs-net.csv")
    assert rows[0]["work_year"] == 2022  # the byte order mark is not part of the name
    result, rows = run(tmp_path, CORPUS / "real" / "2014_apple_stock.csv")
    assert rows[0]["AAPL_x"] == dt.date(2014, 1, 2)
    result, _ = run(tmp_path, CORPUS / "real" / "hofstede-cultural-dimensions.csv")
    assert result.report.delimiter == ";"
    result, _ = run(tmp_path, CORPUS / "real" / "miserables.json", name="miserables.json")
    assert any("'nodes'" in n for n in result.report.notes)


@pytest.mark.parametrize("path", JSON_SUITE, ids=lambda p: p.name)
def test_json_test_suite(tmp_path: Path, path: Path) -> None:
    started = time.monotonic()
    try:
        result, rows = run(tmp_path, path, name=path.name, content_type="application/json")
    except StoreError as exc:
        assert 400 <= exc.status < 500
        if path.name.startswith("y_"):
            assert "no table" in exc.message or "no records" in exc.message or "no fields" in exc.message
    else:
        assert not path.name.startswith("n_")
        assert result.rows == len(rows) >= 1
    assert time.monotonic() - started < 5
