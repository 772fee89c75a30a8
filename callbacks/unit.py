"""Numbers of a unit page: heading, indicator cards, ranking, trend and breakdowns."""

from __future__ import annotations

import math

import pandas as pd
from dash import Input, Output, callback, dcc, html

from callbacks.access import current_scope
from callbacks.common import WITH_CHILDREN, current_view
from dashboard import indicators
from dashboard.formatting import (
    format_cell,
    format_change,
    is_missing,
    school_year_label,
    secret_note,
)
from dashboard.i18n import _
from dashboard.urls import drill_url
from layouts import figures
from layouts.components import empty_figure, empty_state, kpi_card, no_data_label
from layouts.shell import CHOICE_LABELS
from queries import NATIONAL_SCOPE, OutOfScope, privacy
from queries.stats import breakdown, ranked_children, trend, unit_indicators
from queries.units import ancestors, get_unit

VIEW_INPUTS = [Input("view", "data"), Input("page-unit", "data")]


def _tone(indicator: indicators.Indicator, delta: float) -> str:
    if is_missing(delta) or round(delta, 3) == 0 or indicator.code == "girls_share":
        return "neutral"
    return "better" if (delta > 0) == indicator.higher_is_better else "worse"


@callback(
    Output("breadcrumb", "children"),
    Output("view-subtitle", "children"),
    *VIEW_INPUTS,
)
def update_heading(view_data, page_unit):
    """Show the path from the nation to the unit and the filters in force."""
    view = current_view(view_data, page_unit)
    row = get_unit(view.level, view.code, current_scope())
    crumbs = []
    for level, code in ancestors(row):
        name = get_unit(level, code, NATIONAL_SCOPE)["name_fr"]
        try:  # above a scoped user's root, a name is context, not a link
            get_unit(level, code, current_scope())
            crumbs.append(dcc.Link(name, href=drill_url(view, level, code), className="crumb"))
        except OutOfScope:
            crumbs.append(html.Span(name, className="crumb crumb-context"))
        crumbs.append(html.Span("›", className="crumb-sep", **{"aria-hidden": "true"}))
    crumbs.append(html.Span(row["name_fr"], className="crumb crumb-current",
                            **{"aria-current": "page"}))
    parts = [_("Année scolaire {year}", year=school_year_label(view.filters.year))]
    for name, labels in CHOICE_LABELS.items():
        value = getattr(view.filters, name)
        if value != "all":
            parts.append(_(dict(labels)[value]))
    return crumbs, " · ".join(parts)


@callback(
    Output("kpi-row", "children"),
    Output("empty-notice", "children"),
    *VIEW_INPUTS,
)
def update_kpis(view_data, page_unit):
    """Fill one card per indicator with its value and change against last year."""
    view = current_view(view_data, page_unit)
    frame = unit_indicators(view.level, view.code, view.filters, current_scope())
    previous, current = frame.iloc[0], frame.iloc[1]
    threshold = privacy.threshold()
    cards = []
    for indicator in indicators.INDICATORS:
        value = _clean(current[indicator.code])
        delta = indicators.change(indicator, value, _clean(previous[indicator.code]))
        note = _("vs {year}", year=school_year_label(view.filters.year - 1))
        hidden = privacy.is_suppressed(current, indicator.code)
        cards.append(kpi_card(
            indicator.code, _(indicator.short_label),
            format_cell(indicator, value, hidden, threshold, privacy.is_small(current)),
            format_change(indicator, delta), _tone(indicator, delta),
            note if not is_missing(delta) else "", _(indicator.definition),
            secret_note(threshold) if hidden else None,
        ))
    empty = None
    if current["enrolled"] == 0:
        empty = empty_state(no_data_label(), _("Élargissez les filtres ou choisissez une autre "
                                               "année scolaire."))
    return cards, empty


def _clean(value) -> float:
    return float("nan") if value is None or pd.isna(value) else float(value)


@callback(
    Output("children-grid", "rowData"),
    Output("children-grid", "columnDefs"),
    Output("children-grid", "pinnedBottomRowData"),
    *VIEW_INPUTS,
)
def update_ranking(view_data, page_unit):
    """Rank the unit's children by the selected indicator, with reference rows below."""
    view = current_view(view_data, page_unit, WITH_CHILDREN)
    indicator = indicators.BY_CODE[view.indicator]
    scope = current_scope()
    ranked = ranked_children(view.level, view.code, view.filters, scope, indicator.code)
    threshold = privacy.threshold()
    rows = [_grid_row(r, indicator, threshold) for r in ranked.to_dict("records")]
    pinned = []
    own = unit_indicators(view.level, view.code, view.filters, scope)
    pinned.append(_reference_row(_("Ensemble : {name}", name=get_unit(
        view.level, view.code, scope)["name_fr"]), own, indicator))
    if view.level != "national":
        national = unit_indicators("national", "MA", view.filters, NATIONAL_SCOPE)
        pinned.append(_reference_row(_("Maroc (référence)"), national, indicator))
    return rows, column_defs(indicator), pinned


def _grid_row(record: dict, indicator: indicators.Indicator, threshold: int) -> dict:
    """Return one child's row; a hidden value is None with its mark (``< 5``, ``secret``)."""
    value = _none(record.get(indicator.code))
    previous = _none(record.get(f"{indicator.code}_previous"))
    delta = indicators.change(indicator, value if value is not None else math.nan,
                              previous if previous is not None else math.nan)
    hidden = privacy.is_suppressed(record, indicator.code)
    enrollment_hidden = privacy.is_suppressed(record, "enrollment")
    row = {
        "code": record["code"],
        "rank": None if pd.isna(record["rank"]) else int(record["rank"]),
        "name": record["name_fr"],
        "name_ar": record["name_ar"],
        "value": value,
        "suppressed": hidden,
        "enrollment": None if enrollment_hidden else int(_none(record.get("enrolled")) or 0),
        "change": None if is_missing(delta) else delta,
    }
    return row | _marks(record, indicator, threshold)


