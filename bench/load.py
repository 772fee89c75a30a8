"""Replay realistic sessions of many concurrent users against gunicorn, on loopback only.

    make load                                  # or: .venv/bin/python bench/load.py
    .venv/bin/python bench/load.py --users 50 --duration 60 --workers 2
    .venv/bin/python bench/load.py --url http://127.0.0.1:8050   # a server already running

Starts ``python -m dashboard serve --workers N`` on a free loopback port over the
benchmark database (``BENCH_DATA_DIR``, default ``data/national``), with
``PILOTAGE_LOGIN_RATE_LIMIT`` raised for the run, since every simulated user logs in from
127.0.0.1. Each user logs in through the /login form, then walks the recorded journey
(``bench/interactions.json``) from a random point: for each view, the page and Dash's
layout and dependencies, then each interaction's callback requests, the requests a
browser sent together sent together, with a think time between interactions. Bounded by
the duration, a cap on requests and a timeout per request. Reports every request type's
count, errors (a non-2xx answer, a refused login or a transport error), p50, p95 and
maximum, and the workers' peak memory; writes ``bench/results/load.json`` and the "Load"
section of ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.benchlib import (  # noqa: E402
    BENCH_LOGIN_RATE_LIMIT,
    BENCH_PASSWORD,
    BENCH_USER,
    DASH_UPDATE,
    PYTHON,
    REPO,
    BenchError,
    app_environment,
    data_dir,
    database_info,
    ensure_account,
    ensure_database,
    load_interactions,
    machine,
    milliseconds,
    percentile,
    proc_fields,
    replace_section,
    verdict,
    with_data_version,
    write_json,
)

LOOPBACK = "127.0.0.1"
P95_TARGET = 0.300
REQUEST_TIMEOUT = 30.0
START_TIMEOUT = 180.0
SECTION = "## Load"
#: Connections a browser opens to one host (HTTP/1.1).
BROWSER_CONNECTIONS = 6
#: Seconds an idle connection is kept by the client: under gunicorn's keep-alive (2 s), so
#: that a request never meets a connection the server is closing (a browser would retry
#: such a request; httpx reports it as an error).
CLIENT_KEEPALIVE = 1.0


class Stats:
    """Latencies and errors per request type, shared by every simulated user."""

    def __init__(self, max_requests: int) -> None:
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.samples: dict[str, str] = {}
        self.max_requests = max_requests
        self.count = 0
        self.origin = time.monotonic()
        self.timeline: list[tuple[float, float]] = []

    @property
    def exhausted(self) -> bool:
        """Return whether the request budget is spent."""
        return self.count >= self.max_requests

    def add(self, kind: str, seconds: float, error: str | None) -> None:
        """Count one request of ``kind``; ``error`` says what went wrong, if anything."""
        self.count += 1
        self.latencies[kind].append(seconds)
        self.timeline.append((time.monotonic() - seconds - self.origin, seconds))
        if error:
            self.errors[kind] += 1
            self.samples.setdefault(kind, error)


async def _request(client, stats: Stats, kind: str, method: str, url: str,
                   ok: tuple[int, ...] = (), **kwargs) -> None:
    import httpx

    started = time.perf_counter()
    error = None
    try:
        response = await client.request(method, url, **kwargs)
        await response.aread()
        if not (200 <= response.status_code < 300 or response.status_code in ok):
            error = f"HTTP {response.status_code}"
        elif kind == "POST /login" and "/login" in response.headers.get("location", "/login"):
            error = f"login refused (HTTP {response.status_code})"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:200]
    stats.add(kind, time.perf_counter() - started, error)


def _groups(requests: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Split an interaction's requests into the groups the browser sent together."""
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for request in requests:
        grouped[request["group"]].append(request)
    return [grouped[key] for key in sorted(grouped)]


