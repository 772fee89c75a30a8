"""The map of a unit's children, drawn from the project's own boundaries only."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.app_state import app_state
from dashboard.data.geography import boundaries
from dashboard.i18n import _
from dashboard.levels import CHILD_LEVEL
from dashboard.urls import View
from layouts import figures
from panels.base import (
    Column,
    Panel,
    arabic_name,
    child_value,
    hide,
    place_name,
    value_column,
)
from queries import Scope, privacy
from queries.stats import children_indicators
from queries.units import children, schools_under

EDGE = 24
SCHOOL_COLUMNS = (("code", "Code", "text"), ("name_fr", "Nom", "text"),
                  ("name_ar", "Nom (arabe)", "text"), ("commune_code", "Commune", "text"),
                  ("latitude", "Latitude", "decimal"), ("longitude", "Longitude", "decimal"))


def _boundaries(level: str, parent: str | None = None) -> dict:
    return boundaries(level, app_state().config.data_dir, parent)


def _only(geojson: dict, codes: set[str]) -> dict:
    """Return the shapes of ``codes`` only (the units a caller may see)."""
    features = [f for f in geojson["features"] if f["id"] in codes]
    return {**geojson, "features": features}


def map_level(view: View) -> str:
    """Return the level a unit's map shows: the level its page ranks when a territory (a
    region's communes), else its children (schools ranked under a wider unit stay points
    on the map of its children)."""
    return view.rank if view.rank in ("province", "commune") else CHILD_LEVEL[view.level]


class MapPanel(Panel):
    """The unit's children coloured by the indicator; schools as points.

    A school is shown as a point in its commune; a commune as its schools; a province as
    its communes with every school as a grey point. Only the unit's own children are
    drawn, and only if the unit lies inside the scope: a forged view lists no shape,
    name or code of another territory.
    """

    id = "map"
    school_rows = True

    def title(self, view: View, unit: dict) -> str:
        return f"{_(self.indicator(view).label)} — {place_name(unit)}"

    def rows(self, view: View, scope: Scope, unit: dict) -> dict:
        if view.level == "school":
            return {"unit": unit}
        child = map_level(view)
        values = privacy.values_of(
            children_indicators(view.level, view.code, view.filters, scope, child),
            self.indicator(view).code)
        members = children(view.level, view.code, scope, child)
        schools = None
        if child == "commune":
            schools = schools_under("province", view.code, scope).assign(value=None)
        return {"unit": unit, "values": values, "members": members, "schools": schools}

    def columns(self, view: View, rows: dict) -> tuple[Column, ...]:
        if view.level == "school":
            return tuple(Column(key, _(header), kind) for key, header, kind in SCHOOL_COLUMNS)
        return (Column("code", _("Code"), "text"), Column("name_fr", _("Nom"), "text"),
                Column("name_ar", _("Nom (arabe)"), "text"), value_column(self.indicator(view)))

    def table(self, view: View, rows: dict) -> list[dict]:
        if view.level == "school":
            unit = {**rows["unit"], "name_ar": arabic_name(rows["unit"])}
            return [{key: unit.get(key) for key, _header, _kind in SCHOOL_COLUMNS}]
        indicator = self.indicator(view)
        merged = rows["members"].merge(rows["values"], on="code", how="left")
        return [hide({"code": r["code"], "name_fr": r["name_fr"], "name_ar": arabic_name(r),
                      "value": child_value(r["value"], indicator)},
                     value=privacy.is_set(r["suppressed"])) for r in merged.to_dict("records")]

    def figure(self, view: View, rows: dict) -> dict:
        indicator = self.indicator(view)
        unit = rows["unit"]
        no_shapes = pd.DataFrame(columns=["code", "value"])
        if view.level == "school":
            commune = _only(_boundaries("commune", unit["province_code"]),
                            {unit["commune_code"]})
            return figures.choropleth(commune, no_shapes, indicator,
                                      pd.DataFrame([{**unit, "value": None}]))
        child = map_level(view)
        if child == "school":
            shape = _only(_boundaries("commune", unit["province_code"]), {view.code})
            schools = rows["members"].merge(rows["values"], on="code", how="left")
            return figures.choropleth(shape, no_shapes, indicator, schools,
                                      privacy.threshold())
        # the shapes of the level under the unit (a region's communes come from the
        # whole country's, kept to the region's own)
        own_children = view.level != "national" and child == CHILD_LEVEL[view.level]
        parent = view.code if own_children else None
        visible = set(rows["members"]["code"])
        return figures.choropleth(_only(_boundaries(child, parent), visible), rows["values"],
                                  indicator, rows["schools"])

    def margin(self, view: View, rows: dict, figure: go.Figure) -> dict:
        has_scale = view.level != "school" and any(
            t.type == "choropleth" and t.showscale is not False for t in figure.data)
        return {"r": 110 if has_scale else EDGE}
