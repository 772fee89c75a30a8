"""An attacker's arithmetic: every count a user can read, and which hidden ones it gives back.

The attacker reads every view the query layer serves to screens, API answers, data files
and the briefing (each unit, every combination of filter values, every breakdown, the
trend), keeps every count it shows, and solves the linear system they form over the
finest cells no view splits further: one school, grade and sex. A hidden count is given
back when its cell is a linear combination of shown ones (totals minus parts, filtered
against unfiltered, a commune minus its other schools, one-school territories, and any
longer chain of them). The attacker is also told that every pupil of a cell whose year
is over was promoted, repeated or dropped out, as a user may assume.

The data-quality view is read too: a pupil check's base is the cell's enrollment, and
``missing_outcome`` counts exactly its pupils without a result; the quality score is the
share of the cell's records without a finding (``quality_clean``), and the known outcomes
are the enrolled minus the undecided.

Which rows make each cell is worked out here from the raw tables with plain SQL,
apart from the code under test.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa

from dashboard.data.schema import GRADES_BY_CYCLE, SEXES
from dashboard.levels import CHILD_LEVEL
from queries import NATIONAL_SCOPE, Filters, quality
from queries import stats as views

ALL = "all"
#: Counts per finest cell the attacker solves for.
AGE_BANDS = {"aged_6_11": (6, 11), "aged_12_14": (12, 14), "aged_15_17": (15, 17)}
UNKNOWNS = ("enrolled", "dropouts", "repeaters", "promoted", "undecided", "average_count",
            "quality_clean", "cep_candidates", "cep_passed", "reg_candidates", "reg_passed",
            "bac_candidates", "bac_passed", *AGE_BANDS)
#: Counts linked by an equation, solved together; the others each on their own.
SYSTEMS = (("enrolled", "dropouts", "repeaters", "promoted", "undecided"), ("average_count",),
           ("quality_clean",), ("cep_candidates",), ("cep_passed",), ("reg_candidates",),
           ("reg_passed",), ("bac_candidates",), ("bac_passed",),
           *((band,) for band in AGE_BANDS))
#: Shown counts that are a sum of unknowns with signs: the known outcomes.
COMBINED = {"decided": (("enrolled", 1), ("undecided", -1))}
#: Rates and the count they divide by.
NO_DATA_TELLS = {"girls_share": "enrolled", "dropout_rate": "enrolled",
                 "repetition_rate": "enrolled", "promotion_rate": "enrolled",
                 "success_rate_CEP": "cep_candidates", "success_rate_REG": "reg_candidates",
                 "success_rate_BAC": "bac_candidates", "mean_score": "average_count"}
#: The grade whose pupils sit each exam: other grades have no candidates, as anyone can
#: tell from the schools' cycles.
EXAM_GRADE = {"cep": "6AEP", "reg": "3AC", "bac": "2BAC"}
#: Columns of a view's frame that show a count, and the count they show.
SHOWN = ({name: name for name in UNKNOWNS if name != "undecided"} | {"girls": "enrolled"}
         | {name: name for name in COMBINED})
#: Columns that show a count of one cycle's rows: a cycle's pupils, those of its ages.
OF_CYCLE = {"enrolled_primaire": ("primaire", "enrolled"),
            "enrolled_college": ("college", "enrolled"),
            "enrolled_qualifiant": ("qualifiant", "enrolled"),
            "official_primaire": ("primaire", "aged_6_11"),
            "official_college": ("college", "aged_12_14"),
            "official_qualifiant": ("qualifiant", "aged_15_17")}
#: Rates to the census population (public): rate times population is the count divided.
OVER_POPULATION = {
    "enrollment_rate_6_11": (None, "aged_6_11", "population_6_11"),
    "enrollment_rate_12_14": (None, "aged_12_14", "population_12_14"),
    "enrollment_rate_15_17": (None, "aged_15_17", "population_15_17"),
    **{f"gross_enrollment_ratio_{cycle}": (cycle, "enrolled", population)
       for cycle, population in (("primaire", "population_6_11"),
                                 ("college", "population_12_14"),
                                 ("qualifiant", "population_15_17"))},
    **{f"net_enrollment_ratio_{cycle}": (cycle, band, population)
       for cycle, band, population in (("primaire", "aged_6_11", "population_6_11"),
                                       ("college", "aged_12_14", "population_12_14"),
                                       ("qualifiant", "aged_15_17", "population_15_17"))},
}
#: Pupil checks whose base is the enrollment of every year, and the unknown each one's
#: count is (``missing_outcome`` finds the pupils without a result).
EVERY_YEAR_CHECKS = ("missing_outcome", "missing_average", "implausible_age",
                     "exam_outcome_mismatch", "average_outcome_mismatch")
CHECK_COUNTS = {"missing_outcome": "undecided"}
LEVEL_COLUMN = {"school": "school_code", "commune": "commune_code",
                "province": "province_code", "region": "region_code"}

FINEST_SQL = """
SELECT e.school_code, e.grade, st.sex, sc.sector, sc.milieu, sc.commune_code,
       co.province_code, pr.region_code,
       COUNT(*) AS enrolled,
       SUM(CASE WHEN e.outcome = 'abandon' THEN 1 ELSE 0 END) AS dropouts,
       SUM(CASE WHEN e.outcome = 'redoublant' THEN 1 ELSE 0 END) AS repeaters,
       SUM(CASE WHEN e.outcome IN ('promu', 'diplome') THEN 1 ELSE 0 END) AS promoted,
       SUM(CASE WHEN e.outcome IS NULL THEN 1 ELSE 0 END) AS undecided,
       SUM(CASE WHEN e.annual_average IS NOT NULL THEN 1 ELSE 0 END) AS average_count,
       SUM(CASE WHEN f.massar_code IS NULL THEN 1 ELSE 0 END) AS quality_clean,
       SUM(COALESCE(x.cep_candidates, 0)) AS cep_candidates,
       SUM(COALESCE(x.cep_passed, 0)) AS cep_passed,
       SUM(COALESCE(x.reg_candidates, 0)) AS reg_candidates,
       SUM(COALESCE(x.reg_passed, 0)) AS reg_passed,
       SUM(COALESCE(x.bac_candidates, 0)) AS bac_candidates,
       SUM(COALESCE(x.bac_passed, 0)) AS bac_passed,
       SUM(CASE WHEN a.age BETWEEN 6 AND 11 THEN 1 ELSE 0 END) AS aged_6_11,
       SUM(CASE WHEN a.age BETWEEN 12 AND 14 THEN 1 ELSE 0 END) AS aged_12_14,
       SUM(CASE WHEN a.age BETWEEN 15 AND 17 THEN 1 ELSE 0 END) AS aged_15_17
