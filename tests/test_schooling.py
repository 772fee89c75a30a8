"""Schooling rates against the census: worked by hand on the handmade database.

Ages are counted on 1 September of the school year, in completed years. The pupils of
2024-2025 (``tests/handmade.py``), with their age on 1 September 2024:

* Anfa (141.1.1): 10001F (primaire) P1 10, P2 10, P3 11, P4 10 (born 8 September),
  P5 12, P6 11 (born 30 November); 10002F (collège) P7 13, P8 14, P9 14, P10 14 (born 3
  October). So 5 pupils of 6-11 (all in primaire; girls P1 and P3), 5 of 12-14 (P5 in
  primaire, 4 in collège), none of 15-17; 6 pupils in primaire, 4 in collège.
* Mniaa (461.3.9, rural, the only commune of Settat with pupils): 10004F P16 6, P17 6, P18
  11, P19 11 (born 5 September), P20 11; 10005F P21 12, P22 13, P23 13 (born 22 October),
  P24 14. So 5 of 6-11, all in primaire, and 4 of 12-14, all in collège.

The population each rate divides by is read from the ``population`` table with plain SQL
written here (census figures, public).
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from dashboard import indicators
from dashboard.app_state import state_of
from dashboard.db import make_engine
from dashboard.urls import View
from panels.schooling import Schooling, SchoolingPanel
from queries import stats
from queries.filters import Filters
from queries.parity import Parity
from queries.scope import NATIONAL_SCOPE
from tests.conftest import client_as, make_app, query
from tests.handmade import make_handmade_database


@pytest.fixture(scope="module")
def handmade(tmp_path_factory, backend):
    folder = tmp_path_factory.mktemp("schooling")
    url = make_handmade_database(folder, backend, "handmade_schooling")
    app = make_app(url, folder, backend, PILOTAGE_SMALL_CELL_THRESHOLD="0")
    engine = make_engine(url, read_only=True)
    with app.server.app_context():
        yield app, engine
    engine.dispose()
    state_of(app.server).engine.dispose()


def population(engine, level: str, code: str, first: int, last: int, year: int = 2024,
               sex: str | None = None) -> float:
    """Plain SQL: the census population of a unit aged ``first`` to ``last``."""
    sexes = ("F", "M") if sex is None else (sex,)
    return sum(float(row[0] or 0) for row in query(engine, """
        SELECT SUM(population) FROM population WHERE level = :level AND code = :code
        AND year = :year AND age BETWEEN :first AND :last AND sex = :sex""",
        level=level, code=code, year=year, first=first, last=last, sex=sexes[0])) + (
        population(engine, level, code, first, last, year, sexes[1]) if len(sexes) > 1 else 0)


def rural_population(engine, province: str, first: int, last: int, year: int = 2024) -> float:
    """Plain SQL: the population of a province's rural communes aged ``first`` to ``last``."""
    return float(query(engine, """
        SELECT SUM(p.population) FROM population p JOIN commune c ON c.code = p.code
        WHERE p.level = 'commune' AND c.province_code = :province AND c.milieu = 'rural'
        AND p.year = :year AND p.age BETWEEN :first AND :last""",
        province=province, year=year, first=first, last=last)[0][0])


def current(frame: pd.DataFrame, year: int = 2024) -> pd.Series:
    return frame[frame["school_year"] == year].iloc[0]


def close(actual, expected) -> bool:
    return actual == pytest.approx(expected, rel=1e-9)


def test_a_communes_rates_worked_by_hand(handmade):
    _app, engine = handmade
    row = current(stats.unit_indicators("commune", "141.1.1", Filters(2024), NATIONAL_SCOPE))
    young, middle, older = (population(engine, "commune", "141.1.1", a, b)
                            for a, b in ((6, 11), (12, 14), (15, 17)))
    assert young > 1000 and middle > 500  # Anfa's children, from the census
    assert close(row["population_6_11"], young)
    assert close(row["enrollment_rate_6_11"], 5 / young)
    assert close(row["gross_enrollment_ratio_primaire"], 6 / young)
    assert close(row["net_enrollment_ratio_primaire"], 5 / young)
    assert close(row["enrollment_rate_12_14"], 5 / middle)
    assert close(row["gross_enrollment_ratio_college"], 4 / middle)
    assert close(row["net_enrollment_ratio_college"], 4 / middle)
    assert row["enrollment_rate_15_17"] == 0 and close(row["population_15_17"], older)
    assert row["gross_enrollment_ratio_qualifiant"] == 0


