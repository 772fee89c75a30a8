"""Importing hand-written extract files: each reason code at its line, the meaning of an
import, and hostile files. Every case runs on DuckDB and on PostgreSQL."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from dashboard.cli import main
from dashboard.db import make_engine

SCHOOLS_HEADER = "code_gresa,nom,commune,cycle,secteur,milieu,latitude,longitude"
#: Two schools of province 141 and one of province 81 (communes of the geography).
SCHOOLS = [
    "90001A,École Al Amal,141.1.1,primaire,public,urbain,33.58,-7.62",
    "90002A,Collège Ibn Sina,141.1.1,college,public,urbain,33.59,-7.61",
    "90003B,École Atlas,{far},primaire,public,rural,34.2,-5.9",
]
PUPILS_HEADER = "annee_scolaire,code_massar,sexe,date_naissance,code_gresa,niveau,resultat,moyenne"
PUPILS = [
    "2024-2025,A100000001,F,2016-03-01,90001A,3AEP,promu,12.5",
    "2024-2025,A100000002,M,2013-05-20,90001A,6AEP,promu,14",
    "2024-2025,A100000003,F,2011-11-02,90002A,3AC,redoublant,8.75",
    "2024-2025,A100000004,M,2015-01-10,90003B,4AEP,abandon,",
    "2024-2025,A100000005,F,2013-07-07,90001A,6AEP,,",
]
EXAMS_HEADER = "annee_scolaire,code_massar,examen,note,admis"
EXAMS = [
    "2024-2025,A100000002,CEP,13.5,oui",
    "2024-2025,A100000003,REG,9,non",
]


@pytest.fixture()
def far_commune(tmp_path_factory) -> str:
    """A commune of province 81, read from the geography the import loads."""
    from dashboard.data.geography import load_geography

    communes = load_geography().communes
    return str(communes[communes["province_code"] == "81"]["code"].iloc[0])


@pytest.fixture()
def database(backend, tmp_path, monkeypatch, request) -> str:
    """An empty database (no tables at all) that the commands below import into."""
    name = "pilotage_import_" + str(abs(hash(request.node.name)) % 10**8)
    url = backend.database_url(tmp_path, name)
    monkeypatch.setenv("PILOTAGE_DATABASE_URL", url)
    monkeypatch.setenv("PILOTAGE_DATA_DIR", str(tmp_path / "data"))
    return url


def extract(folder: Path, far: str, schools=None, pupils=None, exams=None,
            year: int = 2024) -> Path:
    """Write an extract: the base files with the given lines instead of the base ones."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = {"etablissements.csv": (SCHOOLS_HEADER, SCHOOLS if schools is None else schools),
             f"eleves_{year}.csv": (PUPILS_HEADER, PUPILS if pupils is None else pupils),
             f"examens_{year}.csv": (EXAMS_HEADER, EXAMS if exams is None else exams)}
    for name, (header, rows) in lines.items():
        text = "\n".join([header, *(r.format(far=far) for r in rows)]) + "\n"
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def run(*args: str) -> int:
    return main(["import", *args])


def rows(url: str, sql: str, **params) -> list[tuple]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql), params).all()]
    finally:
        engine.dispose()


def rejects(url: str) -> list[tuple]:
    return rows(url, """SELECT b.file_name, r.line, r.column_name, r.value, r.reason
                        FROM import_reject r JOIN import_batch b ON b.id = r.batch_id
                        ORDER BY b.file_name, r.line""")


def snapshot(url: str) -> dict[str, int]:
    """Row counts of every table an import writes (none when there are no tables)."""
    try:
        return {t: rows(url, f"SELECT count(*) FROM {t}")[0][0] for t in (
            "school", "student", "enrollment", "exam_result", "import_batch", "import_reject")}
    except sa.exc.SQLAlchemyError:
        return {}


# --- a clean extract, into a database that does not exist yet ------------------------------


