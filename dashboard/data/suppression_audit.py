"""Which hidden counts the shown ones still give back, by exact linear algebra.

A pattern where no relation has exactly one hidden member can still be undone by a chain
of relations (a school's grade, its cycle, its commune's other schools, back to the
grade). This module finds every hidden count that *any* linear combination of shown
counts gives back, the way an attacker solving the whole system would, without building
that system at once.

A hidden count is safe when some change of the hidden finest counts (one school, grade
and sex) leaves every shown count as it is and changes it. Those changes are worked out
from the bottom up:

* In a school: the changes of its hidden finest counts that keep its shown cells (and,
  within each finest cell, pupils = promoted + repeaters + dropouts + undecided, candidates = passes
  + failures), seen through what they do to its hidden cells.
* In a commune, province, region and the nation: the changes of its children's hidden
  cells that keep the unit's shown cells, seen again through its hidden cells. A change
  that moves no hidden cell of the unit is invisible higher up; a hidden count it moves
  is safe. The others go up, as a function of the unit's hidden cells.

A hidden count whose change is forced to zero on the way up is given back. The checks
are exact up to floating-point rounding on small integer systems (tolerance ``_EXACT``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Singular values below this (times the largest) count as zero.
_RANK = 1e-9
#: Eigenvalues of a Gram matrix below this (times the largest) count as zero: singular
#: values under 1e-5 of the largest, far below those of these small integer systems.
_GRAM = 1e-10
#: A change smaller than this is no change.
_EXACT = 1e-7


@dataclass
class Space:
    """The changes of one unit's hidden cells that keep every shown cell up to it.

    ``basis`` holds one row per hidden cell (the change of that cell per coordinate),
    ``keys`` the cells' keys as the parent sees them, ``targets`` the hidden counts whose
    safety is still open, as functions of the coordinates, and ``target_ids`` who they are.
    """

    basis: np.ndarray
    keys: np.ndarray
    targets: np.ndarray
    target_ids: np.ndarray


def null_space(matrix: np.ndarray, width: int) -> np.ndarray:
    """Return an orthonormal basis (columns) of the vectors ``matrix`` sends to zero."""
    if not len(matrix) or not width:
        return np.eye(width)
    try:
        _, values, vh = np.linalg.svd(matrix, full_matrices=True)
    except np.linalg.LinAlgError:  # LAPACK's divide and conquer seldom fails; the
        squares, vectors = np.linalg.eigh(matrix.T @ matrix)  # Gram matrix never does
        return vectors[:, squares <= _GRAM * max(squares.max(initial=0), 1.0)]
    return vh[_rank(values):].T


def row_space(matrix: np.ndarray) -> np.ndarray:
    """Return an orthonormal basis (columns) of the span of ``matrix``'s rows."""
    if not len(matrix):
        return np.zeros((matrix.shape[1], 0))
    return _thin(matrix)[2]


