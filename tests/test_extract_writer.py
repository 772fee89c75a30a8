"""Writing the database as a MASSAR extract: files, rows read back against plain SQL,
rejected defects and their ground truth, accepted defects and the quality ground truth,
determinism, and the Frictionless descriptor."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import frictionless
import numpy as np
import pytest

from dashboard.cli import main
from dashboard.data import schema
from dashboard.data.extract.format import REASONS
from dashboard.data.extract.write import number_text, write_extract
from dashboard.db import make_engine
from tests.conftest import query

DESCRIPTOR = Path(__file__).resolve().parent.parent / "datapackage.json"
SHARE = 0.02


@pytest.fixture(scope="module")
def clean(tiny_engine, tmp_path_factory):
    """The tiny database written as an extract without defects: (folder, summary)."""
    folder = tmp_path_factory.mktemp("clean")
    return folder, write_extract(tiny_engine, folder)


@pytest.fixture(scope="module")
def defective(tiny_engine, tmp_path_factory):
    """The tiny database written with 2 % of defective rows: (folder, summary)."""
    folder = tmp_path_factory.mktemp("defective")
    return folder, write_extract(tiny_engine, folder, defects=SHARE, seed=11)


def lines(path: Path) -> list[str]:
    """A file's lines (header first), gunzipped when it ends in .gz."""
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    return data.decode("utf-8").splitlines()


def rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(lines(path)))


def truth(folder: Path) -> list[tuple[str, int, str]]:
    with (folder / "ground_truth.txt").open(encoding="utf-8", newline="") as stream:
        return [(r["file"], int(r["line"]), r["reason"]) for r in csv.DictReader(stream)]


def quality_truth(folder: Path) -> list[tuple[int, str, str, str]]:
    """The findings of the quality ground truth: school year, school, MASSAR code, check."""
    text = lines(folder / "quality_truth.txt")
    assert text[0] == "school_year\tschool_code\tmassar_code\tcheck_code"
    return [(int(year), school, code, check)
            for year, school, code, check in (line.split("\t") for line in text[1:])]


def years(engine) -> list[int]:
    return [y for (y,) in query(engine, "SELECT DISTINCT school_year FROM enrollment "
                                        "ORDER BY school_year")]


def fields_of(folder: Path, name: str, line: int) -> list[str]:
    """The fields of one line of a file, as a CSV reader splits it."""
    return next(csv.reader([lines(folder / name)[line - 1]]))


# --- a clean extract -----------------------------------------------------------------------


def test_the_extract_holds_the_schools_and_two_files_per_year(tiny_engine, clean):
    folder, summary = clean
    expected = {"etablissements.csv"} | {f"{kind}_{y}.csv" for y in years(tiny_engine)
                                         for kind in ("eleves", "examens")}
    assert {p.name for p in folder.iterdir()} == expected
    assert set(summary.files) == expected and len(summary.files) == len(expected)
    assert summary.defects == 0


def test_each_file_has_a_header_and_one_line_per_database_row(tiny_engine, clean):
    folder, summary = clean
    assert lines(folder / "etablissements.csv")[0] == (
        "code_gresa,nom,commune,cycle,secteur,milieu,latitude,longitude")
    assert len(lines(folder / "etablissements.csv")) - 1 == query(
        tiny_engine, "SELECT count(*) FROM school")[0][0]
    total = query(tiny_engine, "SELECT (SELECT count(*) FROM school) + (SELECT count(*) FROM "
                               "enrollment) + (SELECT count(*) FROM exam_result)")[0][0]
    for year in years(tiny_engine):
        pupils = lines(folder / f"eleves_{year}.csv")
        exams = lines(folder / f"examens_{year}.csv")
        assert pupils[0] == ("annee_scolaire,code_massar,sexe,date_naissance,code_gresa,"
                             "niveau,resultat,moyenne")
        assert exams[0] == "annee_scolaire,code_massar,examen,note,admis"
        assert len(pupils) - 1 == query(tiny_engine, "SELECT count(*) FROM enrollment WHERE "
                                                     "school_year = :y", y=year)[0][0]
        assert len(exams) - 1 == query(tiny_engine, "SELECT count(*) FROM exam_result WHERE "
                                                    "school_year = :y", y=year)[0][0]
    assert summary.rows == total


