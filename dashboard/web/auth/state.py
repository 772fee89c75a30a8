"""The application's state database (accounts, sessions, audit) and who is asking."""

from __future__ import annotations

import sqlalchemy as sa
from flask_login import current_user

from dashboard.app_state import app_state


def state_engine() -> sa.Engine:
    """Return the engine of the application's state database."""
    return app_state().state_engine


def current_username() -> str | None:
    """Return the logged-in user's name, if any."""
    return current_user.account.username if current_user.is_authenticated else None
