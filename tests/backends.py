"""The servers a test suite runs on: embedded DuckDB, or PostgreSQL with a Redis cache.

The query-layer, API and access suites run once per backend. ``make test`` starts real
PostgreSQL and Redis servers (``scripts/services start``) and passes their addresses in
``PILOTAGE_TEST_POSTGRES_URL`` and ``PILOTAGE_TEST_REDIS_URL``.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

DUCKDB = "duckdb"
POSTGRES = "postgres"
BACKENDS = (DUCKDB, POSTGRES)
#: Test modules that run on every backend.
SERVER_SUITES = frozenset({"test_queries", "test_api", "test_auth", "test_privacy",
                           "test_consistency", "test_import", "test_import_api",
                           "test_import_roundtrip", "test_known_outcomes",
                           "test_quality_checks", "test_schooling"})
SERVICES = Path(__file__).resolve().parent.parent / "scripts" / "services"
NOT_STARTED = (
    "PostgreSQL and Redis test servers are not configured: run `make test`, or "
    "`scripts/services start` and export the lines of `scripts/services urls`"
)


class ServersMissing(RuntimeError):
    """The PostgreSQL or Redis test server is not configured."""


@dataclass(frozen=True)
class Backend:
    """Where a test's databases live and which cache its apps use."""

    name: str

    @property
    def postgres_url(self) -> str:
        return _required("PILOTAGE_TEST_POSTGRES_URL")

    @property
    def redis_url(self) -> str:
        """The shared cache of this test process: a Redis database of its own per xdist
        worker (``gw0`` reads database 1), so that one worker's flush spares the other."""
        url = make_url(_required("PILOTAGE_TEST_REDIS_URL"))
        return url.set(database=str(_worker_number() + 1)).render_as_string(
            hide_password=False)

    def database_url(self, folder: Path, name: str) -> str:
        """Return the URL of a new, empty database called ``name``."""
        if self.name == DUCKDB:
            return f"duckdb:///{folder / (name + '.duckdb')}"
        name = f"{name}_w{_worker_number()}"  # each xdist worker has databases of its own
        admin = sa.create_engine(self.postgres_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return make_url(self.postgres_url).set(database=name).render_as_string(
            hide_password=False)

    def app_settings(self) -> dict[str, str]:
        """Settings an app on this backend gets on top of its own."""
        if self.name == DUCKDB:
            return {}
        return {"PILOTAGE_CACHE_TYPE": "RedisCache", "PILOTAGE_CACHE_REDIS_URL": self.redis_url}

    def flush_cache(self) -> None:
        """Empty the shared cache, so that no run reads results of an earlier one."""
        if self.name == POSTGRES:
            import redis

            redis.Redis.from_url(self.redis_url).flushdb()


def _worker_number() -> int:
    """Return the number of this pytest-xdist worker (``gw1`` is 1), 0 without xdist."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(worker.removeprefix("gw") or 0)


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise ServersMissing(NOT_STARTED)
    return value


def services(command: str) -> None:
    """Run ``scripts/services <command>`` (stop or start one test server)."""
    subprocess.run([str(SERVICES), command], check=True, capture_output=True, timeout=120)