def test_pupils_read_back_as_the_database_holds_them(tiny_engine, clean):
    folder, _ = clean
    for year in years(tiny_engine):
        for row in rows(folder / f"eleves_{year}.csv")[:5]:
            [(sex, birth, school, grade, outcome, average)] = query(tiny_engine, """
                SELECT s.sex, s.birth_date, e.school_code, e.grade, e.outcome,
                       e.annual_average FROM enrollment e
                JOIN student s ON s.massar_code = e.massar_code
                WHERE e.massar_code = :code AND e.school_year = :y""",
                code=row["code_massar"], y=year)
            assert row["annee_scolaire"] == f"{year}-{year + 1}"
            assert (row["sexe"], row["code_gresa"], row["niveau"]) == (sex, school, grade)
            assert dt.date.fromisoformat(row["date_naissance"]) == birth
            assert row["resultat"] == (outcome or "")
            assert (float(row["moyenne"]) if row["moyenne"] else None) == average


def test_an_empty_average_is_written_as_an_empty_field(tiny_engine, clean):
    folder, _ = clean
    [(code, year)] = query(tiny_engine, "SELECT massar_code, school_year FROM enrollment "
                                        "WHERE annual_average IS NULL "
                                        "ORDER BY school_year, massar_code LIMIT 1")
    [row] = [r for r in rows(folder / f"eleves_{year}.csv") if r["code_massar"] == code]
    assert row["moyenne"] == ""


def test_exams_and_schools_read_back_as_the_database_holds_them(tiny_engine, clean):
    folder, _ = clean
    year = years(tiny_engine)[-1]
    for row in rows(folder / f"examens_{year}.csv")[:5]:
        [(score, passed)] = query(tiny_engine, """
            SELECT score, passed FROM exam_result
            WHERE massar_code = :code AND school_year = :y AND exam = :exam""",
            code=row["code_massar"], y=year, exam=row["examen"])
        assert float(row["note"]) == score
        assert row["admis"] == ("oui" if passed else "non")
    for row in rows(folder / "etablissements.csv")[:5]:
        [database] = query(tiny_engine, "SELECT name, commune_code, cycle, sector, milieu, "
                                        "latitude, longitude FROM school WHERE code = :c",
                           c=row["code_gresa"])
        written = (row["nom"], row["commune"], row["cycle"], row["secteur"], row["milieu"],
                   float(row["latitude"]), float(row["longitude"]))
        assert written == database


@pytest.mark.parametrize(("value", "text"), [
    (12.5, "12.5"), (12.0, "12.0"), (0.1 + 0.2, "0.30000000000000004"), (1e-05, "0.00001"),
    (33.744999, "33.744999"), (-7.594546, "-7.594546"), (None, ""),
])
def test_numbers_are_written_with_a_point_and_read_back_exactly(value, text):
    assert number_text(value) == text
    if value is not None:
        assert float(text) == value


# --- a handmade database: exact text ------------------------------------------------------


def test_a_handmade_database_is_written_line_for_line(tmp_path):
    engine = make_engine(f"duckdb:///{tmp_path / 'hand.duckdb'}")
    schema.metadata.create_all(engine, tables=list(schema.RAW_TABLES))
    with engine.begin() as conn:
        conn.execute(schema.region.insert(), [{"code": "1", "name_fr": "R", "name_ar": "ر"}])
        conn.execute(schema.province.insert(), [{"code": "11", "region_code": "1",
                                                 "name_fr": "P", "name_ar": "ب"}])
        conn.execute(schema.commune.insert(), [{"code": "11.1.1", "province_code": "11",
                                                "name_fr": "C", "name_ar": "ج",
                                                "milieu": "rural"}])
        conn.execute(schema.school.insert(), [
            {"code": "10001A", "name": "École Al Amal, annexe", "commune_code": "11.1.1",
             "cycle": "primaire", "sector": "public", "milieu": "rural",
             "latitude": 33.5, "longitude": -7.25}])
        conn.execute(schema.student.insert(), [
            {"massar_code": "A000000001", "sex": "F", "birth_date": dt.date(2013, 9, 2)},
            {"massar_code": "A000000002", "sex": "M", "birth_date": dt.date(2012, 1, 31)}])
        conn.execute(schema.enrollment.insert(), [
            {"massar_code": "A000000002", "school_year": 2024, "school_code": "10001A",
             "grade": "6AEP", "outcome": None, "annual_average": None},
            {"massar_code": "A000000001", "school_year": 2024, "school_code": "10001A",
             "grade": "5AEP", "outcome": "promu", "annual_average": 12.5}])
        conn.execute(schema.exam_result.insert(), [
            {"massar_code": "A000000002", "school_year": 2024, "exam": "CEP", "score": 9.75,
             "passed": False}])
    summary = write_extract(engine, tmp_path / "out")
    engine.dispose()
    folder = tmp_path / "out"
    assert summary.files == ["etablissements.csv", "eleves_2024.csv", "examens_2024.csv"]
    assert summary.rows == 4 and summary.defects == 0
    assert (folder / "etablissements.csv").read_bytes().decode() == (
        "code_gresa,nom,commune,cycle,secteur,milieu,latitude,longitude\n"
        '10001A,"École Al Amal, annexe",11.1.1,primaire,public,rural,33.5,-7.25\n')
    assert (folder / "eleves_2024.csv").read_text(encoding="utf-8") == (
        "annee_scolaire,code_massar,sexe,date_naissance,code_gresa,niveau,resultat,moyenne\n"
        "2024-2025,A000000001,F,2013-09-02,10001A,5AEP,promu,12.5\n"
        "2024-2025,A000000002,M,2012-01-31,10001A,6AEP,,\n")
    assert (folder / "examens_2024.csv").read_text(encoding="utf-8") == (
        "annee_scolaire,code_massar,examen,note,admis\n"
        "2024-2025,A000000002,CEP,9.75,non\n")


