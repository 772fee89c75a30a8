"""Helpers shared by the data callbacks: reading the view, checking it, guarding stale pages.

The view store comes back from the browser with every callback request, so a forged
request can put anything in it. Every callback that reads it goes through
:func:`read_view` (or :func:`current_view`, which also guards stale pages): a malformed
store answers 400, a unit outside the caller's scope 403 (as the page itself refuses
it), an unknown unit 404, all without a traceback; the queries never see the request.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from dash.exceptions import PreventUpdate

from callbacks.access import current_scope
from dashboard.levels import CHILD_LEVEL, LEVELS
from dashboard.urls import BadParameter, View, from_store, read_sort, unit_from_store
from dashboard.web.callback_guard import CallbackRefused
from queries.database import pin_version
from queries.scope import OutOfScope
from queries.stats import available_years
from queries.units import UnknownUnit, get_unit

#: Levels whose page lists child units (a ranking, a drill), and the level of school pages.
WITH_CHILDREN: tuple[str, ...] = tuple(CHILD_LEVEL)
SCHOOL_ONLY: tuple[str, ...] = ("school",)


def current_view(view_data: object, page_unit: object,
                 levels: Collection[str] = LEVELS) -> View:
    """Return the view to draw, or stop if the page on screen shows another unit.

    When the URL moves to another unit, the view changes before the new page is laid out;
    drawing the new unit's numbers into the old page would flash wrong content. The view
    is then checked as :func:`read_view` does.
    """
    if view_data is None or page_unit is None:
        raise PreventUpdate
    page = _checked(unit_from_store, page_unit)
    view = _checked(from_store, view_data)
    if (view.level, view.code) != page:
        raise PreventUpdate
    return _allowed(view, view_data, levels)


def read_view(view_data: object, levels: Collection[str] = LEVELS) -> View:
    """Return the view of a callback request, checked.

    Refused with :class:`CallbackRefused`: a malformed store (400), a unit outside the
    caller's scope (403) or unknown (404). A level the callback does not draw (a school
    chart asked about the commune the browser is going back to) draws nothing. The data
    version the page was drawn from is then pinned for the rest of the request, so that
    every part of the page shows numbers of one build.
    """
    if view_data is None:
        raise PreventUpdate
    return _allowed(_checked(from_store, view_data), view_data, levels)


def sorted_view(view: View, sort_data: object) -> View:
    """Return the view in the order of the ``view-sort`` store; refuse a bad one (400)."""
    return replace(view, sort=_checked(read_sort, sort_data))


def check_store(view_data: object) -> None:
    """Refuse a malformed view store (400) without reading anything with it: for callbacks
    that read the view only once their own input says there is something to do."""
    if view_data is not None:
        _checked(from_store, view_data)


def unit_input(page_unit: object) -> tuple[str, str] | None:
    """Return the (level, code) a ``page-unit`` store holds, None when empty; refuse a
    malformed one (400). Nothing is read with it: checking scope is the reader's job."""
    return None if page_unit is None else _checked(unit_from_store, page_unit)


def _checked(reader, data: object):
    """Return ``reader(data)``; a bad value is refused with 400 naming the parameter."""
    try:
        return reader(data)
    except BadParameter as error:
        raise CallbackRefused(400, error.name) from None


def _allowed(view: View, view_data: dict, levels: Collection[str]) -> View:
    if view.filters.year not in available_years():
        raise CallbackRefused(400, "year")
    try:
        get_unit(view.level, view.code, current_scope())
    except OutOfScope:
        raise CallbackRefused(403, "code") from None
    except UnknownUnit:
        raise CallbackRefused(404, "code") from None
    if view.level not in levels:  # a component of the page being left, fired for the next
        raise PreventUpdate
    pin_version(view_data.get("version"))
    return view


def text_input(value: object, name: str) -> str | None:
    """Return an input that must be a string (or absent), or refuse the request (400)."""
    if value is None or isinstance(value, str):
        return value
    raise CallbackRefused(400, name)


def plain_input(value: object, name: str) -> str | int | float | None:
    """Return an input that must be a plain value (a dropdown's), or refuse it (400)."""
    if value is None or (isinstance(value, (str, int, float)) and not isinstance(value, bool)):
        return value
    raise CallbackRefused(400, name)


def count_input(value: object, name: str) -> int | None:
    """Return an input that must be a whole number (or absent), or refuse it (400)."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise CallbackRefused(400, name)
