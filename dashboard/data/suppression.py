"""Which counts no view may show: the suppression pattern of one school year.

Every number a screen, API answer, data file or briefing shows is a count summed over
rows of ``school_stats`` (one school, grade and sex each). That set of rows is a
*cell*, named by its unit (the nation down to one school), sector, milieu, grades (all,
a cycle or one grade) and sex. The pattern is decided here once for every cell of a
year, so that no combination of views (other filter values, other levels, totals minus
parts) gives back a hidden count:

* Cells made of the same rows are one cell, whatever they are called: a commune with a
  single school under a cycle or sector filter is that school, and hides what it hides.
  Rows are recognised by the sum of a random 64-bit tag of each row.
* Primary suppression: a count of one school above zero and under the threshold.
* Complementary suppression: a shown total and its parts form a relation: a unit and
  its child units, a cell and its two sexes, its cycles, a cycle's grades, both sectors,
  both milieux; and, within a cell, its pupils and their promoted, repeaters and
  dropouts, an exam's candidates and their passes and failures. A relation with exactly
  one hidden member would give it back by subtraction, so another member is hidden: the
  smallest non-zero part, else a zero part (a zero is a count too), else the total.
  Repeated until no relation has exactly one. The pupils of each age band (6-11, 12-14,
  15-17, the numerators of the schooling rates) are counts of their own: no relation
  within a cell links them (the pupils of other ages are never shown), the territorial
  and filter relations do. A zero everyone can tell (the exam counts
  of a cell without the grade that sits the exam, known from the schools' cycles)
  protects nothing and is never picked.
* Chains: a longer chain of relations can still give a count back, so the whole system
  of shown counts is solved exactly (:mod:`dashboard.data.suppression_audit`); each count it
  gives back gets one more hidden (more when it comes back), relations are completed
  again, and so on until it gives nothing back.

The functions here are pure: ``build`` stores the pattern, queries look it up.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard import levels
from dashboard.ages import AGE_BANDS
from dashboard.data import suppression_audit as audit
from dashboard.data.schema import (
    CYCLES,
    EXAMS,
    GRADES,
    GRADES_BY_CYCLE,
    SECTORS,
    SEXES,
)
from dashboard.levels import NATIONAL_CODE

ALL = "all"
KEY = ("level", "code", "sector", "milieu", "grades", "sex")
#: From one school up to the nation.
LEVELS = tuple(reversed(levels.LEVELS))
#: Counts of a cell; ``*_failed`` are implied (candidates minus passes).
MEASURES = ("enrolled", "dropouts", "repeaters", "promoted", "undecided", "average_count",
            *(f"{exam.lower()}_{part}" for exam in EXAMS
              for part in ("candidates", "passed", "failed")), *AGE_BANDS)
#: Within a cell: a total and the counts it splits into (``undecided`` are the pupils
#: whose end-of-year result is not known yet: enrolled minus ``decided``).
MEASURE_RELATIONS = (("enrolled", ("promoted", "repeaters", "dropouts", "undecided")),
                     *((f"{e.lower()}_candidates", (f"{e.lower()}_passed", f"{e.lower()}_failed"))
                       for e in EXAMS))
ROW_COLUMNS = ("school_code", "commune_code", "province_code", "region_code", "sector",
               "milieu", "grade", "sex", "enrolled", "decided", "dropouts", "repeaters",
               "promoted", "average_count",
               *(f"{e.lower()}_{p}" for e in EXAMS for p in ("candidates", "passed")),
               *AGE_BANDS)
_ANCESTORS = ("commune_code", "province_code", "region_code")
#: The grade whose pupils sit each exam: a cell without it has no candidates, as
#: everyone can tell from the schools' cycles, so its zero protects nothing.
EXAM_GRADE = {"CEP": "6AEP", "REG": "3AC", "BAC": "2BAC"}
_UNIT_COLUMN = {"school": "school_code", "commune": "commune_code",
                "province": "province_code", "region": "region_code", "national": None}
_PARENT = dict(zip(LEVELS[:-1], LEVELS[1:], strict=True))
# integer codes of the key's parts (0 is always "all")
_SECTOR = {ALL: 0, **{s: i + 1 for i, s in enumerate(SECTORS)}}
_MILIEU = {ALL: 0, "urbain": 1, "rural": 2}
_GRADES = {ALL: 0, **{c: i + 1 for i, c in enumerate(CYCLES)},
           **{g: i + 1 + len(CYCLES) for i, g in enumerate(GRADES)}}
_SEX = {ALL: 0, **{s: i + 1 for i, s in enumerate(SEXES)}}
_CYCLE_OF = {_GRADES[g]: _GRADES[c] for c, grades in GRADES_BY_CYCLE.items() for g in grades}
#: Counts linked within a cell, each with its relations (total, parts), by measure number.
_GROUPS = [tuple((tuple(MEASURES.index(n) for n in names),
                  [(MEASURES.index(t), tuple(MEASURES.index(p) for p in parts))
                   for t, parts in MEASURE_RELATIONS if t in names]))
           for names in (("enrolled", "dropouts", "repeaters", "promoted", "undecided"),
                         ("average_count",),
                         *((f"{e.lower()}_candidates", f"{e.lower()}_passed",
                            f"{e.lower()}_failed") for e in EXAMS),
                         *((band,) for band in AGE_BANDS))]
_PART = 1e12  # scores of the candidate complements: a visible count, a zero part, the total
_TOTAL = 2e12


def decide(rows: pd.DataFrame, limit: int) -> pd.DataFrame:
    """Return the hidden counts of every cell one year's rows make, under ``limit``.

    ``rows`` are ``school_stats`` rows of one year (``ROW_COLUMNS``). The result has one
    row per cell with at least one hidden count: the ``KEY`` columns, then one boolean
    column per measure (``MEASURES``). A ``limit`` of 0 hides nothing.
    """
    empty = pd.DataFrame(columns=[*KEY, *MEASURES])
    if limit <= 0 or rows.empty:
        return empty
    frame = cells(rows)
    same, first = _canonical(frame)
    values = frame[list(MEASURES)].to_numpy(float)[first]
    values[_structural(frame)[first]] = np.inf  # never picked as a complement
    of_school = np.zeros(len(first), bool)
    np.logical_or.at(of_school, same, (frame["level"] == "school").to_numpy())
    hidden = of_school[:, None] & (values > 0) & (values < limit)
    network = Relations.of(frame, same)
    counts = np.zeros((network.count, len(MEASURES)), np.int32)
    fresh = [np.flatnonzero(hidden[:, column]) for column in range(len(MEASURES))]
    numbers, memo, repeats = _numbers(frame), {}, {}
    while True:
        while any(len(cells) for cells in fresh):
            network.complete(hidden, values, counts, fresh)
            fresh = _complete_measures(hidden, values)
        known = ~np.isfinite(values)  # a zero anyone can tell is no secret to give back
        given = audit.given_back(numbers, same, hidden & ~known, known, _GROUPS,
                                 len(LEVELS), memo)
        if given.empty:
            break
        fresh = _protect(network, hidden, values, given, repeats)
        if not any(len(cells) for cells in fresh):
            raise RuntimeError(f"{len(given)} hidden counts cannot be protected")
    wanted = np.flatnonzero(hidden[same].any(axis=1))
    result = frame.iloc[wanted][list(KEY)].reset_index(drop=True)
    flags = pd.DataFrame(hidden[same[wanted]], columns=list(MEASURES))
    return pd.concat([result, flags], axis=1)


def given_back(rows: pd.DataFrame, pattern: pd.DataFrame) -> pd.DataFrame:
    """Return the hidden counts of ``pattern`` (as :func:`decide` gives it) that the shown
    counts of ``rows`` give back, whatever the chain: the ``KEY`` columns and ``measure``.
    """
    frame = cells(rows)
    same, first = _canonical(frame)
    hidden = Lookup(pattern).lookup(frame)
    canonical = np.zeros((len(first), len(MEASURES)), bool)
    np.logical_or.at(canonical, same, hidden)
    known = _structural(frame)[first]
    found = audit.given_back(_numbers(frame), same, canonical & ~known, known, _GROUPS,
                             len(LEVELS))
    named = frame.iloc[first[found["cell"].to_numpy()]][list(KEY)].reset_index(drop=True)
    return named.assign(measure=[MEASURES[m] for m in found["measure"]])


class Lookup:
    """The hidden counts of a pattern (as :func:`decide` gives it), found by cell key."""

    def __init__(self, pattern: pd.DataFrame):
        self.codes = pd.Index(pd.unique(pattern["code"])) if len(pattern) else pd.Index([])
        keys = cell_keys(pattern, self.codes) if len(pattern) else np.zeros(0, np.int64)
        order = np.argsort(keys, kind="stable")
        self.keys = keys[order]
        self.flags = pattern[list(MEASURES)].to_numpy(bool)[order]

    def lookup(self, keys: pd.DataFrame) -> np.ndarray:
        """Return the flags of each cell ``keys`` names (none for a cell not listed)."""
        found = np.zeros((len(keys), len(MEASURES)), dtype=bool)
        if not len(self.keys):
            return found
        wanted = cell_keys(keys, self.codes)
        at = np.minimum(np.searchsorted(self.keys, wanted), len(self.keys) - 1)
        hit = (self.keys[at] == wanted) & (wanted >= 0)
        found[hit] = self.flags[at[hit]]
        return found


def _canonical(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Return each cell's canonical id (cells of the same rows share one) and the first
    cell of each canonical id."""
    same = frame.groupby(["tag_lo", "tag_hi", "rows"], sort=False).ngroup().to_numpy()
    return same, pd.Series(np.arange(len(frame))).groupby(same).first().to_numpy()


