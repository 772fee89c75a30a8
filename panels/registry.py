"""Every panel of the dashboard, in the order pages and files list them."""

from __future__ import annotations

import plotly.graph_objects as go

from dashboard.urls import View
from panels.base import NotApplicable, Panel
from panels.breakdowns import BreakdownPanel
from panels.census_gap import CensusGapPanel
from panels.context import ContextPanel
from panels.kpis import KpiPanel
from panels.map import MapPanel
from panels.quality import EXPORTED as QUALITY_PANELS
from panels.ranking import RankingPanel
from panels.school import ComparisonPanel, EnrollmentPanel, ExamsPanel, OutcomesPanel
from panels.schooling import SchoolingPanel
from panels.trend import TrendPanel
from queries import Scope
from queries.units import get_unit

PANELS: tuple[Panel, ...] = (
    MapPanel(), TrendPanel(), *(BreakdownPanel(by) for by in ("grade", "sex", "milieu", "sector")),
    EnrollmentPanel(), OutcomesPanel(), ComparisonPanel(), ExamsPanel(), RankingPanel(),
    KpiPanel(), ContextPanel(), SchoolingPanel(), *QUALITY_PANELS, CensusGapPanel(),
)
BY_ID: dict[str, Panel] = {panel.id: panel for panel in PANELS}
IDS: tuple[str, ...] = tuple(BY_ID)
#: Panels of a unit's page drawn as a figure on screen (one callback each; the
#: data-quality view draws its own).
FIGURES: tuple[Panel, ...] = tuple(panel for panel in PANELS
                                   if panel.draws and panel.page == "unit")


def on_page(level: str, page: str = "unit") -> tuple[str, ...]:
    """Return the ids of the panels a page of ``level`` shows (a unit's page, or its
    data-quality view)."""
    return tuple(panel.id for panel in PANELS if level in panel.levels and panel.page == page)


def known(panel_id: str) -> Panel:
    """Return the panel ``panel_id``; raise :class:`NotApplicable` naming the panels there are."""
    if panel_id not in BY_ID:
        raise NotApplicable(f"no chart {panel_id!r}; use one of {', '.join(IDS)}")
    return BY_ID[panel_id]


def panel_for(panel_id: str, level: str) -> Panel:
    """Return the panel ``panel_id`` of a page of ``level``.

    Raise :class:`NotApplicable` for an unknown panel or one the page does not show.
    """
    if level not in known(panel_id).levels:
        raise NotApplicable(f"the {level} page has no chart {panel_id!r}; it has "
                            f"{', '.join(on_page(level))}")
    return BY_ID[panel_id]


def rows_of(panel_id: str, view: View, scope: Scope):
    """Return a panel's rows for a view.

    A unit outside ``scope`` raises :class:`queries.OutOfScope` before anything is read.
    """
    return BY_ID[panel_id].rows(view, scope, get_unit(view.level, view.code, scope))


def draw(panel_id: str, view: View, scope: Scope) -> go.Figure | dict:
    """Return a panel's figure for a view, as the screen draws it (scope as ``rows_of``)."""
    return BY_ID[panel_id].figure(view, rows_of(panel_id, view, scope))
