"""Time the data-quality view's callbacks and API at national scale, cold and warm.

    .venv/bin/python bench/quality.py        # part of `make bench`

Uses the national database of ``bench/views.py`` (``BENCH_DATA_DIR``, default
``data/national``). For Morocco, region 6, province 141, commune 141.1.1 and one school of
Anfa, posts each callback of the view's page as the browser does (the view store as
input) through the Flask test client, logged in as the benchmark's national user: cold
(the cache emptied just before) and warm (the same request again), ``REPEATS`` times; and
``GET /api/v1/quality``. Writes ``bench/results/quality.json`` and the "National scale:
data-quality view" section of ``docs/benchmarks.md``.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.benchlib import (  # noqa: E402
    BENCH_PASSWORD,
    BENCH_USER,
    DASH_UPDATE,
    BenchError,
    app_environment,
    data_dir,
    database_info,
    ensure_account,
    ensure_database,
    machine,
    milliseconds,
    percentile,
    replace_section,
    verdict,
    write_json,
)
from bench.views import COLD_TARGET, VIEW_TARGET, WARM_TARGET  # noqa: E402

SECTION = "## National scale: data-quality view"
REPEATS = 10
UNITS = (("national", "MA"), ("region", "6"), ("province", "141"), ("commune", "141.1.1"))
#: The callbacks of the view, by the id of one of their outputs.
CALLBACKS = {"show_heading_and_trend": "quality-trend", "show_quality": "quality-cards",
             "show_children": "quality-map", "show_pupils": "quality-pupils-grid"}


def view_store(level: str, code: str, year: int, version: int) -> dict:
    return {"level": level, "code": code, "year": year, "cycle": "all", "sector": "all",
            "milieu": "all", "sex": "all", "indicator": "dropout_rate", "version": version}


def body(app, output_id: str, view: dict) -> dict:
    """Return the request the browser posts for the callback writing ``output_id``."""
    key = next(k for k in app.callback_map if f"..{output_id}." in f"..{k}")
    outputs = [{"id": part.split(".")[0], "property": part.split(".")[1].split("@")[0]}
               for part in key.strip(".").split("...")]
    inputs = [{"id": "view", "property": "data", "value": view}]
    if output_id == "quality-cards":
        inputs.append({"id": "quality-marks", "property": "data", "value": None})
    return {"output": key, "outputs": outputs, "inputs": inputs,
            "changedPropIds": ["view.data"], "state": []}


def timed(client, path: str, payload: dict | None = None) -> tuple[float, int]:
    start = time.perf_counter()
    response = (client.post(path, json=payload) if payload is not None
                else client.get(path))
    elapsed = time.perf_counter() - start
    if response.status_code not in (200, 204):
        raise BenchError(f"{path} answered {response.status_code}: "
                         f"{response.get_data(as_text=True)[:200]}")
    return elapsed, len(response.data)


def main() -> int:
    folder = data_dir()
    ensure_database(folder, create=False)
    ensure_account(folder)
    info = database_info(folder)
    os.environ.update(app_environment(folder))
    import sqlalchemy as sa

    from dashboard import create_app
    from dashboard.db import make_engine
    from dashboard.extensions import cache

    year, version = info["years"][-2], info["version"]
    engine = make_engine(app_environment(folder)["PILOTAGE_DATABASE_URL"])
    with engine.connect() as conn:  # the school of Anfa with the most pupils to correct
        school = conn.execute(sa.text(
            "SELECT school_code FROM quality_finding WHERE massar_code IS NOT NULL AND "
            "school_year = :year AND school_code IN (SELECT code FROM school WHERE "
            "commune_code = '141.1.1') GROUP BY school_code ORDER BY count(*) DESC, "
            "school_code LIMIT 1"), {"year": year}).all()[0][0]
    engine.dispose()
    app = create_app()
    client = app.server.test_client()
    client.post("/login", data={"username": BENCH_USER, "password": BENCH_PASSWORD})
    # the process warmed once (boundaries read, years, patterns), as a running worker is;
    # "cold" below is the app's cache emptied, as in bench/views.py
    for level, code in UNITS:
        for output in ("quality-trend", "quality-cards", "quality-map"):
            timed(client, DASH_UPDATE, body(app, output, view_store(level, code, year,
                                                                     version)))
    rows = []
    for level, code in (*UNITS, ("school", school)):
        view = view_store(level, code, year, version)
        per_view = {"cold": 0.0}
        for name, output in CALLBACKS.items():
            if (name == "show_pupils") != (level == "school"):
                continue
            cold, warm, size = [], [], 0
            for _ in range(REPEATS):
                with app.server.app_context():
                    cache.clear()
                seconds, size = timed(client, DASH_UPDATE, body(app, output, view))
                cold.append(seconds)
                warm.append(timed(client, DASH_UPDATE, body(app, output, view))[0])
            per_view["cold"] += percentile(cold, 50)
            rows.append({"view": f"{level} {code}", "callback": name,
                         "cold_p95": percentile(cold, 95), "warm_p95": percentile(warm, 95),
                         "bytes": size})
        api = f"/api/v1/quality?level={level}&code={code}&year={year}"
        with app.server.app_context():
            cache.clear()
        rows.append({"view": f"{level} {code}", "callback": "GET /api/v1/quality",
                     "cold_p95": timed(client, api)[0], "warm_p95": timed(client, api)[0],
                     "bytes": timed(client, api)[1], "view_cold": per_view["cold"]})
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    result = {"machine": machine(), "database": info, "year": year, "rows": rows,
              "peak_rss_bytes": peak}
    write_json("quality", result)
    lines = [
        f"Measured on {result['machine']['cpu_count']} cores "
        f"({result['machine']['cpu']}), {result['machine']['date']}, national database "
        f"(data version {version}), school year {year}, {REPEATS} runs each, through the "
        "Flask test client (server time). Targets as for the main views: a callback p95 "
        f"under {milliseconds(COLD_TARGET)} cold and {milliseconds(WARM_TARGET)} warm, a "
        f"view's callbacks together under {milliseconds(VIEW_TARGET)} cold.",
        "",
        "| view | callback | cold p95 | warm p95 | answer |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(f"| {row['view']} | {row['callback']} | {milliseconds(row['cold_p95'])} | "
                     f"{milliseconds(row['warm_p95'])} | {row['bytes'] / 1024:.0f} KB |")
    worst_cold = max(r["cold_p95"] for r in rows if not r["callback"].startswith("GET"))
    worst_warm = max(r["warm_p95"] for r in rows if not r["callback"].startswith("GET"))
    lines += ["", f"Worst callback: {milliseconds(worst_cold)} cold "
                  f"({verdict(worst_cold <= COLD_TARGET)}), {milliseconds(worst_warm)} warm "
                  f"({verdict(worst_warm <= WARM_TARGET)}). Peak memory of the process: "
                  f"{peak / 2**30:.2f} GB."]
    replace_section(SECTION, "\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
