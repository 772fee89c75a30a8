"""The briefing pack of a view: its numbers, map, ranking and trend, and their words.

:func:`briefing_content` reads everything through the page's own panels
(``panels.registry``), so a pack carries exactly the numbers of the screen and of the
API. The wording both layouts share (cover lines, notes, table headers and cells) is
written here once; ``exports.briefing_charts`` renders the charts,
``exports.briefing_pptx`` and ``exports.briefing_pdf`` lay the pack out, and
``exports.briefing_files`` makes either file of a view.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd
import plotly.graph_objects as go

from dashboard import indicators
from dashboard.formatting import (
    NO_DATA,
    format_cell,
    format_change,
    format_count,
    format_decimal,
    format_rate,
    is_missing,
    school_year_label,
)
from dashboard.i18n import _
from dashboard.levels import LEVEL_LABELS, RANKED_LABELS
from dashboard.urls import View
from exports.charts import french_date
from layouts.shell import CHOICE_LABELS
from panels import quality as quality_panels
from panels import registry, schooling
from panels.base import HIDDEN, present
from panels.kpis import tone
from panels.ranking import sort_label
from panels.school import territory
from queries import NATIONAL_SCOPE, Scope, privacy
from queries.units import ancestors, get_unit
from queries.version import data_version_info

#: Children listed whole up to this many (the 12 regions fit on a slide); beyond it, the
#: five highest and five lowest.
RANKING_ALL_UP_TO = 12


RANKING_EACH_END = 5


UNIT_TEXTS = {"count": "Nombre ; évolution en %", "rate": "Taux (%) ; évolution en points",
              "score": "Note sur 20 ; évolution en %"}


@dataclass(frozen=True)
class KpiRow:
    """One indicator of the unit: the texts shown and the raw values behind them."""

    indicator: indicators.Indicator
    value: str
    previous: str
    change: str
    tone: str
    raw_value: float | None
    raw_previous: float | None
    raw_change: float | None


@dataclass(frozen=True)
class RankRow:
    """One child unit in the ranking, or a reference row (no rank)."""

    rank: int | None
    code: str
    name: str
    value: str
    change: str
    enrollment: str
    tone: str
    raw_value: float | None
    raw_change: float | None
    raw_enrollment: int | None
    secret: bool = False  # its value is hidden by small-cell suppression


@dataclass(frozen=True)
class Ranking:
    """The children ranked by the selected indicator, as the page's table ranks them.

    ``bottom`` is empty when every child is listed once in ``top``.
    """

    children_label: str
    top: list[RankRow]
    bottom: list[RankRow]
    references: list[RankRow]
    total: int
    without_data: int
    secret: int = 0
    #: The order the user sorted the page's table in (``Évolution, ordre croissant``);
    #: None for the ranking's own order, by value from the highest.
    order: str | None = None
    highest: RankRow | None = None  # rank 1, wherever the order puts it
    lowest: RankRow | None = None


@dataclass(frozen=True)
class ComparisonColumn:
    """One unit of a school's comparison: the school, its territory or the nation."""

    level_label: str
    name: str
    values: dict[str, str]
    raw: dict[str, float | None]


@dataclass(frozen=True)
class Section:
    """One slide (one PDF page): its kind and its title."""

    kind: str  # cover, kpis, map, trend, ranking, comparison, definitions
    title: str


@dataclass
class Briefing:
    """Everything a briefing pack shows, computed once for both formats."""

    view: View
    indicator: indicators.Indicator
    level_label: str
    name_fr: str
    name_ar: str | None
    path: list[str]
    school_year: str
    previous_year: str
    filters_text: str
    generated_on: str
    enrolled: int | None  # None: hidden by small-cell suppression
    kpis: list[KpiRow]
    map_figure: go.Figure | None
    trend_figure: go.Figure | None
    trend_table: list[list[str]]
    ranking: Ranking | None
    comparison: list[ComparisonColumn]
    definitions: list[tuple[str, str, str]]
    sources: str
    sections: list[Section]
    #: The data-quality checks of the year: (check, found, examined, rate) as text.
    quality: list[tuple[str, str, str, str]] = field(default_factory=list)
    #: A territory's rates against the census: (rate, value, population, warning) as text.
    schooling: list[tuple[str, str, str, str, str]] = field(default_factory=list)

    @property
    def heading(self) -> str:
        """Return the line under every slide title: unit, school year and filters."""
        unit = self.name_fr if self.view.level == "national" else (
            f"{self.level_label} {self.name_fr}")
        return " · ".join((unit, _("Année scolaire {year}", year=self.school_year),
                           self.filters_text))

    @property
    def footer(self) -> str:
        """Return the footer text of every page but the cover."""
        return f"Pilotage · {self.name_fr} · {self.school_year}"

    def kpi(self, code: str) -> KpiRow:
        """Return the KPI row of one indicator."""
        return next(row for row in self.kpis if row.indicator.code == code)


