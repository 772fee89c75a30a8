"""Numbers as Morocco writes them in each language, by Babel: ``12 345`` and ``4,7 %``
in French, ``12.345`` and ``4,7%`` in Arabic (:data:`dashboard.i18n.LOCALES`)."""

from __future__ import annotations

import functools
import math

from babel import Locale
from babel.numbers import format_decimal as babel_decimal
from babel.numbers import format_percent

from dashboard.i18n import N_, _, babel_locale
from dashboard.indicators import DECIMALS, Indicator

NO_DATA = "—"
SECRET = N_("secret")  # the statistical-secret mark (translated when shown)


def is_missing(value: float | int | None) -> bool:
    """Return whether a value means "no data"."""
    return value is None or (isinstance(value, float) and math.isnan(value))


@functools.cache
def _percent_pattern(locale: str, decimals: int) -> str:
    """Return the locale's percent pattern with exactly ``decimals`` decimals."""
    pattern = Locale.parse(locale).percent_formats[None].pattern
    return pattern.replace("0", "0." + "0" * decimals, 1) if decimals else pattern


def format_count(value: float | int | None) -> str:
    """Format a count: ``12 345``."""
    if is_missing(value):
        return NO_DATA
    return babel_decimal(round(value), locale=babel_locale())


def format_decimal(value: float | None, decimals: int = 1) -> str:
    """Format a decimal number with exactly ``decimals`` decimals: ``4,7``."""
    if is_missing(value):
        return NO_DATA
    pattern = "#,##0." + "0" * decimals if decimals else "#,##0"
    return babel_decimal(value, format=pattern, locale=babel_locale())


def format_rate(value: float | None, decimals: int = 1) -> str:
    """Format a fraction as a percentage: ``0.047`` gives ``4,7 %``."""
    if is_missing(value):
        return NO_DATA
    locale = babel_locale()
    return format_percent(value, format=_percent_pattern(locale, decimals), locale=locale)


def format_value(indicator: Indicator, value: float | None) -> str:
    """Format an indicator's value in its own unit, from the value as the API and the
    files give it (rates to 6 decimals, scores to 4), so that a card never reads 12,50
    where the API's 12.505 reads 12,51."""
    if indicator.unit == "count":
        return format_count(value)
    if not is_missing(value):
        value = round(float(value), DECIMALS[indicator.unit])
    if indicator.unit == "rate":
        return format_rate(value)
    return format_decimal(value, 2)


def format_cell(indicator: Indicator, value: float | None, suppressed: bool, threshold: int,
                small: bool = True) -> str:
    """Format a value that small-cell suppression may hide.

    A hidden count reads ``< 5`` (the threshold in force), or ``secret`` when it was
    hidden only to protect another cell (``small`` false); a hidden rate or score reads
    ``secret``.
    """
    if not suppressed:
        return format_value(indicator, value)
    if indicator.unit == "count" and small:
        return f"< {threshold}"
    return _(SECRET)


def secret_note(threshold: int) -> str:
    """Return the tooltip of a hidden value."""
    return _("Secret statistique : valeur masquée, elle porte sur moins de {n} élèves d'un "
             "établissement ou permettrait d'en retrouver une qui le fait.", n=threshold)


def format_points(delta: float | None) -> str:
    """Format a gap between two rates in points, signed: ``+2,3 pts``, ``−4,1 pts``."""
    if is_missing(delta):
        return NO_DATA
    sign = "+" if delta > 0 else ("-" if delta < 0 else "±")
    return _("{sign}{value}\u00a0pts", sign=sign, value=format_decimal(abs(delta) * 100, 1))


def format_change(indicator: Indicator, delta: float | None) -> str:
    """Format a change against the previous year: points for rates, percent otherwise."""
    if is_missing(delta):
        return NO_DATA
    delta = round(delta, 3)  # what one decimal of a percentage shows
    sign = "▲\u00a0+" if delta > 0 else ("▼\u00a0-" if delta < 0 else "±")
    if indicator.is_rate:
        return _("{sign}{value}\u00a0pt", sign=sign, value=format_decimal(abs(delta) * 100, 1))
    return sign + format_rate(abs(delta), 1)


def school_year_label(year: int) -> str:
    """Return ``2024-2025`` for the school year starting in 2024."""
    return f"{year}-{year + 1}"