def _structural(frame: pd.DataFrame) -> np.ndarray:
    """Return which counts of each cell are known to be zero: an exam's counts in a cell
    without the grade that sits it."""
    known = np.zeros((len(frame), len(MEASURES)), dtype=bool)
    for exam in EXAMS:
        prefix = exam.lower()
        absent = (frame[f"{prefix}_rows"] == 0).to_numpy()
        for part in ("candidates", "passed", "failed"):
            known[:, MEASURES.index(f"{prefix}_{part}")] = absent
    return known


# --- the cells ------------------------------------------------------------------------------


def cells(rows: pd.DataFrame) -> pd.DataFrame:
    """Return every cell one year's rows make, with its counts and the tag of its rows.

    Columns: the key (``KEY``), the codes of the unit's ancestors, the school's own
    sector and milieu (``own_sector``, ``own_milieu``), the counts (``MEASURES``), and
    ``tag_lo``, ``tag_hi`` and ``rows``, which say which rows the cell sums.
    """
    rows = rows.copy()
    rows["undecided"] = rows["enrolled"] - rows["decided"]
    for exam in EXAMS:
        prefix = exam.lower()
        rows[f"{prefix}_failed"] = rows[f"{prefix}_candidates"] - rows[f"{prefix}_passed"]
    tag = _mixed(pd.util.hash_pandas_object(rows[["school_code", "grade", "sex"]],
                                             index=False).to_numpy(np.uint64))
    rows["tag_lo"] = (tag & np.uint64(0xFFFFFFFF)).astype(np.int64)
    rows["tag_hi"] = (tag >> np.uint64(32)).astype(np.int64)
    rows["rows"] = 1
    for exam, grade in EXAM_GRADE.items():
        rows[f"{exam.lower()}_rows"] = (rows["grade"] == grade).astype(np.int64)
    rows["cycle"] = rows["grade"].map({g: c for c, gs in GRADES_BY_CYCLE.items() for g in gs})
    sums = [*MEASURES, "tag_lo", "tag_hi", "rows", *(f"{e.lower()}_rows" for e in EXAMS)]
    frames = [_level_cells(rows, "school", sums)]
    # territorial cells from one pass by commune, sector, milieu, grade and sex
    fine = rows.groupby([*_ANCESTORS, "sector", "milieu", "cycle", "grade", "sex"],
                        as_index=False, observed=True)[sums].sum()
    frames += [_level_cells(fine, level, sums) for level in LEVELS[1:]]
    return pd.concat(frames, ignore_index=True)


