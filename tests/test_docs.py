"""The README documents every setting with its real default."""

from __future__ import annotations

from pathlib import Path

from dashboard.config import SETTINGS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_readme_with_its_default():
    for setting in SETTINGS:
        row = next((line for line in README.splitlines()
                    if line.startswith("|") and f"`{setting.name}`" in line), None)
        assert row is not None, f"{setting.name} is not documented"
        if setting.default:
            assert f"`{setting.default}`" in row, f"{setting.name}: default not documented"
