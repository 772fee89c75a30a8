"""Callbacks: inputs in, figures and tables out, through the query layer only."""

from callbacks import overview  # noqa: F401
