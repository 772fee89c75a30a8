"""Serve the app with gunicorn (several worker processes) or Flask's debug server."""

from __future__ import annotations

import multiprocessing
import os
import sys

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


def worker_exit(arbiter, worker) -> None:
    """End a worker at once when gunicorn lets it go (its ``worker_exit`` hook).

    The worker has finished its requests. Left to the interpreter's own shutdown, the
    native threads of DuckDB's connections and of the chart renderer's Chromium keep it
    hanging after "Worker exiting", or crash it; so the chart renderer is stopped, the
    logs flushed, and the process ends without that shutdown.
    """
    from exports import renderer

    renderer.stop()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(0)


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
            "worker_exit": worker_exit,
        }
    ).run()
