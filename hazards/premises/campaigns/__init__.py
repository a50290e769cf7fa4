"""Checklists and inspection campaigns (issue 12, item 2).

A dispatcher builds a campaign from a selection of premises (grid, street, type), assigns them to
inspectors (grid workers within their grids, approved volunteers), and watches progress live; an
inspector works through each premises' checklist on the phone, and every failed item becomes a
hazard (source "inspection", with its photo) linked to the premises (PremisesHazard) and to the
campaign (InspectionResult.hazard). Models: hazards/premises/models/campaigns.py (app label
`premises`).
"""
