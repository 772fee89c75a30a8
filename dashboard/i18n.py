"""Translation: every user-visible text goes through :func:`_`, French being the source.

A catalogue maps French source strings to another language. Layouts call ``_("...")``
and never hold another language's text themselves, so Arabic (right to left) is a
matter of filling ``CATALOGS["ar"]`` and choosing the language per request.
"""

from __future__ import annotations

import re

SOURCE_LANGUAGE = "fr"
LANGUAGES = ("fr",)
RIGHT_TO_LEFT = {"ar"}

#: Translations of French source strings, per language.
CATALOGS: dict[str, dict[str, str]] = {}
#: An apostrophe inside a French word (``d'abandon``, ``l'{unit}``): printed as the
#: typographic one, ’, on screen, in images and in files alike. Values filled into a
#: text (unit names, which are data) are left as they are.
ELIDED = re.compile(r"(?<=[^\W\d_])'(?=[^\W\d_]|\{)")


def current_language() -> str:
    """Return the language of the current request (French until others are offered)."""
    try:
        from flask import has_request_context, request
    except ImportError:  # pragma: no cover
        return SOURCE_LANGUAGE
    if has_request_context():
        wanted = request.cookies.get("lang", SOURCE_LANGUAGE)
        if wanted in LANGUAGES:
            return wanted
    return SOURCE_LANGUAGE


def gettext(text: str, **values: object) -> str:
    """Translate ``text`` into the current language and fill its ``{placeholders}``."""
    language = current_language()
    translated = CATALOGS.get(language, {}).get(text, text)
    if language == SOURCE_LANGUAGE:
        translated = ELIDED.sub("\u2019", translated)
    return translated.format(**values) if values else translated


def direction() -> str:
    """Return the text direction of the current language: ``ltr`` or ``rtl``."""
    return "rtl" if current_language() in RIGHT_TO_LEFT else "ltr"


_ = gettext
