"""The Imports page: the imports the user may see, one import's rejected rows, its files.

The address says which import is open (``/imports?batch=ID``): a bad or unseen number
there shows a notice on the page. The callbacks then pass the chosen import's number in
the ``imports-selection`` store, which comes back from the browser with each request. The
page only ever stores the number of an import the caller may see, so any other store is a
forged request, refused with 400 (not a whole number, or no such import in the caller's
scope: both answers are the same, so that a refusal does not tell whether another
territory's import exists). Every read goes through ``queries.imports`` under the
caller's own scope.
"""

from __future__ import annotations

import logging
import re

import pandas as pd
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate
from flask import request

from callbacks.access import current_scope
from callbacks.common import count_input, text_input
from callbacks.wiring import callback
from dashboard.i18n import _
from dashboard.levels import LEVEL_NAMES, PLACE_LABELS
from dashboard.urls import parse_search
from dashboard.web.auth import audit
from dashboard.web.auth.state import current_username, state_engine
from dashboard.web.callback_guard import CallbackRefused
from exports.import_rejects import records, rejects_workbook
from layouts import imports as page_layout
from layouts.components import notice
from queries.database import DataNotReady
from queries.imports import UnknownBatch, batch, batches, rejects
from queries.scope import Scope
from queries.units import get_unit

log = logging.getLogger("pilotage.exports")

#: Import numbers are whole numbers below this (the database's integers).
MAX_BATCH = 2**31
BATCH_PARAMETER = re.compile(r"[0-9]{1,9}")


def page() -> html.Div:
    """Return the Imports page for the logged-in user (a territorial one reads whose
    schools the numbers count)."""
    scope = current_scope()
    return page_layout.layout(None if scope.level == "national" else territory_name(scope))


def territory_name(scope: Scope) -> str:
    """Return ``Province Casablanca`` for a territorial scope."""
    label = _(PLACE_LABELS.get(scope.level, LEVEL_NAMES[scope.level]))
    try:
        name = get_unit(scope.level, scope.code, scope)["name_fr"]
    except DataNotReady:  # the name is context: the code says it too
        name = scope.code
    return f"{label} {name}"


# --- the list, and the import the address names -------------------------------------------


@callback(
    Output("imports-batches", "children"),
    Output("imports-count", "children"),
    Output("imports-notice", "children"),
    Output("imports-detail", "children"),
    Output("imports-selection", "data"),
    Input("url", "pathname"),
    Input("url", "search"),
)
def show_imports(pathname, search):
    """List the imports the user may see and open the one the address names."""
    pathname, search = text_input(pathname, "pathname"), text_input(search, "search")
    if (pathname or "").rstrip("/") != page_layout.PATH:
        raise PreventUpdate
    frame = batches(current_scope())
    chosen, problem = chosen_batch(parse_search(search).get(page_layout.BATCH), frame)
    notices = [notice(problem)] if problem else []
    if frame.empty:
        return page_layout.no_imports(), "", notices, None, None
    listing = page_layout.batches_table(frame, chosen)
    count = page_layout.count_label(len(frame))
    if chosen is None:
        return listing, count, notices, None, None
    row = frame[frame["id"] == chosen].iloc[0].to_dict()
    return listing, count, notices, page_layout.detail(row), chosen


def chosen_batch(raw: str | None, frame: pd.DataFrame) -> tuple[int | None, str | None]:
    """Return the import the address names (or None) and, if it names none the user may
    see, what to tell them."""
    if raw is None or raw == "":
        return None, None
    if not BATCH_PARAMETER.fullmatch(raw):
        return None, _("L'adresse ne désigne pas un import valide (« {name}={value} ») : "
                       "choisissez un import dans la liste.", name=page_layout.BATCH,
                       value=raw[:20])
    number = int(raw)
    if frame.empty:
        return None, _("Aucun import n° {n} dans votre périmètre.", n=number)
    if number not in {int(i) for i in frame["id"]}:
        return None, _("Aucun import n° {n} dans votre périmètre : choisissez un import dans "
                       "la liste.", n=number)
    return number, None


# --- one import's rejected rows -----------------------------------------------------------


def batch_input(value: object) -> int | None:
    """Return the import number of the selection store (None when none is open); refuse
    anything but a whole number of the database's range (400)."""
    number = count_input(value, "batch")
    if number is not None and not 0 < number < MAX_BATCH:
        raise CallbackRefused(400, "batch")
    return number


def read_rejects(batch_id: int) -> tuple[dict, pd.DataFrame]:
    """Return one import and its rejected rows as the caller may see them; an import
    they may not see, or that does not exist, is refused (400, as a forged store)."""
    scope = current_scope()
    try:
        return batch(batch_id, scope), rejects(batch_id, scope)
    except UnknownBatch:
        raise CallbackRefused(400, "batch") from None


@callback(
    Output("imports-rejects-grid", "rowData"),
    Output("imports-rejects-grid", "style"),
    Output("imports-rejects-note", "children"),
    Input("imports-selection", "data"),
)
def show_rejects(selection):
    """Fill the grid with the open import's rejected rows (the first ones if many)."""
    batch_id = batch_input(selection)
    if batch_id is None:
        raise PreventUpdate
    _found, frame = read_rejects(batch_id)
    rows = records(frame.head(page_layout.MAX_SHOWN))
    return rows, page_layout.grid_height(len(rows)), page_layout.shown_note(len(frame))


@callback(
    Output("imports-download", "data"),
    Input("imports-xlsx", "n_clicks"),
    State("imports-selection", "data"),
    prevent_initial_call=True,
)
def download_rejects(clicks, selection):
    """Build the Excel file of the open import's rejected rows, as the caller sees them."""
    batch_id = batch_input(selection)  # a forged store is refused, clicked or not
    clicks = count_input(clicks, "n_clicks")
    if not clicks or batch_id is None:
        raise PreventUpdate
    found, frame = read_rejects(batch_id)
    scope = current_scope()
    territory = _("Maroc (national)") if scope.level == "national" else territory_name(scope)
    content = rejects_workbook(found, frame, territory)
    filename = f"pilotage-import-{batch_id}-rejects.xlsx"
    audit.record(state_engine(), "export", current_username(),
                 unit=f"{scope.level}:{scope.code}",
                 detail={"via": "callback", "file": filename, "bytes": len(content),
                         "batch": batch_id},
                 address=request.remote_addr)
    log.info("rejects of import %s as Excel (%s rows)", batch_id, len(frame))
    return dcc.send_bytes(content, filename)
