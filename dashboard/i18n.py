"""Translation: every user-visible text goes through :func:`_`, French being the source.

The catalogues are gettext ones (``dashboard/translations/<language>/LC_MESSAGES``:
``.po`` sources in the repository, compiled to ``.mo`` by the Makefile, their messages
extracted with ``pybabel extract``). Flask-Babel picks the catalogue of each request
(:mod:`dashboard.web.language` says how a request's language is chosen); outside a
request every text stays in French. Texts kept in constants are marked with :func:`N_`
where they are written, so that the extraction finds them, and translated with ``_``
where they are shown.

Placeholders are written ``{name}`` and filled after translation, so a translator may
move them.
"""

from __future__ import annotations

import re
from pathlib import Path

SOURCE_LANGUAGE = "fr"
LANGUAGES = ("fr", "ar")
#: The Babel locale whose numbers and dates each language uses: Morocco's. For Arabic,
#: ``ar_MA`` writes Latin digits with a decimal comma, a full stop between thousands and
#: the percent sign after the number (``12.345,7`` ; ``4,7%``), as Moroccan Arabic
#: documents do; French writes ``12 345,7`` and ``4,7 %``.
LOCALES = {"fr": "fr_MA", "ar": "ar_MA"}
RIGHT_TO_LEFT = frozenset({"ar"})
#: The name of each language in itself, for the switch between them.
NATIVE_NAMES = {"fr": "Français", "ar": "العربية"}
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
#: An apostrophe inside a French word (``d'abandon``, ``l'{unit}``): printed as the
#: typographic one, ’, on screen, in images and in files alike. Values filled into a
#: text (unit names, which are data) are left as they are.
ELIDED = re.compile(r"(?<=[^\W\d_])'(?=[^\W\d_]|\{)")
#: Texts shown in another language than French that its catalogue lacks, as found
#: (at most :data:`MAX_UNTRANSLATED`): the tests fail on any.
UNTRANSLATED: set[tuple[str, str]] = set()
MAX_UNTRANSLATED = 1000


def current_language() -> str:
    """Return the language of the current request; French outside a request."""
    from flask import has_request_context

    if not has_request_context():
        return SOURCE_LANGUAGE
    from flask_babel import get_locale

    locale = get_locale()
    language = locale.language if locale is not None else SOURCE_LANGUAGE
    return language if language in LANGUAGES else SOURCE_LANGUAGE


def gettext(text: str, **values: object) -> str:
    """Translate ``text`` into the current language and fill its ``{placeholders}``."""
    from flask import has_request_context

    if has_request_context():
        from flask_babel import get_translations

        translations = get_translations()
        translated = translations.ugettext(text)
        known = text in getattr(translations, "_catalog", ())
    else:
        translated, known = text, False
    language = current_language()
    if (not known and language != SOURCE_LANGUAGE and text
            and len(UNTRANSLATED) < MAX_UNTRANSLATED):
        UNTRANSLATED.add((language, text))
    if not known or language == SOURCE_LANGUAGE:
        translated = ELIDED.sub("\u2019", translated)
    return translated.format(**values) if values else translated


def N_(text: str) -> str:  # noqa: N802 - gettext's name for a text marked, not translated
    """Mark a text kept in a constant for extraction; :func:`_` translates it when shown."""
    return text


def direction(language: str | None = None) -> str:
    """Return the text direction of a language (the current one by default)."""
    return "rtl" if (language or current_language()) in RIGHT_TO_LEFT else "ltr"


def is_right_to_left() -> bool:
    """Return whether the current language is written right to left."""
    return current_language() in RIGHT_TO_LEFT


def babel_locale() -> str:
    """Return the Babel locale of the current language (numbers, dates)."""
    return LOCALES[current_language()]


def unit_name(unit: dict) -> str:
    """Return a unit's name in the current language (its French name when it has no
    Arabic one)."""
    if current_language() == "ar" and unit.get("name_ar"):
        return unit["name_ar"]
    return unit["name_fr"]


_ = gettext
