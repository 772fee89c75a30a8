"""The read API agrees with plain SQL over the raw tables, and refuses bad requests cleanly.

Expected values are computed here from ``enrollment``, ``student``, ``school`` and
``exam_result`` with SQL written in the test, never through ``queries/``, so a wrong
analytics build or a wrong indicator formula shows up as a mismatch.
"""

from __future__ import annotations

import csv
import io
import logging

import duckdb
import pytest

import dashboard.web.api as api_module
from dashboard import create_app, indicators
from dashboard.app_state import state_of
from dashboard.web.auth.users import add_user
from queries import Scope
from tests.conftest import PASSWORD, log_in, query

CODES = indicators.CODES
POPULATIONS = ("population_6_11", "population_12_14", "population_15_17")
RATES = [i.code for i in indicators.INDICATORS if i.is_rate]
#: The cycle filter selects pupils by grade, as the design reference defines it.
GRADES = {
    "primaire": "('1AEP', '2AEP', '3AEP', '4AEP', '5AEP', '6AEP')",
    "college": "('1AC', '2AC', '3AC')",
    "qualifiant": "('TC', '1BAC', '2BAC')",
}
UNIT_CONDITION = {
    "region": "p.region_code = :code",
    "province": "c.province_code = :code",
    "commune": "s.commune_code = :code",
    "school": "e.school_code = :code",
}
PUPILS = """
    FROM enrollment e
    JOIN student st ON st.massar_code = e.massar_code
    JOIN school s ON s.code = e.school_code
    JOIN commune c ON c.code = s.commune_code
    JOIN province p ON p.code = c.province_code
"""


def plain_indicators(engine, level="national", code=None, year=2024, **filters) -> dict:
    """Compute every indicator of a unit from the raw tables with plain SQL."""
    conditions = ["e.school_year = :year"]
    params: dict = {"year": year}
    if level != "national":
        conditions.append(UNIT_CONDITION[level])
        params["code"] = code
    if "cycle" in filters:
        conditions.append(f"e.grade IN {GRADES[filters['cycle']]}")
    for name, column in (("sector", "s.sector"), ("milieu", "s.milieu"), ("sex", "st.sex")):
        if name in filters:
            conditions.append(f"{column} = :{name}")
            params[name] = filters[name]
    where = " AND ".join(conditions)
    (enrolled, decided, flagged, girls, dropouts, repeaters, promoted, mean), = query(
        engine,
        f"""SELECT count(*), count(e.outcome),
                   sum(CASE WHEN EXISTS (SELECT 1 FROM quality_finding f
                                         WHERE f.massar_code = e.massar_code
                                           AND f.school_year = e.school_year)
                            THEN 1 ELSE 0 END),
                   sum(CASE WHEN st.sex = 'F' THEN 1 ELSE 0 END),
                   sum(CASE WHEN e.outcome = 'abandon' THEN 1 ELSE 0 END),
                   sum(CASE WHEN e.outcome = 'redoublant' THEN 1 ELSE 0 END),
                   sum(CASE WHEN e.outcome IN ('promu', 'diplome') THEN 1 ELSE 0 END),
                   avg(e.annual_average)
            {PUPILS} WHERE {where}""",
        **params,
    )
    exams = {
        exam: (candidates, passed)
        for exam, candidates, passed in query(
            engine,
            f"""SELECT x.exam, count(*), sum(CASE WHEN x.passed THEN 1 ELSE 0 END)
                FROM exam_result x
                JOIN (SELECT e.massar_code, e.school_year {PUPILS} WHERE {where}) pupils
                  ON pupils.massar_code = x.massar_code AND pupils.school_year = x.school_year
                GROUP BY x.exam""",
            **params,
        )
    }

    def ratio(numerator, denominator):
        return numerator / denominator if denominator else None

    expected = {
        "enrollment": enrolled,
        "girls_share": None if "sex" in filters else ratio(girls, enrolled),
        "dropout_rate": ratio(dropouts, decided),
        "repetition_rate": ratio(repeaters, decided),
        "promotion_rate": ratio(promoted, decided),
        "mean_score": None if mean is None else float(mean),
        # records without a finding of the data-quality checks
        "quality_score": ratio(enrolled - (flagged or 0), enrolled),
    }
    for exam in ("CEP", "REG", "BAC"):
        expected[f"success_rate_{exam}"] = ratio(*exams.get(exam, (0, 0))[::-1])
    expected.update(plain_schooling(engine, level, code, year, where, params, filters))
    return expected


