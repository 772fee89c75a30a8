"""Every indicator, defined once: what it counts, how it reads, which way is better.

Definitions follow the design reference exactly. Pages, the API and exports all
compute indicators through :func:`compute` from the same summed counts of the
analytics table, so a number can never differ from one screen to another.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard.ages import AGE_BANDS, OFFICIAL_AGES

#: Sequential, colour-blind safe scales; reversed when lower values are better.
SCALE_GOOD_HIGH = "Viridis"
SCALE_BAD_HIGH = "Viridis_r"


@dataclass(frozen=True)
class Indicator:
    """One indicator: a ratio (or a count) of analytics columns."""

    code: str
    label: str
    short_label: str
    definition: str
    numerator: str
    denominator: str | None
    unit: str  # "count", "rate" (a fraction 0-1) or "score" (out of 20)
    higher_is_better: bool
    #: The cycle a ratio to the population counts (gross and net ratios): it has no
    #: meaning under a filter on another cycle.
    cycle: str | None = None

    @property
    def over_population(self) -> bool:
        """Return whether the indicator divides by the census population of its unit."""
        return (self.denominator or "").startswith("population_")

    @property
    def colorscale(self) -> str:
        """Return the Plotly colour scale, dark for the worse end."""
        return SCALE_GOOD_HIGH if self.higher_is_better else SCALE_BAD_HIGH

    @property
    def is_rate(self) -> bool:
        """Return whether the indicator is a share between 0 and 1."""
        return self.unit == "rate"


#: Indicators read from the pupils' records alone.
OF_PUPILS: tuple[Indicator, ...] = (
    Indicator(
        "enrollment", "Effectif scolarisé", "Effectif",
        "Nombre d'inscriptions de l'année scolaire dans les établissements de l'unité.",
        "enrolled", None, "count", True,
    ),
    Indicator(
        "girls_share", "Part des filles", "Filles",
        "Inscrites de sexe féminin / effectif. Sans objet quand un sexe est filtré.",
        "girls", "enrolled", "rate", True,
    ),
    Indicator(
        "dropout_rate", "Taux d'abandon", "Abandon",
        "Inscrits dont le résultat de fin d'année est « abandon » / inscrits dont le "
        "résultat est connu (un élève sans résultat encore compte dans l'effectif, pas ici).",
        "dropouts", "decided", "rate", False,
    ),
    Indicator(
        "repetition_rate", "Taux de redoublement", "Redoublement",
        "Inscrits dont le résultat de fin d'année est « redoublant » / inscrits dont le "
        "résultat est connu.",
        "repeaters", "decided", "rate", False,
    ),
    Indicator(
        "promotion_rate", "Taux de promotion", "Promotion",
        "Inscrits « promu » ou « diplômé » / inscrits dont le résultat est connu.",
        "promoted", "decided", "rate", True,
    ),
    Indicator(
        "success_rate_CEP", "Réussite au CEP", "CEP",
        "Admis / candidats au certificat d'études primaires (6AEP) parmi les inscrits.",
        "cep_passed", "cep_candidates", "rate", True,
    ),
    Indicator(
        "success_rate_REG", "Réussite à l'examen régional (3AC)", "Examen régional",
        "Admis / candidats à l'examen régional de fin de collège parmi les inscrits.",
        "reg_passed", "reg_candidates", "rate", True,
    ),
    Indicator(
        "success_rate_BAC", "Réussite au baccalauréat", "Bac",
        "Admis / candidats à l'examen national du baccalauréat parmi les inscrits.",
        "bac_passed", "bac_candidates", "rate", True,
    ),
    Indicator(
        "mean_score", "Moyenne annuelle", "Moyenne",
        "Moyenne des moyennes annuelles (sur 20) des inscrits qui en ont une.",
        "average_sum", "average_count", "score", True,
    ),
    Indicator(
        "quality_score", "Score de qualité des données", "Qualité des données",
        "Part des inscriptions sans aucun constat des contrôles de qualité portant sur les "
        "élèves (voir « Qualité des données »).",
        "quality_clean", "enrolled", "rate", True,
    ),
)

#: The census population of a unit by age band (HCP, estimated on 1 September of the
#: school year): ``population_6_11`` for ``aged_6_11``.
POPULATIONS = {band: band.replace("aged_", "population_", 1) for band in AGE_BANDS}
#: The ratio to the population read with a warning above this (UIS: a net rate over
#: 105 % says the population is underestimated or pupils counted twice).
DOUBTFUL_ABOVE = 1.05
_CYCLE_NAMES = {"primaire": "primaire", "college": "collège", "qualifiant": "qualifiant"}


def _band(first: int, last: int) -> str:
    return f"aged_{first}_{last}"


def _population_indicators() -> tuple[Indicator, ...]:
    """The schooling rates of a unit's children, against its census population."""
    found = []
    for band, (first, last) in AGE_BANDS.items():
        ages = f"{first}-{last} ans"
        found.append(Indicator(
            f"enrollment_rate_{first}_{last}", f"Taux spécifique de scolarisation {ages}",
            f"Scolarisation {ages}",
            f"Élèves de {first} à {last} ans (âge au 1er septembre), tous cycles, / "
            f"population de ces âges (HCP, estimée au 1er septembre). Sans objet pour un "
            f"établissement et sous un filtre de cycle.",
            band, POPULATIONS[band], "rate", True))
    for cycle in OFFICIAL_AGES:
        first, last = OFFICIAL_AGES[cycle]
        name, population = _CYCLE_NAMES[cycle], POPULATIONS[_band(first, last)]
        found.append(Indicator(
            f"gross_enrollment_ratio_{cycle}", f"Taux brut de scolarisation, {name}",
            f"TBS {name}",
            f"Élèves du {name}, quel que soit leur âge, / population de {first} à {last} "
            f"ans (âges officiels du cycle). Peut dépasser 100 %.",
            f"enrolled_{cycle}", population, "rate", True, cycle))
        found.append(Indicator(
            f"net_enrollment_ratio_{cycle}", f"Taux net de scolarisation, {name}",
            f"TNS {name}",
            f"Élèves du {name} de {first} à {last} ans / population de ces âges.",
            f"official_{cycle}", population, "rate", True, cycle))
    return tuple(found)


