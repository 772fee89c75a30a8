"""A school's pupils to correct in MASSAR as an Excel file: the panel's table, then what it
is (school, school year, when it was downloaded). Values are written as text by the shared
cell writer, so nothing in them is ever taken for a formula."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from dashboard.formatting import school_year_label
from dashboard.i18n import _
from dashboard.urls import View
from exports.tables import HEADER_FILL, HEADER_FONT, put_cell, write_facts
from panels.base import Panel

WIDTHS = {"check": 34, "code": 24, "massar_code": 14, "grade": 8, "fields": 80}


def pupils_workbook(panel: Panel, view: View, school: dict, table: list[dict]) -> bytes:
    """Return the workbook of a school's pupil findings (``table``, as ``panel`` makes it)."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("Élèves à corriger")
    columns = panel.columns(view, table)
    for position, column in enumerate(columns, start=1):
        cell = put_cell(sheet, 1, position, column.header)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        sheet.column_dimensions[get_column_letter(position)].width = WIDTHS.get(column.key, 16)
    for line, row in enumerate(table, start=2):
        for position, column in enumerate(columns, start=1):
            put_cell(sheet, line, position, row[column.key])
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(table) + 1}"
    context = book.create_sheet(_("Contexte"))
    facts = ((_("Établissement"), f"{school['code']} {school['name_fr']}"),
             (_("Année scolaire"), school_year_label(view.filters.year)),
             (_("Constats"), len(table)),
             (_("Téléchargé le"), dt.datetime.now().replace(microsecond=0)),
             (_("Usage"), _("Liste nominative réservée à la correction des données dans "
                            "MASSAR ; ne pas diffuser.")),
             (_("Source"), _("Pilotage, contrôles de qualité des données")))
    write_facts(context, facts, (18, 70))
    book.properties.creator = "Pilotage"
    book.properties.title = panel.title(view, school)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
