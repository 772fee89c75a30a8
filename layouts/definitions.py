"""The Definitions page, generated from the indicator module."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from dashboard import indicators
from dashboard.app_state import app_state
from dashboard.i18n import _

UNIT_NAMES = {"count": "Nombre", "rate": "Pourcentage", "score": "Note sur 20"}


def layout() -> html.Div:
    """Return the table of indicator definitions and the small-cell rule in force."""
    threshold = app_state().config.small_cell_threshold
    rows = [
        html.Tr(
            [
                html.Td(html.Strong(_(i.label))),
                html.Td(_(i.definition)),
                html.Td(_(UNIT_NAMES[i.unit])),
                html.Td(_("Plus élevé") if i.higher_is_better else _("Plus bas")),
                html.Td(html.Code(i.code)),
            ]
        )
        for i in indicators.INDICATORS
    ]
    return html.Div(
        [
            html.H1(_("Définitions des indicateurs"), className="h3 mb-3"),
            html.P(_(
                "Chaque indicateur porte sur les inscriptions de l'année scolaire dans les "
                "établissements de l'unité, après application des filtres (cycle par niveau, "
                "secteur et milieu de l'établissement, sexe de l'élève). Un taux dont le "
                "dénominateur est nul s'affiche « — » (pas de donnée), jamais 0 %. "
                "L'évolution est l'écart en points avec l'année précédente pour les taux, "
                "la variation relative pour les effectifs et les moyennes."
            )),
            dbc.Table(
                [
                    html.Thead(html.Tr([html.Th(_("Indicateur")), html.Th(_("Définition")),
                                        html.Th(_("Unité")), html.Th(_("Meilleur quand")),
                                        html.Th(_("Code (API)"))])),
                    html.Tbody(rows),
                ],
                bordered=False, hover=True, responsive=True, className="definitions-table",
                id="definitions-table",
            ),
            html.P(_(
                "Secret statistique (loi 09-08) : aucun chiffre affiché, téléchargé ou "
                "présenté ne montre un effectif d'établissement compris entre 1 et {n} "
                "élèves, et la règle qui suit empêche de le retrouver par soustraction "
                "entre écrans. Un tel effectif s'affiche « < {limit} » et "
                "tout taux calculé à partir de lui s'affiche « secret ». La règle est "
                "décidée une fois par année scolaire pour tous les chiffres que les écrans "
                "peuvent montrer : un total et ses parties (une unité et celles qu'elle "
                "contient, filles et garçons, cycles et niveaux, secteurs, milieux, résultats "
                "de fin d'année, admis et ajournés) n'ont jamais une seule case masquée ; "
                "sinon une autre case, même nulle, est masquée aussi (jamais un zéro que "
                "chacun connaît, comme les candidats au CEP d'un collège). Une commune, une "
                "province ou "
                "une région réduite à un seul établissement par un filtre est cet "
                "établissement et masque ce qu'il masque ; un total peut donc être masqué "
                "quand un filtre isole peu d'établissements. Enfin, chaque année, tout le "
                "système que forment les chiffres affichés est résolu comme le ferait un "
                "attaquant, par chaînes de soustractions de toute longueur : une case qu'il "
                "redonne fait masquer une case de plus, jusqu'à ce qu'il n'en redonne "
                "aucune. Ni un autre filtre, ni un autre niveau, ni la différence d'un total "
                "et de ses parties, ni aucune combinaison de ces calculs ne redonne un "
                "chiffre masqué.",
                n=max(threshold - 1, 0), limit=threshold,
            ), id="small-cell-rule") if threshold > 1 else None,
            html.P(_("Année scolaire : l'année de rentrée (2024 désigne 2024-2025). "
                     "Examens : CEP en 6e année primaire, examen régional en 3e année du "
                     "collège, baccalauréat national en 2e année du baccalauréat (session "
                     "normale); une épreuve est réussie à partir de 10/20."),
                   className="text-muted"),
        ],
        className="definitions-page",
    )