def _svd(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the thin singular value decomposition of ``matrix``."""
    try:
        return np.linalg.svd(matrix, full_matrices=False)
    except np.linalg.LinAlgError:
        right, values, left = np.linalg.svd(matrix.T, full_matrices=False)
        return left.T, values, right.T


def merge(children: list[Space], contributions: list[tuple[np.ndarray, np.ndarray]],
          parent_keys: np.ndarray,
          parent_hidden: np.ndarray, parent_ids: np.ndarray, given_back: list,
          lacking: list) -> Space:
    """Return the space of a unit from its children's.

    ``contributions[i]`` is ``(rows, positions)``: child ``i``'s hidden cell ``rows[j]``
    is part of the unit's cell ``positions[j]`` in ``parent_keys`` (a hidden cell part of
    several is repeated in ``rows``). ``parent_hidden`` says which
    of the unit's cells are hidden, ``parent_ids`` names them as targets. A child's target
    the unit's shown cells give back goes to ``lacking`` as (child, target ids, the key of
    the child's cell it hangs on most): a sibling's cell of that key, hidden, frees it.
    """
    widths = [child.basis.shape[1] for child in children]
    offsets = np.concatenate([[0], np.cumsum(widths)]).astype(int)
    sums = np.zeros((len(parent_keys), offsets[-1]))
    for child, (rows, positions), start in zip(children, contributions, offsets[:-1],
                                               strict=True):
        if child.basis.shape[1] and len(rows):
            np.add.at(sums, (positions[:, None], start + np.arange(child.basis.shape[1])),
                      child.basis[rows])
    shown = sums[~parent_hidden]
    used = np.abs(shown).sum(axis=1) > 0
    shown, shown_ids = shown[used], parent_ids[~parent_hidden][used]
    held = row_space(shown)  # what the shown cells fix
    images = sums[parent_hidden]
    if held.shape[1]:
        images = images - (images @ held) @ held.T
    left, values, right = _thin(images)
    targets, target_ids = [], []
    for position, (child, start, width) in enumerate(zip(children, offsets[:-1], widths,
                                                          strict=True)):
        if not len(child.targets):
            continue
        # a target's squared size, within what the shown cells leave free, and within
        # the changes that move the unit's hidden cells; what is left moves nothing above
        size = np.einsum("ij,ij->i", child.targets, child.targets)
        fixed = child.targets @ held[start:start + width]
        seen = child.targets @ right[start:start + width]
        free = size - np.einsum("ij,ij->i", fixed, fixed)
        unseen = free - np.einsum("ij,ij->i", seen, seen)
        forced = free <= _EXACT * np.maximum(size, 1.0)
        if forced.any():  # a sibling's same cell hidden would let it change
            weights = np.abs(child.targets[forced] @ child.basis.T)
            lacking.append((position, child.target_ids[forced],
                            child.keys[weights.argmax(axis=1)]))
        still = ~forced & (unseen <= _EXACT * np.maximum(size, 1.0))
        targets.append(seen[still] / values)
        target_ids.append(child.target_ids[still])
    own = np.linalg.norm(images, axis=1) > _EXACT
    if not own.all():
        given_back.append((parent_ids[parent_hidden][~own],
                           culprits(shown, shown_ids, sums[parent_hidden][~own])))
    targets.append(left[own])
    target_ids.append(parent_ids[parent_hidden][own])
    return Space(left, parent_keys[parent_hidden], np.concatenate(targets),
                 np.concatenate(target_ids))


def culprits(shown: np.ndarray, names: np.ndarray | list, targets: np.ndarray) -> list:
    """Return, for each target that ``shown``'s rows give back, the counts its least
    combination of them uses (one of them hidden may protect it). ``names`` gives the
    count of each row (an int), or the counts (an array) a row stands for."""
    if not len(shown):
        return [np.zeros(0, np.int64) for _ in targets]
    coefficients = np.linalg.lstsq(shown.T, targets.T, rcond=None)[0].T
    if isinstance(names, np.ndarray):
        return [names[np.abs(c) > 1e-9].astype(np.int64) for c in coefficients]
    return [np.concatenate([names[i] for i in np.flatnonzero(np.abs(c) > 1e-9)]
                           or [np.zeros(0, np.int64)]).astype(np.int64) for c in coefficients]


def _thin(matrix: np.ndarray, gram: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the thin decomposition of ``matrix`` without its zero singular values:
    ``left`` (rows x rank), ``values``, ``right`` (columns x rank). A tall matrix goes
    through its much smaller Gram matrix, unless ``gram`` is false."""
    if not matrix.size:
        return np.zeros((len(matrix), 0)), np.zeros(0), np.zeros((matrix.shape[1], 0))
    if gram and len(matrix) > 2 * matrix.shape[1]:
        squares, right = np.linalg.eigh(matrix.T @ matrix)
        keep = squares > _GRAM * max(squares.max(initial=0), 1.0)
        values, right = np.sqrt(squares[keep]), right[:, keep]
        return (matrix @ right) / values, values, right
    left, values, right = _svd(matrix)
    rank = _rank(values)
    return left[:, :rank], values[:rank], right[:rank].T


def _rank(values: np.ndarray) -> int:
    """Return how many singular values (largest first) are not zero."""
    return int((values > _RANK * max(values.max(initial=0), 1.0)).sum())


