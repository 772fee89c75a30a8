"""Callbacks: inputs in, figures and tables out, through the query layer only."""

from callbacks import availability, exports_ui, maps, navigation, school, unit  # noqa: F401
