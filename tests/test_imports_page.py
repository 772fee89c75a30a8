"""The Imports page's callbacks, posted by hand: forged import numbers are refused, the
Excel file of rejected rows keeps formulas as text, numbers print the French way."""

from __future__ import annotations

import base64
import io
import json
import logging
import re
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from dashboard.cli import main
from tests.conftest import client_as, make_app, query
from tests.test_forged_callbacks import body, post
from tests.test_import import EXAMS, PUPILS, SCHOOLS, extract
from tests.test_import_api import BAD_PUPILS, BAD_SCHOOLS, environment

THIN_SPACE = "\u202f"  # the French thousands separator

#: A pupil of province 141 whose sex reads as a formula: rejected (bad_sex), kept as text.
FORMULA_PUPIL = "2024-2025,A100000014,=1+1,2014-02-02,90001A,5AEP,promu,11"
SELECTION = ("imports-selection", "data")
REJECTS_OUTPUT = "imports-rejects-grid.rowData"
DOWNLOAD_OUTPUT = "imports-download.data"


def imports_database(folder: Path, backend) -> str:
    """Return the URL of a database filled by importing one hand-written extract (schools,
    pupils and exams, each with rejected rows), then built."""
    from dashboard.data.geography import load_geography

    communes = load_geography().communes
    far = str(communes[communes["province_code"] == "81"]["code"].iloc[0])
    url = backend.database_url(folder, "pilotage_imports_page")
    files = extract(folder / "extract", far, schools=[*SCHOOLS, *BAD_SCHOOLS],
                    pupils=[*PUPILS, *BAD_PUPILS, FORMULA_PUPIL],
                    exams=[*EXAMS, "2024-2025,A199999999,CEP,12,oui"])
    with environment(PILOTAGE_DATABASE_URL=url, PILOTAGE_DATA_DIR=str(folder / "data")):
        assert main(["import", str(files)]) == 0
    return url


@pytest.fixture(scope="module")
def database(backend, tmp_path_factory) -> str:
    return imports_database(tmp_path_factory.mktemp("imports-page"), backend)


@pytest.fixture(scope="module")
def app(database, backend, tmp_path_factory):
    return make_app(database, tmp_path_factory.mktemp("imports-page-data"), backend)


@pytest.fixture(scope="module")
def batches(app, database) -> dict[str, int]:
    """Import numbers by file name, read with plain SQL."""
    from dashboard.db import make_engine

    engine = make_engine(database, read_only=True)
    try:
        return dict(query(engine, "SELECT file_name, id FROM import_batch"))
    finally:
        engine.dispose()


def callback_key(app, output: str) -> str:
    (key,) = [key for key, spec in app.callback_map.items()
              if output in key and "callback" in spec]
    return key


def request_for(app, output: str, **values) -> dict:
    """Return the request the page posts for the callback of ``output``."""
    key = callback_key(app, output)
    return body(key, app.callback_map[key], {SELECTION: values.pop("selection", None),
                                             ("imports-xlsx", "n_clicks"): 1, **values})


def assert_refused(response) -> None:
    """A 400 refusal naming the parameter, with no number and no traceback."""
    text = response.get_data(as_text=True)
    assert response.status_code == 400, (response.status_code, text[:300])
    assert json.loads(text) == {"error": {"parameter": "batch",
                                          "message": "Requête non valide."}}
    assert not re.search(r"[0-9]", text)


@pytest.mark.parametrize("output", [REJECTS_OUTPUT, DOWNLOAD_OUTPUT])
@pytest.mark.parametrize("forged", ["1", 1.5, True, [1], {"id": 1}, -1, 0, 2**40, 99999])
def test_a_forged_import_number_is_refused(app, output, forged, caplog):
    caplog.set_level(logging.INFO)
    response = post(client_as(app, "national"), request_for(app, output, selection=forged))
    assert_refused(response)
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


