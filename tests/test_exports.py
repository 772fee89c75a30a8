"""Exports: images with their title and source, files with the API's numbers, clean refusals.

Numbers in CSV and Excel files are checked against the read API (``/api/v1/children``
and ``/api/v1/indicators``), figures against the callbacks that draw the screen.
"""

from __future__ import annotations

import csv
import io
import json
import logging

import pypdf
import pytest
from openpyxl import load_workbook

import exports.renderer as renderer
from callbacks.panels import DRAW
from dashboard import indicators
from dashboard.urls import View
from exports.charts import DATA_ONLY, SCHOOL_CHARTS, UNIT_CHARTS, chart_export
from exports.naming import export_filename
from exports.tables import to_csv
from panels.base import is_exam
from queries import NATIONAL_SCOPE, Filters
from queries.version import data_version_info
from tests.conftest import bac_candidates_by_commune, printed, query, request_as
from tests.test_callbacks import call

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RATE_CODES = [i.code for i in indicators.INDICATORS if i.is_rate]


@pytest.fixture(scope="session", autouse=True)
def stop_renderer():
    """Stop the chart renderer's Chromium when the session ends."""
    yield
    renderer.stop()


@pytest.fixture(scope="module")
def lycee(tiny_engine) -> tuple[str, str]:
    """A school with bac candidates, and its commune."""
    sql = "SELECT code, commune_code FROM school WHERE cycle = 'qualifiant' ORDER BY code LIMIT 1"
    return query(tiny_engine, sql)[0]


def png_size(content: bytes) -> tuple[int, int]:
    """Return the width and height written in a PNG's IHDR chunk."""
    assert content[:8] == PNG_SIGNATURE and content[12:16] == b"IHDR"
    return int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")


