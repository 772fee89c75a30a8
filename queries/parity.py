"""The gender parity index of the rates to the census population: the girls' rate over
the boys' (UNESCO's GPI), from the unit's rates by sex.

An index reads both sexes' rates, so it is hidden when either is (the index and one rate
give the other back); it is "no data" under a sex filter and where either rate is.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard import indicators
from queries import Scope, privacy
from queries.filters import Filters
from queries.stats import breakdown


@dataclass(frozen=True)
class Parity:
    """One rate's index (NaN without one) and whether it is hidden."""

    value: float
    hidden: bool


def gender_parity(level: str, code: str, filters: Filters, scope: Scope) -> dict[str, Parity]:
    """Return the index of each rate of :data:`dashboard.indicators.WITH_PARITY`."""
    if filters.sex != "all":
        return {code_: Parity(float("nan"), False) for code_ in indicators.WITH_PARITY}
    sexes = {str(row["sex"]): row
             for _, row in breakdown(level, code, filters, scope, "sex").iterrows()}
    return {rate: _index(rate, sexes.get("F"), sexes.get("M"))
            for rate in indicators.WITH_PARITY}


def _index(rate: str, girls: pd.Series | None, boys: pd.Series | None) -> Parity:
    if girls is None or boys is None:
        return Parity(float("nan"), False)
    if privacy.is_suppressed(girls, rate) or privacy.is_suppressed(boys, rate):
        return Parity(float("nan"), True)
    return Parity(indicators.parity_index(girls[rate], boys[rate]), False)
