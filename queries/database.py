"""Running selects against the app's engine, and the published data version."""

from __future__ import annotations

import threading
import time

import pandas as pd
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.engine import Engine

from dashboard.analytics_schema import data_version as data_version_table

ENGINE_KEY = "pilotage.engine"
VERSION_TTL_SECONDS = 2.0
NOT_BUILT = "the analytics tables are not built: run `python -m dashboard build`"


class DataNotReady(RuntimeError):
    """The analytics tables have not been built yet."""


def engine() -> Engine:
    """Return the engine of the running app."""
    return current_app.extensions[ENGINE_KEY]


def read(select: sa.Select) -> pd.DataFrame:
    """Run a select with bound parameters and return its rows as a DataFrame."""
    with engine().connect() as conn:
        result = conn.execute(select)
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


_version_lock = threading.Lock()
_version_seen: dict[int, tuple[float, int]] = {}


def data_version() -> int:
    """Return the published data version, re-read at most every couple of seconds."""
    key = id(engine())
    now = time.monotonic()
    with _version_lock:
        seen = _version_seen.get(key)
        if seen and now - seen[0] < VERSION_TTL_SECONDS:
            return seen[1]
    try:
        with engine().connect() as conn:
            latest = sa.select(sa.func.max(data_version_table.c.version))
            version = conn.execute(latest).scalar()
    except sa.exc.ProgrammingError as error:
        raise DataNotReady(NOT_BUILT) from error
    if version is None:
        raise DataNotReady(NOT_BUILT)
    with _version_lock:
        _version_seen[key] = (now, version)
    return version


def forget_version() -> None:
    """Drop the remembered data version (tests call this after a rebuild)."""
    with _version_lock:
        _version_seen.clear()
