"""Small-cell suppression (law 09-08): which cells of a school are hidden, and that pages,
callbacks, the API and exports all hide them.

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

import pytest
from openpyxl import load_workbook

from callbacks import maps, school, unit
from dashboard import create_app, indicators
from dashboard.auth.users import add_user
from dashboard.auth.web import STATE_ENGINE_KEY
from dashboard.formatting import SECRET, format_cell, format_value
from layouts import definitions, figures
from queries import NATIONAL_SCOPE, privacy, stats
from queries.filters import Filters
from tests.conftest import PASSWORD, log_in, query, request_as
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
        add_user(app.server.extensions[STATE_ENGINE_KEY], "national", PASSWORD, "national", "MA")
        result[threshold] = app
    yield result
    for app in result.values():
        app.server.extensions["pilotage.engine"].dispose()


def client_of(app):
    """Return a test client of ``app`` logged in as its national user."""
    client = app.server.test_client()
    assert log_in(client).status_code == 302
    return client


def hidden(row) -> set[str]:
    return set(privacy.suppressed_codes(row))


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
    assert set(cells["dropout_rate"]) == {"dropouts", "enrolled"}
    assert set(cells["success_rate_BAC"]) == {"bac_passed", "bac_failed", "bac_candidates"}
    assert cells["mean_score"] == ("average_count",)


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
    # 10002F: 4 pupils, 2 girls, 2 boys, 0 dropouts, 1 repeater, 3 promoted, REG 2 passed of
    # 3 (1 failed), 3 averages. Under 3: girls, boys, the repeater, REG passes and failure.
    # Its 3 promoted are hidden too: beside 0 dropouts, the 1 repeater could be subtracted.
    school = rows["10002F"]
    assert hidden(school) == {"girls_share", "repetition_rate", "promotion_rate",
                              "success_rate_REG"}
    assert school["enrollment"] == 4 and school["dropout_rate"] == 0
    assert school["mean_score"] == pytest.approx(42.5 / 3)
    assert math.isnan(school["promoted"]) and math.isnan(school["girls"])
    assert all(math.isnan(school[code]) for code in hidden(school))
    # 10001F: 6 pupils, 3 girls, 3 boys, 1 dropout, 2 repeaters, 3 promoted, CEP 2 of 4.
    # Under 3: the dropout, the repeaters, CEP passes and failures. Complements, as the only
    # other school of Anfa: its 3 girls, 3 boys and 3 promoted (10002F's are hidden).
    school = rows["10001F"]
    assert hidden(school) == {"girls_share", "dropout_rate", "repetition_rate",
                              "promotion_rate", "success_rate_CEP"}
    assert school["enrollment"] == 6 and school["mean_score"] == pytest.approx(60.5 / 5)
    assert school["cep_candidates"] == 4 and math.isnan(school["cep_passed"])
    assert not privacy.is_suppressed(school, "success_rate_REG")  # no data, not a secret


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
    everything = set(indicators.CODES)
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
    assert hidden(grades["5AEP"]) == {"enrollment", "girls_share", "dropout_rate",
                                      "repetition_rate", "promotion_rate", "mean_score"}
    assert privacy.is_small(grades["5AEP"])
    # 6AEP: 4 pupils, the only other grade of the school: hidden so that the school's 6
    # minus 6AEP cannot give 5AEP back; its 3 averages likewise (5AEP has 2).
    assert hidden(grades["6AEP"]) == {"enrollment", "girls_share", "dropout_rate",
                                      "repetition_rate", "promotion_rate", "success_rate_CEP",
                                      "mean_score"}
    assert not privacy.is_small(grades["6AEP"])
    assert math.isnan(grades["6AEP"]["enrolled"]) and grades["6AEP"]["cep_candidates"] == 4


def test_sexes_of_a_school_with_a_complementary_mean_score(apps):
    with apps[3].server.app_context():
        sexes = by_key(stats.breakdown("school", "10001F", YEAR, NATIONAL_SCOPE, "sex"), "sex")
    # F: P01, P03, P05: 3 pupils, 0 dropouts, 1 repeater, 2 promoted, 3 averages, CEP 1 of 2.
    # M: P02, P04, P06: 3 pupils, 1 dropout, 1 repeater, 1 promoted, 2 averages, CEP 1 of 2.
    girls, boys = sexes["F"], sexes["M"]
    assert girls["enrollment"] == boys["enrollment"] == 3
    assert girls["dropout_rate"] == 0
    # The school's girls and outcomes are hidden (previous test), so are their parts; the
    # girls' 3 averages hide as the complement of the boys' 2.
    assert hidden(girls) == {"girls_share", "repetition_rate", "promotion_rate",
                             "success_rate_CEP", "mean_score"}
    assert hidden(boys) == {"girls_share", "dropout_rate", "repetition_rate",
                            "promotion_rate", "success_rate_CEP", "mean_score"}


def test_grade_by_sex_hides_complementary_cells(apps):
    with apps[2].server.app_context():
        frame = stats.grade_by_sex("school", "10001F", YEAR, NATIONAL_SCOPE)
    cells = {(row["grade"], row["sex"]): row for _, row in frame.iterrows()}
    # 5AEP: 1 girl, 1 boy, under 2. 6AEP: 2 girls, 2 boys, each the only other cell of its
    # sex, so hidden as complements.
    assert all(privacy.is_suppressed(row, "enrollment") for row in cells.values())
    assert privacy.is_small(cells["5AEP", "F"]) and privacy.is_small(cells["5AEP", "M"])
    assert not privacy.is_small(cells["6AEP", "F"]) and not privacy.is_small(cells["6AEP", "M"])


def test_territorial_units_are_never_suppressed(apps):
    views = [("national", "MA"), ("region", "6"), ("province", "141"), ("commune", ANFA)]
    frames = {}
    for threshold in (0, 5):
        with apps[threshold].server.app_context():
            frames[threshold] = [
                *(stats.unit_indicators(level, code, YEAR, NATIONAL_SCOPE)
                  for level, code in views),
                *(stats.breakdown(level, code, YEAR, NATIONAL_SCOPE, "grade")
                  for level, code in views),
                stats.children_indicators("province", "141", YEAR, NATIONAL_SCOPE),
                stats.grade_by_sex("commune", ANFA, YEAR, NATIONAL_SCOPE),
            ]
    for shown, checked in zip(frames[0], frames[5], strict=True):
        assert not any(hidden(row) for _, row in checked.iterrows())
        codes = list(indicators.CODES)
        assert checked[codes].equals(shown[codes])
    anfa = frames[5][3].iloc[1]
    assert anfa["enrollment"] == 10 and anfa["dropout_rate"] == pytest.approx(1 / 10)


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
                "success_rate_REG", "mean_score"]
    assert data["suppressed"] == expected
    assert all(data["indicators"][code] is None for code in indicators.CODES)
    assert data["previous_year_suppressed"] == expected  # 3 pupils, 2 REG candidates
    commune = client.get(f"/api/v1/indicators?level=commune&code={ANFA}&year=2024").get_json()
    assert commune["suppressed"] == [] and commune["indicators"]["enrollment"] == 10
    children = client.get(f"/api/v1/children?level=commune&code={ANFA}&year=2024").get_json()
    listed = {c["unit"]["code"]: c for c in children["children"]}
    assert listed["10002F"]["suppressed"] == expected
    assert listed["10001F"]["indicators"]["enrollment"] is None  # the complement
    assert "enrollment" in listed["10001F"]["suppressed"]
    regions = client.get("/api/v1/children?level=national&year=2024").get_json()["children"]
    assert all(region["suppressed"] == [] for region in regions)


def test_api_csv_leaves_hidden_cells_empty_and_names_them(apps):
    client = client_of(apps[5])
    response = client.get(f"/api/v1/children?level=commune&code={ANFA}&year=2024&format=csv")
    rows = {row["code"]: row for row in read_csv(response.data)}
    row = rows["10002F"]
    assert row["enrollment"] == "" and row["girls_share"] == ""
    assert row["suppressed"].split() == ["enrollment", "girls_share", "dropout_rate",
                                         "repetition_rate", "promotion_rate",
                                         "success_rate_REG", "mean_score"]
    assert "4" not in [row[code] for code in indicators.CODES]


# --- pages --------------------------------------------------------------------------------


def test_kpi_cards_show_the_threshold_and_the_secret_mark(apps):
    with request_as(apps[5]):
        small, _empty = call(unit.update_kpis, view("school", "10002F"),
                             {"level": "school", "code": "10002F"})
        other, _empty = call(unit.update_kpis, view("school", "10001F"),
                             {"level": "school", "code": "10001F"})
    cards = dict(zip(indicators.CODES, small, strict=True))
    value = cards["enrollment"].children[1]
    assert value.children == "< 5"
    assert "moins de 5 élèves" in value.title
    assert cards["dropout_rate"].children[1].children == "secret"
    assert cards["success_rate_CEP"].children[1].children == "—"  # no candidates: no data
    assert dict(zip(indicators.CODES, other, strict=True))["enrollment"].children[1].children == (
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
    assert pinned[0]["enrollment"] == 10  # Anfa itself
    value = next(c for c in columns if c["field"] == "value")
    assert "frMarked" in value["valueFormatter"]["function"]
    with request_as(apps[3]):
        rows, _columns, _pinned = call(unit.update_ranking, view("commune", ANFA),
                                       {"level": "commune", "code": ANFA})
    by_code = {row["code"]: row for row in rows}
    assert by_code["10002F"]["value"] == 0 and by_code["10002F"]["rank"] == 1
    assert by_code["10001F"]["suppressed"] and by_code["10001F"]["enrollment"] == 6


def test_map_points_of_hidden_values_have_no_colour(apps):
    with request_as(apps[3]):
        figure = call(maps.update_map, view("commune", ANFA), {"level": "commune", "code": ANFA})
    (points,) = [trace for trace in figure.data if trace.type == "scattergeo"]
    colours = dict(zip(points.customdata, points.marker.color, strict=True))
    texts = dict(zip(points.customdata, points.text, strict=True))
    assert colours["10001F"] == figures.SECRET_POINT and texts["10001F"].endswith("secret")
    assert colours["10002F"] != figures.SECRET_POINT and texts["10002F"].endswith("0,0\u00a0%")


def test_school_charts_do_not_draw_hidden_bars(apps):
    with request_as(apps[2]):
        # 10003F: TC 1 pupil, 1BAC 1 pupil, 2BAC 3 pupils
        grades = call(unit.update_breakdown_grade, view("school", "10003F", indicator="enrollment"),
                      {"level": "school", "code": "10003F"})
        pupils = call(school.update_school_enrollment, view("school", "10001F"),
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
    total = next(row for row in rows if row["Nom"] == "Ensemble : Anfa")
    assert total["Effectif"] == "10" and total["Secret statistique"] == ""

    book = load_workbook(io.BytesIO(client.get(f"/export/data/ranking.xlsx?{params}").data))
    sheet = book["Données"]
    header = [cell.value for cell in sheet[1]]
    for line in sheet.iter_rows(min_row=2, values_only=True):
        row = dict(zip(header, line, strict=True))
        if row["Code"] in ("10001F", "10002F"):
            assert row["Effectif scolarisé"] is None and row["Effectif"] is None
            assert row["Secret statistique"] == "Effectif scolarisé, Effectif"

    kpis = read_csv(client.get("/export/data/kpis.csv?level=school&code=10002F&year=2024").data)
    for row in kpis:
        if row["Code"] in ("success_rate_CEP", "success_rate_BAC"):  # no data, not secret
            assert row["Secret statistique"] == ""
        else:
            assert row["2024-2025"] == row["2023-2024"] == ""
            assert row["Secret statistique"] == "2024-2025, 2023-2024"
    pupils = read_csv(client.get(
        "/export/data/school-enrollment.csv?level=school&code=10001F&year=2024").data)
    assert [(r["Niveau"], r["Filles"], r["Garçons"], r["Secret statistique"]) for r in pupils] == [
        ("5AEP", "", "", "Filles, Garçons"), ("6AEP", "", "", "Filles, Garçons")]


def test_territorial_exports_have_no_secret_column(apps):
    client = client_of(apps[5])
    rows = read_csv(client.get("/export/data/ranking.csv?level=province&code=141&year=2024").data)
    assert "Secret statistique" not in rows[0]
    assert {row["Code"]: row["Effectif"] for row in rows}["141.1.1"] == "10"


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
