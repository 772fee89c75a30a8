"""File names of exports: ASCII only, readable, and the same for the same view.

``abandon_region-06_college_2024-2025.png``: the indicator, the unit, each filter that
is not "all", the school year and, for anything but the map, the chart.
"""

from __future__ import annotations

import re
import unicodedata

from dashboard.urls import View
from panels import registry
from queries.filters import ALL, CHOICES

INDICATOR_SLUGS = {
    "enrollment": "effectif",
    "girls_share": "filles",
    "dropout_rate": "abandon",
    "repetition_rate": "redoublement",
    "promotion_rate": "promotion",
    "success_rate_CEP": "reussite-cep",
    "success_rate_REG": "reussite-reg",
    "success_rate_BAC": "reussite-bac",
    "mean_score": "moyenne",
}
LEVEL_SLUGS = {"region": "region", "province": "province", "commune": "commune",
               "school": "etablissement"}
VALUE_SLUGS = {"sex": {"F": "filles", "M": "garcons"}}


def ascii_slug(text: str, keep: str = "A-Za-z0-9.-") -> str:
    """Return ``text`` without accents, every other character outside ``keep`` dropped."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = re.sub(rf"[^{keep}]+", "-", plain.strip())
    return re.sub(r"-{2,}", "-", plain).strip("-.")


def unit_slug(level: str, code: str) -> str:
    """Return ``maroc``, ``region-06``, ``province-141`` or ``commune-141.1.1``."""
    if level == "national":
        return "maroc"
    code = ascii_slug(code) or "inconnu"
    if level == "region" and code.isdigit():
        code = code.zfill(2)
    return f"{LEVEL_SLUGS.get(level, ascii_slug(level))}-{code}"


def export_filename(chart: str, view: View, ext: str) -> str:
    """Return the download name of one chart or table of a view."""
    parts = []
    panel = registry.BY_ID.get(chart)
    if panel is None or panel.per_indicator:
        parts.append(INDICATOR_SLUGS.get(view.indicator) or ascii_slug(view.indicator))
    parts.append(unit_slug(view.level, view.code))
    for name in CHOICES:
        value = getattr(view.filters, name)
        if value != ALL:
            parts.append(VALUE_SLUGS.get(name, {}).get(value) or ascii_slug(value))
    year = view.filters.year
    parts.append(f"{year}-{year + 1}")
    if panel is not None and panel.page == "quality" and view.check:
        parts.append(ascii_slug(view.check))
    parts.append(panel.slug if panel is not None else ascii_slug(chart))
    return "_".join(part for part in parts if part) + "." + (ascii_slug(ext, "A-Za-z0-9") or "bin")
