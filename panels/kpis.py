"""The indicator cards: every indicator of the pupils this year, last year and the change
between (the rates against the census have their own panel, :mod:`panels.schooling`)."""

from __future__ import annotations

import pandas as pd

from dashboard import indicators
from dashboard.formatting import (
    format_cell,
    format_change,
    is_missing,
    school_year_label,
    secret_note,
)
from dashboard.i18n import _
from dashboard.urls import View
from layouts.components import empty_state, kpi_card, no_data_label
from panels.base import Column, Panel, change, hide, number, place_name, rounded
from queries import Scope, privacy
from queries.stats import unit_indicators


def tone(indicator: indicators.Indicator, delta: float | None) -> str:
    """Return how a change reads: ``better``, ``worse`` or ``neutral`` (girls' share)."""
    if delta is None or is_missing(delta) or round(delta, 3) == 0 \
            or indicator.code == "girls_share":
        return "neutral"
    return "better" if (delta > 0) == indicator.higher_is_better else "worse"


class KpiPanel(Panel):
    """One card per indicator; ``rows`` holds last year and this year of the unit."""

    id = "kpis"
    slug = "indicateurs"
    per_indicator = False
    draws = False

    def title(self, view: View, unit: dict) -> str:
        return f"{_('Indicateurs')} — {place_name(unit)}"

    def rows(self, view: View, scope: Scope, unit: dict) -> pd.DataFrame:
        return unit_indicators(view.level, view.code, view.filters, scope)

    def columns(self, view: View, rows) -> tuple[Column, ...]:
        return (Column("code", _("Code"), "text"), Column("label", _("Indicateur"), "text"),
                Column("unit", _("Unité"), "text"),
                Column("value", school_year_label(view.filters.year), "row"),
                Column("previous", school_year_label(view.filters.year - 1), "row"),
                Column("change", _("Évolution (points pour les taux, % sinon)"), "row-change"))

    def table(self, view: View, rows: pd.DataFrame) -> list[dict]:
        previous, current = rows.iloc[0], rows.iloc[1]
        return [hide({"code": i.code, "label": _(i.label), "unit": i.unit,
                      "value": rounded(current[i.code], i.unit),
                      "previous": rounded(previous[i.code], i.unit),
                      "change": change(i, current[i.code], previous[i.code])},
                     value=privacy.is_suppressed(current, i.code),
                     previous=privacy.is_suppressed(previous, i.code))
                for i in indicators.OF_PUPILS]

    def figure(self, view: View, rows) -> None:
        return None

    def cards(self, view: View, rows: pd.DataFrame) -> tuple[list, object]:
        """Return the cards on screen, and the notice of an empty selection (or None)."""
        previous, current = rows.iloc[0], rows.iloc[1]
        threshold = privacy.threshold()
        cards = []
        for indicator in indicators.OF_PUPILS:
            value = number(current[indicator.code])
            delta = indicators.change(indicator, value, number(previous[indicator.code]))
            note = _("vs {year}", year=school_year_label(view.filters.year - 1))
            hidden = privacy.is_suppressed(current, indicator.code)
            cards.append(kpi_card(
                indicator.code, _(indicator.short_label),
                format_cell(indicator, value, hidden, threshold, privacy.is_small(current)),
                format_change(indicator, delta), tone(indicator, delta),
                note if not is_missing(delta) else "", _(indicator.definition),
                secret_note(threshold) if hidden else None,
            ))
        empty = None
        if current["enrolled"] == 0:
            empty = empty_state(no_data_label(), _("Élargissez les filtres ou choisissez une "
                                                   "autre année scolaire."))
        return cards, empty
