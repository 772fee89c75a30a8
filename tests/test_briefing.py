"""The briefing pack carries the API's numbers, as PowerPoint slides and as PDF pages.

Expected values come from the read API (``/api/v1/indicators`` and ``/children``), the
numbers the screen shows, written with ``dashboard.formatting``; the files are opened with
python-pptx and pypdf, never trusted from the builder's own data.
"""

from __future__ import annotations

import io
import logging
import math

import pytest
from PIL import Image
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pypdf import PdfReader

import exports.briefing_routes as routes
from dashboard import indicators
from dashboard.formatting import format_change, format_count, format_value
from dashboard.urls import View
from dashboard.web import web_params
from exports import renderer
from exports.briefing import briefing_content
from exports.briefing_charts import IMAGE_SCALE, MAP_SIZE, TREND_SIZE
from exports.briefing_files import PPTX_MIMETYPE, briefing_filename
from queries import NATIONAL_SCOPE, Filters, Scope
from queries.database import NOT_BUILT, DataNotReady
from tests.conftest import log_in, printed

REGION = "level=region&code=6&year=2024"
RANKED_COMMUNE = "level=commune&code=571.1.11&year=2024"  # Tétouan: 55 schools
SCHOOL_COMMUNE = "level=commune&code=141.1.21&year=2024"  # Aîn-Sebaâ (Casablanca): 13
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
REGION_TITLES = [
    "Casablanca-Settat",
    "Indicateurs clés",
    "Carte des provinces et préfectures : Taux d’abandon",
    "Évolution : Taux d’abandon",
    "Classement des provinces et préfectures : Taux d’abandon",
    "Scolarisation de la population",
    "Qualité des données",
    "Définitions et sources",
]


@pytest.fixture(scope="session", autouse=True)
def stop_renderer():
    """Stop the shared Chromium once every test has run."""
    yield
    renderer.stop()


@pytest.fixture(scope="module")
def download(tiny_app):
    """Fetch a briefing through the route once per query and keep the answer."""
    client = tiny_app.server.test_client()
    log_in(client)
    answers = {}

    def fetch(fmt: str, query: str):
        if (fmt, query) not in answers:
            response = client.get(f"/export/briefing.{fmt}?{query}")
            assert response.status_code == 200, response.get_data(as_text=True)
            answers[fmt, query] = response
        return answers[fmt, query]

    return fetch


@pytest.fixture(scope="module")
def school(tiny_app) -> dict:
    """A school of Aîn-Sebaâ with pupils in 2024, as the API lists it."""
    client = tiny_app.server.test_client()
    log_in(client)
    entries = client.get(f"/api/v1/children?{SCHOOL_COMMUNE}").json["children"]
    return next(e["unit"] for e in entries if (e["indicators"]["enrollment"] or 0) > 0
                and "enrollment" not in e["previous_year_suppressed"])


def school_query(school: dict) -> str:
    return f"level=school&code={school['code']}&year=2024"


