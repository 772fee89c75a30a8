"""The tiny database written as an extract and imported into an empty database gives the
same raw rows and the same indicators for every unit and filter set tried."""

from __future__ import annotations

import pytest

from dashboard.cli import main
from dashboard.data.extract.write import write_extract
from tests.conftest import client_as, make_app, query
from tests.test_import_api import environment

FILTER_SETS = ["", "&sex=F&sector=prive", "&cycle=qualifiant&milieu=rural"]
#: Provinces whose communes are compared too (besides the nation and every region).
PROVINCES = ("141", "81", "1", "251", "401", "511")

@pytest.fixture(scope="module")
def copied(tiny_engine, tiny_url, backend, tmp_path_factory):
    """The tiny database and its copy made through an extract, each with an app."""
    folder = tmp_path_factory.mktemp("roundtrip")
    write_extract(tiny_engine, folder / "extract")
    url = backend.database_url(folder, "pilotage_roundtrip")
    # the extract carries the pupils, not the share of the country they are: say it again
    ((share,),) = query(tiny_engine, "SELECT scale FROM population_scale")
    with environment(PILOTAGE_DATABASE_URL=url, PILOTAGE_DATA_DIR=str(folder / "data")):
        assert main(["import", str(folder / "extract"), "--population-scale", str(share)]) == 0
    original = make_app(tiny_url, folder / "original", backend)
    imported = make_app(url, folder / "imported", backend)
    return url, client_as(original), client_as(imported)

#: The API's last decimal: sums of the same doubles added in another order may round to
#: the next one (13.76625 read as 13.7662 or 13.7663); counts and secrets must be equal.
LAST_DECIMAL = 1e-4


def same(first, second) -> bool:
    """Tell whether two API answers agree: every key, count and secret equal, every
    average within the last decimal."""
    if isinstance(first, dict) and isinstance(second, dict):
        return first.keys() == second.keys() and all(same(first[k], second[k]) for k in first)
    if isinstance(first, list) and isinstance(second, list):
        return len(first) == len(second) and all(map(same, first, second))
    if isinstance(first, float) and isinstance(second, float):
        return abs(first - second) <= LAST_DECIMAL * 1.01
    return first == second and type(first) is type(second)


def test_the_raw_rows_come_back_the_same(copied, tiny_engine):
    from dashboard.db import make_engine

    url = copied[0]
    engine = make_engine(url, read_only=True)
    try:
        for table, columns in (
                ("school", "code, name, commune_code, cycle, sector, milieu, latitude, longitude"),
                ("student", "massar_code, sex, CAST(birth_date AS VARCHAR)"),
                ("enrollment", "massar_code, school_year, school_code, grade, outcome, "
                               "annual_average"),
                ("exam_result", "massar_code, school_year, exam, score, passed")):
            sql = f"SELECT {columns} FROM {table} ORDER BY 1, 2"
            assert query(engine, sql) == query(tiny_engine, sql), table
    finally:
        engine.dispose()

def test_every_unit_shows_the_same_indicators(copied):
    _url, original, imported = copied
    provinces = {u["code"] for u in original.get(
        "/api/v1/units?level=province").get_json()["units"]}
    places = [("national", "MA"), *(("region", r["code"]) for r in original.get(
        "/api/v1/units?level=region").get_json()["units"]),
              *(("province", code) for code in PROVINCES if code in provinces)]
    tried = 0
    for level, code in places:
        for filters in FILTER_SETS:
            for route in ("indicators", "children"):
                path = f"/api/v1/{route}?level={level}&code={code}&year=2024{filters}"
                first, second = original.get(path), imported.get(path)
                assert first.status_code == second.status_code == 200, path
                before, after = first.get_json(), second.get_json()
                before.pop("data_version"), after.pop("data_version")
                assert same(before, after), path
                tried += 1
    assert tried == len(places) * len(FILTER_SETS) * 2 and len(places) >= 15