INDICATORS: tuple[Indicator, ...] = (*OF_PUPILS, *_population_indicators())

BY_CODE = {indicator.code: indicator for indicator in INDICATORS}
CODES = tuple(BY_CODE)
DEFAULT = "dropout_rate"
#: Decimals of a value as every answer and file gives it, by unit (counts are whole).
DECIMALS = {"rate": 6, "score": 4}
#: Summed analytics columns every indicator draws on.
MEASURES = (
    "enrolled", "decided", "girls", "dropouts", "repeaters", "promoted", "average_sum",
    "average_count", "quality_clean",
    "cep_candidates", "cep_passed", "reg_candidates", "reg_passed",
    "bac_candidates", "bac_passed", *AGE_BANDS,
    *(f"enrolled_{cycle}" for cycle in OFFICIAL_AGES),
    *(f"official_{cycle}" for cycle in OFFICIAL_AGES),
)
#: Measures summed from one cycle's rows: the pupils of the cycle (``enrolled_primaire``)
#: and those of its official ages (``official_primaire``), as (cycle, column summed).
CYCLE_MEASURES = {
    **{f"enrolled_{cycle}": (cycle, "enrolled") for cycle in OFFICIAL_AGES},
    **{f"official_{cycle}": (cycle, _band(*OFFICIAL_AGES[cycle])) for cycle in OFFICIAL_AGES},
}


def compute(sums: pd.DataFrame, sex_filtered: bool = False,
            cycles: str | pd.Series = "all") -> pd.DataFrame:
    """Add one column per indicator to a frame of summed measures.

    A ratio whose denominator is zero (or unknown: a population where the census has
    none) is "no data" (NaN), never 0 %. The girls' share is meaningless under a sex
    filter and is NaN there too; a ratio to the population is NaN where ``cycles`` (the
    grades each row counts: ``all``, a cycle or a grade) is a grade, and under a cycle
    unless it is the gross or net ratio of that cycle.
    """
    columns: dict[str, np.ndarray] = {}
    counted = np.broadcast_to(np.asarray(cycles, dtype=object), (len(sums),))
    for indicator in INDICATORS:
        numerator = sums[indicator.numerator].to_numpy(dtype=float)
        if indicator.denominator is None:
            columns[indicator.code] = numerator
            continue
        if indicator.denominator in sums:
            denominator = sums[indicator.denominator].to_numpy(dtype=float)
        else:
            denominator = np.full(len(sums), np.nan)
        safe = np.where(denominator > 0, denominator, 1.0)
        values = np.where(denominator > 0, numerator / safe, np.nan)
        if indicator.over_population:
            meant = (counted == "all") | (counted == indicator.cycle)
            values = np.where(meant, values, np.nan)
        columns[indicator.code] = values
    if sex_filtered:
        columns["girls_share"] = np.full(len(sums), np.nan)
    # built in one go: adding columns one by one costs pandas ten times more
    values = pd.DataFrame(columns, index=sums.index)
    return pd.concat([sums.drop(columns=list(columns), errors="ignore"), values], axis=1)


def is_doubtful(indicator: Indicator, value: float | None) -> bool:
    """Return whether a ratio to the population is above 105 %: shown as it is, with the
    warning "dénominateur douteux", never capped."""
    return (indicator.over_population and value is not None and not pd.isna(value)
            and value > DOUBTFUL_ABOVE)


#: The rates whose gender parity index is given: those to the census population.
WITH_PARITY = tuple(indicator.code for indicator in INDICATORS if indicator.over_population)


def parity_index(girls: float | None, boys: float | None) -> float:
    """Return the gender parity index of a rate: the girls' rate over the boys' (1 is
    parity, under 1 girls lag); NaN when either is unknown or the boys' is zero."""
    if girls is None or boys is None or pd.isna(girls) or pd.isna(boys) or boys <= 0:
        return float("nan")
    return float(girls) / float(boys)


def change(indicator: Indicator, current: float, previous: float) -> float:
    """Return the change against the previous year: points for rates, relative for counts.

    Rates give a difference of fractions (0.012 is +1.2 points); counts and scores give
    a relative change (0.05 is +5 %). No data on either side gives NaN.
    """
    if current is None or previous is None or np.isnan(current) or np.isnan(previous):
        return float("nan")
    if indicator.is_rate:
        return current - previous
    if previous == 0:
        return float("nan")
    return current / previous - 1
