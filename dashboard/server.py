"""Serve the app with gunicorn (several worker processes) or Flask's debug server."""

from __future__ import annotations

import multiprocessing

from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from app import server

        return server


def serve(host: str, port: int, workers: int | None = None) -> None:
    """Run gunicorn on ``host:port``; each worker opens the database read-only."""
    workers = workers or min(4, multiprocessing.cpu_count() + 1)
    _Gunicorn(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": 4,
            "timeout": 60,
            "accesslog": "-",
            "errorlog": "-",
        }
    ).run()
