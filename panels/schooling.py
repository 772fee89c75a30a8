"""The schooling of a unit's population: age-specific, gross and net rates against the
census (HCP), with the warning of a doubtful denominator."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from dashboard import indicators
from dashboard.ages import CENSUS_SCHOOLING_YEAR, OFFICIAL_AGES
from dashboard.data.schema import CYCLES
from dashboard.formatting import format_points, format_rate
from dashboard.i18n import _
from dashboard.urls import View
from layouts import figures
from panels.base import Column, Panel, hide, message_figure, missing, place_name, rounded
from queries import Scope, population, privacy
from queries.census import unit_context
from queries.parity import Parity, gender_parity
from queries.stats import unit_indicators

#: The rates the panel shows, by kind, one per age band (the cycle of those ages).
KINDS = {
    "Taux spécifique": {cycle: f"enrollment_rate_{a}_{b}"
                        for cycle, (a, b) in OFFICIAL_AGES.items()},
    "Taux brut": {cycle: f"gross_enrollment_ratio_{cycle}" for cycle in CYCLES},
    "Taux net": {cycle: f"net_enrollment_ratio_{cycle}" for cycle in CYCLES},
}
CYCLE_NAMES = {"primaire": "primaire", "college": "collège", "qualifiant": "qualifiant"}
DOUBTFUL_NOTE = ("Au-delà de 105 % : dénominateur douteux (population sous-estimée ou "
                 "élèves comptés deux fois).")
#: The rate the census measured too (RGPH 2024: 6-11 year-olds in school in 2023-2024).
CENSUS_RATE = "enrollment_rate_6_11"


@dataclass(frozen=True)
class Schooling:
    """What the panel reads: the unit's indicators (last year, this year), this year's
    gender parity indices and the census's 6-11 rate (a fraction; only for the year the
    census measured)."""

    years: pd.DataFrame
    parity: dict[str, Parity]
    census_rate: float | None


def band_label(cycle: str) -> str:
    """Return ``6-11 ans (primaire)``."""
    first, last = OFFICIAL_AGES[cycle]
    return _("{first}-{last} ans ({cycle})", first=first, last=last,
             cycle=_(CYCLE_NAMES[cycle]))


class SchoolingPanel(Panel):
    """The unit's rates of schooling this year, by age band and kind, with the population
    each divides by; ``rows`` holds last year and this year of the unit."""

    id = "schooling"
    slug = "scolarisation"
    per_indicator = False
    levels = ("national", "region", "province", "commune")

    def title(self, view: View, unit: dict) -> str:
        return f"{_('Scolarisation de la population')} — {place_name(unit)}"

    def rows(self, view: View, scope: Scope, unit: dict) -> Schooling:
        years = unit_indicators(view.level, view.code, view.filters, scope)
        parity = gender_parity(view.level, view.code, view.filters, scope)
        census = None
        if view.filters.year == CENSUS_SCHOOLING_YEAR and _census_comparable(view):
            context = unit_context(view.level, view.code, view.filters.year)
            if not context.empty and not missing(context["schooling_rate_6_11"].iat[0]):
                census = float(context["schooling_rate_6_11"].iat[0]) / 100
        return Schooling(years, parity, census)

    def columns(self, view: View, rows: Schooling) -> tuple[Column, ...]:
        found = [Column("code", _("Code"), "text"), Column("label", _("Indicateur"), "text"),
                 Column("value", _("Taux"), "rate"),
                 Column("gender_parity_index", _("Indice de parité (filles / garçons)"),
                        "decimal"),
                 Column("population", _("Population (HCP, estimée)"), "count"),
                 Column("warning", _("Avertissement"), "text")]
        if rows.census_rate is not None:
            found += [Column("census_rate", _("Recensement 2024 (HCP)"), "rate"),
                      Column("census_gap", _("Écart au recensement (points)"), "points")]
        return tuple(found)

    def table(self, view: View, rows: Schooling) -> list[dict]:
        current = rows.years.iloc[1]
        found = []
        for indicator in indicators.INDICATORS:
            if not indicator.over_population:
                continue
            value = current[indicator.code]
            hidden = privacy.is_suppressed(current, indicator.code)
            parity = rows.parity[indicator.code]
            row = {
                "code": indicator.code, "label": _(indicator.label),
                "value": rounded(value, "rate"),
                "gender_parity_index": rounded(parity.value, "rate"),
                "population": rounded(current[indicator.denominator], "count"),
                "warning": (_("dénominateur douteux")
                            if not hidden and indicators.is_doubtful(indicator, value) else ""),
            }
            if rows.census_rate is not None:
                compared = indicator.code == CENSUS_RATE
                row["census_rate"] = rounded(rows.census_rate, "rate") if compared else None
                row["census_gap"] = (rounded(value - rows.census_rate, "rate")
                                     if compared and not missing(value) else None)
            found.append(hide(row, value=hidden, gender_parity_index=parity.hidden,
                              census_gap=hidden and indicator.code == CENSUS_RATE))
        return found

    def figure(self, view: View, rows: Schooling) -> go.Figure | dict:
        current = rows.years.iloc[1]
        if all(missing(current[p]) for p in indicators.POPULATIONS.values()):
            return message_figure(_("Aucune population du recensement pour cette unité"))
        series, hidden = {}, {}
        for kind, by_cycle in KINDS.items():
            series[_(kind)] = [current[code] for code in by_cycle.values()]
            hidden[_(kind)] = [privacy.is_suppressed(current, code) for code in by_cycle.values()]
        if all(missing(v) for values in series.values() for v in values) and not any(
                h for flags in hidden.values() for h in flags):
            return message_figure(_("Sans objet sous ce filtre de cycle"))
        notes = tuple(note for note in (census_note(rows, current), sample_note()) if note)
        return figures.schooling_bars([band_label(c) for c in CYCLES], series, hidden,
                                      _(DOUBTFUL_NOTE), privacy.threshold(), notes)


def census_note(rows: Schooling, current) -> str | None:
    """Return the census's own rate of the 6-11 year-olds beside the unit's, for the year
    the census measured (2023-2024), with the gap; none otherwise or where it is hidden."""
    value = current[CENSUS_RATE]
    if rows.census_rate is None or missing(value) or privacy.is_suppressed(current,
                                                                            CENSUS_RATE):
        return None
    return _("Recensement 2024 (HCP) : 6-11 ans scolarisés à {census} en 2023-2024 "
             "(écart {gap}).", census=format_rate(rows.census_rate),
             gap=format_points(value - rows.census_rate))


def sample_note() -> str | None:
    """Return what the population was scaled to on a database holding a sample of the
    country's pupils (the demo: a tenth), none for real data."""
    share = population.scale()
    if share == 1:
        return None
    return _("Démonstration : {percent} des élèves du pays, sur {percent} de la population.",
             percent=format_rate(share, 0))


def _census_comparable(view: View) -> bool:
    """Return whether the view counts what the census counted: every pupil of the unit
    (no filter but the year; the census knows no sector nor cycle)."""
    filters = view.filters
    return (filters.cycle, filters.sector, filters.milieu, filters.sex) == (
        "all", "all", "all", "all")

