"""One URL scheme for the hierarchy: building, reading and rejecting."""

from __future__ import annotations

import pytest

from dashboard.urls import (
    BadParameter,
    View,
    as_store,
    drill_url,
    export_url,
    from_store,
    parse,
    read_filters,
    read_rank,
    read_sort,
    sort_order,
    split_path,
    view_url,
)
from queries import Filters

YEARS = [2021, 2022, 2023, 2024]


def test_default_view_url_names_only_the_year():
    view = View("national", "MA", Filters(2024))
    assert view_url(view) == "/?year=2024"


def test_view_url_keeps_every_non_default_choice():
    view = View("province", "141", Filters(2023, "college", "public", "urbain", "F"),
                "success_rate_BAC")
    assert view_url(view) == (
        "/province/141?year=2023&cycle=college&sector=public&milieu=urbain&sex=F"
        "&indicator=success_rate_BAC"
    )


def test_parse_reads_back_what_view_url_wrote():
    view = View("commune", "81.5.7C", Filters(2022, "primaire", "all", "rural", "M"),
                "repetition_rate")
    path, search = view_url(view).split("?")
    parsed = parse(path, "?" + search, YEARS)
    assert parsed.view == view and parsed.notices == []


def test_drill_keeps_filters_and_indicator():
    view = View("region", "6", Filters(2023, sex="F"), "girls_share")
    assert drill_url(view, "province", "141") == (
        "/province/141?year=2023&sex=F&indicator=girls_share")


def test_store_round_trip():
    view = View("school", "10001F", Filters(2024, "college"), "mean_score")
    assert from_store(as_store(view)) == view


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/", ("national", "MA")), ("/region/6", ("region", "6")), ("/region/6/", ("region", "6")),
     ("/school/12345A", ("school", "12345A")), ("/planet/3", None), ("/region", None),
     ("/region/" + "x" * 40, None), ("/region/6/extra", None)],
)
def test_split_path(path, expected):
    assert split_path(path) == expected


@pytest.mark.parametrize(
    ("params", "name"),
    [({"year": "1999"}, "year"), ({"year": "²"}, "year"), ({"year": "٢٠٢٤"}, "year"),
     ({"year": "20245"}, "year"), ({"cycle": "lycee"}, "cycle"), ({"sector": "semi"}, "sector"),
     ({"milieu": "x"}, "milieu"), ({"sex": "X"}, "sex"), ({"indicator": "nope"}, "indicator")],
)
def test_bad_parameters(params, name):
    with pytest.raises(BadParameter) as error:
        read_filters(params, YEARS, strict=True)
    assert error.value.name == name
    filters, indicator, notices = read_filters(params, YEARS, strict=False)
    assert notices == [name]
    assert filters == Filters(2024) and indicator == "dropout_rate"


def test_pages_that_are_not_units():
    assert parse("/definitions", "", YEARS).page == "definitions"
    assert parse("/nowhere/at/all", "", YEARS).page == "not-found"


def test_a_ranked_level_goes_into_the_address_and_the_store():
    view = View("region", "6", Filters(2024), rank="commune")
    assert view_url(view) == "/region/6?year=2024&rank=commune"
    assert view.ranked == "commune" and View("region", "6", Filters(2024)).ranked == "province"
    assert parse("/region/6", "?year=2024&rank=commune", [2024]).view == view
    assert from_store(as_store(view)) == view
    assert "rank" not in as_store(View("region", "6", Filters(2024)))  # the default: none


@pytest.mark.parametrize(("level", "rank", "expected"), [
    ("region", "province", None),  # the children: the default, not written
    ("region", "school", "school"), ("national", "commune", "commune"),
    ("province", "commune", None), ("commune", "school", None),
])
def test_a_rank_is_a_level_below_the_unit(level, rank, expected):
    assert read_rank(level, rank) == expected


@pytest.mark.parametrize(("level", "rank"), [("region", "region"), ("region", "national"),
                                             ("province", "region"), ("school", "school"),
                                             ("region", "galaxy"), ("region", ["commune"])])
def test_a_rank_above_or_unknown_is_refused(level, rank):
    with pytest.raises(BadParameter):
        read_rank(level, rank)
    store = {**as_store(View(level, "6", Filters(2024))), "rank": rank}
    with pytest.raises(BadParameter):
        from_store(store)
    if isinstance(rank, str) and level != "school":
        parsed = parse(f"/{level}/6", f"?year=2024&rank={rank}", [2024])
        assert parsed.notices == ["rank"] and parsed.view.rank is None


def test_an_order_goes_into_the_address_the_store_and_the_export_links():
    view = View("region", "6", Filters(2024), rank="commune", sort="-change")
    assert view_url(view) == "/region/6?year=2024&rank=commune&sort=-change"
    assert parse("/region/6", "?year=2024&rank=commune&sort=-change", [2024]).view == view
    assert from_store(as_store(view)) == view
    assert "sort=-change" in export_url(view, "data/ranking.csv")
    # the default order, by value from the highest, is never written
    assert read_sort("-value") is None and "sort" not in view_url(
        View("region", "6", Filters(2024), sort=read_sort("-value")))
    assert sort_order(None) == ("value", True) and sort_order("name") == ("name", False)
    # a drill opens the other unit in its own default order, as it does its own level
    assert "sort" not in drill_url(view, "province", "141")


@pytest.mark.parametrize("sort", ["galaxy", "--change", "-", "Change", ["name"], 3])
def test_an_unknown_order_is_refused_or_falls_back_with_a_notice(sort):
    with pytest.raises(BadParameter):
        read_sort(sort)
    with pytest.raises(BadParameter):
        from_store({**as_store(View("region", "6", Filters(2024))), "sort": sort})
    if isinstance(sort, str):
        parsed = parse("/region/6", f"?year=2024&sort={sort}", [2024])
        assert parsed.notices == ["sort"] and parsed.view.sort is None
