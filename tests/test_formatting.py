"""Numbers are written the French way, and no data is never zero."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from dashboard import indicators
from dashboard.formatting import (
    NO_DATA,
    format_change,
    format_count,
    format_rate,
    format_value,
    school_year_label,
)

RATE = indicators.BY_CODE["dropout_rate"]
COUNT = indicators.BY_CODE["enrollment"]
SCORE = indicators.BY_CODE["mean_score"]


def test_french_number_formats():
    assert format_count(12345) == "12\u202f345"
    assert format_count(1234567) == "1\u202f234\u202f567"
    assert format_rate(0.047) == "4,7\u00a0%"
    assert format_value(SCORE, 11.845) == "11,85" or format_value(SCORE, 11.845) == "11,84"
    assert school_year_label(2024) == "2024-2025"


@pytest.mark.parametrize("value", [None, float("nan")])
def test_no_data_is_a_dash(value):
    assert format_count(value) == NO_DATA
    assert format_rate(value) == NO_DATA
    assert format_change(RATE, value) == NO_DATA


def test_changes_in_points_for_rates_and_percent_for_counts():
    assert format_change(RATE, 0.012) == "▲\u00a0+1,2\u00a0pt"
    assert format_change(RATE, -0.028) == "▼\u00a0-2,8\u00a0pt"
    assert format_change(COUNT, 0.05) == "▲\u00a0+5,0\u00a0%"
    assert format_change(RATE, 0.0001) == "±0,0\u00a0pt"


def test_change_definition():
    assert indicators.change(RATE, 0.05, 0.04) == pytest.approx(0.01)
    assert indicators.change(COUNT, 110, 100) == pytest.approx(0.10)
    assert math.isnan(indicators.change(COUNT, 110, 0))
    assert math.isnan(indicators.change(RATE, float("nan"), 0.04))


def test_compute_gives_no_data_for_zero_denominators():
    sums = pd.DataFrame([{name: 0 for name in indicators.MEASURES}])
    sums.loc[0, "enrolled"] = 0
    result = indicators.compute(sums)
    assert result.loc[0, "enrollment"] == 0
    for code in indicators.CODES:
        if code != "enrollment":
            assert math.isnan(result.loc[0, code]), code


def test_compute_ratios_and_sex_filter():
    sums = pd.DataFrame([{name: 0 for name in indicators.MEASURES}])
    sums.loc[0, ["enrolled", "decided", "girls", "dropouts", "bac_candidates",
                 "bac_passed"]] = [40, 40, 18, 3, 8, 6]
    result = indicators.compute(sums)
    assert result.loc[0, "girls_share"] == pytest.approx(18 / 40)
    assert result.loc[0, "dropout_rate"] == pytest.approx(3 / 40)
    assert result.loc[0, "success_rate_BAC"] == pytest.approx(6 / 8)
    assert math.isnan(result.loc[0, "success_rate_CEP"])
    assert math.isnan(indicators.compute(sums, sex_filtered=True).loc[0, "girls_share"])


def test_every_indicator_of_the_design_is_defined_once():
    # the design's indicators, and the data-quality score of docs/quality.md
    assert set(indicators.CODES) == {
        "enrollment", "girls_share", "dropout_rate", "repetition_rate", "promotion_rate",
        "success_rate_CEP", "success_rate_REG", "success_rate_BAC", "mean_score",
        "quality_score",
        # the rates to the census population (issue: grounded in the census)
        "enrollment_rate_6_11", "enrollment_rate_12_14", "enrollment_rate_15_17",
        *(f"{kind}_{cycle}" for kind in ("gross_enrollment_ratio", "net_enrollment_ratio")
          for cycle in ("primaire", "college", "qualifiant"))}
    lower_better = {i.code for i in indicators.INDICATORS if not i.higher_is_better}
    assert lower_better == {"dropout_rate", "repetition_rate"}
