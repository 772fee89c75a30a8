"""Small-cell suppression: no number may single out a few pupils of one school (law 09-08).

The rule applies to cells that describe one school or part of one school; territorial
units (commune and above) aggregate many schools and are never suppressed.

* Primary suppression: a count above zero but under the threshold (enrolled, girls,
  dropouts, repeaters, promoted, pupils with an annual average, exam candidates and
  passes, and the boys and exam failures they imply) is hidden.
* Complementary suppression: within a set of cells that adds up to a shown total, if
  exactly one cell is hidden, the next smallest non-zero cell of the set is hidden too,
  so that the first cannot be recovered by subtraction. The sets are a row's girls and
  boys, its promoted, repeaters and dropouts, an exam's passes and failures, the schools
  of a commune, the grades of a school, its sexes, and the grade by sex table (each
  grade, each sex). Repeated until nothing changes.
* A total hidden in one table hides its non-zero parts in the tables that split it
  (``forced``), so no table gives back what another hides.
* An indicator is hidden when any count it reads is: an enrollment, a rate whose
  numerator or denominator (or the numerator's complement) is hidden, a mean score whose
  pupil count is.

Functions work on frames of summed measures after :func:`dashboard.indicators.compute`.
They add one boolean column ``<indicator code>_suppressed`` per indicator (and
``enrollment_small``: hidden for being under the threshold, not to protect another
cell) and set every hidden value, indicator or measure, to NaN. A summed measure is
never NaN otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from flask import current_app

from dashboard import indicators

CONFIG_KEY = "pilotage.config"
SUFFIX = "_suppressed"
SMALL = "enrollment_small"
#: Counts a reader could subtract from a total: each measure, then those they imply.
IMPLIED = {"boys": ("enrolled", "girls"), "cep_failed": ("cep_candidates", "cep_passed"),
           "reg_failed": ("reg_candidates", "reg_passed"),
           "bac_failed": ("bac_candidates", "bac_passed")}
COUNTS = tuple(m for m in indicators.MEASURES if m != "average_sum")
CELLS = (*COUNTS, *IMPLIED)
#: Cells of one row that add up to another cell of the row.
PARTITIONS = (("girls", "boys"), ("promoted", "repeaters", "dropouts"),
              ("cep_passed", "cep_failed"), ("reg_passed", "reg_failed"),
              ("bac_passed", "bac_failed"))
COMPLEMENT = {"girls": "boys", "cep_passed": "cep_failed", "reg_passed": "reg_failed",
              "bac_passed": "bac_failed"}
#: The cells each indicator reads: hidden if any of them is.
INDICATOR_CELLS = {
    i.code: tuple(c for c in (i.numerator, COMPLEMENT.get(i.numerator), i.denominator)
                  if c in CELLS)
    for i in indicators.INDICATORS
}
_POSITION = {cell: position for position, cell in enumerate(CELLS)}


def threshold() -> int:
    """Return the running app's threshold (``PILOTAGE_SMALL_CELL_THRESHOLD``; 0 disables)."""
    return current_app.extensions[CONFIG_KEY].small_cell_threshold


def flag(code: str) -> str:
    """Return the name of an indicator's suppression column: ``dropout_rate_suppressed``."""
    return code + SUFFIX


def cells(sums: pd.DataFrame) -> pd.DataFrame:
    """Return the countable cells of each row: the summed counts and those they imply."""
    frame = pd.DataFrame({name: pd.to_numeric(sums[name]) for name in COUNTS}, index=sums.index)
    for name, (total, part) in IMPLIED.items():
        frame[name] = frame[total] - frame[part]
    return frame[list(CELLS)].astype(float)


def hidden_cells(sums: pd.DataFrame, limit: int, sets: Sequence[Sequence[int]] = (),
                 forced: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return which cells of each row are hidden (a boolean frame with columns ``CELLS``).

    ``sets`` lists groups of row positions whose cells add up to a shown total (the
    schools of a commune, the grades of a school); ``forced`` marks cells whose total is
    hidden elsewhere: their non-zero values are hidden too.
    """
    values = cells(sums).to_numpy()
    positive = values > 0
    hidden = positive & (values < limit)
    if forced is not None:
        hidden |= forced.reindex(columns=list(CELLS), fill_value=False).to_numpy(bool) & positive
    partitions = [np.array([_POSITION[c] for c in part]) for part in PARTITIONS]
    groups = [np.asarray(group, dtype=int) for group in sets if len(group) > 1]
    changed = limit > 0
    while changed:
        changed = False
        for part in partitions:  # across the columns of one row
            changed |= _complete(hidden[:, part], values[:, part], positive[:, part], hidden,
                                 lambda rows, picks, part=part: (rows, part[picks]))
        for group in groups:  # down the rows of one set, column by column
            changed |= _complete(hidden[group].T, values[group].T, positive[group].T, hidden,
                                 lambda columns, picks, group=group: (group[picks], columns))
    return pd.DataFrame(hidden, index=sums.index, columns=list(CELLS))


def _complete(block: np.ndarray, values: np.ndarray, positive: np.ndarray, hidden: np.ndarray,
              where) -> bool:
    """Hide the smallest non-zero visible cell of each line of ``block`` with one hidden."""
    candidates = np.where(positive & ~block, values, np.inf)
    lines = np.flatnonzero((block.sum(axis=1) == 1) & np.isfinite(candidates).any(axis=1))
    if not len(lines):
        return False
    picks = candidates[lines].argmin(axis=1)
    hidden[where(lines, picks)] = True
    return True


def suppress(frame: pd.DataFrame, hidden: pd.DataFrame, limit: int) -> pd.DataFrame:
    """Return ``frame`` with hidden values set to NaN and the suppression columns added."""
    frame = frame.copy()
    flags = {}
    for code, read in INDICATOR_CELLS.items():
        mask = hidden[list(read)].any(axis=1) & frame[code].notna()
        flags[flag(code)] = mask.to_numpy(bool)
        frame.loc[mask, code] = np.nan
    enrolled = pd.to_numeric(frame["enrolled"]).to_numpy(float)
    flags[SMALL] = flags[flag("enrollment")] & (enrolled < limit)
    for name in COUNTS:
        frame[name] = frame[name].astype(float).mask(hidden[name])
    frame["average_sum"] = frame["average_sum"].astype(float).mask(hidden["average_count"])
    return pd.concat([frame, pd.DataFrame(flags, index=frame.index)], axis=1)


def apply(frame: pd.DataFrame, limit: int, sets: Sequence[Sequence[int]] = (),
          forced: pd.DataFrame | None = None) -> pd.DataFrame:
    """Suppress the small cells of a frame of school rows (see :func:`hidden_cells`)."""
    return suppress(frame, hidden_cells(frame, limit, sets, forced), limit)


def unsuppressed(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a territorial frame with its suppression columns, all false."""
    flags = {flag(code): False for code in indicators.CODES} | {SMALL: False}
    return frame.assign(**flags)


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
