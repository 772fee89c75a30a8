"""One long-lived chart renderer: kaleido driving the system Chromium.

Starting Chromium costs about 1.5 s, so the renderer starts once per process, on the
first export, and then answers each image in a fraction of a second. Nothing is
fetched from outside: plotly.js comes from the installed plotly package, MathJax is
off and geo charts use the project's empty base-map files.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import kaleido
import plotly.graph_objects as go

log = logging.getLogger(__name__)

FORMATS = ("png", "svg", "pdf")
TOPOJSON_DIR = Path(__file__).resolve().parent.parent / "assets" / "topojson"
RENDER_TIMEOUT_SECONDS = 60

_lock = threading.Lock()
_started = False


class RenderError(RuntimeError):
    """The chart renderer could not produce the image."""


def _start() -> None:
    global _started
    if not _started:
        kaleido.start_sync_server(n=1, timeout=RENDER_TIMEOUT_SECONDS, mathjax=False,
                                  silence_warnings=True)
        _started = True


def render(figure: go.Figure, fmt: str = "png", width: int = 1200, height: int = 675,
           scale: float = 2.0) -> bytes:
    """Return the figure as PNG, SVG or PDF bytes.

    A failure restarts the renderer on the next call and raises :class:`RenderError`;
    the app keeps serving.
    """
    global _started
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    options = {"format": fmt, "width": width, "height": height, "scale": scale}
    with _lock:  # one Chromium tab: requests take turns
        try:
            _start()
            return kaleido.calc_fig_sync(figure, opts=options,
                                         topojson=TOPOJSON_DIR.as_uri() + "/")
        except Exception as error:  # the renderer is a separate browser: anything can fail
            log.exception("chart rendering failed")
            try:
                kaleido.stop_sync_server(silence_warnings=True)
            except Exception:  # noqa: BLE001 - already broken; start afresh next time
                log.warning("could not stop the chart renderer cleanly")
            _started = False
            raise RenderError("the chart renderer failed; try again in a moment") from error


def stop() -> None:
    """Stop the renderer (tests and shutdown)."""
    global _started
    with _lock:
        if _started:
            kaleido.stop_sync_server(silence_warnings=True)
            _started = False
