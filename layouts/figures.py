"""Figures built from query results: maps, trends and breakdowns.

Pure functions of DataFrames (no data access), shared by the pages and the exports.
Numbers follow French conventions (``separators``) and each indicator's colour scale.
"""

from __future__ import annotations

import json
import math

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import get_colorscale, sample_colorscale

from dashboard.formatting import (
    NO_DATA,
    SECRET,
    format_cell,
    format_rate,
    format_value,
    school_year_label,
)
from dashboard.i18n import _, is_right_to_left
from dashboard.indicators import Indicator
from queries.privacy import is_set, is_small, is_suppressed

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'Noto Sans Arabic', sans-serif"
PRIMARY = "#0b4f8a"
REFERENCE = "#8a6d0b"
NO_DATA_FILL = "#e3e6ea"
SECRET_POINT = "#aab1b9"  # a school point whose value is hidden or missing: no colour
MUTED_TEXT = "#6b7480"
SEX_COLOURS = {"F": "#b5446e", "M": "#2a6f97"}
SEX_NAMES = {"F": "Filles", "M": "Garçons"}
DIMENSION_NAMES = {
    "sex": SEX_NAMES,
    "milieu": {"urbain": "Urbain", "rural": "Rural"},
    "sector": {"public": "Public", "prive": "Privé"},
    "cycle": {"primaire": "Primaire", "college": "Collège", "qualifiant": "Qualifiant"},
}


def category_axis() -> dict:
    """Return an axis of categories (grades, sexes, cycles), read from the right in a
    right-to-left language. Time axes (school years) run left to right in both."""
    return {"type": "category", **({"autorange": "reversed"} if is_right_to_left() else {})}


def base_layout(**extra) -> dict:
    """Return the layout every figure starts from."""
    layout = {
        # Plotly's decimal then thousands separators, as Babel writes them (formatting)
        "separators": ",." if is_right_to_left() else ", ",
        "font": {"family": FONT, "size": 13, "color": "#1f2933"},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "margin": {"l": 8, "r": 8, "t": 8, "b": 8},
        "hoverlabel": {"font": {"family": FONT},
                       "align": "right" if is_right_to_left() else "auto"},
    }
    layout.update(extra)
    return layout


#: A scale of rates all under 1 % reads with two decimals (``0,25 %``), not one.
SMALL_RATE = 0.01


def _axis_format(indicator: Indicator) -> dict:
    if indicator.is_rate:
        return {"tickformat": ".0%"}
    if indicator.unit == "score":
        return {"tickformat": ".2f"}
    return {"tickformat": ",d"}


def _hover(indicator: Indicator) -> str:
    if indicator.is_rate:
        return "%{y:.1%}"
    if indicator.unit == "score":
        return "%{y:.2f}"
    return "%{y:,d}"


