"""Tables of the application's own state: users, login counters and the audit log.

They live in a small read-write database of their own (SQLite by default, the same
PostgreSQL in production), because the schooling database is opened read-only.

``metadata.create_all`` also adds the columns a state database created by an older
version lacks (see :func:`add_missing_columns`), so every caller that creates the
tables brings an existing database up to date.
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    event,
)
from sqlalchemy.engine import Connection, Engine

ROLES = ("national", "region", "province", "school")

metadata = MetaData()

users = Table(
    "app_user",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column("scope_code", String(20), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("demo", Boolean, nullable=False, default=False),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", DateTime),
    Column("created_at", DateTime, nullable=False),
    # Stored in each session at login; bumping it ends every session of the user.
    Column("session_generation", Integer, nullable=False, default=0,
           server_default=sa.text("0")),
    # The language the user last chose (``fr``, ``ar``); pages open in it after login.
    Column("language", String(8)),
    CheckConstraint(f"role IN ({', '.join(repr(r) for r in ROLES)})", name="ck_user_role"),
)

#: Failed logins under names that have no account, counted like real accounts' so that
#: the answers (and the lockout) never tell which names exist.
unknown_logins = Table(
    "unknown_login",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", DateTime),
    Column("last_failed_at", DateTime, nullable=False, index=True),
)

#: Flask-Limiter's counters when no Redis is configured, shared by every worker.
rate_limits = Table(
    "rate_limit",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("hits", Integer, nullable=False),
    Column("expires_at", Float, nullable=False, index=True),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False, index=True),
    Column("username", String(64)),
    Column("event", String(32), nullable=False),
    Column("unit", String(64)),
    Column("detail", Text),
    Column("address", String(64)),
)


#: Follow-up of data-quality findings: one row per mark (the latest one of a school, year
#: and check is its state), with where the school lies, for scoped reads.
QUALITY_STATUSES = ("a_corriger", "corrige_source", "faux_signal", "clos_auto")
quality_mark = Table(
    "quality_mark",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("school_code", String(20), nullable=False, index=True),
    Column("commune_code", String(20), nullable=False),
    Column("province_code", String(20), nullable=False),
    Column("region_code", String(20), nullable=False),
    Column("school_year", Integer, nullable=False),
    Column("check_code", String(40), nullable=False),
    Column("status", String(20), nullable=False),
    Column("comment", Text, nullable=False, default=""),
    Column("username", String(64)),
    Column("marked_at", DateTime, nullable=False),
    CheckConstraint(f"status IN ({', '.join(repr(s) for s in QUALITY_STATUSES)})",
                    name="quality_mark_status"),
)


#: Errors of two processes creating the same table or column at the same moment.
CREATION_RACES = (sa.exc.OperationalError, sa.exc.ProgrammingError, sa.exc.IntegrityError)


def create_tables(engine: Engine, attempts: int = 3) -> None:
    """Create the state tables and add missing columns.

    Workers starting together on a new database may both try to create a table; the one
    that loses tries again and finds it there.
    """
    for attempt in range(1, attempts + 1):
        try:
            metadata.create_all(engine)
            return
        except CREATION_RACES:
            if attempt == attempts:
                raise
            time.sleep(0.2 * attempt)


def upsert(connection: Connection, table: Table, values: dict, update: dict) -> sa.Insert:
    """Return an INSERT of ``values`` that applies ``update`` when the key exists.

    The state database is SQLite or PostgreSQL; both take ``INSERT ... ON CONFLICT``, which
    keeps a read-modify-write atomic between workers.
    """
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    keys = [column.name for column in table.primary_key]
    return insert(table).values(**values).on_conflict_do_update(index_elements=keys,
                                                                set_=update)


@event.listens_for(metadata, "after_create")
def add_missing_columns(target: MetaData, connection: Connection, **kw: object) -> None:
    """Add the columns of each existing table that its database lacks.

    Only columns with a server default (or nullable ones) are declared after a table's
    first release, so adding them never fails on rows already there.
    """
    inspector = sa.inspect(connection)
    for table in target.sorted_tables:
        present = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present:
                ddl = sa.schema.CreateColumn(column).compile(dialect=connection.dialect)
                connection.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {ddl}")
