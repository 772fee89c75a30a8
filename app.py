"""WSGI entry point: ``gunicorn app:server``."""

from dashboard import create_app
from dashboard.web.app_factory import load_patterns

app = create_app()
server = app.server
load_patterns(server)  # each worker reads the suppression patterns before it serves
