"""The briefing pack as a download: ``GET /export/briefing.pptx`` or ``/export/briefing.pdf``.

Parameters are those of the read API (``level``, ``code``, ``year``, ``cycle``, ``sector``,
``milieu``, ``sex``) plus ``indicator``, validated the same way and refused with the same
JSON errors. The file is built whole before the answer starts, so a failure never leaves
a half-written download.
"""

from __future__ import annotations

import json
import logging
import time

from flask import Blueprint, Response, request
from werkzeug.exceptions import HTTPException

from callbacks.access import current_scope
from dashboard.api import CODE_PATTERN, FILTER_PARAMETERS, ApiError
from dashboard.urls import LEVELS, MAX_CODE_LENGTH, NATIONAL_CODE, BadParameter, View, read_filters
from exports.briefing import PDF_MIMETYPE, PPTX_MIMETYPE, briefing_filename, build_pdf, build_pptx
from exports.renderer import RenderError
from queries.database import DataNotReady
from queries.scope import OutOfScope
from queries.stats import available_years
from queries.units import UnknownUnit

log = logging.getLogger("pilotage.exports")

briefing = Blueprint("briefing", __name__)

BUILDERS = {"pptx": (build_pptx, PPTX_MIMETYPE), "pdf": (build_pdf, PDF_MIMETYPE)}
RENDER_FAILED = ("Le moteur de rendu des graphiques n'a pas répondu : le briefing n'a pas pu "
                 "être produit. Réessayez dans un instant.")
RETRY_AFTER_SECONDS = "5"


@briefing.get("/export/briefing.<fmt>")
def briefing_route(fmt: str) -> Response:
    """Build the briefing pack of one view and send it as an attachment."""
    if fmt not in BUILDERS:
        raise ApiError(404, None, "no such export; use /export/briefing.pptx or .pdf")
    view = _view({name: values[-1] for name, values in request.args.lists()})
    build, mimetype = BUILDERS[fmt]
    started = time.perf_counter()
    content = build(view, current_scope())
    log.info("briefing %s for %s %s %s (indicator %s): %d bytes in %.1f s", fmt, view.level,
             view.code, view.filters.as_dict(), view.indicator, len(content),
             time.perf_counter() - started)
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{briefing_filename(view, fmt)}"')
    return response


def _view(params: dict[str, str]) -> View:
    """Read and check the view's parameters the way the read API does."""
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
    filters, indicator, _notices = read_filters(chosen, available_years(), strict=True)
    return View(level, code, filters, indicator)


# --- errors: the read API's JSON shape ----------------------------------------------------


def _error(status: int, parameter: str | None, message: str) -> Response:
    error: dict[str, str] = {"message": message}
    if parameter is not None:
        error = {"parameter": parameter, **error}
    return Response(json.dumps({"error": error}, ensure_ascii=False), status=status,
                    mimetype="application/json")


@briefing.errorhandler(ApiError)
def _api_error(error: ApiError) -> Response:
    return _error(error.status, error.parameter, error.message)


@briefing.errorhandler(BadParameter)
def _bad_parameter(error: BadParameter) -> Response:
    return _error(400, error.name, error.message)


@briefing.errorhandler(UnknownUnit)
def _unknown_unit(error: UnknownUnit) -> Response:
    return _error(404, "code", str(error))


@briefing.errorhandler(OutOfScope)
def _out_of_scope(error: OutOfScope) -> Response:
    return _error(403, "code", str(error))


@briefing.errorhandler(DataNotReady)
def _data_not_ready(error: DataNotReady) -> Response:
    return _error(503, None, str(error))


@briefing.errorhandler(RenderError)
def _render_failed(error: RenderError) -> Response:
    log.warning("briefing %s not produced: the chart renderer failed", request.full_path)
    response = _error(503, None, RENDER_FAILED)
    response.headers["Retry-After"] = RETRY_AFTER_SECONDS
    return response


@briefing.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    return _error(error.code or 500, None, error.description or error.name)


@briefing.errorhandler(Exception)
def _unexpected(error: Exception) -> Response:
    log.exception("briefing %s failed", request.full_path)
    return _error(500, None, "internal error; it has been logged")


@briefing.after_request
def _no_store(response: Response) -> Response:
    # A briefing is a snapshot of one data version: never keep it, nor an error, in a cache.
    response.headers["Cache-Control"] = "no-store"
    return response