# --- defects -------------------------------------------------------------------------------


def test_every_reason_code_is_in_the_ground_truth(defective):
    folder, summary = defective
    listed = truth(folder)
    assert set(REASONS) <= {reason for _, _, reason in listed}
    assert summary.defects == len(listed)
    assert len(set((f, line) for f, line, _ in listed)) == len(listed)


def test_ground_truth_lines_lie_in_their_files(defective):
    folder, summary = defective
    sizes = {name: len(lines(folder / name)) for name in summary.files}
    assert summary.rows == sum(sizes.values()) - len(sizes)
    for name, line, _ in truth(folder):
        assert name in sizes
        assert 2 <= line <= sizes[name]


def test_about_two_percent_of_rows_are_defective(defective):
    _, summary = defective
    assert summary.defects / summary.rows == pytest.approx(SHARE, abs=0.004)


def test_lines_outside_the_ground_truths_are_rows_of_the_clean_extract(clean, defective):
    """Outside the rejected lines, only the rows of the pupils the quality ground truth
    names, and of the school whose dropout rate it lists, differ from the clean extract."""
    (plain, _), (folder, summary) = clean, defective
    listed = defaultdict(set)
    for name, line, _ in truth(folder):
        listed[name].add(line)
    found = quality_truth(folder)
    named = {code for _, _, code, _ in found if code}
    outlying = {(year, school) for year, school, _, check in found if check == "outlier_rate"}
    assert outlying
    for name in summary.files:
        kept = Counter(text for number, text in enumerate(lines(folder / name), start=1)
                       if number > 1 and number not in listed[name]
                       and not changed_by_quality(name, text, named, outlying))
        assert not kept - Counter(lines(plain / name)[1:]), name


def changed_by_quality(name: str, text: str, named: set[str],
                       outlying: set[tuple[int, str]]) -> bool:
    """Whether a pupil line is one an accepted defect may change."""
    if not name.startswith("eleves_"):
        return False
    fields = next(csv.reader([text]))
    return fields[1] in named or (int(name[7:11]), fields[4]) in outlying


def reasons_by_line(folder: Path) -> dict[str, list[tuple[str, list[str]]]]:
    """Each reason's defective lines: the file and the line's fields."""
    found = defaultdict(list)
    for name, line, reason in truth(folder):
        found[reason].append((name, fields_of(folder, name, line)))
    return found


def test_damaged_pupils_sit_no_exam_that_year(tiny_engine, defective):
    """A damaged pupil row must not turn the pupil's exam rows into rejects too."""
    folder, _ = defective
    found = reasons_by_line(folder)
    intact_code = ("unreadable", "bad_sex", "bad_date", "implausible_age", "unknown_school",
                   "bad_value", "grade_not_in_cycle", "bad_score", "bad_year", "duplicate")
    for reason in intact_code:
        for name, fields in found[reason]:
            if name.startswith("eleves_"):
                year = int(name[7:11])
                assert query(tiny_engine, "SELECT count(*) FROM exam_result WHERE "
                                          "massar_code = :c AND school_year = :y",
                             c=fields[1], y=year)[0][0] == 0, (reason, fields)


