"""Forged callback requests: what an attacker posts to /_dash-update-component by hand.

Every data callback of the app (every callback that reads the view store, found in the
app's callback map, so that a new one is covered without editing this file) is posted
by the school, province and region roles with a view outside their scope: it must
answer 403 with no number at all. Malformed view stores and malformed requests answer
400. Nothing an attacker sends may leave a traceback in the log.
"""

from __future__ import annotations

import json
import logging
import re

import pytest

from tests.conftest import ACCOUNTS, client_as, make_app, query

CALLBACK_PATH = "/_dash-update-component"
VIEW = ("view", "data")
PAGE_UNIT = ("page-unit", "data")
#: Values of the other inputs, as a browser would send them (a click, a cell, a button).
SAMPLE_INPUTS = {
    ("map", "clickData"): {"points": [{"location": "81", "customdata": "81"}]},
    ("children-grid", "cellClicked"): {"rowId": "81", "rowIndex": 0, "colId": "name"},
    ("children-grid", "rowData"): [{"code": "81"}],
    ("briefing-pptx", "n_clicks"): 1,
    ("search-box", "value"): "anfa",
    ("rank-level", "value"): "school",
}
#: Concrete values of the wildcard keys of pattern-matching ids.
PATTERN_VALUES = {"chart": "map", "images": True}


# --- the app, its accounts and the units they may not see ---------------------------------


@pytest.fixture(scope="module")
def units(tiny_engine) -> dict[str, str]:
    """Codes of the units the attacks aim at, read from the tiny database."""
    schools = [code for (code,) in query(tiny_engine, """
        SELECT code FROM school WHERE commune_code = '141.1.1' ORDER BY code LIMIT 2""")]
    (far_school,) = query(tiny_engine, """
        SELECT s.code FROM school s JOIN commune c ON c.code = s.commune_code
        WHERE c.province_code = '81' ORDER BY s.code LIMIT 1""")[0]
    (far_commune,) = query(tiny_engine,
                           "SELECT commune_code FROM school WHERE code = :code",
                           code=far_school)[0]
    return {"school": schools[0], "neighbour": schools[1], "far_school": far_school,
            "far_commune": far_commune}


@pytest.fixture(scope="module")
def app(tiny_url, units, backend, tmp_path_factory):
    """The app on the tiny database, with a school account besides the others."""
    accounts = (*ACCOUNTS, ("school", "school", units["school"]))
    return make_app(tiny_url, tmp_path_factory.mktemp("forged"), backend, accounts)


@pytest.fixture(scope="module")
def clients(app) -> dict[str, object]:
    """One logged-in test client per role."""
    return {name: client_as(app, name) for name in ("national", "region6", "province141",
                                                    "school")}


def attacks(units: dict[str, str]) -> dict[str, list[tuple[str, str]]]:
    """The units each role must not read: the nation, its own ancestors, other subtrees."""
    elsewhere = [("region", "5"), ("province", "81"), ("commune", units["far_commune"]),
                 ("school", units["far_school"])]
    return {
        "region6": [("national", "MA"), *elsewhere],
        "province141": [("national", "MA"), ("region", "6"), *elsewhere],
        "school": [("national", "MA"), ("region", "6"), ("province", "141"),
                   ("commune", "141.1.1"), ("school", units["neighbour"]), *elsewhere],
    }


# --- building requests from the callback map ----------------------------------------------


def view_store(level: str, code: str, **overrides) -> dict:
    """Return a view store as the page writes it."""
    data = {"level": level, "code": code, "year": 2024, "cycle": "all", "sector": "all",
            "milieu": "all", "sex": "all", "indicator": "dropout_rate", "version": 1}
    data.update(overrides)
    return data


def server_callbacks(app) -> dict[str, dict]:
    """Every callback the server answers (clientside ones have no function here)."""
    return {key: spec for key, spec in app.callback_map.items() if "callback" in spec}


def data_callbacks(app) -> dict[str, dict]:
    """Every server callback that reads the view store, or fires on the unit on screen."""
    return {key: spec for key, spec in server_callbacks(app).items()
            if VIEW in _dependencies(spec)
            or PAGE_UNIT in [(item["id"], item["property"]) for item in spec["inputs"]]}


def _dependencies(spec: dict) -> list[tuple[str, str]]:
    return [(item["id"], item["property"]) for item in spec["inputs"] + spec["state"]]


def _concrete(pattern: dict) -> dict:
    """Return one id matching a pattern-matching id (its wildcards filled in).

    Wildcards read ``["ALL"]`` in the callback map's inputs and are objects in outputs.
    """
    return {key: value if isinstance(value, (str, int, float)) else PATTERN_VALUES.get(key, "x")
            for key, value in pattern.items()}


