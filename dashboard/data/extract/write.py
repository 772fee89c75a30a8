"""Writing the schooling database as a MASSAR extract (../shared/massar-extract.md), with
defects of every reason code on request and the ground truth of the lines an import rejects.

Rows are read page by page in the order of the MASSAR code, so that a national year is never
held in memory. A defect damages one row of the database or adds a row, chosen so that it
changes the fate of no other line: schools are only added (a damaged school would make its
pupils unknown), pupils are damaged only in a year they sit no exam, and the pupils whose
rows a defect relies on are kept intact.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import string
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from gzip import GzipFile
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from dashboard.data.extract.format import EXAMS, PUPILS, REASONS, SCHOOLS
from dashboard.data.schema import CYCLE_OF_GRADE, EXAM_OF_GRADE, GRADES
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
    """What was written: the extract's files (the ground truth aside), their data rows, and
    the lines the ground truth lists."""

    files: list[str]
    rows: int
    defects: int


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
    ``ground_truth.txt`` (CSV: file, line, reason), which an import of the folder leaves
    aside. The same seed writes the same bytes."""
    if not 0 <= defects < 1:
        raise ValueError(f"defects is a share of rows, from 0 to 1, not {defects}")
    folder.mkdir(parents=True, exist_ok=True)
    suffix = ".csv.gz" if gzip else ".csv"
    truth: list[tuple[str, int, str]] = []
    with engine.connect() as conn:
        files = _files(conn, suffix)
        maker = _Defects(conn, random.Random(seed), seed, _school_rows(conn))
        if defects > 0:
            _plan(files, defects, maker.rng)
            maker.choose(conn, files)
        written = 0
        for file in files:
            written += _write_file(conn, folder, file, maker, gzip, truth)
    (folder / GROUND_TRUTH).unlink(missing_ok=True)
    if defects > 0:
        _write_truth(folder / GROUND_TRUTH, truth)
    return ExtractSummary([f.name for f in files], written, len(truth))


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


def _pupil_lines(conn: Connection, year: int,
                 protected: set[str]) -> Iterator[tuple[list[str], bool]]:
    """A year's pupils as extract rows, each with whether it may be damaged (its pupil sits
    no exam that year and no defect relies on it)."""
    text = school_year_text(year)
    for bounds in _pages(conn, "enrollment", year):
        page = conn.execute(PUPIL_PAGE, bounds).all()
        sitting = {code for (code,) in conn.execute(SITTERS, bounds).all()}
        for code, school, grade, outcome, average, sex, birth in page:
            fields = [text, code, sex, _date_text(birth), school, grade, outcome or "",
                      number_text(average)]
            yield fields, code not in sitting and code not in protected


def _exam_lines(conn: Connection, year: int) -> Iterator[tuple[list[str], bool]]:
    """A year's exam results as extract rows (any of them may be damaged)."""
    text = school_year_text(year)
    for bounds in _pages(conn, "exam_result", year):
        for massar, name, score, passed in conn.execute(EXAM_PAGE, bounds).all():
            yield [text, massar, name, number_text(score), "oui" if passed else "non"], True


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
                compress: bool, truth: list[tuple[str, int, str]]) -> int:
    """Write one file with its defects; return its data rows."""
    if file.kind == SCHOOLS.name:
        header, lines = SCHOOL_COLUMNS, ((row, False) for row in maker.schools)
    elif file.kind == PUPILS.name:
        header, lines = PUPILS.columns, _pupil_lines(conn, file.year, maker.protected)
    else:
        header, lines = EXAMS.columns, _exam_lines(conn, file.year)
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
