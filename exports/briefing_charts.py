"""The briefing's chart images: the map and the trend, rendered once for both layouts."""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go

from exports import renderer
from exports.briefing import Briefing

#: Chart images: CSS pixels of the figure and the device scale (PNG pixels = size x scale).
MAP_SIZE = (1000, 780)


TREND_SIZE = (1400, 520)


IMAGE_SCALE = 2.0


#: Font size of exported charts (CSS pixels): readable once the image fills a slide.
CHART_FONT_SIZE = 17


@dataclass(frozen=True)
class Charts:
    """The briefing's chart images as PNG bytes (None where the slide has no chart)."""

    map_png: bytes | None
    trend_png: bytes | None


def render_charts(content: Briefing) -> Charts:
    """Render the map and the trend once, for the slides or the pages.

    Raises :class:`exports.renderer.RenderError` when the renderer fails.
    """
    map_png = trend_png = None
    if content.map_figure is not None:
        map_png = renderer.render(_for_print(content.map_figure, {"r": 10}), "png",
                                  *MAP_SIZE, IMAGE_SCALE)
    if content.trend_figure is not None:
        trend_png = renderer.render(
            _for_print(content.trend_figure, {"l": 10, "r": 20, "t": 20, "b": 10}), "png",
            *TREND_SIZE, IMAGE_SCALE)
    return Charts(map_png, trend_png)


def _for_print(figure: go.Figure, margin: dict) -> go.Figure:
    """Return a copy of a screen figure sized for a slide: larger type, white paper."""
    printed = go.Figure(figure)
    printed.update_layout(font={"size": CHART_FONT_SIZE}, paper_bgcolor="white",
                          margin=margin, legend={"font": {"size": CHART_FONT_SIZE}})
    for trace in printed.data:
        # One value makes a colour bar of an arbitrary range: the panel gives the value.
        if trace.type == "choropleth" and trace.z is not None and len(set(trace.z)) < 2:
            trace.showscale = False
    return printed