FROM enrollment e
LEFT JOIN (
    SELECT massar_code, school_year,
           SUM(CASE WHEN exam = 'CEP' THEN 1 ELSE 0 END) AS cep_candidates,
           SUM(CASE WHEN exam = 'CEP' AND passed THEN 1 ELSE 0 END) AS cep_passed,
           SUM(CASE WHEN exam = 'REG' THEN 1 ELSE 0 END) AS reg_candidates,
           SUM(CASE WHEN exam = 'REG' AND passed THEN 1 ELSE 0 END) AS reg_passed,
           SUM(CASE WHEN exam = 'BAC' THEN 1 ELSE 0 END) AS bac_candidates,
           SUM(CASE WHEN exam = 'BAC' AND passed THEN 1 ELSE 0 END) AS bac_passed
    FROM exam_result GROUP BY massar_code, school_year
) x ON x.massar_code = e.massar_code AND x.school_year = e.school_year
LEFT JOIN (
    SELECT DISTINCT massar_code, school_year FROM quality_finding WHERE massar_code IS NOT NULL
) f ON f.massar_code = e.massar_code AND f.school_year = e.school_year
JOIN student st ON st.massar_code = e.massar_code
JOIN (
    SELECT massar_code, :year - EXTRACT(YEAR FROM birth_date)
           - CASE WHEN EXTRACT(MONTH FROM birth_date) * 100 + EXTRACT(DAY FROM birth_date) > 901
                  THEN 1 ELSE 0 END AS age
    FROM student
) a ON a.massar_code = e.massar_code
JOIN school sc ON sc.code = e.school_code
JOIN commune co ON co.code = sc.commune_code
JOIN province pr ON pr.code = co.province_code
WHERE e.school_year = :year
GROUP BY e.school_code, e.grade, st.sex, sc.sector, sc.milieu, sc.commune_code,
         co.province_code, pr.region_code