def test_a_sex_filter_divides_by_the_children_of_that_sex(handmade):
    _app, engine = handmade
    row = current(stats.unit_indicators("commune", "141.1.1", Filters(2024, sex="F"),
                                        NATIONAL_SCOPE))
    assert close(row["enrollment_rate_6_11"],
                 2 / population(engine, "commune", "141.1.1", 6, 11, sex="F"))


def test_a_milieu_filter_divides_by_the_communes_of_that_milieu(handmade):
    _app, engine = handmade
    row = current(stats.unit_indicators("province", "461", Filters(2024, milieu="rural"),
                                        NATIONAL_SCOPE))
    rural = rural_population(engine, "461", 6, 11)
    assert rural < population(engine, "province", "461", 6, 11)  # Settat has towns too
    assert close(row["enrollment_rate_6_11"], 5 / rural)
    assert close(row["net_enrollment_ratio_college"], 4 / rural_population(engine, "461", 12, 14))


def test_the_children_and_the_breakdowns_read_their_own_population(handmade):
    _app, engine = handmade
    children = stats.children_indicators("province", "461", Filters(2024), NATIONAL_SCOPE)
    mniaa = children.set_index("code").loc["461.3.9"]
    assert close(mniaa["enrollment_rate_6_11"],
                 5 / population(engine, "commune", "461.3.9", 6, 11))
    by_sex = stats.breakdown("commune", "141.1.1", Filters(2024), NATIONAL_SCOPE, "sex")
    boys = by_sex.set_index("sex").loc["M"]
    assert close(boys["enrollment_rate_6_11"],
                 3 / population(engine, "commune", "141.1.1", 6, 11, sex="M"))


def test_a_cycle_filter_keeps_only_that_cycles_ratios(handmade):
    _app, engine = handmade
    row = current(stats.unit_indicators("commune", "141.1.1", Filters(2024, cycle="college"),
                                        NATIONAL_SCOPE))
    assert close(row["gross_enrollment_ratio_college"],
                 4 / population(engine, "commune", "141.1.1", 12, 14))
    for code in ("enrollment_rate_6_11", "enrollment_rate_12_14", "gross_enrollment_ratio_primaire",
                 "net_enrollment_ratio_qualifiant"):
        assert math.isnan(row[code]), code
    by_cycle = stats.breakdown("commune", "141.1.1", Filters(2024), NATIONAL_SCOPE, "cycle")
    primaire = by_cycle.set_index("cycle").loc["primaire"]
    assert close(primaire["net_enrollment_ratio_primaire"],
                 5 / population(engine, "commune", "141.1.1", 6, 11))
    assert math.isnan(primaire["gross_enrollment_ratio_college"])
    by_grade = stats.breakdown("commune", "141.1.1", Filters(2024), NATIONAL_SCOPE, "grade")
    assert by_grade["enrollment_rate_6_11"].isna().all()


def test_a_school_has_no_population_so_no_rate(handmade):
    row = current(stats.unit_indicators("school", "10001F", Filters(2024), NATIONAL_SCOPE))
    assert math.isnan(row["population_6_11"]) and math.isnan(row["enrollment_rate_6_11"])
    assert row["aged_6_11"] == 5  # the school's own pupils of 6-11 are counted all the same


def test_the_api_gives_the_rates_and_the_population_used(handmade, backend):
    app, engine = handmade
    client = client_as(app)
    answer = client.get("/api/v1/indicators?level=commune&code=141.1.1&year=2024").get_json()
    values = answer["indicators"]
    young = population(engine, "commune", "141.1.1", 6, 11)
    assert values["population_6_11"] == round(young, 1)
    assert values["enrollment_rate_6_11"] == round(5 / young, 6)
    assert values["net_enrollment_ratio_college"] == round(
        4 / population(engine, "commune", "141.1.1", 12, 14), 6)
    assert answer["doubtful_denominator"] == []
    lines = client.get("/api/v1/indicators?level=commune&code=141.1.1&year=2024&format=csv"
                       ).get_data(as_text=True).lstrip("\ufeff").splitlines()
    header, row = lines[0].split(","), lines[1].split(",")
    assert float(row[header.index("population_6_11")]) == round(young, 1)
    assert "doubtful_denominator" in header


