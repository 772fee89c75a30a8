"""Helpers shared by the data callbacks: reading the view and guarding stale pages."""

from __future__ import annotations

from dash.exceptions import PreventUpdate

from dashboard.urls import View, from_store
from queries.database import pin_version


def current_view(view_data: dict | None, page_unit: dict | None) -> View:
    """Return the view to draw, or stop if the page on screen shows another unit.

    The data version the page was drawn from is pinned for the rest of the request, so
    that every part of the page shows numbers of one build. When the URL moves to another
    unit, the view changes before the new page is laid out; drawing the new unit's numbers
    into the old page would flash wrong content.
    """
    if not view_data or not page_unit:
        raise PreventUpdate
    pin_version(view_data.get("version"))
    view = from_store(view_data)
    if (view.level, view.code) != (page_unit["level"], page_unit["code"]):
        raise PreventUpdate
    return view
