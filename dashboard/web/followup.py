"""The register of corrections: who marked which finding of a school, how and when.

A finding is a school's check for a school year. A user whose scope contains the school
marks it "à corriger", "corrigé à la source" or "faux signal", with a comment; the latest
mark is its state, and the register keeps every mark. A finding still "à corriger" whose
check finds nothing any more (a new import corrected the data) is closed automatically by
:func:`close_vanished`, with a mark saying so.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dashboard.i18n import _
from dashboard.web.auth.schema import QUALITY_STATUSES, quality_mark
from queries.scope import Scope

#: What a user may set (the automatic closure is the register's own).
CHOICES = QUALITY_STATUSES[:3]
OPEN = "a_corriger"
AUTOMATIC = "clos_auto"
LABELS = {"a_corriger": "À corriger", "corrige_source": "Corrigé à la source",
          "faux_signal": "Faux signal", "clos_auto": "Clos automatiquement"}
MAX_COMMENT = 500
COLUMNS = ("school_code", "school_year", "check_code", "status", "comment", "username",
           "marked_at")


class BadMark(ValueError):
    """A mark that may not be recorded (an unknown status, a comment too long)."""


def status_label(status: str) -> str:
    """Return a status as the register names it."""
    return _(LABELS.get(status, status))


def mark(state: Engine, school: dict, year: int, check: str, status: str, comment: str,
         username: str | None) -> None:
    """Record a mark of one school's finding; ``school`` is its unit row (its ancestors
    place the mark in scopes). The caller has checked the school lies in the user's
    scope and the check is known."""
    if status not in CHOICES:
        raise BadMark(f"status must be one of {', '.join(CHOICES)}")
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise BadMark(f"a comment holds {MAX_COMMENT} characters at most")
    _insert(state, [_row(school, year, check, status, comment, username)])


def register(state: Engine, scope: Scope, school: str | None = None) -> pd.DataFrame:
    """Return every mark inside ``scope`` (of one school when given), oldest first."""
    m = quality_mark.c
    select = sa.select(*(m[name] for name in COLUMNS)).order_by(m.marked_at, m.id)
    if scope.level != "national":
        column = {"region": m.region_code, "province": m.province_code,
                  "commune": m.commune_code, "school": m.school_code}[scope.level]
        select = select.where(column == scope.code)
    if school is not None:
        select = select.where(m.school_code == school)
    with state.connect() as conn:
        rows = conn.execute(select).all()
    return pd.DataFrame(rows, columns=list(COLUMNS))


def latest(marks: pd.DataFrame) -> pd.DataFrame:
    """Return the state of each finding: its latest mark."""
    if marks.empty:
        return marks
    return (marks.groupby(["school_code", "school_year", "check_code"], sort=False)
            .tail(1).reset_index(drop=True))


def close_vanished(state: Engine, scope: Scope, still_found: set[tuple[str, int, str]],
                   version: int, schools: dict[str, dict]) -> int:
    """Close the open findings of ``scope`` that the checks no longer find (``still_found``
    holds the (school, year, check) found now); return how many were closed.

    ``schools`` gives the unit row of each school with an open finding.
    """
    current = latest(register(state, scope))
    if current.empty:
        return 0
    open_ = current[current["status"] == OPEN]
    gone = [row for row in open_.itertuples(index=False)
            if (row.school_code, int(row.school_year), row.check_code) not in still_found
            and row.school_code in schools]
    comment = _("Le constat a disparu avec la version {n} des données (nouvel import).",
                n=version)
    _insert(state, [_row(schools[row.school_code], int(row.school_year), row.check_code,
                         AUTOMATIC, comment, None) for row in gone])
    return len(gone)


def _row(school: dict, year: int, check: str, status: str, comment: str,
         username: str | None) -> dict:
    return {"school_code": school["code"], "commune_code": school["commune_code"],
            "province_code": school["province_code"], "region_code": school["region_code"],
            "school_year": int(year), "check_code": check, "status": status,
            "comment": comment, "username": username,
            "marked_at": dt.datetime.now(dt.UTC).replace(tzinfo=None)}


def _insert(state: Engine, rows: list[dict]) -> None:
    if rows:
        with state.begin() as conn:
            conn.execute(quality_mark.insert(), rows)
