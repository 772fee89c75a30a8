"""The audit log cannot be misled and misses nothing: refusals, callback reads, every export.

Each test plays an attack or a gap found against the running dashboard: a repeated
parameter read one way by the route and another by the log, refused requests that left no
trace, callback reads and the dashboard's briefing button that wrote nothing, and control
characters that forged lines in ``python -m dashboard audit``.
"""

from __future__ import annotations

import json
import unicodedata

import pytest

import exports.briefing_files as briefing
import exports.briefing_routes as briefing_routes
from dashboard import cli
from dashboard.app_state import state_of
from dashboard.web.auth.audit import recent
from exports import renderer
from exports.renderer import RenderError
from tests.conftest import client_as, log_in, make_app

VIEW = {"level": "province", "code": "141", "year": 2024, "cycle": "all", "sector": "all",
        "milieu": "all", "sex": "all", "indicator": "dropout_rate", "version": 1}
#: Outputs of callbacks one unit page fires together when it is drawn.
PAGE_CALLBACKS = (
    ("kpi-row", "children", "empty-notice", "children"),
    ("trend-chart", "figure"),
    ("map", "figure"),
    ("breakdown-sex", "figure"),
    ("breakdown-grade", "figure"),
    ("children-grid", "rowData", "children-grid", "columnDefs",
     "children-grid", "pinnedBottomRowData"),
    ("breadcrumb", "children", "view-subtitle", "children", "unit-level", "children",
     "unit-title", "children"),
)
#: Characters that move a terminal's cursor, end a line for ``str.splitlines`` or hide text.
FORGERS = "\r\n\x1b[2K\x85\u2028\u202e\x00"


@pytest.fixture(scope="module")
def app(tiny_url, backend, tmp_path_factory):
    """An app of its own, so that its audit log and read window start empty."""
    return make_app(tiny_url, tmp_path_factory.mktemp("audit"), backend)


@pytest.fixture()
def state(app):
    return state_of(app.server).state_engine


@pytest.fixture()
def since(state) -> int:
    """The id of the newest entry before the test acts."""
    entries = recent(state, 1)
    return entries[0]["id"] if entries else 0


def written(state, since: int, event: str | None = None) -> list[dict]:
    """Return the entries written after ``since``, oldest first, details decoded."""
    entries = [{**e, "detail": json.loads(e["detail"]) if e["detail"] else {}}
               for e in reversed(recent(state, 500)) if e["id"] > since]
    return [e for e in entries if event is None or e["event"] == event]


def post_callback(client, outputs: tuple[str, ...], view: dict, headers: dict | None = None):
    """POST Dash's callback endpoint as a page does, for outputs given as id, property pairs."""
    pairs = [{"id": outputs[i], "property": outputs[i + 1]} for i in range(0, len(outputs), 2)]
    # the ranking also reads its order, kept apart from the view
    order = [{"id": "view-sort", "property": "data", "value": None}] * (
        outputs[0] == "children-grid")
    body = {
        "output": _output_key(pairs),
        "outputs": pairs if len(pairs) > 1 else pairs[0],
        "inputs": [{"id": "view", "property": "data", "value": view},
                   {"id": "page-unit", "property": "data",
                    "value": {"level": view["level"], "code": view["code"]}}, *order],
        "changedPropIds": ["view.data"],
        "state": [],
    }
    return client.post("/_dash-update-component", json=body, headers=headers or {})


def _output_key(pairs: list[dict]) -> str:
    """Dash's name of a callback's outputs: ``a.b`` alone, ``..a.b...c.d..`` for several."""
    names = [f"{p['id']}.{p['property']}" for p in pairs]
    return names[0] if len(names) == 1 else f"..{'...'.join(names)}.."