def test_a_conflicting_identity_pairs_a_one_year_pupil_with_a_later_changed_row(
        tiny_engine, defective):
    folder, _ = defective
    pairs = defaultdict(list)
    for name, fields in reasons_by_line(folder)["conflicting_identity"]:
        pairs[fields[1]].append((name, fields))
    assert pairs
    for code, rows_of_code in pairs.items():
        assert len(rows_of_code) == 2
        [(sex, birth, year)] = query(tiny_engine, """
            SELECT s.sex, s.birth_date, e.school_year FROM student s
            JOIN enrollment e ON e.massar_code = s.massar_code WHERE s.massar_code = :c""",
            c=code)
        assert query(tiny_engine, "SELECT count(*) FROM exam_result WHERE massar_code = :c",
                     c=code)[0][0] == 0
        (first, original), (second, changed) = sorted(rows_of_code)
        assert first == f"eleves_{year}.csv" and second > first
        assert (original[2], original[3]) == (sex, birth.isoformat())
        assert (changed[2], changed[3]) != (sex, birth.isoformat())


def test_exam_defects_name_pupils_as_the_database_enrolls_them(tiny_engine, defective):
    folder, _ = defective
    found = reasons_by_line(folder)
    assert found["exam_without_enrollment"] and found["exam_grade_mismatch"]
    for _, fields in found["exam_without_enrollment"]:
        assert query(tiny_engine, "SELECT count(*) FROM student WHERE massar_code = :c",
                     c=fields[1])[0][0] == 0
    for name, fields in found["exam_grade_mismatch"]:
        [(grade,)] = query(tiny_engine, "SELECT grade FROM enrollment WHERE massar_code = :c "
                                        "AND school_year = :y", c=fields[1], y=int(name[8:12]))
        assert schema.EXAM_OF_GRADE.get(grade) != fields[2]


def test_school_defects_are_added_schools_that_no_pupil_names(tiny_engine, defective):
    folder, _ = defective
    found = reasons_by_line(folder)
    known = {code for (code,) in query(tiny_engine, "SELECT code FROM school")}
    communes = {code for (code,) in query(tiny_engine, "SELECT code FROM commune")}
    for reason, listed in found.items():
        for name, fields in listed:
            if name == "etablissements.csv" and fields[0]:
                assert fields[0] not in known, (reason, fields)
    for _, fields in found["unknown_commune"]:
        assert fields[2] not in communes
    for _, fields in found["bad_coordinates"]:
        lat, lon = float(fields[6]), float(fields[7])
        assert not (20 <= lat <= 36.5 and -18 <= lon <= -1)
    copies = Counter((name, tuple(fields)) for name, fields in found["duplicate"])
    assert set(copies.values()) == {2}


# --- accepted defects: what the data-quality checks find ------------------------------------


CHECKS = ("missing_outcome", "missing_average", "school_silent", "returns_after_abandon",
          "promoted_not_next_grade", "repeater_moved_on", "grade_skip", "lost_in_transfer",
          "implausible_age", "exam_outcome_mismatch", "average_outcome_mismatch",
          "enrollment_jump", "outlier_rate")
SCHOOL_CHECKS = {"school_silent", "enrollment_jump", "outlier_rate"}
#: docs/quality.md: 1AEP 6, 2AEP 7, ... 2BAC 17.
INTENDED_AGE = {grade: 6 + place for place, grade in enumerate(schema.GRADES)}


@dataclass
class Accepted:
    """The rows an import of an extract takes: its rows but the ground truth's lines."""

    pupils: dict[int, dict[str, dict[str, str]]]
    exams: dict[tuple[int, str], list[dict[str, str]]]
    schools: dict[str, dict[str, str]]

    @property
    def years(self) -> list[int]:
        return sorted(self.pupils)

    def school_pupils(self, year: int) -> Counter:
        return Counter(row["code_gresa"] for row in self.pupils.get(year, {}).values())


def accepted_rows(folder: Path, name: str) -> list[dict[str, str]]:
    rejected = {line for file, line, _ in truth(folder) if file == name}
    text = lines(folder / name)
    return [row for number, row in enumerate(csv.DictReader(text), start=2)
            if number not in rejected]


