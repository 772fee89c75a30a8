"""What a panel is: one chart or table of a page, written once for every place it appears.

A panel reads its rows through ``queries/`` (:meth:`Panel.rows`, the only place it does),
and from those rows makes the figure the screen draws (:meth:`Panel.figure`) and the
table a data file holds (:meth:`Panel.table`, under :meth:`Panel.columns`). The screen,
the data files, the chart images and the briefing all call these same methods, so they
agree by construction.

Small-cell suppression reaches a panel through the queries: a hidden value is an empty
cell in its table, with its key listed under ``HIDDEN``, and the figure shows ``< 5`` or
``secret`` where it would show the number.
"""

from __future__ import annotations

import html
import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from dashboard import indicators
from dashboard.i18n import _, unit_name
from dashboard.indicators import Indicator
from dashboard.levels import LEVELS, PLACE_LABELS
from dashboard.urls import View
from layouts.components import empty_figure
from queries import Scope

#: A table row's key listing the keys of its hidden cells.
HIDDEN = "_hidden"


class NotApplicable(LookupError):
    """The panel does not exist, or not on the page of this unit."""


@dataclass(frozen=True)
class Column:
    """One column of a panel's table.

    ``kind`` says how to write it: ``text``, ``integer``, ``count``, ``rate`` (a
    fraction), ``score`` (out of 20), ``decimal``, ``change`` (a relative change, a
    fraction), ``points`` (a rate's change, a fraction of 1, shown in points), ``row``
    (the unit named in the row's ``unit`` column) or ``row-change`` (the change of that
    row's indicator).
    """

    key: str
    header: str
    kind: str


class Panel(ABC):
    """One chart or table of a page. Subclasses set the class attributes and write the
    abstract methods."""

    #: The id of its graph on screen, of its file (``/export/chart/<id>.csv``) and in URLs.
    id: str = ""
    #: The last word of its files' names (``..._2024-2025_tendance.csv``); none for the map.
    slug: str = ""
    #: Whether it shows the selected indicator (and so names it in its files' names).
    per_indicator: bool = True
    #: The levels whose page shows it.
    levels: tuple[str, ...] = LEVELS
    #: The levels its screen callback draws for (a breakdown also answers a school's view).
    screen_levels: tuple[str, ...] | None = None
    #: Whether it has a figure (the ranking grid and the indicator cards do not).
    draws: bool = True
    #: Whether, on a commune's page, its rows are schools (so its file names hidden cells).
    school_rows: bool = False
    #: The page it belongs to: a unit's page (``unit``) or its data-quality view
    #: (``quality``, whose files follow the check the address names).
    page: str = "unit"

    @abstractmethod
    def title(self, view: View, unit: dict) -> str:
        """Return the panel's title for a view of ``unit``, as a file or a slide shows it."""

    @abstractmethod
    def rows(self, view: View, scope: Scope, unit: dict) -> Any:
        """Return what the panel shows of a view, read through ``queries/``."""

    @abstractmethod
    def columns(self, view: View, rows: Any) -> tuple[Column, ...]:
        """Return the columns of the panel's table."""

    @abstractmethod
    def table(self, view: View, rows: Any) -> list[dict]:
        """Return the panel's table: one dict per row, keyed by its columns."""

    @abstractmethod
    def figure(self, view: View, rows: Any) -> go.Figure | dict:
        """Return the figure the screen draws (and images and the briefing dress)."""

    def margin(self, view: View, rows: Any, figure: go.Figure) -> dict:
        """Return the margins an image of the figure needs beyond the usual ones."""
        return {}

    def indicator(self, view: View) -> Indicator:
        """Return the indicator the view selects."""
        return indicators.BY_CODE[view.indicator]


# --- words ------------------------------------------------------------------------------


def place_name(unit: dict) -> str:
    """Return ``Région Casablanca-Settat``, ``Maroc`` or a school's own name."""
    label = PLACE_LABELS.get(unit["level"])
    return f"{_(label)} {unit_name(unit)}" if label else unit_name(unit)


def message_figure(message: str) -> dict:
    """Return the figure of an empty selection: a message, no axes."""
    figure = empty_figure()
    figure["layout"]["annotations"] = [{
        "text": html.escape(message, quote=False), "showarrow": False, "x": 0.5, "y": 0.5,
        "xref": "paper", "yref": "paper", "font": {"size": 14, "color": "#6b7480"},
    }]
    return figure


# --- values -------------------------------------------------------------------------------


def missing(value) -> bool:
    """Return whether a value is absent (None or NaN)."""
    return value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value)


def number(value) -> float:
    """Return a value as a float, NaN when absent."""
    return float("nan") if missing(value) else float(value)


def present(value) -> float | None:
    """Return a value as a float, None when absent."""
    return None if missing(value) else float(value)


def rounded(value, unit: str) -> int | float | None:
    """Return a value as the API gives it: counts whole, rates 6 decimals, scores 4."""
    if missing(value):
        return None
    if unit == "count":
        return int(round(float(value)))
    return round(float(value), indicators.DECIMALS.get(unit, 6))


def change(indicator: Indicator, current, previous) -> float | None:
    """Return the change against last year (points for rates, relative otherwise)."""
    delta = indicators.change(indicator, number(current), number(previous))
    return None if math.isnan(delta) else round(delta, 6)


def child_value(value, indicator: Indicator) -> int | float | None:
    """Return a child's value as the API gives it: a child without pupils counts 0 pupils."""
    if missing(value) and indicator.unit == "count":
        return 0
    return rounded(value, indicator.unit)


def hide(row: dict, **hidden: bool) -> dict:
    """Empty the cells of a row that small-cell suppression hides, and list their keys."""
    keys = [key for key, is_hidden in hidden.items() if is_hidden]
    for key in keys:
        row[key] = None
    row[HIDDEN] = keys
    return row


def value_column(indicator: Indicator, key: str = "value", header: str | None = None) -> Column:
    """Return the column of the indicator's value."""
    return Column(key, header or _(indicator.label), indicator.unit)


def change_column(indicator: Indicator) -> Column:
    """Return the column of the change against last year."""
    if indicator.is_rate:
        return Column("change", _("Évolution ({unit})", unit=_("points")), "points")
    return Column("change", _("Évolution ({unit})", unit="%"), "change")


def is_exam(indicator: Indicator) -> bool:
    """Tell whether an indicator is an exam's success rate (computed on its candidates)."""
    return indicator.code.startswith("success_rate_")


def arabic_name(unit: dict) -> str | None:
    """Return a unit's Arabic name, or None when it has none (the French one stands in)."""
    name = unit.get("name_ar")
    return None if not name or name == unit.get("name_fr") else name
