"""The door of Dash's callback route: malformed requests never reach a callback.

Dash trusts the body of ``POST /_dash-update-component``: an unknown output, a missing
input or a body nested deeper than Python's recursion limit fail inside Dash with a
traceback. Before any callback runs, the body is checked against the callback it names
(its outputs, inputs and state exactly as declared, at most :data:`MAX_DEPTH` levels
deep); a request that does not match answers 400. Callbacks refuse a request by raising
:class:`CallbackRefused`, answered as JSON with its status, never as a traceback.
"""

from __future__ import annotations

import json
import logging

import dash
from flask import Flask, Response, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from dashboard.i18n import _

CALLBACK_PATH = "/_dash-update-component"
#: Deepest nesting of a callback request (the app's deepest, a map click, is about 8).
MAX_DEPTH = 32
#: Properties that Dash components always send as a count.
COUNTERS = frozenset({"n_clicks", "n_intervals", "n_submit", "n_blur"})
SCALARS = (str, int, float, bool)
ITEM_KEYS = frozenset({"id", "property", "value"})

log = logging.getLogger("pilotage.callbacks")


class CallbackRefused(HTTPException):
    """A callback request refused: 400 malformed, 403 out of scope, 404 unknown unit."""

    def __init__(self, status: int, parameter: str | None = None):
        super().__init__()
        self.code = status
        self.parameter = parameter

    def message(self) -> str:
        """Return the user's explanation, in their language (no value of the request)."""
        if self.code == 403:
            return _("Cette unité est hors de votre périmètre.")
        if self.code == 404:
            return _("Aucune unité de ce niveau ne porte ce code.")
        return _("Requête non valide.")

    def get_response(self, environ=None, scope=None) -> Response:
        """Return the refusal as JSON: ``{"error": {"parameter": ..., "message": ...}}``."""
        error = {"message": self.message()}
        if self.parameter:
            error = {"parameter": self.parameter, **error}
        return Response(json.dumps({"error": error}, ensure_ascii=False), status=self.code,
                        mimetype="application/json")


def init_app(app: dash.Dash) -> None:
    """Check every callback request of ``app`` first, and answer refusals cleanly."""
    def check_callback_request() -> None:
        if request.path == CALLBACK_PATH and request.method == "POST":
            check_body(app.callback_map)

    server: Flask = app.server
    # first, so that no other hook (the answer cache) reads a body that is not checked
    server.before_request_funcs.setdefault(None, []).insert(0, check_callback_request)
    server.register_error_handler(CallbackRefused, answer_refusal)


def answer_refusal(error: CallbackRefused) -> Response:
    """Log a refused callback request in one line and answer it."""
    who = current_user.get_id() if current_user.is_authenticated else None
    log.warning("callback request refused: %s %s, output %r, user %r", error.code,
                error.parameter or "", _output_name(), who)
    return error.get_response()


def _output_name() -> str | None:
    """Return the output a callback request names, shortened (for the log)."""
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        return None
    output = body.get("output") if isinstance(body, dict) else None
    return output[:80] if isinstance(output, str) else None


def check_body(callback_map: dict) -> None:
    """Raise :class:`CallbackRefused` (400) unless the body matches the callback it names.

    Anonymous requests are left to the login guard, which answers 401.
    """
    if not current_user.is_authenticated:
        return
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # the JSON parser itself gave up
        raise CallbackRefused(400, "body") from None
    if body is None or _depth(body) > MAX_DEPTH or not isinstance(body, dict):
        raise CallbackRefused(400, "body")
    problem = mismatch(body, callback_map)
    if problem:
        raise CallbackRefused(400, problem)


def mismatch(body: dict, callback_map: dict) -> str | None:
    """Return the part of a callback request that does not match its callback, if any."""
    output = body.get("output")
    spec = callback_map.get(output) if isinstance(output, str) else None
    if spec is None or "callback" not in spec:  # unknown, or answered in the browser
        return "output"
    pairs = _output_pairs(body.get("outputs"), spec["output"])
    if pairs is None:
        return "outputs"
    for part in ("inputs", "state"):
        found = _value_pairs(body.get(part, []), spec[part])
        if found is None:
            return part
        pairs += found
    if not _changed_ids_known(body):
        return "changedPropIds"
    if not _patterns_agree(pairs):
        return "outputs"
    return None