#: The official ages of each cycle, as the design reference gives them.
OFFICIAL = {"primaire": (6, 11), "college": (12, 14), "qualifiant": (15, 17)}
#: A pupil's age in completed years on 1 September of the school year.
AGE = """(e.school_year - EXTRACT(YEAR FROM st.birth_date)
          - CASE WHEN EXTRACT(MONTH FROM st.birth_date) * 100 + EXTRACT(DAY FROM st.birth_date)
                      > 901 THEN 1 ELSE 0 END)"""
COMMUNES_OF = {
    "national": "SELECT code FROM commune",
    "region": "SELECT c.code FROM commune c JOIN province p ON p.code = c.province_code "
              "WHERE p.region_code = :code",
    "province": "SELECT code FROM commune WHERE province_code = :code",
    "commune": "SELECT code FROM commune WHERE code = :code",
}


def plain_schooling(engine, level, code, year, where, params, filters) -> dict:
    """The rates to the census population: pupils counted by SQL, over the ``population``
    table's children of the unit (its communes of the milieu under a milieu filter)."""
    if level == "school":  # a school has no population
        return {f"{kind}_{cycle}": None for kind in ("gross_enrollment_ratio",
                                                     "net_enrollment_ratio")
                for cycle in OFFICIAL} | {f"enrollment_rate_{a}_{b}": None
                                          for a, b in OFFICIAL.values()}
    cycle_of = {grade: cycle for cycle, grades in GRADES.items()
                for grade in grades.strip("()").replace("'", "").split(", ")}
    pupils = query(engine, f"SELECT e.grade, {AGE} {PUPILS} WHERE {where}", **params)
    population_where = ["year = :year", "age BETWEEN :first AND :last"]
    if "sex" in filters:
        population_where.append("sex = :sex")
    if "milieu" in filters:
        population_where += ["level = 'commune'",
                             f"code IN ({COMMUNES_OF[level]}) AND code IN "
                             "(SELECT code FROM commune WHERE milieu = :milieu)"]
    else:
        population_where += ["level = :level",
                             "code = :unit" if level != "national" else "code = 'MA'"]
    found = {}
    for cycle, (first, last) in OFFICIAL.items():
        (people,), = query(engine, f"SELECT sum(population) FROM population "
                                   f"WHERE {' AND '.join(population_where)}",
                           **params, level=level, unit=code, first=first, last=last)
        aged = sum(1 for _grade, age in pupils if first <= age <= last)
        of_cycle = [age for grade, age in pupils if cycle_of[grade] == cycle]
        official = sum(1 for age in of_cycle if first <= age <= last)
        other_cycle = "cycle" in filters and filters["cycle"] != cycle

        def rate(count, people=people, hidden=False):
            return None if hidden or not people else count / float(people)

        found[f"enrollment_rate_{first}_{last}"] = rate(aged, hidden="cycle" in filters)
        found[f"gross_enrollment_ratio_{cycle}"] = rate(len(of_cycle), hidden=other_cycle)
        found[f"net_enrollment_ratio_{cycle}"] = rate(official, hidden=other_cycle)
    return found


def assert_same(actual: dict, expected: dict, hidden: list[str] = ()) -> None:
    """Compare API values with plain-SQL ones, allowing only the API's rounding.

    ``hidden``: codes small-cell suppression hides (tests/test_privacy.py checks which).
    """
    assert set(actual) == set(CODES) | set(POPULATIONS)
    for code in CODES:
        if code in hidden or expected[code] is None:
            assert actual[code] is None, code
        elif code == "enrollment":
            assert actual[code] == expected[code]
            assert isinstance(actual[code], int)
        else:
            tolerance = 1e-4 if code == "mean_score" else 1e-6
            assert actual[code] == pytest.approx(expected[code], abs=tolerance), code


def get_json(client, path: str, status: int = 200, **params) -> dict:
    response = client.get(path, query_string=params)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


