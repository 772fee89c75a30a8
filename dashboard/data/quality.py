"""Data-quality checks of accepted data, computed by ``build`` (rules: docs/quality.md).

The pupil checks read each enrollment record with the pupil's record of the year before
and after and that year's exam results, worked out from ``quality_pupil`` (a temporary
table of one row per pupil, their grades and exams of every year packed into integers)
rather than by a window over the 49 million records of a national database: one pass
keeps the few records some check finds (``quality_found``), from which each check writes
its findings, and another sums what every check examined and found per school, grade and
sex. The school checks are a statement each (a school silent this year, an enrollment
jump), and the funnel plot's outliers are worked out in pandas from the outcome counts of
``school_stats``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from dashboard.data.schema import GRADES, GRADES_BY_CYCLE
from dashboard.dialect import bulk_load, unordered_writes


@dataclass(frozen=True)
class Check:
    """One check: its stable code, what it is about (``pupil`` or ``school``), its label,
    what it examines and what it finds."""

    code: str
    about: str
    label: str
    examined: str
    finds: str


CHECKS: tuple[Check, ...] = (
    Check("missing_outcome", "pupil", "Résultat manquant", "Élèves inscrits",
          "Aucun résultat de fin d'année."),
    Check("missing_average", "pupil", "Moyenne manquante",
          "Élèves dont le résultat n'est pas « abandon »", "Aucune moyenne annuelle."),
    Check("school_silent", "school", "Établissement sans élèves",
          "Établissements qui avaient des élèves l'année précédente",
          "Aucun élève inscrit cette année."),
    Check("returns_after_abandon", "pupil", "Retour après abandon",
          "Élèves dont le résultat est « abandon »", "Inscrits une année suivante."),
    Check("promoted_not_next_grade", "pupil", "Promu hors niveau suivant",
          "Élèves promus (hors 2BAC) inscrits l'année suivante",
          "Inscrits l'année suivante dans un autre niveau que le suivant."),
    Check("repeater_moved_on", "pupil", "Redoublant changé de niveau",
          "Élèves redoublants inscrits l'année suivante",
          "Inscrits l'année suivante dans un autre niveau que le même."),
    Check("grade_skip", "pupil", "Saut de niveau",
          "Élèves inscrits cette année et l'année précédente",
          "Plus d'un niveau au-dessus de celui de l'année précédente."),
    Check("lost_in_transfer", "pupil", "Perdu de vue",
          "Élèves promus ou redoublants (hors 2BAC), hors dernière année",
          "Inscrits nulle part l'année suivante."),
    Check("implausible_age", "pupil", "Âge invraisemblable", "Élèves inscrits",
          "5 ans ou plus au-dessus de l'âge théorique du niveau, ou 2 ans ou plus en dessous "
          "(date de naissance probablement erronée)."),
    Check("exam_outcome_mismatch", "pupil", "Examen et résultat contradictoires",
          "Candidats à un examen et diplômés",
          "Bac réussi sans « diplômé », « diplômé » sans bac réussi, CEP ou examen régional "
          "échoué et « promu », réussi et « redoublant »."),
    Check("average_outcome_mismatch", "pupil", "Moyenne et résultat contradictoires",
          "Élèves ayant un résultat et une moyenne",
          "« Promu » ou « diplômé » avec moins de 8/20, « redoublant » avec 12/20 ou plus."),
    Check("enrollment_jump", "school", "Variation brutale de l'effectif",
          f"Établissements d'au moins {50} élèves l'année précédente",
          "Effectif en hausse ou en baisse de plus de 40 %."),
    Check("outlier_rate", "school", "Taux hors des limites",
          "Établissements ayant des élèves au résultat connu",
          "Taux d'abandon ou de redoublement hors des limites à 99,8 % du graphique en "
          "entonnoir de sa province."),
)
BY_CODE = {check.code: check for check in CHECKS}
CODES = tuple(BY_CODE)
PUPIL_CHECKS = tuple(c.code for c in CHECKS if c.about == "pupil")
SCHOOL_CHECKS = tuple(c.code for c in CHECKS if c.about == "school")
#: The smallest school (pupils the year before) whose enrollment jump is examined.
JUMP_MIN_PUPILS = 50
JUMP_SHARE = 0.4
#: Average thresholds of ``average_outcome_mismatch``.
PROMOTED_BELOW, REPEATER_FROM = 8.0, 12.0
#: Ages from the intended one that ``implausible_age`` finds.
OLDER_BY, YOUNGER_BY = 5, 2
#: The 99.8 % two-sided normal quantile, and the funnel's smallest province.
FUNNEL_Z = 3.090232306167813
FUNNEL_MIN_SCHOOLS = 5
FINDING_COLUMNS = ("school_year", "school_code", "check_code", "massar_code", "grade",
                   "outcome", "annual_average", "age", "other_year", "other_grade", "exam",
                   "exam_passed", "pupils", "pupils_before", "rate", "lower", "upper")


def _grade_index(column: str) -> str:
    cases = " ".join(f"WHEN '{grade}' THEN {i}" for i, grade in enumerate(GRADES))
    return f"(CASE {column} {cases} END)"


#: A pupil's grades and exams of every school year are packed into a few integers (one
#: row per pupil, added up from the enrollment and the exam results): a year's grade takes
#: 4 bits (0: not enrolled, else its index in ``GRADES`` plus 1), its exams 6 bits (per
#: exam, a bit for sitting it and the next for passing it); a BIGINT holds 60 bits.
_GRADE_BITS, _EXAMS_BITS = 4, 6
_EXAM_BITS = {"CEP": 1, "REG": 4, "BAC": 16}


def _packed(column: str, width: int, k: int) -> str:
    """The ``width`` bits of the ``k``-th school year in the packed ``column``."""
    per = 60 // width
    return f"((p.{column}_{k // per} >> {width * (k % per)}) & {2 ** width - 1})"


def _packing(width: int, years: list[int], value: str, column: str) -> str:
    """The sums that pack ``value`` (at most ``width`` bits) of each school year."""
    per = 60 // width
    sums = []
    for chunk in range(0, len(years), per):
        shifts = " ".join(f"WHEN {year} THEN CAST({2 ** (width * k)} AS BIGINT)"
                          for k, year in enumerate(years[chunk:chunk + per]))
        sums.append(f"CAST(SUM(CAST({value} AS BIGINT) * (CASE school_year {shifts} END)) "
                    f"AS BIGINT) AS {column}_{chunk // per}")
    return ", ".join(sums)


def _grade_name(column: str) -> str:
    cases = " ".join(f"WHEN {i} THEN '{grade}'" for i, grade in enumerate(GRADES))
    return f"(CASE {column} {cases} END)"


def _pupils(years: list[int]) -> str:
    """One row per pupil: sex, the year of birth counted from 1 September (a record's age
    is its school year minus it), and the grades (``g_*``) and exams (``x_*``) of each
    school year, packed. A record's grade is never NULL and always one of ``GRADES`` (the
    schema's constraints), a pupil sits an exam at most once a year, so each sum adds up
    distinct bits."""
    bits = " ".join(f"WHEN '{exam}' THEN {bit}" for exam, bit in _EXAM_BITS.items())
    exams = f"(CASE exam {bits} END) * (CASE WHEN passed THEN 3 ELSE 1 END)"
    chunks = range(0, len(years), 60 // _EXAMS_BITS)
    grade_chunks = range(0, len(years), 60 // _GRADE_BITS)
    return f"""
