"""The ranking of a unit's children by the selected indicator, with reference rows."""

from __future__ import annotations

import unicodedata

import pandas as pd

from dashboard import indicators
from dashboard.formatting import format_cell, is_missing, secret_note
from dashboard.i18n import _, unit_name
from dashboard.indicators import Indicator
from dashboard.levels import CHILD_LEVEL, CHILD_NAMES, NATIONAL_CODE
from dashboard.urls import View, drill_url, sort_order
from panels.base import (
    Column,
    Panel,
    arabic_name,
    change,
    change_column,
    child_value,
    hide,
    is_exam,
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

    ``rows`` gives ``ranked`` (the children, in the order of the view's sort, as the grid
    shows them), ``unsorted`` (how many of them, at the end, have nothing in the sorted
    column) and ``references``: ``(label, unit, frame)`` for the unit and, below the
    nation, for Maroc, each frame holding last year and this year.
    """

    id = "ranking"
    slug = "classement"
    levels = tuple(CHILD_LEVEL)
    draws = False
    school_rows = True

    def title(self, view: View, unit: dict) -> str:
        child = CHILD_NAMES[view.ranked]
        return (f"{_(self.indicator(view).label)} : "
                f"{_('classement des {children}', children=_(child))} — {place_name(unit)}")

    def rows(self, view: View, scope: Scope, unit: dict) -> dict:
        indicator = self.indicator(view)
        references = [(_("Ensemble : {name}", name=unit_name(unit)), unit,
                       unit_indicators(view.level, view.code, view.filters, scope))]
        if view.level != "national":
            references.append((_("Maroc (référence)"),
                               get_unit("national", NATIONAL_CODE, NATIONAL_SCOPE),
                               unit_indicators("national", NATIONAL_CODE, view.filters,
                                               NATIONAL_SCOPE)))
        ranked = ranked_children(view.level, view.code, view.filters, scope, indicator.code,
                                 view.rank)
        if is_exam(indicator):  # a unit without candidates has no place in an exam ranking
            sat = pd.to_numeric(ranked[indicator.denominator], errors="coerce").fillna(0) > 0
            hidden = ranked[privacy.flag(indicator.code)].fillna(False).astype(bool)
            ranked = ranked[sat | hidden].reset_index(drop=True)
        ranked, unsorted = in_view_order(ranked, indicator, sort_of(view, indicator))
        return {"ranked": ranked, "unsorted": unsorted, "references": references}

    def columns(self, view: View, rows: dict) -> tuple[Column, ...]:
        indicator = self.indicator(view)
        base = (Column("base", base_label(indicator), "count"),) if in_files(indicator) else ()
        return (Column("rank", _("Rang"), "integer"), Column("code", _("Code"), "text"),
                Column("name_fr", _("Nom"), "text"), Column("name_ar", _("Nom (arabe)"), "text"),
                value_column(indicator), *base, change_column(indicator),
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
                "name_ar": arabic_name(record), "value": child_value(value, indicator),
                "change": change(indicator, value, record.get(f"{indicator.code}_previous")),
                "enrollment": 0 if missing(enrolled) or not enrolled
                else rounded(enrolled, "count"),
                **({"base": base_of(record, indicator)} if in_files(indicator) else {}),
            }, value=privacy.is_suppressed(record, indicator.code),
                enrollment=privacy.is_suppressed(record, "enrollment"),
                base=in_files(indicator) and missing(base_of(record, indicator))
                and privacy.is_suppressed(record, indicator.code)))
        for label, unit, frame in rows["references"]:
            previous, current = frame.iloc[0], frame.iloc[1]
            table.append({"rank": None, "code": unit["code"], "name_fr": label,
                          "name_ar": arabic_name(unit),
                          "value": rounded(current[indicator.code], indicator.unit),
                          "change": change(indicator, current[indicator.code],
                                           previous[indicator.code]),
                          "enrollment": rounded(current["enrolled"], "count"),
                          **({"base": base_of(current, indicator)} if in_files(indicator)
                             else {})})
        return table

    def figure(self, view: View, rows: dict) -> None:
        return None

    # --- the grid on screen ---------------------------------------------------------------

    def grid(self, view: View, rows: dict) -> tuple[list[dict], list[dict], list[dict]]:
        """Return the screen grid's rows, columns and pinned reference rows."""
        indicator = self.indicator(view)
        threshold = privacy.threshold()
        ranked = [_grid_row(r, indicator, threshold)
                  | {"href": drill_url(view, view.ranked, r["code"])}
                  for r in rows["ranked"].to_dict("records")]
        pinned = [_reference_row(label, frame, indicator, threshold)
                  for label, _unit, frame in rows["references"]]
        return ranked, column_defs(indicator, sort_of(view, indicator)), pinned


def sort_of(view: View, indicator: Indicator) -> str | None:
    """Return the view's sort, None (by value, highest first) when the grid has no such
    column (the candidates of a rate that is not an exam's)."""
    field, _descending = sort_order(view.sort)
    return None if field == "base" and not is_exam(indicator) else view.sort


def sort_label(view: View, indicator: Indicator) -> str | None:
    """Return the order of a ranking sorted by hand, ``Évolution, ordre croissant``; None
    for the default order (by value, highest first)."""
    sort = sort_of(view, indicator)
    if sort is None:
        return None
    field, descending = sort_order(sort)
    names = {"rank": _("Rang"), "name": _("Nom"), "value": _(indicator.short_label),
             "base": base_label(indicator) if has_base(indicator) else "",
             "change": _("Évolution"), "enrollment": _("Effectif")}
    direction = _("ordre décroissant") if descending else _("ordre croissant")
    return f"{names[field]}, {direction}"


def name_key(name: str) -> str:
    """Return what names sort by, as the grid sorts them: without accents or case, so
    "École" comes among the E (``nameOrder`` in assets/dashAgGridFunctions.js)."""
    decomposed = unicodedata.normalize("NFD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def in_view_order(ranked: pd.DataFrame, indicator: Indicator,
                  sort: str | None) -> tuple[pd.DataFrame, int]:
    """Return the ranked units in the order the grid shows them for ``sort``, and how many
    (at the end, in ranking order) have nothing in the sorted column.

    As the grid sorts (``missingLast``, ``nameOrder``): rows without a value ("—",
    "secret") last whichever the direction, ties in ranking order.
    """
    field, descending = sort_order(sort)
    threshold = privacy.threshold()
    keys = [_grid_row(record, indicator, threshold)[field]
            for record in ranked.to_dict("records")]
    if field == "name":
        keys = [name_key(key) for key in keys]
    known = [i for i, key in enumerate(keys) if key is not None]
    unknown = [i for i, key in enumerate(keys) if key is None]
    known.sort(key=lambda i: keys[i], reverse=descending)  # stable: ties keep their rank
    return ranked.iloc[known + unknown].reset_index(drop=True), len(unknown)


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
    return row | base_cells(record, indicator) | marks(record, indicator, threshold)


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
    return row | base_cells(current, indicator) | marks(current, indicator, threshold)


#: A rate computed on fewer pupils (or candidates) than this is marked: read it with care.
FEW_PUPILS = 30
#: What the base of a ratio that is not an exam's counts, as the ranking names it.
BASE_LABELS = {"enrolled": "Effectif", "decided": "Résultats connus",
               "average_count": "Élèves notés"}


def base_label(indicator: Indicator) -> str:
    """Return the name of the count a ratio is computed on: its candidates for an exam."""
    return _("Candidats") if is_exam(indicator) else _(BASE_LABELS[indicator.denominator])


def has_base(indicator: Indicator) -> bool:
    """Tell whether an indicator is a ratio, computed on a number of pupils or candidates."""
    return indicator.denominator is not None


def in_files(indicator: Indicator) -> bool:
    """Tell whether data files carry a base column of their own (the pupils are always
    there, as "Effectif")."""
    return has_base(indicator) and indicator.denominator != "enrolled"


def base_of(record, indicator: Indicator) -> int | None:
    """Return the pupils (or candidates) a child's value is computed on; None if hidden or
    the indicator is not a ratio."""
    if not has_base(indicator):
        return None
    value = record.get(indicator.denominator)
    return None if missing(value) else int(round(float(value)))


def base_cells(record, indicator: Indicator) -> dict:
    """Return a grid row's base and, for a value computed on few pupils, its mark."""
    base = base_of(record, indicator)
    few = base is not None and 0 < base < FEW_PUPILS and present(record.get(
        indicator.code)) is not None
    cells = {"base": base, "few": few}
    if few:
        cells["few_note"] = _("Calculé sur {count} seulement : à lire avec prudence",
                              count=_("{n} candidats", n=base) if is_exam(indicator)
                              else _("{n} élèves", n=base))
    return cells


#: Numbers sort with "—" and hidden values last in both directions (assets/dashAgGridFunctions.js).
MISSING_LAST = {"function": "missingLast"}


def column_defs(indicator: Indicator, sort: str | None = None) -> list[dict]:
    """Return the grid columns, the indicator column formatted in its unit, sorted as
    ``sort`` says (the default: by value, highest first)."""
    columns = _columns(indicator)
    field, descending = sort_order(sort)
    for column in columns:
        column["sort"] = ("desc" if descending else "asc") if column["field"] == field else None
    return columns


def _columns(indicator: Indicator) -> list[dict]:
    value_format = {"count": "frCount", "rate": "frRate", "score": "frScore"}[indicator.unit]
    change_format = "frPoints" if indicator.is_rate else "frPercentChange"
    return [
        {"field": "rank", "headerName": _("Rang"), "width": 62, "filter": False,
         "type": "numericColumn", "pinned": "left", "comparator": MISSING_LAST},
        # narrow enough beside the rank that the value stays in view on a phone
        {"field": "name", "headerName": _("Nom"), "flex": 2, "minWidth": 130,
         "filter": "agTextColumnFilter", "cellClass": "drill-cell", "tooltipField": "name",
         "cellRenderer": "UnitLink", "comparator": {"function": "nameOrder"}},
        {"field": "value", "headerName": _(indicator.short_label), "type": "numericColumn",
         "sortingOrder": ["desc", "asc"], "comparator": MISSING_LAST,
         "filter": "agNumberColumnFilter", "flex": 1, "minWidth": 110,
         "valueFormatter": {"function": f"frMarked(params, '{value_format}')"},
         "tooltipValueGetter": {"function": "params.data.value_note || params.data.few_note"},
         "cellClassRules": {"few-base": "params.data && params.data.few"}},
        *([{"field": "base", "headerName": base_label(indicator),
            "type": "numericColumn", "comparator": MISSING_LAST, "filter": False, "flex": 1,
            "minWidth": 95, "valueFormatter": {"function": "frCount(params.value)"}}]
          if is_exam(indicator) else []),
        {"field": "change", "headerName": _("Évolution"), "type": "numericColumn",
         "comparator": MISSING_LAST, "filter": False, "flex": 1, "minWidth": 105,
         "valueFormatter": {"function": f"{change_format}(params.value)"}},
        {"field": "enrollment", "headerName": _("Effectif"), "type": "numericColumn",
         "comparator": MISSING_LAST, "filter": "agNumberColumnFilter", "flex": 1,
         "minWidth": 95,
         "valueFormatter": {"function": "frMarked(params, 'frCount')"},
         "tooltipField": "enrollment_note"},
    ]
