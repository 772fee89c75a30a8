"""Exportable charts and tables: what the screen shows, dressed for a document.

Each export is keyed by the id of its graph on screen and makes the same ``queries/``
calls with the same figure builders as that graph's callback, so a downloaded image or
file carries the numbers on screen. Images get their title, the filters and the source
drawn inside the figure; every export also gives its numbers as a typed table for CSV
and Excel. Values are rounded as the read API rounds them, so a file equals the API.

Small-cell suppression (``queries.privacy``) reaches exports through the queries: a
hidden value is an empty cell, the figure shows ``< 5`` or ``secret`` where it would
show the number, and the tables of a view describing schools end with a "Secret
statistique" column naming the hidden cells of each row.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go

from callbacks.maps import map_figure
from dashboard import indicators
from dashboard.api import DECIMALS
from dashboard.formatting import format_cell, format_value, school_year_label
from dashboard.i18n import _
from dashboard.indicators import Indicator
from dashboard.schema import GRADES
from dashboard.urls import View
from layouts import figures
from layouts.components import empty_figure, no_data_label, secret_label
from layouts.shell import CHOICE_LABELS
from queries import NATIONAL_SCOPE, Scope, privacy
from queries.stats import (
    breakdown,
    children_indicators,
    grade_by_sex,
    ranked_children,
    trend,
    unit_indicators,
)
from queries.units import CHILD_LEVEL, children, comparison_chain, get_unit
from queries.version import data_version_info

DEFAULT_WIDTH = 1200
DEFAULT_HEIGHT = 675

#: Charts of a territorial unit's page and of a school's page, by their graph ids.
UNIT_CHARTS = ("map", "trend-chart", "breakdown-grade", "breakdown-sex", "breakdown-milieu",
               "breakdown-sector", "ranking", "kpis")
SCHOOL_CHARTS = ("map", "trend-chart", "school-enrollment", "school-outcomes",
                 "school-comparison", "school-exams", "kpis")
CHARTS = tuple(dict.fromkeys(UNIT_CHARTS + SCHOOL_CHARTS))
#: Tables without an image: the ranking grid and the indicator cards.
DATA_ONLY = ("ranking", "kpis")
#: Charts of a commune's page whose rows are its schools.
SCHOOL_ROWS = ("map", "ranking")
#: A row's key listing the keys of its hidden cells, and the column that names them.
HIDDEN = "_hidden"
SUPPRESSED = "suppressed"

PLACE_LABELS = {"region": "Région", "province": "Province", "commune": "Commune"}
CHILD_NAMES = {"region": "régions", "province": "provinces et préfectures",
               "commune": "communes", "school": "établissements"}
LEVEL_NAMES = {"national": "National", "region": "Région", "province": "Province / préfecture",
               "commune": "Commune", "school": "Établissement"}
BREAKDOWN_TITLES = {"grade": "par niveau", "sex": "par sexe", "milieu": "par milieu",
                    "sector": "par secteur"}
BREAKDOWN_HEADERS = {"grade": "Niveau", "sex": "Sexe", "milieu": "Milieu", "sector": "Secteur"}
OUTCOME_COLOURS = {"promoted": "#2a6f97", "repeaters": "#e0a33b", "dropouts": "#b23a48"}
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")

# Presentation, in pixels.
EDGE = 24
TITLE_SIZE = 20
SUBTITLE_SIZE = 14
SOURCE_SIZE = 11
LINE = 26
MUTED = "#5b6470"


class NotApplicable(LookupError):
    """The chart does not exist, or not on the page of this unit."""


@dataclass(frozen=True)
class Column:
    """One column of an export's table.

    ``kind`` says how to write it: ``text``, ``integer``, ``count``, ``rate`` (a
    fraction), ``score`` (out of 20), ``decimal``, ``change`` (a fraction: points for
    rates, relative otherwise) or ``row`` (the unit named in the row's ``unit`` column).
    """

    key: str
    header: str
    kind: str


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


@dataclass
class _Built:
    title: str
    rows: list[dict]
    columns: tuple[Column, ...]
    figure: go.Figure | None = None
    margin: dict = field(default_factory=dict)


def chart_export(chart: str, view: View, scope: Scope, with_figure: bool = True,
                 width: int = DEFAULT_WIDTH, height: int = DEFAULT_HEIGHT) -> ChartExport:
    """Return one chart or table of a view, its figure dressed for a ``width`` x ``height`` image.

    Raise :class:`NotApplicable` for an unknown chart or one that the unit's page does not
    show; an unknown or hidden unit raises as :func:`queries.units.get_unit` does.
    """
    if chart not in CHARTS:
        raise NotApplicable(f"no chart {chart!r}; use one of {', '.join(CHARTS)}")
    unit = get_unit(view.level, view.code, scope)
    allowed = SCHOOL_CHARTS if view.level == "school" else UNIT_CHARTS
    if chart not in allowed:
        raise NotApplicable(f"the {view.level} page has no chart {chart!r}; it has "
                            f"{', '.join(allowed)}")
    indicator = indicators.BY_CODE[view.indicator]
    built = _BUILDERS[chart](view, scope, unit, indicator, with_figure and chart not in DATA_ONLY)
    version = data_version_info()
    title = built.title
    subtitle = filters_line(view)
    source = source_line(version)
    columns = built.columns
    if view.level == "school" or (view.level == "commune" and chart in SCHOOL_ROWS):
        columns = (*columns, Column(SUPPRESSED, _("Secret statistique"), "text"))
        headers = {column.key: column.header for column in built.columns}
        for row in built.rows:
            row[SUPPRESSED] = ", ".join(headers[key] for key in row.get(HIDDEN, ())) or None
    data = pd.DataFrame(built.rows, columns=[c.key for c in columns])
    figure = None
    if built.figure is not None:
        figure = dress(built.figure, title, subtitle, source, width, height, built.margin)
    return ChartExport(chart, title, subtitle, source, data, columns, unit, version, figure)


# --- words ------------------------------------------------------------------------------


def place_name(unit: dict) -> str:
    """Return ``Région Casablanca-Settat``, ``Maroc`` or a school's own name."""
    label = PLACE_LABELS.get(unit["level"])
    return f"{_(label)} {unit['name_fr']}" if label else unit["name_fr"]


def filters_line(view: View) -> str:
    """Return ``Année scolaire 2024-2025 · Collège · Public``: the year and filters in force."""
    parts = [_("Année scolaire {year}", year=school_year_label(view.filters.year))]
    for name, labels in CHOICE_LABELS.items():
        value = getattr(view.filters, name)
        if value != "all":
            parts.append(_(dict(labels)[value]))
    return " · ".join(parts)


def french_date(moment) -> str:
    """Return ``29 novembre 2026``."""
    return f"{moment.day} {_(MONTHS[moment.month - 1])} {moment.year}"


def source_line(version: dict) -> str:
    """Return the source of every number, with the data version and its build date."""
    return _("Source : Pilotage, base de scolarité, données du {date} (version {version})",
             date=french_date(version["built_at"]), version=version["version"])


def choice_label(name: str, value: str) -> str:
    """Return the French label of a filter value (``Tous les cycles``, ``Collège``...)."""
    return _(dict(CHOICE_LABELS[name])[value])


# --- values -------------------------------------------------------------------------------


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value)


