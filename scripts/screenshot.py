"""Take a full-page screenshot of a Pilotage page in headless Chromium.

    python scripts/screenshot.py http://127.0.0.1:8050/region/6 docs/region.png
"""

from __future__ import annotations

import sys

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]


def main(url: str, path: str, width: int = 1440, height: int = 900) -> int:
    """Load ``url``, wait for the page to settle, save a PNG; print console errors."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": width, "height": height})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url, wait_until="load")
        page.wait_for_selector(".unit-page, .school-page, #not-found, .definitions-page",
                               timeout=20_000)
        page.wait_for_timeout(3000)
        page.screenshot(path=path, full_page=True, timeout=90_000)
        browser.close()
    for error in errors:
        print("console error:", error, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
