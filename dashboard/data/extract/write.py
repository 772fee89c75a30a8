"""Writing the schooling database as a MASSAR extract (../shared/massar-extract.md), with
defects on request: rows the import rejects, of every reason code, with the ground truth of
the lines it rejects; and rows it accepts that the data-quality checks (docs/quality.md)
find, of every check code, with the ground truth of those findings.

Rows are read page by page in the order of the MASSAR code, so that a national year is never
held in memory. A rejected defect damages one row of the database or adds a row, chosen so
that it changes the fate of no other line: schools are only added (a damaged school would
make its pupils unknown), pupils are damaged only in a year they sit no exam, and the pupils
whose rows a defect relies on are kept intact. An accepted defect changes a result, an
average, a grade or a birth date, or leaves rows out, so that the import takes every row
left and the check fires by its rule; it touches no pupil a rejected defect touches or
relies on, and the pupils (and schools' pupils) it relies on are never damaged.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import random
import string
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from gzip import GzipFile
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from dashboard.data.extract.format import EXAMS, PUPILS, REASONS, SCHOOLS
from dashboard.data.schema import CYCLE_OF_GRADE, EXAM_OF_GRADE, GRADES, GRADES_BY_CYCLE
from dashboard.data.schema import EXAMS as EXAM_CODES

#: Rows read from the database per query.
PAGE = 100_000
#: CSV text, named .txt so that importing the folder leaves it aside.
GROUND_TRUTH = "ground_truth.txt"
SCHOOL_COLUMNS = tuple(c for c in SCHOOLS.columns if c != "nom_ar")
#: The reasons each kind of file can be given.
KIND_REASONS: dict[str, tuple[str, ...]] = {
    SCHOOLS.name: ("unreadable", "missing_value", "bad_value", "unknown_commune",
                   "bad_coordinates", "duplicate"),
    PUPILS.name: ("unreadable", "missing_value", "bad_massar_code", "bad_sex", "bad_date",
                  "implausible_age", "unknown_school", "bad_value", "grade_not_in_cycle",
                  "bad_score", "bad_year", "duplicate", "conflicting_identity"),
    EXAMS.name: ("unreadable", "missing_value", "bad_massar_code", "bad_value", "bad_score",
                 "bad_year", "duplicate", "exam_without_enrollment", "exam_grade_mismatch"),
}
#: The reasons given by adding a row rather than by damaging one of the database's.
ADDED: dict[str, frozenset[str]] = {
    SCHOOLS.name: frozenset(KIND_REASONS[SCHOOLS.name]),
    PUPILS.name: frozenset({"conflicting_identity"}),
    EXAMS.name: frozenset({"exam_without_enrollment", "exam_grade_mismatch"}),
}
#: Lines a defect of these reasons makes (every copy of a duplicate, both sides of a conflict).
LINES = {"duplicate": 2, "conflicting_identity": 2}
YOUNGEST, OLDEST = 4, 30

#: Tab-separated text, named .txt so that importing the folder leaves it aside.
QUALITY_TRUTH = "quality_truth.txt"
QUALITY_HEADER = ("school_year", "school_code", "massar_code", "check_code")
#: The data-quality checks (docs/quality.md) about a pupil's record, and about a school.
PUPIL_CHECKS = ("missing_outcome", "missing_average", "returns_after_abandon",
                "promoted_not_next_grade", "repeater_moved_on", "grade_skip",
                "lost_in_transfer", "implausible_age", "exam_outcome_mismatch",
                "average_outcome_mismatch")
SCHOOL_CHECKS = ("school_silent", "enrollment_jump", "outlier_rate")
#: A grade's age on 1 September for a pupil who entered 1AEP at 6 and never repeated.
INTENDED_AGE = {grade: 6 + place for place, grade in enumerate(GRADES)}
#: The fields of a pupil row that accepted defects change.
BIRTH, GRADE, RESULT, AVERAGE = 3, 5, 6, 7
#: The pupils in Y−1 a school needs for the enrollment-jump check, and the share of them
#: it keeps in Y.
JUMP_BASE, JUMP_KEPT = 50, 0.5
#: The pupils with a result a school needs to be given an outlying dropout rate, the
#: schools with a result its province needs for a funnel, and the rate given.
OUTLIER_BASE, FUNNEL_SCHOOLS, OUTLIER_DROPOUT = 40, 5, 0.7
#: Candidates for the school a school check picks among, the smallest first.
SILENT_CHOICE = 10
#: Candidate pupils whose records are read at once.
CANDIDATE_CHUNK = 1000

#: Each school's pupils, and pupils with a result, in each year, with its province.
CENSUS = sa.text(
    "SELECT e.school_code, e.school_year, count(*) AS pupils, count(e.outcome) AS decided, "
    "c.province_code FROM enrollment e JOIN school s ON s.code = e.school_code "
    "JOIN commune c ON c.code = s.commune_code "
    "GROUP BY e.school_code, e.school_year, c.province_code")
#: A school's pupils of a year, in a seeded order, with whether they sit the BAC.
SCHOOL_PUPILS = sa.text(
    "SELECT e.massar_code, e.outcome, EXISTS (SELECT 1 FROM exam_result x "
    "WHERE x.massar_code = e.massar_code AND x.school_year = e.school_year "
    "AND x.exam = 'BAC') AS sits_bac FROM enrollment e "
    "WHERE e.school_year = :year AND e.school_code = :school "
    "ORDER BY md5(e.massar_code || :salt), e.massar_code")
#: Records meeting a condition, in a seeded order, with the pupil's birth date and the
#: record of the next year (``n``, NULL when the pupil is not enrolled then).
RECORDS = (
    "SELECT e.school_year, e.massar_code, e.school_code, e.grade, e.outcome, "
    "e.annual_average, s.birth_date, n.school_code AS next_school, n.grade AS next_grade "
    "FROM enrollment e JOIN student s ON s.massar_code = e.massar_code "
    "LEFT JOIN enrollment n ON n.massar_code = e.massar_code "
    "AND n.school_year = e.school_year + 1 WHERE {condition} "
    "ORDER BY md5(e.massar_code || :salt), e.school_year LIMIT :size")
_SITTING = ("EXISTS (SELECT 1 FROM exam_result x WHERE x.massar_code = e.massar_code "
            "AND x.school_year = e.school_year{exam})")
_FREE = "NOT " + _SITTING.format(exam="")
_FIRST_GRADES = ", ".join(f"'{grades[0]}'" for grades in GRADES_BY_CYCLE.values())
#: The records each pupil check's defect can be given.
CANDIDATES: dict[str, str] = {
    "missing_outcome": f"e.outcome IS NOT NULL AND {_FREE}",
    "missing_average": "e.outcome IN ('promu', 'redoublant', 'diplome') "
                       "AND e.annual_average IS NOT NULL",
    "returns_after_abandon": f"e.outcome IN ('promu', 'redoublant') AND n.grade IS NOT NULL "
                             f"AND {_FREE}",
    "promoted_not_next_grade": f"e.outcome = 'redoublant' AND e.grade <> '2BAC' "
                               f"AND n.grade = e.grade AND {_FREE}",
    "repeater_moved_on": f"e.outcome = 'promu' AND n.grade <> e.grade AND {_FREE}",
    "grade_skip": f"e.outcome = 'promu' AND e.grade NOT IN ({_FIRST_GRADES}) "
                  f"AND n.grade <> e.grade AND {_FREE}",
    "lost_in_transfer": f"e.outcome = 'abandon' AND e.grade <> '2BAC' AND n.grade IS NULL "
                        f"AND e.school_year < :last AND {_FREE}",
    "implausible_age": "NOT EXISTS (SELECT 1 FROM enrollment p WHERE p.massar_code = "
                       "e.massar_code AND p.school_year < e.school_year)",
    "exam_outcome_mismatch": "e.outcome = 'diplome' AND "
                             + _SITTING.format(exam=" AND x.exam = 'BAC' AND x.passed"),
    "average_outcome_mismatch": "e.outcome IN ('promu', 'redoublant', 'diplome')",
}

SCHOOL_ROWS = sa.text(
    "SELECT code, name, commune_code, cycle, sector, milieu, latitude, longitude "
    "FROM school ORDER BY code")
#: Every ``size``-th MASSAR code of a year, then the last: the bounds of the pages read.
BOUNDS = (
    "SELECT massar_code FROM (SELECT massar_code FROM (SELECT massar_code, row_number() "
    "OVER (ORDER BY massar_code) AS place FROM {table} WHERE school_year = :year) ranked "
    "WHERE place % :size = 0 UNION SELECT max(massar_code) FROM {table} "
    "WHERE school_year = :year) bounds WHERE massar_code IS NOT NULL ORDER BY massar_code")
#: Pages hold the codes after ``lo`` up to ``hi``, so that no query sorts more than a page.
PUPIL_PAGE = sa.text(
    "SELECT e.massar_code, e.school_code, e.grade, e.outcome, e.annual_average, s.sex, "
    "s.birth_date FROM enrollment e JOIN student s ON s.massar_code = e.massar_code "
    "WHERE e.school_year = :year AND e.massar_code > :lo AND e.massar_code <= :hi "
    "AND s.massar_code > :lo AND s.massar_code <= :hi ORDER BY e.massar_code")
SITTERS = sa.text(
    "SELECT DISTINCT massar_code FROM exam_result WHERE school_year = :year "
    "AND massar_code > :lo AND massar_code <= :hi")
EXAM_PAGE = sa.text(
    "SELECT massar_code, exam, score, passed FROM exam_result WHERE school_year = :year "
    "AND massar_code > :lo AND massar_code <= :hi ORDER BY massar_code, exam")
LEAVERS = sa.text(
    "SELECT c.massar_code, c.school_year, c.school_code, c.grade, c.outcome, "
    "c.annual_average, s.sex, s.birth_date FROM (SELECT massar_code, school_year, "
    "school_code, grade, outcome, annual_average, CASE WHEN outcome = 'abandon' THEN 0 "
    "ELSE 1 END AS leaving, md5(massar_code || :salt) AS draw FROM enrollment "
    "WHERE school_year < :last ORDER BY leaving, school_year, draw LIMIT :size) c "
    "JOIN student s ON s.massar_code = c.massar_code "
    "WHERE NOT EXISTS (SELECT 1 FROM enrollment o WHERE o.massar_code = c.massar_code "
    "AND o.school_year <> c.school_year) AND NOT EXISTS (SELECT 1 FROM exam_result x "
    "WHERE x.massar_code = c.massar_code) ORDER BY c.leaving, c.school_year, c.draw")
IDLE = sa.text(
    "SELECT c.massar_code, c.grade FROM (SELECT massar_code, school_year, grade, "
    "md5(massar_code || :salt) AS draw FROM enrollment WHERE school_year = :year "
    "ORDER BY draw LIMIT :size) c WHERE NOT EXISTS (SELECT 1 FROM exam_result x "
    "WHERE x.massar_code = c.massar_code AND x.school_year = c.school_year) ORDER BY c.draw")


@dataclass(frozen=True)
class ExtractSummary:
    """What was written: the extract's files (the ground truths aside), their data rows, the
    lines the ground truth of rejects lists, and the findings of the quality ground truth."""

    files: list[str]
    rows: int
    defects: int
    findings: int = 0


@dataclass
class _File:
    """One file to write: its kind, year, the rows the database gives it, and the reasons
    of its defects."""

    name: str
    kind: str
    year: int | None
    rows: int
    reasons: list[str] = field(default_factory=list)


def write_extract(engine: Engine, folder: Path, defects: float = 0.0, seed: int = 2024,
                  gzip: bool = False) -> ExtractSummary:
    """Write the database's schools, and each school year's pupils and exams, as extract
    files in ``folder``; with ``defects`` > 0, give about that share of rows a defect, at
    least one of every reason code the data allows, and list the defective lines in
    ``ground_truth.txt`` (CSV: file, line, reason); and change about that share of pupil
    rows in ways the import accepts and the data-quality checks find, at least one of every
    check code, listed in ``quality_truth.txt`` (tab-separated: school year, school, MASSAR
    code, check). An import of the folder leaves both aside. The same seed writes the same
    bytes."""
    if not 0 <= defects < 1:
        raise ValueError(f"defects is a share of rows, from 0 to 1, not {defects}")
    folder.mkdir(parents=True, exist_ok=True)
    suffix = ".csv.gz" if gzip else ".csv"
    truth: list[tuple[str, int, str]] = []
    with engine.connect() as conn:
        files = _files(conn, suffix)
        maker = _Defects(conn, random.Random(seed), seed, _school_rows(conn))
        accepted = _Accepted()
        if defects > 0:
            _plan(files, defects, maker.rng)
            maker.choose(conn, files)
            pupil_rows = sum(f.rows for f in files if f.kind == PUPILS.name)
            accepted = _Accepting(conn, seed, maker.protected).choose(defects, pupil_rows)
            _count_left_out(conn, files, accepted)
        written = 0
        for file in files:
            written += _write_file(conn, folder, file, maker, accepted, gzip, truth)
    for name in (GROUND_TRUTH, QUALITY_TRUTH):
        (folder / name).unlink(missing_ok=True)
    if defects > 0:
        _write_truth(folder / GROUND_TRUTH, truth)
        _write_findings(folder / QUALITY_TRUTH, accepted.findings)
    return ExtractSummary([f.name for f in files], written, len(truth),
                          len(accepted.findings))


def school_year_text(year: int) -> str:
    """``2024`` as an extract writes it: ``2024-2025``."""
    return f"{year}-{year + 1}"


def number_text(value: float | None) -> str:
    """A number with a point and the fewest digits that read back as the same double
    (``12.5``, never ``1e-05``); empty for None."""
    if value is None:
        return ""
    text = repr(float(value))
    return format(Decimal(text), "f") if "e" in text else text


def age_on_first_september(birth: dt.date, year: int) -> int:
    """The age of a pupil born on ``birth`` on 1 September of the school year ``year``."""
    return year - birth.year - ((birth.month, birth.day) > (9, 1))


def _plausible(birth: dt.date, year: int) -> bool:
    return YOUNGEST <= age_on_first_september(birth, year) <= OLDEST


# --- what to write -------------------------------------------------------------------------


def _files(conn: Connection, suffix: str) -> list[_File]:
    """The files of the extract, each with the rows the database gives it."""
    pupils = dict(conn.execute(sa.text(
        "SELECT school_year, count(*) FROM enrollment GROUP BY school_year")).all())
    exams = dict(conn.execute(sa.text(
        "SELECT school_year, count(*) FROM exam_result GROUP BY school_year")).all())
    schools = conn.execute(sa.text("SELECT count(*) FROM school")).all()[0][0]
    files = [_File(f"{SCHOOLS.name}{suffix}", SCHOOLS.name, None, schools)]
    for year in sorted(set(pupils) | set(exams)):
        files.append(_File(f"{PUPILS.name}_{year}{suffix}", PUPILS.name, year,
                           pupils.get(year, 0)))
        files.append(_File(f"{EXAMS.name}_{year}{suffix}", EXAMS.name, year, exams.get(year, 0)))
    return files


def _able(file: _File, files: list[_File]) -> tuple[str, ...]:
    """The reasons ``file`` can be given: damage needs rows, a conflicting identity an
    earlier year, an exam at the wrong grade pupils enrolled that year."""
    enrolled = {f.year for f in files if f.kind == PUPILS.name and f.rows}
    first = min((f.year for f in files if f.year is not None), default=None)
    return tuple(
        reason for reason in KIND_REASONS[file.kind]
        if (reason in ADDED[file.kind] or file.rows > 0)
        and not (reason == "conflicting_identity" and file.year == first)
        and not (reason == "exam_grade_mismatch" and file.year not in enrolled))


def _plan(files: list[_File], share: float, rng: random.Random) -> None:
    """Give each file the reasons of its defects: every reason code once in some file that
    can have it, then random ones until the file's defective lines reach ``share``."""
    able = {f.name: _able(f, files) for f in files}
    for reason in REASONS:
        candidates = [f for f in files if reason in able[f.name]]
        if candidates:
            rng.choice(candidates).reasons.append(reason)
    for file in files:
        target, lines = round(share * file.rows), sum(LINES.get(r, 1) for r in file.reasons)
        while able[file.name] and lines < target:
            file.reasons.append(rng.choice(able[file.name]))
            lines += LINES.get(file.reasons[-1], 1)


