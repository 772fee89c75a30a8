"""The few operations that differ between DuckDB and PostgreSQL.

Everything else is SQLAlchemy Core with bound parameters. This module is the one
place allowed to speak a specific engine's language.
"""

from __future__ import annotations

import io

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
