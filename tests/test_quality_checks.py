"""The data-quality checks on hand-written cases: every count and base worked out by hand
from the table in ``tests/quality_cases.py``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard.data import quality
from tests.conftest import client_as, make_app, query
from tests.quality_cases import make_quality_database

#: (year, check) -> (found, examined), over the whole database, by hand.
EXPECTED = {
    # a pupil check's base is every record of the years it can look at: 1 in 2022 (Q04),
    # 56 in 2023 (Q01, Q04-Q07, Q14 and 50 J pupils), 62 in 2024; checks of the year after
    # look at 2022 and 2023, grade_skip (the year before) at 2023 and 2024
    (2022, "missing_outcome"): (0, 1),
    (2022, "missing_average"): (0, 1),  # Q04 is in abandon: nothing to find
    (2022, "returns_after_abandon"): (1, 1),  # Q04 is back in 2023
    (2022, "promoted_not_next_grade"): (0, 1),
    (2022, "repeater_moved_on"): (0, 1),
    (2022, "lost_in_transfer"): (0, 1),
    (2022, "implausible_age"): (0, 1),
    (2022, "exam_outcome_mismatch"): (0, 1),
    (2022, "average_outcome_mismatch"): (0, 1),
    (2023, "missing_outcome"): (0, 56),
    (2023, "missing_average"): (0, 56),
    (2023, "returns_after_abandon"): (0, 56),
    (2023, "promoted_not_next_grade"): (1, 56),  # Q05
    (2023, "repeater_moved_on"): (1, 56),  # Q06
    (2023, "grade_skip"): (0, 56),  # Q04, 5AEP twice
    (2023, "lost_in_transfer"): (2, 56),  # Q07, Q14
    (2023, "implausible_age"): (0, 56),
    (2023, "exam_outcome_mismatch"): (0, 56),  # Q07 passed the CEP, promoted
    (2023, "average_outcome_mismatch"): (0, 56),
    (2023, "school_silent"): (0, 1),  # 10001F had pupils in 2022, and has some
    (2024, "missing_outcome"): (1, 62),  # Q02
    (2024, "missing_average"): (1, 62),  # Q03; Q02 has no result
    (2024, "grade_skip"): (1, 62),  # Q05; Q01, Q04, Q06 and the J pupils are on track
    (2024, "implausible_age"): (1, 62),  # Q08
    (2024, "exam_outcome_mismatch"): (3, 62),  # Q09, Q10, Q11
    (2024, "average_outcome_mismatch"): (2, 62),  # Q12, Q13; Q02 and Q03 lack a number
    (2024, "school_silent"): (1, 3),  # 10004F of 10001F, 10004F, 10006A
    (2024, "enrollment_jump"): (1, 1),  # 10006A, 50 then 20 pupils
}
#: (year, school, check) -> MASSAR codes found (None: a school's own finding).
FOUND = {
    (2022, "10001F", "returns_after_abandon"): [("Q000000004", 2023, "5AEP")],
    (2023, "10001F", "promoted_not_next_grade"): [("Q000000005", 2024, "6AEP")],
    (2023, "10001F", "repeater_moved_on"): [("Q000000006", 2024, "6AEP")],
    (2023, "10001F", "lost_in_transfer"): [("Q000000007", None, None)],
    (2023, "10004F", "lost_in_transfer"): [("Q000000014", None, None)],
    (2024, "10001F", "missing_outcome"): [("Q000000002", None, None)],
    (2024, "10001F", "missing_average"): [("Q000000003", None, None)],
    (2024, "10001F", "grade_skip"): [("Q000000005", 2023, "4AEP")],
    (2024, "10001F", "implausible_age"): [("Q000000008", None, None)],
    (2024, "10001F", "exam_outcome_mismatch"): [("Q000000011", None, None)],
    (2024, "10003F", "exam_outcome_mismatch"): [("Q000000009", None, None),
                                                ("Q000000010", None, None)],
    (2024, "10001F", "average_outcome_mismatch"): [("Q000000012", None, None),
                                                   ("Q000000013", None, None)],
    (2024, "10004F", "school_silent"): [(None, None, None)],
    (2024, "10006A", "enrollment_jump"): [(None, None, None)],
}


@pytest.fixture(scope="module")
def url(tmp_path_factory, backend) -> str:
    return make_quality_database(tmp_path_factory.mktemp("quality"), backend)


@pytest.fixture()
def engine(url):
    from dashboard.db import make_engine
    engine = make_engine(url, read_only=True)  # as the apps of these tests open it
    yield engine
    engine.dispose()


def test_every_check_counts_what_it_examined_and_found(engine, url, backend, tmp_path):
    # a pupil check's rows are kept where it found something; its base is the enrollment
    rows = query(engine, "SELECT school_year, check_code, SUM(count), MIN(count) "
                         "FROM quality_stats GROUP BY school_year, check_code")
    stored = {(int(year), check): int(found) for year, check, found, least in rows
              if check in quality.PUPIL_CHECKS}
    assert all(least > 0 for _year, check, _found, least in rows
               if check in quality.PUPIL_CHECKS)
    assert stored == {key: found for key, (found, _base) in EXPECTED.items()
                      if found and key[1] in quality.PUPIL_CHECKS}
    client = client_as(make_app(url, tmp_path, backend, PILOTAGE_SMALL_CELL_THRESHOLD="0"))
    measured = {}
    for year in (2022, 2023, 2024):
        answer = client.get("/api/v1/quality", query_string={
            "level": "national", "code": "MA", "year": str(year)}).get_json()
        assert "checks" in answer, answer
        measured |= {(year, check): (values["count"], values["base"])
                     for check, values in answer["checks"].items() if values["base"]}
    # checks that examined nothing in a year have no base
    assert measured == EXPECTED


def test_every_finding_names_its_record(engine):
    rows = query(engine, "SELECT school_year, school_code, check_code, massar_code, "
                         "other_year, other_grade FROM quality_finding")
    found: dict = {}
    for year, school, check, massar, other_year, other_grade in rows:
        found.setdefault((int(year), school, check), []).append(
            (massar, None if other_year is None else int(other_year), other_grade))
    assert {key: sorted(value, key=str) for key, value in found.items()} == FOUND


def test_fields_in_question_are_kept(engine):
    ((age, grade),) = query(engine, "SELECT age, grade FROM quality_finding "
                                    "WHERE check_code = 'implausible_age'")
    assert (age, grade) == (11, "1AEP")  # born 1 January 2013, on 1 September 2024
    exams = dict(query(engine, "SELECT massar_code, exam || ':' || CAST(exam_passed AS VARCHAR)"
                               " FROM quality_finding WHERE check_code = "
                               "'exam_outcome_mismatch'"))
    assert {code: text.split(":")[0] for code, text in exams.items()} == {
        "Q000000009": "BAC", "Q000000010": "BAC", "Q000000011": "CEP"}
    ((before, now),) = query(engine, "SELECT pupils_before, pupils FROM quality_finding "
                                     "WHERE check_code = 'enrollment_jump'")
    assert (before, now) == (50, 20)


def test_the_api_gives_each_check_and_the_score(url, backend, tmp_path):
    client = client_as(make_app(url, tmp_path, backend, PILOTAGE_SMALL_CELL_THRESHOLD="0"))
    response = client.get("/api/v1/quality", query_string={
        "level": "school", "code": "10001F", "year": "2024"})
    assert response.status_code == 200, response.data[:300]
    data = response.get_json()
    assert set(data["checks"]) == set(quality.CODES)
    # 10001F in 2024: Q01-Q06, Q08, Q11-Q13 and J21-J50, 40 records
    assert data["checks"]["missing_outcome"] == {"count": 1, "base": 40, "rate": 0.025,
                                                 "suppressed": False}
    assert data["checks"]["grade_skip"]["count"] == 1
    assert data["checks"]["grade_skip"]["base"] == 40
    # 2024 is the last year: nothing to look at in the year after
    assert data["checks"]["lost_in_transfer"] == {"count": 0, "base": 0, "rate": None,
                                                  "suppressed": False}
    # Q02, Q03, Q05, Q08, Q11, Q12 and Q13 carry a finding: 33 of 40 records have none
    assert data["score"] == pytest.approx(33 / 40)
    region = client.get("/api/v1/quality", query_string={
        "level": "region", "code": "6", "year": "2024"}).get_json()
    assert region["checks"]["school_silent"] == {"count": 1, "base": 2, "rate": 0.5,
                                                 "suppressed": False}
    assert region["checks"]["exam_outcome_mismatch"]["count"] == 3
    girls = client.get("/api/v1/quality", query_string={
        "level": "school", "code": "10001F", "year": "2024", "sex": "F"}).get_json()
    # girls of 10001F in 2024: Q01, Q03, Q05, Q11, Q13 and the 15 even J pupils of J21-J50
    assert girls["checks"]["missing_average"]["count"] == 1
    assert girls["checks"]["school_silent"]["base"] == 0  # about schools, not girls
    csv = client.get("/api/v1/quality", query_string={
        "level": "school", "code": "10001F", "year": "2024", "format": "csv"})
    lines = csv.get_data().decode("utf-8-sig").splitlines()
    assert lines[0].endswith("check,count,base,rate,suppressed")
    assert len(lines) == 1 + len(quality.CODES) + 1


def test_the_funnel_limits_of_a_hand_worked_province():
    """Ten schools of 100 pupils, nine with 10 dropouts and one with 60. By hand: p0 = 0.15,
    s² = 0.15 × 0.85 / 100 = 0.001275; z = -1.40028 nine times and 12.6025; winsorised at
    the 10th and 90th percentiles (-1.40028 and 0.0000) φ = 9 × 1.96078 / 10 = 1.76471;
    w = 784.314 each, τ² = (10φ - 9) / (7843.14 - 784.314) = 0.0012250; the limits are
    0.15 ± 3.0902 × √(0.001275 + 0.001225) = 0.15 ± 0.154512."""
    n = np.full(10, 100.0)
    y = np.array([10.0] * 9 + [60.0])
    low, high = quality.funnel_limits(n, y)
    assert high == pytest.approx(np.full(10, 0.304512), abs=1e-5)
    assert low == pytest.approx(np.full(10, -0.004512), abs=1e-5)
    schools = pd.DataFrame({
        "school_year": 2024, "province_code": "141", "school_code": [f"S{i}" for i in range(10)],
        "n": n, "dropouts": y, "repeaters": np.full(10, 5.0)})
    found, examined = quality.outliers(schools)
    assert list(found["school_code"]) == ["S9"] and examined.all()
    # without over-dispersion the nine ordinary schools would sit inside too, but a province
    # of four schools has no funnel at all
    none, examined = quality.outliers(schools.head(4))
    assert none.empty and not examined.any()


def test_a_finding_corrected_by_a_new_import_is_closed_automatically(backend, tmp_path):
    """Q02's missing result at 10001F in 2024 is marked "à corriger"; the result arrives
    and the data are built again: the next reading of the view closes the finding, saying
    why, and leaves the other school's open finding open."""
    from dashboard.app_state import state_of
    from dashboard.data.build import build
    from dashboard.db import make_engine
    from dashboard.web import followup
    from queries import NATIONAL_SCOPE

    url = make_quality_database(tmp_path, backend, "quality_closing")
    engine = make_engine(url)
    with engine.begin() as conn:  # the result arrives with a new import, built again
        conn.exec_driver_sql("UPDATE enrollment SET outcome = 'promu' "
                             "WHERE massar_code = 'Q000000002'")
    build(engine)
    engine.dispose()
    # the marks the register held from before (the state database is the app's own)
    app = make_app(url, tmp_path, backend, PILOTAGE_SMALL_CELL_THRESHOLD="0")
    state = state_of(app.server).state_engine
    anfa = {"code": "10001F", "commune_code": "141.1.1", "province_code": "141",
            "region_code": "6"}
    lycee = {**anfa, "code": "10003F", "commune_code": "141.1.3"}
    followup.mark(state, anfa, 2024, "missing_outcome", "a_corriger", "à saisir", "national")
    followup.mark(state, lycee, 2024, "exam_outcome_mismatch", "a_corriger", "", "national")
    client = client_as(app)
    view = {"level": "province", "code": "141", "year": 2024, "cycle": "all", "sector": "all",
            "milieu": "all", "sex": "all", "indicator": "dropout_rate"}
    key = next(k for k in app.callback_map if "..quality-cards." in f"..{k}")
    outputs = [{"id": part.split(".")[0], "property": part.split(".")[1]}
               for part in key.strip(".").split("...")]
    answer = client.post("/_dash-update-component", json={
        "output": key, "outputs": outputs, "changedPropIds": ["view.data"], "state": [],
        "inputs": [{"id": "view", "property": "data", "value": view},
                   {"id": "quality-marks", "property": "data", "value": None}]})
    assert answer.status_code == 200, answer.data[:300]
    current = followup.latest(followup.register(state, NATIONAL_SCOPE)).set_index(
        "school_code")
    assert current.loc["10001F", "status"] == "clos_auto"
    assert "version 2" in current.loc["10001F", "comment"]
    assert pd.isna(current.loc["10001F", "username"])
    assert current.loc["10003F", "status"] == "a_corriger"
    assert "Clos automatiquement" in answer.get_data(as_text=True)


