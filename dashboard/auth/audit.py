"""The audit log: who logged in, read or exported what, and when."""

from __future__ import annotations

import datetime as dt
import json
import logging

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dashboard.auth.schema import audit_log

log = logging.getLogger("pilotage.audit")


def record(engine: Engine, event: str, username: str | None, unit: str | None = None,
           detail: dict | None = None, address: str | None = None) -> None:
    """Append one entry; a failure to write is logged, never shown to the user."""
    try:
        with engine.begin() as conn:
            conn.execute(audit_log.insert().values(
                at=dt.datetime.now(dt.UTC).replace(tzinfo=None), event=event,
                username=username, unit=unit, address=address,
                detail=json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else None,
            ))
    except sa.exc.SQLAlchemyError:
        log.exception("could not write the audit log (%s by %s)", event, username)


def recent(engine: Engine, limit: int = 50) -> list[dict]:
    """Return the most recent entries, newest first."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(limit))
        return [dict(row._mapping) for row in rows]
