"""The briefing pack as an A4 landscape PDF: one page per slide, in the same order.

Text is real text in DejaVu Sans (accents, ``▲``, ``−`` and the narrow no-break space of
French numbers); Helvetica stands in, with those signs spelled plainly, where the font
is not installed. A PDF has no text shaping here (reportlab shapes Arabic only with
uharfbuzz), so the Arabic name is drawn by Pillow's Raqm layout as a picture, and left
out when Raqm is missing.
"""

from __future__ import annotations

import functools
import io
import logging
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    Image,
    KeepInFrame,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

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

log = logging.getLogger(__name__)

FONT_DIR = Path("/usr/share/fonts/truetype")
TEXT_FONTS = (FONT_DIR / "dejavu" / "DejaVuSans.ttf", FONT_DIR / "dejavu" / "DejaVuSans-Bold.ttf")
ARABIC_FONTS = (FONT_DIR / "noto" / "NotoSansArabic-Regular.ttf",
                FONT_DIR / "dejavu" / "DejaVuSans.ttf")
#: Signs Helvetica cannot draw, spelled plainly when DejaVu Sans is missing.
PLAIN_SIGNS = str.maketrans({"\u202f": " ", "\u2212": "-", "▲": "+", "▼": "", "›": ">"})

PAGE = landscape(A4)
MARGIN = 1.5 * cm
TOP_MARGIN = 1.6 * cm
BOTTOM_MARGIN = 1.5 * cm
WIDTH = PAGE[0] - 2 * MARGIN
HEIGHT = PAGE[1] - TOP_MARGIN - BOTTOM_MARGIN
COVER_BAND = 9.2 * cm
ARABIC_SIZE = 22  # points
ARABIC_OVERSAMPLING = 4  # pixels per point of the Arabic name's picture

NAVY = colors.HexColor("#0b3d6e")
INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#6b7480")
LINE = colors.HexColor("#e3e7ec")
BAND = colors.HexColor("#f4f6f9")
HIGHLIGHT = colors.HexColor("#e4eef7")
TONES = {"better": colors.HexColor("#1d6fa5"), "worse": colors.HexColor("#c2541d"),
         "neutral": INK}


@functools.cache
def fonts() -> tuple[str, str]:
    """Register DejaVu Sans once; return the regular and bold font names to use."""
    if all(path.exists() for path in TEXT_FONTS):
        pdfmetrics.registerFont(TTFont("Briefing", str(TEXT_FONTS[0])))
        pdfmetrics.registerFont(TTFont("Briefing-Bold", str(TEXT_FONTS[1])))
        pdfmetrics.registerFontFamily("Briefing", normal="Briefing", bold="Briefing-Bold")
        return "Briefing", "Briefing-Bold"
    log.warning("DejaVu Sans is not installed: the briefing PDF falls back to Helvetica")
    return "Helvetica", "Helvetica-Bold"


def _plain(text: str) -> str:
    """Return text the chosen font can draw."""
    text = typeset(text)
    return text if fonts()[0] == "Briefing" else text.translate(PLAIN_SIGNS)


def _style(size: float, colour=INK, bold: bool = False, leading: float | None = None,
           **extra) -> ParagraphStyle:
    regular, heavy = fonts()
    return ParagraphStyle("briefing", fontName=heavy if bold else regular, fontSize=size,
                          leading=leading or size * 1.25, textColor=colour, **extra)


def _para(text: str, size: float, colour=INK, bold: bool = False, **extra) -> Paragraph:
    return Paragraph(escape(_plain(text)).replace("\n", "<br/>"),
                     _style(size, colour, bold, **extra))


def arabic_picture(text: str, size: float = ARABIC_SIZE, colour: str = "#ffffff"):
    """Return the Arabic text shaped by Pillow's Raqm layout, as (PNG reader, width, height).

    Sizes are in points. Return None when Raqm or an Arabic font is not available.
    """
    from PIL import Image as PillowImage
    from PIL import ImageDraw, ImageFont, features

    font_path = next((path for path in ARABIC_FONTS if path.exists()), None)
    if not text or font_path is None or not features.check("raqm"):
        return None
    font = ImageFont.truetype(str(font_path), int(size * ARABIC_OVERSAMPLING),
                              layout_engine=ImageFont.Layout.RAQM)
    left, top, right, bottom = font.getbbox(text, direction="rtl", language="ar")
    pad = ARABIC_OVERSAMPLING * 2
    image = PillowImage.new("RGBA", (right - left + 2 * pad, bottom - top + 2 * pad), (0,) * 4)
    ImageDraw.Draw(image).text((pad - left, pad - top), text, font=font, fill=colour,
                               direction="rtl", language="ar")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    buffer.seek(0)
    return (ImageReader(buffer), image.width / ARABIC_OVERSAMPLING,
            image.height / ARABIC_OVERSAMPLING)


