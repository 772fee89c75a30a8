"""The "Contexte" panel: the unit's census figures beside its schools (HCP, RGPH 2024)."""

from __future__ import annotations

import pandas as pd
from dash import html

from dashboard.formatting import format_count, format_rate, school_year_label
from dashboard.i18n import _
from dashboard.levels import LEVELS
from dashboard.urls import View
from panels.base import Column, Panel, message_figure, place_name
from queries import Scope
from queries.census import SCHOOL_AGES, unit_context

SOURCE = "HCP, RGPH 2024"


def context_unit(view: View, unit: dict) -> tuple[str, str]:
    """Return the unit whose census figures a page shows: its own, a school's commune's."""
    if view.level == "school":
        return "commune", unit["commune_code"]
    return view.level, view.code


class ContextPanel(Panel):
    """Population 2024 and its change since 2014, the school-age population of the year,
    the urban share and the illiteracy of those 10 and over, women and men."""

    id = "context"
    slug = "contexte"
    per_indicator = False
    draws = False
    levels = LEVELS

    def title(self, view: View, unit: dict) -> str:
        return _("Contexte ({source}) — {place}", source=SOURCE, place=place_name(unit))

    def rows(self, view: View, scope: Scope, unit: dict) -> pd.DataFrame:
        level, code = context_unit(view, unit)
        return unit_context(level, code, view.filters.year)

    def columns(self, view: View, rows: pd.DataFrame) -> tuple[Column, ...]:
        return (Column("measure", _("Mesure"), "text"), Column("value", _("Valeur"), "text"))

    def table(self, view: View, rows: pd.DataFrame) -> list[dict]:
        return [{"measure": label, "value": value} for label, value in facts(view, rows)]

    def figure(self, view: View, rows: pd.DataFrame) -> dict:
        return message_figure("")


def body(view: View, rows: pd.DataFrame, commune: str | None = None) -> html.Div:
    """Return the panel on screen: its facts, with the source line (and, for a school,
    the name of the commune they describe); a notice for a unit the census does not
    count."""
    lines = facts(view, rows)
    if not lines:
        return html.P(_("Aucune donnée du recensement pour cette unité."),
                      className="text-muted small mb-0")
    where = (_("Chiffres de la commune de l'établissement : {name}.", name=commune)
             if commune else None)
    items = [html.Div([html.Div(label, className="context-label"),
                       html.Div(value, className="context-value")], className="context-fact")
             for label, value in lines]
    notes = [_("Source : HCP, RGPH 2024 et RGPH 2014 (CC BY 4.0) ; population par âge de "
               "l'année estimée par Pilotage (interpolation entre les recensements, âges "
               "détaillés par la méthode de Sprague).")]
    if where:
        notes.insert(0, where)
    return html.Div([html.Div(items, className="context-facts"),
                     *(html.P(note, className="text-muted small mb-0 mt-2") for note in notes)])


def facts(view: View, rows: pd.DataFrame) -> list[tuple[str, str]]:
    """Return the panel's lines as (label, value) texts; none for a unit the census does
    not count."""
    if rows.empty:
        return []
    row = rows.iloc[0]
    now, before = row["population_2024"], row["population_2014"]
    lines = [(_("Population 2024"), _number(now))]
    if _known(now) and _known(before) and before:
        change = now / before - 1
        sign = "+" if change > 0 else ("\u2212" if change < 0 else "±")  # never read as a formula
        lines.append((_("Évolution depuis 2014"), sign + format_rate(abs(change))))
    low, high = SCHOOL_AGES
    lines.append((_("Population de {low} à {high} ans, {year}", low=low, high=high,
                    year=school_year_label(view.filters.year)),
                  _number(row["school_age_population"])))
    if _known(now) and now:
        share = row["urban_population_2024"] / now
        lines.append((_("Part urbaine"), format_rate(share)))
    for label, column in ((_("Analphabétisme des 10 ans et plus : femmes"), "illiteracy_women"),
                          (_("Analphabétisme des 10 ans et plus : hommes"), "illiteracy_men")):
        if _known(row[column]):
            lines.append((label, format_rate(float(row[column]) / 100)))
    return lines


def _known(value) -> bool:
    return value is not None and not pd.isna(value)


def _number(value) -> str:
    return format_count(round(float(value))) if _known(value) else "—"
