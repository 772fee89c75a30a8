"""A Redis cache shared by every worker, with a local fallback while Redis is away.

A worker that cannot reach Redis logs one warning, keeps answering from its own
in-memory cache, tries Redis again every few seconds and says so when it is back. Every
key carries the data version, so results cached locally during an outage can never be
served for another build.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import redis
from cachelib import BaseCache, RedisCache, SimpleCache

log = logging.getLogger(__name__)

#: Seconds between attempts to reach Redis again after a failure.
RETRY_SECONDS = 5.0
#: Seconds a Redis connection or command may take before Redis counts as unreachable.
SOCKET_TIMEOUT = 0.5
REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


class RedisWithLocalFallback(BaseCache):
    """Read and write Redis; while it is unreachable, read and write a local cache."""

    def __init__(self, url: str, default_timeout: int = 300, key_prefix: str = "",
                 local_threshold: int = 5000):
        super().__init__(default_timeout)
        client = redis.Redis.from_url(url, socket_connect_timeout=SOCKET_TIMEOUT,
                                      socket_timeout=SOCKET_TIMEOUT)
        self.shared = RedisCache(host=client, default_timeout=default_timeout,
                                 key_prefix=key_prefix)
        self.local = SimpleCache(threshold=local_threshold, default_timeout=default_timeout)
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._down = False

    @property
    def using_local(self) -> bool:
        """Return whether Redis is currently taken as unreachable."""
        return self._down

    def _call(self, name: str, *args: Any) -> Any:
        if self._down and time.monotonic() < self._down_until:
            return getattr(self.local, name)(*args)
        try:
            result = getattr(self.shared, name)(*args)
        except REDIS_ERRORS as error:
            self._went_down(error)
            return getattr(self.local, name)(*args)
        if self._down:
            self._came_back()
        return result

    def _went_down(self, error: Exception) -> None:
        with self._lock:
            self._down_until = time.monotonic() + RETRY_SECONDS
            if not self._down:
                self._down = True
                log.warning("Redis cache unreachable (%s): this worker uses a local cache "
                            "until it returns", type(error).__name__)

    def _came_back(self) -> None:
        with self._lock:
            if self._down:
                self._down = False
                self.local.clear()
                log.info("Redis cache reachable again")

    def get(self, key: str) -> Any:
        return self._call("get", key)

    def set(self, key: str, value: Any, timeout: int | None = None) -> bool:
        return self._call("set", key, value, timeout)

    def add(self, key: str, value: Any, timeout: int | None = None) -> bool:
        return self._call("add", key, value, timeout)

    def delete(self, key: str) -> bool:
        return self._call("delete", key)

    def has(self, key: str) -> bool:
        return self._call("has", key)

    def get_many(self, *keys: str) -> list[Any]:
        return self._call("get_many", *keys)

    def set_many(self, mapping: dict, timeout: int | None = None) -> list[Any]:
        return self._call("set_many", mapping, timeout)

    def delete_many(self, *keys: str) -> list[Any]:
        return self._call("delete_many", *keys)

    def clear(self) -> bool:
        self.local.clear()
        return self._call("clear")

    def inc(self, key: str, delta: int = 1) -> int | None:
        return self._call("inc", key, delta)

    def dec(self, key: str, delta: int = 1) -> int | None:
        return self._call("dec", key, delta)


def redis_with_fallback(app, config: dict, args: list, kwargs: dict) -> RedisWithLocalFallback:
    """Build the cache from flask-caching's configuration (``CACHE_TYPE`` names this)."""
    return RedisWithLocalFallback(config["CACHE_REDIS_URL"], config["CACHE_DEFAULT_TIMEOUT"],
                                  config["CACHE_KEY_PREFIX"])


#: The ``CACHE_TYPE`` value that selects this cache in flask-caching.
CACHE_TYPE = f"{__name__}.{redis_with_fallback.__name__}"


