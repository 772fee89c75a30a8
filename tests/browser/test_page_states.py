"""What a page says while it loads, and what it does not offer."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Route, expect

from tests.browser.conftest import log_in
from tests.conftest import bac_candidates_by_commune, query

pytestmark = pytest.mark.browser

RANKING_OUTPUT = "children-grid.rowData"
WAIT_STEPS = 100


def test_a_ranking_on_its_way_says_loading_never_no_data(page):
    """Until the ranking arrives the grid shows that it is loading; "no data" would say
    that the unit has none."""
    held: list[Route] = []

    def hold_the_ranking(route: Route) -> None:
        if RANKING_OUTPUT in (route.request.post_data or ""):
            held.append(route)
        else:
            route.fallback()

    page.route(lambda url: "/_dash-update-component" in url, hold_the_ranking)
    page.goto("/province/141")
    for _ in range(WAIT_STEPS):  # the ranking is asked for once the page knows its unit
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "the ranking request was not seen"
    expect(page.locator("#kpi-enrollment .kpi-value")).not_to_have_text("\u2014")
    grid = page.locator("#children-grid")
    expect(grid.locator(".ag-overlay")).to_contain_text("Chargement")
    expect(grid).not_to_contain_text("Aucune donnée")
    for route in held:
        route.fallback()
    expect(grid.locator(".ag-center-cols-container .ag-row").first).to_be_visible()
    expect(grid.locator(".ag-overlay")).not_to_contain_text("Chargement")


def test_charts_carry_no_plotly_toolbar(page):
    """Plotly's camera would give an unbranded image: files come from "Télécharger"."""
    page.goto("/region/6")
    expect(page.locator("#map .main-svg").first).to_be_visible()
    expect(page.locator("#trend-chart .main-svg").first).to_be_visible()
    expect(page.locator(".modebar")).to_have_count(0)
    expect(page.locator(".export-menu").first).to_be_visible()


def test_a_link_outside_the_scope_offers_the_own_territory_with_its_filters(page):
    page.goto("about:blank")  # nothing of the national session still on its way
    page.context.clear_cookies()
    log_in(page, "region6")
    page.goto("/province/81?year=2023&cycle=college")
    expect(page.locator("#refused h1")).to_have_text("Accès non autorisé")
    expect(page.locator("#not-found")).to_have_count(0)
    page.locator("#own-territory").click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/region/6")
    assert parse_qs(urlsplit(page.url).query) == {"year": ["2023"], "cycle": ["college"]}
    expect(page.locator(".unit-page[data-level=region] .unit-name")).to_have_text(
        "Casablanca-Settat")
    expect(page.locator("#filter-cycle .dash-dropdown-value")).to_have_text("Collège")


def test_a_national_link_lands_on_the_region_with_its_filters_and_says_why(page):
    page.goto("about:blank")  # nothing of the national session still on its way
    page.context.clear_cookies()
    log_in(page, "region6")
    page.goto("/?year=2023&sex=F")
    page.wait_for_url(lambda url: urlsplit(url).path == "/region/6")
    assert parse_qs(urlsplit(page.url).query)["sex"] == ["F"]
    expect(page.locator("#notices .alert")).to_contain_text("hors de votre périmètre")
    expect(page.locator("#filter-sex .dash-dropdown-value")).to_have_text("Filles")
    expect(page.locator("#filter-year .dash-dropdown-value")).to_have_text("2023-2024")


def test_the_definitions_page_and_back_keep_the_view(page):
    page.goto("/province/141?year=2023&cycle=college")
    expect(page.locator(".unit-page[data-level=province] .unit-name")).to_have_text("Casablanca")
    expect(page.locator("#filter-bar")).to_be_visible()
    # the header's links take the view's filters once the page has read them
    expect(page.locator("#nav-definitions")).to_have_attribute("href", re.compile("cycle=college"))
    page.locator("#nav-definitions").click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/definitions")
    assert parse_qs(urlsplit(page.url).query) == {"year": ["2023"], "cycle": ["college"]}
    expect(page.locator("#definitions-table")).to_be_visible()
    expect(page.locator("#filter-bar")).to_be_hidden()
    expect(page.locator("#nav-dashboard")).to_have_attribute("href", re.compile("cycle=college"))
    page.locator("#nav-dashboard").click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/province/141")
    assert parse_qs(urlsplit(page.url).query) == {"year": ["2023"], "cycle": ["college"]}
    expect(page.locator("#filter-bar")).to_be_visible()
    expect(page.locator("#filter-cycle .dash-dropdown-value")).to_have_text("Collège")
    expect(page.locator(".unit-page[data-level=province] .unit-name")).to_have_text("Casablanca")


SORTED_VALUES = """
() => {
  const api = dash_ag_grid.getApi('children-grid');
  const values = [];
  api.forEachNodeAfterFilterAndSort((node) => values.push(node.data.value));
  return values;
}
"""


def _in_order(values: list, descending: bool) -> bool:
    numbers = [v for v in values if v is not None]
    return numbers == sorted(numbers, reverse=descending)


