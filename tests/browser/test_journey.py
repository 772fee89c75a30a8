"""The acceptance journey in a real browser: from the nation down to a school and back.

Expected numbers are computed here with plain SQL over the raw tables, never through
``queries/``; the page must show them written the French way (``4 548``, with a narrow
no-break space). Every step waits on what the user would see: the address, the unit's
name and the filled indicator cards, never on a fixed delay.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import query

pytestmark = pytest.mark.browser

YEAR = 2024
NO_DATA = "\u2014"
THIN_SPACE = "\u202f"  # narrow no-break space: the French thousands separator
MAX_CLICKS = 5
HOVER_ATTEMPTS = 3
HOVER_TIMEOUT_MS = 3_000
COLLEGE_GRADES = "('1AC', '2AC', '3AC')"
INDICATOR_CODES = ["enrollment", "girls_share", "dropout_rate", "repetition_rate",
                   "promotion_rate", "success_rate_CEP", "success_rate_REG", "success_rate_BAC",
                   "mean_score", "quality_score",
                   "enrollment_rate_6_11", "enrollment_rate_12_14", "enrollment_rate_15_17",
                   *(f"{kind}_{cycle}" for cycle in ("primaire", "college", "qualifiant")
                     for kind in ("gross_enrollment_ratio", "net_enrollment_ratio"))]
#: The data-quality checks, as the Definitions page lists them below the indicators.
CHECK_CODES = ["missing_outcome", "missing_average", "school_silent", "returns_after_abandon",
               "promoted_not_next_grade", "repeater_moved_on", "grade_skip", "lost_in_transfer",
               "implausible_age", "exam_outcome_mismatch", "average_outcome_mismatch",
               "enrollment_jump", "outlier_rate"]
PUPILS = """
    FROM enrollment e
    JOIN student st ON st.massar_code = e.massar_code
    JOIN school s ON s.code = e.school_code
    JOIN commune c ON c.code = s.commune_code
"""

#: Plotly draws geo shapes with ``pointer-events: none`` and finds the shape under the
#: mouse itself, from the position on the map. So the test clicks with the mouse at a
#: point inside the shape, the one farthest from its borders (found with the SVG
#: ``isPointInFill``), and plotly's own hover-then-click runs as it does for a user.
#: The shape is scrolled into view first if it is not.
INTERIOR_POINT = """
([code, steps]) => {
  const shapes = [...document.querySelectorAll('#map path.choroplethlocation')]
    .filter((path) => path.__data__ && String(path.__data__.loc) === code);
  const shape = shapes[shapes.length - 1];
  if (!shape) return null;
  const rect = shape.getBoundingClientRect();
  if (rect.top < 0 || rect.bottom > window.innerHeight) shape.scrollIntoView({block: 'center'});
  const box = shape.getBBox();
  if (!box.width || !box.height) return null;
  const inside = [], outside = [];
  for (let i = 0; i <= steps; i++) {
    for (let j = 0; j <= steps; j++) {
      const point = new DOMPoint(box.x + box.width * i / steps, box.y + box.height * j / steps);
      (shape.isPointInFill(point) ? inside : outside).push(point);
    }
  }
  let best = null, bestDistance = -1;
  for (const p of inside) {
    let nearest = Math.min(p.x - box.x, box.x + box.width - p.x,
                           p.y - box.y, box.y + box.height - p.y) ** 2;
    for (const q of outside) nearest = Math.min(nearest, (p.x - q.x) ** 2 + (p.y - q.y) ** 2);
    if (nearest > bestDistance) { best = p; bestDistance = nearest; }
  }
  if (!best) return null;
  const screen = best.matrixTransform(shape.getScreenCTM());
  return {x: screen.x, y: screen.y};
}
"""


def french_count(value: int) -> str:
    """Write a count as the page does: ``4 548``."""
    return f"{value:,}".replace(",", THIN_SPACE)


def enrolled(engine, where: str = "TRUE", **params) -> int:
    """Count the latest year's enrolments matching ``where`` (on e, st, s and c)."""
    (count,), = query(engine, f"SELECT count(*) {PUPILS} WHERE e.school_year = :year AND {where}",
                      year=YEAR, **params)
    return count


def path_and_query(page: Page) -> tuple[str, dict[str, list[str]]]:
    """Return the path and the parsed query string of the page's address."""
    parts = urlsplit(page.url)
    return parts.path, parse_qs(parts.query)


