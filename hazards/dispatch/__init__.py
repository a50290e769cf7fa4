"""Task dispatch (issue 6): from a triaged hazard to a verified fix.

- `candidates`: who could go, ranked by estimated time of arrival (index-backed queries).
- `services`: every write of a task — offer, accept, decline, start, complete, verify, cancel —
  and escalation (expired offers re-offered, past-due tasks flagged). Lock order: hazard, then
  its tasks. Hazard statuses move through `hazards.services.hazard_transition` only.
- `selectors`: task lists, permission-scoped and constant-query.
"""
