"""The data-quality view in Chromium: a province's checks, ranking and trend, a school's
pupils to correct (list, Excel file, follow-up mark, audit), what another territory's user
sees of them, and the page's width on a desktop and on a phone.

Expected numbers come from plain SQL over the tiny database (``quality_finding`` and the raw
tables), never through ``queries/``.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.browser.conftest import log_in, served
from tests.conftest import ACCOUNTS, make_app, query

pytestmark = pytest.mark.browser

YEAR = 2024
PROVINCE = "141"
OTHER_PROVINCE_USER = "province81"
#: A second account of the province, beside ``province141``.
COLLEAGUE = "colleague141"
WAIT_STEPS = 100
DRAWN_MS = 3_000
MASSAR = re.compile(r"[A-Z][0-9]{9}")
#: The checks as the page must name them, in their order (docs/quality.md).
LABELS = {
    "missing_outcome": "Résultat manquant",
    "missing_average": "Moyenne manquante",
    "school_silent": "Établissement sans élèves",
    "returns_after_abandon": "Retour après abandon",
    "promoted_not_next_grade": "Promu hors niveau suivant",
    "repeater_moved_on": "Redoublant changé de niveau",
    "grade_skip": "Saut de niveau",
    "lost_in_transfer": "Perdu de vue",
    "implausible_age": "Âge invraisemblable",
    "exam_outcome_mismatch": "Examen et résultat contradictoires",
    "average_outcome_mismatch": "Moyenne et résultat contradictoires",
    "enrollment_jump": "Variation brutale de l'effectif",
    "outlier_rate": "Taux hors des limites",
}
SCHOOL_CHECKS = ("school_silent", "enrollment_jump", "outlier_rate")
SPACES = re.compile(r"[\s\u00a0\u202f]+")
IN_PROVINCE = """
    FROM quality_finding f
    JOIN school s ON s.code = f.school_code
    JOIN commune c ON c.code = s.commune_code
    WHERE f.school_year = :year AND c.province_code = :province
"""
#: The rows an AG Grid has drawn, in their order, as {column: text}.
GRID_ROWS = """
([id, columns]) => [...document.querySelectorAll(`#${id} .ag-center-cols-container .ag-row`)]
  .sort((a, b) => Number(a.getAttribute('row-index')) - Number(b.getAttribute('row-index')))
  .map((row) => Object.fromEntries(columns.map((column) => {
    const cell = row.querySelector(`[col-id="${column}"]`);
    return [column, cell ? cell.innerText.trim() : null];
  })))