def busiest(engine, column: str, every: bool = False):
    """Return the code (school or commune) with the most pupils in 2024; with ``every``,
    all of them, the busiest first."""
    rows = query(
        engine,
        f"""SELECT {column}, count(*) AS pupils {PUPILS}
            WHERE e.school_year = 2024 GROUP BY {column} ORDER BY pupils DESC, {column}""",
    )
    return [code for code, _pupils in rows] if every else rows[0][0]


def read_csv(response) -> list[dict[str, str]]:
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def from_csv(cell: str):
    return None if cell == "" else float(cell)


# --- indicators -----------------------------------------------------------------------------


def test_national_indicators_match_plain_sql(client, tiny_engine):
    data = get_json(client, "/api/v1/indicators", level="national")
    (pupils,), = query(tiny_engine, "SELECT count(*) FROM enrollment WHERE school_year = 2024")
    assert data["unit"] == {"level": "national", "code": "MA", "name_fr": "Maroc",
                            "name_ar": "المغرب"}
    assert data["filters"] == {"year": 2024, "cycle": "all", "sector": "all", "milieu": "all",
                               "sex": "all"}
    assert data["indicators"]["enrollment"] == pupils
    (dropouts,), = query(
        tiny_engine,
        "SELECT count(*) FROM enrollment WHERE school_year = 2024 AND outcome = 'abandon'",
    )
    assert data["indicators"]["dropout_rate"] == pytest.approx(dropouts / pupils, abs=1e-6)
    (candidates, passed), = query(
        tiny_engine,
        """SELECT count(*), sum(CASE WHEN x.passed THEN 1 ELSE 0 END)
           FROM exam_result x JOIN enrollment e
             ON e.massar_code = x.massar_code AND e.school_year = x.school_year
           WHERE x.exam = 'BAC' AND x.school_year = 2024""",
    )
    assert data["indicators"]["success_rate_BAC"] == pytest.approx(passed / candidates, abs=1e-6)
    assert_same(data["indicators"], plain_indicators(tiny_engine))
    assert_same(data["previous_year"], plain_indicators(tiny_engine, year=2023))
    assert isinstance(data["data_version"], int)


@pytest.mark.parametrize(
    "filters",
    [
        {"cycle": "college", "sex": "F"},
        {"sector": "prive"},
        {"milieu": "rural"},
        {"cycle": "qualifiant", "milieu": "urbain"},
        {"cycle": "primaire", "sex": "M", "year": 2022},
    ],
    ids=lambda filters: "-".join(f"{k}={v}" for k, v in filters.items()),
)
def test_filtered_national_indicators_match_plain_sql(client, tiny_engine, filters):
    data = get_json(client, "/api/v1/indicators", level="national", **filters)
    year = filters.pop("year", 2024)
    assert data["filters"]["year"] == year
    # a filter that isolates a few schools may hide a count (tests/test_differencing.py
    # checks which); every count shown is the plain-SQL one
    assert_same(data["indicators"], plain_indicators(tiny_engine, year=year, **filters),
                data["suppressed"])
    assert_same(data["previous_year"], plain_indicators(tiny_engine, year=year - 1, **filters),
                data["previous_year_suppressed"])


def test_region_and_province_indicators_match_plain_sql(client, tiny_engine):
    for level, code in (("region", "6"), ("province", "141"), ("province", "81")):
        data = get_json(client, "/api/v1/indicators", level=level, code=code)
        assert data["unit"]["level"] == level and data["unit"]["code"] == code
        assert "enrollment" not in data["suppressed"]  # a whole region or province shows its pupils
        # an exam sat, or a cycle taught, in one small school of the unit is that school's:
        # hidden, with the cycle's ratios to the population; a few pupils of an age in
        # another cycle (11-year-olds in collège) hide that age's count in a cycle too
        assert set(data["suppressed"]) <= {
            "success_rate_CEP", "success_rate_REG", "success_rate_BAC",
            *(f"{kind}_{cycle}" for kind in ("gross_enrollment_ratio", "net_enrollment_ratio")
              for cycle in ("primaire", "college", "qualifiant"))}
        assert_same(data["indicators"], plain_indicators(tiny_engine, level, code),
                    data["suppressed"])
        filtered = get_json(client, "/api/v1/indicators", level=level, code=code, sex="F",
                            sector="public")
        expected = plain_indicators(tiny_engine, level, code, sex="F", sector="public")
        assert filtered["indicators"]["enrollment"] == expected["enrollment"]
        assert_same(filtered["indicators"], expected, filtered["suppressed"])


