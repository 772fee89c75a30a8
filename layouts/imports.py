"""The Imports page: the MASSAR extract files imported, and the rows each one rejected.

The page is a skeleton; callbacks fill the list of imports (``imports-batches``) and,
once an import is chosen (``/imports?batch=ID``), its rejected rows (``imports-detail``).
"""

from __future__ import annotations

import re

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from dashboard.data.extract.format import REASONS
from dashboard.formatting import format_count, format_rate, is_missing, school_year_label
from dashboard.i18n import _, is_right_to_left
from layouts.components import empty_state, loading

#: The address of the page, and of one import on it (``?batch=ID``).
PATH = "/imports"
BATCH = "batch"
#: What each kind of extract file holds, as the page names it.
TABLE_LABELS = {"etablissements": "Établissements", "eleves": "Élèves", "examens": "Examens"}
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")
IMPORT_COMMAND = "python -m dashboard import DOSSIER"
#: Rejected rows shown on screen at most; the downloads hold them all.
MAX_SHOWN = 5000
#: Height of the rejected rows' grid: its header and filters, then one row's height each.
GRID_HEADER_PX, GRID_ROW_PX, GRID_MAX_PX = 92, 42, 460
COLUMN_PLACEHOLDER = re.compile(r"\s*dans la colonne « \{column\} »")


def batch_href(batch_id: int) -> str:
    """Return the shareable address of one import on the page."""
    return f"{PATH}?{BATCH}={batch_id}"


def csv_href(batch_id: int) -> str:
    """Return the read API's address of an import's rejected rows as CSV."""
    return f"/api/v1/imports/{batch_id}/rejects?format=csv"


def reason_text(code: str) -> str:
    """Return the French explanation of a reason code, without the column it may name."""
    message = REASONS.get(code)
    if message is None:
        return code
    return _(COLUMN_PLACEHOLDER.sub("", message))


def table_label(table: str) -> str:
    """Return the kind of an extract file as the page names it."""
    return _(TABLE_LABELS[table]) if table in TABLE_LABELS else table


def year_label(year) -> str:
    """Return ``2024-2025``, or ``—`` for a file of no school year (the schools)."""
    return "—" if is_missing(year) else school_year_label(int(year))


def date_label(moment) -> str:
    """Return an import's date the French way: ``1er mars 2025 à 14:03``."""
    if moment is None or pd.isna(moment):
        return "—"
    moment = pd.Timestamp(moment)
    day = _("1er") if moment.day == 1 else str(moment.day)
    return _("{day} {month} {year} à {time}", day=day, month=_(MONTHS[moment.month - 1]),
             year=moment.year, time=f"{moment:%H:%M}")


def rows_label(count: int) -> str:
    """Return ``1 ligne`` or ``12 345 lignes``."""
    if count in (0, 1):
        return _("{n} ligne", n=format_count(count))
    return _("{n} lignes", n=format_count(count))


def rejected_summary(rejected: int, read: int) -> str:
    """Return ``3 lignes rejetées sur 8 lues``."""
    if rejected == 0:
        return _("Aucune ligne rejetée sur {read} lues", read=format_count(read))
    if rejected == 1:
        return _("1 ligne rejetée sur {read} lues", read=format_count(read))
    return _("{n} lignes rejetées sur {read} lues", n=format_count(rejected),
             read=format_count(read))


def count_label(count: int) -> str:
    """Return ``1 import`` or ``3 imports``."""
    return _("{n} import", n=count) if count == 1 else _("{n} imports", n=format_count(count))


def layout(territory: str | None) -> html.Div:
    """Return the page's skeleton; ``territory`` names a territorial user's scope."""
    explanation = _(
        "Chaque fichier d'extrait MASSAR importé est contrôlé ligne par ligne : les lignes "
        "acceptées entrent dans la base de scolarité, les lignes rejetées sont conservées "
        "avec leur motif. Choisissez un import pour consulter et télécharger ses lignes "
        "rejetées.")
    scope_note = (_("Les nombres portent sur les établissements de votre périmètre : "
                    "{territory}.", territory=territory) if territory else None)
    return html.Div(
        [
            html.Div(
                [
                    html.Div(_("Administration des données"), className="unit-level"),
                    html.H1(_("Imports des extraits MASSAR"), className="unit-title",
                            id="imports-title"),
                    html.P(explanation, className="imports-lead mb-0"),
                    html.P(scope_note, className="imports-scope mb-0",
                           id="imports-scope") if scope_note else None,
                ],
                className="unit-heading imports-heading",
            ),
            html.Div(id="imports-notice"),
            dbc.Card(
                [
                    dbc.CardHeader(html.Div(
                        [html.H2(_("Fichiers importés"), className="section-title"),
                         html.Span(id="imports-count", className="imports-count ms-auto")],
                        className="d-flex align-items-center gap-2")),
                    dbc.CardBody(loading(html.Div(id="imports-batches")),
                                 className="imports-batches-body"),
                ],
                className="section-card imports-card",
            ),
            html.Div(id="imports-detail", className="mt-3"),
            dcc.Store(id="imports-selection"),
            dcc.Download(id="imports-download"),
        ],
        className="imports-page",
    )


