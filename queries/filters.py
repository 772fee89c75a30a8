"""Filters of a view: school year, cycle, sector, milieu and sex."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from dashboard.data.schema import CYCLES, MILIEUX, SECTORS, SEXES

ALL = "all"
CHOICES = {"cycle": CYCLES, "sector": SECTORS, "milieu": MILIEUX, "sex": SEXES}


@dataclass(frozen=True)
class Filters:
    """What part of the pupils a view counts; ``all`` means no restriction."""

    year: int
    cycle: str = ALL
    sector: str = ALL
    milieu: str = ALL
    sex: str = ALL

    def __post_init__(self) -> None:
        for name, allowed in CHOICES.items():
            value = getattr(self, name)
            if value != ALL and value not in allowed:
                raise ValueError(f"{name} must be one of {', '.join((ALL, *allowed))}")

    def clauses(self, table: sa.Table) -> list[sa.ColumnElement]:
        """Return the WHERE clauses of the non-year filters on an analytics table."""
        return [
            table.c[name] == getattr(self, name)
            for name in CHOICES
            if getattr(self, name) != ALL
        ]

    def with_year(self, year: int) -> Filters:
        """Return the same filters for another school year."""
        return Filters(year, self.cycle, self.sector, self.milieu, self.sex)

    def as_dict(self) -> dict[str, str | int]:
        """Return the filters as plain values (for URLs, APIs and exports)."""
        return {"year": self.year, **{name: getattr(self, name) for name in CHOICES}}
