"""The audit log: who logged in, read or exported what, and when, refusals included.

Every API request and every export by a logged-in user is recorded with its status,
successful or not: a refusal also says why (the parameter at fault and the message the
caller got), an export names the file and its size. Files built by a callback (the
briefing buttons) are recorded by that callback.

Dash callbacks that read a view (the ``view`` store: unit, filters and indicator) are
recorded too, but not one by one: opening a page or changing a filter fires about ten of
them at once, all for the same view. The first callback of a view writes one
``callback_read`` entry (the unit, the filters and the outputs it asked for); the other
callbacks of the same user for the same view within ``READ_WINDOW_SECONDS`` add nothing.
The window is kept in the shared cache (one entry per page view with Redis; with a
per-worker cache, at most one per worker). Refused or failed callbacks are always recorded;
callbacks answered with nothing (204) and those that name no view are not.

Values sent by the caller are stored as sent (cut to ``MAX_VALUE`` characters), and
``printable`` escapes control characters whenever an entry is printed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import unicodedata
from http import HTTPStatus
from typing import NamedTuple

import sqlalchemy as sa
from flask import Response, g, request
from flask_login import current_user
from sqlalchemy.engine import Engine

from dashboard.web.auth.schema import audit_log
from dashboard.web.auth.state import current_username, state_engine

log = logging.getLogger("pilotage.audit")

CALLBACK_PATH = "/_dash-update-component"
#: Path prefix: (event of an answered request, event of a refused or failed one).
ROUTE_EVENTS = {"/api/": ("api_read", "api_refused"), "/export/": ("export", "export_refused")}
CALLBACK_EVENTS = ("callback_read", "callback_refused")
#: Seconds during which further callbacks of one user for one view are not recorded again.
READ_WINDOW_SECONDS = 60
#: Where a route notes the unit it read (``dashboard.web.web_params.note_unit``).
ROUTE_UNIT = "pilotage_audit_unit"
VIEW_FIELDS = ("year", "cycle", "sector", "milieu", "sex", "indicator")
MAX_VALUE = 40
MAX_PARAMS = 20
MAX_OUTPUTS = 12
MAX_REASON = 200
#: Column widths of the audit table (PostgreSQL refuses longer values).
MAX_COLUMN = {"event": 32, "username": 64, "unit": 64, "address": 64}
#: Unicode categories never printed as they are: controls, format characters (bidi
#: overrides), surrogates, private use, unassigned, and line and paragraph separators.
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


class Entry(NamedTuple):
    """What one request adds to the audit log."""

    event: str
    unit: str | None
    detail: dict


# --- writing and reading ------------------------------------------------------------------


def record(engine: Engine, event: str, username: str | None, unit: str | None = None,
           detail: dict | None = None, address: str | None = None) -> None:
    """Append one entry; a failure to write is logged, never shown to the user."""
    values = {"event": event, "username": username, "unit": unit, "address": address}
    values = {name: _cut(value, MAX_COLUMN[name]) for name, value in values.items()}
    try:
        with engine.begin() as conn:
            conn.execute(audit_log.insert().values(
                at=dt.datetime.now(dt.UTC).replace(tzinfo=None), **values,
                detail=json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else None,
            ))
    except sa.exc.SQLAlchemyError:
        log.exception("could not write the audit log (%s by %s)", printable(event),
                      printable(username or "-"))


def recent(engine: Engine, limit: int = 50) -> list[dict]:
    """Return the most recent entries, newest first."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(limit))
        return [dict(row._mapping) for row in rows]


def printable(text: str) -> str:
    """Return ``text`` with every character that could move the cursor or hide text
    (newlines, carriage returns, escapes, NEL, line separators, bidi overrides) escaped."""
    return "".join(_escaped(ch) if unicodedata.category(ch) in HIDDEN_CATEGORIES else ch
                   for ch in text)


def format_entry(entry: dict) -> str:
    """Return one entry as one printable line: time, event, user, address, unit, detail."""
    at = entry["at"].strftime("%Y-%m-%d %H:%M:%S")
    fields = (
        f"{printable(entry['event']):<16}",
        f"{printable(entry['username'] or '-'):<24}",
        f"{printable(entry['address'] or '-'):<15}",
        f"{printable(entry['unit'] or '-'):<18}",
        printable(entry["detail"] or ""),
    )
    return f"{at}  " + " ".join(fields).rstrip()


