"""The briefing of a view as a file: PowerPoint or PDF, with its name and media type."""

from __future__ import annotations

from dashboard.urls import View
from exports.briefing import briefing_content
from exports.briefing_charts import render_charts
from exports.briefing_pdf import pdf_document
from exports.briefing_pptx import pptx_document
from exports.naming import export_filename
from queries import Scope

PPTX_MIMETYPE = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
PDF_MIMETYPE = "application/pdf"


def briefing_filename(view: View, ext: str) -> str:
    """Return an ASCII file name: ``briefing_abandon_region-06_college_2024-2025.pptx``."""
    return "briefing_" + export_filename("map", view, ext)


def build_pptx(view: View, scope: Scope) -> bytes:
    """Return the briefing of a view as a 16:9 PowerPoint file."""
    content = briefing_content(view, scope)
    return pptx_document(content, render_charts(content))


def build_pdf(view: View, scope: Scope) -> bytes:
    """Return the briefing of a view as an A4 landscape PDF, one page per slide."""
    content = briefing_content(view, scope)
    return pdf_document(content, render_charts(content))
