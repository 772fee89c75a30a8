"""The briefing laid out as an editable 16:9 PowerPoint: real tables, charts as images."""

from __future__ import annotations

import io

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.util import Emu, Inches, Pt

from dashboard import indicators
from dashboard.i18n import _
from exports.briefing import (
    Briefing,
    Section,
    comparison_header,
    comparison_note,
    cover_lines,
    cover_size,
    kpi_note,
    map_panel,
    quality_note,
    rank_cells,
    ranking_header,
    ranking_note,
    ranking_rows,
    schooling_note,
    typeset,
)
from exports.briefing_charts import Charts

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
            "comparison": _comparison_slide, "quality": _quality_slide,
            "schooling": _schooling_slide,
            "definitions": _definitions_slide}
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


def _quality_slide(slide, content: Briefing, charts: Charts, section: Section) -> None:
    table = _table(slide, len(content.quality) + 1, [6.33, 2.0, 2.0, 2.0], row_height=0.36)
    _header(table, [_("Contrôle"), _("Constats"), _("Examinés"), _("Taux")], 12)
    for number, row in enumerate(content.quality, start=1):
        fill = BAND if number % 2 == 0 else WHITE
        for column, text in enumerate(row):
            _cell(table.cell(number, column), text, 11, fill=fill,
                  align=PP_ALIGN.LEFT if column == 0 else PP_ALIGN.RIGHT)
    _note(slide, quality_note(content), Inches(6.55))


def _schooling_slide(slide, content: Briefing, charts: Charts, section: Section) -> None:
    table = _table(slide, len(content.schooling) + 1, [5.0, 1.6, 1.6, 2.1, 2.03],
                   row_height=0.4)
    _header(table, [_("Taux"), _("Valeur"), _("Parité F/G"), _("Population"),
                    _("Avertissement")], 12)
    for number, row in enumerate(content.schooling, start=1):
        fill = BAND if number % 2 == 0 else WHITE
        for column, text in enumerate(row):
            _cell(table.cell(number, column), text, 12, fill=fill,
                  align=PP_ALIGN.LEFT if column == 0 else PP_ALIGN.RIGHT)
    _note(slide, schooling_note(), Inches(6.55))


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


def _comparison_slide(slide, content: Briefing, charts: Charts, section: Section) -> None:
    columns = content.comparison
    table = _table(slide, len(indicators.OF_PUPILS) + 1, [3.33] + [1.8] * len(columns),
                   row_height=0.44)
    for position, text in enumerate(comparison_header(content)):
        cell = table.cell(0, position)
        level, _sep, name = text.partition("\n")
        _cell(cell, level, 10 if name else 12, WHITE, not name, NAVY,
              PP_ALIGN.LEFT if position == 0 else PP_ALIGN.RIGHT)
        if name:
            _text(cell.text_frame, name, 11, WHITE, True, PP_ALIGN.RIGHT, new_paragraph=True)
    for number, indicator in enumerate(indicators.OF_PUPILS, start=1):
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
