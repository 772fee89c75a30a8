"""One URL builder and parser for the whole hierarchy.

The URL is the state of a view: ``/<level>/<code>?year=..&cycle=..&sector=..&milieu=..
&sex=..&indicator=..&rank=..&sort=..``. Pages, links, the API and exports all go through here, so a
path is never formatted by hand anywhere else.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

from dashboard import indicators
from dashboard.data.quality import CODES as QUALITY_CHECKS
from dashboard.i18n import LANGUAGES, SOURCE_LANGUAGE, current_language
from dashboard.levels import CHILD_LEVEL, LEVELS, NATIONAL_CODE, levels_below
from queries.filters import ALL, CHOICES, Filters

FILTER_NAMES = ("year", "cycle", "sector", "milieu", "sex", "indicator")
MAX_CODE_LENGTH = 20
#: What a unit code may hold: letters, digits and dots (``141.1.1``, ``10001F``).
CODE_PATTERN = re.compile(r"[A-Za-z0-9.]+")
#: The keys of a view store (``version`` and ``rank`` may be left out) and of a page-unit
#: store.
STORE_KEYS = frozenset({"level", "code", *FILTER_NAMES})
OPTIONAL_KEYS = frozenset({"version", "rank", "sort", "check"})
#: The URL parameter naming the level a unit's page ranks (its children by default).
RANK = "rank"
#: The URL parameter naming the ranking's order: a column, ascending (``sort=change``) or
#: descending (``sort=-change``). The default, by value from the highest, is left out.
SORT = "sort"
SORT_FIELDS = ("rank", "name", "value", "base", "change", "enrollment")
DEFAULT_SORT = "-value"
UNIT_KEYS = frozenset({"level", "code"})
#: The data-quality view of a unit: ``/quality/<level>/<code>`` (``/quality`` for Morocco),
#: with the view's parameters and ``check``, the check its map, ranking and funnel show
#: (the quality score when absent).
QUALITY = "/quality"
CHECK = "check"
#: The parameter naming the page's language (``ar``; French, the default, is left out).
LANG = "lang"


@dataclass(frozen=True)
class View:
    """A unit, the filters applied to it and the indicator that colours its map."""

    level: str
    code: str
    filters: Filters
    indicator: str = indicators.DEFAULT
    #: The level the ranking (and the map) lists, when not the unit's children.
    rank: str | None = None
    #: The ranking's order, when not by value from the highest (see :data:`SORT`).
    sort: str | None = None
    #: The check a data-quality view shows, when not the quality score (:data:`CHECK`).
    check: str | None = None

    @property
    def ranked(self) -> str | None:
        """Return the level the page ranks: ``rank``, else the unit's children."""
        return self.rank or CHILD_LEVEL.get(self.level)


@dataclass
class ParsedView:
    """The outcome of reading a URL: a view, plus notices about ignored parameters."""

    view: View | None
    notices: list[str] = field(default_factory=list)  # names of ignored parameters
    page: str = "unit"  # "unit", "quality", "definitions" or "not-found"


class BadParameter(ValueError):
    """A request parameter has a value it may not take."""

    def __init__(self, name: str, message: str):
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


def as_store(view: View) -> dict:
    """Return a view as plain JSON data (for a ``dcc.Store``)."""
    store = {"level": view.level, "code": view.code, "indicator": view.indicator,
             **view.filters.as_dict()}
    store = {**store, RANK: view.rank} if view.rank else store
    store = {**store, CHECK: view.check} if view.check else store
    return {**store, SORT: view.sort} if view.sort else store


def read_rank(level: str, raw: object) -> str | None:
    """Return the level a unit's page ranks, None for its children (the default); raise
    :class:`BadParameter` for a level that is not below the unit."""
    if raw in (None, ""):
        return None
    if not isinstance(raw, str) or raw not in levels_below(level):
        below = ", ".join(levels_below(level)) or "none"
        raise BadParameter(RANK, f"must be a level below {level}: {below}")
    return None if raw == CHILD_LEVEL.get(level) else raw


def read_sort(raw: object) -> str | None:
    """Return a ranking's order (``change``, ``-change``…), None for the default; raise
    :class:`BadParameter` for a column the ranking cannot be sorted by."""
    if raw in (None, ""):
        return None
    if not isinstance(raw, str) or raw.removeprefix("-") not in SORT_FIELDS:
        raise BadParameter(SORT, f"must be one of {', '.join(SORT_FIELDS)}, "
                                 "with - before it for a descending order")
    return None if raw == DEFAULT_SORT else raw


def read_check(raw: object) -> str | None:
    """Return the check a data-quality view shows, None for the quality score; raise
    :class:`BadParameter` for a code that names no check."""
    if raw in (None, ""):
        return None
    if not isinstance(raw, str) or raw not in QUALITY_CHECKS:
        raise BadParameter(CHECK, f"must be one of {', '.join(QUALITY_CHECKS)}")
    return raw


