"""The briefing pack as a download: ``GET /export/briefing.pptx`` or ``/export/briefing.pdf``.

Parameters are those of the read API (``level``, ``code``, ``year``, ``cycle``, ``sector``,
``milieu``, ``sex``) plus ``indicator``, validated the same way and refused with the same
JSON errors. The file is built whole before the answer starts, so a failure never leaves
a half-written download.
"""

from __future__ import annotations

import logging
import time

from flask import Blueprint, Response, request

from dashboard.web.auth.web import current_scope
from dashboard.web.web_params import (
    JsonError,
    install_json_errors,
    json_error,
    query_params,
    read_view,
)
from exports.briefing_files import (
    PDF_MIMETYPE,
    PPTX_MIMETYPE,
    briefing_filename,
    build_pdf,
    build_pptx,
)
from exports.renderer import RenderError

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
        raise JsonError(404, None, "no such export; use /export/briefing.pptx or .pdf")
    view = read_view(query_params())
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


# --- errors: the read API's JSON shape ----------------------------------------------------


install_json_errors(briefing, log, "briefing")


@briefing.errorhandler(RenderError)
def _render_failed(error: RenderError) -> Response:
    log.warning("briefing %s not produced: the chart renderer failed", request.full_path)
    response = json_error(503, None, RENDER_FAILED)
    response.headers["Retry-After"] = RETRY_AFTER_SECONDS
    return response


@briefing.after_request
def _no_store(response: Response) -> Response:
    # A briefing is a snapshot of one data version: never keep it, nor an error, in a cache.
    response.headers["Cache-Control"] = "no-store"
    return response