def rounded(value, unit: str) -> int | float | None:
    """Return a value as the API gives it: counts whole, rates 6 decimals, scores 4."""
    if _missing(value):
        return None
    if unit == "count":
        return int(round(float(value)))
    return round(float(value), DECIMALS.get(unit, 6))


def _change(indicator: Indicator, current, previous) -> float | None:
    delta = indicators.change(indicator, _float(current), _float(previous))
    return None if math.isnan(delta) else round(delta, 6)


def _child_value(value, indicator: Indicator) -> int | float | None:
    """Return a child's value as the API gives it: a child without pupils counts 0 pupils."""
    if _missing(value) and indicator.unit == "count":
        return 0
    return rounded(value, indicator.unit)


def _hide(row: dict, **hidden: bool) -> dict:
    """Empty the cells of a row that small-cell suppression hides, and list their keys."""
    keys = [key for key, is_hidden in hidden.items() if is_hidden]
    for key in keys:
        row[key] = None
    row[HIDDEN] = keys
    return row


def _hidden_text(indicator: Indicator, record, threshold: int) -> str | None:
    """Return the mark of a hidden value (``< 5``, ``secret``), or None if it is shown."""
    if not privacy.is_suppressed(record, indicator.code):
        return None
    return format_cell(indicator, None, True, threshold, privacy.is_small(record))


