"""Small-cell suppression (law 09-08): which cells are hidden (a school's, and a territory's
where the rule requires it), and that pages, callbacks, the API and exports all hide them.

Expected cells are worked out by hand from the handmade database (``tests/handmade.py``),
whose seven schools have single-digit counts; the apps below differ only by their
threshold. The counts quoted in comments are read off its per-school table and rows.
"""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile

import plotly.graph_objects as go
import pytest
from openpyxl import load_workbook

from callbacks import unit
from callbacks.panels import DRAW
from dashboard import create_app, indicators
from dashboard.app_state import state_of
from dashboard.formatting import SECRET, format_cell, format_value
from dashboard.urls import View
from dashboard.web.auth.users import add_user
from layouts import definitions, figures
from queries import NATIONAL_SCOPE, privacy, stats
from queries.filters import Filters
from tests.conftest import PASSWORD, log_in, printed, query, request_as
from tests.handmade import make_handmade_database
from tests.test_callbacks import _text, call, view

THRESHOLDS = (0, 2, 3, 5)
YEAR = Filters(2024)
ANFA = "141.1.1"  # 10001F (6 pupils in 2024) and 10002F (4 pupils)
RATES_AND_SCORE = {"girls_share", "dropout_rate", "repetition_rate", "promotion_rate",
                   "success_rate_CEP", "success_rate_REG", "success_rate_BAC", "mean_score"}
MASSAR = re.compile(r"[A-Z][0-9]{9}")


@pytest.fixture(scope="module")
def apps(tmp_path_factory, backend) -> dict:
    """One app per threshold on the same handmade database, each with a national user."""
    folder = tmp_path_factory.mktemp("privacy")
    url = make_handmade_database(folder, backend, "handmade_privacy")
    result = {}
    for threshold in THRESHOLDS:
        data = folder / f"threshold-{threshold}"
        data.mkdir()
        app = create_app({
            "PILOTAGE_DATABASE_URL": url,
            "PILOTAGE_DATA_DIR": str(data),
            "PILOTAGE_STATE_DATABASE_URL": f"sqlite:///{data / 'state.sqlite'}",
            "PILOTAGE_LOGIN_RATE_LIMIT": "10000 per minute",
            "PILOTAGE_SMALL_CELL_THRESHOLD": str(threshold),
            **backend.app_settings(),
        })
        add_user(state_of(app.server).state_engine, "national", PASSWORD, "national", "MA")
        result[threshold] = app
    yield result
    for app in result.values():
        state_of(app.server).engine.dispose()


def client_of(app):
    """Return a test client of ``app`` logged in as its national user."""
    client = app.server.test_client()
    assert log_in(client).status_code == 302
    return client


#: The indicators of pupils' own counts, whose hiding these cases work out by hand (the
#: rates to the census population: tests/test_schooling.py and the differencing attacker).
OF_PUPILS = tuple(indicator.code for indicator in indicators.OF_PUPILS)


def hidden(row) -> set[str]:
    return set(privacy.suppressed_codes(row)) & set(OF_PUPILS)


def by_key(frame, column: str = "code") -> dict:
    return {str(row[column]): row for _, row in frame.iterrows()}


