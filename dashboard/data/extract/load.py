"""One import: stage every file, check every row in the database, write the accepted rows
and the rejects, account for each row, in one transaction (rolled back for a dry run)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from dashboard.data import schema
from dashboard.data.extract import checks
from dashboard.data.extract.files import (
    ExtractError,
    FastReadFailed,
    Opened,
    Source,
    open_rows,
)
from dashboard.data.extract.format import EXAMS, PUPILS, REASONS, SCHOOLS, TABLES, ExtractTable
from dashboard.dialect import bulk_load
from dashboard.i18n import _

#: Rows staged per Arrow batch.
CHUNK = 200_000
#: What DuckDB may hold in memory during an import (it spills its work tables to disk
#: beyond), so that a national school year imports in a bounded footprint.
DUCKDB_MEMORY = "4GB"


class ImportStopped(ExtractError):
    """The import stopped: nothing it did is kept."""


@dataclass
class FileReport:
    """What became of one file's rows."""

    name: str
    table: str
    sha256: str
    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)
    school_year: int | None = None
    already: int | None = None  # the batch that imported this very file before
    batch_id: int | None = None


@dataclass
class ImportReport:
    """What an import did, file by file."""

    files: list[FileReport]
    dry_run: bool
    ignored: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return not self.dry_run and any(f.already is None for f in self.files)


def prepare(engine: Engine) -> None:
    """Give a database without tables the schema and Morocco's geography, so that an
    installation can start from an extract alone."""
    from dashboard.data.geography import load_geography

    schema.metadata.create_all(engine, tables=[*schema.RAW_TABLES, *schema.IMPORT_TABLES])
    with engine.begin() as conn:
        if _one(conn, sa.select(sa.func.count()).select_from(schema.region)):
            return
        geography = load_geography()
        bulk_load(conn, schema.region, pa.Table.from_pandas(geography.regions))
        bulk_load(conn, schema.province, pa.Table.from_pandas(geography.provinces))
        bulk_load(conn, schema.commune, pa.Table.from_pandas(geography.communes))


def run_import(engine: Engine, sources: list[Source], username: str, dry_run: bool = False,
               progress: Callable[[int], None] = lambda rows: None) -> ImportReport:
    """Import the files; raise :class:`ExtractError` (and keep nothing) for unusable input."""
    opened: list[tuple[Source, Opened]] = [(s, open_rows(s)) for s in sources]
    report = ImportReport([FileReport(s.name, o.table.name, s.digest) for s, o in opened],
                          dry_run)
    with engine.connect() as conn:
        if conn.dialect.name == "duckdb":
            conn.exec_driver_sql(f"SET memory_limit = '{DUCKDB_MEMORY}'")
            conn.commit()
        transaction = conn.begin()
        try:
            _mark_known(conn, report)
            wanted = [(s, o, r) for (s, o), r in zip(opened, report.files, strict=True)
                      if r.already is None]
            _stage(conn, wanted, progress)
            _check(conn)
            _account(conn, wanted)
            if not dry_run and wanted:
                _record(conn, wanted, username)
                _write(conn)
            _drop_work_tables(conn)
        except BaseException:
            transaction.rollback()
            raise
        if dry_run:
            transaction.rollback()
        else:
            transaction.commit()
    return report


def _mark_known(conn: Connection, report: ImportReport) -> None:
    """Note the files imported before (same SHA-256): they change nothing."""
    batch = schema.import_batch
    for file in report.files:
        file.already = _one(conn, sa.select(sa.func.min(batch.c.id))
                            .where(batch.c.sha256 == file.sha256))
    seen: dict[str, str] = {}
    for file in report.files:  # the same file given twice in one import
        if file.already is None and file.sha256 in seen:
            raise ExtractError(f"{file.name}: the same file as {seen[file.sha256]}")
        seen[file.sha256] = file.name


def _stage(conn: Connection, wanted, progress) -> None:
    for table in TABLES:
        staged = checks.stage_table(table)
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {staged.name}"))
        staged.create(conn)
    for number, (_source, opened, file) in enumerate(wanted):
        staged = checks.stage_table(opened.table)
        if opened.chunks is not None:
            try:
                for chunk in opened.chunks:
                    numbered = chunk.add_column(0, "file_no",
                                                pa.array([number] * chunk.num_rows, pa.int32()))
                    bulk_load(conn, staged, numbered)
                    file.rows_read += chunk.num_rows
                    progress(chunk.num_rows)
                continue
            except FastReadFailed:  # read it again, line by line
                conn.execute(staged.delete().where(staged.c.file_no == number))
                file.rows_read = 0
        positions = {name: i for i, name in enumerate(opened.names) if name}
        batch: list = []
        for row in opened.rows:
            batch.append(row)
            if len(batch) >= CHUNK:
                _load_batch(conn, staged, opened.table, positions, number, batch)
                file.rows_read += len(batch)
                progress(len(batch))
                batch = []
        _load_batch(conn, staged, opened.table, positions, number, batch)
        file.rows_read += len(batch)
        progress(len(batch))


