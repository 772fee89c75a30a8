"""The command line: ``python -m dashboard <command>``."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.exc import OperationalError, SQLAlchemyError
from tqdm import tqdm

from dashboard.app_state import state_of
from dashboard.cli_import import ImportCommandError, locked
from dashboard.cli_users import UsersCommandError
from dashboard.config import ConfigError, load_config
from dashboard.db import DatabaseError, make_engine

EXIT_USAGE = 2


class CommandError(Exception):
    """A failure to report as one line on stderr with exit code 2."""


def _generate(args: argparse.Namespace) -> None:
    from dashboard.data.generate import GenerateError, generate, parse_years

    if args.defects and not args.extract:
        raise CommandError("--defects needs --extract DIR")
    if not 0 <= args.defects < 0.5:
        raise CommandError(f"--defects is a share of rows, from 0 to 0.5, not {args.defects}")
    scratch = tempfile.TemporaryDirectory(prefix="pilotage-extract-") if args.extract else None
    try:
        years = parse_years(args.years)
        url = (f"duckdb:///{Path(scratch.name) / 'synthetic.duckdb'}" if scratch
               else load_config().database_url)
        engine = make_engine(url)
        steps = tqdm(total=len(years) + 2, desc=f"generate {args.scale}", unit="step")
        started = time.perf_counter()
        summary = generate(engine, args.scale, years, args.seed, progress=_advance(steps))
        steps.close()
        print(
            f"generated {summary.schools:,} schools, {summary.students:,} students, "
            f"{summary.enrollments:,} enrollments, {summary.exam_results:,} exam results "
            f"({summary.scale}, {years[0]}-{years[-1]}) in {time.perf_counter() - started:.1f} s"
        )
        if scratch:
            _write_extract(engine, Path(args.extract), args.defects, args.seed)
        engine.dispose()
    except (GenerateError, ConfigError, DatabaseError) as error:
        raise CommandError(str(error)) from None
    finally:
        if scratch:
            scratch.cleanup()


def _write_extract(engine, folder: Path, defects: float, seed: int) -> None:
    """Write the generated data as a MASSAR extract (with defects and their ground truth)."""
    from dashboard.data.extract.write import write_extract

    started = time.perf_counter()
    summary = write_extract(engine, folder, defects=defects, seed=seed)
    print(f"wrote an extract of {summary.rows:,} rows in {len(summary.files)} files to "
          f"{folder}" + (f", {summary.defects:,} of them defective (ground_truth.txt)"
                         if summary.defects else "")
          + f" in {time.perf_counter() - started:.1f} s")


def _build(args: argparse.Namespace) -> None:
    from dashboard.data.build import BuildError, build

    try:
        config = load_config()
        engine = make_engine(config.database_url)
        started = time.perf_counter()
        summary = build(engine, config.small_cell_threshold)
    except (BuildError, ConfigError, DatabaseError) as error:
        raise CommandError(str(error)) from None
    except OperationalError as error:
        message = locked(error, "build")
        if message is None:
            raise
        raise CommandError(message) from None
    print(
        f"built data version {summary.version}: {summary.stats_rows:,} analytics rows from "
        f"{summary.enrollment_rows:,} enrollments in {time.perf_counter() - started:.1f} s"
    )


def _serve(args: argparse.Namespace) -> None:
    from dashboard import create_app
    from dashboard.web.server import serve
    from queries.database import DataNotReady, DataUnavailable, data_version

    try:
        app = create_app()  # fail here, in one line, rather than in every worker
        with app.server.app_context():
            data_version()
    except DataUnavailable as error:  # a server database may come back: serve meanwhile
        print(f"warning: {error}; pages say so until it answers", file=sys.stderr)
    except (ConfigError, DatabaseError, DataNotReady) as error:
        raise CommandError(str(error)) from None
    print(f"Pilotage: http://{args.host}:{args.port}/", flush=True)
    if args.debug:
        app.run(host=args.host, port=args.port, debug=True)
        return
    state_of(app.server).engine.dispose()
    serve(args.host, args.port, args.workers)


def _warm_cache(args: argparse.Namespace) -> None:
    from dashboard import create_app
    from dashboard.web.warm import SHARED_CACHES, territorial_units, warm_views
    from queries.database import DataNotReady

    config = load_config()
    if config.cache_type not in SHARED_CACHES:
        raise CommandError(
            f"PILOTAGE_CACHE_TYPE is {config.cache_type}: each worker keeps its own cache, so "
            "there is nothing to warm from here; use RedisCache (or FileSystemCache)")
    try:
        app = create_app()
    except (ConfigError, DatabaseError) as error:
        raise CommandError(str(error)) from None
    try:
        with app.server.app_context():
            total = len(territorial_units())
            with tqdm(total=total, desc="warm-cache", unit="view", disable=args.quiet) as bar:
                summary = warm_views(_advance(bar))
    except DataNotReady as error:
        raise CommandError(str(error)) from None
    finally:
        state_of(app.server).engine.dispose()
    print(f"warmed {summary.views} views (nation, regions, provinces) of "
          f"{summary.year}-{summary.year + 1} in {summary.seconds:.1f} s")


def _advance(bar: tqdm):
    def step(label: str) -> None:
        bar.set_postfix_str(label)
        bar.update(1)

    return step


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be between 1 and 65535, not {port}")
    return port


def parser() -> argparse.ArgumentParser:
    """Describe every command and its options."""
    from dashboard.data.calibration import SCALES

    top = argparse.ArgumentParser(
        prog="python -m dashboard",
        description="Pilotage: steering dashboard over the schooling database. "
        "The database is PILOTAGE_DATABASE_URL (default: an embedded DuckDB file).",
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="<command>")

    gen = commands.add_parser("generate", help="create the synthetic schooling database")
    gen.add_argument("--scale", default="demo", choices=list(SCALES),
                     help="tiny (tests), demo (a tenth of national) or national (default: demo)")
    gen.add_argument("--seed", type=int, default=2024, help="random seed (default: 2024)")
    gen.add_argument("--years", default="2020-2025",
                     help="school years as FIRST-LAST, each the starting year (default: 2020-2025)")
    gen.add_argument("--extract", metavar="DIR", default=None,
                     help="write the data as a MASSAR extract in DIR instead of the database")
    gen.add_argument("--defects", type=float, default=0.0, metavar="RATE",
                     help="with --extract: share of rows given a defect the import rejects, "
                     "listed in DIR/ground_truth.txt, and of pupil rows given one it accepts "
                     "that the quality checks find, listed in DIR/quality_truth.txt "
                     "(default: 0)")
    gen.set_defaults(run=_generate)

    bld = commands.add_parser("build", help="build and publish the analytics tables")
    bld.set_defaults(run=_build)

    srv = commands.add_parser("serve", help="serve the dashboard")
    srv.add_argument("--host", default="127.0.0.1", help="address (default: 127.0.0.1)")
    srv.add_argument("--port", type=_port, default=8050, help="port (default: 8050)")
    srv.add_argument("--workers", type=int, default=None,
                     help="gunicorn worker processes (default: cores + 1, at most 4)")
    srv.add_argument("--debug", action="store_true",
                     help="one process with Dash's debug tools and hot reload")
    srv.set_defaults(run=_serve)

    warm = commands.add_parser(
        "warm-cache", help="pre-compute the national, regional and provincial views "
        "into the shared cache (run after each build)")
    warm.add_argument("--quiet", action="store_true", help="no progress bar")
    warm.set_defaults(run=_warm_cache)

    from dashboard import cli_import, cli_users

    cli_import.add_commands(commands)
    cli_users.add_commands(commands)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return the process exit code."""
    args = parser().parse_args(argv)
    try:
        args.run(args)
    except CommandError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except (UsersCommandError, ImportCommandError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except SQLAlchemyError as error:
        print(f"error: database: {error.__class__.__name__}: {_first_line(error)}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:
        print(f"error: {error.strerror or error}: {error.filename or ''}".rstrip(": "),
              file=sys.stderr)
        return EXIT_USAGE
    return 0


def _first_line(error: Exception) -> str:
    return str(getattr(error, "orig", error)).splitlines()[0]
