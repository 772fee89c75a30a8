"""Build the analytics tables from the raw schooling database and publish them atomically."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import multiprocessing
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dashboard.ages import AGE_BANDS
from dashboard.data import analytics_schema, census_tables, quality, schema, suppression
from dashboard.data.analytics_schema import (
    data_version,
    quality_finding_table,
    quality_stats_table,
    school_stats_table,
    suppressed_cell_table,
    suppression_threshold_table,
    unit_table,
)
from dashboard.dialect import bulk_load, index_for_lookups, replace_table
from dashboard.levels import NATIONAL_CODE

NATIONAL_NAMES = ("Maroc", "المغرب")


class BuildError(RuntimeError):
    """The raw tables are missing or empty, so there is nothing to build from."""


@dataclass(frozen=True)
class BuildSummary:
    """What a build published."""

    version: int
    enrollment_rows: int
    stats_rows: int


def _exam_per_pupil() -> sa.Subquery:
    """One row per pupil and year with that year's exam outcomes side by side."""
    x = schema.exam_result
    columns = [x.c.massar_code, x.c.school_year]
    for exam in schema.EXAMS:
        sat = x.c.exam == exam
        prefix = exam.lower()
        columns += [
            sa.func.sum(sa.case((sat, 1), else_=0)).label(f"{prefix}_candidates"),
            sa.func.sum(sa.case((sat & x.c.passed, 1), else_=0)).label(f"{prefix}_passed"),
            sa.func.sum(sa.case((sat, x.c.score), else_=0.0)).label(f"{prefix}_score_sum"),
        ]
    return sa.select(*columns).group_by(x.c.massar_code, x.c.school_year).subquery("exams")


def age_on_first_september(birth_date: sa.ColumnElement,
                            school_year: sa.ColumnElement) -> sa.ColumnElement:
    """The age in completed years on 1 September of ``school_year`` (the convention of
    the census population and of every age the dashboard counts)."""
    month, day = sa.extract("month", birth_date), sa.extract("day", birth_date)
    later = sa.case(((month > 9) | ((month == 9) & (day > 1)), 1), else_=0)
    return school_year - sa.extract("year", birth_date) - later


def stats_select(flagged: sa.Table | None = None) -> sa.Select:
    """Aggregate enrollments (and their exams) by school, year, grade and sex; with the
    ``flagged`` findings table, count the records without a pupil finding."""
    e, st, sc, co, pr = schema.enrollment, schema.student, schema.school, schema.commune, (
        schema.province
    )
    exams = _exam_per_pupil()
    # The cycle filter selects pupils by their grade (a school may teach several cycles).
    grade_cycle = sa.case(
        *((e.c.grade.in_(grades), cycle) for cycle, grades in schema.GRADES_BY_CYCLE.items())
    ).label("cycle")
    dimensions = [
        e.c.school_year, e.c.school_code, pr.c.region_code, co.c.province_code,
        sc.c.commune_code, grade_cycle, sc.c.sector, sc.c.milieu, e.c.grade, st.c.sex,
    ]

    def count_where(condition) -> sa.ColumnElement:
        return sa.func.sum(sa.case((condition, 1), else_=0))

    measures = [
        sa.func.count().label("enrolled"),
        sa.func.count(e.c.outcome).label("decided"),
        count_where(e.c.outcome == "abandon").label("dropouts"),
        count_where(e.c.outcome == "redoublant").label("repeaters"),
        count_where(e.c.outcome.in_(("promu", "diplome"))).label("promoted"),
        sa.func.count(e.c.annual_average).label("average_count"),
        sa.func.coalesce(sa.func.sum(e.c.annual_average), 0.0).label("average_sum"),
    ]
    age = age_on_first_september(st.c.birth_date, e.c.school_year)
    measures += [count_where(age.between(first, last)).label(band)
                 for band, (first, last) in AGE_BANDS.items()]
    clean = sa.func.count()
    if flagged is not None:
        found = (sa.select(flagged.c.massar_code, flagged.c.school_year)
                 .where(flagged.c.massar_code.is_not(None)).distinct().subquery("found"))
        clean = count_where(found.c.massar_code.is_(None))
    measures.append(clean.label("quality_clean"))
    for column in analytics_schema.EXAM_COLUMNS:
        zero = 0.0 if column.endswith("score_sum") else 0
        measures.append(sa.func.coalesce(sa.func.sum(exams.c[column]), zero).label(column))
    joined = (
        e.join(st, st.c.massar_code == e.c.massar_code)
        .join(sc, sc.c.code == e.c.school_code)
        .join(co, co.c.code == sc.c.commune_code)
        .join(pr, pr.c.code == co.c.province_code)
        .outerjoin(
            exams,
            (exams.c.massar_code == e.c.massar_code) & (exams.c.school_year == e.c.school_year),
        )
    )
    if flagged is not None:
        joined = joined.outerjoin(found, (found.c.massar_code == e.c.massar_code)
                                  & (found.c.school_year == e.c.school_year))
    # Rows in the order of the hierarchy, year first: the engine skips every block of
    # rows whose years and codes cannot match a unit's query.
    order = [e.c.school_year, pr.c.region_code, co.c.province_code, sc.c.commune_code,
             e.c.school_code]
    return (sa.select(*dimensions, *measures).select_from(joined).group_by(*dimensions)
            .order_by(*order))