def test_commune_and_school_indicators_match_plain_sql(client, tiny_engine):
    # the busiest commune and school whose pupils are shown (a large commune may be hidden
    # as the complement of a small one in its province: tests/test_differencing.py)
    for level, column in (("commune", "s.commune_code"), ("school", "e.school_code")):
        data = next(data for data in (get_json(client, "/api/v1/indicators", level=level,
                                               code=code)
                                      for code in busiest(tiny_engine, column, every=True))
                    if data["indicators"]["enrollment"])
        code = data["unit"]["code"]
        assert data["indicators"]["enrollment"] > 0
        assert_same(data["indicators"], plain_indicators(tiny_engine, level, code),
                    data["suppressed"])
        assert_same(data["previous_year"], plain_indicators(tiny_engine, level, code, year=2023),
                    data["previous_year_suppressed"])


def test_girls_share_is_null_under_a_sex_filter(client, tiny_engine):
    data = get_json(client, "/api/v1/indicators", level="national", sex="F")
    assert data["indicators"]["girls_share"] is None
    assert data["previous_year"]["girls_share"] is None
    (girls,), = query(
        tiny_engine,
        """SELECT count(*) FROM enrollment e JOIN student st ON st.massar_code = e.massar_code
           WHERE e.school_year = 2024 AND st.sex = 'F'""",
    )
    assert data["indicators"]["enrollment"] == girls


def test_no_pupils_gives_zero_enrollment_and_no_rates(client, tiny_engine):
    (school,), = query(
        tiny_engine, "SELECT code FROM school WHERE cycle = 'primaire' ORDER BY code LIMIT 1"
    )
    assert plain_indicators(tiny_engine, "school", school, cycle="college")["enrollment"] == 0
    data = get_json(client, "/api/v1/indicators", level="school", code=school, cycle="college")
    assert data["indicators"]["enrollment"] == 0
    assert all(data["indicators"][code] is None for code in CODES if code != "enrollment")
    # A province of the geography without any school in the tiny data.
    empty = get_json(client, "/api/v1/indicators", level="province", code="111")
    assert empty["indicators"]["enrollment"] == 0
    assert empty["indicators"]["mean_score"] is None


def test_earliest_year_has_an_empty_previous_year(client):
    data = get_json(client, "/api/v1/indicators", level="national", year="2021")
    assert data["indicators"]["enrollment"] > 0
    assert data["previous_year"]["enrollment"] == 0
    assert data["previous_year"]["dropout_rate"] is None


def test_responses_may_be_cached_privately_for_a_minute(client):
    response = client.get("/api/v1/indicators?level=national")
    assert response.headers["Cache-Control"] == "private, max-age=60"


# --- children and units ---------------------------------------------------------------------


def test_children_of_a_region_list_its_provinces(client, tiny_engine):
    data = get_json(client, "/api/v1/children", level="region", code="6")
    provinces = query(tiny_engine, "SELECT code, name_fr FROM province WHERE region_code = '6'")
    assert len(provinces) == 9
    listed = [child["unit"] for child in data["children"]]
    assert {unit["code"] for unit in listed} == {code for code, _ in provinces}
    assert all(unit["level"] == "province" for unit in listed)
    assert [unit["name_fr"] for unit in listed] == sorted(name for _, name in provinces)
    total = sum(child["indicators"]["enrollment"] for child in data["children"])
    assert total == plain_indicators(tiny_engine, "region", "6")["enrollment"]
    for child in data["children"]:
        if child["unit"]["code"] != "141":  # no schools in the tiny data
            assert child["indicators"]["enrollment"] == 0
            assert child["indicators"]["dropout_rate"] is None


@pytest.mark.parametrize("filters", [{}, {"sex": "F", "cycle": "college"}, {"year": "2022"}])
def test_child_values_equal_the_unit_route(client, filters):
    data = get_json(client, "/api/v1/children", level="region", code="6", **filters)
    (child,) = [c for c in data["children"] if c["unit"]["code"] == "141"]
    alone = get_json(client, "/api/v1/indicators", level="province", code="141", **filters)
    assert child["unit"] == alone["unit"]
    assert child["indicators"] == alone["indicators"]
    assert child["previous_year"] == alone["previous_year"]
    assert data["filters"] == alone["filters"]


