"""The analytics tables equal counts over the raw tables, and builds publish cleanly."""

from __future__ import annotations

import os
import random
import subprocess
import sys

import pytest
import sqlalchemy as sa

from dashboard.data.build import build
from dashboard.db import make_engine
from tests.conftest import TINY_YEARS, make_database, query

RAW_COUNTS = """
    SELECT count(*),
           sum(CASE WHEN e.outcome = 'abandon' THEN 1 ELSE 0 END),
           sum(CASE WHEN e.outcome = 'redoublant' THEN 1 ELSE 0 END),
           sum(CASE WHEN e.outcome IN ('promu', 'diplome') THEN 1 ELSE 0 END),
           count(e.annual_average),
           round(coalesce(sum(e.annual_average), 0), 6)
    FROM enrollment e
    JOIN student st ON st.massar_code = e.massar_code
    JOIN school s ON s.code = e.school_code
    JOIN commune c ON c.code = s.commune_code
    JOIN province p ON p.code = c.province_code
    WHERE e.school_year = :year AND {unit} AND {filters}
"""
STATS_COUNTS = """
    SELECT coalesce(sum(enrolled), 0), coalesce(sum(dropouts), 0), coalesce(sum(repeaters), 0),
           coalesce(sum(promoted), 0), coalesce(sum(average_count), 0),
           round(coalesce(sum(average_sum), 0), 6)
    FROM school_stats WHERE school_year = :year AND {unit} AND {filters}
"""
RAW_EXAMS = """
    SELECT count(*), sum(CASE WHEN x.passed THEN 1 ELSE 0 END)
    FROM exam_result x
    JOIN enrollment e ON e.massar_code = x.massar_code AND e.school_year = x.school_year
    JOIN student st ON st.massar_code = e.massar_code
    JOIN school s ON s.code = e.school_code
    JOIN commune c ON c.code = s.commune_code
    JOIN province p ON p.code = c.province_code
    WHERE x.exam = :exam AND x.school_year = :year AND {unit} AND {filters}
"""
STATS_EXAMS = """
    SELECT coalesce(sum({exam}_candidates), 0), coalesce(sum({exam}_passed), 0)
    FROM school_stats WHERE school_year = :year AND {unit} AND {filters}
"""


def _cases(engine, count: int, seed: int = 11):
    """Random (unit, filters) pairs: a region, province, commune or school and a filter mix."""
    rng = random.Random(seed)
    schools = query(engine, """
        SELECT s.code, s.commune_code, c.province_code, p.region_code
        FROM school s JOIN commune c ON c.code = s.commune_code
        JOIN province p ON p.code = c.province_code""")
    filters = [
        ("1=1", "1=1"),
        ("st.sex = 'F'", "sex = 'F'"),
        ("e.grade IN ('1AC', '2AC', '3AC')", "cycle = 'college'"),
        ("s.sector = 'prive' AND s.milieu = 'urbain'", "sector = 'prive' AND milieu = 'urbain'"),
        ("s.milieu = 'rural' AND st.sex = 'M'", "milieu = 'rural' AND sex = 'M'"),
    ]
    for _ in range(count):
        school, commune, province, region = rng.choice(schools)
        level = rng.choice(["region", "province", "commune", "school"])
        raw_unit, stats_unit = {
            "region": (f"p.region_code = '{region}'", f"region_code = '{region}'"),
            "province": (f"c.province_code = '{province}'", f"province_code = '{province}'"),
            "commune": (f"s.commune_code = '{commune}'", f"commune_code = '{commune}'"),
            "school": (f"s.code = '{school}'", f"school_code = '{school}'"),
        }[level]
        raw_filter, stats_filter = rng.choice(filters)
        yield rng.choice(TINY_YEARS), raw_unit, stats_unit, raw_filter, stats_filter


