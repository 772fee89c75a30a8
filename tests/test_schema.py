"""The schema's constraints reject rows the schooling database must never hold."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from dashboard.data import schema
from dashboard.db import make_engine


@pytest.fixture()
def engine(tmp_path):
    engine = make_engine(f"duckdb:///{tmp_path / 'schema.duckdb'}")
    schema.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(schema.region.insert(), [{"code": "6", "name_fr": "Casablanca-Settat",
                                                "name_ar": "الدار البيضاء سطات"}])
        conn.execute(schema.province.insert(), [{"code": "141", "region_code": "6",
                                                  "name_fr": "Casablanca",
                                                  "name_ar": "الدار البيضاء"}])
        conn.execute(schema.commune.insert(), [{"code": "141.1.5", "province_code": "141",
                                                 "name_fr": "Anfa", "name_ar": "أنفا",
                                                 "milieu": "urbain"}])
        conn.execute(schema.school.insert(), [GOOD_SCHOOL])
        conn.execute(schema.student.insert(), [GOOD_STUDENT])
        conn.execute(schema.enrollment.insert(), [GOOD_ENROLLMENT])
    yield engine
    engine.dispose()


GOOD_SCHOOL = {"code": "10001F", "name": "École primaire Anfa", "commune_code": "141.1.5",
               "cycle": "primaire", "sector": "public", "milieu": "urbain",
               "latitude": 33.59, "longitude": -7.63}
GOOD_STUDENT = {"massar_code": "M145092428", "sex": "F", "birth_date": dt.date(2015, 3, 2)}
GOOD_ENROLLMENT = {"massar_code": "M145092428", "school_year": 2023, "school_code": "10001F",
                   "grade": "3AEP", "outcome": "promu", "annual_average": 14.5}


def _insert(engine, table, row):
    with engine.begin() as conn:
        conn.execute(table.insert(), [row])


def test_good_rows_are_accepted(engine):
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.enrollment)).scalar() == 1


@pytest.mark.parametrize(
    ("table", "row"),
    [
        (schema.school, {**GOOD_SCHOOL, "code": "10002F", "cycle": "lycee"}),
        (schema.school, {**GOOD_SCHOOL, "code": "10002F", "sector": "semi-public"}),
        (schema.school, {**GOOD_SCHOOL, "code": "10002F", "commune_code": "999.9.9"}),
        (schema.school, {**GOOD_SCHOOL, "code": "10002F", "latitude": 48.85}),
        (schema.student, {**GOOD_STUDENT, "massar_code": "M1", "sex": "F"}),
        (schema.student, {**GOOD_STUDENT, "massar_code": "M000000001", "sex": "X"}),
        (schema.student, GOOD_STUDENT),  # duplicate key
        (schema.enrollment, {**GOOD_ENROLLMENT, "school_year": 2024, "grade": "7AEP"}),
        (schema.enrollment, {**GOOD_ENROLLMENT, "school_year": 2024, "outcome": "exclu"}),
        (schema.enrollment, {**GOOD_ENROLLMENT, "school_year": 2024, "annual_average": 21.0}),
        (schema.enrollment, {**GOOD_ENROLLMENT, "school_year": 2024, "annual_average": -1.0}),
        (schema.enrollment, {**GOOD_ENROLLMENT, "school_year": 2024, "school_code": "99999Z"}),
        (schema.enrollment, {**GOOD_ENROLLMENT, "massar_code": "Z999999999"}),
        (schema.enrollment, {**GOOD_ENROLLMENT, "grade": "4AEP"}),  # second row same year
        (schema.exam_result, {"massar_code": "M145092428", "school_year": 2023, "exam": "DELF",
                              "score": 12.0, "passed": True}),
        (schema.exam_result, {"massar_code": "M145092428", "school_year": 2023, "exam": "CEP",
                              "score": 20.5, "passed": True}),
        (schema.commune, {"code": "141.1.6", "province_code": "141", "name_fr": "X",
                          "name_ar": "س", "milieu": "periurbain"}),
    ],
)
def test_bad_rows_are_rejected(engine, table, row):
    with pytest.raises(sa.exc.DBAPIError):
        _insert(engine, table, row)