def _mixed(tags: np.ndarray) -> np.ndarray:
    """Return each tag through splitmix64's finaliser: pandas combines a row's column
    hashes so that rows differing in one column (a school's girls and boys) sum to the
    same on the bits where that column's hashes differ, and two schools' grades could
    then pass for the same rows; mixed, sums of different rows collide about once in
    2**64."""
    with np.errstate(over="ignore"):
        tags = tags ^ (tags >> np.uint64(30))
        tags = tags * np.uint64(0xBF58476D1CE4E5B9)
        tags = tags ^ (tags >> np.uint64(27))
        tags = tags * np.uint64(0x94D049BB133111EB)
        return tags ^ (tags >> np.uint64(31))


def _level_cells(rows: pd.DataFrame, level: str, sums: list[str]) -> pd.DataFrame:
    """Sum ``rows`` into the cells of one level: every choice of grades and sex, and
    for a territory every choice of sector and milieu (a school has one of each)."""
    column = _UNIT_COLUMN[level]
    units = {"school": ["school_code", *_ANCESTORS, "sector", "milieu"],
             "commune": list(_ANCESTORS), "province": list(_ANCESTORS[1:]),
             "region": list(_ANCESTORS[2:]), "national": []}[level]
    splits = (False,) if level == "school" else (False, True)
    frames = []
    for by_sector in splits:
        for by_milieu in splits:
            for grades in (ALL, "cycle", "grade"):
                for by_sex in (False, True):
                    keys = [*units, *(["sector"] if by_sector else []),
                            *(["milieu"] if by_milieu else []),
                            *{"cycle": ["cycle"], "grade": ["cycle", "grade"]}.get(grades, []),
                            *(["sex"] if by_sex else [])]
                    frame = (rows.groupby(keys, as_index=False, observed=True)[sums].sum()
                             if keys else rows[sums].sum().to_frame().T)
                    frame = frame.assign(
                        level=level,
                        code=frame[column] if column else NATIONAL_CODE,
                        grades=frame[grades] if grades != ALL else ALL,
                        sex=frame["sex"] if by_sex else ALL,
                    )
                    if level == "school":
                        frame = frame.assign(own_sector=frame["sector"],
                                             own_milieu=frame["milieu"], sector=ALL, milieu=ALL)
                    else:
                        frame = frame.assign(sector=frame["sector"] if by_sector else ALL,
                                             milieu=frame["milieu"] if by_milieu else ALL)
                    frames.append(frame)
    return pd.concat(frames, ignore_index=True)


