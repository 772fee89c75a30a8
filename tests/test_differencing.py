"""Differencing attacks: no combination of views gives back a hidden count.

Each test plays an attacker logged in as the national user on the handmade database
(``tests/handmade.py``), whose counts are all small, under the default threshold of 5
and under 3. The attacker's arithmetic and the rows behind each cell are in
``tests/differencing.py``, apart from the code under test.
"""

from __future__ import annotations

import csv
import io
import itertools

import pandas as pd
import pytest
import sqlalchemy as sa

from dashboard.db import make_engine
from dashboard.formatting import NO_DATA
from dashboard.urls import View
from exports.briefing import briefing_content
from queries import NATIONAL_SCOPE, privacy, stats
from queries.filters import Filters
from queries.scope import Scope
from tests import differencing
from tests.backends import DUCKDB, Backend
from tests.conftest import log_in, make_app
from tests.handmade import make_handmade_database

YEAR = 2024
#: The threshold under which the attacker also reads the data-quality view.
QUALITY_THRESHOLD = 5
#: The path national -> Anfa, the one-school commune El Maarif and their schools. Region
#: 6 is left out to keep the suite under a minute (it doubles the reading);
#: ``bench/privacy_attack.py`` reads every unit of a territory.
UNITS = [("national", "MA"), ("province", "141"), ("commune", "141.1.1"),
         ("commune", "141.1.3"), ("school", "10001F"), ("school", "10002F"),
         ("school", "10003F")]


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    folder = tmp_path_factory.mktemp("differencing")
    url = make_handmade_database(folder, name="handmade_differencing")
    engine = make_engine(url, read_only=True)
    yield folder, url, engine
    engine.dispose()


def app_for(database, threshold: int, purpose: str = "views"):
    """An app on the database under ``threshold``, with one national user."""
    folder, url, _engine = database
    data = folder / f"{purpose}-{threshold}"
    data.mkdir(exist_ok=True)
    return make_app(url, data, Backend(DUCKDB), (("national", "national", "MA"),),
                    PILOTAGE_SMALL_CELL_THRESHOLD=str(threshold))


@pytest.fixture(scope="module")
def apps(database):
    return {threshold: app_for(database, threshold) for threshold in (3, 5)}


@pytest.fixture(scope="module")
def readings(apps, database) -> dict[int, list[differencing.Reading]]:
    """Every count the views of ``UNITS`` show or hide, for every filter combination."""
    cells = differencing.finest_cells(database[2], YEAR)
    found = {}
    for threshold, app in apps.items():
        with app.server.app_context():
            found[threshold] = differencing.read_views(UNITS, YEAR, cells)
            if threshold == QUALITY_THRESHOLD:  # the default; read once, it is slow
                found[threshold] += differencing.read_quality_views(UNITS, YEAR, cells)
    return found


@pytest.mark.parametrize("threshold", [3, 5])
@pytest.mark.parametrize("year", [2023, 2024])
def test_no_combination_of_views_gives_a_hidden_count_back(database, readings, threshold,
                                                           year):
    cells = differencing.finest_cells(database[2], year)
    result = differencing.attack(cells, readings[threshold], year)
    assert result.hidden > 100  # the handmade counts are small: much is hidden
    assert result.recovered == []


@pytest.mark.parametrize("threshold", [3, 5])
def test_every_shown_count_is_the_sum_of_its_rows(database, readings, threshold):
    for year in (2023, 2024):
        cells = differencing.finest_cells(database[2], year)
        assert differencing.attack(cells, readings[threshold], year).wrong == []


def _shown(reading_list, selector, unknown="enrolled"):
    values = {r.value for r in reading_list if r.year == YEAR and r.selector == selector
              and r.unknown == unknown and not r.quality}
    assert len(values) == 1, (selector, values)  # every view shows the same cell alike
    return values.pop()


