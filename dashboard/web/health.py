"""``/healthz``: whether this worker can read the schooling database, for load balancers."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from queries.database import DataNotReady, DataUnavailable, latest_version

health = Blueprint("health", __name__)


@health.get("/healthz")
def healthz() -> tuple[Response, int]:
    """Answer 200 with the published data version, or 503 saying what is missing."""
    try:
        version = latest_version()
    except DataUnavailable:
        return jsonify(status="unavailable", reason="database unreachable"), 503
    except DataNotReady:
        return jsonify(status="unavailable", reason="analytics tables not built"), 503
    return jsonify(status="ok", data_version=int(version)), 200
