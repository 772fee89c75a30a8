"""Record the Dash callback requests a real browser sends for each benchmarked view.

    .venv/bin/python bench/record.py          # writes bench/interactions.json

Serves the app on loopback over the benchmark database, logs in through the /login form
in Debian's headless Chromium (Playwright, never a downloaded browser), then walks the
fixed journey: Morocco loaded from its address, then a drill by the ranking table into
region 6 (Casablanca-Settat), province 141 (Casablanca), commune 141.1.1 (Anfa) and the
first school of Anfa's ranking; on each unit it changes the cycle filter, the indicator
and the school year through the filter bar. Every POST to /_dash-update-component is kept
with its JSON body, its answer's status and the group of requests the browser sent
together, per view and interaction, so that ``views.py`` and ``load.py`` replay exactly
what the browser asks for.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page
    from werkzeug.serving import BaseWSGIServer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.benchlib import (  # noqa: E402
    BENCH_PASSWORD,
    BENCH_USER,
    DASH_UPDATE,
    INTERACTIONS,
    BenchError,
    app_environment,
    data_dir,
    database_info,
    ensure_account,
    ensure_database,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
TIMEOUT_MS = 60_000
QUIET_SECONDS = 1.0

#: The journey: (view name, level, code). The school is the first of its commune's ranking.
JOURNEY = (
    ("national", "national", "MA"),
    ("region 6", "region", "6"),
    ("province 141", "province", "141"),
    ("commune 141.1.1", "commune", "141.1.1"),
    ("school", "school", None),
)
FILTER_CHANGE = ("cycle", "Collège")
INDICATOR_CHANGE = ("indicator", "Taux de redoublement")


class Recorder:
    """Collect the callback requests of the page, grouped by the interaction under way."""

    def __init__(self, page, app) -> None:
        self.page = page
        self.app = app
        self.pending: dict[Any, dict[str, Any]] = {}
        self.current: list[dict[str, Any]] | None = None
        self.last_activity = time.monotonic()
        page.on("request", self._sent)
        page.on("requestfinished", self._finished)
        page.on("requestfailed", self._finished)

    def _sent(self, request) -> None:
        if request.method != "POST" or urlsplit(request.url).path != DASH_UPDATE:
            return
        self.last_activity = time.monotonic()
        entry = {"body": request.post_data_json, "sent": time.monotonic()}
        self.pending[request] = entry
        if self.current is not None:
            self.current.append(entry)

    def _finished(self, request) -> None:
        entry = self.pending.pop(request, None)
        if entry is None:
            return
        self.last_activity = time.monotonic()
        response = request.response()
        entry["status"] = response.status if response else None
        timing = request.timing
        entry["start"] = timing.get("startTime", 0.0)
        entry["end"] = entry["start"] + max(timing.get("responseEnd", 0.0), 0.0)

    def settle(self) -> None:
        """Wait until no callback request has been in flight for a second."""
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while time.monotonic() < deadline:
            self.page.wait_for_timeout(100)
            if not self.pending and time.monotonic() - self.last_activity > QUIET_SECONDS:
                return
        raise BenchError("the page did not settle: callbacks still running after 60 s")

    def record(self, action, ready=None) -> list[dict[str, Any]]:
        """Run ``action`` and return the callback requests it caused, in the order sent.

        ``ready`` waits for what the user would see; then no request may be in flight for
        a second.
        """
        self.current = []
        action()
        self.last_activity = time.monotonic()
        if ready is not None:
            ready()
        self.settle()
        requests, self.current = self.current, None
        if not requests:
            raise BenchError("an interaction sent no callback request")
        return _with_groups(self.app, requests)


def callback_name(app, output: str) -> str:
    """Return the name of the Python function behind a callback's output key."""
    entry = app.callback_map.get(output) or {}
    return getattr(entry.get("callback"), "__name__", output)


