"""The indicator split by one dimension: grade, sex, milieu or sector."""

from __future__ import annotations

import plotly.graph_objects as go

from dashboard.i18n import _
from dashboard.levels import LEVELS
from dashboard.urls import View
from layouts import figures
from layouts.components import no_data_label
from panels.base import Column, Panel, hide, message_figure, place_name, rounded, value_column
from queries import Scope, privacy
from queries.stats import breakdown

TITLES = {"grade": "par niveau", "sex": "par sexe", "milieu": "par milieu",
          "sector": "par secteur"}
SLUGS = {"grade": "par-niveau", "sex": "par-sexe", "milieu": "par-milieu",
         "sector": "par-secteur"}
HEADERS = {"grade": "Niveau", "sex": "Sexe", "milieu": "Milieu", "sector": "Secteur"}


class BreakdownPanel(Panel):
    """The selected indicator for each value of ``by``."""

    levels = ("national", "region", "province", "commune")
    screen_levels = LEVELS

    def __init__(self, by: str):
        self.by = by
        self.id = f"breakdown-{by}"
        self.slug = SLUGS[by]

    def applies(self, view: View) -> bool:
        """Return whether the split means something: girls' share has no split by sex, a
        rate to the census population none by grade (the census counts ages, not
        grades)."""
        if view.indicator == "girls_share" and self.by == "sex":
            return False
        return not (self.indicator(view).over_population and self.by == "grade")

    def title(self, view: View, unit: dict) -> str:
        return f"{_(self.indicator(view).label)} {_(TITLES[self.by])} — {place_name(unit)}"

    def rows(self, view: View, scope: Scope, unit: dict):
        if not self.applies(view):
            return None
        return breakdown(view.level, view.code, view.filters, scope, self.by)

    def columns(self, view: View, rows) -> tuple[Column, ...]:
        return (Column("category", _(HEADERS[self.by]), "text"),
                value_column(self.indicator(view)), Column("enrollment", _("Effectif"), "count"))

    def table(self, view: View, rows) -> list[dict]:
        if rows is None:
            return []
        indicator = self.indicator(view)
        names = figures.DIMENSION_NAMES.get(self.by, {})
        return [hide({"category": _(names[r[self.by]]) if r[self.by] in names else r[self.by],
                      "value": rounded(r[indicator.code], indicator.unit),
                      "enrollment": rounded(r["enrolled"], "count")},
                     value=privacy.is_suppressed(r, indicator.code),
                     enrollment=privacy.is_suppressed(r, "enrollment"))
                for r in rows.to_dict("records")]

    def figure(self, view: View, rows) -> go.Figure | dict:
        if rows is None:
            return message_figure(_("Sans objet par niveau pour un taux rapporté à la "
                                    "population") if self.by == "grade"
                                  else _("Sans objet pour la part des filles"))
        if not privacy.has_pupils(rows):
            return message_figure(no_data_label())
        return figures.breakdown(rows, self.indicator(view), self.by, privacy.threshold())
