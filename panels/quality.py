"""The panels of the data-quality view: its checks, their trend, the children's funnel plot
and ranking. Each reads through ``queries/quality`` and serves the screen and the files.

The view shows the quality score, or one check when the address names it (``check=``):
the trend, the funnel and the ranking follow that choice.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod

import pandas as pd
import plotly.graph_objects as go

from dashboard import indicators
from dashboard.data.quality import BY_CODE, FUNNEL_Z, funnel
from dashboard.data.schema import GRADES
from dashboard.formatting import format_decimal, format_rate, school_year_label
from dashboard.i18n import _
from dashboard.indicators import Indicator
from dashboard.levels import CHILD_LEVEL
from dashboard.urls import View
from layouts import figures
from panels.base import HIDDEN as HIDDEN_CELLS
from panels.base import Column, Panel, hide, message_figure, place_name, rounded
from panels.map import MapPanel
from queries import Scope, privacy
from queries.quality import HIDDEN, checks_by_year, children_checks, pupil_findings, unit_checks
from queries.stats import children_indicators, trend
from queries.units import children, schools_under

SCORE = indicators.BY_CODE["quality_score"]
#: Levels whose page has children to compare.
PARENT_LEVELS = tuple(CHILD_LEVEL)


def check_indicator(check: str) -> Indicator:
    """Return a check read as an indicator: its rate of findings, lower is better."""
    found = BY_CODE[check]
    return Indicator(check, found.label, found.label, found.finds, "count", "base", "rate",
                     False)


def shown(view: View) -> Indicator:
    """Return what the view's trend, funnel and ranking show: a check, or the score."""
    return check_indicator(view.check) if view.check else SCORE


def whole(value) -> int | None:
    """Return a count as a whole number, None where it is hidden."""
    return None if value is None or pd.isna(value) else int(value)


def is_hidden(row: dict, key: str) -> bool:
    """Return whether a table row's cell is hidden by small-cell suppression."""
    return key in row.get(HIDDEN_CELLS, ())


def _hidden_cells(record: dict, hidden: bool, counts: tuple[str, ...],
                  derived: tuple[str, ...]) -> dict[str, bool]:
    """Return which cells of a row small-cell suppression hides: in a row with something
    hidden, the counts without a value and every value derived from them."""
    return {**{key: hidden and pd.isna(record[key]) for key in counts},
            **dict.fromkeys(derived, hidden)}


def check_label(code: str) -> str:
    """Return a check's name on screen."""
    return _(BY_CODE[code].label)


class _Headed(ABC):
    """A panel whose page section shows :meth:`heading` (the page names the place), its
    files and slides the heading and the place."""

    @abstractmethod
    def heading(self, view: View) -> str:
        """Return the title as the page's section shows it."""

    def title(self, view: View, unit: dict) -> str:
        return f"{self.heading(view)} — {place_name(unit)}"


class ChecksPanel(Panel):
    """Every check of the unit for the year: found, examined, rate, change."""

    id = "quality-checks"
    slug = "controles"
    per_indicator = False
    page = "quality"
    draws = False

    def title(self, view: View, unit: dict) -> str:
        return _("Contrôles de qualité — {place}", place=place_name(unit))

    def rows(self, view: View, scope: Scope, unit: dict) -> dict:
        return {"current": unit_checks(view.level, view.code, view.filters, scope),
                "previous": unit_checks(view.level, view.code,
                                        view.filters.with_year(view.filters.year - 1), scope)}

    def columns(self, view: View, rows: dict) -> tuple[Column, ...]:
        return (Column("check", _("Contrôle"), "text"), Column("code", _("Code"), "text"),
                Column("count", _("Constats"), "count"),
                Column("base", _("Examinés"), "count"),
                Column("rate", _("Taux"), "rate"),
                Column("change", _("Évolution ({unit})", unit=_("points")), "points"))

    def table(self, view: View, rows: dict) -> list[dict]:
        previous = rows["previous"].set_index("check_code")["rate"]
        table = []
        for record in rows["current"].to_dict("records"):
            before = previous.get(record["check_code"])
            rate = rounded(record["rate"], "rate")
            change = (None if rate is None or before is None or pd.isna(before)
                      else round(rate - float(before), 6))
            table.append(hide({"check": check_label(record["check_code"]),
                               "code": record["check_code"], "count": whole(record["count"]),
                               "base": whole(record["base"]), "rate": rate,
                               "change": change},
                              **_hidden_cells(record, bool(record[HIDDEN]),
                                              ("count", "base"), ("rate", "change"))))
        return table

    def figure(self, view: View, rows: dict) -> dict:
        return message_figure("")