def _item(dependency: dict, values: dict) -> dict | list:
    key = (dependency["id"], dependency["property"])
    if dependency["id"].startswith("{"):  # pattern-matching: a list of matched components
        concrete = _concrete(json.loads(dependency["id"]))
        value = concrete if dependency["property"] == "id" else values.get(key)
        return [{"id": concrete, "property": dependency["property"], "value": value}]
    return {"id": dependency["id"], "property": dependency["property"],
            "value": values.get(key)}


def _outputs(spec: dict) -> dict | list:
    def one(output):
        if isinstance(output.component_id, dict):
            concrete = _concrete(output.component_id)
            return [{"id": concrete, "property": output.component_property}]
        return {"id": output.component_id, "property": output.component_property}

    declared = spec["output"]
    return [one(o) for o in declared] if isinstance(declared, list) else one(declared)


def body(key: str, spec: dict, values: dict) -> dict:
    """Return the request a browser would post for the callback ``key``."""
    first = spec["inputs"][0]
    request = {"output": key, "outputs": _outputs(spec),
               "inputs": [_item(d, values) for d in spec["inputs"]],
               "changedPropIds": [f"{first['id']}.{first['property']}"]}
    if spec["state"]:  # the browser leaves the key out when there is no state
        request["state"] = [_item(d, values) for d in spec["state"]]
    return request


def forged_values(level: str, code: str, **view_overrides) -> dict:
    """Return the inputs of a forged request about one unit."""
    return {**SAMPLE_INPUTS, VIEW: view_store(level, code, **view_overrides),
            PAGE_UNIT: {"level": level, "code": code}}


def post(client, payload):
    """POST a callback request (a dict as JSON, a string as it is)."""
    if isinstance(payload, (str, bytes)):
        return client.post(CALLBACK_PATH, data=payload, content_type="application/json")
    return client.post(CALLBACK_PATH, json=payload)


def assert_no_traceback(caplog) -> None:
    """No log record carries an exception, and nothing was logged as an error."""
    bad = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert not bad, [r.getMessage() for r in bad]


def assert_refused(response, status: int) -> None:
    """The answer is a refusal with no data: the status, an error, no digit at all."""
    text = response.get_data(as_text=True)
    assert response.status_code == status, (response.status_code, text[:300])
    assert "Traceback" not in text
    answer = json.loads(text)
    assert set(answer) == {"error"}, text[:300]
    assert not re.search(r"[0-9]", text), text[:300]


# --- out-of-scope views -------------------------------------------------------------------


KPIS = "..kpi-row.children...empty-notice.children.."
#: Components whose callbacks read the view store today (new ones are found as well).
KNOWN = ("kpi-row", "map.figure", "children-grid", "trend-chart", "breadcrumb",
         "breakdown-grade", "breakdown-sex", "breakdown-milieu", "breakdown-sector",
         "school-enrollment", "school-comparison", "school-exams", "school-outcomes",
         "export-menu", "briefing-download", "url.href", "map-title", "search-results",
         "url.search")


def own_units(units: dict[str, str]) -> dict[str, tuple[str, str]]:
    return {"region6": ("region", "6"), "province141": ("province", "141"),
            "school": ("school", units["school"]), "national": ("national", "MA")}


@pytest.mark.parametrize("role", ["school", "province141", "region6"])
def test_out_of_scope_views_are_refused_by_every_data_callback(app, clients, units, role,
                                                                caplog):
    caplog.set_level(logging.INFO)
    callbacks = data_callbacks(app)
    assert all(any(name in key for key in callbacks) for name in KNOWN)
    # the role's own unit is drawn: the refusals below are about scope, not about the role
    own = post(clients[role], body(KPIS, callbacks[KPIS], forged_values(*own_units(units)[role])))
    assert own.status_code == 200 and "kpi-enrollment" in own.get_data(as_text=True)
    tried = 0
    for level, code in attacks(units)[role]:
        for key, spec in callbacks.items():
            response = post(clients[role], body(key, spec, forged_values(level, code)))
            assert_refused(response, 403)
            tried += 1
    assert tried >= len(attacks(units)[role]) * len(KNOWN)
    assert_no_traceback(caplog)


def test_a_school_user_cannot_read_numbers_of_wider_units(clients, units, app, caplog):
    """The reported attack: the cards of 'national' computed on the user's school alone,
    while the school's own page (drawn as before) hides what is too small."""
    caplog.set_level(logging.INFO)
    for level, code in [("national", "MA"), ("commune", "141.1.1")]:
        response = post(clients["school"], body(KPIS, app.callback_map[KPIS],
                                                forged_values(level, code)))
        assert_refused(response, 403)
        assert "kpi-enrollment" not in response.get_data(as_text=True)
    for name in (KPIS, "school-enrollment.figure", "map.figure", "trend-chart.figure"):
        response = post(clients["school"], body(name, app.callback_map[name],
                                                forged_values("school", units["school"])))
        assert response.status_code == 200, (name, response.get_data(as_text=True)[:300])
    assert_no_traceback(caplog)