def _escaped(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _cut(value: str | None, length: int) -> str | None:
    return None if value is None else str(value)[:length]


# --- what requests add --------------------------------------------------------------------


def record_request(response: Response) -> Response:
    """Record the API request, export or callback read this response answers."""
    if request.method == "OPTIONS" or not current_user.is_authenticated:
        return response
    try:
        entry = describe(response)
    except Exception:  # noqa: BLE001  (a fault of the audit never breaks the answer)
        log.exception("could not describe %s for the audit log", printable(request.path[:120]))
        return response
    if entry is not None:
        _write(entry)
    return response


def record_callback_export(view, filename: str, size: int | None,
                           reason: str | None = None) -> None:
    """Record a file a callback built for download (``size`` bytes), or why it failed."""
    detail: dict = {"via": "callback", "file": filename, "view": _view_detail(view)}
    if reason is None:
        _write(Entry("export", f"{view.level}:{view.code}", {**detail, "bytes": size}))
    else:
        _write(Entry("export_refused", f"{view.level}:{view.code}",
                     {**detail, "reason": reason[:MAX_REASON]}))


def describe(response: Response) -> Entry | None:
    """Return what this request adds to the audit log, if anything."""
    path = request.path
    if path == CALLBACK_PATH and request.method == "POST":
        return _callback_entry(response)
    for prefix, events in ROUTE_EVENTS.items():
        if path.startswith(prefix):
            return _route_entry(response, events[response.status_code >= 400])
    return None


def _write(entry: Entry) -> None:
    record(state_engine(), entry.event, current_username(), unit=entry.unit,
           detail=entry.detail, address=request.remote_addr)


def _route_entry(response: Response, event: str) -> Entry:
    """An API or export request: the unit the route read, the parameters, the outcome."""
    detail: dict = {"path": request.path[:120], "status": response.status_code,
                    "params": _params()}
    if response.status_code >= 400:
        detail.update(_refusal(response))
    elif "Content-Disposition" in response.headers:
        detail["file"] = _filename(response.headers["Content-Disposition"])
        detail["bytes"] = response.content_length
    return Entry(event, g.get(ROUTE_UNIT) or _unit_from_args(), detail)


def _params() -> dict[str, str | list[str]]:
    """Return the query string as sent: every value of a repeated parameter, each cut."""
    params: dict[str, str | list[str]] = {}
    for name, values in list(request.args.lists())[:MAX_PARAMS]:
        cut = [value[:MAX_VALUE] for value in values[:5]]
        params[name[:MAX_VALUE]] = cut[0] if len(cut) == 1 else cut
    return params


def _unit_from_args() -> str | None:
    """Return ``level:code`` as sent (all values of a repeated one) when no route read it."""
    level, code = (",".join(request.args.getlist(name))[:MAX_VALUE] for name in ("level", "code"))
    return f"{level}:{code}".strip(":") or None


def _filename(disposition: str) -> str:
    return disposition.partition("filename=")[2].strip('"')[:120]


def _refusal(response: Response) -> dict:
    """Return the parameter at fault and the message of a refused answer."""
    status = response.status_code
    error = None
    if response.is_json and not response.direct_passthrough:
        body = response.get_json(silent=True)
        error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        refusal = {"reason": str(error.get("message", ""))[:MAX_REASON]}
        if error.get("parameter") is not None:
            refusal["parameter"] = str(error["parameter"])[:MAX_VALUE]
        return refusal
    if response.mimetype == "text/plain" and not response.direct_passthrough:
        text = response.get_data(as_text=True).strip()
        if text and len(text) <= MAX_REASON * 5:
            return {"reason": text.splitlines()[0][:MAX_REASON]}
    try:
        return {"reason": HTTPStatus(status).phrase}
    except ValueError:
        return {"reason": f"status {status}"}


# --- callbacks ----------------------------------------------------------------------------


def _callback_entry(response: Response) -> Entry | None:
    """A Dash callback: the view it read and the outputs it asked for."""
    status = response.status_code
    if status == HTTPStatus.NO_CONTENT:  # the callback answered nothing
        return None
    body = _callback_body()
    view = _claimed_view(body)
    detail: dict = {"status": status, "outputs": _outputs(body)}
    unit = None
    if view is not None:
        unit = f"{view['level']}:{view['code']}"
        detail["view"] = {name: view[name] for name in VIEW_FIELDS if name in view}
    if status >= 400:
        return Entry(CALLBACK_EVENTS[1], unit, {**detail, **_refusal(response)})
    if unit is None or not _first_read_of(unit, detail["view"]):
        return None
    return Entry(CALLBACK_EVENTS[0], unit, detail)


def _callback_body() -> dict:
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested too deep to read: recorded without a view
        return {}
    return body if isinstance(body, dict) else {}


def _claimed_view(body: dict) -> dict[str, str] | None:
    """Return the view store a callback request carries (as the caller sent it)."""
    items = [*_as_list(body.get("inputs")), *_as_list(body.get("state"))]
    for item in items:
        if isinstance(item, dict) and item.get("id") == "view" and item.get("property") == "data":
            value = item.get("value")
            if isinstance(value, dict):
                view = {name: _shown(value.get(name)) for name in ("level", "code")}
                view.update({name: _shown(value[name]) for name in VIEW_FIELDS if name in value})
                return view
    return None


def _outputs(body: dict) -> list[str]:
    """Return the outputs a callback request asks for, as ``id.property``."""
    outputs = []
    for item in _flat(_as_list(body.get("outputs")))[:MAX_OUTPUTS]:
        if isinstance(item, dict):
            ident = item.get("id")
            if isinstance(ident, dict):
                ident = ident.get("type", "?")
            outputs.append(f"{_shown(ident)}.{_shown(item.get('property'))}")
    return outputs


def _as_list(value) -> list:
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


def _flat(items: list) -> list:
    """Flatten one level: pattern-matching outputs come as lists of outputs."""
    return [inner for item in items for inner in (item if isinstance(item, list) else [item])]


def _shown(value) -> str:
    """Return a value the caller sent as short text."""
    if isinstance(value, str):
        return value[:MAX_VALUE]
    try:
        return json.dumps(value, default=str)[:MAX_VALUE]
    except (RecursionError, ValueError):
        return "?"


def _first_read_of(unit: str, view: dict) -> bool:
    """Return whether this user has not read this view within the window (and start it)."""
    from dashboard.extensions import cache

    material = json.dumps([current_username(), unit, view], sort_keys=True)
    key = "audit-read:" + hashlib.sha256(material.encode()).hexdigest()
    try:
        return bool(cache.add(key, 1, timeout=READ_WINDOW_SECONDS))
    except Exception:  # noqa: BLE001  (no cache: record every read rather than none)
        return True


def _view_detail(view) -> dict:
    return {**view.filters.as_dict(), "indicator": view.indicator}
