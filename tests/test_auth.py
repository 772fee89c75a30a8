"""Access control: who may see what, by every route, and how the door is kept."""

from __future__ import annotations

import http.client
import json
import logging
import re
import subprocess
import sys
import threading
from urllib.parse import urlencode

import pytest
from werkzeug.serving import make_server

from dashboard import create_app
from dashboard.app_state import state_of
from dashboard.config import ConfigError
from dashboard.web.auth.users import add_user, list_users
from tests.conftest import PASSWORD, client_as, log_in, query

UNIT_IN = {"region6": ("region", "6"), "province141": ("province", "141"),
           "province81": ("province", "81")}
UNIT_OUT = {"region6": ("region", "1"), "province141": ("province", "81"),
            "province81": ("province", "141")}


def forged_kpis(client, level: str, code: str, origin: str | None = None):
    """POST Dash's callback endpoint by hand, asking for a unit's indicator cards."""
    view = {"level": level, "code": code, "year": 2024, "cycle": "all", "sector": "all",
            "milieu": "all", "sex": "all", "indicator": "dropout_rate", "version": 1}
    body = {
        "output": "..kpi-row.children...empty-notice.children..",
        "outputs": [{"id": "kpi-row", "property": "children"},
                    {"id": "empty-notice", "property": "children"}],
        "inputs": [{"id": "view", "property": "data", "value": view},
                   {"id": "page-unit", "property": "data",
                    "value": {"level": level, "code": code}}],
        "changedPropIds": ["view.data"],
        "state": [],
    }
    headers = {"Origin": origin} if origin else {}
    return client.post("/_dash-update-component", json=body, headers=headers)


def forged_page(client, path: str, search: str = ""):
    outputs = [{"id": "page", "property": "children"}, {"id": "page-unit", "property": "data"},
               {"id": "page-title", "property": "data"}]
    body = {"output": "..page.children...page-unit.data...page-title.data..",
            "outputs": outputs,
            "inputs": [{"id": "url", "property": "pathname", "value": path},
                       {"id": "data-epoch", "property": "data", "value": 0}],
            "changedPropIds": ["url.pathname"],
            "state": [{"id": "page-unit", "property": "data", "value": None},
                      {"id": "url", "property": "search", "value": search}]}
    return client.post("/_dash-update-component", json=body)


def enrollment_of(engine, level: str, code: str) -> int:
    column = {"region": "p.region_code", "province": "c.province_code"}[level]
    return query(engine, f"""
        SELECT count(*) FROM enrollment e JOIN school s ON s.code = e.school_code
        JOIN commune c ON c.code = s.commune_code JOIN province p ON p.code = c.province_code
        WHERE e.school_year = 2024 AND {column} = :code""", code=code)[0][0]


# --- nobody gets in without logging in ------------------------------------------------------


@pytest.mark.parametrize(("path", "status"), [
    ("/", 302), ("/region/6", 302), ("/api/v1/indicators?level=national", 401),
    ("/export/data/kpis.csv?level=national", 401), ("/_dash-layout", 401),
])
def test_anonymous_requests_are_turned_away(tiny_app, path, status):
    response = tiny_app.server.test_client().get(path)
    assert response.status_code == status
    if status == 302:
        assert response.headers["Location"].startswith("/login")


def test_anonymous_callback_post_is_refused(tiny_app):
    response = forged_kpis(tiny_app.server.test_client(), "national", "MA")
    assert response.status_code == 401


def test_login_page_and_static_files_are_public(tiny_app):
    client = tiny_app.server.test_client()
    assert client.get("/login").status_code == 200
    assert client.get("/assets/pilotage.css").status_code == 200


@pytest.mark.parametrize("path", ["/loginx", "/login/anything", "/healthzz", "/healthz/x",
                                  "/_favicon.icon", "/assetsx/pilotage.css"])
def test_paths_that_only_begin_like_public_ones_are_not_public(tiny_app, path):
    response = tiny_app.server.test_client().get(path)
    assert response.status_code == 302, response.data[:200]
    assert response.headers["Location"].startswith("/login?next=")


