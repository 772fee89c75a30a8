"""Callbacks: inputs in, figures and tables out, through the panels only.

Importing a module declares its callbacks; :func:`register` gives them all to an app.
"""

from __future__ import annotations

import dash

from callbacks import (  # noqa: F401
    availability,
    exports_ui,
    imports,
    navigation,
    panels,
    quality,
    search,
    unit,
    wiring,
)


def register(app: dash.Dash) -> None:
    """Add every callback of the dashboard to ``app``."""
    wiring.register(app)
