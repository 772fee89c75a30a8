"""The checks of an import, each one SQL statement over the staged rows of every file.

Rows are staged as text (``stage_table``), then parsed into typed columns by one
``CREATE TEMPORARY TABLE ... AS SELECT`` per table. Each check then marks, in one
``UPDATE``, the rows still unmarked that fail it with its reason code and the column at
fault, so a row carries the first reason it fails, in the order of the format page. The
same SQL runs on DuckDB and PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from dashboard.data.extract.format import EXAMS, PUPILS, SCHOOLS, ExtractTable
from dashboard.data.schema import CYCLE_OF_GRADE, EXAM_OF_GRADE, GRADES

#: Letters with accents a value may carry, and the letters they are read as.
ACCENTED, PLAIN = "àâäáéèêëîïíôöóùûüúç", "aaaaeeeeiiiooouuuuc"
#: Morocco's extent, as the school table's constraints state it.
LATITUDES, LONGITUDES = (20, 36.5), (-18, -1)
#: Values accepted for the coded columns, as read (lower case, no accents): their code.
SEX_WORDS = {"f": "F", "feminin": "F", "fille": "F", "أنثى": "F",
             "m": "M", "masculin": "M", "garcon": "M", "ذكر": "M"}
OUTCOME_WORDS = {"promu": "promu", "admis": "promu", "redoublant": "redoublant",
                 "redouble": "redoublant", "abandon": "abandon", "abandonne": "abandon",
                 "exclu": "abandon", "diplome": "diplome"}
CYCLE_WORDS = {"primaire": "primaire", "college": "college", "qualifiant": "qualifiant"}
SECTOR_WORDS = {"public": "public", "prive": "prive"}
MILIEU_WORDS = {"urbain": "urbain", "rural": "rural"}
EXAM_WORDS = {"cep": "CEP", "reg": "REG", "bac": "BAC"}
PASSED_WORDS = {"oui": True, "1": True, "true": True, "vrai": True, "نعم": True,
                "non": False, "0": False, "false": False, "faux": False, "لا": False}


def stage_name(table: ExtractTable) -> str:
    return f"import_stage_{table.name}"


def parsed_name(table: ExtractTable) -> str:
    return f"import_parsed_{table.name}"


def stage_table(table: ExtractTable) -> sa.Table:
    """Return the staging table of one kind of file: its rows as text, with their file
    and line, and what an unreadable line held."""
    return sa.Table(stage_name(table), sa.MetaData(),
                    sa.Column("file_no", sa.Integer, nullable=False),
                    sa.Column("line", sa.Integer, nullable=False),
                    sa.Column("unreadable", sa.String),
                    *(sa.Column(f.name, sa.String) for f in table.fields),
                    prefixes=["TEMPORARY"])


def _text(column: str) -> str:
    """A column as read: trimmed, NULL when empty."""
    return f"NULLIF(trim({column}), '')"


def _word(column: str) -> str:
    """A coded column as it is matched: lower case, no accents."""
    return f"translate(lower(trim({column})), '{ACCENTED}', '{PLAIN}')"


def _coded(column: str, words: dict) -> str:
    cases = " ".join(f"WHEN '{word}' THEN {_literal(code)}" for word, code in words.items())
    return f"CASE {_word(column)} {cases} END"


def _literal(value: object) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return f"'{value}'"


def _decimal(column: str) -> str:
    """A decimal number written with a point or a comma, NULL when it is not one."""
    cleaned = f"replace(trim({column}), ',', '.')"
    return (f"CASE WHEN {cleaned} SIMILAR TO '-?[0-9]+(\\.[0-9]+)?' "
            f"THEN CAST({cleaned} AS DOUBLE PRECISION) END")


def _year(column: str) -> str:
    """``2024-2025`` or ``2024``: the starting year; NULL for anything else."""
    text = f"trim({column})"
    return (f"CASE WHEN {text} SIMILAR TO '[0-9]{{4}}' THEN CAST({text} AS INTEGER) "
            f"WHEN {text} SIMILAR TO '[0-9]{{4}}-[0-9]{{4}}' AND CAST(substr({text}, 6, 4) "
            f"AS INTEGER) = CAST(substr({text}, 1, 4) AS INTEGER) + 1 "
            f"THEN CAST(substr({text}, 1, 4) AS INTEGER) END")


def _iso_date(column: str) -> str:
    """``YYYY-MM-DD`` or ``DD/MM/YYYY``, written ``YYYY-MM-DD``; NULL for anything else."""
    text = f"trim({column})"
    return (f"CASE WHEN {text} SIMILAR TO '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}' THEN {text} "
            f"WHEN {text} SIMILAR TO '[0-9]{{2}}/[0-9]{{2}}/[0-9]{{4}}' THEN "
            f"substr({text}, 7, 4) || '-' || substr({text}, 4, 2) || '-' || substr({text}, 1, 2) "
            "END")


def _values(pairs: dict[str, str], names: tuple[str, str]) -> str:
    rows = ", ".join(f"('{a}', '{b}')" for a, b in pairs.items())
    return f"(VALUES {rows}) AS t({names[0]}, {names[1]})"


# --- parsing -------------------------------------------------------------------------------


def parse(conn: Connection, table: ExtractTable) -> None:
    """Create the parsed table of one kind of file from its staged rows."""
    raw = ", ".join(("file_no", "line", "unreadable", *table.columns))
    typed = {SCHOOLS.name: _school_columns, PUPILS.name: _pupil_columns,
             EXAMS.name: _exam_columns}[table.name]()
    conn.execute(sa.text(f"DROP TABLE IF EXISTS {parsed_name(table)}"))
    conn.execute(sa.text(
        f"CREATE TEMPORARY TABLE {parsed_name(table)} AS SELECT {raw}, {typed}, "
        "CAST(NULL AS VARCHAR) AS reason, CAST(NULL AS VARCHAR) AS reason_column "
        f"FROM ({_inner(table)}) AS staged"))


def _inner(table: ExtractTable) -> str:
    if table is PUPILS:
        parts = ", ".join(f"CAST(substr(birth_iso, {start}, {length}) AS INTEGER) AS {name}"
                          for name, start, length in (("birth_y", 1, 4), ("birth_m", 6, 2),
                                                      ("birth_d", 9, 2)))
        return (f"SELECT *, {parts} FROM (SELECT *, {_iso_date('date_naissance')} AS birth_iso "
                f"FROM {stage_name(table)}) AS dated")
    return f"SELECT * FROM {stage_name(table)}"


def _school_columns() -> str:
    return ", ".join((
        "upper(trim(code_gresa)) AS code", "trim(nom) AS name", "trim(nom_ar) AS name_ar",
        "trim(commune) AS commune_code", f"{_coded('cycle', CYCLE_WORDS)} AS cycle_code",
        f"{_coded('secteur', SECTOR_WORDS)} AS sector",
        f"{_coded('milieu', MILIEU_WORDS)} AS milieu_code",
        f"{_decimal('latitude')} AS lat", f"{_decimal('longitude')} AS lon",
    ))


def _pupil_columns() -> str:
    grades = ", ".join(f"'{g}'" for g in GRADES)
    days = ("CASE WHEN birth_m IN (4, 6, 9, 11) THEN 30 WHEN birth_m = 2 THEN CASE WHEN "
            "(birth_y % 4 = 0 AND birth_y % 100 <> 0) OR birth_y % 400 = 0 THEN 29 ELSE 28 "
            "END ELSE 31 END")
    return ", ".join((
        f"{_year('annee_scolaire')} AS school_year",
        "upper(trim(code_massar)) AS massar_code",
        f"{_coded('sexe', SEX_WORDS)} AS sex",
        f"CASE WHEN birth_m BETWEEN 1 AND 12 AND birth_d BETWEEN 1 AND {days} "
        "THEN make_date(birth_y, birth_m, birth_d) END AS birth_date",
        "upper(trim(code_gresa)) AS school_code",
        f"CASE WHEN upper(trim(niveau)) IN ({grades}) THEN upper(trim(niveau)) END AS grade",
        f"{_coded('resultat', OUTCOME_WORDS)} AS outcome",
        f"{_decimal('moyenne')} AS annual_average",
    ))


def _exam_columns() -> str:
    return ", ".join((
        f"{_year('annee_scolaire')} AS school_year",
        "upper(trim(code_massar)) AS massar_code",
        f"{_coded('examen', EXAM_WORDS)} AS exam",
        f"{_decimal('note')} AS score",
        f"{_coded('admis', PASSED_WORDS)} AS passed",
    ))


# --- checks --------------------------------------------------------------------------------


def _mark(conn: Connection, table: ExtractTable, reason: str, condition: str,
          column: str | None = None) -> None:
    """Mark the unmarked rows of ``table`` meeting ``condition`` with ``reason``; ``column``
    is the column at fault (an SQL expression when it depends on the row)."""
    named = "NULL" if column is None else (column if column.startswith("CASE") else
                                           f"'{column}'")
    conn.execute(sa.text(
        f"UPDATE {parsed_name(table)} SET reason = '{reason}', reason_column = {named} "
        f"WHERE reason IS NULL AND ({condition})"))


def _missing(conn: Connection, table: ExtractTable) -> None:
    required = [f.name for f in table.fields if f.required]
    first = " ".join(f"WHEN {_text(name)} IS NULL THEN '{name}'" for name in required)
    _mark(conn, table, "missing_value",
          " OR ".join(f"{_text(name)} IS NULL" for name in required), f"CASE {first} END")


def _year_checks(conn: Connection, table: ExtractTable) -> None:
    """A year outside 2000-2100, or another than the one most of its file gives."""
    parsed = parsed_name(table)
    conn.execute(sa.text("DROP TABLE IF EXISTS import_file_year"))
    conn.execute(sa.text(
        "CREATE TEMPORARY TABLE import_file_year AS SELECT file_no, school_year FROM ("
        "SELECT file_no, school_year, row_number() OVER (PARTITION BY file_no "
        "ORDER BY count(*) DESC, school_year) AS place "
        f"FROM {parsed} WHERE reason IS NULL AND school_year BETWEEN 2000 AND 2100 "
        "GROUP BY file_no, school_year) AS counted WHERE place = 1"))
    _mark(conn, table, "bad_year",
          "school_year IS NULL OR school_year NOT BETWEEN 2000 AND 2100 OR school_year <> "
          f"(SELECT y.school_year FROM import_file_year y WHERE y.file_no = {parsed}.file_no)",
          "annee_scolaire")
    conn.execute(sa.text("DROP TABLE import_file_year"))


def check_schools(conn: Connection) -> None:
    """Mark the school rows that cannot be taken."""
    table = SCHOOLS
    _mark(conn, table, "unreadable", "unreadable IS NOT NULL")
    _missing(conn, table)
    _mark(conn, table, "bad_value", "cycle_code IS NULL OR sector IS NULL OR milieu_code IS "
          "NULL", "CASE WHEN cycle_code IS NULL THEN 'cycle' WHEN sector IS NULL THEN "
          "'secteur' ELSE 'milieu' END")
    _mark(conn, table, "unknown_commune",
          "commune_code NOT IN (SELECT code FROM commune)", "commune")
    _mark(conn, table, "bad_coordinates",
          f"lat IS NULL OR lon IS NULL OR lat NOT BETWEEN {LATITUDES[0]} AND {LATITUDES[1]} "
          f"OR lon NOT BETWEEN {LONGITUDES[0]} AND {LONGITUDES[1]}",
          f"CASE WHEN lat IS NULL OR lat NOT BETWEEN {LATITUDES[0]} AND {LATITUDES[1]} "
          "THEN 'latitude' ELSE 'longitude' END")
    _duplicates(conn, table, ("code",), "code_gresa")


def _duplicates(conn: Connection, table: ExtractTable, key: tuple[str, ...], column: str) -> None:
    """Every copy of a key given more than once (among rows not yet rejected)."""
    parsed = parsed_name(table)
    keys = ", ".join(key)
    conn.execute(sa.text("DROP TABLE IF EXISTS import_repeated"))
    conn.execute(sa.text(f"CREATE TEMPORARY TABLE import_repeated AS SELECT {keys} FROM {parsed} "
                         f"WHERE reason IS NULL GROUP BY {keys} HAVING count(*) > 1"))
    match = " AND ".join(f"r.{k} = {parsed}.{k}" for k in key)
    _mark(conn, table, "duplicate", f"EXISTS (SELECT 1 FROM import_repeated r WHERE {match})",
          column)
    conn.execute(sa.text("DROP TABLE import_repeated"))


def known_schools(conn: Connection) -> None:
    """Gather the schools rows may name: the extract's accepted ones, then the database's."""
    conn.execute(sa.text("DROP TABLE IF EXISTS import_school"))
    conn.execute(sa.text(
        f"CREATE TEMPORARY TABLE import_school AS SELECT code, cycle_code AS cycle "
        f"FROM {parsed_name(SCHOOLS)} WHERE reason IS NULL UNION ALL "
        f"SELECT code, cycle FROM school WHERE code NOT IN "
        f"(SELECT code FROM {parsed_name(SCHOOLS)} WHERE reason IS NULL)"))


def check_pupils(conn: Connection) -> None:
    """Mark the pupil rows that cannot be taken (``known_schools`` first)."""
    table, parsed = PUPILS, parsed_name(PUPILS)
    _mark(conn, table, "unreadable", "unreadable IS NOT NULL")
    _missing(conn, table)
    _year_checks(conn, table)
    _mark(conn, table, "bad_massar_code", "NOT (massar_code SIMILAR TO '[A-Z][0-9]{9}')",
          "code_massar")
    _mark(conn, table, "bad_sex", "sex IS NULL", "sexe")
    _mark(conn, table, "bad_date", "birth_date IS NULL", "date_naissance")
    _mark(conn, table, "bad_value", "grade IS NULL OR (outcome IS NULL AND "
          f"{_text('resultat')} IS NOT NULL)",
          "CASE WHEN grade IS NULL THEN 'niveau' ELSE 'resultat' END")
    _mark(conn, table, "bad_score", f"{_text('moyenne')} IS NOT NULL AND (annual_average IS "
          "NULL OR annual_average NOT BETWEEN 0 AND 20)", "moyenne")
    age = ("(school_year - EXTRACT(YEAR FROM birth_date) - CASE WHEN EXTRACT(MONTH FROM "
           "birth_date) > 9 OR (EXTRACT(MONTH FROM birth_date) = 9 AND EXTRACT(DAY FROM "
           "birth_date) > 1) THEN 1 ELSE 0 END)")
    _mark(conn, table, "implausible_age", f"{age} < 4 OR {age} > 30", "date_naissance")
    _mark(conn, table, "unknown_school", "school_code NOT IN (SELECT code FROM import_school)",
          "code_gresa")
    cycles = _values(CYCLE_OF_GRADE, ("grade", "cycle"))
    _mark(conn, table, "grade_not_in_cycle",
          f"NOT EXISTS (SELECT 1 FROM import_school s JOIN {cycles} ON t.cycle = s.cycle "
          f"WHERE s.code = {parsed}.school_code AND t.grade = {parsed}.grade)", "niveau")
    _duplicates(conn, table, ("massar_code", "school_year"), "code_massar")
    _mark(conn, table, "conflicting_identity",
          "EXISTS (SELECT 1 FROM student st WHERE st.massar_code = "
          f"{parsed}.massar_code AND (st.sex <> {parsed}.sex OR st.birth_date <> "
          f"{parsed}.birth_date)) OR massar_code IN (SELECT massar_code FROM {parsed} "
          "WHERE reason IS NULL GROUP BY massar_code HAVING count(DISTINCT sex) > 1 "
          "OR count(DISTINCT birth_date) > 1)", "code_massar")


def enrolled(conn: Connection) -> None:
    """Gather every enrollment once the pupils are imported: the accepted rows, and the
    database's rows that the import does not replace."""
    parsed = parsed_name(PUPILS)
    conn.execute(sa.text("DROP TABLE IF EXISTS import_enrolled"))
    conn.execute(sa.text(
        "CREATE TEMPORARY TABLE import_enrolled AS SELECT massar_code, school_year, "
        f"school_code, grade FROM {parsed} WHERE reason IS NULL UNION ALL "
        "SELECT e.massar_code, e.school_year, e.school_code, e.grade FROM enrollment e "
        f"WHERE NOT EXISTS (SELECT 1 FROM {parsed} p WHERE p.reason IS NULL AND "
        "p.school_year = e.school_year AND (p.school_code = e.school_code OR "
        "p.massar_code = e.massar_code))"))