class QualityTrendPanel(_Headed, Panel):
    """The quality score (or one check's rate) by school year."""

    id = "quality-trend"
    slug = "qualite-tendance"
    per_indicator = False
    page = "quality"

    def heading(self, view: View) -> str:
        """Return the title as the page's section shows it (the page names the place)."""
        return _("{what} par année scolaire", what=_(shown(view).label))

    def rows(self, view: View, scope: Scope, unit: dict) -> dict:
        if view.check:
            frame = checks_by_year(view.level, view.code, view.filters, scope)
            frame = frame[frame["check_code"] == view.check].rename(
                columns={"rate": view.check})
            return {"frame": frame.reset_index(drop=True), "name": unit["name_fr"]}
        return {"frame": trend(view.level, view.code, view.filters, scope),
                "name": unit["name_fr"]}

    def columns(self, view: View, rows: dict) -> tuple[Column, ...]:
        return (Column("school_year", _("Année scolaire"), "text"),
                Column("value", _(shown(view).label), "rate"))

    def table(self, view: View, rows: dict) -> list[dict]:
        indicator = shown(view)
        return [{"school_year": school_year_label(record["school_year"]),
                 "value": None if not view.check and privacy.is_suppressed(
                     record, indicator.code) else rounded(record[indicator.code], "rate")}
                for record in rows["frame"].to_dict("records")]

    def figure(self, view: View, rows: dict) -> go.Figure | dict:
        frame = rows["frame"]
        indicator = shown(view)
        if frame.empty or frame[indicator.code].isna().all():
            return message_figure(_("Rien n'a été examiné pour cette sélection"))
        figure = figures.trend(frame, indicator, rows["name"], None, view.filters.year)
        if not view.check:  # a score near 100 % reads on its own scale, not from zero
            lowest = float(frame[indicator.code].min())
            figure.update_yaxes(range=[max(0.0, lowest - max(0.02, (1 - lowest) * 0.5)), 1.0],
                                tickformat=".1%")
        return figure


def _children_values(view: View, scope: Scope) -> pd.DataFrame:
    """Return each child's ``code``, ``value`` (the score or the check's rate), ``count``
    (records with a finding) and ``base`` (records examined)."""
    if view.check:
        frame = children_checks(view.level, view.code, view.filters, scope)
        frame = frame[frame["check_code"] == view.check]
        return frame.rename(columns={"rate": "value", HIDDEN: "hidden"})[
            ["code", "value", "count", "base", "hidden"]]
    frame = children_indicators(view.level, view.code, view.filters, scope)
    hidden = frame[privacy.flag(SCORE.code)].astype(bool)
    base = frame["enrolled"].where(~hidden)
    return pd.DataFrame({"code": frame["code"], "value": frame[SCORE.code].where(~hidden),
                         "count": (frame["enrolled"] - frame["quality_clean"]).where(~hidden),
                         "base": base, "hidden": hidden})


class QualityMapPanel(_Headed, MapPanel):
    """The children coloured by the quality score or by one check's rate (the map of the
    unit's page, drawn from the same boundaries)."""

    id = "quality-map"
    slug = "qualite-carte"
    per_indicator = False
    page = "quality"
    levels = PARENT_LEVELS
    school_rows = True

    def indicator(self, view: View) -> Indicator:
        return shown(view)

    def heading(self, view: View) -> str:
        """Return the title as the page's section shows it (the page names the place)."""
        return _("Carte : {what}", what=_(shown(view).label).lower())

    def rows(self, view: View, scope: Scope, unit: dict) -> dict:
        found = _children_values(view, scope)
        values = pd.DataFrame({"code": found["code"], "value": found["value"],
                               "suppressed": found["hidden"].fillna(False).astype(bool),
                               "small": False})
        schools = None
        if CHILD_LEVEL[view.level] == "commune":
            schools = schools_under("province", view.code, scope).assign(value=None)
        return {"unit": unit, "values": values, "schools": schools,
                "members": children(view.level, view.code, scope)}


