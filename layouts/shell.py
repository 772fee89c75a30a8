"""The frame around every page: header, URL and page container."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html


def layout() -> html.Div:
    """Return the app's outer layout; the router callback fills ``page``."""
    return html.Div(
        [
            dcc.Location(id="url", refresh="callback-nav"),
            dbc.Navbar(
                dbc.Container(
                    [
                        html.A(
                            [html.Span("Pilotage", className="brand-name"),
                             html.Span("Système éducatif marocain", className="brand-sub")],
                            href="/", className="navbar-brand d-flex flex-column",
                        ),
                    ],
                    fluid=True,
                ),
                color="primary", dark=True, className="app-header",
            ),
            dbc.Container(id="page", fluid=True, className="py-3"),
        ]
    )