def sort_order(sort: str | None) -> tuple[str, bool]:
    """Return the column and whether it runs downwards, of a sort (None: the default)."""
    sort = sort or DEFAULT_SORT
    return sort.removeprefix("-"), sort.startswith("-")


def from_store(data: object, years: Collection[int] | None = None) -> View:
    """Return the view kept in a ``dcc.Store``, checked as strictly as a hand-made one.

    The store comes back from the browser, so it is read as untrusted input: exactly the
    keys :func:`as_store` writes (and ``version``, an int or None), a known level, a code
    of letters, digits and dots, known filter values and indicator, and a year that is an
    int (among ``years`` when given). Anything else raises :class:`BadParameter`.
    """
    if not isinstance(data, dict):
        raise BadParameter("view", "must be an object")
    keys = set(data)
    if not STORE_KEYS <= keys <= STORE_KEYS | OPTIONAL_KEYS:
        raise BadParameter("view", f"must hold exactly {', '.join(sorted(STORE_KEYS))}")
    version = data.get("version")
    if version is not None and not _is_int(version):
        raise BadParameter("version", "must be a whole number")
    level, code = unit_from_store({"level": data["level"], "code": data["code"]})
    year = data["year"]
    if not _is_int(year) or (years is not None and year not in years):
        raise BadParameter("year", "unknown school year")
    choices = {}
    for name, allowed in CHOICES.items():
        value = data[name]
        if value != ALL and (not isinstance(value, str) or value not in allowed):
            raise BadParameter(name, f"must be one of {', '.join((ALL, *allowed))}")
        choices[name] = value
    indicator = data["indicator"]
    if not isinstance(indicator, str) or indicator not in indicators.BY_CODE:
        raise BadParameter("indicator", "unknown indicator")
    return View(level, code, Filters(year, **choices), indicator,
                read_rank(level, data.get(RANK)), read_sort(data.get(SORT)),
                read_check(data.get(CHECK)))


def unit_from_store(data: object) -> tuple[str, str]:
    """Return (level, code) of a unit store such as ``page-unit``, checked."""
    if not isinstance(data, dict) or set(data) != UNIT_KEYS:
        raise BadParameter("unit", "must hold exactly level and code")
    level, code = data["level"], data["code"]
    if not isinstance(level, str) or level not in LEVELS:
        raise BadParameter("level", f"must be one of {', '.join(LEVELS)}")
    if not is_code(code):
        raise BadParameter("code", f"letters, digits and dots, {MAX_CODE_LENGTH} at most")
    return level, code


def is_code(value: object) -> bool:
    """Return whether ``value`` may be a unit code (a short string of letters, digits, dots)."""
    return (isinstance(value, str) and len(value) <= MAX_CODE_LENGTH
            and CODE_PATTERN.fullmatch(value) is not None)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def unit_path(level: str, code: str) -> str:
    """Return the path of a unit's page."""
    if level == "national":
        return "/"
    return f"/{level}/{code}"


def drill_url(view: View, level: str, code: str) -> str:
    """Return the URL of another unit seen with the same filters and indicator."""
    return view_url(View(level, code, view.filters, view.indicator))


def export_url(view: View, path: str, **extra: str) -> str:
    """Return the URL of an export of a view, e.g. ``chart/map.png`` or ``briefing.pptx``."""
    params: dict[str, str | int] = {"level": view.level, "code": view.code,
                                    **view.filters.as_dict(), "indicator": view.indicator}
    if view.rank:
        params[RANK] = view.rank
    if view.sort:
        params[SORT] = view.sort
    if view.check:
        params[CHECK] = view.check
    params.update(extra)
    return localised(f"/export/{path}?{urlencode(params)}")


def view_search(view: View) -> str:
    """Return a view's query string, ``?year=…``, as :func:`view_url` writes it."""
    return "?" + view_url(view).split("?", 1)[1]


def view_url(view: View) -> str:
    """Return the full, shareable URL of a view (defaults are left out, the year is not)."""
    params: dict[str, str | int] = {"year": view.filters.year}
    for name in CHOICES:
        value = getattr(view.filters, name)
        if value != ALL:
            params[name] = value
    if view.indicator != indicators.DEFAULT:
        params["indicator"] = view.indicator
    if view.rank:
        params[RANK] = view.rank
    if view.sort:
        params[SORT] = view.sort
    if view.check:
        params[CHECK] = view.check
    return localised(f"{unit_path(view.level, view.code)}?{urlencode(params)}")


def with_language(url: str, language: str) -> str:
    """Return a local ``url`` with its ``lang`` set to ``language`` (left out for French)."""
    parts = urlsplit(url)
    params = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != LANG]
    if language != SOURCE_LANGUAGE:
        params.append((LANG, language))
    query = urlencode(params)
    return (parts.path or "/") + (f"?{query}" if query else "")


