"""Finding a unit by name or code inside the caller's scope (the header's search box)."""

from __future__ import annotations

import functools

from queries.database import data_version, engine
from queries.scope import Scope
from queries.units import sort_key, unit_index

#: The levels a search finds, in the order results list them.
FOUND_LEVELS = ("region", "province", "commune", "school")
#: Results shown at most; fewer letters than this find nothing (every name would match).
MOST = 12
FEWEST_LETTERS = 2


def find_units(text: str, scope: Scope, most: int = MOST) -> list[dict]:
    """Return the units inside ``scope`` whose French or Arabic name holds ``text`` (case and
    accents ignored), or whose code starts with it (a GRESA code): names that start with
    the text first, then by level and name. Each is ``{level, code, name_fr, commune}``."""
    wanted = sort_key(text.strip())
    if len(wanted) < FEWEST_LETTERS:
        return []
    found = []
    for row in _searchable(id(engine()), data_version()):
        name = row["key"]
        at = name.find(wanted)
        by_code = row["code"].casefold().startswith(wanted)
        arabic = wanted in (row["name_ar"] or "")
        if at < 0 and not by_code and not arabic:
            continue
        if not scope.contains({**row, "school_code": row["code"]
                               if row["level"] == "school" else None}):
            continue
        first = 0 if (by_code or at == 0) else 1
        found.append((first, FOUND_LEVELS.index(row["level"]), name, row))
    found.sort(key=lambda item: item[:3])
    return [{"level": row["level"], "code": row["code"], "name_fr": row["name_fr"],
             "name_ar": row.get("name_ar"),
             "commune": row.get("commune_name")} for *_order, row in found[:most]]


@functools.lru_cache(maxsize=4)
def _searchable(engine_id: int, version: int) -> tuple[dict, ...]:
    """The units a search looks through (those of ``version``, read by ``engine_id``),
    with their name's search key and, for a school, its commune's name."""
    index = unit_index()
    rows = []
    for (level, _code), row in index.items():
        if level not in FOUND_LEVELS:
            continue
        commune = index.get(("commune", row.get("commune_code"))) if level == "school" else None
        rows.append({**row, "key": sort_key(row["name_fr"]),
                     "commune_name": commune["name_fr"] if commune else None})
    return tuple(rows)