CREATE TEMPORARY TABLE quality_pupil AS
SELECT st.massar_code, st.sex,
       CAST(EXTRACT(YEAR FROM st.birth_date)
            + CASE WHEN EXTRACT(MONTH FROM st.birth_date) > 9
                     OR (EXTRACT(MONTH FROM st.birth_date) = 9
                         AND EXTRACT(DAY FROM st.birth_date) > 1) THEN 1 ELSE 0 END
            AS INTEGER) AS born,
       {', '.join(f'g.g_{c}' for c in range(len(grade_chunks)))},
       {', '.join(f'COALESCE(x.x_{c}, 0) AS x_{c}' for c in range(len(chunks)))}
FROM student st
JOIN (SELECT massar_code AS pupil,
             {_packing(_GRADE_BITS, years, _grade_index('grade') + ' + 1', 'g')}
      FROM enrollment GROUP BY massar_code) g ON g.pupil = st.massar_code
LEFT JOIN (SELECT massar_code, {_packing(_EXAMS_BITS, years, exams, 'x')}
           FROM exam_result GROUP BY massar_code) x ON x.massar_code = st.massar_code
"""


def _by_year(years: list[int], each) -> str:
    """``CASE e.school_year WHEN y THEN each(k, ks of the years before y nearest first,
    ks of the years after y) ... END``, k the index of y in ``years``."""
    cases = " ".join(
        f"WHEN {year} THEN {each(k, list(range(k))[::-1], list(range(k + 1, len(years))))}"
        for k, year in enumerate(years))
    return f"(CASE e.school_year {cases} END)"


def _first(values: list[str]) -> str:
    """The first of integer ``values`` that is not NULL (a typed NULL when there are none:
    PostgreSQL would read a bare one as text)."""
    return "CAST(NULL AS INTEGER)" if not values else values[0] if len(values) == 1 else \
        f"COALESCE({', '.join(values)})"


def _records(years: list[int]) -> str:
    """Each enrollment record with the pupil's record of the year before and after (the
    nearest earlier and later years they were enrolled: what LAG and LEAD over the pupil's
    records ordered by year give) and that year's exams: the columns the rules read."""
    def nearest_year(others: list[int]) -> str:
        return _first([f"CASE WHEN {_packed('g', _GRADE_BITS, k)} <> 0 THEN {years[k]} END"
                       for k in others])

    def nearest_index(others: list[int]) -> str:
        return _first([f"NULLIF({_packed('g', _GRADE_BITS, k)}, 0) - 1" for k in others])

    exams = _by_year(years, lambda k, before, after: _packed("x", _EXAMS_BITS, k))
    exam_columns = ", ".join(
        f"CASE WHEN ({exams} & {bit}) <> 0 THEN 1 ELSE 0 END AS {exam.lower()}_sat, "
        f"CASE WHEN ({exams} & {2 * bit}) <> 0 THEN 1 ELSE 0 END AS {exam.lower()}_passed"
        for exam, bit in _EXAM_BITS.items())
    before_index = _by_year(years, lambda k, before, after: nearest_index(before))
    after_index = _by_year(years, lambda k, before, after: nearest_index(after))
    return f"""
    SELECT e.massar_code, e.school_year, e.school_code, e.grade, p.sex, e.outcome,
           e.annual_average, {_grade_index('e.grade')} AS grade_index,
           e.school_year - p.born AS age,
           {_by_year(years, lambda k, before, after: nearest_year(before))} AS before_year,
           {_grade_name(before_index)} AS before_grade,
           {_by_year(years, lambda k, before, after: nearest_year(after))} AS after_year,
           {_grade_name(after_index)} AS after_grade,
           {before_index} AS before_index, {after_index} AS after_index,
           {exam_columns},
           {years[0]} AS first_year, {years[-1]} AS last_year
    FROM enrollment e JOIN quality_pupil p ON p.massar_code = e.massar_code
"""


