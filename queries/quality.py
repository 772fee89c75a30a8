"""Data-quality findings of a unit, its children and its years, as a caller may see them.

The counts are those of the checks (docs/quality.md), summed from ``quality_stats`` over
the unit's schools within the caller's scope. A pupil check's base is the cell's
enrollment, hidden where the small-cell rule hides it; its findings are part of counts
the rule protects (``missing_outcome`` finds exactly the pupils without a result,
``returns_after_abandon`` some of the dropouts…) and are hidden wherever one of those is
(:data:`LINKED`), its rate with either: shown elsewhere they would give back, or narrow
down, what the rule hides. A school check counts schools and is shown as it is. The lists of
pupils of a school are the one exception (:func:`school_findings`, school by school, for
a caller whose scope contains the school; every read is audited where it is served).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import sqlalchemy as sa

from dashboard.data.analytics_schema import quality_finding as finding
from dashboard.data.analytics_schema import quality_stats as checked
from dashboard.data.analytics_schema import school_stats as stats_table
from dashboard.data.quality import CODES, PUPIL_CHECKS, SCHOOL_CHECKS, applies
from dashboard.levels import CHILD_LEVEL
from queries import pattern, privacy
from queries.database import read
from queries.filters import Filters
from queries.scope import LEVEL_COLUMN, Scope
from queries.stats import available_years, finished, unit_clauses

SUMS = ("count", "base")
#: The counts of a cell each pupil check's findings are part of (or, for
#: ``missing_average``, a sum of): where one of them is hidden, so are the findings. A
#: check's base is the cell's enrollment, hidden with it.
LINKED = {
    "missing_outcome": ("enrolled", "undecided"),
    "missing_average": ("enrolled", "undecided", "dropouts", "average_count"),
    "returns_after_abandon": ("enrolled", "dropouts"),
    "promoted_not_next_grade": ("enrolled", "promoted"),
    "repeater_moved_on": ("enrolled", "repeaters"),
    "grade_skip": ("enrolled",),
    "lost_in_transfer": ("enrolled", "promoted", "repeaters"),
    "implausible_age": ("enrolled",),
    "exam_outcome_mismatch": ("enrolled",),
    "average_outcome_mismatch": ("enrolled", "average_count"),
}
HIDDEN = "suppressed"


def _sums(level: str, code: str, filters: Filters, scope: Scope, keys: tuple[str, ...],
          years: tuple[int, ...]) -> pd.DataFrame:
    """Sum the findings of every check by ``keys``: a school check's base from its rows,
    a pupil check's from the enrollment of ``school_stats`` (``quality_stats`` holds a
    pupil check's rows only where it found something)."""
    columns = [checked.c[name] for name in (*keys, "check_code")]
    found = read(sa.select(*columns, sa.func.sum(checked.c["count"]).label("count"),
                           sa.func.sum(checked.c.base).label("base"))
                 .where(*unit_clauses(checked, level, code, filters, scope, years))
                 .group_by(*columns))
    for name in SUMS:
        found[name] = pd.to_numeric(found[name]).fillna(0).astype("int64")
    schools = found[found["check_code"].isin(SCHOOL_CHECKS)]
    return pd.concat([schools, _pupil_sums(level, code, filters, scope, keys, years, found)],
                     ignore_index=True)


def _pupil_sums(level: str, code: str, filters: Filters, scope: Scope, keys: tuple[str, ...],
                years: tuple[int, ...], found: pd.DataFrame) -> pd.DataFrame:
    """One row per ``keys`` with pupils and pupil check: its findings and its base."""
    grouped = tuple(dict.fromkeys((*keys, "school_year")))
    columns = [stats_table.c[name] for name in grouped]
    clauses = unit_clauses(stats_table, level, code, filters, scope, years)
    enrolled = read(sa.select(*columns, sa.func.sum(stats_table.c.enrolled).label("pupils"))
                    .where(*clauses).group_by(*columns))
    enrolled["pupils"] = pd.to_numeric(enrolled["pupils"]).fillna(0).astype("int64")
    every = list(available_years())
    first, last = (every[0], every[-1]) if every else (0, 0)
    rows = enrolled.merge(pd.DataFrame({"check_code": list(PUPIL_CHECKS)}), how="cross")
    rows["base"] = [pupils if applies(check, int(year), first, last) else 0 for pupils, check,
                    year in zip(rows["pupils"], rows["check_code"], rows["school_year"],
                                strict=True)]
    # a year's base summed over the keys (the school year is not always one of them)
    rows = rows.groupby([*keys, "check_code"], as_index=False)["base"].sum()
    counts = found[found["check_code"].isin(PUPIL_CHECKS)][[*keys, "check_code", "count"]]
    rows = rows.merge(counts, on=[*keys, "check_code"], how="left")
    rows["count"] = rows["count"].fillna(0).astype("int64")
    return rows[[*keys, "check_code", "count", "base"]]


def with_rates(frame: pd.DataFrame) -> pd.DataFrame:
    """Add each row's ``rate``: found / examined, no data (NaN) when nothing was examined."""
    base = frame["base"].astype(float)
    return frame.assign(rate=frame["count"].where(base > 0) / base.where(base > 0))


