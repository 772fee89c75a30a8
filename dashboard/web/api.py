"""The read API: indicators of a unit, of its children, and the units themselves.

Every number comes from the same ``queries/`` functions as the dashboard's pages, so
the API, the screens and the exports can never disagree. Routes live under
``/api/v1``; they answer JSON by default and CSV with ``format=csv``.

Errors are JSON too, ``{"error": {"parameter": ..., "message": ...}}``: 400 for a bad
parameter, 404 for an unknown unit, 403 for a unit outside the caller's scope, 503
while the analytics tables are not built and 500 (logged) for anything unexpected.

Values hidden by small-cell suppression (``queries.privacy``) are ``null`` and listed by
code under ``suppressed`` (``previous_year_suppressed`` for the year before); a hidden
enrollment under the threshold (read "< 5" on screen) is listed under ``below_threshold``
too. In CSV the cell is empty and the ``suppressed`` column lists the codes.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math

import pandas as pd
from flask import Blueprint, Response, request

from dashboard import indicators
from dashboard.data.quality import CODES as CHECK_CODES
from dashboard.levels import CHILD_LEVEL, PARENT_LEVEL
from dashboard.urls import BadParameter
from dashboard.web.auth.web import current_scope
from dashboard.web.web_params import (
    FILTER_PARAMETERS,
    JsonError,
    check_code,
    install_json_errors,
    note_unit,
    query_params,
    read_filters_only,
    read_level,
    read_unit,
)
from queries import population, privacy
from queries.database import data_version
from queries.filters import Filters
from queries.imports import BATCH_COLUMNS as IMPORT_FIELDS
from queries.imports import REJECT_COLUMNS as REJECT_FIELDS
from queries.imports import UnknownBatch
from queries.imports import batch as import_batch
from queries.imports import batches as import_batches
from queries.imports import rejects as import_rejects
from queries.parity import Parity, gender_parity
from queries.quality import HIDDEN, unit_checks
from queries.stats import children_indicators, unit_indicators
from queries.units import UnknownUnit, children, get_unit, units

log = logging.getLogger(__name__)

api = Blueprint("api", __name__, url_prefix="/api/v1")

FORMATS = ("json", "csv")
UNIT_FIELDS = ("level", "code", "name_fr", "name_ar")
SCHOOL_FIELDS = ("cycle", "sector", "milieu", "latitude", "longitude")
#: The census population the rates to the population divide by, beside the indicators.
POPULATION_FIELDS = tuple(indicators.POPULATIONS.values())
CSV_HEADER = (*UNIT_FIELDS, *FILTER_PARAMETERS, *indicators.CODES, *POPULATION_FIELDS,
              "known_outcomes", "suppressed", "doubtful_denominator")
CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CACHE_CONTROL = "private, max-age=60"
#: Decimals kept per kind of indicator (counts are whole numbers).




# --- routes -------------------------------------------------------------------------------


@api.get("/indicators")
def unit_indicators_route() -> Response:
    """Every indicator of one unit for the filtered year and the year before."""
    params = query_params()
    level, code = read_unit(params)
    output = _format(params)
    filters = read_filters_only(params)
    scope = current_scope()
    unit = get_unit(level, code, scope)
    frame = unit_indicators(level, code, filters, scope).set_index("school_year")
    row, before = frame.loc[filters.year], frame.loc[filters.year - 1]
    current, hidden = _indicator_values(row), privacy.suppressed_codes(row)
    if output == "csv":
        rows = [_csv_row(unit, filters, current, _known_outcomes(row), hidden)]
        return _csv(CSV_HEADER, rows, f"pilotage-indicators-{level}-{code}-{filters.year}.csv")
    return _json({
        "unit": _unit_json(unit),
        "filters": filters.as_dict(),
        "indicators": current,
        "known_outcomes": _known_outcomes(row),
        "suppressed": hidden,
        "doubtful_denominator": _doubtful(current),
        **_parity_json(level, code, filters, scope),
        # the share of the country's pupils the database holds (the demo: a tenth), by
        # which the population was scaled
        "population_scale": population.scale(),
        "previous_year": _indicator_values(before),
        "previous_year_known_outcomes": _known_outcomes(before),
        "previous_year_suppressed": privacy.suppressed_codes(before),
        "below_threshold": _below_threshold(row),
        "previous_year_below_threshold": _below_threshold(before),
        "data_version": data_version(),
    })


def _below_threshold(row: pd.Series) -> list[str]:
    """Return the hidden codes whose value is under the threshold (read ``< 5``)."""
    return ["enrollment"] if privacy.is_small(row) else []


@api.get("/children")
def children_route() -> Response:
    """Every indicator of each child unit, children without pupils included."""
    params = query_params()
    level, code = read_unit(params)
    if level not in CHILD_LEVEL:
        raise BadParameter("level", f"a {level} has no child units; use one of "
                           f"{', '.join(CHILD_LEVEL)}")
    output = _format(params)
    filters = read_filters_only(params)
    scope = current_scope()
    unit = get_unit(level, code, scope)
    # The year before is read on its own: a child may have had pupils then and none now.
    current = children_indicators(level, code, filters, scope).set_index("code")
    before = filters.with_year(filters.year - 1)
    previous = children_indicators(level, code, before, scope).set_index("code")
    entries = [
        {
            "unit": _unit_json(member),
            "indicators": _child_values(current, member["code"]),
            "known_outcomes": _child_known(current, member["code"]),
            "suppressed": _child_suppressed(current, member["code"]),
            "doubtful_denominator": _doubtful(_child_values(current, member["code"])),
            "previous_year": _child_values(previous, member["code"]),
            "previous_year_known_outcomes": _child_known(previous, member["code"]),
            "previous_year_suppressed": _child_suppressed(previous, member["code"]),
        }
        for member in children(level, code, scope).to_dict("records")
    ]
    if output == "csv":
        rows = [_csv_row(entry["unit"], filters, entry["indicators"], entry["known_outcomes"],
                         entry["suppressed"]) for entry in entries]
        return _csv(CSV_HEADER, rows, f"pilotage-children-{level}-{code}-{filters.year}.csv")
    return _json({
        "unit": _unit_json(unit),
        "filters": filters.as_dict(),
        "children": entries,
        "data_version": data_version(),
    })


@api.get("/units")
def units_route() -> Response:
    """The units of one level, optionally only those under one parent."""
    params = query_params()
    level = read_level(params)
    note_unit(level)
    output = _format(params)
    parent = params.get("parent") or None
    scope = current_scope()
    if parent is not None:
        if level == "national":
            raise BadParameter("parent", "the national level has no parent")
        check_code("parent", parent)
        try:
            get_unit(PARENT_LEVEL[level], parent, scope)
        except UnknownUnit as error:
            raise JsonError(404, "parent", str(error)) from None
    fields = (*UNIT_FIELDS, "parent_code", *(SCHOOL_FIELDS if level == "school" else ()))
    records = [
        {name: _plain(row.get(name)) for name in fields}
        for row in units(level, parent, scope).to_dict("records")
    ]
    if output == "csv":
        rows = [[record[name] for name in fields] for record in records]
        suffix = f"-{parent}" if parent else ""
        return _csv(fields, rows, f"pilotage-units-{level}{suffix}.csv")
    return _json({"units": records, "data_version": data_version()})


@api.get("/imports")
def imports_route() -> Response:
    """The imports of MASSAR extracts the caller may see, newest first (see
    ``queries.imports`` for what a territorial user sees of them)."""
    params = query_params()
    output = _format(params)
    frame = import_batches(current_scope())
    records = [_batch_json(row) for row in frame.to_dict("records")]
    if output == "csv":
        header = (*IMPORT_FIELDS, "rejected_by_reason")
        rows = [[*(record[name] for name in IMPORT_FIELDS),
                 json.dumps(record["rejected_by_reason"], sort_keys=True)] for record in records]
        return _csv(header, rows, "pilotage-imports.csv")
    return _json({"imports": records})


@api.get("/quality")
def quality_route() -> Response:
    """The data-quality checks of one unit for the filtered year: per check the findings,
    what was examined and their rate, and the unit's quality score (docs/quality.md)."""
    params = query_params()
    level, code = read_unit(params)
    output = _format(params)
    filters = read_filters_only(params)
    scope = current_scope()
    unit = get_unit(level, code, scope)
    frame = unit_checks(level, code, filters, scope).set_index("check_code")
    checks = {check: {"count": _whole(frame.loc[check, "count"]),
                      "base": _whole(frame.loc[check, "base"]),
                      "rate": _rate(frame.loc[check, "rate"]),
                      "suppressed": bool(frame.loc[check, HIDDEN])} for check in CHECK_CODES}
    row = unit_indicators(level, code, filters, scope).set_index("school_year").loc[
        filters.year]
    score = None if privacy.is_suppressed(row, "quality_score") else _rate(
        row["quality_score"])
    if output == "csv":
        header = (*UNIT_FIELDS, *FILTER_PARAMETERS, "check", "count", "base", "rate",
                  "suppressed")
        rows = [[*(unit[name] for name in UNIT_FIELDS),
                 *(filters.as_dict()[name] for name in FILTER_PARAMETERS), check,
                 values["count"], values["base"], values["rate"], values["suppressed"]]
                for check, values in checks.items()]
        rows.append([*(unit[name] for name in UNIT_FIELDS),
                     *(filters.as_dict()[name] for name in FILTER_PARAMETERS), "score",
                     None, None, score, score is None and privacy.is_suppressed(
                         row, "quality_score")])
        return _csv(header, rows, f"pilotage-quality-{level}-{code}-{filters.year}.csv")
    return _json({"unit": _unit_json(unit), "filters": filters.as_dict(), "checks": checks,
                  "score": score, "data_version": data_version()})


