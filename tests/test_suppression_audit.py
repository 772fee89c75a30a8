"""The suppression pattern against an attacker who solves every shown count at once.

Small random territories (a few schools in two communes of two provinces) are made
row by row; every cell a view can show is listed here from the rows with plain pandas
filters, apart from the code under test, and the attacker's linear system is solved
densely. The pattern ``decide`` returns must give nothing back, and the audit it relies
on must find exactly the counts the dense solver gives back on any pattern.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from dashboard.data import suppression
from dashboard.data.schema import GRADES_BY_CYCLE
from tests.differencing import AGE_BANDS, EXAM_GRADE, row_space

MEASURES = suppression.MEASURES
#: Within a finest cell: a total equals the sum of its parts (a pupil whose result is not
#: decided yet is none of promoted, repeating or out: the API gives the known results).
RELATIONS = (("enrolled", ("promoted", "repeaters", "dropouts", "undecided")),
             *((f"{e}_candidates", (f"{e}_passed", f"{e}_failed")) for e in EXAM_GRADE))
SCHOOLS = (  # school, commune, province, sector, milieu, cycle
    ("S1", "C1", "P1", "public", "urbain", "primaire"),
    ("S2", "C1", "P1", "public", "rural", "primaire"),
    ("S3", "C1", "P1", "prive", "urbain", "college"),
    ("S4", "C2", "P2", "public", "rural", "primaire"),
    ("S5", "C2", "P2", "public", "rural", "qualifiant"),
)


def random_rows(seed: int) -> pd.DataFrame:
    """School, grade and sex rows with small random counts."""
    rng = np.random.default_rng(seed)
    rows = []
    for school, commune, province, sector, milieu, cycle in SCHOOLS:
        for grade, sex in itertools.product(GRADES_BY_CYCLE[cycle], ("F", "M")):
            enrolled = int(rng.integers(0, 9))
            dropouts = int(rng.integers(0, min(enrolled, 2) + 1))
            repeaters = int(rng.integers(0, enrolled - dropouts + 1)) // 2
            # now and then a pupil whose result is not decided yet
            undecided = int(rng.random() < 0.2) if enrolled - dropouts - repeaters else 0
            row = dict(school_code=school, commune_code=commune, province_code=province,
                       region_code="R1", sector=sector, milieu=milieu, grade=grade, sex=sex,
                       enrolled=enrolled, decided=enrolled - undecided, dropouts=dropouts,
                       repeaters=repeaters, promoted=enrolled - dropouts - repeaters - undecided,
                       average_count=enrolled - int(rng.integers(0, 2) if enrolled else 0))
            for exam, exam_grade in EXAM_GRADE.items():
                candidates = enrolled - dropouts if grade == exam_grade else 0
                row[f"{exam}_candidates"] = candidates
                row[f"{exam}_passed"] = int(rng.integers(0, candidates + 1))
            # most pupils of a grade are of its cycle's ages, now and then one older or
            # younger (an 11-year-old in collège, a 15-year-old in 3AC)
            bands = list(AGE_BANDS)
            own = list(GRADES_BY_CYCLE).index(cycle)
            other = bands[own + 1] if own + 1 < len(bands) else bands[own - 1]
            off_age = int(rng.integers(0, min(enrolled, 2) + 1)) if enrolled else 0
            row.update({band: 0 for band in bands})
            row[bands[own]], row[other] = enrolled - off_age, off_age
            rows.append(row)
    return pd.DataFrame(rows)[list(suppression.ROW_COLUMNS)]


def every_cell(rows: pd.DataFrame) -> list[tuple[tuple, np.ndarray]]:
    """Every cell a view can show (its key) and the rows it sums."""
    cycle = rows["grade"].map({g: c for c, gs in GRADES_BY_CYCLE.items() for g in gs})
    grade_sets = [("all", np.ones(len(rows), bool))]
    grade_sets += [(c, (cycle == c).to_numpy()) for c in GRADES_BY_CYCLE]
    grade_sets += [(g, (rows["grade"] == g).to_numpy()) for g in rows["grade"].unique()]
    sexes = [("all", np.ones(len(rows), bool))] + [(s, (rows["sex"] == s).to_numpy())
                                                   for s in ("F", "M")]
    units = [("national", "MA", np.ones(len(rows), bool))]
    for level, column in (("region", "region_code"), ("province", "province_code"),
                          ("commune", "commune_code"), ("school", "school_code")):
        units += [(level, code, (rows[column] == code).to_numpy())
                  for code in rows[column].unique()]
    found = []
    for level, code, unit in units:
        splits = (("all",),) * 2 if level == "school" else (
            ("all", "public", "prive"), ("all", "urbain", "rural"))
        for sector, milieu in itertools.product(*splits):
            mask = unit.copy()
            if sector != "all":
                mask &= (rows["sector"] == sector).to_numpy()
            if milieu != "all":
                mask &= (rows["milieu"] == milieu).to_numpy()
            for (grades, in_grades), (sex, in_sex) in itertools.product(grade_sets, sexes):
                members = mask & in_grades & in_sex
                if members.any():
                    found.append(((level, code, sector, milieu, grades, sex), members))
    return found


def attack(rows: pd.DataFrame, pattern: pd.DataFrame) -> set[tuple[tuple, str]]:
    """Return the hidden counts (key, measure) that the shown ones give back."""
    hidden = {tuple(row[list(suppression.KEY)]): {m for m in MEASURES if row[m]}
              for _, row in pattern.iterrows()}
    width = len(rows)
    column = {m: i * width for i, m in enumerate(MEASURES)}
    equations, targets = [], []
    for key, members in every_cell(rows):
        for measure in MEASURES:
            vector = np.zeros(width * len(MEASURES))
            vector[column[measure] + np.flatnonzero(members)] = 1
            (targets if measure in hidden.get(key, ()) else equations).append(
                ((key, measure), vector))
    for i in range(width):
        for exam, grade in EXAM_GRADE.items():  # anyone can tell who sits no exam
            if rows["grade"].iloc[i] != grade:
                for part in ("candidates", "passed", "failed"):
                    vector = np.zeros(width * len(MEASURES))
                    vector[column[f"{exam}_{part}"] + i] = 1
                    equations.append((None, vector))
        for total, parts in RELATIONS:
            vector = np.zeros(width * len(MEASURES))
            vector[column[total] + i] = 1
            for part in parts:
                vector[column[part] + i] = -1
            equations.append((None, vector))
    basis = row_space(np.array([v for _, v in equations]))
    return {name for name, target in targets
            if np.abs(target - basis.T @ (basis @ target)).max() < 1e-6}


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("threshold", [3, 5])
def test_the_pattern_gives_nothing_back_to_an_attacker_solving_every_count(seed, threshold):
    rows = random_rows(seed)
    pattern = suppression.decide(rows, threshold)
    assert len(pattern) > 20  # small counts: much is hidden
    assert attack(rows, pattern) == set()


@pytest.mark.parametrize("seed", range(3))
def test_the_audit_finds_exactly_what_the_attacker_gives_back(seed):
    rows = random_rows(100 + seed)
    rng = np.random.default_rng(seed)
    keys = pd.DataFrame([key for key, _ in every_cell(rows)], columns=list(suppression.KEY))
    flags = pd.DataFrame(rng.random((len(keys), len(MEASURES))) < 0.15, columns=list(MEASURES))
    pattern = pd.concat([keys, flags], axis=1)
    # the same rows are one cell whatever it is called: give them the same flags
    sums = {key: tuple(np.flatnonzero(members)) for key, members in every_cell(rows)}
    first = {}
    for i, key in enumerate(map(tuple, keys.to_numpy())):
        first.setdefault(sums[key], i)
        pattern.loc[i, list(MEASURES)] = flags.loc[first[sums[key]]].to_numpy()
    # a zero anyone can tell (no pupil of the grade that sits the exam) is never hidden
    for i, key in enumerate(map(tuple, keys.to_numpy())):
        for exam, grade in EXAM_GRADE.items():
            if not (rows["grade"].to_numpy()[list(sums[key])] == grade).any():
                pattern.loc[i, [f"{exam}_candidates", f"{exam}_passed", f"{exam}_failed"]] = False
    pattern = pattern[pattern[list(MEASURES)].any(axis=1)].reset_index(drop=True)
    expected = {(sums[key], measure) for key, measure in attack(rows, pattern)}
    found = suppression.given_back(rows, pattern)
    assert {(sums[tuple(r[list(suppression.KEY)])], r["measure"])
            for _, r in found.iterrows()} == expected
    assert expected  # random patterns leave chains an attacker follows