# --- pages --------------------------------------------------------------------------------


def pdf_document(content: Briefing, charts: Charts) -> bytes:
    """Lay a briefing out as A4 landscape pages and return the PDF file's bytes."""
    buffer = io.BytesIO()
    document = BaseDocTemplate(
        buffer, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=TOP_MARGIN,
        bottomMargin=BOTTOM_MARGIN, title=f"Briefing · {content.name_fr} · {content.school_year}",
        author="Pilotage", subject=content.heading, creator="Pilotage",
    )
    frame = Frame(MARGIN, BOTTOM_MARGIN, WIDTH, HEIGHT, id="body", leftPadding=0,
                  rightPadding=0, topPadding=0, bottomPadding=0)
    count = len(content.sections)
    document.addPageTemplates([
        PageTemplate(id="cover", frames=[frame],
                     onPage=functools.partial(_draw_cover, content=content),
                     autoNextPageTemplate="page"),
        PageTemplate(id="page", frames=[frame],
                     onPage=functools.partial(_draw_frame, content=content, count=count)),
    ])
    build = {"kpis": _kpi_page, "map": _map_page, "trend": _trend_page,
             "ranking": _ranking_page, "comparison": _comparison_page,
             "quality": _quality_page, "schooling": _schooling_page,
             "definitions": _definitions_page}
    story: list[Flowable] = []
    for section in content.sections:
        if section.kind == "cover":
            story.append(Spacer(WIDTH, 1))
            continue
        story.append(PageBreak())
        flowables = [_para(section.title, 20, NAVY, True, spaceAfter=4),
                     _para(content.heading, 9.5, MUTED, spaceAfter=12),
                     *build[section.kind](content, charts, section)]
        story.append(KeepInFrame(WIDTH, HEIGHT, flowables, mode="shrink"))
    document.build(story)
    return buffer.getvalue()


def _draw_cover(canvas, document, content: Briefing) -> None:
    """Draw the cover: the unit on a navy band, then the school year, filters and date."""
    width, height = PAGE
    left = 2 * cm
    text_width = width - 2 * left
    canvas.saveState()
    canvas.setFillColor(NAVY)
    canvas.rect(0, height - COVER_BAND, width, COVER_BAND, stroke=0, fill=1)
    y = height - 1.6 * cm
    lines = [("PILOTAGE", 12, colors.white, True)]
    if content.path:
        lines.append((" › ".join(content.path), 12, LINE, False))
    if content.level_label:
        lines.append((content.level_label.upper(), 13, LINE, False))
    lines.append((content.name_fr, cover_size(content.name_fr) * 0.8, colors.white, True))
    for text, size, colour, bold in lines:
        y = _draw_paragraph(canvas, _para(text, size, colour, bold), left, y, text_width) - 6
    picture = arabic_picture(content.name_ar) if content.name_ar else None
    if picture is not None:
        reader, shown_wide, shown_high = picture
        canvas.drawImage(reader, width - left - shown_wide, y - shown_high, shown_wide,
                         shown_high, mask="auto")
    y = height - COVER_BAND - 1.4 * cm
    looks = {"lead": (20, NAVY, True), "body": (13, INK, False), "note": (10.5, MUTED, False)}
    lines = [(text, *looks[kind]) for text, kind in cover_lines(content)]
    for text, size, colour, bold in lines:
        y = _draw_paragraph(canvas, _para(text, size, colour, bold), left, y, text_width) - 10
    canvas.restoreState()


def _draw_paragraph(canvas, paragraph: Paragraph, left: float, top: float,
                    width: float) -> float:
    """Draw a paragraph below ``top``; return where it ends."""
    _wide, high = paragraph.wrap(width, PAGE[1])
    paragraph.drawOn(canvas, left, top - high)
    return top - high


