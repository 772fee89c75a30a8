"""The share of the country's pupils a database holds (``population_scale``): 1 for real
data; a synthetic database at demo scale holds a tenth of the pupils, so ``build``
gives it a tenth of the census population too and its schooling rates read like
Morocco's."""

from __future__ import annotations

import sqlalchemy as sa

from dashboard.data import schema


def read(conn: sa.Connection) -> float:
    """Return the database's population scale: 1 without a row (or a table)."""
    if not sa.inspect(conn).has_table(schema.population_scale.name):
        return 1.0
    found = conn.execute(sa.select(schema.population_scale.c.scale)).all()  # read it all:
    # DuckDB refuses other work on a connection with a result left open
    return 1.0 if not found else float(found[0][0])


def write(conn: sa.Connection, scale: float, reason: str) -> None:
    """Set the database's population scale (``0 < scale <= 1``), replacing any other."""
    if not 0 < scale <= 1:
        raise ValueError(f"a population scale is a share of the country: 0 < scale <= 1, "
                         f"not {scale}")
    schema.population_scale.create(conn, checkfirst=True)
    conn.execute(schema.population_scale.delete())
    conn.execute(schema.population_scale.insert().values(scale=scale, reason=reason))