def unit_selects() -> list[sa.Select]:
    """Select every unit of the hierarchy in the columns of the ``unit`` table."""
    r, p, c, s = schema.region, schema.province, schema.commune, schema.school
    none = sa.null()

    def text(value: str | None) -> sa.ColumnElement:
        return sa.cast(sa.literal(value) if value is not None else none, sa.String)

    def number() -> sa.ColumnElement:
        return sa.cast(none, sa.Double)

    national = sa.select(
        text("national"), text(NATIONAL_CODE), text(None), text(NATIONAL_NAMES[0]),
        text(NATIONAL_NAMES[1]), text(None), text(None), text(None), text(None), text(None),
        text(None), number(), number(),
    )
    regions = sa.select(
        text("region"), r.c.code, text(NATIONAL_CODE), r.c.name_fr, r.c.name_ar, r.c.code,
        text(None), text(None), text(None), text(None), text(None), number(), number(),
    )
    provinces = sa.select(
        text("province"), p.c.code, p.c.region_code, p.c.name_fr, p.c.name_ar, p.c.region_code,
        p.c.code, text(None), text(None), text(None), text(None), number(), number(),
    )
    communes = sa.select(
        text("commune"), c.c.code, c.c.province_code, c.c.name_fr, c.c.name_ar, p.c.region_code,
        c.c.province_code, c.c.code, text(None), text(None), c.c.milieu, number(), number(),
    ).select_from(c.join(p, p.c.code == c.c.province_code))
    schools = sa.select(
        text("school"), s.c.code, s.c.commune_code, s.c.name, s.c.name, p.c.region_code,
        c.c.province_code, s.c.commune_code, s.c.cycle, s.c.sector, s.c.milieu, s.c.latitude,
        s.c.longitude,
    ).select_from(s.join(c, c.c.code == s.c.commune_code).join(p, p.c.code == c.c.province_code))
    return [national, regions, provinces, communes, schools]


#: The columns a unit's query filters on, besides the school year.
LOOKUP_COLUMNS = ("region_code", "province_code", "commune_code", "school_code")
DEFAULT_THRESHOLD = 5


def store_pattern(conn: sa.Connection, stats: sa.Table, target: sa.Table, limit: int) -> int:
    """Decide each school year's suppression pattern from ``stats`` into ``target``.

    Years are decided side by side, one process per core (each is independent), and
    written in year order. Return the number of cells stored.
    """
    years = [row[0] for row in conn.execute(
        sa.select(stats.c.school_year).distinct().order_by(stats.c.school_year))]
    if not years:
        return 0
    columns = [stats.c[name] for name in suppression.ROW_COLUMNS]
    with _deciders(len(years)) as pool:
        pending = []
        for year in years:
            result = conn.execute(sa.select(*columns).where(stats.c.school_year == year))
            rows = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
            pending.append((year, pool.submit(suppression.decide, rows, limit)))
        stored = 0
        for year, decided in pending:
            # in lookup order: a view reads one year, level and a few codes, and the engine
            # skips every block of rows whose codes cannot match
            hidden = decided.result().assign(school_year=year).sort_values(
                ["level", "code"], kind="stable")
            bulk_load(conn, target, pa.Table.from_pandas(hidden, preserve_index=False))
            stored += len(hidden)
    return stored


