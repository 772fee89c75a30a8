"""What one app holds: its configuration, its databases and its page's script hashes.

One object per app, registered as a Flask extension (``init_app``) and read back with
:func:`app_state` inside a request or app context, or :func:`state_of` from a server.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import Flask, current_app

from dashboard.config import Config

EXTENSION = "pilotage"


@dataclass
class AppState:
    """The configuration and databases of one app."""

    config: Config
    #: The schooling database, read only.
    engine: sa.Engine
    #: The read-write database of accounts, sessions and the audit log.
    state_engine: sa.Engine
    #: Hashes of the only inline scripts a page may run (the Content-Security-Policy).
    csp_hashes: list[str] = field(default_factory=list)

    def init_app(self, server: Flask) -> None:
        """Register this state as ``server``'s extension."""
        server.extensions[EXTENSION] = self


def app_state() -> AppState:
    """Return the state of the app serving the current request or command."""
    return current_app.extensions[EXTENSION]


def state_of(server: Flask) -> AppState:
    """Return the state of ``server``."""
    return server.extensions[EXTENSION]