_LAST_GRADE = len(GRADES) - 1
_NEXT_YEAR = "after_year = school_year + 1"
_BAC = ("(bac_passed = 1 AND outcome <> 'diplome') "
        "OR (outcome = 'diplome' AND bac_passed = 0)")
_AFTER = (("after_year", "other_year"), ("after_grade", "other_grade"))
_EXAM = ("CASE WHEN bac_sat = 1 OR outcome = 'diplome' THEN {bac} WHEN cep_sat = 1 "
         "THEN {cep} ELSE {reg} END")
#: (examined, found, (expression, column) of the finding beyond its record) of each pupil
#: check.
_PUPIL_RULES: dict[str, tuple[str, str, tuple[tuple[str, str], ...]]] = {
    "missing_outcome": ("TRUE", "outcome IS NULL", ()),
    "missing_average": ("outcome IS NOT NULL AND outcome <> 'abandon'",
                        "annual_average IS NULL", ()),
    "returns_after_abandon": ("outcome = 'abandon'", "after_year IS NOT NULL", _AFTER),
    "promoted_not_next_grade": (
        f"outcome = 'promu' AND grade_index < {_LAST_GRADE} AND {_NEXT_YEAR}",
        "after_index <> grade_index + 1", _AFTER),
    "repeater_moved_on": (f"outcome = 'redoublant' AND {_NEXT_YEAR}",
                          "after_index <> grade_index", _AFTER),
    "grade_skip": ("before_year = school_year - 1", "grade_index - before_index > 1",
                   (("before_year", "other_year"), ("before_grade", "other_grade"))),
    "lost_in_transfer": (
        f"outcome IN ('promu', 'redoublant') AND grade_index < {_LAST_GRADE} "
        "AND school_year < last_year",
        f"after_year IS NULL OR NOT ({_NEXT_YEAR})", ()),
    "implausible_age": ("TRUE", f"age - (6 + grade_index) >= {OLDER_BY} "
                                f"OR (6 + grade_index) - age >= {YOUNGER_BY}", ()),
    "exam_outcome_mismatch": (
        "cep_sat = 1 OR reg_sat = 1 OR bac_sat = 1 OR outcome = 'diplome'",
        f"{_BAC} OR (cep_sat = 1 AND cep_passed = 0 AND outcome = 'promu') "
        "OR (cep_passed = 1 AND outcome = 'redoublant') "
        "OR (reg_sat = 1 AND reg_passed = 0 AND outcome = 'promu') "
        "OR (reg_passed = 1 AND outcome = 'redoublant')",
        ((_EXAM.format(bac="'BAC'", cep="'CEP'", reg="'REG'"), "exam"),
         (f"({_EXAM.format(bac='bac_passed', cep='cep_passed', reg='reg_passed')}) = 1",
          "exam_passed"))),
    "average_outcome_mismatch": (
        "outcome IS NOT NULL AND annual_average IS NOT NULL",
        f"(outcome IN ('promu', 'diplome') AND annual_average < {PROMOTED_BELOW}) "
        f"OR (outcome = 'redoublant' AND annual_average >= {REPEATER_FROM})", ()),
}
#: The school years a pupil check can look at, when not every year: one with a year
#: after it, or before it, in the database.
APPLIES = {
    **{code: "school_year < last_year" for code in (
        "returns_after_abandon", "promoted_not_next_grade", "repeater_moved_on",
        "lost_in_transfer")},
    "grade_skip": "school_year > first_year",
}


