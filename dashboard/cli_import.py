"""``python -m dashboard import``: MASSAR extract files into the schooling database."""

from __future__ import annotations

import argparse
import getpass
import re
import time

from sqlalchemy.exc import OperationalError
from tqdm import tqdm

from dashboard.config import ConfigError, load_config
from dashboard.db import DatabaseError, make_engine


class ImportCommandError(Exception):
    """Input or a database that the import cannot use: one line, exit code 2."""


def add_commands(commands) -> None:
    """Declare the ``import`` command on the CLI's subparsers."""
    command = commands.add_parser(
        "import", help="import MASSAR extract files (a folder, files or a .zip), then build")
    command.add_argument("paths", nargs="+", metavar="PATH",
                         help="an extract folder, its files (.csv, .csv.gz, .xlsx) or a .zip")
    command.add_argument("--dry-run", action="store_true",
                         help="check every row and report, writing nothing")
    command.add_argument("--no-build", action="store_true",
                         help="import without building the analytics tables afterwards")
    command.add_argument("--population-scale", type=_share, default=None, metavar="SHARE",
                         help="the share of the country's pupils the database holds (a "
                         "synthetic sample: 0.1 at demo scale); the census population the "
                         "schooling rates divide by is scaled alike, for this and every "
                         "later build (default: as before, 1 for a new database)")
    command.set_defaults(run=run)


def _share(text: str) -> float:
    """Parse a population scale: a number above 0 and at most 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"a share of the country, above 0 and at most 1, "
                                         f"not {text}")
    return value


def run(args: argparse.Namespace) -> None:
    """Import the files, print what became of each one's rows, then build."""
    from dashboard.data.extract.files import ExtractError, find_sources
    from dashboard.data.extract.load import prepare, run_import

    rescaled = False
    try:
        config = load_config()
        sources, ignored = find_sources(args.paths)
        if not sources:
            raise ImportCommandError("no extract file (.csv, .csv.gz, .xlsx) in "
                                     + ", ".join(args.paths))
        engine = make_engine(config.database_url)
        started = time.perf_counter()
        with tqdm(desc="import", unit=" rows", unit_scale=True, leave=False, delay=1) as bar:
            if args.dry_run and not _has_schema(engine):
                # a new database is checked against the geography alone, and not created
                engine = make_engine("duckdb:///:memory:")
                prepare(engine)
            elif not args.dry_run:
                prepare(engine)
            report = run_import(engine, sources, getpass.getuser(), dry_run=args.dry_run,
                                progress=bar.update)
        if not args.dry_run and args.population_scale is not None:
            rescaled = _set_scale(engine, args.population_scale)
    except (ExtractError, ConfigError, DatabaseError) as error:
        raise ImportCommandError(str(error)) from None
    except OperationalError as error:
        raise ImportCommandError(locked(error, "import") or "database: " + str(
            getattr(error, "orig", error)).splitlines()[0]) from None
    for name in ignored:
        print(f"{name}: not an extract file, left aside")
    for file in report.files:
        print(_line(file))
    seconds = time.perf_counter() - started
    if args.dry_run:
        print(f"dry run: nothing written ({seconds:.1f} s)")
        return
    if not report.changed and not rescaled:
        print("nothing changed: every file was imported before")
        return
    if report.changed:
        print(f"imported in {seconds:.1f} s")
        _audit(report)
    else:
        print(f"every file was imported before; population scale now {args.population_scale}")
    if not args.no_build:
        _build_after(config, engine)


def _audit(report) -> None:
    """Record the import in the audit log, beside the web app's reads and downloads."""
    from dashboard.cli_users import state_engine
    from dashboard.web.auth import audit

    files = [{"file": f.name, "sha256": f.sha256, "batch": f.batch_id, "read": f.rows_read,
              "accepted": f.rows_accepted, "rejected": f.rows_rejected}
             for f in report.files if f.batch_id is not None]
    engine = state_engine()
    try:
        audit.record(engine, "import", f"cli:{getpass.getuser()}", detail={"files": files})
    finally:
        engine.dispose()


def _set_scale(engine, scale: float) -> bool:
    """Store the population scale; return whether it changed."""
    from dashboard.data import population_scale

    with engine.begin() as conn:
        if population_scale.read(conn) == scale:
            return False
        population_scale.write(conn, scale, "set by import --population-scale")
    return True


def _has_schema(engine) -> bool:
    from sqlalchemy import inspect

    try:
        return inspect(engine).has_table("region")
    except OperationalError:
        return False


def _line(file) -> str:
    """Return one file's summary: rows read, accepted and rejected by reason."""
    if file.already is not None:
        return f"{file.name}: already imported (batch {file.already}), nothing changed"
    reasons = ", ".join(f"{code} {count:,}" for code, count in sorted(
        file.by_reason.items(), key=lambda item: -item[1]))
    year = f" {file.school_year}-{file.school_year + 1}" if file.school_year else ""
    text = (f"{file.name} ({file.table}{year}): {file.rows_read:,} read, "
            f"{file.rows_accepted:,} accepted, {file.rows_rejected:,} rejected")
    return f"{text} ({reasons})" if reasons else text


def _build_after(config, engine) -> None:
    from dashboard.data.build import BuildError, build

    started = time.perf_counter()
    try:
        summary = build(engine, config.small_cell_threshold)
    except BuildError as error:
        raise ImportCommandError(str(error)) from None
    print(f"built data version {summary.version} in {time.perf_counter() - started:.1f} s")


def locked(error: OperationalError, doing: str) -> str | None:
    """Return what to say of a DuckDB file another process holds (``doing``: "build",
    "import"), None for another database error."""
    if "Could not set lock" not in str(error):
        return None
    holder = re.search(r"\(PID (\d+)\)", str(error))
    return ("the DuckDB file is open in another process"
            + (f" (PID {holder.group(1)})" if holder else "")
            + f": stop the dashboard before you {doing}, or {doing} into a copy of the file "
            "and move it into place (docs/deployment.md, Data refresh)")
