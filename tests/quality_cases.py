"""Pupils written out to trip each data-quality check (docs/quality.md) a known number of
times, on the schools of ``tests/handmade.py``, over three school years (2022-2024; 2024
is the last, so no check looking at the year after examines it).

Ages are on 1 September of the year; the intended age of grade g (1AEP = 0) is 6 + g.

====  ======================================================  ================================
code  records                                                 what the checks find
====  ======================================================  ================================
Q01   2023 10001F 3AEP promu 12; 2024 4AEP promu 13           nothing
Q02   2024 10001F 4AEP, no result, no average                 missing_outcome 2024
Q03   2024 10001F 5AEP promu, no average                      missing_average 2024
Q04   2022 10001F 5AEP abandon; 2023 5AEP promu 11;           returns_after_abandon 2022
      2024 6AEP promu 12 (CEP passed)
Q05   2023 10001F 4AEP promu 14; 2024 6AEP promu 15 (CEP      promoted_not_next_grade 2023,
      passed)                                                 grade_skip 2024
Q06   2023 10001F 5AEP redoublant 8; 2024 6AEP promu 12       repeater_moved_on 2023
      (CEP passed)
Q07   2023 10001F 6AEP promu 13 (CEP passed); no 2024         lost_in_transfer 2023
Q08   2024 10001F 1AEP promu 12, born 2013-01-01 (11 for 6)   implausible_age 2024
Q09   2024 10003F 2BAC redoublant 9, BAC passed               exam_outcome_mismatch 2024
Q10   2024 10003F 2BAC diplome 14, BAC failed                 exam_outcome_mismatch 2024
Q11   2024 10001F 6AEP promu 11, CEP failed                   exam_outcome_mismatch 2024
Q12   2024 10001F 2AEP promu 6.5                              average_outcome_mismatch 2024
Q13   2024 10001F 2AEP redoublant 12.5                        average_outcome_mismatch 2024
Q14   2023 10004F 1AEP promu 12; 10004F has no pupil in 2024  lost_in_transfer 2023,
                                                              school_silent 2024 (10004F)
J01-  2023 10006A 3AEP promu 12 (50 pupils); in 2024, J01-20  enrollment_jump 2024 (10006A:
J50   10006A 4AEP, J21-50 10001F 4AEP, promu 12               50 then 20 pupils)
====  ======================================================  ================================

No province has five schools with results: no funnel, no ``outlier_rate`` examined.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tests.backends import Backend
from tests.handmade import make_handmade_database

STUDENTS = [
    ("Q000000001", "F", date(2016, 3, 1)),
    ("Q000000002", "M", date(2015, 5, 5)),
    ("Q000000003", "F", date(2014, 1, 1)),
    ("Q000000004", "M", date(2012, 6, 1)),
    ("Q000000005", "F", date(2014, 2, 2)),
    ("Q000000006", "M", date(2012, 3, 3)),
    ("Q000000007", "F", date(2012, 4, 4)),
    ("Q000000008", "M", date(2013, 1, 1)),
    ("Q000000009", "F", date(2007, 1, 1)),
    ("Q000000010", "M", date(2007, 2, 2)),
    ("Q000000011", "F", date(2013, 3, 3)),
    ("Q000000012", "M", date(2017, 1, 5)),
    ("Q000000013", "F", date(2017, 2, 5)),
    ("Q000000014", "M", date(2017, 1, 1)),
    *((f"J{n:09d}", "FM"[n % 2], date(2015, 1, 1)) for n in range(1, 51)),
]
ENROLLMENTS = [
    ("Q000000004", 2022, "10001F", "5AEP", "abandon", None),
    ("Q000000001", 2023, "10001F", "3AEP", "promu", 12.0),
    ("Q000000004", 2023, "10001F", "5AEP", "promu", 11.0),
    ("Q000000005", 2023, "10001F", "4AEP", "promu", 14.0),
    ("Q000000006", 2023, "10001F", "5AEP", "redoublant", 8.0),
    ("Q000000007", 2023, "10001F", "6AEP", "promu", 13.0),
    ("Q000000014", 2023, "10004F", "1AEP", "promu", 12.0),
    *((f"J{n:09d}", 2023, "10006A", "3AEP", "promu", 12.0) for n in range(1, 51)),
    ("Q000000001", 2024, "10001F", "4AEP", "promu", 13.0),
    ("Q000000002", 2024, "10001F", "4AEP", None, None),
    ("Q000000003", 2024, "10001F", "5AEP", "promu", None),
    ("Q000000004", 2024, "10001F", "6AEP", "promu", 12.0),
    ("Q000000005", 2024, "10001F", "6AEP", "promu", 15.0),
    ("Q000000006", 2024, "10001F", "6AEP", "promu", 12.0),
    ("Q000000008", 2024, "10001F", "1AEP", "promu", 12.0),
    ("Q000000009", 2024, "10003F", "2BAC", "redoublant", 9.0),
    ("Q000000010", 2024, "10003F", "2BAC", "diplome", 14.0),
    ("Q000000011", 2024, "10001F", "6AEP", "promu", 11.0),
    ("Q000000012", 2024, "10001F", "2AEP", "promu", 6.5),
    ("Q000000013", 2024, "10001F", "2AEP", "redoublant", 12.5),
    *((f"J{n:09d}", 2024, "10006A" if n <= 20 else "10001F", "4AEP", "promu", 12.0)
      for n in range(1, 51)),
]
EXAMS = [
    ("Q000000007", 2023, "CEP", 13.0, True),
    ("Q000000004", 2024, "CEP", 12.0, True),
    ("Q000000005", 2024, "CEP", 15.0, True),
    ("Q000000006", 2024, "CEP", 11.0, True),
    ("Q000000009", 2024, "BAC", 10.5, True),
    ("Q000000010", 2024, "BAC", 8.0, False),
    ("Q000000011", 2024, "CEP", 9.0, False),
]


def make_quality_database(folder: Path, backend: Backend | None = None,
                          name: str = "quality_cases") -> str:
    """Create and build the database of these cases; return its URL."""
    return make_handmade_database(folder, backend, name, STUDENTS, ENROLLMENTS, EXAMS)
