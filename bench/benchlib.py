"""Shared pieces of the national-scale benchmarks: data folder, database, account, reports.

The benchmark database lives in ``BENCH_DATA_DIR`` (default ``data/national`` under the
repository) as ``pilotage.duckdb``; the users database and the cached boundaries sit
beside it, as they do for the app's own data folder.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import re
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
RESULTS = BENCH / "results"
INTERACTIONS = BENCH / "interactions.json"
DOCS = REPO / "docs" / "benchmarks.md"
DEFAULT_DATA_DIR = REPO / "data" / "national"
DATABASE_FILE = "pilotage.duckdb"
PYTHON = sys.executable

#: The national account the benchmarks log in with (created in the benchmark folder only).
BENCH_USER = "bench"
BENCH_PASSWORD = "bench-national-2024"
#: Login attempts allowed per address while benchmarking (many sessions from 127.0.0.1).
BENCH_LOGIN_RATE_LIMIT = "100000 per minute"

DASH_UPDATE = "/_dash-update-component"


class BenchError(RuntimeError):
    """A condition that stops a benchmark, reported as one line without a traceback."""


def data_dir() -> Path:
    """Return the benchmark's data folder: ``BENCH_DATA_DIR`` or ``data/national``."""
    folder = os.environ.get("BENCH_DATA_DIR")
    return Path(folder).resolve() if folder else DEFAULT_DATA_DIR


def database_path(folder: Path) -> Path:
    """Return the DuckDB file of the benchmark folder."""
    return folder / DATABASE_FILE


def database_url(folder: Path) -> str:
    """Return the SQLAlchemy URL of the benchmark database."""
    return f"duckdb:///{database_path(folder)}"


def app_environment(folder: Path) -> dict[str, str]:
    """Return the settings every benchmark runs the app with."""
    return {
        "PILOTAGE_DATABASE_URL": database_url(folder),
        "PILOTAGE_DATA_DIR": str(folder),
        "PILOTAGE_STATE_DATABASE_URL": f"sqlite:///{folder / 'pilotage-state.sqlite'}",
        "PILOTAGE_LOGIN_RATE_LIMIT": BENCH_LOGIN_RATE_LIMIT,
        "PILOTAGE_CACHE_TYPE": "SimpleCache",
    }


def _run_command(folder: Path, *args: str) -> None:
    env = {**os.environ, **app_environment(folder)}
    print(f"$ python -m dashboard {' '.join(args)}", flush=True)
    done = subprocess.run([PYTHON, "-m", "dashboard", *args], cwd=REPO, env=env, check=False)
    if done.returncode != 0:
        raise BenchError(f"`python -m dashboard {' '.join(args)}` failed "
                         f"(exit code {done.returncode})")


def ensure_database(folder: Path, create: bool = True) -> None:
    """Make sure the national database exists and is built; generate it if allowed."""
    path = database_path(folder)
    if not path.exists():
        if not create:
            raise BenchError(f"no database at {path}: run `make bench` first, or set "
                             "BENCH_DATA_DIR to the folder that holds pilotage.duckdb")
        print(f"no database at {path}: generating the national scale (about 8 minutes "
              "and 12 GB on 2 cores), then building it", flush=True)
        folder.mkdir(parents=True, exist_ok=True)
        _run_command(folder, "generate", "--scale", "national")
        _run_command(folder, "build")
        return
    info = database_info(folder)
    if info.get("version") is None:
        if not create:
            raise BenchError(f"{path} has no analytics tables: run "
                             "`python -m dashboard build` on it")
        _run_command(folder, "build")


def database_info(folder: Path) -> dict[str, Any]:
    """Return the published data version of the database, its rows and the file size."""
    import duckdb

    path = database_path(folder)
    try:
        conn = duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            raise BenchError(f"{path} is held by another process (a generate or build still "
                             "running?): wait until it ends") from None
        raise BenchError(f"cannot open {path}: {str(error).splitlines()[0]}") from None
    try:
        tables = {row[0] for row in conn.execute("SELECT table_name FROM information_schema"
                                                 ".tables").fetchall()}
        info: dict[str, Any] = {"file_bytes": path.stat().st_size, "version": None}
        if "data_version" in tables:
            row = conn.execute("SELECT version, built_at, enrollment_rows, stats_rows "
                               "FROM data_version ORDER BY version DESC LIMIT 1").fetchone()
            if row:
                info.update(version=row[0], built_at=str(row[1]), enrollment_rows=row[2],
                            stats_rows=row[3])
        if "school_stats" in tables:
            years = conn.execute("SELECT DISTINCT school_year FROM school_stats "
                                 "ORDER BY 1").fetchall()
            info["years"] = [int(y[0]) for y in years]
            info["latest_year_enrollments"] = conn.execute(
                "SELECT sum(enrolled) FROM school_stats WHERE school_year = ?",
                [info["years"][-1]]).fetchone()[0] if years else 0
    finally:
        conn.close()
    return info