"""
TREND_Y = """
() => {
  const graph = document.querySelector('#quality-trend .js-plotly-plot');
  if (!graph || !graph._fullData || !graph._fullData.length) return null;
  return {x: Array.from(graph._fullData[0].x), y: Array.from(graph._fullData[0].y)};
}
"""

#: The page's width, the window's, and the first elements that stick out of it unclipped.
WIDTHS = """
() => {
  const width = window.innerWidth;
  const clipped = (element) => {
    for (let up = element.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== 'visible') return true;
    }
    return false;
  };
  const out = [...document.querySelectorAll('body *')]
    .filter((element) => element.getBoundingClientRect().right > width + 1 && !clipped(element))
    .map((element) => `${element.tagName}#${element.id}.${element.className}`).slice(0, 5);
  return {scroll: document.documentElement.scrollWidth, window: width, out};
}
"""


def plain(text: str) -> str:
    """Return a text with its spaces made plain and its apostrophes straight."""
    return SPACES.sub(" ", text).replace("\u2019", "'").strip()


def percent(value: float) -> str:
    """Write a share as the page does: ``99,9 %`` (two decimals under 1 %)."""
    decimals = 2 if value < 0.01 else 1
    return f"{value * 100:.{decimals}f}".replace(".", ",") + " %"


def school_year(year: int) -> str:
    return f"{year}-{year + 1}"


@pytest.fixture(scope="module")
def quality_app(tiny_url, backend, tmp_path_factory):
    """The app on the tiny database with a state database of its own (marks, audit) and a
    second account of the province."""
    return make_app(tiny_url, tmp_path_factory.mktemp("quality-browser"), backend,
                    (*ACCOUNTS, (COLLEAGUE, "province", PROVINCE)))


@pytest.fixture(scope="module")
def live_url(quality_app) -> Iterator[str]:
    """The module's app served on loopback (the browser suite's page fixture opens it)."""
    yield from served(quality_app, "quality-live")


@pytest.fixture(scope="module")
def state(quality_app):
    from dashboard.app_state import state_of

    return state_of(quality_app.server).state_engine


@pytest.fixture(scope="module")
def school(tiny_engine) -> dict:
    """The school of the province with the most pupil findings of the year, and them."""
    rows = query(tiny_engine, f"""
        SELECT f.school_code, count(*) {IN_PROVINCE} AND f.massar_code IS NOT NULL
        GROUP BY f.school_code ORDER BY count(*) DESC, f.school_code""",
                 year=YEAR, province=PROVINCE)
    assert rows, "the tiny database has no pupil finding in the province"
    code = rows[0][0]
    findings = query(tiny_engine, """
        SELECT check_code, massar_code FROM quality_finding
        WHERE school_code = :code AND school_year = :year AND massar_code IS NOT NULL
        ORDER BY massar_code""", code=code, year=YEAR)
    place, = query(tiny_engine, """
        SELECT s.name, s.commune_code, c.province_code, p.region_code FROM school s
        JOIN commune c ON c.code = s.commune_code JOIN province p ON p.code = c.province_code
        WHERE s.code = :code""", code=code)
    names = ("name", "commune_code", "province_code", "region_code")
    return {"code": code, **dict(zip(names, place, strict=True)), "findings": findings}


def as_user(page: Page, username: str) -> None:
    page.goto("about:blank")
    page.context.clear_cookies()
    log_in(page, username)


def show_grid(page: Page, grid_id: str) -> None:
    """Scroll to a grid, as a user would (the grid draws its rows once on screen), and wait
    for its first row."""
    page.locator(f"#{grid_id}").scroll_into_view_if_needed()
    expect(page.locator(f"#{grid_id} .ag-center-cols-container .ag-row").first).to_be_visible()


def grid_rows(page: Page, grid_id: str, columns: list[str]) -> list[dict]:
    show_grid(page, grid_id)
    return page.evaluate(GRID_ROWS, [grid_id, columns])


def trend_points(page: Page) -> dict:
    return page.wait_for_function(TREND_Y).json_value()


def expect_rates(page: Page, expected: dict[int, float]) -> None:
    """Check the trend figure, once drawn: one point per school year, at the SQL rate."""
    years = sorted(expected)
    wanted = {"x": [school_year(year) for year in years],
              "y": pytest.approx([expected[year] for year in years], abs=1e-6)}
    points = trend_points(page)
    for _ in range(WAIT_STEPS):  # the figure of the previous choice may still be shown
        if points == wanted:
            break
        page.wait_for_timeout(100)
        points = trend_points(page)
    assert points == wanted


def score_by_year(engine) -> dict[int, float]:
    """Plain SQL: the share of the province's enrolments with no pupil finding, by year."""
    enrolled = dict(query(engine, """
        SELECT e.school_year, count(*) FROM enrollment e
        JOIN school s ON s.code = e.school_code JOIN commune c ON c.code = s.commune_code
        WHERE c.province_code = :province GROUP BY e.school_year""", province=PROVINCE))
    found = dict(query(engine, """
        SELECT f.school_year, count(DISTINCT f.massar_code) FROM quality_finding f
        JOIN school s ON s.code = f.school_code JOIN commune c ON c.code = s.commune_code
        WHERE c.province_code = :province AND f.massar_code IS NOT NULL
        GROUP BY f.school_year""", province=PROVINCE))
    return {year: 1 - found.get(year, 0) / n for year, n in enrolled.items()}


def outlier_rate_by_year(engine) -> dict[int, float]:
    """Plain SQL: the share of the province's schools with a pupil's result that are
    outside the funnel's limits, by year."""
    examined = dict(query(engine, """
        SELECT e.school_year, count(DISTINCT e.school_code) FROM enrollment e
        JOIN school s ON s.code = e.school_code JOIN commune c ON c.code = s.commune_code
        WHERE c.province_code = :province AND e.outcome IS NOT NULL
        GROUP BY e.school_year""", province=PROVINCE))
    found = dict(query(engine, """
        SELECT f.school_year, count(*) FROM quality_finding f
        JOIN school s ON s.code = f.school_code JOIN commune c ON c.code = s.commune_code
        WHERE c.province_code = :province AND f.check_code = 'outlier_rate'
        GROUP BY f.school_year""", province=PROVINCE))
    return {year: found.get(year, 0) / n for year, n in examined.items()}


