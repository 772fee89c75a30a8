"""The briefing pack of a view: its numbers, map, ranking and trend as slides or PDF pages.

:func:`briefing_content` reads everything through the page's own panels
(``panels.registry``), so a pack carries exactly the numbers of the screen and of the
API. :func:`pptx_document` lays the content out as an editable 16:9 PowerPoint (tables
are real tables, charts are images); ``exports.briefing_pdf`` lays it out as A4
landscape pages, one per slide, in the same order; ``exports.briefing_files`` makes
either file of a view.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
import plotly.graph_objects as go
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.util import Emu, Inches, Pt

from dashboard import indicators
from dashboard.formatting import (
    NO_DATA,
    format_cell,
    format_change,
    is_missing,
    school_year_label,
)
from dashboard.i18n import _
from dashboard.levels import CHILDREN_LABELS, LEVEL_LABELS
from dashboard.urls import View
from exports import renderer
from exports.charts import french_date
from layouts.shell import CHOICE_LABELS
from panels import registry
from panels.kpis import tone
from panels.school import territory
from queries import NATIONAL_SCOPE, Scope, privacy
from queries.units import ancestors, get_unit
from queries.version import data_version_info

#: Chart images: CSS pixels of the figure and the device scale (PNG pixels = size x scale).
MAP_SIZE = (1000, 780)
TREND_SIZE = (1400, 520)
IMAGE_SCALE = 2.0
#: Font size of exported charts (CSS pixels): readable once the image fills a slide.
CHART_FONT_SIZE = 17
#: Children listed whole up to this many; beyond it, the five highest and five lowest.
RANKING_ALL_UP_TO = 10
RANKING_EACH_END = 5
UNIT_TEXTS = {"count": "Nombre ; évolution en %", "rate": "Taux (%) ; évolution en points",
              "score": "Note sur 20 ; évolution en %"}

# The ministry's look (assets/pilotage.css).
NAVY = RGBColor(0x0B, 0x3D, 0x6E)
BLUE = RGBColor(0x0B, 0x4F, 0x8A)
INK = RGBColor(0x1F, 0x29, 0x33)
MUTED = RGBColor(0x6B, 0x74, 0x80)
LINE = RGBColor(0xE3, 0xE7, 0xEC)
BAND = RGBColor(0xF4, 0xF6, 0xF9)
HIGHLIGHT = RGBColor(0xE4, 0xEE, 0xF7)
WHITE = RGBColor(0xFF, 0xFF, 0xFF)
TONES = {"better": RGBColor(0x1D, 0x6F, 0xA5), "worse": RGBColor(0xC2, 0x54, 0x1D),
         "neutral": INK}



# --- content ------------------------------------------------------------------------------


@dataclass(frozen=True)
class KpiRow:
    """One indicator of the unit: the texts shown and the raw values behind them."""

    indicator: indicators.Indicator
    value: str
    previous: str
    change: str
    tone: str
    raw_value: float | None
    raw_previous: float | None
    raw_change: float | None


@dataclass(frozen=True)
class RankRow:
    """One child unit in the ranking, or a reference row (no rank)."""

    rank: int | None
    code: str
    name: str
    value: str
    change: str
    enrollment: str
    tone: str
    raw_value: float | None
    raw_change: float | None
    raw_enrollment: int | None
    secret: bool = False  # its value is hidden by small-cell suppression


@dataclass(frozen=True)
class Ranking:
    """The children ranked by the selected indicator, as the page's table ranks them.

    ``bottom`` is empty when every child is listed once in ``top``.
    """

    children_label: str
    top: list[RankRow]
    bottom: list[RankRow]
    references: list[RankRow]
    total: int
    without_data: int
    secret: int = 0


@dataclass(frozen=True)
class ComparisonColumn:
    """One unit of a school's comparison: the school, its territory or the nation."""

    level_label: str
    name: str
    values: dict[str, str]
    raw: dict[str, float | None]


@dataclass(frozen=True)
class Section:
    """One slide (one PDF page): its kind and its title."""

    kind: str  # cover, kpis, map, trend, ranking, comparison, definitions
    title: str


