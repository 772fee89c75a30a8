"""Request parameters and JSON errors shared by the read API and the export routes.

Every machine-facing route reads a unit and a view the same way and refuses a request
with the same JSON shape, ``{"error": {"parameter": ..., "message": ...}}``.
"""

from __future__ import annotations

import json
import logging

from flask import Blueprint, Response, g, request
from werkzeug.exceptions import HTTPException

from dashboard.urls import (
    CHECK,
    CODE_PATTERN,
    LEVELS,
    MAX_CODE_LENGTH,
    NATIONAL_CODE,
    RANK,
    SORT,
    BadParameter,
    View,
    read_check,
    read_filters,
    read_rank,
    read_sort,
)
from dashboard.web.auth.audit import ROUTE_UNIT
from queries.database import DataNotReady
from queries.filters import CHOICES, Filters
from queries.scope import OutOfScope
from queries.stats import available_years
from queries.units import UnknownUnit

FILTER_PARAMETERS = ("year", *CHOICES)
MAX_NAME_SHOWN = 40


class JsonError(Exception):
    """A refused request, with its HTTP status and the parameter at fault."""

    def __init__(self, status: int, parameter: str | None, message: str):
        super().__init__(message)
        self.status = status
        self.parameter = parameter
        self.message = message


def query_params() -> dict[str, str]:
    """Return the query string as single values; a parameter given twice is refused.

    Accepting ``code=6&code=1`` would leave it to each reader (this route, the audit log,
    a proxy's log) to pick one of the two, and they need not pick the same.
    """
    params: dict[str, str] = {}
    for name, values in request.args.lists():
        if len(values) > 1:
            raise BadParameter(name[:MAX_NAME_SHOWN], "given more than once; give it once")
        params[name] = values[0]
    return params


def read_level(params: dict[str, str]) -> str:
    """Return the ``level`` parameter, required and one of the hierarchy's levels."""
    level = params.get("level")
    if not level:
        raise BadParameter("level", f"required: one of {', '.join(LEVELS)}")
    if level not in LEVELS:
        raise BadParameter("level", f"must be one of {', '.join(LEVELS)}")
    return level


def check_code(name: str, code: str) -> None:
    """Refuse a code that is too long or holds anything but letters, digits and dots."""
    if len(code) > MAX_CODE_LENGTH:
        raise BadParameter(name, f"longer than {MAX_CODE_LENGTH} characters")
    if not CODE_PATTERN.fullmatch(code):
        raise BadParameter(name, "may hold only letters, digits and dots")


def read_unit(params: dict[str, str]) -> tuple[str, str]:
    """Return (level, code); the nation's code may be left out."""
    level = read_level(params)
    code = params.get("code") or ""
    if not code:
        if level != "national":
            raise BadParameter("code", f"required for level {level}")
        code = NATIONAL_CODE
    check_code("code", code)
    note_unit(level, code)
    return level, code


def note_unit(level: str, code: str | None = None) -> None:
    """Keep the unit this request's route reads, for the audit log."""
    setattr(g, ROUTE_UNIT, f"{level}:{code}" if code else level)


def read_view(params: dict[str, str], with_indicator: bool = True) -> View:
    """Return the view a request names: unit, filters and indicator, all checked."""
    level, code = read_unit(params)
    filters, indicator = _read_filters(params, with_indicator)
    return View(level, code, filters, indicator, read_rank(level, params.get(RANK)),
                read_sort(params.get(SORT)), read_check(params.get(CHECK)))


def read_filters_only(params: dict[str, str]) -> Filters:
    """Return the filters a request names, checked."""
    return _read_filters(params, with_indicator=False)[0]


def _read_filters(params: dict[str, str], with_indicator: bool) -> tuple[Filters, str]:
    names = (*FILTER_PARAMETERS, "indicator") if with_indicator else FILTER_PARAMETERS
    chosen = {name: params[name] for name in names if name in params}
    filters, indicator, _notices = read_filters(chosen, available_years(), strict=True)
    return filters, indicator


def json_error(status: int, parameter: str | None, message: str) -> Response:
    """Return the JSON answer of a refused request."""
    error: dict[str, str] = {"message": message}
    if parameter is not None:
        error = {"parameter": parameter, **error}
    return Response(json.dumps({"error": error}, ensure_ascii=False), status=status,
                    mimetype="application/json")


def install_json_errors(blueprint: Blueprint, log: logging.Logger, what: str) -> None:
    """Answer every failure of the blueprint's routes in JSON, never an HTML page."""

    @blueprint.errorhandler(JsonError)
    def _refused(error: JsonError) -> Response:
        response = json_error(error.status, error.parameter, error.message)
        if error.status == 405:
            response.headers["Allow"] = "GET, HEAD, OPTIONS"
        return response

    @blueprint.errorhandler(BadParameter)
    def _bad_parameter(error: BadParameter) -> Response:
        return json_error(400, error.name, error.message)

    @blueprint.errorhandler(UnknownUnit)
    def _unknown_unit(error: UnknownUnit) -> Response:
        return json_error(404, "code", str(error))

    @blueprint.errorhandler(OutOfScope)
    def _out_of_scope(error: OutOfScope) -> Response:
        return json_error(403, "code", str(error))

    @blueprint.errorhandler(DataNotReady)
    def _data_not_ready(error: DataNotReady) -> Response:
        return json_error(503, None, str(error))

    @blueprint.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        return json_error(error.code or 500, None, error.description or error.name)

    @blueprint.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        log.exception("%s %s failed", what, request.full_path)
        return json_error(500, None, "internal error; it has been logged")