@api.get("/imports/<batch>/rejects")
def import_rejects_route(batch: str) -> Response:
    """The rejected rows of one import batch the caller may see, by line."""
    params = query_params()
    output = _format(params)
    if not batch.isdigit() or len(batch) > 9:
        raise BadParameter("batch", "must be the whole number of an import batch")
    try:
        found = import_batch(int(batch), current_scope())
        frame = import_rejects(int(batch), current_scope())
    except UnknownBatch as error:
        raise JsonError(404, "batch", str(error)) from None
    records = [{name: _plain(row[name]) for name in REJECT_FIELDS}
               for row in frame.to_dict("records")]
    if output == "csv":
        rows = [[record[name] for name in REJECT_FIELDS] for record in records]
        return _csv(REJECT_FIELDS, rows, f"pilotage-import-{batch}-rejects.csv")
    return _json({"import": _batch_json(found), "rejects": records})


@api.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown_route(rest: str) -> Response:
    """Answer JSON for paths the API does not have (rather than the dashboard's page)."""
    routes = ("indicators", "children", "units", "imports", "quality")
    if rest.strip("/") in routes or rest.endswith("/rejects"):
        raise JsonError(405, None, f"{request.method} is not allowed here; use GET")
    raise JsonError(404, None, "no such API route; see /api/v1/indicators, /children, /units, "
                    "/imports, /quality")


