"""A pupil whose end-of-year result is not decided yet: counted in enrollment, left out of
the outcome rates, and never singled out by the difference of two published counts.

The handmade database (``tests/handmade.py``) gets one more pupil: P000000039, a girl in
1AEP at 10004F (Mniaa, province 461, region 6) in 2024, without a result or an average.
10004F then has, by hand: 6 pupils, 5 with a result, 2 dropouts (P17, P20), 1 repeater
(P19), 2 promoted (P16, P18).
"""

from __future__ import annotations

from datetime import date

import pytest

from dashboard.data import schema
from dashboard.data.build import build
from dashboard.db import make_engine
from tests.conftest import ACCOUNTS, client_as, make_app
from tests.handmade import make_handmade_database

UNDECIDED = {"massar_code": "P000000039", "school_year": 2024, "school_code": "10004F",
             "grade": "1AEP", "outcome": None, "annual_average": None}
#: 10004F and every unit above it; each holds the one undecided pupil.
ABOVE = (("school", "10004F"), ("commune", "461.3.9"), ("province", "461"), ("region", "6"),
         ("national", "MA"))


@pytest.fixture(scope="module")
def url(tmp_path_factory, backend) -> str:
    folder = tmp_path_factory.mktemp("undecided")
    url = make_handmade_database(folder, backend, "handmade_undecided")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(schema.student.insert().values(
            massar_code="P000000039", sex="F", birth_date=date(2018, 4, 2)))
        conn.execute(schema.enrollment.insert().values(**UNDECIDED))
    build(engine)
    engine.dispose()
    return url


def app_at(url, backend, folder, threshold: int):
    return make_app(url, folder, backend, ACCOUNTS,
                    PILOTAGE_SMALL_CELL_THRESHOLD=str(threshold))


def indicators_of(client, level: str, code: str) -> dict:
    response = client.get("/api/v1/indicators", query_string={"level": level, "code": code,
                                                               "year": "2024"})
    assert response.status_code == 200, response.data[:300]
    return response.get_json()


def test_outcome_rates_are_over_the_pupils_with_a_result(url, backend, tmp_path):
    client = client_as(app_at(url, backend, tmp_path, 0))
    data = indicators_of(client, "school", "10004F")
    values = data["indicators"]
    assert values["enrollment"] == 6
    assert data["known_outcomes"] == 5
    assert values["dropout_rate"] == pytest.approx(2 / 5)
    assert values["repetition_rate"] == pytest.approx(1 / 5)
    assert values["promotion_rate"] == pytest.approx(2 / 5)
    # 2023: 10004F had no pupils; the commune's 2024 counts add 10005F's 4 decided pupils
    commune = indicators_of(client, "commune", "461.3.9")
    assert commune["indicators"]["enrollment"] == 10 and commune["known_outcomes"] == 9
    assert commune["indicators"]["dropout_rate"] == pytest.approx(3 / 9)  # P17, P20, P24


def test_the_undecided_pupil_cannot_be_told_by_difference(url, backend, tmp_path):
    """10004F's undecided pupil is its pupils minus its known results: neither may be read,
    whether from its own answer or as its commune's minus the other school's (a commune's
    own count of one pupil without a result is a territory's, shown as the rule allows)."""
    client = client_as(app_at(url, backend, tmp_path, 5))
    own = indicators_of(client, "school", "10004F")
    commune = indicators_of(client, "commune", "461.3.9")
    siblings = [child for child in client.get("/api/v1/children", query_string={
        "level": "commune", "code": "461.3.9", "year": "2024"}).get_json()["children"]
        if child["unit"]["code"] != "10004F"]
    assert [child["unit"]["code"] for child in siblings] == ["10005F"]

    def derived(read) -> int | None:
        if read(own) is not None:
            return read(own)
        parts = [read(child) for child in siblings]
        if read(commune) is None or None in parts:
            return None
        return read(commune) - sum(parts)

    pupils = derived(lambda answer: answer["indicators"]["enrollment"])
    known = derived(lambda answer: answer["known_outcomes"])
    assert pupils is None or known is None, (pupils, known)
