"""Sessions end when they must: logout, a new password, a disabled or deleted account; and
nobody can sign a session cookie with a key published in the sources."""

from __future__ import annotations

import stat

import pytest
import sqlalchemy as sa
from flask import Flask

from dashboard import create_app
from dashboard.app_state import state_of
from dashboard.cli import main
from dashboard.config import DEFAULT_SECRET_KEY, SECRET_KEY_FILE, ConfigError
from dashboard.db import make_engine
from dashboard.web.auth.schema import metadata as state_metadata
from dashboard.web.auth.users import list_users, set_password
from dashboard.web.auth.web import GENERATION_KEY
from tests.conftest import PASSWORD, client_as, log_in, make_app

#: A read only a logged-in national user gets: 200 with a session, 401 without.
NATIONAL_READ = "/api/v1/indicators?level=national&year=2024"
USERS = tuple((f"user{n}", "national", "MA") for n in range(8))


@pytest.fixture(scope="module")
def app(tiny_url, backend, tmp_path_factory):
    """An app with accounts of its own, so that revoking them disturbs no other test."""
    return make_app(tiny_url, tmp_path_factory.mktemp("sessions"), backend, accounts=USERS)


def state(app):
    return state_of(app.server).state_engine


def cookie_of(client) -> str:
    return client.get_cookie("session").value


def replay(app, cookie: str):
    """Send a national read with ``cookie`` from a fresh client (an attacker's copy)."""
    client = app.server.test_client()
    client.set_cookie("session", cookie)
    return client.get(NATIONAL_READ)


def use_cli(monkeypatch, app, *args: str) -> int:
    """Run ``python -m dashboard`` in this process on the app's state database."""
    monkeypatch.setenv("PILOTAGE_STATE_DATABASE_URL", str(state(app).url))
    monkeypatch.setenv("NEW_PASSWORD", "a-brand-new-password")
    return main(list(args))


def test_a_copied_cookie_stops_working_after_logout(app):
    client = client_as(app, "user0")
    stolen = cookie_of(client)
    assert replay(app, stolen).status_code == 200
    assert client.post("/logout").status_code == 302
    assert replay(app, stolen).status_code == 401


def test_logging_out_ends_the_user_sessions_on_every_device(app):
    laptop, phone = client_as(app, "user1"), client_as(app, "user1")
    laptop.post("/logout")
    assert phone.get(NATIONAL_READ).status_code == 401
    assert client_as(app, "user1").get(NATIONAL_READ).status_code == 200  # logging in again


@pytest.mark.parametrize(("username", "command"), [
    ("user2", ("users", "set-password", "user2", "--password-env", "NEW_PASSWORD")),
    ("user3", ("users", "disable", "user3")),
    ("user4", ("users", "delete", "user4", "--yes")),
])
def test_a_session_ends_when_the_account_changes(app, monkeypatch, username, command):
    client = client_as(app, username)
    assert client.get(NATIONAL_READ).status_code == 200
    assert use_cli(monkeypatch, app, *command) == 0
    assert client.get(NATIONAL_READ).status_code == 401
    assert replay(app, cookie_of(client)).status_code == 401


def test_a_new_password_ends_sessions_but_not_the_next_login(app):
    client = client_as(app, "user5")
    set_password(state(app), "user5", "another-good-password")
    assert client.get(NATIONAL_READ).status_code == 401
    assert log_in(client, "user5", "another-good-password").status_code == 302
    assert client.get(NATIONAL_READ).status_code == 200


def test_a_cookie_without_the_current_generation_is_refused(app):
    """Even signed with the app's own key, a cookie must name the user's generation."""
    forged = forge(app.server.secret_key, {"_user_id": "user6", "_fresh": True})
    assert replay(app, forged).status_code == 401
    with_generation = forge(app.server.secret_key, {"_user_id": "user6", "_fresh": True,
                                                   GENERATION_KEY: 0})
    assert replay(app, with_generation).status_code == 200


# --- the signing key --------------------------------------------------------------------


def forge(secret_key: str, content: dict) -> str:
    """Sign ``content`` as Flask would with ``secret_key``: an attacker's cookie."""
    signer = Flask("forger")
    signer.secret_key = secret_key
    return signer.session_interface.get_signing_serializer(signer).dumps(content)


@pytest.fixture()
def unconfigured(tiny_url, tmp_path, monkeypatch):
    """Settings of an app started as `make run` does: no PILOTAGE_SECRET_KEY anywhere."""
    monkeypatch.delenv("PILOTAGE_SECRET_KEY", raising=False)
    return {"PILOTAGE_DATABASE_URL": tiny_url, "PILOTAGE_DATA_DIR": str(tmp_path)}


def test_a_cookie_signed_with_the_published_default_key_is_refused(unconfigured):
    app = create_app(unconfigured)
    claim = {"_user_id": "national", "_fresh": True, GENERATION_KEY: 0}
    from dashboard.web.auth.users import add_user

    add_user(state(app), "national", PASSWORD, "national", "MA")
    assert replay(app, forge(DEFAULT_SECRET_KEY, claim)).status_code == 401
    assert replay(app, forge(app.server.secret_key, claim)).status_code == 200  # the claim is
    # well formed: only the key makes the difference


