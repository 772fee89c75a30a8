"""Numbers of a school page: pupils by grade and sex, outcomes, exams and comparisons."""

from __future__ import annotations

import pandas as pd
from dash import Output, callback

from callbacks.access import current_scope
from callbacks.common import SCHOOL_ONLY, current_view
from callbacks.unit import VIEW_INPUTS, _message_figure
from dashboard import indicators
from dashboard.formatting import format_cell
from dashboard.i18n import _
from dashboard.schema import GRADES
from layouts import figures
from layouts.components import no_data_label, secret_label
from queries import privacy
from queries.stats import breakdown, grade_by_sex, unit_indicators
from queries.units import comparison_chain

OUTCOME_COLOURS = {"promoted": "#2a6f97", "repeaters": "#e0a33b", "dropouts": "#b23a48"}


def _grade_order(frame: pd.DataFrame) -> pd.DataFrame:
    order = {g: i for i, g in enumerate(GRADES)}
    return frame.assign(_order=frame["grade"].map(order)).sort_values("_order")


@callback(Output("school-enrollment", "figure"), *VIEW_INPUTS)
def update_school_enrollment(view_data, page_unit):
    """Draw the school's pupils by grade, girls and boys side by side."""
    view = current_view(view_data, page_unit, SCHOOL_ONLY)
    frame = grade_by_sex(view.level, view.code, view.filters, current_scope())
    if not privacy.has_pupils(frame):
        return _message_figure(no_data_label())
    table = _grade_order(figures.grade_sex_table(frame))
    series = {s: _(figures.SEX_NAMES[s]) for s in ("F", "M") if s in table}
    if figures.all_hidden(table, series):
        return _message_figure(secret_label(privacy.threshold()))
    return figures.grouped_bars(table, "grade", series, figures.SEX_COLOURS)


@callback(Output("school-outcomes", "figure"), *VIEW_INPUTS)
def update_school_outcomes(view_data, page_unit):
    """Draw end-of-year outcomes by grade: promoted, repeating, dropped out."""
    view = current_view(view_data, page_unit, SCHOOL_ONLY)
    frame = breakdown(view.level, view.code, view.filters, current_scope(), "grade")
    if not privacy.has_pupils(frame):
        return _message_figure(no_data_label())
    frame = _grade_order(frame)
    series = {"promoted": _("Promus"), "repeaters": _("Redoublants"), "dropouts": _("Abandons")}
    if figures.all_hidden(frame, series):
        return _message_figure(secret_label(privacy.threshold()))
    return figures.grouped_bars(frame, "grade", series, OUTCOME_COLOURS, stacked=True)




@callback(Output("school-comparison", "figure"), *VIEW_INPUTS)
def update_school_comparison(view_data, page_unit):
    """Set the school's indicator against its commune, province, region and the nation."""
    view = current_view(view_data, page_unit, SCHOOL_ONLY)
    indicator = indicators.BY_CODE[view.indicator]
    threshold = privacy.threshold()
    names, values, texts = [], [], []
    for level, code, name, scope in comparison_chain(view.code, current_scope()):
        current = unit_indicators(level, code, view.filters, scope).iloc[1]
        names.append(name)
        values.append(current[indicator.code])
        value = None if pd.isna(current[indicator.code]) else current[indicator.code]
        texts.append(format_cell(indicator, value,
                                 privacy.is_suppressed(current, indicator.code), threshold,
                                 privacy.is_small(current)))
    return figures.comparison_bars(names, values, indicator, texts)


@callback(Output("school-exams", "figure"), *VIEW_INPUTS)
def update_school_exams(view_data, page_unit):
    """Draw the exam success rates of the school and of its territory."""
    view = current_view(view_data, page_unit, SCHOOL_ONLY)
    exams = [i for i in indicators.INDICATORS if i.code.startswith("success_rate_")]
    rows, school = [], None
    for level, code, name, scope in comparison_chain(view.code, current_scope()):
        current = unit_indicators(level, code, view.filters, scope).iloc[1]
        school = current if school is None else school
        rows.append({"unit": name, **{i.code: current[i.code] for i in exams},
                     **{i.denominator: current[i.denominator] for i in exams}})
    sat = figures.sat_exams(rows[0], exams)
    if not sat:
        return _message_figure(_("Aucun candidat aux examens cette année"))
    hidden = [i for i in sat if privacy.is_suppressed(school, i.code)]
    return figures.exam_bars(rows, sat, hidden)