def _positions(file: _File, rng: random.Random) -> dict[int, list[str]]:
    """Where each defect goes: the row it damages (or the next that may be damaged), or the
    row an added row comes before (the end for ``file.rows``)."""
    at: dict[int, list[str]] = defaultdict(list)
    for reason in file.reasons:
        room = file.rows + 1 if reason in ADDED[file.kind] else file.rows
        at[rng.randrange(room)].append(reason)
    return at


# --- reading the database ------------------------------------------------------------------


def _school_rows(conn: Connection) -> list[list[str]]:
    return [[code, name, commune, cycle, sector, milieu, number_text(lat), number_text(lon)]
            for code, name, commune, cycle, sector, milieu, lat, lon
            in conn.execute(SCHOOL_ROWS).all()]


def _pages(conn: Connection, table: str, year: int) -> Iterator[dict[str, object]]:
    """The bounds of the pages of a year's rows of ``table``, in the order of the code."""
    bounds = [code for (code,) in conn.execute(sa.text(BOUNDS.format(table=table)),
                                               {"year": year, "size": PAGE}).all()]
    for lo, hi in zip(["", *bounds], bounds, strict=False):
        yield {"year": year, "lo": lo, "hi": hi}


def _pupil_lines(conn: Connection, year: int, protected: set[str],
                 accepted: _Accepted) -> Iterator[tuple[list[str], bool]]:
    """A year's pupils as extract rows, with their accepted defects and without the rows
    left out, each with whether it may be damaged (its pupil sits no exam that year and no
    defect relies on it)."""
    text = school_year_text(year)
    left_out = accepted.left_out.get(year, set())
    for bounds in _pages(conn, "enrollment", year):
        page = conn.execute(PUPIL_PAGE, bounds).all()
        sitting = {code for (code,) in conn.execute(SITTERS, bounds).all()}
        for code, school, grade, outcome, average, sex, birth in page:
            if code in left_out:
                continue
            fields = [text, code, sex, _date_text(birth), school, grade, outcome or "",
                      number_text(average)]
            yield accepted.applied(year, fields), code not in sitting and code not in protected


