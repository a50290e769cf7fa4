"""Triage: a dispatcher (or the grid's worker) decides what a report is.

- `services`: accept (optionally correcting severity and category; auto-dispatch categories are
  offered at once), reject, mark a duplicate; reopen a refused fix; close a verified hazard.
- `duplicates`: which report a duplicate is merged into (chains followed to their root).
- `api`: the REST endpoints of these moves.
"""
