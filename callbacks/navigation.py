"""The URL is the state: it drives the filters, the page and every drill."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode

from dash import Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from callbacks.access import current_scope
from callbacks.availability import show_unavailable
from callbacks.common import (
    WITH_CHILDREN,
    check_store,
    current_view,
    plain_input,
    read_view,
    sorted_view,
    text_input,
    unit_input,
)
from callbacks.imports import page as imports_page
from callbacks.wiring import callback, clientside_callback
from dashboard.formatting import school_year_label
from dashboard.i18n import _, unit_name
from dashboard.urls import (
    CHECK,
    FILTER_NAMES,
    QUALITY,
    RANK,
    REDIRECTED,
    SORT,
    as_store,
    drill_url,
    is_code,
    is_quality_path,
    parse,
    parse_search,
    split_path,
    unit_path,
    view_search,
    view_url,
)
from dashboard.web.callback_guard import CallbackRefused
from layouts import definitions, not_found, quality_page, school_page, unit_page
from layouts.components import empty_state, notice
from panels.map import map_level
from queries.database import DataNotReady, DataUnavailable, refresh_version
from queries.scope import NATIONAL_SCOPE, OutOfScope
from queries.stats import available_years
from queries.units import UnknownUnit, get_unit

FILTER_INPUTS = [Input(f"filter-{name}", "value") for name in FILTER_NAMES]
FILTER_OUTPUTS = [Output(f"filter-{name}", "value") for name in FILTER_NAMES]
PARAMETER_NAMES = {"year": "année scolaire", "cycle": "cycle", "sector": "secteur",
                   "milieu": "milieu", "sex": "sexe", "indicator": "indicateur",
                   "rank": "classement", "sort": "tri", "check": "contrôle"}
#: Parameters of the address that no filter control holds: kept when a filter changes.
KEPT_PARAMETERS = (RANK, SORT, CHECK)


@callback(
    Output("url", "search"),
    Output("view-next", "data"),
    Output("view-sort", "data"),
    Output("notices", "children"),
    Output("filter-year", "options"),
    *FILTER_OUTPUTS,
    Input("url", "pathname"),
    Input("url", "search"),
    *FILTER_INPUTS,
    Input("data-epoch", "data"),
)
def synchronise(pathname, search, year, cycle, sector, milieu, sex, indicator, _epoch=None):
    """Keep the URL, the filter controls and the view store in step.

    A change of control writes the URL (so back, forward and shared links restore
    the view); a change of URL sets the controls. Bad parameters fall back to their
    default with a visible notice. The ranking's order has a store of its own, so that
    sorting redraws the ranking alone: the view is written to ``view-next``, and reaches
    the view store (which every panel reads) only when it changed.
    """
    pathname, search = text_input(pathname, "pathname"), text_input(search, "search")
    values = tuple(plain_input(value, name) for value, name in zip(
        (year, cycle, sector, milieu, sex, indicator), FILTER_NAMES, strict=True))
    try:
        version = refresh_version()
        years = available_years()
    except DataUnavailable:
        show_unavailable()
        return no_update, None, None, [], no_update, *[no_update] * len(FILTER_NAMES)
    except DataNotReady:
        return (no_update, None, None,
                notice(_("Les données ne sont pas encore disponibles.")),
                [], *[no_update] * len(FILTER_NAMES))
    options = [{"label": school_year_label(y), "value": y} for y in reversed(years)]
    trigger = ctx.triggered_id
    if isinstance(trigger, str) and trigger.startswith("filter-"):
        kept = {name: value for name, value in parse_search(search).items()
                if name in KEPT_PARAMETERS}
        params = {name: value for name, value in zip(FILTER_NAMES, values, strict=True)
                  if value is not None}
        parsed = parse(pathname, "?" + urlencode({**kept, **params}), years)
        if parsed.view is None:
            raise PreventUpdate
        new_search = view_search(parsed.view)
        keep = [no_update] * len(FILTER_NAMES)
        return (new_search, versioned(parsed.view, version), parsed.view.sort, [], no_update,
                *keep)
    parsed = parse(pathname, search, years)
    if parsed.view is None:
        return no_update, None, None, [], options, *[no_update] * len(FILTER_NAMES)
    view = parsed.view
    notices = [
        notice(_("Le paramètre « {name} » de l'adresse n'est pas valide : la valeur par "
                 "défaut est utilisée.", name=_(PARAMETER_NAMES[name])))
        for name in parsed.notices
    ]
    if REDIRECTED in parse_search(search):  # dropped from the address at the next change
        notices.append(notice(_("Le lien ouvert montre le Maroc entier, hors de votre "
                                "périmètre : voici votre territoire, avec les mêmes filtres.")))
    controls = [view.filters.year, view.filters.cycle, view.filters.sector,
                view.filters.milieu, view.filters.sex, view.indicator]
    return no_update, versioned(view, version), view.sort, notices, options, *controls


def versioned(view, version: int) -> dict:
    """Return the view store: the view (its order apart) and the data version its numbers
    come from."""
    return {**as_store(replace(view, sort=None)), "version": version}


clientside_callback(
    # the same view written again would redraw every panel (as after a sort)
    """function (next, shown) {
        return JSON.stringify(next) === JSON.stringify(shown)
            ? window.dash_clientside.no_update : next;
    }""",
    Output("view", "data"),
    Input("view-next", "data"),
    State("view", "data"),
)


@callback(
    Output("page", "children"),
    Output("page-unit", "data"),
    Output("page-title", "data"),
    Input("url", "pathname"),
    Input("data-epoch", "data"),
    State("page-unit", "data"),
    State("url", "search"),
)
def render_page(pathname: str, _epoch: int | None = None, shown: object = None,
                search: str | None = None):
    """Lay out the page the path names: a unit, a school, the definitions, the imports,
    or not found.

    Territorial pages share one skeleton: going from one to another (a drill, a
    breadcrumb, back) keeps the page mounted and only names the new unit, so that its
    panels redraw in one round instead of the browser building a new page first.
    """
    pathname, shown = text_input(pathname, "pathname"), unit_input(shown)
    search = text_input(search, "search")
    if (pathname or "").rstrip("/") == "/definitions":
        return definitions.layout(), None, _("Définitions · Pilotage")
    if (pathname or "").rstrip("/") == "/imports":
        return imports_page(), None, _("Imports · Pilotage")
    quality = is_quality_path(pathname)
    if quality:
        pathname = pathname.rstrip("/")[len(QUALITY):] or "/"
    unit = split_path(pathname)
    if unit is None:
        return _not_found(_("Cette adresse ne correspond à aucune page."))
    level, code = unit
    try:
        row = get_unit(level, code, current_scope())
    except UnknownUnit:
        return _not_found(_("Aucune unité « {code} » à ce niveau.", code=code[:20]))
    except OutOfScope:
        return _refused(search)
    except DataUnavailable:
        show_unavailable()
        return (empty_state(_("Données temporairement indisponibles : la page s'affichera dès "
                              "le retour de la base de scolarité.")), None, no_update)
    except DataNotReady:
        return _not_found(_("Les données ne sont pas encore disponibles."))
    marker = {"level": level, "code": code}
    title = f"{unit_name(row)} · Pilotage"
    if quality:  # no unit marker: leaving the view lays the next page out afresh
        return quality_page.layout(row), None, _("Qualité des données · {title}", title=title)
    if level == "school":
        # the commune's name is context, readable even by a user who sees one school only
        commune = get_unit("commune", row["commune_code"], NATIONAL_SCOPE)
        return school_page.layout(row, commune["name_fr"]), marker, title
    if shown and shown[0] in WITH_CHILDREN and ctx.triggered_id == "url":
        return no_update, marker, title
    return unit_page.layout(row), marker, title


def _not_found(message: str) -> tuple:
    return not_found.layout(message), None, _("Page introuvable · Pilotage")


def _refused(search: str | None) -> tuple:
    """The page of a unit outside the scope: it offers the user's own territory, seen
    with the filters of the link."""
    scope = current_scope()
    own = get_unit(scope.level, scope.code, scope)
    years = available_years()
    parsed = parse(unit_path(scope.level, scope.code), search, years)
    page = not_found.refused(_("Cette unité est hors de votre périmètre."),
                             view_url(parsed.view), own["name_fr"])
    return page, None, _("Accès non autorisé · Pilotage")


clientside_callback(
    "function (title) { if (title) { document.title = title; } return null; }",
    Output("title-sink", "data"),
    Input("page-title", "data"),
)


@callback(
    Output("nav-dashboard", "href"),
    Output("nav-definitions", "href"),
    Input("view", "data"),
    Input("page-unit", "data"),
    Input("view-sort", "data"),
)
def keep_filters_in_links(view_data, page_unit, sort_data=None):
    """Point the header's links at the view on screen: the Definitions page and the way
    back keep its unit, filters and order (a page with no unit on it changes nothing)."""
    view = sorted_view(current_view(view_data, page_unit), sort_data)
    return view_url(view), "/definitions" + view_search(view)


clientside_callback(
    # a phone shows the filters only when asked (the button is hidden on wider screens)
    """function (clicks) {
        const bar = document.getElementById('filter-bar');
        const open = Boolean(clicks % 2);
        bar.classList.toggle('filters-open', open);
        return open ? 'true' : 'false';
    }""",
    Output("filters-toggle", "aria-expanded"),
    Input("filters-toggle", "n_clicks"),
    prevent_initial_call=True,
)


clientside_callback(
    # a search is over once its result is opened
    "function (path) { return ''; }",
    Output("search-box", "value"),
    Input("url", "pathname"),
    prevent_initial_call=True,
)


clientside_callback(
    # the filters do nothing on the Definitions page, a page not found or refused
    "function (unit) { return !unit; }",
    Output("filter-bar", "hidden"),
    Input("page-unit", "data"),
    prevent_initial_call=True,
)


@callback(
    Output("url", "href", allow_duplicate=True),
    Input("map", "clickData"),
    State("view", "data"),
    prevent_initial_call=True,
)
def drill_from_map(click, view_data):
    """Open the unit (or school) clicked on the map, keeping the filters.

    The map's callbacks fire when a page lays the map out, without a click: the view is
    read only once there is one (it may still be the view of the page being left).
    """
    check_store(view_data)
    point = _clicked_point(click)
    view = read_view(view_data)
    code = point.get("customdata") or point.get("location")
    if isinstance(code, list):
        code = code[0] if code else None
    if not code or view.level == "school":
        raise PreventUpdate
    level = "school" if "lat" in point else map_level(view)
    return drill_url(view, level, _drilled_code(code))


def _clicked_point(click: object) -> dict:
    """Return the first point of a map click; stop if there is none, refuse a bad one."""
    if not click:
        raise PreventUpdate
    points = click.get("points") if isinstance(click, dict) else None
    if not isinstance(points, list) or not points or not isinstance(points[0], dict):
        raise CallbackRefused(400, "clickData")
    return points[0]


def _drilled_code(code: object) -> str:
    """Return the code of a clicked unit, refused unless it may be a unit's code."""
    code = str(code) if isinstance(code, int) and not isinstance(code, bool) else code
    if not is_code(code):
        raise CallbackRefused(400, "code")
    return code


@callback(
    Output("url", "href", allow_duplicate=True),
    Input("children-grid", "cellClicked"),
    State("view", "data"),
    State("children-grid", "rowData"),
    prevent_initial_call=True,
)
def drill_from_table(cell, view_data, rows):
    """Open the child unit whose row was clicked (reference rows are not links)."""
    check_store(view_data)
    if not cell:
        raise PreventUpdate
    if not isinstance(cell, dict) or not isinstance(rows, (list, type(None))):
        raise CallbackRefused(400, "cellClicked")
    view = read_view(view_data, WITH_CHILDREN)
    if cell.get("rowPinned"):
        raise PreventUpdate
    code = _clicked_row(cell, rows or [])
    if not code:
        raise PreventUpdate
    return drill_url(view, view.ranked, _drilled_code(code))


def _clicked_row(cell: dict, rows: list) -> object:
    """Return the code of the row a cell belongs to (its id, else its position)."""
    row_id, index = cell.get("rowId"), cell.get("rowIndex")
    if row_id is not None:
        return row_id
    if isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(rows):
        row = rows[index]
        if not isinstance(row, dict):
            raise CallbackRefused(400, "rowData")
        return row.get("code")
    return None