def test_the_shell_scripts_stay_public_and_an_unknown_one_is_a_clean_404(tiny_app, caplog):
    shell = client_as(tiny_app, "national").get("/region/6").get_data(as_text=True)
    scripts = re.findall(r'src="(/_dash-component-suites/[^"]+)"', shell)
    assert scripts
    anonymous = tiny_app.server.test_client()
    assert anonymous.get(scripts[0]).status_code == 200
    assert anonymous.get("/_favicon.ico").status_code == 200
    with caplog.at_level(logging.INFO):
        for client in (anonymous, client_as(tiny_app, "national")):
            for path in ("/_dash-component-suites/nope/x.js",
                         "/_dash-component-suites/dash/nope.js"):
                assert client.get(path).status_code == 404
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


def test_wrong_password_is_refused_and_logged(tiny_app):
    client = tiny_app.server.test_client()
    response = log_in(client, "region1", "not-the-password")
    assert response.status_code == 401
    assert "incorrect" in response.get_data(as_text=True)
    assert client.get("/api/v1/indicators?level=national").status_code == 401
    from dashboard.web.auth.audit import recent

    events = recent(state_of(tiny_app.server).state_engine, 5)
    assert any(e["event"] == "login_failed" and e["username"] == "region1" for e in events)


def test_landing_page_is_the_scope_root(tiny_app):
    client = tiny_app.server.test_client()
    response = log_in(client, "province141")
    assert response.headers["Location"] == "/province/141"
    assert client.get("/").headers["Location"] == "/province/141"


def test_a_national_link_lands_on_the_own_territory_with_its_filters(tiny_app):
    client = tiny_app.server.test_client()
    log_in(client, "region6")
    assert client.get("/?year=2023&cycle=college").headers["Location"] == (
        "/region/6?year=2023&cycle=college&outside=1")
    assert client.get("/").headers["Location"] == "/region/6"


def test_an_out_of_scope_link_says_access_refused_and_offers_the_own_territory(tiny_app):
    client = tiny_app.server.test_client()
    log_in(client, "province141")
    answer = forged_page(client, "/province/81", "?year=2023&sex=F").get_json()["response"]
    page = json.dumps(answer["page"]["children"], ensure_ascii=False)
    assert "Accès non autorisé" in page and "Page introuvable" not in page
    assert "/province/141?year=2023&amp;sex=F" in page or "/province/141?year=2023&sex=F" in page
    assert "Voir Casablanca" in page
    assert answer["page-unit"]["data"] is None
    assert answer["page-title"]["data"] == "Accès non autorisé · Pilotage"


def test_next_page_must_be_local(tiny_app):
    client = tiny_app.server.test_client()
    response = client.post("/login", data={"username": "region6", "password": PASSWORD,
                                           "next": "https://evil.example/"})
    assert response.headers["Location"] == "/region/6"


# --- the scope matrix: every route family, a unit inside and one outside ------------------


@pytest.mark.parametrize("username", sorted(UNIT_IN))
def test_scope_matrix(tiny_app, tiny_engine, username):
    client = client_as(tiny_app, username)
    for unit, allowed in ((UNIT_IN[username], True), (UNIT_OUT[username], False)):
        level, code = unit
        params = urlencode({"level": level, "code": code, "year": 2024})
        # API
        api = client.get(f"/api/v1/indicators?{params}")
        assert api.status_code == (200 if allowed else 403), (username, unit)
        if allowed:
            assert api.get_json()["indicators"]["enrollment"] == enrollment_of(
                tiny_engine, level, code)
        quality = client.get(f"/api/v1/quality?{params}")
        assert quality.status_code == (200 if allowed else 403), (username, unit)
        if allowed:
            assert quality.get_json()["checks"]["missing_outcome"]["base"] == enrollment_of(
                tiny_engine, level, code)
        # the data-quality view's router
        view = forged_page(client, f"/quality/{level}/{code}")
        text = json.dumps(view.get_json(), ensure_ascii=False)
        assert ("quality-page" in text) == allowed, (username, unit)
        assert ("hors de votre périmètre" in text) != allowed
        # exports: data file and chart image
        data = client.get(f"/export/data/kpis.csv?{params}")
        assert data.status_code == (200 if allowed else 403), (username, unit)
        # page: the router, then a forged callback asking for the numbers directly
        page = forged_page(client, f"/{level}/{code}")
        text = json.dumps(page.get_json(), ensure_ascii=False)
        assert page.status_code == 200
        assert ("unit-page" in text) == allowed
        assert ("hors de votre périmètre" in text) != allowed
        cards = forged_kpis(client, level, code).get_data(as_text=True)
        total = enrollment_of(tiny_engine, level, code)
        shown = f"{total:,}".replace(",", "\u202f")
        if allowed:
            payload = json.loads(cards)["response"]["kpi-row"]["children"]
            assert shown in json.dumps(payload, ensure_ascii=False)
        else:
            assert shown not in cards and str(total) not in cards