def read_csv(content: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


# --- the rule -----------------------------------------------------------------------------


def test_every_indicator_reads_its_counts_and_their_complements():
    cells = privacy.INDICATOR_CELLS
    assert set(cells) == set(indicators.CODES)
    assert cells["enrollment"] == ("enrolled",)
    assert set(cells["girls_share"]) == {"girls", "boys", "enrolled"}
    assert set(cells["dropout_rate"]) == {"dropouts", "decided"}
    assert set(cells["success_rate_BAC"]) == {"bac_passed", "bac_failed", "bac_candidates"}
    assert cells["mean_score"] == ("average_count",)
    assert set(cells["quality_score"]) == {"quality_clean", "enrolled"}


def test_format_cell_shows_the_threshold_or_the_secret_mark():
    count, rate = indicators.BY_CODE["enrollment"], indicators.BY_CODE["dropout_rate"]
    assert format_cell(count, None, True, 5) == "< 5"
    assert format_cell(count, None, True, 3) == "< 3"
    assert format_cell(count, None, True, 5, small=False) == SECRET == "secret"
    assert format_cell(rate, None, True, 5) == "secret"
    assert format_cell(indicators.BY_CODE["mean_score"], None, True, 5) == "secret"
    assert format_cell(rate, 0.25, False, 5) == format_value(rate, 0.25)
    assert format_cell(count, None, False, 5) == "—"


# --- which cells: a school's totals, its grades, its sexes, grade by sex --------------------


def test_schools_of_a_commune_hide_small_counts_and_their_rates(apps):
    with apps[3].server.app_context():
        rows = by_key(stats.children_indicators("commune", ANFA, YEAR, NATIONAL_SCOPE))
    # Under 3 a school's count of 1 or 2 is primary. No school, nor any unit of whole
    # schools, has under 3 pupils or averages; such a cell is a part only beside cells like
    # it, and within a cell its pupils are the total of promoted, repeaters and dropouts,
    # never the complement while a part is shown: every school keeps its pupils and averages.
    # 10002F: 4 pupils, 2 girls, 2 boys, 0 dropouts, 1 repeater, 3 promoted, REG 2 passed of
    # 3 (1 failed), 3 averages. Primary: girls, boys, the repeater, REG passes and failure.
    # Complements: its 0 dropouts, beside 10001F's 1 in Anfa (a zero is a count too); its 3
    # promoted, beside 10005F's 2 in region 6's college (10002F + 10005F).
    school = rows["10002F"]
    assert hidden(school) == {"girls_share", "dropout_rate", "repetition_rate",
                              "promotion_rate", "success_rate_REG"}
    assert school["enrollment"] == 4 and school["mean_score"] == pytest.approx(42.5 / 3)
    assert math.isnan(school["dropouts"]) and math.isnan(school["promoted"])
    # a collège has no CEP candidates, as its cycle tells: a zero everyone knows is shown
    assert school["cep_candidates"] == 0 and not privacy.is_suppressed(school,
                                                                         "success_rate_CEP")
    assert math.isnan(school["girls"])
    assert all(math.isnan(school[code]) for code in hidden(school))
    # 10001F: 6 pupils, 3 girls, 3 boys, 1 dropout, 2 repeaters, 3 promoted, 5 averages,
    # CEP 2 of 4. Primary: the dropout, the repeaters, CEP passes and failures. Complements:
    # its 3 girls beside 10002F's 2 in Anfa's girls, then its 3 boys (the school's 6 are
    # shown); its 3 promoted and its 4 CEP candidates beside 10004F's 2 in region 6's
    # primaire (10001F + 10004F).
    school = rows["10001F"]
    assert hidden(school) == {"girls_share", "dropout_rate", "repetition_rate",
                              "promotion_rate", "success_rate_CEP"}
    assert school["enrollment"] == 6 and school["mean_score"] == pytest.approx(60.5 / 5)
    assert math.isnan(school["cep_candidates"]) and math.isnan(school["cep_passed"])
    assert math.isnan(school["girls"]) and math.isnan(school["promoted"])
    # 10001F is a primary school: its zero REG candidates are known from its cycle, so they
    # protect nothing and are never a complement; it reads "no data", not a secret. Anfa's 3
    # REG candidates are then 10002F's (hidden above): the commune's total is hidden instead.
    assert school["reg_candidates"] == 0
    assert not privacy.is_suppressed(school, "success_rate_REG")
    with apps[3].server.app_context():
        anfa = stats.unit_indicators("commune", ANFA, YEAR, NATIONAL_SCOPE).iloc[1]
    assert math.isnan(anfa["reg_candidates"]) and privacy.is_suppressed(anfa, "success_rate_REG")


def test_a_school_page_hides_what_its_commune_list_hides(apps):
    for threshold in (2, 3, 5):
        with apps[threshold].server.app_context():
            listed = by_key(stats.children_indicators("commune", ANFA, YEAR, NATIONAL_SCOPE))
            for code in ("10001F", "10002F"):
                own = stats.unit_indicators("school", code, YEAR, NATIONAL_SCOPE).iloc[1]
                assert hidden(own) == hidden(listed[code]), (threshold, code)
                years = by_key(stats.trend("school", code, YEAR, NATIONAL_SCOPE), "school_year")
                assert hidden(years["2024"]) == hidden(own), (threshold, code)


def test_the_only_other_school_of_a_commune_is_hidden_as_a_complement(apps):
    with apps[5].server.app_context():
        rows = by_key(stats.children_indicators("commune", ANFA, YEAR, NATIONAL_SCOPE))
    small, other = rows["10002F"], rows["10001F"]
    # every pupil count hidden, so every indicator with data (10002F has no CEP candidates,
    # 10001F no REG ones, neither BAC)
    everything = set(OF_PUPILS)
    assert hidden(small) == everything - {"success_rate_CEP", "success_rate_BAC"}
    assert hidden(other) == everything - {"success_rate_REG", "success_rate_BAC"}
    assert privacy.is_small(small) and not privacy.is_small(other)  # 4 pupils, then 6
    assert math.isnan(small["enrollment"]) and math.isnan(other["enrollment"])
    # the year before: 3 pupils in 10002F, so 10001F's 5 are hidden too
    assert math.isnan(small["enrollment_previous"]) and math.isnan(other["enrollment_previous"])


def test_grades_of_a_school_with_a_complementary_grade(apps):
    with apps[3].server.app_context():
        grades = by_key(stats.breakdown("school", "10001F", YEAR, NATIONAL_SCOPE, "grade"),
                        "grade")
    # 5AEP: 2 pupils (P01 promu, P02 redoublant), under 3: everything hidden.
    assert hidden(grades["5AEP"]) == {"enrollment", "quality_score", "girls_share", "dropout_rate",
                                      "repetition_rate", "promotion_rate", "mean_score"}
    assert privacy.is_small(grades["5AEP"])
    # 6AEP: 4 pupils, the only other grade of the school: hidden so that the school's 6
    # minus 6AEP cannot give 5AEP back; its 3 averages likewise (5AEP has 2).
    assert hidden(grades["6AEP"]) == {"enrollment", "quality_score", "girls_share", "dropout_rate",
                                      "repetition_rate", "promotion_rate", "success_rate_CEP",
                                      "mean_score"}
    assert not privacy.is_small(grades["6AEP"])
    assert math.isnan(grades["6AEP"]["enrolled"])
    # Its 4 CEP candidates too: region 6's 6AEP is 10001F's 6AEP and 10004F's, whose 2
    # candidates are primary (and the school's 4 are hidden, 5AEP's 0 shown).
    assert math.isnan(grades["6AEP"]["cep_candidates"])


def test_sexes_of_a_school_with_a_complementary_mean_score(apps):
    with apps[3].server.app_context():
        sexes = by_key(stats.breakdown("school", "10001F", YEAR, NATIONAL_SCOPE, "sex"), "sex")
    # F: P01, P03, P05: 3 pupils, 0 dropouts, 1 repeater, 2 promoted, 3 averages, CEP 1 of 2.
    # M: P02, P04, P06: 3 pupils, 1 dropout, 1 repeater, 1 promoted, 2 averages, CEP 1 of 2.
    girls, boys = sexes["F"], sexes["M"]
    # Neither half is under 3, but Anfa's girls are 10001F's 3 and 10002F's 2 (primary),
    # its boys likewise: both halves are hidden as complements, so every rate with them.
    assert math.isnan(girls["enrolled"]) and math.isnan(boys["enrolled"])
    assert not privacy.is_small(girls) and not privacy.is_small(boys)
    # The girls' 3 averages hide as the complement of the boys' 2 (the school's 5 shown).
    assert math.isnan(girls["average_count"]) and math.isnan(boys["average_count"])
    everything = set(OF_PUPILS) - {"success_rate_REG", "success_rate_BAC"}
    assert hidden(girls) == hidden(boys) == everything


def test_grade_by_sex_hides_complementary_cells(apps):
    with apps[2].server.app_context():
        frame = stats.grade_by_sex("school", "10001F", YEAR, NATIONAL_SCOPE)
    cells = {(row["grade"], row["sex"]): row for _, row in frame.iterrows()}
    # 5AEP: 1 girl, 1 boy, under 2. 6AEP: 2 girls, 2 boys, each the only other cell of its
    # sex, so hidden as complements.
    assert all(privacy.is_suppressed(row, "enrollment") for row in cells.values())
    assert privacy.is_small(cells["5AEP", "F"]) and privacy.is_small(cells["5AEP", "M"])
    assert not privacy.is_small(cells["6AEP", "F"]) and not privacy.is_small(cells["6AEP", "M"])


def test_territorial_units_are_suppressed_only_as_the_rule_requires(apps):
    frames = {}
    for threshold in (0, 5):
        with apps[threshold].server.app_context():
            frames[threshold] = {
                "cards": [stats.unit_indicators(level, code, YEAR, NATIONAL_SCOPE)
                          for level, code in (("national", "MA"), ("region", "6"),
                                              ("province", "141"))],
                "regions": stats.children_indicators("national", "MA", YEAR, NATIONAL_SCOPE),
                "maarif": stats.unit_indicators("commune", "141.1.3", YEAR, NATIONAL_SCOPE),
                "10003F": stats.unit_indicators("school", "10003F", YEAR, NATIONAL_SCOPE),
                "communes": by_key(stats.children_indicators("province", "141", YEAR,
                                                             NATIONAL_SCOPE)),
                "grades": by_key(stats.breakdown("national", "MA", YEAR, NATIONAL_SCOPE,
                                                 "grade"), "grade"),
                "5AEP": by_key(stats.breakdown("school", "10001F", YEAR, NATIONAL_SCOPE,
                                               "grade"), "grade")["5AEP"],
            }
    shown, checked = frames[0], frames[5]
    codes = list(OF_PUPILS)
    # Under 5: the nation is only ever a total, and a total is never the complement while a
    # part is shown. Region 6 is a part only beside region 1 (the nation's regions), province
    # 141 only beside Mniaa (region 6) and region 1 (the nation's urbain). In 2024 their
    # schools' small counts are hidden in pairs below them: Mniaa's 10005F (4 pupils) with
    # 10004F, region 1's 10006A and 10007A both under 5, province 141's 10002F with 10001F
    # (Anfa) and 10003F (the nation's qualifiant, with 10007A), so Anfa with El Maarif; the
    # same holds for every count and for each sex. In 2023 province 141 is region 6, a part
    # only beside region 1, and neither is a school's cell. So their cards and the nation's
    # regions show their pupils, outcomes and averages as without suppression.
    # An exam is sat in one grade (CEP in 6AEP, REG in 3AC, BAC in 2BAC), so a unit whose
    # only school of that cycle is small shows that school's exam: the zeros of the other
    # schools are known from their cycles and protect nothing. Rows: 2023, then 2024.
    # - the nation: in 2023 10002F was its only collège (REG 2 of 1): hidden.
    # - region 6: CEP is 10001F + 10004F in 2024, but region 1's CEP is 10006A's alone
    #   (hidden), so the nation's two regions hide theirs together; BAC is 10003F's alone
    #   (3 candidates); REG is 10002F + 10005F in 2024 (both hidden), 10002F's alone in 2023.
    # - province 141: one primary school, one collège, one lycée: every exam is a school's.
    # - the nation's regions (2024): region 1's CEP is 10006A's, its BAC 10007A's; region
    #   6's as above.
    exams = {"success_rate_CEP", "success_rate_REG", "success_rate_BAC"}
    expected = {"cards": [[{"success_rate_REG"}, set()],
                          [exams, {"success_rate_CEP", "success_rate_BAC"}],
                          [exams, exams]],
                "regions": [{"success_rate_CEP", "success_rate_BAC"}] * 2}
    for card, before, after in zip(expected["cards"], shown["cards"], checked["cards"],
                                   strict=True):
        assert [hidden(row) for _, row in after.iterrows()] == card
        kept = [c for c in codes if c not in exams]  # pupils, outcomes, averages all shown
        assert after[kept].equals(before[kept])
    assert [hidden(row) for _, row in checked["regions"].iterrows()] == expected["regions"]
    assert len(checked["regions"]) == 2
    # El Maarif's only school is 10003F: the same rows, one cell, hidden alike each year.
    # In 2024 its 5 pupils are the complement of 10007A's 4 (the nation's qualifiant is
    # 10003F + 10007A); its dropout, repeater, 3 promoted, 4 averages, 3 girls and BAC
    # counts are under 5.
    maarif, school = checked["maarif"], checked["10003F"]
    assert [hidden(row) for _, row in maarif.iterrows()] == [
        hidden(row) for _, row in school.iterrows()]
    assert hidden(maarif.iloc[1]) == {"enrollment", "quality_score", "girls_share", "dropout_rate",
                                      "repetition_rate", "promotion_rate", "success_rate_BAC",
                                      "mean_score"}
    assert hidden(checked["communes"]["141.1.3"]) == hidden(maarif.iloc[1])
    # Anfa is province 141 (shown) minus El Maarif: every count of Anfa is hidden as El
    # Maarif's complement (it has no lycée: its zero BAC counts are known, no rate to hide).
    anfa = checked["communes"][ANFA]
    assert hidden(anfa) == set(codes) - {"success_rate_BAC"}
    assert anfa["bac_candidates"] == 0  # known from its schools' cycles: shown
    assert math.isnan(anfa["enrolled"]) and not privacy.is_small(anfa)  # 10 pupils
    # The nation's 5AEP is 10001F's (2 pupils), hidden alike; its 6AEP (9 pupils of three
    # schools) is a part only of its primaire, where 1AEP, 3AEP, 4AEP and 5AEP (one school's
    # grade each, 1 or 2 pupils) are already hidden: shown.
    grades = checked["grades"]
    assert hidden(grades["5AEP"]) == hidden(checked["5AEP"]) and hidden(grades["5AEP"])
    assert privacy.is_small(grades["5AEP"])
    assert all(privacy.is_suppressed(grades[g], "enrollment")
               for g in ("1AEP", "3AEP", "4AEP", "5AEP", "1AC", "2AC"))
    assert grades["6AEP"]["enrollment"] == 9
    assert not privacy.is_suppressed(grades["6AEP"], "enrollment")
    # without suppression nothing of these is hidden
    assert not any(hidden(row) for frame in (shown["maarif"], shown["10003F"])
                   for _, row in frame.iterrows())
    assert not any(hidden(row) for row in (*shown["communes"].values(),
                                           *shown["grades"].values()))


def test_threshold_zero_disables_suppression(apps):
    with apps[0].server.app_context():
        rows = by_key(stats.children_indicators("commune", ANFA, YEAR, NATIONAL_SCOPE))
        grades = stats.breakdown("school", "10001F", YEAR, NATIONAL_SCOPE, "grade")
    assert rows["10002F"]["enrollment"] == 4 and rows["10002F"]["girls_share"] == 0.5
    assert rows["10001F"]["dropout_rate"] == pytest.approx(1 / 6)
    assert not any(hidden(row) for row in rows.values())
    assert not any(hidden(row) for _, row in grades.iterrows())
    data = client_of(apps[0]).get(
        "/api/v1/indicators?level=school&code=10002F&year=2024").get_json()
    assert data["suppressed"] == [] and data["indicators"]["enrollment"] == 4


# --- the API ------------------------------------------------------------------------------


def test_api_gives_null_and_lists_what_it_hides(apps):
    client = client_of(apps[5])
    data = client.get("/api/v1/indicators?level=school&code=10002F&year=2024").get_json()
    # 4 pupils, 3 averages, 3 REG candidates: all under 5; no CEP nor BAC (no data)
    expected = ["enrollment", "girls_share", "dropout_rate", "repetition_rate", "promotion_rate",
                "success_rate_REG", "mean_score", "quality_score"]
    assert data["suppressed"] == expected
    assert all(data["indicators"][code] is None for code in indicators.CODES)
    assert data["previous_year_suppressed"] == expected  # 3 pupils, 2 REG candidates
    # Anfa (10 pupils) is province 141 (15, shown) minus El Maarif, which is 10003F (5,
    # hidden beside 10007A's 4 in the nation's qualifiant): hidden as its complement. In
    # 2023 10003F's 4 pupils are primary, and Anfa's 8 are hidden beside them likewise.
    commune = client.get(f"/api/v1/indicators?level=commune&code={ANFA}&year=2024").get_json()
    # (it has no lycée: its zero BAC candidates and qualifiant pupils are known, their
    # rates shown)
    known = {"success_rate_BAC", "gross_enrollment_ratio_qualifiant",
             "net_enrollment_ratio_qualifiant"}
    assert commune["suppressed"] == [c for c in indicators.CODES if c not in known]
    assert commune["indicators"]["enrollment"] is None
    assert commune["below_threshold"] == []  # 10 pupils: secret, not "< 5"
    assert "enrollment" in commune["previous_year_suppressed"]
    assert commune["previous_year"]["enrollment"] is None
    province = client.get("/api/v1/indicators?level=province&code=141&year=2024").get_json()
    # one primary school, one collège, one lycée: each exam of the province is a school's
    # and so each cycle: its ratios to the population are that school's
    assert province["suppressed"] == [
        "success_rate_CEP", "success_rate_REG", "success_rate_BAC",
        *(f"{kind}_{cycle}" for cycle in ("primaire", "college", "qualifiant")
          for kind in ("gross_enrollment_ratio", "net_enrollment_ratio"))]
    assert province["indicators"]["enrollment"] == 15
    children = client.get(f"/api/v1/children?level=commune&code={ANFA}&year=2024").get_json()
    listed = {c["unit"]["code"]: c for c in children["children"]}
    assert listed["10002F"]["suppressed"] == expected
    assert listed["10001F"]["indicators"]["enrollment"] is None  # the complement
    assert "enrollment" in listed["10001F"]["suppressed"]
    regions = client.get("/api/v1/children?level=national&year=2024").get_json()["children"]
    # a region's exam sat in one small school only is that school's (see the test above)
    # (and a cycle taught in one small school only, its ratios to the population: region
    # 1's primaire is 10006A's, as its CEP)
    allowed = {"success_rate_CEP", "success_rate_BAC",
               *(f"{kind}_{cycle}" for cycle in ("primaire", "college", "qualifiant")
                 for kind in ("gross_enrollment_ratio", "net_enrollment_ratio"))}
    assert all(set(region["suppressed"]) <= allowed for region in regions)
    assert {r["unit"]["code"]: r["indicators"]["enrollment"] for r in regions
            if r["indicators"]["enrollment"]} == {"1": 8, "6": 24}


def test_api_csv_leaves_hidden_cells_empty_and_names_them(apps):
    client = client_of(apps[5])
    response = client.get(f"/api/v1/children?level=commune&code={ANFA}&year=2024&format=csv")
    rows = {row["code"]: row for row in read_csv(response.data)}
    row = rows["10002F"]
    assert row["enrollment"] == "" and row["girls_share"] == ""
    assert row["suppressed"].split() == ["enrollment", "girls_share", "dropout_rate",
                                         "repetition_rate", "promotion_rate",
                                         "success_rate_REG", "mean_score", "quality_score"]
    assert "4" not in [row[code] for code in indicators.CODES]


def test_the_census_gap_of_a_hidden_commune_is_hidden_too(apps):
    from panels.census_gap import CensusGapPanel
    from queries.census import census_gaps

    with apps[5].server.app_context():
        gaps = census_gaps("province", "141", NATIONAL_SCOPE).set_index("code")
        # 2023: Anfa's 8 pupils hidden beside 10003F's 4 (see the API test above)
        anfa = gaps.loc[ANFA]
        assert anfa["rate_suppressed"] and math.isnan(anfa["rate"]) and math.isnan(anfa["gap"])
        assert not math.isnan(anfa["census_rate"])  # the census is public
        view = View("province", "141", Filters(2023))
        unit = {"level": "province", "code": "141", "name_fr": "Casablanca"}
        panel = CensusGapPanel()
        rows = {row["code"]: row for row in panel.table(view, panel.rows(view, NATIONAL_SCOPE,
                                                                          unit))}
    assert rows[ANFA]["rate"] is None and rows[ANFA]["gap"] is None
    assert set(rows[ANFA]["_hidden"]) == {"rate", "gap"} and rows[ANFA]["finding"] == ""


# --- pages --------------------------------------------------------------------------------


def test_kpi_cards_show_the_threshold_and_the_secret_mark(apps):
    with request_as(apps[5]):
        small, _empty = call(unit.update_kpis, view("school", "10002F"),
                             {"level": "school", "code": "10002F"})
        other, _empty = call(unit.update_kpis, view("school", "10001F"),
                             {"level": "school", "code": "10001F"})
    cards = dict(zip(OF_PUPILS, small, strict=True))
    value = cards["enrollment"].children[1]
    assert value.children == "< 5"
    assert "moins de 5 élèves" in value.title
    assert cards["dropout_rate"].children[1].children == "secret"
    assert cards["success_rate_CEP"].children[1].children == "—"  # no candidates: no data
    assert dict(zip(OF_PUPILS, other, strict=True))["enrollment"].children[1].children == (
        "secret")


def test_ranking_rows_of_a_commune_keep_hidden_values_empty(apps):
    with request_as(apps[5]):
        rows, columns, pinned = call(unit.update_ranking,
                                     view("commune", ANFA, indicator="enrollment"),
                                     {"level": "commune", "code": ANFA})
    by_code = {row["code"]: row for row in rows}
    small, other = by_code["10002F"], by_code["10001F"]
    for row in (small, other):
        assert row["value"] is None and row["suppressed"] is True
        assert row["enrollment"] is None and row["rank"] is None
    assert small["value_mark"] == small["enrollment_mark"] == "< 5"
    assert other["value_mark"] == other["enrollment_mark"] == "secret"
    # Anfa itself: province 141's 15 minus El Maarif's 5 (hidden), so hidden; 10 pupils.
    anfa, morocco = pinned
    assert anfa["value"] is None and anfa["enrollment"] is None
    assert anfa["value_mark"] == anfa["enrollment_mark"] == "secret"
    assert morocco["enrollment"] == 32 and "enrollment_mark" not in morocco
    value = next(c for c in columns if c["field"] == "value")
    assert "frMarked" in value["valueFormatter"]["function"]
    with request_as(apps[3]):
        rows, _columns, pinned = call(unit.update_ranking, view("commune", ANFA),
                                      {"level": "commune", "code": ANFA})
    # Dropouts under 3: 10001F's 1 is primary, and 10002F's 0 is its complement in Anfa (a
    # zero is a count too), so neither school is ranked; their pupils (6 and 4) are shown.
    # Anfa's 1 dropout is province 141's 2 minus El Maarif's 1 (primary): hidden too.
    by_code = {row["code"]: row for row in rows}
    for row in by_code.values():
        assert row["suppressed"] and row["value"] is None and row["rank"] is None
        assert row["value_mark"] == "secret"
    assert by_code["10001F"]["enrollment"] == 6 and by_code["10002F"]["enrollment"] == 4
    assert pinned[0]["value"] is None and pinned[0]["value_mark"] == "secret"
    assert pinned[0]["enrollment"] == 10
    # Averages under 3: none (10001F has 5, 10002F 3, and no whole school has fewer), so the
    # mean scores are shown and ranked: 42.5 / 3 before 60.5 / 5.
    with request_as(apps[3]):
        rows, _columns, _pinned = call(unit.update_ranking,
                                       view("commune", ANFA, indicator="mean_score"),
                                       {"level": "commune", "code": ANFA})
    by_code = {row["code"]: row for row in rows}
    assert by_code["10002F"]["value"] == pytest.approx(42.5 / 3)
    assert by_code["10002F"]["rank"] == 1 and by_code["10001F"]["rank"] == 2
    assert not by_code["10002F"]["suppressed"] and not by_code["10001F"]["suppressed"]


def test_map_points_of_hidden_values_have_no_colour(apps):
    def points(indicator, level="commune", code=ANFA):
        figure = go.Figure(call(DRAW["map"], view(level, code, indicator=indicator),
                                {"level": level, "code": code}))
        (found,) = [trace for trace in figure.data if trace.type == "scattergeo"]
        return found

    with request_as(apps[3]):
        # dropouts under 3: 10001F's 1, and 10002F's 0 as its complement (see the ranking)
        secret = points("dropout_rate")
        scored = points("mean_score")  # both schools' averages shown
        plain = points("dropout_rate", "province", "141")  # schools drawn without values
    texts = dict(zip(secret.customdata, secret.text, strict=True))
    assert texts["10001F"].endswith("secret") and texts["10002F"].endswith("secret")
    # no point takes a colour of the scale: they are drawn as points without values
    assert secret.marker.color == plain.marker.color
    assert isinstance(secret.marker.color, str)
    colours = dict(zip(scored.customdata, scored.marker.color, strict=True))
    texts = dict(zip(scored.customdata, scored.text, strict=True))
    assert figures.SECRET_POINT not in colours.values()
    assert colours["10001F"] != colours["10002F"]
    assert not any(text.endswith("secret") for text in texts.values())


def test_school_charts_do_not_draw_hidden_bars(apps):
    with request_as(apps[2]):
        # 10003F: TC 1 pupil, 1BAC 1 pupil, 2BAC 3 pupils
        grades = call(DRAW["breakdown-grade"], view("school", "10003F", indicator="enrollment"),
                      {"level": "school", "code": "10003F"})
        pupils = call(DRAW["school-enrollment"], view("school", "10001F"),
                      {"level": "school", "code": "10001F"})
    (bars,) = grades.data
    assert list(bars.x) == ["TC", "1BAC", "2BAC"]
    assert [None if math.isnan(y) else y for y in bars.y] == [None, None, 3]
    assert [a.text for a in grades.layout.annotations] == ["< 2", "< 2"]
    # every grade by sex cell hidden (see test_grade_by_sex_hides_complementary_cells)
    assert not pupils["data"]
    assert pupils["layout"]["annotations"][0]["text"] == (
        "Secret statistique : effectifs de moins de 2 élèves")


def test_definitions_state_the_rule_in_force(apps):
    for threshold, shown in ((5, True), (0, False)):
        with apps[threshold].server.test_request_context("/definitions"):
            text = _text(definitions.layout())
        assert ("small-cell-rule" in text) is shown
        if shown:
            assert "« < 5 »" in text and "entre 1 et 4 élèves" in text


# --- exports ------------------------------------------------------------------------------


def test_export_csv_and_xlsx_carry_no_hidden_number(apps):
    client = client_of(apps[5])
    params = f"level=commune&code={ANFA}&year=2024&indicator=enrollment"
    rows = read_csv(client.get(f"/export/data/ranking.csv?{params}").data)
    schools = {row["Code"]: row for row in rows if row["Code"] in ("10001F", "10002F")}
    assert set(schools) == {"10001F", "10002F"}
    for row in schools.values():
        assert row["Effectif scolarisé"] == row["Effectif"] == row["Rang"] == ""
        assert row["Secret statistique"] == "Effectif scolarisé, Effectif"
    # Anfa's 10 pupils are province 141's 15 minus El Maarif's 5 (hidden): hidden too; the
    # nation's 32 are shown.
    total = next(row for row in rows if row["Nom"] == "Ensemble : Anfa")
    assert total["Effectif scolarisé"] == total["Effectif"] == ""
    morocco = next(row for row in rows if row["Nom"] == "Maroc (référence)")
    assert morocco["Effectif"] == "32"
    assert "10" not in [row["Effectif"] for row in rows]

    book = load_workbook(io.BytesIO(client.get(f"/export/data/ranking.xlsx?{params}").data))
    sheet = book["Données"]
    header = [cell.value for cell in sheet[1]]
    for line in sheet.iter_rows(min_row=2, values_only=True):
        row = dict(zip(header, line, strict=True))
        if row["Code"] in ("10001F", "10002F"):
            assert row["Effectif scolarisé"] is None and row["Effectif"] is None
            assert row["Secret statistique"] == "Effectif scolarisé, Effectif"
        if row["Nom"] == "Ensemble : Anfa":
            assert row["Effectif scolarisé"] is None and row["Effectif"] is None

    kpis = read_csv(client.get("/export/data/kpis.csv?level=school&code=10002F&year=2024").data)
    assert all(row["2024-2025"] == row["2023-2024"] == "" for row in kpis)
    for row in kpis:
        if row["Code"] not in ("success_rate_CEP", "success_rate_BAC"):  # no candidates: no rate
            assert row["Secret statistique"] == "2024-2025, 2023-2024"
    pupils = read_csv(client.get(
        "/export/data/school-enrollment.csv?level=school&code=10001F&year=2024").data)
    assert [(r["Niveau"], r["Filles"], r["Garçons"], r["Secret statistique"]) for r in pupils] == [
        ("5AEP", "", "", "Filles, Garçons"), ("6AEP", "", "", "Filles, Garçons")]


def test_territorial_exports_carry_no_hidden_number(apps):
    client = client_of(apps[5])
    # Province 141's communes under 5: El Maarif is 10003F (5 pupils, hidden beside
    # 10007A's 4 in the nation's qualifiant), Anfa the province's 15 minus them: both
    # hidden; the province's own 15 shown.
    rows = read_csv(client.get(
        "/export/data/ranking.csv?level=province&code=141&year=2024&indicator=enrollment").data)
    by_code = {row["Code"]: row for row in rows}
    for code in (ANFA, "141.1.3"):
        assert by_code[code]["Effectif"] == by_code[code]["Effectif scolarisé"] == ""
        assert by_code[code]["Rang"] == ""
    assert by_code["141"]["Effectif"] == "15"
    assert not {"10", "5"} & {row["Effectif"] for row in rows}
    # The nation's regions hide nothing (see the territorial units above): no secret column.
    rows = read_csv(client.get("/export/data/ranking.csv?level=national&year=2024").data)
    assert "Secret statistique" not in rows[0]
    assert {row["Code"]: row["Effectif"] for row in rows if row["Code"] in ("1", "6")} == {
        "1": "8", "6": "24"}


def test_no_pupil_identity_leaves_the_server(tiny_app, client, tiny_engine):
    (massar,), = query(tiny_engine, "SELECT massar_code FROM student LIMIT 1")
    assert MASSAR.fullmatch(massar), "the pattern must match the database's MASSAR codes"
    (school_code, commune), = query(tiny_engine, """
        SELECT e.school_code, s.commune_code FROM enrollment e
        JOIN school s ON s.code = e.school_code WHERE e.school_year = 2024
        GROUP BY 1, 2 ORDER BY count(*) DESC LIMIT 1""")
    own = f"level=school&code={school_code}&year=2024"
    listed = f"level=commune&code={commune}&year=2024"
    paths = [
        f"/api/v1/indicators?{own}", f"/api/v1/indicators?{own}&format=csv",
        f"/api/v1/children?{listed}", f"/api/v1/children?{listed}&format=csv",
        f"/api/v1/units?level=school&parent={commune}",
        f"/api/v1/units?level=school&parent={commune}&format=csv",
        *(f"/export/data/{chart}.{fmt}?{own}" for chart in (
            "kpis", "trend-chart", "school-enrollment", "school-outcomes", "school-comparison",
            "school-exams", "map") for fmt in ("csv", "xlsx")),
        *(f"/export/data/{chart}.{fmt}?{listed}" for chart in ("ranking", "map")
          for fmt in ("csv", "xlsx")),
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        if path.split("?")[0].endswith(".xlsx"):
            with zipfile.ZipFile(io.BytesIO(response.data)) as book:
                text = " ".join(book.read(name).decode("utf-8") for name in book.namelist())
        else:
            text = response.get_data(as_text=True)
        assert not MASSAR.search(text), path
        for word in ("massar", "birth"):
            assert word not in text.lower(), (path, word)


@pytest.mark.parametrize(("level", "code", "rank"), [("region", "6", "commune"),
                                                     ("national", "MA", "commune"),
                                                     ("province", "141", "school")])
@pytest.mark.parametrize("filters", ["", "&sex=F", "&cycle=primaire"])
def test_ranking_a_lower_level_shows_each_unit_as_its_own_page_does(apps, level, code, rank,
                                                                     filters):
    """A region's communes (or a province's schools) ranked together publish no cell of
    their own: each row's value, shown or hidden, is the one the unit's own cards give, so
    the ranking adds nothing to subtract from (threshold 5)."""
    client = client_of(apps[5])
    base = f"year=2024{filters}"
    cards: dict[str, dict[str, str]] = {}
    compared = hidden_seen = 0
    for indicator in indicators.INDICATORS:
        rows = read_csv(client.get(f"/export/data/ranking.csv?level={level}&code={code}"
                                   f"&rank={rank}&indicator={indicator.code}&{base}").data)
        listed = [row for row in rows if row["Code"] not in (code, "MA")  # references
                  and (row["Rang"] or row["Effectif"] != "0")]  # units with pupils
        for row in listed:
            unit = row["Code"]
            if unit not in cards:
                answer = client.get(f"/export/data/kpis.csv?level={rank}&code={unit}&{base}")
                assert answer.status_code == 200, (unit, answer.get_data(as_text=True)[:200])
                own = read_csv(answer.data)
                cards[unit] = {card["Code"]: card["2024-2025"] for card in own}
            value = row[printed(indicator.label)]
            assert value == cards[unit][indicator.code], (unit, indicator.code)
            compared += 1
            hidden_seen += value == ""
    assert compared and hidden_seen  # both shown and hidden values were compared
