"""The data-quality view: its numbers, its charts, a school's pupils to correct and the
register of corrections.

Every callback reads the view store through :func:`callbacks.common.read_view` (a forged
store answers 400, a unit outside the caller's scope 403). The list of a school's pupils
leaves the server only here and in its Excel file, for a caller whose scope contains the
school; each showing and each download is written to the audit log.
"""

from __future__ import annotations

import logging
from dataclasses import replace

import dash_bootstrap_components as dbc
import pandas as pd
from dash import ALL, Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate
from flask import request

from callbacks.access import current_scope
from callbacks.common import count_input, plain_input, read_view, text_input
from callbacks.exports_ui import menu_items
from callbacks.unit import breadcrumb
from callbacks.wiring import callback
from dashboard.data.quality import BY_CODE, CODES, SCHOOL_CHECKS
from dashboard.formatting import format_count, school_year_label, secret_note
from dashboard.i18n import _
from dashboard.levels import CHILD_LEVEL
from dashboard.urls import (
    BadParameter,
    View,
    quality_url,
    read_check,
    view_search,
    view_url,
)
from dashboard.web import followup
from dashboard.web.auth import audit
from dashboard.web.auth.state import current_username, state_engine
from dashboard.web.callback_guard import CallbackRefused
from exports.quality_list import pupils_workbook
from layouts.components import empty_state
from layouts.quality_page import MAX_SHOWN, MENU
from panels import registry
from panels.quality import BY_ID, SCORE, check_label, is_hidden, rate_text
from queries import NATIONAL_SCOPE, Filters, OutOfScope, privacy
from queries.database import data_version
from queries.quality import HIDDEN, found_now, unit_checks
from queries.stats import unit_indicators
from queries.units import get_unit, schools_under

log = logging.getLogger("pilotage.exports")
VIEW = [Input("view", "data")]


@callback(
    Output("quality-breadcrumb", "children"),
    Output("quality-subtitle", "children"),
    Output("quality-indicators-link", "href"),
    Output("quality-check", "value"),
    Output("quality-trend", "figure"),
    Output("quality-trend-title", "children"),
    *VIEW,
)
def show_heading_and_trend(view_data):
    """Name the unit and the view's filters, and draw the trend of what it shows (the same
    answer for every user of a scope: kept by the response cache)."""
    view = read_view(view_data)
    unit = get_unit(view.level, view.code, current_scope())
    trend = BY_ID["quality-trend"]
    figure = trend.figure(view, trend.rows(view, current_scope(), unit))
    return (_crumbs(view, unit), _subtitle(view), view_url(replace(view, check=None)),
            view.check or "", figure, trend.heading(view))


@callback(
    Output("quality-cards", "children"),
    Output("quality-checks-grid", "rowData"),
    Output("quality-register", "children"),
    *VIEW,
    Input("quality-marks", "data"),
)
def show_quality(view_data, _marks=None):
    """Fill the cards, the checks of the year and the register: they follow the marks of
    the state database, so they are read afresh each time (never from the response cache)."""
    view = read_view(view_data)
    scope = current_scope()
    unit = get_unit(view.level, view.code, scope)
    checks = BY_ID["quality-checks"]
    rows = checks.rows(view, scope, unit)
    marks = _register(view, unit)
    states = _states(marks, view)
    grid = [{**row, "rate_text": _("secret") if is_hidden(row, "rate") else rate_text(row["rate"]),
             "finds": _(BY_CODE[row["code"]].finds), "state": states.get(row["code"], "")}
            for row in checks.table(view, rows)]
    return _cards(view, unit, rows["current"], marks), grid, _register_table(marks, view)


@callback(
    Output("quality-map", "figure"),
    Output("quality-map-title", "children"),
    Output("quality-ranking-grid", "rowData"),
    Output("quality-ranking-title", "children"),
    Output("quality-funnel", "figure"),
    *VIEW,
)
def show_children(view_data):
    """Map the children's score (or a check's rate), rank them and place them in the
    funnel plot."""
    view = read_view(view_data)
    if view.level not in CHILD_LEVEL:
        raise PreventUpdate
    scope = current_scope()
    unit = get_unit(view.level, view.code, scope)
    mapped = BY_ID["quality-map"]
    figure = mapped.figure(view, mapped.rows(view, scope, unit))
    ranking = BY_ID["quality-ranking"]
    table = ranking.table(view, ranking.rows(view, scope, unit))
    for row in table:
        href = quality_url(replace(view, level=CHILD_LEVEL[view.level], code=row["code"],
                                   rank=None, sort=None))
        row["name"] = f"[{_escape(row['name'])}]({href})"
        row["value_text"] = (_("secret") if is_hidden(row, "value")
                             else rate_text(row["value"]))
    funnel = BY_ID["quality-funnel"]
    return (figure, mapped.heading(view), table, ranking.heading(view),
            funnel.figure(view, funnel.rows(view, scope, unit)))


