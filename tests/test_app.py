"""The app factory serves a page over a built database."""

from __future__ import annotations

from callbacks.overview import render_page


def test_home_page_is_served(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Pilotage" in response.data


def test_overview_lists_every_school_year(tiny_app, tiny_engine):
    from tests.conftest import TINY_YEARS, query

    with tiny_app.server.app_context():
        children = render_page("/")
    text = str(children).replace("\\u202f", "").replace("\u202f", "")
    for year in TINY_YEARS:
        assert f"{year}-{year + 1}" in text
    (latest,) = query(tiny_engine, "SELECT count(*) FROM enrollment WHERE school_year = 2024")[0]
    assert str(latest) in text
