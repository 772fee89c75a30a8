"""Download menus and the briefing button; the links are filled by a callback."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.i18n import _
from layouts.components import graph, section

IMAGE_FORMATS = (("png", "Image PNG"), ("svg", "Image SVG (vectorielle)"), ("pdf", "PDF"))
DATA_FORMATS = (("csv", "Données CSV", {}), ("csv", "Données CSV (Excel français, « ; »)",
                                             {"sep": "semicolon"}),
                ("xlsx", "Données Excel", {}))


def export_menu(chart: str, images: bool = True, kind: str = "export-menu"
                ) -> dbc.DropdownMenu:
    """Return the download menu of one chart or table (items set per view; ``kind`` names
    the callback that sets them: a unit's page, or its data-quality view)."""
    return dbc.DropdownMenu(
        id={"type": kind, "chart": chart, "images": images},
        label=_("Télécharger"),
        size="sm",
        color="light",
        align_end=True,
        className="export-menu no-print",
        children=[],
    )


def briefing_buttons() -> html.Div:
    """Return the buttons that produce the briefing pack of the page."""
    return html.Div(
        [
            dbc.Button([html.Span("⤓ ", **{"aria-hidden": "true"}), _("Briefing PowerPoint")],
                       id="briefing-pptx", color="primary", size="sm"),
            dbc.Button([html.Span("⤓ ", **{"aria-hidden": "true"}), _("Briefing PDF")],
                       id="briefing-pdf", color="primary", outline=True, size="sm"),
            dbc.Button(_("Imprimer"), id="print-button", color="secondary", outline=True,
                       size="sm"),
            html.Span(id="briefing-progress", className="briefing-progress",
                      **{"aria-hidden": "true"}),
            html.Span(id="briefing-status", className="briefing-status", role="status"),
            dcc.Download(id="briefing-download"),
        ],
        className="briefing-actions no-print",
    )


def panel_section(title: str, panel_id: str, height: int, title_id: str | None = None):
    """Return a titled card holding one panel's graph and its download menu."""
    return section(title, graph(panel_id, height=height), title_id=title_id,
                   extra=export_menu(panel_id))
