"""The checks against the generator's ground truth: every defect it injects into accepted
data is found by its own check, and data without defects yields no more than the natural
rates docs/quality.md states."""

from __future__ import annotations

import pytest

from dashboard.cli import main
from dashboard.data.extract.write import write_extract
from dashboard.data.quality import PUPIL_CHECKS
from dashboard.db import make_engine
from tests.conftest import query

SHARE = 0.01
#: The most each check finds in the tiny data as generated, without defects (share of
#: what it examined): pupils older than their grade by five years, after repeating; small
#: schools whose intake swings; schools whose sector or milieu sets them apart in their
#: province's funnel (docs/quality.md, "Natural rates").
NATURAL = {"implausible_age": 0.002, "school_silent": 0.005, "enrollment_jump": 0.02,
           "outlier_rate": 0.06}


@pytest.fixture(scope="module")
def imported(tiny_engine, tmp_path_factory) -> tuple:
    """The tiny database written with defects, imported and built into a new database:
    (its engine, the quality ground truth)."""
    folder = tmp_path_factory.mktemp("recall")
    write_extract(tiny_engine, folder / "extract", defects=SHARE, seed=5)
    url = f"duckdb:///{folder / 'imported.duckdb'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PILOTAGE_DATABASE_URL", url)
        patch.setenv("PILOTAGE_DATA_DIR", str(folder / "data"))
        assert main(["import", str(folder / "extract")]) == 0
    lines = (folder / "extract" / "quality_truth.txt").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "school_year\tschool_code\tmassar_code\tcheck_code"
    truth = [tuple(line.split("\t")) for line in lines[1:]]
    engine = make_engine(url)
    yield engine, [(int(year), school, massar or None, check) for year, school, massar, check
                   in truth]
    engine.dispose()


def test_every_injected_defect_is_found_by_its_check(imported):
    engine, truth = imported
    found = {(int(year), school, massar, check) for year, school, massar, check in query(
        engine, "SELECT school_year, school_code, massar_code, check_code "
                "FROM quality_finding")}
    missed = [entry for entry in truth if entry not in found]
    assert {check for *_, check in truth} >= {"missing_outcome", "school_silent",
                                              "outlier_rate", "grade_skip"}
    assert not missed, missed[:10]
    assert len(truth) > 50


def test_data_without_defects_finds_only_the_natural_rates(tiny_engine):
    rows = query(tiny_engine, "SELECT check_code, SUM(count), SUM(base) FROM quality_stats "
                              "GROUP BY check_code")
    # a pupil check's base is every record of the years it looks at, counted here apart
    ((every, before_last, after_first),) = query(tiny_engine, """
        SELECT count(*),
               sum(CASE WHEN school_year < (SELECT max(school_year) FROM enrollment)
                   THEN 1 ELSE 0 END),
               sum(CASE WHEN school_year > (SELECT min(school_year) FROM enrollment)
                   THEN 1 ELSE 0 END) FROM enrollment""")
    next_year = {"returns_after_abandon", "promoted_not_next_grade", "repeater_moved_on",
                 "lost_in_transfer"}
    bases = {check: after_first if check == "grade_skip" else
             before_last if check in next_year else every for check in PUPIL_CHECKS}
    rates = {check: int(found) / int(bases.get(check, base)) for check, found, base in rows
             if bases.get(check, base)}
    for check, rate in rates.items():
        assert rate <= NATURAL.get(check, 0.0), (check, rate)
    # the natural rates are not zero by accident: the checks that have them do find some
    assert rates["implausible_age"] > 0