def _float(value) -> float:
    return float("nan") if _missing(value) else float(value)


def _value_column(indicator: Indicator, key: str = "value", header: str | None = None) -> Column:
    return Column(key, header or _(indicator.label), indicator.unit)


def _change_column(indicator: Indicator) -> Column:
    unit = _("points") if indicator.is_rate else "%"
    return Column("change", _("Évolution ({unit})", unit=unit), "change")


# --- builders -----------------------------------------------------------------------------


def _map(view: View, scope: Scope, unit: dict, indicator: Indicator, draw: bool) -> _Built:
    title = f"{_(indicator.label)} — {place_name(unit)}"
    if view.level == "school":
        columns = (Column("code", _("Code"), "text"), Column("name_fr", _("Nom"), "text"),
                   Column("name_ar", _("Nom (arabe)"), "text"),
                   Column("commune_code", _("Commune"), "text"),
                   Column("latitude", _("Latitude"), "decimal"),
                   Column("longitude", _("Longitude"), "decimal"))
        rows = [{c.key: unit.get(c.key) for c in columns}]
        figure = map_figure(view, scope) if draw else None
        return _Built(title, rows, columns, figure, {"r": EDGE})
    values = privacy.values_of(children_indicators(view.level, view.code, view.filters, scope),
                               indicator.code)
    members = children(view.level, view.code, scope)
    merged = members.merge(values, on="code", how="left")
    columns = (Column("code", _("Code"), "text"), Column("name_fr", _("Nom"), "text"),
               Column("name_ar", _("Nom (arabe)"), "text"), _value_column(indicator))
    rows = [_hide({"code": r["code"], "name_fr": r["name_fr"], "name_ar": r["name_ar"],
                   "value": _child_value(r["value"], indicator)},
                  value=privacy.is_set(r["suppressed"])) for r in merged.to_dict("records")]
    figure = map_figure(view, scope) if draw else None
    has_scale = figure is not None and any(t.type == "choropleth" and t.showscale is not False
                                           for t in figure.data)
    return _Built(title, rows, columns, figure, {"r": 110 if has_scale else EDGE})


def _trend(view: View, scope: Scope, unit: dict, indicator: Indicator, draw: bool) -> _Built:
    frame = trend(view.level, view.code, view.filters, scope)
    national = None
    if view.level != "national":
        national = trend("national", "MA", view.filters, NATIONAL_SCOPE)
    name = unit["name_fr"]
    columns = [Column("school_year", _("Année scolaire"), "text"),
               _value_column(indicator, "value", f"{_(indicator.label)} : {name}")]
    if national is not None:
        columns.append(_value_column(indicator, "national", f"{_(indicator.label)} : Maroc"))
    columns.append(Column("enrollment", _("Effectif : {name}", name=name), "count"))
    reference = national.set_index("school_year") if national is not None else None
    rows = []
    for record in frame.to_dict("records"):
        row = {"school_year": school_year_label(record["school_year"]),
               "value": rounded(record[indicator.code], indicator.unit),
               "enrollment": rounded(record["enrolled"], "count")}
        if reference is not None:
            row["national"] = rounded(reference.loc[record["school_year"], indicator.code],
                                      indicator.unit)
        rows.append(_hide(row, value=privacy.is_suppressed(record, indicator.code),
                          enrollment=privacy.is_suppressed(record, "enrollment")))
    figure = None
    if draw:
        figure = (message_figure(no_data_label()) if not privacy.has_pupils(frame)
                  else figures.trend(frame, indicator, name, national))
    title = f"{_(indicator.label)} par année scolaire — {place_name(unit)}"
    return _Built(title, rows, tuple(columns), figure)


