"""Shared fixtures: small generated databases and apps bound to them."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from dashboard import create_app
from dashboard.build import build
from dashboard.db import make_engine
from dashboard.generate import generate

TINY_YEARS = [2021, 2022, 2023, 2024]


def make_database(folder: Path, scale: str, years: list[int], seed: int = 7) -> str:
    """Generate and build a database of ``scale`` in ``folder``; return its URL."""
    url = f"duckdb:///{folder / 'pilotage.duckdb'}"
    engine = make_engine(url)
    generate(engine, scale, years, seed)
    build(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def tiny_url(tmp_path_factory) -> str:
    """A built tiny database, shared by the whole session (read it, never write it)."""
    return make_database(tmp_path_factory.mktemp("tiny"), "tiny", TINY_YEARS)


@pytest.fixture(scope="session")
def tiny_engine(tiny_url):
    """A read-only engine on the tiny database, for tests that check with plain SQL."""
    engine = make_engine(tiny_url, read_only=True)
    yield engine
    engine.dispose()


def query(engine: sa.Engine, sql: str, **params) -> list[tuple]:
    """Run plain SQL written in the test itself and return all rows."""
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(sa.text(sql), params)]


@pytest.fixture(scope="session")
def tiny_app(tiny_url, tmp_path_factory):
    """The Dash app on the tiny database."""
    data_dir = tmp_path_factory.mktemp("data")
    return create_app({"PILOTAGE_DATABASE_URL": tiny_url, "PILOTAGE_DATA_DIR": str(data_dir)})


@pytest.fixture()
def client(tiny_app):
    """A Flask test client on the tiny app."""
    return tiny_app.server.test_client()