class QualityRankingPanel(_Headed, Panel):
    """The children ranked by quality score (best first) or by a check (worst first)."""

    id = "quality-ranking"
    slug = "qualite-classement"
    per_indicator = False
    page = "quality"
    levels = PARENT_LEVELS
    draws = False

    def heading(self, view: View) -> str:
        """Return the title as the page's section shows it (the page names the place)."""
        return _("Classement par {what}", what=_(shown(view).label).lower())

    def rows(self, view: View, scope: Scope, unit: dict) -> pd.DataFrame:
        members = children(view.level, view.code, scope)[["code", "name_fr"]]
        values = _children_values(view, scope)
        frame = members.merge(values, on="code", how="left")
        # the score best (highest) first, a check's rate worst (highest) first
        frame = frame.sort_values("value", ascending=False, na_position="last",
                                  kind="stable").reset_index(drop=True)
        ranked = frame["value"].notna()
        frame["rank"] = pd.Series(range(1, int(ranked.sum()) + 1), index=frame.index[ranked])
        return frame

    def columns(self, view: View, rows: pd.DataFrame) -> tuple[Column, ...]:
        return (Column("rank", _("Rang"), "integer"), Column("code", _("Code"), "text"),
                Column("name", _("Nom"), "text"), Column("value", _(shown(view).label), "rate"),
                Column("count", _("Constats") if view.check else _("Inscriptions avec constat"),
                       "count"),
                Column("base", _("Examinés") if view.check else _("Inscriptions"), "count"))

    def table(self, view: View, rows: pd.DataFrame) -> list[dict]:
        return [hide({"rank": None if pd.isna(r["rank"]) else int(r["rank"]), "code": r["code"],
                      "name": r["name_fr"], "value": rounded(r["value"], "rate"),
                      "count": rounded(r["count"], "count"),
                      "base": rounded(r["base"], "count")},
                     **_hidden_cells(r, privacy.is_set(r["hidden"]), ("count", "base"),
                                     ("value",)))
                for r in rows.to_dict("records")]

    def figure(self, view: View, rows: pd.DataFrame) -> dict:
        return message_figure("")


class FunnelPanel(Panel):
    """The children's rate of findings against the records examined, with the 99.8 %
    limits around the children's pooled rate (the over-dispersion as the ``outlier_rate``
    check estimates it): a point outside stands out for more than chance. A child whose
    numbers small-cell suppression hides is left out, of the points and of the limits."""

    id = "quality-funnel"
    slug = "qualite-entonnoir"
    per_indicator = False
    page = "quality"
    levels = PARENT_LEVELS

    def title(self, view: View, unit: dict) -> str:
        what = check_label(view.check) if view.check else _("Inscriptions avec constat")
        return _("Entonnoir : {what} — {place}", what=what.lower(), place=place_name(unit))

    def rows(self, view: View, scope: Scope, unit: dict) -> pd.DataFrame:
        members = children(view.level, view.code, scope)[["code", "name_fr"]]
        values = _children_values(view, scope).dropna(subset=["base", "count"])
        values = values[values["base"] > 0]
        return members.merge(values, on="code").reset_index(drop=True)

    def columns(self, view: View, rows: pd.DataFrame) -> tuple[Column, ...]:
        return (Column("code", _("Code"), "text"), Column("name", _("Nom"), "text"),
                Column("count", _("Constats"), "count"), Column("base", _("Examinés"), "count"),
                Column("rate", _("Taux"), "rate"), Column("lower", _("Limite basse"), "rate"),
                Column("upper", _("Limite haute"), "rate"))

    def limits(self, rows: pd.DataFrame) -> tuple[float | None, float]:
        """Return the unit's rate and the over-dispersion of its children."""
        if len(rows) < 2:
            return None, 0.0
        return funnel(rows["base"].to_numpy(float), rows["count"].to_numpy(float))

    def table(self, view: View, rows: pd.DataFrame) -> list[dict]:
        target, tau2 = self.limits(rows)
        table = []
        for record in rows.to_dict("records"):
            low = high = None
            if target is not None:
                spread = FUNNEL_Z * math.sqrt(target * (1 - target) / record["base"] + tau2)
                low, high = round(target - spread, 6), round(target + spread, 6)
            table.append({"code": record["code"], "name": record["name_fr"],
                          "count": int(record["count"]), "base": int(record["base"]),
                          "rate": round(record["count"] / record["base"], 6),
                          "lower": low, "upper": high})
        return table

    def figure(self, view: View, rows: pd.DataFrame) -> go.Figure | dict:
        if rows.empty:
            return message_figure(_("Aucune unité à comparer pour cette sélection"))
        target, tau2 = self.limits(rows)
        return figures.funnel(self.table(view, rows), target, tau2, FUNNEL_Z)


