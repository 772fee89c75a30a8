"""Small-cell suppression applied to a view's frame: no number may single out a few pupils.

What is hidden is decided once per school year for every cell a view can show, in
:mod:`dashboard.data.suppression` (stored by ``build``, looked up by :mod:`queries.pattern`);
this module only applies it to a frame of summed measures after
:func:`dashboard.indicators.compute`:

* :func:`hidden_counts` names which counts of each row are hidden (girls and boys are
  the enrolled pupils of the row's two halves by sex, looked up as cells of their own);
* :func:`suppress` sets every hidden count to NaN, and every indicator that reads a
  hidden count (an enrollment; a rate whose numerator, the numerator's complement or
  denominator is hidden; a mean score whose pupil count is), even one without a value,
  since "no data" would tell that a hidden count is zero (a rate to the census population
  without a population, a school's, has no value and hides nothing). It adds one boolean column
  ``<indicator code>_suppressed`` per indicator, and ``enrollment_small``: hidden for
  being under the threshold (read "< 5"), not to protect another cell.

A summed measure is never NaN otherwise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard import indicators
from dashboard.app_state import app_state
from dashboard.data.schema import CYCLES, GRADES_BY_CYCLE
from queries import pattern

SUFFIX = "_suppressed"
SMALL = "enrollment_small"
#: Counts a reader could subtract from a total: each measure, then those they imply.
IMPLIED = {"boys": ("enrolled", "girls"), "cep_failed": ("cep_candidates", "cep_passed"),
           "reg_failed": ("reg_candidates", "reg_passed"),
           "bac_failed": ("bac_candidates", "bac_passed")}
COUNTS = tuple(m for m in indicators.MEASURES if m != "average_sum")
CELLS = (*COUNTS, *IMPLIED)
COMPLEMENT = {"girls": "boys", "cep_passed": "cep_failed", "reg_passed": "reg_failed",
              "bac_passed": "bac_failed"}
#: The cells each indicator reads: hidden if any of them is.
INDICATOR_CELLS = {
    i.code: tuple(c for c in (i.numerator, COMPLEMENT.get(i.numerator), i.denominator)
                  if c in CELLS)
    for i in indicators.INDICATORS
}


def threshold() -> int:
    """Return the running app's threshold (``PILOTAGE_SMALL_CELL_THRESHOLD``; 0 disables)."""
    return app_state().config.small_cell_threshold


def flag(code: str) -> str:
    """Return the name of an indicator's suppression column: ``dropout_rate_suppressed``."""
    return code + SUFFIX


def hidden_counts(keys: pd.DataFrame, years, limit: int) -> pd.DataFrame:
    """Return which cells of each row are hidden (a boolean frame with columns ``CELLS``).

    ``keys`` names each row's cell (:data:`queries.pattern.KEY`); ``years`` is the school
    year of each row or of all. Girls and boys are the enrolled pupils of the row's two
    halves by sex, looked up as cells of their own.
    """
    count = len(keys)
    halves = pd.concat([keys, keys.assign(sex="F"), keys.assign(sex="M"),
                        *(keys.assign(grades=cycle) for cycle in CYCLES)], ignore_index=True)
    parts = 3 + len(CYCLES)
    every = (np.tile(np.asarray(years), parts) if np.ndim(years) else years)
    flags = pattern.hidden_for(halves, every, limit)
    own, girls, boys, *cycles = (flags.iloc[i * count:(i + 1) * count].set_axis(keys.index)
                                 for i in range(parts))
    result = pd.DataFrame(False, index=keys.index, columns=list(CELLS))
    for name in CELLS:
        if name in own:
            result[name] = own[name].to_numpy()
    sex = keys["sex"].to_numpy()
    enrolled = own["enrolled"].to_numpy()
    result["girls"] = np.where(sex == pattern.ALL, girls["enrolled"].to_numpy(),
                               (sex == "F") & enrolled)
    result["boys"] = np.where(sex == pattern.ALL, boys["enrolled"].to_numpy(),
                              (sex == "M") & enrolled)
    # the pupils with a known result are the enrolled minus the undecided
    result["decided"] = enrolled | own["undecided"].to_numpy()
    # a unit's records without a finding are shown where its pupils are
    result["quality_clean"] = enrolled
    # a cycle's pupils (and those of its official ages) are the cell of that cycle; under
    # a filter on the cycle or one of its grades, the row's own; under another, none
    grades = keys["grades"].to_numpy()
    for cycle, of_cycle in zip(CYCLES, cycles, strict=True):
        inside = np.isin(grades, (cycle, *GRADES_BY_CYCLE[cycle]))
        for name, (_cycle, column) in indicators.CYCLE_MEASURES.items():
            if _cycle == cycle:
                result[name] = np.where(grades == pattern.ALL, of_cycle[column].to_numpy(),
                                        inside & own[column].to_numpy())
    return result