def outliers_by_commune(engine) -> tuple[set[str], dict[str, int]]:
    """Plain SQL: the province's communes with a school examined by ``outlier_rate`` in the
    year (a pupil with a result), and their schools outside the limits."""
    examined = {code for code, in query(engine, """
        SELECT DISTINCT s.commune_code FROM enrollment e
        JOIN school s ON s.code = e.school_code JOIN commune c ON c.code = s.commune_code
        WHERE c.province_code = :province AND e.school_year = :year
          AND e.outcome IS NOT NULL""", province=PROVINCE, year=YEAR)}
    found = dict(query(engine, f"""SELECT s.commune_code, count(*) {IN_PROVINCE}
        AND f.check_code = 'outlier_rate' GROUP BY s.commune_code""",
                       year=YEAR, province=PROVINCE))
    return examined, found


def test_a_province_shows_its_checks_ranks_its_communes_and_follows_the_chosen_check(
        page, tiny_engine):
    counts = dict(query(tiny_engine, f"SELECT f.check_code, count(*) {IN_PROVINCE} "
                                     "GROUP BY f.check_code", year=YEAR, province=PROVINCE))
    communes = dict(query(tiny_engine, "SELECT code, name_fr FROM commune "
                                       "WHERE province_code = :p", p=PROVINCE))
    scores = score_by_year(tiny_engine)
    page.goto(f"/quality/province/{PROVINCE}?year={YEAR}")
    expect(page.locator("#quality-page[data-level=province]")).to_be_visible()
    expect(page.locator("#quality-title .unit-name")).to_have_text("Casablanca")

    cards = page.locator("#quality-cards .kpi-card")
    expect(cards).to_have_count(4)
    pupils = sum(n for code, n in counts.items() if code not in SCHOOL_CHECKS)
    schools = sum(n for code, n in counts.items() if code in SCHOOL_CHECKS)
    values = {card: plain(page.locator(f"#quality-kpi-{card} .kpi-value").inner_text())
              for card in ("score", "pupil-findings", "school-findings", "open-findings")}
    assert values == {"score": percent(scores[YEAR]), "pupil-findings": str(pupils),
                      "school-findings": str(schools), "open-findings": "0"}

    rows = grid_rows(page, "quality-checks-grid", ["check", "count"])
    assert [plain(row["check"]) for row in rows] == list(LABELS.values())
    assert [int(plain(row["count"]).replace(" ", "")) for row in rows] == [
        counts.get(code, 0) for code in LABELS]

    ranking = grid_rows(page, "quality-ranking-grid", ["name"])
    assert sorted(plain(row["name"]) for row in ranking) == sorted(
        plain(name) for name in communes.values())
    links = page.locator("#quality-ranking-grid .ag-center-cols-container [col-id=name] a")
    expect(links).to_have_count(len(communes))
    hrefs = {plain(links.nth(i).inner_text()): links.nth(i).get_attribute("href")
             for i in range(links.count())}
    assert hrefs == {plain(name): f"/quality/commune/{code}?year={YEAR}"
                     for code, name in communes.items()}

    expect_rates(page, scores)
    title = page.locator("#quality-ranking-title")
    expect(title).to_have_text("Classement par score de qualité des données")
    page.locator("#quality-check").click()
    page.get_by_role("option", name=LABELS["outlier_rate"], exact=True).click()
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query).get("check") == ["outlier_rate"])
    assert urlsplit(page.url).path == f"/quality/province/{PROVINCE}"
    assert parse_qs(urlsplit(page.url).query)["year"] == [str(YEAR)]
    outliers = outlier_rate_by_year(tiny_engine)
    expect_rates(page, outliers)
    expect(page.locator("#quality-check .dash-dropdown-value")).to_have_text(
        LABELS["outlier_rate"])
    expect(title).to_have_text(f"Classement par {LABELS['outlier_rate'].lower()}")
    examined, found = outliers_by_commune(tiny_engine)
    wanted = {plain(name): str(found.get(code, 0)) if code in examined else "\u2014"
              for code, name in communes.items()}
    for _ in range(WAIT_STEPS):  # the ranking of the score may still be shown
        ranking = {plain(row["name"]): row["count"]
                   for row in grid_rows(page, "quality-ranking-grid", ["name", "count"])}
        if ranking == wanted:
            break
        page.wait_for_timeout(100)
    assert ranking == wanted
    # the map and every download follow the check
    expect(page.locator("#quality-map-title")).to_have_text(
        f"Carte : {LABELS['outlier_rate'].lower()}")
    page.locator('[id*="quality-export-menu"][id*="quality-funnel"] button').click()
    image = page.locator(".dropdown-menu.show a.dropdown-item", has_text="Image PNG")
    href = image.get_attribute("href")
    assert urlsplit(href).path == "/export/chart/quality-funnel.png"
    assert parse_qs(urlsplit(href).query)["check"] == ["outlier_rate"]
    answer = page.request.get(href)
    assert answer.status == 200 and answer.body()[:4] == b"\x89PNG"
    assert "outlier-rate" in answer.headers["content-disposition"]
    page.keyboard.press("Escape")

    page.reload()
    expect(page.locator("#quality-check .dash-dropdown-value")).to_have_text(
        LABELS["outlier_rate"])
    expect_rates(page, outliers)
    assert parse_qs(urlsplit(page.url).query)["check"] == ["outlier_rate"]

    page.goto(f"/quality/province/{PROVINCE}?year={YEAR}")
    code, name = sorted(communes.items())[0]
    show_grid(page, "quality-ranking-grid")
    link = page.locator("#quality-ranking-grid [col-id=name] a").filter(
        has_text=re.compile(f"^{re.escape(name)}$"))
    link.click()
    page.wait_for_url(lambda url: urlsplit(url).path == f"/quality/commune/{code}")
    assert parse_qs(urlsplit(page.url).query) == {"year": [str(YEAR)]}
    expect(page.locator("#quality-page[data-level=commune]")).to_be_visible()
    expect(page.locator("#quality-title .unit-name")).to_have_text(name)
    expect(page.locator("#quality-breadcrumb .crumb-current")).to_have_text(name)


