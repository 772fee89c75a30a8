"""One URL builder and parser for the whole hierarchy.

The URL is the state of a view: ``/<level>/<code>?year=..&cycle=..&sector=..&milieu=..
&sex=..&indicator=..``. Pages, links, the API and exports all go through here, so a
path is never formatted by hand anywhere else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode

from dashboard import indicators
from queries.filters import ALL, CHOICES, Filters

LEVELS = ("national", "region", "province", "commune", "school")
NATIONAL_CODE = "MA"
FILTER_NAMES = ("year", "cycle", "sector", "milieu", "sex", "indicator")
MAX_CODE_LENGTH = 20


@dataclass(frozen=True)
class View:
    """A unit, the filters applied to it and the indicator that colours its map."""

    level: str
    code: str
    filters: Filters
    indicator: str = indicators.DEFAULT


@dataclass
class ParsedView:
    """The outcome of reading a URL: a view, plus notices about ignored parameters."""

    view: View | None
    notices: list[str] = field(default_factory=list)  # names of ignored parameters
    page: str = "unit"  # "unit", "definitions" or "not-found"


class BadParameter(ValueError):
    """A request parameter has a value it may not take."""

    def __init__(self, name: str, message: str):
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


def as_store(view: View) -> dict:
    """Return a view as plain JSON data (for a ``dcc.Store``)."""
    return {"level": view.level, "code": view.code, "indicator": view.indicator,
            **view.filters.as_dict()}


def from_store(data: dict) -> View:
    """Return the view kept in a ``dcc.Store``."""
    filters = Filters(int(data["year"]), data["cycle"], data["sector"], data["milieu"],
                      data["sex"])
    return View(data["level"], data["code"], filters, data["indicator"])


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
    params.update(extra)
    return f"/export/{path}?{urlencode(params)}"


def view_url(view: View) -> str:
    """Return the full, shareable URL of a view (defaults are left out, the year is not)."""
    params: dict[str, str | int] = {"year": view.filters.year}
    for name in CHOICES:
        value = getattr(view.filters, name)
        if value != ALL:
            params[name] = value
    if view.indicator != indicators.DEFAULT:
        params["indicator"] = view.indicator
    return f"{unit_path(view.level, view.code)}?{urlencode(params)}"


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


def parse_search(search: str | None) -> dict[str, str]:
    """Return the query string as single values (the last one wins)."""
    parsed = parse_qs((search or "").lstrip("?"), keep_blank_values=True)
    return {name: values[-1] for name, values in parsed.items()}


def parse(pathname: str | None, search: str | None, years: list[int]) -> ParsedView:
    """Read a page URL into a view; unknown paths give the not-found page."""
    if (pathname or "").rstrip("/") == "/definitions":
        return ParsedView(None, page="definitions")
    unit = split_path(pathname)
    if unit is None:
        return ParsedView(None, page="not-found")
    filters, indicator, notices = read_filters(parse_search(search), years, strict=False)
    return ParsedView(View(unit[0], unit[1], filters, indicator), notices)