@pytest.fixture(scope="module")
def accepted(defective) -> Accepted:
    folder, summary = defective
    pupils: dict[int, dict[str, dict[str, str]]] = defaultdict(dict)
    exams: dict[tuple[int, str], list[dict[str, str]]] = defaultdict(list)
    for name in summary.files:
        if name.startswith("eleves_"):
            for row in accepted_rows(folder, name):
                year = int(row["annee_scolaire"][:4])
                assert row["code_massar"] not in pupils[year]
                pupils[year][row["code_massar"]] = row
        elif name.startswith("examens_"):
            for row in accepted_rows(folder, name):
                exams[int(row["annee_scolaire"][:4]), row["code_massar"]].append(row)
    schools = {row["code_gresa"]: row for row in accepted_rows(folder, "etablissements.csv")}
    return Accepted(dict(pupils), dict(exams), schools)


@pytest.fixture(scope="module")
def findings(defective) -> list[tuple[int, str, str, str]]:
    return quality_truth(defective[0])


@pytest.fixture(scope="module")
def imported(defective, tmp_path_factory) -> str:
    """The defective extract imported (without a build) into a new DuckDB file: its URL."""
    place = tmp_path_factory.mktemp("imported")
    url = f"duckdb:///{place / 'imported.duckdb'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PILOTAGE_DATABASE_URL", url)
        patch.setenv("PILOTAGE_DATA_DIR", str(place / "data"))
        assert main(["import", str(defective[0]), "--no-build"]) == 0
    return url


def age_on_first_september(birth: str, year: int) -> int:
    born = dt.date.fromisoformat(birth)
    return year - born.year - ((born.month, born.day) > (9, 1))


def age_gap(row: dict[str, str], year: int) -> int:
    """A record's age on 1 September of its year, less its grade's intended age."""
    return age_on_first_september(row["date_naissance"], year) - INTENDED_AGE[row["niveau"]]


def next_grade(grade: str) -> str | None:
    place = schema.GRADES.index(grade)
    return schema.GRADES[place + 1] if place + 1 < len(schema.GRADES) else None


def exam_contradicts(record: dict[str, str], exams: list[dict[str, str]]) -> bool:
    outcome = record["resultat"]
    passed = {(row["examen"], row["admis"] == "oui") for row in exams}
    return (("BAC", True) in passed and outcome != "diplome"
            or outcome == "diplome" and ("BAC", True) not in passed
            or outcome == "promu" and bool({("CEP", False), ("REG", False)} & passed)
            or outcome == "redoublant" and bool({("CEP", True), ("REG", True)} & passed))


def average_contradicts(record: dict[str, str]) -> bool:
    if not record["resultat"] or not record["moyenne"]:
        return False
    average = float(record["moyenne"])
    return (record["resultat"] in ("promu", "diplome") and average < 8
            or record["resultat"] == "redoublant" and average >= 12)


def pupil_rule(data: Accepted, check: str, year: int, code: str) -> bool:
    """Whether the check fires on the record of ``code`` in ``year`` (docs/quality.md)."""
    record = data.pupils[year][code]
    later = data.pupils.get(year + 1, {}).get(code)
    outcome, grade = record["resultat"], record["niveau"]
    if check == "missing_outcome":
        return outcome == ""
    if check == "missing_average":
        return outcome not in ("", "abandon") and record["moyenne"] == ""
    if check == "returns_after_abandon":
        return outcome == "abandon" and any(code in data.pupils[y] for y in data.years
                                            if y > year)
    if check == "promoted_not_next_grade":
        return (outcome == "promu" and grade != "2BAC" and later is not None
                and later["niveau"] != next_grade(grade))
    if check == "repeater_moved_on":
        return outcome == "redoublant" and later is not None and later["niveau"] != grade
    if check == "grade_skip":
        before = data.pupils.get(year - 1, {}).get(code)
        return before is not None and (schema.GRADES.index(grade)
                                       - schema.GRADES.index(before["niveau"]) > 1)
    if check == "lost_in_transfer":
        return (outcome in ("promu", "redoublant") and grade != "2BAC"
                and year != data.years[-1] and later is None)
    if check == "implausible_age":
        return age_gap(record, year) >= 5 or age_gap(record, year) <= -2
    if check == "exam_outcome_mismatch":
        return exam_contradicts(record, data.exams.get((year, code), []))
    if check == "average_outcome_mismatch":
        return average_contradicts(record)
    raise AssertionError(check)


