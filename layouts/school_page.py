"""The page of one school: identity, pupils, outcomes, exams, trends and comparisons."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from dashboard.i18n import _
from layouts.components import section
from layouts.exports import panel_section
from layouts.unit_page import context_row, kpi_row, title_block

CYCLE_NAMES = {"primaire": "Primaire", "college": "Collège", "qualifiant": "Qualifiant"}
SECTOR_NAMES = {"public": "Public", "prive": "Privé"}
MILIEU_NAMES = {"urbain": "Urbain", "rural": "Rural"}


def identity(unit: dict, commune_name: str) -> html.Dl:
    """Return the school's identity card."""
    rows = [
        (_("Code GRESA"), unit["code"]),
        (_("Cycle"), _(CYCLE_NAMES[unit["cycle"]])),
        (_("Secteur"), _(SECTOR_NAMES[unit["sector"]])),
        (_("Milieu"), _(MILIEU_NAMES[unit["milieu"]])),
        (_("Commune"), commune_name),
        (_("Coordonnées"), f"{unit['latitude']:.4f}° N, {abs(unit['longitude']):.4f}° O"),
    ]
    items = []
    for term, value in rows:
        items += [html.Dt(term, className="col-5"), html.Dd(value, className="col-7")]
    return html.Dl(items, className="row identity mb-0", id="school-identity")


def layout(unit: dict, commune_name: str) -> html.Div:
    """Return the skeleton of a school page; callbacks fill every number."""
    return html.Div(
        [
            title_block(unit),
            html.Div(id="empty-notice"),
            kpi_row(),
            dbc.Row(
                [
                    dbc.Col(section(_("Identité"), identity(unit, commune_name)), lg=4),
                    dbc.Col(panel_section(_("Localisation"), "map", 300), lg=4),
                    dbc.Col(panel_section(_("Comparaison"), "school-comparison", 300), lg=4),
                ],
                className="g-3 mt-1",
            ),
            dbc.Row(
                [
                    dbc.Col(panel_section(_("Effectif par niveau et sexe"), "school-enrollment",
                                          320), lg=6),
                    dbc.Col(panel_section(_("Résultats de fin d'année par niveau"),
                                          "school-outcomes", 320), lg=6),
                ],
                className="g-3 mt-1",
            ),
            dbc.Row(
                [
                    dbc.Col(panel_section(_("Évolution"), "trend-chart", 300), lg=6),
                    dbc.Col(panel_section(_("Examens"), "school-exams", 300), lg=6),
                ],
                className="g-3 mt-1",
            ),
            context_row("school"),
        ],
        className="school-page",
        **{"data-level": "school"},
    )