def applies(code: str, year: int, first: int, last: int) -> bool:
    """Return whether a pupil check looks at ``year`` of a database of years ``first`` to
    ``last`` (:data:`APPLIES`): its base is then the year's enrollment, else nothing."""
    if code == "grade_skip":
        return year > first
    return year < last if code in APPLIES else True


_SCHOOLS = """
    SELECT s.code AS school_code, s.commune_code, c.province_code, p.region_code,
           s.cycle, s.sector, s.milieu
    FROM school s JOIN commune c ON c.code = s.commune_code
    JOIN province p ON p.code = c.province_code
"""
_SCHOOL_PUPILS = """
    SELECT y.school_year, s.school_code,
           COALESCE(now.pupils, 0) AS pupils, COALESCE(prev.pupils, 0) AS pupils_before
    FROM (SELECT DISTINCT school_year FROM enrollment) y
    CROSS JOIN (SELECT code AS school_code FROM school) s
    LEFT JOIN (SELECT school_year, school_code, COUNT(*) AS pupils FROM enrollment
               GROUP BY school_year, school_code) now
      ON now.school_year = y.school_year AND now.school_code = s.school_code
    LEFT JOIN (SELECT school_year, school_code, COUNT(*) AS pupils FROM enrollment
               GROUP BY school_year, school_code) prev
      ON prev.school_year = y.school_year - 1 AND prev.school_code = s.school_code
    WHERE prev.pupils > 0
"""
#: (examined, found) of each school check computed in SQL, over ``_SCHOOL_PUPILS``.
_SCHOOL_RULES = {
    "school_silent": ("TRUE", "pupils = 0"),
    "enrollment_jump": (f"pupils_before >= {JUMP_MIN_PUPILS} AND pupils > 0",
                        f"ABS(pupils - pupils_before) > {JUMP_SHARE} * pupils_before"),
}


