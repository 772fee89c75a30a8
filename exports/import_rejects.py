"""The rejected rows of an import as an Excel file: the rows, then the import they come
from and whose schools they are (``territory``). Every value is written as text, so a
value that starts like a formula stays the text it was in the extract."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from dashboard.i18n import _
from exports.tables import HEADER_FILL, HEADER_FONT, put_cell, write_facts
from layouts import imports as imports_layout

REJECT_HEADERS = ("Ligne", "Colonne", "Valeur", "Motif", "Message", "Établissement")
REJECT_WIDTHS = (8, 18, 24, 24, 70, 16)
LABEL_FONT = Font(bold=True)


def records(frame: pd.DataFrame) -> list[dict]:
    """Return rejected rows as plain values (no NaN, no numpy numbers)."""
    return [{"line": int(row["line"]), **{name: None if pd.isna(row[name]) else str(row[name])
                                          for name in ("column_name", "value", "reason",
                                                       "message", "school_code")}}
            for row in frame.to_dict("records")]


def rejects_workbook(found: dict, frame: pd.DataFrame, territory: str) -> bytes:
    """Return an Excel workbook: the rejected rows, then the import they come from.

    Every value of the file is written as text: a value that starts like a formula
    (= + - @) stays the text it was in the extract.
    """
    book = Workbook()
    sheet = book.active
    sheet.title = _("Lignes rejetées")
    for position, header in enumerate(REJECT_HEADERS, start=1):
        cell = put_cell(sheet, 1, position, _(header))
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(vertical="center")
    for line, row in enumerate(records(frame), start=2):
        values = (row["line"], row["column_name"], row["value"], row["reason"], row["message"],
                  row["school_code"])
        for position, value in enumerate(values, start=1):
            put_cell(sheet, line, position, value)
    for position, width in enumerate(REJECT_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(position)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(REJECT_HEADERS))}{len(frame) + 1}"
    _context_sheet(book.create_sheet(_("Contexte")), found, territory)
    book.properties.creator = "Pilotage"
    book.properties.title = _("Lignes rejetées : {file}", file=found["file_name"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _context_sheet(sheet, found: dict, territory: str) -> None:
    imported = found["imported_at"]
    facts = (
        (_("Import n°"), int(found["id"])),
        (_("Fichier"), found["file_name"]),
        (_("Table"), imports_layout.table_label(found["table_name"])),
        (_("Année scolaire"), imports_layout.year_label(found["school_year"])),
        (_("Importé le"), None if pd.isna(imported) else pd.Timestamp(imported).to_pydatetime()),
        (_("Importé par"), found["username"]),
        (_("Lignes lues"), int(found["rows_read"])),
        (_("Lignes acceptées"), int(found["rows_accepted"])),
        (_("Lignes rejetées"), int(found["rows_rejected"])),
        (_("Périmètre"), territory),
        (_("Téléchargé le"), dt.datetime.now().replace(microsecond=0)),
        (_("Source"), _("Pilotage, imports des extraits MASSAR")),
    )
    write_facts(sheet, facts)
