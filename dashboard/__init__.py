"""Pilotage: the steering dashboard over Morocco's school information system."""

from __future__ import annotations


def create_app(overrides: dict[str, str] | None = None):
    """Create the Dash app; ``overrides`` replace settings (tests pass their own)."""
    from dashboard.web.app_factory import build_app

    return build_app(overrides)