async def user(number: int, base: str, views: list[dict[str, Any]], stats: Stats,
               deadline: float, think: tuple[float, float], seed: int,
               arrival: float) -> None:
    """One user: arrive within ``arrival`` seconds, log in, then walk the journey from a
    random view until the deadline."""
    import httpx

    rng = random.Random(seed * 1000 + number)
    limits = httpx.Limits(max_connections=BROWSER_CONNECTIONS,
                          keepalive_expiry=CLIENT_KEEPALIVE)
    timeout = httpx.Timeout(REQUEST_TIMEOUT)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout,
                                 follow_redirects=False) as client:
        await asyncio.sleep(rng.uniform(0, arrival))
        await _request(client, stats, "GET /login", "GET", "/login")
        await _request(client, stats, "POST /login", "POST", "/login", ok=(302,),
                       data={"username": BENCH_USER, "password": BENCH_PASSWORD})
        start = rng.randrange(len(views))
        for view in itertools.islice(itertools.cycle(views), start, None):
            if time.monotonic() >= deadline or stats.exhausted:
                return
            await _request(client, stats, "GET page", "GET", view["path"])
            for path in ("/_dash-layout", "/_dash-dependencies"):
                await _request(client, stats, f"GET {path}", "GET", path)
            for interaction in view["interactions"]:
                for group in _groups(interaction["requests"]):
                    if time.monotonic() >= deadline or stats.exhausted:
                        return
                    await asyncio.gather(*(
                        _request(client, stats, f"callback {r['callback']}", "POST",
                                 DASH_UPDATE, json=r["body"])
                        for r in group))
                await asyncio.sleep(rng.uniform(*think))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def _answers(httpx, url: str) -> bool:
    """Return whether ``url`` answers 200 (False while nothing listens yet)."""
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _wait_until_serving(process: subprocess.Popen, base: str, log: Path) -> None:
    import httpx

    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace").strip().splitlines()[-5:]
            raise BenchError("the server did not start (exit code "
                             f"{process.returncode}): " + " / ".join(tail))
        if _answers(httpx, f"{base}/login"):
            return
        time.sleep(0.5)
    raise BenchError(f"the server did not answer on {base} within {START_TIMEOUT:.0f} s "
                     f"(log: {log})")


def shared_cache_environment(redis_url: str | None) -> dict[str, str]:
    """Return the settings of the production cache (Redis shared by the workers), if asked."""
    if not redis_url:
        return {}
    return {"PILOTAGE_CACHE_TYPE": "RedisCache", "PILOTAGE_CACHE_REDIS_URL": redis_url,
            "PILOTAGE_CACHE_NAMESPACE": "bench-load"}


