"""``/datapackage.json``: the extract format, published with the product (Frictionless Data
Package, one Table Schema per file), so a directorate can check an extract before sending
it. It describes files and holds no data, so it is served to anyone."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response

DESCRIPTOR = Path(__file__).resolve().parents[2] / "datapackage.json"

extract_format = Blueprint("extract_format", __name__)


@extract_format.get("/datapackage.json")
def datapackage() -> Response:
    """Answer the Data Package descriptor of the MASSAR extract format."""
    response = Response(DESCRIPTOR.read_bytes(), mimetype="application/json")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
