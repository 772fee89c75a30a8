"""Targets and behavioural rates of the synthetic schooling database.

Figures come from ``shared/calibration.md`` (published national figures). Rates are
base values for public schools, adjusted per pupil by the modifiers below. The
generator reads only this module for numbers, so a recalibration happens here.
"""

from __future__ import annotations

# ruff: noqa: E501

#: Schools nationally, by (cycle, sector): 12,198 public establishments and about
#: 6,300 private ones (private primaire dominant; private collèges are numerous but small).
SCHOOLS = {
    ("primaire", "public"): 8_300,
    ("college", "public"): 2_200,
    ("qualifiant", "public"): 1_450,
    ("primaire", "prive"): 3_900,
    ("college", "prive"): 1_500,
    ("qualifiant", "prive"): 900,
}

#: Share of each (cycle, sector) network's schools that are rural (55-56 % of public).
RURAL_SCHOOL_SHARE = {
    ("primaire", "public"): 0.60,
    ("college", "public"): 0.48,
    ("qualifiant", "public"): 0.38,
    ("primaire", "prive"): 0.08,
    ("college", "prive"): 0.06,
    ("qualifiant", "prive"): 0.05,
}

#: Pupils nationally at the start of the first simulated year, by (cycle, sector, milieu).
#: Public 3.82 M / 1.98 M / 1.14 M; private 13 % overall and 17 % in primaire; about
#: 40 % of pupils rural.
PUPILS = {
    ("primaire", "public", "rural"): 2_000_000,
    ("primaire", "public", "urbain"): 1_820_000,
    ("college", "public", "rural"): 780_000,
    ("college", "public", "urbain"): 1_200_000,
    ("qualifiant", "public", "rural"): 300_000,
    ("qualifiant", "public", "urbain"): 840_000,
    ("primaire", "prive", "rural"): 40_000,
    ("primaire", "prive", "urbain"): 740_000,
    ("college", "prive", "rural"): 6_000,
    ("college", "prive", "urbain"): 170_000,
    ("qualifiant", "prive", "rural"): 3_000,
    ("qualifiant", "prive", "urbain"): 90_000,
}

#: How a cycle's pupils spread over its grades in the starting stock.
GRADE_SHARES = {
    "primaire": (0.18, 0.17, 0.17, 0.16, 0.16, 0.16),
    "college": (0.34, 0.31, 0.35),
    "qualifiant": (0.36, 0.31, 0.33),
}

#: Share of girls among new 1AEP entrants (48.7-48.9 % of all pupils once boys drop out more).
GIRLS_AMONG_ENTRANTS = 0.478

#: Years behind the theoretical age (0, 1, 2) of the first year's pupils, and the share of
#: 1AEP entrants a year late: with the repetitions of the following years they put the
#: 6-11 year-olds in school at the census's 95.8 % (RGPH 2024, 2023/24) of their age group,
#: the others of primary age being over-age pupils of 12 and more.
STOCK_DELAY = (0.38, 0.34, 0.28)
LATE_ENTRANTS = 0.32

#: Yearly change in 1AEP intake (public 3.82 M in 2023 to 3.72 M forecast in 2024).
INTAKE_TREND = {"public": -0.012, "prive": -0.01}

#: Base dropout rate per grade, public, urban/rural mix (in exam grades: leaving before the
#: exam). 2022-23 level: primaire about 1.5-2 %, collège 8.5-10 %, qualifiant 7.2-7.5 %.
DROPOUT = {
    "1AEP": 0.010, "2AEP": 0.012, "3AEP": 0.015, "4AEP": 0.018, "5AEP": 0.022, "6AEP": 0.006,
    "1AC": 0.075, "2AC": 0.080, "3AC": 0.025,
    "TC": 0.070, "1BAC": 0.045, "2BAC": 0.010,
}

#: Base repetition rate per grade outside exam grades (primaire by grade as published;
#: collège and qualifiant aimed at 12-18 %).
REPETITION = {
    "1AEP": 0.118, "2AEP": 0.090, "3AEP": 0.096, "4AEP": 0.078, "5AEP": 0.070,
    "1AC": 0.090, "2AC": 0.100,
    "TC": 0.080, "1BAC": 0.070,
}

#: Pass rate of each exam, school candidates, by school year (BAC: June session).
EXAM_PASS = {
    "CEP": {2020: 0.905, 2021: 0.91, 2022: 0.915, 2023: 0.91, 2024: 0.92, 2025: 0.92},
    "REG": {2020: 0.59, 2021: 0.60, 2022: 0.60, 2023: 0.59, 2024: 0.61, 2025: 0.61},
    "BAC": {2020: 0.631, 2021: 0.684, 2022: 0.663, 2023: 0.597, 2024: 0.678, 2025: 0.668},
}

#: Share of failed exam candidates who leave school rather than repeat.
FAILED_EXAM_DROPOUT = {"CEP": 0.08, "REG": 0.15, "BAC": 0.42}

#: Dropout level by school year relative to the base (collège 10.4 % in 2019-20 and
#: 10.3 % in 2021-22, about 8.5 % in 2022-23, slowly falling since).
DROPOUT_YEAR_FACTOR = {2020: 1.18, 2021: 1.16, 2022: 1.00, 2023: 0.97, 2024: 0.94, 2025: 0.92}

# Multiplicative modifiers of dropout and repetition rates.
DROPOUT_RURAL = 1.35
DROPOUT_URBAN = 0.75
DROPOUT_GIRLS = 0.72          # 38.6 % of dropouts are girls
DROPOUT_BOYS = 1.25
DROPOUT_RURAL_COLLEGE_GIRLS = 1.30  # rural girls leave collège more (12.2 % rural collège)
DROPOUT_PRIVATE = 0.25
REPETITION_GIRLS = 0.70       # primaire: girls 6.5 %, boys 11.1 %
REPETITION_BOYS = 1.18
REPETITION_PRIVATE = 0.45
REPETITION_RURAL = 1.10

# Additive modifiers of exam success, on the logit scale.
EXAM_GIRLS_LOGIT = 0.22       # bac girls 8-10 points above boys
EXAM_BOYS_LOGIT = -0.22
EXAM_PRIVATE_LOGIT = 0.90     # private schools' better results
EXAM_RURAL_LOGIT = -0.20

#: Spread of the regional effect on exam success (logit) and on dropout (log scale).
REGION_EXAM_SPREAD = 0.30
REGION_DROPOUT_SPREAD = 0.20
PROVINCE_SPREAD = 0.10

#: Where schools go: a commune's weight is its census children aged 6-17 (HCP, RGPH 2024)
#: times a log-normal noise of this spread; private schools' weight is further multiplied
#: by (children / the median urban commune's) to this power, so that they gather in the
#: large cities as they do (Casablanca, Rabat, Tanger hold most private pupils).
COMMUNE_NOISE = 0.15
PRIVATE_CITY_EXPONENT = 0.6

#: Scales: which communes get schools and what fraction of national pupils they hold.
SCALES = {
    "tiny": {"pupil_factor": 0.06, "provinces": ("81", "141", "571"), "communes_per_province": 5},
    "demo": {"pupil_factor": 0.10, "provinces": None, "communes_per_province": None},
    "national": {"pupil_factor": 1.0, "provinces": None, "communes_per_province": None},
}