@callback(
    Output("quality-census-gap", "figure"),
    Output("quality-census-gap-title", "children"),
    *VIEW,
)
def show_census_gap(view_data):
    """Place the territory's communes by their rate of 6-11 year-olds in school against
    the census's (the ``census_gap`` check)."""
    view = read_view(view_data)
    if view.level == "school":
        raise PreventUpdate
    scope = current_scope()
    unit = get_unit(view.level, view.code, scope)
    panel = registry.BY_ID["quality-census-gap"]
    return panel.figure(view, panel.rows(view, scope, unit)), panel.title(view, unit)


@callback(
    Output({"type": MENU, "chart": ALL, "images": ALL}, "children"),
    *VIEW,
    State({"type": MENU, "chart": ALL, "images": ALL}, "id"),
)
def update_quality_exports(view_data, menus):
    """Point the view's download menus at the files of the view on screen (its check)."""
    view = read_view(view_data)
    return [menu_items(view, menu["chart"], menu["images"]) for menu in menus]


@callback(
    Output("url", "search", allow_duplicate=True),
    Input("quality-check", "value"),
    State("view", "data"),
    prevent_initial_call=True,
)
def choose_check(value, view_data):
    """Show the check the user picked: it goes into the address, like a filter."""
    view = read_view(view_data)
    value = plain_input(value, "check")
    try:
        check = read_check(value)
    except BadParameter:
        raise CallbackRefused(400, "check") from None
    if check == view.check:
        raise PreventUpdate
    return view_search(replace(view, check=check))


@callback(
    Output("url", "href", allow_duplicate=True),
    Input("quality-funnel", "clickData"),
    State("view", "data"),
    prevent_initial_call=True,
)
def open_point(click, view_data):
    """Open the data-quality view of the unit a click on the funnel picked."""
    view = read_view(view_data)
    if not isinstance(click, dict) or view.level not in CHILD_LEVEL:
        raise PreventUpdate
    points = click.get("points")
    try:
        code = points[0]["customdata"][0]
    except (TypeError, KeyError, IndexError):
        raise CallbackRefused(400, "clickData") from None
    child = CHILD_LEVEL[view.level]
    try:
        get_unit(child, text_input(code, "clickData"), current_scope())
    except (OutOfScope, LookupError):
        raise CallbackRefused(404, "clickData") from None
    return quality_url(replace(view, level=child, code=code, rank=None, sort=None))


# --- a school's pupils ----------------------------------------------------------------------


@callback(
    Output("quality-pupils-grid", "rowData"),
    Output("quality-pupils-note", "children"),
    Output("quality-mark-check", "options"),
    Output("quality-mark-check", "value"),
    *VIEW,
)
def show_pupils(view_data):
    """List the school's pupils to correct (audited) and the findings one may mark."""
    view = read_view(view_data)
    if view.level != "school":
        raise PreventUpdate
    scope = current_scope()
    unit = get_unit(view.level, view.code, scope)
    panel = BY_ID["quality-pupils"]
    table = panel.table(view, panel.rows(view, scope, unit))
    audit.record(state_engine(), "quality_list", current_username(),
                 unit=f"school:{view.code}",
                 detail={"year": view.filters.year, "pupils": len(table)},
                 address=request.remote_addr)
    # the list is the school's one exception to small-cell suppression: its pupils'
    # findings are counted from it, the school's own from the checks
    checks = unit_checks(view.level, view.code, view.filters, scope)
    schools = checks[checks["check_code"].isin(SCHOOL_CHECKS) & (checks["count"] > 0)]
    counts = {**pd.Series([row["code"] for row in table], dtype=object).value_counts(),
              **dict(zip(schools["check_code"], schools["count"], strict=True))}
    options = [{"label": f"{check_label(code)} ({format_count(int(counts[code]))})",
                "value": code} for code in CODES if code in counts]
    note = (_("{n} constats en {year}, à corriger à la source dans MASSAR.",
              n=format_count(len(table)), year=school_year_label(view.filters.year))
            if table else _("Aucun élève à corriger en {year}.",
                            year=school_year_label(view.filters.year)))
    if len(table) > MAX_SHOWN:
        note = _("{note} Les {n} premiers sont affichés ; le fichier Excel les contient tous.",
                 note=note, n=format_count(MAX_SHOWN))
    return (table[:MAX_SHOWN], note, options,
            options[0]["value"] if options else None)