def press_briefing_button(client, fmt: str, view: dict):
    """POST the callback the Briefing PowerPoint (or PDF) button fires."""
    button = f"briefing-{fmt}"
    body = {
        "output": "..briefing-download.data...briefing-status.children..",
        "outputs": [{"id": "briefing-download", "property": "data"},
                    {"id": "briefing-status", "property": "children"}],
        "inputs": [{"id": "briefing-pptx", "property": "n_clicks",
                    "value": 1 if fmt == "pptx" else None},
                   {"id": "briefing-pdf", "property": "n_clicks",
                    "value": 1 if fmt == "pdf" else None}],
        "state": [{"id": "view", "property": "data", "value": view},
                  {"id": "page-unit", "property": "data",
                   "value": {"level": view["level"], "code": view["code"]}},
                  {"id": "view-sort", "property": "data", "value": None}],
        "changedPropIds": [f"{button}.n_clicks"],
    }
    return client.post("/_dash-update-component", json=body)


# --- a repeated parameter is refused, not read two ways -------------------------------------


@pytest.mark.parametrize(("username", "path"), [
    # today the route reads region 1 and the log says region 6
    ("national", "/api/v1/indicators?level=region&code=6&code=1"),
    ("national", "/export/data/kpis.csv?level=region&code=6&code=1"),
    ("region6", "/api/v1/children?level=region&code=6&code=1"),
    ("region6", "/export/chart/map.png?level=region&code=6&code=1"),
    ("region6", "/export/briefing.pptx?level=region&code=6&code=1"),
])
def test_a_repeated_parameter_is_refused_and_logged_with_every_value(app, state, since,
                                                                     username, path):
    response = client_as(app, username).get(path)
    assert response.status_code == 400
    assert response.get_json() == {
        "error": {"parameter": "code", "message": "given more than once; give it once"}}
    entry, = written(state, since)[-1:]
    assert entry["event"] in ("api_refused", "export_refused")
    assert entry["detail"]["status"] == 400 and entry["detail"]["params"]["code"] == ["6", "1"]
    assert entry["unit"] == "region:6,1"


@pytest.mark.parametrize("query", [
    "level=national&year=2024&year=2023",
    "level=national&note=a&note=b",
    "level=province&parent=6&parent=1",
])
def test_any_repeated_parameter_is_refused_even_one_the_route_ignores(app, query):
    response = client_as(app).get(f"/api/v1/units?{query}")
    assert response.status_code == 400
    name = query.rsplit("&", 1)[1].split("=")[0]
    assert response.get_json()["error"]["parameter"] == name


def test_a_parameter_cannot_overwrite_what_the_log_says_was_served(app, state, since):
    client = client_as(app)
    response = client.get("/api/v1/indicators?level=region&code=6&path=/api/v1/units&status=403")
    assert response.status_code == 200
    entry, = written(state, since, "api_read")
    assert entry["unit"] == "region:6"
    assert entry["detail"]["path"] == "/api/v1/indicators"
    assert entry["detail"]["status"] == 200
    assert entry["detail"]["params"]["path"] == "/api/v1/units"


# --- refusals are recorded ----------------------------------------------------------------


@pytest.mark.parametrize(("path", "event"), [
    ("/api/v1/indicators?level=region&code=1", "api_refused"),
    ("/api/v1/children?level=region&code=1", "api_refused"),
    ("/export/data/ranking.xlsx?level=region&code=1", "export_refused"),
    ("/export/chart/map.png?level=region&code=1", "export_refused"),
    ("/export/briefing.pdf?level=region&code=1", "export_refused"),
])
def test_a_request_outside_the_scope_is_recorded_with_why(app, state, since, path, event):
    response = client_as(app, "region6").get(path)
    assert response.status_code == 403
    entry = written(state, since, event)[-1]
    assert entry["username"] == "region6" and entry["unit"] == "region:1"
    assert entry["address"] == "127.0.0.1"
    assert entry["detail"]["status"] == 403 and entry["detail"]["parameter"] == "code"
    assert "outside your scope" in entry["detail"]["reason"]