def no_imports() -> html.Div:
    """Return what the page says when the user's territory has no import."""
    return empty_state(
        _("Aucun import pour votre territoire"),
        [_("Les extraits MASSAR (établissements, élèves, examens) s'importent en ligne de "
           "commande sur le serveur : "), html.Code(IMPORT_COMMAND),
         _(". Chaque import apparaît ici avec ses lignes lues, acceptées et rejetées.")],
    )


# --- the list of imports ------------------------------------------------------------------


def batches_table(frame: pd.DataFrame, selected: int | None) -> html.Div:
    """Return the imports as a table, ``selected`` highlighted; each row opens its import."""
    head = html.Thead(html.Tr([
        html.Th(_("Fichier")), html.Th(_("Table")), html.Th(_("Année scolaire")),
        html.Th(_("Importé le")), html.Th(_("Par")),
        html.Th(_("Lues"), className="number"), html.Th(_("Acceptées"), className="number"),
        html.Th(_("Rejetées"), className="number"),
        html.Th(_("Rejets par motif"), className="reasons-head"),
    ]))
    body = html.Tbody([_batch_row(row, row["id"] == selected)
                       for row in frame.to_dict("records")])
    return html.Div(
        html.Table([head, body], className="table imports-table mb-0", id="imports-table"),
        className="table-responsive",
    )


def _batch_row(row: dict, selected: bool) -> html.Tr:
    batch_id = int(row["id"])
    read, rejected = int(row["rows_read"]), int(row["rows_rejected"])
    share = format_rate(rejected / read) if read else ""
    props = {"aria-current": "true"} if selected else {}
    return html.Tr(
        [
            html.Td([
                dcc.Link(row["file_name"], href=batch_href(batch_id),
                         className="batch-link stretched-link", id=f"batch-link-{batch_id}"),
                html.Div(_("Import n° {n}", n=batch_id), className="batch-number"),
            ]),
            html.Td(html.Span(table_label(row["table_name"]),
                              className=f"table-tag table-{row['table_name']}")),
            html.Td(year_label(row["school_year"]), className="nowrap"),
            html.Td(date_label(row["imported_at"]), className="nowrap"),
            html.Td(row["username"], className="batch-user"),
            html.Td(format_count(read), className="number"),
            html.Td(format_count(row["rows_accepted"]), className="number"),
            html.Td([html.Div(format_count(rejected),
                              className="rejected-count" if rejected else None),
                     html.Div(share, className="rejected-share") if rejected else None],
                    className="number"),
            html.Td(reason_bars(row["rejected_by_reason"]), className="reasons-cell"),
        ],
        className="batch-row selected" if selected else "batch-row",
        id=f"batch-row-{batch_id}",
        **{"data-batch": str(batch_id)}, **props,
    )


def reason_bars(by_reason: dict) -> html.Div:
    """Return small horizontal bars of a batch's rejects by reason code, largest first;
    each names its code, with the French explanation as its tooltip."""
    counts = sorted(((code, int(n)) for code, n in (by_reason or {}).items() if n),
                    key=lambda item: (-item[1], item[0]))
    if not counts:
        return html.Div([html.Span("✓ ", **{"aria-hidden": "true"}), _("Aucun rejet")],
                        className="no-rejects")
    total = sum(n for _code, n in counts)
    return html.Div(
        [
            html.Div(
                [
                    html.Span(code, className="reason-code"),
                    html.Span(html.Span(className="reason-fill",
                                        style={"width": f"{max(n / total * 100, 3):.1f}%"}),
                              className="reason-track", **{"aria-hidden": "true"}),
                    html.Span(format_count(n), className="reason-n"),
                ],
                className="reason-bar", title=f"{code} : {reason_text(code)} ({rows_label(n)})",
                **{"data-reason": code},
            )
            for code, n in counts
        ],
        className="reason-bars",
    )


# --- one import's rejected rows -----------------------------------------------------------


