"""The header's search: units inside the user's scope, as links keeping the view's filters."""

from __future__ import annotations

from dash import Input, Output, State

from callbacks.access import current_scope
from callbacks.common import check_store, read_view, text_input
from callbacks.wiring import callback
from dashboard.urls import drill_url, unit_path
from layouts.shell import search_results
from queries.search import FEWEST_LETTERS, find_units


@callback(
    Output("search-results", "children"),
    Output("search-results", "hidden"),
    Input("search-box", "value"),
    State("view", "data"),
)
def search(text, view_data):
    """List the units whose name or code matches what the user typed.

    The box is emptied when the page moves: the view may then still be the page's being
    left, so it is read only once there is something to search for.
    """
    check_store(view_data)
    text = (text_input(text, "search-box") or "").strip()
    if len(text) < FEWEST_LETTERS:
        return [], True
    view = read_view(view_data) if view_data is not None else None
    found = find_units(text, current_scope())
    links = [drill_url(view, unit["level"], unit["code"]) if view
             else unit_path(unit["level"], unit["code"]) for unit in found]
    return search_results(found, links, text), False