@dataclass
class Briefing:
    """Everything a briefing pack shows, computed once for both formats."""

    view: View
    indicator: indicators.Indicator
    level_label: str
    name_fr: str
    name_ar: str | None
    path: list[str]
    school_year: str
    previous_year: str
    filters_text: str
    generated_on: str
    enrolled: int | None  # None: hidden by small-cell suppression
    kpis: list[KpiRow]
    map_figure: go.Figure | None
    trend_figure: go.Figure | None
    trend_table: list[list[str]]
    ranking: Ranking | None
    comparison: list[ComparisonColumn]
    definitions: list[tuple[str, str, str]]
    sources: str
    sections: list[Section]

    @property
    def heading(self) -> str:
        """Return the line under every slide title: unit, school year and filters."""
        unit = self.name_fr if self.view.level == "national" else (
            f"{self.level_label} {self.name_fr}")
        return " · ".join((unit, _("Année scolaire {year}", year=self.school_year),
                           self.filters_text))

    @property
    def footer(self) -> str:
        """Return the footer text of every page but the cover."""
        return f"Pilotage · {self.name_fr} · {self.school_year}"

    def kpi(self, code: str) -> KpiRow:
        """Return the KPI row of one indicator."""
        return next(row for row in self.kpis if row.indicator.code == code)


def briefing_content(view: View, scope: Scope, today: date | None = None) -> Briefing:
    """Collect the briefing of a view through the query layer (the page's own functions)."""
    indicator = indicators.BY_CODE[view.indicator]
    unit = get_unit(view.level, view.code, scope)
    filters = view.filters
    frame = registry.BY_ID["kpis"].rows(view, scope, unit)
    previous, current = frame.iloc[0], frame.iloc[1]
    threshold = privacy.threshold()
    kpis = [_kpi_row(i, current, previous, threshold) for i in indicators.INDICATORS]
    is_school = view.level == "school"
    name_ar = unit["name_ar"] if unit["name_ar"] and unit["name_ar"] != unit["name_fr"] else None
    info = data_version_info()
    version, built_at = info["version"], info["built_at"]
    trend_chart, trend_table = trend_content(view, unit, scope)
    content = Briefing(
        view=view,
        indicator=indicator,
        level_label=_(LEVEL_LABELS[view.level]) if view.level != "national" else "",
        name_fr=unit["name_fr"],
        name_ar=name_ar,
        path=[get_unit(level, code, NATIONAL_SCOPE)["name_fr"] for level, code in ancestors(unit)],
        school_year=school_year_label(filters.year),
        previous_year=school_year_label(filters.year - 1),
        filters_text=filters_text(view),
        generated_on=french_date(today or date.today()),
        enrolled=None if pd.isna(current["enrolled"]) else int(current["enrolled"]),
        kpis=kpis,
        map_figure=None if is_school else go.Figure(registry.draw("map", view, scope)),
        trend_figure=trend_chart,
        trend_table=trend_table,
        ranking=None if is_school else ranking(view, unit, scope),
        comparison=comparison(view, scope) if is_school else [],
        definitions=[(_(i.label), _(i.definition), _(UNIT_TEXTS[i.unit]))
                     for i in indicators.INDICATORS],
        sources=sources_text(version, built_at, filters.year,
                             schools=view.level in ("commune", "school")),
        sections=[],
    )
    content.sections = sections(content)
    return content


def sections(content: Briefing) -> list[Section]:
    """Return the slides of a briefing in order; a school gets its comparison instead."""
    label = _(content.indicator.label)
    result = [Section("cover", content.name_fr), Section("kpis", _("Indicateurs clés"))]
    if content.ranking is not None:
        children_label = content.ranking.children_label.lower()
        result.append(Section("map", _("Carte des {children} : {indicator}",
                                       children=children_label, indicator=label)))
    else:
        result.append(Section("comparison", _("L'établissement et son territoire")))
    result.append(Section("trend", _("Évolution : {indicator}", indicator=label)))
    if content.ranking is not None:
        children_label = content.ranking.children_label.lower()
        result.append(Section("ranking", _("Classement des {children} : {indicator}",
                                           children=children_label, indicator=label)))
    result.append(Section("definitions", _("Définitions et sources")))
    return result


def filters_text(view: View) -> str:
    """Return the filters in force, every one named: ``Collège · Public et privé · ...``."""
    return " · ".join(_(dict(labels)[getattr(view.filters, name)])
                      for name, labels in CHOICE_LABELS.items())


def cover_size(name: str) -> int:
    """Return the cover's type size (points) for a unit name: long school names are smaller."""
    return 40 if len(name) <= 28 else 30