def _exam_lines(conn: Connection, year: int, protected: set[str],
                left_out: set[str]) -> Iterator[tuple[list[str], bool]]:
    """A year's exam results as extract rows, but those of pupils left out that year, each
    with whether it may be damaged (no defect relies on its pupil)."""
    text = school_year_text(year)
    for bounds in _pages(conn, "exam_result", year):
        for massar, name, score, passed in conn.execute(EXAM_PAGE, bounds).all():
            if massar not in left_out:
                yield ([text, massar, name, number_text(score), "oui" if passed else "non"],
                       massar not in protected)


def _date_text(value: dt.date | str) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)[:10]


def _known(conn: Connection, table: str, column: str, codes: list[str]) -> set[str]:
    """The ``codes`` that ``table`` holds in ``column``."""
    statement = sa.text(f"SELECT DISTINCT {column} FROM {table} WHERE {column} IN :codes"
                        ).bindparams(sa.bindparam("codes", expanding=True))
    found: set[str] = set()
    for start in range(0, len(codes), 1000):
        chunk = codes[start:start + 1000]
        found |= {c for (c,) in conn.execute(statement, {"codes": chunk})}
    return found


# --- the defects ---------------------------------------------------------------------------


class _Fresh:
    """Codes the database does not hold, drawn a few at a time."""

    def __init__(self, conn: Connection, rng: random.Random, table: str, column: str,
                 draw: Callable[[random.Random], str]):
        self.conn, self.rng, self.table, self.column, self.draw = conn, rng, table, column, draw
        self.ready: deque[str] = deque()
        self.given: set[str] = set()

    def __call__(self) -> str:
        while not self.ready:
            drawn = [c for c in dict.fromkeys(self.draw(self.rng) for _ in range(32))
                     if c not in self.given]
            known = _known(self.conn, self.table, self.column, drawn)
            self.ready.extend(c for c in drawn if c not in known)
            self.given.update(drawn)
        return self.ready.popleft()