def _draw_frame(canvas, document, content: Briefing, count: int) -> None:
    """Draw what every page but the cover has: the top band and the footer."""
    width, _height = PAGE
    regular, _bold = fonts()
    canvas.saveState()
    canvas.setFillColor(NAVY)
    canvas.rect(0, PAGE[1] - 0.25 * cm, width, 0.25 * cm, stroke=0, fill=1)
    canvas.setStrokeColor(LINE)
    canvas.setLineWidth(0.75)
    canvas.line(MARGIN, BOTTOM_MARGIN - 0.35 * cm, width - MARGIN, BOTTOM_MARGIN - 0.35 * cm)
    canvas.setFont(regular, 8)
    canvas.setFillColor(MUTED)
    canvas.drawString(MARGIN, BOTTOM_MARGIN - 0.8 * cm, _plain(content.footer))
    canvas.drawRightString(width - MARGIN, BOTTOM_MARGIN - 0.8 * cm,
                           f"{document.page} / {count}")
    canvas.restoreState()


def _table(rows: list[list], widths: list[float], commands: list[tuple],
           row_height: float | None = None, size: float = 10.5) -> Table:
    """Return a table with the briefing's look: navy header, light rows, right-aligned numbers."""
    regular, bold = fonts()
    table = Table(rows, colWidths=widths, rowHeights=row_height, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), regular, size),
        ("FONT", (0, 0), (-1, 0), bold, size),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ("BACKGROUND", (0, 0), (-1, 0), NAVY),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LINEBELOW", (0, 1), (-1, -1), 0.5, LINE),
        ("LEFTPADDING", (0, 0), (-1, -1), 6),
        ("RIGHTPADDING", (0, 0), (-1, -1), 6),
        *commands,
    ]))
    return table


def _banding(count: int, selected: int | None = None) -> list[tuple]:
    commands: list[tuple] = [("BACKGROUND", (0, row), (-1, row), BAND)
                             for row in range(2, count + 1, 2)]
    if selected is not None:
        commands.append(("BACKGROUND", (0, selected), (-1, selected), HIGHLIGHT))
    return commands


def _note(text: str) -> Paragraph:
    return _para(text, 8.5, MUTED, spaceBefore=10)


def _kpi_page(content: Briefing, charts: Charts, section: Section) -> list[Flowable]:
    _regular, bold = fonts()
    rows: list[list] = [[_("Indicateur"), content.school_year, content.previous_year,
                         _("Évolution")]]
    commands: list[tuple] = [("FONT", (1, 1), (1, -1), bold, 11.5),
                             ("TEXTCOLOR", (2, 1), (2, -1), MUTED)]
    selected = None
    for number, row in enumerate(content.kpis, start=1):
        rows.append([_(row.indicator.label), _plain(row.value), _plain(row.previous),
                     _plain(row.change)])
        commands.append(("TEXTCOLOR", (3, number), (3, number), TONES[row.tone]))
        if row.indicator.code == content.indicator.code:
            selected = number
            commands.append(("FONT", (0, number), (0, number), bold, 11.5))
    widths = [WIDTH * share for share in (0.46, 0.17, 0.17, 0.20)]
    return [_table(rows, widths, commands + _banding(len(rows) - 1, selected), 27, 11.5),
            _note(kpi_note(content))]


def _quality_page(content: Briefing, charts: Charts, section: Section) -> list[Flowable]:
    rows: list[list] = [[_("Contrôle"), _("Constats"), _("Examinés"), _("Taux")]]
    rows += [list(row) for row in content.quality]
    widths = [WIDTH * share for share in (0.52, 0.16, 0.16, 0.16)]
    return [_table(rows, widths, _banding(len(rows) - 1, None), 22, 10.5),
            _note(quality_note(content))]


def _schooling_page(content: Briefing, charts: Charts, section: Section) -> list[Flowable]:
    rows: list[list] = [[_("Taux"), _("Valeur"), _("Parité F/G"), _("Population"),
                         _("Avertissement")]]
    rows += [list(row) for row in content.schooling]
    widths = [WIDTH * share for share in (0.42, 0.12, 0.12, 0.14, 0.20)]
    return [_table(rows, widths, _banding(len(rows) - 1, None), 24, 11),
            _note(schooling_note())]


def _image(png: bytes | None, width: float, height: float) -> Flowable:
    """Return a chart image as large as fits in the box, or a notice if there is none."""
    if png is None:
        return _para(_("Aucune donnée pour ces filtres."), 14, MUTED, alignment=1,
                     spaceBefore=height / 3)
    reader = ImageReader(io.BytesIO(png))
    pixels_wide, pixels_high = reader.getSize()
    scale = min(width / pixels_wide, height / pixels_high)
    return Image(io.BytesIO(png), pixels_wide * scale, pixels_high * scale)