def sources_text(version: int, built_at: datetime, year: int, schools: bool = False) -> str:
    """Return the sources line: where the numbers come from and which data version.

    ``schools``: the pack shows school figures, so it explains the statistical secret.
    """
    text = _(
        "Source : SI-MASSAR, tables analytiques de Pilotage, version des données n° {version} "
        "du {day} à {time}. Évolutions par rapport à l'année scolaire {previous} : en points "
        "pour les taux, en % pour l'effectif et la moyenne. « — » : pas de données (aucun "
        "inscrit ou aucun candidat pour ces filtres).",
        version=version, day=french_date(built_at.date()), time=built_at.strftime("%H h %M"),
        previous=school_year_label(year - 1),
    )
    if schools:
        text += " " + _("« < {n} » et « secret » : secret statistique (petits effectifs d'un "
                        "établissement, loi 09-08).", n=privacy.threshold())
    return text


def typeset(text: str) -> str:
    """Return text with French no-break spaces before ``: ; ! ?`` and inside « »."""
    return re.sub(r" ([:;!?»])", "\u00a0\\1", text).replace("« ", "«\u00a0")


def kpi_note(content: Briefing) -> str:
    """Return the note under the indicator table."""
    note = _("Bleu : amélioration ; orange : dégradation. Ligne surlignée : indicateur mis en "
             "avant.")
    if content.enrolled == 0:
        note = _("Aucun élève pour ces filtres cette année scolaire.") + " " + note
    return note


def ranking_note(content: Briefing) -> str:
    """Return the note under the ranking table."""
    ranking = content.ranking
    note = _("Rang 1 : valeur la plus élevée. {children} : {total}.",
             children=ranking.children_label, total=ranking.total)
    if ranking.without_data:
        note += " " + _("Sans données pour ces filtres, hors classement : {missing}.",
                        missing=ranking.without_data)
    if ranking.secret:
        note += " " + _("Secret statistique, hors classement : {secret}.",
                        secret=ranking.secret)
    return note


def comparison_note(content: Briefing) -> str:
    """Return the note under a school's comparison table."""
    return _("Valeurs de l'année scolaire {year} pour les mêmes filtres ; l'établissement en "
             "gras.", year=content.school_year)


