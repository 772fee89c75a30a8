"""Pre-compute the national, regional and provincial views into the shared cache."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from dashboard import indicators
from dashboard.levels import NATIONAL_CODE
from queries.filters import Filters
from queries.scope import NATIONAL_SCOPE
from queries.stats import (
    BREAKDOWNS,
    available_years,
    grade_by_sex,
    ranked_children,
    trend,
    unit_indicators,
)
from queries.stats import breakdown as breakdown_of
from queries.units import units

#: Cache types whose entries every worker shares: the only ones worth warming.
SHARED_CACHES = ("RedisCache", "FileSystemCache")


@dataclass(frozen=True)
class WarmSummary:
    """What ``warm-cache`` computed."""

    views: int
    year: int
    seconds: float


def territorial_units() -> list[tuple[str, str]]:
    """Return the nation, then every region and province, as (level, code)."""
    chosen = [("national", NATIONAL_CODE)]
    for level in ("region", "province"):
        codes = units(level, None, NATIONAL_SCOPE)["code"]
        chosen += [(level, str(code)) for code in codes]
    return chosen


def warm_views(step: Callable[[str], None] | None = None) -> WarmSummary:
    """Compute every number of the default view (latest year, no filter) of each unit.

    Run inside the app's context; the cache keys carry the published data version, so
    run it after each build.
    """
    started = time.perf_counter()
    year = max(available_years())
    filters = Filters(year)
    chosen = territorial_units()
    for level, code in chosen:
        unit_indicators(level, code, filters, NATIONAL_SCOPE)
        ranked_children(level, code, filters, NATIONAL_SCOPE, indicators.DEFAULT)
        trend(level, code, filters, NATIONAL_SCOPE)
        grade_by_sex(level, code, filters, NATIONAL_SCOPE)
        for by in BREAKDOWNS:
            breakdown_of(level, code, filters, NATIONAL_SCOPE, by)
        if step:
            step(f"{level} {code}")
    return WarmSummary(len(chosen), year, time.perf_counter() - started)
