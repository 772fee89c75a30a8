"""The generator follows pupils consistently and its command fails cleanly."""

from __future__ import annotations

import subprocess
import sys

import pytest
import shapely

from dashboard.data.generate import GenerateError, parse_years
from dashboard.data.geography import load_geography
from tests.conftest import TINY_YEARS, query


def test_one_enrollment_per_student_and_year(tiny_engine):
    rows = query(tiny_engine, """
        SELECT count(*) FROM (
            SELECT massar_code, school_year FROM enrollment
            GROUP BY 1, 2 HAVING count(*) > 1) d""")
    assert rows == [(0,)]


def test_every_year_has_pupils_and_new_1aep_entrants(tiny_engine):
    years = query(tiny_engine, "SELECT DISTINCT school_year FROM enrollment ORDER BY 1")
    assert [y for (y,) in years] == TINY_YEARS
    entrants = query(tiny_engine, """
        SELECT e.school_year, count(*) FROM enrollment e
        WHERE e.grade = '1AEP' AND NOT EXISTS (
            SELECT 1 FROM enrollment p
            WHERE p.massar_code = e.massar_code AND p.school_year = e.school_year - 1)
        GROUP BY 1 ORDER BY 1""")
    assert [y for y, n in entrants if n > 0] == TINY_YEARS


def test_massar_and_school_codes_have_the_official_shape(tiny_engine):
    bad_massar = query(tiny_engine, """
        SELECT count(*) FROM student WHERE NOT regexp_matches(massar_code, '^[A-Z][0-9]{9}$')""")
    bad_school = query(tiny_engine, """
        SELECT count(*) FROM school WHERE NOT regexp_matches(code, '^[0-9]{5}[A-Z]$')""")
    assert bad_massar == [(0,)] and bad_school == [(0,)]


GRADE_ORDER = "'1AEP','2AEP','3AEP','4AEP','5AEP','6AEP','1AC','2AC','3AC','TC','1BAC','2BAC'"


def _next_year_pairs(engine, where: str) -> list[tuple]:
    return query(engine, f"""
        SELECT a.grade, a.outcome, b.grade, count(*)
        FROM enrollment a JOIN enrollment b
          ON b.massar_code = a.massar_code AND b.school_year = a.school_year + 1
        WHERE {where}
        GROUP BY 1, 2, 3""")


def test_promoted_pupils_are_one_grade_up_the_next_year(tiny_engine):
    grades = GRADE_ORDER.replace("'", "").split(",")
    for grade, outcome, next_grade, _ in _next_year_pairs(tiny_engine, "a.outcome = 'promu'"):
        assert outcome == "promu"
        assert grades.index(next_grade) == grades.index(grade) + 1, (grade, next_grade)


def test_repeaters_stay_in_the_same_grade_and_school(tiny_engine):
    rows = query(tiny_engine, """
        SELECT count(*), sum(CASE WHEN a.grade = b.grade AND a.school_code = b.school_code
                                  THEN 1 ELSE 0 END)
        FROM enrollment a JOIN enrollment b
          ON b.massar_code = a.massar_code AND b.school_year = a.school_year + 1
        WHERE a.outcome = 'redoublant'""")
    total, same = rows[0]
    assert total > 0 and same == total


def test_dropouts_and_graduates_never_come_back(tiny_engine):
    rows = query(tiny_engine, """
        SELECT count(*) FROM enrollment a JOIN enrollment b
          ON b.massar_code = a.massar_code AND b.school_year > a.school_year
        WHERE a.outcome IN ('abandon', 'diplome')""")
    assert rows == [(0,)]


def test_end_of_cycle_moves_to_next_cycle_in_the_same_province(tiny_engine):
    rows = query(tiny_engine, """
        SELECT a.grade, sb.cycle, ca.province_code = cb.province_code AS same_province, count(*)
        FROM enrollment a
        JOIN enrollment b ON b.massar_code = a.massar_code AND b.school_year = a.school_year + 1
        JOIN school sa ON sa.code = a.school_code JOIN commune ca ON ca.code = sa.commune_code
        JOIN school sb ON sb.code = b.school_code JOIN commune cb ON cb.code = sb.commune_code
        WHERE a.outcome = 'promu' AND a.grade IN ('6AEP', '3AC')
        GROUP BY 1, 2, 3""")
    assert {(g, c) for g, c, _, _ in rows} == {("6AEP", "college"), ("3AC", "qualifiant")}
    assert all(same for _, _, same, _ in rows)