@callback(
    Output("quality-pupils-download", "data"),
    Input("quality-pupils-xlsx", "n_clicks"),
    State("view", "data"),
    prevent_initial_call=True,
)
def download_pupils(clicks, view_data):
    """Build the Excel file of the school's pupils to correct (audited)."""
    view = read_view(view_data)
    if not count_input(clicks, "n_clicks") or view.level != "school":
        raise PreventUpdate
    scope = current_scope()
    unit = get_unit(view.level, view.code, scope)
    panel = BY_ID["quality-pupils"]
    table = panel.table(view, panel.rows(view, scope, unit))
    content = pupils_workbook(panel, view, unit, table)
    filename = f"pilotage-qualite-{view.code}-{view.filters.year}-eleves.xlsx"
    audit.record(state_engine(), "quality_list_export", current_username(),
                 unit=f"school:{view.code}",
                 detail={"year": view.filters.year, "pupils": len(table), "file": filename,
                         "bytes": len(content)}, address=request.remote_addr)
    log.info("pupils to correct of %s as Excel (%s rows)", view.code, len(table))
    return dcc.send_bytes(content, filename)


@callback(
    Output("quality-mark-result", "children"),
    Output("quality-marks", "data"),
    Input("quality-mark-save", "n_clicks"),
    State("quality-mark-check", "value"),
    State("quality-mark-status", "value"),
    State("quality-mark-comment", "value"),
    State("view", "data"),
    prevent_initial_call=True,
)
def save_mark(clicks, check, status, comment, view_data):
    """Record the user's mark of one of the school's findings; the view then redraws its
    cards, checks and register (through the ``quality-marks`` store)."""
    view = read_view(view_data)
    if not count_input(clicks, "n_clicks") or view.level != "school":
        raise PreventUpdate
    check, status = plain_input(check, "check"), plain_input(status, "status")
    comment = text_input(comment, "comment") or ""
    if not isinstance(check, str) or check not in BY_CODE:
        return (html.Span(_("Choisissez d'abord un constat."), className="text-danger"),
                no_update)
    unit = get_unit(view.level, view.code, current_scope())
    try:
        followup.mark(state_engine(), unit, view.filters.year, check, status, comment,
                      current_username())
    except followup.BadMark:
        raise CallbackRefused(400, "status") from None
    audit.record(state_engine(), "quality_mark", current_username(),
                 unit=f"school:{view.code}",
                 detail={"year": view.filters.year, "check": check, "status": status},
                 address=request.remote_addr)
    return (html.Span(_("Enregistré : {check}, {status}.", check=check_label(check),
                        status=followup.status_label(status)), className="text-success"),
            int(clicks))


# --- pieces ---------------------------------------------------------------------------------


def _escape(text: str) -> str:
    """Return a name safe inside a Markdown link."""
    return "".join("\\" + c if c in "[]()\\*_`<>" else c for c in str(text))


def _crumbs(view, unit: dict) -> list:
    return breadcrumb(unit, lambda level, code: quality_url(replace(
        view, level=level, code=code, rank=None, sort=None)))


def _subtitle(view) -> str:
    parts = [_("Année scolaire {year}", year=school_year_label(view.filters.year))]
    if view.filters.sex != "all":
        parts.append(_("les contrôles d'établissement ne se filtrent pas par sexe"))
    return " · ".join(parts)