def test_a_clean_extract_fills_a_new_database_and_builds(database, tmp_path, far_commune,
                                                         capsys):
    folder = extract(tmp_path / "x", far_commune)
    assert run(str(folder)) == 0
    out = capsys.readouterr().out
    assert "eleves_2024.csv (eleves 2024-2025): 5 read, 5 accepted, 0 rejected" in out
    assert "built data version 1" in out
    assert rejects(database) == []
    assert rows(database, "SELECT count(*) FROM region")[0][0] == 12  # geography loaded
    assert rows(database, """SELECT massar_code, school_code, grade, outcome, annual_average
                             FROM enrollment ORDER BY massar_code""") == [
        ("A100000001", "90001A", "3AEP", "promu", 12.5),
        ("A100000002", "90001A", "6AEP", "promu", 14.0),
        ("A100000003", "90002A", "3AC", "redoublant", 8.75),
        ("A100000004", "90003B", "4AEP", "abandon", None),
        ("A100000005", "90001A", "6AEP", None, None),  # not decided yet
    ]
    assert rows(database, "SELECT sex, CAST(birth_date AS VARCHAR) FROM student "
                          "WHERE massar_code = 'A100000003'") == [("F", "2011-11-02")]
    assert rows(database, "SELECT massar_code, exam, score, passed FROM exam_result "
                          "ORDER BY massar_code") == [("A100000002", "CEP", 13.5, True),
                                                      ("A100000003", "REG", 9.0, False)]
    assert rows(database, "SELECT file_name, rows_read, rows_accepted, rows_rejected "
                          "FROM import_batch ORDER BY file_name") == [
        ("eleves_2024.csv", 5, 5, 0), ("etablissements.csv", 3, 3, 0),
        ("examens_2024.csv", 2, 2, 0)]


# --- each reason code, at its line, with the original value kept ---------------------------

GOOD_PUPIL = "2024-2025,A100000009,F,2014-02-02,90001A,5AEP,promu,11"
CASES = [
    # (reason, which file, the bad line, its column, the value kept)
    ("unreadable", "pupils", "2024-2025,A100000009,F,2014-02-02,90001A,5AEP,promu", None,
     "2024-2025,A100000009,F,2014-02-02,90001A,5AEP,promu"),
    ("missing_value", "pupils", "2024-2025,A100000009,,2014-02-02,90001A,5AEP,promu,11",
     "sexe", ""),
    ("bad_massar_code", "pupils", "2024-2025,AB10000009,F,2014-02-02,90001A,5AEP,promu,11",
     "code_massar", "AB10000009"),
    ("bad_sex", "pupils", "2024-2025,A100000009,X,2014-02-02,90001A,5AEP,promu,11", "sexe", "X"),
    ("bad_date", "pupils", "2024-2025,A100000009,F,2014-02-30,90001A,5AEP,promu,11",
     "date_naissance", "2014-02-30"),
    ("implausible_age", "pupils", "2024-2025,A100000009,F,2022-02-02,90001A,5AEP,promu,11",
     "date_naissance", "2022-02-02"),
    ("unknown_school", "pupils", "2024-2025,A100000009,F,2014-02-02,77777Z,5AEP,promu,11",
     "code_gresa", "77777Z"),
    ("bad_value", "pupils", "2024-2025,A100000009,F,2014-02-02,90001A,5AEP,parti,11",
     "resultat", "parti"),
    ("grade_not_in_cycle", "pupils", "2024-2025,A100000009,F,2014-02-02,90001A,1AC,promu,11",
     "niveau", "1AC"),
    ("bad_score", "pupils", "2024-2025,A100000009,F,2014-02-02,90001A,5AEP,promu,21",
     "moyenne", "21"),
    ("bad_year", "pupils", "2023-2024,A100000009,F,2014-02-02,90001A,5AEP,promu,11",
     "annee_scolaire", "2023-2024"),
    ("exam_without_enrollment", "exams", "2024-2025,A199999999,CEP,12,oui", "code_massar",
     "A199999999"),
    ("exam_grade_mismatch", "exams", "2024-2025,A100000001,CEP,12,oui", "examen", "CEP"),
    ("bad_score", "exams", "2024-2025,A100000002,BAC,-1,oui", "note", "-1"),
    ("unknown_commune", "schools", "90009A,École Nulle Part,999.9,primaire,public,rural,33,-7",
     "commune", "999.9"),
    ("bad_coordinates", "schools", "90009A,École du Nord,141.1.1,primaire,public,urbain,50,-7",
     "latitude", "50"),
    ("bad_value", "schools", "90009A,École X,141.1.1,maternelle,public,urbain,33,-7", "cycle",
     "maternelle"),
]
FILES = {"pupils": "eleves_2024.csv", "exams": "examens_2024.csv",
         "schools": "etablissements.csv"}