def suppress(frame: pd.DataFrame, hidden: pd.DataFrame, limit: int) -> pd.DataFrame:
    """Return ``frame`` with hidden values set to NaN and the suppression columns added."""
    cells = {name: hidden[name].to_numpy(bool) for name in CELLS}
    replaced, flags = {}, {}
    for code, read in INDICATOR_CELLS.items():
        value = frame[code].to_numpy(float)
        # a rate without a value is hidden too when a count it reads is: "no data" would
        # tell that the hidden count is zero
        mask = np.logical_or.reduce([cells[c] for c in read])
        indicator = indicators.BY_CODE[code]
        if indicator.over_population:  # no population (a school): no rate, and no secret
            people = pd.to_numeric(frame[indicator.denominator]).to_numpy(float)
            mask &= people > 0
        flags[flag(code)] = mask
        replaced[code] = np.where(mask, np.nan, value)
    enrolled = pd.to_numeric(frame["enrolled"]).to_numpy(float)
    flags[SMALL] = flags[flag("enrollment")] & (enrolled < limit)
    for name in COUNTS:
        replaced[name] = np.where(cells[name], np.nan, frame[name].to_numpy(float))
    replaced["average_sum"] = np.where(cells["average_count"], np.nan,
                                       frame["average_sum"].to_numpy(float))
    kept = frame.drop(columns=list(replaced))
    values = pd.DataFrame({**replaced, **flags}, index=frame.index)
    return pd.concat([kept, values], axis=1)[[*frame.columns, *flags]]


def is_set(value) -> bool:
    """Return whether a flag is set; a row without one (a child without pupils) is not."""
    return value is not None and not pd.isna(value) and bool(value)


def suppressed_codes(row: pd.Series | dict) -> list[str]:
    """Return the codes of the indicators hidden in one row."""
    return [code for code in indicators.CODES if is_set(row.get(flag(code)))]


def is_suppressed(row: pd.Series | dict, code: str) -> bool:
    """Return whether an indicator is hidden in one row."""
    return is_set(row.get(flag(code)))


def is_small(row: pd.Series | dict) -> bool:
    """Return whether a row's hidden enrollment is under the threshold (shown ``< 5``)."""
    return is_set(row.get(SMALL))


def values_of(frame: pd.DataFrame, code: str) -> pd.DataFrame:
    """Return each row's code and value of one indicator with its marks (for map points).

    Columns: ``code``, ``value``, ``suppressed`` and ``small``.
    """
    return frame[["code", code, flag(code), SMALL]].rename(
        columns={code: "value", flag(code): "suppressed", SMALL: "small"})


def has_pupils(frame: pd.DataFrame) -> bool:
    """Return whether any row has pupils: a hidden enrollment counts, it is above zero."""
    enrolled = frame["enrolled"] if "enrolled" in frame else pd.Series(dtype=float)
    return bool((enrolled.isna() | (enrolled > 0)).any())