def test_a_forged_map_lists_no_other_territory(clients, app, caplog):
    caplog.set_level(logging.INFO)
    spec = app.callback_map["map.figure"]
    for role, (level, code) in [("province141", ("region", "5")),
                                ("region6", ("province", "81")),
                                ("province141", ("province", "81"))]:
        response = post(clients[role], body("map.figure", spec, forged_values(level, code)))
        assert_refused(response, 403)
        assert "geojson" not in response.get_data(as_text=True)
    assert_no_traceback(caplog)


def test_every_data_callback_answers_cleanly_at_every_level(app, clients, units, caplog):
    """In scope, each data callback draws, or draws nothing for a level it does not apply
    to (the browser may ask a school chart about the commune it goes back to): never an
    error."""
    caplog.set_level(logging.INFO)
    levels = [("national", "MA"), ("region", "6"), ("province", "141"),
              ("commune", "141.1.1"), ("school", units["school"])]
    for level, code in levels:
        values = {VIEW: view_store(level, code), PAGE_UNIT: {"level": level, "code": code}}
        for key, spec in data_callbacks(app).items():
            response = post(clients["national"], body(key, spec, values))
            assert response.status_code in (200, 204), (key, level, response.status_code)
    assert_no_traceback(caplog)


# --- malformed view stores ----------------------------------------------------------------

MALFORMED_VIEWS = {
    "year as text": view_store("province", "141", year="abc"),
    "year as a digit string": view_store("province", "141", year="2024"),
    "year not available": view_store("province", "141", year=1999),
    "year as a boolean": view_store("province", "141", year=True),
    "year as a float": view_store("province", "141", year=2024.5),
    "code as a list": view_store("province", ["141", "81"]),
    "code as a number": view_store("province", 141),
    "code with quotes": view_store("province", "141' OR '1'='1"),
    "code too long": view_store("province", "1" * 200),
    "empty code": view_store("province", ""),
    "unknown level": view_store("galaxy", "141"),
    "level as a list": view_store(["province"], "141"),
    "unknown cycle": view_store("province", "141", cycle="lycee"),
    "sex as a list": view_store("province", "141", sex=["F", "M"]),
    "unknown indicator": view_store("province", "141", indicator="password"),
    "version as text": view_store("province", "141", version="1"),
    "version as a list": view_store("province", "141", version=[1]),
    "a key missing": {k: v for k, v in view_store("province", "141").items() if k != "sex"},
    "an unknown key": {**view_store("province", "141"), "scope": "national"},
    "a list": ["province", "141"],
    "a string": "province/141",
    "a number": 141,
}


@pytest.mark.parametrize("case", sorted(MALFORMED_VIEWS))
def test_malformed_view_stores_answer_400(app, clients, case, caplog):
    caplog.set_level(logging.INFO)
    bad = MALFORMED_VIEWS[case]
    for key, spec in data_callbacks(app).items():
        if VIEW not in _dependencies(spec):
            continue
        values = {**SAMPLE_INPUTS, VIEW: bad, PAGE_UNIT: {"level": "province", "code": "141"}}
        response = post(clients["national"], body(key, spec, values))
        assert_refused(response, 400)
    assert_no_traceback(caplog)


@pytest.mark.parametrize("page_unit", [
    {"level": "province", "code": ["141"]}, {"level": "province"}, ["province", "141"],
    "province", {"level": "province", "code": "141", "extra": 1},
])
def test_malformed_page_unit_answers_400(app, clients, page_unit, caplog):
    caplog.set_level(logging.INFO)
    for key, spec in data_callbacks(app).items():
        if PAGE_UNIT not in _dependencies(spec):
            continue
        values = {VIEW: view_store("province", "141"), PAGE_UNIT: page_unit}
        assert_refused(post(clients["national"], body(key, spec, values)), 400)
    assert_no_traceback(caplog)


def test_an_unknown_unit_answers_404(app, clients, caplog):
    caplog.set_level(logging.INFO)
    for key, spec in data_callbacks(app).items():
        response = post(clients["national"], body(key, spec, forged_values("region", "99")))
        assert_refused(response, 404)
    assert_no_traceback(caplog)


# --- malformed requests -------------------------------------------------------------------



