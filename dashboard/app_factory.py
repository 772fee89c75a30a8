"""The application factory: configuration in, a ready Dash app out."""

from __future__ import annotations

import logging

import dash
from dash import _callback as dash_callback
from flask import Flask

from dashboard.config import Config, load_config
from dashboard.db import make_engine
from dashboard.extensions import cache

log = logging.getLogger(__name__)

ENGINE_KEY = "pilotage.engine"
CONFIG_KEY = "pilotage.config"


def build_app(overrides: dict[str, str] | None = None) -> dash.Dash:
    """Create the Flask server and the Dash app around it."""
    config = load_config(overrides)
    server = Flask("pilotage")
    server.config.update(SECRET_KEY=config.secret_key)
    server.extensions[CONFIG_KEY] = config
    server.extensions[ENGINE_KEY] = make_engine(config.database_url, read_only=True)
    cache.init_app(server, config=_cache_settings(config))
    from dashboard.api import api

    server.register_blueprint(api)
    from exports.briefing_routes import briefing
    server.register_blueprint(briefing)
    from exports.routes import exports

    server.register_blueprint(exports)

    app = dash.Dash(
        "pilotage",
        server=server,
        assets_folder=str(_project_path("assets")),
        assets_ignore=r"vendor/.*",
        external_stylesheets=["/assets/vendor/bootstrap.min.css"],
        title="Pilotage",
        update_title=None,
        suppress_callback_exceptions=True,
        serve_locally=True,
    )
    import callbacks  # noqa: F401  (registers every callback through dash.callback)
    from layouts import shell

    app.layout = shell.layout
    # Dash learns which script files it may serve while rendering its index page. Render
    # it once now, so that every gunicorn worker serves them, not only the one that
    # happened to answer the first page.
    # Rendering also moves the clientside functions registered through dash.callback
    # into this app; put them back so that the next app of the process (a gunicorn
    # worker after `serve` checked the configuration, a test's app) gets them too.
    pending = list(dash_callback.GLOBAL_INLINE_SCRIPTS)
    with server.test_request_context("/"):
        app.index()
    dash_callback.GLOBAL_INLINE_SCRIPTS.extend(pending)
    return app


def _cache_settings(config: Config) -> dict:
    settings: dict = {
        "CACHE_TYPE": config.cache_type,
        "CACHE_DEFAULT_TIMEOUT": config.cache_timeout,
        "CACHE_KEY_PREFIX": "pilotage:",
    }
    if config.cache_type == "RedisCache":
        settings["CACHE_REDIS_URL"] = config.cache_redis_url
    if config.cache_type == "FileSystemCache":
        settings["CACHE_DIR"] = str(config.cache_dir)
    if config.cache_type == "SimpleCache":
        settings["CACHE_THRESHOLD"] = 5000
    return settings


def _project_path(name: str):
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / name