def forged_mark(app, client, school: str, status: str = "faux_signal"):
    """POST the follow-up form's callback by hand, marking a school's finding."""
    output = next(key for key in app.callback_map if "quality-mark-result" in key)
    view = {"level": "school", "code": school, "year": 2024, "cycle": "all", "sector": "all",
            "milieu": "all", "sex": "all", "indicator": "dropout_rate", "version": 1}
    body = {
        "output": output,
        "outputs": [{"id": "quality-mark-result", "property": "children"},
                    {"id": "quality-marks", "property": "data"}],
        "inputs": [{"id": "quality-mark-save", "property": "n_clicks", "value": 1}],
        "changedPropIds": ["quality-mark-save.n_clicks"],
        "state": [{"id": "quality-mark-check", "property": "value", "value": "implausible_age"},
                  {"id": "quality-mark-status", "property": "value", "value": status},
                  {"id": "quality-mark-comment", "property": "value", "value": "vu"},
                  {"id": "view", "property": "data", "value": view}],
    }
    return client.post("/_dash-update-component", json=body)


def test_a_finding_is_marked_only_inside_the_scope(tiny_app, tiny_engine):
    """A provincial user marks a school of their province, not one of another province;
    a forged status is refused; nothing is written for a refused mark."""
    from dashboard.app_state import state_of
    from dashboard.web.auth.schema import quality_mark

    def school_in(province: str) -> str:
        return query(tiny_engine, "SELECT s.code FROM school s JOIN commune c ON "
                                  "c.code = s.commune_code WHERE c.province_code = :p "
                                  "ORDER BY s.code LIMIT 1", p=province)[0][0]

    state = state_of(tiny_app.server).state_engine
    client = client_as(tiny_app, "province141")

    def marks(school: str) -> list:
        with state.connect() as conn:
            return conn.execute(quality_mark.select().where(
                quality_mark.c.school_code == school)).all()

    own, other = school_in("141"), school_in("81")
    before = len(marks(own))
    assert forged_mark(tiny_app, client, own).status_code == 200
    assert len(marks(own)) == before + 1
    refused = forged_mark(tiny_app, client, other)
    assert refused.status_code == 403 and not marks(other)
    assert forged_mark(tiny_app, client, own, status="clos_auto").status_code == 400
    assert len(marks(own)) == before + 1


def test_a_cached_answer_never_reaches_another_scope(tiny_app, tiny_engine):
    total = enrollment_of(tiny_engine, "region", "1")
    shown = f"{total:,}".replace(",", "\u202f")
    for _ in range(2):  # computed, then answered from the cache
        national = forged_kpis(client_as(tiny_app, "national"), "region", "1")
        assert shown in national.get_data(as_text=True)
    outsider = forged_kpis(client_as(tiny_app, "region6"), "region", "1").get_data(as_text=True)
    assert shown not in outsider and str(total) not in outsider


def test_a_repeated_view_callback_is_answered_without_running_it(tiny_app, monkeypatch):
    from panels import kpis

    client = client_as(tiny_app, "national")
    first = forged_kpis(client, "province", "81")
    assert first.status_code == 200

    def refuse(*args, **kwargs):
        raise AssertionError("the callback ran again")

    monkeypatch.setattr(kpis, "unit_indicators", refuse)
    again = forged_kpis(client, "province", "81")
    assert again.status_code == 200 and again.data == first.data


