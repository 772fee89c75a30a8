"""The census context of a unit (HCP, RGPH 2024 and 2014) and its estimated population.

Census figures are public: they go through no small-cell rule. A school has none of its
own: it is read as its commune. A unit the census does not count (Sebta, Melilia) has
no row, nor has any unit of a database built before the census tables existed (until its
next ``build``).
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from dashboard.data.analytics_schema import population, unit_census
from queries.database import engine, read
from queries.stats import finished

#: The ages of compulsory schooling the context counts (6-17, primary to qualifiant).
SCHOOL_AGES = (6, 17)


@finished
def unit_context(level: str, code: str, year: int) -> pd.DataFrame:
    """Return one row (or none) for a territorial unit: its census figures
    (``unit_census``) and ``school_age_population``, the estimated 6-17 year-olds on 1
    September of ``year``, with ``school_age_girls``."""
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
    by_sex = dict(zip(ages["sex"], pd.to_numeric(ages["n"]), strict=True))
    return found.assign(school_age_population=sum(by_sex.values()) if by_sex else None,
                        school_age_girls=by_sex.get("F"))


def _built() -> bool:
    """Return whether the database holds the census tables (the answer is cached with the
    frame, under the data version)."""
    with engine().connect() as conn:
        return sa.inspect(conn).has_table(unit_census.name)
