"""The language of a request: part of the address, like the rest of a view.

A page's address says its language (``?lang=ar``; French when absent), so a shared link
opens in the language it was shared in. The requests a page makes afterwards (its
layout, callbacks, exports) carry no address of their own: they follow the page that
sent them, read from the ``Referer`` header (the app sends ``Referrer-Policy:
same-origin``). The switch in the header (:func:`switch_language`) reopens the same page
in the other language and remembers the choice for the user's next login.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, redirect, request
from flask_babel import Babel

from dashboard.i18n import LANGUAGES, SOURCE_LANGUAGE, TRANSLATIONS, direction
from dashboard.urls import language_of, with_language

#: Requests made by a page rather than opened by the reader: they follow the page's language.
PAGE_REQUESTS = ("/_dash-", "/export/", "/api/", "/_reload-hash")

language = Blueprint("language", __name__)


def _same_site_referrer() -> str | None:
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    return referrer if parts.netloc == request.host else None


def select_language() -> str:
    """Return the language of this request (Flask-Babel's locale selector)."""
    wanted = language_of(request.full_path)
    if wanted is None and request.method == "POST" and request.form.get("next"):
        wanted = language_of(request.form["next"])
    if wanted is None and (request.method != "GET" or request.path.startswith(PAGE_REQUESTS)):
        wanted = language_of(_same_site_referrer())
    return wanted or SOURCE_LANGUAGE


@language.route("/language/<wanted>")
def switch_language(wanted: str):
    """Reopen the page the reader is on in another language, and remember the choice."""
    if wanted not in LANGUAGES:
        abort(404)
    from flask_login import current_user

    from dashboard.web.auth.state import state_engine
    from dashboard.web.auth.users import remember_language

    if current_user and current_user.is_authenticated:
        remember_language(state_engine(), current_user.account.username, wanted)
    referrer = _same_site_referrer()
    back = urlsplit(referrer) if referrer else None
    page = (back.path + (f"?{back.query}" if back.query else "")) if back else "/"
    if page.startswith("/language/"):
        page = "/"
    return redirect(with_language(page, wanted))


def localise_index(html: str, language_code: str) -> str:
    """Return Dash's index page with the language, direction and stylesheet of a language."""
    html = html.replace("<html>", f'<html lang="{language_code}" '
                                  f'dir="{direction(language_code)}">', 1)
    if direction(language_code) == "rtl":
        html = html.replace("/assets/vendor/bootstrap.min.css",
                            "/assets/vendor/bootstrap.rtl.min.css", 1)
    return html


def init_app(server: Flask) -> None:
    """Choose each request's catalogue with Flask-Babel, and serve the switch."""
    Babel(server, locale_selector=select_language, default_locale=SOURCE_LANGUAGE,
          default_translation_directories=str(TRANSLATIONS))
    server.register_blueprint(language)