def ensure_account(folder: Path) -> None:
    """Create (or reset) the benchmark's national account in the folder's users database."""
    from dashboard.db import make_engine
    from dashboard.web.auth.schema import metadata
    from dashboard.web.auth.users import UserError, add_user, get_account, set_password

    engine = make_engine(app_environment(folder)["PILOTAGE_STATE_DATABASE_URL"])
    try:
        metadata.create_all(engine)
        if get_account(engine, BENCH_USER) is None:
            add_user(engine, BENCH_USER, BENCH_PASSWORD, "national", "MA")
        else:
            set_password(engine, BENCH_USER, BENCH_PASSWORD)
    except UserError as error:
        raise BenchError(f"benchmark account: {error}") from None
    finally:
        engine.dispose()


def load_interactions(path: Path | None = None) -> dict[str, Any]:
    """Return the recorded callback requests (default: bench/interactions.json)."""
    path = path or INTERACTIONS
    if not path.exists():
        raise BenchError(f"{path} is missing: record it with `.venv/bin/python "
                         "bench/record.py`")
    return json.loads(path.read_text(encoding="utf-8"))


def with_data_version(interactions: dict[str, Any], version: int) -> dict[str, Any]:
    """Return the recording with every view store naming ``version``.

    The view store a page holds names the data version it was drawn from; requests replayed
    on another build of the database must name that build's version, as a page loaded from
    it would.
    """
    recorded = json.loads(json.dumps(interactions))
    for view in recorded["views"]:
        for interaction in view["interactions"]:
            for request in interaction["requests"]:
                body = request["body"]
                for item in [*(body.get("inputs") or []), *(body.get("state") or [])]:
                    if not isinstance(item, dict):  # a pattern-matching list of items
                        continue
                    value = item.get("value")
                    if (item.get("id") == "view" and isinstance(value, dict)
                            and "version" in value):
                        value["version"] = version
    return recorded


def percentile(values: Sequence[float], q: float) -> float:
    """Return the ``q`` percentile (0-100) with linear interpolation, as NumPy does."""
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def verdict(ok: bool) -> str:
    """Return the plain word a report writes against a target."""
    return "met" if ok else "MISSED"


def proc_fields(path: str) -> dict[str, str]:
    """Return the ``key: value`` lines of a /proc file (first of each key), or nothing
    when the file cannot be read (the process ended, or no /proc on this system)."""
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return {}
    fields: dict[str, str] = {}
    for line in lines:
        key, separator, value = line.partition(":")
        if separator:
            fields.setdefault(key.strip(), value.strip())
    return fields


def machine() -> dict[str, Any]:
    """Describe the machine and the software the figures were measured with."""
    import duckdb

    cpu = proc_fields("/proc/cpuinfo").get("model name") or platform.processor()
    memory_kb = proc_fields("/proc/meminfo").get("MemTotal")
    memory_gb = round(int(memory_kb.split()[0]) / 1024 / 1024) if memory_kb else None
    return {
        "cpu_count": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": memory_gb,
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def replace_section(heading: str, body: str, path: Path = DOCS) -> None:
    """Write ``body`` under the level-2 ``heading`` of the Markdown file, in place.

    The section runs to the next level-2 heading; it is appended when it is not there.
    Every other section is left as it is.
    """
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    block = f"{heading}\n\n{wrap(body.strip())}\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _match: block + "\n", text, count=1)
        text = text.rstrip("\n") + "\n"
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.write_text(text, encoding="utf-8")


def wrap(markdown: str, width: int = 88) -> str:
    """Wrap the prose lines of generated Markdown as the rest of the docs are; tables,
    headings and code stay on their lines."""
    lines = []
    for line in markdown.splitlines():
        if line.startswith(("|", "#", "    ", "```")) or len(line) <= width:
            lines.append(line)
            continue
        indent = "  " if line.startswith("- ") else ""
        lines.append(textwrap.fill(line, width=width, subsequent_indent=indent,
                                   break_long_words=False, break_on_hyphens=False))
    return "\n".join(lines)


def write_json(name: str, data: dict[str, Any]) -> Path:
    """Write machine-readable results to ``bench/results/<name>``."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    target = RESULTS / name
    target.write_text(json.dumps(data, indent=1, ensure_ascii=False, default=str) + "\n",
                      encoding="utf-8")
    return target


def milliseconds(seconds: float) -> str:
    """Format a duration for a table: ``12.3 ms``."""
    if math.isnan(seconds):
        return "—"
    value = seconds * 1000
    return f"{value:,.0f} ms" if value >= 100 else f"{value:.1f} ms"


def kilobytes(size: float) -> str:
    """Format a payload size for a table: ``12.3 KB``."""
    value = size / 1024
    return f"{value:,.0f} KB" if value >= 100 else f"{value:.1f} KB"