def _cards(view, unit: dict, checks: pd.DataFrame, marks: pd.DataFrame) -> list:
    row = unit_indicators(view.level, view.code, view.filters, current_scope()).set_index(
        "school_year")
    now, before = row.loc[view.filters.year], row.loc[view.filters.year - 1]
    score = None if privacy.is_suppressed(now, SCORE.code) else now[SCORE.code]
    previous = None if privacy.is_suppressed(before, SCORE.code) else before[SCORE.code]
    change = ("" if score is None or previous is None or pd.isna(score) or pd.isna(previous)
              else _("{delta} pt sur un an", delta=f"{(score - previous) * 100:+.1f}".replace(
                  ".", ",")))
    pupils = checks[~checks["check_code"].isin(SCHOOL_CHECKS)]
    schools = checks[checks["check_code"].isin(SCHOOL_CHECKS)]
    hidden = bool(pupils[HIDDEN].any())
    current = followup.latest(marks)
    open_ = int((current["status"] == followup.OPEN).sum()) if not current.empty else 0
    return [
        _card("score", _("Score de qualité"), rate_text(score) if score is not None
              else _("secret"), change, _(SCORE.definition)),
        _card("pupil-findings", _("Constats sur les élèves"),
              _("secret") if hidden else format_count(int(pupils["count"].sum())),
              secret_note(privacy.threshold()) if hidden else _(
                  "{n} inscriptions examinées", n=format_count(int(
                      checks.loc[checks["check_code"] == "missing_outcome", "base"].sum())))),
        _card("school-findings", _("Constats sur les établissements"),
              format_count(int(schools["count"].sum())),
              _("sans effectif, variation brutale, taux hors limites")),
        _card("open-findings", _("Constats à corriger"), format_count(open_),
              _("marqués « à corriger » et pas encore clos")),
    ]


def _card(code: str, label: str, value: str, note: str, definition: str = "") -> html.Div:
    return html.Div([html.Div(label, className="kpi-label", title=definition),
                     html.Div(value, className="kpi-value"),
                     html.Div(html.Span(note, className="kpi-note"), className="kpi-footer")],
                    id=f"quality-kpi-{code}", className="kpi-card")


def _register(view, unit: dict) -> pd.DataFrame:
    """Return the marks of the view's unit, closing first those the data no longer show."""
    scope = current_scope()
    school = unit["code"] if view.level == "school" else None
    marks = followup.register(state_engine(), scope, school)
    open_ = followup.latest(marks)
    open_ = open_[open_["status"] == followup.OPEN] if not open_.empty else open_
    if not open_.empty:
        still = found_now(view.level, view.code, scope,
                          tuple(sorted(int(y) for y in set(open_["school_year"]))))
        schools = {code: get_unit("school", code, NATIONAL_SCOPE)
                   for code in set(open_["school_code"])}
        if followup.close_vanished(state_engine(), scope, still, data_version(), schools):
            marks = followup.register(state_engine(), scope, school)
    if view.level != "school" and not marks.empty:
        inside = set(schools_under(view.level, view.code, scope)["code"])
        marks = marks[marks["school_code"].isin(inside)]
    return marks


def _states(marks: pd.DataFrame, view) -> dict[str, str]:
    """Return, for a school's page, the state of each check's finding of the year."""
    if view.level != "school" or marks.empty:
        return {}
    current = followup.latest(marks)
    current = current[current["school_year"] == view.filters.year]
    return {row.check_code: followup.status_label(row.status)
            for row in current.itertuples(index=False)}


def _register_table(marks: pd.DataFrame, view) -> html.Div:
    if marks.empty:
        return empty_state(_("Aucun constat suivi pour l'instant."),
                           _("Sur la page d'un établissement, marquez un constat « à "
                             "corriger », « corrigé à la source » ou « faux signal ».")
                           if view.level == "school" else
                           _("Les établissements marquent leurs constats depuis leur page de "
                             "qualité des données."))
    current = followup.latest(marks)
    by_year = current.assign(open=current["status"] == followup.OPEN).groupby(
        "school_year")["open"].agg(["sum", "count"])
    summary = html.Ul([html.Li(_("{year} : {open} à corriger, {closed} clos",
                                 year=school_year_label(int(year)), open=int(row["sum"]),
                                 closed=int(row["count"] - row["sum"])))
                       for year, row in by_year.iterrows()], className="quality-register-years")
    lines = marks.sort_values("marked_at", ascending=False).head(50)
    table = dbc.Table(
        [html.Thead(html.Tr([html.Th(_(name)) for name in (
            "Date", "Établissement", "Année", "Contrôle", "État", "Par", "Commentaire")])),
         html.Tbody([html.Tr([
             html.Td(pd.Timestamp(row.marked_at).strftime("%d/%m/%Y %H:%M")),
             html.Td(dcc.Link(row.school_code, href=quality_url(View(
                 "school", row.school_code, Filters(int(row.school_year)))))),
             html.Td(school_year_label(int(row.school_year))),
             html.Td(check_label(row.check_code)),
             html.Td(followup.status_label(row.status)),
             html.Td(row.username or _("automatique")), html.Td(row.comment)])
             for row in lines.itertuples(index=False)])],
        size="sm", striped=True, responsive=True, className="quality-register-table")
    return html.Div([summary, table])