def _number(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _cell_text(indicator: indicators.Indicator, row: pd.Series | dict, threshold: int) -> str:
    """Return one value of a query row as shown: formatted, or its secret mark."""
    return format_cell(indicator, _number(row.get(indicator.code)),
                       privacy.is_suppressed(row, indicator.code), threshold,
                       privacy.is_small(row))


def _kpi_row(indicator: indicators.Indicator, current: pd.Series, previous: pd.Series,
             threshold: int) -> KpiRow:
    value, before = _number(current[indicator.code]), _number(previous[indicator.code])
    delta = indicators.change(indicator, math.nan if value is None else value,
                              math.nan if before is None else before)
    delta = None if is_missing(delta) else delta
    return KpiRow(indicator, _cell_text(indicator, current, threshold),
                  _cell_text(indicator, previous, threshold), format_change(indicator, delta),
                  tone(indicator, delta), value, before, delta)


def _rank_row(rank: int | None, code: str, name: str, indicator: indicators.Indicator,
              value: float | None, previous: float | None, enrolled: float | None,
              record: dict | None = None, threshold: int = 0) -> RankRow:
    """Return one row of the ranking; ``record`` (a query row) carries its secret marks."""
    delta = indicators.change(indicator, math.nan if value is None else value,
                              math.nan if previous is None else previous)
    delta = None if is_missing(delta) else delta
    record = record or {}
    count = indicators.BY_CODE["enrollment"]
    hidden = privacy.is_suppressed(record, count.code)
    enrollment = None if hidden else (int(enrolled) if enrolled else 0)
    return RankRow(rank, code, name, _cell_text(indicator, {**record, indicator.code: value},
                                                threshold),
                   format_change(indicator, delta),
                   _cell_text(count, {**record, count.code: enrollment}, threshold),
                   tone(indicator, delta), value, delta, enrollment,
                   privacy.is_suppressed(record, indicator.code))


def ranking(view: View, unit: dict, scope: Scope) -> Ranking:
    """Rank the children as the page's table does: by value, highest first, no data last."""
    indicator = indicators.BY_CODE[view.indicator]
    threshold = privacy.threshold()
    content = registry.BY_ID["ranking"].rows(view, scope, unit)
    rows = [
        _rank_row(None if pd.isna(r["rank"]) else int(r["rank"]), r["code"], r["name_fr"],
                  indicator, _number(r.get(indicator.code)),
                  _number(r.get(f"{indicator.code}_previous")), _number(r.get("enrolled")),
                  r, threshold)
        for r in content["ranked"].to_dict("records")
    ]
    ranked = [r for r in rows if r.raw_value is not None]
    unranked = [r for r in rows if r.raw_value is None]
    if len(rows) <= RANKING_ALL_UP_TO:
        top, bottom = ranked + unranked, []
    elif len(ranked) <= RANKING_ALL_UP_TO:
        top, bottom = ranked, []
    else:
        top, bottom = ranked[:RANKING_EACH_END], ranked[-RANKING_EACH_END:]
    references = [_reference_row(label, reference["level"], frame, indicator)
                  for label, reference, frame in content["references"]]
    secret = sum(row.secret for row in unranked)
    return Ranking(_(CHILDREN_LABELS[view.level]), top, bottom, references, len(rows),
                   len(unranked) - secret, secret)


def _reference_row(label: str, level: str, frame: pd.DataFrame,
                   indicator: indicators.Indicator) -> RankRow:
    previous, current = frame.iloc[0], frame.iloc[1]
    return _rank_row(None, f"reference-{level}", label, indicator,
                     _number(current[indicator.code]), _number(previous[indicator.code]),
                     _number(current["enrolled"]))


def comparison(view: View, scope: Scope) -> list[ComparisonColumn]:
    """Return the school beside its commune, province, region and the nation (as on screen)."""
    columns = []
    threshold = privacy.threshold()
    for level, _code, name, current in territory(view, scope):
        raw = {i.code: _number(current[i.code]) for i in indicators.INDICATORS}
        columns.append(ComparisonColumn(
            _(LEVEL_LABELS[level]) if level != "national" else _("Maroc"), name,
            {i.code: _cell_text(i, current, threshold) for i in indicators.INDICATORS}, raw))
    return columns


def trend_content(view: View, unit: dict,
                  scope: Scope) -> tuple[go.Figure | None, list[list[str]]]:
    """Return the page's trend (the unit and the nation) and its values as table rows.

    The first row holds the school years; without any pupil there is neither.
    """
    indicator = indicators.BY_CODE[view.indicator]
    panel = registry.BY_ID["trend-chart"]
    content = panel.rows(view, scope, unit)
    frame = content["frame"]
    if not privacy.has_pupils(frame):
        return None, []
    series = [(unit["name_fr"], frame)]
    if content["national"] is not None:
        series.append((_("Maroc"), content["national"]))
    threshold = privacy.threshold()
    rows = [["", *(school_year_label(int(y)) for y in frame["school_year"])]]
    rows += [[name, *(_cell_text(indicator, row, threshold)
                      for row in values.to_dict("records"))]
             for name, values in series]
    return go.Figure(panel.figure(view, content)), rows


# --- charts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Charts:
    """The briefing's chart images as PNG bytes (None where the slide has no chart)."""

    map_png: bytes | None
    trend_png: bytes | None


def render_charts(content: Briefing) -> Charts:
    """Render the map and the trend once, for the slides or the pages.

    Raises :class:`exports.renderer.RenderError` when the renderer fails.
    """
    map_png = trend_png = None
    if content.map_figure is not None:
        map_png = renderer.render(_for_print(content.map_figure, {"r": 10}), "png",
                                  *MAP_SIZE, IMAGE_SCALE)
    if content.trend_figure is not None:
        trend_png = renderer.render(
            _for_print(content.trend_figure, {"l": 10, "r": 20, "t": 20, "b": 10}), "png",
            *TREND_SIZE, IMAGE_SCALE)
    return Charts(map_png, trend_png)


def _for_print(figure: go.Figure, margin: dict) -> go.Figure:
    """Return a copy of a screen figure sized for a slide: larger type, white paper."""
    printed = go.Figure(figure)
    printed.update_layout(font={"size": CHART_FONT_SIZE}, paper_bgcolor="white",
                          margin=margin, legend={"font": {"size": CHART_FONT_SIZE}})
    for trace in printed.data:
        # One value makes a colour bar of an arbitrary range: the panel gives the value.
        if trace.type == "choropleth" and trace.z is not None and len(set(trace.z)) < 2:
            trace.showscale = False
    return printed


# --- files --------------------------------------------------------------------------------


def cover_lines(content: Briefing) -> list[tuple[str, str]]:
    """Return the cover's lines under the unit's name, each with its kind (lead, body, note)."""
    return [
        (_("Note de synthèse · Année scolaire {year}", year=content.school_year), "lead"),
        (content.filters_text, "body"),
        (_("Indicateur mis en avant : {label}", label=_(content.indicator.label)), "body"),
        (_("Édité le {day}", day=content.generated_on), "note"),
    ]


# --- PowerPoint ---------------------------------------------------------------------------

SLIDE_WIDTH = Inches(13.333)
SLIDE_HEIGHT = Inches(7.5)
MARGIN = Inches(0.5)
CONTENT_TOP = Inches(1.55)
CONTENT_WIDTH = SLIDE_WIDTH - 2 * MARGIN
CONTENT_HEIGHT = Inches(5.25)
TITLE_ONLY_LAYOUT = 5
LONG_TITLE = 60  # characters; longer slide titles are set smaller
LANGUAGE = "fr-FR"


def pptx_document(content: Briefing, charts: Charts) -> bytes:
    """Lay a briefing out as slides and return the PowerPoint file's bytes."""
    deck = Presentation()
    deck.slide_width, deck.slide_height = SLIDE_WIDTH, SLIDE_HEIGHT
    properties = deck.core_properties
    properties.title = f"Briefing · {content.name_fr} · {content.school_year}"
    properties.subject = content.heading
    properties.author = "Pilotage"
    properties.language = LANGUAGE
    draw = {"cover": _cover_slide, "kpis": _kpi_slide, "map": _map_slide,
            "trend": _trend_slide, "ranking": _ranking_slide,
            "comparison": _comparison_slide, "definitions": _definitions_slide}
    for number, section in enumerate(content.sections, start=1):
        slide = deck.slides.add_slide(deck.slide_layouts[TITLE_ONLY_LAYOUT])
        if section.kind != "cover":
            _frame(slide, content, section.title, number, len(content.sections))
        draw[section.kind](slide, content, charts, section)
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


def _text(frame, text: str, size: float, colour: RGBColor = INK, bold: bool = False,
          align=PP_ALIGN.LEFT, new_paragraph: bool = False, language: str = LANGUAGE):
    """Write one paragraph into a text frame (the first, or a new one)."""
    paragraph = frame.add_paragraph() if new_paragraph else frame.paragraphs[0]
    paragraph.alignment = align
    run = paragraph.add_run()
    run.text = typeset(text)
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.color.rgb = colour
    run._r.get_or_add_rPr().set("lang", language)
    return paragraph


def _textbox(slide, left, top, width, height, text: str, size: float, **style):
    box = slide.shapes.add_textbox(left, top, width, height)
    frame = box.text_frame
    frame.word_wrap = True
    frame.margin_left = frame.margin_right = 0
    _text(frame, text, size, **style)
    return box


def _rectangle(slide, left, top, width, height, colour: RGBColor, to_back: bool = False):
    shape = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, left, top, width, height)
    shape.fill.solid()
    shape.fill.fore_color.rgb = colour
    shape.line.fill.background()
    shape.shadow.inherit = False
    if to_back:  # behind the title placeholder
        tree = slide.shapes._spTree
        tree.remove(shape._element)
        tree.insert(2, shape._element)
    return shape