def language_of(url: str | None) -> str | None:
    """Return the language an address names (its ``lang``, or that of its ``next``
    page, as on the login page), None when it names none or an unknown one."""
    if not url:
        return None
    params = dict(parse_qsl(urlsplit(url).query))
    wanted = params.get(LANG)
    if wanted is None and "next" in params:
        return language_of(params["next"])
    return wanted if wanted in LANGUAGES else None


def localised(url: str) -> str:
    """Return a local ``url`` in the current language: every link a page gives keeps it."""
    language = current_language()
    if language == SOURCE_LANGUAGE and f"{LANG}=" not in url:
        return url
    return with_language(url, language)


def quality_path(level: str, code: str) -> str:
    """Return the path of a unit's data-quality view."""
    return QUALITY if level == "national" else f"{QUALITY}/{level}/{code}"


def quality_url(view: View) -> str:
    """Return the shareable URL of a view's data-quality page (same filters, the check)."""
    return quality_path(view.level, view.code) + view_search(view)


def is_quality_path(pathname: str | None) -> bool:
    """Return whether a path is a data-quality view's (``/quality``, ``/quality/...``)."""
    path = (pathname or "").rstrip("/")
    return path == QUALITY or path.startswith(QUALITY + "/")


def split_path(pathname: str | None) -> tuple[str, str] | None:
    """Return (level, code) for a unit path, or None if the path is not a unit's."""
    path = (pathname or "/").rstrip("/") or "/"
    if path == "/":
        return ("national", NATIONAL_CODE)
    parts = path.strip("/").split("/")
    if len(parts) == 2 and parts[0] in LEVELS[1:] and 0 < len(parts[1]) <= MAX_CODE_LENGTH:
        return (parts[0], parts[1])
    return None


def read_filters(
    params: dict[str, str], years: list[int], strict: bool
) -> tuple[Filters, str, list[str]]:
    """Validate filter parameters; return filters, indicator and notices.

    With ``strict`` (the API), a bad value raises :class:`BadParameter`; otherwise (pages)
    it falls back to the default and the parameter's name is listed in the notices.
    """
    notices: list[str] = []

    def reject(name: str, message: str, fallback):
        if strict:
            raise BadParameter(name, message)
        notices.append(name)
        return fallback

    latest = years[-1] if years else 0
    year = latest
    raw_year = params.get("year")
    if raw_year not in (None, ""):
        if not re.fullmatch(r"[0-9]{4}", raw_year) or int(raw_year) not in years:
            known = f"{years[0]}-{years[-1]}" if years else "none"
            year = reject("year", f"unknown school year {raw_year[:12]!r} (available: {known})",
                          latest)
        else:
            year = int(raw_year)
    values: dict[str, str] = {}
    for name, allowed in CHOICES.items():
        raw = params.get(name) or ALL
        if raw != ALL and raw not in allowed:
            raw = reject(name, f"must be one of {', '.join((ALL, *allowed))}", ALL)
        values[name] = raw
    indicator = params.get("indicator") or indicators.DEFAULT
    if indicator not in indicators.BY_CODE:
        indicator = reject("indicator", "unknown indicator", indicators.DEFAULT)
    return Filters(year=year, **values), indicator, notices


#: Set by the server when it sent a user from a unit they may not see to their own
#: territory: the page says why, then drops it from the address.
REDIRECTED = "outside"


def parse_search(search: str | None) -> dict[str, str]:
    """Return the query string as single values (the last one wins)."""
    parsed = parse_qs((search or "").lstrip("?"), keep_blank_values=True)
    return {name: values[-1] for name, values in parsed.items()}


def parse(pathname: str | None, search: str | None, years: list[int]) -> ParsedView:
    """Read a page URL into a view; unknown paths give the not-found page."""
    if (pathname or "").rstrip("/") == "/definitions":
        return ParsedView(None, page="definitions")
    if is_quality_path(pathname):
        parsed = parse(pathname.rstrip("/")[len(QUALITY):] or "/", search, years)
        return replace(parsed, page="quality") if parsed.view else parsed
    unit = split_path(pathname)
    if unit is None:
        return ParsedView(None, page="not-found")
    params = parse_search(search)
    filters, indicator, notices = read_filters(params, years, strict=False)
    if params.get(LANG) not in (None, *LANGUAGES):
        notices.append(LANG)
    try:
        rank = read_rank(unit[0], params.get(RANK))
    except BadParameter:
        rank = None
        notices.append(RANK)
    try:
        sort = read_sort(params.get(SORT))
    except BadParameter:
        sort = None
        notices.append(SORT)
    try:
        check = read_check(params.get(CHECK))
    except BadParameter:
        check = None
        notices.append(CHECK)
    return ParsedView(View(unit[0], unit[1], filters, indicator, rank, sort, check), notices)