# --- errors -------------------------------------------------------------------------------


install_json_errors(api, log, "API request")


@api.after_request
def _cache_headers(response: Response) -> Response:
    # Server errors are transient: never let a browser keep one.
    response.headers["Cache-Control"] = CACHE_CONTROL if response.status_code < 500 else (
        "no-store"
    )
    return response


# --- parameters ---------------------------------------------------------------------------


def _format(params: dict[str, str]) -> str:
    output = params.get("format") or "json"
    if output not in FORMATS:
        raise BadParameter("format", f"must be one of {', '.join(FORMATS)}")
    return output


# --- values and responses -----------------------------------------------------------------


def _indicator_values(row: pd.Series) -> dict[str, int | float | None]:
    """Return every indicator of a row; counts are whole, no data and hidden values None;
    then the population (census, public) the rates to the population divide by."""
    values: dict[str, int | float | None] = {}
    for indicator in indicators.INDICATORS:
        value = _plain(row.get(indicator.code))
        if privacy.is_suppressed(row, indicator.code):
            values[indicator.code] = None
        elif indicator.unit == "count":
            values[indicator.code] = int(value or 0)
        elif value is None:
            values[indicator.code] = None
        else:
            values[indicator.code] = round(float(value), indicators.DECIMALS[indicator.unit])
    for name in POPULATION_FIELDS:
        people = _plain(row.get(name))
        values[name] = None if people is None else round(float(people), 1)
    return values