ORDER BY e.school_code, e.grade, st.sex
"""


@dataclass(frozen=True)
class Reading:
    """One count a view shows (``value``) or hides (``None``), and the rows it sums."""

    year: int
    selector: tuple  # (level, code, cycle, sector, milieu, sex, grade)
    unknown: str
    value: float | None
    #: The quality view hides a cell's checks wherever any of its counts is hidden, so
    #: it may hide a count the other views show.
    quality: bool = False


def finest_cells(engine: sa.Engine, year: int) -> pd.DataFrame:
    """Return the finest cells of a year (school, grade, sex) from the raw tables."""
    with engine.connect() as conn:
        return pd.read_sql(sa.text(FINEST_SQL), conn, params={"year": year})


def member_mask(cells: pd.DataFrame, selector: tuple) -> np.ndarray:
    """Return which finest cells a reading sums."""
    level, code, cycle, sector, milieu, sex, grade = selector
    mask = np.ones(len(cells), bool)
    if level != "national":
        mask &= (cells[LEVEL_COLUMN[level]] == code).to_numpy()
    if cycle != ALL:
        mask &= cells["grade"].isin(GRADES_BY_CYCLE[cycle]).to_numpy()
    for column, value in (("sector", sector), ("milieu", milieu), ("sex", sex),
                          ("grade", grade)):
        if value != ALL:
            mask &= (cells[column] == value).to_numpy()
    return mask


def filter_choices(level: str, cells: pd.DataFrame) -> list[dict]:
    """Every combination of filter values that gives a distinct set of rows of the unit.

    ``cells`` are the unit's finest cells. A value no school of the unit has gives no
    pupils, and when all have the same, it gives the unit itself: both add nothing.
    """
    present = {name: sorted(set(cells[name])) for name in ("sector", "milieu")}
    present["cycle"] = sorted({c for c, grades in GRADES_BY_CYCLE.items()
                               if cells["grade"].isin(grades).any()})

    def values(name: str) -> tuple:
        return (ALL, *present[name]) if len(present[name]) > 1 else (ALL,)

    return [dict(cycle=c, sector=s, milieu=m, sex=x) for c, s, m, x in
            itertools.product(values("cycle"), values("sector"), values("milieu"),
                              (ALL, *SEXES))]


def _readings(frame: pd.DataFrame, year_of, selector_of) -> list[Reading]:
    found = []
    for _, row in frame.iterrows():
        year = int(year_of(row))
        base = selector_of(row)
        for column, unknown in SHOWN.items():
            if column not in row:
                continue
            selector = base
            if column == "girls":
                if base[5] != ALL:
                    continue
                selector = (*base[:5], "F", base[6])
            value = row[column]
            found.append(Reading(year, selector, unknown,
                                 None if pd.isna(value) else float(value)))
        # a cycle's counts, and a rate to the population times that population (public)
        for column, (cycle, unknown) in OF_CYCLE.items():
            selector = _of_cycle(base, cycle)
            if column in row and selector is not None:
                value = row[column]
                found.append(Reading(year, selector, unknown,
                                     None if pd.isna(value) else float(value)))
        for code, (cycle, unknown, population) in OVER_POPULATION.items():
            selector = base if cycle is None else _of_cycle(base, cycle)
            if code in row and selector is not None and not pd.isna(row[code]) \
                    and not pd.isna(row.get(population)):
                count = float(row[code]) * float(row[population])
                found.append(Reading(year, selector, unknown,
                                     float(round(count)) if abs(count - round(count)) < 1e-6
                                     else count))
        # a rate shown as "no data" (not as a secret) tells that its denominator is zero
        for code, denominator in NO_DATA_TELLS.items():
            if code == "girls_share" and base[5] != ALL:
                continue  # meaningless under a sex filter, whatever the counts
            if code in row and pd.isna(row[code]) and not bool(row.get(f"{code}_suppressed")):
                found.append(Reading(year, base, denominator, 0.0))
    return found


def _of_cycle(base: tuple, cycle: str) -> tuple | None:
    """Return the selector of ``base``'s rows of one cycle (None when it has none: a
    filter on another cycle, or a grade of another)."""
    level, code, chosen, sector, milieu, sex, grade = base
    if chosen not in (ALL, cycle) or (grade != ALL and grade not in GRADES_BY_CYCLE[cycle]):
        return None
    return (level, code, cycle, sector, milieu, sex, grade)


def _every_filter(units: list[tuple[str, str]], year: int, cells: pd.DataFrame):
    """Yield each unit with each filter combination of it: level, code, the choice, the
    filters and the selector of the unit's cell under them."""
    for level, code in units:
        mine = cells[member_mask(cells, (level, code, ALL, ALL, ALL, ALL, ALL))]
        for choice in filter_choices(level, mine):
            yield (level, code, choice, Filters(year, **choice),
                   (level, code, choice["cycle"], choice["sector"], choice["milieu"],
                    choice["sex"], ALL))


