"""Where the synthetic pupils live: each commune's children of school age in the census.

The generator places schools, and so pupils, in proportion to a commune's children aged
6-17 on 1 September 2024 (:func:`dashboard.data.census.population`, HCP RGPH 2024), so
that regions and provinces are sized like Morocco's; its primary schools also follow the
census's schooling rate of 6-11 year-olds in the commune (HCP, 2023/24).
"""

from __future__ import annotations

import functools

import pandas as pd

from dashboard.data import census
from dashboard.data.geography import load_geography

#: The ages of the pupils the network serves (primary to qualifiant).
SCHOOL_AGES = (6, 17)
#: The census year the weights are read in.
YEAR = 2024


@functools.cache
def commune_children() -> pd.DataFrame:
    """Return one row per commune of the geography: ``code``, ``children`` (6-17
    year-olds) and ``schooling_rate_6_11`` (percent). A commune the census does not count
    (two units of the geography) takes the median of the communes of its milieu."""
    geography = load_geography()
    units = census.units_table(geography)
    links = census.crosswalk(units)
    people = census.population(units, links, range(YEAR, YEAR + 1))
    first, last = SCHOOL_AGES
    children = (people[(people["level"] == "commune") & people["age"].between(first, last)]
                .groupby("code")["population"].sum())
    rates = census.context(links)
    rates = rates[rates["level"] == "commune"].set_index("code")["schooling_rate_6_11"]
    frame = geography.communes[["code", "milieu"]].assign(
        children=lambda f: f["code"].map(children),
        schooling_rate_6_11=lambda f: f["code"].map(rates))
    for column in ("children", "schooling_rate_6_11"):
        median = frame.groupby("milieu")[column].transform("median")
        frame[column] = frame[column].fillna(median)
    return frame[["code", "children", "schooling_rate_6_11"]].reset_index(drop=True)
