"""Exportable charts and tables: any panel of a view, dressed for a document.

A panel (``panels.registry``) gives the rows, the table and the figure of the screen;
this module only dresses them: images get their title, the filters and the source drawn
inside the figure, and every export gives its numbers as a typed table for CSV and
Excel, rounded as the read API rounds them, so a file equals the API and the screen.

Small-cell suppression (``queries.privacy``) reaches exports through the panels: a
hidden value is an empty cell, the figure shows ``< 5`` or ``secret`` where it would
show the number, and the tables of a view describing schools end with a "Secret
statistique" column naming the hidden cells of each row.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from dashboard.formatting import school_year_label
from dashboard.i18n import _
from dashboard.levels import LEVEL_NAMES
from dashboard.urls import View
from layouts.shell import CHOICE_LABELS
from panels import registry
from panels.base import HIDDEN, Column, NotApplicable
from queries import Scope
from queries.units import get_unit
from queries.version import data_version_info

__all__ = ["CHARTS", "SCHOOL_CHARTS", "UNIT_CHARTS", "ChartExport", "Column", "NotApplicable",
           "chart_export", "LEVEL_NAMES"]

DEFAULT_WIDTH = 1200
DEFAULT_HEIGHT = 675

#: Charts of a territorial unit's page and of a school's page, by their graph ids.
UNIT_CHARTS = registry.on_page("commune")
SCHOOL_CHARTS = registry.on_page("school")
CHARTS = registry.IDS
#: Tables without an image: the ranking grid and the indicator cards.
DATA_ONLY = tuple(panel.id for panel in registry.PANELS if not panel.draws)
#: The column naming a row's hidden cells.
SUPPRESSED = "suppressed"
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")

# Presentation, in pixels.
EDGE = 24
TITLE_SIZE = 20
SUBTITLE_SIZE = 14
SOURCE_SIZE = 11
LINE = 26
MUTED = "#5b6470"


@dataclass
class ChartExport:
    """One chart or table of a view, ready to be rendered or written out."""

    chart: str
    title: str
    subtitle: str
    source: str
    data: pd.DataFrame
    columns: tuple[Column, ...]
    unit: dict
    version: dict
    figure: go.Figure | None = None


def chart_export(chart: str, view: View, scope: Scope, with_figure: bool = True,
                 width: int = DEFAULT_WIDTH, height: int = DEFAULT_HEIGHT) -> ChartExport:
    """Return one panel of a view, its figure dressed for a ``width`` x ``height`` image.

    Raise :class:`NotApplicable` for an unknown chart or one that the unit's page does not
    show; an unknown or hidden unit raises as :func:`queries.units.get_unit` does.
    """
    registry.known(chart)  # an unknown chart is refused before the unit is read
    unit = get_unit(view.level, view.code, scope)
    panel = registry.panel_for(chart, view.level)
    rows = panel.rows(view, scope, unit)
    title = panel.title(view, unit)
    version = data_version_info()
    subtitle = filters_line(view)
    source = source_line(version)
    columns = panel.columns(view, rows)
    table = panel.table(view, rows)
    if view.level == "school" or (view.level == "commune" and panel.school_rows):
        headers = {column.key: column.header for column in columns}
        for row in table:
            row[SUPPRESSED] = ", ".join(headers[key] for key in row.get(HIDDEN, ())) or None
        columns = (*columns, Column(SUPPRESSED, _("Secret statistique"), "text"))
    data = pd.DataFrame(table, columns=[c.key for c in columns])
    figure = None
    if with_figure and panel.draws:
        figure = go.Figure(panel.figure(view, rows))
        figure = dress(figure, title, subtitle, source, width, height,
                       panel.margin(view, rows, figure))
    return ChartExport(chart, title, subtitle, source, data, columns, unit, version, figure)


# --- words ------------------------------------------------------------------------------


def filters_line(view: View) -> str:
    """Return ``Année scolaire 2024-2025 · Collège · Public``: the year and filters in force."""
    parts = [_("Année scolaire {year}", year=school_year_label(view.filters.year))]
    for name, labels in CHOICE_LABELS.items():
        value = getattr(view.filters, name)
        if value != "all":
            parts.append(_(dict(labels)[value]))
    return " · ".join(parts)


def french_date(moment) -> str:
    """Return ``29 novembre 2026``, and ``1er décembre 2026`` for the first of a month."""
    day = _("1er") if moment.day == 1 else str(moment.day)
    return f"{day} {_(MONTHS[moment.month - 1])} {moment.year}"


def source_line(version: dict) -> str:
    """Return the source of every number, with the data version and its build date."""
    return _("Source : Pilotage, base de scolarité, données du {date} (version {version})",
             date=french_date(version["built_at"]), version=version["version"])


def choice_label(name: str, value: str) -> str:
    """Return the French label of a filter value (``Tous les cycles``, ``Collège``...)."""
    return _(dict(CHOICE_LABELS[name])[value])


# --- presentation -------------------------------------------------------------------------


def _wrap(text: str, width: int, size: int) -> list[str]:
    """Cut a line into lines of at most ``width`` pixels (at about 0.55 em a character)."""
    most = max(20, int(width / (size * 0.55)))
    lines: list[str] = []
    for word in text.split(" "):
        if lines and len(lines[-1]) + 1 + len(word) <= most:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _legend_rows(figure: go.Figure, width: int) -> int:
    """Return how many rows the figure's legend takes across ``width`` pixels (0: none)."""
    shown = [t for t in figure.data if t.showlegend is not False and t.name]
    if figure.layout.showlegend is False or len(shown) < 2:
        return 0
    rows, used = 1, 0
    for trace in shown:
        item = 7 * len(trace.name) + 50
        if used and used + item > width:
            rows, used = rows + 1, 0
        used += item
    return rows


