"""The ranking of a unit's children by the selected indicator, with reference rows."""

from __future__ import annotations

import pandas as pd

from dashboard import indicators
from dashboard.formatting import format_cell, is_missing, secret_note
from dashboard.i18n import _
from dashboard.indicators import Indicator
from dashboard.levels import CHILD_LEVEL, CHILD_NAMES, NATIONAL_CODE
from dashboard.urls import View
from panels.base import (
    Column,
    Panel,
    change,
    change_column,
    child_value,
    hide,
    missing,
    number,
    place_name,
    present,
    rounded,
    value_column,
)
from queries import NATIONAL_SCOPE, Scope, privacy
from queries.stats import ranked_children, unit_indicators
from queries.units import get_unit


class RankingPanel(Panel):
    """The children ranked, then the unit itself and Maroc as reference rows.

    ``rows`` gives ``ranked`` (the children), and ``references``: ``(label, unit,
    frame)`` for the unit and, below the nation, for Maroc, each frame holding last year
    and this year.
    """

    id = "ranking"
    slug = "classement"
    levels = tuple(CHILD_LEVEL)
    draws = False
    school_rows = True

    def title(self, view: View, unit: dict) -> str:
        child = CHILD_NAMES[CHILD_LEVEL[view.level]]
        return (f"{_(self.indicator(view).label)} : "
                f"{_('classement des {children}', children=_(child))} — {place_name(unit)}")

    def rows(self, view: View, scope: Scope, unit: dict) -> dict:
        indicator = self.indicator(view)
        references = [(_("Ensemble : {name}", name=unit["name_fr"]), unit,
                       unit_indicators(view.level, view.code, view.filters, scope))]
        if view.level != "national":
            references.append((_("Maroc (référence)"),
                               get_unit("national", NATIONAL_CODE, NATIONAL_SCOPE),
                               unit_indicators("national", NATIONAL_CODE, view.filters,
                                               NATIONAL_SCOPE)))
        return {"ranked": ranked_children(view.level, view.code, view.filters, scope,
                                          indicator.code),
                "references": references}

    def columns(self, view: View, rows: dict) -> tuple[Column, ...]:
        indicator = self.indicator(view)
        return (Column("rank", _("Rang"), "integer"), Column("code", _("Code"), "text"),
                Column("name_fr", _("Nom"), "text"), Column("name_ar", _("Nom (arabe)"), "text"),
                value_column(indicator), change_column(indicator),
                Column("enrollment", _("Effectif"), "count"))

    def table(self, view: View, rows: dict) -> list[dict]:
        indicator = self.indicator(view)
        table = []
        for record in rows["ranked"].to_dict("records"):
            value = None if missing(record.get(indicator.code)) else record[indicator.code]
            enrolled = record.get("enrolled")
            table.append(hide({
                "rank": None if pd.isna(record["rank"]) else int(record["rank"]),
                "code": record["code"], "name_fr": record["name_fr"],
                "name_ar": record["name_ar"], "value": child_value(value, indicator),
                "change": change(indicator, value, record.get(f"{indicator.code}_previous")),
                "enrollment": 0 if missing(enrolled) or not enrolled
                else rounded(enrolled, "count"),
            }, value=privacy.is_suppressed(record, indicator.code),
                enrollment=privacy.is_suppressed(record, "enrollment")))
        for label, unit, frame in rows["references"]:
            previous, current = frame.iloc[0], frame.iloc[1]
            table.append({"rank": None, "code": unit["code"], "name_fr": label,
                          "name_ar": unit["name_ar"],
                          "value": rounded(current[indicator.code], indicator.unit),
                          "change": change(indicator, current[indicator.code],
                                           previous[indicator.code]),
                          "enrollment": rounded(current["enrolled"], "count")})
        return table

    def figure(self, view: View, rows: dict) -> None:
        return None

    # --- the grid on screen ---------------------------------------------------------------

    def grid(self, view: View, rows: dict) -> tuple[list[dict], list[dict], list[dict]]:
        """Return the screen grid's rows, columns and pinned reference rows."""
        indicator = self.indicator(view)
        threshold = privacy.threshold()
        ranked = [_grid_row(r, indicator, threshold) for r in rows["ranked"].to_dict("records")]
        pinned = [_reference_row(label, frame, indicator, threshold)
                  for label, _unit, frame in rows["references"]]
        return ranked, column_defs(indicator), pinned


def _grid_row(record: dict, indicator: Indicator, threshold: int) -> dict:
    """Return one child's row; a hidden value is None with its mark (``< 5``, ``secret``)."""
    value = present(record.get(indicator.code))
    delta = indicators.change(indicator, number(record.get(indicator.code)),
                              number(record.get(f"{indicator.code}_previous")))
    enrollment_hidden = privacy.is_suppressed(record, "enrollment")
    row = {
        "code": record["code"],
        "rank": None if pd.isna(record["rank"]) else int(record["rank"]),
        "name": record["name_fr"],
        "name_ar": record["name_ar"],
        "value": value,
        "suppressed": privacy.is_suppressed(record, indicator.code),
        "enrollment": None if enrollment_hidden else int(present(record.get("enrolled")) or 0),
        "change": None if is_missing(delta) else delta,
    }
    return row | marks(record, indicator, threshold)


def marks(record, indicator: Indicator, threshold: int) -> dict:
    """Return the marks (``< 5``, ``secret``) and notes of a row's hidden value and pupils."""
    small = privacy.is_small(record)
    found = {}
    for field, shown in (("value", indicator), ("enrollment", indicators.BY_CODE["enrollment"])):
        if privacy.is_suppressed(record, shown.code):
            found[f"{field}_mark"] = format_cell(shown, None, True, threshold, small)
            found[f"{field}_note"] = secret_note(threshold)
    return found


def _reference_row(label: str, frame: pd.DataFrame, indicator: Indicator,
                   threshold: int) -> dict:
    """Return a reference row (the unit itself, Maroc); a hidden value carries its mark."""
    previous, current = frame.iloc[0], frame.iloc[1]
    value = present(current[indicator.code])
    delta = indicators.change(indicator, number(current[indicator.code]),
                              number(previous[indicator.code]))
    row = {"code": f"reference-{label}", "name": label, "value": value,
           "enrollment": None if pd.isna(current["enrolled"]) else int(current["enrolled"]),
           "change": None if is_missing(delta) else delta, "rank": None}
    return row | marks(current, indicator, threshold)


def column_defs(indicator: Indicator) -> list[dict]:
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
