"""The ``census_gap`` check of the data-quality view: each commune's rate of 6-11
year-olds in school in 2023-2024 against the census's own rate for the same children
(HCP, RGPH 2024). A gap over 10 points says that pupils or children are missing
somewhere: schools not in MASSAR, pupils counted in another commune, or an estimate of
the population gone wrong."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.ages import CENSUS_GAP_LIMIT, CENSUS_SCHOOLING_YEAR
from dashboard.formatting import school_year_label
from dashboard.i18n import _
from dashboard.urls import View
from layouts import figures
from panels.base import Column, Panel, hide, message_figure, place_name, rounded
from queries import Scope
from queries.census import census_gaps


class CensusGapPanel(Panel):
    """The communes of a territory (a commune: itself), their rate, HCP's and the gap;
    hidden rates are left out of the chart and empty in the files."""

    id = "quality-census-gap"
    slug = "ecart-recensement"
    per_indicator = False
    page = "quality"
    levels = ("national", "region", "province", "commune")

    def title(self, view: View, unit: dict) -> str:
        return _("Écart au recensement : scolarisation des 6-11 ans en {year} — {place}",
                 year=school_year_label(CENSUS_SCHOOLING_YEAR), place=place_name(unit))

    def rows(self, view: View, scope: Scope, unit: dict) -> pd.DataFrame:
        return census_gaps(view.level, view.code, scope)

    def columns(self, view: View, rows: pd.DataFrame) -> tuple[Column, ...]:
        return (Column("code", _("Code"), "text"), Column("name", _("Commune"), "text"),
                Column("rate", _("Taux MASSAR"), "rate"),
                Column("census_rate", _("Taux du recensement (HCP)"), "rate"),
                Column("gap", _("Écart (points)"), "points"),
                Column("finding", _("Constat"), "text"))

    def table(self, view: View, rows: pd.DataFrame) -> list[dict]:
        found = []
        for record in rows.to_dict("records"):
            hidden = bool(record["rate_suppressed"])
            large = not hidden and bool(record["large_gap"])
            found.append(hide({
                "code": record["code"], "name": record["name_fr"],
                "rate": rounded(record["rate"], "rate"),
                "census_rate": rounded(record["census_rate"], "rate"),
                "gap": rounded(record["gap"], "rate"),
                "finding": (_("écart de plus de {points} points",
                              points=round(CENSUS_GAP_LIMIT * 100)) if large else ""),
            }, rate=hidden, gap=hidden))
        return found

    def figure(self, view: View, rows: pd.DataFrame) -> go.Figure | dict:
        shown = rows[~rows["rate_suppressed"] & rows["rate"].notna()
                     & rows["census_rate"].notna()]
        if shown.empty:
            hidden = int(rows["rate_suppressed"].sum())
            return message_figure(
                _("Taux secret pour {n} commune(s) : rien à comparer", n=hidden) if hidden
                else _("Aucune commune à comparer au recensement"))
        secret = int(rows["rate_suppressed"].sum())
        note = _("{n} commune(s) au taux secret, non représentée(s).", n=secret) if secret \
            else None
        return figures.census_scatter(
            [{"code": r["code"], "name": r["name_fr"], "rate": r["rate"],
              "census_rate": r["census_rate"], "large": bool(r["large_gap"])}
             for r in shown.to_dict("records")], CENSUS_GAP_LIMIT, note)