def warm_cache(folder: Path, redis_url: str) -> float:
    """Empty the Redis database, then run ``warm-cache`` as after a build; return seconds."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    env = {**os.environ, **app_environment(folder), **shared_cache_environment(redis_url)}
    started = time.monotonic()
    done = subprocess.run([PYTHON, "-m", "dashboard", "warm-cache", "--quiet"], cwd=REPO,
                          env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BenchError(f"warm-cache failed: {done.stderr.strip()}")
    return time.monotonic() - started


def start_server(folder: Path, workers: int,
                 redis_url: str | None = None) -> tuple[subprocess.Popen, str, Path]:
    """Start ``python -m dashboard serve`` on a free loopback port; return it and its URL."""
    port = _free_port()
    log = folder / "load-server.log"
    env = {**os.environ, **app_environment(folder), **shared_cache_environment(redis_url)}
    command = [PYTHON, "-m", "dashboard", "serve", "--host", LOOPBACK, "--port", str(port),
               "--workers", str(workers)]
    with log.open("w") as output:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://{LOOPBACK}:{port}"
    try:
        _wait_until_serving(process, base, log)
    except BenchError:
        stop_server(process, [])
        raise
    return process, base, log


def stop_server(process: subprocess.Popen, worker_pids: list[int] | None = None) -> list[int]:
    """Stop the server this script started; return the workers that had to be stopped by hand.

    SIGTERM goes to the gunicorn master, which asks its workers to exit. A worker still
    running 15 s after the master is gone is sent SIGTERM, then SIGKILL, by its own id
    (checked to still be this server's process).
    """
    worker_pids = worker_pids if worker_pids is not None else workers(process.pid)
    port_flag = process.args[process.args.index("--port") + 1]
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    stuck = []
    deadline = time.monotonic() + 15
    for pid in worker_pids:
        while _is_our_worker(pid, port_flag) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _is_our_worker(pid, port_flag):
            stuck.append(pid)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in stuck:
            if _is_our_worker(pid, port_flag):
                os.kill(pid, sig)
        time.sleep(2)
    return stuck


def _is_our_worker(pid: int, port: str) -> bool:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z" and b"serve" in command and port.encode() in command


def _status(pid: int) -> dict[str, int]:
    """Return the peak and current resident memory of a process, in bytes."""
    fields = proc_fields(f"/proc/{pid}/status")
    return {key: int(fields[key].split()[0]) * 1024 for key in ("VmHWM", "VmRSS")
            if key in fields}


def _cpu_seconds(pid: int) -> float:
    """Return the CPU time (user and system) a process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def workers(master: int) -> list[int]:
    """Return the process ids of the gunicorn master's workers."""
    children: list[int] = []
    for task in Path(f"/proc/{master}/task").glob("*/children"):
        try:
            children += [int(pid) for pid in task.read_text().split()]
        except OSError:
            continue
    return sorted(children)


def worker_memory(master: int) -> list[dict[str, Any]]:
    """Return the peak (VmHWM) and current resident memory and CPU time of each worker."""
    return [{"pid": pid, **_status(pid), "cpu_seconds": _cpu_seconds(pid)}
            for pid in workers(master)]


def windows(timeline: list[tuple[float, float]], width: float) -> list[dict[str, Any]]:
    """Return the request count and latency percentiles per ``width`` seconds of the run."""
    grouped: dict[int, list[float]] = defaultdict(list)
    for started, seconds in timeline:
        grouped[int(max(started, 0) // width)].append(seconds)
    return [{"from_s": key * width, "to_s": (key + 1) * width, "requests": len(values),
             "p50": percentile(values, 50), "p95": percentile(values, 95), "max": max(values)}
            for key, values in sorted(grouped.items())]


async def run_users(base: str, views: list[dict[str, Any]], users: int, duration: float,
                    think: tuple[float, float], max_requests: int, seed: int,
                    arrival: float = 30.0) -> Stats:
    """Run every user concurrently until the deadline; return the collected figures."""
    stats = Stats(max_requests)
    deadline = time.monotonic() + duration
    tasks = [user(n, base, views, stats, deadline, think, seed, min(arrival, duration))
             for n in range(users)]
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=duration + 2 * REQUEST_TIMEOUT)
    return stats


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Start (or target) the server, run the users, stop the server, return the figures."""
    interactions = load_interactions()
    folder = data_dir()
    process = None
    info: dict[str, Any] = {}
    if args.url:
        base = args.url.rstrip("/")
        if not base.startswith((f"http://{LOOPBACK}:", "http://localhost:")):
            raise BenchError("the load script only targets loopback (http://127.0.0.1:PORT)")
        server = {"url": base, "started_by_script": False}
    else:
        ensure_database(folder, create=False)
        ensure_account(folder)
        info = database_info(folder)
        print(f"starting gunicorn with {args.workers} workers on {folder}", flush=True)
        interactions = with_data_version(interactions, info["version"])
        warmed = None
        if args.redis:
            print("warming the shared cache (python -m dashboard warm-cache)", flush=True)
            warmed = warm_cache(folder, args.redis)
        process, base, log = start_server(folder, args.workers, args.redis)
        server = {"url": base, "started_by_script": True, "workers": args.workers,
                  "threads_per_worker": 4, "log": str(log),
                  "login_rate_limit": BENCH_LOGIN_RATE_LIMIT,
                  "cache": "redis" if args.redis else "local", "warm_cache_s": warmed}
    views = interactions["views"]
    try:
        print(f"{args.users} users for {args.duration:.0f} s against {base}", flush=True)
        started = time.monotonic()
        cpu_before = {pid: _cpu_seconds(pid) for pid in workers(process.pid)} if process else {}
        client_before = time.process_time()
        stats = asyncio.run(run_users(base, views, args.users, args.duration,
                                      (args.think_min, args.think_max), args.max_requests,
                                      args.seed, args.arrival))
        elapsed = time.monotonic() - started
        client_cpu = time.process_time() - client_before
        memory = worker_memory(process.pid) if process else []
        for worker in memory:
            worker["cpu_seconds"] -= cpu_before.get(worker["pid"], 0.0)
    finally:
        if process:
            server["workers_stopped_by_hand"] = len(stop_server(process))
    every = [s for values in stats.latencies.values() for s in values]
    kinds = {
        kind: {"count": len(values), "errors": stats.errors.get(kind, 0),
               "p50": percentile(values, 50), "p95": percentile(values, 95),
               "max": max(values), "error_sample": stats.samples.get(kind)}
        for kind, values in sorted(stats.latencies.items())
    }
    return {
        "machine": machine(), "database": info, "server": server,
        "users": args.users, "duration_s": args.duration, "elapsed_s": elapsed,
        "think_s": [args.think_min, args.think_max],
        "arrival_s": min(args.arrival, args.duration), "max_requests": args.max_requests,
        "requests": stats.count, "errors": sum(stats.errors.values()),
        "p50": percentile(every, 50), "p95": percentile(every, 95),
        "max": max(every) if every else float("nan"), "by_type": kinds,
        "workers_memory": memory, "target_p95_s": P95_TARGET, "client_cpu_seconds": client_cpu,
        "windows": windows(stats.timeline, 10.0),
    }


def report(results: dict[str, Any]) -> str:
    """Return the Markdown "Load" section."""
    m, server = results["machine"], results["server"]
    db = results["database"]
    where = (f"`python -m dashboard serve --workers {server['workers']}` (gunicorn, "
             f"{server['threads_per_worker']} threads per worker) started by the script"
             if server.get("started_by_script") else f"the server at {server['url']}")
    rows = [f"{db['enrollment_rows']:,} enrollment rows" if db.get("enrollment_rows")
            else "the server's database"]
    lines = [
        f"Measured {m['date']} by `make load` (`bench/load.py`) on {m['cpu_count']} cores "
        f"({m['cpu']}): {where}, over the national database ({rows[0]}), loopback only. "
        f"The client ran on the same cores. `PILOTAGE_LOGIN_RATE_LIMIT` was set to "
        f"`{BENCH_LOGIN_RATE_LIMIT}` for the run: every simulated user logs in from 127.0.0.1, "
        "and the default (10 per minute per address) would refuse most of them.",
        "",
        f"{results['users']} users for {results['duration_s']:.0f} s (the run took "
        f"{results['elapsed_s']:.0f} s, letting requests under way finish), arriving at "
        f"random over the first {results.get('arrival_s', 0):.0f} s. Each logs in "
        "through the /login form, then walks the recorded journey from a random view: the "
        "page, Dash's layout and dependencies, then the callback requests of each "
        "interaction (load or drill, filter, indicator, year; the requests the browser sent "
        "together are sent together, over at most 6 connections per user, each closed by the "
        "client after 1 s idle, before gunicorn's 2 s keep-alive ends), with a think "
        f"time of {results['think_s'][0]:g}-{results['think_s'][1]:g} s between "
        "interactions. Static files are left out (a browser caches them). Latency is "
        "measured by the client, so queueing in gunicorn is included. Every user replays "
        "the same requests, so after the first ones most answers come from the cache. "
        + (f"Cache: Redis shared by the workers (`PILOTAGE_CACHE_TYPE=RedisCache`), filled "
           f"by `python -m dashboard warm-cache` in {server['warm_cache_s']:.0f} s before "
           "the run, as after every build (docs/deployment.md)."
           if server.get("cache") == "redis" else
           "Cache: each worker's own memory (`SimpleCache`), empty at the start."),
        "",
        "| requests | throughput | errors | p50 | p95 | max | zero errors | p95 < 300 ms |",
        "|---|---|---|---|---|---|---|---|",
        f"| {results['requests']:,} | {results['requests'] / results['elapsed_s']:,.0f} "
        f"per second | {results['errors']} | {milliseconds(results['p50'])} | "
        f"{milliseconds(results['p95'])} | {milliseconds(results['max'])} | "
        f"{verdict(results['errors'] == 0)} | {verdict(results['p95'] < P95_TARGET)} |",
        "",
        "| request | count | errors | p50 | p95 | max | p95 < 300 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind, k in results["by_type"].items():
        lines.append(f"| {kind} | {k['count']:,} | {k['errors']} | {milliseconds(k['p50'])} | "
                     f"{milliseconds(k['p95'])} | {milliseconds(k['max'])} | "
                     f"{verdict(k['p95'] < P95_TARGET)} |")
    samples = [f"- {kind}: {k['error_sample']}" for kind, k in results["by_type"].items()
               if k["error_sample"]]
    if samples:
        lines += ["", "First error of each failing request type:", "", *samples]
    lines += ["", "By 10 s of the run (requests by the time they started):", "",
              "| seconds | requests | p50 | p95 | max |", "|---|---|---|---|---|"]
    for window in results["windows"]:
        lines.append(f"| {window['from_s']:.0f}-{window['to_s']:.0f} | {window['requests']:,} | "
                     f"{milliseconds(window['p50'])} | {milliseconds(window['p95'])} | "
                     f"{milliseconds(window['max'])} |")
    available = (results["machine"]["cpu_count"] or 1) * results["elapsed_s"]
    if results["workers_memory"]:
        lines += ["", "| gunicorn worker | peak resident memory (VmHWM) | at the end "
                  "| CPU time during the run | < 1 GB |", "|---|---|---|---|---|"]
        for number, worker in enumerate(results["workers_memory"], start=1):
            peak = worker.get("VmHWM", 0)
            lines.append(f"| {number} | {peak / 2**20:,.0f} MB | "
                         f"{worker.get('VmRSS', 0) / 2**20:,.0f} MB | "
                         f"{worker.get('cpu_seconds', 0):.0f} s | {verdict(peak < 1024**3)} |")
    stuck = server.get("workers_stopped_by_hand")
    if stuck is not None:
        lines += ["", "Stopping the server (SIGTERM to the gunicorn master): "
                  + ("every worker exited by itself." if stuck == 0 else
                     f"{stuck} of {server['workers']} workers had not exited 15 s after the "
                     "master, and were stopped by the script.")]
    workers_cpu = sum(w.get("cpu_seconds", 0) for w in results["workers_memory"])
    lines += ["", f"CPU time used during the run, out of {available:.0f} s available on "
              f"{results['machine']['cpu_count']} cores: the workers {workers_cpu:.0f} s, the "
              f"load client {results['client_cpu_seconds']:.0f} s."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the load test; print a one-line error instead of a traceback when it cannot."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50, help="concurrent users (default: 50)")
    parser.add_argument("--duration", type=float, default=60.0,
                        help="seconds of load (default: 60)")
    parser.add_argument("--workers", type=int, default=2,
                        help="gunicorn workers of the started server (default: 2)")
    parser.add_argument("--url", help="target this loopback server instead of starting one")
    parser.add_argument("--redis", metavar="URL",
                        help="serve with this Redis as the shared cache, warmed by warm-cache "
                        "first (the production set-up); default: each worker's own cache")
    parser.add_argument("--arrival", type=float, default=30.0,
                        help="seconds over which users arrive and log in (default: 30)")
    parser.add_argument("--think-min", type=float, default=1.0,
                        help="shortest pause between interactions, s (default: 1)")
    parser.add_argument("--think-max", type=float, default=3.0,
                        help="longest pause between interactions, s (default: 3)")
    parser.add_argument("--max-requests", type=int, default=100_000,
                        help="stop after this many requests (default: 100000)")
    parser.add_argument("--seed", type=int, default=2024, help="random seed (default: 2024)")
    parser.add_argument("--no-docs", action="store_true",
                        help="write bench/results/load.json only, not docs/benchmarks.md")
    args = parser.parse_args(argv)
    try:
        import httpx  # noqa: F401
    except ImportError:
        print("error: httpx is missing: `make load` installs requirements-dev.txt",
              file=sys.stderr)
        return 2
    try:
        results = run(args)
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except TimeoutError:
        print("error: the users did not finish within the time bound", file=sys.stderr)
        return 2
    path = write_json("load.json", results)
    print(report(results))
    print(f"wrote {path}")
    if not args.no_docs:
        replace_section(SECTION, report(results))
        print("wrote docs/benchmarks.md")
    return 0 if results["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
