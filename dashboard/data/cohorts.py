"""Pupils followed year by year: enrollment, end-of-year outcome and exams.

The simulation is vectorized over all pupils of a year. A promoted pupil is in the
next grade the next year (changing school at the end of primaire and collège, inside
the same province); a repeater stays in the same grade and school; a pupil who drops
out or graduates never reappears; new pupils enter 1AEP every year.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dashboard.data import calibration
from dashboard.data.schema import GRADES, GRADES_BY_CYCLE, OUTCOMES

PROMU, REDOUBLANT, ABANDON, DIPLOME = (OUTCOMES.index(o) for o in OUTCOMES)
GRADE_INDEX = {g: i for i, g in enumerate(GRADES)}
FIRST_GRADE_OF_CYCLE = {c: GRADE_INDEX[grades[0]] for c, grades in GRADES_BY_CYCLE.items()}
EXAM_GRADES = {GRADE_INDEX["6AEP"]: "CEP", GRADE_INDEX["3AC"]: "REG", GRADE_INDEX["2BAC"]: "BAC"}
CYCLE_NUMBER = {"primaire": 0, "college": 1, "qualifiant": 2}
MASSAR_LETTERS = np.array(list("JKLMNPRSTDGH"))


@dataclass
class YearOfData:
    """What one simulated school year adds to the raw tables."""

    school_year: int
    students: pa.Table
    enrollment: pa.Table
    exam_result: pa.Table


def massar_codes(student_ids: np.ndarray, letters: np.ndarray) -> pa.Array:
    """Turn student numbers into MASSAR-style codes: a letter and 9 scrambled digits."""
    digits = (student_ids.astype(np.int64) * 7919 + 104_729) % 1_000_000_000
    padded = pc.utf8_lpad(pa.array(digits).cast(pa.string()), 9, "0")
    return pc.binary_join_element_wise(pa.array(letters), padded, "")


class Simulation:
    """Follow every pupil of a school network through ``years``."""

    def __init__(self, schools: pd.DataFrame, years: list[int], rng: np.random.Generator):
        self.schools = schools
        self.years = years
        self.rng = rng
        self.cycle = schools["cycle"].map(CYCLE_NUMBER).to_numpy()
        self.private = (schools["sector"] == "prive").to_numpy()
        self.rural = (schools["milieu"] == "rural").to_numpy()
        self.region = schools["region_code"].astype(int).to_numpy() - 1
        provinces = schools["province_code"].astype("category")
        self.province = provinces.cat.codes.to_numpy()
        self.region_exam = rng.normal(0, calibration.REGION_EXAM_SPREAD, 12)
        self.region_dropout = rng.normal(0, calibration.REGION_DROPOUT_SPREAD, 12)
        n_provinces = len(provinces.cat.categories)
        self.province_exam = rng.normal(0, calibration.PROVINCE_SPREAD, n_provinces)
        self.province_dropout = rng.normal(0, calibration.PROVINCE_SPREAD, n_provinces)
        self.school_codes = schools["code"].to_numpy()
        self.destinations = {
            "college": _destination_table(schools, "primaire", "college"),
            "qualifiant": _destination_table(schools, "college", "qualifiant"),
        }
        self.female = np.zeros(0, dtype=bool)
        self.letter = np.zeros(0, dtype="<U1")
        self.next_student = 0

    def run(self) -> Iterator[YearOfData]:
        """Yield each school year's new students, enrollments and exam results."""
        school, grade, student, new_students = self._starting_stock(self.years[0])
        for position, year in enumerate(self.years):
            outcome, average, exams = self._end_of_year(year, school, grade, student)
            yield YearOfData(
                year,
                new_students,
                self._enrollment_table(year, school, grade, student, outcome, average),
                exams,
            )
            if position + 1 < len(self.years):
                school, grade, student = self._next_year(school, grade, student, outcome)
                entrants = self._entrants(year + 1, position + 1)
                new_students = self._new_students(entrants, year + 1, grade_index=0)
                school = np.concatenate([school, entrants])
                grade = np.concatenate([grade, np.zeros(len(entrants), dtype=np.int8)])
                student = np.concatenate([student, self._last_ids(len(entrants))])

    # The starting stock and new entrants ------------------------------------------

    def _starting_stock(self, year: int):
        schools, grades = [], []
        for cycle, shares in calibration.GRADE_SHARES.items():
            members = np.flatnonzero(self.schools["cycle"].to_numpy() == cycle)
            sizes = self.schools["pupils"].to_numpy()[members]
            for offset, share in enumerate(shares):
                counts = np.maximum(1, np.round(sizes * share)).astype(np.int64)
                schools.append(np.repeat(members, counts))
                grades.append(np.full(counts.sum(), FIRST_GRADE_OF_CYCLE[cycle] + offset))
        school = np.concatenate(schools).astype(np.int32)
        grade = np.concatenate(grades).astype(np.int8)
        delay = self.rng.choice([0, 1, 2], len(grade), p=calibration.STOCK_DELAY)
        girls = self.rng.random(len(grade)) < calibration.GIRLS_AMONG_ENTRANTS + 0.004 * (
            grade // 3
        )
        birth_year = year - 6 - grade.astype(np.int64) - delay
        table = self._register(girls, birth_year, self.region[school])
        return school, grade, self._last_ids(len(grade)), table

    def _entrants(self, year: int, years_since_start: int) -> np.ndarray:
        primary = np.flatnonzero(self.cycle == 0)
        sizes = self.schools["pupils"].to_numpy()[primary]
        trend = np.where(
            self.private[primary],
            calibration.INTAKE_TREND["prive"],
            calibration.INTAKE_TREND["public"],
        )
        expected = sizes * calibration.GRADE_SHARES["primaire"][0] * 0.9
        expected = expected * (1 + trend) ** years_since_start
        counts = self.rng.poisson(expected)
        return np.repeat(primary, counts).astype(np.int32)

    def _new_students(self, school: np.ndarray, year: int, grade_index: int) -> pa.Table:
        girls = self.rng.random(len(school)) < calibration.GIRLS_AMONG_ENTRANTS
        late = (self.rng.random(len(school)) < calibration.LATE_ENTRANTS).astype(int)
        return self._register(girls, year - 6 - grade_index - late, self.region[school])

    def _register(self, girls: np.ndarray, birth_year: np.ndarray, region: np.ndarray):
        """Create students and return their rows for the ``student`` table."""
        ids = np.arange(self.next_student, self.next_student + len(girls))
        self.next_student += len(girls)
        self.female = np.concatenate([self.female, girls])
        self.letter = np.concatenate([self.letter, MASSAR_LETTERS[region]])
        day = self.rng.integers(0, 365, len(girls))
        years = (np.asarray(birth_year, dtype=np.int64) - 1970).astype("datetime64[Y]")
        births = years.astype("datetime64[D]") + day.astype("timedelta64[D]")
        return pa.table(
            {
                "massar_code": massar_codes(ids, MASSAR_LETTERS[region]),
                "sex": pa.array(np.where(girls, "F", "M")),
                "birth_date": pa.array(births.astype("datetime64[D]")),
            }
        )

    def _last_ids(self, count: int) -> np.ndarray:
        return np.arange(self.next_student - count, self.next_student, dtype=np.int64)

    # One school year -------------------------------------------------------------

    def _end_of_year(self, year, school, grade, student):
        """Draw each pupil's outcome, annual average and exam result."""
        rng = self.rng
        n = len(grade)
        female = self.female[student]
        private = self.private[school]
        rural = self.rural[school]
        region, province = self.region[school], self.province[school]
        p_drop = self._dropout_probability(year, grade, female, private, rural, region, province)
        p_repeat = self._repetition_probability(grade, female, private, rural)

        draw = rng.random(n)
        outcome = np.full(n, PROMU, dtype=np.int8)
        outcome[draw < p_drop + p_repeat] = REDOUBLANT
        outcome[draw < p_drop] = ABANDON

        exam_rows = []
        for grade_index, exam in EXAM_GRADES.items():
            sits = (grade == grade_index) & (outcome != ABANDON)
            candidates = np.flatnonzero(sits)
            logit = (
                _logit(calibration.EXAM_PASS[exam][year])
                + np.where(female[candidates], calibration.EXAM_GIRLS_LOGIT,
                           calibration.EXAM_BOYS_LOGIT)
                + np.where(private[candidates], calibration.EXAM_PRIVATE_LOGIT, 0.0)
                + np.where(rural[candidates], calibration.EXAM_RURAL_LOGIT, 0.0)
                + self.region_exam[region[candidates]]
                + self.province_exam[province[candidates]]
            )
            passed = rng.random(len(candidates)) < 1 / (1 + np.exp(-logit))
            leaves = rng.random(len(candidates)) < calibration.FAILED_EXAM_DROPOUT[exam]
            outcome[candidates] = np.where(
                passed, DIPLOME if exam == "BAC" else PROMU, np.where(leaves, ABANDON, REDOUBLANT)
            )
            score = np.where(
                passed,
                np.minimum(20, 10 + np.abs(rng.normal(0, 2.6, len(candidates)))),
                np.maximum(0, 9.99 - np.abs(rng.normal(0, 1.8, len(candidates)))),
            )
            exam_rows.append((candidates, exam, np.round(score, 2), passed))

        average = self._annual_average(outcome, female, private)
        return outcome, average, self._exam_table(year, student, school, exam_rows)

    def _dropout_probability(self, year, grade, female, private, rural, region, province):
        base = np.array([calibration.DROPOUT[g] for g in GRADES])[grade]
        college = (grade >= GRADE_INDEX["1AC"]) & (grade <= GRADE_INDEX["3AC"])
        factor = (
            calibration.DROPOUT_YEAR_FACTOR.get(year, 1.0)
            * np.where(rural, calibration.DROPOUT_RURAL, calibration.DROPOUT_URBAN)
            * np.where(female, calibration.DROPOUT_GIRLS, calibration.DROPOUT_BOYS)
            * np.where(rural & female & college, calibration.DROPOUT_RURAL_COLLEGE_GIRLS, 1.0)
            * np.where(private, calibration.DROPOUT_PRIVATE, 1.0)
            * np.exp(self.region_dropout[region] + self.province_dropout[province])
        )
        return np.clip(base * factor, 0, 0.5)

    def _repetition_probability(self, grade, female, private, rural):
        base = np.array([calibration.REPETITION.get(g, 0.0) for g in GRADES])[grade]
        factor = (
            np.where(female, calibration.REPETITION_GIRLS, calibration.REPETITION_BOYS)
            * np.where(private, calibration.REPETITION_PRIVATE, 1.0)
            * np.where(rural, calibration.REPETITION_RURAL, 1.0)
        )
        return np.clip(base * factor, 0, 0.45)

    def _annual_average(self, outcome, female, private) -> np.ndarray:
        rng = self.rng
        n = len(outcome)
        success = (outcome == PROMU) | (outcome == DIPLOME)
        good = 12.6 + 0.4 * female + 1.0 * private + rng.normal(0, 1.9, n)
        poor = 7.9 + rng.normal(0, 1.3, n)
        average = np.where(success, np.clip(good, 10, 20), np.clip(poor, 0, 9.99))
        missing = (outcome == ABANDON) & (rng.random(n) < 0.7)
        return np.where(missing, np.nan, np.round(average, 2))

    # Tables ----------------------------------------------------------------------

    def _enrollment_table(self, year, school, grade, student, outcome, average) -> pa.Table:
        return pa.table(
            {
                "massar_code": self._massar(student),
                "school_year": pa.array(np.full(len(grade), year, dtype=np.int32)),
                "school_code": pa.array(self.school_codes[school]),
                "grade": pa.DictionaryArray.from_arrays(grade, GRADES).cast(pa.string()),
                "outcome": pa.DictionaryArray.from_arrays(outcome, OUTCOMES).cast(pa.string()),
                "annual_average": pa.array(average, from_pandas=True),
            }
        )

    def _exam_table(self, year, student, school, exam_rows) -> pa.Table:
        index = np.concatenate([rows[0] for rows in exam_rows])
        return pa.table(
            {
                "massar_code": self._massar(student[index]),
                "school_year": pa.array(np.full(len(index), year, dtype=np.int32)),
                "exam": pa.array(np.concatenate([[rows[1]] * len(rows[0]) for rows in exam_rows])),
                "score": pa.array(np.concatenate([rows[2] for rows in exam_rows])),
                "passed": pa.array(np.concatenate([rows[3] for rows in exam_rows])),
            }
        )

    def _massar(self, student: np.ndarray) -> pa.Array:
        return massar_codes(student, self.letter[student])

    # Moving on -------------------------------------------------------------------

    def _next_year(self, school, grade, student, outcome):
        stays = (outcome == PROMU) | (outcome == REDOUBLANT)
        school, grade, student = school[stays], grade[stays].copy(), student[stays]
        promoted = outcome[stays] == PROMU
        grade[promoted] += 1
        for cycle, table in self.destinations.items():
            movers = np.flatnonzero(promoted & (grade == FIRST_GRADE_OF_CYCLE[cycle]))
            school[movers] = table.draw(school[movers], self.rng)
        return school, grade, student