def _map_page(content: Briefing, charts: Charts, section: Section) -> list[Flowable]:
    map_width = WIDTH * 0.66
    panel: list[Flowable] = []
    for label, text in map_panel(content):
        panel.append(_para(label, 10.5, NAVY, True, spaceBefore=8))
        panel.append(_para(text, 10.5))
    layout = Table([[_image(charts.map_png, map_width, HEIGHT - 70), panel]],
                   colWidths=[map_width, WIDTH - map_width])
    layout.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                ("LEFTPADDING", (1, 0), (1, 0), 14)]))
    return [layout]


def _trend_page(content: Briefing, charts: Charts, section: Section) -> list[Flowable]:
    if not content.trend_table:
        return [_image(None, WIDTH, HEIGHT - 70)]
    rows = [[_plain(text) for text in row] for row in content.trend_table]
    years = len(rows[0]) - 1
    widths = [WIDTH * 0.27] + [WIDTH * 0.73 / years] * years
    _regular, bold = fonts()
    table = _table(rows, widths, [("FONT", (0, 1), (-1, 1), bold, 10)] + _banding(len(rows) - 1),
                   20, 10)
    return [_image(charts.trend_png, WIDTH, HEIGHT - 150), Spacer(WIDTH, 10), table]


def _ranking_page(content: Briefing, charts: Charts, section: Section) -> list[Flowable]:
    _regular, bold = fonts()
    rows: list[list] = [ranking_header(content)]
    commands: list[tuple] = [("ALIGN", (1, 0), (1, -1), "LEFT"),
                             ("TEXTCOLOR", (0, 1), (0, -1), MUTED)]
    for number, (kind, row) in enumerate(ranking_rows(content), start=1):
        if kind == "section":
            rows.append([row[0], "", "", "", ""])
            commands += [("SPAN", (0, number), (-1, number)),
                         ("ALIGN", (0, number), (-1, number), "LEFT"),
                         ("BACKGROUND", (0, number), (-1, number), HIGHLIGHT),
                         ("FONT", (0, number), (-1, number), bold, 10.5),
                         ("TEXTCOLOR", (0, number), (-1, number), NAVY)]
            continue
        rows.append([_plain(text) for text in rank_cells(row)])
        commands.append(("TEXTCOLOR", (3, number), (3, number), TONES[row.tone]))
        if kind == "reference":
            commands += [("BACKGROUND", (0, number), (-1, number), BAND),
                         ("FONT", (1, number), (-1, number), bold, 10.5)]
    widths = [WIDTH * share for share in (0.08, 0.44, 0.18, 0.15, 0.15)]
    row_height = min(24, 390 / len(rows))
    return [_table(rows, widths, commands, row_height), _note(ranking_note(content))]


def _comparison_page(content: Briefing, charts: Charts, section: Section) -> list[Flowable]:
    _regular, bold = fonts()
    header = [_para(text, 9, colors.white, True, alignment=0 if position == 0 else 2)
              for position, text in enumerate(comparison_header(content))]
    rows: list[list] = [header]
    selected = None
    for number, indicator in enumerate(indicators.OF_PUPILS, start=1):
        rows.append([_(indicator.label)] + [_plain(column.values[indicator.code])
                                            for column in content.comparison])
        if indicator.code == content.indicator.code:
            selected = number
    commands: list[tuple] = [("FONT", (1, 1), (1, -1), bold, 10.5)]
    if selected is not None:
        commands.append(("FONT", (0, selected), (0, selected), bold, 10.5))
    columns = len(content.comparison)
    widths = [WIDTH * 0.25] + [WIDTH * 0.75 / columns] * columns
    return [_table(rows, widths, commands + _banding(len(rows) - 1, selected), None),
            _note(comparison_note(content))]


def _definitions_page(content: Briefing, charts: Charts, section: Section) -> list[Flowable]:
    rows: list[list] = [[_("Indicateur"), _("Définition"), _("Unité")]]
    for label, definition, unit in content.definitions:
        rows.append([_para(label, 9.5, bold=True), _para(definition, 9.5),
                     _para(unit, 9, MUTED)])
    commands: list[tuple] = [("ALIGN", (0, 0), (-1, -1), "LEFT")]
    widths = [WIDTH * share for share in (0.25, 0.57, 0.18)]
    return [_table(rows, widths, commands + _banding(len(rows) - 1), None, 9.5),
            _note(content.sources)]
