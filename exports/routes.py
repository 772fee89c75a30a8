"""Download routes: one chart as an image, one chart's or table's numbers as a file.

``GET /export/chart/<chart>.<png|svg|pdf>`` and ``GET /export/data/<chart>.<csv|xlsx>``
take the parameters of the read API (``level``, ``code``, ``year``, ``cycle``, ``sector``,
``milieu``, ``sex``) plus ``indicator``, checked the same way, and refuse a request with
the same JSON errors: 400 for a bad parameter, 404 for an unknown unit or chart, 403
outside the caller's scope, 503 while the data is not built or when the chart renderer
fails. A file is built whole before the response starts: never half a download.
"""

from __future__ import annotations

import json
import logging

from flask import Blueprint, Response, request
from werkzeug.exceptions import HTTPException

from callbacks.access import current_scope
from dashboard import indicators
from dashboard.api import CODE_PATTERN, FILTER_PARAMETERS
from dashboard.urls import (
    LEVELS,
    MAX_CODE_LENGTH,
    NATIONAL_CODE,
    BadParameter,
    View,
    read_filters,
)
from exports import renderer
from exports.charts import CHARTS, DATA_ONLY, NotApplicable, chart_export
from exports.naming import export_filename
from exports.tables import to_csv, to_xlsx
from queries.database import DataNotReady
from queries.scope import OutOfScope
from queries.stats import available_years
from queries.units import UnknownUnit

log = logging.getLogger("pilotage.exports")

exports = Blueprint("exports", __name__, url_prefix="/export")

IMAGE_TYPES = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}
DATA_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
SEPARATORS = ("comma", "semicolon")
#: Image size in CSS pixels (rendered at twice that for sharp slides and prints).
SIZE_BOUNDS = {"width": (320, 4000), "height": (240, 3000)}
DEFAULT_SIZE = {"width": 1200, "height": 675}
SCALE = 2.0
RENDER_FAILED = ("Le rendu de l'image a échoué ; le service de rendu redémarre. "
                 "Réessayez dans un instant.")


class ExportError(Exception):
    """A request the export routes refuse, with its HTTP status and the parameter at fault."""

    def __init__(self, status: int, parameter: str | None, message: str):
        super().__init__(message)
        self.status = status
        self.parameter = parameter
        self.message = message


# --- routes -------------------------------------------------------------------------------


@exports.get("/chart/<chart>.<fmt>")
def chart_route(chart: str, fmt: str) -> Response:
    """One chart of a view as a PNG, SVG or PDF image."""
    _check_chart(chart)
    if chart in DATA_ONLY:
        raise ExportError(404, "chart", f"{chart!r} is a table: download it from "
                          f"/export/data/{chart}.csv or .xlsx")
    _check_format(fmt, IMAGE_TYPES)
    params = _params()
    view = _view(params)
    width, height = _size(params, "width"), _size(params, "height")
    export = _export(chart, view, with_figure=True, width=width, height=height)
    try:
        content = renderer.render(export.figure, fmt, width, height, SCALE)
    except renderer.RenderError as error:
        raise ExportError(503, None, RENDER_FAILED) from error
    _log(chart, fmt, view)
    return _attachment(content, IMAGE_TYPES[fmt], export_filename(chart, view, fmt))


@exports.get("/data/<chart>.<fmt>")
def data_route(chart: str, fmt: str) -> Response:
    """The numbers of one chart or table of a view as CSV or Excel."""
    _check_chart(chart)
    _check_format(fmt, DATA_TYPES)
    params = _params()
    separator = params.get("sep") or "comma"
    if separator not in SEPARATORS:
        raise BadParameter("sep", f"must be one of {', '.join(SEPARATORS)}")
    view = _view(params)
    export = _export(chart, view, with_figure=False)
    if fmt == "csv":
        content = to_csv(export.data, export.columns, semicolon=separator == "semicolon")
    else:
        content = to_xlsx(export, view, indicators.INDICATORS, export.version)
    _log(chart, fmt, view)
    return _attachment(content, DATA_TYPES[fmt], export_filename(chart, view, fmt))


@exports.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown_route(rest: str) -> Response:
    """Answer JSON for export paths that do not exist (rather than the dashboard's page)."""
    raise ExportError(404, None, "no such export; use /export/chart/<chart>.<png|svg|pdf>, "
                      "/export/data/<chart>.<csv|xlsx> or /export/briefing.<pptx|pdf>")


