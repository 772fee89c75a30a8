"""The login door under attack: one rate limit over every process, answers that never tell
which accounts exist, and a refusal page in French."""

from __future__ import annotations

import http.client
import logging
import os
import re
import select
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import pytest

from dashboard import create_app
from dashboard.app_state import state_of
from dashboard.db import make_engine
from dashboard.web.auth.users import add_user, disable_user
from tests.conftest import PASSWORD, log_in, query

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 6
STARTUP_SECONDS = 90


# --- one limit over several processes -----------------------------------------------------


def _port_of(process: subprocess.Popen, log: Path) -> int:
    """Wait for a server process to print its port; fail with its log if it dies first."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.5)
        if ready:
            line = process.stdout.readline()
            if line.strip().isdigit():
                return int(line)
        if process.poll() is not None:
            break
    raise AssertionError(f"server did not start:\n{log.read_text()[-3000:]}")


@contextmanager
def servers(count: int, settings: dict[str, str], folder: Path):
    """Start ``count`` server processes of one configuration; yield their ports."""
    env = {**os.environ, **settings}
    env.pop("PILOTAGE_SECRET_KEY", None)
    processes, logs = [], []
    try:
        for n in range(count):
            logs.append(folder / f"server{n}.log")
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "tests.serve_app"], cwd=ROOT, env=env, text=True,
                stdout=subprocess.PIPE, stderr=logs[-1].open("w")))
        yield [_port_of(p, log) for p, log in zip(processes, logs, strict=True)]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def post_login(port: int, username: str, password: str = "wrong-password-x") -> int:
    """POST the login form over HTTP; return the status."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("POST", "/login", urlencode({"username": username,
                                                         "password": password}),
                           {"Content-Type": "application/x-www-form-urlencoded"})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def attack(ports: list[int], attempts: int) -> list[int]:
    """Fire ``attempts`` logins at once, spread over every server; return the statuses."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda n: post_login(ports[n % len(ports)], f"guess{n}"),
                             range(attempts)))


def limited_settings(tiny_url: str, folder: Path, **extra: str) -> dict[str, str]:
    return {"PILOTAGE_DATABASE_URL": tiny_url, "PILOTAGE_DATA_DIR": str(folder),
            "PILOTAGE_LOGIN_RATE_LIMIT": f"{LIMIT} per minute",
            "PILOTAGE_CACHE_TYPE": "SimpleCache", **extra}


def no_tracebacks(folder: Path) -> None:
    for log in folder.glob("server*.log"):
        assert "Traceback" not in log.read_text(), log.read_text()[-3000:]


def test_two_processes_on_one_state_database_share_the_login_limit(tiny_url, tmp_path):
    with servers(2, limited_settings(tiny_url, tmp_path), tmp_path) as ports:
        statuses = attack(ports, 3 * LIMIT)
        one_by_one = [post_login(port, "late") for port in ports]
    assert sorted(set(statuses)) == [401, 429]
    assert statuses.count(401) == LIMIT, statuses  # not LIMIT in each process
    assert one_by_one == [429, 429]
    no_tracebacks(tmp_path)


def test_two_processes_on_one_redis_share_the_login_limit(tiny_url, tmp_path, postgres):
    import redis

    settings = limited_settings(tiny_url, tmp_path, PILOTAGE_CACHE_TYPE="RedisCache",
                                PILOTAGE_CACHE_REDIS_URL=postgres.redis_url)
    with servers(2, settings, tmp_path) as ports:
        statuses = attack(ports, 3 * LIMIT)
    assert statuses.count(401) == LIMIT, statuses
    assert redis.Redis.from_url(postgres.redis_url).keys("*/auth.login/*")  # counted in Redis,
    state = make_engine(f"sqlite:///{tmp_path / 'pilotage-state.sqlite'}")
    assert query(state, "SELECT count(*) FROM rate_limit") == [(0,)]  # not in the database
    no_tracebacks(tmp_path)


def test_without_redis_the_limit_still_holds_in_memory(tiny_url, tmp_path, caplog):
    app = create_app(limited_settings(tiny_url, tmp_path, PILOTAGE_CACHE_TYPE="RedisCache",
                                      PILOTAGE_CACHE_REDIS_URL="redis://127.0.0.1:9/0"))
    client = app.server.test_client()
    with caplog.at_level(logging.WARNING):
        statuses = [log_in(client, "ghost", "wrong-password-x").status_code
                    for _ in range(LIMIT + 1)]
    assert statuses == [401] * LIMIT + [429]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


@pytest.fixture(params=["sqlite", "postgresql"])
def state_storage(request, tmp_path):
    """The state-database storage of the limiter, on SQLite and on PostgreSQL."""
    from dashboard.web.auth.rate_limit import StateDatabaseStorage
    from dashboard.web.auth.schema import metadata

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'state.sqlite'}"
    else:
        url = request.getfixturevalue("postgres").database_url(tmp_path, "pilotage_limits")
    engine = make_engine(url)
    metadata.create_all(engine)
    yield StateDatabaseStorage("pilotage-state://", engine=engine)
    engine.dispose()


def test_the_state_database_counts_every_concurrent_hit_once(state_storage):
    with ThreadPoolExecutor(max_workers=8) as pool:
        counts = list(pool.map(lambda _: state_storage.incr("k", 60), range(40)))
    assert sorted(counts) == list(range(1, 41))  # each increment saw its own total
    assert state_storage.get("k") == 40 and state_storage.check()
    assert time.time() < state_storage.get_expiry("k") <= time.time() + 60


def test_a_counter_of_the_state_database_restarts_with_its_window(state_storage):
    assert [state_storage.incr("k", 1) for _ in range(3)] == [1, 2, 3]
    time.sleep(1.1)
    assert state_storage.get("k") == 0
    assert state_storage.incr("k", 1) == 1
    state_storage.clear("k")
    assert state_storage.get("k") == 0
    state_storage.incr("other", 60)
    state_storage.reset()
    assert state_storage.get("other") == 0


# --- answers that do not tell which accounts exist ---------------------------------------


@pytest.fixture()
def door(tiny_url, tmp_path):
    """An app without a practical rate limit, with accounts to guess at."""
    app = create_app({"PILOTAGE_DATABASE_URL": tiny_url, "PILOTAGE_DATA_DIR": str(tmp_path),
                      "PILOTAGE_LOGIN_RATE_LIMIT": "10000 per minute"})
    state = state_of(app.server).state_engine
    for n in range(6):
        add_user(state, f"agent{n}", PASSWORD, "region", "6")
    add_user(state, "retired", PASSWORD, "region", "6")
    disable_user(state, "retired")
    return app


def _timed_failure(client, username: str) -> float:
    started = time.perf_counter()
    assert log_in(client, username, "wrong-password-x").status_code == 401
    return time.perf_counter() - started


def test_unknown_names_take_as_long_as_real_accounts(door):
    client = door.server.test_client()
    _timed_failure(client, "warm-up")
    known, unknown = [], []
    for n in range(6):  # interleaved, so that a busy moment slows both alike
        known.append(_timed_failure(client, f"agent{n}"))
        unknown.append(_timed_failure(client, f"nobody{n}"))
    assert statistics.median(unknown) >= 0.5 * statistics.median(known), (known, unknown)


def _answers(client, username: str, password: str = "wrong-password-x") -> list:
    """Return the status and the message of six logins in a row under ``username``."""
    answers = []
    for _ in range(6):
        response = log_in(client, username, password)
        text = response.get_data(as_text=True)
        answers.append((response.status_code, re.search(r'role="alert">(.*?)</div>',
                                                         text).group(1)))
    return answers


def test_unknown_and_disabled_names_are_locked_like_real_accounts(door):
    client = door.server.test_client()
    real = _answers(client, "agent0")
    assert "bloqué" in real[-1][1] and "incorrect" in real[0][1]
    assert _answers(client, "no-such-agent") == real
    assert _answers(client, "retired", PASSWORD) == real


def test_a_locked_name_stays_locked_even_with_the_right_password(door):
    client = door.server.test_client()
    _answers(client, "agent1")
    assert "bloqué" in log_in(client, "agent1").get_data(as_text=True)


def test_a_new_account_does_not_inherit_the_failures_of_its_name(door):
    client = door.server.test_client()
    _answers(client, "newcomer")
    add_user(state_of(door.server).state_engine, "newcomer", PASSWORD, "region", "6")
    assert log_in(client, "newcomer").status_code == 302


# --- the refusal page -----------------------------------------------------------------------


def test_too_many_attempts_answer_the_french_login_page(tiny_url, tmp_path):
    app = create_app(limited_settings(tiny_url, tmp_path))
    client = app.server.test_client()
    for _ in range(LIMIT):
        log_in(client, "agent", "wrong-password-x")
    refused = log_in(client, "agent", "wrong-password-x")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 429
    assert "Too Many Requests" not in text and 'lang="fr"' in text
    assert "Trop de tentatives de connexion depuis cette adresse" in text
    assert '/assets/pilotage.css' in text and 'name="password"' in text
    assert 'value="agent"' in text  # the name typed stays in the form
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert client.get("/login").status_code == 200  # the form itself is not limited