def test_sorting_keeps_rows_without_a_value_last_and_the_first_click_reverses(page):
    page.goto("/province/141")
    grid = page.locator("#children-grid")
    expect(grid.locator(".ag-center-cols-container .ag-row").first).to_be_visible()
    before = page.evaluate(SORTED_VALUES)
    shown = [v for v in before if v is not None]
    assert shown and len(shown) < len(before), "province 141 needs rows with and without values"
    assert _in_order(before, descending=True) and before[len(shown):] == [None] * (
        len(before) - len(shown))
    grid.locator('.ag-header-cell[col-id="value"] .ag-header-cell-label').click()
    page.wait_for_function(f"() => ({SORTED_VALUES})()[0] === {min(shown)}")
    after = page.evaluate(SORTED_VALUES)
    assert _in_order(after, descending=False)
    assert after[len(shown):] == [None] * (len(after) - len(shown))  # "—" still last


GRID_ORDER = """
() => {
  const codes = [];
  dash_ag_grid.getApi('children-grid').forEachNodeAfterFilterAndSort(
    (node) => codes.push(node.data.code));
  return codes;
}
"""


def test_a_sort_goes_into_the_address_and_the_files_and_redraws_the_ranking_only(page):
    posted: list[str] = []
    page.on("request", lambda request: posted.append(request.post_data or "")
            if "/_dash-update-component" in request.url else None)
    page.goto("/province/141?year=2024")
    grid = page.locator("#children-grid")
    expect(grid.locator(".ag-center-cols-container .ag-row").first).to_be_visible()
    expect(page.locator("#map .choroplethlayer path").first).to_be_attached()
    page.wait_for_timeout(500)
    posted.clear()
    grid.locator('.ag-header-cell[col-id="change"] .ag-header-cell-label').click()
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query).get("sort") == ["change"])
    order = page.evaluate(GRID_ORDER)
    page.locator("[id*='export-menu'][id*='ranking'] button").click()
    link = page.locator(".dropdown-menu.show a.dropdown-item").filter(
        has_text=re.compile(r"^Données CSV$"))
    expect(link).to_have_attribute("href", re.compile(r"sort=change"))
    assert not [body for body in posted if '"map.figure"' in body or "kpi-row" in body], (
        "a sort redraws the ranking, not the map nor the cards")
    with page.expect_download(timeout=60_000) as download_info:
        link.click()
    content = download_info.value.path().read_text(encoding="utf-8-sig")
    codes = [line.split(",")[1] for line in content.splitlines()[1:]]
    assert codes[:len(order)] == order  # the file's rows in the order on screen
    page.reload()  # the address alone restores the order
    expect(grid.locator('.ag-header-cell[col-id="change"]')).to_have_attribute(
        "aria-sort", "ascending")
    page.wait_for_function(f"(order) => JSON.stringify(({GRID_ORDER})()) === order",
                           arg=json.dumps(order, separators=(",", ":")))
    page.locator("#filter-cycle").click()  # a filter change keeps the order
    page.get_by_role("option", name="Collège", exact=True).click()
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query).get("cycle") == ["college"])
    assert parse_qs(urlsplit(page.url).query).get("sort") == ["change"]


GRID_ROWS = """
() => {
  const rows = [];
  dash_ag_grid.getApi('children-grid').forEachNode((node) => rows.push(node.data));
  return rows;
}
"""


def test_an_exam_ranking_lists_its_candidates_and_marks_rates_on_few(page, tiny_engine):
    sat = bac_candidates_by_commune(tiny_engine, "141", 2024)
    page.goto("/province/141?year=2024&indicator=success_rate_BAC")
    grid = page.locator("#children-grid")
    expect(grid.locator('.ag-header-cell[col-id="base"]')).to_have_text("Candidats")
    expect(grid.locator(".ag-center-cols-container .ag-row")).to_have_count(len(sat))
    rows = page.evaluate(GRID_ROWS)
    assert {row["code"] for row in rows} == set(sat)
    for row in rows:
        assert row["base"] in (sat[row["code"]], None)
        assert row["few"] == (row["base"] is not None and row["base"] < 30
                              and row["value"] is not None)
    few = [row for row in rows if row["few"]]
    expect(grid.locator(".ag-center-cols-container .few-base")).to_have_count(len(few))


def test_ranking_names_are_links_that_open_in_a_new_tab(page):
    page.goto("/province/141?year=2024&cycle=college")
    link = page.locator('#children-grid .ag-center-cols-container [col-id="name"] a.unit-link')
    expect(link.first).to_be_visible()
    href = link.first.get_attribute("href")
    path, query = urlsplit(href).path, parse_qs(urlsplit(href).query)
    assert path.startswith("/commune/141.") and query == {"year": ["2024"], "cycle": ["college"]}
    with page.context.expect_page() as opened:
        link.first.click(modifiers=["Control"])
    tab = opened.value
    tab.wait_for_url(lambda url: urlsplit(url).path == path)
    tab.close()
    page.wait_for_timeout(500)  # a drill in this tab would have moved it by now
    assert urlsplit(page.url).path == "/province/141"
    link.first.click()  # a plain click drills here, as before
    page.wait_for_url(lambda url: urlsplit(url).path == path)


