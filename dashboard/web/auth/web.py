"""Logging in and out, the guard in front of every route, and security headers."""

from __future__ import annotations

import datetime as dt
import math
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from dash.exceptions import DependencyException
from flask import (
    Blueprint,
    Flask,
    current_app,
    g,
    jsonify,
    redirect,
    render_template_string,
    request,
    session,
    url_for,
)
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_login import UserMixin, current_user, login_user, logout_user

from dashboard.app_state import app_state, state_of
from dashboard.extensions import login_manager
from dashboard.i18n import NATIVE_NAMES, _, current_language, direction
from dashboard.web.auth import audit
from dashboard.web.auth.rate_limit import make_limiter
from dashboard.web.auth.state import state_engine
from dashboard.web.auth.users import Account, authenticate, get_account, revoke_sessions
from queries.scope import NATIONAL_SCOPE, Scope

LIMITER_KEY = "pilotage.login_limiter"
#: The session's copy of the user's session generation, checked on every request.
GENERATION_KEY = "pilotage_generation"
#: Paths anyone may fetch, exactly: the login page, its icon and the health check.
PUBLIC_PATHS = frozenset({"/login", "/healthz", "/_favicon.ico", "/datapackage.json"})
#: Folders of static files anyone may fetch: the login page's stylesheets, and the
#: JavaScript libraries of the Dash shell (published code that holds no data).
PUBLIC_FOLDERS = ("/assets/", "/_dash-component-suites/")
#: Paths answered with JSON rather than a redirect when the session is missing.
MACHINE_PREFIXES = ("/api/", "/export/", "/_dash-")
#: The language switch: anyone may reopen a page (the login page too) in another language.
LANGUAGE_SWITCHES = frozenset(f"/language/{code}" for code in NATIVE_NAMES)
NOBODY = Scope("school", "")  # a scope that contains no unit


class User(UserMixin):
    """The logged-in user, bound to one subtree of the hierarchy."""

    def __init__(self, account: Account):
        self.account = account

    def get_id(self) -> str:
        return self.account.username

    @property
    def scope(self) -> Scope:
        """Return the subtree this user may see."""
        if self.account.role == "national":
            return NATIONAL_SCOPE
        return Scope(self.account.role, self.account.scope_code)


@login_manager.user_loader
def load_user(username: str) -> User | None:
    """Reload the user of a session; a disabled or deleted user is logged out, and so is
    a session opened before the user's last logout or password change."""
    account = get_account(state_engine(), username)
    if account is None or session.get(GENERATION_KEY) != account.session_generation:
        return None
    return User(account)


def current_scope() -> Scope:
    """Return the scope every query of this request must run under."""
    if current_user and current_user.is_authenticated:
        return current_user.scope
    return NOBODY


def landing_path(user: User) -> str:
    """Return the page a user starts from: the root of their scope."""
    from dashboard.urls import unit_path

    scope = user.scope
    return unit_path(scope.level, scope.code)


def _own_territory(user: User) -> str:
    """Return the user's own root with the filters of the national link they opened."""
    from dashboard.urls import REDIRECTED

    params = [(name, value) for name, value in request.args.items(multi=True)
              if name != REDIRECTED]
    if not params:
        return landing_path(user)
    return f"{landing_path(user)}?{urlencode([*params, (REDIRECTED, '1')])}"


def home_path() -> str:
    """Return the root of the logged-in user's scope, or ``/`` when nobody is logged in."""
    from dashboard.urls import localised

    if current_user and current_user.is_authenticated:
        return localised(landing_path(current_user))
    return localised("/")


def quality_home_path() -> str:
    """Return the data-quality view of the logged-in user's scope (the nation's when
    nobody is logged in)."""
    from dashboard.urls import QUALITY, localised, quality_path

    if current_user and current_user.is_authenticated:
        return localised(quality_path(current_user.scope.level, current_user.scope.code))
    return localised(QUALITY)


#: The login page (its texts are extracted from the template by ``pybabel extract``).
LOGIN_PAGE = (Path(__file__).resolve().parents[1] / "templates" / "login.html").read_text()

#: What the login page says for each refusal (French source text, translated by ``_``).
REFUSALS = {
    "invalid": "Identifiant ou mot de passe incorrect.",
    "disabled": "Identifiant ou mot de passe incorrect.",
    "locked": "Trop de tentatives : le compte est bloqué pendant 15 minutes.",
}
TOO_MANY_ATTEMPTS = ("Trop de tentatives de connexion depuis cette adresse : réessayez "
                     "dans {seconds} secondes.")


def _login_page(message: str = "", tone: str = "warning", next_page: str = "",
                username: str = "") -> str:
    """Render the login page with an optional (already translated) message."""
    from dashboard.urls import with_language

    language = current_language()
    other = next(code for code in NATIVE_NAMES if code != language)
    return render_template_string(
        LOGIN_PAGE, message=message, tone=tone, next=next_page, username=username, _=_,
        language=language, direction=direction(language), other=other,
        other_name=NATIVE_NAMES[other], login_url=with_language(url_for("auth.login"), language))


def _safe_next(target: str | None) -> str | None:
    """Accept only a local path as the page to return to after logging in."""
    if not target or len(target) > 512:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _arrival(target: str, account: Account) -> str:
    """Return the page a user arrives at after logging in, in the language of ``target``
    or, when it names none, in the one the user last chose."""
    from dashboard.urls import language_of, with_language

    if language_of(target) is None and account.language in NATIVE_NAMES:
        return with_language(target, account.language)
    return target