def attachment(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=")
    return disposition.removeprefix("attachment; filename=")


def refused(response, status: int, parameter: str | None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    assert "Content-Disposition" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    error = response.get_json()["error"]
    assert error.get("parameter") == parameter
    assert error["message"]
    return error


def read_csv(content: bytes, delimiter: str = ",") -> list[dict]:
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig")), delimiter=delimiter))


def number(text: str, comma: bool = False) -> float | None:
    if text == "":
        return None
    return float(text.replace(",", ".") if comma else text)


# --- images -------------------------------------------------------------------------------


def test_png_is_twice_the_requested_size(client):
    response = client.get("/export/chart/map.png", query_string={"level": "region", "code": "6"})
    assert response.mimetype == "image/png"
    assert attachment(response) == "abandon_region-06_2024-2025.png"
    assert png_size(response.data) == (2400, 1350)
    small = client.get("/export/chart/trend-chart.png", query_string={
        "level": "province", "code": "141", "width": "800", "height": "450"})
    assert png_size(small.data) == (1600, 900)


def test_svg_carries_title_filters_and_source(client):
    response = client.get("/export/chart/trend-chart.svg", query_string={
        "level": "province", "code": "141", "year": "2023", "cycle": "college"})
    assert response.mimetype == "image/svg+xml"
    text = response.get_data(as_text=True)
    assert text.startswith("<svg")
    assert "Taux d’abandon par année scolaire — Province Casablanca" in text
    assert "d'abandon" not in text and "d&#39;" not in text  # typographic, as on screen
    assert "Année scolaire 2023-2024 · Collège" in text
    assert "Source : Pilotage, base de scolarité, données du" in text
    assert "(version 1)" in text
    assert "topojsonURL" not in text and "cdn" not in text.lower()


def test_pdf_holds_the_title_as_text(client):
    response = client.get("/export/chart/map.pdf", query_string={
        "level": "region", "code": "6", "indicator": "success_rate_BAC", "sector": "public"})
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert attachment(response) == "reussite-bac_region-06_public_2024-2025.pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.data))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Réussite au baccalauréat — Région Casablanca-Settat" in text
    assert "Année scolaire 2024-2025 · Public" in text


@pytest.mark.parametrize("chart", [c for c in UNIT_CHARTS if c not in DATA_ONLY])
def test_every_chart_of_a_unit_page_renders(client, chart):
    response = client.get(f"/export/chart/{chart}.png", query_string={
        "level": "province", "code": "141", "indicator": "girls_share"})
    attachment(response)
    assert png_size(response.data) == (2400, 1350)


@pytest.mark.parametrize("chart", [c for c in SCHOOL_CHARTS if c not in DATA_ONLY])
def test_every_chart_of_a_school_page_renders(client, lycee, chart):
    response = client.get(f"/export/chart/{chart}.png", query_string={
        "level": "school", "code": lycee[0], "width": "640", "height": "480"})
    attachment(response)
    assert png_size(response.data) == (1280, 960)


def test_an_empty_selection_still_exports_its_message(client, tiny_engine):
    # a region without schools in the tiny database: the screen says so, so does the image
    (region,), = query(tiny_engine, """
        SELECT code FROM region WHERE code NOT IN (
            SELECT p.region_code FROM school s JOIN commune c ON c.code = s.commune_code
            JOIN province p ON p.code = c.province_code)
        ORDER BY code LIMIT 1""")
    response = client.get("/export/chart/breakdown-grade.svg", query_string={
        "level": "region", "code": region})
    assert "Aucun élève pour cette sélection" in response.get_data(as_text=True)


# --- figures equal the screen's -----------------------------------------------------------


def _traces(figure) -> list[dict]:
    """Return a figure's traces as plain JSON (the layout differs: exports add a frame)."""
    if isinstance(figure, dict):
        return figure["data"]
    return json.loads(figure.to_json())["data"]


SCREEN = {
    "map": DRAW["map"],
    "trend-chart": DRAW["trend-chart"],
    "breakdown-grade": DRAW["breakdown-grade"],
    "breakdown-sex": DRAW["breakdown-sex"],
    "breakdown-milieu": DRAW["breakdown-milieu"],
    "breakdown-sector": DRAW["breakdown-sector"],
    "school-enrollment": DRAW["school-enrollment"],
    "school-outcomes": DRAW["school-outcomes"],
    "school-comparison": DRAW["school-comparison"],
    "school-exams": DRAW["school-exams"],
}


@pytest.mark.parametrize("filters", [{}, {"cycle": "qualifiant", "sex": "F"}, {"year": 2022}])
def test_exported_figures_plot_the_numbers_on_screen(tiny_app, lycee, filters):
    views = [("national", "MA"), ("region", "6"), ("province", "141"), ("commune", lycee[1]),
             ("school", lycee[0])]
    with request_as(tiny_app):
        for level, code in views:
            store = {"level": level, "code": code, "year": 2024, "cycle": "all",
                     "sector": "all", "milieu": "all", "sex": "all",
                     "indicator": "dropout_rate", **filters}
            view = View(level, code, Filters(store["year"], store["cycle"], store["sector"],
                                             store["milieu"], store["sex"]), store["indicator"])
            charts = SCHOOL_CHARTS if level == "school" else UNIT_CHARTS
            for chart in charts:
                if chart not in SCREEN:
                    continue
                screen = call(SCREEN[chart], store, {"level": level, "code": code})
                exported = chart_export(chart, view, NATIONAL_SCOPE).figure
                assert _traces(exported) == _traces(screen), (level, chart, filters)


# --- data files equal the API -------------------------------------------------------------


@pytest.mark.parametrize("params", [
    {"level": "region", "code": "6"},
    {"level": "national", "indicator": "success_rate_BAC", "sex": "F"},
    {"level": "province", "code": "141", "year": "2023", "indicator": "mean_score"},
    {"level": "province", "code": "81", "indicator": "enrollment", "milieu": "rural"},
])
def test_ranking_csv_equals_the_api(client, params):
    indicator = indicators.BY_CODE[params.get("indicator", "dropout_rate")]
    response = client.get("/export/data/ranking.csv", query_string=params)
    assert response.mimetype == "text/csv"
    attachment(response)
    rows = read_csv(response.data)
    api = client.get("/api/v1/children", query_string=params).get_json()
    # an exam ranking lists the units with candidates only: a rate, or a hidden one
    expected = {c["unit"]["code"]: c for c in api["children"]
                if not is_exam(indicator)
                or c["indicators"][indicator.code] is not None
                or indicator.code in c["suppressed"]}
    children, references = rows[:len(expected)], rows[len(expected):]
    assert {row["Code"] for row in children} == set(expected)
    header = printed(indicator.label)
    for row in children:
        entry = expected[row["Code"]]
        value = entry["indicators"][indicator.code]
        assert number(row[header]) == value
        assert int(row["Effectif"]) == entry["indicators"]["enrollment"]
        assert row["Nom"] == entry["unit"]["name_fr"]
        arabic = entry["unit"]["name_ar"]  # the French name stands in where none exists
        assert row["Nom (arabe)"] == ("" if arabic == entry["unit"]["name_fr"] else arabic)
        before = entry["previous_year"][indicator.code]
        change = [c for c in row if c.startswith("Évolution")][0]
        if value is None or before is None or (not indicator.is_rate and not before):
            assert row[change] == ""
        else:
            delta = value - before if indicator.is_rate else value / before - 1
            assert number(row[change]) == pytest.approx(delta, abs=1e-5)
    ranked = [number(row[header]) for row in children if row["Rang"]]
    assert [int(row["Rang"]) for row in children if row["Rang"]] == list(
        range(1, len(ranked) + 1))
    assert ranked == sorted(ranked, reverse=True)
    # unranked: children without pupils (no data, or zero pupils for a count, as in the API)
    empty = "0" if indicator.unit == "count" else ""
    assert all(row[header] == empty for row in children if not row["Rang"])
    # the unit's total and Morocco, as the grid's pinned rows
    own = client.get("/api/v1/indicators", query_string=params).get_json()
    assert references[0]["Nom"] == f"Ensemble : {own['unit']['name_fr']}"
    assert number(references[0][header]) == own["indicators"][indicator.code]
    assert int(references[0]["Effectif"]) == own["indicators"]["enrollment"]
    if params["level"] == "national":
        assert len(references) == 1
    else:
        national = client.get("/api/v1/indicators", query_string={
            **params, "level": "national", "code": ""}).get_json()
        assert references[1]["Nom"] == "Maroc (référence)"
        assert number(references[1][header]) == national["indicators"][indicator.code]


@pytest.mark.parametrize("params", [
    {"level": "province", "code": "141"},
    {"level": "region", "code": "6", "cycle": "college", "sex": "M"},
])
def test_kpis_csv_equals_the_api(client, lycee, params):
    for query_string in (params, {"level": "school", "code": lycee[0]}):
        rows = read_csv(client.get("/export/data/kpis.csv", query_string=query_string).data)
        api = client.get("/api/v1/indicators", query_string=query_string).get_json()
        year = api["filters"]["year"]
        assert [row["Code"] for row in rows] == [i.code for i in indicators.OF_PUPILS]
        for row in rows:
            assert number(row[f"{year}-{year + 1}"]) == api["indicators"][row["Code"]]
            assert number(row[f"{year - 1}-{year}"]) == api["previous_year"][row["Code"]]


def test_semicolon_csv_is_for_a_french_excel(client):
    params = {"level": "region", "code": "6"}
    response = client.get("/export/data/ranking.csv", query_string={**params,
                                                                     "sep": "semicolon"})
    content = response.data
    first_line = content.decode("utf-8-sig").splitlines()[0]
    assert first_line.startswith("Rang;Code;Nom;")
    rows = read_csv(content, delimiter=";")
    api = client.get("/api/v1/children", query_string=params).get_json()
    value = next(c for c in api["children"] if c["unit"]["code"] == "141")
    row = next(r for r in rows if r["Code"] == "141")
    assert "," in row["Taux d’abandon"] and "." not in row["Taux d’abandon"]
    assert number(row["Taux d’abandon"], comma=True) == value["indicators"]["dropout_rate"]
    kpis = read_csv(client.get("/export/data/kpis.csv", query_string={
        **params, "sep": "semicolon"}).data, delimiter=";")
    score = next(r for r in kpis if r["Code"] == "mean_score")
    assert "," in score["2024-2025"]


def test_xlsx_holds_the_api_numbers_with_formats_and_context(client):
    # a filtered view whose cards are all shown (tests/test_differencing.py: what hides)
    params = {"level": "province", "code": "141", "sex": "M"}
    response = client.get("/export/data/kpis.xlsx", query_string=params)
    assert response.mimetype == XLSX_TYPE
    assert attachment(response) == "province-141_garcons_2024-2025_indicateurs.xlsx"
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Données", "Contexte"]
    data = book["Données"]
    assert data.freeze_panes == "A2"
    header = [cell.value for cell in data[1]]
    assert header[:3] == ["Code", "Indicateur", "Unité"]
    api = client.get("/api/v1/indicators", query_string=params).get_json()
    formats = {"count": "#,##0", "rate": "0.0%", "score": "0.00"}
    seen = set()
    for code_cell, _label, unit_cell, value, previous, _change in data.iter_rows(min_row=2):
        code = code_cell.value
        seen.add(code)
        assert value.value == api["indicators"][code]
        assert previous.value == api["previous_year"][code]
        if value.value is not None:
            assert value.number_format == formats[unit_cell.value]
            assert isinstance(value.value, int if unit_cell.value == "count" else float)
    assert seen == {i.code for i in indicators.OF_PUPILS}
    assert data["C2"].value == "count" and data["D2"].number_format == "#,##0"
    assert 0 <= data["D4"].value <= 1  # the dropout rate stays a fraction
    assert data.column_dimensions["B"].width > 10

    context = {row[0]: row[1] for row in book["Contexte"].iter_rows(values_only=True)
               if row[0]}
    assert context["Unité"] == "Casablanca"
    assert context["Cycle"] == "Tous les cycles" and context["Sexe"] == "Garçons"
    assert context["Secteur"] == "Public et privé"
    assert context["Année scolaire"] == "2024-2025"
    assert context["Version des données"] == 1
    assert context["Données construites le"] == data_version_info_for(client)["built_at"].replace(
        microsecond=0)
    assert context["Exporté le"] is not None
    for indicator in indicators.INDICATORS:
        assert context[indicator.code] == printed(indicator.label)


def data_version_info_for(client) -> dict:
    with client.application.test_request_context("/"):
        return data_version_info()


def test_xlsx_ranking_formats_rates_counts_and_changes(client):
    params = {"level": "region", "code": "6", "indicator": "repetition_rate"}
    book = load_workbook(io.BytesIO(client.get("/export/data/ranking.xlsx",
                                               query_string=params).data))
    sheet = book["Données"]
    header = [cell.value for cell in sheet[1]]
    # an outcome rate's base: the pupils whose result is known
    assert header == ["Rang", "Code", "Nom", "Nom (arabe)", "Taux de redoublement",
                      "Résultats connus", "Évolution (points)", "Effectif"]
    api = client.get("/api/v1/children", query_string=params).get_json()
    by_code = {c["unit"]["code"]: c["indicators"] for c in api["children"]}
    known = {c["unit"]["code"]: c["known_outcomes"] for c in api["children"]}
    row = next(r for r in sheet.iter_rows(min_row=2) if r[1].value == "141")
    assert row[0].value == 1 and row[0].number_format == "0"
    assert row[4].value == by_code["141"]["repetition_rate"] and row[4].number_format == "0.0%"
    assert row[5].value == known["141"] and row[5].number_format == "#,##0"
    assert row[7].value == by_code["141"]["enrollment"] and row[7].number_format == "#,##0"
    # the change of a rate, in points as the header says (not a percentage)
    previous = api_previous(client, params)["141"]["repetition_rate"]
    assert row[6].number_format == '+0.0" pt";-0.0" pt";0.0" pt"'
    assert row[6].value == pytest.approx((by_code["141"]["repetition_rate"] - previous) * 100,
                                         abs=1e-3)


def test_data_files_list_the_rows_in_the_order_the_screen_sorts(client, tiny_engine):
    """Sorted by pupils, fewest first, as a click on the grid's "Effectif" header does."""
    counts = dict(query(tiny_engine, """
        SELECT c.code, count(e.massar_code) FROM commune c
        LEFT JOIN school s ON s.commune_code = c.code
        LEFT JOIN enrollment e ON e.school_code = s.code AND e.school_year = 2024
        WHERE c.province_code = '141' GROUP BY c.code"""))
    params = {"level": "province", "code": "141", "year": "2024", "sort": "enrollment"}
    book = load_workbook(io.BytesIO(client.get("/export/data/ranking.xlsx",
                                               query_string=params).data))
    rows = [[cell.value for cell in row] for row in book["Données"].iter_rows()]
    pupils = rows[0].index("Effectif")
    children = [row for row in rows[1:] if row[1] in counts]
    assert len(children) == len(counts)
    shown = [row[pupils] for row in children if row[pupils] is not None]
    assert shown == sorted(shown) and len(set(shown)) > 1
    assert all(row[pupils] == counts[row[1]] for row in children if row[pupils] is not None)
    assert [row[pupils] for row in children[len(shown):]] == [None] * (len(children)
                                                                       - len(shown))
    assert [row[1] for row in rows[1 + len(children):]] == ["141", "MA"]  # references below
    descending = read_csv(client.get("/export/data/ranking.csv", query_string={
        **params, "sort": "-enrollment"}).data)
    assert [int(r["Effectif"]) for r in descending if r["Code"] in counts
            and r["Effectif"]] == sorted(shown, reverse=True)
    by_name = read_csv(client.get("/export/data/ranking.csv", query_string={
        **params, "sort": "name"}).data)
    names = [r["Nom"] for r in by_name if r["Code"] in counts]
    # accents and case do not count: "Aîn-Sebaâ" comes before "Al-Fida", as "ain" < "al"
    plain = [n.replace("î", "i").replace("â", "a").replace("é", "e").lower() for n in names]
    assert names[:3] == ["Aîn-Chock", "Aîn-Sebaâ", "Al-Fida"] and plain == sorted(plain)


def api_previous(client, params: dict) -> dict[str, dict]:
    """Return last year's indicators of each child, as the API gives them."""
    api = client.get("/api/v1/children", query_string=params).get_json()
    return {c["unit"]["code"]: c["previous_year"] for c in api["children"]}


def test_xlsx_indicator_cards_give_rate_changes_in_points_and_others_in_percent(client):
    params = {"level": "province", "code": "141"}
    book = load_workbook(io.BytesIO(client.get("/export/data/kpis.xlsx",
                                               query_string=params).data))
    rows = {r[0].value: r for r in book["Données"].iter_rows(min_row=2)}
    api = client.get("/api/v1/indicators", query_string=params).get_json()
    now, before = api["indicators"], api["previous_year"]
    dropout, enrollment = rows["dropout_rate"][5], rows["enrollment"][5]
    assert dropout.number_format == '+0.0" pt";-0.0" pt";0.0" pt"'
    assert dropout.value == pytest.approx((now["dropout_rate"] - before["dropout_rate"]) * 100,
                                          abs=1e-3)
    assert enrollment.number_format == "+0.0%;-0.0%;0.0%"
    assert enrollment.value == pytest.approx(now["enrollment"] / before["enrollment"] - 1,
                                             abs=1e-6)


def test_data_of_a_chart_equals_its_figure(client):
    response = client.get("/export/data/map.csv", query_string={"level": "region", "code": "6"})
    rows = read_csv(response.data)
    api = client.get("/api/v1/children", query_string={"level": "region", "code": "6"})
    expected = {c["unit"]["code"]: c["indicators"]["dropout_rate"]
                for c in api.get_json()["children"]}
    assert {row["Code"]: number(row["Taux d’abandon"]) for row in rows} == expected


def test_data_version_info_reads_the_published_version(tiny_app, tiny_engine):
    (version, built_at), = query(tiny_engine, "SELECT version, built_at FROM data_version "
                                              "ORDER BY version DESC LIMIT 1")
    with tiny_app.server.test_request_context("/"):
        info = data_version_info()
    assert info == {"version": version, "built_at": built_at}


def test_csv_cells_never_become_formulas_nor_exponents():
    import pandas as pd

    from exports.charts import Column

    columns = (Column("name", "Nom", "text"), Column("rate", "Taux", "rate"),
               Column("count", "Effectif", "count"))
    frame = pd.DataFrame([{"name": "=1+1", "rate": 1e-06, "count": 12.0},
                          {"name": "Anfa", "rate": None, "count": None}])
    text = to_csv(frame, columns).decode("utf-8-sig")
    assert text.splitlines() == ["Nom,Taux,Effectif", "'=1+1,0.000001,12", "Anfa,,"]
    french = to_csv(frame, columns, semicolon=True).decode("utf-8-sig")
    assert french.splitlines()[1] == "'=1+1;0,000001;12"


# --- file names ---------------------------------------------------------------------------


def view(level="province", code="141", year=2024, indicator="dropout_rate", **filters) -> View:
    return View(level, code, Filters(year, **filters), indicator)


@pytest.mark.parametrize(("chart", "the_view", "ext", "expected"), [
    ("map", view("region", "6", cycle="college"), "png", "abandon_region-06_college_2024-2025.png"),
    ("trend-chart", view(), "png", "abandon_province-141_2024-2025_tendance.png"),
    ("map", view("national", "MA", indicator="success_rate_CEP"), "svg",
     "reussite-cep_maroc_2024-2025.svg"),
    ("breakdown-grade", view("commune", "141.1.1", 2022, "success_rate_REG", sector="prive",
                             milieu="rural", sex="M"), "xlsx",
     "reussite-reg_commune-141.1.1_prive_rural_garcons_2022-2023_par-niveau.xlsx"),
    ("school-exams", view("school", "10001E"), "pdf",
     "etablissement-10001E_2024-2025_examens.pdf"),
    ("kpis", view("region", "11", sex="F"), "csv", "region-11_filles_2024-2025_indicateurs.csv"),
    ("ranking", view("region", "1", indicator="mean_score"), "csv",
     "moyenne_region-01_2024-2025_classement.csv"),
    ("breakdown-sex", view("commune", "Fès/../é x\"; y"), "png",
     "abandon_commune-Fes-..-e-x-y_2024-2025_par-sexe.png"),
])
def test_export_filename(chart, the_view, ext, expected):
    name = export_filename(chart, the_view, ext)
    assert name == expected
    assert name.isascii()


@pytest.mark.parametrize(("path", "params", "expected"), [
    ("chart/map.svg", {"level": "region", "code": "6", "cycle": "college"},
     "abandon_region-06_college_2024-2025.svg"),
    ("chart/trend-chart.png", {"level": "province", "code": "141", "year": "2024"},
     "abandon_province-141_2024-2025_tendance.png"),
    ("data/breakdown-sex.csv", {"level": "national", "indicator": "girls_share", "sex": "M",
                                "sep": "semicolon"},
     "filles_maroc_garcons_2024-2025_par-sexe.csv"),
    ("data/ranking.xlsx", {"level": "province", "code": "81", "year": "2021",
                           "indicator": "promotion_rate", "milieu": "urbain"},
     "promotion_province-81_urbain_2021-2022_classement.xlsx"),
])
def test_content_disposition(client, path, params, expected):
    response = client.get(f"/export/{path}", query_string=params)
    assert response.headers["Content-Disposition"] == f"attachment; filename={expected}"


# --- refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "params", "status", "parameter"), [
    ("chart/nope.png", {"level": "region", "code": "6"}, 404, "chart"),
    ("data/nope.csv", {"level": "region", "code": "6"}, 404, "chart"),
    ("chart/map.gif", {"level": "region", "code": "6"}, 400, "format"),
    ("data/ranking.json", {"level": "region", "code": "6"}, 400, "format"),
    ("data/map.png", {"level": "region", "code": "6"}, 400, "format"),
    ("chart/ranking.png", {"level": "region", "code": "6"}, 404, "chart"),
    ("chart/map.png", {"level": "region", "code": "6", "year": "1999"}, 400, "year"),
    ("chart/map.png", {"level": "region", "code": "6", "year": "２０２４"}, 400, "year"),
    ("chart/map.png", {"level": "province", "code": "141' OR '1'='1"}, 400, "code"),
    ("data/kpis.csv", {"level": "province", "code": "141;DROP TABLE unit"}, 400, "code"),
    ("chart/map.png", {"level": "province", "code": "9999"}, 404, "code"),
    ("chart/map.png", {"code": "6"}, 400, "level"),
    ("chart/map.png", {"level": "planet", "code": "6"}, 400, "level"),
    ("chart/map.png", {"level": "region"}, 400, "code"),
    ("chart/map.png", {"level": "region", "code": "6", "sex": "X"}, 400, "sex"),
    ("chart/map.png", {"level": "region", "code": "6", "indicator": "iq"}, 400, "indicator"),
    ("chart/map.png", {"level": "region", "code": "6", "width": "99999"}, 400, "width"),
    ("chart/map.png", {"level": "region", "code": "6", "height": "-1"}, 400, "height"),
    ("data/ranking.csv", {"level": "region", "code": "6", "sep": "tab"}, 400, "sep"),
    ("data/ranking.csv", {"level": "region", "code": "6", "sort": "salary"}, 400, "sort"),
    ("chart/school-exams.png", {"level": "region", "code": "6"}, 404, "chart"),
    ("data/breakdown-grade.csv", {"level": "school", "code": "10001F"}, 404, "chart"),
    ("data/ranking.csv", {"level": "school", "code": "10001F"}, 404, "chart"),
    ("chart/map", {"level": "region", "code": "6"}, 404, None),
])
def test_bad_requests_are_refused_as_json(client, path, params, status, parameter):
    refused(client.get(f"/export/{path}", query_string=params), status, parameter)