def _marks(record, indicator: indicators.Indicator, threshold: int) -> dict:
    """Return the marks (``< 5``, ``secret``) and notes of a row's hidden value and pupils."""
    small = privacy.is_small(record)
    marks = {}
    for field, shown in (("value", indicator), ("enrollment", indicators.BY_CODE["enrollment"])):
        if privacy.is_suppressed(record, shown.code):
            marks[f"{field}_mark"] = format_cell(shown, None, True, threshold, small)
            marks[f"{field}_note"] = secret_note(threshold)
    return marks


def _reference_row(label: str, frame: pd.DataFrame, indicator: indicators.Indicator) -> dict:
    """Return a reference row (the unit itself, Maroc); a hidden value carries its mark."""
    previous, current = frame.iloc[0], frame.iloc[1]
    value = _none(current[indicator.code])
    delta = indicators.change(indicator, _clean(current[indicator.code]),
                              _clean(previous[indicator.code]))
    row = {"code": f"reference-{label}", "name": label, "value": value,
           "enrollment": None if pd.isna(current["enrolled"]) else int(current["enrolled"]),
           "change": None if is_missing(delta) else delta, "rank": None}
    return row | _marks(current, indicator, privacy.threshold())


def _none(value):
    return None if value is None or pd.isna(value) else float(value)


def column_defs(indicator: indicators.Indicator) -> list[dict]:
    """Return the grid columns, the indicator column formatted in its unit."""
    value_format = {"count": "frCount", "rate": "frRate", "score": "frScore"}[indicator.unit]
    change_format = "frPoints" if indicator.is_rate else "frPercentChange"
    return [
        {"field": "rank", "headerName": _("Rang"), "width": 70, "filter": False,
         "type": "numericColumn", "pinned": "left"},
        {"field": "name", "headerName": _("Nom"), "flex": 2, "minWidth": 170,
         "filter": "agTextColumnFilter", "cellClass": "drill-cell", "tooltipField": "name"},
        {"field": "value", "headerName": _(indicator.short_label), "type": "numericColumn",
         "sort": "desc", "filter": "agNumberColumnFilter", "flex": 1, "minWidth": 110,
         "valueFormatter": {"function": f"frMarked(params, '{value_format}')"},
         "tooltipField": "value_note"},
        {"field": "change", "headerName": _("Évolution"), "type": "numericColumn",
         "filter": False, "flex": 1, "minWidth": 105,
         "valueFormatter": {"function": f"{change_format}(params.value)"}},
        {"field": "enrollment", "headerName": _("Effectif"), "type": "numericColumn",
         "filter": "agNumberColumnFilter", "flex": 1, "minWidth": 95,
         "valueFormatter": {"function": "frMarked(params, 'frCount')"},
         "tooltipField": "enrollment_note"},
    ]


@callback(Output("trend-chart", "figure"), *VIEW_INPUTS)
def update_trend(view_data, page_unit):
    """Draw the selected indicator over every school year, with the nation beside it."""
    view = current_view(view_data, page_unit)
    indicator = indicators.BY_CODE[view.indicator]
    frame = trend(view.level, view.code, view.filters, current_scope())
    national = None
    if view.level != "national":
        national = trend("national", "MA", view.filters, NATIONAL_SCOPE)
    name = get_unit(view.level, view.code, current_scope())["name_fr"]
    if not privacy.has_pupils(frame):
        return _message_figure(no_data_label())
    return figures.trend(frame, indicator, name, national)


def _breakdown_figure(view_data, page_unit, by: str):
    view = current_view(view_data, page_unit)
    indicator = indicators.BY_CODE[view.indicator]
    if indicator.code == "girls_share" and by == "sex":
        return _message_figure(_("Sans objet pour la part des filles"))
    frame = breakdown(view.level, view.code, view.filters, current_scope(), by)
    if not privacy.has_pupils(frame):
        return _message_figure(no_data_label())
    return figures.breakdown(frame, indicator, by, privacy.threshold())


@callback(Output("breakdown-grade", "figure"), *VIEW_INPUTS)
def update_breakdown_grade(view_data, page_unit):
    """Draw the indicator for each grade."""
    return _breakdown_figure(view_data, page_unit, "grade")


@callback(Output("breakdown-sex", "figure"), *VIEW_INPUTS)
def update_breakdown_sex(view_data, page_unit):
    """Draw the indicator for girls and boys."""
    return _breakdown_figure(view_data, page_unit, "sex")


@callback(Output("breakdown-milieu", "figure"), *VIEW_INPUTS)
def update_breakdown_milieu(view_data, page_unit):
    """Draw the indicator for urban and rural schools."""
    return _breakdown_figure(view_data, page_unit, "milieu")


@callback(Output("breakdown-sector", "figure"), *VIEW_INPUTS)
def update_breakdown_sector(view_data, page_unit):
    """Draw the indicator for public and private schools."""
    return _breakdown_figure(view_data, page_unit, "sector")


def _message_figure(message: str) -> dict:
    figure = empty_figure()
    figure["layout"]["annotations"] = [{
        "text": message, "showarrow": False, "x": 0.5, "y": 0.5, "xref": "paper",
        "yref": "paper", "font": {"size": 14, "color": "#6b7480"},
    }]
    return figure