# --- the relations --------------------------------------------------------------------------


def _combine(level, code, sector, milieu, grades, sex) -> np.ndarray:
    return ((((level * (1 << 24) + code) * 4 + sector) * 4 + milieu) * 32 + grades) * 4 + sex


def cell_keys(keys: pd.DataFrame, codes: pd.Index) -> np.ndarray:
    """Return one int64 per cell named by ``keys`` (the ``KEY`` columns); ``codes`` numbers
    the unit codes (a code it does not hold gives -1)."""
    level = _numbered(keys["level"], {name: i for i, name in enumerate(LEVELS)})
    code = codes.get_indexer(keys["code"]).astype(np.int64)
    parts = [_numbered(keys[name], table) for name, table in
             (("sector", _SECTOR), ("milieu", _MILIEU), ("grades", _GRADES), ("sex", _SEX))]
    return np.where(code >= 0, _combine(level, code, *parts), -1)


def _numbered(column: pd.Series, table: dict[str, int]) -> np.ndarray:
    """Return the number ``table`` gives each value (through a categorical: a hash per
    distinct value, not a Python call per row)."""
    names = list(table)
    positions = pd.Categorical(column, categories=names).codes
    if (positions < 0).any():
        raise ValueError(f"unknown values in {column.name}: "
                         f"{sorted(set(column[positions < 0]))[:5]}")
    return np.array([table[name] for name in names], np.int64)[positions]


