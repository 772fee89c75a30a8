"""When the schooling database is away: a banner, a periodic check, a refresh on return."""

from __future__ import annotations

import logging

from dash import Input, Output, State, no_update, set_props
from dash.exceptions import PreventUpdate

from callbacks.common import count_input
from callbacks.wiring import callback
from layouts.shell import RETRY_MILLISECONDS
from queries.database import DataNotReady, DataUnavailable, ViewOutdated, latest_version

#: A page drawn from a build that was just replaced redraws itself this soon.
REDRAW_MILLISECONDS = 200

log = logging.getLogger(__name__)


def show_unavailable() -> None:
    """Show the banner and start checking for the database's return."""
    set_props("data-banner", {"hidden": False})
    set_props("data-retry", {"disabled": False})


def on_callback_error(error: Exception):
    """Handle an error raised by any callback: a lost database shows the banner.

    The outputs of the failed callback keep what they showed; any other error is
    raised again for Dash to answer with a plain 500.
    """
    if isinstance(error, DataUnavailable):
        log.warning("schooling database unreachable during a callback")
        show_unavailable()
        return None
    if isinstance(error, ViewOutdated):  # a new build was published: redraw the whole page
        set_props("data-retry", {"disabled": False, "interval": REDRAW_MILLISECONDS})
        return None
    raise error


@callback(
    Output("data-banner", "hidden"),
    Output("data-retry", "disabled"),
    Output("data-epoch", "data"),
    Output("data-retry", "interval"),
    Input("data-retry", "n_intervals"),
    State("data-epoch", "data"),
    prevent_initial_call=True,
)
def check_database(_intervals, epoch):
    """While the banner shows (or a new build is out), check the database; when it
    answers, redraw the page from the version now published."""
    epoch = count_input(epoch, "data-epoch")
    try:
        latest_version()
    except DataUnavailable:
        raise PreventUpdate from None
    except DataNotReady:
        return no_update, True, no_update, RETRY_MILLISECONDS
    return True, True, (epoch or 0) + 1, RETRY_MILLISECONDS
