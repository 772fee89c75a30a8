"""The data-quality view of a unit (``/quality/<level>/<code>``): how far its numbers can be
trusted, where they are weak, and, for a school, which pupils to correct in MASSAR.

The page is a skeleton on the filters of every view; callbacks fill it (callbacks/quality).
"""

from __future__ import annotations

import json

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.ages import CENSUS_GAP_LIMIT
from dashboard.data.quality import CHECKS
from dashboard.i18n import _, is_right_to_left
from dashboard.levels import CHILD_LEVEL, LEVEL_LABELS, RANKED_LABELS
from dashboard.web.followup import CHOICES, MAX_COMMENT, status_label
from layouts.components import graph, loading, section
from layouts.exports import export_menu
from layouts.unit_page import unit_names

#: The kind of the view's download menus (their own callback sets their links).
MENU = "quality-export-menu"

#: Rows of the pupil list shown on screen; the Excel file holds them all.
MAX_SHOWN = 5000
GRID_TEXTS = {"filterOoo": "Filtrer…", "contains": "Contient", "equals": "Égal à",
              "noRowsToShow": "Aucun constat pour cette sélection",
              "loadingOoo": "Chargement…"}


def check_options() -> list[dict]:
    """Return the choices of what the trend, funnel and ranking show."""
    return [{"label": _("Score de qualité des données"), "value": ""},
            *({"label": _(check.label), "value": check.code} for check in CHECKS)]


def grid(grid_id: str, height: int, columns: list[dict]) -> dag.AgGrid:
    """Return a read-only grid of the page."""
    return dag.AgGrid(
        id=grid_id, columnDefs=columns,
        defaultColDef={"sortable": True, "resizable": True, "filter": True,
                       "suppressMovable": True},
        dashGridOptions={"animateRows": False, "enableRtl": is_right_to_left(),
                         "localeText": {key: _(text) for key, text in GRID_TEXTS.items()}},
        className="ag-theme-alpine", style={"height": f"{height}px", "width": "100%"},
    )


def count_formatter() -> dict:
    """Return the formatter of a count column: ``secret`` where the row hides it."""
    secret = json.dumps(_("secret"))
    return {"function": "params.data && params.data._hidden && "
                        f"params.data._hidden.includes(params.colDef.field) ? {secret} "
                        ": frCount(params.value)"}


def checks_columns() -> list[dict]:
    """Return the columns of the checks' grid."""
    return [
        {"field": "check", "headerName": _("Contrôle"), "flex": 3, "minWidth": 220,
         "tooltipField": "finds", "wrapText": True, "autoHeight": True},
        {"field": "count", "headerName": _("Constats"), "type": "numericColumn", "flex": 1,
         "valueFormatter": count_formatter()},
        {"field": "base", "headerName": _("Examinés"), "type": "numericColumn", "flex": 1,
         "valueFormatter": count_formatter()},
        {"field": "rate_text", "headerName": _("Taux"), "type": "numericColumn", "flex": 1},
        {"field": "state", "headerName": _("Suivi"), "flex": 1, "minWidth": 110,
         "wrapText": True, "autoHeight": True},
    ]


def ranking_columns() -> list[dict]:
    """Return the columns of the children's ranking."""
    return [
        {"field": "rank", "headerName": _("Rang"), "width": 80, "type": "numericColumn"},
        {"field": "name", "headerName": _("Nom"), "flex": 2, "minWidth": 160,
         "cellRenderer": "markdown"},
        {"field": "value_text", "headerName": _("Valeur"), "type": "numericColumn",
         "flex": 1},
        {"field": "count", "headerName": _("Constats"), "type": "numericColumn", "flex": 1,
         "valueFormatter": count_formatter()},
        {"field": "base", "headerName": _("Examinés"), "type": "numericColumn", "flex": 1,
         "valueFormatter": count_formatter()},
    ]


def pupil_columns() -> list[dict]:
    """Return the columns of a school's list of pupils to correct."""
    return [
        {"field": "check", "headerName": _("Contrôle"), "flex": 2, "minWidth": 180},
        {"field": "massar_code", "headerName": _("Code MASSAR"), "flex": 1, "minWidth": 130},
        {"field": "grade", "headerName": _("Niveau"), "width": 95},
        {"field": "fields", "headerName": _("Champs en cause"), "flex": 3, "minWidth": 260,
         "wrapText": True, "autoHeight": True},
    ]


def heading(unit: dict) -> html.Div:
    """Return the page's heading; the breadcrumb and subtitle are filled per view."""
    return html.Div(
        [
            html.Nav(id="quality-breadcrumb", className="crumbs",
                     **{"aria-label": _("Fil d'Ariane")}),
            html.Div(
                [
                    html.Div(
                        [
                            html.Div([_("Qualité des données"), " · ",
                                      _(LEVEL_LABELS[unit["level"]])], className="unit-level"),
                            html.H1(unit_names(unit), className="unit-title",
                                    id="quality-title"),
                            html.Div(id="quality-subtitle", className="unit-subtitle"),
                        ],
                    ),
                    dcc.Link(_("Voir les indicateurs de l'unité"), id="quality-indicators-link",
                             href="/", className="btn btn-outline-primary btn-sm no-print"),
                ],
                className="d-flex justify-content-between align-items-end flex-wrap gap-2",
            ),
        ],
        className="unit-heading",
    )


