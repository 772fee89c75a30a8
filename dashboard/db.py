"""The database engine: one per app or command, built from the configured URL."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

CONNECT_TIMEOUT_SECONDS = 3


class DatabaseError(RuntimeError):
    """The schooling database cannot be opened or is not ready."""


def make_engine(url: str, read_only: bool = False) -> Engine:
    """Create an engine for ``url``; DuckDB files get their folder created first."""
    parsed = make_url(url)
    connect_args: dict = {}
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    if parsed.get_backend_name() == "duckdb":
        database = parsed.database or ":memory:"
        if database != ":memory:":
            if read_only and not Path(database).exists():
                raise DatabaseError(
                    f"database file {database} does not exist: run `python -m dashboard "
                    "generate` and `python -m dashboard build` first"
                )
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        if read_only:
            connect_args["read_only"] = True
    options: dict = {}
    if parsed.get_backend_name() == "postgresql":
        # A server that went away is noticed at checkout, not halfway through a page; one
        # that does not answer fails within seconds instead of holding a worker.
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
        options["pool_pre_ping"] = True
    return sa.create_engine(parsed, connect_args=connect_args, **options)


def backend_name(engine: Engine) -> str:
    """Return ``duckdb`` or ``postgresql``: the dialect family of ``engine``."""
    return engine.dialect.name