def test_a_bad_value_is_recorded_but_an_anonymous_request_is_not(app, state, since):
    client = client_as(app, "province141")
    assert client.get("/export/data/kpis.csv?level=province&code=141&year=1999"
                      ).status_code == 400
    anonymous = app.server.test_client()
    assert anonymous.get("/api/v1/indicators?level=national").status_code == 401
    entry, = written(state, since, "export_refused")
    assert entry["unit"] == "province:141" and entry["username"] == "province141"
    assert entry["detail"]["parameter"] == "year" and entry["detail"]["status"] == 400
    assert [e["event"] for e in written(state, since)] == ["login", "export_refused"]


# --- callback reads -----------------------------------------------------------------------


def test_a_page_view_writes_one_callback_read_naming_its_unit_and_outputs(app, state, since):
    client = client_as(app, "province141")
    view = {**VIEW, "sex": "F"}
    for outputs in PAGE_CALLBACKS:
        assert post_callback(client, outputs, view).status_code == 200
    entries = written(state, since, "callback_read")
    assert len(entries) == 1
    entry = entries[0]
    assert entry["username"] == "province141" and entry["unit"] == "province:141"
    assert entry["address"] == "127.0.0.1"
    assert entry["detail"]["outputs"] == ["kpi-row.children", "empty-notice.children"]
    assert entry["detail"]["view"] == {"year": "2024", "cycle": "all", "sector": "all",
                                       "milieu": "all", "sex": "F", "indicator": "dropout_rate"}


def test_each_view_and_each_user_is_recorded(app, state, since):
    national = client_as(app, "national")
    for view in ({**VIEW, "cycle": "college"}, {**VIEW, "cycle": "college", "year": 2023},
                 {**VIEW, "level": "province", "code": "81", "cycle": "college"}):
        post_callback(national, ("trend-chart", "figure"), view)
        post_callback(national, ("map", "figure"), view)  # same view: not written again
    post_callback(client_as(app, "province141"), ("map", "figure"), {**VIEW, "cycle": "college"})
    reads = [(e["username"], e["unit"], e["detail"]["view"]["year"])
             for e in written(state, since, "callback_read")]
    assert reads == [("national", "province:141", "2024"), ("national", "province:141", "2023"),
                     ("national", "province:81", "2024"), ("province141", "province:141", "2024")]


def test_a_refused_callback_is_always_recorded(app, state, since):
    client = client_as(app, "province141")
    view = {**VIEW, "milieu": "rural"}
    for _ in range(2):
        response = post_callback(client, ("kpi-row", "children", "empty-notice", "children"),
                                 view, headers={"Origin": "https://evil.example"})
        assert response.status_code == 403
    entries = written(state, since, "callback_refused")
    assert len(entries) == 2
    assert entries[0]["unit"] == "province:141" and entries[0]["detail"]["status"] == 403
    assert entries[0]["detail"]["reason"] == "requête d’un autre site refusée"
    assert entries[0]["detail"]["outputs"] == ["kpi-row.children", "empty-notice.children"]


def test_a_callback_too_deep_to_read_is_recorded_without_a_traceback(app, state, since, caplog):
    client = client_as(app, "province141")
    deep = '{"output": "kpi-row.children", "inputs": ' + "[" * 40_000 + "]" * 40_000 + "}"
    response = client.post("/_dash-update-component", data=deep,
                           headers={"Content-Type": "application/json", "Origin": "null"})
    assert response.status_code in (400, 403)  # malformed, or from another site
    entry, = written(state, since, "callback_refused")
    assert entry["detail"]["status"] == response.status_code
    assert entry["unit"] is None and entry["detail"]["outputs"] == []
    assert not [r for r in caplog.records if r.name == "pilotage.audit"]


# --- every export, whatever the route -----------------------------------------------------


