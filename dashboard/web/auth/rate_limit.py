"""The login rate limit, counted once for every worker and server.

Flask-Limiter keeps its counters in Redis when the app's cache is Redis (the shared,
production set-up), else in the state database (:class:`StateDatabaseStorage`, a
``limits`` storage over the ``rate_limit`` table), so that the configured number of
attempts holds over all gunicorn workers rather than in each one's memory. While the
storage cannot be reached, each worker counts in memory and logs it once.
"""

from __future__ import annotations

import hashlib
import time

import sqlalchemy as sa
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits.storage import Storage
from sqlalchemy.engine import Engine

from dashboard.config import Config
from dashboard.web.auth.schema import rate_limits, upsert

#: The ``limits`` scheme of :class:`StateDatabaseStorage` (its engine comes in the options).
STATE_SCHEME = "pilotage-state"
#: Seconds a Redis connection or command may take before the limiter counts in memory.
REDIS_TIMEOUT = 0.5
#: Expired counters are deleted on every this many increments of a worker.
PRUNE_EVERY = 100


class StateDatabaseStorage(Storage):
    """Fixed-window counters in the state database, shared by every process using it."""

    STORAGE_SCHEME = [STATE_SCHEME]

    def __init__(self, uri: str | None = None, engine: Engine | None = None,
                 wrap_exceptions: bool = False, **options: float | str | bool):
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        if engine is None:
            raise ValueError("StateDatabaseStorage needs the state database's engine")
        self.engine = engine
        self._increments = 0

    @property
    def base_exceptions(self) -> type[Exception]:
        return sa.exc.SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add ``amount`` to the counter of ``key``, restarting it if its window is over."""
        now = time.time()
        expired = rate_limits.c.expires_at <= now
        with self.engine.begin() as conn:
            statement = upsert(conn, rate_limits,
                               {"key": key, "hits": amount, "expires_at": now + expiry}, {
                                   "hits": sa.case((expired, amount),
                                                   else_=rate_limits.c.hits + amount),
                                   "expires_at": sa.case((expired, now + expiry),
                                                         else_=rate_limits.c.expires_at),
                               })
            hits = conn.execute(statement.returning(rate_limits.c.hits)).scalar_one()
        self._increments += 1
        if self._increments % PRUNE_EVERY == 0:
            self._prune(now)
        return int(hits)

    def get(self, key: str) -> int:
        """Return the counter of ``key`` in its current window (0 when none)."""
        with self.engine.connect() as conn:
            hits = conn.execute(sa.select(rate_limits.c.hits).where(
                rate_limits.c.key == key, rate_limits.c.expires_at > time.time())).scalar()
        return int(hits or 0)

    def get_expiry(self, key: str) -> float:
        """Return when the window of ``key`` ends (now when it has none)."""
        with self.engine.connect() as conn:
            ends = conn.execute(sa.select(rate_limits.c.expires_at).where(
                rate_limits.c.key == key)).scalar()
        return max(float(ends or 0), time.time())

    def check(self) -> bool:
        """Return whether the state database answers."""
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.select(1))
        except sa.exc.SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        """Delete every counter."""
        with self.engine.begin() as conn:
            return conn.execute(rate_limits.delete()).rowcount

    def clear(self, key: str) -> None:
        """Delete the counter of ``key``."""
        with self.engine.begin() as conn:
            conn.execute(rate_limits.delete().where(rate_limits.c.key == key))

    def _prune(self, now: float) -> None:
        with self.engine.begin() as conn:
            conn.execute(rate_limits.delete().where(rate_limits.c.expires_at <= now))


def make_limiter(config: Config, state_engine: Engine) -> Limiter:
    """Return a Flask-Limiter counting per client address in the shared storage."""
    prefix = hashlib.sha256(config.state_database_url.encode()).hexdigest()[:12]
    if config.cache_type == "RedisCache":
        storage = {"storage_uri": config.cache_redis_url,
                   "storage_options": {"socket_connect_timeout": REDIS_TIMEOUT,
                                       "socket_timeout": REDIS_TIMEOUT}}
    else:
        storage = {"storage_uri": f"{STATE_SCHEME}://",
                   "storage_options": {"engine": state_engine}}
    return Limiter(key_func=get_remote_address, default_limits=[], strategy="fixed-window",
                   key_prefix=f"pilotage:{prefix}", in_memory_fallback_enabled=True,
                   **storage)