def detail(row: dict) -> dbc.Card:
    """Return the card of one import: what it was, its download menu and the rejected rows'
    grid (filled by a callback; it says it is loading until then)."""
    batch_id = int(row["id"])
    read, rejected = int(row["rows_read"]), int(row["rows_rejected"])
    summary = [
        html.Span(rejected_summary(rejected, read), className="detail-strong"),
        html.Span(" · "),
        html.Span(f"{table_label(row['table_name'])} {year_label(row['school_year'])}"
                  if not is_missing(row["school_year"]) else table_label(row["table_name"])),
        html.Span(" · "),
        html.Span(_("importé le {date} par {user}", date=date_label(row["imported_at"]),
                    user=row["username"])),
    ]
    menu = dbc.DropdownMenu(
        [
            dbc.DropdownMenuItem(_("Lignes rejetées"), header=True),
            dbc.DropdownMenuItem(_("Données CSV"), href=csv_href(batch_id), external_link=True,
                                 id="imports-csv"),
            dbc.DropdownMenuItem(_("Données Excel"), id="imports-xlsx", n_clicks=0),
        ],
        label=_("Télécharger"), size="sm", color="light", align_end=True,
        className="export-menu no-print", id="imports-export-menu",
    )
    return dbc.Card(
        [
            dbc.CardHeader(html.Div(
                [
                    html.Div([
                        html.H2(_("Lignes rejetées : {file}", file=row["file_name"]),
                                className="section-title", id="imports-detail-title"),
                        html.Div(summary, className="detail-summary", id="imports-summary"),
                    ]),
                    html.Div(menu, className="ms-auto"),
                ],
                className="d-flex align-items-center gap-2")),
            dbc.CardBody([
                html.Div(id="imports-rejects-note", className="imports-rejects-note"),
                rejects_grid(),
            ]),
        ],
        className="section-card imports-detail-card",
        id=f"imports-detail-{batch_id}",
    )


def rejects_grid() -> dag.AgGrid:
    """Return the grid of rejected rows, with a filter per column; no rows yet, so that it
    shows its loading overlay until they arrive."""
    text = {"filter": "agTextColumnFilter"}
    columns = [
        {"field": "line", "headerName": _("Ligne"), "filter": "agNumberColumnFilter",
         "type": "numericColumn", "width": 110, "sort": "asc"},
        {"field": "column_name", "headerName": _("Colonne"), "width": 160, **text},
        {"field": "value", "headerName": _("Valeur"), "width": 190, "tooltipField": "value",
         "cellClass": "value-cell", **text},
        {"field": "reason", "headerName": _("Motif"), "width": 200, "tooltipField": "message",
         "cellClass": "reason-cell", **text},
        {"field": "message", "headerName": _("Message"), "flex": 1, "minWidth": 280,
         "tooltipField": "message", **text},
        {"field": "school_code", "headerName": _("Établissement"), "width": 160, **text},
    ]
    return dag.AgGrid(
        id="imports-rejects-grid",
        columnDefs=columns,
        defaultColDef={"sortable": True, "resizable": True, "floatingFilter": True,
                       "suppressMovable": True, "suppressHeaderMenuButton": True},
        dashGridOptions={
            "animateRows": False,
            "enableRtl": is_right_to_left(),
            "tooltipShowDelay": 300,
            "localeText": grid_texts(),
        },
        className="ag-theme-alpine imports-grid",
        style={"height": f"{GRID_HEADER_PX + 4 * GRID_ROW_PX}px", "width": "100%"},
    )


def grid_height(rows: int) -> dict:
    """Return the grid's style for ``rows`` rows: as tall as they need, up to a maximum."""
    height = min(GRID_HEADER_PX + max(rows, 2) * GRID_ROW_PX + 4, GRID_MAX_PX)
    return {"height": f"{height}px", "width": "100%"}


def grid_texts() -> dict:
    """Return the grid's own words, in the user's language."""
    return {
        "noRowsToShow": _("Aucune ligne rejetée dans votre périmètre pour cet import"),
        "loadingOoo": _("Chargement…"),
        "filterOoo": _("Filtrer…"), "contains": _("Contient"), "notContains": _("Ne contient pas"),
        "equals": _("Égal à"), "notEqual": _("Différent de"), "startsWith": _("Commence par"),
        "endsWith": _("Se termine par"), "blank": _("Vide"), "notBlank": _("Non vide"),
        "lessThan": _("Inférieur à"), "greaterThan": _("Supérieur à"),
        "lessThanOrEqual": _("Inférieur ou égal à"),
        "greaterThanOrEqual": _("Supérieur ou égal à"), "inRange": _("Entre"),
        "inRangeStart": _("De"), "inRangeEnd": _("À"), "andCondition": _("ET"),
        "orCondition": _("OU"), "applyFilter": _("Appliquer"), "resetFilter": _("Réinitialiser"),
        "clearFilter": _("Effacer"), "cancelFilter": _("Annuler"),
        "ariaFilterInput": _("Filtre"), "ariaFilterValue": _("Valeur du filtre"),
    }


def shown_note(total: int) -> str | None:
    """Return what the grid says when it shows only the first of many rejected rows."""
    if total <= MAX_SHOWN:
        return None
    return _("Les {shown} premières lignes sur {total} sont affichées ; le téléchargement "
             "les contient toutes.", shown=format_count(MAX_SHOWN), total=format_count(total))
