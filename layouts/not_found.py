"""The page for a URL that names no unit."""

from __future__ import annotations

from dash import dcc, html

from dashboard.i18n import _


def layout(message: str) -> html.Div:
    """Return a clear "not found" page with a way back."""
    return html.Div(
        [
            html.H1(_("Page introuvable"), className="h3"),
            html.P(message, id="not-found-message"),
            dcc.Link(_("Retour au tableau de bord"), href="/",
                     className="btn btn-primary"),
        ],
        className="not-found-page py-4",
        id="not-found",
    )


def refused(message: str, own_territory: str, own_name: str) -> html.Div:
    """Return the page of a unit outside the user's scope, with a way to their own
    territory (``own_territory``: its address, with the filters of the refused link)."""
    return html.Div(
        [
            html.H1(_("Accès non autorisé"), className="h3"),
            html.P(message, id="refused-message"),
            dcc.Link(_("Voir {territory}", territory=own_name), href=own_territory,
                     className="btn btn-primary", id="own-territory"),
        ],
        className="not-found-page py-4",
        id="refused",
    )