def briefing_content(view: View, scope: Scope, today: date | None = None) -> Briefing:
    """Collect the briefing of a view through the query layer (the page's own functions)."""
    indicator = indicators.BY_CODE[view.indicator]
    unit = get_unit(view.level, view.code, scope)
    filters = view.filters
    frame = registry.BY_ID["kpis"].rows(view, scope, unit)
    previous, current = frame.iloc[0], frame.iloc[1]
    threshold = privacy.threshold()
    kpis = [_kpi_row(i, current, previous, threshold) for i in indicators.OF_PUPILS]
    is_school = view.level == "school"
    name_ar = unit["name_ar"] if unit["name_ar"] and unit["name_ar"] != unit["name_fr"] else None
    info = data_version_info()
    version, built_at = info["version"], info["built_at"]
    trend_chart, trend_table = trend_content(view, unit, scope)
    content = Briefing(
        view=view,
        indicator=indicator,
        level_label=_(LEVEL_LABELS[view.level]) if view.level != "national" else "",
        name_fr=unit["name_fr"],
        name_ar=name_ar,
        path=[get_unit(level, code, NATIONAL_SCOPE)["name_fr"] for level, code in ancestors(unit)],
        school_year=school_year_label(filters.year),
        previous_year=school_year_label(filters.year - 1),
        filters_text=filters_text(view),
        generated_on=french_date(today or date.today()),
        enrolled=None if pd.isna(current["enrolled"]) else int(current["enrolled"]),
        kpis=kpis,
        map_figure=None if is_school else go.Figure(registry.draw("map", view, scope)),
        trend_figure=trend_chart,
        trend_table=trend_table,
        ranking=None if is_school else ranking(view, unit, scope),
        comparison=comparison(view, scope) if is_school else [],
        definitions=[*((_(i.label), _(i.definition), _(UNIT_TEXTS[i.unit]))
                       for i in indicators.OF_PUPILS),
                     *((_(label), _(definition), _(UNIT_TEXTS["rate"]))
                       for label, definition in SCHOOLING_DEFINITIONS)],
        sources=sources_text(version, built_at, filters.year,
                             schools=view.level in ("commune", "school")),
        sections=[],
        quality=quality_rows(view, unit, scope),
        schooling=[] if is_school else schooling_rows(view, unit, scope),
    )
    content.sections = sections(content)
    return content


def sections(content: Briefing) -> list[Section]:
    """Return the slides of a briefing in order; a school gets its comparison instead."""
    label = _(content.indicator.label)
    result = [Section("cover", content.name_fr), Section("kpis", _("Indicateurs clés"))]
    if content.ranking is not None:
        children_label = content.ranking.children_label.lower()
        result.append(Section("map", _("Carte des {children} : {indicator}",
                                       children=children_label, indicator=label)))
    else:
        result.append(Section("comparison", _("L'établissement et son territoire")))
    result.append(Section("trend", _("Évolution : {indicator}", indicator=label)))
    if content.ranking is not None:
        children_label = content.ranking.children_label.lower()
        result.append(Section("ranking", _("Classement des {children} : {indicator}",
                                           children=children_label, indicator=label)))
    if content.schooling:
        result.append(Section("schooling", _("Scolarisation de la population")))
    result.append(Section("quality", _("Qualité des données")))
    result.append(Section("definitions", _("Définitions et sources")))
    return result


def quality_rows(view: View, unit: dict, scope: Scope) -> list[tuple[str, str, str, str]]:
    """Return the checks of the year as the briefing's table shows them (the data-quality
    view's own panel)."""
    panel = quality_panels.BY_ID["quality-checks"]
    secret = _("secret")
    return [(row["check"], *(secret if quality_panels.is_hidden(row, key) else text(row[key])
                             for key, text in (("count", format_count), ("base", format_count),
                                               ("rate", quality_panels.rate_text))))
            for row in panel.table(view, panel.rows(view, scope, unit))]


