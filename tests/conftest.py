"""Shared fixtures: small generated databases and apps bound to them."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from dashboard import create_app
from dashboard.data.build import DEFAULT_THRESHOLD, build
from dashboard.data.generate import generate
from dashboard.db import make_engine
from tests.backends import BACKENDS, DUCKDB, POSTGRES, SERVER_SUITES, Backend

TINY_YEARS = [2021, 2022, 2023, 2024]


def pytest_generate_tests(metafunc) -> None:
    """Run the server suites once on DuckDB and once on PostgreSQL with Redis."""
    module = metafunc.module.__name__.rsplit(".", 1)[-1]
    if "backend" in metafunc.fixturenames and module in SERVER_SUITES:
        metafunc.parametrize("backend", BACKENDS, indirect=True, scope="session")


@pytest.fixture(scope="session")
def backend(request) -> Backend:
    """The database and cache servers of this test (DuckDB alone unless parametrized)."""
    chosen = Backend(getattr(request, "param", DUCKDB))
    chosen.flush_cache()
    return chosen


def make_database(folder: Path, scale: str, years: list[int], seed: int = 7,
                  backend: Backend | None = None, name: str = "pilotage",
                  threshold: int = DEFAULT_THRESHOLD) -> str:
    """Generate and build a database of ``scale``; return its URL.

    DuckDB databases are files in ``folder``; PostgreSQL ones are created afresh. The
    stored suppression pattern is decided under ``threshold`` (0 stores none, for tests
    that read only the raw tables).
    """
    url = (backend or Backend(DUCKDB)).database_url(folder, name)
    engine = make_engine(url)
    generate(engine, scale, years, seed)
    build(engine, threshold)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def tiny_url(tmp_path_factory, backend) -> str:
    """A built tiny database, shared by the whole session (read it, never write it)."""
    return make_database(tmp_path_factory.mktemp("tiny"), "tiny", TINY_YEARS,
                         backend=backend, name="pilotage_tiny")


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


def bac_candidates_by_commune(engine: sa.Engine, province: str, year: int) -> dict[str, int]:
    """Plain SQL: the communes of a province whose pupils of ``year`` sat the bac, and how
    many did."""
    return dict(query(engine, """
        SELECT s.commune_code, count(*) FROM exam_result x
        JOIN enrollment e ON e.massar_code = x.massar_code AND e.school_year = x.school_year
        JOIN school s ON s.code = e.school_code JOIN commune c ON c.code = s.commune_code
        WHERE x.school_year = :year AND x.exam = 'BAC' AND c.province_code = :province
        GROUP BY s.commune_code""", year=year, province=province))


#: Accounts of the test app: (username, role, scope code); the password is shared.
PASSWORD = "correct-horse-battery"
ACCOUNTS = (
    ("national", "national", "MA"),
    ("region6", "region", "6"),
    ("region1", "region", "1"),
    ("province141", "province", "141"),
    ("province81", "province", "81"),
)


def make_app(url: str, data_dir: Path, backend: Backend,
             accounts: tuple[tuple[str, str, str], ...] = ACCOUNTS, **settings: str):
    """Create an app on ``url`` with its own state database, ``accounts`` and settings."""
    from dashboard.app_state import state_of
    from dashboard.web.auth.users import add_user

    app = create_app({
        "PILOTAGE_DATABASE_URL": url,
        "PILOTAGE_DATA_DIR": str(data_dir),
        "PILOTAGE_STATE_DATABASE_URL": f"sqlite:///{data_dir / 'state.sqlite'}",
        "PILOTAGE_LOGIN_RATE_LIMIT": "10000 per minute",
        **backend.app_settings(),
        **settings,
    })
    state = state_of(app.server).state_engine
    for username, role, scope in accounts:
        add_user(state, username, PASSWORD, role, scope)
    return app


@pytest.fixture(scope="session")
def tiny_app(tiny_url, backend, tmp_path_factory):
    """The Dash app on the tiny database, with one account per role."""
    return make_app(tiny_url, tmp_path_factory.mktemp("data"), backend)


@pytest.fixture(scope="module")
def postgres() -> Backend:
    """PostgreSQL with Redis, for the tests of the production stack only, cache emptied."""
    chosen = Backend(POSTGRES)
    chosen.flush_cache()
    return chosen


def log_in(client, username: str = "national", password: str = PASSWORD):
    """Log a test client in through the login form; return the response."""
    return client.post("/login", data={"username": username, "password": password})


def client_as(app, username: str = "national"):
    """Return a test client of ``app`` logged in as ``username``."""
    client = app.server.test_client()
    assert log_in(client, username).status_code == 302
    return client


@pytest.fixture()
def client(tiny_app):
    """A Flask test client on the tiny app, logged in as a national user."""
    client = tiny_app.server.test_client()
    response = log_in(client)
    assert response.status_code == 302, response.data[:300]
    return client


@contextmanager
def request_as(app, username: str = "national", path: str = "/"):
    """Open a request context in which ``username`` is logged in (to call callbacks), on
    ``path`` (``/?lang=ar`` for the Arabic interface)."""
    from flask_login import login_user

    from dashboard.app_state import state_of
    from dashboard.web.auth.users import get_account
    from dashboard.web.auth.web import User

    with app.server.test_request_context(path):
        state = state_of(app.server).state_engine
        login_user(User(get_account(state, username)))
        yield


def printed(text: str) -> str:
    """Return a French text as the interface prints it: its apostrophes typographic (’)."""
    return text.replace("'", "\u2019")
