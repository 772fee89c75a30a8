"""Settings: declared once, each with its default and a line of help.

Every setting is read from an environment variable of the same name. The README's
configuration table is checked against this list by ``tests/test_docs.py``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, make_dataclass
from pathlib import Path
from typing import Any


def _text(name: str, raw: str, resolved: dict) -> str:
    return raw


def _path(name: str, raw: str, resolved: dict) -> Path:
    return Path(raw)


def _count(name: str, raw: str, resolved: dict) -> int:
    return _positive_int(name, raw)


@dataclass(frozen=True)
class Setting:
    """One configuration key: its default, its documentation, the ``Config`` field it fills
    and how its text is read (``read(name, raw, fields resolved so far)``)."""

    name: str
    default: str
    help: str
    field: str = ""
    read: Callable[[str, str, dict], Any] = _text

    @property
    def key(self) -> str:
        """Return the ``Config`` field: the name without its prefix, in lower case."""
        return self.field or self.name.removeprefix("PILOTAGE_").lower()


#: The signing key of earlier versions, public in their sources: never accepted in production.
DEFAULT_SECRET_KEY = "dev-only-change-me"
#: The file of the data folder holding the key generated when none is configured.
SECRET_KEY_FILE = "secret-key"
MIN_SECRET_KEY_LENGTH = 32

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "PILOTAGE_DATABASE_URL",
        "duckdb:///data/pilotage.duckdb",
        "SQLAlchemy URL of the schooling database (DuckDB file or postgresql+psycopg://...).",
    ),
    Setting(
        "PILOTAGE_DATA_DIR",
        "data",
        "Folder for the embedded database, cached boundaries and other generated files.",
        read=_path,
    ),
    Setting(
        "PILOTAGE_SECRET_KEY",
        "",
        "Flask secret key used to sign sessions; set a long random value in production "
        "(default: a random key generated on first run and kept in <data dir>/secret-key).",
    ),
    Setting(
        "PILOTAGE_CACHE_TYPE",
        "SimpleCache",
        "flask-caching backend: SimpleCache, FileSystemCache, RedisCache or NullCache.",
    ),
    Setting(
        "PILOTAGE_CACHE_TIMEOUT",
        "3600",
        "Seconds a cached query result is kept (results also expire on every rebuild).",
        read=_count,
    ),
    Setting(
        "PILOTAGE_CACHE_REDIS_URL",
        "redis://127.0.0.1:6379/0",
        "Redis URL used when PILOTAGE_CACHE_TYPE is RedisCache.",
    ),
    Setting(
        "PILOTAGE_CACHE_NAMESPACE",
        "",
        "Prefix of every cache key; app nodes and the host running warm-cache must share it "
        "(default: derived from PILOTAGE_DATABASE_URL).",
    ),
    Setting(
        "PILOTAGE_CACHE_DIR",
        "",
        "Folder for FileSystemCache (default: <data dir>/cache).",
        read=lambda name, raw, resolved: Path(raw) if raw else resolved["data_dir"] / "cache",
    ),
    Setting(
        "PILOTAGE_STATE_DATABASE_URL",
        "",
        "SQLAlchemy URL of the read-write database of users and the audit log "
        "(default: an SQLite file, <data dir>/pilotage-state.sqlite).",
        read=lambda name, raw, resolved: raw
        or f"sqlite:///{resolved['data_dir'] / 'pilotage-state.sqlite'}",
    ),
    Setting(
        "PILOTAGE_ENV",
        "development",
        "development or production; production requires PILOTAGE_SECRET_KEY, refuses demo "
        "accounts and cookies without the Secure flag.",
        field="environment",
        read=lambda name, raw, resolved: _environment(raw),
    ),
    Setting(
        "PILOTAGE_SESSION_MINUTES",
        "120",
        "Minutes of inactivity after which a session expires.",
        read=lambda name, raw, resolved: _positive_int(name, raw) or 1,
    ),
    Setting(
        "PILOTAGE_LOGIN_RATE_LIMIT",
        "10 per minute",
        "Login attempts allowed from one address (Flask-Limiter notation), counted over "
        "every worker: in Redis with RedisCache, else in the state database.",
    ),
    Setting(
        "PILOTAGE_PROXY_COUNT",
        "0",
        "Reverse proxies (nginx, load balancer) in front of the app whose X-Forwarded-For "
        "and X-Forwarded-Proto headers are trusted; 0 trusts none.",
        read=_count,
    ),
    Setting(
        "PILOTAGE_SMALL_CELL_THRESHOLD",
        "5",
        "Counts below this value at school level are suppressed (shown as '< 5').",
        read=_count,
    ),
)

SETTINGS_BY_NAME = {setting.name: setting for setting in SETTINGS}


def _production(config) -> bool:
    """Return whether the app runs as a production service."""
    return config.environment == "production"


#: Resolved configuration of one app or command: one field per setting (``Setting.key``).
Config = make_dataclass(
    "Config", [(setting.key, Any) for setting in SETTINGS], frozen=True,
    namespace={"production": property(_production),
               "__doc__": "Resolved configuration of one app or command."},
)


def load_config(overrides: dict[str, str] | None = None) -> Config:
    """Resolve every setting from overrides, then the environment, then its default."""
    overrides = overrides or {}

    def value(name: str) -> str:
        if name in overrides:
            return str(overrides[name])
        return os.environ.get(name, SETTINGS_BY_NAME[name].default)

    resolved: dict[str, Any] = {}
    for setting in SETTINGS:  # in order: a default may use a field resolved before it
        resolved[setting.key] = setting.read(setting.name, value(setting.name), resolved)
    return Config(**resolved)


def _environment(raw: str) -> str:
    if raw not in ("development", "production"):
        raise ConfigError(f"PILOTAGE_ENV must be development or production, not {raw!r}")
    return raw


class ConfigError(ValueError):
    """A setting has a value it may not take."""


def session_secret(config: Config) -> str:
    """Return the key that signs session cookies.

    A configured key is used as it is (in production it must be long and not the old
    default); otherwise, outside production, a random key is generated on first run and
    kept in the data folder, readable by its owner only, so that nobody can sign a
    cookie with a key published in the sources.
    """
    key = config.secret_key
    if config.production and (not key or key == DEFAULT_SECRET_KEY
                              or len(key) < MIN_SECRET_KEY_LENGTH):
        raise ConfigError(f"PILOTAGE_SECRET_KEY must be set to a long random value "
                          f"({MIN_SECRET_KEY_LENGTH} characters or more) when "
                          "PILOTAGE_ENV=production")
    return key or _kept_secret(config.data_dir / SECRET_KEY_FILE)


def _kept_secret(path: Path) -> str:
    """Return the key stored in ``path``, creating it (mode 0600) when missing.

    Workers starting together agree on one key: each writes its own candidate aside and
    links it into place, and the first link wins.
    """
    try:
        existing = _read_secret(path)
        if existing:
            return existing
        path.parent.mkdir(parents=True, exist_ok=True)
        candidate = path.with_name(f".{path.name}.{os.getpid()}")
        descriptor = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(48) + "\n")
        try:
            os.link(candidate, path)
        except FileExistsError:
            if not _read_secret(path):  # an empty file left by an interrupted first run
                os.replace(candidate, path)
        finally:
            candidate.unlink(missing_ok=True)
        return _read_secret(path)
    except OSError as error:
        raise ConfigError(f"cannot keep the session key in {path}: "
                          f"{error.strerror or error}") from None


def _read_secret(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return ""


def _positive_int(name: str, raw: str) -> int:
    try:
        number = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if number < 0:
        raise ConfigError(f"{name} must not be negative, not {raw!r}")
    return number