def test_the_generated_key_is_random_private_and_kept(unconfigured, tmp_path):
    first = create_app(unconfigured).server.secret_key
    kept = tmp_path / SECRET_KEY_FILE
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert len(first) >= 32 and first != DEFAULT_SECRET_KEY
    assert create_app(unconfigured).server.secret_key == first  # a restart keeps sessions
    other = tmp_path / "elsewhere"
    assert create_app({**unconfigured, "PILOTAGE_DATA_DIR": str(other)}).server.secret_key \
        != first


def test_a_configured_key_is_used_and_nothing_is_written(unconfigured, tmp_path):
    app = create_app({**unconfigured, "PILOTAGE_SECRET_KEY": "s" * 40})
    assert app.server.secret_key == "s" * 40
    assert not (tmp_path / SECRET_KEY_FILE).exists()


def test_production_refuses_to_start_without_a_configured_key(unconfigured, tmp_path):
    with pytest.raises(ConfigError, match="PILOTAGE_SECRET_KEY must be set"):
        create_app({**unconfigured, "PILOTAGE_ENV": "production"})
    assert not (tmp_path / SECRET_KEY_FILE).exists()
    with pytest.raises(ConfigError, match="PILOTAGE_SECRET_KEY must be set"):
        create_app({**unconfigured, "PILOTAGE_ENV": "production",
                    "PILOTAGE_SECRET_KEY": DEFAULT_SECRET_KEY})


def test_an_unwritable_data_dir_is_one_clear_error(unconfigured, tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    with pytest.raises(ConfigError, match="cannot keep the session key"):
        create_app({**unconfigured, "PILOTAGE_DATA_DIR": str(blocked),
                    "PILOTAGE_STATE_DATABASE_URL": f"sqlite:///{tmp_path / 'state.sqlite'}"})


# --- a state database of an earlier version -----------------------------------------------


OLD_USERS_TABLE = """CREATE TABLE app_user (
    username VARCHAR(64) PRIMARY KEY, password_hash VARCHAR(255) NOT NULL,
    role VARCHAR(16) NOT NULL, scope_code VARCHAR(20) NOT NULL, disabled BOOLEAN NOT NULL,
    demo BOOLEAN NOT NULL, failed_logins INTEGER NOT NULL, locked_until DATETIME,
    created_at DATETIME NOT NULL)"""


def test_a_state_database_of_an_earlier_version_is_brought_up_to_date(tiny_url, tmp_path):
    from werkzeug.security import generate_password_hash

    url = f"sqlite:///{tmp_path / 'old-state.sqlite'}"
    old = make_engine(url)
    with old.begin() as conn:
        conn.exec_driver_sql(OLD_USERS_TABLE)
        conn.execute(sa.text("INSERT INTO app_user VALUES ('veteran', :hash, 'national', "
                             "'MA', 0, 0, 0, NULL, '2025-01-01 00:00:00')"),
                     {"hash": generate_password_hash(PASSWORD, "scrypt")})
    app = create_app({"PILOTAGE_DATABASE_URL": tiny_url, "PILOTAGE_DATA_DIR": str(tmp_path),
                      "PILOTAGE_STATE_DATABASE_URL": url})
    columns = {c["name"] for c in sa.inspect(old).get_columns("app_user")}
    assert "session_generation" in columns
    assert [a.session_generation for a in list_users(old)] == [0]
    client = client_as(app, "veteran")
    assert client.get(NATIONAL_READ).status_code == 200
    client.post("/logout")
    assert [a.session_generation for a in list_users(old)] == [1]
    state_metadata.create_all(old)  # once up to date, creating the tables changes nothing
    old.dispose()


# --- users delete -------------------------------------------------------------------------


def test_users_delete_asks_first(app, monkeypatch, capsys):
    answers = iter(["n", "y"])
    monkeypatch.setattr("builtins.input", lambda question: next(answers))
    assert use_cli(monkeypatch, app, "users", "delete", "user7") == 2
    assert "not deleted" in capsys.readouterr().err
    assert "user7" in {a.username for a in list_users(state(app))}
    assert use_cli(monkeypatch, app, "users", "delete", "user7") == 0
    assert "deleted user7" in capsys.readouterr().out
    assert "user7" not in {a.username for a in list_users(state(app))}
    assert log_in(app.server.test_client(), "user7").status_code == 401


def test_users_delete_without_a_terminal_deletes_nothing(app, monkeypatch, capsys):
    def no_input(question):
        raise EOFError

    monkeypatch.setattr("builtins.input", no_input)
    assert use_cli(monkeypatch, app, "users", "delete", "user6") == 2
    assert "user6" in {a.username for a in list_users(state(app))}


def test_users_delete_of_an_unknown_user_is_one_error_line(app, monkeypatch, capsys):
    def never(question):
        raise AssertionError("asked about a user that does not exist")

    monkeypatch.setattr("builtins.input", never)
    assert use_cli(monkeypatch, app, "users", "delete", "nobody-here") == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "nobody-here" in err