def hidden_cells(level: str, codes: pd.Series, filters: Filters, years) -> pd.DataFrame:
    """Return which counts of the cell of each row (unit ``level`` and ``codes`` under
    ``filters``, in ``years``: one, or one per row) are hidden (``pattern.MEASURES``)."""
    keys = pd.DataFrame({"level": level, "code": codes, "sector": filters.sector,
                         "milieu": filters.milieu, "grades": filters.cycle,
                         "sex": filters.sex}, index=codes.index)
    years = np.asarray(years) if isinstance(years, pd.Series) else years
    return pattern.hidden_for(keys, years, privacy.threshold())


def _suppressed(frame: pd.DataFrame, hidden: pd.DataFrame) -> pd.DataFrame:
    """Blank what the rows' cells hide (``hidden``, one row each) of the pupil checks: a
    base where the enrollment is hidden, the findings where a count they belong to is, a
    rate with either; ``suppressed`` marks the rows with something hidden."""
    check = frame["check_code"].to_numpy()
    base = np.zeros(len(frame), bool)
    count = np.zeros(len(frame), bool)
    for code, linked in LINKED.items():
        mine = check == code
        base |= mine & hidden["enrolled"].to_numpy(bool)
        count |= mine & hidden[list(linked)].any(axis=1).to_numpy(bool)
    either = base | count
    frame = frame.assign(base=frame["base"].astype(float).where(~base),
                         count=frame["count"].astype(float).where(~count),
                         rate=frame["rate"].astype(float).where(~either))
    return frame.assign(**{HIDDEN: either})


def _every_check(frame: pd.DataFrame, keys: dict) -> pd.DataFrame:
    """Return one row per check (those with nothing examined at zero), in the checks' order."""
    present = frame.set_index("check_code")[list(SUMS)]
    rows = present.reindex(list(CODES), fill_value=0).reset_index()
    return with_rates(rows.assign(**keys))


@finished
def unit_checks(level: str, code: str, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Return one row per check for the unit's filtered year: ``check_code``, ``count``
    (found), ``base`` (examined) and ``rate``; a sex filter leaves the school checks
    with nothing examined (they are about schools, not pupils)."""
    frame = _every_check(_sums(level, code, filters, scope, (), (filters.year,)), {})
    codes = pd.Series(code, index=frame.index)
    return _suppressed(frame, hidden_cells(level, codes, filters, filters.year))


@finished
def checks_by_year(level: str, code: str, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Return one row per school year and check of the unit: ``school_year``, ``check_code``,
    ``count``, ``base``, ``rate`` (every year of the database)."""
    frame = _sums(level, code, filters, scope, ("school_year",), tuple(_years()))
    years = sorted(set(_years()))
    frame = pd.concat([_every_check(frame[frame["school_year"] == year], {"school_year": year})
                       for year in years], ignore_index=True)
    codes = pd.Series(code, index=frame.index)
    return _suppressed(frame, hidden_cells(level, codes, filters, frame["school_year"]))


@finished
def children_checks(level: str, code: str, filters: Filters, scope: Scope,
                    below: str | None = None) -> pd.DataFrame:
    """Return one row per child unit with something examined and check: ``code``,
    ``check_code``, ``count``, ``base`` and ``rate`` for the filtered year."""
    child = below or CHILD_LEVEL[level]
    column = LEVEL_COLUMN[child]
    frame = _sums(level, code, filters, scope, (column,), (filters.year,))
    frame = with_rates(frame.rename(columns={column: "code"}))
    return _suppressed(frame, hidden_cells(child, frame["code"], filters, filters.year))


@finished
def found_now(level: str, code: str, scope: Scope, years: tuple[int, ...]
              ) -> set[tuple[str, int, str]]:
    """Return the (school, school year, check) the checks find under a unit in ``years``,
    whatever the filters: the findings a mark may still be about."""
    frame = _sums(level, code, Filters(years[0]), scope, ("school_code", "school_year"),
                  years)
    found = frame[frame["count"] > 0]
    return {(school, int(year), check) for school, year, check in zip(
        found["school_code"], found["school_year"], found["check_code"], strict=True)}


def school_findings(school_code: str, year: int, check: str | None = None) -> pd.DataFrame:
    """Return the findings of one school and school year (one check, or every check), by
    check and MASSAR code. The caller has checked the school lies in the user's scope."""
    select = (sa.select(*finding.c).where(finding.c.school_code == school_code,
                                          finding.c.school_year == year)
              .order_by(finding.c.check_code, finding.c.massar_code))
    if check is not None:
        select = select.where(finding.c.check_code == check)
    frame = read(select)
    order = frame["check_code"].map({code: i for i, code in enumerate(CODES)})
    return (frame.assign(order=order).sort_values(["order", "massar_code"], kind="stable")
            .drop(columns="order").reset_index(drop=True))


def pupil_findings(school_code: str, year: int) -> pd.DataFrame:
    """Return the pupil findings (not the school's) of one school and year."""
    frame = school_findings(school_code, year)
    return frame[frame["check_code"].isin(PUPIL_CHECKS)].reset_index(drop=True)


def _years() -> list[int]:
    return list(available_years())


__all__ = ["HIDDEN", "checks_by_year", "children_checks", "found_now", "hidden_cells",
           "pupil_findings", "school_findings", "unit_checks", "with_rates"]