def _letter(rng: random.Random) -> str:
    return rng.choice(string.ascii_uppercase)


class _Defects:
    """Makes the defective rows, from one seeded generator, and knows which pupils the
    added rows rely on."""

    def __init__(self, conn: Connection, rng: random.Random, seed: int,
                 schools: list[list[str]]):
        self.rng, self.seed, self.schools = rng, seed, schools
        self.cycles = {row[0]: row[3] for row in schools}
        codes = random.Random(f"{seed}/codes")
        self.school_code = _Fresh(conn, codes, "school", "code",
                                  lambda r: f"9{r.randrange(10**5):05d}{_letter(r)}")
        self.commune_code = _Fresh(
            conn, codes, "commune", "code",
            lambda r: f"{r.randrange(900, 1000)}.{r.randrange(1, 10)}.{r.randrange(1, 100)}")
        self.massar_code = _Fresh(conn, codes, "student", "massar_code",
                                  lambda r: f"{_letter(r)}{r.randrange(10**9):09d}")
        self.identities: dict[int, deque[list[str]]] = defaultdict(deque)
        self.mismatches: dict[int, deque[list[str]]] = defaultdict(deque)
        self.conflicting: set[str] = set()
        self.protected: set[str] = set()

    # choosing the pupils added rows rely on

    def choose(self, conn: Connection, files: list[_File]) -> None:
        """Pick the pupils of the added rows: for a conflicting identity, a pupil enrolled
        in one earlier year alone who sits no exam, given again with another sex or birth
        date; for an exam at the wrong grade, a pupil enrolled that year who sits none."""
        pupils = [f for f in files if f.kind == PUPILS.name]
        wanted = {f.year: f.reasons.count("conflicting_identity") for f in pupils}
        if sum(wanted.values()):
            self._choose_identities(conn, wanted, max(f.year for f in pupils))
        for file in files:
            count = file.reasons.count("exam_grade_mismatch")
            if file.kind == EXAMS.name and count:
                self._choose_mismatches(conn, file.year, count)

    def _choose_identities(self, conn: Connection, wanted: dict[int, int], last: int) -> None:
        rows = conn.execute(LEAVERS, {"last": last, "salt": f"{self.seed}/identity",
                                      "size": 3 * sum(wanted.values()) + 200}).all()
        waiting = deque(sorted((r for r in rows if _plausible(r.birth_date, r.school_year)),
                               key=lambda r: r.school_year))
        pool: deque = deque()
        for year in sorted(wanted):
            while waiting and waiting[0].school_year < year:
                pool.append(waiting.popleft())
            for _ in range(wanted[year]):
                while pool and not _plausible(pool[0].birth_date, year):
                    pool.popleft()  # too old this year, and older still the next
                if not pool:
                    break
                pick = pool.popleft()
                self.protected.add(pick.massar_code)
                self.conflicting.add(pick.massar_code)
                self.identities[year].append(self._changed(pick, year))

    def _changed(self, pupil, year: int) -> list[str]:
        """The row of ``pupil`` in ``year`` with another sex, or a birth date a few days
        off that keeps the age plausible."""
        sex, birth = pupil.sex, pupil.birth_date
        shifted = birth + dt.timedelta(days=self.rng.randrange(1, 60))
        if self.rng.random() < 0.5 and _plausible(shifted, year):
            birth = shifted
        else:
            sex = "M" if sex == "F" else "F"
        return [school_year_text(year), pupil.massar_code, sex, _date_text(birth),
                pupil.school_code, pupil.grade, pupil.outcome or "",
                number_text(pupil.annual_average)]

    def _choose_mismatches(self, conn: Connection, year: int, count: int) -> None:
        rows = conn.execute(IDLE, {"year": year, "salt": f"{self.seed}/mismatch/{year}",
                                   "size": 2 * count + len(self.protected) + 50}).all()
        for row in rows:
            if len(self.mismatches[year]) == count:
                break
            if row.massar_code in self.protected:
                continue
            self.protected.add(row.massar_code)
            wrong = [e for e in EXAM_CODES if e != EXAM_OF_GRADE.get(row.grade)]
            self.mismatches[year].append(self._exam_row(year, row.massar_code, wrong))

    def _exam_row(self, year: int, code: str, exams: list[str]) -> list[str]:
        score = round(self.rng.uniform(0, 20), 2)
        return [school_year_text(year), code, self.rng.choice(exams), number_text(score),
                "oui" if score >= 10 else "non"]

    # added rows

    def added(self, file: _File, reason: str) -> list[list[str]]:
        """The rows a defect adds to ``file`` (none when no pupil was found for it)."""
        if file.kind == SCHOOLS.name:
            return self._school(reason)
        if reason == "conflicting_identity":
            queue = self.identities[file.year]
            return [queue.popleft()] if queue else []
        if reason == "exam_grade_mismatch":
            queue = self.mismatches[file.year]
            return [queue.popleft()] if queue else []
        return [self._exam_row(file.year, self.massar_code(), list(EXAM_CODES))]

    def _school(self, reason: str) -> list[list[str]]:
        """A school no pupil names, copied from one of the database's under a new code,
        with the defect."""
        row = list(self.rng.choice(self.schools))
        row[0], row[1] = self.school_code(), f"{row[1]} (annexe)"
        if reason == "unknown_commune":
            row[2] = self.commune_code()
        elif reason == "bad_coordinates":
            at, value = self.rng.choice([(6, 50.0), (6, 12.5), (7, 5.25), (7, -20.5)])
            row[at] = number_text(value)
        elif reason == "bad_value":
            at, value = self.rng.choice([(3, "superieur"), (4, "semi-public"), (5, "periurbain")])
            row[at] = value
        return self._common(row, reason, range(len(row)))

    def _common(self, row: list[str], reason: str, required: range) -> list[list[str]]:
        """The defects every kind of file can have: a wrong number of fields, an empty
        required value, a row given twice."""
        if reason == "unreadable":
            return [row[:-1] if self.rng.random() < 0.5 else [*row, "?"]]
        if reason == "missing_value":
            row[self.rng.choice(required)] = ""
        elif reason == "duplicate":
            return [row, list(row)]
        return [row]

    # damaged rows

    def damaged(self, file: _File, fields: list[str], reason: str) -> list[list[str]]:
        """The rows a row of ``file`` becomes with the defect."""
        row = list(fields)
        if reason == "bad_massar_code":
            row[1] = self._bad_massar(row[1])
        elif reason == "bad_year":
            year = file.year
            row[0] = self.rng.choice([f"{year + 10}-{year + 11}", f"{year}-{year + 2}",
                                      "1999-2000"])
        elif file.kind == PUPILS.name:
            self._damage_pupil(row, reason, file.year)
        else:
            self._damage_exam(row, reason)
        return self._common(row, reason, range(6 if file.kind == PUPILS.name else 5))

    def _bad_massar(self, code: str) -> str:
        return self.rng.choice([code[:-1], code[1:], f"{code}0", f"{code[0]}{code[:-1]}"])

    def _damage_pupil(self, row: list[str], reason: str, year: int) -> None:
        if reason == "bad_sex":
            row[2] = self.rng.choice(["X", "?", "inconnu"])
        elif reason == "bad_date":
            y, m, d = row[3].split("-")
            row[3] = self.rng.choice([f"{y}-02-30", f"{d}/13/{y}", f"{y}{m}{d}", "inconnue"])
        elif reason == "implausible_age":
            born = year - self.rng.choice([1, 2, 3, 35, 42, 60])
            row[3] = f"{born:04d}-06-15"
        elif reason == "unknown_school":
            row[4] = self.school_code()
        elif reason == "bad_value":
            at, value = self.rng.choice([(5, "7AEP"), (5, "4AC"), (6, "inconnu"), (6, "x")])
            row[at] = value
        elif reason == "grade_not_in_cycle":
            cycle = self.cycles.get(row[4])
            row[5] = self.rng.choice([g for g in GRADES if CYCLE_OF_GRADE[g] != cycle])
        elif reason == "bad_score":
            row[7] = self.rng.choice(["21.5", "-1", "35"])

    def _damage_exam(self, row: list[str], reason: str) -> None:
        if reason == "bad_value":
            at, value = self.rng.choice([(2, "DEF"), (2, "EXAM"), (4, "peut-etre"), (4, "2")])
            row[at] = value
        elif reason == "bad_score":
            row[3] = self.rng.choice(["20.5", "-2", "42"])