def compute(conn: sa.Connection, findings: sa.Table, stats: sa.Table) -> None:
    """Run every check over the raw tables into the staging ``findings`` and ``stats``."""
    years = list(conn.execute(sa.text(
        "SELECT DISTINCT school_year FROM enrollment ORDER BY school_year")).scalars())
    if years:
        _pupil_checks(conn, findings, stats, years)
    for code, (examined, found) in _SCHOOL_RULES.items():
        conn.execute(sa.text(
            f"INSERT INTO {findings.name} (school_year, school_code, check_code, pupils, "
            f"pupils_before) SELECT school_year, school_code, '{code}', pupils, pupils_before "
            f"FROM ({_SCHOOL_PUPILS}) p WHERE ({examined}) AND ({found})"))
        _school_stats(conn, stats, code,
                      f"SELECT school_year, school_code, CASE WHEN {found} THEN 1 ELSE 0 END "
                      f"AS found FROM ({_SCHOOL_PUPILS}) p WHERE {examined}")


def _pupil_checks(conn: sa.Connection, findings: sa.Table, stats: sa.Table,
                  years: list[int]) -> None:
    """The pupil checks. No statement holds every record with its neighbours at once
    (49 million records past the memory limit nationally): one pass over the enrollment
    keeps the few records some check finds, another counts the records per school,
    grade and sex, and both join the enrollment to one row per pupil."""
    conn.execute(sa.text("DROP TABLE IF EXISTS quality_pupil"))
    with unordered_writes(conn):
        conn.execute(sa.text(_pupils(years)))
    record = ("school_year", "school_code", "massar_code", "grade", "outcome",
              "annual_average", "age")
    # the few records some check finds, in one pass, then each check's findings from them
    every = " OR ".join(f"(({examined}) AND ({found}))"
                        for examined, found, _ in _PUPIL_RULES.values())
    conn.execute(sa.text("DROP TABLE IF EXISTS quality_found"))
    with unordered_writes(conn):
        conn.execute(sa.text(
            f"CREATE TEMPORARY TABLE quality_found AS SELECT * FROM ({_records(years)}) r "
            f"WHERE {every}"))
    for code, (examined, found, extra) in _PUPIL_RULES.items():
        names = [*record, *(name for _, name in extra)]
        chosen = [*record, *(f"{expression} AS {name}" for expression, name in extra)]
        conn.execute(sa.text(
            f"INSERT INTO {findings.name} (check_code, {', '.join(names)}) "
            f"SELECT '{code}', {', '.join(chosen)} FROM quality_found "
            f"WHERE ({examined}) AND ({found})"))
    # what every check found per school, grade and sex: a row where it found something
    # (it examines every record of the years it can look at: its base is their
    # enrollment, which readers sum from school_stats, see ``applies``)
    keys = ("school_year", "school_code", "grade", "sex")
    counts = ", ".join(f"SUM(CASE WHEN ({examined}) AND ({found}) THEN 1 ELSE 0 END) "
                       f"AS count_{code}" for code, (examined, found, _) in _PUPIL_RULES.items())
    bases = ", ".join(f"CASE WHEN {APPLIES.get(code, 'TRUE')} THEN n.pupils ELSE 0 END "
                      f"AS base_{code}, COALESCE(f.count_{code}, 0) AS count_{code}"
                      for code in _PUPIL_RULES)
    conn.execute(sa.text("DROP TABLE IF EXISTS quality_grouped"))
    with unordered_writes(conn):
        conn.execute(sa.text(
            f"CREATE TEMPORARY TABLE quality_grouped AS "
            f"SELECT {', '.join(f'n.{key}' for key in keys)}, {bases} "
            f"FROM (SELECT e.school_year, e.school_code, e.grade, p.sex, "
            f"{years[0]} AS first_year, {years[-1]} AS last_year, COUNT(*) AS pupils "
            f"FROM enrollment e JOIN quality_pupil p ON p.massar_code = e.massar_code "
            f"GROUP BY e.school_year, e.school_code, e.grade, p.sex) n "
            f"LEFT JOIN (SELECT {', '.join(f'{key} AS found_{key}' for key in keys)}, {counts} "
            f"FROM quality_found GROUP BY {', '.join(keys)}) f "
            f"ON {' AND '.join(f'f.found_{key} = n.{key}' for key in keys)}"))
    conn.execute(sa.text("DROP TABLE quality_found"))
    conn.execute(sa.text("DROP TABLE quality_pupil"))
    for code in _PUPIL_RULES:
        conn.execute(sa.text(
            f"INSERT INTO {stats.name} (school_year, school_code, region_code, province_code,"
            " commune_code, cycle, sector, milieu, grade, sex, check_code, count, base) "
            f"SELECT q.school_year, q.school_code, s.region_code, s.province_code, "
            f"s.commune_code, {_cycle('q.grade')}, s.sector, s.milieu, q.grade, q.sex, "
            f"'{code}', q.count_{code}, q.base_{code} "
            f"FROM quality_grouped q JOIN ({_SCHOOLS}) s ON s.school_code = q.school_code "
            f"WHERE q.count_{code} > 0"))
    conn.execute(sa.text("DROP TABLE quality_grouped"))