def dress(figure: go.Figure, title: str, subtitle: str, source: str, width: int, height: int,
          margin: dict | None = None) -> go.Figure:
    """Add a title, the filters and the source inside a figure, on white, for one image size.

    Margins are fixed (not grown by Plotly) so that the source line sits at the bottom
    whatever the chart; the legend, if any, goes between the subtitle and the plot.
    """
    is_map = any(t.type in ("choropleth", "scattergeo") for t in figure.data)
    is_empty = not figure.data
    margins = {"l": EDGE if is_map or is_empty else 80, "r": EDGE if is_empty else 32,
               "b": 52 if is_map or is_empty else 84}
    margins.update(margin or {})
    margins["l"] = min(margins["l"], width // 2)
    title_lines = _wrap(title, width - 2 * EDGE, TITLE_SIZE)
    subtitle_lines = _wrap(subtitle, width - 2 * EDGE, SUBTITLE_SIZE)
    legend_rows = _legend_rows(figure, width - margins["l"] - margins["r"])
    top = 20 + LINE * len(title_lines) + 20 * len(subtitle_lines) + 20 + 24 * legend_rows
    margins["t"] = top
    plot_bottom_gap = margins["b"] - (SOURCE_SIZE + 18)
    figure.update_layout(
        width=width, height=height,
        paper_bgcolor="white", plot_bgcolor="white",
        margin={**margins, "autoexpand": False, "pad": 0},
        title={
            "text": "<br>".join(html.escape(line, quote=False) for line in title_lines),
            "font": {"size": TITLE_SIZE, "color": "#1f2933"},
            "x": 0, "xref": "container", "xanchor": "left",
            "y": 1, "yref": "container", "yanchor": "top",
            "pad": {"l": EDGE, "t": 18},
            "subtitle": {"text": "<br>".join(html.escape(line, quote=False)
                                             for line in subtitle_lines),
                         "font": {"size": SUBTITLE_SIZE, "color": MUTED}},
        },
    )
    if legend_rows:
        figure.update_layout(legend={"orientation": "h", "x": 0, "xanchor": "left",
                                     "y": 1, "yanchor": "bottom", "yref": "paper"})
    figure.add_annotation(
        text=html.escape(source, quote=False), showarrow=False, xref="paper", yref="paper",
        x=0, y=0, xanchor="left", yanchor="top", xshift=EDGE - margins["l"],
        yshift=-plot_bottom_gap, align="left", font={"size": SOURCE_SIZE, "color": MUTED},
    )
    return figure