def school_space(membership: np.ndarray, hidden: np.ndarray, variable: np.ndarray,
                 relations: list[tuple[int, tuple[int, ...]]], keys: np.ndarray,
                 ids: np.ndarray, finest: np.ndarray, given_back: list) -> Space:
    """Return the space of one school for one group of linked counts.

    ``membership[c, f]`` says whether cell ``c`` sums finest cell ``f``; ``hidden[c, m]``
    whether count ``m`` of cell ``c`` is hidden; ``variable[f, m]`` whether count ``m``
    of finest cell ``f`` is unknown to a reader (hidden, and not a zero everyone knows).
    ``relations`` are (total, parts) of the counts within a finest cell. ``keys[c, m]`` and
    ``ids[c, m]`` name each count of each cell for the parent and as a target;
    ``finest`` gives the cell of each finest cell.
    """
    cells, measures = hidden.shape
    position = np.full(variable.shape, -1)
    position[variable] = np.arange(variable.sum())
    width = int(variable.sum())
    rows, names = [], []
    for m in range(measures):
        columns = position[:, m]
        mine = columns >= 0
        if not mine.any():
            continue
        block = np.zeros((cells, width))
        block[:, columns[mine]] = membership[:, mine]
        rows.append(block[~hidden[:, m]])
        names += [np.array([i]) for i in ids[~hidden[:, m], m]]
    for total, parts in relations:
        block = np.zeros((variable.shape[0], width))
        for m, sign in ((total, 1.0), *((p, -1.0) for p in parts)):
            mine = position[:, m] >= 0
            block[np.flatnonzero(mine), position[mine, m]] = sign
        rows.append(block)
        members = np.array([total, *parts])
        names += [ids[finest[f], members[~variable[f, members]]] for f in range(len(finest))]
    shown = np.concatenate(rows) if rows else np.zeros((0, width))
    used = np.abs(shown).sum(axis=1) > 0
    shown, names = shown[used], [n for n, u in zip(names, used, strict=True) if u]
    free = null_space(shown, width)
    sums = []
    for m in range(measures):
        columns = position[:, m]
        mine = columns >= 0
        cell_sums = np.zeros((int(hidden[:, m].sum()), width))
        cell_sums[:, columns[mine]] = membership[np.ix_(hidden[:, m], mine)]
        sums.append(cell_sums)
    sums = np.concatenate(sums) if sums else np.zeros((0, width))
    images = sums @ free
    order = [np.flatnonzero(hidden[:, m]) for m in range(measures)]
    counts = np.concatenate([keys[cells_m, m] for m, cells_m in enumerate(order)])
    targets = np.concatenate([ids[cells_m, m] for m, cells_m in enumerate(order)])
    forced = np.linalg.norm(images, axis=1) < _EXACT
    if forced.any():
        given_back.append((targets[forced], culprits(shown, names, sums[forced])))
    # every open target is one of the school's hidden cells: a row of the image basis
    left, values, right = _thin(images, gram=False)
    return Space(left, counts, (images[~forced] @ right) / values, targets[~forced])


def as_frame(found: list, measures: int) -> pd.DataFrame:
    """Return what ``found`` holds (target ids and their culprits) as one row per hidden
    count given back: its ``cell`` and ``measure``, and the ``culprits`` (ids, cell *
    measures + measure) of the shown counts that give it."""
    ids = np.concatenate([i for i, _ in found]) if found else np.zeros(0, np.int64)
    used = [c for _, cs in found for c in cs]
    frame = pd.DataFrame({"id": ids.astype(np.int64), "culprits": used})
    frame = frame.drop_duplicates("id").reset_index(drop=True)
    return frame.assign(cell=frame["id"] // measures,
                        measure=frame["id"] % measures)[["cell", "measure", "culprits"]]


# --- one year's cells -----------------------------------------------------------------------


@dataclass(frozen=True)
class Cells:
    """One year's cells as numbers: ``level`` (0 for a school up to 4 for the nation),
    ``unit`` and ``parent`` (unit numbers), the key parts (``sector``, ``milieu``,
    ``grades``, ``sex``; 0 is "all"), the school's own sector and milieu, and
    ``cycle_of``, the cycle number of each grade number."""

    level: np.ndarray
    unit: np.ndarray
    parent: np.ndarray
    sector: np.ndarray
    milieu: np.ndarray
    grades: np.ndarray
    sex: np.ndarray
    own_sector: np.ndarray
    own_milieu: np.ndarray
    cycle_of: np.ndarray  # 0 for "all" and the cycles themselves


def count_key(sector, milieu, grades, sex, measure):
    """Return one int per count of a cell (sector, milieu, grades, sex, measure): its key
    as the cell's parent sees it."""
    return (((np.asarray(sector) * 4 + milieu) * 64 + grades) * 4 + sex) * 16 + measure


_SECTOR_STEP = int(count_key(1, 0, 0, 0, 0))
_MILIEU_STEP = int(count_key(0, 1, 0, 0, 0))


