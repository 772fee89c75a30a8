"""Time PNG exports of a region's map once the renderer is warm.

    .venv/bin/python bench/export_png.py <database URL> [region code]

Runs the app in process (Flask test client), makes one cold export (Chromium start,
queries, boundaries), then ten warm ones of the same view, and prints their median and
maximum wall times.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard import create_app  # noqa: E402
from exports import renderer  # noqa: E402

RUNS = 10


def _export(client, path: str) -> tuple[float, bytes]:
    start = time.perf_counter()
    response = client.get(path)
    elapsed = time.perf_counter() - start
    if response.status_code != 200:
        raise SystemExit(f"error: {path} answered {response.status_code}: "
                         f"{response.get_data(as_text=True)}")
    return elapsed, response.data


def main(argv: list[str]) -> None:
    """Measure and print the export times."""
    if len(argv) < 2:
        raise SystemExit("usage: bench/export_png.py <database URL> [region code]")
    url, region = argv[1], (argv[2] if len(argv) > 2 else "6")
    path = f"/export/chart/map.png?level=region&code={region}"
    with tempfile.TemporaryDirectory() as data_dir:
        app = create_app({"PILOTAGE_DATABASE_URL": url, "PILOTAGE_DATA_DIR": data_dir})
        client = app.server.test_client()
        try:
            cold, content = _export(client, path)
            warm = [_export(client, path)[0] for _ in range(RUNS)]
        finally:
            renderer.stop()
    width = int.from_bytes(content[16:20], "big")
    height = int.from_bytes(content[20:24], "big")
    print(f"map.png of region {region} ({width}x{height} px, {len(content) / 1024:.0f} KB): "
          f"cold {cold:.2f} s; warm x{RUNS}: median {statistics.median(warm):.3f} s, "
          f"max {max(warm):.3f} s")


if __name__ == "__main__":
    main(sys.argv)