def compute_outliers(conn: sa.Connection, school_stats: sa.Table, findings: sa.Table,
                     stats: sa.Table) -> None:
    """Find the schools outside their province's funnel limits, from ``school_stats``."""
    s, school = school_stats.c, sa.table("school", sa.column("code"), sa.column("cycle"))
    rows = conn.execute(sa.select(
        s.school_year, s.region_code, s.province_code, s.commune_code, s.school_code,
        school.c.cycle, s.sector, s.milieu, sa.func.sum(s.decided).label("n"),
        sa.func.sum(s.dropouts).label("dropouts"), sa.func.sum(s.repeaters).label("repeaters"),
    ).join_from(school_stats, school, school.c.code == s.school_code).group_by(
        s.school_year, s.region_code, s.province_code, s.commune_code, s.school_code,
        school.c.cycle, s.sector, s.milieu).order_by(s.school_year, s.school_code)).all()
    schools = pd.DataFrame(rows, columns=[
        "school_year", "region_code", "province_code", "commune_code", "school_code", "cycle",
        "sector", "milieu", "n", "dropouts", "repeaters"])
    schools = schools[schools["n"] > 0].reset_index(drop=True)
    found, examined = outliers(schools)
    bulk_load(conn, findings, pa.Table.from_pandas(
        found.assign(check_code="outlier_rate")[[
            "school_year", "school_code", "check_code", "pupils", "rate", "lower", "upper"]],
        preserve_index=False))
    flagged = pd.MultiIndex.from_frame(found[["school_year", "school_code"]])
    schools = schools[examined].drop(columns=["n", "dropouts", "repeaters"])
    keys = pd.MultiIndex.from_frame(schools[["school_year", "school_code"]])
    bulk_load(conn, stats, pa.Table.from_pandas(schools.assign(
        grade="all", sex="all", check_code="outlier_rate",
        count=keys.isin(flagged).astype("int64"), base=1), preserve_index=False))