def _parity_json(level: str, code: str, filters: Filters, scope) -> dict:
    """Return the gender parity index of each rate to the population (null where there is
    none, a school's or under a sex filter, and where hidden), and the hidden ones."""
    if level == "school":
        found = {rate: Parity(float("nan"), False) for rate in indicators.WITH_PARITY}
    else:
        found = gender_parity(level, code, filters, scope)
    return {
        "gender_parity_index": {rate: None if parity.hidden or math.isnan(parity.value)
                                else round(parity.value, 4) for rate, parity in found.items()},
        "gender_parity_index_suppressed": [rate for rate, parity in found.items()
                                           if parity.hidden],
    }


def _doubtful(values: dict[str, int | float | None]) -> list[str]:
    """Return the rates to the population above 105 %: "dénominateur douteux"."""
    return [i.code for i in indicators.INDICATORS if indicators.is_doubtful(i, values[i.code])]


def _child_values(frame: pd.DataFrame, code: str) -> dict[str, int | float | None]:
    """Return a child's indicators, or zero pupils and no data if it has no row."""
    row = frame.loc[code] if code in frame.index else pd.Series(dtype=float)
    return _indicator_values(row)


def _rate(value) -> float | None:
    """Return a rate as the API gives it (6 decimals), None for no data."""
    value = _plain(value)
    return None if value is None else round(float(value), indicators.DECIMALS["rate"])


def _whole(value) -> int | None:
    """Return a count as the API gives it, None where it is hidden."""
    value = _plain(value)
    return None if value is None else int(value)


def _known_outcomes(row: pd.Series) -> int | None:
    """Return the pupils whose end-of-year result is known, the base of the outcome rates
    (None when hidden)."""
    value = _plain(row.get("decided"))
    return None if value is None else int(value)


def _child_known(frame: pd.DataFrame, code: str) -> int | None:
    """Return a child's known results (zero if it has no row)."""
    return _known_outcomes(frame.loc[code]) if code in frame.index else 0


def _child_suppressed(frame: pd.DataFrame, code: str) -> list[str]:
    """Return the codes of a child's hidden indicators (none if it has no row)."""
    return privacy.suppressed_codes(frame.loc[code]) if code in frame.index else []


def _plain(value):
    """Return a JSON-ready Python value: NaN and missing become None, numpy becomes Python."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _batch_json(row: dict) -> dict:
    """Return one import batch as JSON values (its date in ISO form)."""
    record = {name: _plain(row[name]) for name in IMPORT_FIELDS}
    record["imported_at"] = pd.Timestamp(row["imported_at"]).isoformat()
    record["rejected_by_reason"] = dict(row["rejected_by_reason"])
    return record


def _unit_json(row: dict) -> dict[str, str]:
    return {name: row[name] for name in UNIT_FIELDS}


def _json(payload: dict, status: int = 200) -> Response:
    body = json.dumps(payload, ensure_ascii=False, allow_nan=False)
    return Response(body, status=status, mimetype="application/json")


def _csv_row(unit: dict, filters: Filters, values: dict, known: int | None,
             hidden: list[str]) -> list:
    return [
        *(unit[name] for name in UNIT_FIELDS),
        *(filters.as_dict()[name] for name in FILTER_PARAMETERS),
        *(values[code] for code in indicators.CODES),
        *(values[name] for name in POPULATION_FIELDS),
        known,
        " ".join(hidden),
        " ".join(_doubtful(values)),
    ]


def _csv(header, rows, filename: str) -> Response:
    """Return rows as UTF-8 CSV with a byte-order mark, so spreadsheets read Arabic names."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if cell is None else _csv_cell(cell) for cell in row])
    response = Response(("\ufeff" + buffer.getvalue()).encode("utf-8"),
                        mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _csv_cell(cell):
    """Keep text that a spreadsheet would run as a formula from being one."""
    if isinstance(cell, str) and cell.startswith(CSV_FORMULA_STARTS):
        return "'" + cell
    return cell
