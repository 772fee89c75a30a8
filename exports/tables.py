"""An export's numbers as files: CSV for any tool, Excel with typed cells and its context.

Numbers are written as numbers, never as formatted text: rates stay fractions (Excel
shows them as percentages), so a file holds the very values the read API returns.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from datetime import datetime

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from dashboard.formatting import school_year_label
from dashboard.i18n import _
from dashboard.indicators import Indicator
from dashboard.urls import View
from exports.charts import LEVEL_NAMES, SUPPRESSED, ChartExport, Column, choice_label
from queries import privacy
from queries.filters import CHOICES

#: Excel number formats per kind of column.
NUMBER_FORMATS = {
    "integer": "0",
    "count": "#,##0",
    "rate": "0.0%",
    "score": "0.00",
    "decimal": "0.0000",
    "change": "+0.0%;-0.0%;0.0%",
    "points": '+0.0" pt";-0.0" pt";0.0" pt"',
}
#: A change of a rate is a fraction of 1 in data files (as the API gives it); Excel shows
#: it in percentage points, so its cells hold points.
POINTS_PER_FRACTION = 100
UNIT_WORDS = {"count": "nombre", "rate": "taux (fraction de 1, affichée en %)",
              "score": "note sur 20"}
FILTER_NAMES = {"cycle": "Cycle", "sector": "Secteur", "milieu": "Milieu", "sex": "Sexe"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DATA_SHEET = "Données"
CONTEXT_SHEET = "Contexte"
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="0B4F8A")
DATE_FORMAT = "dd/mm/yyyy hh:mm"
MAX_WIDTH = 60


def cell_kind(column: Column, row: dict) -> str:
    """Return how a cell is written: its column's kind, or for ``row`` the row's own unit
    (``row-change``: the change of the row's indicator, in points for a rate)."""
    if column.kind == "row":
        return row.get("unit") or "decimal"
    if column.kind == "row-change":
        return "points" if row.get("unit") == "rate" else "change"
    return column.kind


def cell_value(column: Column, row: dict) -> str | int | float | None:
    """Return a cell as a plain Python value: text, a whole number, a float or None."""
    value = row.get(column.key)
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return None
    kind = cell_kind(column, row)
    if kind == "text":
        return str(value)
    if kind in ("count", "integer"):
        return int(round(float(value)))
    return float(value)


def _records(frame: pd.DataFrame) -> list[dict]:
    return frame.astype(object).to_dict("records")


# --- CSV ----------------------------------------------------------------------------------


def to_csv(frame: pd.DataFrame, columns: Sequence[Column], semicolon: bool = False) -> bytes:
    """Return the table as UTF-8 CSV with a byte-order mark (so Excel reads Arabic names).

    ``semicolon`` writes what a French Excel opens directly: ``;`` between fields and a
    decimal comma.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if semicolon else ",")
    writer.writerow([column.header for column in columns])
    for row in _records(frame):
        writer.writerow([_csv_text(cell_value(column, row), semicolon) for column in columns])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _csv_text(value: str | int | float | None, semicolon: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        # text a spreadsheet would run as a formula is kept from being one
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    if isinstance(value, int):
        return str(value)
    text = repr(value)
    if "e" in text or "E" in text:  # never scientific notation: 1e-06 is 0.000001
        text = f"{value:.12f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if semicolon else text


# --- Excel --------------------------------------------------------------------------------


def to_xlsx(export: ChartExport, view: View, indicators: Sequence[Indicator],
            version_info: dict) -> bytes:
    """Return an Excel workbook: the numbers (sheet "Données") and their context ("Contexte")."""
    book = Workbook()
    data = book.active
    data.title = DATA_SHEET
    _data_sheet(data, export)
    _context_sheet(book.create_sheet(CONTEXT_SHEET), export, view, indicators, version_info)
    book.properties.creator = "Pilotage"
    book.properties.title = export.title
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def put_cell(sheet: Worksheet, row: int, column: int, value, number_format: str | None = None):
    """Write one cell; text stays text even when it starts like a formula."""
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, str):
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.data_type = "s"
    else:
        cell.value = value
    if number_format and value is not None:
        cell.number_format = number_format
    return cell


def _header(sheet: Worksheet, row: int, names: Sequence[str]) -> None:
    for position, name in enumerate(names, start=1):
        cell = put_cell(sheet, row, position, name)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)


def _data_sheet(sheet: Worksheet, export: ChartExport) -> None:
    columns = export.columns
    _header(sheet, 1, [column.header for column in columns])
    widths = [len(column.header) for column in columns]
    for line, row in enumerate(_records(export.data), start=2):
        for position, column in enumerate(columns, start=1):
            value, kind = cell_value(column, row), cell_kind(column, row)
            if kind == "points" and value is not None:
                value = round(value * POINTS_PER_FRACTION, 4)
            put_cell(sheet, line, position, value, NUMBER_FORMATS.get(kind))
            shown = len(value) if isinstance(value, str) else 12
            widths[position - 1] = max(widths[position - 1], shown)
    for position, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(position)].width = min(width + 2, MAX_WIDTH)
    sheet.freeze_panes = "A2"
    if columns:
        last = get_column_letter(len(columns))
        sheet.auto_filter.ref = f"A1:{last}{max(len(export.data), 1) + 1}"


def _context_sheet(sheet: Worksheet, export: ChartExport, view: View,
                   indicators: Sequence[Indicator], version_info: dict) -> None:
    unit = export.unit
    chosen = {i.code: i for i in indicators}.get(view.indicator)
    rows: list[tuple[str, object]] = [
        (_("Titre"), export.title),
        (_("Filtres"), export.subtitle),
        (_("Unité"), unit["name_fr"]),
        (_("Nom (arabe)"), unit.get("name_ar") or ""),
        (_("Niveau"), _(LEVEL_NAMES[view.level])),
        (_("Code"), view.code),
        (_("Année scolaire"), school_year_label(view.filters.year)),
        *((_(FILTER_NAMES[name]), choice_label(name, getattr(view.filters, name)))
          for name in CHOICES),
        (_("Indicateur"), f"{_(chosen.label)} ({chosen.code})" if chosen else view.indicator),
        (_("Version des données"), int(version_info["version"])),
        (_("Données construites le"), version_info["built_at"].replace(microsecond=0)),
        (_("Exporté le"), datetime.now().replace(microsecond=0)),
        (_("Source"), export.source),
    ]
    if any(column.key == SUPPRESSED for column in export.columns):
        rows.append((_("Secret statistique"), _(
            "Cellules vides signalées dans la colonne « Secret statistique » : effectifs d'un "
            "établissement compris entre 1 et {n} élèves, taux calculés à partir d'eux, et "
            "cellules masquées pour qu'aucune soustraction ne les révèle (loi 09-08).",
            n=max(privacy.threshold() - 1, 0))))
    line = 1
    for label, value in rows:
        put_cell(sheet, line, 1, label).font = Font(bold=True)
        put_cell(sheet, line, 2, value, DATE_FORMAT if isinstance(value, datetime) else None)
        line += 1
    line += 1
    put_cell(sheet, line, 1, _("Définitions des indicateurs")).font = Font(bold=True, size=12)
    line += 1
    _header(sheet, line, [_("Code"), _("Libellé"), _("Définition"), _("Unité")])
    for indicator in indicators:
        line += 1
        put_cell(sheet, line, 1, indicator.code)
        put_cell(sheet, line, 2, _(indicator.label))
        put_cell(sheet, line, 3, _(indicator.definition)).alignment = Alignment(wrap_text=True)
        put_cell(sheet, line, 4, _(UNIT_WORDS.get(indicator.unit, indicator.unit)))
    for letter, width in zip("ABCD", (28, 48, 80, 34), strict=True):
        sheet.column_dimensions[letter].width = width


def write_facts(sheet, facts, widths: tuple[int, int] = (20, 48)) -> None:
    """Write a file's context as label / value lines (dates in the date format)."""
    for line, (label, value) in enumerate(facts, start=1):
        put_cell(sheet, line, 1, label).font = Font(bold=True)
        cell = put_cell(sheet, line, 2, value)
        if isinstance(value, datetime):
            cell.number_format = DATE_FORMAT
        cell.alignment = Alignment(horizontal="left")
    sheet.column_dimensions["A"].width, sheet.column_dimensions["B"].width = widths
