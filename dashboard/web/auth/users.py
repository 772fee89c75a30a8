"""Users: creation, passwords, lockout after repeated failures, session revocation."""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from werkzeug.security import check_password_hash, generate_password_hash

from dashboard.levels import NATIONAL_CODE
from dashboard.web.auth.schema import ROLES, unknown_logins, upsert, users

MAX_FAILED_LOGINS = 5
LOCKOUT = dt.timedelta(minutes=15)
#: How long failures under a name without an account are remembered after the last one.
UNKNOWN_NAMES_KEPT = dt.timedelta(days=1)
MIN_PASSWORD_LENGTH = 10
PASSWORD_METHOD = "scrypt"


class UserError(ValueError):
    """A user operation that cannot be carried out."""


@dataclass(frozen=True)
class Account:
    """A user as the application sees it (never the password hash)."""

    username: str
    role: str
    scope_code: str
    disabled: bool
    demo: bool
    #: Sessions opened under another generation are no longer valid.
    session_generation: int = 0
    #: The language the user last chose, None until they choose one.
    language: str | None = None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _account(row) -> Account:
    return Account(row.username, row.role, row.scope_code, row.disabled, row.demo,
                   row.session_generation, row.language)


@functools.cache
def _dummy_hash() -> str:
    """Return a hash of a random password, as costly to check as a real one."""
    return generate_password_hash(secrets.token_urlsafe(16), PASSWORD_METHOD)


def add_user(engine: Engine, username: str, password: str, role: str, scope_code: str,
             demo: bool = False) -> Account:
    """Create a user bound to ``role`` over the subtree rooted at ``scope_code``."""
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    if not username or len(username) > 64 or not username.replace(".", "").replace(
            "-", "").replace("_", "").isalnum():
        raise UserError("username: letters, digits, '.', '-' and '_' only, 64 at most")
    _check_password(password)
    scope_code = NATIONAL_CODE if role == "national" else scope_code
    with engine.begin() as conn:
        if conn.execute(sa.select(users.c.username).where(users.c.username == username)).first():
            raise UserError(f"user {username!r} already exists")
        conn.execute(users.insert().values(
            username=username, password_hash=generate_password_hash(password, PASSWORD_METHOD),
            role=role, scope_code=scope_code, disabled=False, demo=demo, failed_logins=0,
            created_at=_now(), session_generation=0,
        ))
        conn.execute(unknown_logins.delete().where(unknown_logins.c.username == username))
    return Account(username, role, scope_code, False, demo)


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise UserError(f"password: at least {MIN_PASSWORD_LENGTH} characters")


def _update(engine: Engine, username: str, **values) -> None:
    """Update one user, ending their sessions; refuse an unknown name."""
    with engine.begin() as conn:
        done = conn.execute(users.update().where(users.c.username == username).values(
            session_generation=users.c.session_generation + 1, **values))
    if done.rowcount == 0:
        raise UserError(f"no user {username!r}")


def set_password(engine: Engine, username: str, password: str) -> None:
    """Replace a user's password, lift any lockout and end the user's sessions."""
    _check_password(password)
    _update(engine, username, password_hash=generate_password_hash(password, PASSWORD_METHOD),
            failed_logins=0, locked_until=None)


def disable_user(engine: Engine, username: str) -> None:
    """Stop a user from logging in and end their sessions (their history stays in the
    audit log)."""
    _update(engine, username, disabled=True)


def revoke_sessions(engine: Engine, username: str) -> None:
    """End every session of a user (on every device), as logging out does."""
    _update(engine, username)


def remember_language(engine: Engine, username: str, language: str) -> None:
    """Keep the language a user chose, for their next login (their sessions go on)."""
    with engine.begin() as conn:
        conn.execute(users.update().where(users.c.username == username)
                     .values(language=language))


def delete_user(engine: Engine, username: str) -> None:
    """Delete an account; its sessions end with it (its history stays in the audit log)."""
    with engine.begin() as conn:
        done = conn.execute(users.delete().where(users.c.username == username))
    if done.rowcount == 0:
        raise UserError(f"no user {username!r}")


def list_users(engine: Engine) -> list[Account]:
    """Return every user, sorted by name."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(users).order_by(users.c.username)).fetchall()
    return [_account(r) for r in rows]


def get_account(engine: Engine, username: str) -> Account | None:
    """Return an enabled user by name, or None."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(users).where(users.c.username == username)).first()
    if row is None or row.disabled:
        return None
    return _account(row)


def authenticate(engine: Engine, username: str, password: str) -> tuple[Account | None, str]:
    """Check a password; return the account (or None) and the reason for a refusal.

    After ``MAX_FAILED_LOGINS`` failures in a row a name is locked for ``LOCKOUT``. Unknown
    names, disabled accounts and wrong passwords cost the same password check, count
    failures and lock the same way, so that no answer tells whether an account exists.
    """
    with engine.begin() as conn:
        row = conn.execute(sa.select(users).where(users.c.username == username)).first()
        matches = check_password_hash(row.password_hash if row else _dummy_hash(), password)
        if row is None:
            return None, _unknown_name_failed(conn, username)
        if row.locked_until and row.locked_until > _now():
            return None, "locked"
        if matches and not row.disabled:
            conn.execute(users.update().where(users.c.username == username).values(
                failed_logins=0, locked_until=None))
            return _account(row), "ok"
        locked = _count_failure(conn, users, username, row.failed_logins)
        return None, "locked" if locked else ("disabled" if row.disabled else "invalid")


def _count_failure(conn: Connection, table: sa.Table, username: str, failures: int) -> bool:
    """Record one more failure of ``username`` in ``table``; return whether it now locks."""
    failures += 1
    values = {"failed_logins": failures}
    if failures >= MAX_FAILED_LOGINS:
        values = {"failed_logins": 0, "locked_until": _now() + LOCKOUT}
    conn.execute(table.update().where(table.c.username == username).values(**values))
    return failures >= MAX_FAILED_LOGINS


def _unknown_name_failed(conn: Connection, username: str) -> str:
    """Count a failure under a name without an account exactly as for a real one."""
    now = _now()
    conn.execute(unknown_logins.delete().where(
        unknown_logins.c.last_failed_at < now - UNKNOWN_NAMES_KEPT,
        sa.or_(unknown_logins.c.locked_until.is_(None), unknown_logins.c.locked_until < now)))
    conn.execute(upsert(conn, unknown_logins, {"username": username, "failed_logins": 0,
                                               "last_failed_at": now},
                        {"last_failed_at": now}))
    row = conn.execute(sa.select(unknown_logins).where(
        unknown_logins.c.username == username)).one()
    if row.locked_until and row.locked_until > now:
        return "locked"
    return "locked" if _count_failure(conn, unknown_logins, username,
                                      row.failed_logins) else "invalid"
