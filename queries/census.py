"""The census context of a unit (HCP, RGPH 2024 and 2014) and its estimated population.

Census figures are public: they go through no small-cell rule. A school has none of its
own: it is read as its commune. A unit the census does not count (Sebta, Melilia) has
no row, nor has any unit of a database built before the census tables existed (until its
next ``build``).
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from dashboard.ages import CENSUS_GAP_LIMIT, CENSUS_SCHOOLING_YEAR
from dashboard.data.analytics_schema import population, unit_census
from queries import privacy
from queries.database import engine, read
from queries.filters import Filters
from queries.population import scale
from queries.scope import Scope
from queries.stats import children_indicators, finished, unit_indicators
from queries.units import children, get_unit

#: The ages of compulsory schooling the context counts (6-17, primary to qualifiant).
SCHOOL_AGES = (6, 17)


@finished
def unit_context(level: str, code: str, year: int) -> pd.DataFrame:
    """Return one row (or none) for a territorial unit: its census figures
    (``unit_census``) and ``school_age_population``, the estimated 6-17 year-olds on 1
    September of ``year``, with ``school_age_girls`` (the whole population, also on a
    database that holds a sample of the pupils)."""
    if not _built():
        return pd.DataFrame(columns=[c.name for c in unit_census.columns])
    found = read(sa.select(unit_census).where(unit_census.c.level == level,
                                              unit_census.c.code == code))
    if found.empty:
        return found
    ages = read(sa.select(population.c.sex, sa.func.sum(population.c.population).label("n"))
                .where(population.c.level == level, population.c.code == code,
                       population.c.year == year,
                       population.c.age.between(*SCHOOL_AGES))
                .group_by(population.c.sex))
    # the whole estimate, not a sample database's share of it (the demo's tenth)
    share = scale()
    by_sex = {sex: n / share for sex, n in zip(ages["sex"], pd.to_numeric(ages["n"]),
                                               strict=True)}
    return found.assign(school_age_population=sum(by_sex.values()) if by_sex else None,
                        school_age_girls=by_sex.get("F"))


def _built() -> bool:
    """Return whether the database holds the census tables (the answer is cached with the
    frame, under the data version)."""
    with engine().connect() as conn:
        return sa.inspect(conn).has_table(unit_census.name)


GAP_COLUMNS = ["code", "name_fr", "name_ar", "rate", "rate_suppressed", "census_rate", "gap",
               "large_gap"]


def census_gaps(level: str, code: str, scope: Scope) -> pd.DataFrame:
    """Return the communes of a territory (a commune: itself) in the scope, each with its
    rate of 6-11 year-olds in school in 2023-2024 (``rate``, NaN where hidden: then
    ``rate_suppressed``), HCP's rate for the same children (RGPH 2024, ``census_rate``, a
    fraction), the ``gap`` (rate − census rate) and whether it exceeds
    :data:`dashboard.ages.CENSUS_GAP_LIMIT` (``large_gap``). A commune the census does
    not count has no census rate nor gap."""
    if level == "school":
        return pd.DataFrame(columns=GAP_COLUMNS)
    filters = Filters(CENSUS_SCHOOLING_YEAR)
    if level == "commune":
        members = pd.DataFrame([get_unit(level, code, scope)])
        values = unit_indicators(level, code, filters, scope)
        values = values[values["school_year"] == filters.year].assign(code=code)
    else:
        members = children(level, code, scope, "commune")
        values = children_indicators(level, code, filters, scope, below="commune")
    rate = "enrollment_rate_6_11"
    frame = members[["code", "name_fr", "name_ar"]].merge(
        values[["code", rate, privacy.flag(rate)]], on="code", how="left")
    frame = frame.rename(columns={rate: "rate", privacy.flag(rate): "rate_suppressed"})
    frame["rate_suppressed"] = frame["rate_suppressed"].fillna(False).astype(bool)
    census = _census_rates(tuple(frame["code"]))
    frame["census_rate"] = frame["code"].map(census) / 100
    frame["gap"] = frame["rate"] - frame["census_rate"]
    frame["large_gap"] = frame["gap"].abs() > CENSUS_GAP_LIMIT
    return frame[GAP_COLUMNS].reset_index(drop=True)


def _census_rates(codes: tuple[str, ...]) -> dict[str, float]:
    """HCP's rate of 6-11 year-olds in school (percent) of each commune of ``codes``."""
    if not codes or not _built():
        return {}
    found = read(sa.select(unit_census.c.code, unit_census.c.schooling_rate_6_11)
                 .where(unit_census.c.level == "commune", unit_census.c.code.in_(codes)))
    return {str(c): float(v) for c, v in zip(found["code"], found["schooling_rate_6_11"],
                                            strict=True) if pd.notna(v)}