def funnel_outliers(data: Accepted, year: int, province_of: dict[str, str]) -> set[str]:
    """The schools outside the 99.8 % limits of their province's funnel plot for the
    dropout or the repetition rate in ``year`` (docs/quality.md, Spiegelhalter 2005)."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for row in data.pupils[year].values():
        if row["resultat"]:
            counts[row["code_gresa"]]["n"] += 1
            counts[row["code_gresa"]][row["resultat"]] += 1
    found: set[str] = set()
    for province in set(province_of.values()):
        schools = sorted(s for s in counts if province_of[data.schools[s]["commune"]] == province)
        if len(schools) < 5:
            continue
        n = np.array([counts[s]["n"] for s in schools], dtype=float)
        for outcome in ("abandon", "redoublant"):
            y = np.array([counts[s][outcome] for s in schools], dtype=float)
            p0 = y.sum() / n.sum()
            if p0 in (0, 1):
                continue
            variance = p0 * (1 - p0) / n
            z = (y / n - p0) / np.sqrt(variance)
            low, high = np.percentile(z, [10, 90])
            phi = float(np.mean(np.clip(z, low, high) ** 2))
            count, weights = len(schools), 1 / variance
            tau2 = 0.0
            if count * phi > count - 1:
                tau2 = (count * phi - (count - 1)) / (
                    weights.sum() - (weights ** 2).sum() / weights.sum())
            limit = 3.09 * np.sqrt(variance + tau2)
            found |= {s for s, r, w in zip(schools, y / n, limit, strict=True)
                      if abs(r - p0) > w}
    return found


def school_rule(data: Accepted, check: str, year: int, school: str,
                province_of: dict[str, str]) -> bool:
    """Whether the school check fires on ``school`` in ``year`` (docs/quality.md)."""
    now, before = data.school_pupils(year)[school], data.school_pupils(year - 1)[school]
    if check == "school_silent":
        return year != data.years[0] and before > 0 and now == 0
    if check == "enrollment_jump":
        return before >= 50 and now > 0 and abs(now - before) > 0.4 * before
    if check == "outlier_rate":
        return school in funnel_outliers(data, year, province_of)
    raise AssertionError(check)


def test_every_check_code_is_in_the_quality_truth(findings):
    assert set(Counter(check for *_, check in findings)) == set(CHECKS)
    assert len(set(findings)) == len(findings)
    for _, school, code, check in findings:
        assert school and bool(code) == (check not in SCHOOL_CHECKS), (school, code, check)


def test_each_listed_pupil_record_meets_the_rule_of_its_check(findings, accepted):
    for year, school, code, check in findings:
        if check not in SCHOOL_CHECKS:
            record = accepted.pupils[year][code]
            assert record["code_gresa"] == school, (year, code, check)
            assert pupil_rule(accepted, check, year, code), (year, code, check, record)


def test_each_listed_school_meets_the_rule_of_its_check(tiny_engine, findings, accepted):
    province_of = dict(query(tiny_engine, "SELECT code, province_code FROM commune"))
    for year, school, _, check in findings:
        if check in SCHOOL_CHECKS:
            assert school_rule(accepted, check, year, school, province_of), (year, school,
                                                                             check)


def test_an_implausible_age_is_listed_in_every_year_it_fires(findings, accepted):
    listed = defaultdict(set)
    for year, _, code, check in findings:
        if check == "implausible_age":
            listed[code].add(year)
    assert listed
    for code, years_listed in listed.items():
        firing = {year for year in accepted.years if code in accepted.pupils[year]
                  and pupil_rule(accepted, "implausible_age", year, code)}
        assert years_listed == firing, code
        for year in accepted.years:  # the import takes every age from 4 to 30
            if code in accepted.pupils[year]:
                birth = accepted.pupils[year][code]["date_naissance"]
                assert 4 <= age_on_first_september(birth, year) <= 30


def test_the_findings_are_about_the_share_of_pupil_rows(defective, findings, accepted):
    _, summary = defective
    pupil_rows = sum(len(rows_of_year) for rows_of_year in accepted.pupils.values())
    assert summary.findings == len(findings)
    assert len(findings) / pupil_rows == pytest.approx(SHARE, abs=0.005)


def test_accepted_defects_spare_the_pupils_of_the_rejected_lines(defective, findings):
    """No accepted defect is given to a pupil a rejected line names (and relies on)."""
    folder, _ = defective
    rejected = set()
    for name, line, _ in truth(folder):
        fields = fields_of(folder, name, line)
        if not name.startswith("etablissements") and len(fields) > 1:
            rejected.add(fields[1])
    assert not rejected & {code for _, _, code, _ in findings if code}


def test_the_import_rejects_the_ground_truth_and_takes_every_other_row(defective, imported,
                                                                       accepted, findings):
    folder, _ = defective
    engine = make_engine(imported)
    try:
        rejected = query(engine, "SELECT b.file_name, r.line, r.reason FROM import_reject r "
                                 "JOIN import_batch b ON b.id = r.batch_id")
        assert sorted(rejected) == sorted(truth(folder))
        assert query(engine, "SELECT count(*) FROM enrollment")[0][0] == sum(
            len(rows_of_year) for rows_of_year in accepted.pupils.values())
        assert query(engine, "SELECT count(*) FROM exam_result")[0][0] == sum(
            len(rows_of_pupil) for rows_of_pupil in accepted.exams.values())
        for year, _, code, check in findings:
            if check == "missing_outcome":
                assert query(engine, "SELECT outcome FROM enrollment WHERE massar_code = :c "
                                     "AND school_year = :y", c=code, y=year) == [(None,)]
    finally:
        engine.dispose()


# --- determinism and compression -----------------------------------------------------------


def test_the_same_seed_writes_the_same_bytes(tiny_engine, tmp_path):
    first = write_extract(tiny_engine, tmp_path / "a", defects=SHARE, seed=5, gzip=True)
    second = write_extract(tiny_engine, tmp_path / "b", defects=SHARE, seed=5, gzip=True)
    other = write_extract(tiny_engine, tmp_path / "c", defects=SHARE, seed=6, gzip=True)
    assert first == second
    for name in [*first.files, "ground_truth.txt", "quality_truth.txt"]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert truth(tmp_path / "a") != truth(tmp_path / "c")
    assert quality_truth(tmp_path / "a") != quality_truth(tmp_path / "c")
    assert other.files == first.files


def test_gzip_files_hold_the_plain_text(tiny_engine, clean, tmp_path):
    plain, summary = clean
    zipped = write_extract(tiny_engine, tmp_path, gzip=True)
    assert zipped.files == [f"{name}.gz" for name in summary.files]
    for name in summary.files:
        assert gzip.decompress((tmp_path / f"{name}.gz").read_bytes()) == (
            (plain / name).read_bytes())


# --- the Frictionless descriptor -----------------------------------------------------------


def year_packages(folder: Path, summary) -> list[frictionless.Package]:
    """One package per school year: the descriptor with that year's files."""
    descriptor = json.loads(DESCRIPTOR.read_text(encoding="utf-8"))
    packages = []
    for year in sorted({name.split("_")[1][:4] for name in summary.files if "_" in name}):
        copy = json.loads(json.dumps(descriptor))
        for resource in copy["resources"]:
            if resource["name"] != "etablissements":
                resource["path"] = f"{resource['name']}_{year}.csv"
        packages.append(frictionless.Package(copy, basepath=str(folder)))
    return packages