def test_a_regional_planner_finds_the_weakest_communes_in_three_clicks(page, tiny_engine):
    """Plain SQL: the communes of region 6 with pupils in 2024, and their dropouts."""
    rates = dict(query(tiny_engine, """
        SELECT s.commune_code, avg(CASE WHEN e.outcome = 'abandon' THEN 1.0 ELSE 0.0 END)
        FROM enrollment e JOIN school s ON s.code = e.school_code
        JOIN commune c ON c.code = s.commune_code JOIN province p ON p.code = c.province_code
        WHERE e.school_year = 2024 AND p.region_code = '6' GROUP BY s.commune_code"""))
    (communes,), = query(tiny_engine, """SELECT count(*) FROM commune c
        JOIN province p ON p.code = c.province_code WHERE p.region_code = '6'""")
    page.goto("about:blank")
    page.context.clear_cookies()
    log_in(page, "region6")
    page.goto("/region/6?year=2024")
    grid = page.locator("#children-grid")
    expect(grid.locator(".ag-center-cols-container .ag-row").first).to_be_visible()
    clicks = 0
    page.locator("#rank-level").get_by_text("Communes", exact=True).click()
    clicks += 1
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query).get("rank") == ["commune"])
    expect(page.locator("#table-title")).to_have_text("Classement : communes")
    expect(page.locator("#map-title")).to_have_text("Carte : communes")
    page.wait_for_function(f"() => ({GRID_ROWS})().length === {communes}")
    rows = page.evaluate(GRID_ROWS)
    shown = [row for row in rows if row["value"] is not None]
    assert shown, "some communes of region 6 show a dropout rate"
    for row in shown:  # each shown rate is the commune's own, worked out in SQL
        assert abs(row["value"] - float(rates[row["code"]])) < 1e-9
    weakest = [row["code"] for row in sorted(shown, key=lambda r: -r["value"])[:5]]
    assert [row["code"] for row in rows[:len(weakest)]] == weakest  # the grid's first five
    page.locator("[id*='export-menu'][id*='ranking'] button").click()
    clicks += 1
    link = page.locator(".dropdown-menu.show a.dropdown-item").filter(
        has_text=re.compile(r"^Données CSV$"))
    assert "rank=commune" in link.get_attribute("href")
    with page.expect_download(timeout=60_000) as download_info:
        link.click()
    clicks += 1
    assert clicks <= 3
    content = download_info.value.path().read_text(encoding="utf-8-sig")
    assert all(code in content for code in weakest)


def test_the_header_search_finds_a_unit_and_opens_it_from_the_keyboard(page):
    page.goto("/region/6?year=2023&cycle=primaire")
    expect(page.locator(".unit-page[data-level=region] .unit-name")).to_have_text(
        "Casablanca-Settat")
    box = page.locator("#search-box")
    box.fill("anfa")
    results = page.locator("#search-results .search-result")
    expect(results.first).to_contain_text("Anfa")
    expect(results.first).to_contain_text("Commune")
    box.press("Tab")  # the results are the next stops of the keyboard
    expect(results.first).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: urlsplit(url).path == "/commune/141.1.1")
    assert parse_qs(urlsplit(page.url).query) == {"year": ["2023"], "cycle": ["primaire"]}
    expect(page.locator(".unit-page[data-level=commune] .unit-name")).to_have_text("Anfa")


def test_the_search_says_when_nothing_in_the_scope_matches(page):
    page.goto("about:blank")
    page.context.clear_cookies()
    log_in(page, "province141")
    page.locator("#search-box").fill("Mniaa")  # a commune of Settat, not of Casablanca
    expect(page.locator("#search-results")).to_contain_text("Aucune unité ne correspond")
    expect(page.locator("#search-results .search-result")).to_have_count(0)


NO_SIDEWAYS = "() => document.documentElement.scrollWidth <= window.innerWidth"


@pytest.mark.parametrize("width", [1024, 390])
def test_no_sideways_scrolling_on_a_small_screen(page, width):
    page.set_viewport_size({"width": width, "height": 800})
    page.goto("/region/6")
    expect(page.locator("#children-grid .ag-center-cols-container .ag-row").first).to_be_visible()
    expect(page.locator("#map .main-svg").first).to_be_visible()
    assert page.evaluate(NO_SIDEWAYS), page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]")


def test_on_a_phone_the_filters_fold_away_and_the_ranking_keeps_its_values(page):
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto("/region/6")
    toggle = page.locator("#filters-toggle")
    expect(toggle).to_be_visible()
    expect(page.locator("#filter-fields")).to_be_hidden()
    toggle.click()
    expect(page.locator("#filter-fields")).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    toggle.click()
    expect(page.locator("#filter-fields")).to_be_hidden()
    value = page.locator('#children-grid .ag-header-cell[col-id="value"]')
    expect(value).to_be_visible()
    box, grid = value.bounding_box(), page.locator("#children-grid").bounding_box()
    assert box["x"] + box["width"] <= grid["x"] + grid["width"] + 1  # in view, no scrolling