def login():
    """Show the login form, or check the credentials sent with it."""
    next_page = _safe_next(request.values.get("next")) or ""
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(_arrival(next_page or landing_path(current_user), current_user.account))
        message = _("Votre session a expiré : reconnectez-vous.") if request.args.get(
            "expired") else ""
        return _login_page(message, next_page=next_page)
    username = (request.form.get("username") or "")[:64]
    password = (request.form.get("password") or "")[:256]
    engine = state_engine()
    account, reason = authenticate(engine, username, password)
    if account is None:
        audit.record(engine, "login_failed", username, detail={"reason": reason},
                     address=request.remote_addr)
        return _login_page(_(REFUSALS[reason]), "danger", next_page, username), 401
    user = User(account)
    session.clear()
    login_user(user)
    session[GENERATION_KEY] = account.session_generation
    session.permanent = True
    audit.record(engine, "login", account.username, address=request.remote_addr)
    return redirect(_arrival(next_page or landing_path(user), account))


def logout():
    """End the session, and every other session of the same user."""
    if current_user.is_authenticated:
        username = current_user.account.username
        revoke_sessions(state_engine(), username)
        audit.record(state_engine(), "logout", username, address=request.remote_addr)
    logout_user()
    session.clear()
    from dashboard.urls import with_language

    return redirect(with_language(url_for("auth.login"), current_language()))


def too_many_attempts(error: RateLimitExceeded):
    """Answer a login over the rate limit with the login page, in French, and 429."""
    limit = current_app.extensions[LIMITER_KEY].current_limit
    reset_at = limit.reset_at if limit else time.time() + 60
    window = limit.limit.get_expiry() if limit else 60  # reset_at is rounded to a second
    seconds = min(window, max(1, math.ceil(reset_at - time.time())))
    page = _login_page(_(TOO_MANY_ATTEMPTS, seconds=seconds), "danger",
                       _safe_next(request.values.get("next")) or "",
                       (request.form.get("username") or "")[:64])
    return page, 429, {"Retry-After": str(seconds)}


def unknown_script(error: DependencyException):
    """Answer a request for a script Dash does not serve with 404, not a traceback."""
    return jsonify(error={"message": _("fichier introuvable")}), 404


def _is_public(path: str) -> bool:
    return (path in PUBLIC_PATHS or path.startswith(PUBLIC_FOLDERS)
            or path in LANGUAGE_SWITCHES)


def _cross_site() -> bool:
    """Return whether a state-changing request comes from another site."""
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        return True
    origin = request.headers.get("Origin")
    if origin and origin != "null":
        return urlsplit(origin).netloc != request.host
    return origin == "null"


def guard():
    """Refuse cross-site writes and anonymous requests before any view runs."""
    if request.method not in ("GET", "HEAD", "OPTIONS") and _cross_site():
        return jsonify(error={"message": _("requête d'un autre site refusée")}), 403
    if current_user.is_authenticated:
        if request.path == "/" and current_user.account.role != "national":
            # start from their own subtree; a national link keeps its filters, and says why
            return redirect(_own_territory(current_user))
        return None
    if _is_public(request.path):
        return None
    if request.path.startswith(MACHINE_PREFIXES):
        return jsonify(error={"message": _("authentification requise")}), 401
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def security_headers(response):
    """Add the headers that keep pages out of frames and scripts to our own."""
    hashes = " ".join(g.get("csp_hashes", app_state().csp_hashes))
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; "
        f"script-src 'self' 'unsafe-eval' {hashes}; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
        "font-src 'self' data:; connect-src 'self'; object-src 'none'; "
        "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def _login_rate() -> str:
    return app_state().config.login_rate_limit


def _auth_blueprint(limiter: Limiter) -> Blueprint:
    """Return the login and logout routes, the login limited by this app's limiter."""
    blueprint = Blueprint("auth", __name__)
    limited_login = limiter.limit(_login_rate, methods=["POST"])(login)
    blueprint.add_url_rule("/login", view_func=limited_login, methods=["GET", "POST"])
    blueprint.add_url_rule("/logout", view_func=logout, methods=["POST"])
    return blueprint


def init_app(server: Flask, session_minutes: int, secure_cookies: bool) -> None:
    """Install login, the guard, cookie settings and security headers on the server.

    The server's configuration and state engine must be in its extensions already: the
    login limit counts in the storage they name.
    """
    server.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure_cookies,
        PERMANENT_SESSION_LIFETIME=dt.timedelta(minutes=session_minutes),
        SESSION_REFRESH_EACH_REQUEST=True,
    )
    login_manager.init_app(server)
    login_manager.session_protection = "basic"
    limiter = make_limiter(state_of(server).config,
                           state_of(server).state_engine)
    limiter.init_app(server)
    server.extensions[LIMITER_KEY] = limiter
    server.register_blueprint(_auth_blueprint(limiter))
    server.register_error_handler(RateLimitExceeded, too_many_attempts)
    server.register_error_handler(DependencyException, unknown_script)
    server.before_request(guard)
    server.after_request(audit.record_request)  # API reads, exports, callback reads
    server.after_request(security_headers)
