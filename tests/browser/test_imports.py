"""The Imports page in Chromium, on a database filled by importing a hand-written extract:
what each user sees of the imports, an import's rejected rows, its address and its files."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Route, expect

from dashboard.data.extract.format import REASONS
from tests.browser.conftest import log_in, served
from tests.conftest import make_app, query
from tests.test_imports_page import imports_database

pytestmark = pytest.mark.browser

REJECTS_OUTPUT = "imports-rejects-grid.rowData"
WAIT_STEPS = 100


@pytest.fixture(scope="module")
def database(backend, tmp_path_factory) -> str:
    return imports_database(tmp_path_factory.mktemp("imports-browser"), backend)


@pytest.fixture(scope="module")
def live_url(database, backend, tmp_path_factory) -> Iterator[str]:
    """The app on the imported database, served on loopback for this module (the page
    fixture of the browser suite opens it)."""
    app = make_app(database, tmp_path_factory.mktemp("imports-browser-data"), backend)
    yield from served(app, "imports-live")


@pytest.fixture(scope="module")
def imported(database) -> dict[str, dict]:
    """Every import by file name, read with plain SQL."""
    from dashboard.db import make_engine

    engine = make_engine(database, read_only=True)
    try:
        rows = query(engine, """SELECT file_name, id, rows_read, rows_accepted, rows_rejected,
                                       rejected_by_reason FROM import_batch""")
    finally:
        engine.dispose()
    names = ("id", "rows_read", "rows_accepted", "rows_rejected", "rejected_by_reason")
    return {row[0]: dict(zip(names, row[1:], strict=True)) for row in rows}


def as_user(page, username: str) -> None:
    page.goto("about:blank")
    page.context.clear_cookies()
    log_in(page, username)


def counts_shown(page, batch_id: int) -> tuple[str, str, str]:
    """The rows read, accepted and rejected the list shows for one import."""
    cells = page.locator(f"#batch-row-{batch_id} td")
    return (cells.nth(5).inner_text(), cells.nth(6).inner_text(),
            cells.nth(7).locator("div").first.inner_text())


def reasons_shown(page, batch_id: int) -> list[str]:
    bars = page.locator(f"#batch-row-{batch_id} .reason-bar")
    return [bars.nth(i).get_attribute("data-reason") for i in range(bars.count())]


def grid_column(page, column: str) -> list[str]:
    """The cells of one column of the rejected rows, top to bottom."""
    grid = page.locator("#imports-rejects-grid")
    expect(grid.locator(".ag-center-cols-container .ag-row").first).to_be_visible()
    cells = grid.locator(f".ag-center-cols-container .ag-row .ag-cell[col-id={column}]")
    return cells.all_inner_texts()


def test_a_national_user_sees_every_import_with_the_counts_of_the_database(page, imported):
    page.goto("/definitions")
    page.locator("#nav-imports").click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/imports")
    expect(page.locator("h1")).to_have_text("Imports des extraits MASSAR")
    expect(page.locator("#imports-table tbody tr")).to_have_count(len(imported))
    assert page.title() == "Imports · Pilotage"
    for name, batch in imported.items():
        row = page.locator(f"#batch-row-{batch['id']}")
        expect(row.locator(".batch-link")).to_have_text(name)
        assert counts_shown(page, batch["id"]) == (
            str(batch["rows_read"]), str(batch["rows_accepted"]), str(batch["rows_rejected"]))
        by_reason = json.loads(batch["rejected_by_reason"])
        assert sorted(reasons_shown(page, batch["id"])) == sorted(by_reason)
    pupils = imported["eleves_2024.csv"]["id"]
    expect(page.locator(f"#batch-row-{pupils}")).to_contain_text("Élèves")
    expect(page.locator(f"#batch-row-{pupils}")).to_contain_text("2024-2025")
    bar = page.locator(f"#batch-row-{pupils} .reason-bar[data-reason=bad_sex]")
    assert REASONS["bad_sex"] in bar.get_attribute("title")
    expect(bar.locator(".reason-n")).to_have_text("2")
    expect(page.locator("#imports-detail")).to_be_empty()


def test_a_provincial_user_sees_the_part_of_their_schools(page, imported):
    as_user(page, "province141")
    answer = page.request.get("/api/v1/imports").json()["imports"]
    page.goto("/imports")
    expect(page.locator("#imports-scope")).to_contain_text("Province Casablanca")
    expect(page.locator("#imports-table tbody tr")).to_have_count(len(answer))
    for batch in answer:
        assert counts_shown(page, batch["id"]) == (
            str(batch["rows_read"]), str(batch["rows_accepted"]), str(batch["rows_rejected"]))
    pupils = imported["eleves_2024.csv"]["id"]
    assert counts_shown(page, pupils) == ("6", "4", "2")  # 90001A and 90002A's rows only
    assert reasons_shown(page, pupils) == ["bad_sex"]
    page.locator(f"#batch-link-{pupils}").click()
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query) == {"batch": [str(pupils)]})
    rejects = page.request.get(f"/api/v1/imports/{pupils}/rejects").json()["rejects"]
    assert grid_column(page, "line") == [str(r["line"]) for r in rejects] == ["7", "10"]
    assert grid_column(page, "school_code") == ["90001A", "90001A"]
    expect(page.locator(f"#batch-row-{pupils}")).to_have_attribute("aria-current", "true")


def test_an_import_address_opens_directly_and_says_it_is_loading(page, imported):
    held: list[Route] = []

    def hold_the_rejects(route: Route) -> None:
        if REJECTS_OUTPUT in (route.request.post_data or ""):
            held.append(route)
        else:
            route.fallback()

    page.route(lambda url: "/_dash-update-component" in url, hold_the_rejects)
    pupils = imported["eleves_2024.csv"]["id"]
    page.goto(f"/imports?batch={pupils}")
    for _ in range(WAIT_STEPS):
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "the rejected rows were not asked for"
    grid = page.locator("#imports-rejects-grid")
    expect(page.locator("#imports-detail-title")).to_have_text(
        "Lignes rejetées : eleves_2024.csv")
    expect(grid.locator(".ag-overlay")).to_contain_text("Chargement")
    expect(grid).not_to_contain_text("Aucune ligne rejetée")
    for route in held:
        route.fallback()
    assert grid_column(page, "line") == ["7", "8", "9", "10"]
    assert grid_column(page, "value")[3] == "=1+1"
    expect(page.locator("#imports-summary")).to_contain_text("4 lignes rejetées sur 9 lues")
    # a filter per column: the reason
    grid.locator(".ag-header-cell[col-id=reason] input").fill("bad_sex")
    expect(grid.locator(".ag-center-cols-container .ag-row")).to_have_count(2)
    assert grid_column(page, "line") == ["7", "10"]


def test_a_bad_import_address_shows_a_notice(page):
    page.goto("/imports?batch=abc")
    expect(page.locator("#imports-notice .alert")).to_contain_text(
        "ne désigne pas un import valide")
    expect(page.locator("#imports-table tbody tr")).to_have_count(3)
    expect(page.locator("#imports-detail")).to_be_empty()
    page.goto("/imports?batch=99999")
    expect(page.locator("#imports-notice .alert")).to_contain_text(
        re.compile("Aucun import n° 99\u202f?999 dans votre périmètre"))
    as_user(page, "region1")  # no school of theirs in the extract
    page.goto("/imports?batch=1")
    expect(page.locator(".empty-state")).to_contain_text("Aucun import pour votre territoire")
    expect(page.locator(".empty-state code")).to_have_text("python -m dashboard import DOSSIER")
    expect(page.locator("#imports-notice .alert")).to_have_text(
        "Aucun import n° 1 dans votre périmètre.")


def test_the_download_menu_gives_the_rows_as_csv_and_excel(page, imported):
    pupils = imported["eleves_2024.csv"]["id"]
    page.goto(f"/imports?batch={pupils}")
    assert grid_column(page, "line") == ["7", "8", "9", "10"]
    page.locator("#imports-export-menu button").first.click()
    with page.expect_download() as download:
        page.locator("#imports-csv").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["line"], r["reason"], r["school_code"]) for r in rows] == [
        ("7", "bad_sex", "90001A"), ("8", "bad_date", "90003B"),
        ("9", "unknown_school", "77777Z"), ("10", "bad_sex", "90001A")]
    page.locator("#imports-export-menu button").first.click()
    with page.expect_download() as download:
        page.locator("#imports-xlsx").click()
    assert download.value.suggested_filename == f"pilotage-import-{pupils}-rejects.xlsx"
    content = io.BytesIO(Path(download.value.path()).read_bytes())
    sheet = load_workbook(content)["Lignes rejetées"]
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [7, 8, 9, 10]
    assert sheet["C5"].value == "=1+1" and sheet["C5"].data_type == "s"