def _with_groups(app, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Number the groups the browser sent together: a request sent after an answer of the
    current group arrived may depend on it, so it opens the next group."""
    requests = sorted(requests, key=lambda r: r["start"])
    group, group_end, result = 0, None, []
    for request in requests:
        if group_end is not None and request["start"] >= group_end:
            group += 1
            group_end = None
        group_end = request["end"] if group_end is None else min(group_end, request["end"])
        result.append({"callback": callback_name(app, request["body"]["output"]), "group": group,
                       "status": request["status"], "body": request["body"]})
    return result


def _serve(app) -> BaseWSGIServer:
    from werkzeug.serving import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_request(self, code="-", size="-") -> None:
            """Log nothing for a served request."""

    server = make_server("127.0.0.1", 0, app.server, threaded=True, request_handler=Quiet)
    threading.Thread(target=server.serve_forever, daemon=True, name="bench-record").start()
    return server


def _choose(page: Page, name: str, label: str) -> None:
    page.locator(f"#filter-{name}").click()
    page.get_by_role("option", name=label, exact=True).click()


def _name_cell(page, name: str) -> Locator:
    cells = page.locator('#children-grid .ag-center-cols-container .ag-row [col-id="name"]')
    return cells.filter(has_text=re.compile(f"^{re.escape(name)}$"))


def _wait_for_unit(page, level: str) -> None:
    from playwright.sync_api import expect

    expect(page.locator(f"[data-level={level}]")).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.locator("#kpi-enrollment .kpi-value")).not_to_have_text("\u2014",
                                                                        timeout=TIMEOUT_MS)


def record(folder: Path) -> dict[str, Any]:
    """Walk the journey in Chromium and return every view's recorded interactions."""
    from playwright.sync_api import sync_playwright

    from dashboard import create_app
    from dashboard.formatting import school_year_label
    from queries.scope import NATIONAL_SCOPE
    from queries.units import get_unit

    ensure_database(folder, create=True)
    ensure_account(folder)
    info = database_info(folder)
    previous_year = info["years"][-2]
    app = create_app(app_environment(folder))
    server = _serve(app)
    base = f"http://127.0.0.1:{server.server_port}"
    views: list[dict[str, Any]] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(base_url=base, viewport={"width": 1400, "height": 1000},
                                          locale="fr-FR")
            context.set_default_timeout(TIMEOUT_MS)
            page = context.new_page()
            page.goto("/login")
            page.locator("#username").fill(BENCH_USER)
            page.locator("#password").fill(BENCH_PASSWORD)
            page.locator("button[type=submit]").click()
            page.wait_for_url(lambda url: "/login" not in url)
            recorder = Recorder(page, app)
            recorder.settle()
            parent_path, parent_level = None, "national"
            for name, level, code in JOURNEY:
                if parent_path is None:
                    path = "/"
                    arrive = ("load", lambda: page.goto("/"))
                else:
                    page.goto(parent_path)
                    _wait_for_unit(page, parent_level)
                    recorder.settle()
                    if code is None:  # the first school of the commune's ranking
                        first = page.locator('#children-grid .ag-center-cols-container '
                                             '.ag-row[row-index="0"]')
                        code = first.get_attribute("row-id")
                    with app.server.app_context():
                        child = get_unit(level, code, NATIONAL_SCOPE)
                    cell = _name_cell(page, child["name_fr"]).first
                    arrive = ("drill", cell.click)
                    path = f"/{level}/{code}"
                print(f"{name}: {arrive[0]}", flush=True)

                def arrived(path=path, level=level) -> None:
                    page.wait_for_url(lambda url: url.split("?")[0].endswith(path))
                    _wait_for_unit(page, level)

                interactions = [{"name": arrive[0],
                                 "requests": recorder.record(arrive[1], arrived)}]
                changes = (("filter", *FILTER_CHANGE), ("indicator", *INDICATOR_CHANGE),
                           ("year", "year", school_year_label(previous_year)))
                for interaction, control, label in changes:
                    print(f"{name}: {interaction} ({control} = {label})", flush=True)
                    requests = recorder.record(lambda c=control, v=label: _choose(page, c, v))
                    interactions.append({"name": interaction, "control": control,
                                         "value": label, "requests": requests})
                views.append({"name": name, "level": level, "code": code,
                              "path": "/" if level == "national" else f"/{level}/{code}",
                              "interactions": interactions})
                parent_path, parent_level = path, level
            browser.close()
    finally:
        server.shutdown()
    return {
        "about": "Dash callback requests sent by headless Chromium, per view and interaction "
                 "(bench/record.py); replayed by bench/views.py and bench/load.py.",
        "journey": "load / on Morocco, then drill by the ranking table; on each unit change "
                   f"the cycle to {FILTER_CHANGE[1]}, the indicator to {INDICATOR_CHANGE[1]}, "
                   "then the school year to the one before",
        "years": info["years"],
        "views": views,
    }


def to_json(recorded: dict[str, Any]) -> str:
    """Return the recording as JSON with one request per line (readable, diffable)."""
    marker = "\u0000request-{}\u0000"
    lines: list[str] = []
    shaped = json.loads(json.dumps(recorded))
    for view in shaped["views"]:
        for interaction in view["interactions"]:
            for position, request in enumerate(interaction["requests"]):
                lines.append(json.dumps(request, ensure_ascii=False, separators=(",", ":")))
                interaction["requests"][position] = marker.format(len(lines) - 1)
    text = json.dumps(shaped, indent=1, ensure_ascii=False)
    for number, line in enumerate(lines):
        text = text.replace(json.dumps(marker.format(number)), line, 1)
    return text + "\n"


def main(argv: list[str] | None = None) -> int:
    """Record the interactions and write bench/interactions.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=INTERACTIONS)
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"error: {CHROMIUM} is missing: install Debian's chromium (scripts/ensure-chromium)",
              file=sys.stderr)
        return 2
    try:
        from playwright.sync_api import Error as PlaywrightError
    except ImportError:
        print("error: playwright is missing: install requirements-dev.txt", file=sys.stderr)
        return 2
    try:
        recorded = record(data_dir())
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except PlaywrightError as error:
        print(f"error: browser: {str(error).splitlines()[0]}", file=sys.stderr)
        return 2
    args.output.write_text(to_json(recorded), encoding="utf-8")
    count = sum(len(i["requests"]) for v in recorded["views"] for i in v["interactions"])
    print(f"wrote {args.output}: {count} callback requests")
    return 0


if __name__ == "__main__":
    sys.exit(main())
