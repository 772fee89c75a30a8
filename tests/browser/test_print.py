"""Printing a unit page on A4 landscape: Chromium's PDF output, read back as images.

Every card (the indicator cards, the map, the ranking, each chart) has a grey border on
paper. On each page's image the borders are found and paired into rectangles: a card cut
by a page break, covered by another or cut at the edge leaves a border without its other
half. The PDF's text then shows that the ranking prints every row.
"""

from __future__ import annotations

import numpy as np
import pypdfium2
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

#: A card's border on paper is #7f8c99 (assets/pilotage.css, @media print): a grey whose
#: green and blue rise by the same step, as do its blends with white where a line falls
#: between two pixels. No chart colour or text is such a grey over a long run.
DARKEST_BLEND = 215
SCALE = 2  # image pixels per PDF point
A4_LANDSCAPE = (842, 595)  # points
EDGE = 100  # image pixels: the shortest border side looked for (no letter stroke is as long)
SLACK = 6  # image pixels: how far a rounded corner's blending moves the end of a line
CORNER = 24  # image pixels: how far a rounded corner moves a side's end

SVG_FITS = """
() => window.addEventListener('beforeprint', () => {
  // measured after the page's own handler has sized the charts for paper
  document.documentElement.classList.add('print-sizing');
  window.chartFits = Array.from(document.querySelectorAll('.section-card .js-plotly-plot'))
    .map((plot) => {
      const body = plot.closest('.card-body');
      const style = getComputedStyle(body);
      const room = body.clientWidth - parseFloat(style.paddingLeft)
        - parseFloat(style.paddingRight);
      return [plot.parentElement.id, Number(plot.querySelector('svg').getAttribute('width')),
              room];
    });
  document.documentElement.classList.remove('print-sizing');
});
"""
RANKED_NAMES = """
() => {
  const names = [];
  dash_ag_grid.getApi('children-grid').forEachNodeAfterFilterAndSort(
    (node) => names.push(node.data.name));
  return names;
}
"""


def runs(lines: np.ndarray, shortest: int) -> list[dict]:
    """Return the border runs of at least ``shortest`` pixels along each line, those of
    neighbouring lines merged: ``{"first", "last"}`` lines, from ``start`` to ``end``."""
    merged: list[dict] = []
    for position, line in enumerate(lines):
        steps = np.diff(np.concatenate(([0], line.astype(np.int8), [0])))
        for start, end in zip(np.flatnonzero(steps == 1), np.flatnonzero(steps == -1),
                              strict=True):
            if end - start < shortest:
                continue
            for run in merged:
                if (abs(run["start"] - start) <= SLACK and abs(run["end"] - end) <= SLACK
                        and position - run["last"] <= 1):
                    run["last"] = position
                    break
            else:
                merged.append({"first": position, "last": position, "start": start,
                               "end": end})
    return merged


def cards(image: np.ndarray) -> tuple[list[tuple[int, int, int, int]], list[dict]]:
    """Return the closed card rectangles of a page (left, top, right, bottom) and the
    horizontal borders that close none."""
    red, green, blue = (image[:, :, k].astype(int) for k in range(3))
    rise, rise_again = green - red, blue - green
    border = ((red <= DARKEST_BLEND) & (rise >= 5) & (rise_again >= 5)
              & (np.abs(rise - rise_again) <= 5))
    across, down = runs(border, EDGE), runs(border.T, EDGE)
    across.sort(key=lambda run: run["first"])
    rectangles, paired = [], set()
    for i, top in enumerate(across):
        if i in paired:
            continue
        for j in range(i + 1, len(across)):
            bottom = across[j]
            if j in paired or abs(bottom["start"] - top["start"]) > SLACK or abs(
                    bottom["end"] - top["end"]) > SLACK:
                continue
            span = (top["last"] + CORNER, bottom["first"] - CORNER)

            def side(low: int, high: int, span=span) -> bool:
                return any(low <= run["first"] <= high and run["start"] <= span[0]
                           and run["end"] >= span[1] for run in down)

            if side(top["start"] - CORNER, top["start"]) and side(top["end"], top["end"] + CORNER):
                rectangles.append((top["start"], top["first"], top["end"], bottom["last"]))
                paired |= {i, j}
                break
    return rectangles, [run for k, run in enumerate(across) if k not in paired]


def overlapping(rectangles: list[tuple[int, int, int, int]]) -> list[tuple]:
    return [(a, b) for k, a in enumerate(rectangles) for b in rectangles[k + 1:]
            if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]]


@pytest.mark.parametrize("width", [1024, 1440])
def test_a_unit_page_prints_every_card_whole_on_a4_landscape(page, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/province/141?year=2024")
    expect(page.locator("#children-grid .ag-center-cols-container .ag-row").first).to_be_visible()
    expect(page.locator("#map .choroplethlayer path").first).to_be_attached()
    expect(page.locator("#breakdown-sector .main-svg").first).to_be_attached()
    names = page.evaluate(RANKED_NAMES)
    # the cards on screen that print (a card inside a "no-print" block stays on screen)
    shown = page.evaluate("""() => [...document.querySelectorAll('.section-card, .kpi-card')]
        .filter(card => card.offsetParent !== null && !card.closest('.no-print')).length""")
    page.evaluate(SVG_FITS)
    pdf = pypdfium2.PdfDocument(page.pdf(format="A4", landscape=True, prefer_css_page_size=True,
                                          print_background=True))
    whole, text = 0, ""
    for number in range(len(pdf)):
        sheet = pdf[number]
        assert tuple(round(side) for side in sheet.get_size()) == A4_LANDSCAPE
        image = np.asarray(sheet.render(scale=SCALE).to_pil().convert("RGB"))
        rectangles, loose = cards(image)
        assert not loose, f"page {number + 1}: a card cut or covered, borders {loose}"
        assert not overlapping(rectangles), f"page {number + 1}: cards over one another"
        whole += len(rectangles)
        text += sheet.get_textpage().get_text_range()
    assert whole == shown, (whole, shown)  # each card once, whole, on one page
    assert len(pdf) <= 2  # the cards and map with the ranking, then the charts
    flat = " ".join(text.split())
    for name in names:  # the ranking prints every row, not the ones in the grid's view
        assert name in flat
    fits = page.evaluate("() => window.chartFits")
    assert len(fits) == 7  # the six charts and the schooling bars
    for chart, drawn, room in fits:
        assert drawn <= room + 1, f"{chart} is {drawn} px wide in a card of {room} px"
    # the screen gets its own sizes back once printed
    expect(page.locator("table.print-ranking")).to_have_count(0)