#: The three kinds of rates to the census population, each defined once for its three
#: age bands or cycles (the briefing's definitions fit one slide).
SCHOOLING_DEFINITIONS = (
    ("Taux spécifique de scolarisation",
     "Élèves de 6-11, 12-14 ou 15-17 ans (âge au 1er septembre), tous cycles, / population "
     "de ces âges (HCP, estimée au 1er septembre)."),
    ("Taux brut de scolarisation",
     "Élèves d'un cycle, quel que soit leur âge, / population des âges officiels du cycle "
     "(primaire 6-11, collège 12-14, qualifiant 15-17 ans). Peut dépasser 100 %."),
    ("Taux net de scolarisation", "Élèves d'âge officiel d'un cycle / population de ces âges."),
)


def schooling_rows(view: View, unit: dict, scope: Scope) -> list[tuple[str, str, str, str, str]]:
    """Return a territory's rates against the census as the briefing's table shows them
    (the page's own panel)."""
    panel = registry.BY_ID["schooling"]
    return [(row["label"], _("secret") if "value" in row[HIDDEN] else format_rate(row["value"]),
             _("secret") if "gender_parity_index" in row[HIDDEN]
             else format_parity(row["gender_parity_index"]),
             format_count(row["population"]), row["warning"])
            for row in panel.table(view, panel.rows(view, scope, unit))]


def format_parity(value: float | None) -> str:
    """Return a gender parity index as ``0,97`` (``—`` without one)."""
    return format_decimal(value, 2)


def schooling_note() -> str:
    """Return the line under the schooling table: what the rates divide by."""
    note = _("Population : estimation Pilotage au 1er septembre de l'année scolaire, à "
             "partir des recensements HCP 2014 et 2024 ; âge des élèves au 1er septembre. Un "
             "taux au-dessus de 105 % (dénominateur douteux) est donné tel quel, jamais "
             "plafonné.")
    sample = schooling.sample_note()
    return f"{note} {sample}" if sample else note


def quality_note(content: Briefing) -> str:
    """Return the line under the data-quality table: the score and how to read it."""
    score = content.kpi("quality_score")
    return _("Score de qualité des données : {score}. Un constat signale une donnée "
             "manquante ou contradictoire à corriger dans MASSAR ; le détail, établissement "
             "par établissement, est sur la page « Qualité des données ».", score=score.value)


def filters_text(view: View) -> str:
    """Return the filters in force, every one named: ``Collège · Public et privé · ...``."""
    return " · ".join(_(dict(labels)[getattr(view.filters, name)])
                      for name, labels in CHOICE_LABELS.items())


def cover_size(name: str) -> int:
    """Return the cover's type size (points) for a unit name: long school names are smaller."""
    return 40 if len(name) <= 28 else 30


def sources_text(version: int, built_at: datetime, year: int, schools: bool = False) -> str:
    """Return the sources line: where the numbers come from and which data version.

    ``schools``: the pack shows school figures, so it explains the statistical secret.
    """
    text = _(
        "Source : SI-MASSAR, tables analytiques de Pilotage, version des données n° {version} "
        "du {day} à {time}. Évolutions par rapport à l'année scolaire {previous} : en points "
        "pour les taux, en % pour l'effectif et la moyenne. « — » : pas de données (aucun "
        "inscrit ou aucun candidat pour ces filtres).",
        version=version, day=french_date(built_at.date()), time=built_at.strftime("%H h %M"),
        previous=school_year_label(year - 1),
    )
    if schools:
        text += " " + _("« < {n} » et « secret » : secret statistique (petits effectifs d'un "
                        "établissement, loi 09-08).", n=privacy.threshold())
    return text


def typeset(text: str) -> str:
    """Return text with French no-break spaces before ``: ; ! ?`` and inside « »."""
    return re.sub(r" ([:;!?»])", "\u00a0\\1", text).replace("« ", "«\u00a0")


def kpi_note(content: Briefing) -> str:
    """Return the note under the indicator table."""
    note = _("Bleu : amélioration ; orange : dégradation. Ligne surlignée : indicateur mis en "
             "avant.")
    if content.enrolled == 0:
        note = _("Aucun élève pour ces filtres cette année scolaire.") + " " + note
    return note


def ranking_note(content: Briefing) -> str:
    """Return the note under the ranking table."""
    ranking = content.ranking
    note = _("Rang 1 : valeur la plus élevée. {children} : {total}.",
             children=ranking.children_label, total=ranking.total)
    if ranking.order:
        note += " " + _("Trié comme le tableau de la page : {order}.", order=ranking.order)
    if ranking.without_data:
        note += " " + _("Sans données pour ces filtres, hors classement : {missing}.",
                        missing=ranking.without_data)
    if ranking.secret:
        note += " " + _("Secret statistique, hors classement : {secret}.",
                        secret=ranking.secret)
    return note


