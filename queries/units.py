"""The hierarchy: units, their names, ancestors and children."""

from __future__ import annotations

import functools
import unicodedata

import pandas as pd
import sqlalchemy as sa

from dashboard.data.analytics_schema import unit as unit_table
from dashboard.extensions import cache
from dashboard.levels import CHILD_LEVEL, LEVELS, NATIONAL_CODE, levels_below
from queries.database import data_version, engine, read
from queries.scope import LEVEL_COLUMN, NATIONAL_SCOPE, OutOfScope, Scope

ANCESTOR_COLUMNS = ("region_code", "province_code", "commune_code")


class UnknownUnit(LookupError):
    """No unit of that level has that code."""


def get_unit(level: str, code: str, scope: Scope) -> dict:
    """Return one unit's row (names, ancestors, school attributes); raise if unknown or hidden."""
    if level not in LEVELS:
        raise UnknownUnit(f"unknown level {level!r}")
    row = _unit_row(level, code, data_version())
    if row is None:
        raise UnknownUnit(f"no {level} has the code {code!r}")
    ancestry = {**row, "school_code": code if level == "school" else None}
    if not scope.contains(ancestry):
        raise OutOfScope(f"{level} {code} is outside your scope")
    return row


def unit_index() -> dict[tuple[str, str], dict]:
    """Return every unit of the data version being read, by (level, code), whatever the
    scope (reference data held by each worker: check scope before showing any)."""
    return _unit_index(id(engine()), data_version())


def _unit_row(level: str, code: str, version: int) -> dict | None:
    return _unit_index(id(engine()), version).get((level, code))


@functools.lru_cache(maxsize=4)
def _unit_index(engine_id: int, version: int) -> dict[tuple[str, str], dict]:
    """Every unit of one data version by (level, code): the hierarchy is reference data,
    read once per build by each worker (about 20,000 rows nationally)."""
    frame = read(sa.select(unit_table))
    frame = frame.astype(object).where(frame.notna(), None)
    return {(row["level"], row["code"]): row for row in frame.to_dict("records")}


def children(level: str, code: str, scope: Scope, below: str | None = None) -> pd.DataFrame:
    """Return the child units of a unit that lie inside the scope, sorted by name; with
    ``below``, the units of that lower level under it (the communes of a region)."""
    return _children(level, code, scope, data_version(), below or CHILD_LEVEL.get(level))


@cache.memoize()
def _children(level: str, code: str, scope: Scope, version: int,
              below: str | None = None) -> pd.DataFrame:
    if below is None or below not in levels_below(level):
        return pd.DataFrame(columns=[c.name for c in unit_table.columns])
    u = unit_table
    select = sa.select(u).where(u.c.level == below)
    if level != "national":
        select = select.where(u.c[LEVEL_COLUMN[level]] == code)
    clause = _scope_clause(scope)
    if clause is not None:
        select = select.where(clause)
    frame = read(select)
    return frame.sort_values("name_fr", key=lambda names: names.map(sort_key)).reset_index(
        drop=True)


def sort_key(name: str) -> str:
    """Return the key that orders French names as a reader expects (É with E, case-blind)."""
    decomposed = unicodedata.normalize("NFKD", name or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def units(level: str, parent: str | None, scope: Scope) -> pd.DataFrame:
    """Return the units of one level, optionally under one parent, inside the scope."""
    return _units(level, parent, scope, data_version())


@cache.memoize()
def _units(level: str, parent: str | None, scope: Scope, version: int) -> pd.DataFrame:
    u = unit_table
    select = sa.select(u).where(u.c.level == level)
    if parent is not None:
        select = select.where(u.c.parent_code == parent)
    clause = _scope_clause(scope)
    if clause is not None:
        select = select.where(clause)
    return read(select.order_by(u.c.code))


def ancestors(row: dict) -> list[tuple[str, str]]:
    """Return (level, code) of every ancestor of a unit row, from the nation down."""
    chain = [("national", NATIONAL_CODE)]
    for level, column in zip(("region", "province", "commune"), ANCESTOR_COLUMNS, strict=True):
        if row.get(column) and row["level"] != level:
            chain.append((level, row[column]))
    return chain if row["level"] != "national" else []


def _scope_clause(scope: Scope) -> sa.ColumnElement | None:
    if scope.level == "national":
        return None
    u = unit_table
    column = {"region": u.c.region_code, "province": u.c.province_code,
              "commune": u.c.commune_code}.get(scope.level)
    if column is None:  # a school scope: only the school itself
        return (u.c.level == "school") & (u.c.code == scope.code)
    return column == scope.code


def schools_under(level: str, code: str, scope: Scope) -> pd.DataFrame:
    """Return every school under a unit (for school points on maps), inside the scope."""
    return _schools_under(level, code, scope, data_version())


@cache.memoize()
def _schools_under(level: str, code: str, scope: Scope, version: int) -> pd.DataFrame:
    u = unit_table
    select = sa.select(u).where(u.c.level == "school")
    if level != "national":
        select = select.where(u.c[f"{level}_code"] == code)
    clause = _scope_clause(scope)
    if clause is not None:
        select = select.where(clause)
    return read(select.order_by(u.c.code))


def comparison_chain(school_code: str, scope: Scope) -> list[tuple[str, str, str, Scope]]:
    """Return the units a school is compared with, each with the scope to read it under.

    The school (read under the caller's scope, which must hold it), then its commune,
    province and region and Morocco, read as the published references they are: a school
    head sees their school against its own territory, with the same small-cell pattern
    as every other reader of those numbers, as they see Morocco.
    """
    school = get_unit("school", school_code, scope)
    result = [("school", school_code, school["name_fr"], scope)]
    for level, code in (("commune", school["commune_code"]),
                        ("province", school["province_code"]),
                        ("region", school["region_code"]),
                        ("national", NATIONAL_CODE)):
        row = _unit_row(level, code, data_version())
        if row is not None:
            result.append((level, code, row["name_fr"], NATIONAL_SCOPE))
    return result