def test_a_filtered_school_does_not_give_its_hidden_half_back(readings):
    # 10001F in 2024: 6 pupils, 3 girls and 3 boys; under 5 both halves are hidden, so
    # the total (6) minus the boys cannot give the girls.
    shown = readings[5]
    school = ("school", "10001F", "all", "all", "all")
    girls = _shown(shown, (*school, "F", "all"))
    boys = _shown(shown, (*school, "M", "all"))
    total = _shown(shown, (*school, "all", "all"))
    assert girls is None
    assert boys is None or total is None


def test_a_one_school_commune_hides_what_its_school_hides(readings):
    # El Maarif (141.1.3) has one school, 10003F: every cell of the commune is a cell of
    # the school, and is shown or hidden alike.
    shown = readings[3]
    for sex, grade, unknown in itertools.product(("all", "F", "M"), ("all", "2BAC"),
                                                 sorted(set(differencing.SHOWN.values()))):
        commune = _shown(shown, ("commune", "141.1.3", "all", "all", "all", sex, grade), unknown)
        school = _shown(shown, ("school", "10003F", "all", "all", "all", sex, grade), unknown)
        assert commune == school, (sex, grade, unknown)
    # 10003F's single dropout in 2024 is hidden, so is the commune's
    assert _shown(shown, ("commune", "141.1.3", "all", "all", "all", "all", "all"),
                  "dropouts") is None


def test_a_commune_minus_its_other_schools_gives_nothing_back(readings):
    # Anfa: 10001F has 1 dropout (hidden under 3), 10002F has none. Anfa's 1 dropout
    # minus 10002F's 0 would give 10001F's: a zero is a count like any other, so one of
    # the two (here 10002F's 0) is hidden as well.
    shown = readings[3]
    base = ("all", "all", "all", "all", "all")
    first = _shown(shown, ("school", "10001F", *base), "dropouts")
    second = _shown(shown, ("school", "10002F", *base), "dropouts")
    commune = _shown(shown, ("commune", "141.1.1", *base), "dropouts")
    assert first is None
    assert second is None or commune is None


def test_the_same_cell_reads_the_same_in_every_view(readings):
    # a cell read by several views (a unit's cards, its parent's ranking, its trend, a
    # breakdown of it) is shown or hidden alike in all of them
    for threshold, found in readings.items():
        seen: dict[tuple, set] = {}
        for r in found:
            if not r.quality:
                seen.setdefault((r.year, r.selector, r.unknown), set()).add(r.value)
        assert all(len(values) == 1 for values in seen.values()), threshold


def test_the_quality_view_hides_the_checks_of_a_cell_with_a_hidden_count(readings):
    # it shows a check's base only where the other views show the cell's pupils, and the
    # pupils without a result only where they show its known results
    for found in (readings[QUALITY_THRESHOLD],):
        others = {(r.year, r.selector, r.unknown): r.value for r in found if not r.quality}
        checks = [r for r in found if r.quality]
        assert len(checks) > 500 and any(r.value is None for r in checks)
        for r in checks:
            if r.value is None:
                continue
            if r.unknown == "enrolled":
                assert others[(r.year, r.selector, "enrolled")] == r.value
            else:  # missing_outcome: the enrolled minus the known results
                assert others[(r.year, r.selector, "decided")] is not None
                assert others[(r.year, r.selector, "enrolled")] is not None


def _csv_rows(client, **params) -> dict[str, dict]:
    answer = client.get("/export/data/school-outcomes.csv", query_string=params)
    assert answer.status_code == 200
    rows = csv.DictReader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff")))
    return {tuple(row.values())[0]: row for row in rows}


def _number(text: str) -> bool:
    try:
        float(text.replace(",", ".").replace("\u202f", "").replace(" ", ""))
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("threshold", [2, 3, 5])
def test_data_files_with_and_without_a_sex_filter_give_no_hidden_grade_back(database,
                                                                           threshold):
    # a school's outcomes by grade, downloaded for all pupils and for each sex: where one
    # sex's count is hidden, all pupils minus the other sex must not give it back
    client = app_for(database, threshold, "files").server.test_client()
    log_in(client, "national")
    schools = ["10001F", "10002F", "10003F", "10004F", "10005F", "10006A", "10007A"]
    assert _file_leaks(client, schools, YEAR) == []