def _load_batch(conn: Connection, staged: sa.Table, table: ExtractTable,
                positions: dict[str, int], number: int, rows: list) -> None:
    if not rows:
        return
    lines, fields, unreadable = zip(*rows, strict=True)
    width = max(positions.values()) + 1
    blank = (None,) * width
    by_position = list(zip(*(f if f is not None else blank for f in fields), strict=True))
    columns = {"file_no": pa.array([number] * len(rows), pa.int32()),
               "line": pa.array(lines, pa.int32()),
               "unreadable": pa.array(unreadable, pa.string())}
    for name in table.columns:
        at = positions.get(name)
        columns[name] = pa.array(by_position[at] if at is not None else blank[:1] * len(rows),
                                 pa.string())
    bulk_load(conn, staged, pa.table(columns))


def _check(conn: Connection) -> None:
    for table in TABLES:
        checks.parse(conn, table)
    checks.check_schools(conn)
    checks.known_schools(conn)
    checks.check_pupils(conn)
    checks.enrolled(conn)
    checks.check_exams(conn)


def _account(conn: Connection, wanted) -> None:
    """Count each file's rows, accepted and rejected by reason, and check that they add up
    to the rows read."""
    for number, (_source, opened, file) in enumerate(wanted):
        parsed = checks.parsed_name(opened.table)
        counts = conn.execute(sa.text(
            f"SELECT reason, count(*) FROM {parsed} WHERE file_no = :n GROUP BY reason"),
            {"n": number}).all()
        file.by_reason = {reason: n for reason, n in counts if reason is not None}
        file.rows_rejected = sum(file.by_reason.values())
        file.rows_accepted = sum(n for reason, n in counts if reason is None)
        if opened.table is not SCHOOLS:
            file.school_year = _one(conn, sa.text(
                f"SELECT min(school_year) FROM {parsed} WHERE file_no = :n AND reason IS NULL"
            ).bindparams(n=number))
        if file.rows_accepted + file.rows_rejected != file.rows_read:
            raise ImportStopped(f"{file.name}: {file.rows_read:,} rows read but "
                               f"{file.rows_accepted + file.rows_rejected:,} accounted for; "
                               "nothing was imported")


def _record(conn: Connection, wanted, username: str) -> None:
    """Write one batch per file and its rejected rows."""
    batch = schema.import_batch
    last = _one(conn, sa.select(sa.func.max(batch.c.id))) or 0
    run = (_one(conn, sa.select(sa.func.max(batch.c.run_id))) or 0) + 1
    now = dt.datetime.now().replace(microsecond=0)
    for number, (_source, opened, file) in enumerate(wanted):
        file.batch_id = last + number + 1
        conn.execute(batch.insert().values(
            id=file.batch_id, run_id=run, imported_at=now, username=username,
            file_name=file.name, sha256=file.sha256, table_name=opened.table.name,
            school_year=file.school_year, rows_read=file.rows_read,
            rows_accepted=file.rows_accepted, rows_rejected=file.rows_rejected,
            rejected_by_reason=json.dumps(file.by_reason, sort_keys=True)))
        _rejects(conn, opened.table, number, file.batch_id)
        _by_school(conn, opened.table, number, file.batch_id)


def _school_of(table: ExtractTable) -> str:
    """The school a row of ``table`` concerns, as SQL over its parsed table: an exam's is
    the one its pupil is enrolled in that year."""
    parsed = checks.parsed_name(table)
    school = {SCHOOLS.name: "code", PUPILS.name: "school_code"}.get(table.name)
    return school or ("(SELECT min(e.school_code) FROM import_enrolled e WHERE e.massar_code = "
                      f"{parsed}.massar_code AND e.school_year = {parsed}.school_year)")


def _by_school(conn: Connection, table: ExtractTable, number: int, batch_id: int) -> None:
    parsed = checks.parsed_name(table)
    conn.execute(sa.text(
        "INSERT INTO import_batch_school (batch_id, school_code, rows_read, rows_accepted, "
        f"rows_rejected) SELECT {batch_id}, school, count(*), "
        "sum(CASE WHEN reason IS NULL THEN 1 ELSE 0 END), "
        "sum(CASE WHEN reason IS NULL THEN 0 ELSE 1 END) "
        f"FROM (SELECT {_school_of(table)} AS school, reason FROM {parsed} "
        f"WHERE file_no = {number}) AS rows_of_file WHERE school IS NOT NULL GROUP BY school"))


