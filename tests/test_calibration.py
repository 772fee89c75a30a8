"""At demo scale the synthetic database lands on the published national figures.

Targets and tolerances come from shared/calibration.md: about ±10 % (relative) for
figures marked H, a sensible band for estimates (E). Demo scale holds a tenth of the
national pupils, so counts are compared after multiplying by ten. Every number here
is computed with plain SQL over the raw tables.
"""

from __future__ import annotations

import pytest

from tests.conftest import make_database, query

BAC_JUNE = {2020: 0.631, 2021: 0.684, 2022: 0.663, 2023: 0.597, 2024: 0.678, 2025: 0.668}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from dashboard.db import make_engine

    # the figures below are read off the raw tables: no suppression pattern is needed
    url = make_database(tmp_path_factory.mktemp("demo"), "demo", list(range(2020, 2026)),
                        seed=2024, threshold=0)
    engine = make_engine(url, read_only=True)
    yield engine
    engine.dispose()


def one(engine, sql: str, **params) -> float:
    return float(query(engine, sql, **params)[0][0])


PUPILS = """
    SELECT count(*) FROM enrollment e JOIN school s ON s.code = e.school_code
    WHERE e.school_year = :year AND {where}"""
RATE = """
    SELECT avg(CASE WHEN e.outcome = :outcome THEN 1.0 ELSE 0.0 END)
    FROM enrollment e JOIN school s ON s.code = e.school_code
    JOIN student st ON st.massar_code = e.massar_code
    WHERE e.school_year = :year AND {where}"""
PASS = """
    SELECT avg(CASE WHEN x.passed THEN 1.0 ELSE 0.0 END)
    FROM exam_result x JOIN student st ON st.massar_code = x.massar_code
    JOIN enrollment e ON e.massar_code = x.massar_code AND e.school_year = x.school_year
    JOIN school s ON s.code = e.school_code
    WHERE x.exam = :exam AND x.school_year = :year AND {where}"""


def test_school_counts(demo):
    public = one(demo, "SELECT count(*) FROM school WHERE sector = 'public'")
    private = one(demo, "SELECT count(*) FROM school WHERE sector = 'prive'")
    rural_public = one(demo, """
        SELECT avg(CASE WHEN milieu = 'rural' THEN 1.0 ELSE 0.0 END)
        FROM school WHERE sector = 'public'""")
    assert public == pytest.approx(12_198, rel=0.10)
    assert private == pytest.approx(6_300, rel=0.15)
    assert 0.50 <= rural_public <= 0.60


def test_every_commune_has_a_primary_school(demo):
    assert one(demo, """
        SELECT count(*) FROM commune c WHERE NOT EXISTS (
            SELECT 1 FROM school s WHERE s.commune_code = c.code AND s.cycle = 'primaire')""") == 0


@pytest.mark.parametrize(
    ("cycle", "national_public"),
    [("primaire", 3.82e6), ("college", 1.98e6), ("qualifiant", 1.14e6)],
)
def test_public_pupils_by_cycle(demo, cycle, national_public):
    # 2023-24 published figure; qualifiant is an estimate band (it grows towards 1.24 M in 2024)
    pupils = one(demo, PUPILS.format(where="s.sector = 'public' AND s.cycle = :cycle"),
                 year=2023, cycle=cycle) * 10
    tolerance = 0.10 if cycle != "qualifiant" else 0.20
    assert pupils == pytest.approx(national_public, rel=tolerance)


def test_shares_of_girls_private_and_rural(demo):
    total = one(demo, PUPILS.format(where="1=1"), year=2023)
    girls = one(demo, """
        SELECT count(*) FROM enrollment e JOIN student st ON st.massar_code = e.massar_code
        WHERE e.school_year = 2023 AND st.sex = 'F'""")
    private = one(demo, PUPILS.format(where="s.sector = 'prive'"), year=2023)
    private_primary = one(demo, PUPILS.format(where="s.sector = 'prive' AND s.cycle = 'primaire'"),
                          year=2023)
    primary = one(demo, PUPILS.format(where="s.cycle = 'primaire'"), year=2023)
    rural = one(demo, PUPILS.format(where="s.milieu = 'rural'"), year=2022)
    assert total * 10 == pytest.approx(7.93e6, rel=0.10)
    assert 0.475 <= girls / total <= 0.500
    assert private / total == pytest.approx(0.13, rel=0.10)
    assert private_primary / primary == pytest.approx(0.17, rel=0.10)
    assert 0.35 <= rural / one(demo, PUPILS.format(where="1=1"), year=2022) <= 0.45