#: Environment of a deciding process: one thread for linear algebra. The audit's many
#: small factorisations gain nothing from more, and with one process per core the
#: library's extra threads would only compete for the cores (docs/benchmarks.md: the
#: demo build went from over half an hour to 7 minutes).
ONE_THREAD = {name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                     "MKL_NUM_THREADS")}


@contextmanager
def _deciders(years: int) -> Iterator[concurrent.futures.Executor]:
    """Yield a pool of processes that decide patterns: one per core, never more than
    the years (started afresh, so that no database connection is shared with them)."""
    workers = min(years, os.cpu_count() or 1)
    if workers <= 1:
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            yield pool
        return
    saved = {name: os.environ.get(name) for name in ONE_THREAD}
    os.environ.update(ONE_THREAD)  # read by each process as it starts (spawned, not forked)
    try:
        with concurrent.futures.ProcessPoolExecutor(
                max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            yield pool
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def build(engine: Engine, threshold: int = DEFAULT_THRESHOLD) -> BuildSummary:
    """Rebuild ``school_stats`` into a staging table, then swap it in with a new version.

    The suppression pattern of every year is decided under ``threshold`` (the dashboard's
    ``PILOTAGE_SMALL_CELL_THRESHOLD``) and published with it.
    """
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table(schema.enrollment.name):
            raise BuildError("the raw tables do not exist: run `python -m dashboard generate`")
        enrollment_rows = conn.execute(sa.select(sa.func.count()).select_from(schema.enrollment))
        enrollment_rows = enrollment_rows.scalar_one()
    if enrollment_rows == 0:
        raise BuildError("the enrollment table is empty: nothing to build")
    stats = school_stats_table("school_stats_staging")
    units = unit_table("unit_staging")
    hidden = suppressed_cell_table("suppressed_cell_staging")
    rule = suppression_threshold_table("suppression_threshold_staging")
    findings = quality_finding_table("quality_finding_staging")
    checked = quality_stats_table("quality_stats_staging")
    matches = analytics_schema.unit_census_table("unit_census_staging")
    people = analytics_schema.population_table("population_staging")
    for staging in (stats, units, hidden, rule, findings, checked, matches, people):
        staging.drop(engine, checkfirst=True)
        staging.create(engine)
    with engine.begin() as conn:
        quality.compute(conn, findings, checked)
        counted = stats_select(findings)
        conn.execute(stats.insert().from_select([c.name for c in counted.selected_columns],
                                                counted))
        quality.compute_outliers(conn, stats, findings, checked)
        for select in unit_selects():
            conn.execute(units.insert().from_select([c.name for c in units.columns], select))
        stats_rows = conn.execute(sa.select(sa.func.count()).select_from(stats)).scalar_one()
        index_for_lookups(conn, stats.name, LOOKUP_COLUMNS)
        store_pattern(conn, stats, hidden, threshold)
        conn.execute(rule.insert().values(threshold=threshold))
        index_for_lookups(conn, hidden.name, ("code",))
        index_for_lookups(conn, checked.name, LOOKUP_COLUMNS)
        index_for_lookups(conn, findings.name, ("school_code",))
        first, last = conn.execute(sa.select(sa.func.min(schema.enrollment.c.school_year),
                                             sa.func.max(schema.enrollment.c.school_year))).one()
        census_tables.write(conn, matches, people, range(int(first), int(last) + 1))
        index_for_lookups(conn, people.name, ("code",), year="year")
    data_version.create(engine, checkfirst=True)
    with engine.begin() as conn:
        replace_table(conn, stats.name, analytics_schema.school_stats.name)
        replace_table(conn, units.name, analytics_schema.unit.name)
        replace_table(conn, hidden.name, analytics_schema.suppressed_cell.name)
        replace_table(conn, rule.name, analytics_schema.suppression_threshold.name)
        replace_table(conn, checked.name, analytics_schema.quality_stats.name)
        replace_table(conn, findings.name, analytics_schema.quality_finding.name)
        replace_table(conn, matches.name, analytics_schema.unit_census.name)
        replace_table(conn, people.name, analytics_schema.population.name)
        previous = conn.execute(sa.select(sa.func.max(data_version.c.version))).scalar()
        version = (previous or 0) + 1
        conn.execute(
            data_version.insert().values(
                version=version,
                built_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
                enrollment_rows=enrollment_rows,
                stats_rows=stats_rows,
            )
        )
    return BuildSummary(version, enrollment_rows, stats_rows)
