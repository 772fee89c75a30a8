"""The read API of imports: batches and rejected rows, each user seeing their territory."""

from __future__ import annotations

import csv
import io
from contextlib import contextmanager

import pytest

from dashboard.cli import main
from tests.conftest import client_as, make_app
from tests.test_import import EXAMS, PUPILS, SCHOOLS, extract

BAD_PUPILS = [
    "2024-2025,A100000011,X,2014-02-02,90001A,5AEP,promu,11",  # line 7, 141: bad_sex
    "2024-2025,A100000012,F,2014-02-31,90003B,5AEP,promu,11",  # line 8, 81: bad_date
    "2024-2025,A100000013,F,2014-02-02,77777Z,5AEP,promu,11",  # line 9, no school: national
]
BAD_SCHOOLS = ['90010A,"=HYPERLINK(""http://x"")",999.9,primaire,public,urbain,33,-7']


@contextmanager
def environment(**values: str):
    """Set environment variables for a block (module fixtures have no ``monkeypatch``)."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in values.items():
            patch.setenv(name, value)
        yield


@pytest.fixture(scope="module")
def app(backend, tmp_path_factory):
    """An app on a database filled by importing one extract (then built)."""
    from dashboard.data.geography import load_geography

    folder = tmp_path_factory.mktemp("imports")
    communes = load_geography().communes
    far = str(communes[communes["province_code"] == "81"]["code"].iloc[0])
    url = backend.database_url(folder, "pilotage_import_api")
    files = extract(folder / "extract", far, schools=[*SCHOOLS, *BAD_SCHOOLS],
                    pupils=[*PUPILS, *BAD_PUPILS],
                    exams=[*EXAMS, "2024-2025,A199999999,CEP,12,oui"])
    with environment(PILOTAGE_DATABASE_URL=url, PILOTAGE_DATA_DIR=str(folder / "data")):
        assert main(["import", str(files)]) == 0
    return make_app(url, folder / "data", backend)


def get(app, username: str, path: str):
    return client_as(app, username).get(path)


def by_file(payload: dict) -> dict[str, dict]:
    return {entry["file_name"]: entry for entry in payload["imports"]}


def test_a_national_user_sees_every_batch_whole(app):
    batches = by_file(get(app, "national", "/api/v1/imports").get_json())
    assert set(batches) == {"etablissements.csv", "eleves_2024.csv", "examens_2024.csv"}
    pupils = batches["eleves_2024.csv"]
    assert (pupils["rows_read"], pupils["rows_accepted"], pupils["rows_rejected"]) == (8, 5, 3)
    assert pupils["rejected_by_reason"] == {"bad_date": 1, "bad_sex": 1, "unknown_school": 1}
    assert pupils["school_year"] == 2024 and pupils["table_name"] == "eleves"
    rejects = get(app, "national", f"/api/v1/imports/{pupils['id']}/rejects").get_json()
    assert [(r["line"], r["reason"], r["value"]) for r in rejects["rejects"]] == [
        (7, "bad_sex", "X"), (8, "bad_date", "2014-02-31"), (9, "unknown_school", "77777Z")]


def test_a_provincial_user_sees_the_part_of_each_batch_about_their_schools(app):
    national = by_file(get(app, "national", "/api/v1/imports").get_json())
    mine = by_file(get(app, "province141", "/api/v1/imports").get_json())
    pupils = mine["eleves_2024.csv"]
    # province 141: four pupils of 90001A and 90002A accepted, one refused; 81's are not here
    assert (pupils["rows_read"], pupils["rows_accepted"], pupils["rows_rejected"]) == (5, 4, 1)
    assert pupils["rejected_by_reason"] == {"bad_sex": 1}
    rejects = get(app, "province141", f"/api/v1/imports/{pupils['id']}/rejects").get_json()
    assert [(r["line"], r["reason"]) for r in rejects["rejects"]] == [(7, "bad_sex")]
    other = by_file(get(app, "province81", "/api/v1/imports").get_json())["eleves_2024.csv"]
    assert (other["rows_read"], other["rows_rejected"]) == (2, 1)
    # the exam of a pupil enrolled nowhere, and the school of no commune: national only
    exams = national["examens_2024.csv"]
    assert exams["rejected_by_reason"] == {"exam_without_enrollment": 1}
    assert mine["examens_2024.csv"]["rejected_by_reason"] == {}
    schools = national["etablissements.csv"]["id"]
    answer = get(app, "province141", f"/api/v1/imports/{schools}/rejects")
    assert answer.status_code == 200 and answer.get_json()["rejects"] == []


def test_a_batch_of_another_territory_is_not_found(app):
    schools_only = [b for b in get(app, "national", "/api/v1/imports").get_json()["imports"]]
    region1 = get(app, "region1", "/api/v1/imports").get_json()["imports"]
    assert region1 == []  # no school of theirs in this extract
    for entry in schools_only:
        answer = get(app, "region1", f"/api/v1/imports/{entry['id']}/rejects")
        assert answer.status_code == 404 and answer.get_json()["error"]["parameter"] == "batch"


@pytest.mark.parametrize(("path", "status", "parameter"), [
    ("/api/v1/imports/abc/rejects", 400, "batch"),
    ("/api/v1/imports/99999/rejects", 404, "batch"),
    ("/api/v1/imports/1/rejects?format=xml", 400, "format"),
    ("/api/v1/imports?format=pdf", 400, "format"),
])
def test_bad_requests_answer_json_errors(app, path, status, parameter):
    answer = get(app, "national", path)
    assert answer.status_code == status
    assert answer.get_json()["error"]["parameter"] == parameter


def test_rejects_as_csv_keep_formulas_as_text(app):
    schools = by_file(get(app, "national", "/api/v1/imports").get_json())["etablissements.csv"]
    answer = get(app, "national", f"/api/v1/imports/{schools['id']}/rejects?format=csv")
    assert answer.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))
    assert [(r["line"], r["reason"], r["value"]) for r in rows] == [
        ("5", "unknown_commune", "999.9")]
    listing = get(app, "national", "/api/v1/imports?format=csv").get_data(as_text=True)
    assert "eleves_2024.csv" in listing


def test_reading_rejects_is_in_the_audit_log(app):
    from dashboard.app_state import state_of
    from dashboard.web.auth import audit

    client = client_as(app, "province141")
    client.get("/api/v1/imports/1/rejects")
    entries = audit.recent(state_of(app.server).state_engine, 5)
    assert any(e["event"] == "api_read" and "/imports/1/rejects" in (e["detail"] or "")
               for e in entries)


def test_the_extract_format_is_served_to_anyone(app):
    answer = app.server.test_client().get("/datapackage.json")  # no login: it holds no data
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    assert [r["name"] for r in answer.get_json()["resources"]] == [
        "etablissements", "eleves", "examens"]


def test_readers_see_the_old_numbers_or_the_new_during_an_import(backend, app, tmp_path):
    """An import (then its build) while the API is read. PostgreSQL: every answer gives
    the enrollment of the published version before or after, never a mix. DuckDB, from
    another process: either refused in one line (a worker holds the file) with nothing
    changed, or published whole."""
    import threading

    from dashboard.app_state import state_of

    url = str(state_of(app.server).engine.url.render_as_string(hide_password=False))
    client = client_as(app, "national")
    path = "/api/v1/indicators?level=national&year=2025"
    before = client.get(path)
    later = extract(tmp_path / "later", "141.1.1", schools=[], exams=[], year=2025, pupils=[
        f"2025-2026,A2000000{n:02d},F,2015-01-01,90001A,4AEP,promu,12" for n in range(40)])
    (later / "etablissements.csv").unlink()
    if backend.name != "postgresql":  # the workers of a served app are other processes
        import subprocess
        import sys
        from pathlib import Path

        done = subprocess.run(
            [sys.executable, "-m", "dashboard", "import", str(later)], capture_output=True,
            text=True, env={"PILOTAGE_DATABASE_URL": url, "PATH": "/usr/bin"}, timeout=120,
            cwd=Path(__file__).resolve().parent.parent)
        if done.returncode == 2:  # a worker held the file: refused in one line, nothing kept
            assert "open in another process" in done.stderr, done.stderr
            assert client.get(path).status_code == 400
        else:  # the file was free: the new version is published whole
            assert done.returncode == 0 and "Traceback" not in done.stderr
            assert client.get(path).get_json()["indicators"]["enrollment"] == 40
        return
    outcome: dict = {}

    def run_import():
        with environment(PILOTAGE_DATABASE_URL=url):
            outcome["code"] = main(["import", str(later)])

    worker = threading.Thread(target=run_import)
    seen = set()
    worker.start()
    while worker.is_alive():
        answer = client.get(path)
        assert answer.status_code in (200, 400), answer.get_data(as_text=True)[:200]
        if answer.status_code == 200:
            seen.add(answer.get_json()["indicators"]["enrollment"])
    worker.join()
    assert outcome["code"] == 0
    after = client.get(path)
    assert before.status_code == 400  # 2025 is not a school year of the data before
    assert after.status_code == 200 and after.get_json()["indicators"]["enrollment"] == 40
    assert seen <= {40}