def _logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


class _Destinations:
    """Where pupils finishing a cycle go: a school of the next cycle in their province.

    Each origin school has a probability over the next cycle's schools of its province,
    proportional to their size and higher for the same commune and the same sector.
    """

    def __init__(self, origins: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]):
        self.by_province = origins

    def draw(self, origin: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Return a destination school for each pupil leaving an ``origin`` school."""
        result = np.empty(len(origin), dtype=np.int32)
        for local_of, targets, cumulative in self.by_province.values():
            mine = np.flatnonzero(local_of[origin] >= 0)
            if mine.size == 0:
                continue
            rows = cumulative[local_of[origin[mine]]]
            choice = (rows < rng.random(mine.size)[:, None]).sum(axis=1)
            result[mine] = targets[np.minimum(choice, len(targets) - 1)]
        return result


def _destination_table(schools: pd.DataFrame, origin_cycle: str, target_cycle: str):
    by_province = {}
    for province, members in schools.groupby("province_code").indices.items():
        group = schools.iloc[members]
        origins = members[(group["cycle"] == origin_cycle).to_numpy()]
        targets = members[(group["cycle"] == target_cycle).to_numpy()]
        if origins.size == 0:
            continue
        if targets.size == 0:
            raise ValueError(f"province {province} has no {target_cycle} school")
        origin, target = schools.iloc[origins], schools.iloc[targets]
        same_commune = (
            origin["commune_code"].to_numpy()[:, None] == target["commune_code"].to_numpy()[None, :]
        )
        origin_private = (origin["sector"] == "prive").to_numpy()[:, None]
        target_private = (target["sector"] == "prive").to_numpy()[None, :]
        sector_weight = np.where(
            target_private, np.where(origin_private, 3.0, 0.15), np.where(origin_private, 0.7, 1.0)
        )
        weight = target["pupils"].to_numpy()[None, :] * np.where(same_commune, 4.0, 1.0)
        weight = weight * sector_weight
        cumulative = np.cumsum(weight, axis=1) / weight.sum(axis=1, keepdims=True)
        local_of = np.full(len(schools), -1, dtype=np.int64)
        local_of[origins] = np.arange(origins.size)
        by_province[province] = (local_of, targets, cumulative)
    return _Destinations(by_province)