def test_out_of_scope_is_forbidden(client, monkeypatch):
    import exports.routes as routes
    from queries import Scope

    monkeypatch.setattr(routes, "current_scope", lambda: Scope("province", "81"))
    refused(client.get("/export/data/kpis.csv", query_string={
        "level": "province", "code": "141"}), 403, "code")
    attachment(client.get("/export/data/kpis.csv", query_string={
        "level": "province", "code": "81"}))


def test_a_failing_renderer_answers_503_and_recovers(client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("chromium went away")

    params = {"level": "province", "code": "141"}
    monkeypatch.setattr(renderer.kaleido, "calc_fig_sync", broken)
    error = refused(client.get("/export/chart/map.png", query_string=params), 503, None)
    assert "rendu" in error["message"]
    monkeypatch.undo()
    response = client.get("/export/chart/map.png", query_string=params)
    attachment(response)
    assert png_size(response.data) == (2400, 1350)


def test_each_export_is_logged(client, caplog):
    with caplog.at_level(logging.INFO, logger="pilotage.exports"):
        client.get("/export/data/kpis.csv", query_string={"level": "region", "code": "6",
                                                          "cycle": "primaire"})
    record = next(r for r in caplog.records if r.name == "pilotage.exports")
    message = record.getMessage()
    assert "kpis.csv" in message and "region 6" in message and "primaire" in message


def test_an_exam_ranking_lists_only_units_with_candidates_and_shows_them(client, tiny_engine):
    """Plain SQL over the raw tables: the communes of province 141 whose pupils of 2024 sat
    the bac, and how many did."""
    sat = bac_candidates_by_commune(tiny_engine, "141", 2024)
    (communes,), = query(tiny_engine,
                         "SELECT count(*) FROM commune WHERE province_code = '141'")
    assert 0 < len(sat) < communes, "province 141 needs communes with and without the bac"
    params = {"level": "province", "code": "141", "year": "2024",
              "indicator": "success_rate_BAC"}
    rows = read_csv(client.get("/export/data/ranking.csv", query_string=params).data)
    children = rows[:len(sat)]
    assert {row["Code"] for row in rows[:len(sat)]} == set(sat)
    assert len(rows) == len(sat) + 2  # the candidates' communes, the province and Maroc
    for row in children:
        assert row["Candidats"] in (str(sat[row["Code"]]), "")  # a hidden count: empty
    assert any(row["Candidats"] == str(sat[row["Code"]]) for row in children)


def test_a_region_ranks_its_communes_in_files(client, tiny_engine):
    """Plain SQL: every commune of region 6 and its pupils of 2024."""
    communes = dict(query(tiny_engine, """
        SELECT c.code, count(e.massar_code) FROM commune c
        JOIN province p ON p.code = c.province_code
        LEFT JOIN school s ON s.commune_code = c.code
        LEFT JOIN enrollment e ON e.school_code = s.code AND e.school_year = 2024
        WHERE p.region_code = '6' GROUP BY c.code"""))
    (provinces,), = query(tiny_engine, "SELECT count(*) FROM province WHERE region_code = '6'")
    assert len(communes) > provinces  # more communes than the region's own children
    params = {"level": "region", "code": "6", "year": "2024", "rank": "commune"}
    rows = read_csv(client.get("/export/data/ranking.csv", query_string=params).data)
    listed = rows[:len(communes)]
    assert {row["Code"] for row in listed} == set(communes)
    assert [row["Code"] for row in rows[len(communes):]] == ["6", "MA"]  # references
    for row in listed:
        assert row["Effectif"] in (str(communes[row["Code"]]), "")  # "" when hidden
    assert any(row["Effectif"] == str(communes[row["Code"]]) and communes[row["Code"]]
               for row in listed)
    bad = client.get("/export/data/ranking.csv", query_string={**params, "rank": "region"})
    assert bad.status_code == 400 and bad.get_json()["error"]["parameter"] == "rank"
