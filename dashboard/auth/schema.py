"""Tables of the application's own state: users and the audit log.

They live in a small read-write database of their own (SQLite by default, the same
PostgreSQL in production), because the schooling database is opened read-only.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

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
    CheckConstraint(f"role IN ({', '.join(repr(r) for r in ROLES)})", name="ck_user_role"),
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