def _csv(response) -> list[dict]:
    import csv
    import io

    assert response.status_code == 200, response.data[:300]
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_the_views_files_give_the_numbers_of_the_api(url, backend, tmp_path):
    """The checks, trend, map, ranking and funnel download as the quality API and the
    hand-worked table give them, following the check of the address; the pupils' list is
    no such file, and another region's unit is refused."""
    app = make_app(url, tmp_path, backend, PILOTAGE_SMALL_CELL_THRESHOLD="0")
    client = client_as(app)
    school = {"level": "school", "code": "10001F", "year": "2024"}
    rows = {row["Code"]: row for row in _csv(client.get("/export/data/quality-checks.csv",
                                                        query_string=school))}
    api = client.get("/api/v1/quality", query_string=school).get_json()["checks"]
    assert set(rows) == set(quality.CODES)
    for check, values in api.items():
        assert int(rows[check]["Constats"]) == values["count"]
        assert int(rows[check]["Examinés"]) == values["base"]
    # missing_average by year at Morocco: 0/1 in 2022, 0/56 in 2023, 1/62 in 2024
    trend = _csv(client.get("/export/data/quality-trend.csv", query_string={
        "level": "national", "code": "MA", "year": "2024", "check": "missing_average"}))
    values = {row["Année scolaire"]: float(row[next(iter(row.keys() - {"Année scolaire"}))])
              for row in trend}
    assert values == {"2022-2023": 0, "2023-2024": 0, "2024-2025": round(1 / 62, 6)}  # 6 decimals
    # the province's communes by lost_in_transfer in 2023: Anfa 1 of 5, El Maarif none
    province = {"level": "province", "code": "141", "year": "2023",
                "check": "lost_in_transfer"}
    ranked = {row["Code"]: row for row in _csv(client.get(
        "/export/data/quality-ranking.csv", query_string=province))}
    assert (ranked["141.1.1"]["Constats"], ranked["141.1.1"]["Examinés"]) == ("1", "5")
    mapped = {row["Code"]: row for row in _csv(client.get(
        "/export/data/quality-map.csv", query_string=province))}
    assert float(next(v for k, v in mapped["141.1.1"].items() if k.startswith(
        "Perdu"))) == pytest.approx(1 / 5)
    image = client.get("/export/chart/quality-funnel.png", query_string=province)
    assert image.status_code == 200 and image.data[:4] == b"\x89PNG"
    name = image.headers["Content-Disposition"]
    assert "lost-in-transfer" in name or "lost_in_transfer" in name
    assert client.get("/export/data/quality-pupils.csv", query_string=school).status_code == 404
    assert client.get("/export/data/quality-checks.csv", query_string={
        **school, "check": "no_such_check"}).status_code == 400
    other = client_as(app, "region1")
    assert other.get("/export/data/quality-checks.csv",
                     query_string=school).status_code == 403