def _kpi_body(app, **changes) -> dict:
    request = body(KPIS, app.callback_map[KPIS], forged_values("province", "141"))
    request.update(changes)
    return request


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def _deep_view(app, depth: int) -> str:
    """Return a well-formed kpi request whose view store is ``depth`` lists deep."""
    request = _kpi_body(app)
    request["inputs"][0]["value"] = "@nested@"
    return json.dumps(request).replace('"@nested@"', _nested(depth))


def malformed_requests(app) -> dict[str, object]:
    kpis = _kpi_body(app)
    view_item, page_item = kpis["inputs"]
    return {
        "40,000-deep nesting": _deep_view(app, 40_000),
        "200-deep nesting": _deep_view(app, 200),
        "unknown output": _kpi_body(app, output="nope.children"),
        "output as a list": _kpi_body(app, output=[KPIS]),
        "clientside output": {**kpis, "output": next(
            k for k, s in app.callback_map.items() if "callback" not in s)},
        "an input missing": _kpi_body(app, inputs=[view_item]),
        "an input too many": _kpi_body(app, inputs=[view_item, page_item, page_item]),
        "inputs swapped": _kpi_body(app, inputs=[page_item, view_item]),
        "inputs as a dict": _kpi_body(app, inputs=view_item),
        "input without id": _kpi_body(app, inputs=[{"property": "data", "value": 1},
                                                  page_item]),
        "outputs missing one": _kpi_body(app, outputs=[{"id": "kpi-row",
                                                        "property": "children"}]),
        "outputs as a string": _kpi_body(app, outputs="kpi-row.children"),
        "changed ids as a dict": _kpi_body(app, changedPropIds=[{"view": "data"}]),
        "state that is not declared": _kpi_body(app, state=[view_item]),
        "a list as the body": [kpis],
        "a string as the body": json.dumps("kpi-row"),
        "not JSON": "{output: kpi-row",
    }


MALFORMED_REQUESTS = ("40,000-deep nesting", "200-deep nesting", "unknown output",
                      "output as a list", "clientside output", "an input missing",
                      "an input too many", "inputs swapped", "inputs as a dict",
                      "input without id", "outputs missing one", "outputs as a string",
                      "changed ids as a dict", "state that is not declared",
                      "a list as the body", "a string as the body", "not JSON")


@pytest.mark.parametrize("case", MALFORMED_REQUESTS)
def test_malformed_requests_answer_400(app, clients, case, caplog):
    caplog.set_level(logging.INFO)
    requests = malformed_requests(app)
    assert set(requests) == set(MALFORMED_REQUESTS)
    response = post(clients["national"], requests[case])
    text = response.get_data(as_text=True)
    assert response.status_code == 400, (response.status_code, text[:200])
    assert "Traceback" not in text and "response" not in json.loads(text)
    assert_no_traceback(caplog)


def test_a_list_code_never_reaches_the_database(app, clients, monkeypatch):
    import queries.database

    seen = []
    original = queries.database.read

    def spy(select):
        seen.append(select)
        return original(select)

    monkeypatch.setattr(queries.database, "read", spy)
    for module in ("queries.stats", "queries.units"):
        monkeypatch.setattr(f"{module}.read", spy)
    request = _kpi_body(app)
    request["inputs"][0]["value"] = view_store("commune", ["141.1.1", "81.1.1"])
    request["inputs"][1]["value"] = {"level": "commune", "code": ["141.1.1", "81.1.1"]}
    assert post(clients["national"], request).status_code == 400
    assert seen == []


# --- every input of every callback, given a value of the wrong type -----------------------

WRONG_VALUES = ["abc", ["141"], {"level": ["x"]}, 12345, True, [[[]]]]


def test_wrong_input_types_never_fail_a_callback(app, clients, caplog, monkeypatch):
    """Whatever a forged request puts in any input of any callback, the answer is a
    drawing, nothing, or a 400: never a server error."""
    import exports.briefing_files

    for build in ("build_pptx", "build_pdf"):  # a click count is valid: skip the rendering
        monkeypatch.setattr(exports.briefing_files, build, lambda view, scope: b"pack")
    caplog.set_level(logging.INFO)
    base = {VIEW: view_store("province", "141"), PAGE_UNIT: {"level": "province",
                                                            "code": "141"}}
    tried = 0
    for key, spec in server_callbacks(app).items():
        for dependency in spec["inputs"] + spec["state"]:
            target = (dependency["id"], dependency["property"])
            for wrong in WRONG_VALUES:
                response = post(clients["national"], body(key, spec, {**base, target: wrong}))
                assert response.status_code in (200, 204, 400), (
                    key, target, wrong, response.get_data(as_text=True)[:200])
                if target in (VIEW, PAGE_UNIT):
                    assert response.status_code == 400, (key, target, wrong)
                tried += 1
    assert tried > 100
    assert_no_traceback(caplog)
