"""Faults survived for real: PostgreSQL and Redis stopped and started under a running app,
and a rebuild published while pages are being read.

These tests stop the test servers of ``scripts/services`` and always start them again.
"""

from __future__ import annotations

import json
import logging
import threading

import pytest
import sqlalchemy as sa

from dashboard import shared_cache
from dashboard.data.build import build
from dashboard.db import make_engine
from tests.backends import services
from tests.conftest import TINY_YEARS, client_as, make_app, make_database, query

UNAVAILABLE = "temporairement indisponibles"


@pytest.fixture(scope="module")
def faults_url(postgres, tmp_path_factory) -> str:
    return make_database(tmp_path_factory.mktemp("faults"), "tiny", TINY_YEARS,
                         backend=postgres, name="pilotage_faults")


def dash_post(client, outputs: list[tuple[str, str]], inputs: list[tuple[str, str, object]],
              changed: str, state: list[tuple[str, str, object]] = ()):
    """POST one callback request as the browser would; return the response."""
    def ids(items):
        return [{"id": item[0], "property": item[1], **({"value": item[2]} if len(item) > 2
                                                         else {})} for item in items]
    output = "...".join(f"{i}.{p}" for i, p in outputs)
    if len(outputs) > 1:
        output = f"..{output}.."
    body = {"output": output, "outputs": ids(outputs)[0] if len(outputs) == 1 else ids(outputs),
            "inputs": ids(inputs), "changedPropIds": [changed], "state": ids(state)}
    return client.post("/_dash-update-component", json=body)


def render_page(client, path: str):
    return dash_post(client, [("page", "children"), ("page-unit", "data"), ("page-title", "data")],
                     [("url", "pathname", path), ("data-epoch", "data", 0)], "url.pathname",
                     [("page-unit", "data", None), ("url", "search", "")])


def check_database(client):
    return dash_post(client, [("data-banner", "hidden"), ("data-retry", "disabled"),
                              ("data-epoch", "data"), ("data-retry", "interval")],
                     [("data-retry", "n_intervals", 1)], "data-retry.n_intervals",
                     [("data-epoch", "data", 0)])


def side_updates(response) -> dict:
    return json.loads(response.data).get("sideUpdate", {})


def national_enrolment(client) -> int:
    response = client.get("/api/v1/indicators?level=national&year=2024")
    assert response.status_code == 200, response.data[:300]
    return response.get_json()["indicators"]["enrollment"]


@pytest.fixture()
def restore_servers():
    """Start PostgreSQL and Redis again whatever a test did to them."""
    yield
    for command in ("postgres-start", "redis-start"):
        try:
            services(command)
        except Exception:  # already running
            continue


def test_database_down_at_start_then_back_without_restart(faults_url, postgres, tmp_path,
                                                         restore_servers):
    services("postgres-stop")
    app = make_app(faults_url, tmp_path, postgres)  # the app starts without its database
    client = client_as(app)
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_json()["status"] == "unavailable"
    assert client.get("/province/141").status_code == 200  # the page frame still loads
    page = render_page(client, "/province/141")
    assert page.status_code == 200
    assert UNAVAILABLE in page.get_data(as_text=True)
    assert side_updates(page)["data-banner"] == {"hidden": False}
    assert side_updates(page)["data-retry"] == {"disabled": False}
    api = client.get("/api/v1/indicators?level=national")
    assert api.status_code == 503
    assert "cannot be reached" in api.get_json()["error"]["message"]
    still_down = check_database(client)
    assert still_down.status_code == 204  # nothing changes while the database is away
    for body in (page.data, api.data):
        assert b"Traceback" not in body

    services("postgres-start")
    back = json.loads(check_database(client).data)["response"]
    assert back["data-banner"] == {"hidden": True}
    assert back["data-epoch"] == {"data": 1}  # the page redraws itself
    assert "unit-page" in render_page(client, "/province/141").get_data(as_text=True)
    assert client.get("/healthz").status_code == 200
    (pupils,), = query(make_engine(faults_url),
                       "SELECT count(*) FROM enrollment WHERE school_year = 2024")
    assert national_enrolment(client) == pupils


def test_database_lost_mid_session_serves_what_is_cached_then_recovers(
        faults_url, postgres, tmp_path, restore_servers):
    app = make_app(faults_url, tmp_path, postgres)
    client = client_as(app)
    before = national_enrolment(client)
    services("postgres-stop")
    assert national_enrolment(client) == before  # cached: still served
    uncached = client.get("/api/v1/indicators?level=province&code=81&year=2022")
    assert uncached.status_code == 503
    page = render_page(client, "/province/81")  # the hierarchy is known: the page is laid out
    assert page.status_code == 200 and "unit-page" in page.get_data(as_text=True)
    view = {"level": "province", "code": "81", "year": 2022, "cycle": "all", "sector": "all",
            "milieu": "all", "sex": "all", "indicator": "dropout_rate", "version": 1}
    cards = dash_post(client, [("kpi-row", "children"), ("empty-notice", "children")],
                      [("view", "data", view), ("page-unit", "data",
                                                {"level": "province", "code": "81"})],
                      "view.data")
    assert cards.status_code == 200  # its numbers are not: the banner says why
    assert side_updates(cards)["data-banner"] == {"hidden": False}

    services("postgres-start")  # the same app, its pool of dead connections included
    again = client.get("/api/v1/indicators?level=province&code=81&year=2022")
    assert again.status_code == 200
    assert again.get_json()["unit"]["code"] == "81"


