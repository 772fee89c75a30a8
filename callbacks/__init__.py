"""Callbacks: inputs in, figures and tables out, through the panels only."""

from callbacks import availability, exports_ui, navigation, panels, unit  # noqa: F401
