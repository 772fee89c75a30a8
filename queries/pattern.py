"""Looking up which counts a view may not show, in the pattern ``build`` decided.

Every view names its cells (unit, sector, milieu, grades, sex and school year) and reads
their hidden counts here; nothing else decides what is hidden (see
:mod:`dashboard.suppression`). The pattern stored by ``build`` serves the threshold it
was decided under; a dashboard running another threshold decides the pattern of a
year itself, once per build, year and threshold in each worker.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import sqlalchemy as sa

from dashboard import suppression
from dashboard.analytics_schema import school_stats as stats
from dashboard.analytics_schema import suppressed_cell, suppression_threshold
from dashboard.extensions import cache
from queries.database import data_version, engine, read

ALL = suppression.ALL
KEY = suppression.KEY
MEASURES = suppression.MEASURES


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
        rows = list(keys[list(KEY)].itertuples(index=False, name=None))
        rows = [(level, code, ALL, ALL, *rest) if level == "school" else
                (level, code, sector, milieu, *rest)
                for level, code, sector, milieu, *rest in rows]
        wanted: dict[tuple[int, str], set[str]] = {}
        for year, (level, code, *_rest) in zip(years, rows, strict=True):
            wanted.setdefault((int(year), level), set()).add(code)
        version = data_version()
        found = {group: _hidden_cells(version, group[0], group[1], tuple(sorted(codes)), limit)
                 for group, codes in wanted.items()}
        for position, (year, row) in enumerate(zip(years, rows, strict=True)):
            hidden = found[(int(year), row[0])].get(row)
            if hidden is not None:
                flags[position] = hidden
    return pd.DataFrame(flags, index=keys.index, columns=list(MEASURES))


@cache.memoize()
def _hidden_cells(version: int, year: int, level: str, codes: tuple[str, ...],
                  limit: int) -> dict[tuple, np.ndarray]:
    """Return the hidden cells of some units of one level and year, by key."""
    if limit == _stored_threshold(version):
        table = suppressed_cell.c
        frame = read(sa.select(*(table[name] for name in (*KEY, *MEASURES))).where(
            table.school_year == year, table.level == level, table.code.in_(codes)))
    else:
        frame = _decided(id(engine()), version, year, limit)
        frame = frame[(frame["level"] == level) & frame["code"].isin(codes)]
    flags = frame[list(MEASURES)].to_numpy(bool)
    keys = frame[list(KEY)].itertuples(index=False, name=None)
    return {key: flags[position] for position, key in enumerate(keys)}


@cache.memoize()
def _stored_threshold(version: int) -> int | None:
    """Return the threshold of the stored pattern (None for a database built without)."""
    try:
        frame = read(sa.select(suppression_threshold.c.threshold))
    except sa.exc.ProgrammingError:
        return None
    return int(frame["threshold"].iloc[0]) if len(frame) else None


@functools.lru_cache(maxsize=16)
def _decided(engine_id: int, version: int, year: int, limit: int) -> pd.DataFrame:
    """Decide one year's pattern under a threshold the stored one was not decided under."""
    s = stats.c
    rows = read(sa.select(*(s[name] for name in suppression.ROW_COLUMNS)).where(
        s.school_year == year))
    return suppression.decide(rows, limit)
