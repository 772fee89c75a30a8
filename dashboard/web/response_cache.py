"""Answers of the view callbacks, cached whole: a view seen once is served without work.

A callback request that carries the view store (which names the data version the page
was drawn from) is answered the same way for everybody with the same scope, privacy
threshold and language; its JSON answer is kept in the shared cache under a key made of
all of these and of every input and state of the request.
"""

from __future__ import annotations

import hashlib
import json

from flask import Flask, Response, g, request

from dashboard.extensions import cache
from dashboard.i18n import current_language

CALLBACK_PATH = "/_dash-update-component"
KEY_PREFIX = "dash-answer:"
#: Components whose answers are the user's own and never kept: the register of corrections
#: (it changes with every mark) and a school's list of pupils (each showing is audited).
PER_USER_OUTPUTS = ("quality-register.", "quality-pupils-grid.")


def init_app(server: Flask) -> None:
    """Serve repeated view callbacks from the cache (after the login guard has run)."""
    server.before_request(answer_from_cache)
    server.after_request(keep_answer)


def _view_version(body: dict) -> int | None:
    for item in body.get("inputs") or []:
        if isinstance(item, dict) and item.get("id") == "view" and item.get("property") == "data":
            value = item.get("value")
            if isinstance(value, dict) and isinstance(value.get("version"), int):
                return value["version"]
    return None


def answer_key() -> str | None:
    """Return the cache key of this callback request, or None if it is not cacheable."""
    if request.path != CALLBACK_PATH or request.method != "POST":
        return None
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or _view_version(body) is None:
        return None
    if any(name in str(body.get("output")) for name in PER_USER_OUTPUTS):
        return None
    from dashboard.web.auth.web import current_scope
    from queries.privacy import threshold

    material = json.dumps(
        [body.get("output"), body.get("inputs"), body.get("state"), repr(current_scope()),
         threshold(), current_language()],
        sort_keys=True, default=str,
    )
    return KEY_PREFIX + hashlib.sha256(material.encode()).hexdigest()


def answer_from_cache() -> Response | None:
    """Return the kept answer of this request, if there is one."""
    key = answer_key()
    if key is None:
        return None
    kept = cache.get(key)
    if kept is None:
        g.pilotage_answer_key = key
        return None
    return Response(kept, status=200, mimetype="application/json")


def keep_answer(response: Response) -> Response:
    """Keep a complete, successful answer (not one that also shows a banner or redraws)."""
    key = g.pop("pilotage_answer_key", None)
    if key is None or response.status_code != 200 or response.direct_passthrough:
        return response
    data = response.get_data()
    if b'"sideUpdate"' not in data:
        cache.set(key, data)
    return response
