"""Numbers of a school page: pupils by grade and sex, outcomes, exams and comparisons."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from dash import Output, callback

from callbacks.access import current_scope
from callbacks.common import current_view
from callbacks.unit import VIEW_INPUTS, _message_figure
from dashboard import indicators
from dashboard.i18n import _
from dashboard.schema import GRADES
from layouts import figures
from layouts.components import no_data_label
from queries.stats import breakdown, grade_by_sex, unit_indicators
from queries.units import comparison_chain

OUTCOME_COLOURS = {"promoted": "#2a6f97", "repeaters": "#e0a33b", "dropouts": "#b23a48"}


def _grade_order(frame: pd.DataFrame) -> pd.DataFrame:
    order = {g: i for i, g in enumerate(GRADES)}
    return frame.assign(_order=frame["grade"].map(order)).sort_values("_order")


@callback(Output("school-enrollment", "figure"), *VIEW_INPUTS)
def update_school_enrollment(view_data, page_unit):
    """Draw the school's pupils by grade, girls and boys side by side."""
    view = current_view(view_data, page_unit)
    frame = grade_by_sex(view.level, view.code, view.filters, current_scope())
    if frame.empty or frame["enrolled"].sum() == 0:
        return _message_figure(no_data_label())
    table = frame.pivot_table(index="grade", columns="sex", values="enrolled", aggfunc="sum",
                              fill_value=0).reset_index()
    table = _grade_order(table)
    series = {s: _(figures.SEX_NAMES[s]) for s in ("F", "M") if s in table}
    return figures.grouped_bars(table, "grade", series, figures.SEX_COLOURS)


@callback(Output("school-outcomes", "figure"), *VIEW_INPUTS)
def update_school_outcomes(view_data, page_unit):
    """Draw end-of-year outcomes by grade: promoted, repeating, dropped out."""
    view = current_view(view_data, page_unit)
    frame = breakdown(view.level, view.code, view.filters, current_scope(), "grade")
    if frame.empty or frame["enrolled"].sum() == 0:
        return _message_figure(no_data_label())
    frame = _grade_order(frame)
    series = {"promoted": _("Promus"), "repeaters": _("Redoublants"), "dropouts": _("Abandons")}
    return figures.grouped_bars(frame, "grade", series, OUTCOME_COLOURS, stacked=True)




@callback(Output("school-comparison", "figure"), *VIEW_INPUTS)
def update_school_comparison(view_data, page_unit):
    """Set the school's indicator against its commune, province, region and the nation."""
    view = current_view(view_data, page_unit)
    indicator = indicators.BY_CODE[view.indicator]
    names, values = [], []
    for level, code, name, scope in comparison_chain(view.code, current_scope()):
        frame = unit_indicators(level, code, view.filters, scope)
        names.append(name)
        values.append(frame.iloc[1][indicator.code])
    return figures.comparison_bars(names, values, indicator)


@callback(Output("school-exams", "figure"), *VIEW_INPUTS)
def update_school_exams(view_data, page_unit):
    """Draw the exam success rates of the school and of its territory."""
    view = current_view(view_data, page_unit)
    exams = [i for i in indicators.INDICATORS if i.code.startswith("success_rate_")]
    rows = []
    for level, code, name, scope in comparison_chain(view.code, current_scope()):
        current = unit_indicators(level, code, view.filters, scope).iloc[1]
        rows.append({"unit": name, **{i.code: current[i.code] for i in exams},
                     **{i.denominator: current[i.denominator] for i in exams}})
    school_row = rows[0]
    sat = [i for i in exams if school_row[i.denominator] > 0]
    if not sat:
        return _message_figure(_("Aucun candidat aux examens cette année"))
    figure = go.Figure()
    palette = [figures.PRIMARY, "#5b8fb9", "#8fb3d1", "#b9cfe2", figures.REFERENCE]
    for colour, row in zip(palette, rows, strict=False):
        figure.add_trace(go.Bar(
            x=[_(i.short_label) for i in sat], y=[row[i.code] for i in sat], name=row["unit"],
            marker_color=colour, hovertemplate="%{y:.1%}",
        ))
    figure.update_layout(figures.base_layout(
        barmode="group", legend={"orientation": "h", "y": -0.2},
        yaxis={"tickformat": ".0%", "range": [0, 1], "gridcolor": "#e6e9ee"},
    ))
    return figure