def _breakdown(by: str) -> Callable[..., _Built]:
    def build(view: View, scope: Scope, unit: dict, indicator: Indicator, draw: bool) -> _Built:
        title = f"{_(indicator.label)} {_(BREAKDOWN_TITLES[by])} — {place_name(unit)}"
        columns = (Column("category", _(BREAKDOWN_HEADERS[by]), "text"),
                   _value_column(indicator), Column("enrollment", _("Effectif"), "count"))
        if indicator.code == "girls_share" and by == "sex":
            figure = message_figure(_("Sans objet pour la part des filles")) if draw else None
            return _Built(title, [], columns, figure)
        frame = breakdown(view.level, view.code, view.filters, scope, by)
        names = figures.DIMENSION_NAMES.get(by, {})
        rows = [_hide({"category": _(names.get(r[by], r[by])),
                       "value": rounded(r[indicator.code], indicator.unit),
                       "enrollment": rounded(r["enrolled"], "count")},
                      value=privacy.is_suppressed(r, indicator.code),
                      enrollment=privacy.is_suppressed(r, "enrollment"))
                for r in frame.to_dict("records")]
        figure = None
        if draw:
            figure = (message_figure(no_data_label()) if not privacy.has_pupils(frame)
                      else figures.breakdown(frame, indicator, by, privacy.threshold()))
        return _Built(title, rows, columns, figure)

    return build


def _grade_order(frame: pd.DataFrame) -> pd.DataFrame:
    order = {g: i for i, g in enumerate(GRADES)}
    return frame.assign(_order=frame["grade"].map(order)).sort_values("_order")


def _school_enrollment(view: View, scope: Scope, unit: dict, indicator: Indicator,
                       draw: bool) -> _Built:
    frame = grade_by_sex(view.level, view.code, view.filters, scope)
    columns = (Column("grade", _("Niveau"), "text"), Column("F", _("Filles"), "count"),
               Column("M", _("Garçons"), "count"))
    empty = not privacy.has_pupils(frame)
    rows: list[dict] = []
    table = None
    if not empty:
        table = _grade_order(figures.grade_sex_table(frame))
        rows = [_hide({"grade": r["grade"], "F": rounded(r.get("F", 0), "count"),
                       "M": rounded(r.get("M", 0), "count")},
                      F=_missing(r.get("F", 0)), M=_missing(r.get("M", 0)))
                for r in table.to_dict("records")]
    figure = None
    if draw:
        if empty:
            figure = message_figure(no_data_label())
        else:
            series = {s: _(figures.SEX_NAMES[s]) for s in ("F", "M") if s in table}
            figure = (message_figure(secret_label(privacy.threshold()))
                      if figures.all_hidden(table, series) else
                      figures.grouped_bars(table, "grade", series, figures.SEX_COLOURS))
    title = f"{_('Effectif par niveau et sexe')} — {place_name(unit)}"
    return _Built(title, rows, columns, figure)


def _school_outcomes(view: View, scope: Scope, unit: dict, indicator: Indicator,
                     draw: bool) -> _Built:
    frame = breakdown(view.level, view.code, view.filters, scope, "grade")
    series = {"promoted": _("Promus"), "repeaters": _("Redoublants"), "dropouts": _("Abandons")}
    columns = (Column("grade", _("Niveau"), "text"), Column("enrolled", _("Effectif"), "count"),
               *(Column(key, label, "count") for key, label in series.items()))
    empty = not privacy.has_pupils(frame)
    rows: list[dict] = []
    if not empty:  # a count is NaN only when hidden
        frame = _grade_order(frame)
        rows = [_hide({c.key: r[c.key] if c.kind == "text" else rounded(r[c.key], "count")
                       for c in columns},
                      **{c.key: _missing(r[c.key]) for c in columns if c.kind == "count"})
                for r in frame.to_dict("records")]
    figure = None
    if draw:
        if empty:
            figure = message_figure(no_data_label())
        elif figures.all_hidden(frame, series):
            figure = message_figure(secret_label(privacy.threshold()))
        else:
            figure = figures.grouped_bars(frame, "grade", series, OUTCOME_COLOURS, stacked=True)
    heading = _("Résultats de fin d'année par niveau")
    title = f"{heading} — {place_name(unit)}"
    return _Built(title, rows, columns, figure)