def test_children_of_the_nation_and_of_a_commune(client, tiny_engine):
    regions = get_json(client, "/api/v1/children", level="national")["children"]
    assert len(regions) == 12
    commune = busiest(tiny_engine, "s.commune_code")
    schools = get_json(client, "/api/v1/children", level="commune", code=commune)["children"]
    expected = query(tiny_engine, "SELECT code FROM school WHERE commune_code = :code",
                     code=commune)
    assert {s["unit"]["code"] for s in schools} == {code for code, in expected}
    for school in schools:
        code = school["unit"]["code"]
        assert_same(school["indicators"], plain_indicators(tiny_engine, "school", code),
                    school["suppressed"])


def test_a_school_has_no_children(client, tiny_engine):
    (school,), = query(tiny_engine, "SELECT code FROM school ORDER BY code LIMIT 1")
    error = get_json(client, "/api/v1/children", 400, level="school", code=school)["error"]
    assert error["parameter"] == "level"
    assert "school" in error["message"]


def test_units_of_a_region_have_arabic_names(client, tiny_engine):
    data = get_json(client, "/api/v1/units", level="province", parent="6")
    expected = dict(query(tiny_engine,
                          "SELECT code, name_ar FROM province WHERE region_code = '6'"))
    assert len(data["units"]) == 9
    assert {unit["code"]: unit["name_ar"] for unit in data["units"]} == expected
    assert all(any("\u0600" <= ch <= "\u06ff" for ch in unit["name_ar"]) for unit in data["units"])
    assert all(unit["parent_code"] == "6" for unit in data["units"])
    assert len(get_json(client, "/api/v1/units", level="province")["units"]) == 75


def test_units_of_a_commune_are_schools_with_attributes(client, tiny_engine):
    commune = busiest(tiny_engine, "s.commune_code")
    data = get_json(client, "/api/v1/units", level="school", parent=commune)
    expected = query(
        tiny_engine,
        "SELECT code, cycle, sector, milieu, latitude, longitude FROM school "
        "WHERE commune_code = :code ORDER BY code",
        code=commune,
    )
    fields = ("code", "cycle", "sector", "milieu", "latitude", "longitude")
    assert [tuple(unit[name] for name in fields) for unit in data["units"]] == expected


def test_units_with_an_unknown_parent_is_not_found(client):
    error = get_json(client, "/api/v1/units", 404, level="province", parent="99")["error"]
    assert error["parameter"] == "parent"


# --- CSV ------------------------------------------------------------------------------------


def test_indicators_csv_equals_json(client):
    params = {"level": "province", "code": "141", "cycle": "college"}
    data = get_json(client, "/api/v1/indicators", **params)
    response = client.get("/api/v1/indicators", query_string={**params, "format": "csv"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "filename=" in response.headers["Content-Disposition"]
    assert response.get_data().decode("utf-8-sig").splitlines()[0].split(",") == [
        "level", "code", "name_fr", "name_ar", "year", "cycle", "sector", "milieu", "sex", *CODES,
        *POPULATIONS, "known_outcomes", "suppressed", "doubtful_denominator",
    ]
    (row,) = read_csv(response)
    assert {name: row[name] for name in ("level", "code", "name_fr", "name_ar")} == data["unit"]
    assert row["year"] == "2024" and row["cycle"] == "college" and row["sex"] == "all"
    for code in CODES:
        assert from_csv(row[code]) == data["indicators"][code], code
    assert from_csv(row["known_outcomes"]) == data["known_outcomes"]


def test_children_csv_equals_json(client):
    params = {"level": "region", "code": "6", "sex": "F"}
    data = get_json(client, "/api/v1/children", **params)
    response = client.get("/api/v1/children", query_string={**params, "format": "csv"})
    rows = read_csv(response)
    assert [row["code"] for row in rows] == [c["unit"]["code"] for c in data["children"]]
    for row, child in zip(rows, data["children"], strict=True):
        assert row["name_ar"] == child["unit"]["name_ar"]
        for code in CODES:
            assert from_csv(row[code]) == child["indicators"][code], code


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"level": "planet"}, "level"),
        ({}, "level"),
        ({"level": "province"}, "code"),
        ({"level": "national", "year": "1999"}, "year"),
        ({"level": "national", "year": "abc"}, "year"),
        ({"level": "national", "year": "\u00b2"}, "year"),
        ({"level": "national", "cycle": "lycee"}, "cycle"),
        ({"level": "national", "sector": "semi"}, "sector"),
        ({"level": "national", "milieu": "desert"}, "milieu"),
        ({"level": "national", "sex": "X"}, "sex"),
        ({"level": "national", "format": "xml"}, "format"),
        ({"level": "province", "code": "'; DROP TABLE enrollment;--"}, "code"),
        ({"level": "province", "code": "1" * 5000}, "code"),
        ({"level": "province", "code": "14 1"}, "code"),
    ],
    ids=lambda value: str(value)[:40] if isinstance(value, dict) else value,
)
@pytest.mark.parametrize("route", ["/api/v1/indicators", "/api/v1/children"])
def test_bad_parameters_are_refused_by_name(client, route, params, parameter):
    response = client.get(route, query_string=params)
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["parameter"] == parameter
    assert error["message"]
    assert len(response.get_data()) < 500  # the offending value is not echoed in full


