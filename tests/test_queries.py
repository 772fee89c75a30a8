"""The query layer against the handmade database: every expected number is worked out by hand.

Counts quoted in the comments come from the per-school table in ``tests/handmade.py``
(enrolled, girls, dropouts, repeaters, promoted, averages as count and sum, exams as
candidates/passed) or, for filters that split a school, from its rows.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from dashboard import create_app
from dashboard.app_state import state_of
from dashboard.extensions import cache
from queries import stats, units
from queries.database import VersionChanged, data_version
from queries.filters import Filters
from queries.scope import NATIONAL_SCOPE, OutOfScope, Scope
from queries.search import find_units
from queries.units import UnknownUnit
from tests.handmade import make_handmade_database

NO_DATA = float("nan")
CASABLANCA_SETTAT = Scope("region", "6")


@pytest.fixture(scope="module")
def app(tmp_path_factory, backend):
    """The Dash app on the handmade database, with an application context pushed.

    Small-cell suppression is off: these tests check the arithmetic of single-digit cells
    (``tests/test_privacy.py`` checks the suppression of the same database).
    """
    folder = tmp_path_factory.mktemp("handmade")
    url = make_handmade_database(folder, backend, "handmade_queries")
    dash_app = create_app({"PILOTAGE_DATABASE_URL": url, "PILOTAGE_DATA_DIR": str(folder),
                           "PILOTAGE_SMALL_CELL_THRESHOLD": "0", **backend.app_settings()})
    with dash_app.server.app_context():
        yield dash_app
    state_of(dash_app.server).engine.dispose()


def check(row: pd.Series | dict, expected: dict[str, float]) -> None:
    """Compare indicator values; an expected NaN means "no data" and nothing else will do."""
    for code, value in expected.items():
        actual = float(row[code])
        if math.isnan(value):
            assert math.isnan(actual), f"{code}: expected no data, got {actual}"
        else:
            assert actual == pytest.approx(value, rel=1e-12, abs=1e-12), code


def year_row(frame: pd.DataFrame, year: int) -> pd.Series:
    rows = frame[frame["school_year"] == year]
    assert len(rows) == 1, f"expected one row for {year}, got {len(rows)}"
    return rows.iloc[0]


def by_code(frame: pd.DataFrame, column: str = "code") -> dict[str, pd.Series]:
    return {str(row[column]): row for _, row in frame.iterrows()}


NO_PUPILS = {
    "enrollment": 0, "girls_share": NO_DATA, "dropout_rate": NO_DATA,
    "repetition_rate": NO_DATA, "promotion_rate": NO_DATA, "success_rate_CEP": NO_DATA,
    "success_rate_REG": NO_DATA, "success_rate_BAC": NO_DATA, "mean_score": NO_DATA,
}

# Unit indicators, no filter -----------------------------------------------------------

UNIT_CASES = [
    ("national", "MA", 2024, {
        "enrollment": 32,  # 6 + 4 + 5 + 5 + 4 + 4 + 4
        "girls_share": 17 / 32,  # 3 + 2 + 3 + 3 + 2 + 2 + 2 girls
        "dropout_rate": 6 / 32,  # 1 + 0 + 1 + 2 + 1 + 0 + 1
        "repetition_rate": 7 / 32,  # 2 + 1 + 1 + 1 + 1 + 0 + 1
        "promotion_rate": 19 / 32,  # 3 + 3 + 3 + 2 + 2 + 4 + 2 promu or diplome
        "success_rate_CEP": 5 / 8,  # 10001F 2/4, 10004F 1/2, 10006A 2/2
        "success_rate_REG": 3 / 5,  # 10002F 2/3, 10005F 1/2
        "success_rate_BAC": 3 / 5,  # 10003F 2/3, 10007A 1/2
        "mean_score": 317.5 / 25,  # (60.5 + 42.5 + 51.5 + 31 + 30 + 66 + 36) / (5+3+4+3+3+4+3)
    }),
    ("national", "MA", 2023, {
        "enrollment": 17,  # 5 + 3 + 4 + 3 + 2 (10004F and 10005F not open yet)
        "girls_share": 9 / 17,  # 3 + 1 + 2 + 2 + 1
        "dropout_rate": 1 / 17,  # P000000036 in 10003F
        "repetition_rate": 3 / 17,  # one each in 10001F, 10002F, 10003F
        "promotion_rate": 13 / 17,  # 4 + 2 + 2 + 3 + 2
        "success_rate_CEP": 2 / 3,  # 10001F 1/2, 10006A 1/1
        "success_rate_REG": 1 / 2,  # 10002F 1/2
        "success_rate_BAC": 2 / 3,  # 10003F 1/2, 10007A 1/1
        "mean_score": 180.5 / 14,  # (49 + 36.5 + 34.5 + 33.5 + 27) / (4 + 3 + 3 + 2 + 2)
    }),
    ("region", "6", 2024, {  # 10001F to 10005F
        "enrollment": 24,  # 6 + 4 + 5 + 5 + 4
        "girls_share": 13 / 24,  # 3 + 2 + 3 + 3 + 2
        "dropout_rate": 5 / 24,  # 1 + 0 + 1 + 2 + 1
        "repetition_rate": 6 / 24,  # 2 + 1 + 1 + 1 + 1
        "promotion_rate": 13 / 24,  # 3 + 3 + 3 + 2 + 2
        "success_rate_CEP": 3 / 6,  # 10001F 2/4, 10004F 1/2
        "success_rate_REG": 3 / 5,  # 10002F 2/3, 10005F 1/2
        "success_rate_BAC": 2 / 3,  # 10003F 2/3
        "mean_score": 215.5 / 18,  # (60.5 + 42.5 + 51.5 + 31 + 30) / (5 + 3 + 4 + 3 + 3)
    }),
    ("region", "6", 2023, {  # 10001F to 10003F
        "enrollment": 12,  # 5 + 3 + 4
        "girls_share": 6 / 12,  # 3 + 1 + 2
        "dropout_rate": 1 / 12,  # 0 + 0 + 1
        "repetition_rate": 3 / 12,  # 1 + 1 + 1
        "promotion_rate": 8 / 12,  # 4 + 2 + 2
        "success_rate_CEP": 1 / 2,
        "success_rate_REG": 1 / 2,
        "success_rate_BAC": 1 / 2,
        "mean_score": 120 / 10,  # (49 + 36.5 + 34.5) / (4 + 3 + 3)
    }),
    ("region", "1", 2024, {  # 10006A and 10007A
        "enrollment": 8,  # 4 + 4
        "girls_share": 4 / 8,  # 2 + 2
        "dropout_rate": 1 / 8,  # J000000032
        "repetition_rate": 1 / 8,  # J000000029
        "promotion_rate": 6 / 8,  # 4 + 2
        "success_rate_CEP": 2 / 2,
        "success_rate_REG": NO_DATA,  # no college in region 1: no candidate
        "success_rate_BAC": 1 / 2,
        "mean_score": 102 / 7,  # (66 + 36) / (4 + 3)
    }),
    ("province", "141", 2024, {  # 10001F, 10002F, 10003F
        "enrollment": 15,  # 6 + 4 + 5
        "girls_share": 8 / 15,  # 3 + 2 + 3
        "dropout_rate": 2 / 15,  # 1 + 0 + 1
        "repetition_rate": 4 / 15,  # 2 + 1 + 1
        "promotion_rate": 9 / 15,  # 3 + 3 + 3
        "success_rate_CEP": 2 / 4,
        "success_rate_REG": 2 / 3,
        "success_rate_BAC": 2 / 3,
        "mean_score": 154.5 / 12,  # (60.5 + 42.5 + 51.5) / (5 + 3 + 4)
    }),
    ("province", "461", 2024, {  # 10004F and 10005F
        "enrollment": 9,  # 5 + 4
        "girls_share": 5 / 9,  # 3 + 2
        "dropout_rate": 3 / 9,  # 2 + 1
        "repetition_rate": 2 / 9,  # 1 + 1
        "promotion_rate": 4 / 9,  # 2 + 2
        "success_rate_CEP": 1 / 2,
        "success_rate_REG": 1 / 2,
        "success_rate_BAC": NO_DATA,  # no lycée there
        "mean_score": 61 / 6,  # (31 + 30) / (3 + 3)
    }),
    ("province", "461", 2023, NO_PUPILS),  # both schools opened in 2024
    ("commune", "141.1.1", 2024, {  # 10001F and 10002F
        "enrollment": 10,  # 6 + 4
        "girls_share": 5 / 10,  # 3 + 2
        "dropout_rate": 1 / 10,  # 1 + 0
        "repetition_rate": 3 / 10,  # 2 + 1
        "promotion_rate": 6 / 10,  # 3 + 3
        "success_rate_CEP": 2 / 4,
        "success_rate_REG": 2 / 3,
        "success_rate_BAC": NO_DATA,
        "mean_score": 103 / 8,  # (60.5 + 42.5) / (5 + 3)
    }),
    ("commune", "141.1.1", 2023, {
        "enrollment": 8,  # 5 + 3
        "girls_share": 4 / 8,  # 3 + 1
        "dropout_rate": 0.0,  # 0 of 8: a true zero, not "no data"
        "repetition_rate": 2 / 8,  # 1 + 1
        "promotion_rate": 6 / 8,  # 4 + 2
        "success_rate_CEP": 1 / 2,
        "success_rate_REG": 1 / 2,
        "success_rate_BAC": NO_DATA,
        "mean_score": 85.5 / 7,  # (49 + 36.5) / (4 + 3)
    }),
    ("school", "10001F", 2024, {
        "enrollment": 6,
        "girls_share": 3 / 6,  # P01, P03, P05
        "dropout_rate": 1 / 6,  # P06
        "repetition_rate": 2 / 6,  # P02, P05
        "promotion_rate": 3 / 6,  # P01, P03, P04
        "success_rate_CEP": 2 / 4,  # P03, P04 passed; P05, P06 failed
        "success_rate_REG": NO_DATA,
        "success_rate_BAC": NO_DATA,
        "mean_score": 60.5 / 5,  # (15 + 9 + 16 + 12 + 8.5) / 5, P06 has none
    }),
    ("school", "10001F", 2023, {
        "enrollment": 5,
        "girls_share": 3 / 5,  # P03, P05, P33
        "dropout_rate": 0.0,
        "repetition_rate": 1 / 5,  # P05
        "promotion_rate": 4 / 5,
        "success_rate_CEP": 1 / 2,  # P33 passed, P05 failed
        "success_rate_REG": NO_DATA,
        "success_rate_BAC": NO_DATA,
        "mean_score": 49 / 4,  # (15 + 11 + 9 + 14) / 4, P02 has none
    }),
]


@pytest.mark.parametrize(("level", "code", "year", "expected"), UNIT_CASES)
def test_unit_indicators(app, level, code, year, expected):
    frame = stats.unit_indicators(level, code, Filters(year=2024), NATIONAL_SCOPE)
    assert list(frame["school_year"]) == [2023, 2024]
    check(year_row(frame, year), expected)


# Filters ---------------------------------------------------------------------------

FILTER_CASES = [
    (Filters(2024, cycle="primaire"), {  # 10001F, 10004F, 10006A
        "enrollment": 15,  # 6 + 5 + 4
        "girls_share": 8 / 15,  # 3 + 3 + 2
        "dropout_rate": 3 / 15,  # 1 + 2 + 0
        "repetition_rate": 3 / 15,  # 2 + 1 + 0
        "promotion_rate": 9 / 15,  # 3 + 2 + 4
        "success_rate_CEP": 5 / 8,  # 2/4 + 1/2 + 2/2
        "success_rate_REG": NO_DATA,
        "success_rate_BAC": NO_DATA,
        "mean_score": 157.5 / 12,  # (60.5 + 31 + 66) / (5 + 3 + 4)
    }),
    (Filters(2024, cycle="college"), {  # 10002F, 10005F
        "enrollment": 8,
        "girls_share": 4 / 8,
        "dropout_rate": 1 / 8,
        "repetition_rate": 2 / 8,
        "promotion_rate": 5 / 8,
        "success_rate_CEP": NO_DATA,
        "success_rate_REG": 3 / 5,
        "success_rate_BAC": NO_DATA,
        "mean_score": 72.5 / 6,  # (42.5 + 30) / (3 + 3)
    }),
    (Filters(2024, cycle="qualifiant"), {  # 10003F, 10007A
        "enrollment": 9,
        "girls_share": 5 / 9,
        "dropout_rate": 2 / 9,
        "repetition_rate": 2 / 9,
        "promotion_rate": 5 / 9,
        "success_rate_CEP": NO_DATA,
        "success_rate_REG": NO_DATA,
        "success_rate_BAC": 3 / 5,
        "mean_score": 87.5 / 7,  # (51.5 + 36) / (4 + 3)
    }),
    (Filters(2024, sector="prive"), {  # 10002F, 10006A
        "enrollment": 8,  # 4 + 4
        "girls_share": 4 / 8,
        "dropout_rate": 0.0,  # 0 + 0
        "repetition_rate": 1 / 8,  # P10
        "promotion_rate": 7 / 8,  # 3 + 4
        "success_rate_CEP": 2 / 2,
        "success_rate_REG": 2 / 3,
        "success_rate_BAC": NO_DATA,
        "mean_score": 108.5 / 7,  # (42.5 + 66) / (3 + 4)
    }),
    (Filters(2024, sector="public"), {  # 10001F, 10003F, 10004F, 10005F, 10007A
        "enrollment": 24,  # 6 + 5 + 5 + 4 + 4
        "girls_share": 13 / 24,  # 3 + 3 + 3 + 2 + 2
        "dropout_rate": 6 / 24,  # 1 + 1 + 2 + 1 + 1
        "repetition_rate": 6 / 24,  # 2 + 1 + 1 + 1 + 1
        "promotion_rate": 12 / 24,  # 3 + 3 + 2 + 2 + 2
        "success_rate_CEP": 3 / 6,  # 2/4 + 1/2
        "success_rate_REG": 1 / 2,  # 10005F
        "success_rate_BAC": 3 / 5,  # 2/3 + 1/2
        "mean_score": 209 / 18,  # (60.5 + 51.5 + 31 + 30 + 36) / (5 + 4 + 3 + 3 + 3)
    }),
    (Filters(2024, milieu="rural"), {  # 10004F, 10005F: as province 461
        "enrollment": 9,
        "girls_share": 5 / 9,
        "dropout_rate": 3 / 9,
        "repetition_rate": 2 / 9,
        "promotion_rate": 4 / 9,
        "success_rate_CEP": 1 / 2,
        "success_rate_REG": 1 / 2,
        "success_rate_BAC": NO_DATA,
        "mean_score": 61 / 6,
    }),
    (Filters(2024, sex="F"), {
        # girls: P01 P03 P05 | P07 P08 | P11 P13 P15 | P16 P18 P20 | P22 P23 | J25 J27 | J30 J31
        "enrollment": 17,
        "girls_share": NO_DATA,  # meaningless under a sex filter
        "dropout_rate": 1 / 17,  # P20
        "repetition_rate": 2 / 17,  # P05, P22
        "promotion_rate": 14 / 17,  # 17 - 1 - 2
        "success_rate_CEP": 3 / 4,  # P03, P18, J27 passed; P05 failed
        "success_rate_REG": 2 / 2,  # P08, P23
        "success_rate_BAC": 3 / 3,  # P13, P15, J31
        # 15+16+8.5 + 14.5+15 + 12+14+16 + 13+11 + 8+12 + 17+18 + 13+15 = 218 over 16 (P20 none)
        "mean_score": 218 / 16,
    }),
    (Filters(2024, sex="M"), {
        "enrollment": 15,  # 32 - 17
        "girls_share": NO_DATA,
        "dropout_rate": 5 / 15,  # P06, P12, P17, P24, J32
        "repetition_rate": 5 / 15,  # P02, P10, P14, P19, J29
        "promotion_rate": 5 / 15,  # P04, P09, P21, J26, J28
        "success_rate_CEP": 2 / 4,  # P04, J28 passed; P06, P19 failed
        "success_rate_REG": 1 / 3,  # P09 passed; P10, P24 failed
        "success_rate_BAC": 0.0,  # P14, J32 both failed: 0 of 2 is a true zero
        "mean_score": 99.5 / 9,  # 9 + 12 + 13 + 9.5 + 7 + 10 + 16 + 15 + 8
    }),
    (Filters(2024, cycle="primaire", sector="public", milieu="urbain"), {  # 10001F alone
        "enrollment": 6,
        "girls_share": 3 / 6,
        "dropout_rate": 1 / 6,
        "repetition_rate": 2 / 6,
        "promotion_rate": 3 / 6,
        "success_rate_CEP": 2 / 4,
        "success_rate_REG": NO_DATA,
        "success_rate_BAC": NO_DATA,
        "mean_score": 60.5 / 5,
    }),
    (Filters(2024, cycle="qualifiant", sex="M"), {  # P12, P14 in 10003F; J29, J32 in 10007A
        "enrollment": 4,
        "girls_share": NO_DATA,
        "dropout_rate": 2 / 4,  # P12, J32
        "repetition_rate": 2 / 4,  # P14, J29
        "promotion_rate": 0.0,  # none of 4
        "success_rate_CEP": NO_DATA,
        "success_rate_REG": NO_DATA,
        "success_rate_BAC": 0.0,  # P14, J32 failed
        "mean_score": 17.5 / 2,  # (9.5 + 8) / 2
    }),
    (Filters(2024, cycle="college", milieu="rural", sex="F"), {  # P22, P23 in 10005F
        "enrollment": 2,
        "girls_share": NO_DATA,
        "dropout_rate": 0.0,
        "repetition_rate": 1 / 2,  # P22
        "promotion_rate": 1 / 2,  # P23
        "success_rate_CEP": NO_DATA,
        "success_rate_REG": 1 / 1,  # P23
        "success_rate_BAC": NO_DATA,
        "mean_score": 20 / 2,  # (8 + 12) / 2
    }),
    # the only college in an urban commune (10002F) is private: nobody is left
    (Filters(2024, cycle="college", sector="public", milieu="urbain"), NO_PUPILS),
]


@pytest.mark.parametrize(("filters", "expected"), FILTER_CASES)
def test_filtered_national_indicators(app, filters, expected):
    frame = stats.unit_indicators("national", "MA", filters, NATIONAL_SCOPE)
    check(year_row(frame, 2024), expected)


def test_filters_apply_to_the_previous_year_too(app):
    frame = stats.unit_indicators("national", "MA", Filters(2024, cycle="primaire"),
                                  NATIONAL_SCOPE)
    check(year_row(frame, 2023), {  # 10001F and 10006A (10004F not open in 2023)
        "enrollment": 8,  # 5 + 3
        "girls_share": 5 / 8,  # 3 + 2
        "dropout_rate": 0.0,
        "repetition_rate": 1 / 8,  # P05
        "promotion_rate": 7 / 8,  # 4 + 3
        "success_rate_CEP": 2 / 3,  # P33, J37 passed; P05 failed
        "mean_score": 82.5 / 6,  # (49 + 33.5) / (4 + 2)
    })


def test_filter_without_pupils_gives_zero_and_no_data_for_both_years(app):
    filters = Filters(2024, cycle="college")
    frame = stats.unit_indicators("region", "1", filters, NATIONAL_SCOPE)  # no college there
    assert list(frame["school_year"]) == [2023, 2024]
    check(year_row(frame, 2023), NO_PUPILS)
    check(year_row(frame, 2024), NO_PUPILS)


def test_a_year_outside_the_data_has_no_pupils(app):
    frame = stats.unit_indicators("national", "MA", Filters(2030), NATIONAL_SCOPE)
    check(year_row(frame, 2029), NO_PUPILS)
    check(year_row(frame, 2030), NO_PUPILS)


def test_unknown_filter_values_are_refused():
    with pytest.raises(ValueError):
        Filters(2024, cycle="lycee")
    with pytest.raises(ValueError):
        Filters(2024, sex="X")


# Children, trend and breakdowns ----------------------------------------------------------


def test_children_of_the_nation_are_the_regions_with_pupils(app):
    frame = stats.children_indicators("national", "MA", Filters(2024), NATIONAL_SCOPE)
    rows = by_code(frame)
    assert sorted(rows) == ["1", "6"]
    check(rows["6"], {
        "enrollment": 24, "enrollment_previous": 12,
        "dropout_rate": 5 / 24, "dropout_rate_previous": 1 / 12,
        "success_rate_CEP": 3 / 6, "success_rate_CEP_previous": 1 / 2,
        "mean_score": 215.5 / 18, "mean_score_previous": 120 / 10,
    })
    check(rows["1"], {
        "enrollment": 8, "enrollment_previous": 5,  # 4 + 4; 3 + 2
        "girls_share": 4 / 8, "girls_share_previous": 3 / 5,  # 2 + 2; 2 + 1
        "promotion_rate": 6 / 8, "promotion_rate_previous": 5 / 5,
        "success_rate_REG": NO_DATA, "success_rate_REG_previous": NO_DATA,
        "success_rate_BAC": 1 / 2, "success_rate_BAC_previous": 1 / 1,
        "mean_score": 102 / 7, "mean_score_previous": 60.5 / 4,  # (33.5 + 27) / (2 + 2)
    })


def test_children_of_a_region_include_one_without_pupils_the_year_before(app):
    frame = stats.children_indicators("region", "6", Filters(2024), NATIONAL_SCOPE)
    rows = by_code(frame)
    assert sorted(rows) == ["141", "461"]  # the other 7 provinces have no pupils
    check(rows["141"], {
        "enrollment": 15, "enrollment_previous": 12,
        "repetition_rate": 4 / 15, "repetition_rate_previous": 3 / 12,
        "success_rate_BAC": 2 / 3, "success_rate_BAC_previous": 1 / 2,
    })
    check(rows["461"], {
        # no pupils in 2023: the count is zero (as in unit_indicators), every ratio no data
        "enrollment": 9, "enrollment_previous": 0,
        "dropout_rate": 3 / 9, "dropout_rate_previous": NO_DATA,
        "girls_share_previous": NO_DATA, "promotion_rate_previous": NO_DATA,
        "mean_score_previous": NO_DATA,
    })


def test_children_when_no_child_had_pupils_the_year_before(app):
    frame = stats.children_indicators("commune", "461.3.9", Filters(2024), NATIONAL_SCOPE)
    rows = by_code(frame)
    assert sorted(rows) == ["10004F", "10005F"]
    check(rows["10004F"], {
        "enrollment": 5, "enrollment_previous": 0,
        "dropout_rate": 2 / 5, "dropout_rate_previous": NO_DATA,
        "success_rate_CEP": 1 / 2, "success_rate_CEP_previous": NO_DATA,
    })
    check(rows["10005F"], {"enrollment": 4, "enrollment_previous": 0,
                           "mean_score": 30 / 3, "mean_score_previous": NO_DATA})


def test_children_of_a_commune_are_schools(app):
    frame = stats.children_indicators("commune", "141.1.1", Filters(2024), NATIONAL_SCOPE)
    rows = by_code(frame)
    assert sorted(rows) == ["10001F", "10002F"]
    check(rows["10002F"], {
        "enrollment": 4, "enrollment_previous": 3,
        "girls_share": 2 / 4, "girls_share_previous": 1 / 3,
        "success_rate_REG": 2 / 3, "success_rate_REG_previous": 1 / 2,
        "mean_score": 42.5 / 3, "mean_score_previous": 36.5 / 3,
    })


def test_children_under_filters(app):
    frame = stats.children_indicators("national", "MA", Filters(2024, sector="prive"),
                                      NATIONAL_SCOPE)
    rows = by_code(frame)
    check(rows["6"], {"enrollment": 4, "enrollment_previous": 3})  # 10002F
    check(rows["1"], {"enrollment": 4, "enrollment_previous": 3})  # 10006A
    girls = stats.children_indicators("region", "6", Filters(2024, sex="F"), NATIONAL_SCOPE)
    check(by_code(girls)["141"], {
        "enrollment": 8, "enrollment_previous": 6,
        "girls_share": NO_DATA, "girls_share_previous": NO_DATA,
    })
    empty = stats.children_indicators("region", "1", Filters(2024, cycle="college"),
                                      NATIONAL_SCOPE)
    assert empty.empty


def test_trend_has_one_row_per_year_in_the_data(app):
    national = stats.trend("national", "MA", Filters(2024), NATIONAL_SCOPE)
    assert list(national["school_year"]) == [2023, 2024]
    assert list(national["enrollment"]) == [17, 32]
    settat = stats.trend("province", "461", Filters(2024), NATIONAL_SCOPE)
    assert list(settat["school_year"]) == [2023, 2024]
    check(year_row(settat, 2023), NO_PUPILS)
    check(year_row(settat, 2024), {"enrollment": 9, "dropout_rate": 3 / 9})
    girls = stats.trend("national", "MA", Filters(2024, sex="F"), NATIONAL_SCOPE)
    assert list(girls["enrollment"]) == [9, 17]
    assert girls["girls_share"].isna().all()


def test_breakdown_by_sex(app):
    frame = stats.breakdown("national", "MA", Filters(2024), NATIONAL_SCOPE, by="sex")
    assert list(frame["sex"]) == ["F", "M"]
    rows = by_code(frame, "sex")
    check(rows["F"], {"enrollment": 17, "dropout_rate": 1 / 17, "mean_score": 218 / 16})
    check(rows["M"], {"enrollment": 15, "dropout_rate": 5 / 15, "success_rate_BAC": 0.0})
    boys = stats.breakdown("national", "MA", Filters(2024, sex="M"), NATIONAL_SCOPE, by="sex")
    assert list(boys["sex"]) == ["M"]


def test_breakdown_by_milieu_and_sector(app):
    milieu = by_code(
        stats.breakdown("national", "MA", Filters(2024), NATIONAL_SCOPE, by="milieu"), "milieu"
    )
    assert sorted(milieu) == ["rural", "urbain"]
    check(milieu["rural"], {"enrollment": 9, "promotion_rate": 4 / 9})  # 10004F, 10005F
    check(milieu["urbain"], {  # 6 + 4 + 5 + 4 + 4
        "enrollment": 23, "promotion_rate": 15 / 23,  # 3 + 3 + 3 + 4 + 2
        "success_rate_CEP": 4 / 6,  # 10001F 2/4, 10006A 2/2
    })
    sector = by_code(
        stats.breakdown("region", "6", Filters(2024), NATIONAL_SCOPE, by="sector"), "sector"
    )
    assert sorted(sector) == ["prive", "public"]
    check(sector["prive"], {"enrollment": 4, "repetition_rate": 1 / 4})  # 10002F
    check(sector["public"], {  # 10001F, 10003F, 10004F, 10005F: 6 + 5 + 5 + 4
        "enrollment": 20, "dropout_rate": 5 / 20,  # 1 + 1 + 2 + 1
    })


def test_breakdown_by_grade(app):
    frame = stats.breakdown("school", "10001F", Filters(2024), NATIONAL_SCOPE, by="grade")
    grades = by_code(frame, "grade")
    assert sorted(grades) == ["5AEP", "6AEP"]
    check(grades["5AEP"], {  # P01 promu 15, P02 redoublant 9
        "enrollment": 2, "repetition_rate": 1 / 2, "promotion_rate": 1 / 2,
        "success_rate_CEP": NO_DATA, "mean_score": 24 / 2,
    })
    check(grades["6AEP"], {  # P03 promu 16, P04 promu 12, P05 redoublant 8.5, P06 abandon
        "enrollment": 4, "dropout_rate": 1 / 4, "repetition_rate": 1 / 4,
        "promotion_rate": 2 / 4, "success_rate_CEP": 2 / 4, "mean_score": 36.5 / 3,
    })
    tanger = by_code(
        stats.breakdown("region", "1", Filters(2024), NATIONAL_SCOPE, by="grade"), "grade"
    )
    assert {grade: int(row["enrollment"]) for grade, row in tanger.items()} == {
        "3AEP": 1, "4AEP": 1, "6AEP": 2, "TC": 1, "1BAC": 1, "2BAC": 2,
    }


def test_breakdown_refuses_other_dimensions(app):
    with pytest.raises(ValueError):
        stats.breakdown("national", "MA", Filters(2024), NATIONAL_SCOPE, by="commune_code")


# Scope -------------------------------------------------------------------------------


def test_region_scope_restricts_children_and_totals(app):
    children = stats.children_indicators("national", "MA", Filters(2024), CASABLANCA_SETTAT)
    assert list(children["code"]) == ["6"]
    national = stats.unit_indicators("national", "MA", Filters(2024), CASABLANCA_SETTAT)
    check(year_row(national, 2024), {"enrollment": 24, "dropout_rate": 5 / 24})  # region 6
    outside = stats.unit_indicators("region", "1", Filters(2024), CASABLANCA_SETTAT)
    check(year_row(outside, 2024), NO_PUPILS)
    regions = units.children("national", "MA", CASABLANCA_SETTAT)
    assert list(regions["code"]) == ["6"]


def test_get_unit_respects_scope(app):
    with pytest.raises(OutOfScope):
        units.get_unit("region", "1", CASABLANCA_SETTAT)
    with pytest.raises(OutOfScope):
        units.get_unit("province", "511", CASABLANCA_SETTAT)
    with pytest.raises(OutOfScope):
        units.get_unit("school", "10006A", CASABLANCA_SETTAT)
    assert units.get_unit("province", "141", CASABLANCA_SETTAT)["name_fr"] == "Casablanca"
    assert units.get_unit("school", "10004F", CASABLANCA_SETTAT)["milieu"] == "rural"


def test_unknown_units(app):
    with pytest.raises(UnknownUnit):
        units.get_unit("region", "13", NATIONAL_SCOPE)
    with pytest.raises(UnknownUnit):
        units.get_unit("school", "99999Z", NATIONAL_SCOPE)
    with pytest.raises(UnknownUnit):
        units.get_unit("province", "6", NATIONAL_SCOPE)  # a region code, not a province
    with pytest.raises(UnknownUnit):
        units.get_unit("district", "1", NATIONAL_SCOPE)


def test_school_scope_sees_only_its_school(app):
    scope = Scope("school", "10001F")
    national = stats.unit_indicators("national", "MA", Filters(2024), scope)
    check(year_row(national, 2024), {"enrollment": 6, "success_rate_CEP": 2 / 4})
    check(year_row(national, 2023), {"enrollment": 5})
    commune = stats.children_indicators("commune", "141.1.1", Filters(2024), scope)
    assert list(commune["code"]) == ["10001F"]
    assert list(units.children("commune", "141.1.1", scope)["code"]) == ["10001F"]
    assert list(units.units("school", None, scope)["code"]) == ["10001F"]
    assert units.units("region", None, scope).empty
    assert units.get_unit("school", "10001F", scope)["commune_code"] == "141.1.1"
    with pytest.raises(OutOfScope):
        units.get_unit("school", "10002F", scope)  # same commune, another school
    with pytest.raises(OutOfScope):
        units.get_unit("commune", "141.1.1", scope)


def test_a_school_is_compared_with_its_whole_territory_whatever_the_scope(app):
    chain = units.comparison_chain("10001F", Scope("school", "10001F"))
    assert [(level, code) for level, code, _name, _scope in chain] == [
        ("school", "10001F"), ("commune", "141.1.1"), ("province", "141"), ("region", "6"),
        ("national", "MA")]
    assert chain[0][3] == Scope("school", "10001F")  # the school under the caller's scope
    assert all(unit_scope == NATIONAL_SCOPE for *_rest, unit_scope in chain[1:])
    # the commune's numbers are the commune's, not the school's alone (hand-made: 6 + 4)
    (_level, code, _name, commune_scope) = chain[1]
    commune = stats.unit_indicators("commune", code, Filters(2024), commune_scope)
    check(year_row(commune, 2024), {"enrollment": 6 + 4})


def test_province_scope(app):
    scope = Scope("province", "461")
    assert list(units.children("region", "6", scope)["code"]) == ["461"]
    assert len(units.units("commune", None, scope)) == 49  # Settat's communes
    assert list(units.units("school", None, scope)["code"]) == ["10004F", "10005F"]
    with pytest.raises(OutOfScope):
        units.get_unit("region", "6", scope)


# Units -------------------------------------------------------------------------------


def test_children_units_are_sorted_by_name(app):
    regions = units.children("national", "MA", NATIONAL_SCOPE)
    # Béni Mellal-Khénifra, Casablanca-Settat, Drâa-Tafilalet, Eddakhla-Oued Eddahab,
    # Fès-Meknès, Guelmim-Oued Noun, Laayoune-Sakia El Hamra, Marrakech-Safi, Oriental,
    # Rabat-Salé-Kénitra, Souss-Massa, Tanger-Tétouan-Al Hoceima
    assert list(regions["code"]) == ["5", "6", "8", "12", "3", "10", "11", "7", "2", "4", "9",
                                     "1"]
    provinces = units.children("region", "6", NATIONAL_SCOPE)
    # Benslimane, Berrechid, Casablanca, El Jadida, Mediouna, Mohammadia, Nouaceur, Settat,
    # Sidi Bennour
    assert list(provinces["code"]) == ["111", "117", "141", "181", "355", "371", "385", "461",
                                       "467"]
    schools = units.children("commune", "141.1.1", NATIONAL_SCOPE)
    # "Collège privé Ibn Sina - Anfa" sorts before "École Al Massira - Anfa"
    assert list(schools["code"]) == ["10002F", "10001F"]
    assert units.children("school", "10001F", NATIONAL_SCOPE).empty


def test_units_of_a_level_by_code(app):
    regions = units.units("region", None, NATIONAL_SCOPE)
    assert len(regions) == 12
    provinces = units.units("province", "1", NATIONAL_SCOPE)
    # Tanger-Tétouan-Al Hoceïma's 8 provinces, in text order of their codes
    assert list(provinces["code"]) == ["151", "227", "331", "405", "51", "511", "571", "573"]
    assert len(units.units("commune", "141", NATIONAL_SCOPE)) == 17  # Casablanca's communes
    assert list(units.units("school", "511.1.7", NATIONAL_SCOPE)["code"]) == [
        "10006A", "10007A",
    ]
    assert list(units.units("school", None, Scope("region", "1"))["code"]) == [
        "10006A", "10007A",
    ]
    assert len(units.units("school", None, NATIONAL_SCOPE)) == 7


def test_unit_rows_and_ancestors(app):
    school = units.get_unit("school", "10004F", NATIONAL_SCOPE)
    assert school["name_fr"] == "École Al Amal - Mniaa"
    assert (school["region_code"], school["province_code"], school["commune_code"]) == (
        "6", "461", "461.3.9",
    )
    assert (school["cycle"], school["sector"], school["milieu"]) == ("primaire", "public", "rural")
    assert units.ancestors(school) == [
        ("national", "MA"), ("region", "6"), ("province", "461"), ("commune", "461.3.9"),
    ]
    commune = units.get_unit("commune", "141.1.3", NATIONAL_SCOPE)
    assert commune["name_fr"] == "El Maarif"
    assert units.ancestors(commune) == [("national", "MA"), ("region", "6"), ("province", "141")]
    region = units.get_unit("region", "1", NATIONAL_SCOPE)
    assert units.ancestors(region) == [("national", "MA")]
    nation = units.get_unit("national", "MA", NATIONAL_SCOPE)
    assert nation["name_fr"] == "Maroc"
    assert units.ancestors(nation) == []


# Caching -----------------------------------------------------------------------------


def test_repeated_calls_return_equal_frames(app):
    filters = Filters(2024, cycle="primaire")
    first = stats.unit_indicators("region", "6", filters, NATIONAL_SCOPE)
    second = stats.unit_indicators("region", "6", filters, NATIONAL_SCOPE)
    pd.testing.assert_frame_equal(first, second)
    first = stats.children_indicators("national", "MA", filters, NATIONAL_SCOPE)
    second = stats.children_indicators("national", "MA", filters, NATIONAL_SCOPE)
    pd.testing.assert_frame_equal(first, second)


def test_cached_sums_are_keyed_on_the_data_version(app):
    assert data_version() == 1  # one build so far
    arguments = ("province", "141", Filters(2024, sex="M"), NATIONAL_SCOPE, ("school_year",),
                 (2023, 2024))
    sums = stats._versioned_sums
    key_v1 = sums.make_cache_key(sums.uncached, *arguments, 1)
    key_v2 = sums.make_cache_key(sums.uncached, *arguments, 2)
    assert key_v1 != key_v2
    assert cache.get(key_v1) is None and cache.get(key_v2) is None
    first = sums(*arguments, 1)
    assert cache.get(key_v1) is not None
    # the database still publishes version 1: its numbers are never cached as version 2
    with pytest.raises(VersionChanged):
        sums(*arguments, 2)
    assert cache.get(key_v2) is None
    assert int(first.set_index("school_year").loc[2024, "enrolled"]) == 7


# Search ------------------------------------------------------------------------------


def found_codes(found: list[dict]) -> list[tuple[str, str]]:
    return [(unit["level"], unit["code"]) for unit in found]


def test_a_name_finds_units_of_every_level_names_first_then_schools(app):
    found = found_codes(find_units("anfa", NATIONAL_SCOPE))
    # the commune Anfa first (its name starts with the text), then its two schools by name
    # (Collège privé Ibn Sina - Anfa, École Al Massira - Anfa)
    assert found == [("commune", "141.1.1"), ("school", "10002F"), ("school", "10001F")]


def test_accents_and_case_do_not_matter_and_a_gresa_code_finds_its_school(app):
    assert found_codes(find_units("MAARIF", NATIONAL_SCOPE)) == found_codes(find_units("maârif",
                                                                          NATIONAL_SCOPE))
    (school,) = find_units("10004f", NATIONAL_SCOPE)
    assert (school["level"], school["code"]) == ("school", "10004F")
    assert school["commune"] == "Mniaa"


def test_nothing_outside_the_scope_is_found(app):
    settat = Scope("province", "461")
    assert find_units("anfa", settat) == []
    assert found_codes(find_units("10004F", settat)) == [("school", "10004F")]
    school = Scope("school", "10001F")
    assert found_codes(find_units("anfa", school)) == [("school", "10001F")]


def test_one_letter_finds_nothing(app):
    assert find_units("a", NATIONAL_SCOPE) == []
    assert find_units("  ", NATIONAL_SCOPE) == []
