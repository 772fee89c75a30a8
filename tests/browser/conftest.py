"""Browser fixtures: the app served on loopback and a headless Chromium page that watches it.

The page fails its test at teardown if the browser logged an error, if a script threw,
or if anything tried to reach a host other than 127.0.0.1: the product ships every
asset itself and must never call a third party (no map tiles, no CDN).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import ConsoleMessage, Route, expect, sync_playwright
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
LOCAL_HOST = "127.0.0.1"
VIEWPORT = {"width": 1400, "height": 1000}
TIMEOUT_MS = 30_000  # make test runs two workers on two cores: a page may wait for the other

expect.set_options(timeout=TIMEOUT_MS)


class QuietHandler(WSGIRequestHandler):
    """Serve requests without logging each one (errors are still logged)."""

    def log_request(self, code="-", size="-") -> None:
        """Log nothing for a served request (errors go through log_error)."""


def served(app, name: str = "pilotage-live") -> Iterator[str]:
    """Serve ``app`` on a free loopback port until the generator is closed; yield its root
    URL (for fixtures)."""
    server = make_server(LOCAL_HOST, 0, app.server, threaded=True,
                         request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    yield f"http://{LOCAL_HOST}:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_url(tiny_app) -> Iterator[str]:
    """Serve the tiny app on a free loopback port for the whole session; return its root URL."""
    yield from served(tiny_app)


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium, driven by Playwright (never a downloaded build)."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def log_in(page, username: str = "national") -> None:
    """Log in through the login form, as a user would."""
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)


@pytest.fixture()
def page(browser, live_url):
    """A fresh page on the live app; console errors, page errors and outside calls fail."""
    context = browser.new_context(base_url=live_url, viewport=VIEWPORT, locale="fr-FR")
    context.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    outside: list[str] = []

    def local_only(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).hostname == LOCAL_HOST:
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", local_only)
    page = context.new_page()

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"console error on {page.url}: {message.text}")

    page.on("console", console)
    page.on("pageerror", lambda error: errors.append(f"page error on {page.url}: {error}"))
    log_in(page)
    yield page
    context.close()
    problems = errors + [f"request to a third party: {url}" for url in outside]
    if problems:
        pytest.fail("The browser reported problems:\n" + "\n".join(problems), pytrace=False)