def _school_comparison(view: View, scope: Scope, unit: dict, indicator: Indicator,
                       draw: bool) -> _Built:
    names, values, texts, rows = [], [], [], []
    threshold = privacy.threshold()
    for level, code, name, unit_scope in comparison_chain(unit["code"], scope):
        current = unit_indicators(level, code, view.filters, unit_scope).iloc[1]
        value = current[indicator.code]
        names.append(name)
        values.append(value)
        texts.append(_hidden_text(indicator, current, threshold)
                     or format_value(indicator, None if _missing(value) else value))
        rows.append(_hide({"level": _(LEVEL_NAMES[level]), "code": code, "name_fr": name,
                           "value": rounded(value, indicator.unit)},
                          value=privacy.is_suppressed(current, indicator.code)))
    columns = (Column("level", _("Niveau"), "text"), Column("code", _("Code"), "text"),
               Column("name_fr", _("Nom"), "text"), _value_column(indicator))
    figure = None
    margin: dict = {}
    if draw:
        figure = figures.comparison_bars(names, values, indicator, texts)
        margin = {"l": EDGE + 16 + 7 * max(len(n) for n in names)}
    title = f"{_(indicator.label)} comparé au territoire — {place_name(unit)}"
    return _Built(title, rows, columns, figure, margin)


def _school_exams(view: View, scope: Scope, unit: dict, indicator: Indicator,
                  draw: bool) -> _Built:
    exams = [i for i in indicators.INDICATORS if i.code.startswith("success_rate_")]
    rows, hidden = [], []
    for level, code, name, unit_scope in comparison_chain(unit["code"], scope):
        current = unit_indicators(level, code, view.filters, unit_scope).iloc[1]
        rows.append({"unit": name, **{i.code: current[i.code] for i in exams},
                     **{i.denominator: current[i.denominator] for i in exams}})
        hidden.append({i.code for i in exams if privacy.is_suppressed(current, i.code)})
    sat = figures.sat_exams(rows[0], exams)
    columns = (Column("unit", _("Unité"), "text"),
               *(Column(i.code, _(i.label), "rate") for i in sat),
               *(Column(i.denominator, _("Candidats : {exam}", exam=_(i.short_label)), "count")
                 for i in sat))
    data = [_hide({c.key: r[c.key] if c.kind == "text" else rounded(r[c.key], c.kind)
                   for c in columns},
                  **{c.key: c.key in codes or (c.kind == "count" and _missing(r[c.key]))
                     for c in columns if c.kind != "text"})
            for r, codes in zip(rows, hidden, strict=True)]
    figure = None
    if draw:
        if not sat:
            figure = message_figure(_("Aucun candidat aux examens cette année"))
        else:
            figure = figures.exam_bars(rows, sat, [i for i in sat if i.code in hidden[0]])
    title = f"{_('Réussite aux examens')} — {place_name(unit)}"
    return _Built(title, data, columns, figure)


