"""Indicator values of a unit, its children, its trend and its breakdowns.

Every frame goes through :func:`_suppressed` after the cached sums: each row names its
cell (unit, filters, and the split value of a breakdown) and reads what the year's
suppression pattern hides, so the threshold in force applies alike to every page,
callback, API answer and export, at every level.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable

import pandas as pd
import sqlalchemy as sa

from dashboard import indicators
from dashboard.data.analytics_schema import data_version as data_version_table
from dashboard.data.analytics_schema import school_stats as stats
from dashboard.data.schema import GRADES
from dashboard.extensions import cache
from dashboard.levels import CHILD_LEVEL
from queries import population, privacy
from queries.database import (
    REPUBLISHED,
    VersionChanged,
    ViewOutdated,
    data_version,
    forget_version,
    pinned_version,
    read,
    reading_version,
)
from queries.filters import ALL, Filters
from queries.flight import SingleFlight
from queries.scope import LEVEL_COLUMN, Scope
from queries.units import children

PUBLISHED = "published_version"
#: The dimensions of one year's breakdowns, read together.
DETAIL = ("grade", "sex", "milieu", "sector", "cycle")
#: Every summed measure (``girls`` is derived in SQL from ``sex``).
MEASURES = tuple(dict.fromkeys([*indicators.MEASURES, "girls"]))
BREAKDOWNS = ("grade", "sex", "milieu", "sector", "cycle")
GRADE_ORDER = {grade: position for position, grade in enumerate(GRADES)}
#: The key of a cell that a breakdown's rows differ by.
SPLIT_KEY = {"grade": "grades", "cycle": "grades", "sex": "sex", "sector": "sector",
             "milieu": "milieu"}


def _measures() -> list[sa.ColumnElement]:
    s = stats.c
    girls = sa.func.sum(sa.case((s.sex == "F", s.enrolled), else_=0)).label("girls")
    of_cycle = [sa.func.sum(sa.case((s.cycle == cycle, s[column]), else_=0)).label(name)
                for name, (cycle, column) in indicators.CYCLE_MEASURES.items()]
    summed = [
        sa.func.sum(s[name]).label(name)
        for name in indicators.MEASURES
        if name != "girls" and name not in indicators.CYCLE_MEASURES
    ]
    return [*summed, girls, *of_cycle]


def unit_clauses(table: sa.Table, level: str, code: str, filters: Filters, scope: Scope,
                 years) -> list:
    """Return the WHERE clauses of a unit's rows of ``table`` (an analytics table keyed by
    school year and the hierarchy) under ``filters`` and ``scope``, in ``years``."""
    clauses = [table.c.school_year.in_(list(years)), *filters.clauses(table)]
    if level != "national":
        clauses.append(table.c[LEVEL_COLUMN[level]] == code)
    scoped = scope.clause(table)
    if scoped is not None:
        clauses.append(scoped)
    return clauses


def _where(level: str, code: str, filters: Filters, scope: Scope, years) -> list:
    return unit_clauses(stats, level, code, filters, scope, years)


def _sums(
    level: str, code: str, filters: Filters, scope: Scope, group_by: tuple[str, ...],
    years: tuple[int, ...],
) -> pd.DataFrame:
    """Sum every measure over the unit's rows of the data version being read.

    The sums of a view share two queries: every school year of the unit (its cards,
    trend and ranking references take their years from it) and one year by every
    dimension at once (its breakdowns); counts add up, so a coarser grouping of either
    is exact.
    """
    version = data_version()
    if group_by == ("school_year",):
        every = tuple(available_years())
        if set(years) <= set(every):
            frame = _versioned_sums(level, code, filters, scope, group_by, every, version)
            return frame[frame["school_year"].isin(years)].reset_index(drop=True)
    if len(years) == 1 and group_by and set(group_by) <= set(DETAIL):
        detail = _versioned_sums(level, code, filters, scope, DETAIL, years, version)
        return detail.groupby(list(group_by), as_index=False)[list(MEASURES)].sum()
    return _versioned_sums(level, code, filters, scope, group_by, years, version)


_flights = SingleFlight()


def finished(query: Callable[..., pd.DataFrame]) -> Callable[..., pd.DataFrame]:
    """Cache ``query``'s finished frame under the data version and the privacy threshold.

    The whole computation reads one data version. A result read while a new version was
    being published is never cached under the old one: it is computed again under the
    new one, or, for a page pinned to the old version, the page is told to redraw itself.
    """
    def computed(version: int, threshold: int, *args) -> pd.DataFrame:
        with reading_version(version):
            return query(*args)

    computed.__name__ = f"{query.__name__}_finished"
    computed.__qualname__ = f"{query.__qualname__}_finished"
    cached = cache.memoize()(computed)
    signature = inspect.signature(query)

    def once(version: int, threshold: int, args: tuple) -> pd.DataFrame:
        """Compute or read the frame; callers of the same view wait for one computation."""
        return _flights.run((computed.__qualname__, version, threshold, args),
                            lambda: cached(version, threshold, *args))

    @functools.wraps(query)
    def versioned(*given, **named) -> pd.DataFrame:
        args = signature.bind(*given, **named).args  # one cache key however it is called
        try:
            return once(data_version(), privacy.threshold(), args)
        except VersionChanged:
            if pinned_version() is not None:
                raise ViewOutdated(REPUBLISHED) from None
        forget_version()
        return once(data_version(), privacy.threshold(), args)

    versioned.uncached = query
    return versioned


@cache.memoize()
def _versioned_sums(
    level: str, code: str, filters: Filters, scope: Scope, group_by: tuple[str, ...],
    years: tuple[int, ...], version: int,
) -> pd.DataFrame:
    """Sum every measure over the unit's rows, grouped by ``group_by`` columns."""
    keys = [stats.c[name] for name in group_by]
    published = sa.select(sa.func.max(data_version_table.c.version)).scalar_subquery()
    select = (
        sa.select(*keys, *_measures(), published.label(PUBLISHED))
        .where(*_where(level, code, filters, scope, years))
        .group_by(*keys)
    )
    frame = read(select)  # one statement: the sums and the version come from one snapshot
    if not frame.empty and int(frame[PUBLISHED].iloc[0]) != version:
        raise VersionChanged(REPUBLISHED)
    frame = frame.drop(columns=PUBLISHED)
    if frame.empty and not group_by:
        frame = pd.DataFrame([{name: 0 for name in indicators.MEASURES}])
    for name in indicators.MEASURES:
        frame[name] = pd.to_numeric(frame[name]).fillna(0)
    return frame