# --- accepted defects: rows the import takes and the data-quality checks find -------------


#: A line of the quality ground truth: school year, school, MASSAR code (empty for a
#: school's finding), check.
Finding = tuple[int, str, str, str]


@dataclass
class _Accepted:
    """The accepted defects chosen: the fields changed in a year's row of a pupil, the
    birth dates changed (in every year of the pupil), the pupils whose rows of a year are
    left out (their exams too), and the findings the defects make (school year, school,
    MASSAR code, check)."""

    fields: dict[tuple[int, str], dict[int, str]] = field(default_factory=dict)
    births: dict[str, str] = field(default_factory=dict)
    left_out: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    findings: list[Finding] = field(default_factory=list)

    def applied(self, year: int, row: list[str]) -> list[str]:
        """A pupil's row of ``year`` with the defects it is given."""
        birth = self.births.get(row[1])
        if birth is not None:
            row[BIRTH] = birth
        for at, value in self.fields.get((year, row[1]), {}).items():
            row[at] = value
        return row


@dataclass
class _Census:
    """Each school's pupils, and pupils with a result, by (school, year), and its province."""

    pupils: dict[tuple[str, int], int]
    decided: dict[tuple[str, int], int]
    province: dict[str, str]

    @classmethod
    def read(cls, conn: Connection) -> _Census:
        census = cls({}, {}, {})
        for school, year, pupils, decided, province in conn.execute(CENSUS).all():
            census.pupils[school, year] = pupils
            census.decided[school, year] = decided
            census.province[school] = province
        return census


