"""Every indicator, defined once: what it counts, how it reads, which way is better.

Definitions follow the design reference exactly. Pages, the API and exports all
compute indicators through :func:`compute` from the same summed counts of the
analytics table, so a number can never differ from one screen to another.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

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

    @property
    def colorscale(self) -> str:
        """Return the Plotly colour scale, dark for the worse end."""
        return SCALE_GOOD_HIGH if self.higher_is_better else SCALE_BAD_HIGH

    @property
    def is_rate(self) -> bool:
        """Return whether the indicator is a share between 0 and 1."""
        return self.unit == "rate"


INDICATORS: tuple[Indicator, ...] = (
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
    "bac_candidates", "bac_passed",
)


def compute(sums: pd.DataFrame, sex_filtered: bool = False) -> pd.DataFrame:
    """Add one column per indicator to a frame of summed measures.

    A ratio whose denominator is zero is "no data" (NaN), never 0 %. The girls'
    share is meaningless under a sex filter and is NaN there too.
    """
    columns: dict[str, np.ndarray] = {}
    for indicator in INDICATORS:
        numerator = sums[indicator.numerator].to_numpy(dtype=float)
        if indicator.denominator is None:
            columns[indicator.code] = numerator
            continue
        denominator = sums[indicator.denominator].to_numpy(dtype=float)
        safe = np.where(denominator > 0, denominator, 1.0)
        columns[indicator.code] = np.where(denominator > 0, numerator / safe, np.nan)
    if sex_filtered:
        columns["girls_share"] = np.full(len(sums), np.nan)
    # built in one go: adding columns one by one costs pandas ten times more
    values = pd.DataFrame(columns, index=sums.index)
    return pd.concat([sums.drop(columns=list(columns), errors="ignore"), values], axis=1)


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
