"""The levels of the territory, from the nation down to one school, and their words.

Every module that names a level, the nation's code or a level's label reads it here.
"""

from __future__ import annotations

#: From the top down.
LEVELS = ("national", "region", "province", "commune", "school")
#: The code of the nation, the root of every unit path.
NATIONAL_CODE = "MA"
#: The level a unit's page lists below it (a school lists nothing).
CHILD_LEVEL = {"national": "region", "region": "province", "province": "commune",
               "commune": "school"}
PARENT_LEVEL = {child: parent for parent, child in CHILD_LEVEL.items()}

#: A unit's level as its page's heading names it.
LEVEL_LABELS = {"national": "Royaume du Maroc", "region": "Région",
                "province": "Province / préfecture", "commune": "Commune",
                "school": "Établissement"}
#: A level as files and tables name it.
LEVEL_NAMES = {"national": "National", "region": "Région", "province": "Province / préfecture",
               "commune": "Commune", "school": "Établissement"}
#: The word before a unit's name (``Région Casablanca-Settat``).
PLACE_LABELS = {"region": "Région", "province": "Province", "commune": "Commune"}
#: A level's units together, as headings and the ranking's selector name them.
RANKED_LABELS = {"region": "Régions", "province": "Provinces et préfectures",
                 "commune": "Communes", "school": "Établissements"}
#: The units a page lists, as its headings name them.
CHILDREN_LABELS = {parent: RANKED_LABELS[child] for parent, child in CHILD_LEVEL.items()}
#: The same in a sentence (``classement des communes``).
CHILD_NAMES = {"region": "régions", "province": "provinces et préfectures",
               "commune": "communes", "school": "établissements"}


def levels_below(level: str) -> tuple[str, ...]:
    """Return the levels a unit's page may rank, from its children down to schools."""
    return LEVELS[LEVELS.index(level) + 1:]
