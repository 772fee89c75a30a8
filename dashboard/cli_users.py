"""The ``users`` and ``audit`` commands: managing accounts from the shell."""

from __future__ import annotations

import argparse
import getpass
import os

from dashboard.config import load_config
from dashboard.db import make_engine
from dashboard.levels import NATIONAL_CODE
from dashboard.web.auth import audit
from dashboard.web.auth.schema import ROLES
from dashboard.web.auth.schema import create_tables as create_state_tables
from dashboard.web.auth.users import (
    UserError,
    add_user,
    delete_user,
    disable_user,
    list_users,
    set_password,
)

#: One demonstration account per role, created by `make run` on the demo database only.
DEMO_ACCOUNTS = (
    ("national", "national", NATIONAL_CODE, "demo-national-2024"),
    ("casablanca", "region", "6", "demo-region-2024"),
    ("prefecture-casablanca", "province", "141", "demo-province-2024"),
    ("ecole", "school", "", "demo-school-2024"),
)


class UsersCommandError(Exception):
    """A users command that cannot be carried out (one line, exit code 2)."""


def state_engine():
    """Return the engine of the state database, creating its tables when missing."""
    engine = make_engine(load_config().state_database_url)
    create_state_tables(engine)
    return engine


def _password(args: argparse.Namespace) -> str:
    if args.password_env:
        value = os.environ.get(args.password_env)
        if not value:
            raise UsersCommandError(f"environment variable {args.password_env} is empty")
        return value
    first = getpass.getpass("Mot de passe : ")
    if first != getpass.getpass("Confirmez : "):
        raise UsersCommandError("the two passwords differ")
    return first


def run_users(args: argparse.Namespace) -> None:
    """Carry out ``users add|list|disable|delete|set-password|demo``."""
    engine = state_engine()
    try:
        if args.action == "add":
            if args.role != "national" and not args.scope:
                raise UsersCommandError(f"--scope is required for the role {args.role}")
            _check_scope(args.role, args.scope)
            account = add_user(engine, args.username, _password(args), args.role,
                               args.scope or NATIONAL_CODE)
            print(f"added {account.username} ({account.role} {account.scope_code})")
        elif args.action == "list":
            for a in list_users(engine):
                flags = " ".join(f for f, on in (("disabled", a.disabled), ("demo", a.demo)) if on)
                print(f"{a.username:<28} {a.role:<9} {a.scope_code:<10} {flags}".rstrip())
        elif args.action == "disable":
            disable_user(engine, args.username)
            print(f"disabled {args.username}")
        elif args.action == "delete":
            _delete(engine, args.username, args.yes)
        elif args.action == "set-password":
            set_password(engine, args.username, _password(args))
            print(f"password changed for {args.username}")
        elif args.action == "demo":
            create_demo_accounts(engine)
    except UserError as error:
        raise UsersCommandError(str(error)) from None


def _delete(engine, username: str, confirmed: bool) -> None:
    """Delete an account after asking (unless ``confirmed``); its sessions end with it."""
    if not any(a.username == username for a in list_users(engine)):
        raise UsersCommandError(f"no user {username!r}")
    if not confirmed and not _confirm(f"delete the account {username}? [y/N] "):
        raise UsersCommandError(f"{username} not deleted (answer y, or pass --yes)")
    delete_user(engine, username)
    print(f"deleted {username}")


def _confirm(question: str) -> bool:
    """Ask a yes/no question on the terminal; no answer (end of input) means no."""
    try:
        return input(question).strip().lower() in ("y", "yes", "o", "oui")
    except EOFError:
        print()
        return False


def _check_scope(role: str, code: str | None) -> None:
    """Refuse a scope code that names no unit of the role's level."""
    if role != "national" and _first_unit(role, code=code) is None:
        raise UsersCommandError(f"no {role} has the code {code!r} (run build first?)")


def _first_unit(level: str, **columns: str | None) -> str | None:
    """Return the first code of a published unit of ``level`` matching ``columns``."""
    import sqlalchemy as sa

    from dashboard.data.analytics_schema import unit

    engine = make_engine(load_config().database_url, read_only=True)
    select = sa.select(unit.c.code).where(
        unit.c.level == level, *(unit.c[name] == value for name, value in columns.items())
    ).order_by(unit.c.code).limit(1)
    try:
        with engine.connect() as conn:
            return conn.execute(select).scalar()
    finally:
        engine.dispose()


def create_demo_accounts(engine) -> None:
    """Create the documented demo accounts (refused in production)."""
    if load_config().production:
        raise UsersCommandError("demo accounts are refused when PILOTAGE_ENV=production")
    existing = {a.username for a in list_users(engine)}
    for username, role, scope, password in DEMO_ACCOUNTS:
        if username in existing:
            continue
        if role == "school":
            scope = _first_school_of("141.1.1")
        add_user(engine, username, password, role, scope, demo=True)
        print(f"demo account {username} ({role} {scope}), password {password}")


def _first_school_of(commune: str) -> str:
    code = _first_unit("school", commune_code=commune)
    if code is None:
        raise UsersCommandError(f"no school in commune {commune}: build the demo database first")
    return code


def run_audit(args: argparse.Namespace) -> None:
    """Print the most recent audit entries, oldest first, one line each."""
    for entry in reversed(audit.recent(state_engine(), args.limit)):
        print(audit.format_entry(entry))


def add_commands(commands) -> None:
    """Declare the ``users`` and ``audit`` commands on the CLI's subparsers."""
    users = commands.add_parser("users", help="manage user accounts")
    actions = users.add_subparsers(dest="action", required=True, metavar="<action>")
    add = actions.add_parser("add", help="create an account")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--scope", help="code of the region, province or school the user sees")
    add.add_argument("--password-env", metavar="VAR",
                     help="read the password from this environment variable (else prompt)")
    actions.add_parser("list", help="list accounts")
    disable = actions.add_parser("disable", help="disable an account")
    disable.add_argument("username")
    delete = actions.add_parser("delete", help="delete an account and end its sessions")
    delete.add_argument("username")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    reset = actions.add_parser("set-password", help="change a password and lift a lockout")
    reset.add_argument("username")
    reset.add_argument("--password-env", metavar="VAR")
    actions.add_parser("demo", help="create the demo accounts (not in production)")
    users.set_defaults(run=run_users)

    log = commands.add_parser("audit", help="print recent audit log entries")
    log.add_argument("--limit", type=int, default=50, help="how many entries (default: 50)")
    log.set_defaults(run=run_audit)
