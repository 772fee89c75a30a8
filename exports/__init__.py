"""Exports for briefings: chart images, data files and whole-view briefing packs.

Exports read through the query layer like any page, so they carry exactly the numbers
the screen and the API show for the same view.
"""
