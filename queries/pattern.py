"""Looking up which counts a view may not show, in the pattern ``build`` decided.

Every view names its cells (unit, sector, milieu, grades, sex and school year) and reads
their hidden counts here; nothing else decides what is hidden (see
:mod:`dashboard.data.suppression`). The pattern stored by ``build`` serves the threshold it
was decided under; a dashboard running another threshold decides the pattern of a
year itself, once per build, year and threshold in each worker.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import sqlalchemy as sa

from dashboard.data import suppression
from dashboard.data.analytics_schema import data_version as data_version_table
from dashboard.data.analytics_schema import school_stats as stats
from dashboard.data.analytics_schema import suppressed_cell, suppression_threshold
from queries.database import (
    REPUBLISHED,
    VersionChanged,
    data_version,
    engine,
    latest_version,
    read,
)
from queries.flight import SingleFlight

ALL = suppression.ALL
KEY = suppression.KEY
MEASURES = suppression.MEASURES
PUBLISHED = "published_version"


def hidden_for(keys: pd.DataFrame, years, limit: int) -> pd.DataFrame:
    """Return the hidden counts of the cells ``keys`` names (one row each, ``MEASURES``).

    ``keys`` holds the ``KEY`` columns; ``years`` the school year of each row, or one
    year for all. A school's cells are its own whatever the sector or milieu asked for
    (a school has one of each: a filter either keeps all its pupils or none).
    """
    flags = np.zeros((len(keys), len(MEASURES)), dtype=bool)
    if limit > 0 and len(keys):
        years = (np.asarray(years).astype(int) if np.ndim(years)
                 else np.full(len(keys), int(years)))
        keys = keys[list(KEY)].copy()
        keys.loc[keys["level"] == "school", ["sector", "milieu"]] = ALL
        version = data_version()
        for year in np.unique(years):
            mine = years == year
            flags[mine] = year_pattern(version, int(year), limit).lookup(keys[mine])
    return pd.DataFrame(flags, index=keys.index, columns=list(MEASURES))


#: One school year's hidden cells, looked up by cell key.
YearPattern = suppression.Lookup


def year_pattern(version: int, year: int, limit: int) -> YearPattern:
    """Return one year's pattern; the threads of a worker asking for it at once wait for
    one read."""
    engine_id = id(engine())
    return _loading.run((engine_id, version, year, limit),
                        lambda: _year_pattern(engine_id, version, year, limit))


_loading = SingleFlight()


@functools.lru_cache(maxsize=16)
def _year_pattern(engine_id: int, version: int, year: int, limit: int) -> YearPattern:
    """Read one year's pattern once per build, year and threshold in each worker (reference
    data like the hierarchy: about 11 MB a year nationally): the stored one, or decided
    here under a threshold it was not decided under."""
    if limit == _stored_threshold(engine_id, version):
        table = suppressed_cell.c
        columns = [table[name] for name in (*KEY, *MEASURES)]
        cells = _same_version(sa.select(*columns).where(table.school_year == year), version)
        return YearPattern(cells.astype({name: bool for name in MEASURES}))
    s = stats.c
    rows = _same_version(sa.select(*(s[name] for name in suppression.ROW_COLUMNS)).where(
        s.school_year == year), version)
    return YearPattern(suppression.decide(rows, limit))


def _same_version(select: sa.Select, version: int) -> pd.DataFrame:
    """Run ``select`` with the published version in the same statement (one snapshot);
    a version other than ``version`` means a build was published meanwhile."""
    published = sa.select(sa.func.max(data_version_table.c.version)).scalar_subquery()
    frame = read(select.add_columns(published.label(PUBLISHED)))
    if len(frame) and int(frame[PUBLISHED].iloc[0]) != version:
        raise VersionChanged(REPUBLISHED)
    if frame.empty and latest_version() != version:
        raise VersionChanged(REPUBLISHED)
    return frame.drop(columns=PUBLISHED)


@functools.lru_cache(maxsize=4)
def _stored_threshold(engine_id: int, version: int) -> int | None:
    """Return the threshold of the stored pattern (None for a database built without)."""
    try:
        frame = read(sa.select(suppression_threshold.c.threshold))
    except sa.exc.ProgrammingError:
        return None
    return int(frame["threshold"].iloc[0]) if len(frame) else None
