"""The production commands on PostgreSQL with Redis: warm-cache, serve's checks, /healthz."""

from __future__ import annotations

import pytest

from dashboard.cli import main
from dashboard.extensions import cache
from queries.filters import Filters
from queries.scope import NATIONAL_SCOPE
from tests.conftest import TINY_YEARS, make_database


@pytest.fixture(scope="module")
def settings(postgres, tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("production")
    url = make_database(folder, "tiny", TINY_YEARS, backend=postgres, name="pilotage_production")
    return {"PILOTAGE_DATABASE_URL": url, "PILOTAGE_DATA_DIR": str(folder),
            **postgres.app_settings()}


def test_warm_cache_fills_the_shared_cache_with_every_territorial_view(
        settings, postgres, monkeypatch, capsys):
    import redis

    from dashboard import create_app
    from queries import stats

    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    redis.Redis.from_url(postgres.redis_url).flushdb()
    assert main(["warm-cache", "--quiet"]) == 0
    assert "warmed 88 views" in capsys.readouterr().out  # 1 nation, 12 regions, 75 provinces

    app = create_app(settings)  # another process's app reads what warm-cache computed
    sums = stats._versioned_sums
    with app.server.app_context():
        for level, code in (("national", "MA"), ("region", "12"), ("province", "81")):
            key = sums.make_cache_key(sums.uncached, level, code, Filters(2024), NATIONAL_SCOPE,
                                      ("school_year",), tuple(TINY_YEARS), 1)
            assert cache.get(key) is not None, (level, code)
        key = sums.make_cache_key(sums.uncached, "commune", "141.1.1", Filters(2024),
                                  NATIONAL_SCOPE, ("school_year",), tuple(TINY_YEARS), 1)
        assert cache.get(key) is None  # communes are left to first use


def test_warm_cache_refuses_a_cache_local_to_each_worker(settings, monkeypatch, capsys):
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PILOTAGE_CACHE_TYPE", "SimpleCache")
    assert main(["warm-cache", "--quiet"]) == 2
    assert "nothing to warm" in capsys.readouterr().err


def test_healthz_answers_without_login(settings):
    from dashboard import create_app

    client = create_app(settings).server.test_client()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "data_version": 1}
