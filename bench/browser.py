"""What a user waits for in Chromium: from a click to the view fully drawn, national scale.

    .venv/bin/python bench/browser.py                 # 3 journeys over data/national
    .venv/bin/python bench/browser.py --journeys 5 --workers 2

Starts ``python -m dashboard serve`` over the benchmark database (``BENCH_DATA_DIR``,
default ``data/national``), logs in with headless Chromium (Debian's, through
Playwright) and walks journeys: the national page, a drill into a region by its name in
the ranking, a filter (cycle: Collège), an indicator (repetition) and a year (the one
before). Each journey drills into another region, so its views are cold (never computed
by the server); the same journey is then walked again, warm. A view counts as drawn when
no callback request is pending, no component is loading, and the next frame has been
painted; the time is from the click to then. Writes ``bench/results/browser.json`` and
the "Browser: click to drawn" section of ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.benchlib import (  # noqa: E402
    BENCH_PASSWORD,
    BENCH_USER,
    DASH_UPDATE,
    data_dir,
    ensure_account,
    ensure_database,
    machine,
    milliseconds,
    percentile,
    replace_section,
    verdict,
    write_json,
)
from bench.load import start_server, stop_server  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
#: A view is drawn once nothing has been pending for this long (chained callbacks).
QUIET_SECONDS = 0.25
STEP_TIMEOUT = 60.0
TARGETS = {"cold": 0.700, "warm": 0.300}
REGIONS = ("Casablanca-Settat", "Rabat-Salé-Kénitra", "Fès-Meknès", "Marrakech-Safi",
           "Souss-Massa", "Oriental", "Tanger-Tétouan-Al Hoceïma", "Béni Mellal-Khénifra")


class Watcher:
    """Counts the page's callback requests under way and when the last one ended."""

    def __init__(self, page):
        self.pending = 0
        self.last_end = time.perf_counter()
        page.on("request", self._started)
        page.on("requestfinished", self._ended)
        page.on("requestfailed", self._ended)

    def _started(self, request) -> None:
        if DASH_UPDATE in request.url:
            self.pending += 1

    def _ended(self, request) -> None:
        if DASH_UPDATE in request.url:
            self.pending -= 1
            self.last_end = time.perf_counter()


def _drawn(page, watcher: Watcher, clicked: float) -> float:
    """Wait until the view is drawn; return the seconds since ``clicked``."""
    deadline = clicked + STEP_TIMEOUT
    while time.perf_counter() < deadline:
        page.wait_for_timeout(20)
        quiet = watcher.pending == 0 and time.perf_counter() - watcher.last_end >= QUIET_SECONDS
        if quiet and not page.locator("[data-dash-is-loading='true']").count():
            page.evaluate("() => new Promise(done => requestAnimationFrame(() => done()))")
            ended = max(watcher.last_end, clicked)
            return ended - clicked
    raise TimeoutError("the view was not drawn within the step timeout")


def _choose(page, name: str, label: str) -> float:
    page.locator(f"#filter-{name}").click()
    option = page.get_by_role("option", name=label, exact=True)
    option.wait_for()
    clicked = time.perf_counter()
    option.click()
    return clicked


def journey(page, watcher: Watcher, base: str, region: str, year_label: str
            ) -> list[dict[str, Any]]:
    """Walk one journey; return each step's seconds from click to drawn."""
    steps = []
    clicked = time.perf_counter()
    page.goto(base + "/")
    steps.append({"step": "national page", "seconds": _drawn(page, watcher, clicked)})
    cell = page.locator('#children-grid .ag-center-cols-container .ag-row [col-id="name"]',
                        has_text=region).first
    cell.wait_for()
    clicked = time.perf_counter()
    cell.click()
    page.locator(".unit-page[data-level=region]").wait_for()
    steps.append({"step": "drill into a region", "seconds": _drawn(page, watcher, clicked)})
    for name, label, step in (("cycle", "Collège", "filter: cycle"),
                              ("indicator", "Taux de redoublement", "indicator"),
                              ("year", year_label, "year")):
        clicked = _choose(page, name, label)
        steps.append({"step": step, "seconds": _drawn(page, watcher, clicked)})
    return steps


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Serve the national database, walk the journeys cold then warm, return the figures."""
    from playwright.sync_api import sync_playwright

    folder = data_dir()
    ensure_database(folder, create=False)
    ensure_account(folder)
    process, base, _log = start_server(folder, args.workers)
    runs: list[dict[str, Any]] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            watcher = Watcher(page)
            page.goto(base + "/login")
            page.fill("input[name=username]", BENCH_USER)
            page.fill("input[name=password]", BENCH_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(lambda url: "/login" not in url)
            page.wait_for_function("() => (document.querySelector("
                                   "'#filter-year .dash-dropdown-value') || {}).textContent",
                                   timeout=STEP_TIMEOUT * 1000)
            year = page.locator("#filter-year .dash-dropdown-value").inner_text()
            first = int(year.split("-")[0])
            year_label = f"{first - 1}-{first}"
            for number in range(args.journeys):
                region = REGIONS[number % len(REGIONS)]
                for cache in ("cold", "warm"):
                    for step in journey(page, watcher, base, region, year_label):
                        runs.append({**step, "cache": cache, "journey": number})
                        print(f"  {cache} {region}: {step['step']} "
                              f"{step['seconds'] * 1000:.0f} ms", flush=True)
            browser.close()
    finally:
        stop_server(process)
    return {"machine": machine(), "workers": args.workers, "journeys": args.journeys,
            "runs": runs}


def report(results: dict[str, Any]) -> str:
    """Return the markdown of the section."""
    lines = [
        f"Measured {results['machine']['date']} on {results['machine']['cpu_count']} cores: "
        "`bench/browser.py`, the server "
        f"(`python -m dashboard serve --workers {results['workers']}`) and headless Chromium "
        "on the same machine, national database. Each of "
        f"{results['journeys']} journeys drills into another region (cold: views the "
        "server never computed), then is walked again (warm). Time from the click to the "
        "view drawn: no callback pending for 250 ms (not counted), nothing loading, the "
        "next frame painted. Targets: under 700 ms cold, 300 ms warm. The national page "
        "is a full navigation (HTML, scripts, layout, then the callbacks); the first one "
        "of the run is also each worker's first request after it started, and the later "
        "journeys find the nation already computed, so only the first national page is "
        "truly cold.",
        "",
        "| step | cache | p50 | p95 | max | target |",
        "|---|---|---|---|---|---|",
    ]
    steps = list(dict.fromkeys(run["step"] for run in results["runs"]))
    for cache in ("cold", "warm"):
        for step in steps:
            times = [r["seconds"] for r in results["runs"]
                     if r["step"] == step and r["cache"] == cache]
            if not times:
                continue
            p95 = percentile(times, 95)
            lines.append(f"| {step} | {cache} | {milliseconds(percentile(times, 50))} | "
                         f"{milliseconds(p95)} | {milliseconds(max(times))} | "
                         f"{verdict(p95 < TARGETS[cache])} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--journeys", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args()
    results = run(args)
    write_json("browser", results)
    body = report(results)
    print(body)
    if not args.no_docs:
        replace_section("## Browser: click to drawn", body)


if __name__ == "__main__":
    main()