def test_a_school_lists_its_pupils_exports_them_and_marks_a_finding(page, school, state):
    as_user(page, "province141")
    expected = sorted(massar for _, massar in school["findings"])
    page.goto(f"/quality/school/{school['code']}?year={YEAR}")
    expect(page.locator("#quality-page[data-level=school]")).to_be_visible()
    expect(page.locator("#quality-pupils-note")).to_contain_text(
        f"{len(expected)} constat")
    rows = grid_rows(page, "quality-pupils-grid", ["check", "massar_code"])
    assert sorted(row["massar_code"] for row in rows) == expected
    assert sorted(plain(row["check"]) for row in rows) == sorted(
        LABELS[check] for check, _ in school["findings"])

    with page.expect_download() as download:
        page.locator("#quality-pupils-xlsx").click()
    assert school["code"] in download.value.suggested_filename
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    column = header.index("Code MASSAR")
    assert sorted(row[column] for row in sheet.iter_rows(min_row=2, values_only=True)) == (
        expected)

    first = plain(rows[0]["check"])
    code = next(c for c, label in LABELS.items() if label == first)
    page.locator("#quality-mark-check").click()
    page.get_by_role("option", name=re.compile(f"^{re.escape(first)}")).click()
    page.locator("#quality-mark-status").get_by_text("Corrigé à la source").click()
    comment = "Date de naissance corrigée dans MASSAR"
    page.locator("#quality-mark-comment").fill(comment)
    page.locator("#quality-mark-save").click()
    expect(page.locator("#quality-mark-result .text-success")).to_contain_text("Enregistré")
    expect(page.locator("#quality-mark-result")).to_contain_text(first)
    line = page.locator(".quality-register-table tbody tr").first
    expect(line).to_contain_text("province141")
    expect(line).to_contain_text(comment)
    expect(line).to_contain_text("Corrigé à la source")
    expect(line).to_contain_text(first)

    marks = query(state, "SELECT school_code, school_year, check_code, status, comment, "
                         "username FROM quality_mark WHERE username = 'province141'")
    assert marks == [(school["code"], YEAR, code, "corrige_source", comment, "province141")]
    entries = query(state, """SELECT event, detail FROM audit_log
        WHERE username = 'province141' AND unit = :unit
          AND event IN ('quality_list', 'quality_list_export', 'quality_mark')""",
                    unit=f"school:{school['code']}")
    events = {event for event, _ in entries}
    assert events == {"quality_list", "quality_list_export", "quality_mark"}
    for event, detail in entries:
        detail = json.loads(detail)
        assert detail["year"] == YEAR
        if event != "quality_mark":
            assert detail["pupils"] == len(expected)
        else:
            assert detail["check"] == code and detail["status"] == "corrige_source"


def test_another_province_sees_no_pupil_of_the_school(page, school, state):
    as_user(page, OTHER_PROVINCE_USER)
    page.goto(f"/quality/school/{school['code']}?year={YEAR}")
    expect(page.locator("#refused h1")).to_have_text("Accès non autorisé")
    expect(page.locator("#refused-message")).to_contain_text("hors de votre périmètre")
    expect(page.locator("#quality-page")).to_have_count(0)
    expect(page.locator("#quality-pupils-grid")).to_have_count(0)
    page.wait_for_load_state("networkidle")
    text = page.locator("body").inner_text()
    assert MASSAR.search(text) is None
    assert not any(massar in page.content() for _, massar in school["findings"])
    listed = query(state, "SELECT count(*) FROM audit_log WHERE username = :user "
                          "AND event LIKE 'quality_%'", user=OTHER_PROVINCE_USER)
    assert listed == [(0,)]


