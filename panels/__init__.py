"""Panels: each chart and table of a page, written once for the screen, files and briefing.

``panels.registry`` lists them; a panel reads its rows through ``queries/`` and makes its
figure with ``layouts.figures``. ``callbacks/``, ``exports/`` and the briefing only call
panels; nothing here imports them.
"""
