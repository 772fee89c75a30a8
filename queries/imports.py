"""The imports of MASSAR extracts and their rejected rows, as a caller may see them.

A national user sees every batch and every reject. A regional, provincial, communal or
school user sees the batches that hold rows of schools in their territory, counted over
those schools only, and the rejects of those schools; a reject that names no known school
(an unknown GRESA code, an unreadable line) is for national users alone.
"""

from __future__ import annotations

import json

import pandas as pd
import sqlalchemy as sa

from dashboard.data.schema import (
    commune,
    import_batch,
    import_batch_school,
    import_reject,
    province,
    school,
)
from queries.database import read
from queries.scope import Scope

BATCH_COLUMNS = ("id", "imported_at", "username", "file_name", "table_name", "school_year",
                 "rows_read", "rows_accepted", "rows_rejected")
REJECT_COLUMNS = ("line", "column_name", "value", "reason", "message", "school_code")


class UnknownBatch(LookupError):
    """No batch with that number, or none the caller may see."""


def _in_scope(scope: Scope, code: sa.ColumnElement) -> sa.ColumnElement:
    """A condition keeping rows whose school ``code`` lies inside the scope."""
    if scope.level == "school":
        return code == scope.code
    place = {"region": province.c.region_code, "province": commune.c.province_code,
             "commune": school.c.commune_code}[scope.level]
    schools = (sa.select(school.c.code)
               .join(commune, commune.c.code == school.c.commune_code)
               .join(province, province.c.code == commune.c.province_code)
               .where(place == scope.code))
    return code.in_(schools.scalar_subquery())


def batches(scope: Scope) -> pd.DataFrame:
    """Return the batches the caller may see, newest first, with their rows read, accepted
    and rejected (over the caller's schools) and the rejects by reason code."""
    if scope.level == "national":
        frame = read(sa.select(*(import_batch.c[c] for c in BATCH_COLUMNS),
                               import_batch.c.rejected_by_reason)
                     .order_by(import_batch.c.id.desc()))
        frame["rejected_by_reason"] = [json.loads(text) for text in frame["rejected_by_reason"]]
        return frame
    mine = _in_scope(scope, import_batch_school.c.school_code)
    counted = (sa.select(import_batch_school.c.batch_id,
                         sa.func.sum(import_batch_school.c.rows_read).label("rows_read"),
                         sa.func.sum(import_batch_school.c.rows_accepted).label("rows_accepted"),
                         sa.func.sum(import_batch_school.c.rows_rejected).label("rows_rejected"))
               .where(mine).group_by(import_batch_school.c.batch_id).subquery())
    own = [import_batch.c[c] for c in BATCH_COLUMNS if not c.startswith("rows_")]
    frame = read(sa.select(*own, counted.c.rows_read, counted.c.rows_accepted,
                           counted.c.rows_rejected)
                 .join(counted, counted.c.batch_id == import_batch.c.id)
                 .order_by(import_batch.c.id.desc()))
    reasons = read(sa.select(import_reject.c.batch_id, import_reject.c.reason,
                             sa.func.count().label("rows"))
                   .where(_in_scope(scope, import_reject.c.school_code))
                   .group_by(import_reject.c.batch_id, import_reject.c.reason))
    by_batch: dict[int, dict[str, int]] = {}
    for row in reasons.itertuples():
        by_batch.setdefault(int(row.batch_id), {})[row.reason] = int(row.rows)
    frame = frame.astype({c: "int64" for c in ("rows_read", "rows_accepted", "rows_rejected")})
    frame["rejected_by_reason"] = [by_batch.get(int(i), {}) for i in frame["id"]]
    return frame[[*BATCH_COLUMNS, "rejected_by_reason"]]


def batch(batch_id: int, scope: Scope) -> dict:
    """Return one batch as the caller sees it; raise :class:`UnknownBatch`."""
    frame = batches(scope)
    found = frame[frame["id"] == batch_id]
    if found.empty:
        raise UnknownBatch(f"no import batch {batch_id}")
    return found.iloc[0].to_dict()


def rejects(batch_id: int, scope: Scope) -> pd.DataFrame:
    """Return the rejected rows of one batch that the caller may see, by line."""
    batch(batch_id, scope)  # unknown or unseen: refused before anything is read
    select = (sa.select(*(import_reject.c[c] for c in REJECT_COLUMNS))
              .where(import_reject.c.batch_id == batch_id).order_by(import_reject.c.line))
    if scope.level != "national":
        select = select.where(_in_scope(scope, import_reject.c.school_code))
    return read(select)
