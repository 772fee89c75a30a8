"""Running selects against the app's engine, and the published data version."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import pandas as pd
import sqlalchemy as sa
from flask import g, has_request_context
from sqlalchemy.engine import Engine

from dashboard.app_state import app_state
from dashboard.data.analytics_schema import data_version as data_version_table

VERSION_TTL_SECONDS = 2.0
NOT_BUILT = "the analytics tables are not built: run `python -m dashboard build`"
UNREACHABLE = "the schooling database cannot be reached for the moment; try again shortly"
#: Errors that mean the database server is away (down, restarting, out of connections).
CONNECTION_ERRORS = (sa.exc.OperationalError, sa.exc.InterfaceError)


class DataNotReady(RuntimeError):
    """The analytics tables have not been built yet."""


class DataUnavailable(DataNotReady):
    """The schooling database cannot be reached; it may come back at any moment."""


class VersionChanged(DataNotReady):
    """A new data version was published while a result was being read."""


class ViewOutdated(VersionChanged):
    """The page on screen shows a data version that is no longer published."""


REPUBLISHED = "a new version of the data was just published; try again"


def engine() -> Engine:
    """Return the engine of the running app."""
    return app_state().engine


@contextmanager
def _connection() -> Iterator[sa.Connection]:
    """Open a connection; a server that cannot be reached raises :class:`DataUnavailable`."""
    try:
        with engine().connect() as conn:
            yield conn
    except CONNECTION_ERRORS as error:
        raise DataUnavailable(UNREACHABLE) from error


#: Rows from which a result is handed to pandas as plain tuples.
LARGE_RESULT = 5000


def read(select: sa.Select) -> pd.DataFrame:
    """Run a select with bound parameters and return its rows as a DataFrame."""
    with _connection() as conn:
        result = conn.execute(select)
        columns = list(result.keys())
        rows = result.fetchall()
        if len(rows) > LARGE_RESULT:
            # plain tuples: pandas asks every Row whether it is a named tuple, and a Row
            # answers through SQLAlchemy's slow path for unknown attributes (seconds for
            # the half a million rows of a year's suppression pattern)
            rows = [tuple(row) for row in rows]
        return pd.DataFrame(rows, columns=columns)


_version_lock = threading.Lock()
_version_seen: dict[int, tuple[float, int]] = {}


_reading: ContextVar[int | None] = ContextVar("pilotage_reading_version", default=None)


@contextmanager
def reading_version(version: int) -> Iterator[None]:
    """Read ``version`` (and no other) for the duration of one computation."""
    token = _reading.set(version)
    try:
        yield
    finally:
        _reading.reset(token)


def pin_version(version: int | None) -> None:
    """Read the data of ``version`` for the rest of this request (the page's own version).

    A page records the version it was drawn from; its callbacks pin it so that every part
    of the page shows numbers of one build, even while a new one is published.
    """
    g.pilotage_pinned_version = version


def pinned_version() -> int | None:
    """Return the version pinned for this request, if any."""
    return g.get("pilotage_pinned_version") if has_request_context() else None


def data_version() -> int:
    """Return the data version to read: the page's pinned one, else the published one.

    The published version is re-read at most every couple of seconds.
    While the database is unreachable the last version seen is kept, so that results
    already cached still serve; a worker that never saw one raises :class:`DataUnavailable`.
    """
    chosen = _reading.get()
    if chosen is None:
        chosen = pinned_version()
    if chosen is not None:
        return chosen
    key = id(engine())
    now = time.monotonic()
    with _version_lock:
        seen = _version_seen.get(key)
        if seen and now - seen[0] < VERSION_TTL_SECONDS:
            return seen[1]
    try:
        return refresh_version()
    except DataUnavailable:
        if seen:
            return seen[1]
        raise


def refresh_version() -> int:
    """Read the published version now (not the one remembered) and remember it."""
    version = latest_version()
    with _version_lock:
        _version_seen[id(engine())] = (time.monotonic(), version)
    return version


def latest_version() -> int:
    """Read the published data version from the database, without remembering it."""
    try:
        with _connection() as conn:
            version = conn.execute(sa.select(sa.func.max(data_version_table.c.version))).scalar()
    except sa.exc.ProgrammingError as error:
        raise DataNotReady(NOT_BUILT) from error
    if version is None:
        raise DataNotReady(NOT_BUILT)
    return version


def forget_version() -> None:
    """Drop the remembered data version (tests call this after a rebuild)."""
    with _version_lock:
        _version_seen.clear()
