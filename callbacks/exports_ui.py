"""Download links that follow the view, and the briefing pack produced on request."""

from __future__ import annotations

import logging

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, dcc
from dash.exceptions import PreventUpdate

from callbacks.access import current_scope
from callbacks.common import current_view, sorted_view
from callbacks.wiring import callback, clientside_callback
from dashboard.i18n import _
from dashboard.urls import View, export_url
from dashboard.web.auth import audit
from layouts.exports import DATA_FORMATS, IMAGE_FORMATS

log = logging.getLogger("pilotage.exports")
BRIEFING_BUTTONS = {"briefing-pptx": "pptx", "briefing-pdf": "pdf"}


@callback(
    Output({"type": "export-menu", "chart": ALL, "images": ALL}, "children"),
    Input("view", "data"),
    Input("page-unit", "data"),
    Input("view-sort", "data"),
    State({"type": "export-menu", "chart": ALL, "images": ALL}, "id"),
)
def update_export_links(view_data, page_unit, sort_data, menus):
    """Point every download menu at the exports of the view on screen, in its order."""
    view = sorted_view(current_view(view_data, page_unit), sort_data)
    return [menu_items(view, menu["chart"], menu["images"]) for menu in menus]


def menu_items(view: View, chart: str, images: bool) -> list:
    """Return the items of one chart's download menu for a view: its images, its data."""
    items = []
    if images:
        items += [dbc.DropdownMenuItem(_("Image"), header=True)]
        items += [dbc.DropdownMenuItem(_(label), external_link=True,
                                       href=export_url(view, f"chart/{chart}.{fmt}"))
                  for fmt, label in IMAGE_FORMATS]
        items.append(dbc.DropdownMenuItem(divider=True))
    items.append(dbc.DropdownMenuItem(_("Données"), header=True))
    items += [dbc.DropdownMenuItem(_(label), external_link=True,
                                   href=export_url(view, f"data/{chart}.{fmt}", **extra))
              for fmt, label, extra in DATA_FORMATS]
    return items


def _briefing(view_data, page_unit, sort_data, fmt: str):
    from exports.briefing_files import briefing_filename, build_pdf, build_pptx
    from exports.renderer import RenderError

    view = sorted_view(current_view(view_data, page_unit), sort_data)
    build = build_pptx if fmt == "pptx" else build_pdf
    try:
        content = build(view, current_scope())
    except RenderError:
        audit.record_callback_export(view, briefing_filename(view, fmt), None,
                                     reason="the chart renderer failed")
        return None, _("Le rendu des graphiques a échoué : réessayez dans un instant.")
    audit.record_callback_export(view, briefing_filename(view, fmt), len(content))
    log.info("briefing %s for %s %s %s", fmt, view.level, view.code, view.filters.as_dict())
    return dcc.send_bytes(content, briefing_filename(view, fmt)), _("Briefing prêt.")


@callback(
    Output("briefing-download", "data"),
    Output("briefing-status", "children"),
    Input("briefing-pptx", "n_clicks"),
    Input("briefing-pdf", "n_clicks"),
    State("view", "data"),
    State("page-unit", "data"),
    State("view-sort", "data"),
    running=[
        (Output("briefing-pptx", "disabled"), True, False),
        (Output("briefing-pdf", "disabled"), True, False),
        (Output("briefing-progress", "className"), "briefing-progress active", "briefing-progress"),
        (Output("briefing-status", "children"), _("Préparation du briefing…"), ""),
    ],
    prevent_initial_call=True,
)
def download_briefing(pptx_clicks, pdf_clicks, view_data, page_unit, sort_data=None):
    """Build the briefing pack (PowerPoint or PDF) of the view on screen, in its order."""
    # a forged view is refused, clicked or not
    sorted_view(current_view(view_data, page_unit), sort_data)
    if not (pptx_clicks or pdf_clicks) or ctx.triggered_id not in BRIEFING_BUTTONS:
        raise PreventUpdate
    return _briefing(view_data, page_unit, sort_data, BRIEFING_BUTTONS[ctx.triggered_id])


clientside_callback(
    "function (clicks) { if (clicks) { window.print(); } return null; }",
    Output("title-sink", "data", allow_duplicate=True),
    Input("print-button", "n_clicks"),
    prevent_initial_call=True,
)