def _set_title(slide, text: str, left, top, width, height, size: float, colour: RGBColor):
    title = slide.shapes.title
    title.left, title.top, title.width, title.height = left, top, width, height
    frame = title.text_frame
    frame.clear()
    frame.word_wrap = True
    frame.vertical_anchor = MSO_ANCHOR.BOTTOM
    frame.margin_left = frame.margin_right = 0
    _text(frame, text, size, colour, bold=True)


def _frame(slide, content: Briefing, title: str, number: int, count: int) -> None:
    """Draw what every slide but the cover has: band, title, heading line and footer."""
    _rectangle(slide, 0, 0, SLIDE_WIDTH, Inches(0.12), NAVY)
    _set_title(slide, title, MARGIN, Inches(0.3), CONTENT_WIDTH, Inches(0.75),
               26 if len(title) <= LONG_TITLE else 22, NAVY)
    _textbox(slide, MARGIN, Inches(1.05), CONTENT_WIDTH, Inches(0.35), content.heading, 12,
             colour=MUTED)
    _rectangle(slide, MARGIN, Inches(6.98), CONTENT_WIDTH, Emu(9525), LINE)
    _textbox(slide, MARGIN, Inches(7.03), Inches(10), Inches(0.3), content.footer, 9,
             colour=MUTED)
    _textbox(slide, SLIDE_WIDTH - MARGIN - Inches(2), Inches(7.03), Inches(2), Inches(0.3),
             f"{number} / {count}", 9, colour=MUTED, align=PP_ALIGN.RIGHT)


