"""Briefing packs and chart downloads, as a user gets them from the page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from pptx import Presentation
from pypdf import PdfReader

pytestmark = pytest.mark.browser


def test_briefing_button_delivers_the_powerpoint_pack(page):
    page.goto("/region/6?year=2024&cycle=college")
    expect(page.locator(".unit-page[data-level=region] .unit-name")).to_have_text(
        "Casablanca-Settat")
    expect(page.locator("#kpi-enrollment .kpi-value")).not_to_have_text("—")
    with page.expect_download(timeout=60_000) as download_info:
        page.locator("#briefing-pptx").click()
    download = download_info.value
    assert download.suggested_filename == (
        "briefing_abandon_region-06_college_2024-2025.pptx")
    deck = Presentation(str(download.path()))
    assert len(deck.slides) == 8  # with the schooling and data-quality slides
    expect(page.locator("#briefing-status")).to_have_text("Briefing prêt.")


def test_briefing_pdf_and_a_chart_image_download(page):
    page.goto("/province/141?year=2024")
    expect(page.locator("#kpi-enrollment .kpi-value")).not_to_have_text("—")
    with page.expect_download(timeout=60_000) as download_info:
        page.locator("#briefing-pdf").click()
    reader = PdfReader(download_info.value.path())
    assert "Casablanca" in reader.pages[0].extract_text()

    page.locator("[id*='export-menu'][id*='trend-chart'] button").click()
    link = page.locator(".dropdown-menu.show a.dropdown-item", has_text="Image PNG")
    with page.expect_download(timeout=60_000) as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == "abandon_province-141_2024-2025_tendance.png"
    assert download.path().read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