def comparison_note(content: Briefing) -> str:
    """Return the note under a school's comparison table."""
    return _("Valeurs de l'année scolaire {year} pour les mêmes filtres ; l'établissement en "
             "gras.", year=content.school_year)


def _cell_text(indicator: indicators.Indicator, row: pd.Series | dict, threshold: int) -> str:
    """Return one value of a query row as shown: formatted, or its secret mark."""
    return format_cell(indicator, present(row.get(indicator.code)),
                       privacy.is_suppressed(row, indicator.code), threshold,
                       privacy.is_small(row))


def _kpi_row(indicator: indicators.Indicator, current: pd.Series, previous: pd.Series,
             threshold: int) -> KpiRow:
    value, before = present(current[indicator.code]), present(previous[indicator.code])
    delta = indicators.change(indicator, math.nan if value is None else value,
                              math.nan if before is None else before)
    delta = None if is_missing(delta) else delta
    return KpiRow(indicator, _cell_text(indicator, current, threshold),
                  _cell_text(indicator, previous, threshold), format_change(indicator, delta),
                  tone(indicator, delta), value, before, delta)


def _rank_row(rank: int | None, code: str, name: str, indicator: indicators.Indicator,
              value: float | None, previous: float | None, enrolled: float | None,
              record: dict | None = None, threshold: int = 0) -> RankRow:
    """Return one row of the ranking; ``record`` (a query row) carries its secret marks."""
    delta = indicators.change(indicator, math.nan if value is None else value,
                              math.nan if previous is None else previous)
    delta = None if is_missing(delta) else delta
    record = record or {}
    count = indicators.BY_CODE["enrollment"]
    hidden = privacy.is_suppressed(record, count.code)
    enrollment = None if hidden else (int(enrolled) if enrolled else 0)
    return RankRow(rank, code, name, _cell_text(indicator, {**record, indicator.code: value},
                                                threshold),
                   format_change(indicator, delta),
                   _cell_text(count, {**record, count.code: enrollment}, threshold),
                   tone(indicator, delta), value, delta, enrollment,
                   privacy.is_suppressed(record, indicator.code))


def ranking(view: View, unit: dict, scope: Scope) -> Ranking:
    """Rank the children as the page's table does, in its order (by value, highest first,
    unless sorted otherwise), no data last; beyond a dozen, the first and last five."""
    indicator = indicators.BY_CODE[view.indicator]
    threshold = privacy.threshold()
    content = registry.BY_ID["ranking"].rows(view, scope, unit)
    rows = [
        _rank_row(None if pd.isna(r["rank"]) else int(r["rank"]), r["code"], r["name_fr"],
                  indicator, present(r.get(indicator.code)),
                  present(r.get(f"{indicator.code}_previous")), present(r.get("enrolled")),
                  r, threshold)
        for r in content["ranked"].to_dict("records")
    ]
    ordered = rows[:len(rows) - content["unsorted"]]  # those with a value in the order's column
    if len(rows) <= RANKING_ALL_UP_TO:
        top, bottom = rows, []
    elif len(ordered) <= RANKING_ALL_UP_TO:
        top, bottom = ordered, []
    else:
        top, bottom = ordered[:RANKING_EACH_END], ordered[-RANKING_EACH_END:]
    references = [_reference_row(label, reference["level"], frame, indicator)
                  for label, reference, frame in content["references"]]
    unranked = [r for r in rows if r.raw_value is None]
    by_rank = sorted((r for r in rows if r.rank is not None), key=lambda r: r.rank)
    secret = sum(row.secret for row in unranked)
    return Ranking(_(RANKED_LABELS[view.ranked]), top, bottom, references, len(rows),
                   len(unranked) - secret, secret, sort_label(view, indicator),
                   by_rank[0] if by_rank else None, by_rank[-1] if by_rank else None)


def _reference_row(label: str, level: str, frame: pd.DataFrame,
                   indicator: indicators.Indicator) -> RankRow:
    previous, current = frame.iloc[0], frame.iloc[1]
    return _rank_row(None, f"reference-{level}", label, indicator,
                     present(current[indicator.code]), present(previous[indicator.code]),
                     present(current["enrolled"]))