def test_scoped_user_sees_only_their_own_subtree(tiny_app):
    client = client_as(tiny_app, "region6")
    assert client.get("/api/v1/children?level=national&year=2024").status_code == 403
    children = client.get("/api/v1/children?level=region&code=6").get_json()["children"]
    assert len(children) == 9
    units = client.get("/api/v1/units?level=province").get_json()["units"]
    assert len(units) == 9 and all(u["parent_code"] == "6" for u in units)
    regions = client.get("/api/v1/units?level=region").get_json()["units"]
    assert [u["code"] for u in regions] == ["6"]


def test_a_school_user_sees_their_school_page_and_nothing_around_it(tiny_app, tiny_engine):
    (school, commune), = query(tiny_engine, """
        SELECT s.code, s.commune_code FROM school s JOIN commune c ON c.code = s.commune_code
        WHERE c.province_code = '141' ORDER BY s.code LIMIT 1""")
    state = state_of(tiny_app.server).state_engine
    if not any(a.username == "head" for a in list_users(state)):
        add_user(state, "head", PASSWORD, "school", school)
    client = client_as(tiny_app, "head")
    page = json.dumps(forged_page(client, f"/school/{school}").get_json(), ensure_ascii=False)
    assert "school-page" in page
    assert client.get(f"/api/v1/indicators?level=school&code={school}").status_code == 200
    assert client.get(f"/api/v1/indicators?level=commune&code={commune}").status_code == 403
    assert client.get("/").headers["Location"] == f"/school/{school}"


def test_the_national_benchmark_stays_visible(tiny_app):
    client = client_as(tiny_app, "province141")
    response = forged_page(client, "/province/141")
    assert response.status_code == 200
    national = client.get("/api/v1/indicators?level=national")
    assert national.status_code == 403  # the national unit itself is not theirs to browse


# --- forged and hostile requests ----------------------------------------------------------


def test_cross_site_callback_post_is_refused(client):
    response = forged_kpis(client, "national", "MA", origin="https://evil.example")
    assert response.status_code == 403
    assert forged_kpis(client, "national", "MA", origin="http://localhost").status_code == 200


INJECTIONS = ["'; DROP TABLE enrollment;--", "<script>alert(1)</script>", "x" * 5000,
              "../../etc/passwd", "1 OR 1=1", "%00"]


@pytest.mark.parametrize("value", INJECTIONS)
def test_injection_and_oversized_values_get_400_and_change_nothing(client, tiny_engine, value,
                                                                    caplog):
    before = query(tiny_engine, "SELECT count(*) FROM enrollment")
    routes = ["/api/v1/indicators", "/api/v1/children", "/export/data/kpis.csv",
              "/export/chart/map.png", "/export/briefing.pdf"]
    names = ["level", "code", "year", "cycle", "sector", "milieu", "sex", "indicator"]
    with caplog.at_level(logging.WARNING):
        for route in routes:
            for name in names:
                if route.startswith("/api/") and name == "indicator":
                    continue  # the API returns every indicator: it takes no such parameter
                params = {"level": "province", "code": "141", name: value}
                response = client.get(route, query_string=params)
                assert response.status_code == 400, (route, name, response.status_code)
                assert response.get_json()["error"]["parameter"] == name
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert query(tiny_engine, "SELECT count(*) FROM enrollment") == before


def test_oversized_login_fields_are_refused_cleanly(tiny_app):
    client = tiny_app.server.test_client()
    response = client.post("/login", data={"username": "n" * 10_000, "password": "p" * 10_000})
    assert response.status_code == 401


# --- lockout, rate limit, cookies and headers over real HTTP -------------------------------


@pytest.fixture()
def own_app(tiny_url, backend, tmp_path):
    app = create_app({
        "PILOTAGE_DATABASE_URL": tiny_url, "PILOTAGE_DATA_DIR": str(tmp_path),
        "PILOTAGE_LOGIN_RATE_LIMIT": "8 per minute", **backend.app_settings(),
    })
    add_user(state_of(app.server).state_engine, "agent", PASSWORD, "region", "6")
    return app


def test_repeated_failures_lock_the_account(own_app):
    client = own_app.server.test_client()
    for _ in range(5):
        assert log_in(client, "agent", "wrong-password-x").status_code == 401
    locked = log_in(client, "agent", PASSWORD)
    assert locked.status_code == 401
    assert "bloqué" in locked.get_data(as_text=True)


