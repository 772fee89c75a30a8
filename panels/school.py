"""The panels of a school's page: pupils by grade and sex, outcomes, the school against
its territory, and exams."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard import indicators
from dashboard.data.schema import GRADES
from dashboard.formatting import format_cell
from dashboard.i18n import _
from dashboard.levels import LEVEL_NAMES
from dashboard.urls import View
from layouts import figures
from layouts.components import no_data_label, secret_label
from panels.base import (
    Column,
    Panel,
    hide,
    is_exam,
    message_figure,
    missing,
    place_name,
    rounded,
    value_column,
)
from queries import Scope, privacy
from queries.stats import breakdown, grade_by_sex, unit_indicators
from queries.units import comparison_chain

OUTCOME_COLOURS = {"promoted": "#2a6f97", "repeaters": "#e0a33b", "dropouts": "#b23a48"}
EDGE = 24


def grade_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the rows in the order of the grades, first year of primary first."""
    order = {g: i for i, g in enumerate(GRADES)}
    return frame.assign(_order=frame["grade"].map(order)).sort_values("_order")


def outcome_series() -> dict[str, str]:
    """Return the outcome counts a school's outcome chart stacks, with their labels."""
    return {"promoted": _("Promus"), "repeaters": _("Redoublants"), "dropouts": _("Abandons")}


def exam_indicators() -> list[indicators.Indicator]:
    """Return the exam success rates."""
    return [i for i in indicators.INDICATORS if is_exam(i)]


def territory(view: View, scope: Scope) -> list[tuple[str, str, str, pd.Series]]:
    """Return the school, its commune, province, region and the nation, each with its
    indicators this year: ``(level, code, name, row)``."""
    return [(level, code, name, unit_indicators(level, code, view.filters, unit_scope).iloc[1])
            for level, code, name, unit_scope in comparison_chain(view.code, scope)]


class SchoolPanel(Panel):
    """A panel of the school page only."""

    levels = ("school",)


class EnrollmentPanel(SchoolPanel):
    """The school's pupils by grade, girls and boys side by side."""

    id = "school-enrollment"
    slug = "effectif-niveau-sexe"
    per_indicator = False

    def title(self, view: View, unit: dict) -> str:
        return f"{_('Effectif par niveau et sexe')} — {place_name(unit)}"

    def rows(self, view: View, scope: Scope, unit: dict):
        frame = grade_by_sex(view.level, view.code, view.filters, scope)
        if not privacy.has_pupils(frame):
            return None
        return grade_order(figures.grade_sex_table(frame))

    def columns(self, view: View, rows) -> tuple[Column, ...]:
        return (Column("grade", _("Niveau"), "text"), Column("F", _("Filles"), "count"),
                Column("M", _("Garçons"), "count"))

    def table(self, view: View, rows) -> list[dict]:
        if rows is None:
            return []
        return [hide({"grade": r["grade"], "F": rounded(r.get("F", 0), "count"),
                      "M": rounded(r.get("M", 0), "count")},
                     F=missing(r.get("F", 0)), M=missing(r.get("M", 0)))
                for r in rows.to_dict("records")]

    def figure(self, view: View, rows) -> go.Figure | dict:
        if rows is None:
            return message_figure(no_data_label())
        series = {s: _(figures.SEX_NAMES[s]) for s in ("F", "M") if s in rows}
        if figures.all_hidden(rows, series):
            return message_figure(secret_label(privacy.threshold()))
        return figures.grouped_bars(rows, "grade", series, figures.SEX_COLOURS)


class OutcomesPanel(SchoolPanel):
    """End-of-year outcomes by grade: promoted, repeating, dropped out."""

    id = "school-outcomes"
    slug = "resultats-niveau"
    per_indicator = False

    def title(self, view: View, unit: dict) -> str:
        heading = _("Résultats de fin d'année par niveau")
        return f"{heading} — {place_name(unit)}"

    def rows(self, view: View, scope: Scope, unit: dict):
        frame = breakdown(view.level, view.code, view.filters, scope, "grade")
        return grade_order(frame) if privacy.has_pupils(frame) else None

    def columns(self, view: View, rows) -> tuple[Column, ...]:
        return (Column("grade", _("Niveau"), "text"), Column("enrolled", _("Effectif"), "count"),
                *(Column(key, label, "count") for key, label in outcome_series().items()))

    def table(self, view: View, rows) -> list[dict]:
        if rows is None:
            return []
        columns = self.columns(view, rows)
        # a count is NaN only when hidden
        return [hide({c.key: r[c.key] if c.kind == "text" else rounded(r[c.key], "count")
                      for c in columns},
                     **{c.key: missing(r[c.key]) for c in columns if c.kind == "count"})
                for r in rows.to_dict("records")]

    def figure(self, view: View, rows) -> go.Figure | dict:
        if rows is None:
            return message_figure(no_data_label())
        series = outcome_series()
        if figures.all_hidden(rows, series):
            return message_figure(secret_label(privacy.threshold()))
        return figures.grouped_bars(rows, "grade", series, OUTCOME_COLOURS, stacked=True)


