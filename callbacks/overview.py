"""The national overview: pupils by school year."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, callback, html

from queries import NATIONAL_SCOPE, Filters
from queries.stats import available_years, trend


@callback(Output("page", "children"), Input("url", "pathname"))
def render_page(pathname: str):
    """Show national enrollment and dropout by school year."""
    years = available_years()
    frame = trend("national", "MA", Filters(year=years[-1]), NATIONAL_SCOPE)
    rows = [
        html.Tr([
            html.Td(f"{year}-{year + 1}"),
            html.Td(f"{int(enrolled):,}".replace(",", "\u202f")),
            html.Td(f"{rate * 100:.1f} %".replace(".", ",")),
        ])
        for year, enrolled, rate in zip(
            frame["school_year"], frame["enrollment"], frame["dropout_rate"], strict=True
        )
    ]
    return [
        html.H1("Maroc", className="h3"),
        dbc.Table(
            [html.Thead(html.Tr([html.Th("Année scolaire"), html.Th("Effectif"),
                                 html.Th("Taux d'abandon")])),
             html.Tbody(rows)],
            striped=True, bordered=False, hover=True, className="w-auto",
        ),
    ]
