"""The schooling database: raw tables declared explicitly, with their constraints.

Tables are declared rather than reflected because reflection fails with duckdb-engine
on DuckDB 2.x. Enumerations are plain text guarded by CHECK constraints so that the
same schema runs unchanged on DuckDB and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
)

CYCLES = ("primaire", "college", "qualifiant")
SECTORS = ("public", "prive")
MILIEUX = ("urbain", "rural")
SEXES = ("F", "M")
OUTCOMES = ("promu", "redoublant", "abandon", "diplome")
EXAMS = ("CEP", "REG", "BAC")
GRADES_BY_CYCLE: dict[str, tuple[str, ...]] = {
    "primaire": ("1AEP", "2AEP", "3AEP", "4AEP", "5AEP", "6AEP"),
    "college": ("1AC", "2AC", "3AC"),
    "qualifiant": ("TC", "1BAC", "2BAC"),
}
GRADES: tuple[str, ...] = tuple(g for grades in GRADES_BY_CYCLE.values() for g in grades)
CYCLE_OF_GRADE = {g: cycle for cycle, grades in GRADES_BY_CYCLE.items() for g in grades}
#: The exam sat at the end of each cycle, keyed by the grade that sits it.
EXAM_OF_GRADE = {"6AEP": "CEP", "3AC": "REG", "2BAC": "BAC"}

metadata = MetaData()


def _one_of(column: str, values: tuple[str, ...]) -> CheckConstraint:
    allowed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=f"ck_{column}_enum")


region = Table(
    "region",
    metadata,
    Column("code", String, primary_key=True),
    Column("name_fr", String, nullable=False),
    Column("name_ar", String, nullable=False),
)

province = Table(
    "province",
    metadata,
    Column("code", String, primary_key=True),
    Column("region_code", String, ForeignKey("region.code"), nullable=False),
    Column("name_fr", String, nullable=False),
    Column("name_ar", String, nullable=False),
)

commune = Table(
    "commune",
    metadata,
    Column("code", String, primary_key=True),
    Column("province_code", String, ForeignKey("province.code"), nullable=False),
    Column("name_fr", String, nullable=False),
    Column("name_ar", String, nullable=False),
    Column("milieu", String, nullable=False),
    _one_of("milieu", MILIEUX),
)

school = Table(
    "school",
    metadata,
    Column("code", String, primary_key=True),
    Column("name", String, nullable=False),
    Column("commune_code", String, ForeignKey("commune.code"), nullable=False),
    Column("cycle", String, nullable=False),
    Column("sector", String, nullable=False),
    Column("milieu", String, nullable=False),
    Column("latitude", Double, nullable=False),
    Column("longitude", Double, nullable=False),
    _one_of("cycle", CYCLES),
    _one_of("sector", SECTORS),
    _one_of("milieu", MILIEUX),
    CheckConstraint("latitude BETWEEN 20 AND 36.5", name="ck_school_latitude"),
    CheckConstraint("longitude BETWEEN -18 AND -1", name="ck_school_longitude"),
)

student = Table(
    "student",
    metadata,
    Column("massar_code", String(10), primary_key=True),
    Column("sex", String(1), nullable=False),
    Column("birth_date", Date, nullable=False),
    _one_of("sex", SEXES),
    CheckConstraint("length(massar_code) = 10", name="ck_massar_code_length"),
)

enrollment = Table(
    "enrollment",
    metadata,
    Column("massar_code", String(10), ForeignKey("student.massar_code"), nullable=False),
    Column("school_year", Integer, nullable=False),
    Column("school_code", String, ForeignKey("school.code"), nullable=False),
    Column("grade", String, nullable=False),
    Column("outcome", String),  # empty while the year's result is not decided
    Column("annual_average", Double),
    PrimaryKeyConstraint("massar_code", "school_year", name="pk_enrollment"),
    _one_of("grade", GRADES),
    _one_of("outcome", OUTCOMES),
    CheckConstraint("school_year BETWEEN 2000 AND 2100", name="ck_school_year"),
    CheckConstraint("annual_average BETWEEN 0 AND 20", name="ck_annual_average"),
)

exam_result = Table(
    "exam_result",
    metadata,
    Column("massar_code", String(10), ForeignKey("student.massar_code"), nullable=False),
    Column("school_year", Integer, nullable=False),
    Column("exam", String, nullable=False),
    Column("score", Double, nullable=False),
    Column("passed", Boolean, nullable=False),
    PrimaryKeyConstraint("massar_code", "school_year", "exam", name="pk_exam_result"),
    _one_of("exam", EXAMS),
    CheckConstraint("score BETWEEN 0 AND 20", name="ck_exam_score"),
)

#: One row per file an import read: what it held and what became of its rows.
import_batch = Table(
    "import_batch",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("run_id", Integer, nullable=False),  # the files imported together
    Column("imported_at", DateTime, nullable=False),
    Column("username", String, nullable=False),
    Column("file_name", String, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("table_name", String, nullable=False),
    Column("school_year", Integer),
    Column("rows_read", Integer, nullable=False),
    Column("rows_accepted", Integer, nullable=False),
    Column("rows_rejected", Integer, nullable=False),
    Column("rejected_by_reason", String, nullable=False),  # JSON: {reason code: rows}
    CheckConstraint("rows_read = rows_accepted + rows_rejected", name="ck_rows_accounted"),
)

#: Each rejected row of an import: where it was, what it held and why it was not taken.
import_reject = Table(
    "import_reject",
    metadata,
    Column("batch_id", Integer, ForeignKey("import_batch.id"), nullable=False),
    Column("line", Integer, nullable=False),
    Column("column_name", String),
    Column("value", String),
    Column("reason", String, nullable=False),
    Column("message", String, nullable=False),
    Column("school_code", String),  # the row's school, when it names one (for scoping)
    PrimaryKeyConstraint("batch_id", "line", name="pk_import_reject"),
)

#: Each file's rows by the school they name, so that a regional or provincial user sees the
#: part of a batch that concerns their territory.
import_batch_school = Table(
    "import_batch_school",
    metadata,
    Column("batch_id", Integer, ForeignKey("import_batch.id"), nullable=False),
    Column("school_code", String, nullable=False),
    Column("rows_read", Integer, nullable=False),
    Column("rows_accepted", Integer, nullable=False),
    Column("rows_rejected", Integer, nullable=False),
    PrimaryKeyConstraint("batch_id", "school_code", name="pk_import_batch_school"),
)

#: The share of the country's pupils a database holds, when not all of them: a synthetic
#: database at demo scale holds a tenth, and ``build`` scales the census population its
#: schooling rates divide by alike (one row; no row: the whole country).
population_scale = Table(
    "population_scale",
    metadata,
    Column("scale", Double, nullable=False),
    Column("reason", String, nullable=False),
    CheckConstraint("scale > 0 AND scale <= 1", name="ck_population_scale_scale"),
)

RAW_TABLES = (region, province, commune, school, student, enrollment, exam_result,
              population_scale)
IMPORT_TABLES = (import_batch, import_reject, import_batch_school)
