"""Time the briefing pack of one unit: PowerPoint then PDF, with the renderer already warm.

    .venv/bin/python bench/briefing.py duckdb:////tmp/demo/p.duckdb [--data-dir /tmp/demo]
        [--level region] [--code 6] [--year 2024] [--runs 3]

The database is opened read-only, as the app always opens it. Each run builds both files
twice over: first with the query cache emptied (a view nobody has asked for yet), then
with it warm (the next person asking). Prints each run, then the median and worst of
both files together, and where one run's time goes. Budget: under 10 s for both files.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import plotly.graph_objects as go  # noqa: E402

from dashboard import create_app  # noqa: E402
from dashboard.extensions import cache  # noqa: E402
from dashboard.urls import View  # noqa: E402
from exports import briefing, briefing_charts, briefing_files, briefing_pptx, renderer  # noqa: E402
from exports.briefing_pdf import pdf_document  # noqa: E402
from queries import NATIONAL_SCOPE, Filters  # noqa: E402
from queries.stats import available_years  # noqa: E402

BUDGET_SECONDS = 10.0


def _timed(function, *args) -> tuple[float, object]:
    started = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - started, result


def run(view: View, runs: int) -> dict[str, list[float]]:
    """Build both files ``runs`` times with a cold cache, then ``runs`` times warm."""
    totals: dict[str, list[float]] = {"cold": [], "warm": []}
    print("| cache | run | PowerPoint | PDF | both | sizes |")
    print("|---|---|---|---|---|---|")
    for mode in ("cold", "warm"):
        for number in range(1, runs + 1):
            if mode == "cold":
                cache.clear()
            pptx_time, pptx = _timed(briefing_files.build_pptx, view, NATIONAL_SCOPE)
            pdf_time, pdf = _timed(briefing_files.build_pdf, view, NATIONAL_SCOPE)
            totals[mode].append(pptx_time + pdf_time)
            print(f"| {mode} | {number} | {pptx_time:.2f} s | {pdf_time:.2f} s | "
                  f"{pptx_time + pdf_time:.2f} s | {len(pptx) // 1024} KB, "
                  f"{len(pdf) // 1024} KB |")
    return totals


def breakdown(view: View) -> None:
    """Print where one cold build of both files spends its time."""
    cache.clear()
    steps = {}
    steps["content (queries, figures)"], content = _timed(
        briefing.briefing_content, view, NATIONAL_SCOPE)
    steps["charts (render map and trend)"], charts = _timed(briefing_charts.render_charts, content)
    steps["PowerPoint layout"], _pptx = _timed(briefing_pptx.pptx_document, content, charts)
    steps["PDF layout"], _pdf = _timed(pdf_document, content, charts)
    for step, seconds in steps.items():
        print(f"  {step}: {seconds:.2f} s")


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, warm the renderer, time the builds and report them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="SQLAlchemy URL of a built database (opened read-only)")
    parser.add_argument("--data-dir", help="folder of cached boundaries (default: the "
                        "database file's folder)")
    parser.add_argument("--level", default="region")
    parser.add_argument("--code", default="6")
    parser.add_argument("--year", type=int, help="school year (default: the latest)")
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args(argv)
    data_dir = options.data_dir or str(Path(options.url.split(":///", 1)[-1]).parent)
    app = create_app({"PILOTAGE_DATABASE_URL": options.url, "PILOTAGE_DATA_DIR": data_dir})
    with app.server.app_context():
        year = options.year or available_years()[-1]
        view = View(options.level, options.code, Filters(year))
        seconds, _png = _timed(renderer.render, go.Figure(), "png", 100, 100, 1.0)
        print(f"renderer started in {seconds:.2f} s; {options.level} {options.code}, {year}")
        totals = run(view, options.runs)
        for mode, values in totals.items():
            print(f"{mode}: median {statistics.median(values):.2f} s, "
                  f"worst {max(values):.2f} s (both files; budget {BUDGET_SECONDS:.0f} s)")
        print("one cold build of both files from shared content:")
        breakdown(view)
    renderer.stop()
    return 0 if max(totals["cold"] + totals["warm"]) < BUDGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
