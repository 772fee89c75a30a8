"""Figures fit for a briefing: the selected year marked, hidden bars named, numbers shown."""

from __future__ import annotations

import math

import pandas as pd

from dashboard import indicators
from layouts import figures

RATE = indicators.BY_CODE["dropout_rate"]
BAC = indicators.BY_CODE["success_rate_BAC"]


def test_the_trend_marks_the_selected_year_only():
    frame = pd.DataFrame({"school_year": [2022, 2023, 2024], "dropout_rate": [0.1, 0.2, 0.15]})
    figure = figures.trend(frame, RATE, "Casablanca", selected=2023)
    (line,) = figure.data
    assert list(line.marker.size) == [7, 13, 7]
    (band,) = figure.layout.shapes
    assert (band.x0, band.x1) == (0.6, 1.4)  # around the second category, 2023-2024
    assert [a.x for a in figure.layout.annotations] == ["2023-2024"]
    unmarked = figures.trend(frame, RATE, "Casablanca", selected=2019)
    assert not unmarked.layout.shapes and list(unmarked.data[0].marker.size) == [7, 7, 7]


def test_hidden_bars_say_secret_side_by_side():
    frame = pd.DataFrame({"grade": ["1AEP", "2AEP"], "F": [12, math.nan], "M": [3, 9]})
    figure = figures.grouped_bars(frame, "grade", {"F": "Filles", "M": "Garçons"}, {})
    girls, boys = figure.data
    assert list(girls.text) == ["", "secret"] and list(girls.y) == [12, 0]
    assert boys.text is None and list(boys.y) == [3, 9]  # nothing hidden: plain bars


def test_a_stack_with_a_hidden_part_says_secret_above_it():
    frame = pd.DataFrame({"grade": ["1AEP", "2AEP"], "promoted": [20, 15],
                          "dropouts": [math.nan, 2]})
    figure = figures.grouped_bars(frame, "grade", {"promoted": "Promus", "dropouts": "Abandons"},
                                  {}, stacked=True)
    (note,) = figure.layout.annotations
    assert (note.x, note.y, note.text) == ("1AEP", 20, "secret")


def test_exam_bars_carry_their_numbers():
    rows = [{"unit": "École", "success_rate_BAC": 0.8131},
            {"unit": "Commune", "success_rate_BAC": math.nan}]
    figure = figures.exam_bars(rows, [BAC], [])
    school, commune = figure.data
    assert list(school.text) == ["81,3\u00a0%"] and list(commune.text) == [""]


def _square(code: str, name: str, x: float) -> dict:
    ring = [[x, 30.0], [x + 2, 30.0], [x + 2, 32.0], [x, 32.0], [x, 30.0]]
    return {"type": "Feature", "id": code, "properties": {"name_fr": name},
            "geometry": {"type": "Polygon", "coordinates": [ring]}}


def test_a_map_names_its_units_and_titles_its_scale_the_french_way():
    shapes = {"type": "FeatureCollection",
              "features": [_square("1", "Oriental", -4.0), _square("2", "Souss-Massa", -8.0)]}
    values = pd.DataFrame({"code": ["1", "2"], "value": [0.05, 0.115]})
    figure = figures.choropleth(shapes, values, RATE)
    names = [trace for trace in figure["data"] if trace.get("mode") == "text"]
    assert len(names) == 1 and names[0]["text"] == ["Oriental", "Souss-Massa"]
    assert (names[0]["lon"], names[0]["lat"]) == ([-3.0, -7.0], [31.0, 31.0])
    assert names[0]["hoverinfo"] == "skip"  # a name is not a click target
    (scale,) = [t["colorbar"] for t in figure["data"] if "colorbar" in t]
    assert scale["title"]["text"] == "Abandon (%)"
    assert scale["ticktext"][0] == "5,0\u00a0%" and scale["ticktext"][-1] == "11,5\u00a0%"


def test_a_map_of_many_units_or_of_schools_writes_no_names():
    many = {"type": "FeatureCollection",
            "features": [_square(str(i), f"Commune {i}", i * 3.0) for i in range(21)]}
    figure = figures.choropleth(many, pd.DataFrame(columns=["code", "value"]), RATE)
    assert not [trace for trace in figure["data"] if trace.get("mode") == "text"]


def test_dates_are_written_the_french_way():
    from datetime import date

    from exports.charts import french_date

    assert french_date(date(2026, 12, 1)) == "1er décembre 2026"
    assert french_date(date(2026, 11, 29)) == "29 novembre 2026"
