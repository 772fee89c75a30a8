"""A unit page's heading, indicator cards and ranking grid (the figures: ``callbacks.panels``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from callbacks.access import current_scope
from callbacks.common import WITH_CHILDREN, current_view, read_view, sorted_view
from callbacks.panels import VIEW_INPUTS
from callbacks.wiring import callback, clientside_callback
from dashboard.formatting import school_year_label
from dashboard.i18n import _, unit_name
from dashboard.levels import LEVEL_LABELS
from dashboard.urls import BadParameter, drill_url, quality_url, read_rank, view_search
from dashboard.web.callback_guard import CallbackRefused
from layouts.shell import CHOICE_LABELS
from layouts.unit_page import map_title, rank_options, ranking_title, unit_names
from panels import registry
from panels.context import body as context_body
from panels.map import map_level
from queries import NATIONAL_SCOPE, OutOfScope
from queries.units import ancestors, get_unit


def breadcrumb(row: dict, href: Callable[[str, str], str]) -> list:
    """Return the path from the nation to a unit: ``href(level, code)`` links each ancestor
    in the caller's scope; above a scoped user's root, a name is context, not a link."""
    crumbs = []
    for level, code in ancestors(row):
        name = unit_name(get_unit(level, code, NATIONAL_SCOPE))
        try:
            get_unit(level, code, current_scope())
            crumbs.append(dcc.Link(name, href=href(level, code), className="crumb"))
        except OutOfScope:
            crumbs.append(html.Span(name, className="crumb crumb-context"))
        crumbs.append(html.Span("›", className="crumb-sep", **{"aria-hidden": "true"}))
    crumbs.append(html.Span(unit_name(row), className="crumb crumb-current",
                            **{"aria-current": "page"}))
    return crumbs


@callback(
    Output("breadcrumb", "children"),
    Output("view-subtitle", "children"),
    Output("unit-level", "children"),
    Output("unit-title", "children"),
    *VIEW_INPUTS,
)
def update_heading(view_data, page_unit):
    """Name the unit, show the path from the nation to it and the filters in force."""
    view = current_view(view_data, page_unit)
    row = get_unit(view.level, view.code, current_scope())
    crumbs = breadcrumb(row, lambda level, code: drill_url(view, level, code))
    parts = [_("Année scolaire {year}", year=school_year_label(view.filters.year))]
    for name, labels in CHOICE_LABELS.items():
        value = getattr(view.filters, name)
        if value != "all":
            parts.append(_(dict(labels)[value]))
    return crumbs, " · ".join(parts), _(LEVEL_LABELS[row["level"]]), unit_names(row)


@callback(
    Output("unit-quality-link", "href"),
    *VIEW_INPUTS,
)
def link_quality(view_data, page_unit):
    """Point the heading's link at the unit's data-quality view, with the same filters."""
    view = current_view(view_data, page_unit)
    return quality_url(replace(view, rank=None, sort=None))


@callback(
    Output("map-title", "children"),
    Output("table-title", "children"),
    Output("unit-page", "data-level"),
    Output("rank-level", "options"),
    Output("rank-level", "value"),
    *VIEW_INPUTS,
)
def name_sections(view_data, page_unit):
    """Name the level a territorial page maps and ranks, and offer the levels it may rank
    (the page stays mounted on drills)."""
    view = current_view(view_data, page_unit, WITH_CHILDREN)
    return (map_title(map_level(view)), ranking_title(view.ranked), view.level,
            rank_options(view.level), view.ranked)


@callback(
    Output("url", "search", allow_duplicate=True),
    Input("rank-level", "value"),
    State("view", "data"),
    State("view-sort", "data"),
    prevent_initial_call=True,
)
def choose_rank(level, view_data, sort_data=None):
    """Rank (and map) the level the user picked: it goes into the address, like a filter."""
    view = sorted_view(read_view(view_data, WITH_CHILDREN), sort_data)
    if level is None:
        raise PreventUpdate
    try:
        rank = read_rank(view.level, level)
    except BadParameter:
        raise CallbackRefused(400, "rank") from None
    if rank == view.rank:
        raise PreventUpdate
    return view_search(replace(view, rank=rank))


@callback(
    Output("kpi-row", "children"),
    Output("empty-notice", "children"),
    *VIEW_INPUTS,
)
def update_kpis(view_data, page_unit):
    """Fill one card per indicator with its value and change against last year."""
    view = current_view(view_data, page_unit)
    return registry.BY_ID["kpis"].cards(view, registry.rows_of("kpis", view, current_scope()))


@callback(
    Output("context-body", "children"),
    *VIEW_INPUTS,
)
def update_context(view_data, page_unit):
    """Fill the unit's census context (a school's: its commune's)."""
    view = current_view(view_data, page_unit)
    scope = current_scope()
    commune = None
    if view.level == "school":
        commune = get_unit(view.level, view.code, scope)["commune_code"]
        commune = get_unit("commune", commune, NATIONAL_SCOPE)["name_fr"]
    return context_body(view, registry.rows_of("context", view, scope), commune)


@callback(
    Output("children-grid", "rowData"),
    Output("children-grid", "columnDefs"),
    Output("children-grid", "pinnedBottomRowData"),
    *VIEW_INPUTS,
    Input("view-sort", "data"),
)
def update_ranking(view_data, page_unit, sort_data=None):
    """Rank the unit's children by the selected indicator, with reference rows below, in
    the order of the address."""
    view = sorted_view(current_view(view_data, page_unit, WITH_CHILDREN), sort_data)
    return registry.BY_ID["ranking"].grid(view, registry.rows_of("ranking", view,
                                                                  current_scope()))


clientside_callback(
    # A sort the user clicks goes into the address (``sort=change``, ``sort=-change``);
    # the grid's own columns say which sort came from the address, so a grid redrawn for
    # another view writes nothing.
    """function (state, columns, search) {
        const none = window.dash_clientside.no_update;
        const sorted = (items) => (items || []).filter((c) => c.sort)
            .sort((a, b) => (a.sortIndex || 0) - (b.sortIndex || 0))[0];
        const clicked = sorted(state);
        const given = sorted((columns || []).map((c) => ({colId: c.field, sort: c.sort})));
        if (!clicked || !columns) { return none; }
        if (given && clicked.colId === given.colId && clicked.sort === given.sort) {
            return none;
        }
        let order = (clicked.sort === "desc" ? "-" : "") + clicked.colId;
        const params = new URLSearchParams(search || "");
        if (order === "-value") { params.delete("sort"); } else { params.set("sort", order); }
        const next = "?" + params.toString();
        return next === (search || "") ? none : next;
    }""",
    Output("url", "search", allow_duplicate=True),
    Input("children-grid", "columnState"),
    State("children-grid", "columnDefs"),
    State("url", "search"),
    prevent_initial_call=True,
)
