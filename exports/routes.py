"""Download routes: one chart as an image, one chart's or table's numbers as a file.

``GET /export/chart/<chart>.<png|svg|pdf>`` and ``GET /export/data/<chart>.<csv|xlsx>``
take the parameters of the read API (``level``, ``code``, ``year``, ``cycle``, ``sector``,
``milieu``, ``sex``) plus ``indicator``, checked the same way, and refuse a request with
the same JSON errors: 400 for a bad parameter, 404 for an unknown unit or chart, 403
outside the caller's scope, 503 while the data is not built or when the chart renderer
fails. A file is built whole before the response starts: never half a download.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response

from dashboard import indicators
from dashboard.urls import BadParameter, View
from dashboard.web.auth.web import current_scope
from dashboard.web.web_params import (
    JsonError,
    install_json_errors,
    json_error,
    query_params,
    read_view,
)
from exports import renderer
from exports.charts import CHARTS, DATA_ONLY, NotApplicable, chart_export
from exports.naming import export_filename
from exports.tables import to_csv, to_xlsx

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


# --- routes -------------------------------------------------------------------------------


@exports.get("/chart/<chart>.<fmt>")
def chart_route(chart: str, fmt: str) -> Response:
    """One chart of a view as a PNG, SVG or PDF image."""
    _check_chart(chart)
    if chart in DATA_ONLY:
        raise JsonError(404, "chart", f"{chart!r} is a table: download it from "
                          f"/export/data/{chart}.csv or .xlsx")
    _check_format(fmt, IMAGE_TYPES)
    params = query_params()
    view = read_view(params)
    width, height = _size(params, "width"), _size(params, "height")
    export = _export(chart, view, with_figure=True, width=width, height=height)
    try:
        content = renderer.render(export.figure, fmt, width, height, SCALE)
    except renderer.RenderError as error:
        raise JsonError(503, None, RENDER_FAILED) from error
    _log(chart, fmt, view)
    return _attachment(content, IMAGE_TYPES[fmt], export_filename(chart, view, fmt))


@exports.get("/data/<chart>.<fmt>")
def data_route(chart: str, fmt: str) -> Response:
    """The numbers of one chart or table of a view as CSV or Excel."""
    _check_chart(chart)
    _check_format(fmt, DATA_TYPES)
    params = query_params()
    separator = params.get("sep") or "comma"
    if separator not in SEPARATORS:
        raise BadParameter("sep", f"must be one of {', '.join(SEPARATORS)}")
    view = read_view(params)
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
    raise JsonError(404, None, "no such export; use /export/chart/<chart>.<png|svg|pdf>, "
                      "/export/data/<chart>.<csv|xlsx> or /export/briefing.<pptx|pdf>")


# --- errors -------------------------------------------------------------------------------


install_json_errors(exports, log, "export")


@exports.errorhandler(NotApplicable)
def _not_applicable(error: NotApplicable) -> Response:
    return json_error(404, "chart", str(error))


@exports.after_request
def _no_store(response: Response) -> Response:
    # Exports are built for one view at one moment: never kept by a browser or a proxy.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# --- parameters (checked as the read API checks them) -------------------------------------


def _check_chart(chart: str) -> None:
    if chart not in CHARTS:
        raise JsonError(404, "chart", f"unknown chart {chart[:40]!r}; use one of "
                          f"{', '.join(CHARTS)}")


def _check_format(fmt: str, allowed: dict[str, str]) -> None:
    if fmt not in allowed:
        raise BadParameter("format", f"must be one of {', '.join(allowed)}")


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



def _log(chart: str, fmt: str, view: View) -> None:
    log.info("export %s.%s of %s %s, filters %s, indicator %s", chart, fmt, view.level,
             view.code, view.filters.as_dict(), view.indicator)