def _average_text(low: float, high: float, rng: random.Random) -> str:
    return number_text(round(rng.uniform(low, high), 2))


class _Accepting:
    """Chooses the accepted defects, from one seeded generator, on pupils outside
    ``protected``, which it extends with every pupil its defects change or rely on (so that
    no rejected defect damages them)."""

    def __init__(self, conn: Connection, seed: int, protected: set[str]):
        self.conn, self.seed, self.protected = conn, seed, protected
        self.rng = random.Random(f"{seed}/quality")
        self.chosen = _Accepted()
        self.years = [y for (y,) in conn.execute(sa.text(
            "SELECT DISTINCT school_year FROM enrollment ORDER BY school_year")).all()]
        self.schools: set[str] = set()
        self.records: dict[str, list[tuple[int, str, str]]] = {}

    def choose(self, share: float, pupil_rows: int) -> _Accepted:
        """One school of each school check, then pupils until the findings reach ``share``
        of ``pupil_rows``, at least one of each pupil check."""
        if not self.years:
            return self.chosen
        census, busy = _Census.read(self.conn), self._busy()
        self._silent_school(census, busy)
        self._enrollment_jump(census, busy)
        self._outlier_rate(census, busy)
        for check, wanted in self._pupil_plan(share, pupil_rows).items():
            self._pupils(check, wanted)
        return self.chosen

    def _found(self, year: int, school: str, code: str, check: str) -> int:
        self.chosen.findings.append((year, school, code, check))
        return 1

    def _busy(self) -> set[tuple[str, int]]:
        """The school years holding a pupil that a rejected defect touches or relies on."""
        records = _records_of(self.conn, sorted(self.protected)).values()
        return {(school, year) for rows in records for year, school, _ in rows}

    def _school_pupils(self, school: str, year: int) -> list[sa.Row]:
        """A school's pupils of a year, in a seeded order."""
        return self.conn.execute(SCHOOL_PUPILS, {"school": school, "year": year,
                                                 "salt": f"{self.seed}/{school}/{year}"}).all()

    def _leave_out(self, school: str, year: int, kept: int) -> None:
        """Leave out the rows of ``year`` of a school's pupils but ``kept`` of them, and keep
        intact its pupils of that year and the year before."""
        pupils = [row.massar_code for row in self._school_pupils(school, year)]
        self.chosen.left_out[year].update(pupils[kept:])
        self.protected.update(pupils)
        self.protected.update(row.massar_code for row in self._school_pupils(school, year - 1))
        self.schools.add(school)

    def _free(self, busy: set[tuple[str, int]], school: str, *years: int) -> bool:
        """Whether no school check has the school yet, and no rejected defect has its
        pupils of ``years``."""
        return school not in self.schools and not any((school, y) in busy for y in years)

    # the school checks

    def _silent_school(self, census: _Census, busy: set[tuple[str, int]]) -> None:
        """school_silent: every row of a small school left out in a year after its first."""
        candidates = sorted((pupils, school, year) for (school, year), pupils
                            in census.pupils.items()
                            if year > self.years[0] and (school, year - 1) in census.pupils
                            and self._free(busy, school, year, year - 1))
        if candidates:
            _, school, year = self.rng.choice(candidates[:SILENT_CHOICE])
            self._leave_out(school, year, 0)
            self._found(year, school, "", "school_silent")

    def _enrollment_jump(self, census: _Census, busy: set[tuple[str, int]]) -> None:
        """enrollment_jump: a school of at least 50 pupils keeps half of that many in the
        next year, the others' rows of that year left out."""
        before = census.pupils.get
        candidates = sorted((school, year) for (school, year), pupils in census.pupils.items()
                            if year > self.years[0] and before((school, year - 1), 0) >= JUMP_BASE
                            and pupils > int(JUMP_KEPT * before((school, year - 1)))
                            and self._free(busy, school, year, year - 1))
        if candidates:
            school, year = self.rng.choice(candidates)
            self._leave_out(school, year, int(JUMP_KEPT * census.pupils[school, year - 1]))
            self._found(year, school, "", "enrollment_jump")

    def _outlier_rate(self, census: _Census, busy: set[tuple[str, int]]) -> None:
        """outlier_rate: in the last year (no later year for an abandon to contradict), 70 %
        of the pupils with a result of a school of median size abandon, far outside the
        funnel of its province."""
        last = self.years[-1]
        funnels = Counter(census.province[school] for (school, year), decided
                          in census.decided.items() if year == last and decided)
        sizes = sorted((decided, school) for (school, year), decided in census.decided.items()
                       if year == last and decided >= OUTLIER_BASE
                       and funnels[census.province[school]] >= FUNNEL_SCHOOLS
                       and self._free(busy, school, last))
        middle = len(sizes) // 2
        for place in sorted(range(len(sizes)), key=lambda place: (abs(place - middle), place)):
            school = sizes[place][1]
            if self._drop_out(school, last):
                self._found(last, school, "", "outlier_rate")
                return

    def _drop_out(self, school: str, year: int) -> bool:
        """Give ``abandon`` to promoted pupils and repeaters of a school (none who sits the
        BAC, which a pass would contradict) until 70 % of its pupils with a result have it;
        False when it has too few of them."""
        pupils = self._school_pupils(school, year)
        decided = [row for row in pupils if row.outcome is not None]
        wanted = math.ceil(OUTLIER_DROPOUT * len(decided)) - sum(
            row.outcome == "abandon" for row in decided)
        able = [row.massar_code for row in decided
                if row.outcome in ("promu", "redoublant") and not row.sits_bac]
        if len(able) < wanted:
            return False
        for code in able[:wanted]:
            self.chosen.fields[year, code] = {RESULT: "abandon"}
        self.protected.update(row.massar_code for row in pupils)
        self.schools.add(school)
        return True

    # the pupil checks

    def _pupil_plan(self, share: float, pupil_rows: int) -> Counter[str]:
        """How many findings of each pupil check: one each, then random ones until all the
        findings reach ``share`` of the pupil rows."""
        wanted = Counter(PUPIL_CHECKS)
        target = round(share * pupil_rows) - len(self.chosen.findings)
        while sum(wanted.values()) < target:
            wanted[self.rng.choice(PUPIL_CHECKS)] += 1
        return wanted

    def _pupils(self, check: str, wanted: int) -> None:
        """Give records the check's defect until it makes ``wanted`` findings."""
        rows = self.conn.execute(sa.text(RECORDS.format(condition=CANDIDATES[check])), {
            "salt": f"{self.seed}/{check}", "last": self.years[-1],
            "size": 3 * wanted + len(self.protected) + 50}).all()
        fresh = [row for row in rows if row.massar_code not in self.protected]
        inject: Callable[[sa.Row], int] = getattr(self, f"_{check}")
        found = 0
        for start in range(0, len(fresh), CANDIDATE_CHUNK):
            chunk = fresh[start:start + CANDIDATE_CHUNK]
            if check == "implausible_age":
                self.records = _records_of(self.conn, [row.massar_code for row in chunk])
            for row in chunk:
                if found >= wanted:
                    return
                if row.massar_code not in self.protected:
                    found += inject(row)

    def _change(self, row: sa.Row, changes: dict[int, str], check: str) -> int:
        """Give a record ``changes``; its finding is its own."""
        self.chosen.fields[row.school_year, row.massar_code] = changes
        self.protected.add(row.massar_code)
        return self._found(row.school_year, row.school_code, row.massar_code, check)

    def _result(self, outcome: str, row: sa.Row) -> dict[int, str]:
        """The result ``outcome``, with an average it does not contradict (8 or more for
        promu and diplome, under 12 for redoublant) when the record's does."""
        changes = {RESULT: outcome}
        average = row.annual_average
        if outcome == "redoublant" and (average is None or average >= 12):
            changes[AVERAGE] = _average_text(6, 9.99, self.rng)
        elif outcome != "redoublant" and (average is None or average < 8):
            changes[AVERAGE] = _average_text(10, 13, self.rng)
        return changes

    def _missing_outcome(self, row: sa.Row) -> int:
        """No result, nor average, as for a year not decided."""
        return self._change(row, {RESULT: "", AVERAGE: ""}, "missing_outcome")

    def _missing_average(self, row: sa.Row) -> int:
        return self._change(row, {AVERAGE: ""}, "missing_average")

    def _returns_after_abandon(self, row: sa.Row) -> int:
        """abandon in a year the pupil is enrolled the year after."""
        return self._change(row, {RESULT: "abandon"}, "returns_after_abandon")

    def _promoted_not_next_grade(self, row: sa.Row) -> int:
        """A repeater, in the same grade the next year, given promu."""
        return self._change(row, self._result("promu", row), "promoted_not_next_grade")

    def _repeater_moved_on(self, row: sa.Row) -> int:
        """A promoted pupil, in the next grade the next year, given redoublant."""
        return self._change(row, self._result("redoublant", row), "repeater_moved_on")

    def _lost_in_transfer(self, row: sa.Row) -> int:
        """A pupil who abandoned and is enrolled nowhere the next year, given promu."""
        return self._change(row, self._result("promu", row), "lost_in_transfer")

    def _exam_outcome_mismatch(self, row: sa.Row) -> int:
        """A pupil who passed the BAC given promu rather than diplome."""
        return self._change(row, self._result("promu", row), "exam_outcome_mismatch")

    def _average_outcome_mismatch(self, row: sa.Row) -> int:
        """An average of 12 or more for a repeater, under 8 for the others."""
        high = row.outcome == "redoublant"
        average = _average_text(12, 18, self.rng) if high else _average_text(2, 7.9, self.rng)
        return self._change(row, {AVERAGE: average}, "average_outcome_mismatch")

    def _grade_skip(self, row: sa.Row) -> int:
        """A promoted pupil's grade put one lower, so that the next year's grade lies two
        after it; the finding is the next year's record."""
        lower = GRADES[GRADES.index(row.grade) - 1]
        if GRADES.index(row.next_grade) - GRADES.index(lower) <= 1:
            return 0
        self.chosen.fields[row.school_year, row.massar_code] = {GRADE: lower}
        self.protected.add(row.massar_code)
        return self._found(row.school_year + 1, row.next_school, row.massar_code, "grade_skip")

    def _implausible_age(self, row: sa.Row) -> int:
        """A birth date that makes the pupil, in the first year, 6 years older than the
        grade's intended age, or 3 younger (4 at least), and keeps every year's age from 4
        to 30; a finding for each year the age is implausible."""
        records = self.records.get(row.massar_code, [])
        birth = self._implausible_birth(row.birth_date, row.school_year, row.grade)
        if not records or not all(_plausible(birth, year) for year, _, _ in records):
            return 0
        self.chosen.births[row.massar_code] = birth.isoformat()
        self.protected.add(row.massar_code)
        return sum(self._found(year, school, row.massar_code, "implausible_age")
                   for year, school, grade in records
                   if _implausible_gap(age_on_first_september(birth, year) - INTENDED_AGE[grade]))

    def _implausible_birth(self, born: dt.date, year: int, grade: str) -> dt.date:
        """``born``'s day and month in the year that gives the implausible age in ``year``."""
        older = self.rng.random() < 0.5
        age = INTENDED_AGE[grade] + 6 if older else max(YOUNGEST, INTENDED_AGE[grade] - 3)
        day = min(born.day, 28) if born.month == 2 else born.day
        return dt.date(year - age - ((born.month, day) > (9, 1)), born.month, day)