def test_counts_equal_raw_tables_for_random_units_and_filters(tiny_engine):
    for year, raw_unit, stats_unit, raw_filter, stats_filter in _cases(tiny_engine, 40):
        raw = query(tiny_engine, RAW_COUNTS.format(unit=raw_unit, filters=raw_filter), year=year)
        got = query(tiny_engine, STATS_COUNTS.format(unit=stats_unit, filters=stats_filter),
                    year=year)
        assert [tuple(float(v or 0) for v in raw[0])] == [tuple(float(v) for v in got[0])], (
            year, raw_unit, raw_filter)


def test_exam_counts_equal_raw_tables(tiny_engine):
    for year, raw_unit, stats_unit, raw_filter, stats_filter in _cases(tiny_engine, 30, seed=5):
        for exam in ("CEP", "REG", "BAC"):
            raw = query(tiny_engine, RAW_EXAMS.format(unit=raw_unit, filters=raw_filter),
                        year=year, exam=exam)
            got = query(tiny_engine, STATS_EXAMS.format(
                exam=exam.lower(), unit=stats_unit, filters=stats_filter), year=year)
            assert (raw[0][0], raw[0][1] or 0) == got[0], (exam, year, raw_unit, raw_filter)


def test_national_totals_equal_raw_tables(tiny_engine):
    raw = query(tiny_engine, "SELECT school_year, count(*) FROM enrollment GROUP BY 1 ORDER BY 1")
    got = query(tiny_engine,
                "SELECT school_year, sum(enrolled) FROM school_stats GROUP BY 1 ORDER BY 1")
    assert raw == [(y, int(n)) for y, n in got]


def test_unit_table_holds_the_whole_hierarchy(tiny_engine):
    rows = dict(query(tiny_engine, "SELECT level, count(*) FROM unit GROUP BY 1"))
    schools = query(tiny_engine, "SELECT count(*) FROM school")[0][0]
    assert rows == {"national": 1, "region": 12, "province": 75, "commune": 1689,
                    "school": schools}


@pytest.fixture()
def own_database(tmp_path):
    url = make_database(tmp_path, "tiny", [2023, 2024], seed=3)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def test_rebuild_is_idempotent_and_bumps_the_version(own_database):
    before = query(own_database, "SELECT * FROM school_stats ORDER BY ALL")
    summary = build(own_database)
    after = query(own_database, "SELECT * FROM school_stats ORDER BY ALL")
    assert before == after
    assert summary.version == 2
    assert query(own_database, "SELECT max(version) FROM data_version") == [(2,)]
    leftovers = query(own_database, """
        SELECT count(*) FROM information_schema.tables WHERE table_name LIKE '%staging%'""")
    assert leftovers == [(0,)]


def test_a_failed_build_leaves_the_published_tables(own_database):
    before = query(own_database, "SELECT count(*), sum(enrolled) FROM school_stats")
    with own_database.begin() as conn:  # a broken raw table makes the aggregation fail
        conn.execute(sa.text("ALTER TABLE exam_result RENAME TO exam_result_away"))
    with pytest.raises(sa.exc.DBAPIError):
        build(own_database)
    assert query(own_database, "SELECT count(*), sum(enrolled) FROM school_stats") == before
    assert query(own_database, "SELECT max(version) FROM data_version") == [(1,)]


def test_building_a_duckdb_file_another_process_holds_says_what_to_do(own_database, tmp_path):
    path = own_database.url.database
    own_database.dispose()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], "
         "read_only=True); c.execute('SELECT 1'); print('open', flush=True); time.sleep(30)",
         path], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        done = subprocess.run([sys.executable, "-m", "dashboard", "build"], capture_output=True,
                              text=True, timeout=60,
                              env={**os.environ, "PILOTAGE_DATABASE_URL": f"duckdb:///{path}",
                                   "PILOTAGE_DATA_DIR": str(tmp_path)})
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: the DuckDB file is open in another process (PID "
                                  f"{holder.pid})")
    assert "Traceback" not in done.stderr