def test_pupils_are_in_schools_of_their_grades_cycle(tiny_engine):
    rows = query(tiny_engine, """
        SELECT s.cycle, e.grade FROM enrollment e JOIN school s ON s.code = e.school_code
        GROUP BY 1, 2""")
    cycle_of = {"AEP": "primaire", "AC": "college", "TC": "qualifiant", "BAC": "qualifiant"}
    for cycle, grade in rows:
        suffix = grade.lstrip("0123456789")
        assert cycle_of[suffix] == cycle, (cycle, grade)


def test_exam_results_agree_with_outcomes(tiny_engine):
    rows = query(tiny_engine, """
        SELECT x.exam, e.grade, e.outcome, x.passed, count(*)
        FROM exam_result x JOIN enrollment e USING (massar_code, school_year)
        GROUP BY 1, 2, 3, 4""")
    sat_in = {"CEP": "6AEP", "REG": "3AC", "BAC": "2BAC"}
    for exam, grade, outcome, passed, _ in rows:
        assert grade == sat_in[exam]
        if passed:
            assert outcome == ("diplome" if exam == "BAC" else "promu")
        else:
            assert outcome in ("redoublant", "abandon")
    # every promoted pupil of an exam grade passed that exam
    missing = query(tiny_engine, """
        SELECT count(*) FROM enrollment e
        WHERE e.grade IN ('6AEP', '3AC', '2BAC') AND e.outcome IN ('promu', 'diplome')
          AND NOT EXISTS (SELECT 1 FROM exam_result x WHERE x.massar_code = e.massar_code
                          AND x.school_year = e.school_year AND x.passed)""")
    assert missing == [(0,)]


def test_scores_and_averages_match_pass_and_fail(tiny_engine):
    rows = query(tiny_engine, """
        SELECT sum(CASE WHEN passed AND score < 10 THEN 1 ELSE 0 END)
             + sum(CASE WHEN NOT passed AND score >= 10 THEN 1 ELSE 0 END) FROM exam_result""")
    assert rows == [(0,)]
    rows = query(tiny_engine, """
        SELECT sum(CASE WHEN outcome IN ('promu','diplome') AND annual_average < 10 THEN 1
                        ELSE 0 END) FROM enrollment""")
    assert rows == [(0,)]


def test_schools_lie_inside_their_commune(tiny_engine):
    shapes = load_geography().shapes["commune"]
    schools = query(tiny_engine, "SELECT commune_code, longitude, latitude FROM school")
    assert schools
    for commune, lon, lat in schools:
        assert shapely.contains_xy(shapes[commune], lon, lat), commune


@pytest.mark.parametrize("text", ["2025-2020", "20-25", "1990-1995", "2020-2050", "abc"])
def test_bad_year_ranges_are_refused(text):
    with pytest.raises(GenerateError):
        parse_years(text)


def test_year_range_parses():
    assert parse_years("2020-2022") == [2020, 2021, 2022]
    assert parse_years("2024") == [2024]


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run(
        [sys.executable, "-m", "dashboard", *args],
        capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=120,
    )


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["generate", "--scale", "huge"], None, "invalid choice"),
        (["generate", "--years", "2025-2020"], None, "last year comes before the first"),
        (["generate", "--scale", "tiny"],
         {"PILOTAGE_DATABASE_URL": "duckdb:////proc/forbidden/p.duckdb"}, "error:"),
        (["serve", "--port", "99999"], None, "port must be between"),
    ],
)
def test_cli_errors_are_one_line_and_exit_2(args, env, message):
    result = _cli(*args, env=env)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_help_lists_the_commands():
    result = _cli("--help")
    assert result.returncode == 0
    for command in ("generate", "build", "serve"):
        assert command in result.stdout


def test_build_without_raw_tables_is_a_clear_error(tmp_path):
    result = _cli("build", env={"PILOTAGE_DATABASE_URL": f"duckdb:///{tmp_path / 'empty.duckdb'}"})
    assert result.returncode == 2
    assert "run `python -m dashboard generate`" in result.stderr