def test_redis_down_falls_back_to_a_local_cache_with_one_warning(
        faults_url, postgres, tmp_path, restore_servers, caplog, monkeypatch):
    import redis

    monkeypatch.setattr(shared_cache, "RETRY_SECONDS", 0.2)
    shared = redis.Redis.from_url(postgres.redis_url)
    app = make_app(faults_url, tmp_path, postgres)
    client = client_as(app)
    shared.flushdb()
    expected = national_enrolment(client)
    assert shared.dbsize() > 0  # results went to Redis

    services("redis-stop")
    with caplog.at_level(logging.WARNING, logger="dashboard.shared_cache"):
        for year in (2024, 2023, 2022, 2024):
            response = client.get(f"/api/v1/indicators?level=region&code=6&year={year}")
            assert response.status_code == 200
        assert national_enrolment(client) == expected
    warnings = [r for r in caplog.records if r.name == "dashboard.shared_cache"
                and r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "local cache" in warnings[0].getMessage()

    services("redis-start")
    threading.Event().wait(0.3)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="dashboard.shared_cache"):
        assert client.get("/api/v1/indicators?level=province&code=141").status_code == 200
    assert shared.dbsize() > 0  # back to the shared cache
    assert any("reachable again" in r.getMessage() for r in caplog.records)


def test_rebuild_while_serving_gives_no_error_and_no_mixed_numbers(postgres, tmp_path):
    url = make_database(tmp_path, "tiny", TINY_YEARS, backend=postgres, name="pilotage_rebuild")
    app = make_app(url, tmp_path, postgres)
    writer = make_engine(url)

    def published() -> tuple[float, int]:
        dropouts, pupils = query(writer, "SELECT sum(CASE WHEN outcome = 'abandon' THEN 1 "
                                         "ELSE 0 END), count(*) FROM enrollment "
                                         "WHERE school_year = 2024")[0]
        return round(dropouts / pupils, 4), pupils

    old = published()
    with writer.begin() as conn:  # the new raw data: every pupil of 2024 in 141 drops out
        conn.execute(sa.text(
            "UPDATE enrollment SET outcome = 'abandon' WHERE school_year = 2024 AND "
            "school_code IN (SELECT s.code FROM school s JOIN commune c ON "
            "c.code = s.commune_code WHERE c.province_code = '141')"))
    new = published()
    assert new != old

    seen: list[tuple[float, int]] = []
    errors: list[str] = []
    stop = threading.Event()

    def reader() -> None:
        client = client_as(app)
        while not stop.is_set():
            response = client.get("/api/v1/indicators?level=national&year=2024")
            if response.status_code != 200:
                errors.append(f"{response.status_code} {response.data[:200]!r}")
                continue
            data = response.get_json()["indicators"]
            seen.append((round(data["dropout_rate"], 4), data["enrollment"]))

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        while len(seen) < 6 and not errors:  # every reader is reading the old build
            threading.Event().wait(0.01)
        build(writer)
        build(writer)
    finally:
        threading.Event().wait(2.5)  # past the data version's re-read interval
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert errors == []
    assert set(seen) <= {old, new}
    assert old in seen  # readers were there before the new build was published
    assert seen[-1] == new  # the new build is what everybody reads in the end
    writer.dispose()


def test_a_page_pinned_to_a_replaced_build_redraws_itself(postgres, tmp_path):
    url = make_database(tmp_path, "tiny", TINY_YEARS, backend=postgres, name="pilotage_pinned")
    app = make_app(url, tmp_path, postgres)
    client = client_as(app)
    filters = [("filter-" + name, "value", None) for name in
               ("year", "cycle", "sector", "milieu", "sex", "indicator")]
    sync = dash_post(client, [("url", "search"), ("view-next", "data"), ("view-sort", "data"),
                              ("notices", "children"), ("filter-year", "options")]
                     + [(i, p) for i, p, _ in filters],
                     [("url", "pathname", "/province/141"), ("url", "search", "?year=2024"),
                      *filters, ("data-epoch", "data", 0)], "url.pathname")
    view = json.loads(sync.data)["response"]["view-next"]["data"]
    assert view["version"] == 1
    inputs = [("view", "data", view), ("page-unit", "data", {"level": "province",
                                                           "code": "141"})]
    kpis = [("kpi-row", "children"), ("empty-notice", "children")]
    assert dash_post(client, kpis, inputs, "view.data").status_code == 200  # cached as v1

    writer = make_engine(url)
    build(writer)  # version 2 is published under the open page
    writer.dispose()
    cached = dash_post(client, kpis, inputs, "view.data")
    assert cached.status_code == 200
    assert "kpi-row" in json.loads(cached.data)["response"]  # version 1 numbers, whole
    trend = dash_post(client, [("trend-chart", "figure")], inputs, "view.data")
    assert trend.status_code == 200  # not cached for version 1: the page must redraw
    assert "response" not in json.loads(trend.data) or not json.loads(trend.data)["response"]
    assert side_updates(trend)["data-retry"] == {"disabled": False, "interval": 200}
    redrawn = json.loads(check_database(client).data)["response"]
    assert redrawn["data-epoch"] == {"data": 1}