def wait_for_path(page: Page, path: str) -> dict[str, list[str]]:
    """Wait until the address has ``path``; return its query string."""
    page.wait_for_url(lambda url: urlsplit(url).path == path)
    return path_and_query(page)[1]


def wait_for_unit(page: Page, level: str, name: str) -> None:
    """Wait until the page of the unit ``name`` is laid out and its cards are filled."""
    unit_page = page.locator(f".unit-page[data-level={level}]")
    expect(unit_page).to_be_visible()
    expect(unit_page.locator(".unit-name")).to_have_text(name)
    expect(page.locator("#kpi-enrollment .kpi-value")).not_to_have_text(NO_DATA)


def expect_crumbs(page: Page, names: list[str]) -> None:
    """Check the breadcrumb: links to every ancestor, then the current unit."""
    expect(page.locator("#breadcrumb .crumb")).to_have_text(names)
    expect(page.locator("#breadcrumb a.crumb")).to_have_text(names[:-1])
    expect(page.locator("#breadcrumb .crumb-current")).to_have_text(names[-1])


def name_cell(page: Page, name: str):
    """Return the ranking table's name cell of the child called ``name``."""
    cells = page.locator('#children-grid .ag-center-cols-container .ag-row [col-id="name"]')
    return cells.filter(has_text=re.compile(f"^{re.escape(name)}$"))


def choose(page: Page, name: str, label: str) -> None:
    """Pick ``label`` in the filter ``name``: open the dropdown, click the option."""
    page.locator(f"#filter-{name}").click()
    page.get_by_role("option", name=label, exact=True).click()
    expect(page.locator(f"#filter-{name} .dash-dropdown-value")).to_have_text(label)


class Visitor:
    """A user on the page who counts the clicks it takes to get somewhere."""

    def __init__(self, page: Page):
        self.page = page
        self.clicks = 0

    def click_map_shape(self, code: str, name: str) -> None:
        """Click the map shape of the child unit ``code`` once its tooltip names it.

        The graph is swapped in when plotly's bundle arrives and redrawn with each figure,
        so the point is looked up again until the tooltip shows.
        """
        tooltip = self.page.locator("#map .hoverlayer .hovertext")
        for attempt in range(HOVER_ATTEMPTS):
            point = self.page.wait_for_function(INTERIOR_POINT, arg=[code, 24]).json_value()
            self.page.mouse.move(0, 0)  # a fresh move, so that the map sees the mouse arrive
            self.page.mouse.move(point["x"], point["y"])
            try:
                expect(tooltip).to_contain_text(name, timeout=HOVER_TIMEOUT_MS)
                break
            except AssertionError:
                if attempt == HOVER_ATTEMPTS - 1:
                    raise
        self.page.mouse.click(point["x"], point["y"])
        self.clicks += 1

    def click_row(self, name: str) -> None:
        """Click the name of the child unit ``name`` in the ranking table."""
        name_cell(self.page, name).click()
        self.clicks += 1