def api(client, route: str, query: str) -> dict:
    response = client.get(f"/api/v1/{route}?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def deck(response):
    return Presentation(io.BytesIO(response.data))


def words(text: str) -> str:
    """Return text with every run of spaces (no-break ones included) as one space."""
    return " ".join(text.split())


def titles(presentation) -> list[str]:
    return [words(slide.shapes.title.text) for slide in presentation.slides]


def tables(slide) -> list:
    return [shape.table for shape in slide.shapes if shape.has_table]


def cells(table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def pictures(slide) -> list:
    return [shape for shape in slide.shapes if shape.shape_type == MSO_SHAPE_TYPE.PICTURE]


def change_text(indicator, current, previous) -> str:
    delta = indicators.change(indicator, math.nan if current is None else current,
                              math.nan if previous is None else previous)
    return format_change(indicator, delta)


def kpi_rows(payload: dict) -> list[list[str]]:
    """Return the indicator table the API's numbers call for."""
    rows = []
    for indicator in indicators.OF_PUPILS:
        current = payload["indicators"][indicator.code]
        previous = payload["previous_year"][indicator.code]
        rows.append([printed(indicator.label), shown(indicator, payload),
                     shown(indicator, payload, "previous_year"),
                     change_text(indicator, current, previous)])
    return rows


def shown(indicator: indicators.Indicator, payload: dict, year: str = "indicators") -> str:
    """Return how an API value reads: formatted, or its small-cell mark if it is hidden."""
    hidden = payload.get("suppressed" if year == "indicators" else f"{year}_suppressed", [])
    small = payload.get("below_threshold" if year == "indicators"
                        else f"{year}_below_threshold", [])
    if indicator.code in hidden:
        return "< 5" if indicator.code in small else "secret"
    return format_value(indicator, payload[year][indicator.code])


def ranked_rows(payload: dict, indicator_code: str = indicators.DEFAULT) -> list[list[str]]:
    """Return the ranking rows the API's children call for: all, or the five at each end."""
    indicator = indicators.BY_CODE[indicator_code]
    entries = sorted(payload["children"], key=lambda e: (
        e["indicators"][indicator.code] is None, -(e["indicators"][indicator.code] or 0)))
    rows, rank = [], 0
    for entry in entries:
        value = entry["indicators"][indicator.code]
        previous = entry["previous_year"][indicator.code]
        rank += value is not None
        rows.append([str(rank) if value is not None else "—", entry["unit"]["name_fr"],
                     format_value(indicator, value), change_text(indicator, value, previous),
                     format_count(entry["indicators"]["enrollment"])])
    if len(rows) <= 12:  # the 12 regions fit on one slide
        return rows
    ranked = [row for row in rows if row[0] != "—"]
    return ranked if len(ranked) <= 12 else ranked[:5] + ranked[-5:]


def ranking_units(table) -> list[list[str]]:
    """Return the ranking table's child rows (no header, section or reference rows)."""
    return [texts for row, texts in zip(table.rows, cells(table), strict=True)
            if not row.cells[0].is_merge_origin and not row.cells[0].is_spanned
            and texts[0] not in ("", "Rang")]


def pdf_pages(response) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages]


def as_extracted(text: str) -> str:
    """Return text as pypdf reads it back: DejaVu draws a no-break space with the space glyph."""
    return text.replace("\xa0", " ")


# --- PowerPoint ---------------------------------------------------------------------------


def test_region_pack_has_its_slides_in_order(download):
    response = download("pptx", REGION)
    presentation = deck(response)
    assert response.mimetype == PPTX_MIMETYPE
    assert presentation.slide_width * 9 == pytest.approx(presentation.slide_height * 16,
                                                         rel=1e-3)
    assert titles(presentation) == REGION_TITLES
    cover = " ".join(shape.text_frame.text for shape in presentation.slides[0].shapes
                     if shape.has_text_frame)
    for expected in ("PILOTAGE", "2024-2025", "الدار البيضاء", "Tous les cycles",
                     "Taux d’abandon"):
        assert expected in cover


def test_kpi_table_shows_the_api_numbers(download, client):
    slide = deck(download("pptx", REGION)).slides[1]
    (table,) = tables(slide)
    rows = cells(table)
    assert rows[0] == ["Indicateur", "2024-2025", "2023-2024", "Évolution"]
    assert rows[1:] == kpi_rows(api(client, "indicators", REGION))


def test_quality_slide_shows_the_quality_api(download, client):
    """The slide's table: one row per check, its findings, examined and rate as the API
    counts them; the note gives the score."""
    from dashboard.data.quality import CHECKS

    slide = deck(download("pptx", REGION)).slides[6]
    (table,) = tables(slide)
    rows = cells(table)
    assert rows[0] == ["Contrôle", "Constats", "Examinés", "Taux"]
    checks = api(client, "quality", REGION)["checks"]
    assert [row[0] for row in rows[1:]] == [printed(check.label) for check in CHECKS]
    for row, check in zip(rows[1:], CHECKS, strict=True):
        assert int(row[1].replace("\u202f", "")) == checks[check.code]["count"], check.code
        assert int(row[2].replace("\u202f", "")) == checks[check.code]["base"], check.code
    note = " ".join(shape.text_frame.text for shape in slide.shapes if shape.has_text_frame)
    assert "Score de qualité des données" in note


def test_schooling_slide_shows_the_apis_rates_and_parity(download, client):
    slide = deck(download("pptx", REGION)).slides[5]
    (table,) = tables(slide)
    rows = cells(table)
    assert rows[0] == ["Taux", "Valeur", "Parité F/G", "Population", "Avertissement"]
    payload = api(client, "indicators", REGION)
    rates = [i for i in indicators.INDICATORS if i.over_population]
    assert [row[0] for row in rows[1:]] == [printed(i.label) for i in rates]
    for row, indicator in zip(rows[1:], rates, strict=True):
        assert row[1] == ("secret" if indicator.code in payload["suppressed"]
                          else format_value(indicator, payload["indicators"][indicator.code]))
        parity = payload["gender_parity_index"][indicator.code]
        assert row[2] == ("secret" if indicator.code in payload["gender_parity_index_suppressed"]
                          else "—" if parity is None else f"{parity:.2f}".replace(".", ","))
        people = round(payload["indicators"][indicator.denominator])
        assert int(row[3].replace("\u202f", "")) == people
        assert row[4] == ("dénominateur douteux"
                          if indicator.code in payload["doubtful_denominator"] else "")


def test_region_ranking_lists_every_province_once(download, client):
    slide = deck(download("pptx", REGION)).slides[4]
    (table,) = tables(slide)
    payload = api(client, "children", REGION)
    assert len(payload["children"]) <= 12
    assert ranking_units(table) == ranked_rows(payload)
    references = {words(row[1]): row[2:] for row in cells(table) if row[0] == "" and row[1]}
    national = api(client, "indicators", "level=national&year=2024")["indicators"]
    rate = indicators.BY_CODE["dropout_rate"]
    assert references["Ensemble : Casablanca-Settat"][0] == format_value(
        rate, api(client, "indicators", REGION)["indicators"]["dropout_rate"])
    assert references["Maroc (référence)"][0] == format_value(rate, national["dropout_rate"])


def test_national_ranking_lists_all_twelve_regions(download, client):
    slide = deck(download("pptx", "level=national&year=2024")).slides[4]
    (table,) = tables(slide)
    payload = api(client, "children", "level=national&year=2024")
    assert len(payload["children"]) == 12
    assert ranking_units(table) == ranked_rows(payload)
    assert len(ranking_units(table)) == 12


def test_commune_ranking_keeps_the_five_highest_and_the_five_lowest(download, client):
    # ranked by enrollment: small-cell suppression hides most schools' dropout rates
    presentation = deck(download("pptx", f"{RANKED_COMMUNE}&indicator=enrollment"))
    assert titles(presentation)[4] == "Classement des établissements : Effectif scolarisé"
    (table,) = tables(presentation.slides[4])
    payload = api(client, "children", RANKED_COMMUNE)
    assert len(payload["children"]) > 12
    expected = ranked_rows(payload, "enrollment")
    assert len(expected) == 10
    assert ranking_units(table) == expected
    sections = [texts[0] for row, texts in zip(table.rows, cells(table), strict=True)
                if row.cells[0].is_merge_origin]
    assert sections == ["Les 5 valeurs les plus élevées", "Les 5 valeurs les plus faibles",
                        "Références"]


def test_the_ranking_slide_follows_the_order_of_the_page(download, client):
    """Sorted by pupils, fewest first: the first and last five in that order, and a note."""
    presentation = deck(download("pptx",
                                 f"{RANKED_COMMUNE}&indicator=enrollment&sort=enrollment"))
    (table,) = tables(presentation.slides[4])
    payload = api(client, "children", RANKED_COMMUNE)
    counts = sorted(entry["indicators"]["enrollment"] for entry in payload["children"]
                    if entry["indicators"]["enrollment"] is not None)
    assert len(counts) > 12
    shown = [int(words(row[4]).replace(" ", "")) for row in ranking_units(table)]
    assert shown == counts[:5] + counts[-5:]
    sections = [texts[0] for row, texts in zip(table.rows, cells(table), strict=True)
                if row.cells[0].is_merge_origin]
    assert sections == ["Les 5 premiers", "Les 5 derniers", "Références"]
    notes = " ".join(words(shape.text_frame.text) for shape in presentation.slides[4].shapes
                     if shape.has_text_frame)
    assert "Trié comme le tableau de la page : Effectif, ordre croissant." in notes


def test_map_and_trend_are_png_pictures_of_the_expected_size(download):
    presentation = deck(download("pptx", REGION))
    for position, size in ((2, MAP_SIZE), (3, TREND_SIZE)):
        (picture,) = pictures(presentation.slides[position])
        assert picture.image.content_type == "image/png"
        assert picture.image.blob.startswith(PNG_SIGNATURE)
        expected = (round(size[0] * IMAGE_SCALE), round(size[1] * IMAGE_SCALE))
        assert Image.open(io.BytesIO(picture.image.blob)).size == expected
    assert not pictures(presentation.slides[1]) and not pictures(presentation.slides[4])


def test_school_pack_compares_the_school_with_its_territory(download, client, school):
    query = school_query(school)
    presentation = deck(download("pptx", query))
    assert titles(presentation) == [
        words(school["name_fr"]), "Indicateurs clés", "L’établissement et son territoire",
        "Évolution : Taux d’abandon", "Qualité des données", "Définitions et sources",
    ]
    (kpis,) = tables(presentation.slides[1])
    assert cells(kpis)[1:] == kpi_rows(api(client, "indicators", query))
    (comparison,) = tables(presentation.slides[2])
    rows = cells(comparison)
    units = [query, SCHOOL_COMMUNE, "level=province&code=141&year=2024", REGION,
             "level=national&year=2024"]
    for column, unit in enumerate(units, start=1):
        payload = api(client, "indicators", unit)
        assert [row[column] for row in rows[1:]] == [
            shown(i, payload) for i in indicators.OF_PUPILS]
    assert rows[0][4] == "Région\nCasablanca-Settat"
    assert len(pictures(presentation.slides[3])) == 1


# --- PDF ----------------------------------------------------------------------------------


def test_region_pdf_has_one_page_per_slide_with_the_same_numbers(download, client):
    response = download("pdf", REGION)
    assert response.mimetype == "application/pdf"
    pages = pdf_pages(response)
    assert len(pages) == len(deck(download("pptx", REGION)).slides)
    for page, title in zip(pages, REGION_TITLES, strict=True):
        assert title in words(page)
    assert "Casablanca-Settat" in pages[0] and "2024-2025" in pages[0]
    for label, value, previous, change in kpi_rows(api(client, "indicators", REGION)):
        assert as_extracted(f"{label}\n{value}\n{previous}\n{change}") in pages[1]
    reader = PdfReader(io.BytesIO(response.data))
    assert reader.pages[0].images, "the Arabic name is drawn as a picture on the cover"
    assert len(reader.pages[2].images) == 1 and len(reader.pages[3].images) == 1


def test_school_pdf_follows_the_slides(download, client, school):
    query = school_query(school)
    pages = pdf_pages(download("pdf", query))
    assert len(pages) == len(deck(download("pptx", query)).slides) == 6
    assert school["name_fr"] in pages[0]
    for label, value, previous, change in kpi_rows(api(client, "indicators", query)):
        assert as_extracted(f"{label}\n{value}\n{previous}\n{change}") in pages[1]
    checks = api(client, "quality", query)["checks"]
    assert as_extracted(printed("Moyenne et résultat contradictoires")) in pages[4]
    missing = checks["missing_outcome"]
    # the page gives the check as the API does: its base, or "secret" where it is hidden
    assert (("secret" in pages[4]) if missing["suppressed"]
            else f"{missing['base']}" in pages[4].replace("\u202f", ""))
    assert any(check["suppressed"] for check in checks.values()) == ("secret" in pages[4])


# --- content and file names ---------------------------------------------------------------


def test_filters_and_indicator_reach_the_content(tiny_app, client):
    view = View("region", "6", Filters(2024, cycle="college", sex="F"), "girls_share")
    with tiny_app.server.test_request_context():
        content = briefing_content(view, NATIONAL_SCOPE)
    query = f"{REGION}&cycle=college&sex=F"
    shown = [[printed(row.indicator.label), row.value, row.previous, row.change]
             for row in content.kpis]
    assert shown == kpi_rows(api(client, "indicators", query))
    assert content.kpi("girls_share").value == "—"
    assert "Collège" in content.filters_text and "Filles" in content.filters_text
    assert [s.kind for s in content.sections] == [
        "cover", "kpis", "map", "trend", "ranking", "schooling", "quality", "definitions"]
    # the pupils' ten indicators, then the three kinds of rates to the population
    assert len(content.definitions) == len(indicators.OF_PUPILS) + 3 == 13
    assert [row[0] for row in content.definitions[-3:]] == [
        "Taux spécifique de scolarisation", "Taux brut de scolarisation",
        "Taux net de scolarisation"]
    assert "version des données n° " in content.sources


@pytest.mark.parametrize(("view", "ext", "expected"), [
    (View("region", "6", Filters(2024, cycle="college")), "pptx",
     "briefing_abandon_region-06_college_2024-2025.pptx"),
    (View("national", "MA", Filters(2023)), "pdf", "briefing_abandon_maroc_2023-2024.pdf"),
    (View("commune", "141.1.1", Filters(2024, sex="F"), "success_rate_BAC"), "pdf",
     "briefing_reussite-bac_commune-141.1.1_filles_2024-2025.pdf"),
    (View("school", "1é/\"x", Filters(2024)), "pptx",
     "briefing_abandon_etablissement-1e-x_2024-2025.pptx"),
])
def test_file_names_are_plain_ascii(view, ext, expected):
    assert briefing_filename(view, ext) == expected
    assert expected.isascii()


def test_download_is_an_uncached_attachment_and_is_logged(tiny_app, caplog):
    client = tiny_app.server.test_client()
    log_in(client)
    with caplog.at_level(logging.INFO, logger="pilotage.exports"):
        response = client.get(f"/export/briefing.pptx?{REGION}&cycle=college")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="briefing_abandon_region-06_college_2024-2025.pptx"')
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Length"] == str(len(response.data))
    assert any(r.name == "pilotage.exports" and "briefing pptx for region 6" in r.getMessage()
               for r in caplog.records)


# --- refusals -----------------------------------------------------------------------------


def assert_refused(response, status: int, parameter: str | None) -> dict:
    assert response.status_code == status
    assert response.mimetype == "application/json"
    assert "Content-Disposition" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    error = response.json["error"]
    assert error.get("parameter") == parameter
    assert error["message"]
    return error


@pytest.mark.parametrize(("query", "parameter"), [
    ("level=region&code=6&year=1999", "year"),
    ("level=region&code=6&year=２０２４", "year"),
    ("level=region&code=6&cycle=lycee", "cycle"),
    ("level=region&code=6&sector=mixte", "sector"),
    ("level=region&code=6&milieu=x", "milieu"),
    ("level=region&code=6&sex=X", "sex"),
    ("level=region&code=6&indicator=nope", "indicator"),
    ("level=planet&code=6", "level"),
    ("code=6", "level"),
    ("level=region", "code"),
    ("level=region&code=6;drop", "code"),
    ("level=region&code=" + "1" * 30, "code"),
])
def test_bad_parameters_are_refused_without_a_file(client, query, parameter):
    for fmt in ("pptx", "pdf"):
        assert_refused(client.get(f"/export/briefing.{fmt}?{query}"), 400, parameter)


@pytest.mark.parametrize("query", ["level=region&code=99", "level=school&code=00000Z",
                                   "level=national&code=XX"])
def test_unknown_unit_is_not_found(client, query):
    assert_refused(client.get(f"/export/briefing.pptx?{query}"), 404, "code")


def test_unknown_format_is_not_found(client):
    assert_refused(client.get(f"/export/briefing.docx?{REGION}"), 404, None)


def test_unit_outside_the_scope_is_forbidden(client, monkeypatch):
    monkeypatch.setattr(routes, "current_scope", lambda: Scope("province", "81"))
    assert_refused(client.get(f"/export/briefing.pdf?{REGION}"), 403, "code")


def test_unbuilt_data_is_unavailable(client, monkeypatch):
    def not_built():
        raise DataNotReady(NOT_BUILT)

    monkeypatch.setattr(web_params, "available_years", not_built)
    assert_refused(client.get(f"/export/briefing.pptx?{REGION}"), 503, None)


def test_renderer_failure_answers_503_then_the_app_recovers(client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("Chromium went away")

    monkeypatch.setattr(renderer.kaleido, "calc_fig_sync", broken)
    for fmt in ("pptx", "pdf"):
        response = client.get(f"/export/briefing.{fmt}?{REGION}&indicator=repetition_rate")
        error = assert_refused(response, 503, None)
        assert "rendu des graphiques" in error["message"]
        assert response.headers["Retry-After"]
    monkeypatch.undo()
    response = client.get(f"/export/briefing.pptx?{REGION}&indicator=repetition_rate")
    assert response.status_code == 200
    assert titles(deck(response))[2] == (
        "Carte des provinces et préfectures : Taux de redoublement")
    assert client.get("/api/v1/units?level=region").status_code == 200
