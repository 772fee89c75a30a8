"""Generate the synthetic schooling database at one of three scales."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from sqlalchemy.engine import Engine

from dashboard.data import analytics_schema, calibration, population_scale, schema
from dashboard.data.cohorts import Simulation
from dashboard.data.geography import load_geography
from dashboard.data.network import build_network
from dashboard.dialect import bulk_load

FIRST_YEAR, LAST_YEAR = 2000, 2100


class GenerateError(ValueError):
    """A generation request that cannot be carried out."""


@dataclass(frozen=True)
class GenerationSummary:
    """Row counts of what was written."""

    scale: str
    years: tuple[int, ...]
    schools: int
    students: int
    enrollments: int
    exam_results: int


def parse_years(text: str) -> list[int]:
    """Parse ``2020-2025`` (or a single ``2024``) into a list of school years."""
    match = re.fullmatch(r"\s*(\d{4})\s*(?:-\s*(\d{4}))?\s*", text)
    if not match:
        raise GenerateError(f"years must look like 2020-2025, not {text!r}")
    first = int(match.group(1))
    last = int(match.group(2) or first)
    if last < first:
        raise GenerateError(f"years {text!r}: the last year comes before the first")
    if first < FIRST_YEAR or last > LAST_YEAR:
        raise GenerateError(f"years {text!r}: must lie between {FIRST_YEAR} and {LAST_YEAR}")
    if last - first >= 20:
        raise GenerateError(f"years {text!r}: at most 20 school years")
    return list(range(first, last + 1))


def generate(
    engine: Engine,
    scale: str,
    years: list[int],
    seed: int,
    progress: Callable[[str], None] = lambda step: None,
) -> GenerationSummary:
    """Replace the raw tables of ``engine`` with a freshly simulated database."""
    if scale not in calibration.SCALES:
        known = ", ".join(calibration.SCALES)
        raise GenerateError(f"unknown scale {scale!r}: choose one of {known}")
    rng = np.random.default_rng(seed)
    geography = load_geography()
    progress("geography")
    analytics_schema.metadata.drop_all(engine)
    schema.metadata.drop_all(engine)
    schema.metadata.create_all(engine)
    with engine.begin() as conn:
        factor = calibration.SCALES[scale]["pupil_factor"]
        if factor < 1:
            population_scale.write(conn, factor, f"synthetic data, {scale} scale")
        bulk_load(conn, schema.region, pa.Table.from_pandas(geography.regions))
        bulk_load(conn, schema.province, pa.Table.from_pandas(geography.provinces))
        bulk_load(conn, schema.commune, pa.Table.from_pandas(geography.communes))
    schools = build_network(geography, scale, rng)
    with engine.begin() as conn:
        bulk_load(conn, schema.school, pa.Table.from_pandas(schools, preserve_index=False))
    progress("schools")
    counts = {"students": 0, "enrollments": 0, "exam_results": 0}
    for year_data in Simulation(schools, years, rng).run():
        with engine.begin() as conn:
            bulk_load(conn, schema.student, year_data.students)
            bulk_load(conn, schema.enrollment, year_data.enrollment)
            bulk_load(conn, schema.exam_result, year_data.exam_result)
        counts["students"] += year_data.students.num_rows
        counts["enrollments"] += year_data.enrollment.num_rows
        counts["exam_results"] += year_data.exam_result.num_rows
        progress(f"year {year_data.school_year}")
    return GenerationSummary(scale, tuple(years), len(schools), **counts)
