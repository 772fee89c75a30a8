"""The page of a territorial unit: the nation, a region, a province or a commune."""

from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard import indicators
from dashboard.i18n import _, current_language, is_right_to_left, unit_name
from dashboard.levels import CHILD_LEVEL, LEVEL_LABELS, RANKED_LABELS, levels_below
from layouts.components import kpi_card, loading, section
from layouts.exports import briefing_buttons, export_menu, panel_section


def unit_names(unit: dict) -> list:
    """Return the unit's name in the page's language and, when it differs, in the other."""
    if current_language() == "ar":
        return [html.Span(unit_name(unit), className="unit-name"),
                html.Span(unit["name_fr"], className="unit-name-ar", lang="fr", dir="ltr")
                if unit["name_ar"] and unit["name_ar"] != unit["name_fr"] else None]
    return [html.Span(unit["name_fr"], className="unit-name"),
            html.Span(unit["name_ar"], className="unit-name-ar", lang="ar",
                      dir="rtl") if unit["name_ar"] != unit["name_fr"] else None]


def map_title(shown: str) -> str:
    """Return the title of a unit page's map, naming the level it shows."""
    return _("Carte : {children}", children=_(RANKED_LABELS[shown]).lower())


def ranking_title(ranked: str) -> str:
    """Return the title of a unit page's ranking, naming the level it lists."""
    return _("Classement : {children}", children=_(RANKED_LABELS[ranked]).lower())


def title_block(unit: dict) -> html.Div:
    """Return the unit's heading: level, French and Arabic names."""
    return html.Div(
        [
            html.Nav(id="breadcrumb", className="crumbs", **{"aria-label": _("Fil d'Ariane")}),
            html.Div(
                [
                    html.Div(
                        [
                    html.Div(_(LEVEL_LABELS[unit["level"]]), className="unit-level",
                             id="unit-level"),
                    html.H1(unit_names(unit), className="unit-title", id="unit-title"),
                    html.Div(id="view-subtitle", className="unit-subtitle"),
                        ],
                    ),
                    html.Div([dcc.Link(_("Qualité des données"), id="unit-quality-link",
                                       href="/quality",
                                       className="btn btn-outline-secondary btn-sm no-print"),
                              briefing_buttons()],
                             className="d-flex align-items-center gap-2"),
                ],
                className="d-flex justify-content-between align-items-end flex-wrap gap-2",
            ),
        ],
        className="unit-heading",
    )


def context_row(level: str) -> dbc.Row:
    """Return the unit's census context (HCP, RGPH 2024) and, for a territory, the
    schooling of its population, filled by callbacks."""
    context = section(_("Contexte démographique (HCP, RGPH 2024)"),
                      loading(html.Div(id="context-body")),
                      extra=export_menu("context", images=False))
    if level == "school":
        columns = [dbc.Col(context)]
    else:
        columns = [dbc.Col(context, lg=5),
                   dbc.Col(panel_section(_("Scolarisation de la population"), "schooling",
                                         340), lg=7)]
    # the printed page keeps to two A4 sheets: the census cards stay on screen and in
    # their files
    return dbc.Row(columns, className="g-3 mt-1 no-print")


def kpi_row() -> html.Div:
    """Return the row of indicator cards, filled by a callback."""
    return html.Div(
        [
            html.Div(export_menu("kpis", images=False), className="kpi-export"),
            loading(
                html.Div(
                    [kpi_card(i.code, _(i.short_label)) for i in indicators.OF_PUPILS],
                    id="kpi-row",
                    className="kpi-row",
                )
            ),
        ],
        className="kpi-block",
    )


def children_grid(level: str) -> dag.AgGrid:
    """Return the ranked table of the unit's children."""
    # No rows and no columns yet: the grid shows its loading overlay until the ranking
    # arrives, and "no data" only when the answer is empty.
    return dag.AgGrid(
        id="children-grid",
        getRowId="params.data.code",
        defaultColDef={"sortable": True, "resizable": True, "filter": True,
                       "sortingOrder": ["asc", "desc"],
                       "floatingFilter": False, "suppressMovable": True},
        dashGridOptions={
            "animateRows": False,
            "enableRtl": is_right_to_left(),
            "domLayout": "normal",
            "localeText": {"filterOoo": _("Filtrer…"), "contains": _("Contient"),
                           "equals": _("Égal à"),
                           "noRowsToShow": _("Aucune donnée pour cette sélection"),
                           "loadingOoo": _("Chargement…")},
        },
        className="ag-theme-alpine children-grid",
        style={"height": "386px", "width": "100%"},  # with the level choice: the map's 430
    )


#: The levels a ranking may list, as its buttons name them (short, to fit on one line).
RANK_CHOICES = {"region": "Régions", "province": "Provinces", "commune": "Communes",
                "school": "Établissements"}


def rank_options(level: str) -> list[dict]:
    """Return the levels a unit's page may rank: its children down to schools."""
    return [{"label": _(RANK_CHOICES[below]), "value": below} for below in levels_below(level)]


def rank_selector() -> html.Div:
    """Return the choice of the level the ranking and the map list (set per view)."""
    return html.Div(
        [html.Span(_("Classer :"), className="rank-label"),
         dbc.RadioItems(id="rank-level", options=[], value=None, inline=True,
                        className="btn-group rank-levels", inputClassName="btn-check",
                        labelClassName="btn btn-outline-primary btn-sm",
                        labelCheckedClassName="active")],
        className="rank-choice d-flex align-items-center gap-2 mb-2 no-print",
    )


def layout(unit: dict) -> html.Div:
    """Return the skeleton of a unit page; callbacks fill every number."""
    level = unit["level"]
    return html.Div(
        [
            title_block(unit),
            html.Div(id="empty-notice"),
            kpi_row(),
            dbc.Row(
                [
                    dbc.Col(panel_section(map_title(CHILD_LEVEL[level]),
                                          "map", 430, title_id="map-title"), lg=6),
                    dbc.Col(section(ranking_title(CHILD_LEVEL[level]),
                                    html.Div([rank_selector(), children_grid(level)]),
                                    title_id="table-title",
                                    extra=export_menu("ranking", images=False)),
                            lg=6),
                ],
                className="g-3 mt-1",
            ),
            dbc.Row(
                [
                    dbc.Col(panel_section(_("Évolution"), "trend-chart", 320,
                                          title_id="trend-title"), lg=6),
                    dbc.Col(panel_section(_("Par niveau"), "breakdown-grade", 320), lg=6),
                ],
                className="g-3 mt-1",
            ),
            context_row(level),
            dbc.Row(
                [
                    dbc.Col(panel_section(_("Filles et garçons"), "breakdown-sex", 260), md=4),
                    dbc.Col(panel_section(_("Urbain et rural"), "breakdown-milieu", 260), md=4),
                    dbc.Col(panel_section(_("Public et privé"), "breakdown-sector", 260), md=4),
                ],
                className="g-3 mt-1",
            ),
        ],
        className="unit-page",
        id="unit-page",
        **{"data-level": level},
    )
