"""The texts kept in registries, for ``pybabel extract``.

Most texts are written where they are shown, as ``_("…")``, and the extraction finds
them there. Others live in registries (the indicators, the data-quality checks, the
reasons of a rejected row, the names of levels and categories) and are translated with
``_(indicator.label)`` where shown. Some are composed (``Taux net de scolarisation,
primaire``). :func:`extract` is a Babel extraction method that reads them from the
registries themselves, so the catalogue holds every one (see ``babel.cfg``).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator

#: (module, constant, part): the registries of texts shown through ``_``. ``values``
#: takes the strings of a dict's values (or of a tuple), ``keys`` a dict's keys,
#: ``labels`` the second item of each pair.
CONSTANTS: tuple[tuple[str, str, str], ...] = (
    ("dashboard.levels", "LEVEL_LABELS", "values"),
    ("dashboard.levels", "LEVEL_NAMES", "values"),
    ("dashboard.levels", "PLACE_LABELS", "values"),
    ("dashboard.levels", "RANKED_LABELS", "values"),
    ("dashboard.levels", "CHILD_NAMES", "values"),
    ("dashboard.data.extract.format", "REASONS", "values"),
    ("dashboard.web.followup", "LABELS", "values"),
    ("dashboard.web.auth.web", "REFUSALS", "values"),
    ("dashboard.web.auth.web", "TOO_MANY_ATTEMPTS", "values"),
    ("layouts.shell", "CHOICE_LABELS", "labels"),
    ("layouts.shell", "ROLE_LABELS", "values"),
    ("layouts.unit_page", "RANK_CHOICES", "values"),
    ("layouts.school_page", "CYCLE_NAMES", "values"),
    ("layouts.school_page", "SECTOR_NAMES", "values"),
    ("layouts.school_page", "MILIEU_NAMES", "values"),
    ("layouts.definitions", "UNIT_NAMES", "values"),
    ("layouts.definitions", "ABOUT", "values"),
    ("layouts.figures", "DIMENSION_NAMES", "values"),
    ("layouts.figures", "SCALE_UNITS", "values"),
    ("layouts.imports", "TABLE_LABELS", "values"),
    ("layouts.imports", "MONTHS", "values"),
    ("exports.charts", "MONTHS", "values"),
    ("layouts.quality_page", "GRID_TEXTS", "values"),
    ("panels.breakdowns", "TITLES", "values"),
    ("panels.breakdowns", "HEADERS", "values"),
    ("panels.map", "SCHOOL_COLUMNS", "labels"),
    ("panels.quality", "OUTCOME_LABELS", "values"),
    ("panels.ranking", "BASE_LABELS", "values"),
    ("panels.schooling", "KINDS", "keys"),
    ("panels.schooling", "CYCLE_NAMES", "values"),
    ("panels.schooling", "DOUBTFUL_NOTE", "values"),
    ("exports.briefing", "UNIT_TEXTS", "values"),
    ("exports.briefing", "SCHOOLING_DEFINITIONS", "values"),
)


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _strings(item)


def _part(value: object, part: str) -> Iterator[str]:
    if part == "keys":
        yield from (key for key in value if isinstance(key, str))
    elif part == "labels":
        yield from _labels(value)
    else:
        yield from _strings(value)


def _labels(value: object) -> Iterator[str]:
    groups = value.values() if isinstance(value, dict) else [value]
    for group in groups:
        for pair in group:
            yield pair[1]


def registry_texts() -> Iterator[str]:
    """Yield every text of the registries, each once, in a stable order."""
    from dashboard import indicators
    from dashboard.data.quality import CHECKS

    seen: set[str] = set()
    found: list[str] = []
    for indicator in indicators.INDICATORS:
        found += [indicator.label, indicator.short_label, indicator.definition]
    for check in CHECKS:
        found += [check.label, check.examined, check.finds]
    for module, name, part in CONSTANTS:
        found += list(_part(getattr(importlib.import_module(module), name), part))
    for text in found:
        if text not in seen:
            seen.add(text)
            yield text


def extract(fileobj, keywords, comment_tags, options) -> Iterator[tuple]:
    """Babel extraction method: every registry text, as if written ``_("…")``."""
    for number, text in enumerate(registry_texts(), start=1):
        yield number, "_", text, []