class ComparisonPanel(SchoolPanel):
    """The school's indicator against its commune, province, region and the nation."""

    id = "school-comparison"
    slug = "comparaison"

    def title(self, view: View, unit: dict) -> str:
        return f"{_(self.indicator(view).label)} comparé au territoire — {place_name(unit)}"

    def rows(self, view: View, scope: Scope, unit: dict) -> list:
        return territory(view, scope)

    def columns(self, view: View, rows) -> tuple[Column, ...]:
        return (Column("level", _("Niveau"), "text"), Column("code", _("Code"), "text"),
                Column("name_fr", _("Nom"), "text"), value_column(self.indicator(view)))

    def table(self, view: View, rows) -> list[dict]:
        indicator = self.indicator(view)
        return [hide({"level": _(LEVEL_NAMES[level]), "code": code, "name_fr": name,
                      "value": rounded(current[indicator.code], indicator.unit)},
                     value=privacy.is_suppressed(current, indicator.code))
                for level, code, name, current in rows]

    def figure(self, view: View, rows) -> go.Figure:
        indicator = self.indicator(view)
        threshold = privacy.threshold()
        names = [name for _level, _code, name, _row in rows]
        values = [current[indicator.code] for *_rest, current in rows]
        texts = [format_cell(indicator, None if pd.isna(current[indicator.code])
                             else current[indicator.code],
                             privacy.is_suppressed(current, indicator.code), threshold,
                             privacy.is_small(current)) for *_rest, current in rows]
        return figures.comparison_bars(names, values, indicator, texts)

    def margin(self, view: View, rows, figure: go.Figure) -> dict:
        return {"l": EDGE + 16 + 7 * max(len(name) for _level, _code, name, _row in rows)}


class ExamsPanel(SchoolPanel):
    """The exam success rates of the school and of its territory."""

    id = "school-exams"
    slug = "examens"
    per_indicator = False

    def title(self, view: View, unit: dict) -> str:
        return f"{_('Réussite aux examens')} — {place_name(unit)}"

    def rows(self, view: View, scope: Scope, unit: dict) -> dict:
        exams = exam_indicators()
        rows, hidden = [], []
        for _level, _code, name, current in territory(view, scope):
            rows.append({"unit": name, **{i.code: current[i.code] for i in exams},
                         **{i.denominator: current[i.denominator] for i in exams}})
            hidden.append({i.code for i in exams if privacy.is_suppressed(current, i.code)})
        return {"rows": rows, "hidden": hidden, "sat": figures.sat_exams(rows[0], exams)}

    def columns(self, view: View, rows: dict) -> tuple[Column, ...]:
        sat = rows["sat"]
        return (Column("unit", _("Unité"), "text"),
                *(Column(i.code, _(i.label), "rate") for i in sat),
                *(Column(i.denominator, _("Candidats : {exam}", exam=_(i.short_label)), "count")
                  for i in sat))

    def table(self, view: View, rows: dict) -> list[dict]:
        columns = self.columns(view, rows)
        return [hide({c.key: r[c.key] if c.kind == "text" else rounded(r[c.key], c.kind)
                      for c in columns},
                     **{c.key: c.key in codes or (c.kind == "count" and missing(r[c.key]))
                        for c in columns if c.kind != "text"})
                for r, codes in zip(rows["rows"], rows["hidden"], strict=True)]

    def figure(self, view: View, rows: dict) -> go.Figure | dict:
        sat = rows["sat"]
        if not sat:
            return message_figure(_("Aucun candidat aux examens cette année"))
        return figures.exam_bars(rows["rows"], sat, [i for i in sat if i.code in rows["hidden"][0]])