def outliers(schools: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Return the schools (``school_year``, ``school_code``) outside their funnel for the
    dropout or the repetition rate, with the first such rate, its limits and ``pupils``;
    and which rows of ``schools`` were examined (their province had a funnel).

    ``schools`` has ``school_year``, ``province_code``, ``school_code``, ``n`` (pupils with
    a result), ``dropouts`` and ``repeaters``.
    """
    found, examined = [], np.zeros(len(schools), bool)
    for _, group in schools.groupby(["school_year", "province_code"], sort=False):
        if len(group) < FUNNEL_MIN_SCHOOLS:
            continue
        n = group["n"].to_numpy(float)
        for measure in ("dropouts", "repeaters"):
            low, high = funnel_limits(n, group[measure].to_numpy(float))
            if low is None:
                continue
            examined[schools.index.get_indexer(group.index)] = True
            rate = group[measure].to_numpy(float) / n
            outside = (rate < low) | (rate > high)
            found.append(group.loc[outside, ["school_year", "school_code"]].assign(
                pupils=group.loc[outside, "n"].to_numpy(), rate=rate[outside],
                lower=low[outside], upper=high[outside], measure=measure))
    columns = ["school_year", "school_code", "pupils", "rate", "lower", "upper", "measure"]
    every = pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=columns)
    return every.drop_duplicates(["school_year", "school_code"]).reset_index(drop=True), examined


def funnel_limits(n: np.ndarray, y: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Return each unit's lower and upper 99.8 % limits around the pooled rate of ``y / n``,
    widened by an additive over-dispersion estimated from winsorised z-scores (Spiegelhalter
    2005); (None, None) when the pooled rate is 0 or 1."""
    target, tau2 = funnel(n, y)
    if target is None:
        return None, None
    spread = FUNNEL_Z * np.sqrt(target * (1 - target) / n + tau2)
    return target - spread, target + spread


def funnel(n: np.ndarray, y: np.ndarray) -> tuple[float | None, float]:
    """Return the pooled rate of ``y / n`` and the additive over-dispersion τ² of the units
    around it (docs/quality.md); (None, 0) when the pooled rate is 0 or 1."""
    target = float(y.sum() / n.sum())
    if target <= 0 or target >= 1:
        return None, 0.0
    variance = target * (1 - target) / n
    z = (y / n - target) / np.sqrt(variance)
    low, high = np.percentile(z, [10, 90])
    phi = float(np.mean(np.clip(z, low, high) ** 2))
    count = len(n)
    weights = 1 / variance
    if count * phi <= count - 1:
        return target, 0.0
    return target, max(0.0, (count * phi - (count - 1))
                       / float(weights.sum() - (weights ** 2).sum() / weights.sum()))


def _school_stats(conn: sa.Connection, stats: sa.Table, code: str, examined: str) -> None:
    conn.execute(sa.text(
        f"INSERT INTO {stats.name} (school_year, school_code, region_code, province_code, "
        "commune_code, cycle, sector, milieu, grade, sex, check_code, count, base) "
        "SELECT e.school_year, e.school_code, s.region_code, s.province_code, s.commune_code, "
        f"s.cycle, s.sector, s.milieu, 'all', 'all', '{code}', SUM(e.found), COUNT(*) "
        f"FROM ({examined}) e JOIN ({_SCHOOLS}) s ON s.school_code = e.school_code "
        "GROUP BY e.school_year, e.school_code, s.region_code, s.province_code, "
        "s.commune_code, s.cycle, s.sector, s.milieu"))


def _cycle(column: str) -> str:
    cases = " ".join(f"WHEN {column} IN ({', '.join(repr(g) for g in grades)}) THEN '{cycle}'"
                     for cycle, grades in GRADES_BY_CYCLE.items())
    return f"CASE {cases} END"