def _cover_slide(slide, content: Briefing, charts: Charts, section: Section) -> None:
    band = Inches(4.3)
    _rectangle(slide, 0, 0, SLIDE_WIDTH, band, NAVY, to_back=True)
    _textbox(slide, Inches(0.8), Inches(0.55), Inches(8), Inches(0.4), "PILOTAGE", 14,
             colour=WHITE, bold=True)
    path = " › ".join(content.path)
    if path:
        _textbox(slide, Inches(0.8), Inches(1.15), Inches(11.7), Inches(0.4), path, 14,
                 colour=LINE)
    if content.level_label:
        _textbox(slide, Inches(0.8), Inches(1.6), Inches(11.7), Inches(0.45),
                 content.level_label.upper(), 16, colour=LINE)
    _set_title(slide, content.name_fr, Inches(0.8), Inches(2.0), Inches(11.7), Inches(1.3),
               cover_size(content.name_fr), WHITE)
    if content.name_ar:
        box = _textbox(slide, Inches(0.8), Inches(3.35), Inches(11.7), Inches(0.7),
                       content.name_ar, 28, colour=WHITE, align=PP_ALIGN.RIGHT,
                       language="ar-MA")
        box.text_frame.paragraphs[0]._p.get_or_add_pPr().set("rtl", "1")
    looks = {"lead": (24, NAVY, True), "body": (16, INK, False), "note": (12, MUTED, False)}
    lines = [(text, *looks[kind]) for text, kind in cover_lines(content)]
    box = slide.shapes.add_textbox(Inches(0.8), Inches(4.7), Inches(11.7), Inches(2.3))
    box.text_frame.word_wrap = True
    for position, (text, size, colour, bold) in enumerate(lines):
        paragraph = _text(box.text_frame, text, size, colour, bold, new_paragraph=position > 0)
        paragraph.space_after = Pt(8)


def _table(slide, rows: int, widths: list[float], top=CONTENT_TOP, row_height: float = 0.42):
    """Add an empty table (columns in inches) and return it."""
    shape = slide.shapes.add_table(rows, len(widths), MARGIN, top, Inches(sum(widths)),
                                   Inches(row_height * rows))
    table = shape.table
    table.horz_banding = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Inches(width)
    for row in table.rows:
        row.height = Inches(row_height)
    return table


def _cell(cell, text: str, size: float = 12, colour: RGBColor = INK, bold: bool = False,
          fill: RGBColor | None = WHITE, align=PP_ALIGN.LEFT) -> None:
    cell.text_frame.clear()
    cell.text_frame.word_wrap = True
    _text(cell.text_frame, text, size, colour, bold, align)
    cell.vertical_anchor = MSO_ANCHOR.MIDDLE
    cell.margin_left = cell.margin_right = Inches(0.08)
    cell.margin_top = cell.margin_bottom = Inches(0.03)
    if fill is not None:
        cell.fill.solid()
        cell.fill.fore_color.rgb = fill


def _header(table, texts: list[str], size: float = 12) -> None:
    for column, text in enumerate(texts):
        _cell(table.cell(0, column), text, size, WHITE, True, NAVY,
              PP_ALIGN.LEFT if column == 0 else PP_ALIGN.RIGHT)


def _note(slide, text: str, top) -> None:
    _textbox(slide, MARGIN, top, CONTENT_WIDTH, Inches(0.5), text, 10, colour=MUTED)


def _kpi_slide(slide, content: Briefing, charts: Charts, section: Section) -> None:
    table = _table(slide, len(content.kpis) + 1, [5.83, 2.1, 2.1, 2.3], row_height=0.44)
    _header(table, [_("Indicateur"), content.school_year, content.previous_year,
                    _("Évolution")], 13)
    for number, row in enumerate(content.kpis, start=1):
        selected = row.indicator.code == content.indicator.code
        fill = HIGHLIGHT if selected else (BAND if number % 2 == 0 else WHITE)
        _cell(table.cell(number, 0), _(row.indicator.label), 13, bold=selected, fill=fill)
        _cell(table.cell(number, 1), row.value, 13, bold=True, fill=fill, align=PP_ALIGN.RIGHT)
        _cell(table.cell(number, 2), row.previous, 13, MUTED, fill=fill, align=PP_ALIGN.RIGHT)
        _cell(table.cell(number, 3), row.change, 13, TONES[row.tone], fill=fill,
              align=PP_ALIGN.RIGHT)
    _note(slide, kpi_note(content), Inches(6.35))


