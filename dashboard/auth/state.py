"""The application's state database (accounts, sessions, audit) and who is asking."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_login import current_user

STATE_ENGINE_KEY = "pilotage.state_engine"


def state_engine() -> sa.Engine:
    """Return the engine of the application's state database."""
    return current_app.extensions[STATE_ENGINE_KEY]


def current_username() -> str | None:
    """Return the logged-in user's name, if any."""
    return current_user.account.username if current_user.is_authenticated else None