def _file_leaks(client, schools: list[str], year: int) -> list[tuple]:
    """Return each hidden count of one sex that all pupils minus the other sex gives back."""
    leaks = []
    for school in schools:
        common = {"level": "school", "code": school, "year": year}
        files = {sex: _csv_rows(client, **common, **({"sex": sex} if sex != "all" else {}))
                 for sex in ("all", "F", "M")}
        for one, other in (("F", "M"), ("M", "F")):
            for grade, row in files[one].items():
                for column, text in list(row.items())[1:]:
                    if _number(text):
                        continue
                    everyone = files["all"].get(grade, {}).get(column, "")
                    rest = files[other].get(grade, {}).get(column, "0")
                    if _number(everyone) and _number(rest):
                        leaks.append((school, grade, column, one, everyone, rest))
    return leaks


def test_no_school_of_the_tiny_database_gives_a_hidden_grade_back_through_files(
        tiny_app, tiny_engine):
    # the reported attack: school-outcomes.csv with and without a sex filter (the old
    # per-view suppression let 115 counts of 165 schools come back this way)
    client = tiny_app.server.test_client()
    log_in(client, "national")
    with tiny_engine.connect() as conn:
        schools = [row[0] for row in conn.execute(sa.text(
            "SELECT DISTINCT school_code FROM enrollment WHERE school_year = 2024 ORDER BY 1"))]
    assert len(schools) > 100
    assert _file_leaks(client, schools, 2024) == []


def test_a_hidden_count_shows_no_change_against_last_year(apps):
    # this year's value minus its change would give last year's back, and the reverse
    for threshold, app in apps.items():
        for level, code in (("school", "10001F"), ("school", "10002F"), ("school", "10003F"),
                            ("commune", "141.1.3"), ("commune", "141.1.1")):
            for sex in ("all", "F", "M"):
                view = View(level, code, Filters(YEAR, sex=sex), "dropout_rate")
                with app.server.test_request_context():
                    rows = briefing_content(view, NATIONAL_SCOPE).kpis
                for row in rows:
                    if row.raw_value is None or row.raw_previous is None:
                        assert row.raw_change is None and row.change == NO_DATA, (
                            threshold, level, code, sex, row.indicator.code, row.change)


def test_territories_share_the_pattern_whatever_the_scope(apps):
    # the pattern is decided once for everyone: the same cells of a school are hidden
    # for its own user as for the national user
    with apps[5].server.app_context():
        national = stats.unit_indicators("school", "10001F", Filters(YEAR), NATIONAL_SCOPE)
        own = stats.unit_indicators("school", "10001F", Filters(YEAR), Scope("school", "10001F"))
    assert privacy.suppressed_codes(national.iloc[1]) == privacy.suppressed_codes(own.iloc[1])


def test_the_attacker_solves_for_the_pupils_of_an_age_band(database):
    """The arithmetic does take the age bands: a commune's pupils of 6-11 minus its other
    school's give back a school's own, and so does its rate times the census population."""
    cells = differencing.finest_cells(database[2], YEAR)
    anfa = ("commune", "141.1.1", "all", "all", "all", "all", "all")
    first = ("school", "10001F", "all", "all", "all", "all", "all")
    second = ("school", "10002F", "all", "all", "all", "all", "all")
    readings = [differencing.Reading(YEAR, anfa, "aged_6_11", 5.0),
                differencing.Reading(YEAR, second, "aged_6_11", 0.0),
                differencing.Reading(YEAR, first, "aged_6_11", None)]
    result = differencing.attack(cells, readings, YEAR)
    assert result.wrong == []  # 5 pupils of 6-11 in Anfa, none at its collège (by hand)
    assert result.recovered == [(first, "aged_6_11", 5.0)]
    rate = {"enrollment_rate_6_11": 5 / 2000.0, "population_6_11": 2000.0}
    found = differencing._readings(pd.DataFrame([rate]), lambda row: YEAR,
                                   lambda row: anfa)
    assert differencing.Reading(YEAR, anfa, "aged_6_11", 5.0) in found