def given_back(cells: Cells, canonical: np.ndarray, hidden: np.ndarray, known: np.ndarray,
               groups: list[tuple[tuple[int, ...], list[tuple[int, tuple[int, ...]]]]],
               levels: int, memo: dict | None = None) -> pd.DataFrame:
    """Return the hidden counts (``cell``: canonical id, ``measure``) the shown ones give
    back.

    ``canonical`` maps each cell to its canonical id, ``hidden`` and ``known`` (a zero
    everyone can tell) hold one row per canonical id and one column per measure.
    ``groups`` are the measures linked by relations within a cell, each with its
    relations as (total, parts) of global measure numbers. ``memo`` keeps each unit's
    space between calls on the same cells, so that only units whose hidden counts (or
    their children's) changed are worked out again.
    """
    memo = {} if memo is None else memo
    measures = hidden.shape[1]
    flags, structural = hidden[canonical], known[canonical]
    found: list[tuple] = []  # (target ids, the shown counts each one's chain uses)
    by_level = [np.flatnonzero(cells.level == level) for level in range(levels)]
    for number, (group, relations) in enumerate(groups):
        local = {m: i for i, m in enumerate(group)}
        local_relations = [(local[t], tuple(local[p] for p in parts)) for t, parts in relations]
        mine = memo.setdefault(number, {})
        spaces = _school_spaces(cells, by_level[0], canonical, flags, structural, group,
                                local_relations, measures, found, mine.setdefault(0, {}))
        for level in range(1, levels):
            spaces = _unit_spaces(cells, by_level[level], canonical, flags, group, spaces,
                                  level, measures, found, mine.setdefault(level, {}))
    return as_frame(found, measures)