def _value(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def choropleth(
    geojson: dict, frame: pd.DataFrame, indicator: Indicator, schools: pd.DataFrame | None = None,
    threshold: int = 0,
) -> dict:
    """Return a map of units coloured by ``indicator`` (frame: code, name_fr, value), as
    a plain figure dict.

    Units without data are drawn in light grey. Each shape carries its code, so a
    click drills into it; school points (if given) carry theirs too (see
    :func:`school_points`, which ``threshold`` is for). The boundaries are put into the
    finished dict: Plotly's validation would copy every coordinate of them once per
    trace (a third of a cold national map's time).
    """
    codes = [feature["id"] for feature in geojson["features"]]
    values = frame.set_index("code")["value"] if len(frame) else pd.Series(dtype=float)
    names = {f["id"]: f["properties"]["name_fr"] for f in geojson["features"]}
    texts = [f"{names[c]}<br>{_(indicator.short_label)} : {format_value(indicator, values.get(c))}"
             for c in codes]
    has_data = [c for c in codes if _value(values.get(c)) is not None]
    figure = go.Figure()
    figure.add_trace(go.Choropleth(
        featureidkey="id", locations=codes,
        z=[0] * len(codes), colorscale=[[0, NO_DATA_FILL], [1, NO_DATA_FILL]], showscale=False,
        marker={"line": {"color": "white", "width": 0.8}}, hoverinfo="text", text=texts,
        customdata=codes, name="", hovertemplate="%{text}<extra></extra>",
    ))
    if has_data:
        z = [float(values[c]) for c in has_data]
        low, high = min(z), max(z)
        if high == low:  # one value: a scale from zero, not one centred on it
            low, high = (0.0, high * 1.25) if high > 0 else (0.0, 1.0)
            if indicator.is_rate:  # a share never passes 100 %
                high = min(high, 1.0)
        ticks = [low + (high - low) * step / (SCALE_TICKS - 1) for step in range(SCALE_TICKS)]
        figure.add_trace(go.Choropleth(
            featureidkey="id", locations=has_data, z=z, zmin=low, zmax=high,
            colorscale=indicator.colorscale,
            # ticks written the French way, the same on screen and in image files
            colorbar={"thickness": 12, "len": 0.8, "x": 1.0, "outlinewidth": 0,
                      "title": {"text": scale_title(indicator), "side": "top"},
                      "tickvals": ticks, "ticktext": [
                          format_rate(v, 2) if indicator.is_rate and high < SMALL_RATE
                          else format_value(indicator, v) for v in ticks]},
            marker={"line": {"color": "white", "width": 0.8}},
            text=[texts[codes.index(c)] for c in has_data], customdata=has_data,
            hovertemplate="%{text}<extra></extra>",
        ))
    if len(codes) <= NAMED_SHAPES and (schools is None or not len(schools)):
        figure.add_trace(shape_names(geojson))
    if schools is not None and len(schools):
        figure.add_trace(school_points(schools, indicator, threshold))
    figure.update_geos(fitbounds="locations", visible=False, projection_type="mercator",
                       bgcolor="rgba(0,0,0,0)")
    figure.update_layout(base_layout(dragmode=False, showlegend=False,
                                     clickmode="event"))
    drawn = json.loads(figure.to_json())
    for trace in drawn["data"]:
        if trace["type"] == "choropleth":
            trace["geojson"] = geojson
    return drawn


#: A map names its units on the map itself (paper has no hover) up to this many.
NAMED_SHAPES = 20
SCALE_TICKS = 5
#: A white halo, so that a name reads on the darkest fill.
NAME_HALO = ("1px 1px 2px #fff, -1px -1px 2px #fff, 1px -1px 2px #fff, -1px 1px 2px #fff")
SCALE_UNITS = {"count": "élèves", "rate": "%", "score": "sur 20"}


def scale_title(indicator: Indicator) -> str:
    """Return the title of a map's colour scale: the indicator and its unit."""
    return f"{_(indicator.short_label)} ({_(SCALE_UNITS[indicator.unit])})"


def shape_names(geojson: dict) -> go.Scattergeo:
    """Return each unit's name written at the middle of its shape (not clickable)."""
    places = [(f["properties"]["name_fr"], *_middle(f["geometry"])) for f in geojson["features"]]
    return go.Scattergeo(
        lon=[lon for _name, lon, _lat in places], lat=[lat for _name, _lon, lat in places],
        text=[name for name, _lon, _lat in places], mode="text", hoverinfo="skip",
        textfont={"size": 10, "color": "#1f2933", "shadow": NAME_HALO}, name="",
        showlegend=False,
    )


def _middle(geometry: dict) -> tuple[float, float]:
    """Return the centre of the bounding box of a shape's largest ring (lon, lat)."""
    polygons = (geometry["coordinates"] if geometry["type"] == "MultiPolygon"
                else [geometry["coordinates"]])
    ring = max((polygon[0] for polygon in polygons), key=len)
    lons, lats = [point[0] for point in ring], [point[1] for point in ring]
    return (min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2


def school_points(schools: pd.DataFrame, indicator: Indicator, threshold: int = 0
                  ) -> go.Scattergeo:
    """Return school markers (frame: code, name_fr, latitude, longitude, value).

    With values, each point takes the indicator's colour; a value hidden by small-cell
    suppression (``suppressed`` and ``small`` columns) or missing is drawn without colour.
    """
    values = schools["value"] if "value" in schools else pd.Series([None] * len(schools))
    values = pd.to_numeric(values, errors="coerce").reset_index(drop=True)
    records = schools.to_dict("records")
    shown = [format_cell(indicator, _value(v), is_set(r.get("suppressed")), threshold,
                         is_set(r.get("small"))) for r, v in zip(records, values, strict=True)]
    texts = [f"{r['name_fr']}<br>{_(indicator.short_label)} : {text}"
             for r, text in zip(records, shown, strict=True)]
    many = len(schools) > 40
    marker = {"size": 6 if many else 10, "line": {"color": "white", "width": 0.6 if many else 1},
              "color": "#41484f", "opacity": 0.75 if many else 1.0}
    if values.notna().any():
        marker.update(color=_point_colours(values, indicator))
    return go.Scattergeo(
        lon=schools["longitude"], lat=schools["latitude"], mode="markers", marker=marker,
        text=texts, customdata=list(schools["code"]), hovertemplate="%{text}<extra></extra>",
        name=_("Établissements"),
    )


def _point_colours(values: pd.Series, indicator: Indicator) -> list[str]:
    """Return each point's colour on the indicator's scale (its own range); grey without."""
    low, high = values.min(), values.max()
    span = high - low
    positions = [0.5 if span == 0 else (v - low) / span for v in values.fillna(low)]
    colours = sample_colorscale(get_colorscale(indicator.colorscale), positions)
    return [SECRET_POINT if pd.isna(v) else c for v, c in zip(values, colours, strict=True)]


def trend(frame: pd.DataFrame, indicator: Indicator, unit_name: str,
          national: pd.DataFrame | None = None, selected: int | None = None) -> go.Figure:
    """Return the indicator across school years for the unit (and the nation as reference).

    The ``selected`` school year (the view's) is marked by a band and a larger point, so
    that no other year reads as the one on screen.
    """
    figure = go.Figure()
    years = [school_year_label(y) for y in frame["school_year"]]
    sizes = [13 if y == selected else 7 for y in frame["school_year"]]
    figure.add_trace(go.Scatter(
        x=years, y=frame[indicator.code], name=unit_name, mode="lines+markers",
        line={"color": PRIMARY, "width": 3}, marker={"size": sizes},
        hovertemplate=_hover(indicator),
    ))
    if selected in set(frame["school_year"]):
        label = school_year_label(selected)
        figure.add_vrect(x0=years.index(label) - 0.4, x1=years.index(label) + 0.4,
                         fillcolor=PRIMARY, opacity=0.08, line_width=0, layer="below")
        figure.add_annotation(x=label, y=1, yref="paper", yanchor="top", showarrow=False,
                              text=_("année affichée"), font={"color": MUTED_TEXT, "size": 11})
    if national is not None:
        figure.add_trace(go.Scatter(
            x=[school_year_label(y) for y in national["school_year"]],
            y=national[indicator.code], name=_("Maroc"), mode="lines",
            line={"color": REFERENCE, "width": 2, "dash": "dash"},
            hovertemplate=_hover(indicator),
        ))
    axis = _axis_format(indicator)
    if indicator.is_rate:  # small shares (a rate of findings) need decimals to read
        highest = pd.to_numeric(frame[indicator.code], errors="coerce").max()
        if not pd.isna(highest) and highest < 0.1:
            axis = {"tickformat": ".1%" if highest >= 0.01 else ".2%"}
            figure.update_traces(hovertemplate="%{y:.2%}")
    figure.update_layout(base_layout(
        hovermode="x unified", legend={"orientation": "h", "y": -0.18},
        yaxis={**axis, "gridcolor": "#e6e9ee", "rangemode": "tozero"},
        xaxis={"type": "category"},
    ))
    return figure


def breakdown(frame: pd.DataFrame, indicator: Indicator, by: str,
              threshold: int = 0) -> go.Figure:
    """Return bars of the indicator for each value of one dimension.

    A value hidden by small-cell suppression has no bar, only its mark at the base.
    """
    names = DIMENSION_NAMES.get(by, {})
    labels = [_(names[v]) if v in names else v for v in frame[by]]  # grades are codes
    colours = [SEX_COLOURS.get(v, PRIMARY) for v in frame[by]] if by == "sex" else PRIMARY
    records = frame.to_dict("records")
    figure = go.Figure(go.Bar(
        x=labels, y=frame[indicator.code], marker_color=colours,
        hovertemplate=_hover(indicator) + "<extra></extra>",
        text=[format_value(indicator, _value(r[indicator.code])) for r in records],
        textposition="outside", cliponaxis=False,
    ))
    for label, record in zip(labels, records, strict=True):
        if is_suppressed(record, indicator.code):
            figure.add_annotation(
                x=label, y=0, yanchor="bottom", showarrow=False,
                text=format_cell(indicator, None, True, threshold, is_small(record)),
                font={"color": MUTED_TEXT},
            )
    figure.update_layout(base_layout(
        yaxis={**_axis_format(indicator), "gridcolor": "#e6e9ee", "rangemode": "tozero"},
        xaxis=category_axis(), bargap=0.35, margin={"l": 8, "r": 8, "t": 24, "b": 8},
    ))
    return figure


def comparison_bars(names: list[str], values: list, indicator: Indicator,
                    texts: list[str] | None = None) -> go.Figure:
    """Return horizontal bars of one indicator: the first unit highlighted, the rest as
    references (a school against its territory). ``texts`` replace the formatted values
    (``secret`` for a hidden one)."""
    colours = [PRIMARY] + [REFERENCE] * (len(names) - 1)
    texts = texts or [format_value(indicator, _value(v)) for v in values]
    figure = go.Figure(go.Bar(
        y=names[::-1], x=values[::-1], orientation="h", marker_color=colours[::-1],
        text=texts[::-1], textposition="auto", hovertemplate="%{y}<extra></extra>",
    ))
    for name, value, text in zip(names, values, texts, strict=True):
        if _value(value) is None and text != NO_DATA:  # a hidden value, at the axis
            figure.add_annotation(x=0, y=name, xanchor="left", showarrow=False, text=text,
                                  font={"color": MUTED_TEXT})
    figure.update_layout(base_layout(
        xaxis={"tickformat": ".0%" if indicator.is_rate else ",", "gridcolor": "#e6e9ee",
               **({"autorange": "reversed"} if is_right_to_left() else {})},
        yaxis={"automargin": True, "side": "right" if is_right_to_left() else "left"},
    ))
    return figure


def sat_exams(school: dict, exams: list[Indicator]) -> list[Indicator]:
    """Return the exams a school had candidates for (a hidden number of candidates counts)."""
    return [i for i in exams if _value(school[i.denominator]) is None or school[i.denominator] > 0]


def exam_bars(rows: list[dict], exams: list[Indicator], hidden: list[Indicator]) -> go.Figure:
    """Return the success rates of a school (first row) and of its territory, by exam.

    An exam whose rate is hidden for the school has no bar for it, only ``secret``.
    """
    figure = go.Figure()
    palette = [PRIMARY, "#5b8fb9", "#8fb3d1", "#b9cfe2", REFERENCE]
    for colour, row in zip(palette, rows, strict=False):
        figure.add_trace(go.Bar(
            x=[_(i.short_label) for i in exams], y=[row[i.code] for i in exams],
            name=row["unit"], marker_color=colour, hovertemplate="%{y:.1%}",
            text=[format_value(i, _value(row[i.code])) if _value(row[i.code]) is not None
                  else "" for i in exams],
            textposition="outside", cliponaxis=False,
        ))
    for exam in hidden:  # over the school's slot: the first of each group of bars
        figure.add_annotation(x=exams.index(exam) - 0.4 + 0.4 / len(rows), y=0,
                              yanchor="bottom", textangle=-90, showarrow=False, text=_(SECRET),
                              font={"color": MUTED_TEXT})
    figure.update_layout(base_layout(
        barmode="group", legend={"orientation": "h", "y": -0.2},
        yaxis={"tickformat": ".0%", "range": [0, 1], "gridcolor": "#e6e9ee"},
    ))
    return figure


def grade_sex_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Return pupils by grade (rows) and sex (``F``, ``M`` columns) of a grade by sex frame.

    A grade without pupils of one sex counts 0; a cell hidden by small-cell suppression
    stays NaN, so its bar is not drawn.
    """
    counts = frame.pivot(index="grade", columns="sex", values="enrolled")
    present = frame.assign(present=1).pivot(index="grade", columns="sex", values="present")
    table = counts.where(present.notna(), 0).reset_index()
    table.columns.name = None
    return table


def all_hidden(frame: pd.DataFrame, columns) -> bool:
    """Return whether small-cell suppression leaves no bar to draw: some values of these
    columns are hidden and none of the others is above zero."""
    values = frame[[c for c in columns if c in frame]]
    return bool(values.isna().any().any()) and not bool((values.fillna(0) > 0).any().any())


def grouped_bars(frame: pd.DataFrame, x: str, series: dict[str, str], colours: dict[str, str],
                 y_format: str = ",d", stacked: bool = False) -> go.Figure:
    """Return bars of several columns of ``frame`` side by side (or stacked) along ``x``.

    A value hidden by small-cell suppression (NaN) says ``secret`` where its bar would be:
    above its empty slot side by side, above the stack of its ``x`` when stacked.
    """
    figure = go.Figure()
    for column, label in series.items():
        hidden = frame[column].isna() if column in frame else pd.Series(False, frame.index)
        bar = {"text": [_(SECRET) if h else "" for h in hidden], "textposition": "outside",
               "cliponaxis": False} if hidden.any() and not stacked else {}
        figure.add_trace(go.Bar(x=frame[x], y=frame[column].fillna(0) if bar else frame[column],
                                name=label, marker_color=colours.get(column, PRIMARY), **bar))
    if stacked:
        columns = [c for c in series if c in frame]
        for _index, record in frame.iterrows():
            if any(pd.isna(record[c]) for c in columns):
                figure.add_annotation(x=record[x], y=sum(record[c] for c in columns
                                                         if not pd.isna(record[c])),
                                      yanchor="bottom", showarrow=False, text=_(SECRET),
                                      font={"color": MUTED_TEXT})
    figure.update_layout(base_layout(
        barmode="stack" if stacked else "group", legend={"orientation": "h", "y": -0.2},
        yaxis={"tickformat": y_format, "gridcolor": "#e6e9ee"}, xaxis=category_axis(),
    ))
    return figure


OUTSIDE = "#b3261e"  # a point beyond its funnel limits


def funnel(rows: list[dict], target: float | None, tau2: float, z: float) -> go.Figure:
    """Return a funnel plot: each unit's rate against the records examined, with the
    target rate and its limits (``target ± z·√(target(1−target)/n + tau2)``) drawn as
    curves. ``rows`` hold ``code``, ``name``, ``count``, ``base``, ``rate``, ``lower`` and
    ``upper``; each point carries its code, so that a click can open the unit."""
    figure = go.Figure()
    bases = [row["base"] for row in rows]
    if target is not None and bases:
        low, high = max(1, min(bases) * 0.8), max(bases) * 1.25
        steps = [low * (high / low) ** (i / 60) for i in range(61)]
        spread = [z * math.sqrt(target * (1 - target) / n + tau2) for n in steps]
        for sign, name in ((1, _("limite à 99,8 %")), (-1, None)):
            figure.add_trace(go.Scatter(
                x=steps, y=[max(0.0, target + sign * s) for s in spread], mode="lines",
                line={"color": MUTED_TEXT, "width": 1, "dash": "dot"}, name=name,
                showlegend=name is not None, hoverinfo="skip"))
        figure.add_trace(go.Scatter(
            x=[steps[0], steps[-1]], y=[target, target], mode="lines", name=_("ensemble"),
            line={"color": REFERENCE, "width": 2}, hoverinfo="skip"))
    outside = [row["lower"] is not None and not row["lower"] <= row["rate"] <= row["upper"]
               for row in rows]
    figure.add_trace(go.Scatter(
        x=bases, y=[row["rate"] for row in rows], mode="markers", name=_("unités"),
        marker={"size": 9, "color": [OUTSIDE if out else PRIMARY for out in outside],
                "line": {"color": "white", "width": 1}},
        customdata=[[row["code"], row["name"], row["count"]] for row in rows],
        hovertemplate=_("%{customdata[1]}<br>%{customdata[2]} constats sur %{x:,d} "
                        "examinés<br>taux %{y:.2%}<extra></extra>"),
        showlegend=False))
    figure.update_layout(base_layout(
        legend={"orientation": "h", "y": -0.2}, hovermode="closest",
        xaxis={"type": "log", "title": _("Examinés (échelle logarithmique)"),
               "gridcolor": "#e6e9ee"},
        yaxis={"tickformat": ".2%" if max((r["rate"] for r in rows), default=0) < 0.01
               else ".1%", "rangemode": "tozero", "gridcolor": "#e6e9ee",
               "title": _("Taux de constats")},
    ))
    return figure


DOUBTFUL = "#b3261e"  # a ratio to the population above 105 %: its denominator is doubtful


def schooling_bars(bands: list[str], series: dict[str, list], hidden: dict[str, list[bool]],
                   doubtful_note: str, threshold: int = 0,
                   notes: tuple[str, ...] = ()) -> go.Figure:
    """Return the schooling rates of a unit by age band: one group of bars per band
    (``bands``), one bar per kind of rate (``series``: name to values, fractions).

    A 100 % line is drawn; a rate above 105 % keeps its height (never capped), is
    coloured and marked ⚠, and ``doubtful_note`` says why under the chart. A hidden rate
    says ``secret`` at its slot. ``notes`` are lines under the chart (the census's own
    rate, what the population was scaled to), one a line.
    """
    figure = go.Figure()
    palette = [PRIMARY, "#5b8fb9", "#8fb3d1"]
    doubtful = False
    for colour, (name, values) in zip(palette, series.items(), strict=False):
        marks = [_value(v) is not None and v > 1.05 for v in values]
        doubtful |= any(marks)
        texts = [_(SECRET) if h else (format_rate(v) + (" ⚠" if m else "") if _value(v) is not None
                                   else "")
                 for v, h, m in zip(values, hidden[name], marks, strict=True)]
        figure.add_trace(go.Bar(
            x=bands, y=[0 if h else v for v, h in zip(values, hidden[name], strict=True)],
            name=name, text=texts, textposition="outside", cliponaxis=False,
            marker_color=[DOUBTFUL if m else colour for m in marks],
            hovertemplate="%{x} : %{text}<extra>" + name + "</extra>",
        ))
    figure.add_hline(y=1, line_dash="dot", line_color=MUTED_TEXT, line_width=1)
    lines = [("⚠ " + doubtful_note, DOUBTFUL)] if doubtful else []
    lines += [(note, MUTED_TEXT) for note in notes]
    for number, (text, colour) in enumerate(lines):  # below the axis labels, one a line
        figure.add_annotation(text=text, showarrow=False, xref="paper", yref="paper", x=0,
                              y=0, yshift=-26 - 16 * number, xanchor="left", yanchor="top",
                              font={"color": colour, "size": 11})
    figure.update_layout(base_layout(
        barmode="group", legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        yaxis={"tickformat": ".0%", "gridcolor": "#e6e9ee", "rangemode": "tozero"},
        xaxis=category_axis(),
        margin={"l": 8, "r": 8, "t": 40, "b": 30 + 16 * len(lines) if lines else 8},
    ))
    return figure


def census_scatter(rows: list[dict], limit: float, note: str | None = None) -> go.Figure:
    """Return each commune's rate of 6-11 year-olds in school (``rate``) against the
    census's (``census_rate``): the diagonal where they agree, dotted lines ``limit``
    above and below it, and the communes beyond them in red. Each point carries its code
    and name."""
    figure = go.Figure()
    values = [v for r in rows for v in (r["rate"], r["census_rate"])]
    # the communes' range, with room for the band, on both axes alike
    low, top = max(0.0, min(values) - 2 * limit), max(values) + limit
    for shift, name in ((0.0, _("accord")), (limit, _("± {points} points",
                                                        points=round(limit * 100))),
                        (-limit, None)):
        figure.add_trace(go.Scatter(
            x=[low, top], y=[low + shift, top + shift], mode="lines", name=name,
            showlegend=name is not None, hoverinfo="skip",
            line={"color": REFERENCE if shift == 0 else MUTED_TEXT, "width": 1.5 if shift == 0
                  else 1, "dash": "solid" if shift == 0 else "dot"}))
    figure.add_trace(go.Scattergl(
        x=[r["census_rate"] for r in rows], y=[r["rate"] for r in rows], mode="markers",
        name=_("communes"), showlegend=False,
        marker={"size": 7, "opacity": 0.8,
                "color": [OUTSIDE if r["large"] else PRIMARY for r in rows]},
        customdata=[[r["code"], r["name"]] for r in rows],
        hovertemplate=_("%{customdata[1]}<br>MASSAR %{y:.1%}<br>recensement %{x:.1%}"
                        "<extra></extra>")))
    if note:  # beside the legend, above the chart
        figure.add_annotation(text=note, showarrow=False, xref="paper", yref="paper", x=1,
                              y=1.02, xanchor="right", yanchor="bottom",
                              font={"color": MUTED_TEXT, "size": 11})
    figure.update_layout(base_layout(
        legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        hovermode="closest",
        xaxis={"title": _("Recensement (HCP, RGPH 2024)"), "tickformat": ".0%",
               "range": [low, top], "gridcolor": "#e6e9ee"},
        yaxis={"title": _("MASSAR"), "tickformat": ".0%", "range": [low, top],
               "gridcolor": "#e6e9ee"},
        margin={"l": 8, "r": 8, "t": 40, "b": 8},
    ))
    return figure