def test_bad_units_parameters_are_refused_by_name(client):
    for params, parameter in (
        ({"level": "planet"}, "level"),
        ({"level": "province", "parent": "6; DELETE"}, "parent"),
        ({"level": "national", "parent": "6"}, "parent"),
        ({"level": "region", "format": "xls"}, "format"),
    ):
        error = get_json(client, "/api/v1/units", 400, **params)["error"]
        assert error["parameter"] == parameter


def test_injection_attempt_leaves_the_data_alone(client, tiny_engine):
    (before,), = query(tiny_engine, "SELECT count(*) FROM enrollment")
    assert before > 0
    for route in ("indicators", "children"):
        response = client.get(f"/api/v1/{route}?level=province&code='; DROP TABLE enrollment;--")
        assert response.status_code == 400
    assert query(tiny_engine, "SELECT count(*) FROM enrollment") == [(before,)]
    assert get_json(client, "/api/v1/indicators", level="national")["indicators"]["enrollment"]


def test_unknown_unit_is_not_found(client):
    for route in ("/api/v1/indicators", "/api/v1/children"):
        error = get_json(client, route, 404, level="province", code="999")["error"]
        assert error == {"parameter": "code", "message": "no province has the code '999'"}
    assert get_json(client, "/api/v1/indicators", 404, level="national", code="XX")


def test_unknown_api_path_answers_json(client):
    error = get_json(client, "/api/v1/nothing", 404)["error"]
    assert "route" in error["message"]
    response = client.post("/api/v1/indicators?level=national")
    assert response.status_code == 405 and response.mimetype == "application/json"


def test_out_of_scope_is_forbidden(client, monkeypatch):
    monkeypatch.setattr(api_module, "current_scope", lambda: Scope("province", "141"))
    error = get_json(client, "/api/v1/indicators", 403, level="province", code="81")["error"]
    assert error["parameter"] == "code"
    assert get_json(client, "/api/v1/indicators", level="province", code="141")
    get_json(client, "/api/v1/indicators", 403, level="national")


def test_unexpected_failure_is_logged_and_answers_json(client, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(api_module, "unit_indicators", broken)
    with caplog.at_level(logging.ERROR, logger="dashboard.web.api"):
        response = client.get("/api/v1/indicators?level=national")
    assert response.status_code == 500
    assert response.mimetype == "application/json"
    assert "secret detail" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert any("secret detail" in record.exc_text for record in caplog.records if record.exc_text)


def test_unbuilt_database_answers_503(tmp_path):
    path = tmp_path / "empty.duckdb"
    duckdb.connect(str(path)).close()
    app = create_app({"PILOTAGE_DATABASE_URL": f"duckdb:///{path}",
                      "PILOTAGE_DATA_DIR": str(tmp_path / "data")})
    add_user(state_of(app.server).state_engine, "national", PASSWORD, "national", "MA")
    client = app.server.test_client()
    log_in(client)
    response = client.get("/api/v1/indicators?level=national")
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert "build" in error["message"] and "parameter" not in error