@pytest.mark.parametrize(("reason", "kind", "bad", "column", "value"), CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_each_reason_rejects_its_line_and_keeps_every_other(database, tmp_path, far_commune,
                                                             reason, kind, bad, column, value):
    base = {"schools": list(SCHOOLS), "pupils": [*PUPILS, GOOD_PUPIL], "exams": list(EXAMS)}
    base[kind].insert(1, bad)  # the bad row is line 3
    folder = extract(tmp_path / "x", far_commune, base["schools"], base["pupils"],
                     base["exams"])
    assert run(str(folder), "--no-build") == 0
    assert rejects(database) == [(FILES[kind], 3, column, value, reason)]
    counts = dict((name, (read, taken)) for name, read, taken in rows(
        database, "SELECT file_name, rows_read, rows_accepted FROM import_batch"))
    for key, name in FILES.items():
        read = len(base[key])
        assert counts[name] == (read, read - (key == kind))


def test_every_copy_of_a_pupil_given_twice_is_rejected(database, tmp_path, far_commune):
    folder = extract(tmp_path / "x", far_commune,
                     pupils=[*PUPILS, GOOD_PUPIL, PUPILS[0].replace("12.5", "13")])
    assert run(str(folder), "--no-build") == 0
    assert [(r[1], r[4]) for r in rejects(database) if r[0] == "eleves_2024.csv"] == [
        (2, "duplicate"), (8, "duplicate")]
    assert ("examens_2024.csv", 2) not in [(r[0], r[1]) for r in rejects(database)]


def test_an_identity_that_contradicts_another_year_or_the_database_is_rejected(
        database, tmp_path, far_commune):
    first = extract(tmp_path / "a", far_commune)
    assert run(str(first), "--no-build") == 0
    later = extract(tmp_path / "b", far_commune, pupils=[
        "2025-2026,A100000001,M,2016-03-01,90001A,4AEP,promu,12",  # known as F
        "2025-2026,A100000002,M,2013-05-20,90002A,1AC,promu,12",
    ], exams=[], year=2025)
    (later / "etablissements.csv").unlink()
    assert run(str(later), "--no-build") == 0
    assert rejects(database) == [("eleves_2025.csv", 2, "code_massar", "A100000001",
                                  "conflicting_identity")]


# --- what an import means ------------------------------------------------------------------


def test_the_same_file_twice_changes_nothing_and_says_so(database, tmp_path, far_commune,
                                                         capsys):
    folder = extract(tmp_path / "x", far_commune)
    assert run(str(folder)) == 0
    before = snapshot(database)
    capsys.readouterr()
    assert run(str(folder)) == 0
    out = capsys.readouterr().out
    assert "already imported (batch" in out and "nothing changed" in out
    assert "built data version" not in out
    assert snapshot(database) == before
    assert rows(database, "SELECT max(version) FROM data_version")[0][0] == 1


def test_a_population_scale_scales_the_census_and_stays_for_later_builds(
        database, tmp_path, far_commune, capsys):
    folder = extract(tmp_path / "x", far_commune)
    population = """SELECT sum(population) FROM population
                    WHERE level = 'national' AND year = 2024 AND age BETWEEN 6 AND 11"""
    assert run(str(folder)) == 0
    (whole,), = rows(database, population)
    assert float(whole) > 3_000_000  # Morocco's 6-11 year-olds
    capsys.readouterr()
    # the same files with a scale: nothing to import, but the population is built again
    assert run(str(folder), "--population-scale", "0.1") == 0
    out = capsys.readouterr().out
    assert "population scale now 0.1" in out and "built data version 2" in out
    (tenth,), = rows(database, population)
    assert float(tenth) == pytest.approx(float(whole) * 0.1, rel=1e-9)
    assert rows(database, "SELECT scale FROM population_scale") == [(0.1,)]
    assert main(["build"]) == 0  # a later build keeps it
    (again,), = rows(database, population)
    assert float(again) == pytest.approx(float(tenth), rel=1e-9)


@pytest.mark.parametrize("share", ["0", "1.5", "tenth"])
def test_a_population_scale_outside_0_to_1_exits_2(database, tmp_path, far_commune, capsys,
                                                   share):
    folder = extract(tmp_path / "x", far_commune)
    with pytest.raises(SystemExit) as stopped:
        run(str(folder), "--population-scale", share)
    assert stopped.value.code == 2
    assert "--population-scale" in capsys.readouterr().err
    assert snapshot(database) == {}  # nothing created


def test_a_corrected_file_replaces_that_year_for_its_schools_only(database, tmp_path,
                                                                    far_commune):
    assert run(str(extract(tmp_path / "a", far_commune)), "--no-build") == 0
    corrected = extract(tmp_path / "b", far_commune, pupils=[
        "2024-2025,A100000002,M,2013-05-20,90001A,6AEP,redoublant,9.5",
        "2024-2025,A100000006,F,2016-06-06,90001A,3AEP,promu,15",
    ], exams=[])
    (corrected / "etablissements.csv").unlink()
    assert run(str(corrected / "eleves_2024.csv"), "--no-build") == 0
    assert rows(database, "SELECT massar_code, school_code, outcome FROM enrollment "
                          "ORDER BY massar_code") == [
        ("A100000002", "90001A", "redoublant"),  # corrected
        ("A100000003", "90002A", "redoublant"),  # another school: untouched
        ("A100000004", "90003B", "abandon"),  # another province: untouched
        ("A100000006", "90001A", "promu"),  # added
    ]  # A100000001 and A100000005 left school 90001A's corrected year
    # the exam of a pupil whose year was replaced goes with it; others stay
    assert rows(database, "SELECT massar_code FROM exam_result ORDER BY 1") == [
        ("A100000003",)]


def test_a_dry_run_checks_and_writes_nothing(database, tmp_path, far_commune, capsys):
    assert run(str(extract(tmp_path / "a", far_commune)), "--no-build") == 0
    before = snapshot(database)
    folder = extract(tmp_path / "b", far_commune, pupils=[*PUPILS, "2024-2025,bad"])
    capsys.readouterr()
    assert run(str(folder / "eleves_2024.csv"), "--dry-run") == 0
    out = capsys.readouterr().out
    assert "6 read, 5 accepted, 1 rejected (unreadable 1)" in out and "dry run" in out
    assert snapshot(database) == before


# --- the file formats ----------------------------------------------------------------------


def test_excel_with_arabic_headers_and_decimal_commas(database, tmp_path, far_commune):
    extract(tmp_path / "x", far_commune)
    book = Workbook()
    sheet = book.active
    sheet.append(["السنة الدراسية", "رقم مسار", "الجنس", "تاريخ الازدياد", "رمز المؤسسة",
                  "المستوى", "النتيجة", "المعدل السنوي"])
    sheet.append(["2024-2025", "A100000001", "أنثى", "01/03/2016", "90001A", "3AEP", "promu",
                  "12,5"])
    sheet.append([2024, "A100000002", "ذكر", "20/05/2013", "90001A", "6AEP", "Redouble", 14])
    (tmp_path / "x" / "eleves_2024.csv").unlink()
    book.save(tmp_path / "x" / "eleves.xlsx")
    assert run(str(tmp_path / "x"), "--no-build") == 0
    assert rejects(database) == [("examens_2024.csv", 3, "code_massar", "A100000003",
                                  "exam_without_enrollment")]
    assert rows(database, "SELECT massar_code, outcome, annual_average, s.sex FROM enrollment "
                          "JOIN student s USING (massar_code) ORDER BY 1") == [
        ("A100000001", "promu", 12.5, "F"), ("A100000002", "redoublant", 14.0, "M")]


def test_semicolons_gzip_and_a_zip_are_read(database, tmp_path, far_commune):
    folder = extract(tmp_path / "x", far_commune)
    text = (folder / "eleves_2024.csv").read_text().replace(",", ";").replace("12.5", "12,5")
    (folder / "eleves_2024.csv").unlink()
    with gzip.open(folder / "eleves_2024.csv.gz", "wt", encoding="utf-8") as handle:
        handle.write("\ufeff" + text)
    archive = tmp_path / "extract.zip"
    with zipfile.ZipFile(archive, "w") as packed:
        for path in folder.iterdir():
            packed.write(path, f"massar/{path.name}")
    assert run(str(archive), "--no-build") == 0
    assert rejects(database) == []
    assert rows(database, "SELECT count(*), sum(annual_average) FROM enrollment") == [
        (5, 12.5 + 14 + 8.75)]


# --- hostile input: a clear error or rejects, never a traceback, the database unchanged ----


def _hostile(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(("name", "content", "message"), [
    ("eleves.csv", bytes(range(256)) * 40, "header"),
    ("eleves.csv", b"", "matches none"),
    ("eleves.csv", "annee_scolaire,code_massar,sexe,date_naissance,code_gresa,niveau,"
     "resultat,moyenne\n2024,A100000001,F,\xe9t\xe9\n".encode("latin-1").replace(
         b"annee", b"ann\xe9e"), "not UTF-8"),
    ("eleves.csv", (",".join(f"c{i}" for i in range(100_000)) + "\n").encode(), "columns"),
    ("eleves.xlsx", b"PK\x03\x04 not really a workbook", "Excel"),
    ("eleves.csv.gz", b"\x1f\x8b\x08\x00 broken", "cannot be read"),
])
def test_unusable_files_exit_2_with_one_line(database, tmp_path, far_commune, capsys, name,
                                             content, message):
    assert run(str(extract(tmp_path / "a", far_commune)), "--no-build") == 0
    before = snapshot(database)
    capsys.readouterr()
    assert run(str(_hostile(tmp_path / name, content)), "--no-build") == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert snapshot(database) == before


def test_a_missing_path_and_a_zip_bomb_exit_2(database, tmp_path, capsys):
    assert run(str(tmp_path / "nowhere")) == 2
    assert "no such file" in capsys.readouterr().err
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as packed:
        packed.writestr("eleves.csv", PUPILS_HEADER + "\n" + "\n" * (300 * 1024**2))
    assert run(str(bomb)) == 2
    assert "expands too far" in capsys.readouterr().err
    assert snapshot(database) == {}  # nothing was even created
    (tmp_path / "junk.zip").write_bytes(b"PK\x05\x06" + b"\x00" * 18 + b"junk")
    assert run(str(tmp_path / "junk.zip")) == 2


def test_a_huge_line_and_formulas_stay_rows(database, tmp_path, far_commune):
    pupils = [*PUPILS, "2024-2025,A100000009,F,2014-02-02,90001A,5AEP," + "x" * 10_000_000]
    schools = [*SCHOOLS, '90010A,"=cmd|\'/c calc\'!A1",141.1.1,primaire,public,urbain,33,-7']
    folder = extract(tmp_path / "x", far_commune, schools=schools, pupils=pupils)
    assert run(str(folder), "--no-build") == 0
    (line, reason), = [(r[1], r[4]) for r in rejects(database) if r[0] == "eleves_2024.csv"]
    assert (line, reason) == (7, "unreadable")
    assert rows(database, "SELECT name FROM school WHERE code = '90010A'") == [
        ("=cmd|'/c calc'!A1",)]  # text, as given


def test_a_locked_duckdb_file_exits_2(tmp_path):
    import subprocess
    import sys

    import duckdb

    path = tmp_path / "held.duckdb"
    holder = duckdb.connect(str(path))
    try:
        folder = extract(tmp_path / "x", "141.1.1", schools=SCHOOLS[:2], pupils=PUPILS[:3],
                         exams=[])
        result = subprocess.run(
            [sys.executable, "-m", "dashboard", "import", str(folder)], capture_output=True,
            text=True, env={"PILOTAGE_DATABASE_URL": f"duckdb:///{path}", "PATH": "/usr/bin"},
            cwd=Path(__file__).resolve().parent.parent, timeout=120)
    finally:
        holder.close()
    assert result.returncode == 2
    assert "open in another process" in result.stderr and "Traceback" not in result.stderr


def test_a_line_not_in_utf8_is_unreadable_and_the_rest_is_read(database, tmp_path,
                                                                far_commune):
    folder = extract(tmp_path / "x", far_commune)
    good = (folder / "eleves_2024.csv").read_bytes()
    bad = "2024-2025,A100000009,F,2014-02-02,90001A,5AEP,promu,11 élève\n".encode("latin-1")
    (folder / "eleves_2024.csv").write_bytes(good + b"\n" + bad)  # a blank line, then Latin-1
    assert run(str(folder), "--no-build") == 0
    (line, reason), = [(r[1], r[4]) for r in rejects(database)]
    assert (line, reason) == (8, "unreadable")
    assert rows(database, "SELECT count(*) FROM enrollment")[0][0] == 5


def test_quoted_fields_keep_their_commas_and_quotes(database, tmp_path, far_commune):
    schools = [*SCHOOLS, '90011A,"École ""Al Fath"", annexe",141.1.1,primaire,public,urbain,'
                         '33.1,-7.1']
    assert run(str(extract(tmp_path / "x", far_commune, schools=schools)), "--no-build") == 0
    assert rows(database, "SELECT name FROM school WHERE code = '90011A'") == [
        ('École "Al Fath", annexe',)]


def test_defects_written_by_the_generator_are_each_rejected_at_their_line(database, tmp_path,
                                                                          capsys):
    """``generate --extract --defects``: the import rejects exactly the lines of the ground
    truth, each with its reason, and takes every other row."""
    import csv

    folder = tmp_path / "extract"
    assert main(["generate", "--scale", "tiny", "--years", "2023-2024", "--seed", "3",
                 "--extract", str(folder), "--defects", "0.01"]) == 0
    assert run(str(folder), "--no-build") == 0
    assert "ground_truth.txt: not an extract file, left aside" in capsys.readouterr().out
    with (folder / "ground_truth.txt").open(encoding="utf-8", newline="") as stream:
        truth = sorted((r["file"], int(r["line"]), r["reason"]) for r in csv.DictReader(stream))
    assert {reason for *_, reason in truth} >= {"unreadable", "duplicate", "bad_sex",
                                                  "unknown_school", "exam_grade_mismatch"}
    assert sorted((r[0], r[1], r[4]) for r in rejects(database)) == truth
    read, taken, refused = rows(database, "SELECT sum(rows_read), sum(rows_accepted), "
                                          "sum(rows_rejected) FROM import_batch")[0]
    assert refused == len(truth) and read == taken + refused


def test_a_school_map_sent_again_updates_schools_that_have_pupils(database, tmp_path,
                                                                  far_commune):
    assert run(str(extract(tmp_path / "a", far_commune)), "--no-build") == 0
    renamed = [SCHOOLS[0].replace("École Al Amal", "École Al Amal (annexe)"), *SCHOOLS[1:]]
    extract(tmp_path / "b", far_commune, schools=renamed)
    assert run(str(tmp_path / "b" / "etablissements.csv"), "--no-build") == 0
    assert rows(database, "SELECT name FROM school WHERE code = '90001A'") == [
        ("École Al Amal (annexe)",)]