def test_gender_parity_is_the_girls_rate_over_the_boys(handmade):
    app, engine = handmade
    girls, boys = (population(engine, "commune", "141.1.1", 6, 11, sex=sex) for sex in "FM")
    panel = SchoolingPanel()
    view = View("commune", "141.1.1", Filters(2024))
    unit = {"level": "commune", "code": "141.1.1", "name_fr": "Anfa"}
    rows = {row["code"]: row for row in panel.table(view, panel.rows(view, NATIONAL_SCOPE, unit))}
    # 6-11: girls P1 and P3, boys P2, P4, P6 (P6 is 11); primaire: girls P1, P3, P5
    assert close(rows["enrollment_rate_6_11"]["gender_parity_index"],
                 round((2 / girls) / (3 / boys), 6))
    assert close(rows["gross_enrollment_ratio_primaire"]["gender_parity_index"],
                 round((3 / girls) / (3 / boys), 6))
    assert rows["enrollment_rate_15_17"]["gender_parity_index"] is None  # 0 boys' rate
    answer = client_as(app).get("/api/v1/indicators?level=commune&code=141.1.1&year=2024"
                                ).get_json()
    assert answer["gender_parity_index"]["enrollment_rate_6_11"] == pytest.approx(
        (2 / girls) / (3 / boys), abs=1e-4)
    assert answer["gender_parity_index_suppressed"] == []
    girls_only = View("commune", "141.1.1", Filters(2024, sex="F"))
    assert all(row["gender_parity_index"] is None
               for row in panel.table(girls_only, panel.rows(girls_only, NATIONAL_SCOPE, unit)))


def test_the_census_rate_of_6_11_year_olds_beside_the_2023_one(handmade):
    _app, engine = handmade
    (census,), = query(engine, "SELECT schooling_rate_6_11 FROM unit_census "
                               "WHERE level = 'commune' AND code = '141.1.1'")
    assert 80 < float(census) <= 100  # HCP's own rate of Anfa's 6-11 year-olds, 2023/24
    panel = SchoolingPanel()
    unit = {"level": "commune", "code": "141.1.1", "name_fr": "Anfa"}
    view = View("commune", "141.1.1", Filters(2023))
    rows = {row["code"]: row for row in panel.table(view, panel.rows(view, NATIONAL_SCOPE, unit))}
    ours = current(stats.unit_indicators("commune", "141.1.1", Filters(2023), NATIONAL_SCOPE),
                   2023)["enrollment_rate_6_11"]
    assert rows["enrollment_rate_6_11"]["census_rate"] == round(float(census) / 100, 6)
    assert close(rows["enrollment_rate_6_11"]["census_gap"],
                 round(ours - float(census) / 100, 6))
    assert rows["net_enrollment_ratio_primaire"]["census_rate"] is None
    assert "census_gap" in [c.key for c in panel.columns(view, panel.rows(view, NATIONAL_SCOPE,
                                                                          unit))]
    # another year, or a filter the census does not know, has no comparison
    for other in (View("commune", "141.1.1", Filters(2024)),
                  View("commune", "141.1.1", Filters(2023, sector="public"))):
        assert "census_rate" not in panel.table(other, panel.rows(other, NATIONAL_SCOPE,
                                                                  unit))[0]


def test_a_rate_above_105_percent_is_shown_whole_with_its_warning():
    net = indicators.BY_CODE["net_enrollment_ratio_primaire"]
    assert indicators.is_doubtful(net, 1.0501) and not indicators.is_doubtful(net, 1.05)
    assert not indicators.is_doubtful(indicators.BY_CODE["dropout_rate"], 2.0)
    sums = pd.DataFrame([{name: 0 for name in indicators.MEASURES}] * 2)
    sums["school_year"] = [2023, 2024]
    sums.loc[1, ["enrolled", "enrolled_primaire", "official_primaire", "aged_6_11"]] = (
        [120, 120, 112, 112])
    for name in indicators.POPULATIONS.values():
        sums[name] = 100.0
    frame = indicators.compute(sums)
    assert frame.loc[1, "gross_enrollment_ratio_primaire"] == pytest.approx(1.2)  # not capped
    no_parity = {code: Parity(float("nan"), False) for code in indicators.WITH_PARITY}
    table = SchoolingPanel().table(None, Schooling(frame, no_parity, None))
    warned = {row["code"] for row in table if row["warning"]}
    assert warned == {"enrollment_rate_6_11", "gross_enrollment_ratio_primaire",
                      "net_enrollment_ratio_primaire"}