def _rejects(conn: Connection, table: ExtractTable, number: int, batch_id: int) -> None:
    parsed = checks.parsed_name(table)
    value = "CASE reason_column " + " ".join(
        f"WHEN '{c}' THEN {c}" for c in table.columns) + " ELSE unreadable END"
    message = "CASE reason " + " ".join(
        f"WHEN '{code}' THEN replace('{_(text).replace(chr(39), chr(39) * 2)}', '{{column}}', "
        "coalesce(reason_column, ''))" for code, text in REASONS.items()) + " END"
    school = _school_of(table)
    conn.execute(sa.text(
        "INSERT INTO import_reject (batch_id, line, column_name, value, reason, message, "
        f"school_code) SELECT {batch_id}, line, reason_column, {value}, reason, {message}, "
        f"{school} FROM {parsed} WHERE file_no = {number} AND reason IS NOT NULL"))


def _write(conn: Connection) -> None:
    """Write the accepted rows: schools added or updated; for each school year, the pupils
    of the schools in the files replace that year's, then the exams."""
    schools, pupils, exams = (checks.parsed_name(t) for t in (SCHOOLS, PUPILS, EXAMS))
    accepted = f"(SELECT * FROM {schools} WHERE reason IS NULL)"
    conn.execute(sa.text(
        "UPDATE school SET name = a.name, cycle = a.cycle_code, sector = a.sector, "
        "milieu = a.milieu_code, latitude = a.lat, longitude = a.lon "
        f"FROM {accepted} AS a WHERE school.code = a.code"))
    _move_schools(conn, accepted)
    conn.execute(sa.text(
        "INSERT INTO school (code, name, commune_code, cycle, sector, milieu, latitude, "
        "longitude) SELECT code, name, commune_code, cycle_code, sector, milieu_code, lat, lon "
        f"FROM {accepted} AS a WHERE a.code NOT IN (SELECT code FROM school)"))
    conn.execute(sa.text(
        "INSERT INTO student (massar_code, sex, birth_date) SELECT massar_code, min(sex), "
        f"min(birth_date) FROM {pupils} WHERE reason IS NULL AND massar_code NOT IN "
        "(SELECT massar_code FROM student) GROUP BY massar_code"))
    replaced = (f"EXISTS (SELECT 1 FROM {pupils} p WHERE p.reason IS NULL AND p.school_year = "
                "{t}.school_year AND (p.school_code = {t}.school_code OR p.massar_code = "
                "{t}.massar_code))")
    conn.execute(sa.text(
        "DELETE FROM exam_result WHERE EXISTS (SELECT 1 FROM enrollment e WHERE "
        "e.massar_code = exam_result.massar_code AND e.school_year = exam_result.school_year "
        f"AND {replaced.format(t='e')})"))
    conn.execute(sa.text(f"DELETE FROM enrollment WHERE {replaced.format(t='enrollment')}"))
    conn.execute(sa.text(
        "INSERT INTO enrollment (massar_code, school_year, school_code, grade, outcome, "
        "annual_average) SELECT massar_code, school_year, school_code, grade, outcome, "
        f"annual_average FROM {pupils} WHERE reason IS NULL"))
    conn.execute(sa.text(
        f"DELETE FROM exam_result WHERE EXISTS (SELECT 1 FROM {exams} x WHERE x.reason IS NULL "
        "AND x.massar_code = exam_result.massar_code AND x.school_year = "
        "exam_result.school_year AND x.exam = exam_result.exam)"))
    conn.execute(sa.text(
        "INSERT INTO exam_result (massar_code, school_year, exam, score, passed) "
        f"SELECT massar_code, school_year, exam, score, passed FROM {exams} WHERE reason IS NULL"))


def _move_schools(conn: Connection, accepted: str) -> None:
    """Give schools the commune their row names, where it changed. DuckDB cannot change a
    column it indexes in a row that pupils' rows reference: that is said, and nothing is
    kept."""
    try:
        conn.execute(sa.text(
            f"UPDATE school SET commune_code = a.commune_code FROM {accepted} AS a "
            "WHERE school.code = a.code AND school.commune_code <> a.commune_code"))
    except sa.exc.DBAPIError as error:
        if "foreign key" not in str(error).lower():
            raise
        raise ImportStopped(
            "some schools of the file move to another commune, which DuckDB cannot record "
            "for schools that already have pupils; import into PostgreSQL, or correct the "
            "school map in a new database; nothing was imported") from None


def _one(conn: Connection, statement) -> object:
    """Return the single value a statement selects (every row fetched, as DuckDB wants)."""
    return conn.execute(statement).all()[0][0]


def _drop_work_tables(conn: Connection) -> None:
    for table in TABLES:
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {checks.parsed_name(table)}"))
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {checks.stage_name(table)}"))
    for name in ("import_school", "import_enrolled"):
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
