"""The application factory: configuration in, a ready Dash app out."""

from __future__ import annotations

import gc
import hashlib
import logging

import dash
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from dashboard import shared_cache
from dashboard.app_state import AppState, state_of
from dashboard.config import Config, ConfigError, load_config, session_secret
from dashboard.db import make_engine
from dashboard.extensions import cache
from dashboard.i18n import current_language
from dashboard.levels import NATIONAL_CODE
from dashboard.web import callback_guard, language, response_cache
from dashboard.web.auth import web
from dashboard.web.auth.schema import create_tables as create_state_tables
from dashboard.web.auth.users import list_users

log = logging.getLogger(__name__)


class PilotageDash(dash.Dash):
    """Dash, with each index page in the language of its address (``lang``, ``dir`` and
    the stylesheet of that direction)."""

    def interpolate_index(self, **kwargs) -> str:
        return language.localise_index(super().interpolate_index(**kwargs),
                                       current_language())


def build_app(overrides: dict[str, str] | None = None) -> dash.Dash:
    """Create the Flask server and the Dash app around it."""
    config = load_config(overrides)
    _log_to_stderr()
    server = Flask("pilotage")
    if config.proxy_count:  # client addresses for the audit log and the login limit
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=config.proxy_count,
                                   x_proto=config.proxy_count)
    server.config.update(SECRET_KEY=session_secret(config), MAX_CONTENT_LENGTH=1_000_000)
    AppState(config, make_engine(config.database_url, read_only=True),
             _state_engine(config)).init_app(server)
    cache.init_app(server, config=_cache_settings(config))
    language.init_app(server)
    web.init_app(server, config.session_minutes, secure_cookies=config.production)
    response_cache.init_app(server)

    from callbacks.availability import on_callback_error
    from dashboard.web.api import api
    from dashboard.web.extract_format import extract_format
    from dashboard.web.health import health
    from exports.briefing_routes import briefing
    from exports.routes import exports

    for blueprint in (api, briefing, exports, extract_format, health):
        server.register_blueprint(blueprint)

    app = PilotageDash(
        "pilotage",
        server=server,
        assets_folder=str(_project_path("assets")),
        assets_path_ignore=["^vendor$"],  # the stylesheets of each direction, chosen per page
        external_stylesheets=["/assets/vendor/bootstrap.min.css"],
        title="Pilotage",
        update_title=None,
        suppress_callback_exceptions=True,
        serve_locally=True,
        on_error=on_callback_error,
    )
    import callbacks
    from dashboard.web.auth.web import home_path, quality_home_path
    from layouts import shell

    callbacks.register(app)
    callback_guard.init_app(app)  # malformed callback requests answer 400

    from dashboard.urls import localised

    app.layout = lambda: shell.layout(
        home=home_path(), quality=quality_home_path(),
        pages={page: localised(f"/{page}") for page in ("definitions", "imports")})
    # Dash learns which script files it may serve while rendering its index page. Render
    # it once now, so that every gunicorn worker serves them, not only the one that
    # happened to answer the first page.
    with server.test_request_context("/"):
        app.index()
        # The only inline scripts a page may run: Dash's own, listed by their hashes.
        state_of(server).csp_hashes = app.csp_hashes()
    _load_hierarchy(server)
    # Everything loaded so far (libraries, layout, hierarchy) lives as long as the process:
    # keep it out of the garbage collector's full passes, which otherwise stall a request
    # for about 300 ms whenever they run.
    gc.collect()
    gc.freeze()
    return app


def _load_hierarchy(server: Flask) -> None:
    """Read the unit hierarchy now rather than on a user's first page, when it can be."""
    from queries.database import DataNotReady
    from queries.scope import NATIONAL_SCOPE
    from queries.units import get_unit

    with server.app_context():
        try:
            get_unit("national", NATIONAL_CODE, NATIONAL_SCOPE)
        except DataNotReady:  # not built yet, or the database is away: the first page reads it
            log.info("unit hierarchy not loaded at start: the database is not ready")


def load_patterns(server: Flask) -> None:
    """Read every school year's suppression pattern now, before the worker serves.

    Every view looks its cells up in them; read on a first request, they would keep
    that request (and every thread asking at once) waiting for seconds a year at
    national scale. Nothing is read while the database is not ready.
    """
    from queries import pattern, privacy
    from queries.database import DataNotReady, data_version
    from queries.stats import available_years

    with server.app_context():
        try:
            version, limit = data_version(), privacy.threshold()
            for year in available_years():
                pattern.year_pattern(version, year, limit)
        except DataNotReady:
            log.info("suppression patterns not loaded at start: the database is not ready")


def _log_to_stderr() -> None:
    """Send the app's warnings and notices to stderr (journald, gunicorn's log) with their
    level, unless the process configured logging itself."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _state_engine(config: Config):
    """Open the users and audit database, and refuse unsafe production settings."""
    engine = make_engine(config.state_database_url)
    create_state_tables(engine)
    if config.production and any(account.demo and not account.disabled
                                 for account in list_users(engine)):
        raise ConfigError("demo accounts exist: disable them (python -m dashboard users "
                          "disable <name>) before running with PILOTAGE_ENV=production")
    return engine


def _cache_settings(config: Config) -> dict:
    """Return flask-caching's settings; keys are prefixed with the database they describe."""
    namespace = (config.cache_namespace
                 or hashlib.sha256(config.database_url.encode()).hexdigest()[:12])
    settings: dict = {
        "CACHE_TYPE": config.cache_type,
        "CACHE_DEFAULT_TIMEOUT": config.cache_timeout,
        "CACHE_KEY_PREFIX": f"pilotage:{namespace}:",
    }
    if config.cache_type == "RedisCache":
        settings["CACHE_TYPE"] = shared_cache.CACHE_TYPE
        settings["CACHE_REDIS_URL"] = config.cache_redis_url
    if config.cache_type == "FileSystemCache":
        settings["CACHE_DIR"] = str(config.cache_dir)
    if config.cache_type == "SimpleCache":
        settings["CACHE_THRESHOLD"] = 5000
    return settings


def _project_path(name: str):
    from pathlib import Path

    return Path(__file__).resolve().parents[2] / name

