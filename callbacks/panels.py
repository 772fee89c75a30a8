"""Every panel drawn as a figure on screen: one callback each, wired in one loop.

Each callback reads the view once (checked against the caller's scope), asks its panel
for the rows, and returns the panel's figure: the same calls as the panel's files and
the briefing.
"""

from __future__ import annotations

from collections.abc import Callable

from dash import Input, Output

from callbacks.access import current_scope
from callbacks.common import current_view
from callbacks.wiring import callback
from panels import registry
from panels.base import Panel

VIEW_INPUTS = [Input("view", "data"), Input("page-unit", "data")]


def _drawer(panel: Panel) -> Callable[[object, object], object]:
    def draw(view_data, page_unit):
        view = current_view(view_data, page_unit, panel.screen_levels or panel.levels)
        return registry.draw(panel.id, view, current_scope())

    draw.__name__ = f"draw_{panel.id.replace('-', '_')}"
    draw.__doc__ = f"Draw the panel {panel.id!r} of the view on screen."
    return draw


#: The callback drawing each figure panel, by panel id.
DRAW: dict[str, Callable[[object, object], object]] = {}
for _panel in registry.FIGURES:
    DRAW[_panel.id] = callback(Output(_panel.id, "figure"), *VIEW_INPUTS)(_drawer(_panel))