def _output_pairs(outputs: object, declared) -> list[tuple[object, dict]] | None:
    """Pair the request's outputs with the declared ones; None if they do not match."""
    if isinstance(declared, list):
        if not isinstance(outputs, list) or len(outputs) != len(declared):
            return None
        pairs = list(zip(outputs, [o.to_dict() for o in declared], strict=True))
    else:
        pairs = [(outputs, declared.to_dict())]
    return pairs if all(_matches(item, d, values=False) for item, d in pairs) else None


def _value_pairs(items: object, declared: list[dict]) -> list[tuple[object, dict]] | None:
    """Pair the request's inputs (or state) with the declared ones; None if they differ."""
    if not isinstance(items, list) or len(items) != len(declared):
        return None
    pairs = list(zip(items, declared, strict=True))
    return pairs if all(_matches(item, d, values=True) for item, d in pairs) else None


def _matches(item: object, declared: dict, values: bool) -> bool:
    """Return whether a request's entry names the declared component and property."""
    pattern = _pattern(declared["id"])
    if pattern is None:
        return _entry(item, values) and (item["id"], _bare(item["property"])) == (
            declared["id"], _bare(declared["property"]))
    if any(v == ["MATCH"] for v in pattern.values()):
        return _pattern_entry(item, pattern, declared["property"], values)
    return isinstance(item, list) and all(
        _pattern_entry(i, pattern, declared["property"], values) for i in item)


def _entry(item: object, values: bool) -> bool:
    """Return whether ``item`` is one well-formed entry: id, property, and maybe a value."""
    if not isinstance(item, dict) or not {"id", "property"} <= set(item) <= ITEM_KEYS:
        return False
    if not isinstance(item["property"], str) or not isinstance(item["id"], (str, dict)):
        return False
    if not values and "value" in item:
        return False
    count = item.get("value")
    if _bare(item["property"]) in COUNTERS and count is not None:
        return isinstance(count, int) and not isinstance(count, bool) and count >= 0
    return True


def _pattern_entry(item: object, pattern: dict, prop: str, values: bool) -> bool:
    """Return whether ``item`` is a component matching a pattern-matching id."""
    if not _entry(item, values) or _bare(item["property"]) != _bare(prop):
        return False
    concrete = item["id"]
    if not isinstance(concrete, dict) or set(concrete) != set(pattern):
        return False
    for key, wanted in pattern.items():
        value = concrete[key]
        if isinstance(wanted, list):  # a wildcard: any plain value
            if not isinstance(value, SCALARS):
                return False
        elif value != wanted:
            return False
    return item["property"] != "id" or item.get("value", concrete) == concrete


def _pattern(component_id: str) -> dict | None:
    return json.loads(component_id) if component_id.startswith("{") else None


def _bare(prop: str) -> str:
    """Return a property without the ``@hash`` Dash adds to duplicate outputs."""
    return prop.split("@", 1)[0]


def _changed_ids_known(body: dict) -> bool:
    """Return whether every changed property is one of the request's inputs."""
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        return False
    known = set()
    for item in body["inputs"]:
        for entry in item if isinstance(item, list) else [item]:
            known.add(f"{_component_id(entry['id'])}.{entry['property']}")
    return set(changed) <= known


def _patterns_agree(pairs: list[tuple[object, dict]]) -> bool:
    """Return whether the lists matched by one pattern name the same components everywhere.

    Dash answers a pattern-matching output with one value per matched component, taken
    from the inputs and state of the same pattern: their lists must agree.
    """
    seen: dict[str, list[str]] = {}
    for item, declared in pairs:
        if isinstance(item, list):
            ids = [_component_id(entry["id"]) for entry in item]
            if seen.setdefault(declared["id"], ids) != ids:
                return False
    return True


def _depth(value: object) -> int:
    """Return how deeply lists and objects nest in ``value`` (without recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if isinstance(current, (list, dict)):
            deepest = max(deepest, depth)
            if depth > MAX_DEPTH:
                return depth
            children = current.values() if isinstance(current, dict) else current
            stack.extend((child, depth + 1) for child in children)
    return deepest


def _component_id(component_id) -> str:
    """Return a component id as the callback map spells it (a pattern id as sorted JSON)."""
    def value(part) -> str:  # a wildcard (ALL, MATCH) writes itself
        return part.to_json() if hasattr(part, "to_json") else json.dumps(part)

    if isinstance(component_id, dict):
        return "{" + ",".join(f"{json.dumps(key)}:{value(component_id[key])}"
                              for key in sorted(component_id)) + "}"
    return component_id
