"""How ages are counted: the official ages of each cycle and the bands pupils are counted in.

A pupil's age is the age in completed years on 1 September of the school year, as the
census population's (:mod:`dashboard.data.census`).
"""

from __future__ import annotations

#: The official ages of each cycle (primary, collège, qualifiant): the ages a cycle's
#: gross and net enrollment ratios are taken over.
OFFICIAL_AGES: dict[str, tuple[int, int]] = {
    "primaire": (6, 11), "college": (12, 14), "qualifiant": (15, 17)}
#: The pupils counted by age band, one band per cycle's official ages: ``aged_6_11``.
AGE_BANDS: dict[str, tuple[int, int]] = {
    f"aged_{first}_{last}": (first, last) for first, last in OFFICIAL_AGES.values()}
#: The school year whose schooling of 6-11 year-olds the 2024 census measured (RGPH 2024,
#: September 2024: the year 2023-2024, which Pilotage names by its first year).
CENSUS_SCHOOLING_YEAR = 2023
#: The gap, in points (a fraction), beyond which a commune's rate of 6-11 year-olds in
#: school and the census's are offered to the data-quality view (check ``census_gap``).
CENSUS_GAP_LIMIT = 0.10
