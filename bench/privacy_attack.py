"""A differencing attack over a whole territory of a built database.

Reads every view of a province (the nation, its region, the province, each of its
communes and schools, every filter combination that gives distinct pupils), solves the
counts they show for the hidden ones (``tests/differencing.py``), and prints what was
hidden, what came back and how long it took:

    python bench/privacy_attack.py --database data/pilotage.duckdb --province 117

The solver works on one unknown per school, grade, sex and count of the territory, so
keep to a province of a few dozen schools on 2 cores (the default picks the smallest
province with at least ``--min-schools`` schools).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard import create_app  # noqa: E402
from dashboard.db import make_engine  # noqa: E402
from tests import differencing  # noqa: E402


def _territory(engine: sa.Engine, province: str | None, min_schools: int) -> str:
    if province:
        return province
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT co.province_code, COUNT(*) AS schools FROM school sc "
            "JOIN commune co ON co.code = sc.commune_code GROUP BY co.province_code "
            "HAVING COUNT(*) >= :least ORDER BY schools, co.province_code LIMIT 1"),
            {"least": min_schools}).fetchall()
    return rows[0][0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="data/pilotage.duckdb")
    parser.add_argument("--province", help="province code (default: the smallest with enough "
                        "schools)")
    parser.add_argument("--min-schools", type=int, default=20)
    parser.add_argument("--year", type=int, default=None, help="school year (default: latest)")
    parser.add_argument("--threshold", type=int, default=5)
    parser.add_argument("--output", help="write the figures to this JSON file")
    args = parser.parse_args()
    url = f"duckdb:///{Path(args.database).resolve()}"
    engine = make_engine(url, read_only=True)
    code = _territory(engine, args.province, args.min_schools)
    scratch = Path(tempfile.mkdtemp(prefix="pilotage-attack-"))
    app = create_app({"PILOTAGE_DATABASE_URL": url, "PILOTAGE_DATA_DIR": str(scratch),
                      "PILOTAGE_STATE_DATABASE_URL": f"sqlite:///{scratch / 'state.sqlite'}",
                      "PILOTAGE_SMALL_CELL_THRESHOLD": str(args.threshold),
                      "PILOTAGE_SECRET_KEY": os.urandom(24).hex()})
    with engine.connect() as conn:
        year = args.year or conn.execute(sa.text("SELECT max(school_year) FROM enrollment")
                                         ).scalar_one()
        region = conn.execute(sa.text("SELECT region_code FROM province WHERE code = :c"),
                              {"c": code}).scalar_one()
        communes = [r[0] for r in conn.execute(sa.text(
            "SELECT code FROM commune WHERE province_code = :c ORDER BY code"), {"c": code})]
        schools = [r[0] for r in conn.execute(sa.text(
            "SELECT sc.code FROM school sc JOIN commune co ON co.code = sc.commune_code "
            "WHERE co.province_code = :c ORDER BY sc.code"), {"c": code})]
    cells = differencing.finest_cells(engine, year)
    territory = cells[cells["province_code"] == code].reset_index(drop=True)
    units = [("province", code), *(("commune", c) for c in communes),
             *(("school", s) for s in schools)]
    started = time.perf_counter()
    with app.server.app_context():
        readings = differencing.read_views(units, year, territory)
    read_seconds = time.perf_counter() - started
    started = time.perf_counter()
    result = differencing.attack(territory, readings, year)
    solve_seconds = time.perf_counter() - started
    figures = {
        "province": code, "region": region, "school_year": year, "threshold": args.threshold,
        "schools": len(schools), "communes": len(communes), "finest_cells": len(territory),
        "readings": len(readings), "hidden_counts": result.hidden,
        "recovered": len(result.recovered), "wrong": len(result.wrong),
        "read_seconds": round(read_seconds, 1), "solve_seconds": round(solve_seconds, 1),
        "cores": os.cpu_count(),
    }
    print(json.dumps(figures, indent=2))
    for selector, unknown, value in result.recovered[:20]:
        print("recovered", selector, unknown, value)
    if args.output:
        Path(args.output).write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
