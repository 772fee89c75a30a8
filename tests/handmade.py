"""A handmade schooling database: every row written out, so every number is checkable by hand.

The whole geography (12 regions, 75 provinces, 1,689 communes) is loaded as in production,
but pupils attend only seven schools in four communes of three provinces and two regions:

========  ==========  ========  ======  ==========  =======  ======  =============
school    commune     province  region  cycle       sector   milieu  years open
========  ==========  ========  ======  ==========  =======  ======  =============
10001F    141.1.1     141       6       primaire    public   urbain  2023, 2024
10002F    141.1.1     141       6       college     prive    urbain  2023, 2024
10003F    141.1.3     141       6       qualifiant  public   urbain  2023, 2024
10004F    461.3.9     461       6       primaire    public   rural   2024
10005F    461.3.9     461       6       college     public   rural   2024
10006A    511.1.7     511       1       primaire    prive    urbain  2023, 2024
10007A    511.1.7     511       1       qualifiant  public   urbain  2023, 2024
========  ==========  ========  ======  ==========  =======  ======  =============

Communes: 141.1.1 Anfa and 141.1.3 El Maarif (Casablanca, urbain), 461.3.9 Mniaa (Settat,
rural), 511.1.7 Tanger-Médina (Tanger-Assilah, urbain).

Counts per school and year, read off the rows below (girls = pupils of sex F; promoted =
promu + diplome; averages = non-null annual averages, their count and sum; exams as
candidates/passed):

======  ====  ========  =====  =====  ======  ======  =============  ===  ===  ===
school  year  enrolled  girls  drops  repeat  promot  averages       CEP  REG  BAC
======  ====  ========  =====  =====  ======  ======  =============  ===  ===  ===
10001F  2024  6         3      1      2       3       5, 60.5        4/2  -    -
10002F  2024  4         2      0      1       3       3, 42.5        -    3/2  -
10003F  2024  5         3      1      1       3       4, 51.5        -    -    3/2
10004F  2024  5         3      2      1       2       3, 31.0        2/1  -    -
10005F  2024  4         2      1      1       2       3, 30.0        -    2/1  -
10006A  2024  4         2      0      0       4       4, 66.0        2/2  -    -
10007A  2024  4         2      1      1       2       3, 36.0        -    -    2/1
total   2024  32        17     6      7       19      25, 317.5      8/5  5/3  5/3
10001F  2023  5         3      0      1       4       4, 49.0        2/1  -    -
10002F  2023  3         1      0      1       2       3, 36.5        -    2/1  -
10003F  2023  4         2      1      1       2       3, 34.5        -    -    2/1
10006A  2023  3         2      0      0       3       2, 33.5        1/1  -    -
10007A  2023  2         1      0      0       2       2, 27.0        -    -    1/1
total   2023  17        9      1      3       13      14, 180.5      3/2  2/1  3/2
======  ====  ========  =====  =====  ======  ======  =============  ===  ===  ===
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from dashboard.data import schema
from dashboard.data.build import build
from dashboard.data.geography import load_geography
from dashboard.db import make_engine
from tests.backends import DUCKDB, Backend

SCHOOL_COLUMNS = ("code", "name", "commune_code", "cycle", "sector", "milieu", "latitude",
                  "longitude")
SCHOOLS = [
    ("10001F", "École Al Massira - Anfa", "141.1.1", "primaire", "public", "urbain",
     33.5912, -7.6604),
    ("10002F", "Collège privé Ibn Sina - Anfa", "141.1.1", "college", "prive", "urbain",
     33.5871, -7.6512),
    ("10003F", "Lycée Moulay Idriss - El Maarif", "141.1.3", "qualifiant", "public", "urbain",
     33.5734, -7.6389),
    ("10004F", "École Al Amal - Mniaa", "461.3.9", "primaire", "public", "rural",
     32.9021, -7.4218),
    ("10005F", "Collège Al Wahda - Mniaa", "461.3.9", "college", "public", "rural",
     32.9107, -7.4135),
    ("10006A", "École privée Al Andalous - Tanger-Médina", "511.1.7", "primaire", "prive",
     "urbain", 35.7846, -5.8128),
    ("10007A", "Lycée Ibn Battouta - Tanger-Médina", "511.1.7", "qualifiant", "public",
     "urbain", 35.7791, -5.8063),
]

STUDENT_COLUMNS = ("massar_code", "sex", "birth_date")
STUDENTS = [
    ("P000000001", "F", date(2014, 3, 12)),
    ("P000000002", "M", date(2014, 7, 2)),
    ("P000000003", "F", date(2013, 1, 25)),
    ("P000000004", "M", date(2013, 9, 8)),
    ("P000000005", "F", date(2012, 5, 17)),
    ("P000000006", "M", date(2012, 11, 30)),
    ("P000000007", "F", date(2011, 4, 4)),
    ("P000000008", "F", date(2010, 2, 14)),
    ("P000000009", "M", date(2010, 6, 21)),
    ("P000000010", "M", date(2009, 10, 3)),
    ("P000000011", "F", date(2009, 8, 19)),
    ("P000000012", "M", date(2008, 3, 1)),
    ("P000000013", "F", date(2007, 12, 9)),
    ("P000000014", "M", date(2006, 4, 27)),
    ("P000000015", "F", date(2007, 1, 15)),
    ("P000000016", "F", date(2018, 2, 6)),
    ("P000000017", "M", date(2018, 5, 23)),
    ("P000000018", "F", date(2013, 7, 11)),
    ("P000000019", "M", date(2012, 9, 5)),
    ("P000000020", "F", date(2013, 3, 29)),
    ("P000000021", "M", date(2012, 1, 18)),
    ("P000000022", "F", date(2011, 6, 7)),
    ("P000000023", "F", date(2010, 10, 22)),
    ("P000000024", "M", date(2009, 12, 13)),
    ("J000000025", "F", date(2016, 4, 16)),
    ("J000000026", "M", date(2015, 8, 3)),
    ("J000000027", "F", date(2013, 2, 20)),
    ("J000000028", "M", date(2013, 11, 1)),
    ("J000000029", "M", date(2008, 9, 14)),
    ("J000000030", "F", date(2008, 5, 9)),
    ("J000000031", "F", date(2007, 7, 28)),
    ("J000000032", "M", date(2006, 10, 10)),
    ("P000000033", "F", date(2012, 6, 26)),
    ("P000000034", "M", date(2009, 3, 3)),
    ("P000000035", "M", date(2005, 11, 19)),
    ("P000000036", "F", date(2007, 8, 8)),
    ("J000000037", "F", date(2012, 12, 24)),
    ("J000000038", "M", date(2005, 2, 2)),
]

ENROLLMENT_COLUMNS = ("massar_code", "school_year", "school_code", "grade", "outcome",
                      "annual_average")
ENROLLMENTS = [
    # 2024 ---------------------------------------------------------------------------
    # 10001F primaire public urbain, Anfa
    ("P000000001", 2024, "10001F", "5AEP", "promu", 15.0),
    ("P000000002", 2024, "10001F", "5AEP", "redoublant", 9.0),
    ("P000000003", 2024, "10001F", "6AEP", "promu", 16.0),
    ("P000000004", 2024, "10001F", "6AEP", "promu", 12.0),
    ("P000000005", 2024, "10001F", "6AEP", "redoublant", 8.5),
    ("P000000006", 2024, "10001F", "6AEP", "abandon", None),
    # 10002F college prive urbain, Anfa
    ("P000000007", 2024, "10002F", "2AC", "promu", 14.5),
    ("P000000008", 2024, "10002F", "3AC", "promu", 15.0),
    ("P000000009", 2024, "10002F", "3AC", "promu", 13.0),
    ("P000000010", 2024, "10002F", "3AC", "redoublant", None),
    # 10003F qualifiant public urbain, El Maarif
    ("P000000011", 2024, "10003F", "TC", "promu", 12.0),
    ("P000000012", 2024, "10003F", "1BAC", "abandon", None),
    ("P000000013", 2024, "10003F", "2BAC", "diplome", 14.0),
    ("P000000014", 2024, "10003F", "2BAC", "redoublant", 9.5),
    ("P000000015", 2024, "10003F", "2BAC", "diplome", 16.0),
    # 10004F primaire public rural, Mniaa
    ("P000000016", 2024, "10004F", "1AEP", "promu", 13.0),
    ("P000000017", 2024, "10004F", "1AEP", "abandon", None),
    ("P000000018", 2024, "10004F", "6AEP", "promu", 11.0),
    ("P000000019", 2024, "10004F", "6AEP", "redoublant", 7.0),
    ("P000000020", 2024, "10004F", "6AEP", "abandon", None),
    # 10005F college public rural, Mniaa
    ("P000000021", 2024, "10005F", "1AC", "promu", 10.0),
    ("P000000022", 2024, "10005F", "1AC", "redoublant", 8.0),
    ("P000000023", 2024, "10005F", "3AC", "promu", 12.0),
    ("P000000024", 2024, "10005F", "3AC", "abandon", None),
    # 10006A primaire prive urbain, Tanger-Médina
    ("J000000025", 2024, "10006A", "3AEP", "promu", 17.0),
    ("J000000026", 2024, "10006A", "4AEP", "promu", 16.0),
    ("J000000027", 2024, "10006A", "6AEP", "promu", 18.0),
    ("J000000028", 2024, "10006A", "6AEP", "promu", 15.0),
    # 10007A qualifiant public urbain, Tanger-Médina
    ("J000000029", 2024, "10007A", "TC", "redoublant", 8.0),
    ("J000000030", 2024, "10007A", "1BAC", "promu", 13.0),
    ("J000000031", 2024, "10007A", "2BAC", "diplome", 15.0),
    ("J000000032", 2024, "10007A", "2BAC", "abandon", None),
    # 2023 (10004F and 10005F had no pupils yet) -------------------------------------
    # 10001F
    ("P000000002", 2023, "10001F", "4AEP", "promu", None),
    ("P000000003", 2023, "10001F", "5AEP", "promu", 15.0),
    ("P000000004", 2023, "10001F", "5AEP", "promu", 11.0),
    ("P000000005", 2023, "10001F", "6AEP", "redoublant", 9.0),
    ("P000000033", 2023, "10001F", "6AEP", "promu", 14.0),
    # 10002F
    ("P000000008", 2023, "10002F", "2AC", "promu", 14.0),
    ("P000000010", 2023, "10002F", "3AC", "redoublant", 9.0),
    ("P000000034", 2023, "10002F", "3AC", "promu", 13.5),
    # 10003F
    ("P000000013", 2023, "10003F", "1BAC", "promu", 13.0),
    ("P000000014", 2023, "10003F", "2BAC", "redoublant", 9.0),
    ("P000000035", 2023, "10003F", "2BAC", "diplome", 12.5),
    ("P000000036", 2023, "10003F", "1BAC", "abandon", None),
    # 10006A
    ("J000000027", 2023, "10006A", "5AEP", "promu", 17.5),
    ("J000000028", 2023, "10006A", "5AEP", "promu", None),
    ("J000000037", 2023, "10006A", "6AEP", "promu", 16.0),
    # 10007A
    ("J000000031", 2023, "10007A", "1BAC", "promu", 14.0),
    ("J000000038", 2023, "10007A", "2BAC", "diplome", 13.0),
]

EXAM_COLUMNS = ("massar_code", "school_year", "exam", "score", "passed")
EXAM_RESULTS = [
    # 2024: CEP in 10001F, 10004F, 10006A; REG in 10002F, 10005F; BAC in 10003F, 10007A
    ("P000000003", 2024, "CEP", 15.5, True),
    ("P000000004", 2024, "CEP", 11.0, True),
    ("P000000005", 2024, "CEP", 7.25, False),
    ("P000000006", 2024, "CEP", 6.0, False),
    ("P000000008", 2024, "REG", 14.0, True),
    ("P000000009", 2024, "REG", 12.5, True),
    ("P000000010", 2024, "REG", 8.0, False),
    ("P000000013", 2024, "BAC", 13.0, True),
    ("P000000014", 2024, "BAC", 8.0, False),
    ("P000000015", 2024, "BAC", 15.0, True),
    ("P000000018", 2024, "CEP", 10.5, True),
    ("P000000019", 2024, "CEP", 6.5, False),
    ("P000000023", 2024, "REG", 11.0, True),
    ("P000000024", 2024, "REG", 5.0, False),
    ("J000000027", 2024, "CEP", 17.5, True),
    ("J000000028", 2024, "CEP", 14.0, True),
    ("J000000031", 2024, "BAC", 14.5, True),
    ("J000000032", 2024, "BAC", 7.0, False),
    # 2023
    ("P000000005", 2023, "CEP", 8.0, False),
    ("P000000033", 2023, "CEP", 13.0, True),
    ("P000000010", 2023, "REG", 8.5, False),
    ("P000000034", 2023, "REG", 12.0, True),
    ("P000000014", 2023, "BAC", 7.5, False),
    ("P000000035", 2023, "BAC", 11.0, True),
    ("J000000037", 2023, "CEP", 15.0, True),
    ("J000000038", 2023, "BAC", 12.0, True),
]


def _records(columns: tuple[str, ...], rows: list[tuple]) -> list[dict]:
    return [dict(zip(columns, row, strict=True)) for row in rows]


def make_handmade_database(folder: Path, backend: Backend | None = None,
                           name: str = "handmade", students: list[tuple] = STUDENTS,
                           enrollments: list[tuple] = ENROLLMENTS,
                           exams: list[tuple] = EXAM_RESULTS) -> str:
    """Create, fill and build the handmade database (its schools, with these pupils);
    return its URL."""
    url = (backend or Backend(DUCKDB)).database_url(folder, name)
    engine = make_engine(url)
    geography = load_geography()
    schema.metadata.create_all(engine)
    with engine.begin() as conn:
        for table, frame in (
            (schema.region, geography.regions),
            (schema.province, geography.provinces),
            (schema.commune, geography.communes),
        ):
            conn.execute(table.insert(), frame[[c.name for c in table.columns]].to_dict("records"))
        conn.execute(schema.school.insert(), _records(SCHOOL_COLUMNS, SCHOOLS))
        conn.execute(schema.student.insert(), _records(STUDENT_COLUMNS, students))
        conn.execute(schema.enrollment.insert(), _records(ENROLLMENT_COLUMNS, enrollments))
        if exams:
            conn.execute(schema.exam_result.insert(), _records(EXAM_COLUMNS, exams))
    build(engine)
    engine.dispose()
    return url