@pytest.mark.parametrize("fmt", ["pptx", "pdf"])
def test_the_briefing_button_records_the_file_it_built(app, state, since, monkeypatch, fmt):
    built = b"%briefing%" * 50_000
    monkeypatch.setattr(briefing, f"build_{fmt}", lambda view, scope: built)
    view = {**VIEW, "code": "141", "cycle": "primaire"}
    response = press_briefing_button(client_as(app, "province141"), fmt, view)
    assert response.status_code == 200 and "briefing-download" in response.get_data(as_text=True)
    entry, = written(state, since, "export")
    assert entry["username"] == "province141" and entry["unit"] == "province:141"
    assert entry["address"] == "127.0.0.1"
    assert entry["detail"]["via"] == "callback" and entry["detail"]["bytes"] == len(built)
    assert entry["detail"]["file"] == f"briefing_abandon_province-141_primaire_2024-2025.{fmt}"
    assert entry["detail"]["view"]["cycle"] == "primaire"


def test_a_briefing_the_button_could_not_build_is_recorded(app, state, since, monkeypatch):
    def broken(view, scope):
        raise RenderError("Chromium went away")

    monkeypatch.setattr(briefing, "build_pptx", broken)
    response = press_briefing_button(client_as(app, "province141"), "pptx", VIEW)
    assert response.status_code == 200
    entry, = written(state, since, "export_refused")
    assert entry["unit"] == "province:141" and "renderer" in entry["detail"]["reason"]


def test_route_exports_record_the_file_and_its_size(app, state, since, monkeypatch):
    monkeypatch.setattr(renderer, "render", lambda figure, fmt, w, h, scale: b"\x89PNG" * 100)
    monkeypatch.setitem(briefing_routes.BUILDERS, "pptx",
                        (lambda view, scope: b"p" * 1234, briefing.PPTX_MIMETYPE))
    client = client_as(app, "region6")
    for path in ("/export/chart/map.png?level=region&code=6",
                 "/export/data/ranking.csv?level=region&code=6",
                 "/export/briefing.pptx?level=region&code=6"):
        response = client.get(path)
        assert response.status_code == 200, response.get_data(as_text=True)
    entries = written(state, since, "export")
    assert [e["detail"]["path"] for e in entries] == [
        "/export/chart/map.png", "/export/data/ranking.csv", "/export/briefing.pptx"]
    assert [e["unit"] for e in entries] == ["region:6"] * 3
    assert entries[0]["detail"]["bytes"] == 400 and entries[2]["detail"]["bytes"] == 1234
    assert entries[2]["detail"]["file"].endswith(".pptx")
    assert all(e["detail"]["status"] == 200 for e in entries)


# --- printing the log ---------------------------------------------------------------------


def test_printable_escapes_every_character_that_could_forge_or_hide_text():
    from dashboard.web.auth.audit import printable

    shown = printable(f"a{FORGERS}b مدرسة")
    assert shown == "a\\x0d\\x0a\\x1b[2K\\x85\\u2028\\u202e\\x00b مدرسة"


def test_the_audit_command_prints_one_line_per_entry_with_the_address(
        app, state, since, monkeypatch, capsys):
    client = app.server.test_client()
    forged = f"x{FORGERS}2099-01-01 00:00:00  login  national"
    log_in(client, forged, "wrong-password")
    assert log_in(client, "region6").status_code == 302
    ignored = {"level": "region", "code": "6", "note": forged}
    assert client.get("/api/v1/indicators", query_string=ignored).status_code == 200
    bad_code = {"level": "region", "code": "6" + forged}
    assert client.get("/api/v1/indicators", query_string=bad_code).status_code == 400
    count = len(written(state, since))
    url = str(state.url)
    monkeypatch.setenv("PILOTAGE_STATE_DATABASE_URL", url)
    assert cli.main(["audit", "--limit", str(count)]) == 0
    lines = capsys.readouterr().out.split("\n")
    assert lines.pop() == ""
    assert len(lines) == count >= 4
    for line in lines:
        assert not [ch for ch in line if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")]
        assert len(line.splitlines()) == 1
        assert " 127.0.0.1 " in line
    assert "2099-01-01" not in "".join(line[:20] for line in lines)