class Relations:
    """Every relation of one year's cells: a total and its parts, as canonical cells."""

    def __init__(self, ids: np.ndarray, members: np.ndarray, is_total: np.ndarray, size: int):
        order = np.lexsort((members, ids))
        self.ids, self.members, self.is_total = ids[order], members[order], is_total[order]
        self.count = int(ids.max()) + 1 if len(ids) else 0
        self.starts = np.searchsorted(self.ids, np.arange(self.count + 1))
        by_member = np.argsort(self.members, kind="stable")
        self.member_relations = self.ids[by_member]
        self.member_starts = np.searchsorted(self.members[by_member], np.arange(size + 1))

    @classmethod
    def of(cls, frame: pd.DataFrame, same: np.ndarray) -> Relations:
        """Find the relations of ``frame``'s cells; ``same`` gives each cell's canonical id."""
        codes = pd.Index(pd.unique(frame["code"]))
        key = {name: frame[name].map(table).to_numpy(np.int64) for name, table in
               (("sector", _SECTOR), ("milieu", _MILIEU), ("grades", _GRADES), ("sex", _SEX))}
        level = frame["level"].map({name: i for i, name in enumerate(LEVELS)}).to_numpy(np.int64)
        code = codes.get_indexer(frame["code"]).astype(np.int64)
        where = pd.Index(_combine(level, code, **key))
        edges = []  # (part, total, dimension)

        def link(mine: np.ndarray, dimension: int, **total: np.ndarray) -> None:
            """Join the cells ``mine`` to their totals (the key with ``total``'s parts)."""
            columns = {"level": level, "code": code, **key, **total}
            found = where.get_indexer(_combine(**{n: v[mine] for n, v in columns.items()}))
            keep = found >= 0
            edges.append(np.column_stack([np.flatnonzero(mine)[keep], found[keep],
                                          np.full(keep.sum(), dimension)]))

        def code_of(column: str | None) -> np.ndarray:
            if column is None:
                return np.full(len(frame), codes.get_loc(NATIONAL_CODE), np.int64)
            return codes.get_indexer(frame[column].fillna("")).astype(np.int64)

        own_sector = frame["own_sector"].map(_SECTOR).fillna(0).to_numpy(np.int64)
        own_milieu = frame["own_milieu"].map(_MILIEU).fillna(0).to_numpy(np.int64)
        for child, parent in _PARENT.items():
            mine = level == LEVELS.index(child)
            up = {"level": np.full(len(frame), LEVELS.index(parent), np.int64),
                  "code": code_of(_UNIT_COLUMN[parent])}
            if child == "school":  # a part of its commune for its own sector and milieu, and all
                for sector in (own_sector, np.zeros(len(frame), np.int64)):
                    for milieu in (own_milieu, np.zeros(len(frame), np.int64)):
                        link(mine, 0, **up, sector=sector, milieu=milieu)
            else:
                link(mine, 0, **up)
        zero = np.zeros(len(frame), np.int64)
        for dimension, name in ((1, "sex"), (2, "sector"), (3, "milieu")):
            link(key[name] != 0, dimension, **{name: zero})
        cycle_of = np.zeros(max(_GRADES.values()) + 1, np.int64)
        for grade, cycle in _CYCLE_OF.items():
            cycle_of[grade] = cycle
        link(key["grades"] > len(CYCLES), 4, grades=cycle_of[key["grades"]])
        link((key["grades"] > 0) & (key["grades"] <= len(CYCLES)), 4, grades=zero)
        edges = np.concatenate(edges)
        relation = pd.factorize(edges[:, 1] * 8 + edges[:, 2])[0]
        incidence = pd.DataFrame({
            "id": np.concatenate([relation, relation]),
            "member": same[np.concatenate([edges[:, 0], edges[:, 1]])],
            "total": np.concatenate([np.zeros(len(edges), bool), np.ones(len(edges), bool)]),
        }).drop_duplicates()
        # a relation where a part is the total itself has only empty other parts: no relation
        totals = incidence[incidence["total"]].set_index("id")["member"]
        parts = incidence[~incidence["total"]]
        trivial = parts["id"][parts["member"].to_numpy()
                              == totals.reindex(parts["id"]).to_numpy()]
        incidence = incidence[~incidence["id"].isin(trivial)]
        ids = pd.factorize(incidence["id"])[0]
        return cls(ids, incidence["member"].to_numpy(), incidence["total"].to_numpy(),
                   int(same.max()) + 1)

    def _segments(self, relations: np.ndarray) -> np.ndarray:
        """Return the incidence positions of ``relations``' members."""
        return _ranges(self.starts[relations], self.starts[relations + 1])

    def _relations_of(self, cells: np.ndarray) -> np.ndarray:
        """Return the relations of ``cells``, each as often as a cell belongs to it."""
        return self.member_relations[_ranges(self.member_starts[cells],
                                             self.member_starts[cells + 1])]

    def complete(self, hidden: np.ndarray, values: np.ndarray, counts: np.ndarray,
                 fresh: list[np.ndarray]) -> bool:
        """Hide members until no relation has exactly one hidden, measure by measure.

        ``counts`` holds each relation's hidden members per measure, before the cells
        ``fresh`` (per measure) were hidden; both are brought up to date.
        """
        changed = False
        for column, cells in enumerate(fresh):
            flags, count = hidden[:, column], counts[:, column]
            while len(cells):
                touched = self._relations_of(cells)
                _add(count, touched)
                frontier = np.unique(touched[count[touched] == 1])
                if not len(frontier):
                    break
                at = self._segments(frontier)
                members = self.members[at]
                score = values[members, column]
                score = np.where(score > 0, score, _PART)
                score = np.where(self.is_total[at], _TOTAL, score)
                score = np.where(flags[members], np.inf, score)
                lengths = self.starts[frontier + 1] - self.starts[frontier]
                bounds = np.concatenate([[0], np.cumsum(lengths)[:-1]])
                lowest = np.repeat(np.minimum.reduceat(score, bounds), lengths)
                best = np.flatnonzero(score == lowest)
                segment = np.repeat(np.arange(len(frontier)), lengths)[best]
                best = best[np.unique(segment, return_index=True)[1]]
                cells = np.unique(members[best])
                cells = cells[~flags[cells]]
                flags[cells] = True
                changed |= bool(len(cells))
        return changed


