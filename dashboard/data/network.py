"""The school network: which schools exist, where, of what kind and how large."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.data import calibration, census_weights
from dashboard.data.geography import Geography, random_points_in

CYCLE_WORDS = {
    ("primaire", "public"): "École primaire",
    ("college", "public"): "Collège",
    ("qualifiant", "public"): "Lycée qualifiant",
    ("primaire", "prive"): "École privée",
    ("college", "prive"): "Collège privé",
    ("qualifiant", "prive"): "Lycée privé",
}
PATRONS = (
    "Ibn Khaldoun", "Al Massira", "Moulay Youssef", "Ibn Sina", "Al Farabi", "Al Amal",
    "Hassan II", "Mohammed V", "Al Andalous", "Ibn Rochd", "Al Khawarizmi", "Abdelkrim Khattabi",
    "Allal El Fassi", "Al Idrissi", "Ibn Battouta", "Oum Rabii", "Al Qods", "Annour", "Al Wahda",
    "Zerktouni", "Al Mansour Eddahbi", "Ibn Toumert", "Al Moutanabbi", "Tarik Ibn Ziad",
    "Lalla Aicha", "Lalla Meryem", "Al Inbiaat", "Al Atlas", "Ennakhil", "Al Yasmine",
)
REGION_LETTERS = "ABCDEFGHJKLM"


def select_communes(geography: Geography, scale: str) -> pd.DataFrame:
    """Return the communes that get schools at ``scale``, with their province and region."""
    settings = calibration.SCALES[scale]
    communes = geography.communes.merge(
        geography.provinces[["code", "region_code"]].rename(columns={"code": "province_code"}),
        on="province_code",
    )
    if settings["provinces"] is not None:
        communes = communes[communes["province_code"].isin(settings["provinces"])]
        communes = (
            communes.sort_values(["province_code", "code"])
            .groupby("province_code", group_keys=False)
            .head(settings["communes_per_province"])
        )
    return communes.reset_index(drop=True)


def build_network(geography: Geography, scale: str, rng: np.random.Generator) -> pd.DataFrame:
    """Allocate schools to communes, size them and place each inside its commune.

    Every selected commune gets at least one public primary school; every selected
    province gets at least one public collège and one public lycée, so that pupils
    can move on at the end of a cycle without leaving their province.
    """
    communes = select_communes(geography, scale)
    share = len(communes) / len(geography.communes)
    weights = _weights(communes, rng)
    parts = []
    for (cycle, sector), national_count in calibration.SCHOOLS.items():
        count = max(1, round(national_count * share))
        rural_share = calibration.RURAL_SCHOOL_SHARE[(cycle, sector)]
        weight = weights[(cycle, sector)]
        per_commune = _allocate(communes, weight, count, rural_share, rng)
        if sector == "public" and cycle == "primaire":
            per_commune = np.maximum(per_commune, 1)
        elif sector == "public":
            per_commune = _at_least_one_per_province(communes, weight, per_commune)
        rows = communes.loc[communes.index.repeat(per_commune)].copy()
        rows["cycle"], rows["sector"] = cycle, sector
        parts.append(rows)
    schools = pd.concat(parts, ignore_index=True)
    schools = schools.rename(columns={"code": "commune_code"})
    schools = schools[["commune_code", "province_code", "region_code", "milieu", "cycle", "sector"]]
    schools["pupils"] = _school_sizes(schools, calibration.SCALES[scale]["pupil_factor"], rng)
    _name_and_code(schools, communes, rng)
    _place(schools, geography, rng)
    return schools.sort_values("code").reset_index(drop=True)


def _weights(communes: pd.DataFrame, rng) -> dict[tuple[str, str], np.ndarray]:
    """Return each network's weight of every commune: its children aged 6-17 in the census
    (:mod:`dashboard.data.census_weights`), a little noise, and for public primary schools
    the census's schooling rate of its 6-11 year-olds; private schools concentrate in the
    largest communes (the cities and their arrondissements) as they do."""
    census = census_weights.commune_children().set_index("code")
    children = communes["code"].map(census["children"]).to_numpy(float)
    schooled = communes["code"].map(census["schooling_rate_6_11"]).to_numpy(float) / 100
    base = children * rng.lognormal(0.0, calibration.COMMUNE_NOISE, len(communes))
    urban = (communes["milieu"] == "urbain").to_numpy()
    typical = np.median(children[urban]) if urban.any() else np.median(children)
    city = (children / typical) ** calibration.PRIVATE_CITY_EXPONENT
    found = {}
    for cycle, sector in calibration.SCHOOLS:
        weight = base * city if sector == "prive" else base
        found[(cycle, sector)] = weight * schooled if (cycle, sector) == (
            "primaire", "public") else weight
    return found


def _allocate(
    communes: pd.DataFrame, weight: np.ndarray, count: int, rural_share: float, rng
) -> np.ndarray:
    """Split ``count`` schools over communes: rural ones share ``rural_share`` of them."""
    result = np.zeros(len(communes), dtype=np.int64)
    rural = (communes["milieu"] == "rural").to_numpy()
    groups = [(rural, rural_share), (~rural, 1.0 - rural_share)]
    if not rural.any() or rural.all():
        groups = [(np.ones(len(communes), bool), 1.0)]
    for mask, fraction in groups:
        wanted = round(count * fraction)
        if wanted and mask.any():
            probabilities = weight[mask] / weight[mask].sum()
            result[mask] = rng.multinomial(wanted, probabilities)
    return result


def _at_least_one_per_province(
    communes: pd.DataFrame, weight: np.ndarray, per_commune: np.ndarray
) -> np.ndarray:
    per_commune = per_commune.copy()
    frame = pd.DataFrame({"province": communes["province_code"], "n": per_commune, "w": weight})
    for _, group in frame.groupby("province"):
        if group["n"].sum() == 0:
            per_commune[group["w"].idxmax()] = 1
    return per_commune


def _school_sizes(schools: pd.DataFrame, factor: float, rng) -> np.ndarray:
    """Give each school a pupil count so that each network holds its national target."""
    sizes = np.zeros(len(schools))
    spread = rng.lognormal(0.0, 0.35, len(schools))
    for (cycle, sector, milieu), pupils in calibration.PUPILS.items():
        mask = (
            (schools["cycle"] == cycle)
            & (schools["sector"] == sector)
            & (schools["milieu"] == milieu)
        ).to_numpy()
        national_schools = calibration.SCHOOLS[(cycle, sector)] * (
            calibration.RURAL_SCHOOL_SHARE[(cycle, sector)]
            if milieu == "rural"
            else 1 - calibration.RURAL_SCHOOL_SHARE[(cycle, sector)]
        )
        if mask.any():
            mean_size = pupils / national_schools * factor
            sizes[mask] = mean_size * spread[mask] / spread[mask].mean()
    grades = schools["cycle"].map({c: len(s) for c, s in calibration.GRADE_SHARES.items()})
    return np.maximum(np.round(sizes), grades.to_numpy() * 2).astype(np.int64)


def _name_and_code(schools: pd.DataFrame, communes: pd.DataFrame, rng) -> None:
    """Give GRESA-style codes (five digits and the region's letter) and readable names."""
    names = communes.set_index("code")["name_fr"]
    order = rng.permutation(len(schools))
    region_index = schools["region_code"].astype(int) - 1
    letters = region_index.map(lambda i: REGION_LETTERS[i])
    schools["code"] = [f"{10000 + n:05d}" for n in order] + letters
    patrons = rng.choice(PATRONS, len(schools))
    words = [CYCLE_WORDS[(c, s)] for c, s in zip(schools["cycle"], schools["sector"], strict=True)]
    schools["name"] = [
        f"{w} {p} - {names[c]}"
        for w, p, c in zip(words, patrons, schools["commune_code"], strict=True)
    ]
    duplicate = schools.duplicated("name", keep=False)
    schools.loc[duplicate, "name"] = schools.loc[duplicate, "name"] + " (" + schools.loc[
        duplicate, "code"
    ] + ")"


def _place(schools: pd.DataFrame, geography: Geography, rng) -> None:
    """Put each school at a random point inside its commune's polygon."""
    longitude = np.zeros(len(schools))
    latitude = np.zeros(len(schools))
    shapes = geography.shapes["commune"]
    for commune_code, index in schools.groupby("commune_code").indices.items():
        points = random_points_in(shapes[commune_code], len(index), rng)
        longitude[index], latitude[index] = points[:, 0], points[:, 1]
    schools["longitude"] = longitude.round(6)
    schools["latitude"] = latitude.round(6)