def check_exams(conn: Connection) -> None:
    """Mark the exam rows that cannot be taken (``enrolled`` first)."""
    table, parsed = EXAMS, parsed_name(EXAMS)
    _mark(conn, table, "unreadable", "unreadable IS NOT NULL")
    _missing(conn, table)
    _year_checks(conn, table)
    _mark(conn, table, "bad_massar_code", "NOT (massar_code SIMILAR TO '[A-Z][0-9]{9}')",
          "code_massar")
    _mark(conn, table, "bad_value", "exam IS NULL OR passed IS NULL",
          "CASE WHEN exam IS NULL THEN 'examen' ELSE 'admis' END")
    _mark(conn, table, "bad_score", "score IS NULL OR score NOT BETWEEN 0 AND 20", "note")
    _duplicates(conn, table, ("massar_code", "school_year", "exam"), "code_massar")
    match = f"e.massar_code = {parsed}.massar_code AND e.school_year = {parsed}.school_year"
    _mark(conn, table, "exam_without_enrollment",
          f"NOT EXISTS (SELECT 1 FROM import_enrolled e WHERE {match})", "code_massar")
    sitting = _values(EXAM_OF_GRADE, ("grade", "exam"))
    _mark(conn, table, "exam_grade_mismatch",
          f"NOT EXISTS (SELECT 1 FROM import_enrolled e JOIN {sitting} ON t.grade = e.grade "
          f"WHERE {match} AND t.exam = {parsed}.exam)", "examen")