def comparison(view: View, scope: Scope) -> list[ComparisonColumn]:
    """Return the school beside its commune, province, region and the nation (as on screen)."""
    columns = []
    threshold = privacy.threshold()
    for level, _code, name, current in territory(view, scope):
        raw = {i.code: present(current[i.code]) for i in indicators.OF_PUPILS}
        columns.append(ComparisonColumn(
            _(LEVEL_LABELS[level]) if level != "national" else _("Maroc"), name,
            {i.code: _cell_text(i, current, threshold) for i in indicators.OF_PUPILS}, raw))
    return columns


def trend_content(view: View, unit: dict,
                  scope: Scope) -> tuple[go.Figure | None, list[list[str]]]:
    """Return the page's trend (the unit and the nation) and its values as table rows.

    The first row holds the school years; without any pupil there is neither.
    """
    indicator = indicators.BY_CODE[view.indicator]
    panel = registry.BY_ID["trend-chart"]
    content = panel.rows(view, scope, unit)
    frame = content["frame"]
    if not privacy.has_pupils(frame):
        return None, []
    series = [(unit["name_fr"], frame)]
    if content["national"] is not None:
        series.append((_("Maroc"), content["national"]))
    threshold = privacy.threshold()
    rows = [["", *(school_year_label(int(y)) for y in frame["school_year"])]]
    rows += [[name, *(_cell_text(indicator, row, threshold)
                      for row in values.to_dict("records"))]
             for name, values in series]
    return go.Figure(panel.figure(view, content)), rows


def cover_lines(content: Briefing) -> list[tuple[str, str]]:
    """Return the cover's lines under the unit's name, each with its kind (lead, body, note)."""
    return [
        (_("Note de synthèse · Année scolaire {year}", year=content.school_year), "lead"),
        (content.filters_text, "body"),
        (_("Indicateur mis en avant : {label}", label=_(content.indicator.label)), "body"),
        (_("Édité le {day}", day=content.generated_on), "note"),
    ]


def map_panel(content: Briefing) -> list[tuple[str, str]]:
    """Return the reading notes beside the map: (label, text) pairs."""
    indicator = content.indicator
    ranking = content.ranking
    lines = [(_(indicator.label), _(indicator.definition))]
    for reference in ranking.references:
        lines.append((reference.name, reference.value))
    highest, lowest = ranking.highest, ranking.lowest
    if highest is not None:
        lines.append((_("Valeur la plus élevée"), f"{highest.name} ({highest.value})"))
        if lowest is not highest:
            lines.append((_("Valeur la plus faible"), f"{lowest.name} ({lowest.value})"))
    reading = _("Teinte foncée : situation la moins favorable ; gris : pas de données.")
    if ranking.without_data:
        reading += " " + _("{count} sur {total} sans données pour ces filtres.",
                           count=ranking.without_data, total=ranking.total)
    if ranking.secret:
        reading += " " + _("{count} sur {total} en gris par secret statistique.",
                           count=ranking.secret, total=ranking.total)
    lines.append((_("Lecture"), reading))
    return lines


def ranking_rows(content: Briefing) -> list[tuple[str, list[str] | RankRow]]:
    """Return the ranking table's body: ``("section", [title])`` or ``("unit", row)``."""
    ranking = content.ranking
    body: list[tuple[str, list[str] | RankRow]] = []
    by_value = ranking.order is None
    if ranking.bottom:
        body.append(("section", [_("Les {n} valeurs les plus élevées", n=len(ranking.top))
                                 if by_value else _("Les {n} premiers", n=len(ranking.top))]))
    body += [("unit", row) for row in ranking.top]
    if ranking.bottom:
        body.append(("section", [_("Les {n} valeurs les plus faibles", n=len(ranking.bottom))
                                 if by_value else _("Les {n} derniers", n=len(ranking.bottom))]))
        body += [("unit", row) for row in ranking.bottom]
    body.append(("section", [_("Références")]))
    body += [("reference", row) for row in ranking.references]
    return body


def ranking_header(content: Briefing) -> list[str]:
    """Return the ranking table's column titles."""
    return [_("Rang"), _("Nom"), _(content.indicator.label), _("Évolution"), _("Effectif")]


def rank_cells(row: RankRow) -> list[str]:
    """Return one ranking row as the texts of its cells."""
    rank = "" if row.code.startswith("reference-") else (
        str(row.rank) if row.rank is not None else NO_DATA)
    return [rank, row.name, row.value, row.change, row.enrollment]


def comparison_header(content: Briefing) -> list[str]:
    """Return the comparison table's column titles: level and name of each unit."""
    return [_("Indicateur")] + [f"{c.level_label}\n{c.name}" if c.level_label != c.name
                                else c.name for c in content.comparison]