def read_views(units: list[tuple[str, str]], year: int, cells: pd.DataFrame) -> list[Reading]:
    """Read every view of ``units`` for ``year`` (and the year before, which they show).

    The views: a unit's cards, its children's ranking (and map), its breakdowns by grade
    and sex, its grade by sex table, for every filter combination; the breakdowns by
    sector, milieu and cycle and the trend once, unfiltered (with a filter they repeat
    the cards of the filtered unit).
    """
    found: list[Reading] = []
    for level, code, choice, filters, base in _every_filter(units, year, cells):

        def same(row, base=base):
            return base

        frame = views.unit_indicators(level, code, filters, NATIONAL_SCOPE)
        found += _readings(frame, lambda row: row["school_year"], same)
        unfiltered = all(value == ALL for value in choice.values())
        splits = ("grade", "sex", "sector", "milieu", "cycle") if unfiltered else (
            "grade", "sex")
        if unfiltered:
            frame = views.trend(level, code, filters, NATIONAL_SCOPE)
            found += _readings(frame, lambda row: row["school_year"], same)
        for by in splits:
            frame = views.breakdown(level, code, filters, NATIONAL_SCOPE, by)
            found += _readings(frame, lambda row: year,
                               lambda row, by=by, base=base: _split(base, by, row[by]))
        frame = views.grade_by_sex(level, code, filters, NATIONAL_SCOPE)
        found += _readings(frame, lambda row: year, lambda row, base=base: _split(
            _split(base, "grade", row["grade"]), "sex", row["sex"]))
        if level in CHILD_LEVEL:
            child = CHILD_LEVEL[level]
            frame = views.children_indicators(level, code, filters, NATIONAL_SCOPE)
            found += _readings(frame, lambda row: year,
                               lambda row, child=child, base=base: (child, row["code"],
                                                                    *base[2:]))
    return found


def _check_readings(frame: pd.DataFrame, year_of, selector_of) -> list[Reading]:
    """Return what the rows of checks show: each pupil check's base (the enrollment),
    and the count of those that count an unknown."""
    found = []
    for _, row in frame.iterrows():
        check = row["check_code"]
        if check not in EVERY_YEAR_CHECKS:
            continue
        year, selector = int(year_of(row)), selector_of(row)
        for column, unknown in (("base", "enrolled"), ("count", CHECK_COUNTS.get(check))):
            if unknown is not None:
                value = row[column]
                found.append(Reading(year, selector, unknown,
                                     None if pd.isna(value) else float(value), True))
    return found


def read_quality_views(units: list[tuple[str, str]], year: int,
                       cells: pd.DataFrame) -> list[Reading]:
    """Read the data-quality view of ``units`` for ``year`` (its checks, their years, the
    children's checks) for every filter combination."""
    found: list[Reading] = []
    for level, code, _choice, filters, base in _every_filter(units, year, cells):

        def same(row, base=base):
            return base

        found += _check_readings(quality.unit_checks(level, code, filters, NATIONAL_SCOPE),
                                 lambda row: year, same)
        found += _check_readings(quality.checks_by_year(level, code, filters,
                                                        NATIONAL_SCOPE),
                                 lambda row: row["school_year"], same)
        if level in CHILD_LEVEL:
            child = CHILD_LEVEL[level]
            frame = quality.children_checks(level, code, filters, NATIONAL_SCOPE)
            found += _check_readings(frame, lambda row: year,
                                     lambda row, child=child, base=base: (
                                         child, row["code"], *base[2:]))
    return found


def _split(base: tuple, by: str, value: str) -> tuple:
    level, code, cycle, sector, milieu, sex, grade = base
    if by == "grade":
        return (level, code, cycle, sector, milieu, sex, value)
    if by == "cycle":
        return (level, code, value if cycle == ALL else cycle, sector, milieu, sex, grade)
    if by == "sex":
        return (level, code, cycle, sector, milieu, value, grade)
    if by == "sector":
        return (level, code, cycle, value, milieu, sex, grade)
    return (level, code, cycle, sector, value, sex, grade)