def check_choice() -> html.Div:
    """Return the choice of what the trend, the funnel and the ranking show."""
    return html.Div(
        [html.Label(_("Afficher :"), htmlFor="quality-check", className="rank-label"),
         dcc.Dropdown(id="quality-check", options=check_options(), value="", clearable=False,
                      searchable=False, className="quality-check")],
        className="d-flex align-items-center gap-2 mb-2 no-print quality-choice",
    )


def followup_form() -> html.Div:
    """Return the form that marks one of the school's findings."""
    return html.Div(
        [
            dbc.Row(
                [
                    dbc.Col([dbc.Label(_("Constat"), html_for="quality-mark-check"),
                             dcc.Dropdown(id="quality-mark-check", options=[], clearable=False,
                                          searchable=False)], md=5),
                    dbc.Col([dbc.Label(_("État"), html_for="quality-mark-status"),
                             dbc.RadioItems(id="quality-mark-status", value=CHOICES[0],
                                            options=[{"label": status_label(s), "value": s}
                                                     for s in CHOICES])], md=3),
                    dbc.Col([dbc.Label(_("Commentaire"), html_for="quality-mark-comment"),
                             dbc.Textarea(id="quality-mark-comment", maxLength=MAX_COMMENT,
                                          rows=2, placeholder=_("Ce qui a été fait ou vu"))],
                            md=4),
                ],
                className="g-2",
            ),
            html.Div(
                [dbc.Button(_("Enregistrer"), id="quality-mark-save", color="primary",
                            size="sm"),
                 html.Span(id="quality-mark-result", className="ms-2", role="status")],
                className="mt-2",
            ),
        ],
        className="quality-mark-form no-print",
    )


def menu(panel_id: str, images: bool = True):
    """Return the download menu of one of the view's panels (its links follow the view)."""
    return export_menu(panel_id, images, kind=MENU)


def layout(unit: dict) -> html.Div:
    """Return the skeleton of a unit's data-quality view."""
    level = unit["level"]
    checks = section(_("Contrôles de l'année"),
                     loading(grid("quality-checks-grid", 610, checks_columns())),
                     title_id="quality-checks-title", extra=menu("quality-checks", False))
    trend = section(_("Évolution"), html.Div([check_choice(), graph("quality-trend", 520)]),
                    title_id="quality-trend-title", extra=menu("quality-trend"))
    parts = [
        heading(unit),
        dcc.Store(id="quality-marks"),  # the marks saved on the page, to redraw it
        loading(html.Div(id="quality-cards", className="kpi-row quality-cards")),
        dbc.Row([dbc.Col(checks, lg=6), dbc.Col(trend, lg=6)], className="g-3 mt-1"),
    ]
    if level == "school":
        download = html.Div([
            dbc.Button(_("Télécharger (Excel)"), id="quality-pupils-xlsx", size="sm",
                       color="secondary", outline=True),
            dcc.Download(id="quality-pupils-download")])
        parts += [
            dbc.Row(dbc.Col(section(
                _("Élèves à corriger dans MASSAR"),
                html.Div([html.P(id="quality-pupils-note", className="text-muted small"),
                          loading(grid("quality-pupils-grid", 300, pupil_columns()))]),
                title_id="quality-pupils-title", extra=download)), className="g-3 mt-1"),
        ]
    else:
        children = _(RANKED_LABELS[CHILD_LEVEL[level]]).lower()
        parts += [
            dbc.Row(
                [dbc.Col(section(_("Carte : {children}", children=children),
                                 graph("quality-map", 430), title_id="quality-map-title",
                                 extra=menu("quality-map")), lg=6),
                 dbc.Col(section(_("Classement : {children}", children=children),
                                 loading(grid("quality-ranking-grid", 430, ranking_columns())),
                                 title_id="quality-ranking-title",
                                 extra=menu("quality-ranking", False)), lg=6)],
                className="g-3 mt-1"),
            dbc.Row(dbc.Col(section(
                _("Entonnoir : {children}", children=children),
                html.Div([html.P(_("Chaque point est une unité ; hors des limites, son taux "
                                   "s'écarte de l'ensemble plus que le hasard ne l'explique. "
                                   "Cliquez un point pour ouvrir sa qualité des données."),
                                 className="text-muted small mb-1"),
                          graph("quality-funnel", 420)]),
                title_id="quality-funnel-title", extra=menu("quality-funnel"))),
                className="g-3 mt-1"),
        ]
    if level != "school":
        parts.append(dbc.Row(dbc.Col(section(
            _("Écart au recensement"),
            html.Div([html.P(_(
                "Chaque point est une commune : son taux de scolarisation des 6-11 ans en "
                "2023-2024 selon MASSAR, contre celui que le recensement (HCP, RGPH 2024) a "
                "mesuré pour les mêmes enfants. Au-delà de {points} points d'écart (en rouge), "
                "des élèves ou des enfants manquent quelque part : établissements absents de "
                "MASSAR, élèves scolarisés dans une autre commune, population mal estimée.",
                points=round(CENSUS_GAP_LIMIT * 100)), className="text-muted small mb-1"),
                loading(graph("quality-census-gap", 420))]),
            title_id="quality-census-gap-title", extra=menu("quality-census-gap"))),
            className="g-3 mt-1"))
    register_body = [html.Div(id="quality-register")]
    if level == "school":
        register_body.insert(0, followup_form())
    parts.append(dbc.Row(dbc.Col(section(_("Suivi des corrections"), html.Div(register_body),
                                         title_id="quality-register-title")),
                         className="g-3 mt-1"))
    return html.Div(parts, className="unit-page quality-page", id="quality-page",
                    **{"data-level": level})

