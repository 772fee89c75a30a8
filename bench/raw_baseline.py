"""The raw-table baseline: a view's numbers answered with plain SQL over the raw tables.

No analytics table, no cache: each number is counted from ``enrollment`` (joined to
``student``, ``school``, ``commune``, ``province`` and ``exam_result``) as a dashboard
without the design's pre-aggregation would have to. For one view this is

- the indicator cards: every indicator of the unit for the school year and the one before;
- the ranking: the unit's children with their enrollment and the view's indicator this
  year and last, ranked (not on a school's page, which has no children);
- the trend: the view's indicator for the unit over every school year, and for Morocco.

``views.py`` runs :func:`measure` in a child process, so the memory DuckDB takes for
these joins is not counted against the app's worker.
"""

from __future__ import annotations

import time
from typing import Any

#: Restriction of the pupils to a unit, per level (aliases of :data:`PUPILS`).
UNIT_CLAUSE = {
    "national": "TRUE",
    "region": "p.region_code = $code",
    "province": "c.province_code = $code",
    "commune": "s.commune_code = $code",
    "school": "e.school_code = $code",
}
#: The column naming a unit's children, and the table holding their names.
CHILD = {
    "national": ("p.region_code", "region", "name_fr"),
    "region": ("c.province_code", "province", "name_fr"),
    "province": ("s.commune_code", "commune", "name_fr"),
    "commune": ("e.school_code", "school", "name"),
}
PUPILS = """
    FROM enrollment e
    JOIN student st ON st.massar_code = e.massar_code
    JOIN school s ON s.code = e.school_code
    JOIN commune c ON c.code = s.commune_code
    JOIN province p ON p.code = c.province_code
"""
#: Numerator of each indicator over the pupils (``enrollment`` is the count itself).
NUMERATOR = {
    "dropout_rate": "count(*) FILTER (WHERE e.outcome = 'abandon')",
    "repetition_rate": "count(*) FILTER (WHERE e.outcome = 'redoublant')",
    "promotion_rate": "count(*) FILTER (WHERE e.outcome IN ('promu', 'diplome'))",
    "girls_share": "count(*) FILTER (WHERE st.sex = 'F')",
}


def kpi_sql(level: str) -> str:
    """Every indicator of the cards, for the school year and the one before."""
    return f"""
    WITH pupils AS (
        SELECT e.massar_code, e.school_year, e.outcome, e.annual_average, st.sex
        {PUPILS}
        WHERE e.school_year IN ($previous, $year) AND {UNIT_CLAUSE[level]}
    ), exams AS (
        SELECT x.school_year,
               count(*) FILTER (WHERE x.exam = 'CEP') AS cep_candidates,
               count(*) FILTER (WHERE x.exam = 'CEP' AND x.passed) AS cep_passed,
               count(*) FILTER (WHERE x.exam = 'REG') AS reg_candidates,
               count(*) FILTER (WHERE x.exam = 'REG' AND x.passed) AS reg_passed,
               count(*) FILTER (WHERE x.exam = 'BAC') AS bac_candidates,
               count(*) FILTER (WHERE x.exam = 'BAC' AND x.passed) AS bac_passed
        FROM exam_result x
        JOIN pupils u ON u.massar_code = x.massar_code AND u.school_year = x.school_year
        GROUP BY x.school_year
    ), counts AS (
        SELECT school_year, count(*) AS enrolled,
               count(*) FILTER (WHERE sex = 'F') AS girls,
               count(*) FILTER (WHERE outcome = 'abandon') AS dropouts,
               count(*) FILTER (WHERE outcome = 'redoublant') AS repeaters,
               count(*) FILTER (WHERE outcome IN ('promu', 'diplome')) AS promoted,
               avg(annual_average) AS mean_score
        FROM pupils GROUP BY school_year
    )
    SELECT k.school_year, k.enrolled,
           k.girls / k.enrolled AS girls_share,
           k.dropouts / k.enrolled AS dropout_rate,
           k.repeaters / k.enrolled AS repetition_rate,
           k.promoted / k.enrolled AS promotion_rate,
           x.cep_passed / nullif(x.cep_candidates, 0) AS success_rate_cep,
           x.reg_passed / nullif(x.reg_candidates, 0) AS success_rate_reg,
           x.bac_passed / nullif(x.bac_candidates, 0) AS success_rate_bac,
           k.mean_score
    FROM counts k LEFT JOIN exams x ON x.school_year = k.school_year
    ORDER BY k.school_year
    """


def ranking_sql(level: str, indicator: str) -> str:
    """The children ranked by the view's indicator, with their change and enrollment."""
    column, table, name = CHILD[level]
    return f"""
    WITH measured AS (
        SELECT {column} AS code, e.school_year, count(*) AS enrolled,
               {NUMERATOR[indicator]} / count(*) AS value
        {PUPILS}
        WHERE e.school_year IN ($previous, $year) AND {UNIT_CLAUSE[level]}
        GROUP BY ALL
    )
    SELECT rank() OVER (ORDER BY cur.value DESC) AS rank, n.{name} AS name, cur.value,
           cur.value - prev.value AS change, cur.enrolled
    FROM measured cur
    JOIN {table} n ON n.code = cur.code
    LEFT JOIN measured prev ON prev.code = cur.code AND prev.school_year = $previous
    WHERE cur.school_year = $year
    ORDER BY rank, name
    """


def trend_sql(level: str, indicator: str) -> str:
    """The view's indicator over every school year, for the unit."""
    return f"""
    SELECT e.school_year, count(*) AS enrolled, {NUMERATOR[indicator]} / count(*) AS value
    {PUPILS}
    WHERE {UNIT_CLAUSE[level]}
    GROUP BY e.school_year ORDER BY e.school_year
    """


def queries(level: str, indicator: str) -> list[tuple[str, str]]:
    """Return (part, SQL) for one view's numbers."""
    parts = [("cards", kpi_sql(level))]
    if level in CHILD:
        parts.append(("ranking", ranking_sql(level, indicator)))
    parts.append(("trend", trend_sql(level, indicator)))
    if level != "national":
        parts.append(("trend (Morocco)", trend_sql("national", indicator)))
    return parts


def measure(database: str, views: list[dict[str, Any]], repetitions: int) -> dict[str, Any]:
    """Time every view's raw queries ``repetitions`` times (after one unmeasured run)."""
    import duckdb

    conn = duckdb.connect(database, read_only=True)
    conn.execute("SET enable_progress_bar = false")
    results: dict[str, Any] = {}
    try:
        for view in views:
            params = {"year": view["year"], "previous": view["year"] - 1}
            timings: dict[str, list[float]] = {}
            enrolled = None
            for run in range(repetitions + 1):
                for part, sql in queries(view["level"], view["indicator"]):
                    given = {**params, "code": view["code"]}
                    bound = {name: value for name, value in given.items() if f"${name}" in sql}
                    started = time.perf_counter()
                    rows = conn.execute(sql, bound).fetchall()
                    elapsed = time.perf_counter() - started
                    if part == "cards":
                        enrolled = int(rows[-1][1]) if rows else 0
                    if run:
                        timings.setdefault(part, []).append(elapsed)
            totals = [sum(values) for values in zip(*timings.values(), strict=True)]
            results[view["name"]] = {"parts": timings, "total": totals, "enrolled": enrolled}
    finally:
        conn.close()
    return results
