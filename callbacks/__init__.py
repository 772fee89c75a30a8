"""Callbacks: inputs in, figures and tables out, through the query layer only."""

from callbacks import maps, navigation, school, unit  # noqa: F401
