"""Callbacks called as plain functions: the numbers they show and the URLs they write."""

from __future__ import annotations

from contextvars import copy_context

import plotly.graph_objects as go
import pytest
from dash._callback_context import context_value
from dash._utils import AttributeDict
from dash.exceptions import PreventUpdate

from callbacks import navigation, unit
from callbacks.panels import DRAW
from dashboard.formatting import format_count, format_rate
from panels import registry
from tests.conftest import query, request_as

PAGE = {"level": "province", "code": "141"}


def call(function, *args, trigger: str | None = None):
    """Run a callback as Dash would, with ``trigger`` as the input that fired it."""
    def run():
        triggered = [{"prop_id": trigger, "value": None}] if trigger else []
        context_value.set(AttributeDict(triggered_inputs=triggered))
        return function(*args)

    return copy_context().run(run)


def view(level="province", code="141", **overrides):
    data = {"level": level, "code": code, "year": 2024, "cycle": "all", "sector": "all",
            "milieu": "all", "sex": "all", "indicator": "dropout_rate"}
    data.update(overrides)
    return data


@pytest.fixture()
def request_context(tiny_app):
    with request_as(tiny_app):
        yield


def _text(component) -> str:
    """Return every string and class name inside a component tree."""
    if component is None:
        return ""
    if isinstance(component, (str, int, float)):
        return str(component)
    if isinstance(component, (list, tuple)):
        return " ".join(_text(c) for c in component)
    props = component.to_plotly_json()["props"]
    parts = [str(props.get("className", "")), str(props.get("id", ""))]
    return " ".join(parts + [_text(props.get("children"))])


def test_url_change_sets_controls_and_view(request_context):
    result = call(navigation.synchronise, "/province/141", "?year=2023&cycle=college",
                  2024, "all", "all", "all", "all", "dropout_rate", trigger="url.search")
    search, store, sort, notices, options, *controls = result
    assert store == {**view(year=2023, cycle="college"), "version": 1}
    assert sort is None
    assert controls == [2023, "college", "all", "all", "all", "dropout_rate"]
    assert notices == []
    assert [o["value"] for o in options] == [2024, 2023, 2022, 2021]


def test_control_change_writes_the_url(request_context):
    result = call(navigation.synchronise, "/region/6", "?year=2024",
                  2022, "all", "prive", "all", "F", "success_rate_BAC",
                  trigger="filter-sector.value")
    assert result[0] == "?year=2022&sector=prive&sex=F&indicator=success_rate_BAC"
    assert result[1] == {**view("region", "6", year=2022, sector="prive", sex="F",
                                indicator="success_rate_BAC"), "version": 1}


def test_bad_url_parameter_gives_a_notice_and_the_default(request_context):
    result = call(navigation.synchronise, "/province/141", "?year=1999&sex=Z",
                  None, None, None, None, None, None)
    assert result[1]["year"] == 2024 and result[1]["sex"] == "all"
    assert len(result[3]) == 2


def test_a_filter_change_keeps_the_ranked_level_and_the_order(request_context):
    result = call(navigation.synchronise, "/region/6", "?year=2024&rank=commune&sort=-change",
                  2022, "all", "all", "all", "all", "dropout_rate",
                  trigger="filter-year.value")
    assert result[0] == "?year=2022&rank=commune&sort=-change"
    assert result[1] == {**view("region", "6", year=2022, rank="commune"), "version": 1}
    assert result[2] == "-change"


def test_render_page_for_each_kind_of_path(request_context, tiny_engine):
    (school,) = query(tiny_engine, "SELECT code FROM school ORDER BY code LIMIT 1")[0]
    province, unit, title = call(navigation.render_page, "/province/141")
    assert not isinstance(province, list)  # Dash renders no nesting
    assert "unit-page" in _text(province)
    assert unit == {"level": "province", "code": "141"} and title.endswith("· Pilotage")
    assert "school-page" in _text(call(navigation.render_page, f"/school/{school}")[0])
    assert "not-found" in _text(call(navigation.render_page, "/region/99"))
    assert "not-found" in _text(call(navigation.render_page, "/galaxy/1"))
    assert "definitions-table" in _text(call(navigation.render_page, "/definitions"))