def test_public_dropout_2022(demo):
    public = "s.sector = 'public'"
    overall = one(demo, RATE.format(where=public), year=2022, outcome="abandon")
    assert overall == pytest.approx(0.044, rel=0.15)
    bands = {"primaire": (0.010, 0.025), "college": (0.075, 0.105), "qualifiant": (0.060, 0.090)}
    for cycle, (low, high) in bands.items():
        rate = one(demo, RATE.format(where=f"{public} AND s.cycle = '{cycle}'"), year=2022,
                   outcome="abandon")
        assert low <= rate <= high, cycle
    girls_among_dropouts = one(demo, """
        SELECT avg(CASE WHEN st.sex = 'F' THEN 1.0 ELSE 0.0 END)
        FROM enrollment e JOIN school s ON s.code = e.school_code
        JOIN student st ON st.massar_code = e.massar_code
        WHERE e.school_year = 2022 AND s.sector = 'public' AND e.outcome = 'abandon'""")
    assert girls_among_dropouts == pytest.approx(0.386, rel=0.10)


def test_dropout_higher_in_rural_areas_and_for_rural_girls_in_college(demo):
    def rate(where: str) -> float:
        return one(demo, RATE.format(where=where), year=2022, outcome="abandon")

    assert rate("s.milieu = 'rural'") > 1.3 * rate("s.milieu = 'urbain'")
    college_girls = "s.cycle = 'college' AND st.sex = 'F'"
    assert rate(f"{college_girls} AND s.milieu = 'rural'") > rate(
        f"{college_girls} AND s.milieu = 'urbain'")


def test_primary_repetition(demo):
    where = "s.sector = 'public' AND s.cycle = 'primaire'"
    overall = one(demo, RATE.format(where=where), year=2020, outcome="redoublant")
    boys = one(demo, RATE.format(where=f"{where} AND st.sex = 'M'"), year=2020,
               outcome="redoublant")
    girls = one(demo, RATE.format(where=f"{where} AND st.sex = 'F'"), year=2020,
                outcome="redoublant")
    assert overall == pytest.approx(0.089, rel=0.10)
    assert boys - girls >= 0.03
    for cycle in ("college", "qualifiant"):
        rate = one(demo, RATE.format(where=f"s.cycle = '{cycle}'"), year=2022,
                   outcome="redoublant")
        assert 0.10 <= rate <= 0.20, cycle


@pytest.mark.parametrize("year", sorted(BAC_JUNE))
def test_bac_success_by_session(demo, year):
    assert one(demo, PASS.format(where="1=1"), exam="BAC", year=year) == pytest.approx(
        BAC_JUNE[year], rel=0.10)


def test_exam_gaps_and_other_exams(demo):
    girls = one(demo, PASS.format(where="st.sex = 'F'"), exam="BAC", year=2024)
    boys = one(demo, PASS.format(where="st.sex = 'M'"), exam="BAC", year=2024)
    assert 0.06 <= girls - boys <= 0.12
    private = one(demo, PASS.format(where="s.sector = 'prive'"), exam="BAC", year=2024)
    public = one(demo, PASS.format(where="s.sector = 'public'"), exam="BAC", year=2024)
    assert private > public + 0.05
    assert 0.80 <= one(demo, PASS.format(where="1=1"), exam="CEP", year=2023) <= 0.92
    assert 0.55 <= one(demo, PASS.format(where="1=1"), exam="REG", year=2023) <= 0.70


def test_regions_differ(demo):
    rates = [rate for _, rate in query(demo, """
        SELECT p.region_code, avg(CASE WHEN x.passed THEN 1.0 ELSE 0.0 END)
        FROM exam_result x
        JOIN enrollment e ON e.massar_code = x.massar_code AND e.school_year = x.school_year
        JOIN school s ON s.code = e.school_code JOIN commune c ON c.code = s.commune_code
        JOIN province p ON p.code = c.province_code
        WHERE x.exam = 'BAC' AND x.school_year = 2024 GROUP BY 1""")]
    assert len(rates) == 12
    assert max(rates) - min(rates) >= 0.10