def pupils_shown(page: Page, school: dict) -> list[str]:
    """Wait for the school's pupil list; return the MASSAR codes it shows."""
    expected = sorted(massar for _, massar in school["findings"])
    expect(page.locator("#quality-pupils-note")).to_contain_text(f"{len(expected)} constat")
    rows = grid_rows(page, "quality-pupils-grid", ["massar_code"])
    return sorted(row["massar_code"] for row in rows)


def audited_lists(state, username: str) -> int:
    (count,), = query(state, "SELECT count(*) FROM audit_log WHERE event = 'quality_list' "
                             "AND username = :user", user=username)
    return count


def test_every_showing_of_a_schools_pupils_is_audited(page, school, state):
    """The list names pupils: each time it reaches a screen, the log says who saw it."""
    as_user(page, COLLEAGUE)
    expected = sorted(massar for _, massar in school["findings"])
    before = audited_lists(state, COLLEAGUE)
    page.goto(f"/quality/school/{school['code']}?year={YEAR}")
    assert pupils_shown(page, school) == expected
    page.reload()
    assert pupils_shown(page, school) == expected
    audited = audited_lists(state, COLLEAGUE) - before
    assert audited == 2, f"the list was shown twice to {COLLEAGUE}, audited {audited} times"


def test_a_mark_is_still_in_the_register_when_the_page_is_opened_again(page, school, state):
    as_user(page, COLLEAGUE)
    page.goto(f"/quality/school/{school['code']}?year={YEAR}")
    pupils_shown(page, school)
    page.locator("#quality-mark-status").get_by_text("À corriger").click()
    comment = "Élève à revoir avec le directeur"
    page.locator("#quality-mark-comment").fill(comment)
    page.locator("#quality-mark-save").click()
    expect(page.locator("#quality-mark-result .text-success")).to_contain_text("Enregistré")
    expect(page.locator(".quality-register-table tbody tr").first).to_contain_text(comment)
    page.reload()
    pupils_shown(page, school)
    # the cards and the register come in one answer: once the cards are drawn, so is it
    expect(page.locator("#quality-kpi-score .kpi-value")).to_be_visible()
    line = page.locator(".quality-register-table tbody tr").first
    expect(line).to_contain_text(COLLEAGUE, timeout=DRAWN_MS)
    expect(line).to_contain_text(comment)
    expect(page.locator("#quality-kpi-open-findings .kpi-value")).to_have_text("1")


@pytest.fixture()
def marked(state, school) -> None:
    """A finding of the school marked in the register, as after a school's follow-up (the
    register's table is then on the province's page)."""
    if query(state, "SELECT count(*) FROM quality_mark") == [(0,)]:
        with state.begin() as conn:
            conn.execute(sa.text("""
                INSERT INTO quality_mark (school_code, commune_code, province_code, region_code,
                    school_year, check_code, status, comment, username, marked_at)
                VALUES (:code, :commune_code, :province_code, :region_code, :year,
                        :check, 'faux_signal', 'Vérifié avec l''établissement', 'national',
                        CURRENT_TIMESTAMP)"""),
                {**school, "year": YEAR, "check": school["findings"][0][0]})


@pytest.mark.parametrize("width", [1440, 390])
def test_a_province_page_fits_the_screen_without_errors(browser, live_url, marked, width):
    context = browser.new_context(base_url=live_url, locale="fr-FR",
                                  viewport={"width": width, "height": 900})
    errors: list[str] = []
    page = context.new_page()

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        log_in(page, "province141")
        page.goto(f"/quality/province/{PROVINCE}?year={YEAR}")
        for grid in ("quality-checks-grid", "quality-ranking-grid"):
            show_grid(page, grid)
        expect(page.locator("#quality-map .main-svg").first).to_be_visible()
        expect(page.locator("#quality-funnel .main-svg").first).to_be_visible()
        expect(page.locator("#quality-trend .main-svg").first).to_be_visible()
        expect(page.locator(".quality-register-table tbody tr").first).to_be_visible()
        page.wait_for_load_state("networkidle")
        widths = page.evaluate(WIDTHS)
    finally:
        context.close()
    problems = [f"console or page error: {error}" for error in errors]
    if widths["scroll"] > widths["window"]:
        problems.append(f"horizontal scroll at {width} px: {widths}")
    assert not problems, "\n".join(problems)
