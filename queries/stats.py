"""Indicator values of a unit, its children, its trend and its breakdowns."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from dashboard import indicators
from dashboard.analytics_schema import school_stats as stats
from dashboard.extensions import cache
from dashboard.schema import GRADES
from queries.database import data_version, read
from queries.filters import ALL, Filters
from queries.scope import LEVEL_COLUMN, Scope
from queries.units import CHILD_LEVEL

BREAKDOWNS = ("grade", "sex", "milieu", "sector", "cycle")
GRADE_ORDER = {grade: position for position, grade in enumerate(GRADES)}


def _measures() -> list[sa.ColumnElement]:
    s = stats.c
    girls = sa.func.sum(sa.case((s.sex == "F", s.enrolled), else_=0)).label("girls")
    summed = [
        sa.func.sum(s[name]).label(name)
        for name in indicators.MEASURES
        if name != "girls"
    ]
    return [*summed, girls]


def _where(level: str, code: str, filters: Filters, scope: Scope, years) -> list:
    clauses = [stats.c.school_year.in_(list(years)), *filters.clauses(stats)]
    if level != "national":
        clauses.append(stats.c[LEVEL_COLUMN[level]] == code)
    scoped = scope.clause(stats)
    if scoped is not None:
        clauses.append(scoped)
    return clauses


@cache.memoize()
def _sums(
    level: str, code: str, filters: Filters, scope: Scope, group_by: tuple[str, ...],
    years: tuple[int, ...], version: int,
) -> pd.DataFrame:
    """Sum every measure over the unit's rows, grouped by ``group_by`` columns."""
    keys = [stats.c[name] for name in group_by]
    select = (
        sa.select(*keys, *_measures())
        .where(*_where(level, code, filters, scope, years))
        .group_by(*keys)
    )
    frame = read(select)
    if frame.empty and not group_by:
        frame = pd.DataFrame([{name: 0 for name in indicators.MEASURES}])
    for name in indicators.MEASURES:
        frame[name] = pd.to_numeric(frame[name]).fillna(0)
    return frame


def _with_indicators(frame: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    return indicators.compute(frame, sex_filtered=filters.sex != ALL)


def unit_indicators(level: str, code: str, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Return the unit's indicators for the filtered year and the year before.

    One row per school year (``school_year`` column); a year without pupils has
    zero counts and no-data ratios.
    """
    years = (filters.year - 1, filters.year)
    frame = _sums(level, code, filters, scope, ("school_year",), years, data_version())
    frame = frame.set_index("school_year").reindex(years, fill_value=0).reset_index()
    return _with_indicators(frame, filters)


def children_indicators(level: str, code: str, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Return one row of indicators per child unit with pupils (``code`` column)."""
    child = CHILD_LEVEL[level]
    column = LEVEL_COLUMN[child]
    years = (filters.year - 1, filters.year)
    frame = _sums(level, code, filters, scope, ("school_year", column), years, data_version())
    current = _with_indicators(frame[frame["school_year"] == filters.year], filters)
    previous = _with_indicators(frame[frame["school_year"] == filters.year - 1], filters)
    current = current.rename(columns={column: "code"}).drop(columns="school_year")
    previous = previous.rename(columns={column: "code"}).set_index("code")
    for indicator in indicators.INDICATORS:
        before = current["code"].map(previous[indicator.code]) if len(previous) else float("nan")
        current[f"{indicator.code}_previous"] = before
        if indicator.denominator is None:  # a count: a child absent the year before had none
            current[f"{indicator.code}_previous"] = current[f"{indicator.code}_previous"].fillna(0)
    return current.reset_index(drop=True)


def trend(level: str, code: str, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Return the unit's indicators for every school year in the data."""
    years = available_years()
    frame = _sums(level, code, filters, scope, ("school_year",), tuple(years), data_version())
    frame = frame.set_index("school_year").reindex(years, fill_value=0).reset_index()
    return _with_indicators(frame, filters)


def breakdown(level: str, code: str, filters: Filters, scope: Scope, by: str) -> pd.DataFrame:
    """Return the unit's indicators for the filtered year split by one dimension."""
    if by not in BREAKDOWNS:
        raise ValueError(f"cannot break down by {by!r}")
    frame = _sums(level, code, filters, scope, (by,), (filters.year,), data_version())
    frame = _with_indicators(frame, filters)
    if by == "grade":  # school order, not alphabetical
        return frame.sort_values(by, key=lambda g: g.map(GRADE_ORDER)).reset_index(drop=True)
    return frame.sort_values(by).reset_index(drop=True)


def available_years() -> list[int]:
    """Return the school years present in the analytics table, oldest first."""
    return _available_years(data_version())


@cache.memoize()
def _available_years(version: int) -> list[int]:
    frame = read(sa.select(stats.c.school_year).distinct().order_by(stats.c.school_year))
    return [int(y) for y in frame["school_year"]]


def grade_by_sex(level: str, code: str, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Return the unit's indicators for the filtered year by grade and sex."""
    frame = _sums(level, code, filters, scope, ("grade", "sex"), (filters.year,), data_version())
    return _with_indicators(frame, filters).sort_values(["grade", "sex"]).reset_index(drop=True)
