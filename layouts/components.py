"""Small building blocks shared by the pages."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.formatting import NO_DATA
from dashboard.i18n import _

GRAPH_CONFIG = {
    # No Plotly toolbar: its camera would give an unbranded image; the "Télécharger" menu
    # is the way to files.
    "displayModeBar": False,
    "displaylogo": False,
    "locale": "fr",
    # Geo charts load no world base map from a CDN: the project ships empty ones.
    "topojsonURL": "/assets/topojson/",
}


def loading(child) -> html.Div:
    """Wrap a slow component so that a spinner shows while its callback runs.

    The spinner is pure CSS on Dash's own ``data-dash-is-loading`` attribute, delayed by
    a quarter of a second so that fast answers do not flicker.
    """
    return html.Div(child, className="loading-wrapper")


def graph(graph_id: str, height: int = 360, **kwargs) -> dcc.Loading:
    """Return a graph with French number formats and a loading indicator."""
    return loading(
        dcc.Graph(id=graph_id, config=GRAPH_CONFIG, style={"height": f"{height}px"},
                  figure=empty_figure(), **kwargs)
    )


def empty_figure() -> dict:
    """Return a blank figure for a graph that has not been filled yet."""
    return {
        "data": [],
        "layout": {
            "xaxis": {"visible": False}, "yaxis": {"visible": False},
            "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
            "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
        },
    }


def section(title: str, body, title_id: str | None = None, extra=None) -> dbc.Card:
    """Return a titled card holding one part of a page."""
    heading = [html.H2(title, className="section-title", id=title_id or "")]
    if extra is not None:
        heading.append(html.Div(extra, className="ms-auto"))
    return dbc.Card(
        [
            dbc.CardHeader(html.Div(heading, className="d-flex align-items-center gap-2")),
            dbc.CardBody(body),
        ],
        className="section-card h-100",
    )


def kpi_card(code: str, label: str, value: str = NO_DATA, change: str = "",
             tone: str = "neutral", note: str = "", definition: str = "",
             value_note: str | None = None) -> html.Div:
    """Return one indicator's card: value, change against last year and a short note.

    ``value_note`` is the tooltip of a value hidden by small-cell suppression.
    """
    value_props = {"title": value_note} if value_note else {}
    return html.Div(
        [
            html.Div(label, className="kpi-label", title=definition),
            html.Div(value, className="kpi-value", **value_props),
            html.Div(
                [html.Span(change, className=f"kpi-change kpi-{tone}"),
                 html.Span(note, className="kpi-note")],
                className="kpi-footer",
            ),
        ],
        id=f"kpi-{code}",
        className="kpi-card",
    )


def empty_state(message: str, hint: str = "") -> html.Div:
    """Return the message shown where a selection has no pupils."""
    return html.Div(
        [html.Div(message, className="empty-title"),
         html.Div(hint, className="empty-hint") if hint else None],
        className="empty-state",
    )


def notice(message: str) -> dbc.Alert:
    """Return a visible notice (a parameter was ignored, a default used)."""
    return dbc.Alert(message, color="warning", dismissable=True, className="py-2 mb-2")


def no_data_label() -> str:
    """Return the words for an empty selection."""
    return _("Aucun élève pour cette sélection")


def secret_label(threshold: int) -> str:
    """Return the words for a chart whose every value small-cell suppression hides."""
    return _("Secret statistique : effectifs de moins de {n} élèves", n=threshold)
