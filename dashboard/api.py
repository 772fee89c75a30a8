"""The read API: indicators of a unit, of its children, and the units themselves.

Every number comes from the same ``queries/`` functions as the dashboard's pages, so
the API, the screens and the exports can never disagree. Routes live under
``/api/v1``; they answer JSON by default and CSV with ``format=csv``.

Errors are JSON too, ``{"error": {"parameter": ..., "message": ...}}``: 400 for a bad
parameter, 404 for an unknown unit, 403 for a unit outside the caller's scope, 503
while the analytics tables are not built and 500 (logged) for anything unexpected.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import re

import pandas as pd
from flask import Blueprint, Response, request
from werkzeug.exceptions import HTTPException

from dashboard import indicators
from dashboard.urls import LEVELS, MAX_CODE_LENGTH, NATIONAL_CODE, BadParameter, read_filters
from queries.database import DataNotReady, data_version
from queries.filters import CHOICES, Filters
from queries.scope import NATIONAL_SCOPE, OutOfScope, Scope
from queries.stats import available_years, children_indicators, unit_indicators
from queries.units import CHILD_LEVEL, PARENT_LEVEL, UnknownUnit, children, get_unit, units

log = logging.getLogger(__name__)

api = Blueprint("api", __name__, url_prefix="/api/v1")

FORMATS = ("json", "csv")
CODE_PATTERN = re.compile(r"[A-Za-z0-9.]+")
FILTER_PARAMETERS = ("year", *CHOICES)
UNIT_FIELDS = ("level", "code", "name_fr", "name_ar")
SCHOOL_FIELDS = ("cycle", "sector", "milieu", "latitude", "longitude")
CSV_HEADER = (*UNIT_FIELDS, *FILTER_PARAMETERS, *indicators.CODES)
CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CACHE_CONTROL = "private, max-age=60"
#: Decimals kept per kind of indicator (counts are whole numbers).
DECIMALS = {"rate": 6, "score": 4}


class ApiError(Exception):
    """A request the API refuses, with its HTTP status and the parameter at fault."""

    def __init__(self, status: int, parameter: str | None, message: str):
        super().__init__(message)
        self.status = status
        self.parameter = parameter
        self.message = message


def current_scope() -> Scope:
    """Return the subtree the caller may see (the whole country until access control)."""
    return NATIONAL_SCOPE


# --- routes -------------------------------------------------------------------------------


@api.get("/indicators")
def unit_indicators_route() -> Response:
    """Every indicator of one unit for the filtered year and the year before."""
    params = _params()
    level, code = _unit_parameters(params)
    output = _format(params)
    filters = _filters(params)
    scope = current_scope()
    unit = get_unit(level, code, scope)
    frame = unit_indicators(level, code, filters, scope).set_index("school_year")
    current = _indicator_values(frame.loc[filters.year])
    if output == "csv":
        rows = [_csv_row(unit, filters, current)]
        return _csv(CSV_HEADER, rows, f"pilotage-indicators-{level}-{code}-{filters.year}.csv")
    return _json({
        "unit": _unit_json(unit),
        "filters": filters.as_dict(),
        "indicators": current,
        "previous_year": _indicator_values(frame.loc[filters.year - 1]),
        "data_version": data_version(),
    })


@api.get("/children")
def children_route() -> Response:
    """Every indicator of each child unit, children without pupils included."""
    params = _params()
    level, code = _unit_parameters(params)
    if level not in CHILD_LEVEL:
        raise BadParameter("level", f"a {level} has no child units; use one of "
                           f"{', '.join(CHILD_LEVEL)}")
    output = _format(params)
    filters = _filters(params)
    scope = current_scope()
    unit = get_unit(level, code, scope)
    # The year before is read on its own: a child may have had pupils then and none now.
    current = children_indicators(level, code, filters, scope).set_index("code")
    before = filters.with_year(filters.year - 1)
    previous = children_indicators(level, code, before, scope).set_index("code")
    entries = [
        {
            "unit": _unit_json(member),
            "indicators": _child_values(current, member["code"]),
            "previous_year": _child_values(previous, member["code"]),
        }
        for member in children(level, code, scope).to_dict("records")
    ]
    if output == "csv":
        rows = [_csv_row(entry["unit"], filters, entry["indicators"]) for entry in entries]
        return _csv(CSV_HEADER, rows, f"pilotage-children-{level}-{code}-{filters.year}.csv")
    return _json({
        "unit": _unit_json(unit),
        "filters": filters.as_dict(),
        "children": entries,
        "data_version": data_version(),
    })


@api.get("/units")
def units_route() -> Response:
    """The units of one level, optionally only those under one parent."""
    params = _params()
    level = _level(params)
    output = _format(params)
    parent = params.get("parent") or None
    scope = current_scope()
    if parent is not None:
        if level == "national":
            raise BadParameter("parent", "the national level has no parent")
        _check_code("parent", parent)
        try:
            get_unit(PARENT_LEVEL[level], parent, scope)
        except UnknownUnit as error:
            raise ApiError(404, "parent", str(error)) from None
    fields = (*UNIT_FIELDS, "parent_code", *(SCHOOL_FIELDS if level == "school" else ()))
    records = [
        {name: _plain(row.get(name)) for name in fields}
        for row in units(level, parent, scope).to_dict("records")
    ]
    if output == "csv":
        rows = [[record[name] for name in fields] for record in records]
        suffix = f"-{parent}" if parent else ""
        return _csv(fields, rows, f"pilotage-units-{level}{suffix}.csv")
    return _json({"units": records, "data_version": data_version()})


@api.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown_route(rest: str) -> Response:
    """Answer JSON for paths the API does not have (rather than the dashboard's page)."""
    if rest.strip("/") in ("indicators", "children", "units"):
        raise ApiError(405, None, f"{request.method} is not allowed here; use GET")
    raise ApiError(404, None, "no such API route; see /api/v1/indicators, /children, /units")


# --- errors -------------------------------------------------------------------------------


@api.errorhandler(ApiError)
def _api_error(error: ApiError) -> Response:
    response = _error(error.status, error.parameter, error.message)
    if error.status == 405:
        response.headers["Allow"] = "GET, HEAD, OPTIONS"
    return response


@api.errorhandler(BadParameter)
def _bad_parameter(error: BadParameter) -> Response:
    return _error(400, error.name, error.message)


@api.errorhandler(UnknownUnit)
def _unknown_unit(error: UnknownUnit) -> Response:
    return _error(404, "code", str(error))


@api.errorhandler(OutOfScope)
def _out_of_scope(error: OutOfScope) -> Response:
    return _error(403, "code", str(error))


@api.errorhandler(DataNotReady)
def _data_not_ready(error: DataNotReady) -> Response:
    return _error(503, None, str(error))


@api.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    return _error(error.code or 500, None, error.description or error.name)


@api.errorhandler(Exception)
def _unexpected(error: Exception) -> Response:
    log.exception("API request %s failed", request.full_path)
    return _error(500, None, "internal error; it has been logged")


@api.after_request
def _cache_headers(response: Response) -> Response:
    # Server errors are transient: never let a browser keep one.
    response.headers["Cache-Control"] = CACHE_CONTROL if response.status_code < 500 else (
        "no-store"
    )
    return response


# --- parameters ---------------------------------------------------------------------------


def _params() -> dict[str, str]:
    """Return the query string as single values (the last one wins, as in page URLs)."""
    return {name: values[-1] for name, values in request.args.lists()}


def _level(params: dict[str, str]) -> str:
    level = params.get("level")
    if not level:
        raise BadParameter("level", f"required: one of {', '.join(LEVELS)}")
    if level not in LEVELS:
        raise BadParameter("level", f"must be one of {', '.join(LEVELS)}")
    return level


def _unit_parameters(params: dict[str, str]) -> tuple[str, str]:
    level = _level(params)
    code = params.get("code") or ""
    if not code:
        if level != "national":
            raise BadParameter("code", f"required for level {level}")
        code = NATIONAL_CODE
    _check_code("code", code)
    return level, code


def _check_code(name: str, code: str) -> None:
    if len(code) > MAX_CODE_LENGTH:
        raise BadParameter(name, f"longer than {MAX_CODE_LENGTH} characters")
    if not CODE_PATTERN.fullmatch(code):
        raise BadParameter(name, "may hold only letters, digits and dots")


def _format(params: dict[str, str]) -> str:
    output = params.get("format") or "json"
    if output not in FORMATS:
        raise BadParameter("format", f"must be one of {', '.join(FORMATS)}")
    return output


def _filters(params: dict[str, str]) -> Filters:
    chosen = {name: params[name] for name in FILTER_PARAMETERS if name in params}
    year = chosen.get("year") or ""
    if year and not (year.isascii() and year.isdigit()):
        # read_filters trusts str.isdigit, which also accepts digits int() cannot read.
        raise BadParameter("year", f"a school year is written in digits, not {year[:12]!r}")
    filters, _indicator, _notices = read_filters(chosen, available_years(), strict=True)
    return filters


# --- values and responses -----------------------------------------------------------------


def _indicator_values(row: pd.Series) -> dict[str, int | float | None]:
    """Return every indicator of a row; counts are whole, no data is None."""
    values: dict[str, int | float | None] = {}
    for indicator in indicators.INDICATORS:
        value = _plain(row.get(indicator.code))
        if indicator.unit == "count":
            values[indicator.code] = int(value or 0)
        elif value is None:
            values[indicator.code] = None
        else:
            values[indicator.code] = round(float(value), DECIMALS[indicator.unit])
    return values


def _child_values(frame: pd.DataFrame, code: str) -> dict[str, int | float | None]:
    """Return a child's indicators, or zero pupils and no data if it has no row."""
    row = frame.loc[code] if code in frame.index else pd.Series(dtype=float)
    return _indicator_values(row)


def _plain(value):
    """Return a JSON-ready Python value: NaN and missing become None, numpy becomes Python."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _unit_json(row: dict) -> dict[str, str]:
    return {name: row[name] for name in UNIT_FIELDS}


def _json(payload: dict, status: int = 200) -> Response:
    body = json.dumps(payload, ensure_ascii=False, allow_nan=False)
    return Response(body, status=status, mimetype="application/json")


def _error(status: int, parameter: str | None, message: str) -> Response:
    error: dict[str, str] = {"message": message}
    if parameter is not None:
        error = {"parameter": parameter, **error}
    return _json({"error": error}, status)


def _csv_row(unit: dict, filters: Filters, values: dict) -> list:
    return [
        *(unit[name] for name in UNIT_FIELDS),
        *(filters.as_dict()[name] for name in FILTER_PARAMETERS),
        *(values[code] for code in indicators.CODES),
    ]


def _csv(header, rows, filename: str) -> Response:
    """Return rows as UTF-8 CSV with a byte-order mark, so spreadsheets read Arabic names."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if cell is None else _csv_cell(cell) for cell in row])
    response = Response(("\ufeff" + buffer.getvalue()).encode("utf-8"),
                        mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _csv_cell(cell):
    """Keep text that a spreadsheet would run as a formula from being one."""
    if isinstance(cell, str) and cell.startswith(CSV_FORMULA_STARTS):
        return "'" + cell
    return cell
