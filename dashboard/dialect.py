"""The few operations that differ between DuckDB and PostgreSQL.

Everything else is SQLAlchemy Core with bound parameters. This module is the one
place allowed to speak a specific engine's language.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa
import pyarrow.csv as pacsv
import sqlalchemy as sa
from sqlalchemy.engine import Connection


def bulk_load(conn: Connection, table: sa.Table, rows: pa.Table) -> None:
    """Append an Arrow table to ``table``; columns are matched by name."""
    if rows.num_rows == 0:
        return
    rows = rows.select([c.name for c in table.columns if c.name in rows.column_names])
    if conn.dialect.name == "duckdb":
        _duckdb_load(conn, table.name, rows)
    elif conn.dialect.name == "postgresql":
        _postgres_copy(conn, table.name, rows)
    else:  # pragma: no cover - other engines take the portable, slow path
        conn.execute(table.insert(), rows.to_pylist())


def _duckdb_load(conn: Connection, name: str, rows: pa.Table) -> None:
    duck = conn.connection.driver_connection
    duck.register("_incoming", rows)
    try:
        columns = ", ".join(rows.column_names)
        duck.execute(f"INSERT INTO {name} ({columns}) SELECT {columns} FROM _incoming")
    finally:
        duck.unregister("_incoming")


def _postgres_copy(conn: Connection, name: str, rows: pa.Table, batch: int = 500_000) -> None:
    cursor = conn.connection.driver_connection.cursor()
    columns = ", ".join(rows.column_names)
    for start in range(0, rows.num_rows, batch):
        buffer = io.BytesIO()
        chunk = rows.slice(start, batch)
        pacsv.write_csv(
            chunk, buffer, pacsv.WriteOptions(include_header=False, quoting_style="needed")
        )
        with cursor.copy(f"COPY {name} ({columns}) FROM STDIN WITH (FORMAT csv)") as copy:
            copy.write(buffer.getvalue())


def replace_table(conn: Connection, staging: str, target: str) -> None:
    """Swap ``staging`` in as ``target`` inside the caller's transaction."""
    conn.execute(sa.text(f"DROP TABLE IF EXISTS {target}"))
    conn.execute(sa.text(f"ALTER TABLE {staging} RENAME TO {target}"))


def index_for_lookups(conn: Connection, table: str, columns: tuple[str, ...],
                      year: str = "school_year") -> None:
    """Index ``table`` on each of ``columns`` and its ``year`` column where the engine
    needs it, then analyse it.

    DuckDB skips row groups by their min/max statistics (the build writes rows in the
    order of the hierarchy), so only PostgreSQL gets B-tree indexes. Index names carry a
    random suffix: the swapped-in table keeps them while the next build creates its own.
    """
    if conn.dialect.name != "postgresql":
        return
    suffix = secrets.token_hex(4)
    for column in columns:
        conn.execute(sa.text(
            f"CREATE INDEX {table}_{column}_{suffix} ON {table} ({column}, {year})"))
    conn.execute(sa.text(f"ANALYZE {table}"))


@contextmanager
def unordered_writes(conn: sa.Connection) -> Iterator[None]:
    """Let DuckDB write a table's rows in any order, for tables read as a set: its parallel
    joins and aggregates then do not keep the order of their input (the data-quality
    tables of a national build take half the time). Nothing changes on PostgreSQL."""
    if conn.dialect.name != "duckdb":
        yield
        return
    before = conn.execute(sa.text("SELECT current_setting('preserve_insertion_order')")).scalar()
    conn.execute(sa.text("SET preserve_insertion_order = false"))
    try:
        yield
    finally:
        conn.execute(sa.text(f"SET preserve_insertion_order = {str(bool(before)).lower()}"))