def _add(count: np.ndarray, touched: np.ndarray) -> None:
    """Add one to ``count`` at each of ``touched`` (repeats counted)."""
    if len(touched) > len(count) // 64:
        count += np.bincount(touched, minlength=len(count)).astype(count.dtype)
    else:
        np.add.at(count, touched, 1)


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Return the positions ``starts[i]`` to ``ends[i] - 1`` of every ``i``, end to end."""
    lengths = ends - starts
    return np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())


def _complete_measures(hidden: np.ndarray, values: np.ndarray) -> list[np.ndarray]:
    """Within each cell, hide one more count of a total split with exactly one hidden.

    Return the cells newly hidden, per measure.
    """
    fresh = [np.zeros(0, np.int64) for _ in MEASURES]
    position = {name: i for i, name in enumerate(MEASURES)}
    for total, parts in MEASURE_RELATIONS:
        columns = np.array([position[total], *(position[p] for p in parts)])
        block = hidden[:, columns]
        rows = np.flatnonzero(block.sum(axis=1) == 1)
        if not len(rows):
            continue
        score = values[np.ix_(rows, columns)]
        score = np.where(score > 0, score, _PART)
        score[:, 0] = _TOTAL
        score = np.where(block[rows], np.inf, score)
        picked = columns[score.argmin(axis=1)]
        hidden[rows, picked] = True
        for column in np.unique(picked):
            fresh[column] = np.concatenate([fresh[column], rows[picked == column]])
    return fresh


# --- chains of relations --------------------------------------------------------------------


def _numbers(frame: pd.DataFrame) -> audit.Cells:
    """Return ``frame``'s cells as the numbers the audit works on."""
    codes = pd.Index(pd.unique(frame["code"]))
    level = frame["level"].map({name: i for i, name in enumerate(LEVELS)}).to_numpy(np.int64)
    parent = np.full(len(frame), -1, np.int64)
    for child, up in _PARENT.items():
        mine = level == LEVELS.index(child)
        column = _UNIT_COLUMN[up]
        parent[mine] = (codes.get_indexer(frame.loc[mine, column]) if column
                        else codes.get_loc(NATIONAL_CODE))
    cycle_of = np.zeros(max(_GRADES.values()) + 1, np.int64)
    for grade, cycle in _CYCLE_OF.items():
        cycle_of[grade] = cycle
    return audit.Cells(
        level=level, unit=codes.get_indexer(frame["code"]).astype(np.int64), parent=parent,
        **{name: _numbered(frame[name], table) for name, table in
           (("sector", _SECTOR), ("milieu", _MILIEU), ("grades", _GRADES), ("sex", _SEX))},
        own_sector=frame["own_sector"].map(_SECTOR).fillna(0).to_numpy(np.int64),
        own_milieu=frame["own_milieu"].map(_MILIEU).fillna(0).to_numpy(np.int64),
        cycle_of=cycle_of)