def test_journey_from_the_nation_to_a_school_and_back(page, live_url, tiny_engine):
    commune_code, commune_name, college = query(tiny_engine, f"""
        SELECT c.code, c.name_fr, count(*) {PUPILS}
        WHERE e.school_year = :year AND c.province_code = '141' AND e.grade IN {COLLEGE_GRADES}
        GROUP BY c.code, c.name_fr ORDER BY count(*) DESC, c.code LIMIT 1
    """, year=YEAR)[0]
    commune_total = enrolled(tiny_engine, "s.commune_code = :code", code=commune_code)
    assert 0 < college < commune_total, "the tiny database needs a commune with a collège"
    visitor = Visitor(page)

    page.goto("/")
    wait_for_unit(page, "national", "Maroc")
    expect(page.locator("#kpi-enrollment .kpi-value")).to_have_text(
        french_count(enrolled(tiny_engine)))

    visitor.click_map_shape("6", "Casablanca-Settat")
    page.wait_for_url(lambda url: url == f"{live_url}/region/6?year={YEAR}")
    wait_for_unit(page, "region", "Casablanca-Settat")
    expect_crumbs(page, ["Maroc", "Casablanca-Settat"])
    expect(page.locator("#map-title")).to_have_text("Carte : provinces et préfectures")
    page.evaluate("document.querySelector('.unit-page').dataset.visited = 'region'")

    visitor.click_row("Casablanca")
    params = wait_for_path(page, "/province/141")
    assert params == {"year": [str(YEAR)]}
    wait_for_unit(page, "province", "Casablanca")
    expect_crumbs(page, ["Maroc", "Casablanca-Settat", "Casablanca"])
    # the territorial page stayed mounted (the same element) and was renamed for the province
    expect(page.locator(".unit-page[data-visited=region][data-level=province]")).to_have_count(1)
    expect(page.locator("#unit-level")).to_have_text("Province / préfecture")
    expect(page.locator("#map-title")).to_have_text("Carte : communes")
    expect(page.locator("#table-title")).to_have_text("Classement : communes")
    expect(page).to_have_title("Casablanca · Pilotage")

    visitor.click_row(commune_name)
    commune_path = f"/commune/{commune_code}"
    wait_for_path(page, commune_path)
    wait_for_unit(page, "commune", commune_name)
    expect_crumbs(page, ["Maroc", "Casablanca-Settat", "Casablanca", commune_name])
    expect(page.locator("#kpi-enrollment .kpi-value")).to_have_text(french_count(commune_total))
    commune_url = page.url

    first_school = page.locator("#children-grid .ag-center-cols-container .ag-row").first
    # the grid is redrawn after the cards: wait for it to list the commune's schools
    expect(first_school).to_have_attribute("row-id", re.compile(r"^\d+[A-Z]$"))
    school_code = first_school.get_attribute("row-id")
    school_name = first_school.locator('[col-id="name"]').text_content()
    visitor.click_row(school_name)
    wait_for_path(page, f"/school/{school_code}")
    expect(page.locator(".school-page .unit-name")).to_have_text(school_name)
    expect(page.locator("#school-identity")).to_contain_text(school_code)
    assert visitor.clicks <= MAX_CLICKS

    page.go_back()
    page.wait_for_url(lambda url: url == commune_url)
    wait_for_unit(page, "commune", commune_name)
    expect(page.locator("#kpi-enrollment .kpi-value")).to_have_text(french_count(commune_total))

    choose(page, "cycle", "Collège")
    page.wait_for_url(lambda url: "cycle" in parse_qs(urlsplit(url).query))
    path, params = path_and_query(page)
    assert (path, params) == (commune_path, {"year": [str(YEAR)], "cycle": ["college"]})
    expect(page.locator("#kpi-enrollment .kpi-value")).to_have_text(french_count(college))
    expect(page.locator("#view-subtitle")).to_contain_text("Collège")

    shared_url = page.url
    page.goto(shared_url)
    wait_for_unit(page, "commune", commune_name)
    assert page.url == shared_url
    expect(page.locator("#filter-cycle .dash-dropdown-value")).to_have_text("Collège")
    expect(page.locator("#kpi-enrollment .kpi-value")).to_have_text(french_count(college))


def test_a_bad_parameter_shows_a_notice_and_the_page_still_works(page, tiny_engine):
    page.goto("/province/141?year=1999")
    expect(page.locator("#notices .alert")).to_be_visible()
    expect(page.locator("#notices .alert")).to_contain_text("année scolaire")
    wait_for_unit(page, "province", "Casablanca")
    expect(page.locator("#filter-year .dash-dropdown-value")).to_have_text(f"{YEAR}-{YEAR + 1}")
    expect(page.locator("#kpi-enrollment .kpi-value")).to_have_text(
        french_count(enrolled(tiny_engine, "c.province_code = '141'")))

    choose(page, "sex", "Filles")
    page.wait_for_url(lambda url: "sex" in parse_qs(urlsplit(url).query))
    assert path_and_query(page) == ("/province/141", {"year": [str(YEAR)], "sex": ["F"]})
    expect(page.locator("#kpi-enrollment .kpi-value")).to_have_text(
        french_count(enrolled(tiny_engine, "c.province_code = '141' AND st.sex = 'F'")))


def test_an_unknown_code_shows_not_found(page):
    page.goto("/region/99")
    expect(page.locator("#not-found")).to_be_visible()
    expect(page.locator("#not-found-message")).to_contain_text("99")
    expect(page.locator(".unit-page")).to_have_count(0)


def test_definitions_list_every_indicator(page):
    page.goto("/definitions")
    rows = page.locator("#definitions-table tbody tr")
    expect(rows).to_have_count(len(INDICATOR_CODES))
    expect(rows.locator("code")).to_have_text(INDICATOR_CODES)
    checks = page.locator("#quality-checks-table tbody tr")
    expect(checks.locator("code")).to_have_text(CHECK_CODES)