def errors_of(report) -> Counter:
    return Counter(error.type for task in report.tasks for error in task.errors)


def test_the_descriptor_names_the_three_kinds_of_file():
    descriptor = json.loads(DESCRIPTOR.read_text(encoding="utf-8"))
    resources = {r["name"]: r for r in descriptor["resources"]}
    assert set(resources) == {"etablissements", "eleves", "examens"}
    assert resources["eleves"]["path"] == "eleves_2024.csv"
    fields = {f["name"]: f for f in resources["eleves"]["schema"]["fields"]}
    assert fields["code_massar"]["constraints"]["pattern"] == "[A-Za-z][0-9]{9}"
    assert fields["moyenne"]["constraints"] == {"minimum": 0, "maximum": 20}


def test_a_clean_extract_is_valid_against_the_descriptor(clean):
    folder, summary = clean
    packages = year_packages(folder, summary)
    assert len(packages) == 4
    for package in packages:
        report = package.validate()
        assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]


def test_an_extract_with_defects_is_invalid_against_the_descriptor(defective):
    folder, summary = defective
    found: Counter = Counter()
    for package in year_packages(folder, summary):
        report = package.validate()
        assert not report.valid
        found += errors_of(report)
    assert {"constraint-error", "type-error", "primary-key", "foreign-key"} <= set(found)
    assert found["extra-cell"] + found["missing-cell"] > 0
