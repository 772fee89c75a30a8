"""Scope: the subtree of the hierarchy a caller may see, applied by every query."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from dashboard.levels import NATIONAL_CODE

LEVEL_COLUMN = {
    "region": "region_code",
    "province": "province_code",
    "commune": "commune_code",
    "school": "school_code",
}


class OutOfScope(LookupError):
    """The unit asked for lies outside the caller's scope."""


@dataclass(frozen=True)
class Scope:
    """A root unit; everything under it is visible, nothing else is."""

    level: str = "national"
    code: str = NATIONAL_CODE

    def clause(self, table: sa.Table, column: str | None = None) -> sa.ColumnElement | None:
        """Return the WHERE clause that keeps a table's rows inside the scope."""
        if self.level == "national":
            return None
        name = column or LEVEL_COLUMN[self.level]
        if name not in table.c:
            name = "code" if self.level == "school" else name
        return table.c[name] == self.code

    def contains(self, ancestry: dict[str, str | None]) -> bool:
        """Return whether a unit with these ancestor codes lies inside the scope."""
        if self.level == "national":
            return True
        return ancestry.get(LEVEL_COLUMN[self.level]) == self.code


NATIONAL_SCOPE = Scope()