# --- errors -------------------------------------------------------------------------------


@exports.errorhandler(ExportError)
def _export_error(error: ExportError) -> Response:
    return _error(error.status, error.parameter, error.message)


@exports.errorhandler(BadParameter)
def _bad_parameter(error: BadParameter) -> Response:
    return _error(400, error.name, error.message)


@exports.errorhandler(UnknownUnit)
def _unknown_unit(error: UnknownUnit) -> Response:
    return _error(404, "code", str(error))


@exports.errorhandler(NotApplicable)
def _not_applicable(error: NotApplicable) -> Response:
    return _error(404, "chart", str(error))


@exports.errorhandler(OutOfScope)
def _out_of_scope(error: OutOfScope) -> Response:
    return _error(403, "code", str(error))


@exports.errorhandler(DataNotReady)
def _data_not_ready(error: DataNotReady) -> Response:
    return _error(503, None, str(error))


@exports.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    return _error(error.code or 500, None, error.description or error.name)


@exports.errorhandler(Exception)
def _unexpected(error: Exception) -> Response:
    log.exception("export %s failed", request.full_path)
    return _error(500, None, "internal error; it has been logged")


@exports.after_request
def _no_store(response: Response) -> Response:
    # Exports are built for one view at one moment: never kept by a browser or a proxy.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# --- parameters (checked as the read API checks them) -------------------------------------


def _params() -> dict[str, str]:
    """Return the query string as single values (the last one wins, as in page URLs)."""
    return {name: values[-1] for name, values in request.args.lists()}


def _check_chart(chart: str) -> None:
    if chart not in CHARTS:
        raise ExportError(404, "chart", f"unknown chart {chart[:40]!r}; use one of "
                          f"{', '.join(CHARTS)}")


def _check_format(fmt: str, allowed: dict[str, str]) -> None:
    if fmt not in allowed:
        raise BadParameter("format", f"must be one of {', '.join(allowed)}")


def _view(params: dict[str, str]) -> View:
    level = params.get("level")
    if not level:
        raise BadParameter("level", f"required: one of {', '.join(LEVELS)}")
    if level not in LEVELS:
        raise BadParameter("level", f"must be one of {', '.join(LEVELS)}")
    code = params.get("code") or ""
    if not code:
        if level != "national":
            raise BadParameter("code", f"required for level {level}")
        code = NATIONAL_CODE
    if len(code) > MAX_CODE_LENGTH:
        raise BadParameter("code", f"longer than {MAX_CODE_LENGTH} characters")
    if not CODE_PATTERN.fullmatch(code):
        raise BadParameter("code", "may hold only letters, digits and dots")
    chosen = {name: params[name] for name in (*FILTER_PARAMETERS, "indicator") if name in params}
    year = chosen.get("year") or ""
    if year and not (year.isascii() and year.isdigit()):
        raise BadParameter("year", f"a school year is written in digits, not {year[:12]!r}")
    filters, indicator, _notices = read_filters(chosen, available_years(), strict=True)
    return View(level, code, filters, indicator)


def _size(params: dict[str, str], name: str) -> int:
    raw = params.get(name) or ""
    if not raw:
        return DEFAULT_SIZE[name]
    low, high = SIZE_BOUNDS[name]
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise BadParameter(name, f"must be a whole number of pixels from {low} to {high}")
    return int(raw)


def _export(chart: str, view: View, **options):
    return chart_export(chart, view, current_scope(), **options)


# --- responses ----------------------------------------------------------------------------


def _attachment(content: bytes, mimetype: str, filename: str) -> Response:
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename={filename}"
    return response


def _error(status: int, parameter: str | None, message: str) -> Response:
    error: dict[str, str] = {"message": message}
    if parameter is not None:
        error = {"parameter": parameter, **error}
    body = json.dumps({"error": error}, ensure_ascii=False)
    return Response(body, status=status, mimetype="application/json")


def _log(chart: str, fmt: str, view: View) -> None:
    log.info("export %s.%s of %s %s, filters %s, indicator %s", chart, fmt, view.level,
             view.code, view.filters.as_dict(), view.indicator)