def _segments(units: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return an order grouping equal ``units`` and where each group starts and ends."""
    order = np.argsort(units, kind="stable")
    sorted_units = units[order]
    starts = np.flatnonzero(np.r_[True, sorted_units[1:] != sorted_units[:-1]])
    ends = np.r_[starts[1:], len(order)]
    return order, starts, ends


def _school_spaces(cells: Cells, rows: np.ndarray, canonical: np.ndarray, flags: np.ndarray,
                   structural: np.ndarray, group: tuple[int, ...], relations, measures: int,
                   found: list[tuple], memo: dict) -> dict[int, tuple]:
    """Return each school's space, with its own sector and milieu and a signature of
    its hidden counts, for one group."""
    order, starts, ends = _segments(cells.unit[rows])
    group = np.array(group)
    spaces = {}
    for start, end in zip(starts, ends, strict=True):
        mine = rows[order[start:end]]
        hidden = flags[np.ix_(mine, group)]
        if not hidden.any():
            continue
        unit = int(cells.unit[mine[0]])
        signature = hash(hidden.tobytes())
        if unit in memo and memo[unit][0] == signature:
            spaces[unit] = memo[unit][1]
            found.extend(memo[unit][2])
            continue
        mark = len(found)
        grades, sex = cells.grades[mine], cells.sex[mine]
        finest = np.flatnonzero((cells.cycle_of[grades] > 0) & (sex > 0))
        membership = (((grades[:, None] == 0) | (grades[:, None] == grades[finest])
                       | (grades[:, None] == cells.cycle_of[grades[finest]]))
                      & ((sex[:, None] == 0) | (sex[:, None] == sex[finest])))
        variable = hidden[finest] & ~structural[np.ix_(mine[finest], group)]
        keys = count_key(0, 0, grades[:, None], sex[:, None], group[None, :])
        ids = canonical[mine][:, None] * measures + group[None, :]
        space = school_space(membership.astype(float), hidden, variable, relations, keys,
                             ids, finest, found)
        spaces[unit] = (space, int(cells.own_sector[mine[0]]), int(cells.own_milieu[mine[0]]),
                        signature)
        memo[unit] = (signature, spaces[unit], found[mark:])
    return spaces


def _unit_spaces(cells: Cells, rows: np.ndarray, canonical: np.ndarray, flags: np.ndarray,
                 group: tuple[int, ...], children: dict, level: int, measures: int,
                 found: list[tuple], memo: dict) -> dict[int, tuple]:
    """Return the space of each unit of ``level`` from its children's, for one group."""
    group = np.array(group)
    child_rows = np.flatnonzero(cells.level == level - 1)
    parent_of = dict(zip(cells.unit[child_rows].tolist(), cells.parent[child_rows].tolist(),
                         strict=False))
    by_parent, parent_starts, parent_ends = _segments(cells.parent[child_rows])
    first_rows = {int(cells.parent[child_rows[by_parent[a]]]): (a, b)
                  for a, b in zip(parent_starts, parent_ends, strict=True)}
    family: dict[int, list[int]] = {}
    for child in children:
        family.setdefault(parent_of[child], []).append(child)
    order, starts, ends = _segments(cells.unit[rows])
    spaces = {}
    for start, end in zip(starts, ends, strict=True):
        mine = rows[order[start:end]]
        unit = int(cells.unit[mine[0]])
        kids = family.get(unit, [])
        hidden = flags[np.ix_(mine, group)]
        if not kids and not hidden.any():
            continue
        signature = hash((hidden.tobytes(), *(children[kid][3] for kid in kids)))
        if unit in memo and memo[unit][0] == signature:
            spaces[unit] = memo[unit][1]
            found.extend(memo[unit][2])
            continue
        mark = len(found)
        keys = count_key(cells.sector[mine][:, None], cells.milieu[mine][:, None],
                         cells.grades[mine][:, None], cells.sex[mine][:, None],
                         group[None, :]).ravel()
        ids = (canonical[mine][:, None] * measures + group[None, :]).ravel()
        sorter = np.argsort(keys)
        members, contributions = [], []
        for kid in kids:
            space, sector, milieu, _ = children[kid]
            wanted = space.keys
            if level == 1:  # a school counts in its commune's cells for its sector and milieu
                steps = np.array([0, sector * _SECTOR_STEP, milieu * _MILIEU_STEP,
                                  sector * _SECTOR_STEP + milieu * _MILIEU_STEP])
                wanted = (space.keys[:, None] + steps[None, :]).ravel()
                child_rows_of = np.repeat(np.arange(len(space.keys)), 4)
            else:
                child_rows_of = np.arange(len(space.keys))
            at = sorter[np.searchsorted(keys, wanted, sorter=sorter)]
            members.append(space)
            contributions.append((child_rows_of, at))
        lacking: list = []
        space = merge(members, contributions, keys, hidden.ravel(), ids, found, lacking)
        a, b = first_rows.get(unit, (0, 0))
        family_rows = child_rows[by_parent[a:b]]
        for position, target_ids, wanted in lacking:
            found.append((target_ids, [
                _complements(cells, family_rows, canonical, level, unit, kids[position], key,
                             measures) for key in wanted]))
        spaces[unit] = (space, 0, 0, signature)
        memo[unit] = (signature, spaces[unit], found[mark:])
    return spaces


def _complements(cells: Cells, rows: np.ndarray, canonical: np.ndarray, level: int,
                 parent: int, child: int, key: int, measures: int) -> np.ndarray:
    """Return the counts (ids) whose hiding would let ``child``'s count ``key`` change in
    ``parent`` (of ``level``; ``rows`` are its children's cells): its siblings', else, for
    an only child, those of its parent's siblings or the nearest ancestor's."""
    found = (_siblings(cells, rows, canonical, parent, child, key, measures) if len(rows)
             else np.zeros(0, np.int64))
    return found if len(found) else _relatives(cells, canonical, level, parent, key, measures)


def _siblings(cells: Cells, rows: np.ndarray, canonical: np.ndarray, parent: int, child: int,
              key: int, measures: int) -> np.ndarray:
    """Return the counts (ids) of ``key`` in the other children of ``parent`` (``rows`` are
    the cells of the children's level), those of the child's own sector and milieu first
    when it is a school."""
    measure = key % 16
    mine = rows[(cells.parent[rows] == parent) & (cells.unit[rows] != child)]
    same_key = count_key(cells.sector[mine], cells.milieu[mine], cells.grades[mine],
                         cells.sex[mine], measure) == key
    mine = mine[same_key]
    at = np.flatnonzero(cells.unit[rows] == child)
    if len(at) and len(mine):
        alike = ((cells.own_sector[mine] == cells.own_sector[rows[at[0]]])
                 & (cells.own_milieu[mine] == cells.own_milieu[rows[at[0]]]))
        if alike.any():
            mine = mine[alike]
    return (canonical[mine] * measures + measure).astype(np.int64)


def _relatives(cells: Cells, canonical: np.ndarray, level: int, unit: int, key: int,
               measures: int) -> np.ndarray:
    """Return the counts (ids) of ``key`` in the nearest units with the same parent as
    ``unit`` (of ``level``) or as one of its ancestors."""
    measure = key % 16
    while level < cells.level.max():
        rows = np.flatnonzero(cells.level == level)
        at = rows[cells.unit[rows] == unit]
        if not len(at):
            break
        parent = cells.parent[at[0]]
        mine = rows[(cells.parent[rows] == parent) & (cells.unit[rows] != unit)]
        mine = mine[count_key(cells.sector[mine], cells.milieu[mine], cells.grades[mine],
                              cells.sex[mine], measure) == key]
        if len(mine):
            return (canonical[mine] * measures + measure).astype(np.int64)
        level, unit = level + 1, int(parent)
    return np.zeros(0, np.int64)