def test_small_year_on_year_trends(demo):
    counts = [n for _, n in query(demo, """
        SELECT school_year, count(*) FROM enrollment GROUP BY 1 ORDER BY 1""")]
    for before, after in zip(counts, counts[1:], strict=False):
        assert abs(after / before - 1) < 0.05


# --- sized like the country (HCP, RGPH 2024) ----------------------------------------------


def test_each_regions_pupils_follow_its_children_aged_6_to_17(demo):
    """A region's share of the pupils is within ±10 % (relative) of its share of the
    population aged 6-17 (the census estimate the database holds for 2024)."""
    pupils = dict(query(demo, """
        SELECT p.region_code, count(*) FROM enrollment e
        JOIN school s ON s.code = e.school_code JOIN commune c ON c.code = s.commune_code
        JOIN province p ON p.code = c.province_code
        WHERE e.school_year = 2024 GROUP BY 1"""))
    children = dict(query(demo, """
        SELECT code, sum(population) FROM population
        WHERE level = 'region' AND year = 2024 AND age BETWEEN 6 AND 17 GROUP BY 1"""))
    assert set(pupils) == set(children) and len(pupils) == 12
    all_pupils, all_children = sum(pupils.values()), sum(float(v) for v in children.values())
    for region in pupils:
        ratio = (pupils[region] / all_pupils) / (float(children[region]) / all_children)
        assert 0.9 <= ratio <= 1.1, (region, ratio)
    assert max(pupils, key=pupils.get) == "6"  # Casablanca-Settat, a fifth of the children
    # the préfecture of Casablanca: about a tenth of its 585,000 children aged 6-17
    (casablanca,), = query(demo, """
        SELECT count(*) FROM enrollment e JOIN school s ON s.code = e.school_code
        JOIN commune c ON c.code = s.commune_code
        WHERE e.school_year = 2024 AND c.province_code = '141'""")
    assert 50_000 <= casablanca <= 68_000


def test_the_demo_holds_a_tenth_of_the_census_population(demo):
    from dashboard.data import census
    from dashboard.data.geography import load_geography

    assert query(demo, "SELECT scale FROM population_scale") == [(0.1,)]
    units = census.units_table(load_geography())
    estimates = census.population(units, years=range(2024, 2025))
    whole = estimates[(estimates["level"] == "national") & estimates["age"].between(6, 11)]
    (held,), = query(demo, """SELECT sum(population) FROM population
                              WHERE level = 'national' AND year = 2024 AND age BETWEEN 6 AND 11""")
    assert float(held) == pytest.approx(0.1 * whole["population"].sum(), rel=1e-9)


def test_the_schooling_rate_of_6_to_11_year_olds_is_the_censuss(demo):
    """Pupils aged 6-11 on 1 September 2023 over the demo's children of those ages (a
    tenth of the nation's, as its pupils): within 3 points of HCP's 95.8 % for 2023/24."""
    (pupils,), = query(demo, """
        SELECT count(*) FROM enrollment e JOIN student st ON st.massar_code = e.massar_code
        WHERE e.school_year = 2023
          AND 2023 - EXTRACT(YEAR FROM st.birth_date)
              - CASE WHEN EXTRACT(MONTH FROM st.birth_date) * 100
                          + EXTRACT(DAY FROM st.birth_date) > 901 THEN 1 ELSE 0 END
              BETWEEN 6 AND 11""")
    (children,), = query(demo, """
        SELECT sum(population) FROM population
        WHERE level = 'national' AND year = 2023 AND age BETWEEN 6 AND 11""")
    assert abs(pupils / float(children) - 0.958) <= 0.03


def test_private_pupils_gather_in_the_large_cities(demo):
    """Casablanca, Rabat, Salé, Tanger, Fès and Marrakech (141, 421, 441, 511, 231, 351)
    hold far more of the private pupils than of all pupils."""
    cities = "('141', '421', '441', '511', '231', '351')"
    private, everyone = (one(demo, f"""
        SELECT avg(CASE WHEN c.province_code IN {cities} THEN 1.0 ELSE 0.0 END)
        FROM enrollment e JOIN school s ON s.code = e.school_code
        JOIN commune c ON c.code = s.commune_code
        WHERE e.school_year = 2024 AND {where}""") for where in ("s.sector = 'prive'", "1=1"))
    assert private >= 1.5 * everyone