def _finished_frame(frame: pd.DataFrame, level: str, code, filters: Filters, years,
                    **split: str) -> pd.DataFrame:
    """Add the population, the indicators and the suppression marks to summed measures.

    Each row is the cell of ``level`` and ``code`` (one code, or one per row), the
    filters and, for a breakdown, the row's own value of the split dimension (``split``
    maps a key of the cell, such as ``grades``, to the frame column holding it).
    """
    keys = _cells(frame, level, code, filters, split)
    frame = population.attach(frame, keys, years)
    frame = indicators.compute(frame, sex_filtered=filters.sex != ALL, cycles=keys["grades"])
    return _suppressed(frame, keys, filters, years)


@finished
def unit_indicators(level: str, code: str, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Return the unit's indicators for the filtered year and the year before.

    One row per school year (``school_year`` column); a year without pupils has
    zero counts and no-data ratios.
    """
    years = (filters.year - 1, filters.year)
    frame = _sums(level, code, filters, scope, ("school_year",), years)
    frame = frame.set_index("school_year").reindex(years, fill_value=0).reset_index()
    return _finished_frame(frame, level, code, filters, frame["school_year"])


@finished
def children_indicators(level: str, code: str, filters: Filters, scope: Scope,
                        below: str | None = None) -> pd.DataFrame:
    """Return one row of indicators per child unit with pupils (``code`` column); with
    ``below``, per unit of that lower level (the communes of a region)."""
    child = below or CHILD_LEVEL[level]
    column = LEVEL_COLUMN[child]
    years = (filters.year - 1, filters.year)
    frame = _sums(level, code, filters, scope, ("school_year", column), years)
    frame = frame.rename(columns={column: "code"})
    frame = _finished_frame(frame, child, frame["code"], filters, frame["school_year"])
    current = frame[frame["school_year"] == filters.year]
    previous = frame[frame["school_year"] == filters.year - 1]
    current = current.drop(columns="school_year")
    previous = previous.set_index("code")
    absent = ~current["code"].isin(previous.index)
    for indicator in indicators.INDICATORS:
        before = current["code"].map(previous[indicator.code]) if len(previous) else float("nan")
        current[f"{indicator.code}_previous"] = before
        if indicator.denominator is None:  # a count: a child absent the year before had none
            current.loc[absent, f"{indicator.code}_previous"] = 0
    return current.reset_index(drop=True)


@finished
def ranked_children(level: str, code: str, filters: Filters, scope: Scope,
                    indicator: str, below: str | None = None) -> pd.DataFrame:
    """Return every child unit (or, with ``below``, every unit of that lower level under
    the unit), with or without pupils, ranked by ``indicator``.

    Highest value first; children without a value (no pupils, or a secret) come last, in
    name order, with no rank. Names (fr, ar) come with the indicators, so screens and
    exports list the same children in the same order.
    """
    members = children(level, code, scope, below)[["code", "name_fr", "name_ar"]]
    values = children_indicators(level, code, filters, scope, below)
    merged = members.merge(values, on="code", how="left")
    previous = f"{indicator}_previous"
    if previous not in merged:
        merged[previous] = float("nan")
    has_value = merged[indicator].notna()
    order = pd.DataFrame({"missing": ~has_value, "value": -merged[indicator].fillna(0)})
    merged = merged.loc[order.sort_values(["missing", "value"], kind="stable").index]
    merged = merged.reset_index(drop=True)
    ranked = merged[indicator].notna()
    merged["rank"] = pd.Series(range(1, len(merged) + 1), dtype="Int64").where(ranked)
    return merged


@finished
def trend(level: str, code: str, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Return the unit's indicators for every school year in the data."""
    years = available_years()
    frame = _sums(level, code, filters, scope, ("school_year",), tuple(years))
    frame = frame.set_index("school_year").reindex(years, fill_value=0).reset_index()
    return _finished_frame(frame, level, code, filters, frame["school_year"])


@finished
def breakdown(level: str, code: str, filters: Filters, scope: Scope, by: str) -> pd.DataFrame:
    """Return the unit's indicators for the filtered year split by one dimension."""
    if by not in BREAKDOWNS:
        raise ValueError(f"cannot break down by {by!r}")
    sums = _sums(level, code, filters, scope, (by,), (filters.year,))
    frame = _finished_frame(sums, level, code, filters, filters.year, **{SPLIT_KEY[by]: by})
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


@finished
def grade_by_sex(level: str, code: str, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Return the unit's indicators for the filtered year by grade and sex."""
    sums = _sums(level, code, filters, scope, ("grade", "sex"), (filters.year,))
    frame = _finished_frame(sums, level, code, filters, filters.year, grades="grade",
                            sex="sex")
    return frame.sort_values(["grade", "sex"]).reset_index(drop=True)


# --- small-cell suppression: every frame reads the one pattern --------------------------------


def _cells(frame: pd.DataFrame, level: str, code, filters: Filters,
           split: dict[str, str]) -> pd.DataFrame:
    """Name the cell of each row of ``frame`` (the ``KEY`` of :mod:`queries.pattern`)."""
    keys = pd.DataFrame({
        "level": level,
        "code": code,
        "sector": filters.sector, "milieu": filters.milieu,
        "grades": filters.cycle, "sex": filters.sex,
    }, index=frame.index)
    for key, column in split.items():
        keys[key] = frame[column]
    return keys


def _suppressed(frame: pd.DataFrame, keys: pd.DataFrame, filters: Filters,
                years) -> pd.DataFrame:
    """Suppress a frame's rows (the cells ``keys`` names) with what the year's pattern
    hides."""
    limit = privacy.threshold()
    frame = privacy.suppress(frame, privacy.hidden_counts(keys, years, limit), limit)
    if filters.sex != ALL:  # the girls' share has no meaning under a sex filter, no secret
        frame[privacy.flag("girls_share")] = False
    return frame