@dataclass
class Attack:
    """What the arithmetic of every shown count gives back, for one school year."""

    hidden: int  # distinct hidden counts (a cell and an unknown)
    recovered: list[tuple[tuple, str, float]]  # (selector, unknown, value) given back
    wrong: list[tuple[tuple, str, float, float]]  # shown counts that differ from the rows


def attack(cells: pd.DataFrame, readings: list[Reading], year: int) -> Attack:
    """Solve the shown counts of ``year`` for its hidden ones."""
    width = len(cells)
    shown_rows, hidden_rows, wrong = {}, {}, []
    masks: dict[tuple, np.ndarray] = {}
    for reading in readings:
        if reading.year != year:
            continue
        if reading.selector not in masks:
            masks[reading.selector] = member_mask(cells, reading.selector)
        mask = masks[reading.selector]
        if not mask.any():
            continue
        key = (reading.selector, reading.unknown)
        if reading.value is None:
            hidden_rows[key] = mask
            continue
        if reading.unknown in cells or reading.unknown in COMBINED:
            truth = float(sum(sign * cells.loc[mask, name].sum()
                              for name, sign in _terms(reading.unknown)))
            if truth != reading.value:
                wrong.append((reading.selector, reading.unknown, reading.value, truth))
        shown_rows[key] = mask
    recovered = []
    for group in SYSTEMS:  # counts no equation links are solved apart
        position = {name: i for i, name in enumerate(group)}
        size = width * len(group)
        equations, assumed = [], []
        for (_selector, unknown), mask in shown_rows.items():
            terms = _terms(unknown)
            if all(name in position for name, _sign in terms):
                row = np.zeros(size)
                for name, sign in terms:
                    row[position[name] * width + np.flatnonzero(mask)] = sign
                equations.append(row)
        for unknown in group:  # no candidates outside the grade that sits the exam
            exam = unknown.split("_")[0]
            if exam in EXAM_GRADE:
                for cell in np.flatnonzero(cells["grade"].to_numpy() != EXAM_GRADE[exam]):
                    row = np.zeros(size)
                    row[position[unknown] * width + cell] = 1
                    assumed.append(row)
        if "enrolled" in position:  # every pupil promoted, repeating, out or undecided
            for cell in range(width):
                row = np.zeros(size)
                row[position["enrolled"] * width + cell] = 1
                for part in ("dropouts", "repeaters", "promoted", "undecided"):
                    row[position[part] * width + cell] = -1
                assumed.append(row)
            # and, as a user may assume, none undecided where the year is over
            for cell in np.flatnonzero(cells["undecided"].to_numpy() == 0):
                row = np.zeros(size)
                row[position["undecided"] * width + cell] = 1
                assumed.append(row)
        every = equations + assumed
        basis = row_space(np.array(every)) if every else np.zeros((0, size))
        # what the assumptions alone tell is no secret a view could keep
        known = row_space(np.array(assumed)) if assumed else np.zeros((0, size))
        for (selector, unknown), mask in hidden_rows.items():
            terms = _terms(unknown)
            if not all(name in position for name, _sign in terms) or (
                    selector, unknown) in shown_rows:
                continue  # the same count shown by another view is not hidden
            target = np.zeros(size)
            for name, sign in terms:
                target[position[name] * width + np.flatnonzero(mask)] = sign
            residual = target - basis.T @ (basis @ target)
            told = target - known.T @ (known @ target)
            if np.abs(residual).max() < 1e-6 and np.abs(told).max() >= 1e-6:
                recovered.append((selector, unknown, float(sum(
                    sign * cells.loc[mask, name].sum() for name, sign in terms))))
    hidden = sum(1 for key in hidden_rows if key not in shown_rows)
    return Attack(hidden, recovered, wrong)


def _terms(unknown: str) -> tuple[tuple[str, int], ...]:
    """Return the unknowns a shown count sums, with their signs."""
    return COMBINED.get(unknown, ((unknown, 1),))


def row_space(matrix: np.ndarray) -> np.ndarray:
    """Return an orthonormal basis of the rows' span."""
    matrix = np.unique(matrix, axis=0)
    gram = matrix.T @ matrix
    values, vectors = np.linalg.eigh(gram)
    return vectors[:, values > 1e-8 * max(values.max(), 1.0)].T