def _implausible_gap(gap: int) -> bool:
    """Whether an age ``gap`` years off the grade's intended age is implausible."""
    return gap >= 5 or gap <= -2


def _records_of(conn: Connection, codes: list[str]) -> dict[str, list[tuple[int, str, str]]]:
    """The records of the pupils ``codes``: year, school and grade, by year."""
    statement = sa.text("SELECT massar_code, school_year, school_code, grade FROM enrollment "
                        "WHERE massar_code IN :codes ORDER BY massar_code, school_year"
                        ).bindparams(sa.bindparam("codes", expanding=True))
    records: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for start in range(0, len(codes), CANDIDATE_CHUNK):
        chunk = codes[start:start + CANDIDATE_CHUNK]
        for code, year, school, grade in conn.execute(statement, {"codes": chunk}).all():
            records[code].append((year, school, grade))
    return records


def _count_left_out(conn: Connection, files: list[_File], accepted: _Accepted) -> None:
    """Take the rows left out from the rows each year's files are given."""
    statement = sa.text("SELECT count(*) FROM exam_result WHERE school_year = :year "
                        "AND massar_code IN :codes"
                        ).bindparams(sa.bindparam("codes", expanding=True))
    for file in files:
        codes = sorted(accepted.left_out.get(file.year, ()))
        if file.kind == PUPILS.name:
            file.rows -= len(codes)
        elif file.kind == EXAMS.name:
            file.rows -= sum(conn.execute(statement, {"year": file.year,
                                                      "codes": codes[i:i + CANDIDATE_CHUNK]}
                                          ).all()[0][0]
                             for i in range(0, len(codes), CANDIDATE_CHUNK))