def rate_text(value) -> str:
    """Return a rate on screen: ``0,3 %`` (two decimals under 1 %), ``—`` for no data."""
    if value is None or pd.isna(value):
        return "—"
    if value == 0:
        return format_rate(0.0, 0)
    if value < 0.0001:
        return _("< {rate}", rate=format_rate(0.0001, 2))
    return format_rate(value, 2 if value < 0.01 else 1)




OUTCOME_LABELS = {"promu": "promu", "redoublant": "redoublant", "abandon": "abandon",
                  "diplome": "diplômé"}


def _outcome(value) -> str:
    return _("vide") if value is None or pd.isna(value) else _(OUTCOME_LABELS.get(value, value))


def finding_fields(row: dict) -> str:
    """Return the fields a pupil finding is about, as the school corrects them."""
    check, year = row["check_code"], int(row["school_year"])
    grade = row.get("grade")
    if check == "missing_outcome":
        return _("Résultat de fin d'année : vide")
    if check == "missing_average":
        return _("Résultat : {outcome} ; moyenne annuelle : vide",
                 outcome=_outcome(row["outcome"]))
    if check in ("returns_after_abandon", "promoted_not_next_grade", "repeater_moved_on"):
        expected = {"promoted_not_next_grade": GRADES[min(GRADES.index(grade) + 1,
                                                          len(GRADES) - 1)],
                    "repeater_moved_on": grade}.get(check)
        text = _("Résultat {year} : {outcome} ; inscrit en {other} en {other_grade}",
                 year=school_year_label(year), outcome=_outcome(row["outcome"]),
                 other=school_year_label(int(row["other_year"])),
                 other_grade=row["other_grade"])
        return text if expected is None else _("{text} (attendu : {grade})", text=text,
                                                 grade=expected)
    if check == "grade_skip":
        return _("{before} : {before_grade} ; {year} : {grade}",
                 before=school_year_label(int(row["other_year"])),
                 before_grade=row["other_grade"], year=school_year_label(year), grade=grade)
    if check == "lost_in_transfer":
        return _("Résultat : {outcome} ; aucune inscription en {next}",
                 outcome=_outcome(row["outcome"]), next=school_year_label(year + 1))
    if check == "implausible_age":
        return _("Âge au 1er septembre : {age} ans, âge théorique du niveau : {intended} ans",
                 age=int(row["age"]), intended=6 + GRADES.index(grade))
    if check == "exam_outcome_mismatch":
        passed = _("admis") if bool(row["exam_passed"]) else _("non admis")
        return _("{exam} : {passed} ; résultat : {outcome}", exam=row["exam"], passed=passed,
                 outcome=_outcome(row["outcome"]))
    if check == "average_outcome_mismatch":
        return _("Moyenne annuelle : {average}/20 ; résultat : {outcome}",
                 average=format_decimal(float(row["annual_average"]), 2),
                 outcome=_outcome(row["outcome"]))
    return ""


class PupilListPanel(Panel):
    """A school's pupils to correct in MASSAR: one row per pupil finding of the year."""

    id = "quality-pupils"
    slug = "eleves-a-corriger"
    per_indicator = False
    page = "quality"
    levels = ("school",)
    draws = False

    def title(self, view: View, unit: dict) -> str:
        return _("Élèves à corriger dans MASSAR — {place}", place=place_name(unit))

    def rows(self, view: View, scope: Scope, unit: dict) -> pd.DataFrame:
        return pupil_findings(view.code, view.filters.year)

    def columns(self, view: View, rows: pd.DataFrame) -> tuple[Column, ...]:
        return (Column("check", _("Contrôle"), "text"), Column("code", _("Code"), "text"),
                Column("massar_code", _("Code MASSAR"), "text"),
                Column("grade", _("Niveau"), "text"),
                Column("fields", _("Champs en cause"), "text"))

    def table(self, view: View, rows: pd.DataFrame) -> list[dict]:
        return [{"check": check_label(r["check_code"]), "code": r["check_code"],
                 "massar_code": r["massar_code"], "grade": r["grade"],
                 "fields": finding_fields(r)} for r in rows.to_dict("records")]

    def figure(self, view: View, rows: pd.DataFrame) -> dict:
        return message_figure("")


#: The panels whose numbers anyone in scope may download (the registry lists them); the
#: list of pupils is not one of them: it is read and downloaded, audited, on its page.
EXPORTED: tuple[Panel, ...] = (ChecksPanel(), QualityTrendPanel(), QualityMapPanel(),
                               QualityRankingPanel(), FunnelPanel())
QUALITY_PANELS: tuple[Panel, ...] = (*EXPORTED, PupilListPanel())
BY_ID = {panel.id: panel for panel in QUALITY_PANELS}
