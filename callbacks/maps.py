"""The map of a unit's children, drawn from the project's own boundaries only."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from dash import Output, callback
from flask import current_app

from callbacks.access import current_scope
from callbacks.common import current_view
from callbacks.unit import VIEW_INPUTS
from dashboard import indicators
from dashboard.geography import boundaries
from dashboard.urls import View
from layouts import figures
from queries import Scope, privacy
from queries.stats import children_indicators
from queries.units import CHILD_LEVEL, children, get_unit, schools_under

CONFIG_KEY = "pilotage.config"


def _boundaries(level: str, parent: str | None = None) -> dict:
    config = current_app.extensions[CONFIG_KEY]
    return boundaries(level, config.data_dir, parent)


def _only(geojson: dict, codes: set[str]) -> dict:
    """Return the shapes of ``codes`` only (the units a caller may see)."""
    features = [f for f in geojson["features"] if f["id"] in codes]
    return {**geojson, "features": features}


def map_figure(view: View, scope: Scope) -> go.Figure:
    """Return a view's map: the children coloured by the indicator, schools as points.

    A school is shown as a point in its commune; a commune as its schools; a province as
    its communes with every school as a grey point. The screen and every export draw
    this same figure. Only the unit's own children are drawn, and only if the unit lies
    inside ``scope`` (:class:`OutOfScope` otherwise): a forged view lists no shape, name
    or code of another territory.
    """
    indicator = indicators.BY_CODE[view.indicator]
    no_shapes = pd.DataFrame(columns=["code", "value"])
    unit = get_unit(view.level, view.code, scope)
    if view.level == "school":
        commune = _only(_boundaries("commune", unit["province_code"]), {unit["commune_code"]})
        return figures.choropleth(commune, no_shapes, indicator,
                                  pd.DataFrame([{**unit, "value": None}]))
    values = privacy.values_of(children_indicators(view.level, view.code, view.filters, scope),
                               indicator.code)
    child = CHILD_LEVEL[view.level]
    if child == "school":
        shape = _only(_boundaries("commune", unit["province_code"]), {view.code})
        schools = children(view.level, view.code, scope).merge(values, on="code", how="left")
        return figures.choropleth(shape, no_shapes, indicator, schools, privacy.threshold())
    parent = None if view.level == "national" else view.code
    schools = None
    if child == "commune":
        schools = schools_under("province", view.code, scope).assign(value=None)
    visible = set(children(view.level, view.code, scope)["code"])
    return figures.choropleth(_only(_boundaries(child, parent), visible), values, indicator,
                              schools)


@callback(Output("map", "figure"), *VIEW_INPUTS)
def update_map(view_data, page_unit):
    """Colour the unit's children by the selected indicator; schools are points."""
    return map_figure(current_view(view_data, page_unit), current_scope())