def _ranking(view: View, scope: Scope, unit: dict, indicator: Indicator, draw: bool) -> _Built:
    ranked = ranked_children(view.level, view.code, view.filters, scope, indicator.code)
    rows = []
    for record in ranked.to_dict("records"):
        value = None if _missing(record.get(indicator.code)) else record[indicator.code]
        enrolled = record.get("enrolled")
        rows.append(_hide({
            "rank": None if pd.isna(record["rank"]) else int(record["rank"]),
            "code": record["code"], "name_fr": record["name_fr"], "name_ar": record["name_ar"],
            "value": _child_value(value, indicator),
            "change": _change(indicator, value, record.get(f"{indicator.code}_previous")),
            "enrollment": 0 if _missing(enrolled) or not enrolled else rounded(enrolled, "count"),
        }, value=privacy.is_suppressed(record, indicator.code),
            enrollment=privacy.is_suppressed(record, "enrollment")))
    own = unit_indicators(view.level, view.code, view.filters, scope)
    rows.append(_reference_row(_("Ensemble : {name}", name=unit["name_fr"]), unit, own,
                               indicator))
    if view.level != "national":
        national = unit_indicators("national", "MA", view.filters, NATIONAL_SCOPE)
        rows.append(_reference_row(_("Maroc (référence)"),
                                   {"code": "MA", "name_ar": get_unit(
                                       "national", "MA", NATIONAL_SCOPE)["name_ar"]},
                                   national, indicator))
    columns = (Column("rank", _("Rang"), "integer"), Column("code", _("Code"), "text"),
               Column("name_fr", _("Nom"), "text"), Column("name_ar", _("Nom (arabe)"), "text"),
               _value_column(indicator), _change_column(indicator),
               Column("enrollment", _("Effectif"), "count"))
    child = CHILD_NAMES[CHILD_LEVEL[view.level]]
    title = (f"{_(indicator.label)} : {_('classement des {children}', children=_(child))} — "
             f"{place_name(unit)}")
    return _Built(title, rows, columns)


def _reference_row(label: str, unit: dict, frame: pd.DataFrame, indicator: Indicator) -> dict:
    previous, current = frame.iloc[0], frame.iloc[1]
    return {"rank": None, "code": unit["code"], "name_fr": label, "name_ar": unit["name_ar"],
            "value": rounded(current[indicator.code], indicator.unit),
            "change": _change(indicator, current[indicator.code], previous[indicator.code]),
            "enrollment": rounded(current["enrolled"], "count")}


def _kpis(view: View, scope: Scope, unit: dict, indicator: Indicator, draw: bool) -> _Built:
    frame = unit_indicators(view.level, view.code, view.filters, scope)
    previous, current = frame.iloc[0], frame.iloc[1]
    rows = [_hide({"code": i.code, "label": _(i.label), "unit": i.unit,
                   "value": rounded(current[i.code], i.unit),
                   "previous": rounded(previous[i.code], i.unit),
                   "change": _change(i, current[i.code], previous[i.code])},
                  value=privacy.is_suppressed(current, i.code),
                  previous=privacy.is_suppressed(previous, i.code))
            for i in indicators.INDICATORS]
    before = school_year_label(view.filters.year - 1)
    columns = (Column("code", _("Code"), "text"), Column("label", _("Indicateur"), "text"),
               Column("unit", _("Unité"), "text"),
               Column("value", school_year_label(view.filters.year), "row"),
               Column("previous", before, "row"),
               Column("change", _("Évolution (points pour les taux, % sinon)"), "change"))
    return _Built(f"{_('Indicateurs')} — {place_name(unit)}", rows, columns)


_BUILDERS: dict[str, Callable[..., _Built]] = {
    "map": _map,
    "trend-chart": _trend,
    **{f"breakdown-{by}": _breakdown(by) for by in BREAKDOWN_TITLES},
    "school-enrollment": _school_enrollment,
    "school-outcomes": _school_outcomes,
    "school-comparison": _school_comparison,
    "school-exams": _school_exams,
    "ranking": _ranking,
    "kpis": _kpis,
}


# --- presentation -------------------------------------------------------------------------


def message_figure(message: str) -> go.Figure:
    """Return the figure the screen shows for an empty selection: a message, no axes."""
    figure = go.Figure(empty_figure())
    figure.add_annotation(text=html.escape(message, quote=False), showarrow=False, x=0.5,
                          y=0.5, xref="paper", yref="paper",
                          font={"size": 14, "color": "#6b7480"})
    return figure


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
