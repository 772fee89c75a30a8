"""Time every Dash callback behind each view at national scale, cold and warm.

    make bench                               # or: .venv/bin/python bench/views.py
    BENCH_DATA_DIR=/path/to/folder make bench

Reuses the national database in ``BENCH_DATA_DIR`` (default ``data/national``), or
generates and builds it when it is missing. Replays the callback requests a browser sent
(``bench/interactions.json``, written by ``bench/record.py``) through the Flask test
client of ``dashboard.create_app``, logged in as a national user, and times each POST
(server time including Dash's own decoding and serialisation):

- cold: the app's cache emptied (flask-caching ``cache.clear()``: query results and whole
  answers; the remembered data version forgotten) just before the request; warm: the same
  request again right after;
- one interaction (all of its requests in the order the browser sent them) after one
  emptying of the cache, summed: the full set of callbacks of one view;
- the size of each JSON response; the process's peak resident memory;
- the raw-table baseline (``raw_baseline.py``) beside the same numbers from the app.

Writes ``bench/results/views.json`` and the "National scale: callbacks" section of
``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import cProfile
import gc
import json
import multiprocessing
import os
import pstats
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import raw_baseline  # noqa: E402
from bench.benchlib import (  # noqa: E402
    BENCH_PASSWORD,
    BENCH_USER,
    DASH_UPDATE,
    RESULTS,
    BenchError,
    app_environment,
    data_dir,
    database_info,
    database_path,
    ensure_account,
    ensure_database,
    kilobytes,
    load_interactions,
    machine,
    milliseconds,
    percentile,
    replace_section,
    verdict,
    with_data_version,
    write_json,
)

COLD_TARGET = 0.030
WARM_TARGET = 0.010
VIEW_TARGET = 0.150
MAP_TARGET = 600 * 1024
RSS_TARGET = 1024 * 1024 * 1024
SECTION = "## National scale: callbacks"
#: The callbacks whose answers carry a view's numbers (cards, ranking, trend).
NUMBER_CALLBACKS = ("update_kpis", "update_ranking", "draw_trend_chart")
#: Where a callback's own time goes: (bucket, substrings of the profiled file or function).
#: The first bucket that matches takes the function's own time (cProfile ``tottime``).
PROFILE_BUCKETS = (
    ("DuckDB", ("duckdb",)),
    ("SQLAlchemy", ("sqlalchemy",)),
    ("cache (pickling)", ("pickle", "cachelib", "flask_caching")),
    ("copy.deepcopy", ("/copy.py",)),
    ("JSON encoding", ("plotly/io/_json.py", "_plotly_utils", "json")),
    ("Plotly figures", ("plotly",)),
    ("pandas, NumPy, Arrow", ("pandas", "numpy", "pyarrow")),
    ("Dash", ("/dash/", "dash_")),
    ("Flask and Werkzeug", ("flask", "werkzeug")),
    ("project code", ("/queries/", "/callbacks/", "/layouts/", "/dashboard/")),
)


class Replayer:
    """Post recorded callback requests to the app, logged in, and time them."""

    def __init__(self, app) -> None:
        self.app = app
        self.client = app.server.test_client()
        response = self.client.post("/login", data={"username": BENCH_USER,
                                                    "password": BENCH_PASSWORD})
        if response.status_code != 302:
            raise BenchError(f"logging in as {BENCH_USER} failed (HTTP {response.status_code})")

    def empty_cache(self) -> None:
        """Forget every cached query result and answer, and the remembered data version."""
        from dashboard.extensions import cache
        from queries.database import forget_version

        with self.app.server.app_context():
            cache.clear()
        forget_version()

    def post(self, body: dict[str, Any]) -> tuple[float, int, int]:
        """Post one callback request; return (seconds, HTTP status, response bytes)."""
        started = time.perf_counter()
        response = self.client.post(DASH_UPDATE, json=body)
        elapsed = time.perf_counter() - started
        return elapsed, response.status_code, len(response.data)


def _steps(interactions: dict[str, Any]) -> list[dict[str, Any]]:
    """Flatten the recorded journey into (view, interaction, requests) steps."""
    steps = []
    for view in interactions["views"]:
        for interaction in view["interactions"]:
            steps.append({"view": view["name"], "level": view["level"], "code": view["code"],
                          "interaction": interaction["name"],
                          "requests": interaction["requests"]})
    return steps


def _label(request: dict[str, Any]) -> str:
    name = request["callback"]
    return f"{name} (no update)" if request["status"] == 204 else name


def measure_callbacks(replayer: Replayer, steps: list[dict[str, Any]], repetitions: int,
                      mismatches: list[str]) -> tuple[list[dict], list[dict]]:
    """Time every request cold then warm, and every interaction as a whole, cold and warm."""
    samples: dict[tuple[int, int], dict[str, list]] = defaultdict(
        lambda: {"cold": [], "warm": [], "bytes": []})
    totals: dict[int, dict[str, list[float]]] = defaultdict(lambda: {"cold": [], "warm": []})
    for run in range(repetitions):
        print(f"  repetition {run + 1}/{repetitions}", flush=True)
        for s, step in enumerate(steps):
            for r, request in enumerate(step["requests"]):
                replayer.empty_cache()
                cold, status, size = replayer.post(request["body"])
                warm, warm_status, _size = replayer.post(request["body"])
                for got in (status, warm_status):
                    if got != request["status"] and len(mismatches) < 50:
                        mismatches.append(f"{step['view']} / {step['interaction']} / "
                                          f"{request['callback']}: HTTP {got}, recorded "
                                          f"{request['status']}")
                entry = samples[(s, r)]
                entry["cold"].append(cold)
                entry["warm"].append(warm)
                entry["bytes"].append(size)
            for mode in ("cold", "warm"):
                if mode == "cold":
                    replayer.empty_cache()
                total = sum(replayer.post(request["body"])[0] for request in step["requests"])
                totals[s][mode].append(total)
    rows, views = [], []
    for s, step in enumerate(steps):
        for r, request in enumerate(step["requests"]):
            entry = samples[(s, r)]
            rows.append({
                "view": step["view"], "interaction": step["interaction"],
                "callback": request["callback"], "status": request["status"],
                "output": request["body"]["output"],
                **_stats("cold", entry["cold"]), **_stats("warm", entry["warm"]),
                "bytes": max(entry["bytes"]),
                "cold_ms": [round(v * 1000, 2) for v in entry["cold"]],
                "warm_ms": [round(v * 1000, 2) for v in entry["warm"]],
                "is_map": request["body"]["output"] == "map.figure",
            })
        views.append({"view": step["view"], "interaction": step["interaction"],
                      "requests": len(step["requests"]),
                      **_stats("cold", totals[s]["cold"]), **_stats("warm", totals[s]["warm"])})
    return rows, views


def _stats(prefix: str, values: list[float]) -> dict[str, float]:
    return {f"{prefix}_p50": percentile(values, 50), f"{prefix}_p95": percentile(values, 95),
            f"{prefix}_max": max(values) if values else float("nan")}


def measure_numbers(replayer: Replayer, steps: list[dict[str, Any]],
                    repetitions: int) -> dict[str, Any]:
    """Time the app's answer to a view's numbers: cards, ranking and trend callbacks.

    Also times the query-layer functions alone (no Dash, no figure), cold.
    """
    from dashboard.urls import from_store
    from queries import NATIONAL_SCOPE
    from queries.stats import ranked_children, trend, unit_indicators

    results: dict[str, Any] = {}
    for step in steps:
        if step["interaction"] not in ("load", "drill"):
            continue
        answered = {r["callback"]: r["body"] for r in step["requests"]
                    if r["callback"] in NUMBER_CALLBACKS and r["status"] == 200}
        bodies = list(answered.values())
        store = bodies[0]["inputs"][0]["value"]
        view = from_store(store)
        timings: dict[str, list[float]] = {"cold": [], "warm": [], "queries": []}
        enrolled = None
        for _run in range(repetitions):
            for mode in ("cold", "warm"):
                if mode == "cold":
                    replayer.empty_cache()
                timings[mode].append(sum(replayer.post(body)[0] for body in bodies))
            replayer.empty_cache()
            with replayer.app.server.test_request_context("/"):
                started = time.perf_counter()
                cards = unit_indicators(view.level, view.code, view.filters, NATIONAL_SCOPE)
                if view.level != "school":
                    ranked_children(view.level, view.code, view.filters, NATIONAL_SCOPE,
                                    view.indicator)
                trend(view.level, view.code, view.filters, NATIONAL_SCOPE)
                if view.level != "national":
                    trend("national", "MA", view.filters, NATIONAL_SCOPE)
                timings["queries"].append(time.perf_counter() - started)
            enrolled = int(cards.iloc[1]["enrolled"])
        results[step["view"]] = {
            "level": view.level, "code": view.code, "year": view.filters.year,
            "indicator": view.indicator, "callbacks": len(bodies), "enrolled": enrolled,
            **{f"{mode}_{q}": percentile(values, p) for mode, values in timings.items()
               for q, p in (("p50", 50), ("p95", 95))},
        }
    return results


def run_raw_baseline(database: Path, numbers: dict[str, Any], repetitions: int) -> dict:
    """Run the raw-table queries in a child process (its memory is not the worker's)."""
    views = [{"name": name, "level": n["level"], "code": n["code"], "year": n["year"],
              "indicator": n["indicator"]} for name, n in numbers.items()]
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(raw_baseline.measure, str(database), views, repetitions).result()


def profile(replayer: Replayer, steps: list[dict[str, Any]], rows: list[dict],
            limit: int) -> list[dict[str, Any]]:
    """Profile the slowest requests that miss a target, cold or warm, and bucket their time."""
    worst: list[tuple[str, dict]] = []
    for mode, target in (("cold", COLD_TARGET), ("warm", WARM_TARGET)):
        missed = sorted((r for r in rows if r[f"{mode}_p95"] >= target),
                        key=lambda r: -r[f"{mode}_p95"])
        seen: set[str] = set()
        for row in missed:
            key = f"{row['view']}/{row['callback']}"
            if key not in seen and len(seen) < limit:
                seen.add(key)
                worst.append((mode, row))
    found = []
    for mode, row in worst:
        step = next(s for s in steps if s["view"] == row["view"]
                    and s["interaction"] == row["interaction"])
        body = next(r["body"] for r in step["requests"] if r["callback"] == row["callback"]
                    and r["status"] == row["status"])
        profiler = cProfile.Profile()
        replayer.empty_cache()
        if mode == "warm":
            replayer.post(body)
        profiler.enable()
        elapsed = replayer.post(body)[0]
        profiler.disable()
        found.append({"mode": mode, "view": row["view"], "interaction": row["interaction"],
                      "callback": row["callback"], "profiled_seconds": elapsed,
                      "buckets": _buckets(pstats.Stats(profiler))})
    return found


def _buckets(stats: pstats.Stats) -> dict[str, float]:
    """Sum the profiled functions' own time by library (see PROFILE_BUCKETS)."""
    totals: dict[str, float] = defaultdict(float)
    for (file, _line, name), entry in stats.stats.items():
        where = f"{file} {name}".lower()
        bucket = next((label for label, marks in PROFILE_BUCKETS
                       if any(mark in where for mark in marks)), "other Python")
        totals[bucket] += entry[2]
    return dict(sorted(totals.items(), key=lambda item: -item[1]))


def full_collection() -> dict[str, float]:
    """Time a full garbage collection of this process (the pause a request may fall on)."""
    timings = []
    for _run in range(3):
        started = time.perf_counter()
        gc.collect()
        timings.append(time.perf_counter() - started)
    return {"seconds": min(timings), "tracked_objects": len(gc.get_objects())}


def peak_rss_bytes() -> int:
    """Return this process's peak resident set size (ru_maxrss, KB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run(repetitions: int, raw_repetitions: int, write_docs: bool,
        recorded: Path | None = None) -> dict[str, Any]:
    """Measure everything once and return the results."""
    from dashboard import create_app

    folder = data_dir()
    ensure_database(folder, create=True)
    info = database_info(folder)
    interactions = load_interactions(recorded)
    if interactions.get("years") != info.get("years"):
        raise BenchError(f"bench/interactions.json was recorded on school years "
                         f"{interactions.get('years')}, the database has {info.get('years')}: "
                         "record again with bench/record.py")
    ensure_account(folder)
    steps = _steps(with_data_version(interactions, info["version"]))
    print(f"database {database_path(folder)}: {info['enrollment_rows']:,} enrollment rows, "
          f"{len(steps)} interactions, "
          f"{sum(len(s['requests']) for s in steps)} callback requests", flush=True)
    app = create_app(app_environment(folder))
    replayer = Replayer(app)
    mismatches: list[str] = []
    print("warming up the process (one unmeasured replay)", flush=True)
    measure_callbacks(replayer, steps, 1, mismatches)
    print(f"callbacks: {repetitions} repetitions", flush=True)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    rows, views = measure_callbacks(replayer, steps, repetitions, mismatches)
    print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)
    print("a view's numbers through the app", flush=True)
    numbers = measure_numbers(replayer, steps, repetitions)
    rss = peak_rss_bytes()
    collection = full_collection()
    load_after = os.getloadavg()[0]
    print("where the time goes (cProfile of the slowest misses)", flush=True)
    profiles = profile(replayer, steps, rows, limit=3)
    print(f"raw-table baseline: {raw_repetitions} repetitions", flush=True)
    raw = run_raw_baseline(database_path(folder), numbers, raw_repetitions)
    results = {
        "machine": machine(), "database": {**info, "path": str(database_path(folder))},
        "repetitions": repetitions, "raw_repetitions": raw_repetitions,
        "targets": {"callback_cold_p95_s": COLD_TARGET, "callback_warm_p95_s": WARM_TARGET,
                    "view_cold_total_s": VIEW_TARGET, "map_bytes": MAP_TARGET,
                    "worker_rss_bytes": RSS_TARGET},
        "callbacks": rows, "interactions": views, "numbers": numbers, "raw": raw,
        "peak_rss_bytes": rss, "load_average": [load_before, load_after],
        "profiles": profiles, "replay_mismatches": mismatches, "gc": collection,
    }
    path = write_json("views.json", results)
    print(f"wrote {path}", flush=True)
    if write_docs:
        replace_section(SECTION, report(results))
        print("wrote docs/benchmarks.md", flush=True)
    return results


# --- the Markdown report --------------------------------------------------------------------


def _view_order(results: dict[str, Any]) -> list[str]:
    order: list[str] = []
    for row in results["callbacks"]:
        if row["view"] not in order:
            order.append(row["view"])
    return order


def report(results: dict[str, Any]) -> str:
    """Return the Markdown section: summary, memory, every callback, interactions, baseline."""
    m, db = results["machine"], results["database"]
    rows, views = results["callbacks"], results["interactions"]
    lines = [
        f"Measured {m['date']} by `make bench` (`bench/views.py`) on {m['cpu_count']} cores "
        f"({m['cpu']}), {m['memory_gb']} GB, Python {m['python']}, DuckDB {m['duckdb']}. "
        f"Database: {db['file_bytes'] / 1e9:.1f} GB DuckDB file, "
        f"{db['enrollment_rows']:,} enrollment rows over {len(db['years'])} school years "
        f"({db['latest_year_enrollments']:,} in {db['years'][-1]}-{db['years'][-1] + 1}), "
        f"{db['stats_rows']:,} analytics rows (data version {db['version']}). Load average "
        f"(1 min) when the timed runs started and ended: {results['load_average'][0]:.1f} "
        f"and {results['load_average'][1]:.1f}.",
        "",
        "Method: the callback requests headless Chromium sent on a fixed journey "
        "(`bench/interactions.json`: Morocco loaded from `/`, then a drill through the ranking "
        "table into region 6 Casablanca-Settat, province 141 Casablanca, commune 141.1.1 Anfa "
        "and Anfa's first school; on each, the cycle set to Collège, the indicator to "
        "repetition, then the school year to the one before) are replayed in one process "
        "through the Flask test client, logged in as a national user; each POST is timed "
        "from request to full response, so Dash's decoding and JSON serialisation are "
        f"included. {results['repetitions']} repetitions. **Cold**: the app's cache emptied "
        "(flask-caching `cache.clear()`: every cached query result and answer; the "
        "remembered data version forgotten) just before the request; DuckDB's buffers and "
        "the process's simplified boundaries stay warm. **Warm**: the same request again "
        "right after. Sizes are the uncompressed JSON response bodies. \"(no update)\" marks "
        "the requests Dash sends while a drill swaps the page, answered 204.",
        "",
        "Targets: every callback p95 under 30 ms cold and 10 ms warm; every map response "
        "under 600 KB; all the callbacks of one view together under 150 ms cold; a worker "
        "under 1 GB resident.",
        "",
        "### Per view",
        "",
        "| view | slowest callback, cold p95 | < 30 ms | slowest callback, warm p95 | < 10 ms "
        "| all callbacks of the view, cold p95 (worst interaction) | < 150 ms "
        "| largest map response | < 600 KB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name in _view_order(results):
        mine = [r for r in rows if r["view"] == name]
        cold = max(mine, key=lambda r: r["cold_p95"])
        warm = max(mine, key=lambda r: r["warm_p95"])
        total = max((v for v in views if v["view"] == name), key=lambda v: v["cold_p95"])
        maps = [r["bytes"] for r in mine if r["is_map"] and r["status"] == 200]
        largest = max(maps) if maps else 0
        lines.append(
            f"| {name} | {milliseconds(cold['cold_p95'])} ({cold['callback']}, "
            f"{cold['interaction']}) | {verdict(cold['cold_p95'] < COLD_TARGET)} "
            f"| {milliseconds(warm['warm_p95'])} ({warm['callback']}, {warm['interaction']}) "
            f"| {verdict(warm['warm_p95'] < WARM_TARGET)} "
            f"| {milliseconds(total['cold_p95'])} ({total['interaction']}, "
            f"{total['requests']} requests) | {verdict(total['cold_p95'] < VIEW_TARGET)} "
            f"| {kilobytes(largest)} | {verdict(largest < MAP_TARGET)} |")
    cold_missed = sum(r["cold_p95"] >= COLD_TARGET for r in rows)
    warm_missed = sum(r["warm_p95"] >= WARM_TARGET for r in rows)
    view_missed = sum(v["cold_p95"] >= VIEW_TARGET for v in views)
    rss = results["peak_rss_bytes"]
    lines += [
        "",
        f"Of {len(rows)} timed requests, {cold_missed} miss the cold target and {warm_missed} "
        f"the warm one; {view_missed} of {len(views)} interactions miss the "
        f"{VIEW_TARGET * 1000:.0f} ms view target.",
        "",
        "| worker | peak resident memory (ru_maxrss) | < 1 GB |",
        "|---|---|---|",
        f"| the benchmark process, serving every request above | {rss / 2**20:,.0f} MB "
        f"| {verdict(rss < RSS_TARGET)} |",
    ]
    collection = results["gc"]
    lines += [
        "",
        f"A full garbage collection of that process takes {milliseconds(collection['seconds'])} "
        f"({collection['tracked_objects']:,} objects tracked, mostly the code of the libraries "
        "it imports). Python runs one whenever the long-lived objects have grown by a quarter, "
        "and the request under way waits for it: this is where the isolated slow samples "
        "come from (maximums are in `bench/results/views.json`).",
    ]
    if results["replay_mismatches"]:
        lines += ["", "Replayed requests whose status differed from the browser's:", ""]
        lines += [f"- {line}" for line in results["replay_mismatches"]]
    lines += _interaction_table(results) + _baseline_table(results)
    lines += _profile_table(results) + _callback_table(results)
    return "\n".join(lines)


def _interaction_table(results: dict[str, Any]) -> list[str]:
    lines = [
        "", "### All the callbacks of one view together", "",
        "Every request of the interaction replayed in the browser's order after one emptying "
        "of the cache, times summed (the browser sends most of them at once, so the wait a "
        "user sees is shorter; the server's work is this sum).", "",
        "| view | interaction | requests | cold p50 | cold p95 | warm p50 | warm p95 "
        f"| < {VIEW_TARGET * 1000:.0f} ms cold |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for v in results["interactions"]:
        lines.append(
            f"| {v['view']} | {v['interaction']} | {v['requests']} | "
            f"{milliseconds(v['cold_p50'])} | {milliseconds(v['cold_p95'])} | "
            f"{milliseconds(v['warm_p50'])} | {milliseconds(v['warm_p95'])} | "
            f"{verdict(v['cold_p95'] < VIEW_TARGET)} |")
    return lines


def _baseline_table(results: dict[str, Any]) -> list[str]:
    numbers, raw = results["numbers"], results["raw"]
    lines = [
        "", "### Raw-table baseline", "",
        "The numbers of each view on arrival (cards: every indicator this year and last; "
        "ranking of the children by the indicator with its change; trend of the indicator "
        "over every year, with Morocco's beside it) answered two ways. **Raw**: plain SQL "
        "over the raw `enrollment` table joined to `student`, `school`, `commune`, "
        "`province` and `exam_result`, no analytics table and no cache "
        f"(`bench/raw_baseline.py`, {results['raw_repetitions']} repetitions after one "
        "unmeasured run, in its own process). **App**: the `update_kpis`, `update_ranking` "
        "and `draw_trend_chart` callbacks, timed as above (figures, tables and JSON included); "
        "**query layer**: the same numbers from `queries.stats` alone, cold. Speed-up is the "
        "raw p50 over the app's p50.", "",
        "| view | raw p50 | raw p95 | query layer cold p50 | app cold p50 | app cold p95 "
        "| app warm p50 | app warm p95 | speed-up cold | speed-up warm | same enrollment |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, n in numbers.items():
        r = raw[name]
        raw_p50, raw_p95 = percentile(r["total"], 50), percentile(r["total"], 95)
        same = "yes" if r["enrolled"] == n["enrolled"] else (
            f"no ({r['enrolled']:,} raw, {n['enrolled']:,} app)")
        lines.append(
            f"| {name} | {milliseconds(raw_p50)} | {milliseconds(raw_p95)} | "
            f"{milliseconds(n['queries_p50'])} | {milliseconds(n['cold_p50'])} | "
            f"{milliseconds(n['cold_p95'])} | {milliseconds(n['warm_p50'])} | "
            f"{milliseconds(n['warm_p95'])} | {raw_p50 / n['cold_p50']:,.0f}× | "
            f"{raw_p50 / n['warm_p50']:,.0f}× | {same} |")
    parts = ["", "Raw queries by part (p50):", "", "| view | " + " | ".join(
        ("cards", "ranking", "trend", "trend (Morocco)")) + " |", "|---|---|---|---|---|"]
    for name, r in raw.items():
        cells = [milliseconds(percentile(r["parts"][p], 50)) if p in r["parts"] else "—"
                 for p in ("cards", "ranking", "trend", "trend (Morocco)")]
        parts.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines + parts


def _profile_table(results: dict[str, Any]) -> list[str]:
    if not results["profiles"]:
        return []
    lines = [
        "", "### Where the time goes in the slowest misses", "",
        "One request under cProfile (which slows Python code down more than DuckDB's), its "
        "functions' own time summed by library, largest first; \"project code\" is the "
        "Python of `queries/`, `callbacks/`, `layouts/` and `dashboard/` itself.", "",
        "| cache | view | interaction | callback | profiled | parts |",
        "|---|---|---|---|---|---|",
    ]
    for p in results["profiles"]:
        total = sum(p["buckets"].values()) or 1.0
        parts = "; ".join(f"{label} {seconds / total:.0%}"
                          for label, seconds in list(p["buckets"].items())[:5])
        lines.append(f"| {p['mode']} | {p['view']} | {p['interaction']} | {p['callback']} | "
                     f"{milliseconds(p['profiled_seconds'])} | {parts or '—'} |")
    return lines


def _callback_table(results: dict[str, Any]) -> list[str]:
    lines = [
        "", "### Every callback", "",
        "| view | interaction | callback | cold p50 | cold p95 | warm p50 | warm p95 "
        f"| response | < {COLD_TARGET * 1000:.0f} ms cold | < 10 ms warm | map < 600 KB |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results["callbacks"]:
        label = _label(r)
        map_verdict = verdict(r["bytes"] < MAP_TARGET) if r["is_map"] else ""
        lines.append(
            f"| {r['view']} | {r['interaction']} | {label} | {milliseconds(r['cold_p50'])} | "
            f"{milliseconds(r['cold_p95'])} | {milliseconds(r['warm_p50'])} | "
            f"{milliseconds(r['warm_p95'])} | {kilobytes(r['bytes'])} | "
            f"{verdict(r['cold_p95'] < COLD_TARGET)} | {verdict(r['warm_p95'] < WARM_TARGET)} "
            f"| {map_verdict} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print a one-line error instead of a traceback when it cannot."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=20,
                        help="timed runs of every request (default: 20)")
    parser.add_argument("--raw-repetitions", type=int, default=5,
                        help="timed runs of the raw-table queries (default: 5)")
    parser.add_argument("--no-docs", action="store_true",
                        help="write bench/results/views.json only, not docs/benchmarks.md")
    parser.add_argument("--interactions", type=Path, default=None,
                        help="recorded requests (default: bench/interactions.json)")
    parser.add_argument("--report-only", action="store_true",
                        help="rewrite the docs section from bench/results/views.json, "
                             "without measuring")
    args = parser.parse_args(argv)
    if args.report_only:
        saved = RESULTS / "views.json"
        if not saved.exists():
            print(f"error: {saved} is missing: run the benchmark first", file=sys.stderr)
            return 2
        replace_section(SECTION, report(json.loads(saved.read_text(encoding="utf-8"))))
        print("wrote docs/benchmarks.md")
        return 0
    try:
        run(args.repetitions, args.raw_repetitions, not args.no_docs, args.interactions)
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except Exception as error:
        if type(error).__module__.split(".")[0] in ("dashboard", "queries"):
            print(f"error: the app did not start: {error}", file=sys.stderr)
            return 2
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
