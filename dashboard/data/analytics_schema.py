"""Analytics tables: pre-aggregated counts the dashboard reads, and their version.

``school_stats`` holds one row per school, school year, grade and sex with every
count the indicators need; its ``cycle`` is the cycle of the grade, and ``aged_6_11``,
``aged_12_14`` and ``aged_15_17`` count its pupils by their age on 1 September of the
school year. School attributes
and the school's commune, province and region are copied into each row, so that any
filter or level is one GROUP BY.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Double,
    Integer,
    MetaData,
    String,
    Table,
)

from dashboard.ages import AGE_BANDS
from dashboard.data.schema import EXAMS
from dashboard.data.suppression import KEY, MEASURES

metadata = MetaData()

EXAM_MEASURES = ("candidates", "passed", "score_sum")
EXAM_COLUMNS = tuple(f"{exam.lower()}_{measure}" for exam in EXAMS for measure in EXAM_MEASURES)
COUNT_COLUMNS = ("enrolled", "decided", "dropouts", "repeaters", "promoted", "average_count",
                 "quality_clean", *AGE_BANDS)
SUM_COLUMNS = ("average_sum",)
DIMENSIONS = (
    "school_year", "school_code", "region_code", "province_code", "commune_code",
    "cycle", "sector", "milieu", "grade", "sex",
)


def school_stats_table(name: str) -> Table:
    """Declare the school statistics table under ``name`` (the live or the staging one)."""
    return Table(
        name,
        metadata if name == "school_stats" else MetaData(),
        Column("school_year", Integer, nullable=False),
        Column("school_code", String, nullable=False),
        Column("region_code", String, nullable=False),
        Column("province_code", String, nullable=False),
        Column("commune_code", String, nullable=False),
        Column("cycle", String, nullable=False),
        Column("sector", String, nullable=False),
        Column("milieu", String, nullable=False),
        Column("grade", String, nullable=False),
        Column("sex", String(1), nullable=False),
        *(Column(name, BigInteger, nullable=False) for name in COUNT_COLUMNS),
        Column("average_sum", Double, nullable=False),
        *(
            Column(name, Double if name.endswith("score_sum") else BigInteger, nullable=False)
            for name in EXAM_COLUMNS
        ),
    )


school_stats = school_stats_table("school_stats")


def unit_table(name: str) -> Table:
    """Declare the table of every unit of the hierarchy, nation to school."""
    return Table(
        name,
        metadata if name == "unit" else MetaData(),
        Column("level", String, nullable=False),
        Column("code", String, nullable=False),
        Column("parent_code", String),
        Column("name_fr", String, nullable=False),
        Column("name_ar", String, nullable=False),
        Column("region_code", String),
        Column("province_code", String),
        Column("commune_code", String),
        Column("cycle", String),
        Column("sector", String),
        Column("milieu", String),
        Column("latitude", Double),
        Column("longitude", Double),
    )


unit = unit_table("unit")

data_version = Table(
    "data_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("built_at", DateTime, nullable=False),
    Column("enrollment_rows", BigInteger, nullable=False),
    Column("stats_rows", BigInteger, nullable=False),
)


def suppressed_cell_table(name: str) -> Table:
    """Declare the table of the cells whose counts no view may show (the stored pattern).

    One row per school year and cell with at least one hidden count; one flag per count
    (see :mod:`dashboard.data.suppression`).
    """
    return Table(
        name,
        metadata if name == "suppressed_cell" else MetaData(),
        Column("school_year", Integer, nullable=False),
        *(Column(part, String, nullable=False) for part in KEY),
        *(Column(measure, Boolean, nullable=False) for measure in MEASURES),
    )


suppressed_cell = suppressed_cell_table("suppressed_cell")


def suppression_threshold_table(name: str) -> Table:
    """Declare the one-row table of the threshold the stored pattern was decided under."""
    return Table(
        name,
        metadata if name == "suppression_threshold" else MetaData(),
        Column("threshold", Integer, nullable=False),
    )


suppression_threshold = suppression_threshold_table("suppression_threshold")


def quality_finding_table(name: str) -> Table:
    """Declare the table of data-quality findings: one row per pupil record (or school) a
    check finds, with the fields in question (docs/quality.md)."""
    return Table(
        name,
        metadata if name == "quality_finding" else MetaData(),
        Column("school_year", Integer, nullable=False),
        Column("school_code", String, nullable=False),
        Column("check_code", String, nullable=False),
        Column("massar_code", String),
        Column("grade", String),
        Column("outcome", String),
        Column("annual_average", Double),
        Column("age", Integer),
        Column("other_year", Integer),
        Column("other_grade", String),
        Column("exam", String),
        Column("exam_passed", Boolean),
        Column("pupils", BigInteger),
        Column("pupils_before", BigInteger),
        Column("rate", Double),
        Column("lower", Double),
        Column("upper", Double),
    )


quality_finding = quality_finding_table("quality_finding")


def quality_stats_table(name: str) -> Table:
    """Declare the table of what each check examined and found, per school, school year,
    grade and sex (a school check: grade and sex ``all``), summed like ``school_stats``."""
    return Table(
        name,
        metadata if name == "quality_stats" else MetaData(),
        *(Column(dimension, Integer if dimension == "school_year" else String, nullable=False)
          for dimension in DIMENSIONS),
        Column("check_code", String, nullable=False),
        Column("count", BigInteger, nullable=False),
        Column("base", BigInteger, nullable=False),
    )


quality_stats = quality_stats_table("quality_stats")


def unit_census_table(name: str) -> Table:
    """Declare the table of each unit's census match and context (HCP, RGPH 2024 and
    2014; :mod:`dashboard.data.census`): one row per unit the census counts."""
    return Table(
        name,
        metadata if name == "unit_census" else MetaData(),
        Column("level", String, nullable=False),
        Column("code", String, nullable=False),
        Column("hcp_code", String),
        Column("hcp_area", String),
        Column("method", String),
        Column("population_2024", Double),
        Column("population_2014", Double),
        Column("urban_population_2024", Double),
        Column("illiteracy_women", Double),
        Column("illiteracy_men", Double),
        Column("schooling_rate_6_11", Double),
    )


unit_census = unit_census_table("unit_census")


def population_table(name: str) -> Table:
    """Declare the table of the estimated population of every unit by school year (on 1
    September), sex and single age 0-24 (:func:`dashboard.data.census.population`)."""
    return Table(
        name,
        metadata if name == "population" else MetaData(),
        Column("level", String, nullable=False),
        Column("code", String, nullable=False),
        Column("year", Integer, nullable=False),
        Column("sex", String, nullable=False),
        Column("age", Integer, nullable=False),
        Column("population", Double, nullable=False),
    )


population = population_table("population")