def test_kpis_show_the_sql_numbers(request_context, tiny_engine):
    (enrolled, dropouts) = query(tiny_engine, """
        SELECT count(*), sum(CASE WHEN e.outcome = 'abandon' THEN 1 ELSE 0 END)
        FROM enrollment e JOIN school s ON s.code = e.school_code
        JOIN commune c ON c.code = s.commune_code
        WHERE e.school_year = 2024 AND c.province_code = '141'""")[0]
    cards, empty = call(unit.update_kpis, view(), PAGE)
    text = _text(cards[0]) + _text(cards[2])
    assert format_count(enrolled) in text
    assert format_rate(dropouts / enrolled) in text
    assert empty is None


def test_empty_selection_says_so(request_context):
    cards, empty = call(unit.update_kpis, view("region", "12"), {"level": "region", "code": "12"})
    assert "Aucun élève" in _text(empty)
    assert "0 %" not in _text(cards[2]) and "—" in _text(cards[2])


def test_stale_page_is_not_overwritten(request_context):
    with pytest.raises(PreventUpdate):
        call(unit.update_kpis, view("region", "6"), PAGE)


def test_ranking_lists_children_with_reference_rows(request_context, tiny_engine):
    rows, columns, pinned = call(unit.update_ranking, view("national", "MA"),
                                 {"level": "national", "code": "MA"})
    assert len(rows) == 12  # every region, even those without schools at tiny scale
    with_data = [r for r in rows if r["value"] is not None]
    assert [r["rank"] for r in with_data] == list(range(1, len(with_data) + 1))
    assert all(a["value"] >= b["value"] for a, b in zip(with_data, with_data[1:], strict=False))
    (total,) = query(tiny_engine, "SELECT count(*) FROM enrollment WHERE school_year = 2024")[0]
    assert pinned[0]["enrollment"] == total
    assert {c["field"] for c in columns} >= {"name", "value", "enrollment", "change"}


def test_drills_keep_the_filters(request_context):
    store = view("region", "6", cycle="college", indicator="mean_score")
    click = {"points": [{"location": "141", "customdata": "141"}]}
    assert call(navigation.drill_from_map, click, store) == (
        "/province/141?year=2024&cycle=college&indicator=mean_score")
    school_click = {"points": [{"lat": 33.5, "lon": -7.6, "customdata": "12345F"}]}
    assert call(navigation.drill_from_map, school_click, view()) == "/school/12345F?year=2024"
    cell = {"rowId": "141.1.1", "rowIndex": 0, "colId": "name"}
    assert call(navigation.drill_from_table, cell, view(), []) == "/commune/141.1.1?year=2024"
    with pytest.raises(PreventUpdate):
        call(navigation.drill_from_table, {**cell, "rowPinned": "bottom"}, view(), [])


def test_map_draws_only_the_units_children_and_stays_small(request_context):
    figure = go.Figure(call(DRAW["map"], view("region", "6"), {"level": "region", "code": "6"}))
    locations = set(figure.data[0].locations)
    assert "141" in locations and len(locations) == 9
    size = len(figure.to_json())
    assert size < 600_000, size
    national = go.Figure(call(DRAW["map"], view("national", "MA"),
                              {"level": "national", "code": "MA"}))
    assert len(national.data[0].locations) == 12


def test_map_figure_draws_nothing_outside_the_scope(tiny_app):
    """Exports draw the same figure: a unit outside the caller's scope is refused there too."""
    from dashboard.urls import View
    from queries import Filters, OutOfScope, Scope

    with request_as(tiny_app, "province141"):
        for level, code in [("region", "5"), ("province", "81"), ("region", "6")]:
            with pytest.raises(OutOfScope):
                registry.draw("map", View(level, code, Filters(2024)), Scope("province", "141"))
        figure = go.Figure(registry.draw("map", View("province", "141", Filters(2024)),
                                         Scope("province", "141")))
        assert all(code.startswith("141.") for code in figure.data[0].locations)
