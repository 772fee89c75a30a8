"""The indicator over every school year, the unit beside the nation."""

from __future__ import annotations

import plotly.graph_objects as go

from dashboard.formatting import school_year_label
from dashboard.i18n import _, unit_name
from dashboard.levels import NATIONAL_CODE
from dashboard.urls import View
from layouts import figures
from layouts.components import no_data_label
from panels.base import Column, Panel, hide, message_figure, place_name, rounded, value_column
from queries import NATIONAL_SCOPE, Scope, privacy
from queries.stats import trend


class TrendPanel(Panel):
    """The selected indicator by school year, with the nation as a reference line."""

    id = "trend-chart"
    slug = "tendance"

    def title(self, view: View, unit: dict) -> str:
        return f"{_(self.indicator(view).label)} par année scolaire — {place_name(unit)}"

    def rows(self, view: View, scope: Scope, unit: dict) -> dict:
        national = None
        if view.level != "national":
            national = trend("national", NATIONAL_CODE, view.filters, NATIONAL_SCOPE)
        return {"frame": trend(view.level, view.code, view.filters, scope),
                "national": national, "name": unit_name(unit)}

    def columns(self, view: View, rows: dict) -> tuple[Column, ...]:
        indicator, name = self.indicator(view), rows["name"]
        columns = [Column("school_year", _("Année scolaire"), "text"),
                   value_column(indicator, "value", f"{_(indicator.label)} : {name}")]
        if rows["national"] is not None:
            columns.append(value_column(indicator, "national", f"{_(indicator.label)} : Maroc"))
        columns.append(Column("enrollment", _("Effectif : {name}", name=name), "count"))
        return tuple(columns)

    def table(self, view: View, rows: dict) -> list[dict]:
        indicator = self.indicator(view)
        national = rows["national"]
        reference = national.set_index("school_year") if national is not None else None
        table = []
        for record in rows["frame"].to_dict("records"):
            row = {"school_year": school_year_label(record["school_year"]),
                   "value": rounded(record[indicator.code], indicator.unit),
                   "enrollment": rounded(record["enrolled"], "count")}
            if reference is not None:
                row["national"] = rounded(reference.loc[record["school_year"], indicator.code],
                                          indicator.unit)
            table.append(hide(row, value=privacy.is_suppressed(record, indicator.code),
                              enrollment=privacy.is_suppressed(record, "enrollment")))
        return table

    def figure(self, view: View, rows: dict) -> go.Figure | dict:
        if not privacy.has_pupils(rows["frame"]):
            return message_figure(no_data_label())
        return figures.trend(rows["frame"], self.indicator(view), rows["name"],
                             rows["national"], view.filters.year)