@pytest.mark.parametrize("output", [REJECTS_OUTPUT, DOWNLOAD_OUTPUT])
def test_an_import_of_another_territory_is_refused(app, batches, output):
    """Province 81 has no pupil who sat an exam, region 1 no school at all in the extract."""
    exams, pupils = batches["examens_2024.csv"], batches["eleves_2024.csv"]
    for username, number in (("province81", exams), ("region1", pupils), ("region1", exams)):
        assert_refused(post(client_as(app, username),
                            request_for(app, output, selection=number)))
    answer = post(client_as(app, "province81"), request_for(app, REJECTS_OUTPUT,
                                                            selection=pupils))
    assert answer.status_code == 200


def rows_answered(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_json()["response"]["imports-rejects-grid"]["rowData"]


def test_each_user_reads_the_rejects_of_their_schools(app, batches):
    pupils = batches["eleves_2024.csv"]
    national = rows_answered(post(client_as(app, "national"),
                                  request_for(app, REJECTS_OUTPUT, selection=pupils)))
    assert [(r["line"], r["reason"], r["value"], r["school_code"]) for r in national] == [
        (7, "bad_sex", "X", "90001A"), (8, "bad_date", "2014-02-31", "90003B"),
        (9, "unknown_school", "77777Z", "77777Z"), (10, "bad_sex", "=1+1", "90001A")]
    mine = rows_answered(post(client_as(app, "province141"),
                              request_for(app, REJECTS_OUTPUT, selection=pupils)))
    assert [r["line"] for r in mine] == [7, 10]


def test_the_excel_file_keeps_a_formula_as_text(app, batches):
    pupils = batches["eleves_2024.csv"]
    answer = post(client_as(app, "province141"),
                  request_for(app, DOWNLOAD_OUTPUT, selection=pupils))
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    sent = answer.get_json()["response"]["imports-download"]["data"]
    assert sent["filename"] == f"pilotage-import-{pupils}-rejects.xlsx" and sent["base64"]
    book = load_workbook(io.BytesIO(base64.b64decode(sent["content"])))
    sheet = book["Lignes rejetées"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Ligne", "Colonne", "Valeur", "Motif", "Message", "Établissement")
    assert [(r[0], r[2], r[3], r[5]) for r in rows[1:]] == [
        (7, "X", "bad_sex", "90001A"), (10, "=1+1", "bad_sex", "90001A")]
    assert sheet["C3"].data_type == "s"  # text, not a formula
    context = dict(book["Contexte"].iter_rows(values_only=True))
    assert context["Fichier"] == "eleves_2024.csv" and context["Lignes rejetées"] == 2
    assert context["Périmètre"] == "Province Casablanca"


def test_the_list_prints_counts_the_french_way():
    from layouts.imports import batches_table, reason_bars

    frame = pd.DataFrame([{
        "id": 4, "imported_at": pd.Timestamp("2025-03-01 09:05"), "username": "saisie",
        "file_name": "eleves_2024.csv", "table_name": "eleves", "school_year": 2024,
        "rows_read": 1234567, "rows_accepted": 1222222, "rows_rejected": 12345,
        "rejected_by_reason": {"bad_sex": 12000, "bad_date": 345}}])
    text = json.dumps(batches_table(frame, 4).to_plotly_json(), default=lambda c:
                      c.to_plotly_json(), ensure_ascii=False)
    for shown in ("1\u202f234\u202f567", "1\u202f222\u202f222", "12\u202f345",
                  "1er mars 2025 à 09:05", "2024-2025", "Élèves", "/imports?batch=4"):
        assert shown in text, shown
    assert THIN_SPACE in text and '"aria-current": "true"' in text
    bars = json.dumps(reason_bars({"bad_date": 345, "bad_sex": 12000}).to_plotly_json(),
                      default=lambda c: c.to_plotly_json(), ensure_ascii=False)
    assert bars.index("bad_sex") < bars.index("bad_date")  # the largest first
    assert "Sexe non reconnu" in bars and "12\u202f000 lignes" in bars
