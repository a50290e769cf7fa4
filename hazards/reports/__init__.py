"""Hazard reports: from a resident's (or a client's, a sensor's, an inspector's) report to a
hazard a dispatcher can triage.

- `services`: intake (`hazard_report`), with `clean` (the report's fields) and `tracking` (codes).
- `photos`: re-encoding a report's photos after it commits; `sweeps`: the photo beat jobs.
- `suggestions`: explainable auto-triage (keyword rules, near-identical photos, nearby reports).
- `selectors`: permission-scoped reads; `filters`: the list filters.
- `api`, `views`, `forms`, `throttles`: the REST endpoints and the pages (report, track, my
  reports, the public map).
"""
