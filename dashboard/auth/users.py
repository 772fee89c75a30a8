"""Users: creation, passwords, lockout after repeated failures."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from werkzeug.security import check_password_hash, generate_password_hash

from dashboard.auth.schema import ROLES, users

MAX_FAILED_LOGINS = 5
LOCKOUT = dt.timedelta(minutes=15)
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


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _account(row) -> Account:
    return Account(row.username, row.role, row.scope_code, row.disabled, row.demo)


def add_user(engine: Engine, username: str, password: str, role: str, scope_code: str,
             demo: bool = False) -> Account:
    """Create a user bound to ``role`` over the subtree rooted at ``scope_code``."""
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    if not username or len(username) > 64 or not username.replace(".", "").replace(
            "-", "").replace("_", "").isalnum():
        raise UserError("username: letters, digits, '.', '-' and '_' only, 64 at most")
    _check_password(password)
    scope_code = "MA" if role == "national" else scope_code
    with engine.begin() as conn:
        if conn.execute(sa.select(users.c.username).where(users.c.username == username)).first():
            raise UserError(f"user {username!r} already exists")
        conn.execute(users.insert().values(
            username=username, password_hash=generate_password_hash(password, PASSWORD_METHOD),
            role=role, scope_code=scope_code, disabled=False, demo=demo, failed_logins=0,
            created_at=_now(),
        ))
    return Account(username, role, scope_code, False, demo)


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise UserError(f"password: at least {MIN_PASSWORD_LENGTH} characters")


def set_password(engine: Engine, username: str, password: str) -> None:
    """Replace a user's password and lift any lockout."""
    _check_password(password)
    with engine.begin() as conn:
        done = conn.execute(users.update().where(users.c.username == username).values(
            password_hash=generate_password_hash(password, PASSWORD_METHOD), failed_logins=0,
            locked_until=None))
    if done.rowcount == 0:
        raise UserError(f"no user {username!r}")


def disable_user(engine: Engine, username: str) -> None:
    """Stop a user from logging in (their history stays in the audit log)."""
    with engine.begin() as conn:
        done = conn.execute(users.update().where(users.c.username == username).values(
            disabled=True))
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

    After ``MAX_FAILED_LOGINS`` failures in a row the account is locked for ``LOCKOUT``;
    unknown users and wrong passwords get the same answer.
    """
    with engine.begin() as conn:
        row = conn.execute(sa.select(users).where(users.c.username == username)).first()
        if row is None:
            check_password_hash(generate_password_hash("x", "pbkdf2:sha256:1000"), password)
            return None, "invalid"
        if row.disabled:
            return None, "disabled"
        if row.locked_until and row.locked_until > _now():
            return None, "locked"
        if not check_password_hash(row.password_hash, password):
            failures = row.failed_logins + 1
            values = {"failed_logins": failures}
            if failures >= MAX_FAILED_LOGINS:
                values = {"failed_logins": 0, "locked_until": _now() + LOCKOUT}
            conn.execute(users.update().where(users.c.username == username).values(**values))
            return None, "locked" if failures >= MAX_FAILED_LOGINS else "invalid"
        conn.execute(users.update().where(users.c.username == username).values(
            failed_logins=0, locked_until=None))
        return _account(row), "ok"