# --- writing -------------------------------------------------------------------------------


class _Out:
    """One extract file being written: header first, lines counted, defects noted."""

    def __init__(self, path: Path, header: tuple[str, ...], compress: bool,
                 truth: list[tuple[str, int, str]]):
        self.name, self.truth, self.line = path.name, truth, 1
        self.raw = path.open("wb")
        stream: io.RawIOBase | GzipFile = self.raw
        if compress:  # no name nor time in the header: the same rows give the same bytes
            stream = GzipFile(filename="", mode="wb", compresslevel=6, fileobj=self.raw,
                              mtime=0)
        self.text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
        self.csv = csv.writer(self.text, lineterminator="\n")
        self.csv.writerow(header)

    def write(self, row: list[str], reason: str | None = None) -> None:
        self.csv.writerow(row)
        self.line += 1
        if reason is not None:
            self.truth.append((self.name, self.line, reason))

    def close(self) -> None:
        self.text.close()
        self.raw.close()


def _write_file(conn: Connection, folder: Path, file: _File, maker: _Defects,
                accepted: _Accepted, compress: bool, truth: list[tuple[str, int, str]]) -> int:
    """Write one file with its defects; return its data rows."""
    if file.kind == SCHOOLS.name:
        header, lines = SCHOOL_COLUMNS, ((row, False) for row in maker.schools)
    elif file.kind == PUPILS.name:
        header = PUPILS.columns
        lines = _pupil_lines(conn, file.year, maker.protected, accepted)
    else:
        header = EXAMS.columns
        lines = _exam_lines(conn, file.year, maker.protected,
                            accepted.left_out.get(file.year, set()))
    marked = maker.conflicting if file.kind == PUPILS.name else set()
    plan = _positions(file, maker.rng)
    out = _Out(folder / file.name, header, compress, truth)
    try:
        _write_rows(out, file, lines, plan, maker, marked)
    finally:
        out.close()
    return out.line - 1


def _write_rows(out: _Out, file: _File, lines: Iterator[tuple[list[str], bool]],
                plan: dict[int, list[str]], maker: _Defects, marked: set[str]) -> None:
    """Write the rows, damaging the planned ones (or the next that may be damaged) and
    adding rows where planned; a row of a pupil in ``marked`` is listed as conflicting."""
    pending: deque[str] = deque()
    count = 0
    for index, (fields, eligible) in enumerate(lines):
        if index in plan:
            _add(out, file, plan.pop(index), pending, maker)
        if eligible and pending:
            reason = pending.popleft()
            for row in maker.damaged(file, fields, reason):
                out.write(row, reason)
        else:
            out.write(fields, "conflicting_identity" if fields[1] in marked else None)
        count = index + 1
    for index in sorted(i for i in plan if i >= count):
        _add(out, file, plan[index], deque(), maker)


def _add(out: _Out, file: _File, reasons, pending: deque[str], maker: _Defects) -> None:
    """Write the rows the added defects make; queue the damaging ones."""
    for reason in reasons:
        if reason in ADDED[file.kind]:
            for row in maker.added(file, reason):
                out.write(row, reason)
        else:
            pending.append(reason)


def _write_truth(path: Path, truth: list[tuple[str, int, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(("file", "line", "reason"))
        writer.writerows(truth)


def _write_findings(path: Path, findings: list[Finding]) -> None:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, delimiter="\t", lineterminator="\n")
        writer.writerow(QUALITY_HEADER)
        writer.writerows(sorted(findings))
