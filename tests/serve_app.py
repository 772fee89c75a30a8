"""Serve an app configured by the environment on a free loopback port, for the tests that
need several server processes. Prints the port on its first line, then serves until
terminated."""

from __future__ import annotations

from werkzeug.serving import make_server

from dashboard import create_app


def main() -> None:
    """Create the app, bind a free port, say which, and serve."""
    server = make_server("127.0.0.1", 0, create_app().server, threaded=True)
    print(server.server_port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