def _protect(network: Relations, hidden: np.ndarray, values: np.ndarray,
             given: pd.DataFrame, repeats: dict[int, int]) -> list[np.ndarray]:
    """Hide more counts for each hidden count a chain of relations gives back: the
    smallest shown count the chain uses; for a count given back again, also the smallest
    shown one in a relation with it; from the third time, every shown count the chain
    uses, and from the fourth every shown one in a relation with it. ``repeats`` counts
    the times each count was given back.

    Return the counts newly hidden, per measure.
    """
    fresh = [[] for _ in MEASURES]
    for cell, measure, used in given.itertuples(index=False):
        count = cell * len(MEASURES) + measure
        times = repeats[count] = repeats.get(count, 0) + 1
        picked = _culprits(hidden, values, used, every=times >= 3)
        if times >= 2 or not picked:
            picked += _next_to(network, hidden, values, int(cell), int(measure),
                               every=times >= 4)
        for at in picked:
            hidden[at] = True
            fresh[at[1]].append(at[0])
    return [np.unique(np.array(cells, np.int64)) for cells in fresh]


def _culprits(hidden: np.ndarray, values: np.ndarray, used: np.ndarray,
              every: bool) -> list[tuple[int, int]]:
    """Return the smallest shown count among ``used`` (ids: cell * measures + measure),
    or ``every`` shown one."""
    cells, measures = used // len(MEASURES), used % len(MEASURES)
    shown = ~hidden[cells, measures] & np.isfinite(values[cells, measures])
    cells, measures = cells[shown], measures[shown]
    if not len(cells):
        return []
    if every:
        return list(zip(cells.tolist(), measures.tolist(), strict=True))
    score = values[cells, measures]
    best = int(np.argmin(np.where(score > 0, score, _PART)))
    return [(int(cells[best]), int(measures[best]))]


def _next_to(network: Relations, hidden: np.ndarray, values: np.ndarray, cell: int,
             measure: int, every: bool = False) -> list[tuple[int, int]]:
    """Return the (cell, measure) to hide next to a given-back count: the smallest shown
    one in a relation with it (or with the hidden counts next to it), or ``every`` shown
    one at that distance."""
    reached, frontier = {(cell, measure)}, [(cell, measure)]
    for _ in range(4):
        candidates = []
        for at, m in frontier:
            relations = network._relations_of(np.array([at]))
            positions = network._segments(np.unique(relations))
            for member, total in zip(network.members[positions], network.is_total[positions],
                                     strict=True):
                candidates.append((int(member), m, bool(total)))
            for total, parts in MEASURE_RELATIONS:
                names = (total, *parts)
                if MEASURES[m] in names:
                    candidates += [(at, MEASURES.index(n), n == total) for n in names]
        best, best_score, shown = None, np.inf, []
        following = []
        for member, m, total in candidates:
            if (member, m) in reached:
                continue
            reached.add((member, m))
            if hidden[member, m]:
                following.append((member, m))
                continue
            value = values[member, m]
            score = _TOTAL if total else (value if value > 0 else _PART)
            if np.isfinite(value):
                shown.append((member, m))
                if score < best_score:
                    best, best_score = (member, m), score
        if best is not None:
            return shown if every else [best]
        frontier = following
    return []