def test_login_attempts_are_rate_limited(own_app):
    client = own_app.server.test_client()
    codes = [log_in(client, "nobody", "wrong-password-x").status_code for _ in range(9)]
    assert codes[:8] == [401] * 8 and codes[8] == 429


@pytest.fixture()
def served(own_app):
    server = make_server("127.0.0.1", 0, own_app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()


def test_cookie_flags_and_security_headers_over_http(served):
    connection = http.client.HTTPConnection("127.0.0.1", served, timeout=10)
    body = urlencode({"username": "agent", "password": PASSWORD})
    connection.request("POST", "/login", body, {"Content-Type":
                                                 "application/x-www-form-urlencoded"})
    response = connection.getresponse()
    response.read()
    assert response.status == 302
    cookie = response.getheader("Set-Cookie")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    session = cookie.split(";")[0]
    connection.request("GET", "/region/6", headers={"Cookie": session})
    page = connection.getresponse()
    page.read()
    assert page.status == 200
    policy = page.getheader("Content-Security-Policy")
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert page.getheader("X-Frame-Options") == "DENY"
    assert page.getheader("X-Content-Type-Options") == "nosniff"


def test_production_refuses_the_default_key_and_demo_accounts(tiny_url, tmp_path):
    settings = {"PILOTAGE_DATABASE_URL": tiny_url, "PILOTAGE_DATA_DIR": str(tmp_path),
                "PILOTAGE_ENV": "production"}
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app(settings)
    key = {"PILOTAGE_SECRET_KEY": "k" * 40}
    app = create_app({**settings, **key})
    assert app.server.config["SESSION_COOKIE_SECURE"] is True
    add_user(state_of(app.server).state_engine, "demo", PASSWORD, "national", "MA",
             demo=True)
    with pytest.raises(ConfigError, match="demo accounts"):
        create_app({**settings, **key})


# --- the command line ---------------------------------------------------------------------


def test_users_and_audit_commands(tiny_url, tmp_path):
    env = {"PILOTAGE_DATABASE_URL": tiny_url, "PILOTAGE_DATA_DIR": str(tmp_path),
           "NEW_PASSWORD": "a-long-password-1", "OTHER_PASSWORD": "another-password-2"}

    def cli(*args):
        import os

        return subprocess.run([sys.executable, "-m", "dashboard", *args], capture_output=True,
                              text=True, env={**os.environ, **env}, timeout=60)

    added = cli("users", "add", "amina", "--role", "province", "--scope", "141",
                "--password-env", "NEW_PASSWORD")
    assert added.returncode == 0, added.stderr
    listed = cli("users", "list")
    assert "amina" in listed.stdout and "province" in listed.stdout and "141" in listed.stdout
    bad = cli("users", "add", "omar", "--role", "region", "--scope", "99",
              "--password-env", "NEW_PASSWORD")
    assert bad.returncode == 2 and "no region has the code '99'" in bad.stderr
    assert cli("users", "set-password", "amina", "--password-env", "OTHER_PASSWORD"
               ).returncode == 0
    assert cli("users", "disable", "amina").returncode == 0
    assert "disabled" in cli("users", "list").stdout
    assert cli("audit").returncode == 0
    from dashboard.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'pilotage-state.sqlite'}")
    accounts = {a.username: a for a in list_users(engine)}
    assert accounts["amina"].disabled and accounts["amina"].scope_code == "141"
    with engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT password_hash FROM app_user").scalar()
    assert stored.startswith("scrypt:") and "a-long-password-1" not in stored


@pytest.mark.parametrize(("proxies", "expected"), [("0", "127.0.0.1"), ("1", "203.0.113.7")])
def test_client_address_behind_a_trusted_proxy(tiny_url, tmp_path, proxies, expected):
    app = create_app({"PILOTAGE_DATABASE_URL": tiny_url, "PILOTAGE_DATA_DIR": str(tmp_path),
                      "PILOTAGE_PROXY_COUNT": proxies})
    client = app.server.test_client()
    client.post("/login", data={"username": "nobody", "password": "wrong-password-x"},
                headers={"X-Forwarded-For": "203.0.113.7"})
    state = state_of(app.server).state_engine
    rows = query(state, "SELECT address FROM audit_log WHERE event = 'login_failed'")
    assert rows == [(expected,)]