def test_build_counts_pupils_by_age_on_first_september(tiny_engine):
    """``school_stats`` age bands against plain SQL over the raw rows."""
    counted = query(tiny_engine, """
        SELECT SUM(aged_6_11), SUM(aged_12_14), SUM(aged_15_17) FROM school_stats
        WHERE school_year = 2023""")[0]
    expected = query(tiny_engine, """
        SELECT SUM(CASE WHEN age BETWEEN 6 AND 11 THEN 1 ELSE 0 END),
               SUM(CASE WHEN age BETWEEN 12 AND 14 THEN 1 ELSE 0 END),
               SUM(CASE WHEN age BETWEEN 15 AND 17 THEN 1 ELSE 0 END)
        FROM (SELECT e.school_year - EXTRACT(YEAR FROM s.birth_date)
                     - CASE WHEN EXTRACT(MONTH FROM s.birth_date) * 100
                                 + EXTRACT(DAY FROM s.birth_date) > 901 THEN 1 ELSE 0 END
                     AS age
              FROM enrollment e JOIN student s ON s.massar_code = e.massar_code
              WHERE e.school_year = 2023) ages""")[0]
    assert tuple(int(v) for v in counted) == tuple(int(v) for v in expected)
    assert all(int(v) > 0 for v in counted)


def test_the_census_gap_check_compares_each_commune_with_hcp(handmade):
    _app, engine = handmade
    from panels.census_gap import CensusGapPanel
    from queries.census import census_gaps

    (pupils,), = query(engine, """
        SELECT count(*) FROM enrollment e JOIN student st ON st.massar_code = e.massar_code
        JOIN school s ON s.code = e.school_code
        WHERE e.school_year = 2023 AND s.commune_code = '141.1.1'
          AND 2023 - EXTRACT(YEAR FROM st.birth_date)
              - CASE WHEN EXTRACT(MONTH FROM st.birth_date) * 100
                          + EXTRACT(DAY FROM st.birth_date) > 901 THEN 1 ELSE 0 END
              BETWEEN 6 AND 11""")
    children = population(engine, "commune", "141.1.1", 6, 11, year=2023)
    (census,), = query(engine, "SELECT schooling_rate_6_11 FROM unit_census "
                               "WHERE level = 'commune' AND code = '141.1.1'")
    gaps = census_gaps("province", "141", NATIONAL_SCOPE).set_index("code")
    assert len(gaps) == int(query(engine, "SELECT count(*) FROM commune "
                                          "WHERE province_code = '141'")[0][0])
    anfa = gaps.loc["141.1.1"]
    assert close(anfa["rate"], pupils / children)
    assert close(anfa["census_rate"], float(census) / 100)
    assert close(anfa["gap"], pupils / children - float(census) / 100)
    assert bool(anfa["large_gap"])  # a handful of pupils against thousands of children
    # the commune's own view reads the same row; a school has none
    own = census_gaps("commune", "141.1.1", NATIONAL_SCOPE)
    assert own["code"].tolist() == ["141.1.1"] and close(own["gap"].iat[0], anfa["gap"])
    assert census_gaps("school", "10001F", NATIONAL_SCOPE).empty
    panel = CensusGapPanel()
    view = View("province", "141", Filters(2024))
    unit = {"level": "province", "code": "141", "name_fr": "Casablanca"}
    table = {row["code"]: row for row in panel.table(view, panel.rows(view, NATIONAL_SCOPE,
                                                                      unit))}
    assert table["141.1.1"]["finding"] == "écart de plus de 10 points"
    figure = panel.figure(view, panel.rows(view, NATIONAL_SCOPE, unit))
    points = figure.data[-1]
    assert "141.1.1" in [code for code, _name in points.customdata]


def test_the_chart_gives_the_census_rate_and_the_gap_in_2023(handmade):
    from dashboard.formatting import format_points, format_rate

    panel = SchoolingPanel()
    unit = {"level": "commune", "code": "141.1.1", "name_fr": "Anfa"}
    view = View("commune", "141.1.1", Filters(2023))
    rows = panel.rows(view, NATIONAL_SCOPE, unit)
    texts = " ".join(a.text for a in panel.figure(view, rows).layout.annotations)
    ours = rows.years.iloc[1]["enrollment_rate_6_11"]
    assert format_rate(rows.census_rate) in texts
    assert format_points(ours - rows.census_rate) in texts
    later = View("commune", "141.1.1", Filters(2024))
    figure = panel.figure(later, panel.rows(later, NATIONAL_SCOPE, unit))
    assert "Recensement 2024" not in " ".join(a.text for a in figure.layout.annotations)