def _picture(slide, png: bytes | None, left, top, width, height, description: str) -> None:
    """Place a chart image, as large as fits in the box, centred; a notice if there is none."""
    if png is None:
        _textbox(slide, left, top + height // 2, width, Inches(0.5),
                 _("Aucune donnée pour ces filtres."), 16, colour=MUTED, align=PP_ALIGN.CENTER)
        return
    from PIL import Image

    pixels_wide, pixels_high = Image.open(io.BytesIO(png)).size
    scale = min(width / pixels_wide, height / pixels_high)
    shown_wide, shown_high = int(pixels_wide * scale), int(pixels_high * scale)
    picture = slide.shapes.add_picture(io.BytesIO(png), left + (width - shown_wide) // 2,
                                       top + (height - shown_high) // 2, shown_wide, shown_high)
    picture._element.nvPicPr.cNvPr.set("descr", description)


def map_panel(content: Briefing) -> list[tuple[str, str]]:
    """Return the reading notes beside the map: (label, text) pairs."""
    indicator = content.indicator
    ranking = content.ranking
    lines = [(_(indicator.label), _(indicator.definition))]
    for reference in ranking.references:
        lines.append((reference.name, reference.value))
    ranked = [row for row in ranking.top + ranking.bottom if row.rank is not None]
    if ranked:
        highest, lowest = ranked[0], ranked[-1]
        lines.append((_("Valeur la plus élevée"), f"{highest.name} ({highest.value})"))
        if lowest is not highest:
            lines.append((_("Valeur la plus faible"), f"{lowest.name} ({lowest.value})"))
    reading = _("Teinte foncée : situation la moins favorable ; gris : pas de données.")
    if ranking.without_data:
        reading += " " + _("{count} sur {total} sans données pour ces filtres.",
                           count=ranking.without_data, total=ranking.total)
    if ranking.secret:
        reading += " " + _("{count} sur {total} en gris par secret statistique.",
                           count=ranking.secret, total=ranking.total)
    lines.append((_("Lecture"), reading))
    return lines


def _map_slide(slide, content: Briefing, charts: Charts, section: Section) -> None:
    width = Inches(8.4)
    _picture(slide, charts.map_png, MARGIN, CONTENT_TOP, width, CONTENT_HEIGHT, section.title)
    box = slide.shapes.add_textbox(MARGIN + width + Inches(0.3), CONTENT_TOP,
                                   CONTENT_WIDTH - width - Inches(0.3), CONTENT_HEIGHT)
    box.text_frame.word_wrap = True
    for position, (label, text) in enumerate(map_panel(content)):
        _text(box.text_frame, label, 12, NAVY, True, new_paragraph=position > 0)
        _text(box.text_frame, text, 12, INK, new_paragraph=True).space_after = Pt(10)


def _trend_slide(slide, content: Briefing, charts: Charts, section: Section) -> None:
    chart_height = Inches(4.05) if content.trend_table else CONTENT_HEIGHT
    _picture(slide, charts.trend_png, MARGIN, CONTENT_TOP, CONTENT_WIDTH, chart_height,
             section.title)
    if not content.trend_table:
        return
    rows = content.trend_table
    years = len(rows[0]) - 1
    table = _table(slide, len(rows), [3.33] + [9.0 / years] * years,
                   top=CONTENT_TOP + chart_height + Inches(0.15), row_height=0.32)
    _header(table, rows[0], 11)
    for number, row in enumerate(rows[1:], start=1):
        for column, text in enumerate(row):
            _cell(table.cell(number, column), text, 11, bold=number == 1,
                  fill=BAND if number % 2 == 0 else WHITE,
                  align=PP_ALIGN.LEFT if column == 0 else PP_ALIGN.RIGHT)


def ranking_rows(content: Briefing) -> list[tuple[str, list[str] | RankRow]]:
    """Return the ranking table's body: ``("section", [title])`` or ``("unit", row)``."""
    ranking = content.ranking
    body: list[tuple[str, list[str] | RankRow]] = []
    if ranking.bottom:
        body.append(("section", [_("Les {n} valeurs les plus élevées", n=len(ranking.top))]))
    body += [("unit", row) for row in ranking.top]
    if ranking.bottom:
        body.append(("section", [_("Les {n} valeurs les plus faibles", n=len(ranking.bottom))]))
        body += [("unit", row) for row in ranking.bottom]
    body.append(("section", [_("Références")]))
    body += [("reference", row) for row in ranking.references]
    return body


def ranking_header(content: Briefing) -> list[str]:
    """Return the ranking table's column titles."""
    return [_("Rang"), _("Nom"), _(content.indicator.label), _("Évolution"), _("Effectif")]


def rank_cells(row: RankRow) -> list[str]:
    """Return one ranking row as the texts of its cells."""
    rank = "" if row.code.startswith("reference-") else (
        str(row.rank) if row.rank is not None else NO_DATA)
    return [rank, row.name, row.value, row.change, row.enrollment]


def _ranking_slide(slide, content: Briefing, charts: Charts, section: Section) -> None:
    body = ranking_rows(content)
    row_height = min(0.4, 5.0 / (len(body) + 1))
    size = 12 if row_height >= 0.36 else 11
    table = _table(slide, len(body) + 1, [0.9, 5.5, 2.3, 1.8, 1.83], row_height=row_height)
    _header(table, ranking_header(content), size)
    table.cell(0, 1).text_frame.paragraphs[0].alignment = PP_ALIGN.LEFT
    for number, (kind, row) in enumerate(body, start=1):
        if kind == "section":
            first = table.cell(number, 0)
            first.merge(table.cell(number, 4))
            _cell(first, row[0], size, NAVY, True, HIGHLIGHT)
            continue
        fill = BAND if kind == "reference" else WHITE
        for column, text in enumerate(rank_cells(row)):
            colour = TONES[row.tone] if column == 3 else (MUTED if column == 0 else INK)
            _cell(table.cell(number, column), text, size, colour, kind == "reference", fill,
                  PP_ALIGN.LEFT if column == 1 else PP_ALIGN.RIGHT)
    _note(slide, ranking_note(content), Inches(6.55))


def comparison_header(content: Briefing) -> list[str]:
    """Return the comparison table's column titles: level and name of each unit."""
    return [_("Indicateur")] + [f"{c.level_label}\n{c.name}" if c.level_label != c.name
                                else c.name for c in content.comparison]


def _comparison_slide(slide, content: Briefing, charts: Charts, section: Section) -> None:
    columns = content.comparison
    table = _table(slide, len(indicators.INDICATORS) + 1, [3.33] + [1.8] * len(columns),
                   row_height=0.44)
    for position, text in enumerate(comparison_header(content)):
        cell = table.cell(0, position)
        level, _sep, name = text.partition("\n")
        _cell(cell, level, 10 if name else 12, WHITE, not name, NAVY,
              PP_ALIGN.LEFT if position == 0 else PP_ALIGN.RIGHT)
        if name:
            _text(cell.text_frame, name, 11, WHITE, True, PP_ALIGN.RIGHT, new_paragraph=True)
    for number, indicator in enumerate(indicators.INDICATORS, start=1):
        selected = indicator.code == content.indicator.code
        fill = HIGHLIGHT if selected else (BAND if number % 2 == 0 else WHITE)
        _cell(table.cell(number, 0), _(indicator.label), 12, bold=selected, fill=fill)
        for position, column in enumerate(columns, start=1):
            _cell(table.cell(number, position), column.values[indicator.code], 12,
                  bold=position == 1, fill=fill, align=PP_ALIGN.RIGHT)
    _note(slide, comparison_note(content), Inches(6.35))


def _definitions_slide(slide, content: Briefing, charts: Charts, section: Section) -> None:
    table = _table(slide, len(content.definitions) + 1, [3.1, 7.03, 2.2], row_height=0.44)
    _header(table, [_("Indicateur"), _("Définition"), _("Unité")], 11)
    for position in (1, 2):
        table.cell(0, position).text_frame.paragraphs[0].alignment = PP_ALIGN.LEFT
    for number, (label, definition, unit) in enumerate(content.definitions, start=1):
        fill = BAND if number % 2 == 0 else WHITE
        _cell(table.cell(number, 0), label, 11, bold=True, fill=fill)
        _cell(table.cell(number, 1), definition, 10, fill=fill)
        _cell(table.cell(number, 2), unit, 10, MUTED, fill=fill)
    _note(slide, content.sources, Inches(6.3))

