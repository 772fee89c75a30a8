"""The census population a unit's schooling rates divide by.

Census figures are public (no small-cell rule applies to them). A unit's population of
an age band is read for the school year (on 1 September), the sex and the milieu of
the view: a territory under a milieu filter counts the population of its communes of
that milieu (a commune is urban or rural, as are its schools). A school has no
population of its own, nor has a unit the census does not count: their rates are "no
data".
"""

from __future__ import annotations

import functools

import pandas as pd
import sqlalchemy as sa

from dashboard.ages import AGE_BANDS
from dashboard.data import population_scale
from dashboard.data.analytics_schema import population, unit
from dashboard.indicators import POPULATIONS
from dashboard.levels import LEVELS, NATIONAL_CODE
from queries.database import data_version, engine, read

ALL = "all"
KEY = ("level", "code", "milieu", "sex", "year")
COLUMNS = tuple(POPULATIONS.values())
_TERRITORIES = tuple(level for level in LEVELS if level != "school")
_ANCESTOR = {"region": "region_code", "province": "province_code"}


def attach(frame: pd.DataFrame, cells: pd.DataFrame, years) -> pd.DataFrame:
    """Return ``frame`` with the population columns (``population_6_11``, …) of each row.

    ``cells`` names each row's cell (``level``, ``code``, ``milieu`` and ``sex``, as
    :mod:`queries.pattern` does); ``years`` is the school year of each row or of all.
    """
    table = _table(id(engine()), data_version())
    wanted = pd.DataFrame({
        "level": cells["level"].to_numpy(), "code": cells["code"].to_numpy(),
        "milieu": cells["milieu"].to_numpy(), "sex": cells["sex"].to_numpy(),
        "year": (pd.Series(years).to_numpy() if pd.api.types.is_list_like(years)
                 else int(years))})
    if table.empty:
        found = pd.DataFrame(float("nan"), index=frame.index, columns=list(COLUMNS))
    else:
        found = (wanted.astype({"year": int})
                 .merge(table, how="left", on=list(KEY))[list(COLUMNS)]
                 .set_axis(frame.index))
    return pd.concat([frame.drop(columns=list(COLUMNS), errors="ignore"), found], axis=1)


def scale() -> float:
    """Return the share of the country's pupils the database holds (1 for real data; a
    tenth for the demo), by which its population was scaled at build."""
    return _scale(id(engine()), data_version())


@functools.lru_cache(maxsize=4)
def _scale(engine_id: int, version: int) -> float:
    with engine().connect() as conn:
        return population_scale.read(conn)


@functools.lru_cache(maxsize=4)
def _table(engine_id: int, version: int) -> pd.DataFrame:
    """Every territorial unit's population by band, school year, sex (both, ``all``) and
    milieu (``all``: the unit's own census figure), read once per build in each worker
    (about 100,000 rows)."""
    with engine().connect() as conn:
        if not sa.inspect(conn).has_table(population.name):
            return pd.DataFrame(columns=[*KEY, *COLUMNS])
    p = population.c
    bands = [sa.func.sum(sa.case((p.age.between(first, last), p.population), else_=0.0))
             .label(POPULATIONS[band]) for band, (first, last) in AGE_BANDS.items()]
    people = read(sa.select(p.level, p.code, p.year, p.sex, *bands)
                  .group_by(p.level, p.code, p.year, p.sex))
    if people.empty:
        return pd.DataFrame(columns=[*KEY, *COLUMNS])
    people[list(COLUMNS)] = people[list(COLUMNS)].apply(pd.to_numeric)
    both = people.groupby(["level", "code", "year"], as_index=False)[list(COLUMNS)].sum()
    people = pd.concat([people, both.assign(sex=ALL)], ignore_index=True)
    own = people.assign(milieu=ALL)
    communes = read(sa.select(unit.c.code, unit.c.milieu, unit.c.province_code,
                              unit.c.region_code).where(unit.c.level == "commune"))
    mine = people[people["level"] == "commune"].merge(communes, on="code")
    parts = [mine[["level", "code", "milieu", "sex", "year", *COLUMNS]]]
    for level in _TERRITORIES:
        if level == "commune":
            continue
        column = _ANCESTOR.get(level)
        keys = [column] if column else []
        summed = mine.groupby([*keys, "milieu", "sex", "year"], as_index=False)[
            list(COLUMNS)].sum()
        parts.append(summed.assign(level=level, code=summed[column] if column else NATIONAL_CODE)
                     .drop(columns=keys))
    by_milieu = pd.concat(parts, ignore_index=True)
    table = pd.concat([own, by_milieu], ignore_index=True)[[*KEY, *COLUMNS]]
    return table.astype({"year": int}).drop_duplicates(list(KEY))
